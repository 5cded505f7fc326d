//! Subscriptions: the subscriptions themselves, their renewal cycles (the renewal journal:
//! one row per cycle, unique key, so a cycle is never authorized twice), stored-card
//! snapshots (expiry from 027), the buyer outreach log, the e-mail queue, the shop's edited
//! e-mail templates, notification preferences, the card dashboard's list, and the CSV
//! import (read by `domain::subscription_csv`, stored here).
//!
//! Layout: value types first; then `impl Store` blocks per table.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::history::Text;
use domain::subscription::{
    CardExpiry, CardState, Cycle, CycleOutcome, CycleRecord, DueRenewal, FailedRenewalChoice,
    FailedRenewalChoiceKind, NotificationKind, OutreachEntry, ReminderKind, RenewalBlock,
    Subscription, SubscriptionId, SubscriptionStatus, card_state, month_index, renewal_key,
    renewal_order_number,
};
use domain::subscription_csv::{RowError, parse_subscriptions_csv};
use domain::{CaptureMode, OperationKey, OrderId, Rules, Yen};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::{Error, Page, Result, Store, decode, from_ms, from_ms_opt, ms};

// ---------------------------------------------------------------------------------------
// CSV import (stored; the file is read by `domain::subscription_csv`).

/// What to do with the good rows when some rows have errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportPolicy {
    /// Import the good rows, report the bad ones.
    ValidRowsOnly,
    /// Import nothing unless every row is good.
    AllOrNothing,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The subscriptions created, in file order.
    pub imported: Vec<SubscriptionId>,
    /// Every problem, by line.
    pub errors: Vec<RowError>,
}

// ---------------------------------------------------------------------------------------
// Value types of the tables.

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
}

/// A subscription's shown block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownBlock {
    /// The block's code (`domain::subscription::RenewalBlock::code`).
    pub code: String,
    /// Its text.
    pub text: Text,
    /// When it was found.
    pub at: DateTime<Utc>,
}

/// A stored card as the gateway reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCard {
    /// The customer.
    pub customer_id: String,
    /// The card.
    pub customer_card_id: String,
    /// The expiry.
    pub expiry: Option<CardExpiry>,
    /// Last four digits.
    pub last4: Option<String>,
    /// When it was read.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// When the expiry last changed.
    pub updated_card_at: Option<DateTime<Utc>>,
}

/// What a refresh found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRefresh {
    /// First read.
    New,
    /// Same expiry as before.
    Unchanged,
    /// The expiry changed: the buyer updated the card.
    Updated,
}

/// Why a mail is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailPurpose {
    /// A card reminder to a buyer.
    Reminder(ReminderKind),
    /// The shop's monthly summary.
    MonthlySummary,
    /// Anything else.
    Other,
}

/// A mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Why.
    pub purpose: MailPurpose,
    /// The buyer (required for reminders).
    pub customer_id: Option<String>,
    /// The subscription it is about.
    pub subscription: Option<SubscriptionId>,
    /// The card expiry a reminder is about.
    pub card_expiry: Option<CardExpiry>,
    /// Recipient.
    pub to: String,
    /// Subject, rendered.
    pub subject: String,
    /// Body, rendered.
    pub body: String,
}

/// The store's key of a queued mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailId(pub i64);

/// Where a mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting to be sent.
    Queued,
    /// Delivered to the SMTP server.
    Sent,
    /// The last attempt failed (retried automatically until the attempts run out).
    Failed,
    /// The shop discarded it.
    Discarded,
}

impl MailState {
    const ALL: [MailState; 4] = [
        MailState::Queued,
        MailState::Sent,
        MailState::Failed,
        MailState::Discarded,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
            MailState::Discarded => "discarded",
        }
    }

    /// The state for a code.
    pub fn from_code(code: &str) -> Option<MailState> {
        MailState::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A queued (or sent, or failed) mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Its key.
    pub id: MailId,
    /// What was queued.
    pub mail: NewMail,
    /// Where it stands.
    pub state: MailState,
    /// Attempts so far.
    pub attempts: u32,
    /// The last error (plain text from the mail crate; never a password).
    pub last_error: Option<String>,
    /// When the next automatic attempt may run.
    pub next_attempt_at: DateTime<Utc>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
}

