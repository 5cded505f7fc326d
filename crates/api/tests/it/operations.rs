//! Operations from the order detail, checked against the simulator's ledger.

use api::dto::{CaptureModeCode, OperationKindCode, OperationOutcomeCode, OperationRequest};
use serde_json::json;

use crate::harness::{Harness, Options, keep};

async fn synced_order(h: &Harness, payment_id: &str) -> i64 {
    h.sync().await;
    h.order_of(payment_id)
        .await
        .expect("order synced")
        .summary
        .id
}

async fn refused(h: &Harness, id: i64, kind: OperationKindCode, amount: Option<i64>) -> String {
    let error = h
        .desk
        .perform_operation(
            id,
            OperationRequest {
                kind,
                amount_yen: amount,
            },
        )
        .await
        .unwrap_err();
    keep(&error);
    error.code
}

#[tokio::test]
async fn capture_partial_refund_full_refund() {
    let h = Harness::quiet("capture_refunds").await;
    let payment = h
        .card_checkout("ORDER_C1", 3000, "authorize_only", false)
        .await;
    let id = synced_order(&h, &payment).await;

    let captured = h.perform(id, OperationKindCode::Capture, None).await;
    assert_eq!(captured.outcome, OperationOutcomeCode::Succeeded);
    assert_eq!(captured.order.summary.status.code, "40");
    assert_eq!(captured.order.summary.refundable_yen, 3000);
    assert_eq!(h.payment(&payment).await["status"], "40");

    let partial = h
        .perform(id, OperationKindCode::PartialRefund, Some(500))
        .await;
    assert_eq!(
        partial.outcome,
        OperationOutcomeCode::Succeeded,
        "{:?}",
        partial.error
    );
    assert_eq!(partial.order.summary.refundable_yen, 2500);
    assert_eq!(partial.order.transaction_ids.len(), 2);
    let new_id = partial.order.summary.transaction_id.clone();
    assert_eq!(h.payment(&new_id).await["amount"], 2500);

    let full = h.perform(id, OperationKindCode::FullRefund, None).await;
    assert_eq!(
        full.outcome,
        OperationOutcomeCode::Succeeded,
        "{:?}",
        full.error
    );
    assert_eq!(full.order.summary.refundable_yen, 0);
    assert_eq!(h.payment(&new_id).await["status"], "60");
    // The notifications that follow change nothing and double nothing.
    h.sync().await;
    let after = h.desk.get_order(id).await.unwrap();
    assert_eq!(after.summary.refunded_yen, 3000);
    assert!(!after.summary.outside_change, "{:?}", after.history);
}

#[tokio::test]
async fn amount_change_then_capture() {
    let h = Harness::quiet("amount_change").await;
    let payment = h
        .card_checkout("ORDER_A1", 5000, "authorize_only", false)
        .await;
    let id = synced_order(&h, &payment).await;
    let changed = h
        .perform(id, OperationKindCode::AmountChange, Some(4200))
        .await;
    assert_eq!(
        changed.outcome,
        OperationOutcomeCode::Succeeded,
        "{:?}",
        changed.error
    );
    assert_eq!(changed.order.summary.amount_yen, 4200);
    assert!(
        changed
            .order
            .history
            .iter()
            .any(|l| l.text.ja.contains("取引更新"))
    );
    let new_id = changed.order.summary.transaction_id.clone();
    assert_ne!(new_id, payment);
    let captured = h.perform(id, OperationKindCode::Capture, None).await;
    assert_eq!(
        captured.outcome,
        OperationOutcomeCode::Succeeded,
        "{:?}",
        captured.error
    );
    let gateway = h.payment(&new_id).await;
    assert_eq!(gateway["status"], "40");
    assert_eq!(gateway["amount"], 4200);
    assert_eq!(h.payment(&payment).await["status"], "32");
}

