//! The renewal journal: one row per renewal cycle, unique key, so a cycle is never
//! authorized twice; the shop's choices after a failed renewal.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::history::Text;
use domain::subscription::{
    CardState, CycleOutcome, CycleRecord, DueRenewal, FailedRenewalChoice, FailedRenewalChoiceKind,
    ReminderKind, Subscription, SubscriptionId, SubscriptionStatus, renewal_key,
    renewal_order_number,
};
use domain::{CaptureMode, OperationKey, OrderId, Yen};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::mail_queue::MailId;
use super::{SUB_COLUMNS, SUB_FROM, date_column, date_text, not_found, sub_row};
use crate::{Error, Result, Store, decode, from_ms, from_ms_opt, ms};

/// Where a renewal cycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CycleState {
    /// Journaled, not yet sent.
    Pending,
    /// Sent; no answer processed yet.
    Sent,
    /// The answer never came: settle with an inquiry by order number before anything else.
    Unknown,
    /// Authorized.
    Authorized,
    /// Refused by the gateway.
    Failed,
    /// Fell due while PayDesk was off; not charged.
    Missed,
}

impl CycleState {
    const ALL: [CycleState; 6] = [
        CycleState::Pending,
        CycleState::Sent,
        CycleState::Unknown,
        CycleState::Authorized,
        CycleState::Failed,
        CycleState::Missed,
    ];

    /// The stable code used in the database.
    pub fn code(self) -> &'static str {
        match self {
            CycleState::Pending => "pending",
            CycleState::Sent => "sent",
            CycleState::Unknown => "unknown",
            CycleState::Authorized => "authorized",
            CycleState::Failed => "failed",
            CycleState::Missed => "missed",
        }
    }

    /// The state for a code.
    pub fn from_code(code: &str) -> Option<CycleState> {
        CycleState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the outcome is still open (the authorization may or may not have happened).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CycleState::Pending | CycleState::Sent | CycleState::Unknown
        )
    }
}

/// One recorded renewal cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleRow {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The cycle number.
    pub cycle_index: u32,
    /// The idempotency key.
    pub key: OperationKey,
    /// The renewal order's number (`trading_id`), for an inquiry after a timeout.
    pub order_number: String,
    /// The renewal date.
    pub renewal_date: NaiveDate,
    /// The amount.
    pub amount: Yen,
    /// The capture mode it was authorized with.
    pub capture_mode: CaptureMode,
    /// Where it stands.
    pub state: CycleState,
    /// It ran late.
    pub late: bool,
    /// The order it created.
    pub order_id: Option<OrderId>,
    /// The gateway's error code.
    pub error_code: Option<String>,
    /// The gateway's error detail.
    pub error_detail: Option<String>,
    /// The shop's choice for this order (cancel / switch), if made.
    pub order_choice: Option<String>,
    /// The payment method the order was switched to.
    pub payment_method_label: Option<String>,
    /// The shop's choice for the subscription's future (end / ask the buyer), if made.
    pub future_choice: Option<String>,
    /// The failure was recovered.
    pub recovered: bool,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When its authorization was last handed to the network (an inquiry that finds
    /// nothing proves nothing while it may still be in flight).
    pub sent_at: Option<DateTime<Utc>>,
    /// The e-mail the "ask the buyer to update the card" choice queued: the choice is
    /// done only once this mail was sent.
    pub reminder_mail_id: Option<MailId>,
}

/// What [`Store::begin_renewal`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeginRenewal {
    /// Journaled: send the authorization with this key and order number.
    Started {
        /// The key.
        key: OperationKey,
        /// The order number (`trading_id`).
        order_number: String,
    },
    /// This cycle was recorded before (in this state): never send it again.
    AlreadyRecorded(CycleState),
    /// The subscription was changed after the copy the renewal was decided on was read
    /// (edited, paused, moved, its card replaced): nothing is journaled or sent; the next
    /// pass decides on the subscription as it is.
    Changed,
}

const CYCLE_COLUMNS: &str = "subscription_id, cycle_index, key, order_number, renewal_date, amount, \
    capture_mode, state, late, order_id, error_code, error_detail, order_choice, \
    payment_method_label, future_choice, recovered, created_at, sent_at, reminder_mail_id";