/// What queuing one mail of a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOutcome {
    /// Queued.
    Queued(MailId),
    /// The same reminder to the same buyer is already waiting (queued or failed).
    AlreadyQueued,
}

/// An edited template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    /// Subject, with placeholders.
    pub subject: String,
    /// Body, with placeholders.
    pub body: String,
    /// When it was edited.
    pub updated_at: DateTime<Utc>,
}

/// The card dashboard's list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardListQuery {
    /// Only cards in this state (by `today`).
    pub state: Option<CardState>,
    /// Only active subscriptions whose card expires before the next renewal.
    pub predicted_failures_only: bool,
    /// Buyer name (prefix) or customer ID (prefix).
    pub search: Option<String>,
    /// Include ended subscriptions.
    pub include_ended: bool,
    /// Zero-based page.
    pub page: u32,
    /// Rows per page (at least 1).
    pub page_size: u32,
    /// The day states are evaluated on.
    pub today: NaiveDate,
}

/// One line of the card list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardListRow {
    /// The subscription (with the card's expiry).
    pub subscription: Subscription,
    /// The card's state on the query's day (`None`: expiry never read).
    pub card_state: Option<CardState>,
    /// The card expires before the next renewal.
    pub will_fail: bool,
    /// The last reminder this buyer received.
    pub last_reminder_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------
// Rows.

const SUB_COLUMNS: &str = "s.id, s.customer_id, s.customer_card_id, s.buyer_name, s.buyer_email, \
    s.cycle, s.billing_day, s.amount, s.fees_to_be_advised, s.contract_end, s.next_renewal_date, \
    s.next_cycle_index, s.status, s.capture_mode, c.expiry_year, c.expiry_month, c.refreshed_at";

const SUB_FROM: &str = "subscriptions s LEFT JOIN stored_cards c \
    ON c.customer_id = s.customer_id AND c.customer_card_id = s.customer_card_id";