#[tokio::test]
async fn rules_refuse_before_sending() {
    let h = Harness::quiet("refusals").await;
    let plain = h
        .card_checkout("ORDER_X1", 1000, "authorize_only", false)
        .await;
    let secure = h
        .card_checkout("ORDER_X2", 1000, "authorize_only", true)
        .await;
    h.sync().await;
    h.set_capture_mode_for_new(CaptureModeCode::AuthorizeAndCapture)
        .await;
    let auto = h
        .card_checkout("ORDER_X3", 1000, "authorize_and_capture", false)
        .await;
    h.sync().await;
    let plain = h.order_of(&plain).await.unwrap().summary.id;
    let secure = h.order_of(&secure).await.unwrap().summary.id;
    let auto = h.order_of(&auto).await.unwrap().summary.id;
    let sent_before = h
        .control("GET", "/control/events?after=0", json!(null))
        .await["last_seq"]
        .clone();

    assert_eq!(
        refused(&h, plain, OperationKindCode::PartialRefund, Some(100)).await,
        "partial_refund_before_capture"
    );
    assert_eq!(
        refused(&h, secure, OperationKindCode::AmountChange, Some(900)).await,
        "amount_change_3ds"
    );
    assert_eq!(
        refused(&h, auto, OperationKindCode::AmountChange, Some(900)).await,
        "amount_change_authorize_and_capture"
    );
    // The detail screen shows the same reasons on disabled buttons.
    let detail = h.desk.get_order(secure).await.unwrap();
    let change = detail
        .operations
        .iter()
        .find(|o| o.kind == OperationKindCode::AmountChange)
        .unwrap();
    assert!(!change.enabled);
    assert!(change.reason.is_some());

    let captured = h.perform(plain, OperationKindCode::Capture, None).await;
    assert_eq!(captured.outcome, OperationOutcomeCode::Succeeded);
    assert_eq!(
        refused(&h, plain, OperationKindCode::PartialRefund, Some(1001)).await,
        "refund_exceeds_refundable"
    );
    // 61 days later the authorize-only order's capture deadline has passed.
    h.control("POST", "/control/clock/advance", json!({"days": 61}))
        .await;
    assert_eq!(
        refused(&h, secure, OperationKindCode::Capture, None).await,
        "capture_deadline_passed"
    );
    let lapsed = h.desk.get_order(secure).await.unwrap();
    assert_eq!(
        lapsed.summary.deadline.unwrap().state,
        api::dto::DeadlineStateCode::Lapsed
    );
    // Only the capture reached the gateway.
    let events = h
        .control(
            "GET",
            &format!("/control/events?after={sent_before}"),
            json!(null),
        )
        .await;
    let telegrams: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "telegram")
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(telegrams, vec!["022"]);
}

#[tokio::test]
async fn outside_cancel_is_detected_and_adopted() {
    let h = Harness::quiet("outside_cancel").await;
    let payment = h
        .card_checkout("ORDER_O1", 1800, "authorize_only", false)
        .await;
    let id = synced_order(&h, &payment).await;
    h.control(
        "POST",
        "/control/outside-operations",
        json!({"payment_id": payment, "operation": "cancel"}),
    )
    .await;
    h.sync().await;
    let order = h.desk.get_order(id).await.unwrap();
    keep(&order);
    assert_eq!(order.summary.status.code, "32");
    assert!(order.summary.outside_change);
    assert!(order.banner.is_some());
    assert!(
        order
            .history
            .iter()
            .any(|l| l.actor == api::dto::ActorCode::Outside)
    );
    let cancel = order
        .operations
        .iter()
        .find(|o| o.kind == OperationKindCode::Cancel)
        .unwrap();
    assert!(!cancel.enabled);
    let acknowledged = h.desk.acknowledge_outside_change(id).await.unwrap();
    assert!(acknowledged.banner.is_none());
}

