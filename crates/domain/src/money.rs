//! Money in: the movements of money an order makes (captures and refunds, each with its
//! time and amount) and sales per Japan calendar day or month.
//!
//! Layout: [`movements`] derives the movements between an order's stored state and its
//! next one (the store writes them to its append-only ledger wherever an order changes);
//! [`tokyo_day`] and [`tokyo_day_start`] turn instants into Japan days and back (Japan
//! has no daylight saving time, so a day is always 24 hours from 15:00 UTC);
//! [`SalesTotals`] adds movements into cells of one day or month and one method.
//!
//! Invariants: amounts are positive [`Yen`]; an order's captures add up to its
//! `captured_amount` and its refunds to its `refunded_amount` (the ledger never holds a
//! movement the order's amounts do not show).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use crate::history::JAPAN;
use crate::{Order, PaymentMethod, Yen};

/// What moved money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MovementKind {
    /// A capture (売上確定): the sale is booked and will be paid out.
    Capture,
    /// A refund (full or partial): it comes off the payout.
    Refund,
}

impl MovementKind {
    /// The stable code in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            MovementKind::Capture => "capture",
            MovementKind::Refund => "refund",
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<MovementKind> {
        [MovementKind::Capture, MovementKind::Refund]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// One movement of money on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// Capture or refund.
    pub kind: MovementKind,
    /// Always positive.
    pub amount: Yen,
    /// When it happened (the gateway's time where known).
    pub at: DateTime<Utc>,
}

/// The movements that take an order from `before` (none: a new order) to `after`, learned
/// at `at`. A capture is dated by the order's capture time, a refund by `at`. The gateway
/// never lowers a captured or refunded amount, so only increases move money.
pub fn movements(before: Option<&Order>, after: &Order, at: DateTime<Utc>) -> Vec<Movement> {
    let (captured, refunded) =
        before.map_or((0, 0), |b| (b.captured_amount.0, b.refunded_amount.0));
    let mut out = Vec::new();
    if after.captured_amount.0 > captured {
        out.push(Movement {
            kind: MovementKind::Capture,
            amount: Yen(after.captured_amount.0 - captured),
            at: after.captured_at.unwrap_or(at),
        });
    }
    if after.refunded_amount.0 > refunded {
        out.push(Movement {
            kind: MovementKind::Refund,
            amount: Yen(after.refunded_amount.0 - refunded),
            at,
        });
    }
    out
}

/// A day in milliseconds (Japan days are all this long: no daylight saving time).
pub const DAY_MS: i64 = 86_400_000;

/// Japan's offset from UTC in milliseconds.
pub const JAPAN_OFFSET_MS: i64 = 9 * 3_600_000;

/// The Japan calendar day of an instant.
pub fn tokyo_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&JAPAN).date_naive()
}

/// The Japan day of an instant given as Unix milliseconds, as days since 1970-01-01
/// (Japan): the fast path for adding up many movements.
pub fn tokyo_day_number(at_ms: i64) -> i64 {
    (at_ms + JAPAN_OFFSET_MS).div_euclid(DAY_MS)
}

/// The date of a [`tokyo_day_number`].
pub fn day_of_number(day: i64) -> NaiveDate {
    NaiveDate::default() + TimeDelta::days(day)
}

/// 0:00 of a Japan day, in UTC.
pub fn tokyo_day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(JAPAN)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| DateTime::<Utc>::MIN_UTC)
}

/// The first day of the month of `day`.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The first day of the next month.
pub fn next_month(day: NaiveDate) -> NaiveDate {
    let first = month_start(day);
    first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

/// How sales are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One Japan calendar day.
    Day,
    /// One calendar month (Japan).
    Month,
}

/// The sales of one period and one payment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesCell {
    /// The first day of the period (the day itself, or the 1st of the month).
    pub start: NaiveDate,
    /// Card or Paidy.
    pub method: PaymentMethod,
    /// Captured in the period.
    pub captured: Yen,
    /// How many captures.
    pub captures: u32,
    /// Refunded in the period (whenever the sale was captured).
    pub refunded: Yen,
    /// How many refunds.
    pub refunds: u32,
}

impl SalesCell {
    fn empty(start: NaiveDate, method: PaymentMethod) -> SalesCell {
        SalesCell {
            start,
            method,
            captured: Yen(0),
            captures: 0,
            refunded: Yen(0),
            refunds: 0,
        }
    }

    /// Captured minus refunded: what the period adds to the shop's takings.
    pub fn net(&self) -> Yen {
        Yen(self.captured.0 - self.refunded.0)
    }
}

fn method_index(method: PaymentMethod) -> usize {
    match method {
        PaymentMethod::Card => 0,
        PaymentMethod::Paidy => 1,
    }
}

/// Movements added up per Japan day and method.
#[derive(Debug, Default, Clone)]
pub struct SalesTotals {
    days: BTreeMap<i64, [SalesCell; 2]>,
}

impl SalesTotals {
    /// Adds one movement (its time as Unix milliseconds).
    pub fn add(&mut self, method: PaymentMethod, kind: MovementKind, amount: Yen, at_ms: i64) {
        self.add_many(tokyo_day_number(at_ms), method, kind, amount, 1);
    }

    /// Adds `count` movements of one Japan day ([`tokyo_day_number`]) that sum to `amount`.
    pub fn add_many(
        &mut self,
        day: i64,
        method: PaymentMethod,
        kind: MovementKind,
        amount: Yen,
        count: u32,
    ) {
        let cells = self.days.entry(day).or_insert_with(|| {
            let start = day_of_number(day);
            [
                SalesCell::empty(start, PaymentMethod::Card),
                SalesCell::empty(start, PaymentMethod::Paidy),
            ]
        });
        let cell = &mut cells[method_index(method)];
        match kind {
            MovementKind::Capture => {
                cell.captured.0 += amount.0;
                cell.captures += count;
            }
            MovementKind::Refund => {
                cell.refunded.0 += amount.0;
                cell.refunds += count;
            }
        }
    }

    /// The cells per period and method, oldest first, card before Paidy; only periods
    /// with a movement.
    pub fn cells(&self, period: Period) -> Vec<SalesCell> {
        match period {
            Period::Day => self.days.values().flatten().copied().collect(),
            Period::Month => {
                let mut months: BTreeMap<NaiveDate, [SalesCell; 2]> = BTreeMap::new();
                for cells in self.days.values() {
                    let start = month_start(cells[0].start);
                    let month = months.entry(start).or_insert([
                        SalesCell::empty(start, PaymentMethod::Card),
                        SalesCell::empty(start, PaymentMethod::Paidy),
                    ]);
                    for (sum, day) in month.iter_mut().zip(cells) {
                        sum.captured.0 += day.captured.0;
                        sum.captures += day.captures;
                        sum.refunded.0 += day.refunded.0;
                        sum.refunds += day.refunds;
                    }
                }
                months.into_values().flatten().collect()
            }
        }
    }
}
