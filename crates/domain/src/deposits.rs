//! Expected deposits (issue 21, point 2): the shop's settlement contract with the gateway
//! per payment method, its settlement periods, and what each period should pay out.
//!
//! Layout: [`Contract`] is what the shop enters once (closing days with their payment
//! days, the fee rate, the fee per capture, the transfer fee and who bears it);
//! [`Contract::missing`] names what is not set, so no figure is shown from a half-entered
//! contract; [`period_of`] finds the settlement period a Japan day falls in and
//! [`periods_overlapping`] the periods of a range; [`expected`] turns a period's captures
//! and refunds into the expected deposit.
//!
//! Assumptions (the contract's own terms vary; see ARCHITECTURE.md): fees are charged on
//! captures (rate × captured, rounded down once per period, plus the fee per capture);
//! a refund does not return its fee; a payment day that falls on a weekend or holiday is
//! shown as the contract's nominal day. Nothing here reads the clock.

use chrono::{Datelike, Months, NaiveDate};

use crate::{PaymentMethod, RULES, Yen};

/// One closing day and when its period is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    /// The day of the month the period closes (31: the month's last day, whatever its length).
    pub closing_day: u32,
    /// Months after the closing month the deposit comes (0: the same month).
    pub pay_months_after: u32,
    /// The day of that month (31: its last day).
    pub pay_day: u32,
}

/// Who pays the bank's transfer fee of a deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferFeeBorneBy {
    /// The shop: it comes off the deposit.
    Shop,
    /// The gateway: the deposit is not reduced.
    Gateway,
}

/// The settlement contract of one payment method. `None` = not entered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub method: PaymentMethod,
    /// One or more closing days per month (e.g. the 15th and the month's end).
    pub cycles: Vec<Cycle>,
    /// The fee rate in hundredths of a percent (3.6 % = 360).
    pub fee_rate_bp: Option<u32>,
    /// A fixed fee per capture.
    pub fee_per_capture: Option<Yen>,
    /// The bank's transfer fee per deposit.
    pub transfer_fee: Option<Yen>,
    pub transfer_fee_borne_by: Option<TransferFeeBorneBy>,
}

/// A part of the contract that is not set (or not valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractField {
    Cycles,
    FeeRate,
    FeePerCapture,
    TransferFee,
    TransferFeeBorneBy,
}

impl ContractField {
    /// The name the screen shows, in Japanese and English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            ContractField::Cycles => ("締め日と支払日", "closing and payment days"),
            ContractField::FeeRate => ("決済手数料率", "fee rate"),
            ContractField::FeePerCapture => ("1件あたりの手数料", "fee per capture"),
            ContractField::TransferFee => ("振込手数料", "transfer fee"),
            ContractField::TransferFeeBorneBy => {
                ("振込手数料の負担者", "who bears the transfer fee")
            }
        }
    }
}

impl Contract {
    /// What must still be entered before a deposit can be computed, in the form's order.
    /// A cycle with a day outside 1–31 or a payment too far out counts as not set.
    pub fn missing(&self) -> Vec<ContractField> {
        let mut out = Vec::new();
        let valid = |c: &Cycle| {
            (1..=31).contains(&c.closing_day)
                && (1..=31).contains(&c.pay_day)
                && c.pay_months_after <= RULES.settlement_pay_months_max
                && (c.pay_months_after > 0 || c.pay_day >= c.closing_day)
        };
        if self.cycles.is_empty() || !self.cycles.iter().all(valid) {
            out.push(ContractField::Cycles);
        }
        if self
            .fee_rate_bp
            .is_none_or(|r| r > RULES.settlement_fee_rate_max_bp)
        {
            out.push(ContractField::FeeRate);
        }
        if self.fee_per_capture.is_none_or(|y| y.0 < 0) {
            out.push(ContractField::FeePerCapture);
        }
        if self.transfer_fee.is_none_or(|y| y.0 < 0) {
            out.push(ContractField::TransferFee);
        }
        if self.transfer_fee_borne_by.is_none() {
            out.push(ContractField::TransferFeeBorneBy);
        }
        out
    }

    fn closing_days(&self) -> Vec<u32> {
        let mut days: Vec<u32> = self.cycles.iter().map(|c| c.closing_day).collect();
        days.sort_unstable();
        days.dedup();
        days
    }

    fn cycle_for(&self, closing_day: u32) -> Option<&Cycle> {
        self.cycles.iter().find(|c| c.closing_day == closing_day)
    }
}

/// A fee rate typed as a percentage (`3.6`, `3.25`, `3.6%`) in hundredths of a percent;
/// `None` when it is not a number with at most two decimals.
pub fn parse_fee_rate(text: &str) -> Option<u32> {
    let t = text.trim().trim_end_matches(['%', '％']).trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

/// A fee rate in hundredths of a percent as the form shows it (`3.6`).
pub fn fee_rate_text(bp: u32) -> String {
    let frac = bp % 100;
    match frac {
        0 => format!("{}", bp / 100),
        f if f % 10 == 0 => format!("{}.{}", bp / 100, f / 10),
        f => format!("{}.{f:02}", bp / 100),
    }
}

fn last_day(year: i32, month: u32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    next.pred_opt().map_or(28, |d| d.day())
}

/// The date of day `day` (31: the last) in a month, clamped to the month's length.
fn day_in(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day.min(last_day(year, month))).unwrap_or_default()
}

/// One settlement period: captures and refunds from `start` to `end` (Japan days, both
/// included) are paid out on `payment_date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub payment_date: NaiveDate,
}

