//! The deposit check (入金チェック): the shop marks that the money of a captured payment
//! reached its bank account (Paidy sends no deposit notice), and may undo the mark. What
//! a payment holds now (after refunds and amount changes) is decided here too, because the
//! documents and the deposit check must agree on it.

use chrono::NaiveDate;
use paygent_codec::{PaymentStatus, Yen};

use crate::history::{Text, yen};
use crate::order::{Order, is_captured_status};

/// What the gateway's payment holds now: what is left after refunds once captured; the
/// authorized amount (after amount changes) while authorized; nothing when the
/// authorization was cancelled, refused or expired.
pub fn held_amount(order: &Order) -> Yen {
    if is_captured(order) {
        return Yen(order.captured_amount.0 - order.refunded_amount.0);
    }
    match order.status {
        PaymentStatus::Authorized
        | PaymentStatus::AuthorizationCompleted
        | PaymentStatus::CapturePending => order.amount,
        _ => Yen(0),
    }
}

/// Whether the payment was captured (the money is the shop's, to be deposited), refunds
/// since included.
pub fn is_captured(order: &Order) -> bool {
    is_captured_status(order.status) || order.captured_amount.0 > 0
}

/// A deposit mark: the day the money arrived (Japan), and the amount if the shop noted it
/// (Paidy deposits its fee deducted, so it may be less than the payment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deposit {
    pub received_on: NaiveDate,
    pub amount: Option<Yen>,
}

/// Why a deposit cannot be marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositRefusal {
    /// Not captured: nothing is paid out before the capture.
    NotCaptured,
    /// The day is after today (Japan).
    FutureDay,
    /// The day is before the order was placed.
    BeforeOrder,
    /// The amount is zero or negative.
    AmountNotPositive,
    /// The amount is more than was captured.
    AmountAboveCaptured(Yen),
}

impl DepositRefusal {
    /// The stable code the UI switches on.
    pub fn code(self) -> &'static str {
        match self {
            DepositRefusal::NotCaptured => "deposit_not_captured",
            DepositRefusal::FutureDay => "deposit_future_day",
            DepositRefusal::BeforeOrder => "deposit_before_order",
            DepositRefusal::AmountNotPositive => "deposit_amount_not_positive",
            DepositRefusal::AmountAboveCaptured(_) => "deposit_amount_above_captured",
        }
    }

    /// What is wrong and what to do.
    pub fn message(self) -> Text {
        match self {
            DepositRefusal::NotCaptured => Text::new(
                "この注文はまだ売上確定していません。入金は売上確定した代金についてだけ行われるので、売上確定の後に入金チェックをしてください。",
                "This order is not captured yet. Money is paid out only for captured payments, so mark the deposit after the capture.",
            ),
            DepositRefusal::FutureDay => Text::new(
                "入金日が今日より後です。実際に入金された日を入れてください。",
                "The deposit day is after today. Enter the day the money arrived.",
            ),
            DepositRefusal::BeforeOrder => Text::new(
                "入金日が注文日より前です。実際に入金された日を入れてください。",
                "The deposit day is before the order was placed. Enter the day the money arrived.",
            ),
            DepositRefusal::AmountNotPositive => Text::new(
                "入金額は1円以上で入れてください（わからなければ空欄のままにできます）。",
                "Enter a deposit amount of at least ¥1 (or leave it empty if unknown).",
            ),
            DepositRefusal::AmountAboveCaptured(captured) => Text::new(
                format!(
                    "入金額が売上確定額（{}）より多くなっています。金額を確かめてください。",
                    yen(captured)
                ),
                format!(
                    "The deposit amount is more than the captured amount ({}). Check the amount.",
                    yen(captured)
                ),
            ),
        }
    }
}

