//! Card telegrams 020–023, 028, 029 through paygent-client over mutual TLS.

use paygent_client::Client;
use paygent_codec::Yen;
use paygent_codec::request::{
    CaptureMode, CardAuthorize, CardAuthorizeCancel, CardCapture, CardCaptureCancel,
    CardRevisedAuthorize, CardRevisedCapture, CardSource, PaymentClass, PaymentInquiry, PaymentRef,
    Revision, ThreeDSecure,
};

use crate::harness::{TestSim, code_of};

const OK_CARD: &str = "4900000000000000";

fn authorize(
    token: paygent_codec::Secret,
    amount: i64,
    mode: CaptureMode,
    trading_id: &str,
) -> CardAuthorize {
    CardAuthorize {
        trading_id: Some(trading_id.into()),
        payment_id: None,
        amount: Yen(amount),
        payment_class: PaymentClass::LumpSum,
        card: CardSource::Token { card_token: token },
        three_d_secure: ThreeDSecure::Skipped,
        capture_mode: mode,
        site_id: None,
    }
}

async fn authorized(sim: &TestSim, client: &Client, amount: i64, mode: CaptureMode) -> String {
    let token = sim.token(OK_CARD, None).await;
    let done = client
        .send(&authorize(token, amount, mode, "ORDER_1"))
        .await
        .expect("020");
    done.payment_id
}

fn by_id(id: &str) -> PaymentRef {
    PaymentRef::by_payment_id(id)
}

#[tokio::test]
async fn authorize_capture_refund_with_idempotent_repeats() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim, &client, 1200, CaptureMode::AuthorizeOnly).await;
    assert_eq!(sim.status(&id).await, "20");
    client
        .send(&CardCapture::new(by_id(&id)))
        .await
        .expect("022");
    assert_eq!(sim.status(&id).await, "40");
    // 022 on 40 is an idempotent success with no second change.
    client
        .send(&CardCapture::new(by_id(&id)))
        .await
        .expect("022 again");
    // 021 after capture is a status mismatch.
    let err = client
        .send(&CardAuthorizeCancel::new(by_id(&id)))
        .await
        .expect_err("021 on 40");
    assert_eq!(code_of(&err), "2004");
    client
        .send(&CardCaptureCancel::new(by_id(&id)))
        .await
        .expect("023");
    client
        .send(&CardCaptureCancel::new(by_id(&id)))
        .await
        .expect("023 again");
    assert_eq!(sim.status(&id).await, "60");
    assert_eq!(sim.status_changes(&id).await, ["-->20", "20->40", "40->60"]);
    let inquiry = client
        .send(&PaymentInquiry {
            target: by_id(&id),
            payment_type: None,
        })
        .await
        .expect("094");
    assert_eq!(inquiry.payment_status.code(), "60");
    assert_eq!(inquiry.payment_amount, Yen(1200));
    sim.stop().await;
}

#[tokio::test]
async fn authorize_cancel_is_idempotent_and_capture_after_cancel_is_refused() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim, &client, 500, CaptureMode::AuthorizeOnly).await;
    client
        .send(&CardAuthorizeCancel::new(by_id(&id)))
        .await
        .expect("021");
    client
        .send(&CardAuthorizeCancel::new(by_id(&id)))
        .await
        .expect("021 again");
    let err = client
        .send(&CardCapture::new(by_id(&id)))
        .await
        .expect_err("022 on 32");
    assert_eq!(code_of(&err), "2004");
    assert_eq!(sim.status_changes(&id).await, ["-->20", "20->32"]);
    sim.stop().await;
}

