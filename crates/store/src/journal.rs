//! The operation journal: an operation is written down before it is sent; its outcome is
//! settled afterwards (from the gateway's answer, or from a 094 inquiry after a timeout or
//! crash). At most one operation per order is open at a time (a partial unique index).

use chrono::{DateTime, Utc};
use domain::{
    Actor, JournalState, Operation, OperationKey, OperationKind, OrderId, PaymentStatus,
    PendingOperation, Plan, Reconciliation, StatusReport, TelegramKind, Yen, reconcile,
};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};

use crate::{Error, Result, Store, decode, from_ms, from_ms_opt, ms};

/// How an operation ended, as the caller learned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalOutcome {
    /// The gateway did it; the report describes the payment afterwards (from the telegram's
    /// answer, see `domain::journal::success_report`, or from a 094 inquiry).
    Succeeded(StatusReport),
    /// The gateway refused it with this code.
    Failed {
        /// The gateway's `response_code` (or a module code).
        code: String,
    },
    /// A 094 inquiry showed nothing happened: the entry goes back to pending and may be sent
    /// again with the same key.
    NotApplied,
    /// A 094 inquiry showed the payment changed some other way: the order adopts it as an
    /// outside change; the entry closes as failed (`conflict`).
    Conflict(StatusReport),
}

const JOURNAL_COLUMNS: &str = "key, order_id, kind, amount, telegram, payment_id, request_amount, \
    before_status, before_amount, expected_status, expected_amount, creates_new_payment, state, \
    error_code, created_at, sent_at";

fn pending_row(row: &Row<'_>) -> rusqlite::Result<PendingOperation> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let kind = decode(2, &text(2)?, OperationKind::from_code)?;
    let amount: Option<i64> = row.get(3)?;
    let operation = decode(3, kind.code(), |_| {
        Operation::from_parts(kind, amount.map(Yen))
    })?;
    let error_code: Option<String> = row.get(13)?;
    Ok(PendingOperation {
        key: OperationKey(row.get(0)?),
        order_id: OrderId(row.get(1)?),
        operation,
        plan: Plan {
            telegram: decode(4, &text(4)?, TelegramKind::from_code)?,
            payment_id: row.get(5)?,
            request_amount: row.get::<_, Option<i64>>(6)?.map(Yen),
            before_status: decode(7, &text(7)?, PaymentStatus::from_code)?,
            before_amount: Yen(row.get(8)?),
            expected_status: decode(9, &text(9)?, PaymentStatus::from_code)?,
            expected_amount: Yen(row.get(10)?),
            creates_new_payment: row.get(11)?,
        },
        state: decode(12, &text(12)?, |s| {
            JournalState::from_parts(s, error_code.as_deref())
        })?,
        created_at: from_ms(row.get(14)?)?,
        sent_at: from_ms_opt(row.get(15)?)?,
    })
}

pub(crate) fn open_for_order(
    conn: &Connection,
    order: OrderId,
) -> Result<Option<PendingOperation>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {JOURNAL_COLUMNS} FROM operation_journal
                 WHERE order_id = ?1 AND state IN ('pending', 'sent', 'unknown')"
            ),
            [order.0],
            pending_row,
        )
        .optional()?)
}

fn open_by_key(conn: &Connection, key: &OperationKey) -> Result<PendingOperation> {
    conn.query_row(
        &format!(
            "SELECT {JOURNAL_COLUMNS} FROM operation_journal
             WHERE key = ?1 AND state IN ('pending', 'sent', 'unknown')"
        ),
        [&key.0],
        pending_row,
    )
    .optional()?
    .ok_or_else(|| Error::JournalEntryNotFound(key.0.clone()))
}

/// Whether the entry is still open.
pub(crate) fn open_for_key(conn: &Connection, key: &OperationKey) -> Result<bool> {
    Ok(self_state(conn, key)?.is_some_and(|s| s.is_open()))
}

