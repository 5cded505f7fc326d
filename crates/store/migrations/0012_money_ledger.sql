-- Money in (issue 21): every capture and refund with its time and amount, per order and
-- payment method. Orders keep only cumulative amounts; this ledger keeps each movement,
-- so sales per Japan day or month add up exactly. Append-only, enforced here. Written in
-- the transaction that changes the order (store::ledger); orders that existed before this
-- migration are filled from their amounts and their change history (store::ledger::backfill).
CREATE TABLE money_movements (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    method       TEXT    NOT NULL CHECK (method IN ('card', 'paidy')),
    kind         TEXT    NOT NULL CHECK (kind IN ('capture', 'refund')),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    -- When it happened (UTC ms): the capture time, the gateway's change time of a refund.
    at           INTEGER NOT NULL,
    -- The transaction ID the order had when it moved.
    payment_id   TEXT    NOT NULL,
    -- 'applied': written when PayDesk applied the change; 'history': filled from the
    -- order's amounts and change history; 'estimated': a refund the history does not
    -- date, dated by the order's last change.
    source       TEXT    NOT NULL CHECK (source IN ('applied', 'history', 'estimated')),
    recorded_at  INTEGER NOT NULL
);
-- Covering for sales over a time range (no table lookups).
CREATE INDEX money_movements_at ON money_movements (at, method, kind, amount, order_id);
CREATE INDEX money_movements_order ON money_movements (order_id, id);
-- The ledger added up per Japan day (days since 1970-01-01 in Japan: UTC+9, no daylight
-- saving time), kept by the trigger below in the same transaction: sales over a year read
-- at most a few thousand rows, however many orders there are.
CREATE TABLE money_days (
    day     INTEGER NOT NULL,
    method  TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    amount  INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (day, method, kind)
) WITHOUT ROWID;
CREATE TRIGGER money_movements_day AFTER INSERT ON money_movements BEGIN
    INSERT INTO money_days (day, method, kind, amount, count)
    VALUES ((new.at + 32400000) / 86400000, new.method, new.kind, new.amount, 1)
    ON CONFLICT (day, method, kind) DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
END;
CREATE TRIGGER money_movements_no_update BEFORE UPDATE ON money_movements BEGIN
    SELECT RAISE(ABORT, 'money_movements is append-only');
END;
CREATE TRIGGER money_movements_no_delete BEFORE DELETE ON money_movements BEGIN
    SELECT RAISE(ABORT, 'money_movements is append-only');
END;

-- Deposits the shop received from the gateway (typed; issue 21 point 3). Kept as entered;
-- which settlement period each one pays is worked out from the contract when shown.
CREATE TABLE deposits_received (
    id           INTEGER PRIMARY KEY,
    method       TEXT    NOT NULL CHECK (method IN ('card', 'paidy')),
    -- The Japan day the money arrived, 2026-12-15.
    received_on  TEXT    NOT NULL,
    amount       INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX deposits_received_day ON deposits_received (received_on, id);