/// Checks a deposit mark against the order; `today` is today in Japan.
pub fn check(
    order: &Order,
    received_on: NaiveDate,
    amount: Option<Yen>,
    today: NaiveDate,
) -> Result<Deposit, DepositRefusal> {
    if !is_captured(order) {
        return Err(DepositRefusal::NotCaptured);
    }
    if received_on > today {
        return Err(DepositRefusal::FutureDay);
    }
    if received_on
        < order
            .ordered_at
            .with_timezone(&crate::history::JAPAN)
            .date_naive()
    {
        return Err(DepositRefusal::BeforeOrder);
    }
    match amount {
        Some(a) if a.0 <= 0 => Err(DepositRefusal::AmountNotPositive),
        Some(a) if a.0 > order.captured_amount.0 => {
            Err(DepositRefusal::AmountAboveCaptured(order.captured_amount))
        }
        _ => Ok(Deposit {
            received_on,
            amount,
        }),
    }
}

/// The history line of a deposit mark.
pub fn marked(deposit: &Deposit) -> Text {
    let day = deposit.received_on.format("%Y-%m-%d");
    match deposit.amount {
        Some(a) => Text::new(
            format!("入金チェック: {day} に入金済み（{}）", yen(a)),
            format!("Deposit check: received on {day} ({})", yen(a)),
        ),
        None => Text::new(
            format!("入金チェック: {day} に入金済み"),
            format!("Deposit check: received on {day}"),
        ),
    }
}

/// The history line of an undone deposit mark.
pub fn undone(deposit: &Deposit) -> Text {
    let day = deposit.received_on.format("%Y-%m-%d");
    Text::new(
        format!("入金チェックを取り消しました（{day} の入金済みの記録）"),
        format!("Deposit check undone (the mark of {day})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{CaptureMode, PaymentMethod};
    use chrono::{TimeZone, Utc};

    fn order(status: PaymentStatus, captured: i64, refunded: i64) -> Order {
        Order {
            captured_amount: Yen(captured),
            refunded_amount: Yen(refunded),
            status,
            authorized_at: None,
            ..Order::authorized(
                "1",
                "p",
                PaymentMethod::Paidy,
                CaptureMode::AuthorizeOnly,
                Yen(5_000),
                // 2026-12-01 10:00 in Japan.
                Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
            )
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn held_amount_follows_the_payment() {
        assert_eq!(
            held_amount(&order(PaymentStatus::Authorized, 0, 0)),
            Yen(5_000)
        );
        assert_eq!(
            held_amount(&order(PaymentStatus::Captured, 5_000, 1_200)),
            Yen(3_800)
        );
        assert_eq!(
            held_amount(&order(PaymentStatus::Refunded, 5_000, 5_000)),
            Yen(0)
        );
        assert_eq!(held_amount(&order(PaymentStatus::Cancelled, 0, 0)), Yen(0));
        assert_eq!(
            held_amount(&order(PaymentStatus::AuthorizationExpired, 0, 0)),
            Yen(0)
        );
    }

    #[test]
    fn a_deposit_is_marked_only_after_capture_and_within_sense() {
        let captured = order(PaymentStatus::Captured, 5_000, 0);
        assert_eq!(
            check(
                &order(PaymentStatus::Authorized, 0, 0),
                day(3),
                None,
                day(6)
            ),
            Err(DepositRefusal::NotCaptured)
        );
        assert_eq!(
            check(&captured, day(7), None, day(6)),
            Err(DepositRefusal::FutureDay)
        );
        assert_eq!(
            NaiveDate::from_ymd_opt(2026, 11, 30).map(|d| check(&captured, d, None, day(6))),
            Some(Err(DepositRefusal::BeforeOrder))
        );
        assert_eq!(
            check(&captured, day(3), Some(Yen(0)), day(6)),
            Err(DepositRefusal::AmountNotPositive)
        );
        assert_eq!(
            check(&captured, day(3), Some(Yen(5_001)), day(6)),
            Err(DepositRefusal::AmountAboveCaptured(Yen(5_000)))
        );
        // Paidy's fee deducted: less than captured is fine; the order day itself too.
        let ok = check(&captured, day(1), Some(Yen(4_820)), day(6)).unwrap();
        assert_eq!(
            marked(&ok).ja,
            "入金チェック: 2026-12-01 に入金済み（¥4,820）"
        );
        assert!(
            DepositRefusal::NotCaptured
                .message()
                .ja
                .contains("売上確定の後")
        );
    }
}
