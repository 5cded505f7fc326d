-- 0014: deposits imported from the bank's statement (issue 21, point 3). Each imported
-- deposit keeps its statement line's key (day, amount, description, which of the file's
-- equal lines), unique, so a statement imported twice records nothing twice; a deposit
-- typed by hand that a statement line then matches (same method, day and amount) takes
-- that key instead of a second deposit being recorded.
CREATE TABLE statement_imports (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    file_name    TEXT    NOT NULL,
    -- Lines in the file, the gateway's deposits among them, and how many were recorded
    -- new (the others were recorded before: imported or typed).
    lines        INTEGER NOT NULL,
    deposits     INTEGER NOT NULL,
    recorded     INTEGER NOT NULL
);
ALTER TABLE deposits_received ADD COLUMN statement_key TEXT;
ALTER TABLE deposits_received ADD COLUMN statement_import INTEGER REFERENCES statement_imports (id);
-- The statement line's description, as the bank wrote it.
ALTER TABLE deposits_received ADD COLUMN description TEXT;
CREATE UNIQUE INDEX deposits_received_statement_key ON deposits_received (statement_key)
    WHERE statement_key IS NOT NULL;
CREATE INDEX deposits_received_typed ON deposits_received (method, received_on, amount)
    WHERE statement_key IS NULL;
