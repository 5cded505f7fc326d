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
    let r = reconcile(&o, &report(&o, OLD, PaymentStatus::Cancelled, 2000), None);
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
    );
    assert_eq!(r.lines[0].0, Actor::Gateway);
}

#[test]
fn duplicates_and_older_payments_change_nothing() {
    let o = captured(PaymentMethod::Card);
    assert!(!reconcile(&o, &report(&o, OLD, PaymentStatus::Captured, 2000), None).changed);
    let after = domain::Order {
        payment_id: NEW.into(),
        refunded_amount: Yen(500),
        ..o.clone()
    };
    let r = reconcile(
        &after,
        &report(&o, OLD, PaymentStatus::Refunded, 2000),
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
    );
    assert!(!r.changed);
    let next = StatusReport {
        base_payment_id: Some(OLD.into()),
        ..report(&o, NEW, PaymentStatus::Captured, 1500)
    };
    let r = reconcile(&o, &next, Some(&p));
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
    let r = reconcile(&o, &next, None);
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
    let r = reconcile(&o, &next, Some(&p));
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
    let new = domain::order_from_report(&r, domain::CaptureMode::AuthorizeOnly, false)
        .unwrap_or_else(|| panic!("order"));
    assert_eq!(
        (new.status, new.amount, new.order_number.as_str()),
        (PaymentStatus::Authorized, Yen(2000), "order00158")
    );
}