#[tokio::test]
async fn commit_then_drop_never_captures_twice() {
    let h = Harness::quiet("commit_then_drop").await;
    let payment = h
        .card_checkout("ORDER_D1", 2400, "authorize_only", false)
        .await;
    let id = synced_order(&h, &payment).await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "022", "fault": "commit_then_drop", "times": 1}),
    )
    .await;
    let result = h.perform(id, OperationKindCode::Capture, None).await;
    assert_eq!(
        result.outcome,
        OperationOutcomeCode::Succeeded,
        "{:?}",
        result.error
    );
    assert_eq!(result.order.summary.status.code, "40");
    assert!(result.order.pending_operation.is_none());
    assert_eq!(h.processed_telegrams("022").await, 1);
    // Pressing capture again is refused before sending.
    assert_eq!(
        refused(&h, id, OperationKindCode::Capture, None).await,
        "already_captured"
    );
    assert_eq!(h.processed_telegrams("022").await, 1);
}

#[tokio::test]
async fn crash_after_sending_is_settled_by_inquiry_on_restart() {
    let h = Harness::quiet("crash_restart").await;
    let done = h
        .card_checkout("ORDER_K1", 1100, "authorize_only", false)
        .await;
    let never = h
        .card_checkout("ORDER_K2", 1200, "authorize_only", false)
        .await;
    let done_id = synced_order(&h, &done).await;
    let never_id = synced_order(&h, &never).await;
    // A crash right after sending, long enough ago that neither telegram can still be in
    // flight: both entries stay "sent". The gateway did the first (captured there) and
    // never saw the second.
    {
        let mut store = store::Store::open(h.data_dir().join("paydesk.sqlite3")).unwrap();
        let now = chrono::Utc::now() - chrono::TimeDelta::minutes(10);
        for id in [done_id, never_id] {
            let order = store.get_order(domain::OrderId(id)).unwrap().unwrap();
            let plan =
                domain::check(&order, &domain::Operation::Capture, now, &domain::RULES).unwrap();
            let key = store
                .journal_begin(domain::OrderId(id), &domain::Operation::Capture, &plan, now)
                .unwrap();
            store.journal_mark_sent(&key, now).unwrap();
        }
    }
    h.control(
        "POST",
        "/control/outside-operations",
        json!({"payment_id": done, "operation": "capture"}),
    )
    .await;
    let captures_before = h.processed_telegrams("022").await;
    let restarted = h.reopen().await;
    let settled = restarted.get_order(done_id).await.unwrap();
    keep(&settled);
    assert_eq!(settled.summary.status.code, "40");
    assert!(settled.pending_operation.is_none());
    assert!(!settled.summary.outside_change, "{:?}", settled.history);
    let not_applied = restarted.get_order(never_id).await.unwrap();
    keep(&not_applied);
    assert!(not_applied.pending_operation.is_none());
    assert_eq!(not_applied.summary.status.code, "20");
    assert!(
        not_applied
            .operations
            .iter()
            .any(|o| o.kind == OperationKindCode::Capture && o.enabled)
    );
    // Nothing was resent.
    assert_eq!(h.processed_telegrams("022").await, captures_before);
}

