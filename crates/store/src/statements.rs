//! Deposits imported from the bank's statement (issue 21, point 3; migration 0015), and
//! what the deposit check (入金チェック) says about the orders of a period.
//!
//! Layout: [`plan`] is the one planning function behind the preview and the apply: for
//! each deposit line of the statement (read by `domain::bank_statement`), whether it is
//! new, was imported before (its key is stored) or was typed by hand before (an unclaimed
//! typed deposit of the same method, day and amount); [`Store::apply_statement`] plans
//! again in its transaction and applies only the plan previewed (its fingerprint).
//! [`Store::captured_orders`] and [`Store::deposit_marks`] give the orders a period's
//! deposit pays and the orders marked received, for the agreement check.
//!
//! Invariants: a statement line's key is recorded at most once (a unique index); a typed
//! deposit is claimed by at most one line.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{OrderId, PaymentMethod, Yen};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Error, Result, Store, decode, from_ms, ms};

/// One deposit line of the statement, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    pub method: PaymentMethod,
    pub received_on: NaiveDate,
    pub amount: Yen,
    /// `domain::bank_statement::StatementDeposit::key`.
    pub key: String,
    pub description: String,
}

/// What importing a line does (preview) or did (apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementOutcome {
    /// Recorded by this import (preview: will be). The deposit's id once applied.
    Recorded(Option<i64>),
    /// Its key was imported before: this deposit.
    AlreadyImported(i64),
    /// A deposit typed by hand with the same method, day and amount: this one, which the
    /// import marks as the line's (nothing new is recorded).
    AlreadyTyped(i64),
}

impl StatementOutcome {
    fn code(self) -> &'static str {
        match self {
            StatementOutcome::Recorded(_) => "recorded",
            StatementOutcome::AlreadyImported(_) => "imported",
            StatementOutcome::AlreadyTyped(_) => "typed",
        }
    }

    /// The deposit the line is (none: preview of a new one).
    pub fn deposit_id(self) -> Option<i64> {
        match self {
            StatementOutcome::Recorded(id) => id,
            StatementOutcome::AlreadyImported(id) | StatementOutcome::AlreadyTyped(id) => Some(id),
        }
    }
}

/// The plan of an import: one outcome per row, in order, and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPlan {
    pub outcomes: Vec<StatementOutcome>,
    /// Changes when any outcome would: the preview's token.
    pub fingerprint: String,
}

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The one planning function behind the preview and the apply.
fn plan(conn: &Connection, rows: &[StatementRow]) -> Result<StatementPlan> {
    let mut by_key =
        conn.prepare_cached("SELECT id FROM deposits_received WHERE statement_key = ?1")?;
    let mut typed = conn.prepare_cached(
        "SELECT id FROM deposits_received
         WHERE statement_key IS NULL AND withdrawn_at IS NULL
           AND method = ?1 AND received_on = ?2 AND amount = ?3
         ORDER BY id",
    )?;
    let mut claimed = HashSet::new();
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for row in rows {
        let outcome = if let Some(id) = by_key
            .query_row([&row.key], |r| r.get::<_, i64>(0))
            .optional()?
        {
            StatementOutcome::AlreadyImported(id)
        } else {
            let ids: Vec<i64> = typed
                .query_map(
                    params![row.method.code(), day(row.received_on), row.amount.0],
                    |r| r.get(0),
                )?
                .collect::<rusqlite::Result<_>>()?;
            match ids.into_iter().find(|id| !claimed.contains(id)) {
                Some(id) => {
                    claimed.insert(id);
                    StatementOutcome::AlreadyTyped(id)
                }
                None => StatementOutcome::Recorded(None),
            }
        };
        for part in [
            row.key.as_bytes(),
            row.method.code().as_bytes(),
            outcome.code().as_bytes(),
            outcome.deposit_id().unwrap_or(0).to_string().as_bytes(),
        ] {
            fnv(&mut hash, part);
            fnv(&mut hash, &[0xff]);
        }
        outcomes.push(outcome);
    }
    Ok(StatementPlan {
        outcomes,
        fingerprint: format!("{hash:016x}"),
    })
}

/// An order a period's deposit pays, and its deposit mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedOrder {
    pub order_id: OrderId,
    pub order_number: String,
    /// The day its deposit check says the money arrived (none: not marked).
    pub marked_on: Option<NaiveDate>,
}