/// §4.2, §5.3, §10 item 4: 020 with `sales_mode=1` authorizes and captures in one step,
/// so the payment is 40 at once (one notification record, for 40), and a 023 sent right
/// after it is answered like any capture cancel on 40.
#[tokio::test]
async fn sales_mode_1_captures_at_once_and_a_023_right_after_refunds_it() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim, &client, 3000, CaptureMode::AuthorizeAndCapture).await;
    assert_eq!(sim.status(&id).await, "40");
    assert_eq!(sim.status_changes(&id).await, ["-->40"]);
    let payment = sim.payment(&id).await;
    assert_eq!(payment["captured_at"], payment["authorized_at"]);
    assert!(payment["captured_at"].is_string(), "{payment}");
    let notices = sim.get("/notifications?merchant_id=00000").await;
    let statuses: Vec<String> = notices["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| {
            let fields = r["fields"].as_array()?;
            fields
                .iter()
                .find(|f| f[0] == "payment_status")
                .map(|f| f[1].as_str().unwrap_or("").to_owned())
        })
        .collect();
    assert_eq!(statuses, ["40"]);
    let inquiry = client
        .send(&PaymentInquiry {
            target: by_id(&id),
            payment_type: None,
        })
        .await
        .expect("094");
    assert_eq!(inquiry.payment_status.code(), "40");
    // 022 on it is the idempotent success of §5.3; 021 is a status mismatch.
    client
        .send(&CardCapture::new(by_id(&id)))
        .await
        .expect("022 on 40");
    let err = client
        .send(&CardAuthorizeCancel::new(by_id(&id)))
        .await
        .expect_err("021 on 40");
    assert_eq!(code_of(&err), "2004");
    client
        .send(&CardCaptureCancel::new(by_id(&id)))
        .await
        .expect("023 right after");
    assert_eq!(sim.status_changes(&id).await, ["-->40", "40->60"]);
    // Nothing is left for a later tick to do.
    sim.advance(0, 10).await;
    sim.tick().await;
    assert_eq!(sim.status(&id).await, "60");
    sim.stop().await;
}

/// Seed 000's "authorize and capture a few minutes after the order" is the storefront
/// cart's behaviour (§4.2: the gateway's sales_mode=1 captures at once): a control-API
/// checkout in that mode is authorized (20), and the cart sends 022 itself after
/// `cart_capture_delay`; a cart capture of an order cancelled meanwhile is refused and
/// dropped.
#[tokio::test]
async fn the_carts_authorize_and_capture_sends_022_a_few_minutes_later() {
    let sim = TestSim::tls().await;
    let checkout = |trading: &str| {
        serde_json::json!({
            "merchant_id": crate::harness::MERCHANT, "trading_id": trading, "amount": 3000,
            "capture_mode": "authorize_and_capture",
        })
    };
    let id = sim.ok("/checkouts/card", checkout("CART_1")).await["payment_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let cancelled = sim.ok("/checkouts/card", checkout("CART_2")).await["payment_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(sim.status(&id).await, "20");
    assert!(sim.payment(&id).await["cart_capture_at"].is_string());
    sim.client()
        .send(&CardAuthorizeCancel::new(by_id(&cancelled)))
        .await
        .expect("021 before the cart captures");
    sim.advance(0, 1).await;
    sim.tick().await;
    assert_eq!(sim.status(&id).await, "20", "not yet due");
    sim.advance(0, 5).await;
    sim.tick().await;
    assert_eq!(sim.status(&id).await, "40");
    let history = sim.payment(&id).await["history"].clone();
    assert_eq!(history[1]["cause"], "cart 022");
    assert_eq!(sim.status_changes(&cancelled).await, ["-->20", "20->32"]);
    assert!(sim.payment(&cancelled).await["cart_capture_at"].is_null());
    sim.stop().await;
}

#[tokio::test]
async fn authorization_expires_after_60_days() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim, &client, 800, CaptureMode::AuthorizeOnly).await;
    sim.advance(59, 0).await;
    sim.tick().await;
    assert_eq!(sim.status(&id).await, "20");
    sim.advance(1, 0).await;
    sim.tick().await;
    assert_eq!(sim.status(&id).await, "33");
    let err = client
        .send(&CardCapture::new(by_id(&id)))
        .await
        .expect_err("022 on 33");
    assert_eq!(code_of(&err), "2007");
    client
        .send(&CardAuthorizeCancel::new(by_id(&id)))
        .await
        .expect("021 on 33 is ok");
    assert_eq!(sim.status(&id).await, "33");
    sim.stop().await;
}

