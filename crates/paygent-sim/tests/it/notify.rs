//! Notification records: 091 paging and purges, and pushes with `hc`.

use std::sync::{Arc, Mutex};

use paygent_codec::request::{CardCapture, DifferenceInquiry, PaymentRef};
use paygent_codec::response::DifferenceInquiryResult;
use paygent_codec::{Secret, parse_notification, verify_hc};
use serde_json::json;

use crate::harness::{HASH_KEY, MERCHANT, TestSim};
use crate::paidy::paidy_checkout;

fn next() -> DifferenceInquiry {
    DifferenceInquiry {
        trading_id: None,
        payment_notice_id: None,
        site_id: None,
    }
}

#[tokio::test]
async fn difference_inquiry_returns_consecutive_records_then_no_data() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let card = sim
        .ok(
            "/checkouts/card",
            json!({ "merchant_id": MERCHANT, "amount": 1000, "trading_id": "N1" }),
        )
        .await;
    let id = card["payment_id"].as_str().expect("id").to_owned();
    client
        .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
        .await
        .expect("022");
    let (paidy, _) = paidy_checkout(&sim, 2000).await;
    let mut seen = Vec::new();
    loop {
        match client.send(&next()).await.expect("091") {
            DifferenceInquiryResult::NoData => break,
            DifferenceInquiryResult::Record { purged_gap, record } => {
                assert!(!purged_gap);
                seen.push((
                    record.payment_notice_id.clone(),
                    record.payment_id.clone(),
                    record.payment_status.code().to_owned(),
                ));
            }
        }
    }
    assert_eq!(
        seen,
        [
            ("1".into(), id.clone(), "20".into()),
            ("2".into(), id.clone(), "40".into()),
            ("3".into(), paidy.clone(), "20".into())
        ]
    );
    // A record can be fetched again by id.
    let again = client
        .send(&DifferenceInquiry {
            trading_id: None,
            payment_notice_id: Some("2".into()),
            site_id: None,
        })
        .await
        .expect("091 by id");
    let DifferenceInquiryResult::Record { record, .. } = again else {
        panic!("record 2")
    };
    assert_eq!(record.payment_status.code(), "40");
    assert_eq!(record.fields.get("event").map(String::as_str), None);
    sim.stop().await;
}

#[tokio::test]
async fn purged_records_give_success_code_2() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    sim.ok(
        "/checkouts/card",
        json!({ "merchant_id": MERCHANT, "amount": 1000 }),
    )
    .await;
    sim.advance(7, 0).await;
    sim.tick().await;
    sim.ok(
        "/checkouts/card",
        json!({ "merchant_id": MERCHANT, "amount": 2000 }),
    )
    .await;
    let DifferenceInquiryResult::Record { purged_gap, record } =
        client.send(&next()).await.expect("091")
    else {
        panic!("expected a record")
    };
    assert!(purged_gap);
    assert_eq!(record.payment_notice_id, "2");
    let purged = client
        .send(&DifferenceInquiry {
            trading_id: None,
            payment_notice_id: Some("1".into()),
            site_id: None,
        })
        .await
        .expect("091 by purged id");
    assert_eq!(purged, DifferenceInquiryResult::NoData);
    sim.stop().await;
}

/// A merchant endpoint that answers each push with the next scripted body.
async fn receiver(script: Vec<&'static str>) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let log = received.clone();
    let app = axum::Router::new().route(
        "/paygent/notify",
        axum::routing::post(move |body: axum::body::Bytes| {
            let log = log.clone();
            let script = script.clone();
            async move {
                log.lock().expect("lock").push(body.to_vec());
                script.lock().expect("lock").next().unwrap_or("result=0")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/paygent/notify",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn pushes_carry_a_valid_hc_and_are_resent_until_result_0() {
    let sim = TestSim::plain().await;
    let (url, received) = receiver(vec!["error", "result=0 "]).await;
    sim.put(
        &format!("/shops/{MERCHANT}/notify-url"),
        json!({ "notify_url": url }),
    )
    .await;
    let (paidy, _) = paidy_checkout(&sim, 4321).await;
    let report = sim.tick().await;
    assert_eq!(report["push_attempts"], 1);
    sim.advance(0, 1).await;
    sim.tick().await;
    sim.advance(0, 1).await;
    let report = sim.tick().await;
    assert_eq!(report["pushes_delivered"], 1);
    let bodies = received.lock().expect("lock").clone();
    assert_eq!(
        bodies.len(),
        3,
        "sent until the answer was exactly result=0"
    );
    assert_eq!(bodies[0], bodies[2], "the same record is resent");
    let notification = parse_notification(&bodies[2]).expect("notification parses");
    assert!(verify_hc(&notification, &Secret::new(HASH_KEY)));
    assert_eq!(notification.record.payment_id, paidy);
    assert_eq!(
        notification.record.fields.get("event").map(String::as_str),
        Some("authorize")
    );
    assert_eq!(
        notification
            .record
            .fields
            .get("buyer_name_kanji")
            .map(String::as_str),
        Some("山田 太郎")
    );
    let records = sim
        .get(&format!("/notifications?merchant_id={MERCHANT}"))
        .await;
    assert_eq!(records["records"][0]["pushed"], true);
    sim.stop().await;
}

#[tokio::test]
async fn five_failed_pushes_suspend_pushing_for_15_minutes() {
    let sim = TestSim::plain().await;
    let (url, received) = receiver(vec!["NG"; 100]).await;
    sim.put(
        &format!("/shops/{MERCHANT}/notify-url"),
        json!({ "notify_url": url }),
    )
    .await;
    paidy_checkout(&sim, 1000).await;
    for _ in 0..5 {
        sim.tick().await;
        sim.advance(0, 1).await;
    }
    assert_eq!(received.lock().expect("lock").len(), 5);
    let state = sim
        .get(&format!("/notifications?merchant_id={MERCHANT}"))
        .await;
    assert!(state["push"]["suspended_until"].is_string(), "{state}");
    sim.advance(0, 10).await;
    sim.tick().await;
    assert_eq!(received.lock().expect("lock").len(), 5, "suspended");
    sim.advance(0, 5).await;
    sim.tick().await;
    assert_eq!(
        received.lock().expect("lock").len(),
        6,
        "resumed after 15 minutes"
    );
    let pushes: Vec<_> = sim
        .events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "notification_push")
        .collect();
    assert_eq!(pushes.len(), 6);
    assert_eq!(pushes[5]["attempt"], 6);
    sim.stop().await;
}

#[tokio::test]
async fn concurrent_difference_inquiries_get_9004() {
    let sim = TestSim::plain().await;
    sim.ok(
        "/faults",
        json!({ "telegram_kind": "091", "fault": { "latency_ms": 300 }, "times": 1 }),
    )
    .await;
    let body = crate::harness::header("091");
    let ((_, first), (_, second)) = tokio::join!(
        sim.raw("/n/ref/paynotice", body.clone()),
        sim.raw("/n/ref/paynotice", body.clone())
    );
    let (slow_reply, fast_reply) = (first, second);
    let codes = [
        crate::harness::item(&slow_reply, "response_code"),
        crate::harness::item(&fast_reply, "response_code"),
    ];
    assert!(codes.contains(&"9004".to_owned()), "{codes:?}");
    assert!(codes.contains(&String::new()), "{codes:?}");
    sim.stop().await;
}