fn date_column(i: usize, v: &str) -> rusqlite::Result<NaiveDate> {
    decode(i, v, |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

fn sub_row(row: &Row<'_>) -> rusqlite::Result<Subscription> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let year: Option<i32> = row.get(14)?;
    let month: Option<u32> = row.get(15)?;
    Ok(Subscription {
        id: SubscriptionId(row.get(0)?),
        customer_id: row.get(1)?,
        customer_card_id: row.get(2)?,
        buyer_name: row.get(3)?,
        buyer_email: row.get(4)?,
        cycle: decode(5, &text(5)?, Cycle::parse)?,
        billing_day: row.get(6)?,
        amount: Yen(row.get(7)?),
        fees_to_be_advised: row.get(8)?,
        contract_end: row
            .get::<_, Option<String>>(9)?
            .map(|s| date_column(9, &s))
            .transpose()?,
        next_renewal_date: date_column(10, &text(10)?)?,
        next_cycle_index: row.get(11)?,
        status: decode(12, &text(12)?, SubscriptionStatus::from_code)?,
        capture_mode: decode(13, &text(13)?, CaptureMode::from_code)?,
        card_expiry: year.zip(month).and_then(|(y, m)| CardExpiry::new(y, m)),
        card_refreshed_at: from_ms_opt(row.get(16)?)?,
    })
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

const MAIL_COLUMNS: &str = "id, purpose, reminder_kind, customer_id, subscription_id, card_expiry, \
    to_address, subject, body, state, attempts, last_error, next_attempt_at, created_at, sent_at";

fn mail_row(row: &Row<'_>) -> rusqlite::Result<QueuedMail> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let kind: Option<String> = row.get(2)?;
    let purpose = match text(1)?.as_str() {
        "reminder" => MailPurpose::Reminder(decode(
            2,
            kind.as_deref().unwrap_or(""),
            ReminderKind::from_code,
        )?),
        "monthly_summary" => MailPurpose::MonthlySummary,
        _ => MailPurpose::Other,
    };
    Ok(QueuedMail {
        id: MailId(row.get(0)?),
        mail: NewMail {
            purpose,
            customer_id: row.get(3)?,
            subscription: row.get::<_, Option<i64>>(4)?.map(SubscriptionId),
            card_expiry: row
                .get::<_, Option<String>>(5)?
                .and_then(|s| CardExpiry::parse(&s)),
            to: row.get(6)?,
            subject: row.get(7)?,
            body: row.get(8)?,
        },
        state: decode(9, &text(9)?, MailState::from_code)?,
        attempts: row.get(10)?,
        last_error: row.get(11)?,
        next_attempt_at: from_ms(row.get(12)?)?,
        created_at: from_ms(row.get(13)?)?,
        sent_at: from_ms_opt(row.get(14)?)?,
    })
}

/// block_code, block_ja, block_en, blocked_at.
type BlockColumns = (Option<String>, Option<String>, Option<String>, Option<i64>);

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn insert_subscription(
    conn: &Connection,
    s: &Subscription,
    first_order: Option<OrderId>,
    now: DateTime<Utc>,
) -> Result<SubscriptionId> {
    conn.execute(
        "INSERT INTO subscriptions (customer_id, customer_card_id, buyer_name, buyer_email, cycle,
            billing_day, amount, fees_to_be_advised, contract_end, next_renewal_date,
            next_cycle_index, status, capture_mode, first_order_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
        params![
            s.customer_id,
            s.customer_card_id,
            s.buyer_name,
            s.buyer_email,
            s.cycle.code(),
            s.billing_day,
            s.amount.0,
            s.fees_to_be_advised,
            s.contract_end.map(date_text),
            date_text(s.next_renewal_date),
            s.next_cycle_index,
            s.status.code(),
            s.capture_mode.code(),
            first_order.map(|o| o.0),
            ms(now),
        ],
    )?;
    let id = SubscriptionId(conn.last_insert_rowid());
    if let Some(expiry) = s.card_expiry {
        upsert_card(
            conn,
            &s.customer_id,
            &s.customer_card_id,
            expiry,
            None,
            s.card_refreshed_at.unwrap_or(now),
        )?;
    }
    Ok(id)
}

fn upsert_card(
    conn: &Connection,
    customer_id: &str,
    card_id: &str,
    expiry: CardExpiry,
    last4: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CardRefresh> {
    let before: Option<Option<i64>> = conn
        .query_row(
            "SELECT expiry_index FROM stored_cards WHERE customer_id = ?1 AND customer_card_id = ?2",
            [customer_id, card_id],
            |r| r.get(0),
        )
        .optional()?;
    let refresh = match before {
        None | Some(None) => CardRefresh::New,
        Some(Some(i)) if i == expiry.month_index() => CardRefresh::Unchanged,
        Some(Some(_)) => CardRefresh::Updated,
    };
    conn.execute(
        "INSERT INTO stored_cards (customer_id, customer_card_id, expiry_year, expiry_month,
            expiry_index, last4, refreshed_at, updated_card_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)
         ON CONFLICT (customer_id, customer_card_id) DO UPDATE SET
            expiry_year = excluded.expiry_year, expiry_month = excluded.expiry_month,
            expiry_index = excluded.expiry_index, last4 = coalesce(excluded.last4, last4),
            refreshed_at = excluded.refreshed_at,
            updated_card_at = CASE WHEN ?8 THEN excluded.refreshed_at ELSE updated_card_at END",
        params![
            customer_id,
            card_id,
            expiry.year,
            expiry.month,
            expiry.month_index(),
            last4,
            ms(now),
            refresh == CardRefresh::Updated,
        ],
    )?;
    Ok(refresh)
}

fn not_found(id: SubscriptionId) -> Error {
    Error::Corrupt {
        column: "subscriptions.id",
        value: format!("subscription {} not found", id.0),
    }
}

fn cycle_not_found(key: &OperationKey) -> Error {
    Error::JournalEntryNotFound(key.0.clone())
}

// ---------------------------------------------------------------------------------------
// Subscriptions.

impl Store {
    /// Stores a new subscription (its `id` is ignored) and its card snapshot if the expiry is
    /// known; `first_order` links the first purchase's order.
    pub fn insert_subscription(
        &mut self,
        s: &Subscription,
        first_order: Option<OrderId>,
        now: DateTime<Utc>,
    ) -> Result<SubscriptionId> {
        let tx = self.conn.transaction()?;
        let id = insert_subscription(&tx, s, first_order, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// A subscription with its card's expiry.
    pub fn get_subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {SUB_COLUMNS} FROM {SUB_FROM} WHERE s.id = ?1"),
                [id.0],
                sub_row,
            )
            .optional()?)
    }

    /// Every subscription that is not ended (the dashboard's input), by id.
    pub fn live_subscriptions(&self) -> Result<Vec<Subscription>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SUB_COLUMNS} FROM {SUB_FROM} WHERE s.status <> 'ended' ORDER BY s.id"
        ))?;
        let rows = stmt.query_map([], sub_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Active subscriptions whose next renewal date is `today` or earlier (the input of
    /// `domain::subscription::due_renewals`).
    pub fn due_subscriptions(&self, today: NaiveDate) -> Result<Vec<Subscription>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SUB_COLUMNS} FROM {SUB_FROM}
             WHERE s.status = 'active' AND s.next_renewal_date <= ?1 ORDER BY s.next_renewal_date, s.id"
        ))?;
        let rows = stmt.query_map([date_text(today)], sub_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Saves the shop's edits (amount, cycle, billing day, fees, contract end, next date,
    /// status, capture mode, buyer's name and e-mail). The cycle counter is kept.
    pub fn update_subscription(&mut self, s: &Subscription, now: DateTime<Utc>) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE subscriptions SET buyer_name = ?2, buyer_email = ?3, cycle = ?4, billing_day = ?5,
                amount = ?6, fees_to_be_advised = ?7, contract_end = ?8, next_renewal_date = ?9,
                status = ?10, capture_mode = ?11, updated_at = ?12
             WHERE id = ?1",
            params![
                s.id.0,
                s.buyer_name,
                s.buyer_email,
                s.cycle.code(),
                s.billing_day,
                s.amount.0,
                s.fees_to_be_advised,
                s.contract_end.map(date_text),
                date_text(s.next_renewal_date),
                s.status.code(),
                s.capture_mode.code(),
                ms(now),
            ],
        )?;
        if n == 0 {
            return Err(not_found(s.id));
        }
        Ok(())
    }

    /// Sets a subscription's status.
    pub fn set_subscription_status(
        &mut self,
        id: SubscriptionId,
        status: SubscriptionStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE subscriptions SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id.0, status.code(), ms(now)],
        )?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Shows why the next renewal is not attempted (kept until a renewal begins or the
    /// block is cleared).
    pub fn record_renewal_block(
        &mut self,
        id: SubscriptionId,
        block: RenewalBlock,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let text = block.text();
        let n = self.conn.execute(
            "UPDATE subscriptions SET block_code = ?2, block_ja = ?3, block_en = ?4,
                blocked_at = coalesce(CASE WHEN block_code = ?2 THEN blocked_at END, ?5)
             WHERE id = ?1",
            params![id.0, block.code(), text.ja, text.en, ms(now)],
        )?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// The block the subscription shows, if any.
    pub fn renewal_block(&self, id: SubscriptionId) -> Result<Option<ShownBlock>> {
        let row: Option<BlockColumns> = self
            .conn
            .query_row(
                "SELECT block_code, block_ja, block_en, blocked_at FROM subscriptions WHERE id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((Some(code), ja, en, Some(at))) = row else {
            return Ok(None);
        };
        Ok(Some(ShownBlock {
            code,
            text: Text::new(ja.unwrap_or_default(), en.unwrap_or_default()),
            at: from_ms(at)?,
        }))
    }

    /// Clears the shown block.
    pub fn clear_renewal_block(&mut self, id: SubscriptionId) -> Result<()> {
        self.conn.execute(
            "UPDATE subscriptions SET block_code = NULL, block_ja = NULL, block_en = NULL, blocked_at = NULL WHERE id = ?1",
            [id.0],
        )?;
        Ok(())
    }

    // -- Stored cards ------------------------------------------------------------------

    /// Records a stored card's expiry as the gateway (027) reported it; says whether the
    /// buyer updated it.
    pub fn refresh_stored_card(
        &mut self,
        customer_id: &str,
        customer_card_id: &str,
        expiry: CardExpiry,
        last4: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CardRefresh> {
        upsert_card(
            &self.conn,
            customer_id,
            customer_card_id,
            expiry,
            last4,
            now,
        )
    }

    /// A stored card snapshot.
    pub fn stored_card(
        &self,
        customer_id: &str,
        customer_card_id: &str,
    ) -> Result<Option<StoredCard>> {
        Ok(self
            .conn
            .query_row(
                "SELECT customer_id, customer_card_id, expiry_year, expiry_month, last4, refreshed_at, updated_card_at
                 FROM stored_cards WHERE customer_id = ?1 AND customer_card_id = ?2",
                [customer_id, customer_card_id],
                |r| {
                    let y: Option<i32> = r.get(2)?;
                    let m: Option<u32> = r.get(3)?;
                    Ok(StoredCard {
                        customer_id: r.get(0)?,
                        customer_card_id: r.get(1)?,
                        expiry: y.zip(m).and_then(|(y, m)| CardExpiry::new(y, m)),
                        last4: r.get(4)?,
                        refreshed_at: from_ms_opt(r.get(5)?)?,
                        updated_card_at: from_ms_opt(r.get(6)?)?,
                    })
                },
            )
            .optional()?)
    }

    // -- Renewal cycles (the renewal journal) ------------------------------------------

    /// Journals a due renewal before the authorization is sent, in one transaction: the
    /// missed cycles are recorded (never charged), the cycle is written `pending` with its
    /// key, the subscription moves to its following date and its shown block is cleared. A
    /// cycle recorded before is never started again.
    pub fn begin_renewal(
        &mut self,
        due: &DueRenewal,
        amount: Yen,
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
        let next_index: Option<u32> = tx
            .query_row(
                "SELECT next_cycle_index FROM subscriptions WHERE id = ?1",
                [due.subscription.0],
                |r| r.get(0),
            )
            .optional()?;
        let Some(next_index) = next_index else {
            return Err(not_found(due.subscription));
        };
        if due.cycle_index < next_index {
            // Computed from a stale copy: this cycle was skipped or handled already.
            return Ok(BeginRenewal::AlreadyRecorded(CycleState::Missed));
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
                amount.0,
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
            amount.0,
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

    // -- CSV import --------------------------------------------------------------------

    /// Imports a subscription file (layout in the module doc) in one transaction. Rows are
    /// also refused when the same subscription (customer, card, cycle, amount) already
    /// exists and is not ended, appears twice in the file, or names a card the gateway
    /// did not list for a customer whose cards PayDesk has read (unknown stored card).
    pub fn import_subscriptions(
        &mut self,
        bytes: &[u8],
        policy: ImportPolicy,
        capture_mode: CaptureMode,
        now: DateTime<Utc>,
    ) -> Result<ImportReport> {
        let (rows, mut errors) = parse_subscriptions_csv(bytes);
        let tx = self.conn.transaction()?;
        let mut seen = HashSet::new();
        let mut imported = Vec::new();
        for row in &rows {
            let identity = (
                row.customer_id.clone(),
                row.customer_card_id.clone(),
                row.cycle.code(),
                row.amount.0,
            );
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE customer_id = ?1 AND customer_card_id = ?2
                    AND cycle = ?3 AND amount = ?4 AND status <> 'ended')",
                params![identity.0, identity.1, identity.2, identity.3],
                |r| r.get(0),
            )?;
            if exists || !seen.insert(identity) {
                errors.push(RowError::new(
                    row.line,
                    None,
                    "同じ会員・カード・周期・金額の定期購入がすでにあります。",
                    "A subscription with the same customer, card, cycle and amount already exists.",
                ));
                continue;
            }
            let known_cards: Vec<String> = {
                let mut stmt =
                    tx.prepare("SELECT customer_card_id FROM stored_cards WHERE customer_id = ?1")?;
                let cards = stmt.query_map([&row.customer_id], |r| r.get(0))?;
                cards.collect::<rusqlite::Result<_>>()?
            };
            if !known_cards.is_empty() && !known_cards.contains(&row.customer_card_id) {
                errors.push(RowError::new(
                    row.line,
                    Some("customer_card_id"),
                    format!(
                        "カードID「{}」は会員「{}」の登録済みカードにありません（登録済み: {}）。",
                        row.customer_card_id,
                        row.customer_id,
                        known_cards.join(", ")
                    ),
                    format!(
                        "Card ID \"{}\" is not a stored card of customer \"{}\" (stored: {}).",
                        row.customer_card_id,
                        row.customer_id,
                        known_cards.join(", ")
                    ),
                ));
                continue;
            }
            let sub = Subscription {
                id: SubscriptionId(0),
                customer_id: row.customer_id.clone(),
                customer_card_id: row.customer_card_id.clone(),
                buyer_name: row.buyer_name.clone(),
                buyer_email: row.buyer_email.clone(),
                cycle: row.cycle,
                billing_day: row.billing_day,
                amount: row.amount,
                fees_to_be_advised: row.fees_to_be_advised,
                contract_end: row.contract_end,
                next_renewal_date: row.next_renewal_date,
                next_cycle_index: 0,
                status: row.status,
                card_expiry: None,
                card_refreshed_at: None,
                capture_mode,
            };
            imported.push(insert_subscription(&tx, &sub, None, now)?);
            if let Some(expiry) = row.card_expiry {
                // Only a first snapshot: the gateway's answer (027) wins over a file.
                tx.execute(
                    "INSERT OR IGNORE INTO stored_cards (customer_id, customer_card_id, expiry_year,
                        expiry_month, expiry_index, refreshed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                    params![
                        row.customer_id,
                        row.customer_card_id,
                        expiry.year,
                        expiry.month,
                        expiry.month_index()
                    ],
                )?;
            }
        }
        errors.sort_by_key(|e| e.line);
        if policy == ImportPolicy::AllOrNothing && !errors.is_empty() {
            tx.rollback()?;
            return Ok(ImportReport {
                imported: Vec::new(),
                errors,
            });
        }
        tx.commit()?;
        Ok(ImportReport { imported, errors })
    }

    // -- The card list -----------------------------------------------------------------

    /// One page of the card dashboard's list, soonest expiry first, filtered in SQL.
    pub fn card_list(&self, query: &CardListQuery, rules: &Rules) -> Result<Page<CardListRow>> {
        let this_month = month_index(query.today);
        let warn = i64::from(rules.card_expiry_warning_months);
        let mut filters: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if !query.include_ended {
            filters.push("s.status <> 'ended'".into());
        }
        match query.state {
            None => {}
            Some(CardState::Expired) => {
                values.push(Value::Integer(this_month));
                filters.push(format!("c.expiry_index < ?{}", values.len()));
            }
            Some(CardState::ExpiringSoon) => {
                values.push(Value::Integer(this_month));
                values.push(Value::Integer(this_month + warn));
                filters.push(format!(
                    "c.expiry_index >= ?{} AND c.expiry_index < ?{}",
                    values.len() - 1,
                    values.len()
                ));
            }
            Some(CardState::Valid) => {
                values.push(Value::Integer(this_month + warn));
                filters.push(format!("c.expiry_index >= ?{}", values.len()));
            }
        }
        if query.predicted_failures_only {
            filters.push(
                "s.status = 'active' AND c.expiry_index < \
                 (CAST(substr(s.next_renewal_date, 1, 4) AS INTEGER) * 12 + CAST(substr(s.next_renewal_date, 6, 2) AS INTEGER) - 1)"
                    .into(),
            );
        }
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let escaped = search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            values.push(Value::Text(format!("{escaped}%")));
            filters.push(format!(
                "(s.buyer_name LIKE ?{n} ESCAPE '\\' OR s.customer_id LIKE ?{n} ESCAPE '\\')",
                n = values.len()
            ));
        }
        let filter = if filters.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", filters.join(" AND "))
        };
        let total: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM {SUB_FROM} {filter}"),
            params_from_iter(values.iter()),
            |r| r.get(0),
        )?;
        let size = query.page_size.max(1);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SUB_COLUMNS},
                (SELECT max(o.sent_at) FROM outreach_log o WHERE o.customer_id = s.customer_id)
             FROM {SUB_FROM} {filter}
             ORDER BY c.expiry_index IS NULL, c.expiry_index, s.next_renewal_date, s.id
             LIMIT {size} OFFSET {}",
            u64::from(query.page) * u64::from(size)
        ))?;
        let rows = stmt.query_map(params_from_iter(values.iter()), |r| {
            Ok((sub_row(r)?, from_ms_opt(r.get(17)?)?))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (subscription, last_reminder_at) = row?;
            items.push(CardListRow {
                card_state: subscription
                    .card_expiry
                    .map(|e| card_state(e, query.today, rules)),
                will_fail: subscription.status == SubscriptionStatus::Active
                    && domain::subscription::will_fail_before_next_billing(&subscription),
                subscription,
                last_reminder_at,
            });
        }
        Ok(Page {
            items,
            total: total as u64,
            page: query.page,
            page_size: size,
        })
    }

    // -- Mail queue and outreach log ---------------------------------------------------

    /// Queues mails in one transaction. A reminder to a buyer who already has the same
    /// reminder waiting (queued or failed) is not queued again.
    pub fn queue_mails(
        &mut self,
        mails: &[NewMail],
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueOutcome>> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(mails.len());
        for m in mails {
            let (purpose, kind) = match m.purpose {
                MailPurpose::Reminder(k) => ("reminder", Some(k.code())),
                MailPurpose::MonthlySummary => ("monthly_summary", None),
                MailPurpose::Other => ("other", None),
            };
            let inserted = tx.execute(
                "INSERT INTO mail_queue (purpose, reminder_kind, customer_id, subscription_id, card_expiry,
                    to_address, subject, body, state, next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?9)
                 ON CONFLICT DO NOTHING",
                params![
                    purpose,
                    kind,
                    m.customer_id,
                    m.subscription.map(|s| s.0),
                    m.card_expiry.map(CardExpiry::code),
                    m.to,
                    m.subject,
                    m.body,
                    ms(now),
                ],
            )?;
            out.push(if inserted == 0 {
                QueueOutcome::AlreadyQueued
            } else {
                QueueOutcome::Queued(MailId(tx.last_insert_rowid()))
            });
        }
        tx.commit()?;
        Ok(out)
    }

    /// Mails due for an attempt at `now`: queued ones, and failed ones whose retry time
    /// came and that have attempts left. Oldest first.
    pub fn mails_to_send(&self, now: DateTime<Utc>, rules: &Rules) -> Result<Vec<QueuedMail>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_queue
             WHERE (state = 'queued' OR (state = 'failed' AND attempts < ?2)) AND next_attempt_at <= ?1
             ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![ms(now), rules.mail_max_attempts], mail_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Mails in a state (the queue screen), newest first.
    pub fn mails(&self, state: Option<MailState>) -> Result<Vec<QueuedMail>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_queue WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([state.map(MailState::code)], mail_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One mail.
    pub fn mail(&self, id: MailId) -> Result<Option<QueuedMail>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {MAIL_COLUMNS} FROM mail_queue WHERE id = ?1"),
                [id.0],
                mail_row,
            )
            .optional()?)
    }

    /// The SMTP server accepted the mail; a reminder goes into the buyer's outreach log in
    /// the same transaction.
    pub fn mark_mail_sent(&mut self, id: MailId, now: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE mail_queue SET state = 'sent', attempts = attempts + 1, sent_at = ?2, last_error = NULL
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            params![id.0, ms(now)],
        )?;
        if n == 0 {
            return Err(Error::Corrupt {
                column: "mail_queue.id",
                value: format!("mail {} is not waiting to be sent", id.0),
            });
        }
        tx.execute(
            "INSERT INTO outreach_log (customer_id, kind, card_expiry, subscription_id, mail_id, sent_at)
             SELECT customer_id, reminder_kind, card_expiry, subscription_id, id, ?2
             FROM mail_queue WHERE id = ?1 AND purpose = 'reminder'",
            params![id.0, ms(now)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The attempt failed: the mail stays visible as failed with the error, and is retried
    /// after `rules.mail_retry_delay` until `rules.mail_max_attempts`.
    pub fn mark_mail_failed(
        &mut self,
        id: MailId,
        error: &str,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE mail_queue SET state = 'failed', attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            params![id.0, error, ms(now + rules.mail_retry_delay)],
        )?;
        if n == 0 {
            return Err(Error::Corrupt {
                column: "mail_queue.id",
                value: format!("mail {} is not waiting to be sent", id.0),
            });
        }
        Ok(())
    }

    /// The shop retries a failed mail now (attempts start over).
    pub fn retry_mail(&mut self, id: MailId, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE mail_queue SET state = 'queued', attempts = 0, next_attempt_at = ?2 WHERE id = ?1 AND state = 'failed'",
            params![id.0, ms(now)],
        )?;
        Ok(())
    }

    /// The shop discards a waiting or failed mail.
    pub fn discard_mail(&mut self, id: MailId) -> Result<()> {
        self.conn.execute(
            "UPDATE mail_queue SET state = 'discarded' WHERE id = ?1 AND state IN ('queued', 'failed')",
            [id.0],
        )?;
        Ok(())
    }

    /// Discards waiting reminders that no longer apply (the card was updated or a renewal
    /// succeeded): the api layer calls it with `domain::subscription::reminder_decision`'s
    /// verdict. Returns how many were discarded.
    pub fn discard_reminders(&mut self, customer_id: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE mail_queue SET state = 'discarded'
             WHERE customer_id = ?1 AND purpose = 'reminder' AND state IN ('queued', 'failed')",
            [customer_id],
        )?)
    }

    /// The buyer's outreach log, oldest first.
    pub fn outreach_log(&self, customer_id: &str) -> Result<Vec<OutreachEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, sent_at, card_expiry FROM outreach_log WHERE customer_id = ?1 ORDER BY sent_at, id",
        )?;
        let rows = stmt.query_map([customer_id], |r| {
            let kind: String = r.get(0)?;
            Ok(OutreachEntry {
                kind: decode(0, &kind, ReminderKind::from_code)?,
                sent_at: from_ms(r.get(1)?)?,
                card_expiry: r
                    .get::<_, Option<String>>(2)?
                    .and_then(|s| CardExpiry::parse(&s)),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // -- Templates and notification preferences ----------------------------------------

    /// The shop's edited template, if any (`None`: use the built-in text).
    pub fn email_template(
        &self,
        kind: ReminderKind,
        language: &str,
    ) -> Result<Option<StoredTemplate>> {
        Ok(self
            .conn
            .query_row(
                "SELECT subject, body, updated_at FROM email_templates WHERE kind = ?1 AND language = ?2",
                [kind.code(), language],
                |r| {
                    Ok(StoredTemplate {
                        subject: r.get(0)?,
                        body: r.get(1)?,
                        updated_at: from_ms(r.get(2)?)?,
                    })
                },
            )
            .optional()?)
    }

    /// Saves an edited template (validate it with the mail crate first).
    pub fn set_email_template(
        &mut self,
        kind: ReminderKind,
        language: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO email_templates (kind, language, subject, body, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, language) DO UPDATE SET subject = excluded.subject, body = excluded.body,
                updated_at = excluded.updated_at",
            params![kind.code(), language, subject, body, ms(now)],
        )?;
        Ok(())
    }

    /// Goes back to the built-in text.
    pub fn reset_email_template(&mut self, kind: ReminderKind, language: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM email_templates WHERE kind = ?1 AND language = ?2",
            [kind.code(), language],
        )?;
        Ok(())
    }

    /// Whether a kind of desktop notification is on (on unless turned off).
    pub fn notification_enabled(&self, kind: NotificationKind) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT enabled FROM notification_preferences WHERE kind = ?1",
                [kind.code()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(true))
    }

    /// Turns a kind of desktop notification on or off.
    pub fn set_notification_enabled(
        &mut self,
        kind: NotificationKind,
        enabled: bool,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO notification_preferences (kind, enabled) VALUES (?1, ?2)
             ON CONFLICT (kind) DO UPDATE SET enabled = excluded.enabled",
            params![kind.code(), enabled],
        )?;
        Ok(())
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
