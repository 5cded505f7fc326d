-- PayDesk store, version 10 (issue 20): the shop's details for its documents, each issued
-- document, and the deposit check.

-- The shop as its documents print it: one row, set in Settings (the shop's name is the
-- `shop_name` setting the mails use too). The images are PNGs checked and capped
-- (RULES.max_image_file_bytes) before they are stored.
CREATE TABLE shop_profile (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    postal_code          TEXT,
    address              TEXT,
    phone                TEXT,
    registration_number  TEXT,
    rounding             TEXT    NOT NULL DEFAULT 'down' CHECK (rounding IN ('down', 'up', 'half_up')),
    item_rate            TEXT    NOT NULL DEFAULT 'standard' CHECK (item_rate IN ('standard', 'reduced')),
    logo_png             BLOB,
    seal_png             BLOB,
    updated_at           INTEGER NOT NULL
);

-- Every document issued, append-only like the history: the count per order and kind gives
-- the next issue's number and whether it is a reissue (再発行).
CREATE TABLE document_issues (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('order_slip', 'delivery_note', 'invoice', 'receipt')),
    number      TEXT    NOT NULL,
    reissue     INTEGER NOT NULL CHECK (reissue IN (0, 1)),
    amount      INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL
);
CREATE INDEX document_issues_order ON document_issues (order_id, kind);
CREATE TRIGGER document_issues_no_update BEFORE UPDATE ON document_issues BEGIN
    SELECT RAISE(ABORT, 'document_issues is append-only');
END;
CREATE TRIGGER document_issues_no_delete BEFORE DELETE ON document_issues BEGIN
    SELECT RAISE(ABORT, 'document_issues is append-only');
END;

-- The deposit check (入金チェック): a row while the order's deposit is marked received.
-- Marks and undos are in the order's history.
CREATE TABLE order_deposits (
    order_id     INTEGER PRIMARY KEY REFERENCES orders (id),
    received_on  TEXT    NOT NULL,
    amount       INTEGER CHECK (amount > 0),
    marked_at    INTEGER NOT NULL
);
