//! Bulk capture's storage: the unprocessed list (未処理一覧), the run journal (a run and
//! its items, written before anything is sent), the operation log (操作ログ) and each
//! run's detailed log (詳細ログ).
//!
//! Layout: [`UnprocessedQuery`] / [`Store::unprocessed_list`] page the list in SQL over
//! `orders` by deadline, most urgent first (partial index `orders_unprocessed_deadline`,
//! `crate::orders::deadline_page`), each row with its
//! `domain::bulk::Eligibility` and last bulk failure; [`Store::bulk_candidates`] reads a
//! selection for `domain::bulk::validate_selection`; [`Store::begin_run`],
//! [`Store::record_item_result`], [`Store::set_item_operation_key`] and
//! [`Store::finish_run`] journal a run; [`Store::unfinished_runs`] lists what a crash left
//! open; [`Store::operation_log`] and [`Store::run_detail`] read the logs.
//!
//! Invariants: an item's settled result and its line in the order's history are written in
//! one transaction, once (a settled item is never rewritten); pruning the operation log
//! deletes old finished runs and their items only, never history lines or unfinished runs.

use chrono::{DateTime, Utc};
use domain::bulk::{
    Candidate, Eligibility, ItemState, RequestedBy, RunId, RunPlan, SkipReason, item_line,
};
use domain::{
    Actor, CaptureMode, OperationKey, OrderId, OrderList, PaymentMethod, PaymentStatus, RULES,
    Text, Yen,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::journal::{FailureLine, JournalOutcome};
use crate::orders::{ORDER_COLUMNS, OrderRow, Page, order_row, search_clause};
use crate::{Error, Result, Store, decode, from_ms, from_ms_opt, ms};

/// One page request of the unprocessed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnprocessedQuery {
    /// Only this payment method.
    pub method: Option<PaymentMethod>,
    /// Only orders in this workflow list (`None`: all three, as the list shows by default).
    pub list: Option<OrderList>,
    /// Only orders that can be selected now: hides authorize-and-capture orders waiting
    /// for their automatic capture, orders past their capture deadline and orders with an
    /// unsettled operation.
    pub selectable_only: bool,
    /// Only orders whose newest bulk capture failed.
    pub failed_only: bool,
    /// Only orders with a tracking number (capture on shipment).
    pub shipped_only: bool,
    /// Transaction ID (prefix), order number (prefix), buyer name (prefix; substring from 3
    /// characters) or amount, as in the order lists.
    pub search: Option<String>,
    /// Zero-based page number.
    pub page: u32,
    /// Rows per page (at least 1).
    pub page_size: u32,
    /// The time the window and deadlines are evaluated at.
    pub now: DateTime<Utc>,
}

impl UnprocessedQuery {
    /// The first page, 50 rows, no filters.
    pub fn new(now: DateTime<Utc>) -> UnprocessedQuery {
        UnprocessedQuery {
            method: None,
            list: None,
            selectable_only: false,
            failed_only: false,
            shipped_only: false,
            search: None,
            page: 0,
            page_size: 50,
            now,
        }
    }
}

/// An order's newest bulk capture that failed (it stays in the unprocessed list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastFailure {
    /// The run.
    pub run: RunId,
    /// The gateway's code.
    pub code: String,
    /// The card vendor's detail code, if any.
    pub detail: Option<String>,
    /// The detailed-log line (code and the dictionary's plain explanation).
    pub line: Text,
    /// When it failed.
    pub at: DateTime<Utc>,
}

/// One row of the unprocessed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnprocessedRow {
    /// The order, its key and deadline.
    pub row: OrderRow,
    /// Selectable, waiting for automatic capture, or why not (domain rules at the query's
    /// `now`, including an unsettled operation).
    pub eligibility: Eligibility,
    /// The order has an open journal entry.
    pub operation_unsettled: bool,
    /// Its newest bulk capture, if that failed.
    pub last_failure: Option<LastFailure>,
}

/// How a run stands in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// In progress; found so at start, the app closed or crashed during the run.
    Running,
    /// Every order was settled during the run.
    Finished,
    /// The run ended with orders whose outcome is unknown (settle them by inquiry).
    Interrupted,
    /// The run was running or interrupted; recovery settled every order afterwards.
    Settled,
}

