//! Which telegram each allowed operation sends, the amount rules, and deadlines.

use chrono::TimeDelta;
use domain::operation::{auto_capture_due, capture_deadline, check_order_amount, refund_deadline};
use domain::{
    CaptureMode, Deadline, DeadlineKind, DeadlineState, Operation, PaymentMethod, PaymentStatus,
    RULES, Refusal, TelegramKind, Yen, check, deadline_state, refundable_amount,
};

use crate::{captured, order, t0};

/// (method, captured?, refunded so far, operation) → telegram, request amount, expected
/// status and amount, new payment?
#[test]
fn plans_name_the_right_telegram() {
    use PaymentMethod::{Card, Paidy};
    use TelegramKind as T;
    type Case = (
        PaymentMethod,
        bool,
        i64,
        Operation,
        T,
        Option<i64>,
        PaymentStatus,
        i64,
        bool,
    );
    let cases: &[Case] = &[
        (
            Card,
            false,
            0,
            Operation::Capture,
            T::CardCapture,
            None,
            PaymentStatus::Captured,
            2000,
            false,
        ),
        (
            Card,
            false,
            0,
            Operation::Cancel,
            T::CardAuthorizeCancel,
            None,
            PaymentStatus::Cancelled,
            2000,
            false,
        ),
        (
            Card,
            true,
            0,
            Operation::FullRefund,
            T::CardCaptureCancel,
            None,
            PaymentStatus::Refunded,
            2000,
            false,
        ),
        (
            Card,
            true,
            0,
            Operation::PartialRefund(Yen(500)),
            T::CardRevisedCapture,
            Some(1500),
            PaymentStatus::Captured,
            1500,
            true,
        ),
        (
            Card,
            true,
            500,
            Operation::PartialRefund(Yen(300)),
            T::CardRevisedCapture,
            Some(1200),
            PaymentStatus::Captured,
            1200,
            true,
        ),
        (
            Card,
            true,
            500,
            Operation::PartialRefund(Yen(1500)),
            T::CardCaptureCancel,
            None,
            PaymentStatus::Refunded,
            1500,
            false,
        ),
        (
            Card,
            false,
            0,
            Operation::AmountChange(Yen(1800)),
            T::CardRevisedAuthorize,
            Some(1800),
            PaymentStatus::Authorized,
            1800,
            true,
        ),
        (
            Paidy,
            false,
            0,
            Operation::Capture,
            T::PaidyCapture,
            None,
            PaymentStatus::Captured,
            2000,
            false,
        ),
        (
            Paidy,
            false,
            0,
            Operation::Cancel,
            T::PaidyAuthorizeCancel,
            None,
            PaymentStatus::Cancelled,
            2000,
            false,
        ),
        (
            Paidy,
            true,
            0,
            Operation::FullRefund,
            T::PaidyRefund,
            None,
            PaymentStatus::Refunded,
            2000,
            false,
        ),
        (
            Paidy,
            true,
            0,
            Operation::PartialRefund(Yen(500)),
            T::PaidyRefund,
            Some(500),
            PaymentStatus::Captured,
            1500,
            true,
        ),
        (
            Paidy,
            true,
            0,
            Operation::PartialRefund(Yen(2000)),
            T::PaidyRefund,
            None,
            PaymentStatus::Refunded,
            2000,
            false,
        ),
    ];
    for &(method, is_captured, refunded, op, telegram, request, status, amount, new_payment) in
        cases
    {
        let mut o = if is_captured {
            captured(method)
        } else {
            order(method)
        };
        o.refunded_amount = Yen(refunded);
        let plan = check(&o, &op, t0() + TimeDelta::days(2), &RULES)
            .unwrap_or_else(|r| panic!("{method:?} {op:?} refused: {}", r.code()));
        let case = format!("{method:?} {op:?}");
        assert_eq!(plan.telegram, telegram, "{case}");
        assert_eq!(plan.request_amount, request.map(Yen), "{case}");
        assert_eq!(plan.expected_status, status, "{case}");
        assert_eq!(plan.expected_amount, Yen(amount), "{case}");
        assert_eq!(plan.creates_new_payment, new_payment, "{case}");
        assert_eq!(plan.payment_id, o.payment_id, "{case}");
        assert_eq!(plan.before_status, o.status, "{case}");
    }
}

