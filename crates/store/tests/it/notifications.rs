//! Gateway reports are applied exactly once, in one transaction.

use chrono::TimeDelta;
use domain::{Actor, CaptureMode, PaymentMethod, PaymentStatus, StatusReport, Yen};
use store::Applied;

use crate::{ok, order, report, store, t0};

#[test]
fn a_record_delivered_twice_is_applied_once() {
    let (_dir, mut s) = store();
    let o = order(1, 0);
    let id = ok(s.insert_order(&o, t0()));
    let r = report(
        &o,
        PaymentStatus::Cancelled,
        2000,
        t0() + TimeDelta::hours(1),
    );
    let first = ok(s.apply_notification(Some(41), &r, CaptureMode::AuthorizeOnly, t0()));
    assert_eq!(
        first,
        Applied::Updated {
            order: id,
            outside_change: true,
            settled_operation: false
        }
    );
    assert_eq!(
        ok(s.apply_notification(Some(41), &r, CaptureMode::AuthorizeOnly, t0())),
        Applied::Duplicate
    );
    let lines = ok(s.history(id));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].actor, Actor::Outside);
    assert_eq!(
        lines[0].text.ja,
        "ペイジェント管理画面で取消されました（PayDesk 以外の操作）"
    );
    let stored = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
    assert!(stored.outside_change);
    assert_eq!(stored.status, PaymentStatus::Cancelled);
    assert!(ok(s.notification_seen(41)));
    assert_eq!(ok(s.sync_state()).last_payment_notice_id, Some(41));
    // An older id arriving late does not move the cursor back.
    let other = order(2, 0);
    ok(s.insert_order(&other, t0()));
    ok(s.apply_notification(
        Some(40),
        &report(&other, PaymentStatus::Captured, 2000, t0()),
        CaptureMode::AuthorizeOnly,
        t0(),
    ));
    assert_eq!(ok(s.sync_state()).last_payment_notice_id, Some(41));
    // What a relay gap asks about: the ids applied in a range, lowest first, capped.
    assert_eq!(ok(s.notifications_seen_between(40, 41, 10)), vec![40, 41]);
    assert_eq!(ok(s.notifications_seen_between(40, 41, 1)), vec![40]);
    assert!(ok(s.notifications_seen_between(42, i64::MAX, 10)).is_empty());
}

#[test]
fn unknown_paidy_authorization_becomes_a_new_order() {
    let (_dir, mut s) = store();
    let r = StatusReport {
        payment_id: "77".into(),
        base_payment_id: None,
        order_number: "order00200".into(),
        method: PaymentMethod::Paidy,
        status: PaymentStatus::Authorized,
        amount: Yen(5000),
        three_d_secure: false,
        changed_at: t0(),
        authorized_at: Some(t0()),
        captured_at: None,
        buyer_name: Some("佐藤 花子".into()),
        buyer_name_kana: None,
        buyer_email: None,
    };
    let Applied::Created(id) =
        ok(s.apply_notification(Some(1), &r, CaptureMode::AuthorizeAndCapture, t0()))
    else {
        panic!("expected a new order");
    };
    let o = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
    assert_eq!(
        o.capture_mode,
        CaptureMode::AuthorizeAndCapture,
        "keeps the mode it was created with"
    );
    assert_eq!(o.buyer_name.as_deref(), Some("佐藤 花子"));
    assert_eq!(ok(s.history(id))[0].actor, Actor::Gateway);
    // A failed authorization of an unknown payment makes no order.
    let failed = StatusReport {
        payment_id: "78".into(),
        status: PaymentStatus::AuthorizationFailed,
        ..r
    };
    assert_eq!(
        ok(s.apply_notification(Some(2), &failed, CaptureMode::AuthorizeOnly, t0())),
        Applied::Ignored
    );
}

#[test]
fn outside_partial_refund_is_matched_by_order_number_and_followed() {
    let (_dir, mut s) = store();
    let mut o = order(1, 0);
    o.method = PaymentMethod::Paidy;
    o.status = PaymentStatus::Captured;
    o.captured_amount = Yen(2000);
    o.captured_at = Some(t0());
    let id = ok(s.insert_order(&o, t0()));
    let new_payment = StatusReport {
        payment_id: "99999999999999999999".into(),
        ..report(&o, PaymentStatus::Captured, 1500, t0() + TimeDelta::days(1))
    };
    let applied = ok(s.apply_notification(Some(5), &new_payment, CaptureMode::AuthorizeOnly, t0()));
    assert!(
        matches!(
            applied,
            Applied::Updated {
                outside_change: true,
                ..
            }
        ),
        "{applied:?}"
    );
    let stored = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
    assert_eq!(stored.payment_id, "99999999999999999999");
    assert_eq!(stored.refunded_amount, Yen(500));
    assert_eq!(
        ok(s.payment_id_chain(id)),
        [o.payment_id.clone(), "99999999999999999999".to_owned()]
    );
    // The old transaction ID still finds the order.
    assert_eq!(
        ok(s.order_by_payment_id(&o.payment_id)).map(|(i, _)| i),
        Some(id)
    );
    // The old payment's own "refunded" record is old news.
    let old = report(&o, PaymentStatus::Refunded, 2000, t0() + TimeDelta::days(1));
    assert_eq!(
        ok(s.apply_notification(Some(4), &old, CaptureMode::AuthorizeOnly, t0())),
        Applied::Unchanged(id)
    );
}

