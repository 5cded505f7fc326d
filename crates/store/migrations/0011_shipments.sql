-- PayDesk store, version 11 (issue 20, points 3 and 4): tracking numbers (問合せ番号) kept
-- with their carrier, typed on an order or read from a carrier's issued-labels file. One
-- order may have several (a multi-piece shipment); one carrier's number belongs to one
-- order only. Numbered 0011 because 0010 is issue 20's shop details (merged before it).
CREATE TABLE shipments (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    carrier         TEXT    NOT NULL CHECK (carrier IN ('yamato', 'sagawa', 'japan_post')),
    tracking_number TEXT    NOT NULL CHECK (length(tracking_number) BETWEEN 10 AND 14),
    source          TEXT    NOT NULL CHECK (source IN ('typed', 'carrier_file')),
    recorded_at     INTEGER NOT NULL,
    UNIQUE (carrier, tracking_number)
);
CREATE INDEX shipments_order ON shipments (order_id);