fn self_state(conn: &Connection, key: &OperationKey) -> Result<Option<JournalState>> {
    Ok(conn
        .query_row(
            "SELECT state, error_code FROM operation_journal WHERE key = ?1",
            [&key.0],
            |r| {
                let state: String = r.get(0)?;
                let code: Option<String> = r.get(1)?;
                decode(0, &state, |s| JournalState::from_parts(s, code.as_deref()))
            },
        )
        .optional()?)
}

fn close(
    conn: &Connection,
    key: &OperationKey,
    state: &JournalState,
    now: DateTime<Utc>,
) -> Result<()> {
    let error_code = match state {
        JournalState::Failed(code) => Some(code.as_str()),
        _ => None,
    };
    conn.execute(
        "UPDATE operation_journal SET state = ?2, error_code = ?3, settled_at = ?4 WHERE key = ?1",
        params![key.0, state.code(), error_code, ms(now)],
    )?;
    Ok(())
}

/// Writes a reconciliation: the order's new state and its history lines.
pub(crate) fn apply_reconciliation(
    conn: &Connection,
    order: OrderId,
    rec: &Reconciliation,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    if rec.changed {
        let before = crate::orders::get_order(conn, order)?;
        crate::orders::update_order(conn, order, &rec.order, now)?;
        // The one place sync and operation outcomes change an order: its money moves here.
        crate::ledger::record(conn, order, before.as_ref(), &rec.order, at, now)?;
    }
    for (actor, text) in &rec.lines {
        crate::history::append(conn, order, at, *actor, text)?;
    }
    Ok(())
}

fn operation_name(kind: OperationKind) -> (&'static str, &'static str) {
    match kind {
        OperationKind::Capture => ("売上確定", "Capture"),
        OperationKind::Cancel => ("キャンセル", "Cancel"),
        OperationKind::FullRefund => ("全額返金", "Full refund"),
        OperationKind::PartialRefund => ("一部返金", "Partial refund"),
        OperationKind::AmountChange => {
            ("金額変更（取引更新）", "Amount change (transaction update)")
        }
    }
}

/// Whether settling an entry as failed writes the generic "operation failed" history line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureLine {
    /// Write it (a single operation from the order detail).
    Write,
    /// Leave it out: the caller writes its own line in the same transaction (a bulk-capture
    /// item writes its detailed-log line instead, so the order gets one line, not two).
    Omit,
}

