//! Applying gateway reports: PayDesk's own changes, the gateway's, and outside ones.

use chrono::TimeDelta;
use domain::{
    Actor, JournalState, Operation, OperationKey, OrderId, PaymentMethod, PaymentStatus,
    PendingOperation, RULES, Settlement, StatusReport, Yen, check, reconcile,
};

use crate::journal::report;
use crate::{captured, order, t0};

const OLD: &str = "11111111111111111111";
const NEW: &str = "22222222222222222222";

fn pending(o: &domain::Order, op: Operation) -> PendingOperation {
    PendingOperation {
        key: OperationKey("1-1".into()),
        order_id: OrderId(1),
        operation: op,
        plan: check(o, &op, t0() + TimeDelta::days(2), &RULES)
            .unwrap_or_else(|r| panic!("{}", r.code())),
        state: JournalState::Sent,
        created_at: t0(),
        sent_at: Some(t0()),
    }
}

fn actors(r: &domain::Reconciliation) -> Vec<(Actor, String)> {
    r.lines.iter().map(|(a, t)| (*a, t.ja.clone())).collect()
}

#[test]
fn paydesk_capture_confirmed_by_notification() {
    let o = order(PaymentMethod::Card);
    let p = pending(&o, Operation::Capture);
    let r = reconcile(
        &o,
        &report(&o, OLD, PaymentStatus::Captured, 2000),
        Some(&p),
        None,
    );
    assert_eq!(r.settlement, Some(Settlement::AlreadyApplied));
    assert!(!r.outside_change && r.changed);
    assert_eq!(r.order.status, PaymentStatus::Captured);
    assert_eq!(r.order.captured_amount, Yen(2000));
    assert_eq!(r.order.captured_at, Some(t0() + TimeDelta::days(2)));
    assert_eq!(
        actors(&r),
        [(
            Actor::PayDesk,
            format!("売上確定しました 売上金額: ¥2,000（取引ID: {OLD}）")
        )]
    );
}

#[test]
fn outside_cancel_is_adopted_and_flagged() {
    let o = order(PaymentMethod::Paidy);
    let r = reconcile(
        &o,
        &report(&o, OLD, PaymentStatus::Cancelled, 2000),
        None,
        None,
    );
    assert!(r.outside_change && r.order.outside_change);
    assert_eq!(r.order.status, PaymentStatus::Cancelled);
    assert_eq!(
        actors(&r),
        [(
            Actor::Outside,
            "ペイジェント管理画面で取消されました（PayDesk 以外の操作）".to_owned()
        )]
    );
    // The adopted state keeps working where the gateway allows it: nothing is left to do.
    assert_eq!(
        check(&r.order, &Operation::Capture, t0(), &RULES).map_err(|e| e.code()),
        Err("already_cancelled")
    );
}

#[test]
fn outside_capture_while_paydesk_cancels_is_a_conflict() {
    let o = order(PaymentMethod::Card);
    let p = pending(&o, Operation::Cancel);
    let r = reconcile(
        &o,
        &report(&o, OLD, PaymentStatus::Captured, 2000),
        Some(&p),
        None,
    );
    assert_eq!(r.settlement, Some(Settlement::Conflict));
    assert!(r.outside_change);
    assert_eq!(r.order.status, PaymentStatus::Captured);
    // Refunds now work on the adopted state.
    assert!(
        check(
            &r.order,
            &Operation::PartialRefund(Yen(100)),
            t0() + TimeDelta::days(3),
            &RULES
        )
        .is_ok()
    );
}

#[test]
fn gateway_expiry_is_the_gateways_doing() {
    let o = order(PaymentMethod::Card);
    let r = reconcile(
        &o,
        &report(&o, OLD, PaymentStatus::AuthorizationExpired, 2000),
        None,
        None,
    );
    assert!(!r.outside_change);
    assert_eq!(
        actors(&r),
        [(
            Actor::Gateway,
            "オーソリの有効期限が切れ、不成立になりました（購入者には請求されません）".to_owned()
        )]
    );
    let c = captured(PaymentMethod::Paidy);
    let r = reconcile(
        &c,
        &report(&c, OLD, PaymentStatus::CapturedRefundWindowClosed, 2000),
        None,
        None,
    );
    assert_eq!(r.lines[0].0, Actor::Gateway);
}

#[test]
fn duplicates_and_older_payments_change_nothing() {
    let o = captured(PaymentMethod::Card);
    assert!(
        !reconcile(
            &o,
            &report(&o, OLD, PaymentStatus::Captured, 2000),
            None,
            None
        )
        .changed
    );
    let after = domain::Order {
        payment_id: NEW.into(),
        refunded_amount: Yen(500),
        ..o.clone()
    };
    let r = reconcile(
        &after,
        &report(&o, OLD, PaymentStatus::Refunded, 2000),
        None,
        None,
    );
    assert!(
        !r.changed,
        "the original going to 60 after a partial refund is not news"
    );
}

