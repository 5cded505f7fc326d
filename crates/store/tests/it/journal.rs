//! The operation journal: begin → sent → settled; one open operation per order; after a
//! timeout the outcome is settled from an inquiry, never by resending blindly.

use chrono::TimeDelta;
use domain::journal::success_report;
use domain::{
    Actor, CaptureMode, JournalState, Operation, PaymentStatus, RULES, Settlement, StatusReport,
    Successor, Yen, check, settle,
};
use store::{Applied, Error, JournalOutcome};

use crate::{ok, order, report, store, t0};

#[test]
fn capture_lifecycle_succeeds_once() {
    let (_dir, mut s) = store();
    let o = order(1, 0);
    let id = ok(s.insert_order(&o, t0()));
    let now = t0() + TimeDelta::days(1);
    let plan = ok(check(&o, &Operation::Capture, now, &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(id, &Operation::Capture, &plan, now));
    assert_eq!(ok(s.journal_state(&key)), Some(JournalState::Pending));
    // A second operation waits for the first to settle.
    assert!(matches!(
        s.journal_begin(id, &Operation::Cancel, &plan, now),
        Err(Error::OperationUnsettled(_))
    ));
    ok(s.journal_mark_sent(&key, now));
    let pending = ok(s.pending_for_order(id)).unwrap_or_else(|| panic!("open"));
    let answer = success_report(&pending, &o, Some(&o.payment_id), now);
    let rec = ok(s.journal_settle(&key, &JournalOutcome::Succeeded(answer.clone()), now));
    assert_eq!(
        rec.and_then(|r| r.settlement),
        Some(Settlement::AlreadyApplied)
    );
    assert_eq!(ok(s.journal_state(&key)), Some(JournalState::Succeeded));
    assert!(ok(s.pending_journal()).is_empty());
    let stored = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
    assert_eq!(
        (stored.status, stored.captured_amount),
        (PaymentStatus::Captured, Yen(2000))
    );
    let lines = ok(s.history(id));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].actor, Actor::PayDesk);
    // Settling again (e.g. a notification confirmed it first) is harmless.
    assert!(ok(s.journal_settle(&key, &JournalOutcome::Succeeded(answer), now)).is_none());
    // And the notification of PayDesk's own capture adds nothing.
    let echo = report(&stored, PaymentStatus::Captured, 2000, now);
    assert_eq!(
        ok(s.apply_notification(Some(9), &echo, CaptureMode::AuthorizeOnly, now)),
        Applied::Unchanged(id)
    );
    assert_eq!(ok(s.history(id)).len(), 1);
}

#[test]
fn timeout_then_inquiry_settles_without_resending() {
    let (_dir, mut s) = store();
    let o = order(1, 0);
    let id = ok(s.insert_order(&o, t0()));
    let now = t0() + TimeDelta::days(1);
    let plan = ok(check(&o, &Operation::Capture, now, &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(id, &Operation::Capture, &plan, now));
    ok(s.journal_mark_sent(&key, now));
    ok(s.journal_mark_unknown(&key));
    // "Crash": reopen the list of open operations.
    let open = ok(s.pending_journal());
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].state, JournalState::Unknown);
    assert_eq!(open[0].plan, plan);
    // The 094 inquiry says it was captured: record success, send nothing.
    let inquiry = report(&o, PaymentStatus::Captured, 2000, now);
    assert_eq!(
        settle(&open[0], &inquiry, Successor::NotChecked),
        Settlement::AlreadyApplied
    );
    ok(s.journal_settle(&key, &JournalOutcome::Succeeded(inquiry), now));
    assert_eq!(ok(s.journal_attempts(&key)), 1, "sent exactly once");
    assert_eq!(
        ok(s.get_order(id)).map(|o| o.status),
        Some(PaymentStatus::Captured)
    );
}

#[test]
fn not_applied_goes_back_to_pending_with_the_same_key() {
    let (_dir, mut s) = store();
    let o = order(1, 0);
    let id = ok(s.insert_order(&o, t0()));
    let plan = ok(check(&o, &Operation::Cancel, t0(), &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(id, &Operation::Cancel, &plan, t0()));
    ok(s.journal_mark_sent(&key, t0()));
    ok(s.journal_mark_unknown(&key));
    ok(s.journal_settle(&key, &JournalOutcome::NotApplied, t0()));
    assert_eq!(ok(s.journal_state(&key)), Some(JournalState::Pending));
    ok(s.journal_mark_sent(&key, t0()));
    assert_eq!(ok(s.journal_attempts(&key)), 2);
}

#[test]
fn a_refusal_is_recorded_with_its_code() {
    let (_dir, mut s) = store();
    let o = order(1, 0);
    let id = ok(s.insert_order(&o, t0()));
    let plan =
        ok(check(&o, &Operation::Capture, t0() + TimeDelta::days(1), &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(id, &Operation::Capture, &plan, t0()));
    ok(s.journal_mark_sent(&key, t0()));
    ok(s.journal_settle(
        &key,
        &JournalOutcome::Failed {
            code: "2004".into(),
        },
        t0(),
    ));
    assert_eq!(
        ok(s.journal_state(&key)),
        Some(JournalState::Failed("2004".into()))
    );
    assert_eq!(
        ok(s.history(id))[0].text.ja,
        "売上確定に失敗しました エラーコード: 2004"
    );
    assert!(
        ok(s.pending_for_order(id)).is_none(),
        "a new operation may start"
    );
}

#[test]
fn notification_settles_the_open_partial_refund() {
    let (_dir, mut s) = store();
    let mut o = order(1, 0);
    o.status = PaymentStatus::Captured;
    o.captured_amount = Yen(2000);
    o.captured_at = Some(t0());
    let id = ok(s.insert_order(&o, t0()));
    let now = t0() + TimeDelta::days(1);
    let op = Operation::PartialRefund(Yen(500));
    let plan = ok(check(&o, &op, now, &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(id, &op, &plan, now));
    ok(s.journal_mark_sent(&key, now));
    // The old payment's record arrives first: not a full refund, nothing changes yet.
    let old = report(&o, PaymentStatus::Refunded, 2000, now);
    assert_eq!(
        ok(s.apply_notification(Some(1), &old, CaptureMode::AuthorizeOnly, now)),
        Applied::Unchanged(id)
    );
    // Then the new payment (029 answer lost): matched by order number, it settles the journal.
    let new = StatusReport {
        payment_id: "55555555555555555555".into(),
        ..report(&o, PaymentStatus::Captured, 1500, now)
    };
    let applied = ok(s.apply_notification(Some(2), &new, CaptureMode::AuthorizeOnly, now));
    assert_eq!(
        applied,
        Applied::Updated {
            order: id,
            outside_change: false,
            settled_operation: true
        }
    );
    assert_eq!(ok(s.journal_state(&key)), Some(JournalState::Succeeded));
    let stored = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
    assert_eq!(domain::refundable_amount(&stored), Yen(1500));
    let texts: Vec<String> = ok(s.history(id)).into_iter().map(|l| l.text.ja).collect();
    assert_eq!(
        texts,
        [
            format!(
                "取引IDが変わりました {} → 55555555555555555555",
                o.payment_id
            ),
            "一部返金 ¥500（返金可能額 ¥1,500）".to_owned(),
        ]
    );
}