impl RunStatus {
    /// Every status.
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Running,
        RunStatus::Finished,
        RunStatus::Interrupted,
        RunStatus::Settled,
    ];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Settled => "settled",
        }
    }

    /// The status for a code.
    pub fn from_code(code: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether crash recovery still has to settle the run.
    pub fn is_unfinished(self) -> bool {
        matches!(self, RunStatus::Running | RunStatus::Interrupted)
    }
}

/// How a run ended, as the caller tells [`Store::finish_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// The run itself went through all its orders (possibly stopped by a credentials
    /// error, whose code is kept for the per-run message).
    Ran {
        /// The credentials error that stopped the run.
        stopped_by: Option<String>,
    },
    /// Crash recovery settled the run's open orders.
    Recovered,
}

/// One run in the operation log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run.
    pub id: RunId,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (or was last settled).
    pub finished_at: Option<DateTime<Utc>>,
    /// How it stands.
    pub status: RunStatus,
    /// The app or the command line.
    pub requested_by: RequestedBy,
    /// Orders in the run.
    pub item_count: u32,
    /// The planned total.
    pub total_amount: Yen,
    /// Orders captured.
    pub succeeded: u32,
    /// Orders the gateway refused.
    pub failed: u32,
    /// Orders not captured for another reason.
    pub skipped: u32,
    /// Orders not settled yet.
    pub open: u32,
    /// Of those, orders whose outcome is unknown (the answer was lost; settled by an
    /// inquiry, never resent).
    pub unknown: u32,
    /// The sum captured.
    pub captured_amount: Yen,
    /// The credentials error that stopped the run.
    pub stop_code: Option<String>,
}

/// Where an item stands, as stored (the codes of `domain::bulk::ItemState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemStatus {
    /// Not being sent.
    Pending,
    /// Being sent.
    InFlight,
    /// Outcome unknown.
    Unknown,
    /// Captured.
    Succeeded,
    /// Refused by the gateway.
    Failed,
    /// Not captured for another reason.
    Skipped,
}

impl ItemStatus {
    /// Every status.
    pub const ALL: [ItemStatus; 6] = [
        ItemStatus::Pending,
        ItemStatus::InFlight,
        ItemStatus::Unknown,
        ItemStatus::Succeeded,
        ItemStatus::Failed,
        ItemStatus::Skipped,
    ];

    /// The stable code (equal to `ItemState::code`).
    pub fn code(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::InFlight => "in_flight",
            ItemStatus::Unknown => "unknown",
            ItemStatus::Succeeded => "succeeded",
            ItemStatus::Failed => "failed",
            ItemStatus::Skipped => "skipped",
        }
    }

    /// The status for a code.
    pub fn from_code(code: &str) -> Option<ItemStatus> {
        ItemStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One order's line in a run's detailed log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunItemRow {
    /// The order.
    pub order_id: OrderId,
    /// Its place in the run.
    pub position: u32,
    /// As planned.
    pub order_number: String,
    /// The transaction ID the capture named.
    pub payment_id: String,
    /// The amount to capture.
    pub amount: Yen,
    /// Where it stands.
    pub status: ItemStatus,
    /// Captures handed to the network.
    pub attempts: u32,
    /// The order's operation-journal key for this capture.
    pub operation_key: Option<OperationKey>,
    /// Failed: the gateway's code; unknown: the code that left it open; skipped by a
    /// stopped run: the credentials code.
    pub error_code: Option<String>,
    /// The card vendor's detail code.
    pub error_detail: Option<String>,
    /// Skipped: why (`SkipReason::code`).
    pub skip_reason: Option<String>,
    /// The detailed-log line ("正常終了" / "エラーコード: xxx" ...), once settled.
    pub line: Option<Text>,
    /// When it was settled.
    pub settled_at: Option<DateTime<Utc>>,
}

/// A run's detailed log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDetail {
    /// The run.
    pub summary: RunSummary,
    /// Its orders, by position.
    pub items: Vec<RunItemRow>,
}

