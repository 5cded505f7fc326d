//! Settling an operation after a timeout or crash, and the retry table.

use chrono::TimeDelta;
use domain::journal::busy_backoff;
use domain::{
    FailureCategory, JournalState, Operation, OperationKey, OrderId, PaymentMethod, PaymentStatus,
    PendingOperation, RULES, RetryDecision, Settlement, StatusReport, Successor, Yen, check,
    retry_decision, settle, settle_at,
};

use crate::{captured, order, t0};

fn pending(o: &domain::Order, op: Operation) -> PendingOperation {
    let plan =
        check(o, &op, t0() + TimeDelta::days(2), &RULES).unwrap_or_else(|r| panic!("{}", r.code()));
    PendingOperation {
        key: OperationKey("1-1".into()),
        order_id: OrderId(1),
        operation: op,
        plan,
        state: JournalState::Unknown,
        created_at: t0(),
        sent_at: Some(t0()),
    }
}

pub fn report(
    o: &domain::Order,
    payment_id: &str,
    status: PaymentStatus,
    amount: i64,
) -> StatusReport {
    StatusReport {
        payment_id: payment_id.into(),
        base_payment_id: None,
        order_number: o.order_number.clone(),
        method: o.method,
        status,
        amount: Yen(amount),
        three_d_secure: false,
        changed_at: t0() + TimeDelta::days(2),
        authorized_at: None,
        captured_at: None,
        buyer_name: None,
        buyer_name_kana: None,
        buyer_email: None,
    }
}

const OLD: &str = "11111111111111111111";
const NEW: &str = "22222222222222222222";

/// (order, operation, inquiry of the targeted payment, successor) → settlement.
#[test]
fn settle_decides_from_the_inquiry() {
    use PaymentMethod::{Card, Paidy};
    use PaymentStatus as S;
    use Settlement::{AlreadyApplied, Conflict, InProgress, NotApplied};
    #[derive(Clone, Copy)]
    enum Succ {
        Found(S, i64),
        None,
        NotChecked,
    }
    let cases: &[(PaymentMethod, bool, Operation, S, i64, Succ, Settlement)] = &[
        (
            Card,
            false,
            Operation::Capture,
            S::Captured,
            2000,
            Succ::NotChecked,
            AlreadyApplied,
        ),
        (
            Card,
            false,
            Operation::Capture,
            S::Authorized,
            2000,
            Succ::NotChecked,
            NotApplied,
        ),
        (
            Card,
            false,
            Operation::Capture,
            S::CapturePending,
            2000,
            Succ::NotChecked,
            NotApplied,
        ),
        (
            Card,
            false,
            Operation::Capture,
            S::Cancelled,
            2000,
            Succ::NotChecked,
            Conflict,
        ),
        (
            Paidy,
            false,
            Operation::Capture,
            S::CapturePending,
            2000,
            Succ::NotChecked,
            InProgress,
        ),
        (
            Card,
            false,
            Operation::Cancel,
            S::Cancelled,
            2000,
            Succ::NotChecked,
            AlreadyApplied,
        ),
        (
            Card,
            false,
            Operation::Cancel,
            S::CancelPending,
            2000,
            Succ::NotChecked,
            NotApplied,
        ),
        (
            Card,
            false,
            Operation::Cancel,
            S::Captured,
            2000,
            Succ::NotChecked,
            Conflict,
        ),
        (
            Paidy,
            false,
            Operation::Cancel,
            S::CancelPending,
            2000,
            Succ::NotChecked,
            InProgress,
        ),
        (
            Card,
            true,
            Operation::FullRefund,
            S::Refunded,
            2000,
            Succ::NotChecked,
            AlreadyApplied,
        ),
        (
            Card,
            true,
            Operation::FullRefund,
            S::Captured,
            2000,
            Succ::NotChecked,
            NotApplied,
        ),
        (
            Card,
            true,
            Operation::FullRefund,
            S::RefundSettling,
            2000,
            Succ::NotChecked,
            NotApplied,
        ),
        (
            Paidy,
            true,
            Operation::FullRefund,
            S::RefundPending,
            2000,
            Succ::NotChecked,
            InProgress,
        ),
        // Revisions: never "not applied" until the successor was looked for.
        (
            Card,
            true,
            Operation::PartialRefund(Yen(500)),
            S::Captured,
            2000,
            Succ::NotChecked,
            InProgress,
        ),
        (
            Card,
            true,
            Operation::PartialRefund(Yen(500)),
            S::Captured,
            2000,
            Succ::None,
            NotApplied,
        ),
        (
            Card,
            true,
            Operation::PartialRefund(Yen(500)),
            S::Captured,
            2000,
            Succ::Found(S::Captured, 1500),
            AlreadyApplied,
        ),
        (
            Card,
            true,
            Operation::PartialRefund(Yen(500)),
            S::Refunded,
            2000,
            Succ::NotChecked,
            InProgress,
        ),
        (
            Card,
            true,
            Operation::PartialRefund(Yen(500)),
            S::Refunded,
            2000,
            Succ::None,
            Conflict,
        ),
        (
            Card,
            true,
            Operation::PartialRefund(Yen(500)),
            S::Refunded,
            2000,
            Succ::Found(S::Captured, 1000),
            Conflict,
        ),
        (
            Paidy,
            true,
            Operation::PartialRefund(Yen(500)),
            S::RefundPending,
            2000,
            Succ::None,
            InProgress,
        ),
        (
            Paidy,
            true,
            Operation::PartialRefund(Yen(500)),
            S::Refunded,
            2000,
            Succ::Found(S::Captured, 1500),
            AlreadyApplied,
        ),
        (
            Card,
            false,
            Operation::AmountChange(Yen(1800)),
            S::Cancelled,
            2000,
            Succ::Found(S::Authorized, 1800),
            AlreadyApplied,
        ),
        (
            Card,
            false,
            Operation::AmountChange(Yen(1800)),
            S::Authorized,
            2000,
            Succ::None,
            NotApplied,
        ),
        (
            Card,
            false,
            Operation::AmountChange(Yen(1800)),
            S::Authorized,
            2000,
            Succ::NotChecked,
            InProgress,
        ),
        // A successor for an operation that makes none: someone revised it elsewhere.
        (
            Card,
            false,
            Operation::Capture,
            S::Cancelled,
            2000,
            Succ::Found(S::Authorized, 1000),
            Conflict,
        ),
    ];
    for &(method, is_captured, op, status, amount, succ, expected) in cases {
        let o = if is_captured {
            captured(method)
        } else {
            order(method)
        };
        let p = pending(&o, op);
        let target = report(&o, OLD, status, amount);
        let next;
        let successor = match succ {
            Succ::Found(s, a) => {
                next = StatusReport {
                    base_payment_id: Some(OLD.into()),
                    ..report(&o, NEW, s, a)
                };
                Successor::Found(&next)
            }
            Succ::None => Successor::NoneFound,
            Succ::NotChecked => Successor::NotChecked,
        };
        assert_eq!(
            settle(&p, &target, successor),
            expected,
            "{method:?} {op:?} {status:?}"
        );
    }
}

