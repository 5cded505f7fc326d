//! The order's 3-D Secure and processing statuses (issue 19): 3-D Secure as the gateway reports it (§4.6, §4.7, §7.3),
//! and processing statuses (§5.2–§5.3, §4.9) shown from the one rules table and settled by
//! sync when the gateway moves them on. Against the simulator, through the desk's API.

use api::dto::{OperationKindCode, OperationOutcomeCode, OperationRequest};
use domain::{PaymentMethod, PaymentStatus};
use serde_json::json;

use crate::harness::{Harness, keep};

async fn synced_order(h: &Harness, payment_id: &str) -> i64 {
    h.sync().await;
    h.order_of(payment_id)
        .await
        .expect("order synced")
        .summary
        .id
}

async fn telegrams_of(h: &Harness, kind: &str) -> usize {
    let events = h
        .control("GET", "/control/events?after=0", serde_json::Value::Null)
        .await;
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "telegram" && e["kind"] == kind)
        .count()
}

async fn telegram_count(h: &Harness) -> usize {
    let events = h
        .control("GET", "/control/events?after=0", serde_json::Value::Null)
        .await;
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "telegram")
        .count()
}

fn meaning_of(method: PaymentMethod, status: PaymentStatus) -> api::Text {
    let t = domain::status_meaning(method, status).expect("a processing status has a meaning");
    api::Text::new(&t.ja, &t.en)
}

/// §4.6, §7.3: a card order shows whether it was 3-D Secure authenticated, from the
/// record's `3dsecure_ryaku` and `attempt_kbn`; the amount change of such an order is
/// refused before any telegram with the seed's explanation (001 6-2: change it in
/// Paygent's admin site; §4.4: Paygent refuses revisions of 3-D Secure payments, 2014).
#[tokio::test]
async fn s4_6_card_orders_show_three_d_secure_and_refuse_its_amount_change() {
    let h = Harness::quiet("issue19_3ds").await;
    let secure = h
        .card_checkout("ORDER_3DS1", 3000, "authorize_only", true)
        .await;
    let plain = h
        .card_checkout("ORDER_3DS2", 3000, "authorize_only", false)
        .await;
    let secure = synced_order(&h, &secure).await;
    let plain = synced_order(&h, &plain).await;

    let detail = h.desk.get_order(secure).await.unwrap();
    keep(&detail);
    let three_ds = detail.three_d_secure_outcome.as_ref().unwrap();
    assert_eq!(three_ds.code, "authenticated");
    assert!(three_ds.label.en.contains("3-D Secure authenticated"));
    assert!(detail.three_d_secure);
    assert!(
        detail.status_meaning.is_none(),
        "an authorized order needs no note"
    );
    let detail = h.desk.get_order(plain).await.unwrap();
    assert_eq!(detail.three_d_secure_outcome.unwrap().code, "not_used");

    let before = telegram_count(&h).await;
    let error = h
        .desk
        .perform_operation(
            secure,
            OperationRequest {
                kind: OperationKindCode::AmountChange,
                amount_yen: Some(2500),
            },
        )
        .await
        .unwrap_err();
    keep(&error);
    assert_eq!(error.code, "amount_change_3ds");
    assert!(
        error.message.ja.contains("ペイジェント管理画面で直接"),
        "{}",
        error.message.ja
    );
    assert!(
        error
            .message
            .en
            .contains("directly in Paygent's admin site")
    );
    assert_eq!(telegram_count(&h).await, before, "nothing was sent");
    // The detail's button says the same before anything is tried.
    let detail = h.desk.get_order(secure).await.unwrap();
    let change = detail
        .operations
        .iter()
        .find(|o| o.kind == OperationKindCode::AmountChange)
        .unwrap();
    assert!(!change.enabled);
    assert_eq!(change.reason.as_ref(), Some(&error.message));
    // The plain order's amount change goes through.
    let done = h
        .desk
        .perform_operation(
            plain,
            OperationRequest {
                kind: OperationKindCode::AmountChange,
                amount_yen: Some(2500),
            },
        )
        .await
        .unwrap();
    assert_eq!(done.outcome, OperationOutcomeCode::Succeeded);
    assert_eq!(
        done.order.three_d_secure_outcome.unwrap().code,
        "not_used",
        "the new transaction keeps what the gateway says"
    );
}