/// An item that crash recovery must settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    /// The order.
    pub order_id: OrderId,
    /// Its place in the run.
    pub position: u32,
    /// The amount to capture.
    pub amount: Yen,
    /// The transaction ID the capture named (inquire this one).
    pub payment_id: String,
    /// The state as last written (pending, in flight or unknown).
    pub state: ItemState,
    /// The order's operation-journal key for this capture, if it got one.
    pub operation_key: Option<OperationKey>,
}

/// A run that is not done: found running (crash) or interrupted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedRun {
    /// The run.
    pub summary: RunSummary,
    /// Its items that are not settled, by position.
    pub open_items: Vec<OpenItem>,
}

/// The state of the order's newest bulk item (a correlated subquery over
/// `bulk_run_items_order`).
const NEWEST_ITEM: &str = "(SELECT i.run_id FROM bulk_run_items i WHERE i.order_id = o.id \
    ORDER BY i.run_id DESC LIMIT 1)";

/// Whether the order has an open journal entry (uses `operation_journal_one_open`).
const OPERATION_OPEN: &str = "EXISTS (SELECT 1 FROM operation_journal j WHERE j.order_id = o.id \
    AND j.state IN ('pending', 'sent', 'unknown'))";

/// The WHERE clause and parameters of the unprocessed list. The status and outside-change
/// terms are literals so SQLite can use the partial index.
fn unprocessed_where(query: &UnprocessedQuery) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = Vec::new();
    let mut param = |v: Value| {
        values.push(v);
        format!("?{}", values.len())
    };
    let window_start = param(Value::Integer(
        ms(query.now - RULES.unprocessed_list_window),
    ));
    let mut clauses = vec![
        format!("o.status = '{}'", PaymentStatus::Authorized.code()),
        "o.outside_change = 0".to_owned(),
        format!("coalesce(o.authorized_at, o.ordered_at) > {window_start}"),
    ];
    if let Some(method) = query.method {
        clauses.push(format!(
            "o.method = {}",
            param(Value::Text(method.code().into()))
        ));
    }
    if let Some(list) = query.list {
        clauses.push(format!(
            "o.list = {}",
            param(Value::Text(list.code().into()))
        ));
    }
    if query.selectable_only {
        let now = param(Value::Integer(ms(query.now)));
        clauses.push(format!(
            "o.capture_mode = '{}' AND o.deadline_kind = 'capture' AND o.deadline_at > {now} AND NOT {OPERATION_OPEN}",
            CaptureMode::AuthorizeOnly.code()
        ));
    }
    if query.failed_only {
        clauses.push(format!(
            "(SELECT f.state FROM bulk_run_items f WHERE f.order_id = o.id AND f.run_id = {NEWEST_ITEM}) = 'failed'"
        ));
    }
    if query.shipped_only {
        clauses.push("EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id)".to_owned());
    }
    clauses.extend(search_clause(query.search.as_deref(), &mut param));
    (format!("WHERE {}", clauses.join(" AND ")), values)
}

/// The list always walks its partial index by deadline, stopping at the page's end,
/// whatever the filters (the index holds only authorized orders).
const UNPROCESSED_FROM: &str = "FROM orders o INDEXED BY orders_unprocessed_deadline";

/// Rows with the same deadline: the earlier payment first (the deadline index's order).
const UNPROCESSED_TIES: &[&str] = &["coalesce(o.authorized_at, o.ordered_at)", "o.id"];

/// The columns after [`ORDER_COLUMNS`] in an unprocessed-list row.
const UNPROCESSED_EXTRA: &str =
    "f.run_id, f.state, f.error_code, f.error_detail, f.line_ja, f.line_en, f.settled_at";

fn unprocessed_row(row: &Row<'_>, now: DateTime<Utc>) -> rusqlite::Result<UnprocessedRow> {
    let order = order_row(row)?;
    let operation_unsettled: bool = row.get(20)?;
    let state: Option<String> = row.get(22)?;
    let last_failure = match (state.as_deref(), row.get::<_, Option<String>>(23)?) {
        (Some("failed"), Some(code)) => Some(LastFailure {
            run: RunId(row.get(21)?),
            code,
            detail: row.get(24)?,
            line: Text {
                ja: row.get::<_, Option<String>>(25)?.unwrap_or_default(),
                en: row.get::<_, Option<String>>(26)?.unwrap_or_default(),
            },
            at: from_ms(row.get(27)?)?,
        }),
        _ => None,
    };
    let candidate = Candidate {
        id: order.id,
        order: order.order.clone(),
        operation_unsettled,
    };
    Ok(UnprocessedRow {
        eligibility: candidate.eligibility(now, &RULES),
        row: order,
        operation_unsettled,
        last_failure,
    })
}