#[test]
fn paydesk_partial_refund_follows_the_new_transaction_id() {
    let o = captured(PaymentMethod::Card);
    let p = pending(&o, Operation::PartialRefund(Yen(500)));
    // The original's "refunded" record alone must not look like a full refund.
    let r = reconcile(
        &o,
        &report(&o, OLD, PaymentStatus::Refunded, 2000),
        Some(&p),
        None,
    );
    assert!(!r.changed);
    let next = StatusReport {
        base_payment_id: Some(OLD.into()),
        ..report(&o, NEW, PaymentStatus::Captured, 1500)
    };
    let r = reconcile(&o, &next, Some(&p), None);
    assert_eq!(r.settlement, Some(Settlement::AlreadyApplied));
    assert_eq!(r.order.payment_id, NEW);
    assert_eq!(r.order.refunded_amount, Yen(500));
    assert_eq!(domain::refundable_amount(&r.order), Yen(1500));
    assert_eq!(
        actors(&r),
        [
            (
                Actor::PayDesk,
                "一部返金 ¥500（返金可能額 ¥1,500）".to_owned()
            ),
            (
                Actor::PayDesk,
                format!("取引IDが変わりました {OLD} → {NEW}")
            ),
        ]
    );
}

#[test]
fn outside_partial_refund_is_adopted() {
    let o = captured(PaymentMethod::Paidy);
    let next = StatusReport {
        base_payment_id: Some(OLD.into()),
        ..report(&o, NEW, PaymentStatus::Captured, 1200)
    };
    let r = reconcile(&o, &next, None, None);
    assert!(r.outside_change);
    assert_eq!(r.order.payment_id, NEW);
    assert_eq!(r.order.refunded_amount, Yen(800));
    assert_eq!(r.lines[0].0, Actor::Outside);
    assert!(r.lines[0].1.ja.contains("¥2,000 → ¥1,200"));
}

#[test]
fn paydesk_amount_change_adopts_the_new_authorization() {
    let o = order(PaymentMethod::Card);
    let p = pending(&o, Operation::AmountChange(Yen(1800)));
    let next = StatusReport {
        base_payment_id: Some(OLD.into()),
        ..report(&o, NEW, PaymentStatus::Authorized, 1800)
    };
    let r = reconcile(&o, &next, Some(&p), None);
    assert_eq!(r.settlement, Some(Settlement::AlreadyApplied));
    assert_eq!(
        (r.order.amount, r.order.status),
        (Yen(1800), PaymentStatus::Authorized)
    );
    assert_eq!(
        r.order.authorized_at, o.authorized_at,
        "the first authorization's deadline is kept"
    );
    assert_eq!(
        r.lines[0].1.en,
        "Amount changed (transaction update) ¥2,000 → ¥1,800"
    );
}