fn cycle_row(row: &Row<'_>) -> rusqlite::Result<CycleRow> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    Ok(CycleRow {
        subscription: SubscriptionId(row.get(0)?),
        cycle_index: row.get(1)?,
        key: OperationKey(row.get(2)?),
        order_number: row.get(3)?,
        renewal_date: date_column(4, &text(4)?)?,
        amount: Yen(row.get(5)?),
        capture_mode: decode(6, &text(6)?, CaptureMode::from_code)?,
        state: decode(7, &text(7)?, CycleState::from_code)?,
        late: row.get(8)?,
        order_id: row.get::<_, Option<i64>>(9)?.map(OrderId),
        error_code: row.get(10)?,
        error_detail: row.get(11)?,
        order_choice: row.get(12)?,
        payment_method_label: row.get(13)?,
        future_choice: row.get(14)?,
        recovered: row.get(15)?,
        created_at: from_ms(row.get(16)?)?,
        sent_at: from_ms_opt(row.get(17)?)?,
        reminder_mail_id: row.get::<_, Option<i64>>(18)?.map(MailId),
    })
}

fn cycle_not_found(key: &OperationKey) -> Error {
    Error::JournalEntryNotFound(key.0.clone())
}

impl Store {
    /// Journals a due renewal before the authorization is sent, in one transaction: the
    /// missed cycles are recorded (never charged), the cycle is written `pending` with its
    /// key, the subscription moves to its following date and its shown block is cleared. A
    /// cycle recorded before is never started again, and `due` is journaled only while the
    /// subscription still charges like `sub`, the copy it was computed from: a renewal pass
    /// takes seconds per renewal, and the shop may edit a subscription meanwhile.
    pub fn begin_renewal(
        &mut self,
        sub: &Subscription,
        due: &DueRenewal,
        capture_mode: CaptureMode,
        now: DateTime<Utc>,
    ) -> Result<BeginRenewal> {
        let tx = self.conn.transaction()?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT state FROM subscription_cycles WHERE subscription_id = ?1 AND cycle_index = ?2",
                params![due.subscription.0, due.cycle_index],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(state) = existing {
            return Ok(BeginRenewal::AlreadyRecorded(decode(
                0,
                &state,
                CycleState::from_code,
            )?));
        }
        let current = tx
            .query_row(
                &format!("SELECT {SUB_COLUMNS} FROM {SUB_FROM} WHERE s.id = ?1"),
                [due.subscription.0],
                sub_row,
            )
            .optional()?;
        let Some(current) = current else {
            return Err(not_found(due.subscription));
        };
        if due.cycle_index < current.next_cycle_index {
            // Computed from a stale copy: this cycle was skipped or handled already.
            return Ok(BeginRenewal::AlreadyRecorded(CycleState::Missed));
        }
        if sub.id != due.subscription || !sub.charges_like(&current) {
            return Ok(BeginRenewal::Changed);
        }
        let mut insert = tx.prepare(
            "INSERT INTO subscription_cycles (subscription_id, cycle_index, key, order_number,
                renewal_date, amount, capture_mode, state, late, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for m in &due.missed {
            insert.execute(params![
                due.subscription.0,
                m.cycle_index,
                renewal_key(due.subscription, m.cycle_index).0,
                renewal_order_number(due.subscription, m.cycle_index),
                date_text(m.renewal_date),
                sub.amount.0,
                capture_mode.code(),
                CycleState::Missed.code(),
                true,
                ms(now),
            ])?;
        }
        let key = renewal_key(due.subscription, due.cycle_index);
        let order_number = renewal_order_number(due.subscription, due.cycle_index);
        insert.execute(params![
            due.subscription.0,
            due.cycle_index,
            key.0,
            order_number,
            date_text(due.renewal_date),
            sub.amount.0,
            capture_mode.code(),
            CycleState::Pending.code(),
            due.late,
            ms(now),
        ])?;
        drop(insert);
        tx.execute(
            "UPDATE subscriptions SET next_renewal_date = ?2, next_cycle_index = ?3,
                block_code = NULL, block_ja = NULL, block_en = NULL, blocked_at = NULL, updated_at = ?4
             WHERE id = ?1",
            params![
                due.subscription.0,
                date_text(due.following_date),
                due.cycle_index + 1,
                ms(now)
            ],
        )?;
        tx.commit()?;
        Ok(BeginRenewal::Started { key, order_number })
    }

    fn set_cycle_state(
        &mut self,
        key: &OperationKey,
        from: &[CycleState],
        to: CycleState,
        extra: &str,
        values: Vec<Value>,
    ) -> Result<()> {
        let allowed: Vec<String> = from.iter().map(|s| format!("'{}'", s.code())).collect();
        let mut all: Vec<Value> = vec![Value::Text(key.0.clone()), Value::Text(to.code().into())];
        all.extend(values);
        let n = self.conn.execute(
            &format!(
                "UPDATE subscription_cycles SET state = ?2 {extra} WHERE key = ?1 AND state IN ({})",
                allowed.join(", ")
            ),
            params_from_iter(all),
        )?;
        if n == 0 {
            return Err(cycle_not_found(key));
        }
        Ok(())
    }

    /// The authorization was handed to the network.
    pub fn mark_renewal_sent(&mut self, key: &OperationKey, now: DateTime<Utc>) -> Result<()> {
        self.set_cycle_state(
            key,
            &[CycleState::Pending],
            CycleState::Sent,
            ", sent_at = ?3",
            vec![Value::Integer(ms(now))],
        )
    }

    /// An open renewal's authorization is sent once more (the gateway had no payment under
    /// its order number): it stays unknown, with a new send time.
    pub fn mark_renewal_resent(&mut self, key: &OperationKey, now: DateTime<Utc>) -> Result<()> {
        self.set_cycle_state(
            key,
            &[CycleState::Unknown],
            CycleState::Unknown,
            ", sent_at = ?3",
            vec![Value::Integer(ms(now))],
        )
    }

    /// The answer never came: inquire by order number before anything else.
    pub fn mark_renewal_unknown(&mut self, key: &OperationKey) -> Result<()> {
        self.set_cycle_state(
            key,
            &[CycleState::Pending, CycleState::Sent],
            CycleState::Unknown,
            "",
            Vec::new(),
        )
    }

    /// The renewal was authorized; `order` is the order it created.
    pub fn renewal_authorized(
        &mut self,
        key: &OperationKey,
        order: OrderId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.set_cycle_state(
            key,
            &[CycleState::Pending, CycleState::Sent, CycleState::Unknown],
            CycleState::Authorized,
            ", order_id = ?3, settled_at = ?4",
            vec![Value::Integer(order.0), Value::Integer(ms(now))],
        )
    }

    /// The gateway refused the renewal; `order` is the order made to show the error.
    pub fn renewal_failed(
        &mut self,
        key: &OperationKey,
        code: &str,
        detail: Option<&str>,
        order: Option<OrderId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.set_cycle_state(
            key,
            &[CycleState::Pending, CycleState::Sent, CycleState::Unknown],
            CycleState::Failed,
            ", error_code = ?3, error_detail = ?4, order_id = ?5, settled_at = ?6",
            vec![
                Value::Text(code.into()),
                detail.map_or(Value::Null, |d| Value::Text(d.into())),
                order.map_or(Value::Null, |o| Value::Integer(o.0)),
                Value::Integer(ms(now)),
            ],
        )
    }

    /// Records the shop's choice after a failed renewal and carries out its store part in
    /// one transaction: moving the order to the cancelled list (with a history line),
    /// recording the new payment method (no gateway call), ending the subscription. The
    /// reminder of "ask the buyer" is queued separately (it needs the rendered mail).
    pub fn record_failed_renewal_choice(
        &mut self,
        key: &OperationKey,
        choice: &FailedRenewalChoice,
        card: Option<CardState>,
        now: DateTime<Utc>,
    ) -> Result<domain::subscription::ChoiceEffects> {
        let effects = choice.effects(card).map_err(|e| Error::Corrupt {
            column: "choice",
            value: e.text().en,
        })?;
        let tx = self.conn.transaction()?;
        let row: Option<(i64, Option<i64>, String)> = tx
            .query_row(
                "SELECT subscription_id, order_id, state FROM subscription_cycles WHERE key = ?1",
                [&key.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((sub_id, order_id, state)) = row else {
            return Err(cycle_not_found(key));
        };
        if state != CycleState::Failed.code() {
            return Err(cycle_not_found(key));
        }
        let kind = choice.kind().code();
        let column = match choice {
            FailedRenewalChoice::CancelOrder | FailedRenewalChoice::SwitchPaymentMethod(_) => {
                "order_choice"
            }
            _ => "future_choice",
        };
        tx.execute(
            &format!(
                "UPDATE subscription_cycles SET {column} = ?2,
                    payment_method_label = coalesce(?3, payment_method_label),
                    recovered = max(recovered, ?4)
                 WHERE key = ?1"
            ),
            params![key.0, kind, effects.payment_method_label, effects.recovered],
        )?;
        if let Some(order) = order_id {
            if let Some(list) = effects.order_list {
                tx.execute(
                    "UPDATE orders SET list = ?2, updated_at = ?3 WHERE id = ?1",
                    params![order, list.code(), ms(now)],
                )?;
            }
            crate::history::append(
                &tx,
                OrderId(order),
                now,
                domain::Actor::PayDesk,
                &effects.history,
            )?;
        }
        if let Some(status) = effects.subscription_status {
            tx.execute(
                "UPDATE subscriptions SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![sub_id, status.code(), ms(now)],
            )?;
        }
        tx.commit()?;
        Ok(effects)
    }

    /// Marks a failed cycle recovered (authorized again after the buyer updated the card).
    pub fn mark_renewal_recovered(&mut self, key: &OperationKey) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE subscription_cycles SET recovered = 1 WHERE key = ?1 AND state = 'failed'",
            [&key.0],
        )?;
        if n == 0 {
            return Err(cycle_not_found(key));
        }
        Ok(())
    }

    /// Takes back the shop's choice for a failed renewal's order (cancel or switch): the
    /// order returns to the open list with its card payment, as before the choice, and
    /// the history says so. Returns the choice taken back.
    pub fn undo_order_choice(
        &mut self,
        key: &OperationKey,
        now: DateTime<Utc>,
    ) -> Result<Option<FailedRenewalChoiceKind>> {
        let tx = self.conn.transaction()?;
        let row: Option<(Option<i64>, Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT order_id, order_choice, payment_method_label FROM subscription_cycles
                 WHERE key = ?1 AND state = 'failed'",
                [&key.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((order_id, choice, label)) = row else {
            return Err(cycle_not_found(key));
        };
        let Some(kind) = choice
            .as_deref()
            .and_then(FailedRenewalChoiceKind::from_code)
        else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE subscription_cycles SET order_choice = NULL, payment_method_label = NULL
             WHERE key = ?1",
            [&key.0],
        )?;
        if let Some(order) = order_id {
            let history = match kind {
                FailedRenewalChoiceKind::CancelOrder => {
                    tx.execute(
                        "UPDATE orders SET list = 'open', updated_at = ?2 WHERE id = ?1",
                        params![order, ms(now)],
                    )?;
                    Text::new(
                        "キャンセルを取り消し、受注を未処理一覧に戻しました",
                        "Cancellation undone: the order is back in the open list",
                    )
                }
                _ => {
                    let method = label.unwrap_or_default();
                    Text::new(
                        format!("支払方法「{method}」への変更を取り消しました"),
                        format!("Undid the switch to \"{method}\""),
                    )
                }
            };
            crate::history::append(&tx, OrderId(order), now, domain::Actor::PayDesk, &history)?;
        }
        tx.commit()?;
        Ok(Some(kind))
    }

    /// Takes back "end the subscription" chosen on a failed renewal: the subscription
    /// returns to the status it had before it ended.
    pub fn undo_end_choice(&mut self, key: &OperationKey, now: DateTime<Utc>) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let row: Option<(i64, Option<String>)> = tx
            .query_row(
                "SELECT subscription_id, future_choice FROM subscription_cycles
                 WHERE key = ?1 AND state = 'failed'",
                [&key.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((sub_id, choice)) = row else {
            return Err(cycle_not_found(key));
        };
        if choice.as_deref() != Some(FailedRenewalChoiceKind::EndSubscription.code()) {
            return Ok(false);
        }
        tx.execute(
            "UPDATE subscription_cycles SET future_choice = NULL WHERE key = ?1",
            [&key.0],
        )?;
        tx.execute(
            "UPDATE subscriptions SET status = coalesce(status_before_end, 'active'), updated_at = ?2
             WHERE id = ?1 AND status = 'ended'",
            params![sub_id, ms(now)],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Links the mail an "ask the buyer" choice queued to the failed cycle.
    pub fn set_cycle_reminder_mail(&mut self, key: &OperationKey, mail: MailId) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE subscription_cycles SET reminder_mail_id = ?2 WHERE key = ?1",
            params![key.0, mail.0],
        )?;
        if n == 0 {
            return Err(cycle_not_found(key));
        }
        Ok(())
    }

    /// The reminder of this kind still waiting (queued or failed) for a buyer, if any.
    pub fn open_reminder(&self, customer_id: &str, kind: ReminderKind) -> Result<Option<MailId>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM mail_queue WHERE customer_id = ?1 AND reminder_kind = ?2
                 AND purpose = 'reminder' AND state IN ('queued', 'failed')",
                [customer_id, kind.code()],
                |r| r.get(0),
            )
            .optional()?
            .map(MailId))
    }