/// The app dies while its capture waits at the gateway, which still carries it out (as
/// Paygent does with a telegram it received). The next start inquires at once, sees the
/// payment unchanged, and must not conclude "not applied" while the telegram may still be
/// in flight: the order stays locked ("checking"), and once the capture lands it is
/// settled as done. Nothing is sent twice.
#[tokio::test]
async fn a_capture_still_in_flight_at_restart_is_not_concluded_undone() {
    let h = Harness::quiet("in_flight_restart").await;
    let payment = h
        .card_checkout("ORDER_F1", 1300, "authorize_only", false)
        .await;
    let id = synced_order(&h, &payment).await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "022", "fault": {"latency_ms": 8000}, "times": 1}),
    )
    .await;
    let desk = h.desk.clone();
    let task = tokio::spawn(async move {
        desk.perform_operation(
            id,
            OperationRequest {
                kind: OperationKindCode::Capture,
                amount_yen: None,
            },
        )
        .await
    });
    // Writing "sent" emits no event: poll the journal.
    let db = h.data_dir().join("paydesk.sqlite3");
    let deadline = std::time::Instant::now() + crate::harness::PATIENCE;
    loop {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let sent: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM operation_journal WHERE state = 'sent'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if sent > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the journal never said sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    task.abort(); // The app dies; the telegram is at the gateway.
    let _ = task.await;

    // The restart's window outlasts the gateway's 8 s hold, however slow the start.
    let restarted = h.reopen_with_window(chrono::TimeDelta::seconds(60)).await;
    let checking = restarted.get_order(id).await.unwrap();
    keep(&checking);
    assert_eq!(checking.summary.status.code, "20");
    assert!(
        checking.pending_operation.is_some(),
        "concluded before the in-flight window closed: {:?}",
        checking.history
    );
    // The capture lands at the gateway; the next settlement sees it.
    while h.payment(&payment).await["status"] != "40" {
        assert!(
            std::time::Instant::now() < deadline,
            "the capture never landed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    restarted.sync_now().await.unwrap();
    let settled = restarted.get_order(id).await.unwrap();
    keep(&settled);
    assert_eq!(settled.summary.status.code, "40");
    assert!(settled.pending_operation.is_none());
    assert!(!settled.summary.outside_change, "{:?}", settled.history);
    assert_eq!(h.processed_telegrams("022").await, 1);
}

/// The journal entry's state and error code, newest entry.
fn last_journal_entry(h: &Harness) -> String {
    rusqlite::Connection::open(h.data_dir().join("paydesk.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT state || ' ' || COALESCE(error_code, '') FROM operation_journal \
             ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// A captured card order refunded in part once: its order number is now shared by two
/// payments, so a search by order number for a revision's new payment gets 13002.
async fn refunded_once(h: &Harness, order: &str) -> (i64, String) {
    let payment = h.card_checkout(order, 5000, "authorize_only", false).await;
    let id = synced_order(h, &payment).await;
    let captured = h.perform(id, OperationKindCode::Capture, None).await;
    assert_eq!(captured.outcome, OperationOutcomeCode::Succeeded);
    let refunded = h
        .perform(id, OperationKindCode::PartialRefund, Some(1000))
        .await;
    assert_eq!(refunded.outcome, OperationOutcomeCode::Succeeded);
    let successor = refunded.order.summary.transaction_id.clone();
    assert_ne!(successor, payment);
    (id, successor)
}

/// Issue 23 (seed 1592599374): a second partial refund that never got past the gateway's
/// front door (HTTP 503) stayed open for good, because "nothing changed" was only believed
/// once the search by order number said there was no new payment, and with a shared order
/// number it never can. Now a 091 round that began after the telegram could last have
/// been carried out, and took in every record, stands for that search: an open entry on
/// an order still on the targeted payment made no new payment. Not before: a round
/// inside the in-flight window proves nothing.
#[tokio::test]
async fn a_second_partial_refund_that_never_reached_the_gateway_is_settled_by_a_complete_sync() {
    let h = Harness::quiet("second_refund_not_applied").await;
    let (id, successor) = refunded_once(&h, "ORDER_SECOND_REFUND_LOST").await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "029", "payment_id": successor, "fault": {"http_status": 503}, "times": 1}),
    )
    .await;
    let lost = h
        .perform(id, OperationKindCode::PartialRefund, Some(500))
        .await;
    assert_eq!(lost.outcome, OperationOutcomeCode::Unknown, "{lost:?}");
    assert!(lost.order.pending_operation.is_some());
    assert_eq!(h.processed_telegrams("029").await, 1);

    // Inside the in-flight window (3 s in tests) a complete round proves nothing yet.
    h.desk.sync_now().await.unwrap();
    let checking = h.desk.get_order(id).await.unwrap();
    assert!(
        checking.pending_operation.is_some(),
        "concluded inside the in-flight window: {:?}",
        checking.history
    );

    // Past it, the next sync's complete round settles it: not applied, closed as failed
    // (settlement never resends), the order unlocked and unchanged.
    h.control("POST", "/control/clock/advance", json!({"minutes": 1}))
        .await;
    h.desk.sync_now().await.unwrap();
    let settled = h.desk.get_order(id).await.unwrap();
    keep(&settled);
    assert!(settled.pending_operation.is_none(), "{:?}", settled.history);
    assert_eq!(last_journal_entry(&h), "failed not_applied");
    assert_eq!(settled.summary.transaction_id, successor);
    assert_eq!(settled.summary.refunded_yen, 1000);
    assert!(!settled.summary.outside_change, "{:?}", settled.history);
    assert_eq!(h.processed_telegrams("029").await, 1);

    let again = h
        .perform(id, OperationKindCode::PartialRefund, Some(500))
        .await;
    assert_eq!(again.outcome, OperationOutcomeCode::Succeeded, "{again:?}");
    assert_eq!(again.order.summary.refunded_yen, 1500);
    assert_eq!(h.processed_telegrams("029").await, 2);
}

/// The other side of the rule above: a second partial refund the gateway carried out
/// while its answer was lost is never taken for "not applied". The new payment's record
/// comes in with the sync's round and settles the entry as done; nothing is resent.
#[tokio::test]
async fn a_second_partial_refund_carried_out_with_its_answer_lost_is_settled_as_done() {
    let h = Harness::quiet("second_refund_applied").await;
    let (id, successor) = refunded_once(&h, "ORDER_SECOND_REFUND_DONE").await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "029", "payment_id": successor, "fault": "commit_then_drop", "times": 1}),
    )
    .await;
    let dropped = h
        .perform(id, OperationKindCode::PartialRefund, Some(500))
        .await;
    assert_ne!(dropped.outcome, OperationOutcomeCode::Failed, "{dropped:?}");
    assert_eq!(h.processed_telegrams("029").await, 2);

    h.control("POST", "/control/clock/advance", json!({"minutes": 1}))
        .await;
    h.tick().await;
    h.desk.sync_now().await.unwrap();
    let settled = h.desk.get_order(id).await.unwrap();
    keep(&settled);
    assert!(settled.pending_operation.is_none(), "{:?}", settled.history);
    assert_eq!(last_journal_entry(&h), "succeeded ");
    assert_ne!(settled.summary.transaction_id, successor);
    assert_eq!(settled.summary.refunded_yen, 1500);
    assert!(!settled.summary.outside_change, "{:?}", settled.history);
    assert_eq!(h.processed_telegrams("029").await, 2);
}