const RUN_SUMMARY_SQL: &str = "SELECT r.id, r.started_at, r.finished_at, r.state, r.requested_by, \
    r.item_count, r.total_amount, \
    (SELECT count(*) FROM bulk_run_items i WHERE i.run_id = r.id AND i.state = 'succeeded'), \
    (SELECT count(*) FROM bulk_run_items i WHERE i.run_id = r.id AND i.state = 'failed'), \
    (SELECT count(*) FROM bulk_run_items i WHERE i.run_id = r.id AND i.state = 'skipped'), \
    (SELECT count(*) FROM bulk_run_items i WHERE i.run_id = r.id \
        AND i.state IN ('pending', 'in_flight', 'unknown')), \
    (SELECT coalesce(sum(i.amount), 0) FROM bulk_run_items i WHERE i.run_id = r.id \
        AND i.state = 'succeeded'), \
    r.stop_code, \
    (SELECT count(*) FROM bulk_run_items i WHERE i.run_id = r.id AND i.state = 'unknown') \
    FROM bulk_runs r";

fn run_summary(row: &Row<'_>) -> rusqlite::Result<RunSummary> {
    let status: String = row.get(3)?;
    let requested_by: String = row.get(4)?;
    Ok(RunSummary {
        id: RunId(row.get(0)?),
        started_at: from_ms(row.get(1)?)?,
        finished_at: from_ms_opt(row.get(2)?)?,
        status: decode(3, &status, RunStatus::from_code)?,
        requested_by: decode(4, &requested_by, RequestedBy::from_code)?,
        item_count: row.get(5)?,
        total_amount: Yen(row.get(6)?),
        succeeded: row.get(7)?,
        failed: row.get(8)?,
        skipped: row.get(9)?,
        open: row.get(10)?,
        captured_amount: Yen(row.get(11)?),
        stop_code: row.get(12)?,
        unknown: row.get(13)?,
    })
}

const ITEM_COLUMNS: &str = "order_id, position, order_number, payment_id, amount, state, attempts, \
    operation_key, error_code, error_detail, skip_reason, line_ja, line_en, settled_at, inquiries";

fn item_row(row: &Row<'_>) -> rusqlite::Result<RunItemRow> {
    let status: String = row.get(5)?;
    let line_ja: Option<String> = row.get(11)?;
    let line_en: Option<String> = row.get(12)?;
    Ok(RunItemRow {
        order_id: OrderId(row.get(0)?),
        position: row.get(1)?,
        order_number: row.get(2)?,
        payment_id: row.get(3)?,
        amount: Yen(row.get(4)?),
        status: decode(5, &status, ItemStatus::from_code)?,
        attempts: row.get(6)?,
        operation_key: row.get::<_, Option<String>>(7)?.map(OperationKey),
        error_code: row.get(8)?,
        error_detail: row.get(9)?,
        skip_reason: row.get(10)?,
        line: match (line_ja, line_en) {
            (Some(ja), Some(en)) => Some(Text { ja, en }),
            _ => None,
        },
        settled_at: from_ms_opt(row.get(13)?)?,
    })
}

fn get_run(conn: &Connection, run: RunId) -> Result<Option<RunSummary>> {
    Ok(conn
        .query_row(
            &format!("{RUN_SUMMARY_SQL} WHERE r.id = ?1"),
            [run.0],
            run_summary,
        )
        .optional()?)
}

