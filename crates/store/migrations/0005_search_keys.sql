-- Search that understands everyday Japanese input (full-width digits, names typed without
-- the space, katakana or hiragana, half-width kana, another letter case): every searched
-- field is also kept as its search key (`domain::search::search_key`, registered on each
-- connection as the SQL function search_key), and the search text is folded the same way.
-- Triggers keep the keys, so every write path gets them without knowing.

ALTER TABLE orders ADD COLUMN number_key TEXT;
ALTER TABLE orders ADD COLUMN name_key TEXT;
ALTER TABLE orders ADD COLUMN kana_key TEXT;
CREATE INDEX orders_number_key ON orders (number_key);
CREATE INDEX orders_name_key ON orders (name_key);
CREATE INDEX orders_kana_key ON orders (kana_key);

-- Substring search (3 characters or more) on the keys and the e-mail: partial order
-- numbers, part of a name. Contentless: it keeps only its trigram index.
DROP TRIGGER orders_fts_insert;
DROP TRIGGER orders_fts_delete;
DROP TRIGGER orders_fts_update;
DROP TABLE orders_buyer_fts;
CREATE VIRTUAL TABLE orders_search USING fts5(
    number_key, name_key, kana_key, email_key,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);

CREATE TRIGGER orders_search_insert AFTER INSERT ON orders BEGIN
    UPDATE orders SET
        number_key = search_key(new.order_number),
        name_key = search_key(new.buyer_name),
        kana_key = search_key(new.buyer_name_kana)
    WHERE id = new.id;
    INSERT INTO orders_search (rowid, number_key, name_key, kana_key, email_key)
    VALUES (new.id, search_key(new.order_number), search_key(new.buyer_name),
            search_key(new.buyer_name_kana), search_key(new.buyer_email));
END;
CREATE TRIGGER orders_search_update AFTER UPDATE OF order_number, buyer_name, buyer_name_kana, buyer_email ON orders BEGIN
    UPDATE orders SET
        number_key = search_key(new.order_number),
        name_key = search_key(new.buyer_name),
        kana_key = search_key(new.buyer_name_kana)
    WHERE id = new.id;
    DELETE FROM orders_search WHERE rowid = old.id;
    INSERT INTO orders_search (rowid, number_key, name_key, kana_key, email_key)
    VALUES (new.id, search_key(new.order_number), search_key(new.buyer_name),
            search_key(new.buyer_name_kana), search_key(new.buyer_email));
END;
CREATE TRIGGER orders_search_delete AFTER DELETE ON orders BEGIN
    DELETE FROM orders_search WHERE rowid = old.id;
END;

-- The orders that are already there.
UPDATE orders SET
    number_key = search_key(order_number),
    name_key = search_key(buyer_name),
    kana_key = search_key(buyer_name_kana);
INSERT INTO orders_search (rowid, number_key, name_key, kana_key, email_key)
SELECT id, number_key, name_key, kana_key, search_key(buyer_email) FROM orders;