/// The same with the relay connected: the sync loop then runs no 091 round of its own (it
/// confirms pushed records by id), so the background settler runs one once a revision is
/// past its in-flight window. Without it the entry waited for "sync now" or a reconnection.
#[tokio::test]
async fn with_the_relay_connected_the_settler_runs_the_round_a_revision_waits_for() {
    let h = Harness::start(
        "second_refund_relay",
        Options {
            relay: true,
            run_sync: true,
        },
    )
    .await;
    let (id, successor) = refunded_once(&h, "ORDER_SECOND_REFUND_RELAY").await;
    // The refund and the inquiry that follows it both get a 503: the entry stays open
    // (without the second fault a round begun after the send may settle it at once).
    for kind in ["029", "094"] {
        h.control(
            "POST",
            "/control/faults",
            json!({"telegram_kind": kind, "payment_id": successor, "fault": {"http_status": 503}, "times": 1}),
        )
        .await;
    }
    let lost = h
        .perform(id, OperationKindCode::PartialRefund, Some(500))
        .await;
    assert_eq!(lost.outcome, OperationOutcomeCode::Unknown, "{lost:?}");

    h.control("POST", "/control/clock/advance", json!({"minutes": 1}))
        .await;
    let settled = h
        .wait_until("the settler to close the entry", || async {
            h.desk
                .get_order(id)
                .await
                .ok()
                .filter(|o| o.pending_operation.is_none())
        })
        .await;
    keep(&settled);
    assert_eq!(last_journal_entry(&h), "failed not_applied");
    assert_eq!(settled.summary.refunded_yen, 1000);
    assert!(!settled.summary.outside_change, "{:?}", settled.history);
    assert_eq!(h.processed_telegrams("029").await, 1);
}
