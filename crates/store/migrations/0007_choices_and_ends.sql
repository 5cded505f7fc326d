-- PayDesk store, version 5: when a subscription ended (and what it was before, so the end
-- can be undone), which e-mail a failed renewal's "ask the buyer" choice queued (the choice
-- is done only once that mail is sent), and a lookup from an order to its renewal cycle.

ALTER TABLE subscriptions ADD COLUMN ended_at INTEGER;
ALTER TABLE subscriptions ADD COLUMN status_before_end TEXT
    CHECK (status_before_end IN ('active', 'paused'));

-- Every path that ends a subscription (the subscription screen, a failed renewal's choice,
-- the import) records when; every path that revives one clears it. A trigger keeps the
-- paths from forgetting.
CREATE TRIGGER subscriptions_ended AFTER UPDATE OF status ON subscriptions
    WHEN NEW.status = 'ended' AND OLD.status <> 'ended'
BEGIN
    UPDATE subscriptions SET ended_at = NEW.updated_at, status_before_end = OLD.status
     WHERE id = NEW.id;
END;
CREATE TRIGGER subscriptions_revived AFTER UPDATE OF status ON subscriptions
    WHEN NEW.status <> 'ended' AND OLD.status = 'ended'
BEGIN
    UPDATE subscriptions SET ended_at = NULL, status_before_end = NULL WHERE id = NEW.id;
END;
UPDATE subscriptions SET ended_at = updated_at WHERE status = 'ended';

ALTER TABLE subscription_cycles ADD COLUMN reminder_mail_id INTEGER REFERENCES mail_queue (id);
CREATE INDEX subscription_cycles_order ON subscription_cycles (order_id) WHERE order_id IS NOT NULL;