fn run_items(conn: &Connection, run: RunId, open_only: bool) -> Result<Vec<(RunItemRow, u32)>> {
    let filter = if open_only {
        "AND state IN ('pending', 'in_flight', 'unknown')"
    } else {
        ""
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM bulk_run_items WHERE run_id = ?1 {filter} ORDER BY position"
    ))?;
    let rows = stmt.query_map([run.0], |r| Ok((item_row(r)?, r.get(14)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes an item's new state inside the caller's transaction (see
/// [`Store::record_item_result`]).
fn record_item_in(
    tx: &Connection,
    run: RunId,
    order: OrderId,
    state: &ItemState,
    now: DateTime<Utc>,
) -> Result<bool> {
    let current: String = tx
        .query_row(
            "SELECT state FROM bulk_run_items WHERE run_id = ?1 AND order_id = ?2",
            params![run.0, order.0],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| item_not_found(run, order))?;
    if matches!(current.as_str(), "succeeded" | "failed" | "skipped") {
        return Ok(false);
    }
    let (error_code, error_detail, skip_reason, inquiries) = match state {
        ItemState::Failed { code, detail } => (Some(code.as_str()), detail.as_deref(), None, None),
        ItemState::Unknown {
            inquiries,
            last_code,
            ..
        } => (last_code.as_deref(), None, None, Some(*inquiries)),
        ItemState::Skipped { reason } => {
            let code = match reason {
                SkipReason::RunStopped { code } => Some(code.as_str()),
                _ => None,
            };
            (code, None, Some(reason.code()), None)
        }
        _ => (None, None, None, None),
    };
    let line = item_line(state);
    tx.execute(
        "UPDATE bulk_run_items SET state = ?3, attempts = coalesce(?4, attempts),
                 inquiries = coalesce(?5, inquiries), error_code = ?6, error_detail = ?7,
                 skip_reason = ?8, line_ja = ?9, line_en = ?10, settled_at = ?11
             WHERE run_id = ?1 AND order_id = ?2",
        params![
            run.0,
            order.0,
            state.code(),
            state.attempts(),
            inquiries,
            error_code,
            error_detail,
            skip_reason,
            line.as_ref().map(|l| l.ja.as_str()),
            line.as_ref().map(|l| l.en.as_str()),
            line.as_ref().map(|_| ms(now)),
        ],
    )?;
    if let Some(line) = &line {
        crate::history::append(tx, order, now, Actor::PayDesk, line)?;
    }
    Ok(true)
}

/// The error for a run item that does not exist.
fn item_not_found(run: RunId, order: OrderId) -> Error {
    Error::JournalEntryNotFound(format!("bulk-{}-order-{}", run.0, order.0))
}

/// Deletes finished runs beyond the operation log's length, with their items. History
/// lines stay; unfinished runs stay until recovery settles them.
fn prune(conn: &Connection) -> Result<()> {
    let keep = RULES.operation_log_runs as i64;
    conn.execute(
        "DELETE FROM bulk_run_items WHERE run_id IN (
             SELECT id FROM bulk_runs WHERE state IN ('finished', 'settled')
                 AND id NOT IN (SELECT id FROM bulk_runs ORDER BY id DESC LIMIT ?1))",
        [keep],
    )?;
    conn.execute(
        "DELETE FROM bulk_runs WHERE state IN ('finished', 'settled')
             AND id NOT IN (SELECT id FROM bulk_runs ORDER BY id DESC LIMIT ?1)",
        [keep],
    )?;
    Ok(())
}

impl Store {
    /// One page of the unprocessed list: authorized orders (authorize-only ones
    /// selectable, authorize-and-capture ones flagged as waiting for their automatic
    /// capture) in every workflow list, not changed outside PayDesk, paid within the
    /// window; the most urgent capture deadline first, then those already passed (see
    /// `crate::orders::deadline_page`).
    pub fn unprocessed_list(&self, query: &UnprocessedQuery) -> Result<Page<UnprocessedRow>> {
        let (filter, values) = unprocessed_where(query);
        let page_size = query.page_size.max(1);
        let columns = format!("{ORDER_COLUMNS}, {OPERATION_OPEN}, {UNPROCESSED_EXTRA}");
        let from = format!(
            "{UNPROCESSED_FROM}
             LEFT JOIN bulk_run_items f ON f.order_id = o.id AND f.run_id = {NEWEST_ITEM}"
        );
        let (items, total) = crate::orders::deadline_page(
            &self.conn,
            &crate::orders::DeadlineQuery {
                columns: &columns,
                count_from: UNPROCESSED_FROM,
                from: &from,
                dense_from: None,
                filter: &filter,
                values: &values,
                ties: UNPROCESSED_TIES,
                now: query.now,
                offset: u64::from(query.page) * u64::from(page_size),
                limit: u64::from(page_size),
            },
            |r| unprocessed_row(r, query.now),
        )?;
        Ok(Page {
            items,
            total,
            page: query.page,
            page_size,
        })
    }

    /// "Select all": the selectable orders matching the query's filters and search (all
    /// pages), the most urgent capture deadline first, at most `limit` (ask for one more than a run takes to
    /// tell the shop owner the matches exceed it).
    pub fn unprocessed_selectable_ids(
        &self,
        query: &UnprocessedQuery,
        limit: usize,
    ) -> Result<Vec<OrderId>> {
        let query = UnprocessedQuery {
            selectable_only: true,
            ..query.clone()
        };
        let (filter, values) = unprocessed_where(&query);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT o.id {UNPROCESSED_FROM} {filter}
             ORDER BY o.deadline_at ASC, coalesce(o.authorized_at, o.ordered_at) ASC, o.id ASC
             LIMIT {limit}"
        ))?;
        let rows = stmt.query_map(params_from_iter(values.iter()), |r| Ok(OrderId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Reads the selected orders (in selection order, duplicates kept) with whether each
    /// has an unsettled operation, for `domain::bulk::validate_selection`.
    pub fn bulk_candidates(&self, ids: &[OrderId]) -> Result<Vec<Candidate>> {
        ids.iter()
            .map(|&id| {
                let order =
                    crate::orders::get_order(&self.conn, id)?.ok_or(Error::OrderNotFound(id.0))?;
                let operation_unsettled = crate::journal::open_for_order(&self.conn, id)?.is_some();
                Ok(Candidate {
                    id,
                    order,
                    operation_unsettled,
                })
            })
            .collect()
    }

    /// Journals a run before anything is sent: the run (running) and one pending item per
    /// planned capture, in plan order. Prunes the operation log to its length in the same
    /// transaction.
    pub fn begin_run(
        &mut self,
        plan: &RunPlan,
        requested_by: RequestedBy,
        now: DateTime<Utc>,
    ) -> Result<RunId> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO bulk_runs (started_at, state, requested_by, item_count, total_amount)
             VALUES (?1, 'running', ?2, ?3, ?4)",
            params![
                ms(now),
                requested_by.code(),
                plan.orders.len() as i64,
                plan.total_yen.0
            ],
        )?;
        let run = RunId(tx.last_insert_rowid());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO bulk_run_items (run_id, position, order_id, order_number, payment_id, amount, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
            )?;
            for (position, capture) in (0i64..).zip(&plan.orders) {
                insert.execute(params![
                    run.0,
                    position,
                    capture.id.0,
                    capture.order_number,
                    capture.plan.payment_id,
                    capture.amount.0
                ])?;
            }
        }
        prune(&tx)?;
        tx.commit()?;
        Ok(run)
    }

    /// Links an item to the order's operation-journal entry for its capture.
    pub fn set_item_operation_key(
        &mut self,
        run: RunId,
        order: OrderId,
        key: &OperationKey,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE bulk_run_items SET operation_key = ?3 WHERE run_id = ?1 AND order_id = ?2",
            params![run.0, order.0, key.0],
        )?;
        if n == 0 {
            return Err(item_not_found(run, order));
        }
        Ok(())
    }

    /// Writes an item's new state. A settled state (succeeded, failed, skipped) also writes
    /// the detailed-log line and appends the same line to the order's history, in one
    /// transaction. Returns `false` (and writes nothing) when the item is already settled:
    /// a result is recorded once.
    pub fn record_item_result(
        &mut self,
        run: RunId,
        order: OrderId,
        state: &ItemState,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let written = record_item_in(&tx, run, order, state, now)?;
        tx.commit()?;
        Ok(written)
    }

    /// Writes an item's new state (as [`Store::record_item_result`]) and, in the same
    /// transaction, settles the order's operation-journal entry for the capture with
    /// `journal` (when given and still open). A journal failure writes no "operation
    /// failed" history line: the item's detailed-log line is the order's one line about
    /// it. Returns whether the item was written.
    pub fn settle_item(
        &mut self,
        run: RunId,
        order: OrderId,
        state: &ItemState,
        journal: Option<(&OperationKey, &JournalOutcome)>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        if let Some((key, outcome)) = journal
            && crate::journal::open_for_key(&tx, key)?
        {
            crate::journal::settle_in(&tx, key, outcome, FailureLine::Omit, now)?;
        }
        let written = record_item_in(&tx, run, order, state, now)?;
        tx.commit()?;
        Ok(written)
    }

    /// Whether an unsettled bulk-capture item owns this operation-journal entry: the run
    /// (or its recovery) settles it, nobody else.
    pub fn bulk_item_open_for_key(&self, key: &OperationKey) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM bulk_run_items WHERE operation_key = ?1
                 AND state IN ('pending', 'in_flight', 'unknown') LIMIT 1",
                [&key.0],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Ends a run: finished (or settled, after recovery) when every item is settled,
    /// interrupted while some outcome is still open. Returns the new status; a run already
    /// finished or settled is left as it is.
    pub fn finish_run(
        &mut self,
        run: RunId,
        end: &RunEnd,
        now: DateTime<Utc>,
    ) -> Result<RunStatus> {
        let tx = self.conn.transaction()?;
        let summary = get_run(&tx, run)?
            .ok_or_else(|| Error::JournalEntryNotFound(format!("bulk-{}", run.0)))?;
        if !summary.status.is_unfinished() {
            return Ok(summary.status);
        }
        let status = match end {
            _ if summary.open > 0 => RunStatus::Interrupted,
            RunEnd::Ran { .. } => RunStatus::Finished,
            RunEnd::Recovered => RunStatus::Settled,
        };
        let stop_code = match end {
            RunEnd::Ran { stopped_by } => stopped_by.as_deref(),
            RunEnd::Recovered => None,
        };
        tx.execute(
            "UPDATE bulk_runs SET state = ?2, finished_at = ?3, stop_code = coalesce(?4, stop_code)
             WHERE id = ?1",
            params![run.0, status.code(), ms(now), stop_code],
        )?;
        tx.commit()?;
        Ok(status)
    }

    /// The runs crash recovery must settle (running at start, or interrupted), oldest
    /// first, each with its unsettled items.
    pub fn unfinished_runs(&self) -> Result<Vec<UnfinishedRun>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{RUN_SUMMARY_SQL} WHERE r.state IN ('running', 'interrupted') ORDER BY r.id"
        ))?;
        let runs = stmt
            .query_map([], run_summary)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        runs.into_iter()
            .map(|summary| {
                let open_items = run_items(&self.conn, summary.id, true)?
                    .into_iter()
                    .map(|(item, inquiries)| {
                        let state = match item.status {
                            ItemStatus::Pending => ItemState::Pending {
                                attempts: item.attempts,
                            },
                            ItemStatus::InFlight => ItemState::InFlight {
                                attempt: item.attempts,
                            },
                            _ => ItemState::Unknown {
                                attempts: item.attempts,
                                inquiries,
                                last_code: item.error_code.clone(),
                            },
                        };
                        OpenItem {
                            order_id: item.order_id,
                            position: item.position,
                            amount: item.amount,
                            payment_id: item.payment_id,
                            state,
                            operation_key: item.operation_key,
                        }
                    })
                    .collect();
                Ok(UnfinishedRun {
                    summary,
                    open_items,
                })
            })
            .collect()
    }

    /// The operation log: the newest runs first, at most `limit`.
    pub fn operation_log(&self, limit: usize) -> Result<Vec<RunSummary>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{RUN_SUMMARY_SQL} ORDER BY r.id DESC LIMIT ?1"))?;
        let rows = stmt.query_map([limit as i64], run_summary)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A run's detailed log; `None` for an unknown (or pruned) run.
    pub fn run_detail(&self, run: RunId) -> Result<Option<RunDetail>> {
        let Some(summary) = get_run(&self.conn, run)? else {
            return Ok(None);
        };
        let items = run_items(&self.conn, run, false)?
            .into_iter()
            .map(|(item, _)| item)
            .collect();
        Ok(Some(RunDetail { summary, items }))
    }
}
