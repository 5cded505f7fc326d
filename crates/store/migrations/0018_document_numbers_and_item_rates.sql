-- PayDesk store, version 18 (issue 20): document numbers taken once, and items' own tax rates.

-- A document's number is taken once per order and kind. The number is the count of earlier issues plus one, read before the PDF is drawn;
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

-- An item's own consumption tax rate, when the storefront's file gives one (a shop selling
-- food at 8% and other goods at 10% in one order); NULL: the shop's rate from Settings.
ALTER TABLE order_items ADD COLUMN tax_rate TEXT CHECK (tax_rate IN ('standard', 'reduced'));