/// §5.2–§5.3: a card capture that stops part-way parks the payment in 30 (売上要求中).
/// PayDesk resends it once by itself (§5.3: "retry 022"); when that stops part-way too,
/// the order shows what 30 means and allows only the capture's retry, both from
/// `PROCESSING_RULES`; once the gateway moves it on (its retry succeeds, here through the
/// control API), sync settles the order.
#[tokio::test]
async fn s5_3_card_capture_parked_in_30_is_shown_and_settled_by_sync() {
    let h = Harness::quiet("issue19_card30").await;
    let payment = h
        .card_checkout("ORDER_P30", 4000, "authorize_only", false)
        .await;
    let id = synced_order(&h, &payment).await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "022", "fault": "processing", "times": 2}),
    )
    .await;
    let result = h
        .desk
        .perform_operation(
            id,
            OperationRequest {
                kind: OperationKindCode::Capture,
                amount_yen: None,
            },
        )
        .await
        .unwrap();
    keep(&result);
    assert_eq!(h.payment(&payment).await["status"], "30");
    // Neither done nor refused: the capture is held at Paygent, and the result says so
    // instead of 「できませんでした」 with 2008.
    assert_eq!(
        result.outcome,
        OperationOutcomeCode::Processing,
        "{result:?}"
    );
    assert!(result.error.is_none(), "{:?}", result.error);
    assert_eq!(
        result.message.ja,
        "売上確定はペイジェントで処理中です。ペイジェントが処理を終えると、同期で結果が反映されます。"
    );
    assert!(
        result.message.en.contains("being processed at Paygent")
            && result.message.en.contains("Sync"),
        "{}",
        result.message.en
    );
    assert!(
        !result.message.ja.contains("できません") && !result.message.ja.contains("2008"),
        "{}",
        result.message.ja
    );
    // Its history line says the same, not "failed, error code".
    let history = &result.order.history;
    assert!(
        history
            .iter()
            .any(|l| l.text.ja.contains("売上確定はペイジェントで処理中")),
        "{history:?}"
    );
    assert!(
        !history.iter().any(|l| l.text.ja.contains("売上確定に失敗")),
        "{history:?}"
    );

    // The operation's own inquiry already put 30 on the order; checking again (094)
    // changes nothing and it still says what 30 means.
    assert_eq!(result.order.summary.status.code, "30");
    h.desk.refresh_order(id).await.unwrap();
    let detail = h.desk.get_order(id).await.unwrap();
    keep(&detail);
    assert_eq!(detail.summary.status.code, "30");
    assert_eq!(
        detail.status_meaning,
        Some(meaning_of(
            PaymentMethod::Card,
            PaymentStatus::CapturePending
        ))
    );
    assert!(
        !detail.summary.outside_change && detail.banner.is_none(),
        "PayDesk's own capture stopped part-way: not an outside change"
    );
    for op in &detail.operations {
        if op.kind == OperationKindCode::Capture {
            assert!(op.enabled, "the capture may be retried (§5.3)");
        } else {
            assert!(!op.enabled, "{:?} while the capture is pending", op.kind);
            assert_eq!(op.reason_code.as_deref(), Some("gateway_processing"));
            assert_eq!(op.reason, detail.status_meaning, "one text from one table");
        }
    }
    assert_eq!(
        telegrams_of(&h, "022").await,
        2,
        "sent once and resent once"
    );

    // The gateway's retry goes through: 30 → 40, a notified status (§5.2).
    h.control(
        "POST",
        &format!("/control/payments/{payment}/resolve"),
        json!({"outcome": "success"}),
    )
    .await;
    h.sync().await;
    let detail = h.desk.get_order(id).await.unwrap();
    keep(&detail);
    assert_eq!(detail.summary.status.code, "40");
    assert_eq!(detail.summary.captured_yen, 4000);
    assert!(detail.status_meaning.is_none());
    assert!(detail.pending_operation.is_none());
    let refund = detail
        .operations
        .iter()
        .find(|o| o.kind == OperationKindCode::FullRefund)
        .unwrap();
    assert!(refund.enabled);
}

/// §4.9: a Paidy capture that times out (24005) parks the payment in 30; every operation
/// is refused meanwhile with the rules table's reason, and when Paygent's polling of Paidy
/// finishes it (the event record, `event_result=success`), sync settles the order.
#[tokio::test]
async fn s4_9_paidy_capture_parked_by_24005_is_shown_and_settled_by_sync() {
    let h = Harness::quiet("issue19_paidy30").await;
    let payment = h.paidy_checkout("ORDER_PP30", 6000).await;
    let id = synced_order(&h, &payment).await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "341", "fault": "processing", "times": 1}),
    )
    .await;
    let result = h
        .desk
        .perform_operation(
            id,
            OperationRequest {
                kind: OperationKindCode::Capture,
                amount_yen: None,
            },
        )
        .await
        .unwrap();
    keep(&result);
    assert_ne!(result.outcome, OperationOutcomeCode::Succeeded);
    assert_eq!(h.payment(&payment).await["status"], "30");
    h.desk.refresh_order(id).await.unwrap();
    let detail = h.desk.get_order(id).await.unwrap();
    keep(&detail);
    assert_eq!(detail.summary.status.code, "30");
    let meaning = meaning_of(PaymentMethod::Paidy, PaymentStatus::CapturePending);
    assert_eq!(detail.status_meaning.as_ref(), Some(&meaning));
    assert!(
        !detail.summary.outside_change && detail.banner.is_none(),
        "PayDesk's own capture waits for Paidy: not an outside change"
    );
    assert!(meaning.en.contains("Paidy"), "{}", meaning.en);

    h.control(
        "POST",
        &format!("/control/payments/{payment}/resolve"),
        json!({"outcome": "success"}),
    )
    .await;
    h.sync().await;
    let detail = h.desk.get_order(id).await.unwrap();
    keep(&detail);
    assert_eq!(detail.summary.status.code, "40");
    assert!(detail.status_meaning.is_none());
    assert!(detail.pending_operation.is_none(), "the capture is settled");
}
