-- PayDesk store, version 8: buyer details the shop owner edits on an order's screen
-- (issue 15) are recorded with their own source, `shop_owner`. SQLite cannot change a
-- CHECK constraint in place, so the table is rebuilt with the same columns and rows.
CREATE TABLE order_details_new (
    order_id          INTEGER PRIMARY KEY REFERENCES orders (id),
    source            TEXT    NOT NULL CHECK (source IN ('paidy_verify', 'storefront_csv', 'gateway', 'shop_owner')),
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
INSERT INTO order_details_new SELECT * FROM order_details;
DROP TABLE order_details;
ALTER TABLE order_details_new RENAME TO order_details;
