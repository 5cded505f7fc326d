//! The money ledger: every capture and refund with its time and amount (migration 0012).
//!
//! Layout: [`record`] writes the movements of one order change (from
//! `domain::money::movements`) in the caller's transaction: `orders::insert_order` calls it
//! for a new order, `journal::apply_reconciliation` (where sync and operation outcomes
//! change an order) for every change; [`backfill`] fills the ledger once, in the migration,
//! for orders that existed before it; a trigger keeps the sums per Japan day
//! (`money_days`); then sales over a range of days ([`Store::sales`]) and
//! the movements behind one cell ([`Store::movements`]).
//!
//! Invariants: append-only (triggers refuse UPDATE and DELETE); per order, captures add up
//! to `captured_amount` and refunds to `refunded_amount`.

use chrono::{DateTime, Utc};
use domain::money::{Movement, MovementKind, SalesTotals};
use domain::{Order, OrderId, PaymentMethod, Yen};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Result, Store, decode, from_ms, ms};

/// How a movement came into the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementSource {
    /// Written when PayDesk applied the change.
    Applied,
    /// Filled from the order's amounts and change history (orders older than the ledger).
    History,
    /// A refund the history does not date: dated by the order's last change.
    Estimated,
}

impl MovementSource {
    fn code(self) -> &'static str {
        match self {
            MovementSource::Applied => "applied",
            MovementSource::History => "history",
            MovementSource::Estimated => "estimated",
        }
    }

    fn from_code(code: &str) -> Option<MovementSource> {
        [
            MovementSource::Applied,
            MovementSource::History,
            MovementSource::Estimated,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// One movement as listed behind a sales cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRow {
    pub order_id: OrderId,
    pub order_number: String,
    /// The transaction ID the order had when it moved.
    pub payment_id: String,
    pub method: PaymentMethod,
    pub kind: MovementKind,
    pub amount: Yen,
    pub at: DateTime<Utc>,
    pub source: MovementSource,
}

/// The movements of a time range (or the first of them) and their count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementPage {
    /// Oldest first, at most the limit asked for.
    pub items: Vec<MovementRow>,
    /// How many match in all.
    pub total: u64,
}

fn insert(
    conn: &Connection,
    order: OrderId,
    method: PaymentMethod,
    payment_id: &str,
    movement: &Movement,
    source: MovementSource,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO money_movements (order_id, method, kind, amount, at, payment_id, source, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        order.0,
        method.code(),
        movement.kind.code(),
        movement.amount.0,
        ms(movement.at),
        payment_id,
        source.code(),
        ms(now),
    ])?;
    Ok(())
}

/// Writes the movements that take `order` from `before` (none: new) to `after`, learned
/// at `at` (the gateway's change time where known), in the caller's transaction.
pub(crate) fn record(
    conn: &Connection,
    order: OrderId,
    before: Option<&Order>,
    after: &Order,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    for movement in domain::money::movements(before, after, at) {
        insert(
            conn,
            order,
            after.method,
            &after.payment_id,
            &movement,
            MovementSource::Applied,
            now,
        )?;
    }
    Ok(())
}

/// A refund's amount from a change-history line PayDesk wrote (`domain::history`'s
/// `full_refund` and `partial_refund`, English text), if it is one.
fn refund_in_line(text_en: &str) -> Option<i64> {
    let rest = text_en
        .strip_prefix("Refunded in full: ")
        .or_else(|| text_en.strip_prefix("Partially refunded "))?;
    let amount = rest.strip_prefix('¥')?;
    let digits: String = amount
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    digits.parse().ok()
}

