-- PayDesk store, version 5: storefront CSV imports that can be undone as a whole.

-- One applied import. `undone_at` is set once, when the shop owner undoes it.
CREATE TABLE details_imports (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    file_name    TEXT    NOT NULL,
    clear_empty  INTEGER NOT NULL CHECK (clear_empty IN (0, 1)),
    orders       INTEGER NOT NULL,
    fields       INTEGER NOT NULL,
    undone_at    INTEGER
);

-- Every field an import changed, with the value before and after (canonical text, see
-- store::imports), so the import can be undone and a later change recognised.
CREATE TABLE details_import_changes (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER NOT NULL REFERENCES details_imports (id),
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    field      TEXT    NOT NULL,
    old_value  TEXT,
    new_value  TEXT
);
CREATE INDEX details_import_changes_import ON details_import_changes (import_id, id);