    /// The payment method a failed renewal's order was switched to (paid outside
    /// Paygent), if it was.
    pub fn switched_payment_method(&self, order: OrderId) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT payment_method_label FROM subscription_cycles
                 WHERE order_id = ?1 AND order_choice = 'switch_payment_method'",
                [order.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// When a subscription ended and the status it had before (`None` while it runs).
    pub fn subscription_end(
        &self,
        id: SubscriptionId,
    ) -> Result<Option<(DateTime<Utc>, SubscriptionStatus)>> {
        let row: Option<(Option<i64>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT ended_at, status_before_end FROM subscriptions WHERE id = ?1 AND status = 'ended'",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((Some(at), before)) = row else {
            return Ok(None);
        };
        let before = before
            .as_deref()
            .and_then(SubscriptionStatus::from_code)
            .unwrap_or(SubscriptionStatus::Active);
        Ok(Some((from_ms(at)?, before)))
    }

    /// One cycle by key.
    pub fn renewal_cycle(&self, key: &OperationKey) -> Result<Option<CycleRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {CYCLE_COLUMNS} FROM subscription_cycles WHERE key = ?1"),
                [&key.0],
                cycle_row,
            )
            .optional()?)
    }

    /// A subscription's cycles, oldest first.
    pub fn renewal_cycles(&self, id: SubscriptionId) -> Result<Vec<CycleRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CYCLE_COLUMNS} FROM subscription_cycles WHERE subscription_id = ?1 ORDER BY cycle_index"
        ))?;
        let rows = stmt.query_map([id.0], cycle_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Failed renewals the shop has not decided about yet, oldest renewal first (all, or
    /// one subscription's). Decided means a choice that stands: this order cancelled or
    /// switched to another payment method, the subscription ended (by the choice or on the
    /// subscription screen), or the buyer asked to update the card by an e-mail that was
    /// sent (a mail still waiting or failed decides nothing yet). A failure recovered by a
    /// later authorization waits for nothing.
    pub fn failed_renewals_waiting(
        &self,
        subscription: Option<SubscriptionId>,
    ) -> Result<Vec<CycleRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CYCLE_COLUMNS} FROM subscription_cycles c
             WHERE c.state = 'failed' AND c.recovered = 0 AND c.order_id IS NOT NULL
               AND c.order_choice IS NULL
               AND (?1 IS NULL OR c.subscription_id = ?1)
               AND c.subscription_id IN (SELECT id FROM subscriptions WHERE status <> 'ended')
               AND NOT EXISTS (SELECT 1 FROM mail_queue m
                               WHERE m.id = c.reminder_mail_id AND m.state = 'sent')
             ORDER BY c.renewal_date, c.subscription_id, c.cycle_index"
        ))?;
        let rows = stmt.query_map([subscription.map(|s| s.0)], cycle_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Cycles whose outcome is open (pending, sent, unknown): settle them with an inquiry
    /// by order number at start-up, before any new renewal.
    pub fn open_renewals(&self) -> Result<Vec<CycleRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CYCLE_COLUMNS} FROM subscription_cycles
             WHERE state IN ('pending', 'sent', 'unknown') ORDER BY id"
        ))?;
        let rows = stmt.query_map([], cycle_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The cycles dated `from` up to `to` (inclusive) as the monthly summary's input.
    pub fn cycle_records(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CycleRecord>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CYCLE_COLUMNS} FROM subscription_cycles
             WHERE renewal_date BETWEEN ?1 AND ?2 ORDER BY renewal_date, id"
        ))?;
        let rows = stmt.query_map([date_text(from), date_text(to)], cycle_row)?;
        let rows: Vec<CycleRow> = rows.collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .into_iter()
            .map(|c| CycleRecord {
                subscription: c.subscription,
                renewal_date: c.renewal_date,
                amount: c.amount,
                outcome: match c.state {
                    CycleState::Authorized => CycleOutcome::Authorized,
                    CycleState::Failed => CycleOutcome::Failed(c.error_code.unwrap_or_default()),
                    CycleState::Missed => CycleOutcome::Missed,
                    _ => CycleOutcome::Pending,
                },
                recovered: c.recovered,
                switched: c.order_choice.as_deref()
                    == Some(FailedRenewalChoiceKind::SwitchPaymentMethod.code()),
            })
            .collect())
    }

    /// When the buyer's latest renewal succeeded (any of their subscriptions).
    pub fn last_successful_renewal(&self, customer_id: &str) -> Result<Option<DateTime<Utc>>> {
        let at: Option<i64> = self.conn.query_row(
            "SELECT max(y.settled_at) FROM subscription_cycles y
             JOIN subscriptions s ON s.id = y.subscription_id
             WHERE s.customer_id = ?1 AND y.state = 'authorized'",
            [customer_id],
            |r| r.get(0),
        )?;
        Ok(from_ms_opt(at)?)
    }
}

/// The first and last day of a month: the `cycle_records` range of a monthly summary.
pub fn month_bounds(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((first, next - TimeDelta::days(1)))
}