/// The closing date on or after `day`.
fn closing_on_or_after(contract: &Contract, day: NaiveDate) -> NaiveDate {
    let days = contract.closing_days();
    let (mut y, mut m) = (day.year(), day.month());
    for _ in 0..2 {
        for c in &days {
            let date = day_in(y, m, *c);
            if date >= day {
                return date;
            }
        }
        let next = day_in(y, m, 1)
            .checked_add_months(Months::new(1))
            .unwrap_or(day);
        (y, m) = (next.year(), next.month());
    }
    day
}

/// The closing date before `closing` (the previous period's end).
fn closing_before(contract: &Contract, closing: NaiveDate) -> NaiveDate {
    let days = contract.closing_days();
    let (mut y, mut m) = (closing.year(), closing.month());
    for _ in 0..2 {
        for c in days.iter().rev() {
            let date = day_in(y, m, *c);
            if date < closing {
                return date;
            }
        }
        let prev = day_in(y, m, 1)
            .checked_sub_months(Months::new(1))
            .unwrap_or(closing);
        (y, m) = (prev.year(), prev.month());
    }
    closing
}

/// The period `day` falls in. The contract must have valid cycles ([`Contract::missing`]
/// without `Cycles`).
pub fn period_of(contract: &Contract, day: NaiveDate) -> SettlementPeriod {
    let end = closing_on_or_after(contract, day);
    let start = closing_before(contract, end).succ_opt().unwrap_or(end);
    // Which cycle closed it: the one whose closing day lands on `end` (31 and 30 both land
    // on 30 April; the smaller closing day wins).
    let cycle = contract
        .closing_days()
        .into_iter()
        .find(|c| day_in(end.year(), end.month(), *c) == end)
        .and_then(|c| contract.cycle_for(c))
        .copied()
        .unwrap_or(Cycle {
            closing_day: end.day(),
            pay_months_after: 0,
            pay_day: end.day(),
        });
    let pay_month = day_in(end.year(), end.month(), 1)
        .checked_add_months(Months::new(cycle.pay_months_after))
        .unwrap_or(end);
    SettlementPeriod {
        start,
        end,
        payment_date: day_in(pay_month.year(), pay_month.month(), cycle.pay_day).max(end),
    }
}

/// Every period that overlaps Japan days `from` to `to`, oldest first.
pub fn periods_overlapping(
    contract: &Contract,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<SettlementPeriod> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let p = period_of(contract, day);
        out.push(p);
        match p.end.succ_opt() {
            Some(next) if next > day => day = next,
            _ => break,
        }
    }
    out
}

/// What one period should pay out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedDeposit {
    pub period: SettlementPeriod,
    pub captured: Yen,
    pub captures: u32,
    pub refunded: Yen,
    pub refunds: u32,
    /// Rate × captured (rounded down) plus the fee per capture.
    pub fee: Yen,
    /// The transfer fee the shop bears (zero when the gateway does, or nothing is paid).
    pub transfer_fee: Yen,
    /// Captured − refunded − fee − transfer fee.
    pub amount: Yen,
}

/// The expected deposit of `period` from its captures and refunds, or what the contract
/// still lacks (never a figure from a half-entered contract).
pub fn expected(
    contract: &Contract,
    period: SettlementPeriod,
    captured: Yen,
    captures: u32,
    refunded: Yen,
    refunds: u32,
) -> Result<ExpectedDeposit, Vec<ContractField>> {
    let missing = contract.missing();
    let (Some(rate), Some(per), Some(transfer), Some(borne)) = (
        contract.fee_rate_bp,
        contract.fee_per_capture,
        contract.transfer_fee,
        contract.transfer_fee_borne_by,
    ) else {
        return Err(missing);
    };
    if !missing.is_empty() {
        return Err(missing);
    }
    let fee = Yen(captured.0 * i64::from(rate) / 10_000 + per.0 * i64::from(captures));
    let before_transfer = captured.0 - refunded.0 - fee.0;
    let transfer_fee = match borne {
        TransferFeeBorneBy::Shop if before_transfer > 0 => transfer,
        _ => Yen(0),
    };
    Ok(ExpectedDeposit {
        period,
        captured,
        captures,
        refunded,
        refunds,
        fee,
        transfer_fee,
        amount: Yen(before_transfer - transfer_fee.0),
    })
}

/// The period a deposit received on `received_on` pays: the one whose payment date is
/// nearest, at most `RULES.deposit_match_window` days away (the earlier on a tie); `None`
/// when no period's payment date is that close (the deposit is listed unmatched).
pub fn match_period(periods: &[SettlementPeriod], received_on: NaiveDate) -> Option<usize> {
    periods
        .iter()
        .enumerate()
        .map(|(i, p)| (i, (p.payment_date - received_on).abs()))
        .filter(|(_, gap)| *gap <= RULES.deposit_match_window)
        .min_by_key(|(i, gap)| (*gap, *i))
        .map(|(i, _)| i)
}

/// Which of the movements after a period's closing (signed: captures positive, refunds
/// negative) explain a deposit's difference from the expected figure: all of them when
/// they add up to it, else the first single one that equals it; `None` when neither does
/// (then a fee change or something outside PayDesk is left).
pub fn explain(difference: i64, after_closing: &[i64]) -> Option<Vec<usize>> {
    if difference == 0 {
        return Some(Vec::new());
    }
    if !after_closing.is_empty() && after_closing.iter().sum::<i64>() == difference {
        return Some((0..after_closing.len()).collect());
    }
    after_closing
        .iter()
        .position(|m| *m == difference)
        .map(|i| vec![i])
}