#[test]
fn record_becomes_a_report() {
    use std::collections::BTreeMap;
    let items: BTreeMap<String, String> = [
        ("payment_notice_id", "7"),
        ("change_date", "20240401090000"),
        ("payment_id", OLD),
        ("trading_id", "order00158"),
        ("payment_type", "22"),
        ("payment_status", "20"),
        ("payment_amount", "2000"),
        ("authorized_date", "20240401085959"),
        ("buyer_name_kanji", "山田 太郎"),
        ("buyer_email", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let record =
        paygent_codec::response::PaymentRecord::from_items(items).unwrap_or_else(|e| panic!("{e}"));
    let r = StatusReport::from_record(&record, t0() + TimeDelta::days(9))
        .unwrap_or_else(|| panic!("paidy"));
    assert_eq!(r.method, PaymentMethod::Paidy);
    assert_eq!(r.changed_at, t0(), "09:00 JST is 00:00 UTC");
    assert_eq!(r.authorized_at, Some(t0() - TimeDelta::seconds(1)));
    assert_eq!(r.buyer_name.as_deref(), Some("山田 太郎"));
    assert_eq!(r.buyer_email, None);
    let new = domain::order_from_report(&r, domain::CaptureMode::AuthorizeOnly)
        .unwrap_or_else(|| panic!("order"));
    assert_eq!(
        (new.status, new.amount, new.order_number.as_str()),
        (PaymentStatus::Authorized, Yen(2000), "order00158")
    );
}

/// Late records for a payment PayDesk already moved past are stale: they change nothing,
/// settle nothing and never show as outside changes. Genuine changes after PayDesk's last
/// operation still do. (case, order, report, PayDesk's last confirmed send) → (changed,
/// outside change).
#[test]
fn stale_records_are_neither_news_nor_outside_changes() {
    use PaymentMethod::{Card, Paidy};
    use PaymentStatus as S;
    let day = |n: i64| t0() + TimeDelta::days(n);
    let at = |r: StatusReport, when| StatusReport {
        changed_at: when,
        ..r
    };
    // PayDesk refunded in full on day 3 (sent then): the gateway keeps the payment's
    // amount (¥2,000) while the order counts what is left (¥0).
    let refunded = domain::Order {
        status: S::Refunded,
        refunded_amount: Yen(2000),
        ..captured(Card)
    };
    // After PayDesk's partial refund (029) the order's current payment is NEW.
    let revised = domain::Order {
        payment_id: NEW.into(),
        refunded_amount: Yen(500),
        ..captured(Card)
    };
    // A Paidy refund PayDesk sent on day 3 is being processed (42).
    let paidy_refunding = domain::Order {
        status: S::RefundPending,
        ..captured(Paidy)
    };
    let cancelled = domain::Order {
        status: S::Cancelled,
        ..order(Card)
    };
    let sent = Some(day(3));
    /// (case, order, report, PayDesk's last confirmed send, (changed, outside change)).
    type Row = (
        &'static str,
        domain::Order,
        StatusReport,
        Option<chrono::DateTime<chrono::Utc>>,
        (bool, bool),
    );
    let rows: Vec<Row> = vec![
        (
            "the refunded payment's own record with its last amount",
            refunded.clone(),
            report(&refunded, OLD, S::Refunded, 2000),
            None,
            (false, false),
        ),
        (
            "the capture's record after PayDesk's refund (older status)",
            refunded.clone(),
            report(&refunded, OLD, S::Captured, 2000),
            None,
            (false, false),
        ),
        (
            "the refund's processing records after the order shows 60",
            refunded.clone(),
            at(report(&refunded, OLD, S::RefundPending, 2000), day(4)),
            sent,
            (false, false),
        ),
        (
            "the refund's settling record after the order shows 60",
            refunded.clone(),
            at(report(&refunded, OLD, S::RefundSettling, 2000), day(4)),
            sent,
            (false, false),
        ),
        (
            "the authorization's record after the capture",
            captured(Card),
            report(&captured(Card), OLD, S::Authorized, 2000),
            None,
            (false, false),
        ),
        (
            "the cancelled payment's record",
            cancelled.clone(),
            report(&cancelled, OLD, S::Cancelled, 1800),
            None,
            (false, false),
        ),
        (
            "the original payment's capture record after a partial refund (older ID)",
            revised.clone(),
            report(&revised, OLD, S::Captured, 2000),
            None,
            (false, false),
        ),
        (
            "the original payment going to 60 after a partial refund (older ID)",
            revised.clone(),
            report(&revised, OLD, S::Refunded, 2000),
            None,
            (false, false),
        ),
        (
            "the capture's record, older than PayDesk's refund, while it is processed",
            paidy_refunding.clone(),
            at(report(&paidy_refunding, OLD, S::Captured, 2000), day(1)),
            sent,
            (false, false),
        ),
        (
            "any record made before PayDesk's last confirmed operation was sent",
            captured(Card),
            at(report(&captured(Card), OLD, S::Cancelled, 2000), day(2)),
            sent,
            (false, false),
        ),
        // Not stale: the gateway resolving the refund after PayDesk sent it.
        (
            "the gateway turning the refund back (42 → 40) after PayDesk sent it",
            paidy_refunding.clone(),
            at(report(&paidy_refunding, OLD, S::Captured, 2000), day(4)),
            sent,
            (true, false),
        ),
        // Not stale: outside changes after PayDesk's last operation, also one recorded in
        // the same second as the send (`change_date` has whole seconds).
        (
            "an outside refund in the same second as PayDesk's capture",
            captured(Card),
            at(report(&captured(Card), OLD, S::Refunded, 2000), day(3)),
            Some(day(3) + TimeDelta::milliseconds(700)),
            (true, true),
        ),
        (
            "an outside refund after PayDesk's capture",
            captured(Card),
            at(report(&captured(Card), OLD, S::Refunded, 2000), day(4)),
            sent,
            (true, true),
        ),
        (
            "an outside partial refund after PayDesk's partial refund",
            revised.clone(),
            at(
                StatusReport {
                    base_payment_id: Some(NEW.into()),
                    ..report(&revised, "33333333333333333333", S::Captured, 1000)
                },
                day(4),
            ),
            sent,
            (true, true),
        ),
        (
            "a capture record for a cancelled payment (no chain leads there)",
            cancelled.clone(),
            report(&cancelled, OLD, S::Captured, 2000),
            None,
            (true, true),
        ),
    ];
    for (case, o, r, paydesk_sent, (changed, outside)) in rows {
        let rec = reconcile(&o, &r, None, paydesk_sent);
        assert_eq!(
            (rec.changed, rec.outside_change),
            (changed, outside),
            "{case}"
        );
        assert_eq!(rec.order.outside_change, outside, "{case}");
        if !changed {
            assert_eq!(rec.order, o, "{case}");
            assert!(rec.lines.is_empty(), "{case}");
        }
    }
}

/// A stale record never settles (or conflicts with) the operation PayDesk has in flight.
#[test]
fn a_stale_record_settles_nothing() {
    let o = captured(PaymentMethod::Card);
    let p = pending(&o, Operation::FullRefund);
    let late = report(&o, OLD, PaymentStatus::Authorized, 2000);
    let r = reconcile(&o, &late, Some(&p), None);
    assert_eq!((r.changed, r.settlement), (false, None));
    let older = StatusReport {
        changed_at: t0(),
        ..report(&o, OLD, PaymentStatus::Cancelled, 2000)
    };
    let r = reconcile(&o, &older, Some(&p), Some(t0() + TimeDelta::days(1)));
    assert_eq!((r.changed, r.settlement), (false, None));
}

#[test]
fn a_new_order_keeps_the_records_three_d_secure_flag() {
    use std::collections::BTreeMap;
    let record = |ryaku: &str| {
        let items: BTreeMap<String, String> = [
            ("payment_notice_id", "8"),
            ("change_date", "20240401090000"),
            ("payment_id", OLD),
            ("trading_id", "order00159"),
            ("payment_type", "02"),
            ("payment_status", "20"),
            ("payment_amount", "2000"),
            ("3dsecure_ryaku", ryaku),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        paygent_codec::response::PaymentRecord::from_items(items).unwrap_or_else(|e| panic!("{e}"))
    };
    for (ryaku, three_d_secure) in [("0", true), ("1", false), ("", false)] {
        let r = StatusReport::from_record(&record(ryaku), t0()).unwrap_or_else(|| panic!("card"));
        assert_eq!(r.three_d_secure, three_d_secure, "3dsecure_ryaku={ryaku:?}");
        let new = domain::order_from_report(&r, domain::CaptureMode::AuthorizeOnly)
            .unwrap_or_else(|| panic!("order"));
        assert_eq!(
            new.three_d_secure, three_d_secure,
            "3dsecure_ryaku={ryaku:?}"
        );
    }
}

/// Issue 19, §5.3 and §4.9: PayDesk's own operation stopped part-way at the gateway (card
/// 30 after a capture answered 2008, Paidy 30/31/42 after 24005) is PayDesk's, shown with
/// the processing status, never flagged as an outside change; the same status with no
/// open operation of that kind is still an outside one.
#[test]
fn s5_3_s4_9_paydesks_operation_parked_in_a_processing_status_is_not_an_outside_change() {
    let cases = [
        (
            PaymentMethod::Card,
            Operation::Capture,
            PaymentStatus::CapturePending,
        ),
        (
            PaymentMethod::Card,
            Operation::Cancel,
            PaymentStatus::CancelPending,
        ),
        (
            PaymentMethod::Paidy,
            Operation::Capture,
            PaymentStatus::CapturePending,
        ),
        (
            PaymentMethod::Paidy,
            Operation::Cancel,
            PaymentStatus::CancelPending,
        ),
    ];
    for (method, op, parked) in cases {
        let o = order(method);
        let p = pending(&o, op);
        let r = reconcile(&o, &report(&o, OLD, parked, 2000), Some(&p), None);
        assert!(!r.outside_change, "{method:?} {op:?}");
        assert_eq!(r.order.status, parked);
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.lines[0].0, Actor::PayDesk);
        // Another operation's processing status, or none open: outside.
        let other = if op == Operation::Capture {
            Operation::Cancel
        } else {
            Operation::Capture
        };
        let q = pending(&o, other);
        let r = reconcile(&o, &report(&o, OLD, parked, 2000), Some(&q), None);
        assert!(r.outside_change, "{method:?} {other:?} on {parked}");
        let r = reconcile(&o, &report(&o, OLD, parked, 2000), None, None);
        assert!(r.outside_change, "{method:?} none open on {parked}");
    }
    let c = captured(PaymentMethod::Paidy);
    let p = pending(&c, Operation::PartialRefund(Yen(500)));
    let r = reconcile(
        &c,
        &report(&c, OLD, PaymentStatus::RefundPending, 2000),
        Some(&p),
        None,
    );
    assert!(!r.outside_change, "a Paidy partial refund parks in 42");
}