/// The "bad input" list, refused before sending.
#[test]
fn bad_input_is_refused_with_the_reason() {
    let now = t0() + TimeDelta::days(2);
    let card = order(PaymentMethod::Card);
    let cap = captured(PaymentMethod::Card);
    let three_ds = domain::Order {
        three_d_secure: true,
        ..card.clone()
    };
    let auto = domain::Order {
        capture_mode: CaptureMode::AuthorizeAndCapture,
        ..card.clone()
    };
    let late_capture = t0() + RULES.card_authorization_validity;
    let late_refund = cap.captured_at.unwrap_or_default() + RULES.card_refund_window;
    let cases: Vec<(
        &domain::Order,
        Operation,
        chrono::DateTime<chrono::Utc>,
        &str,
    )> = vec![
        (
            &cap,
            Operation::PartialRefund(Yen(2001)),
            now,
            "refund_exceeds_refundable",
        ),
        (
            &cap,
            Operation::PartialRefund(Yen(0)),
            now,
            "amount_not_positive",
        ),
        (
            &cap,
            Operation::PartialRefund(Yen(-5)),
            now,
            "amount_not_positive",
        ),
        (
            &card,
            Operation::PartialRefund(Yen(500)),
            now,
            "partial_refund_before_capture",
        ),
        (
            &three_ds,
            Operation::AmountChange(Yen(1000)),
            now,
            "amount_change_3ds",
        ),
        (
            &auto,
            Operation::AmountChange(Yen(1000)),
            now,
            "amount_change_authorize_and_capture",
        ),
        (
            &card,
            Operation::AmountChange(Yen(2500)),
            now,
            "amount_increase",
        ),
        (
            &card,
            Operation::AmountChange(Yen(2000)),
            now,
            "amount_unchanged",
        ),
        (
            &card,
            Operation::AmountChange(Yen(0)),
            now,
            "amount_not_positive",
        ),
        (
            &card,
            Operation::Capture,
            late_capture,
            "capture_deadline_passed",
        ),
        (
            &card,
            Operation::AmountChange(Yen(1000)),
            late_capture,
            "capture_deadline_passed",
        ),
        (
            &cap,
            Operation::FullRefund,
            late_refund,
            "refund_deadline_passed",
        ),
        (
            &cap,
            Operation::PartialRefund(Yen(100)),
            late_refund,
            "refund_deadline_passed",
        ),
    ];
    for (o, op, at, code) in cases {
        match check(o, &op, at, &RULES) {
            Err(r) => assert_eq!(r.code(), code, "{op:?}"),
            Ok(plan) => panic!("{op:?} allowed: {plan:?}"),
        }
    }
    // One second before the deadline still works.
    assert!(
        check(
            &card,
            &Operation::Capture,
            late_capture - TimeDelta::seconds(1),
            &RULES
        )
        .is_ok()
    );
}

#[test]
fn paidy_deadlines_come_from_the_rules_table() {
    let o = order(PaymentMethod::Paidy);
    assert_eq!(
        capture_deadline(&o, &RULES),
        t0() + RULES.paidy_capture_window
    );
    let c = captured(PaymentMethod::Paidy);
    assert_eq!(
        refund_deadline(&c, &RULES),
        Some(t0() + TimeDelta::days(1) + RULES.paidy_refund_window)
    );
    let card = order(PaymentMethod::Card);
    assert_eq!(
        capture_deadline(&card, &RULES),
        t0() + RULES.card_authorization_validity
    );
}