#[test]
fn reports_without_a_notice_id_are_applied_but_duplicates_change_nothing() {
    let (_dir, mut s) = store();
    let o = order(1, 0);
    let id = ok(s.insert_order(&o, t0()));
    let r = report(
        &o,
        PaymentStatus::AuthorizationExpired,
        2000,
        t0() + TimeDelta::days(60),
    );
    assert!(matches!(
        ok(s.apply_notification(None, &r, CaptureMode::AuthorizeOnly, t0())),
        Applied::Updated {
            outside_change: false,
            ..
        }
    ));
    assert_eq!(
        ok(s.apply_notification(None, &r, CaptureMode::AuthorizeOnly, t0())),
        Applied::Unchanged(id)
    );
    assert_eq!(ok(s.history(id)).len(), 1);
}

#[test]
fn a_new_card_order_keeps_the_records_three_d_secure_flag() {
    let (_dir, mut s) = store();
    let template = order(7, 0);
    for (n, three_d_secure) in [(1_u32, true), (2, false)] {
        let r = StatusReport {
            payment_id: format!("3ds-{n}"),
            order_number: format!("order3ds{n}"),
            three_d_secure,
            ..report(&template, PaymentStatus::Authorized, 2000, t0())
        };
        let Applied::Created(id) =
            ok(s.apply_notification(Some(i64::from(n)), &r, CaptureMode::AuthorizeOnly, t0()))
        else {
            panic!("expected a new order");
        };
        let stored = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
        assert_eq!(stored.three_d_secure, three_d_secure);
    }
}

/// Issue 19, §4.6 and §7.3: the 3-D Secure outcome a record reports is kept on the order
/// whose current transaction it names (migration 0013); an authenticated one marks the
/// order 3-D Secure (so its amount change is refused); a report naming another payment
/// or repeating the same outcome changes nothing.
#[test]
fn s7_3_the_reported_three_d_secure_outcome_is_kept_on_the_current_transaction() {
    use domain::ThreeDSecureOutcome as O;
    let (_dir, mut s) = store();
    let o = order(8, 0);
    let id = ok(s.insert_order(&o, t0()));
    assert_eq!(ok(s.three_d_secure_outcome(id)), None);
    assert_eq!(
        ok(s.record_three_d_secure("no-such-payment", O::Attempted)),
        None
    );
    assert_eq!(
        ok(s.record_three_d_secure(&o.payment_id, O::Attempted)),
        Some(id)
    );
    assert_eq!(ok(s.three_d_secure_outcome(id)), Some(O::Attempted));
    let stored = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
    assert!(stored.three_d_secure, "attempted counts as authenticated");
    assert_eq!(
        ok(s.record_three_d_secure(&o.payment_id, O::Attempted)),
        None
    );
    assert_eq!(
        ok(s.record_three_d_secure(&o.payment_id, O::NotUsed)),
        Some(id)
    );
    assert_eq!(ok(s.three_d_secure_outcome(id)), Some(O::NotUsed));
}

#[test]
fn outside_change_banners_are_counted_until_acknowledged() {
    let (_dir, mut s) = store();
    assert_eq!(ok(s.count_outside_changes()), 0);
    let mut ids = Vec::new();
    for n in 1..=3 {
        let o = order(n, 0);
        let id = ok(s.insert_order(&o, t0()));
        ids.push(id);
        if n < 3 {
            let cancelled = report(&o, PaymentStatus::Cancelled, 2000, t0());
            ok(s.apply_notification(
                Some(i64::from(n)),
                &cancelled,
                CaptureMode::AuthorizeOnly,
                t0(),
            ));
        }
    }
    assert_eq!(ok(s.count_outside_changes()), 2);
    ok(s.acknowledge_outside_change(ids[0], t0()));
    assert_eq!(ok(s.count_outside_changes()), 1);
}

/// Records made before PayDesk sent its last confirmed operation, and records of a status
/// the payment already passed, change nothing; later outside changes still show.
#[test]
fn late_records_after_paydesks_own_operation_are_stale() {
    use domain::{Operation, RULES, check};
    let (_dir, mut s) = store();
    let o = order(1, 0);
    let id = ok(s.insert_order(&o, t0()));
    let sent = t0() + TimeDelta::days(1);
    let plan = ok(check(&o, &Operation::Capture, sent, &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(id, &Operation::Capture, &plan, sent));
    ok(s.journal_mark_sent(&key, sent));
    let done = report(&o, PaymentStatus::Captured, 2000, sent);
    ok(s.journal_settle(&key, &store::JournalOutcome::Succeeded(done), sent));
    let lines = ok(s.history(id)).len();
    let late = [
        // The authorization's own record, arriving after the capture.
        report(&o, PaymentStatus::Authorized, 2000, t0()),
        // Something the gateway recorded before PayDesk's capture was sent.
        report(
            &o,
            PaymentStatus::Cancelled,
            2000,
            sent - TimeDelta::minutes(1),
        ),
    ];
    for (n, r) in late.iter().enumerate() {
        assert_eq!(
            ok(s.apply_notification(Some(n as i64 + 1), r, CaptureMode::AuthorizeOnly, sent)),
            Applied::Unchanged(id),
            "{r:?}"
        );
    }
    assert_eq!(ok(s.history(id)).len(), lines);
    assert_eq!(ok(s.count_outside_changes()), 0);
    let outside = report(&o, PaymentStatus::Refunded, 2000, sent + TimeDelta::days(1));
    assert!(matches!(
        ok(s.apply_notification(Some(9), &outside, CaptureMode::AuthorizeOnly, sent)),
        Applied::Updated {
            outside_change: true,
            ..
        }
    ));
    assert_eq!(ok(s.count_outside_changes()), 1);
}
