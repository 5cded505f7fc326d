//! The subscription CSV import, stored (the file is read by `domain::subscription_csv`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::CaptureMode;
use domain::subscription::{Subscription, SubscriptionId};
use domain::subscription_csv::{RowError, parse_subscriptions_csv};
use rusqlite::params;

use super::insert_subscription;
use crate::{Result, Store};

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

impl Store {
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
}
