//! Paidy 340–343 and the 90-day windows.

use paygent_codec::Yen;
use paygent_codec::request::{
    PaidyAuthorizeCancel, PaidyCapture, PaidyRefund, PaidyVerify, PaymentRef,
};
use serde_json::json;

use crate::harness::{MERCHANT, TestSim, code_of};

pub async fn paidy_checkout(sim: &TestSim, amount: i64) -> (String, String) {
    let v = sim
        .ok(
            "/checkouts/paidy",
            json!({
                "merchant_id": MERCHANT,
                "trading_id": "PAIDY_1",
                "amount": amount,
                "buyer": { "name": "山田 太郎", "name_kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1234-5678" },
                "items": [{ "title": "有機緑茶", "unit_price": amount, "quantity": 1 }],
            }),
        )
        .await;
    assert_eq!(v["status"], "20");
    (
        v["payment_id"].as_str().expect("id").to_owned(),
        v["paidy_payment_id"].as_str().expect("paidy id").to_owned(),
    )
}

fn by_id(id: &str) -> PaymentRef {
    PaymentRef::by_payment_id(id)
}

#[tokio::test]
async fn capture_then_partial_and_full_refund() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let (id, paidy_id) = paidy_checkout(&sim, 10_000).await;
    let verified = client
        .send(&PaidyVerify {
            trading_id: None,
            paidy_payment_id: paidy_id,
        })
        .await
        .expect("343");
    assert!(verified.exists);
    assert_eq!(verified.payment_amount, Some(Yen(10_000)));
    let err = client
        .send(&PaidyRefund {
            target: by_id(&id),
            amount: Some(Yen(100)),
        })
        .await
        .expect_err("refund before capture");
    assert_eq!(code_of(&err), "24003");
    client
        .send(&PaidyCapture::new(by_id(&id)))
        .await
        .expect("341");
    let err = client
        .send(&PaidyCapture::new(by_id(&id)))
        .await
        .expect_err("341 twice");
    assert_eq!(code_of(&err), "24003");
    let err = client
        .send(&PaidyRefund {
            target: by_id(&id),
            amount: Some(Yen(10_001)),
        })
        .await
        .expect_err("too much");
    assert_eq!(code_of(&err), "24007");
    let partial = client
        .send(&PaidyRefund {
            target: by_id(&id),
            amount: Some(Yen(3_000)),
        })
        .await
        .expect("342 partial");
    assert_ne!(partial.payment_id, id);
    assert_eq!(sim.status(&id).await, "60");
    let rest = sim.payment(&partial.payment_id).await;
    assert_eq!(
        (rest["status"].as_str(), rest["amount"].as_i64()),
        (Some("40"), Some(7_000))
    );
    client
        .send(&PaidyRefund {
            target: by_id(&partial.payment_id),
            amount: None,
        })
        .await
        .expect("342 full");
    assert_eq!(sim.status(&partial.payment_id).await, "60");
    let unknown = client
        .send(&PaidyVerify {
            trading_id: None,
            paidy_payment_id: "pay_nothing".into(),
        })
        .await
        .expect("343");
    assert!(!unknown.exists);
    sim.stop().await;
}

#[tokio::test]
async fn cancel_and_the_90_day_windows() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let (a, _) = paidy_checkout(&sim, 5_000).await;
    client
        .send(&PaidyAuthorizeCancel::new(by_id(&a)))
        .await
        .expect("340");
    let err = client
        .send(&PaidyAuthorizeCancel::new(by_id(&a)))
        .await
        .expect_err("340 twice");
    assert_eq!(code_of(&err), "24003");

    let (b, _) = paidy_checkout(&sim, 5_000).await;
    let (c, _) = paidy_checkout(&sim, 5_000).await;
    client
        .send(&PaidyCapture::new(by_id(&c)))
        .await
        .expect("341");
    sim.advance(89, 0).await;
    sim.tick().await;
    assert_eq!(sim.status(&b).await, "20");
    sim.advance(1, 0).await;
    sim.tick().await;
    assert_eq!(sim.status(&b).await, "33");
    assert_eq!(sim.status(&c).await, "41");
    let err = client
        .send(&PaidyCapture::new(by_id(&b)))
        .await
        .expect_err("lapsed");
    assert_eq!(code_of(&err), "24006");
    let err = client
        .send(&PaidyRefund {
            target: by_id(&c),
            amount: None,
        })
        .await
        .expect_err("refund window passed");
    assert_eq!(code_of(&err), "24006");
    let err = client
        .send(&PaidyCapture::new(by_id("1")))
        .await
        .expect_err("unknown");
    assert_eq!(code_of(&err), "24001");
    sim.stop().await;
}

#[tokio::test]
async fn paidy_checkout_limits() {
    let sim = TestSim::tls().await;
    let (status, body) = sim
        .post(
            "/checkouts/paidy",
            json!({ "merchant_id": MERCHANT, "amount": 300_001, "buyer": { "name": "a", "email": "a@example.jp", "phone": "09012345678" } }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = sim
        .post(
            "/checkouts/paidy",
            json!({ "merchant_id": MERCHANT, "amount": 1000, "buyer": { "name": "a", "email": "a@example.jp", "phone": "0312345678" } }),
        )
        .await;
    assert_eq!(status, 400, "landline phone numbers are refused");
    sim.stop().await;
}
