-- PayDesk store, version 2: bulk capture (売上確定一括処理).
-- A run is written before its first capture is sent; each item's state is written before
-- the capture is handed to the network and after its outcome is known, so a crash leaves
-- enough to settle every order by inquiry at the next start. The operation log keeps the
-- newest runs (domain::RULES.operation_log_runs); older finished runs are pruned with their
-- items, while each order's own history lines stay (order_history is append-only).

CREATE TABLE bulk_runs (
    id            INTEGER PRIMARY KEY,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    -- running: in progress (found so at start: the app closed or crashed);
    -- finished: every order settled during the run;
    -- interrupted: ended with orders whose outcome is still unknown;
    -- settled: was running or interrupted, then every order was settled by inquiry.
    state         TEXT    NOT NULL CHECK (state IN ('running', 'finished', 'interrupted', 'settled')),
    requested_by  TEXT    NOT NULL CHECK (requested_by IN ('app', 'cli')),
    -- Totals of the plan (the confirmation screen's count and sum).
    item_count    INTEGER NOT NULL CHECK (item_count > 0),
    total_amount  INTEGER NOT NULL CHECK (total_amount >= 0),
    -- The credentials error that stopped the run, if one did.
    stop_code     TEXT
);
-- Crash recovery at start looks up the runs that are not done.
CREATE INDEX bulk_runs_unfinished ON bulk_runs (state) WHERE state IN ('running', 'interrupted');

CREATE TABLE bulk_run_items (
    run_id         INTEGER NOT NULL REFERENCES bulk_runs (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL CHECK (position >= 0),
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    -- As planned: the log shows them even if the order changes later.
    order_number   TEXT    NOT NULL,
    payment_id     TEXT    NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount >= 0),
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'in_flight', 'unknown', 'succeeded', 'failed', 'skipped')),
    -- Captures handed to the network so far.
    attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Inquiries that did not settle an unknown outcome.
    inquiries      INTEGER NOT NULL DEFAULT 0 CHECK (inquiries >= 0),
    -- The order's operation-journal key for this capture (operation_journal.key).
    operation_key  TEXT,
    -- failed: the gateway's code and vendor detail; unknown: the code that left it open;
    -- skipped: the code that stopped the run (run_stopped).
    error_code     TEXT,
    error_detail   TEXT,
    -- skipped: why (domain::bulk::SkipReason::code).
    skip_reason    TEXT,
    -- The detailed-log line, also appended to the order's history (settled items only).
    line_ja        TEXT,
    line_en        TEXT,
    settled_at     INTEGER,
    PRIMARY KEY (run_id, position),
    UNIQUE (run_id, order_id),
    CHECK ((state IN ('succeeded', 'failed', 'skipped')) = (settled_at IS NOT NULL AND line_ja IS NOT NULL AND line_en IS NOT NULL))
) WITHOUT ROWID;
-- An order's newest bulk result (the unprocessed list shows a failure's code and line).
CREATE INDEX bulk_run_items_order ON bulk_run_items (order_id, run_id DESC);

-- The unprocessed list: authorized ('20') orders not changed outside PayDesk, newest payment
-- first, within the window from payment. Partial, so it stays small.
CREATE INDEX orders_unprocessed ON orders (coalesce(authorized_at, ordered_at) DESC, id DESC)
    WHERE status = '20' AND outside_change = 0;
