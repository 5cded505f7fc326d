//! Fault injection as the client observes it, and the event log proving what happened.

use paygent_client::ClientError;
use paygent_codec::request::{CardCapture, PaymentInquiry, PaymentRef};
use serde_json::json;

use crate::harness::{MERCHANT, TestSim, code_of};

async fn authorized(sim: &TestSim) -> String {
    let v = sim
        .ok(
            "/checkouts/card",
            json!({ "merchant_id": MERCHANT, "amount": 1500, "trading_id": "F1" }),
        )
        .await;
    v["payment_id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn commit_then_drop_captures_once_and_the_client_hears_nothing() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim).await;
    sim.ok(
        "/faults",
        json!({ "telegram_kind": "022", "fault": "commit_then_drop", "times": 1 }),
    )
    .await;
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect_err("dropped");
    assert!(err.outcome_unknown(), "{err:?}");
    // Reconcile with 094: the capture happened.
    let state = client
        .send(&PaymentInquiry {
            target: PaymentRef::by_payment_id(&id),
            payment_type: None,
        })
        .await
        .expect("094");
    assert_eq!(state.payment_status.code(), "40");
    // A resend is an idempotent success, and the log shows exactly one capture.
    client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect("022 again");
    assert_eq!(sim.status_changes(&id).await, ["-->20", "20->40"]);
    let telegrams: Vec<_> = sim
        .events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "telegram" && e["kind"] == "022")
        .collect();
    assert_eq!(telegrams.len(), 2);
    assert_eq!(telegrams[0]["fault"], "commit_then_drop");
    assert_eq!(telegrams[0]["processed"], true);
    sim.stop().await;
}

#[tokio::test]
async fn http_5xx_and_response_code_faults_do_not_process() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim).await;
    sim.ok(
        "/faults",
        json!({ "telegram_kind": "022", "fault": { "http_status": 503 }, "times": 1 }),
    )
    .await;
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect_err("503");
    assert!(matches!(err, ClientError::MalformedResponse(_)), "{err:?}");
    assert_eq!(sim.status(&id).await, "20");
    sim.ok(
        "/faults",
        json!({ "fault": { "response_code": "E001" }, "times": 1, "payment_id": id }),
    )
    .await;
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect_err("E001");
    assert_eq!(code_of(&err), "E001");
    sim.ok(
        "/faults",
        json!({ "telegram_kind": "022", "fault": "busy_9004" }),
    )
    .await;
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect_err("9004");
    assert_eq!(code_of(&err), "9004");
    let (status, _) = (
        sim.http
            .delete(format!("{}/faults", sim.control))
            .send()
            .await
            .expect("delete")
            .status(),
        (),
    );
    assert!(status.is_success());
    client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect("022 after clearing");
    assert_eq!(sim.status_changes(&id).await, ["-->20", "20->40"]);
    sim.stop().await;
}

#[tokio::test]
async fn timeout_fault_makes_the_client_time_out_without_processing() {
    let sim = TestSim::tls().await;
    let client = sim.client_with(
        MERCHANT,
        crate::harness::PASSWORD,
        std::time::Duration::from_millis(500),
    );
    let id = authorized(&sim).await;
    sim.ok(
        "/faults",
        json!({ "telegram_kind": "022", "fault": "timeout", "times": 1 }),
    )
    .await;
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect_err("timeout");
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
    assert_eq!(sim.status(&id).await, "20");
    sim.stop().await;
}

#[tokio::test]
async fn latency_fault_delays_but_processes() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim).await;
    sim.ok(
        "/faults",
        json!({ "telegram_kind": "022", "fault": { "latency_ms": 50 }, "times": 1 }),
    )
    .await;
    let started = std::time::Instant::now();
    client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect("022");
    assert!(started.elapsed() >= std::time::Duration::from_millis(50));
    assert_eq!(sim.status(&id).await, "40");
    sim.stop().await;
}

/// A telegram received in full is carried out even though its client gave up waiting (as a
/// real gateway does): an inquiry at once still sees the old status, a later one the new.
#[tokio::test]
async fn a_telegram_whose_client_gave_up_is_still_carried_out() {
    let sim = TestSim::tls().await;
    let impatient = sim.client_with(
        MERCHANT,
        crate::harness::PASSWORD,
        std::time::Duration::from_millis(300),
    );
    let id = authorized(&sim).await;
    sim.ok(
        "/faults",
        json!({ "telegram_kind": "022", "fault": { "latency_ms": 900 }, "times": 1 }),
    )
    .await;
    let err = impatient
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect_err("the client times out first");
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
    // In flight: nothing to see yet.
    assert_eq!(sim.status(&id).await, "20");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sim.status(&id).await != "40" {
        assert!(
            std::time::Instant::now() < deadline,
            "the capture never landed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(sim.status_changes(&id).await, ["-->20", "20->40"]);
    sim.stop().await;
}