/// Settles an open operation inside the caller's transaction (see [`Store::journal_settle`]).
pub(crate) fn settle_in(
    tx: &Connection,
    key: &OperationKey,
    outcome: &JournalOutcome,
    failure_line: FailureLine,
    now: DateTime<Utc>,
) -> Result<Option<Reconciliation>> {
    let pending = match open_by_key(tx, key) {
        Ok(p) => p,
        Err(Error::JournalEntryNotFound(_))
            if matches!(outcome, JournalOutcome::Succeeded(_))
                && self_state(tx, key)? == Some(JournalState::Succeeded) =>
        {
            // A notification confirmed it first; settling twice is harmless.
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let order_id = pending.order_id;
    let order = crate::orders::get_order(tx, order_id)?.ok_or(Error::OrderNotFound(order_id.0))?;
    Ok(match outcome {
        JournalOutcome::Succeeded(report) => {
            // The report is this operation's own outcome: never stale.
            let rec = reconcile(&order, report, Some(&pending), None);
            apply_reconciliation(tx, order_id, &rec, now, now)?;
            close(tx, key, &JournalState::Succeeded, now)?;
            Some(rec)
        }
        JournalOutcome::Failed { code } => {
            if failure_line == FailureLine::Write {
                let (ja, en) = operation_name(pending.operation.kind());
                crate::history::append(
                    tx,
                    order_id,
                    now,
                    Actor::PayDesk,
                    &domain::history::operation_failed(ja, en, code),
                )?;
            }
            close(tx, key, &JournalState::Failed(code.clone()), now)?;
            None
        }
        JournalOutcome::NotApplied => {
            tx.execute(
                "UPDATE operation_journal SET state = 'pending' WHERE key = ?1",
                [&key.0],
            )?;
            None
        }
        JournalOutcome::Conflict(report) => {
            // A 094 answer is the payment's state now: never stale.
            let rec = reconcile(&order, report, None, None);
            apply_reconciliation(tx, order_id, &rec, report.changed_at, now)?;
            close(tx, key, &JournalState::Failed("conflict".into()), now)?;
            Some(rec)
        }
    })
}

impl Store {
    /// Writes an operation down before it is sent. Fails with
    /// [`Error::OperationUnsettled`] if the order already has an open one.
    pub fn journal_begin(
        &mut self,
        order: OrderId,
        operation: &Operation,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Result<OperationKey> {
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO operation_journal (key, order_id, kind, amount, telegram, payment_id, request_amount,
                 before_status, before_amount, expected_status, expected_amount, creates_new_payment,
                 state, created_at)
             VALUES ('', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', ?12)",
            params![
                order.0,
                operation.kind().code(),
                operation.amount().map(|a| a.0),
                plan.telegram.code(),
                plan.payment_id,
                plan.request_amount.map(|a| a.0),
                plan.before_status.code(),
                plan.before_amount.0,
                plan.expected_status.code(),
                plan.expected_amount.0,
                plan.creates_new_payment,
                ms(now),
            ],
        );
        match inserted {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                let exists: Option<i64> = tx
                    .query_row("SELECT id FROM orders WHERE id = ?1", [order.0], |r| {
                        r.get(0)
                    })
                    .optional()?;
                return Err(match exists {
                    Some(_) => Error::OperationUnsettled(order.0),
                    None => Error::OrderNotFound(order.0),
                });
            }
            other => {
                other?;
            }
        }
        let row = tx.last_insert_rowid();
        let key = OperationKey(format!("op-{}-{row}", order.0));
        tx.execute(
            "UPDATE operation_journal SET key = ?1 WHERE id = ?2",
            params![key.0, row],
        )?;
        tx.commit()?;
        Ok(key)
    }

    /// Records that the operation is being handed to the network (each send counts).
    pub fn journal_mark_sent(&mut self, key: &OperationKey, now: DateTime<Utc>) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE operation_journal SET state = 'sent', sent_at = ?2, attempts = attempts + 1
             WHERE key = ?1 AND state = 'pending'",
            params![key.0, ms(now)],
        )?;
        if n == 0 {
            return Err(Error::JournalEntryNotFound(key.0.clone()));
        }
        Ok(())
    }

    /// Records that no usable answer came: the outcome must be settled by inquiry.
    pub fn journal_mark_unknown(&mut self, key: &OperationKey) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE operation_journal SET state = 'unknown' WHERE key = ?1 AND state IN ('pending', 'sent')",
            [&key.0],
        )?;
        if n == 0 {
            return Err(Error::JournalEntryNotFound(key.0.clone()));
        }
        Ok(())
    }

    /// Settles an open operation; for success and conflict the order and its history are
    /// updated in the same transaction. Returns the reconciliation that was applied.
    pub fn journal_settle(
        &mut self,
        key: &OperationKey,
        outcome: &JournalOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<Reconciliation>> {
        let tx = self.conn.transaction()?;
        let applied = settle_in(&tx, key, outcome, FailureLine::Write, now)?;
        tx.commit()?;
        Ok(applied)
    }

    /// Every open operation (after a crash: settle these before anything else is sent).
    pub fn pending_journal(&self) -> Result<Vec<PendingOperation>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {JOURNAL_COLUMNS} FROM operation_journal
             WHERE state IN ('pending', 'sent', 'unknown') ORDER BY id"
        ))?;
        let rows = stmt.query_map([], pending_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The order's open operation, if any (its buttons are disabled until it is settled).
    pub fn pending_for_order(&self, order: OrderId) -> Result<Option<PendingOperation>> {
        open_for_order(&self.conn, order)
    }

    /// A journal entry's state by key, open or not.
    pub fn journal_state(&self, key: &OperationKey) -> Result<Option<JournalState>> {
        self_state(&self.conn, key)
    }

    /// How many times the entry was handed to the network.
    pub fn journal_attempts(&self, key: &OperationKey) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT attempts FROM operation_journal WHERE key = ?1",
                [&key.0],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::JournalEntryNotFound(key.0.clone()))
    }
}