/// An inquiry that finds nothing done proves "not applied" only once the telegram can no
/// longer be in flight; before that it means "inquire again later".
#[test]
fn nothing_done_is_not_concluded_while_the_telegram_may_be_in_flight() {
    let o = order(PaymentMethod::Card);
    let p = pending(&o, Operation::Capture);
    let sent = p.sent_at.unwrap();
    let untouched = report(&o, OLD, PaymentStatus::Authorized, 2000);
    let window = RULES.in_flight_window;
    let at =
        |delta: TimeDelta| settle_at(&p, &untouched, Successor::NotChecked, sent + delta, window);
    assert_eq!(at(TimeDelta::zero()), Settlement::InProgress);
    assert_eq!(at(window - TimeDelta::seconds(1)), Settlement::InProgress);
    assert_eq!(at(window), Settlement::NotApplied);
    // What the inquiry does show is believed at once.
    let done = report(&o, OLD, PaymentStatus::Captured, 2000);
    assert_eq!(
        settle_at(&p, &done, Successor::NotChecked, sent, window),
        Settlement::AlreadyApplied
    );
    // An entry never marked sent was never sent: nothing to wait for.
    let unsent = PendingOperation {
        sent_at: None,
        state: JournalState::Pending,
        ..p.clone()
    };
    assert_eq!(
        settle_at(&unsent, &untouched, Successor::NotChecked, sent, window),
        Settlement::NotApplied
    );
    assert_eq!(
        settle(&p, &untouched, Successor::NotChecked),
        Settlement::NotApplied
    );
}

#[test]
fn retry_table() {
    use FailureCategory as F;
    use RetryDecision as R;
    let cases = [
        (F::NotSent, 1, R::RetryAfter(RULES.not_sent_retry_delay)),
        (F::NotSent, RULES.max_automatic_retries, R::GiveUp),
        (F::NoResponse, 1, R::InquireFirst),
        (F::NoResponse, 99, R::InquireFirst),
        (F::OutcomeUnknownAtGateway, 1, R::InquireFirst),
        (F::GatewayBusy, 1, R::RetryAfter(RULES.busy_backoff_initial)),
        (
            F::GatewayBusy,
            2,
            R::RetryAfter(RULES.busy_backoff_initial * 2),
        ),
        (F::GatewayBusy, RULES.max_automatic_retries, R::GiveUp),
        (F::Refused, 1, R::GiveUp),
    ];
    for (failure, attempt, expected) in cases {
        assert_eq!(
            retry_decision(failure, attempt, &RULES),
            expected,
            "{failure:?} {attempt}"
        );
    }
    assert_eq!(busy_backoff(30, &RULES), RULES.busy_backoff_max);
}

#[test]
fn failure_categories_of_gateway_codes() {
    let cases = [
        ("9004", FailureCategory::GatewayBusy),
        ("9005", FailureCategory::GatewayBusy),
        ("E002", FailureCategory::GatewayBusy),
        ("2008", FailureCategory::OutcomeUnknownAtGateway),
        ("24005", FailureCategory::OutcomeUnknownAtGateway),
        ("E02006", FailureCategory::NoResponse),
        ("E02004", FailureCategory::NotSent),
        ("2004", FailureCategory::Refused),
        ("P010", FailureCategory::Refused),
    ];
    for (code, category) in cases {
        assert_eq!(FailureCategory::from_code(code), category, "{code}");
    }
}

#[test]
fn journal_states_round_trip() {
    let states = [
        JournalState::Pending,
        JournalState::Sent,
        JournalState::Unknown,
        JournalState::Succeeded,
        JournalState::Failed("2004".into()),
    ];
    for s in states {
        let code = match &s {
            JournalState::Failed(c) => Some(c.as_str()),
            _ => None,
        };
        assert_eq!(JournalState::from_parts(s.code(), code), Some(s.clone()));
    }
    assert!(JournalState::Unknown.is_open());
    assert!(!JournalState::Succeeded.is_open());
}