/// An order whose deposit is marked received, with when it was first captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositMark {
    pub order_id: OrderId,
    pub order_number: String,
    pub method: PaymentMethod,
    pub marked_on: NaiveDate,
    /// Its first capture in the ledger (none: the ledger has no capture for it).
    pub captured_at: Option<DateTime<Utc>>,
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl Store {
    /// What importing `rows` would do now (nothing is written).
    pub fn plan_statement(&self, rows: &[StatementRow]) -> Result<StatementPlan> {
        plan(&self.conn, rows)
    }

    /// Applies a statement import in one transaction: plans it again, refuses with
    /// [`Error::StatementPlanChanged`] unless the plan is the one previewed (`expected`),
    /// records each new deposit with its line's key and marks each typed one the line
    /// matched with it. Returns the plan applied (new deposits with their ids) and the
    /// import's number (`None` when nothing was new: nothing is recorded then).
    pub fn apply_statement(
        &mut self,
        rows: &[StatementRow],
        expected: &str,
        file_name: &str,
        lines: usize,
        now: DateTime<Utc>,
    ) -> Result<(StatementPlan, Option<i64>)> {
        let tx = self.conn.transaction()?;
        let mut plan = plan(&tx, rows)?;
        if plan.fingerprint != expected {
            return Err(Error::StatementPlanChanged);
        }
        let changes = plan
            .outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    StatementOutcome::Recorded(_) | StatementOutcome::AlreadyTyped(_)
                )
            })
            .count();
        if changes == 0 {
            return Ok((plan, None));
        }
        let recorded = plan
            .outcomes
            .iter()
            .filter(|o| matches!(o, StatementOutcome::Recorded(_)))
            .count();
        tx.execute(
            "INSERT INTO statement_imports (at, file_name, lines, deposits, recorded)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                ms(now),
                file_name,
                lines as i64,
                rows.len() as i64,
                recorded as i64
            ],
        )?;
        let import_id = tx.last_insert_rowid();
        for (row, outcome) in rows.iter().zip(plan.outcomes.iter_mut()) {
            match outcome {
                StatementOutcome::Recorded(id) => {
                    tx.execute(
                        "INSERT INTO deposits_received
                         (method, received_on, amount, recorded_at, statement_key, statement_import, description)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            row.method.code(),
                            day(row.received_on),
                            row.amount.0,
                            ms(now),
                            row.key,
                            import_id,
                            row.description
                        ],
                    )?;
                    *id = Some(tx.last_insert_rowid());
                }
                StatementOutcome::AlreadyTyped(id) => {
                    tx.execute(
                        "UPDATE deposits_received
                         SET statement_key = ?2, statement_import = ?3, description = ?4
                         WHERE id = ?1",
                        params![*id, row.key, import_id, row.description],
                    )?;
                }
                StatementOutcome::AlreadyImported(_) => {}
            }
        }
        tx.commit()?;
        Ok((plan, Some(import_id)))
    }

    /// The orders with a capture of `method` in `[from, to)`, with their deposit marks,
    /// in order of their first capture there.
    pub fn captured_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        method: PaymentMethod,
    ) -> Result<Vec<CapturedOrder>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.order_id, o.order_number, d.received_on, MIN(m.at) AS first
             FROM money_movements m JOIN orders o ON o.id = m.order_id
             LEFT JOIN order_deposits d ON d.order_id = m.order_id
             WHERE m.at >= ?1 AND m.at < ?2 AND m.method = ?3 AND m.kind = 'capture'
             GROUP BY m.order_id ORDER BY first, m.order_id",
        )?;
        Ok(stmt
            .query_map(params![ms(from), ms(to), method.code()], |r| {
                Ok(CapturedOrder {
                    order_id: OrderId(r.get(0)?),
                    order_number: r.get(1)?,
                    marked_on: r
                        .get::<_, Option<String>>(2)?
                        .map(|s| decode(2, &s, parse_day))
                        .transpose()?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The method and time of an order's first capture, if it has one.
    pub fn first_capture(&self, order: OrderId) -> Result<Option<(PaymentMethod, DateTime<Utc>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT method, at FROM money_movements
             WHERE order_id = ?1 AND kind = 'capture' ORDER BY at, id LIMIT 1",
        )?;
        let mut rows = stmt.query(params![order.0])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some((
            decode(0, &r.get::<_, String>(0)?, PaymentMethod::from_code)?,
            from_ms(r.get(1)?)?,
        )))
    }

    /// The orders whose deposit is marked received on a Japan day from `from` to `to`
    /// (both included), with their first capture.
    pub fn deposit_marks(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DepositMark>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.order_id, o.order_number, o.method, d.received_on,
                    (SELECT MIN(m.at) FROM money_movements m
                     WHERE m.order_id = d.order_id AND m.kind = 'capture')
             FROM order_deposits d JOIN orders o ON o.id = d.order_id
             WHERE d.received_on >= ?1 AND d.received_on <= ?2
             ORDER BY d.received_on, d.order_id",
        )?;
        Ok(stmt
            .query_map(params![day(from), day(to)], |r| {
                Ok(DepositMark {
                    order_id: OrderId(r.get(0)?),
                    order_number: r.get(1)?,
                    method: decode(2, &r.get::<_, String>(2)?, PaymentMethod::from_code)?,
                    marked_on: decode(3, &r.get::<_, String>(3)?, parse_day)?,
                    captured_at: r.get::<_, Option<i64>>(4)?.map(from_ms).transpose()?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DepositCorrection, DepositNotCorrected};

    fn row(key: &str, amount: i64) -> StatementRow {
        StatementRow {
            method: PaymentMethod::Card,
            received_on: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            amount: Yen(amount),
            key: key.into(),
            description: "ﾍﾟｲｼﾞｴﾝﾄ".into(),
        }
    }

    #[test]
    fn a_statement_imported_twice_records_each_deposit_once_and_claims_a_typed_one() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let typed = store
            .record_deposit(
                PaymentMethod::Card,
                NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
                Yen(500),
                now,
            )
            .unwrap();
        let rows = vec![row("a|0", 1000), row("a|1", 1000), row("b|0", 500)];
        let preview = store.plan_statement(&rows).unwrap();
        assert_eq!(
            preview.outcomes,
            vec![
                StatementOutcome::Recorded(None),
                StatementOutcome::Recorded(None),
                StatementOutcome::AlreadyTyped(typed),
            ]
        );
        // A stale token applies nothing.
        assert!(matches!(
            store.apply_statement(&rows, "0", "s.csv", 3, now),
            Err(Error::StatementPlanChanged)
        ));
        let (applied, import) = store
            .apply_statement(&rows, &preview.fingerprint, "s.csv", 3, now)
            .unwrap();
        assert!(import.is_some());
        let ids: Vec<i64> = applied
            .outcomes
            .iter()
            .filter_map(|o| o.deposit_id())
            .collect();
        assert_eq!(ids.len(), 3);
        let day = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        assert_eq!(store.deposits_received(day, day).unwrap().len(), 3);
        // Again: every line was imported before; nothing is recorded.
        let again = store.plan_statement(&rows).unwrap();
        assert!(
            again
                .outcomes
                .iter()
                .all(|o| matches!(o, StatementOutcome::AlreadyImported(_)))
        );
        let (_, import) = store
            .apply_statement(&rows, &again.fingerprint, "s.csv", 3, now)
            .unwrap();
        assert_eq!(import, None);
        assert_eq!(store.deposits_received(day, day).unwrap().len(), 3);
    }

    #[test]
    fn a_typed_deposit_is_corrected_or_withdrawn_keeping_what_it_was_and_an_imported_one_is_not() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let day = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let typo = store
            .record_deposit(PaymentMethod::Card, day, Yen(14_310), now)
            .unwrap();
        store
            .correct_deposit(
                typo,
                DepositCorrection::Correct(PaymentMethod::Card, day, Yen(14_130)),
                now,
            )
            .unwrap()
            .unwrap();
        let kept = store.deposits_received(day, day).unwrap();
        assert_eq!((kept.len(), kept[0].amount), (1, Yen(14_130)));
        assert_eq!(
            store.deposit_corrections(typo).unwrap(),
            [(PaymentMethod::Card, day, Yen(14_310), false)]
        );
        // A statement line of the corrected amount now claims it (not a second deposit).
        let plan = store.plan_statement(&[row("x|0", 14_130)]).unwrap();
        assert_eq!(plan.outcomes, [StatementOutcome::AlreadyTyped(typo)]);

        let wrong = store
            .record_deposit(PaymentMethod::Paidy, day, Yen(2_000), now)
            .unwrap();
        store
            .correct_deposit(wrong, DepositCorrection::Withdraw, now)
            .unwrap()
            .unwrap();
        assert_eq!(store.deposits_received(day, day).unwrap().len(), 1);
        assert_eq!(
            store
                .correct_deposit(wrong, DepositCorrection::Withdraw, now)
                .unwrap(),
            Err(DepositNotCorrected::NotFound)
        );
        assert_eq!(
            store.deposit_corrections(wrong).unwrap(),
            [(PaymentMethod::Paidy, day, Yen(2_000), true)]
        );

        let rows = vec![row("b|0", 9_000)];
        let plan = store.plan_statement(&rows).unwrap();
        store
            .apply_statement(&rows, &plan.fingerprint, "s.csv", 1, now)
            .unwrap();
        let imported = store
            .deposits_received(day, day)
            .unwrap()
            .into_iter()
            .find(|d| d.imported)
            .unwrap();
        assert_eq!(
            store
                .correct_deposit(imported.id, DepositCorrection::Withdraw, now)
                .unwrap(),
            Err(DepositNotCorrected::Imported)
        );
        // The append-only record cannot be rewritten.
        assert!(
            store
                .conn
                .execute("DELETE FROM deposit_corrections", [])
                .is_err()
        );
    }
}
