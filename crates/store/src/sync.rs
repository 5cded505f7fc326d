//! Applying gateway reports exactly once, and the sync cursors (relay cursor, last 091
//! `payment_notice_id`, last event time).

use chrono::{DateTime, Utc};
use domain::{
    Actor, CaptureMode, OrderId, PaymentStatus, StatusReport, order_from_report, reconcile,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::journal::{apply_reconciliation, open_for_order};
use crate::{Error, Result, Store, from_ms_opt, ms};

/// What applying a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The record was applied before (same `payment_notice_id`): nothing happened.
    Duplicate,
    /// A new order was made from the report.
    Created(OrderId),
    /// The order changed.
    Updated {
        /// The order.
        order: OrderId,
        /// The change was made outside PayDesk.
        outside_change: bool,
        /// The report settled the order's open operation as done.
        settled_operation: bool,
    },
    /// The order already showed this state.
    Unchanged(OrderId),
    /// The payment is unknown and the report does not make an order (e.g. a failed
    /// authorization, or a payment method PayDesk does not handle).
    Ignored,
}

/// The sync cursors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncState {
    /// The relay's cursor (opaque to the store).
    pub relay_cursor: Option<String>,
    /// The highest `payment_notice_id` applied.
    pub last_payment_notice_id: Option<i64>,
    /// When the last event (or heartbeat) arrived.
    pub last_event_at: Option<DateTime<Utc>>,
}

/// Finds the order a report is about; for a new payment matched by order number (a
/// revision done elsewhere, whose record names no base payment) it fills `base_payment_id`.
/// A new authorized payment under a known order number (e.g. a buyer paying again after a
/// cancel) is adopted as that order's new transaction.
fn find_order(conn: &Connection, report: &mut StatusReport) -> Result<Option<OrderId>> {
    if let Some(id) = crate::orders::order_id_by_payment_id(conn, &report.payment_id)? {
        return Ok(Some(id));
    }
    if let Some(base) = report.base_payment_id.clone()
        && let Some(id) = crate::orders::order_id_by_payment_id(conn, &base)?
    {
        return Ok(Some(id));
    }
    // Only a live payment can be a revision's or partial refund's new payment; failed
    // attempts under the same order number are not.
    let live = matches!(
        report.status,
        PaymentStatus::Authorized | PaymentStatus::Captured
    );
    if report.order_number.is_empty() || !live {
        return Ok(None);
    }
    let found: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, payment_id FROM orders WHERE order_number = ?1 AND method = ?2
             ORDER BY ordered_at DESC, id DESC LIMIT 1",
            params![report.order_number, report.method.code()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(found.map(|(id, current)| {
        report.base_payment_id = Some(current);
        OrderId(id)
    }))
}

/// When PayDesk sent the order's last operation that the gateway confirmed: a record made
/// before it describes a state PayDesk already moved past.
fn last_confirmed_send(conn: &Connection, order: OrderId) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = conn.query_row(
        "SELECT MAX(sent_at) FROM operation_journal WHERE order_id = ?1 AND state = 'succeeded'",
        [order.0],
        |r| r.get(0),
    )?;
    Ok(from_ms_opt(at)?)
}

