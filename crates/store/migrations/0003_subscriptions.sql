-- PayDesk store, version 3: subscriptions (定期購入) on stored cards, their renewal cycles,
-- stored-card snapshots, the buyer outreach log, the e-mail queue, the shop's edited
-- e-mail templates and desktop-notification preferences.
-- Dates of the Japan calendar are TEXT 'YYYY-MM-DD'; times Unix milliseconds (UTC); money
-- integer yen. No column holds a secret (the SMTP password is in the OS keychain).

CREATE TABLE subscriptions (
    id                 INTEGER PRIMARY KEY,
    customer_id        TEXT    NOT NULL,
    customer_card_id   TEXT    NOT NULL,
    buyer_name         TEXT    NOT NULL,
    buyer_email        TEXT,
    cycle              TEXT    NOT NULL,            -- domain::subscription::Cycle::code ('1m', '2w')
    billing_day        INTEGER NOT NULL CHECK (billing_day BETWEEN 1 AND 31),
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    fees_to_be_advised INTEGER NOT NULL CHECK (fees_to_be_advised IN (0, 1)),
    contract_end       TEXT,
    next_renewal_date  TEXT    NOT NULL,
    next_cycle_index   INTEGER NOT NULL CHECK (next_cycle_index >= 0),
    status             TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'ended')),
    capture_mode       TEXT    NOT NULL CHECK (capture_mode IN ('authorize_only', 'authorize_and_capture')),
    -- The order of the first purchase, when the subscription came from one.
    first_order_id     INTEGER REFERENCES orders (id),
    -- Why the next renewal is not attempted (domain RenewalBlock), shown on the subscription.
    block_code         TEXT,
    block_ja           TEXT,
    block_en           TEXT,
    blocked_at         INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (status, next_renewal_date);
CREATE INDEX subscriptions_card ON subscriptions (customer_id, customer_card_id);
CREATE INDEX subscriptions_buyer_name ON subscriptions (buyer_name);

-- The stored card as the gateway (027) last reported it. expiry_index = year * 12 + month - 1
-- so the dashboard's state filters are integer ranges.
CREATE TABLE stored_cards (
    customer_id       TEXT    NOT NULL,
    customer_card_id  TEXT    NOT NULL,
    expiry_year       INTEGER,
    expiry_month      INTEGER CHECK (expiry_month BETWEEN 1 AND 12),
    expiry_index      INTEGER,
    last4             TEXT,
    refreshed_at      INTEGER,
    -- When the expiry last changed (the buyer updated the card).
    updated_card_at   INTEGER,
    PRIMARY KEY (customer_id, customer_card_id)
) WITHOUT ROWID;
CREATE INDEX stored_cards_expiry ON stored_cards (expiry_index);

-- One row per renewal cycle PayDesk recorded: the renewal journal. The key (and the pair
-- subscription/cycle) is unique, so a cycle is never authorized twice.
CREATE TABLE subscription_cycles (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id),
    cycle_index      INTEGER NOT NULL,
    key              TEXT    NOT NULL UNIQUE,
    order_number     TEXT    NOT NULL,
    renewal_date     TEXT    NOT NULL,
    amount           INTEGER NOT NULL,
    capture_mode     TEXT    NOT NULL CHECK (capture_mode IN ('authorize_only', 'authorize_and_capture')),
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'unknown', 'authorized', 'failed', 'missed')),
    late             INTEGER NOT NULL CHECK (late IN (0, 1)),
    order_id         INTEGER REFERENCES orders (id),
    error_code       TEXT,
    error_detail     TEXT,
    -- The shop's choices after a failure (domain FailedRenewalChoiceKind codes).
    order_choice     TEXT,
    payment_method_label TEXT,
    future_choice    TEXT,
    recovered        INTEGER NOT NULL DEFAULT 0 CHECK (recovered IN (0, 1)),
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    settled_at       INTEGER,
    UNIQUE (subscription_id, cycle_index)
);
CREATE INDEX subscription_cycles_state ON subscription_cycles (state);
CREATE INDEX subscription_cycles_date ON subscription_cycles (renewal_date);

-- Reminders a buyer actually received (written when the mail is sent).
CREATE TABLE outreach_log (
    id               INTEGER PRIMARY KEY,
    customer_id      TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('expiring_soon', 'expired')),
    card_expiry      TEXT,
    subscription_id  INTEGER REFERENCES subscriptions (id),
    mail_id          INTEGER,
    sent_at          INTEGER NOT NULL
);
CREATE INDEX outreach_log_customer ON outreach_log (customer_id, kind, sent_at);

-- Outgoing e-mail: queued -> sent, or failed (with the error, retried, always visible).
CREATE TABLE mail_queue (
    id               INTEGER PRIMARY KEY,
    purpose          TEXT    NOT NULL CHECK (purpose IN ('reminder', 'monthly_summary', 'other')),
    reminder_kind    TEXT    CHECK (reminder_kind IN ('expiring_soon', 'expired')),
    customer_id      TEXT,
    subscription_id  INTEGER REFERENCES subscriptions (id),
    card_expiry      TEXT,
    to_address       TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'discarded')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    CHECK ((purpose = 'reminder') = (reminder_kind IS NOT NULL AND customer_id IS NOT NULL))
);
CREATE INDEX mail_queue_state ON mail_queue (state, next_attempt_at);
-- At most one unsent reminder of a kind per buyer.
CREATE UNIQUE INDEX mail_queue_one_open_reminder ON mail_queue (customer_id, reminder_kind)
    WHERE purpose = 'reminder' AND state IN ('queued', 'failed');

-- The shop's edited copies of the fixed templates (absent = the built-in text).
CREATE TABLE email_templates (
    kind        TEXT    NOT NULL CHECK (kind IN ('expiring_soon', 'expired')),
    language    TEXT    NOT NULL CHECK (language IN ('ja', 'en')),
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, language)
) WITHOUT ROWID;

-- Desktop notifications the shop turned off or on (absent = on).
CREATE TABLE notification_preferences (
    kind     TEXT    PRIMARY KEY CHECK (kind IN ('renewal_failed', 'card_digest', 'capture_deadline')),
    enabled  INTEGER NOT NULL CHECK (enabled IN (0, 1))
) WITHOUT ROWID;
