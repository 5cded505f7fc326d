-- PayDesk store, version 1. Times are Unix milliseconds (UTC); money is integer yen.
-- No table has a column for a secret: credentials live in the OS keychain (crate secrets).
-- Later issues add migrations (0002_bulk_runs.sql: bulk_runs, bulk_run_items;
-- 0003_subscriptions.sql: subscriptions, renewals, orders.subscription_id).

-- One row per order. payment_id is the current transaction ID; payment_ids keeps the chain.
CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    order_number     TEXT    NOT NULL,
    payment_id       TEXT    NOT NULL UNIQUE,
    method           TEXT    NOT NULL CHECK (method IN ('card', 'paidy')),
    capture_mode     TEXT    NOT NULL CHECK (capture_mode IN ('authorize_only', 'authorize_and_capture')),
    three_d_secure   INTEGER NOT NULL CHECK (three_d_secure IN (0, 1)),
    amount           INTEGER NOT NULL,
    captured_amount  INTEGER NOT NULL DEFAULT 0,
    refunded_amount  INTEGER NOT NULL DEFAULT 0,
    status           TEXT    NOT NULL,
    ordered_at       INTEGER NOT NULL,
    authorized_at    INTEGER,
    captured_at      INTEGER,
    list             TEXT    NOT NULL CHECK (list IN ('open', 'completed', 'cancelled')),
    outside_change   INTEGER NOT NULL DEFAULT 0 CHECK (outside_change IN (0, 1)),
    buyer_name       TEXT,
    buyer_name_kana  TEXT,
    buyer_email      TEXT,
    -- Denormalized from domain::deadline so lists can filter and count in SQL.
    deadline_kind    TEXT    CHECK (deadline_kind IN ('capture', 'refund')),
    deadline_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK (amount >= 0 AND captured_amount >= 0 AND refunded_amount >= 0 AND refunded_amount <= captured_amount)
);
CREATE INDEX orders_list_page ON orders (list, ordered_at DESC, id DESC);
CREATE INDEX orders_list_status_page ON orders (list, status, ordered_at DESC, id DESC);
CREATE INDEX orders_order_number ON orders (order_number);
CREATE INDEX orders_amount ON orders (amount);
CREATE INDEX orders_buyer_name ON orders (buyer_name);
CREATE INDEX orders_buyer_name_kana ON orders (buyer_name_kana);
-- Covering for the deadline filters and the home screen's count.
CREATE INDEX orders_deadline ON orders (deadline_kind, deadline_at, list, status);
-- Newest-first scan over all lists (search results where matches are many).
CREATE INDEX orders_ordered ON orders (ordered_at DESC, id DESC);

