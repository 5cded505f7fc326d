-- PayDesk store, version 17 (issue 21): a deposit typed by hand can be corrected (method,
-- day, amount) or withdrawn when it was typed by mistake. The row keeps its current values
-- (a withdrawn one is kept too, marked, and no longer counted); every correction keeps the
-- values it replaced, append-only, so nothing the shop typed is lost. A deposit imported
-- from the bank's statement is the bank's record and is never corrected here.
ALTER TABLE deposits_received ADD COLUMN withdrawn_at INTEGER;

CREATE TABLE deposit_corrections (
    id           INTEGER PRIMARY KEY,
    deposit_id   INTEGER NOT NULL REFERENCES deposits_received (id),
    -- The values before this correction.
    method       TEXT    NOT NULL,
    received_on  TEXT    NOT NULL,
    amount       INTEGER NOT NULL,
    -- 1: this correction withdrew the deposit.
    withdrawn    INTEGER NOT NULL CHECK (withdrawn IN (0, 1)),
    at           INTEGER NOT NULL
);
CREATE INDEX deposit_corrections_deposit ON deposit_corrections (deposit_id, id);
CREATE TRIGGER deposit_corrections_no_update BEFORE UPDATE ON deposit_corrections BEGIN
    SELECT RAISE(ABORT, 'deposit_corrections is append-only');
END;
CREATE TRIGGER deposit_corrections_no_delete BEFORE DELETE ON deposit_corrections BEGIN
    SELECT RAISE(ABORT, 'deposit_corrections is append-only');
END;
