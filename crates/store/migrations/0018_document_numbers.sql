-- PayDesk store, version 18 (issue 20): a document's number is taken once per order and
-- kind. The number is the count of earlier issues plus one, read before the PDF is drawn;
-- two issues at once (a double click, the app and the command line) would both read the
-- same count. A trigger rather than a UNIQUE index, so that a database where that already
-- happened still opens (its rows are append-only and stay as they are).
CREATE TRIGGER document_issues_number_taken BEFORE INSERT ON document_issues
WHEN EXISTS (
    SELECT 1 FROM document_issues
    WHERE order_id = NEW.order_id AND kind = NEW.kind AND number = NEW.number
)
BEGIN
    SELECT RAISE(ABORT, 'document number already issued');
END;