-- Substring search on buyer names and e-mail (3 characters or more; shorter queries use
-- the prefix indexes above).
CREATE VIRTUAL TABLE orders_buyer_fts USING fts5(
    buyer_name, buyer_name_kana, buyer_email,
    content = 'orders', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER orders_fts_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_buyer_fts (rowid, buyer_name, buyer_name_kana, buyer_email)
    VALUES (new.id, new.buyer_name, new.buyer_name_kana, new.buyer_email);
END;
CREATE TRIGGER orders_fts_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_buyer_fts (orders_buyer_fts, rowid, buyer_name, buyer_name_kana, buyer_email)
    VALUES ('delete', old.id, old.buyer_name, old.buyer_name_kana, old.buyer_email);
END;
CREATE TRIGGER orders_fts_update AFTER UPDATE OF buyer_name, buyer_name_kana, buyer_email ON orders BEGIN
    INSERT INTO orders_buyer_fts (orders_buyer_fts, rowid, buyer_name, buyer_name_kana, buyer_email)
    VALUES ('delete', old.id, old.buyer_name, old.buyer_name_kana, old.buyer_email);
    INSERT INTO orders_buyer_fts (rowid, buyer_name, buyer_name_kana, buyer_email)
    VALUES (new.id, new.buyer_name, new.buyer_name_kana, new.buyer_email);
END;

-- Every transaction ID an order has had: revisions (028, 029) and Paidy partial refunds
-- create new ones. Search by transaction ID finds an order by any of them.
CREATE TABLE payment_ids (
    payment_id       TEXT    PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    base_payment_id  TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX payment_ids_order ON payment_ids (order_id);

-- The change history: append-only, enforced here.
CREATE TABLE order_history (
    id        INTEGER PRIMARY KEY,
    order_id  INTEGER NOT NULL REFERENCES orders (id),
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL CHECK (actor IN ('paydesk', 'gateway', 'outside')),
    text_ja   TEXT    NOT NULL,
    text_en   TEXT    NOT NULL
);
CREATE INDEX order_history_order ON order_history (order_id, id);
CREATE TRIGGER order_history_no_update BEFORE UPDATE ON order_history BEGIN
    SELECT RAISE(ABORT, 'order_history is append-only');
END;
CREATE TRIGGER order_history_no_delete BEFORE DELETE ON order_history BEGIN
    SELECT RAISE(ABORT, 'order_history is append-only');
END;

-- Each operation is written here before it is sent (idempotency and crash recovery).
CREATE TABLE operation_journal (
    id               INTEGER PRIMARY KEY,
    key              TEXT    NOT NULL UNIQUE,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    kind             TEXT    NOT NULL CHECK (kind IN ('capture', 'cancel', 'full_refund', 'partial_refund', 'amount_change')),
    amount           INTEGER,
    telegram         TEXT    NOT NULL,
    payment_id       TEXT    NOT NULL,
    request_amount   INTEGER,
    before_status    TEXT    NOT NULL,
    before_amount    INTEGER NOT NULL,
    expected_status  TEXT    NOT NULL,
    expected_amount  INTEGER NOT NULL,
    creates_new_payment INTEGER NOT NULL CHECK (creates_new_payment IN (0, 1)),
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'unknown', 'succeeded', 'failed')),
    error_code       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    settled_at       INTEGER
);
-- At most one open operation per order.
CREATE UNIQUE INDEX operation_journal_one_open ON operation_journal (order_id)
    WHERE state IN ('pending', 'sent', 'unknown');
CREATE INDEX operation_journal_state ON operation_journal (state);

-- Sync cursors: one row.
CREATE TABLE sync_state (
    id                      INTEGER PRIMARY KEY CHECK (id = 1),
    relay_cursor            TEXT,
    last_payment_notice_id  INTEGER,
    last_event_at           INTEGER
);
INSERT INTO sync_state (id) VALUES (1);

-- Notification records already applied, for exactly-once application.
CREATE TABLE seen_notifications (
    payment_notice_id  INTEGER PRIMARY KEY,
    payment_id         TEXT    NOT NULL,
    order_id           INTEGER REFERENCES orders (id),
    received_at        INTEGER NOT NULL
);

-- Buyer and shipping details of an order (Paidy 343 verify, storefront CSV import).
CREATE TABLE order_details (
    order_id          INTEGER PRIMARY KEY REFERENCES orders (id),
    source            TEXT    NOT NULL CHECK (source IN ('paidy_verify', 'storefront_csv', 'gateway')),
    buyer_name        TEXT,
    buyer_name_kana   TEXT,
    buyer_email       TEXT,
    buyer_phone       TEXT,
    shipping_zip      TEXT,
    shipping_state    TEXT,
    shipping_city     TEXT,
    shipping_line1    TEXT,
    shipping_line2    TEXT,
    order_tax         INTEGER,
    order_shipping    INTEGER,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE order_items (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    position     INTEGER NOT NULL,
    item_id      TEXT,
    title        TEXT    NOT NULL,
    description  TEXT,
    unit_price   INTEGER NOT NULL,
    quantity     INTEGER NOT NULL,
    UNIQUE (order_id, position)
);

-- Non-secret settings (capture mode for new orders, language, ...).
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