#[tokio::test]
async fn revised_authorization_creates_a_new_payment_and_cancels_the_base() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim, &client, 1000, CaptureMode::AuthorizeOnly).await;
    let revised = client
        .send(&CardRevisedAuthorize {
            target: by_id(&id),
            amount: Yen(800),
            revision: Revision::NewTotal,
            base_cancel_timing: None,
        })
        .await
        .expect("028");
    assert_ne!(revised.payment_id, id);
    assert_eq!(revised.base_payment_id.as_deref(), Some(id.as_str()));
    assert_eq!(revised.reduced_amount, Some(Yen(800)));
    assert_eq!(sim.status(&id).await, "32");
    let new = sim.payment(&revised.payment_id).await;
    assert_eq!(new["status"], "20");
    assert_eq!(new["amount"], 800);
    assert_eq!(new["chain"], serde_json::json!([id, revised.payment_id]));
    let err = client
        .send(&CardRevisedAuthorize {
            target: by_id(&revised.payment_id),
            amount: Yen(900),
            revision: Revision::NewTotal,
            base_cancel_timing: None,
        })
        .await
        .expect_err("increase");
    assert_eq!(code_of(&err), "2013");
    // The old payment can no longer be revised.
    let err = client
        .send(&CardRevisedAuthorize {
            target: by_id(&id),
            amount: Yen(100),
            revision: Revision::Subtract,
            base_cancel_timing: None,
        })
        .await
        .expect_err("028 on 32");
    assert_eq!(code_of(&err), "2004");
    sim.stop().await;
}

#[tokio::test]
async fn revised_capture_is_a_partial_refund_with_a_new_payment_id() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let id = authorized(&sim, &client, 1000, CaptureMode::AuthorizeOnly).await;
    client
        .send(&CardCapture::new(by_id(&id)))
        .await
        .expect("022");
    let revised = client
        .send(&CardRevisedCapture {
            target: by_id(&id),
            amount: Yen(200),
            revision: Revision::Subtract,
            base_cancel_timing: None,
        })
        .await
        .expect("029");
    assert_eq!(sim.status(&id).await, "60");
    let new = sim.payment(&revised.payment_id).await;
    assert_eq!(
        (new["status"].as_str(), new["amount"].as_i64()),
        (Some("40"), Some(800))
    );
    assert_eq!(
        (
            new["captured_amount"].as_i64(),
            new["refunded_amount"].as_i64()
        ),
        (Some(800), Some(200))
    );
    sim.stop().await;
}

#[tokio::test]
async fn three_d_secure_payments_cannot_change_amount() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let checkout = sim
        .ok(
            "/checkouts/card",
            serde_json::json!({ "merchant_id": "00000", "amount": 5000, "three_d_secure": true }),
        )
        .await;
    let id = checkout["payment_id"].as_str().expect("id").to_owned();
    assert_eq!(sim.payment(&id).await["three_d_secure"], true);
    let err = client
        .send(&CardRevisedAuthorize {
            target: by_id(&id),
            amount: Yen(4000),
            revision: Revision::NewTotal,
            base_cancel_timing: None,
        })
        .await
        .expect_err("028 on 3DS");
    assert_eq!(code_of(&err), "2014");
    client
        .send(&CardCapture::new(by_id(&id)))
        .await
        .expect("capture is fine");
    sim.stop().await;
}

