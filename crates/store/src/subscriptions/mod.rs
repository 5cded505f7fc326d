//! Subscriptions: the subscriptions themselves (here), their renewal cycles
//! ([`renewals`]: the renewal journal, one row per cycle, unique key, so a cycle is never
//! authorized twice), stored-card snapshots and the card dashboard's list ([`cards`]),
//! the CSV import ([`import`]: the file is read by `domain::subscription_csv`, stored
//! here), the e-mail queue and the buyer outreach log ([`mail_queue`]) and notification
//! preferences ([`preferences`]).
//!
//! Layout: each module holds its value types, its rows and its `impl Store` block.

mod cards;
mod import;
pub(crate) mod mail_queue;
mod preferences;
mod renewals;

pub use cards::{CardListQuery, CardListRow, CardRefresh, StoredCard};
pub use import::{ImportPolicy, ImportReport};
pub use mail_queue::{
    INTERRUPTED_PREFIX, MailId, MailPurpose, MailState, NewMail, QueueOutcome, QueuedMail,
};
pub use renewals::{BeginRenewal, CycleRow, CycleState, month_bounds};

use chrono::{DateTime, NaiveDate, Utc};
use domain::history::Text;
use domain::subscription::{
    CardExpiry, Cycle, RenewalBlock, Subscription, SubscriptionId, SubscriptionStatus,
};
use domain::{CaptureMode, OrderId, Yen};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{Error, Result, Store, decode, from_ms, from_ms_opt, ms};
use cards::upsert_card;

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

// ---------------------------------------------------------------------------------------
// Rows, shared by the sections.

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

fn not_found(id: SubscriptionId) -> Error {
    Error::Corrupt {
        column: "subscriptions.id",
        value: format!("subscription {} not found", id.0),
    }
}

// ---------------------------------------------------------------------------------------
// The subscriptions themselves.

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
}
