//! The control API: outside operations, the storefront generator, persistence.

use paygent_codec::request::{CardCapture, PaymentRef};
use serde_json::json;

use crate::harness::{MERCHANT, TestSim, code_of};

#[tokio::test]
async fn outside_operations_change_payments_as_the_admin_site_would() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let v = sim
        .ok(
            "/checkouts/card",
            json!({ "merchant_id": MERCHANT, "amount": 3000, "trading_id": "OUT1" }),
        )
        .await;
    let id = v["payment_id"].as_str().expect("id").to_owned();
    let changed = sim
        .ok(
            "/outside-operations",
            json!({ "payment_id": id, "operation": "amount_change", "amount": 2500 }),
        )
        .await;
    let new_id = changed["new_payment_id"]
        .as_str()
        .expect("new id")
        .to_owned();
    assert_eq!(changed["payment"]["changed_outside"], true);
    assert_eq!(sim.status(&id).await, "32");
    // PayDesk still holds the old id: the gateway says status mismatch.
    let err = client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect_err("old id");
    assert_eq!(code_of(&err), "2004");
    sim.ok(
        "/outside-operations",
        json!({ "payment_id": new_id, "operation": "capture" }),
    )
    .await;
    let (status, body) = sim
        .post(
            "/outside-operations",
            json!({ "payment_id": new_id, "operation": "cancel" }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().expect("error").contains("2004"));
    let partial = sim
        .ok(
            "/outside-operations",
            json!({ "payment_id": new_id, "operation": "partial_refund", "amount": 500 }),
        )
        .await;
    // Refunded counts from the amount captured (2,500), not the first authorization's.
    let last = partial["payment"].clone();
    assert_eq!(
        (last["amount"].as_i64(), last["refunded_amount"].as_i64()),
        (Some(2000), Some(500))
    );
    let causes: Vec<String> = sim
        .events()
        .await
        .iter()
        .filter(|e| e["type"] == "status_change")
        .filter_map(|e| e["cause"].as_str().map(str::to_owned))
        .collect();
    assert!(
        causes.iter().filter(|c| c.starts_with("outside")).count() >= 4,
        "{causes:?}"
    );
    let (status, _) = sim
        .post(
            "/outside-operations",
            json!({ "payment_id": "nope", "operation": "capture" }),
        )
        .await;
    assert_eq!(status, 404);
    sim.stop().await;
}

#[tokio::test]
async fn storefront_generator_fills_a_shop_and_writes_the_export() {
    let sim = TestSim::plain().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("orders.csv");
    let summary = sim
        .ok(
            "/storefront/generate",
            json!({ "merchant_id": MERCHANT, "orders": 60, "seed": 7, "csv_path": csv }),
        )
        .await;
    assert_eq!(summary["orders"], 60);
    for key in [
        "card_authorize_only",
        "card_authorize_and_capture",
        "paidy",
        "subscriptions",
    ] {
        assert!(summary[key].as_u64().expect(key) > 0, "{key}: {summary}");
    }
    assert!(summary["cards_expired"].as_u64().expect("expired") > 0);
    assert!(summary["failed_renewals"].as_u64().expect("failed") > 0);
    let payments = sim.get(&format!("/payments?merchant_id={MERCHANT}")).await;
    let statuses: Vec<&str> = payments["payments"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["status"].as_str())
        .collect();
    assert!(
        statuses.contains(&"20") && statuses.contains(&"40"),
        "{statuses:?}"
    );
    let bytes = std::fs::read(&csv).expect("csv");
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "BOM");
    let text = String::from_utf8(bytes).expect("utf-8");
    let header = text.lines().next().expect("header");
    assert!(
        header.contains("\"order_number\",\"ordered_at\""),
        "{header}"
    );
    assert!(text.contains("renewal failed: P010"));
    assert!(text.lines().count() > 60);
    // Same seed, same orders.
    let again = TestSim::plain().await;
    let summary2 = again
        .ok(
            "/storefront/generate",
            json!({ "merchant_id": MERCHANT, "orders": 60, "seed": 7 }),
        )
        .await;
    assert_eq!(summary["paidy"], summary2["paidy"]);
    assert_eq!(summary["failed_renewals"], summary2["failed_renewals"]);
    again.stop().await;
    sim.stop().await;
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("sim.json");
    let sim = TestSim::start(false, Some(state.clone())).await;
    let v = sim
        .ok(
            "/checkouts/card",
            json!({ "merchant_id": MERCHANT, "amount": 999, "trading_id": "KEEP" }),
        )
        .await;
    let id = v["payment_id"].as_str().expect("id").to_owned();
    sim.advance(3, 0).await;
    let clock_before = sim.get("/clock").await["offset_seconds"]
        .as_i64()
        .expect("offset");
    sim.stop().await;
    assert!(state.exists());

    let resumed = TestSim::start(false, Some(state)).await;
    let payment = resumed.payment(&id).await;
    assert_eq!(
        (payment["status"].as_str(), payment["amount"].as_i64()),
        (Some("20"), Some(999))
    );
    let clock_after = resumed.get("/clock").await["offset_seconds"]
        .as_i64()
        .expect("offset");
    assert!((clock_after - clock_before).abs() <= 1);
    let next = resumed
        .ok(
            "/checkouts/card",
            json!({ "merchant_id": MERCHANT, "amount": 1 }),
        )
        .await;
    assert_ne!(
        next["payment_id"],
        id.as_str(),
        "payment ids continue after a restart"
    );
    resumed.stop().await;
}

#[tokio::test]
async fn control_errors_are_json_4xx() {
    let sim = TestSim::plain().await;
    let (status, body) = sim.post("/shops", json!({ "merchant_id": "abc", "connect_id": "x", "connect_password": "y", "hash_key": "z" })).await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string());
    let (status, body) = sim
        .post(
            "/checkouts/card",
            json!({ "merchant_id": "424242", "amount": 100 }),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = sim.post("/faults", json!({ "fault": "explode" })).await;
    assert!((400..500).contains(&status));
    let response = sim
        .http
        .get(format!("{}/nothing", sim.control))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 404);
    sim.stop().await;
}
