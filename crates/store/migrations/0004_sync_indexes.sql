-- PayDesk store, version 4: indexes for applying gateway reports and the home screen.

-- The home screen counts orders showing an outside-change banner; few orders do, so a
-- partial index keeps the count cheap at 100,000 orders.
CREATE INDEX orders_outside_change ON orders (id) WHERE outside_change = 1;

-- Applying a report looks up when PayDesk sent the order's last confirmed operation (a
-- record made before it is stale, see domain::reconcile).
CREATE INDEX operation_journal_order ON operation_journal (order_id, state, sent_at);