impl Store {
    /// Applies one gateway report (a payment notification, a 091 record or a 094 answer)
    /// in one transaction: the seen check (when `payment_notice_id` is given), the order
    /// update, the history lines, settling a matching open operation and the cursors. A
    /// record delivered twice is applied once. Unknown authorized or captured payments
    /// become new orders with `capture_mode_for_new` (the shop's current setting) and the
    /// report's 3-D Secure flag. A stale record (see `domain::reconcile`: an older
    /// transaction ID, a status already passed, or made before PayDesk's last confirmed
    /// operation was sent) changes nothing.
    pub fn apply_notification(
        &mut self,
        payment_notice_id: Option<i64>,
        report: &StatusReport,
        capture_mode_for_new: CaptureMode,
        now: DateTime<Utc>,
    ) -> Result<Applied> {
        let tx = self.conn.transaction()?;
        if let Some(notice) = payment_notice_id {
            let fresh = tx.execute(
                "INSERT OR IGNORE INTO seen_notifications (payment_notice_id, payment_id, received_at)
                 VALUES (?1, ?2, ?3)",
                params![notice, report.payment_id, ms(now)],
            )?;
            if fresh == 0 {
                return Ok(Applied::Duplicate);
            }
            tx.execute(
                "UPDATE sync_state SET last_payment_notice_id = MAX(COALESCE(last_payment_notice_id, 0), ?1),
                     last_event_at = ?2 WHERE id = 1",
                params![notice, ms(now)],
            )?;
        }
        let mut report = report.clone();
        let applied = match find_order(&tx, &mut report)? {
            None => match order_from_report(&report, capture_mode_for_new) {
                Some(order) => {
                    let id = crate::orders::insert_order(&tx, &order, now)?;
                    let line = if order.captured_amount.0 > 0 {
                        domain::history::captured(&order.payment_id, order.captured_amount)
                    } else {
                        domain::history::authorized(&order.payment_id, order.amount)
                    };
                    crate::history::append(&tx, id, report.changed_at, Actor::Gateway, &line)?;
                    Applied::Created(id)
                }
                None => Applied::Ignored,
            },
            Some(id) => {
                let order = crate::orders::get_order(&tx, id)?.ok_or(Error::OrderNotFound(id.0))?;
                let pending = open_for_order(&tx, id)?;
                let paydesk_changed_at = last_confirmed_send(&tx, id)?;
                let rec = reconcile(&order, &report, pending.as_ref(), paydesk_changed_at);
                apply_reconciliation(&tx, id, &rec, report.changed_at, now)?;
                let settled = matches!(rec.settlement, Some(domain::Settlement::AlreadyApplied));
                if let (true, Some(p)) = (settled, &pending) {
                    tx.execute(
                        "UPDATE operation_journal SET state = 'succeeded', settled_at = ?2 WHERE key = ?1",
                        params![p.key.0, ms(now)],
                    )?;
                }
                if rec.changed {
                    Applied::Updated {
                        order: id,
                        outside_change: rec.outside_change,
                        settled_operation: settled,
                    }
                } else {
                    Applied::Unchanged(id)
                }
            }
        };
        if let (
            Some(notice),
            Applied::Created(id) | Applied::Updated { order: id, .. } | Applied::Unchanged(id),
        ) = (payment_notice_id, &applied)
        {
            tx.execute(
                "UPDATE seen_notifications SET order_id = ?2 WHERE payment_notice_id = ?1",
                params![notice, id.0],
            )?;
        }
        tx.commit()?;
        Ok(applied)
    }

    /// Whether a `payment_notice_id` was already applied (to find gaps to re-fetch by id).
    pub fn notification_seen(&self, payment_notice_id: i64) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM seen_notifications WHERE payment_notice_id = ?1",
                [payment_notice_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The notice ids between `from` and `to` (both inclusive) already applied, lowest
    /// first, at most `limit`: a relay gap does not name them again.
    pub fn notifications_seen_between(&self, from: i64, to: i64, limit: u32) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT payment_notice_id FROM seen_notifications
             WHERE payment_notice_id BETWEEN ?1 AND ?2 ORDER BY payment_notice_id LIMIT ?3",
        )?;
        let ids = stmt
            .query_map(rusqlite::params![from, to, limit], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    /// The sync cursors.
    pub fn sync_state(&self) -> Result<SyncState> {
        Ok(self.conn.query_row(
            "SELECT relay_cursor, last_payment_notice_id, last_event_at FROM sync_state WHERE id = 1",
            [],
            |r| {
                Ok(SyncState {
                    relay_cursor: r.get(0)?,
                    last_payment_notice_id: r.get(1)?,
                    last_event_at: from_ms_opt(r.get(2)?)?,
                })
            },
        )?)
    }

    /// Stores the relay cursor and the time of the event (or heartbeat) that carried it.
    pub fn set_relay_cursor(&mut self, cursor: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_state SET relay_cursor = ?1, last_event_at = ?2 WHERE id = 1",
            params![cursor, ms(now)],
        )?;
        Ok(())
    }

    /// Records that an event or heartbeat arrived (for the relay-stall check).
    pub fn touch_last_event(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_state SET last_event_at = ?1 WHERE id = 1",
            [ms(now)],
        )?;
        Ok(())
    }
}
