-- PayDesk store, version 16 (issue 18): one table for the shop's edited e-mail texts,
-- keyed by the template's kind (the two card reminders and the two order mails), in place
-- of one table per feature. Every saved text is carried over as it was.
CREATE TABLE mail_templates (
    kind        TEXT    NOT NULL CHECK (kind IN ('expiring_soon', 'expired',
                                                 'shipping_notice', 'order_confirmation')),
    language    TEXT    NOT NULL CHECK (language IN ('ja', 'en')),
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, language)
) WITHOUT ROWID;

INSERT INTO mail_templates (kind, language, subject, body, updated_at)
    SELECT kind, language, subject, body, updated_at FROM email_templates;
INSERT INTO mail_templates (kind, language, subject, body, updated_at)
    SELECT kind, language, subject, body, updated_at FROM order_mail_templates;

DROP TABLE email_templates;
DROP TABLE order_mail_templates;
