-- PayDesk store, version 14 (issue 20, point 5): the shipping notice and the order
-- confirmation go through the one mail queue (its send log, retries and "never twice"),
-- tied to their order; the shop's edited copies of their texts; and the mark that makes
-- "never twice" hold across a crash between handing a mail to the SMTP server and
-- recording it.
--
-- `purpose` stays 'other' for an order mail (its CHECK cannot change without rebuilding
-- the table, which the renewal cycles reference); `order_mail` says which mail it is.
ALTER TABLE mail_queue ADD COLUMN order_id INTEGER REFERENCES orders (id);
ALTER TABLE mail_queue ADD COLUMN order_mail TEXT
    CHECK (order_mail IN ('shipping_notice', 'order_confirmation'));
-- Set (Unix ms) just before a mail is handed to the SMTP server and cleared with its
-- outcome; still set later means PayDesk stopped mid-send, so the mail may have been
-- delivered and is never sent again automatically. Also keeps two processes (the window
-- and the command line) from sending the same mail.
ALTER TABLE mail_queue ADD COLUMN sending_since INTEGER;
CREATE INDEX mail_queue_order ON mail_queue (order_id, order_mail) WHERE order_id IS NOT NULL;
-- At most one unsent mail of a kind per order.
CREATE UNIQUE INDEX mail_queue_one_open_order_mail ON mail_queue (order_id, order_mail)
    WHERE order_id IS NOT NULL AND state IN ('queued', 'failed');

-- The shop's edited copies of the order mails' texts (absent = the built-in text).
CREATE TABLE order_mail_templates (
    kind        TEXT    NOT NULL CHECK (kind IN ('shipping_notice', 'order_confirmation')),
    language    TEXT    NOT NULL CHECK (language IN ('ja', 'en')),
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, language)
) WITHOUT ROWID;