#[test]
fn deadline_state_flags_near_and_lapsed_orders() {
    let o = order(PaymentMethod::Card);
    let d = Deadline {
        kind: DeadlineKind::Capture,
        at: t0() + RULES.card_authorization_validity,
    };
    let cases = [
        (
            d.at - RULES.deadline_warning - TimeDelta::seconds(1),
            DeadlineState::Ok(d),
        ),
        (d.at - RULES.deadline_warning, DeadlineState::Near(d)),
        (d.at - TimeDelta::seconds(1), DeadlineState::Near(d)),
        (d.at, DeadlineState::Lapsed(d)),
    ];
    for (now, expected) in cases {
        assert_eq!(deadline_state(&o, now, &RULES), expected, "{now}");
    }
    let expired = domain::Order {
        status: PaymentStatus::AuthorizationExpired,
        ..o.clone()
    };
    assert_eq!(
        deadline_state(&expired, t0(), &RULES),
        DeadlineState::Lapsed(d)
    );
    let cancelled = domain::Order {
        status: PaymentStatus::Cancelled,
        ..o
    };
    assert_eq!(
        deadline_state(&cancelled, t0(), &RULES),
        DeadlineState::None
    );
    let c = captured(PaymentMethod::Paidy);
    let refund = Deadline {
        kind: DeadlineKind::Refund,
        at: t0() + TimeDelta::days(1) + RULES.paidy_refund_window,
    };
    assert_eq!(deadline_state(&c, t0(), &RULES), DeadlineState::Ok(refund));
}

#[test]
fn refundable_amount_follows_refunds() {
    let mut c = captured(PaymentMethod::Card);
    assert_eq!(refundable_amount(&c), Yen(2000));
    c.refunded_amount = Yen(500);
    assert_eq!(refundable_amount(&c), Yen(1500));
    c.status = PaymentStatus::CapturedRefundWindowClosed;
    assert_eq!(refundable_amount(&c), Yen(0));
    assert_eq!(refundable_amount(&order(PaymentMethod::Card)), Yen(0));
}

#[test]
fn new_order_amounts_respect_method_limits() {
    let cases = [
        (PaymentMethod::Paidy, 300_000, None),
        (PaymentMethod::Paidy, 300_001, Some("paidy_amount_limit")),
        (PaymentMethod::Card, 9_999_999, None),
        (PaymentMethod::Card, 10_000_000, Some("card_amount_limit")),
        (PaymentMethod::Card, 0, Some("amount_not_positive")),
    ];
    for (method, amount, code) in cases {
        assert_eq!(
            check_order_amount(method, Yen(amount), &RULES)
                .err()
                .map(|r: Refusal| r.code()),
            code,
            "{method:?} {amount}"
        );
    }
}

#[test]
fn authorize_and_capture_orders_wait_for_auto_capture() {
    let o = domain::Order {
        capture_mode: CaptureMode::AuthorizeAndCapture,
        ..order(PaymentMethod::Paidy)
    };
    let due = t0() + RULES.auto_capture_delay;
    assert!(!auto_capture_due(&o, due - TimeDelta::seconds(1), &RULES));
    assert!(auto_capture_due(&o, due, &RULES));
    assert_eq!(
        check(&o, &Operation::Capture, due - TimeDelta::seconds(1), &RULES).map_err(|r| r.code()),
        Err("waiting_for_auto_capture")
    );
    assert!(check(&o, &Operation::Capture, due, &RULES).is_ok());
    assert!(
        check(&o, &Operation::Cancel, t0(), &RULES).is_ok(),
        "cancel stays possible"
    );
    assert!(!auto_capture_due(&order(PaymentMethod::Paidy), due, &RULES));
}

#[test]
fn available_operations_lists_every_button() {
    let ops = domain::available_operations(&captured(PaymentMethod::Card), t0(), &RULES);
    let summary: Vec<String> = ops
        .iter()
        .map(|(k, r)| {
            format!(
                "{}:{}",
                k.code(),
                r.as_ref().map_or_else(|e| e.code(), |_| "ok")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "capture:already_captured",
            "cancel:cancel_after_capture",
            "full_refund:ok",
            "partial_refund:ok",
            "amount_change:amount_change_after_capture"
        ]
    );
}