#[tokio::test]
async fn card_stub_outcomes() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let cases = [
        ("4900000000008212", None, "2001", "1G12"),
        ("4900000000008101", None, "2002", "1C01"),
        ("4900000000007000", None, "31001", ""),
        (OK_CARD, Some("0120"), "2001", "1502"),
    ];
    for (number, expiry, code, detail) in cases {
        let token = sim.token(number, expiry).await;
        let err = client
            .send(&authorize(token, 100, CaptureMode::AuthorizeOnly, "STUB"))
            .await
            .expect_err(number);
        let paygent_client::ClientError::Gateway(g) = err else {
            panic!("{number}: {err:?}")
        };
        assert_eq!(g.response_code, code, "{number}");
        if !detail.is_empty() {
            assert_eq!(g.response_detail, detail, "{number}");
        }
        assert_eq!(
            g.payment_id, None,
            "{number}: refusals other than 2003 return no payment_id"
        );
    }
    // A used token is refused.
    let token = sim.token(OK_CARD, None).await;
    client
        .send(&authorize(
            token.clone(),
            100,
            CaptureMode::AuthorizeOnly,
            "T1",
        ))
        .await
        .expect("first use");
    let err = client
        .send(&authorize(token, 100, CaptureMode::AuthorizeOnly, "T2"))
        .await
        .expect_err("reuse");
    assert_eq!(code_of(&err), "2022");
    sim.stop().await;
}

#[tokio::test]
async fn input_error_leaves_status_10_and_reauthorization_uses_the_payment_id() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let token = sim.token("4900000000008283", None).await;
    let err = client
        .send(&authorize(token, 700, CaptureMode::AuthorizeOnly, "REAUTH"))
        .await
        .expect_err("1G83");
    let paygent_client::ClientError::Gateway(g) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (g.response_code.as_str(), g.response_detail.as_str()),
        ("2003", "1G83")
    );
    let id = g.payment_id.expect("2003 returns the payment id");
    assert_eq!(sim.status(&id).await, "10");
    let token = sim.token(OK_CARD, None).await;
    let mut retry = authorize(token, 700, CaptureMode::AuthorizeOnly, "REAUTH");
    retry.payment_id = Some(id.clone());
    let done = client.send(&retry).await.expect("re-authorization");
    assert_eq!(done.payment_id, id);
    assert_eq!(sim.status(&id).await, "20");
    let token = sim.token(OK_CARD, None).await;
    let mut again = authorize(token, 700, CaptureMode::AuthorizeOnly, "REAUTH");
    again.payment_id = Some(id.clone());
    let err = client.send(&again).await.expect_err("re-auth on 20");
    assert_eq!(code_of(&err), "2001");
    sim.stop().await;
}

#[tokio::test]
async fn follow_ups_by_trading_id_and_duplicates() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let a = authorized(&sim, &client, 100, CaptureMode::AuthorizeOnly).await;
    let by_trading = PaymentRef {
        trading_id: Some("ORDER_1".into()),
        payment_id: None,
    };
    client
        .send(&CardCapture::new(by_trading.clone()))
        .await
        .expect("022 by trading_id");
    assert_eq!(sim.status(&a).await, "40");
    authorized(&sim, &client, 100, CaptureMode::AuthorizeOnly).await;
    let err = client
        .send(&CardCapture::new(by_trading))
        .await
        .expect_err("duplicate trading_id");
    assert_eq!(code_of(&err), "2005");
    let err = client
        .send(&CardCapture::new(by_id("99999999")))
        .await
        .expect_err("unknown");
    assert_eq!(code_of(&err), "2006");
    sim.stop().await;
}

/// §9 (MMYY), §5.4 (expiries up to 20 years ahead): in a long clock run past 2097 the
/// default test card (valid three years ahead, `12YY`) is still valid; its two-digit year
/// does not wrap to 2001.
#[tokio::test]
async fn card_expiry_years_do_not_wrap_in_a_long_clock_run() {
    let sim = TestSim::plain().await;
    sim.ok(
        "/clock/set",
        serde_json::json!({ "now": "2098-06-01T00:00:00Z" }),
    )
    .await;
    let done = sim
        .ok(
            "/checkouts/card",
            serde_json::json!({
                "merchant_id": crate::harness::MERCHANT, "trading_id": "LATE_1", "amount": 1000,
            }),
        )
        .await;
    assert_eq!(done["result"], "0", "{done}");
    assert_eq!(done["status"], "20");
    let id = done["payment_id"].as_str().expect("id");
    assert_eq!(sim.payment(id).await["card"]["expiry"], "1201");
    sim.stop().await;
}
