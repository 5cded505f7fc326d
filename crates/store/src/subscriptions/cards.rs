//! Stored-card snapshots (expiry from 027) and the card dashboard's list.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Rules;
use domain::subscription::{
    CardExpiry, CardState, Subscription, SubscriptionStatus, card_state, month_index,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{SUB_COLUMNS, SUB_FROM, sub_row};
use crate::{Page, Result, Store, from_ms_opt, ms};

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

pub(super) fn upsert_card(
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

impl Store {
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
}