/// Fills the ledger for the orders that existed before it (run once, by migration 0012, in
/// its transaction): each captured order's capture at its capture time; its refunds at the
/// times of its history's refund lines, and what those do not cover at the order's last
/// change (`estimated`). The store has no clock: a filled movement counts as recorded at
/// its order's last change.
pub(crate) fn backfill(conn: &Connection) -> Result<()> {
    let mut orders = conn.prepare(
        "SELECT id, method, payment_id, captured_amount, refunded_amount, captured_at, updated_at
         FROM orders WHERE captured_amount > 0 ORDER BY id",
    )?;
    let rows = orders.query_map([], |r| {
        Ok((
            OrderId(r.get(0)?),
            decode(1, &r.get::<_, String>(1)?, PaymentMethod::from_code)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<i64>>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    let mut lines =
        conn.prepare("SELECT at, text_en FROM order_history WHERE order_id = ?1 ORDER BY at, id")?;
    for row in rows {
        let (id, method, payment_id, captured, refunded, captured_at, updated_at) = row?;
        let updated_at = from_ms(updated_at)?;
        let now = updated_at;
        let capture = Movement {
            kind: MovementKind::Capture,
            amount: Yen(captured),
            at: captured_at.map(from_ms).transpose()?.unwrap_or(updated_at),
        };
        insert(
            conn,
            id,
            method,
            &payment_id,
            &capture,
            MovementSource::History,
            now,
        )?;
        let mut left = refunded;
        if left > 0 {
            let found: Vec<(i64, String)> = lines
                .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (at, text) in found {
                let Some(amount) = refund_in_line(&text).map(|a| a.min(left)) else {
                    continue;
                };
                if amount <= 0 {
                    continue;
                }
                let refund = Movement {
                    kind: MovementKind::Refund,
                    amount: Yen(amount),
                    at: from_ms(at)?,
                };
                insert(
                    conn,
                    id,
                    method,
                    &payment_id,
                    &refund,
                    MovementSource::History,
                    now,
                )?;
                left -= amount;
            }
        }
        if left > 0 {
            let refund = Movement {
                kind: MovementKind::Refund,
                amount: Yen(left),
                at: updated_at,
            };
            insert(
                conn,
                id,
                method,
                &payment_id,
                &refund,
                MovementSource::Estimated,
                now,
            )?;
        }
    }
    Ok(())
}

fn movement_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MovementRow> {
    Ok(MovementRow {
        order_id: OrderId(r.get(0)?),
        order_number: r.get(1)?,
        payment_id: r.get(2)?,
        method: decode(3, &r.get::<_, String>(3)?, PaymentMethod::from_code)?,
        kind: decode(4, &r.get::<_, String>(4)?, MovementKind::from_code)?,
        amount: Yen(r.get(5)?),
        at: from_ms(r.get(6)?)?,
        source: decode(7, &r.get::<_, String>(7)?, MovementSource::from_code)?,
    })
}

impl Store {
    /// Every movement of the Japan days from `from` to `to` (excluded) added up per day
    /// and method, read from the per-day sums the ledger keeps (`money_days`). The bounds
    /// are taken as the Japan days they fall in (callers pass 0:00 of a day).
    pub fn sales(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<SalesTotals> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, method, kind, amount, count FROM money_days
             WHERE day >= ?1 AND day < ?2",
        )?;
        let mut rows = stmt.query(params![
            domain::money::tokyo_day_number(ms(from)),
            domain::money::tokyo_day_number(ms(to))
        ])?;
        let mut totals = SalesTotals::default();
        while let Some(r) = rows.next()? {
            let method = match r.get_ref(1)?.as_str().ok() {
                Some("paidy") => PaymentMethod::Paidy,
                _ => PaymentMethod::Card,
            };
            let kind = match r.get_ref(2)?.as_str().ok() {
                Some("refund") => MovementKind::Refund,
                _ => MovementKind::Capture,
            };
            let count: i64 = r.get(4)?;
            totals.add_many(
                r.get(0)?,
                method,
                kind,
                Yen(r.get(3)?),
                u32::try_from(count).unwrap_or(u32::MAX),
            );
        }
        Ok(totals)
    }

    /// The movements in `[from, to)` (of one method, or all), oldest first, at most
    /// `limit`, and how many there are in all: the orders behind a sales cell.
    pub fn movements(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        method: Option<PaymentMethod>,
        limit: usize,
    ) -> Result<MovementPage> {
        let method = method.map(PaymentMethod::code);
        let total: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM money_movements
             WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR method = ?3)",
            params![ms(from), ms(to), method],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.order_id, o.order_number, m.payment_id, m.method, m.kind, m.amount, m.at, m.source
             FROM money_movements m JOIN orders o ON o.id = m.order_id
             WHERE m.at >= ?1 AND m.at < ?2 AND (?3 IS NULL OR m.method = ?3)
             ORDER BY m.at, m.id LIMIT ?4",
        )?;
        let items = stmt
            .query_map(
                params![ms(from), ms(to), method, limit as i64],
                movement_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(MovementPage {
            items,
            total: total as u64,
        })
    }

    /// An order's movements, oldest first.
    pub fn order_movements(&self, order: OrderId) -> Result<Vec<MovementRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.order_id, o.order_number, m.payment_id, m.method, m.kind, m.amount, m.at, m.source
             FROM money_movements m JOIN orders o ON o.id = m.order_id
             WHERE m.order_id = ?1 ORDER BY m.at, m.id",
        )?;
        Ok(stmt
            .query_map([order.0], movement_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// A deposit the shop received, as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDeposit {
    pub id: i64,
    pub method: PaymentMethod,
    /// The Japan day it arrived.
    pub received_on: chrono::NaiveDate,
    pub amount: Yen,
    pub recorded_at: DateTime<Utc>,
    /// From the bank's statement (never corrected here), not typed.
    pub imported: bool,
}

/// What a correction of a typed deposit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositCorrection {
    /// New values: method, Japan day, amount.
    Correct(PaymentMethod, chrono::NaiveDate, Yen),
    /// Typed by mistake: no longer counted (kept, marked).
    Withdraw,
}

/// Why a correction was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositNotCorrected {
    /// No such deposit, or it was withdrawn before.
    NotFound,
    /// Imported from the bank's statement.
    Imported,
}

impl Store {
    /// Corrects or withdraws a typed deposit, keeping the values it replaces
    /// (`deposit_corrections`), in one transaction.
    pub fn correct_deposit(
        &mut self,
        id: i64,
        correction: DepositCorrection,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), DepositNotCorrected>> {
        let tx = self.conn.transaction()?;
        let before: Option<(String, String, i64, bool)> = tx
            .query_row(
                "SELECT method, received_on, amount, statement_key IS NOT NULL
                 FROM deposits_received WHERE id = ?1 AND withdrawn_at IS NULL",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((method, day, amount, imported)) = before else {
            return Ok(Err(DepositNotCorrected::NotFound));
        };
        if imported {
            return Ok(Err(DepositNotCorrected::Imported));
        }
        tx.execute(
            "INSERT INTO deposit_corrections (deposit_id, method, received_on, amount, withdrawn, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                method,
                day,
                amount,
                correction == DepositCorrection::Withdraw,
                ms(now)
            ],
        )?;
        match correction {
            DepositCorrection::Correct(method, day, amount) => tx.execute(
                "UPDATE deposits_received SET method = ?2, received_on = ?3, amount = ?4
                 WHERE id = ?1",
                params![
                    id,
                    method.code(),
                    day.format("%Y-%m-%d").to_string(),
                    amount.0
                ],
            )?,
            DepositCorrection::Withdraw => tx.execute(
                "UPDATE deposits_received SET withdrawn_at = ?2 WHERE id = ?1",
                params![id, ms(now)],
            )?,
        };
        tx.commit()?;
        Ok(Ok(()))
    }

    /// The values a deposit had before each of its corrections, oldest first: (method,
    /// Japan day, amount, whether that correction withdrew it).
    pub fn deposit_corrections(
        &self,
        id: i64,
    ) -> Result<Vec<(PaymentMethod, chrono::NaiveDate, Yen, bool)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT method, received_on, amount, withdrawn FROM deposit_corrections
             WHERE deposit_id = ?1 ORDER BY id",
        )?;
        Ok(stmt
            .query_map([id], |r| {
                Ok((
                    decode(0, &r.get::<_, String>(0)?, PaymentMethod::from_code)?,
                    decode(1, &r.get::<_, String>(1)?, |s| {
                        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
                    })?,
                    Yen(r.get(2)?),
                    r.get(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Records a deposit received (issue 21, point 3).
    pub fn record_deposit(
        &mut self,
        method: PaymentMethod,
        received_on: chrono::NaiveDate,
        amount: Yen,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO deposits_received (method, received_on, amount, recorded_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                method.code(),
                received_on.format("%Y-%m-%d").to_string(),
                amount.0,
                ms(now)
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The deposits received from `from` to `to` (Japan days, both included), oldest first.
    pub fn deposits_received(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<ReceivedDeposit>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, method, received_on, amount, recorded_at, statement_key IS NOT NULL
             FROM deposits_received
             WHERE received_on >= ?1 AND received_on <= ?2 AND withdrawn_at IS NULL
             ORDER BY received_on, id",
        )?;
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        Ok(stmt
            .query_map(params![day(from), day(to)], |r| {
                Ok(ReceivedDeposit {
                    id: r.get(0)?,
                    method: decode(1, &r.get::<_, String>(1)?, PaymentMethod::from_code)?,
                    received_on: decode(2, &r.get::<_, String>(2)?, |s| {
                        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
                    })?,
                    amount: Yen(r.get(3)?),
                    recorded_at: from_ms(r.get(4)?)?,
                    imported: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
