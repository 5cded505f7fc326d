//! Stored cards 025/026/027 and renewals with a stored card.

use paygent_codec::Yen;
use paygent_codec::request::{
    CaptureMode, CardAuthorize, CardSource, PaymentClass, StoredCardDelete, StoredCardInquiry,
    StoredCardRegister, ThreeDSecure,
};
use serde_json::json;

use crate::harness::{MERCHANT, TestSim, code_of};

fn renewal(customer_id: &str, card_id: &str) -> CardAuthorize {
    CardAuthorize {
        trading_id: Some("RENEW_1".into()),
        payment_id: None,
        amount: Yen(2160),
        payment_class: PaymentClass::LumpSum,
        card: CardSource::StoredCard {
            customer_id: customer_id.into(),
            customer_card_id: card_id.into(),
            cvc_token: None,
        },
        three_d_secure: ThreeDSecure::Skipped,
        capture_mode: CaptureMode::AuthorizeOnly,
        site_id: None,
    }
}

#[tokio::test]
async fn register_list_use_and_delete_stored_cards() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let token = sim.token("4900000000001234", Some("1240")).await;
    let registered = client
        .send(&StoredCardRegister {
            trading_id: None,
            customer_id: "CUST_1".into(),
            card_token: token,
            cardholder_name: Some("TARO YAMADA".into()),
            add_info: [
                Some("山田 太郎".into()),
                Some("ヤマダ　タロウ".into()),
                None,
                None,
            ],
            validity_check: false,
            site_id: None,
        })
        .await
        .expect("025");
    assert_eq!(registered.number_of_cards, Some(1));
    let list = client
        .send(&StoredCardInquiry {
            trading_id: None,
            customer_id: "CUST_1".into(),
            customer_card_id: None,
            return_fingerprint: false,
            site_id: None,
        })
        .await
        .expect("027");
    assert_eq!(list.cards.len(), 1);
    let card = &list.cards[0];
    assert_eq!(card.masked_card_number, "************1234");
    assert_eq!(card.card_valid_term, "1240");
    assert_eq!(card.cardholder_name, "TARO YAMADA");
    assert_eq!(
        card.columns.get("add_info1").map(String::as_str),
        Some("山田 太郎")
    );
    assert!(!card.expired);
    let done = client
        .send(&renewal("CUST_1", &registered.customer_card_id))
        .await
        .expect("020 stored card");
    let payment = sim.payment(&done.payment_id).await;
    assert_eq!(
        payment["card"]["customer_card_id"],
        registered.customer_card_id.as_str()
    );
    client
        .send(&StoredCardDelete {
            trading_id: None,
            customer_id: "CUST_1".into(),
            customer_card_id: registered.customer_card_id.clone(),
            site_id: None,
        })
        .await
        .expect("026");
    let err = client
        .send(&StoredCardInquiry {
            trading_id: None,
            customer_id: "CUST_1".into(),
            customer_card_id: None,
            return_fingerprint: false,
            site_id: None,
        })
        .await;
    // P026 "no cards" is an empty list for the client, or a gateway error.
    match err {
        Ok(list) => assert!(list.cards.is_empty()),
        Err(e) => assert_eq!(code_of(&e), "P026"),
    }
    let err = client
        .send(&renewal("CUST_1", &registered.customer_card_id))
        .await
        .expect_err("deleted card");
    assert_eq!(code_of(&err), "P025");
    sim.stop().await;
}

#[tokio::test]
async fn renewal_with_an_expired_stored_card_fails_with_p010() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let card = sim
        .ok(
            "/stored-cards",
            json!({ "merchant_id": MERCHANT, "customer_id": "SUB_9", "expiry": "0125" }),
        )
        .await;
    let card_id = card["customer_card_id"].as_str().expect("id").to_owned();
    let err = client
        .send(&renewal("SUB_9", &card_id))
        .await
        .expect_err("expired");
    assert_eq!(code_of(&err), "P010");
    let list = client
        .send(&StoredCardInquiry {
            trading_id: None,
            customer_id: "SUB_9".into(),
            customer_card_id: None,
            return_fingerprint: false,
            site_id: None,
        })
        .await
        .expect("027");
    assert!(list.cards[0].expired);
    // A subscription first purchase registers the card for later renewals.
    let first = sim
        .ok("/checkouts/card", json!({ "merchant_id": MERCHANT, "amount": 2160, "trading_id": "SUB_FIRST", "customer_id": "SUB_10" }))
        .await;
    let card_id = first["customer_card_id"]
        .as_str()
        .expect("registered")
        .to_owned();
    client
        .send(&renewal("SUB_10", &card_id))
        .await
        .expect("renewal");
    sim.stop().await;
}

#[tokio::test]
async fn eleventh_card_is_refused() {
    let sim = TestSim::tls().await;
    let client = sim.client();
    let register = |card_token| StoredCardRegister {
        trading_id: None,
        customer_id: "MANY".into(),
        card_token,
        cardholder_name: None,
        add_info: Default::default(),
        validity_check: false,
        site_id: None,
    };
    for i in 0..10 {
        let token = sim.token(&format!("49000000000010{i:02}"), None).await;
        client.send(&register(token)).await.expect("025");
    }
    let token = sim.token("4900000000001099", None).await;
    let err = client.send(&register(token)).await.expect_err("11th");
    assert_eq!(code_of(&err), "P023");
    sim.stop().await;
}

fn register_checked(token: paygent_codec::Secret, trading_id: &str) -> StoredCardRegister {
    StoredCardRegister {
        trading_id: Some(trading_id.into()),
        customer_id: "CHECK_1".into(),
        card_token: token,
        cardholder_name: None,
        add_info: [None, None, None, None],
        validity_check: true,
        site_id: None,
    }
}

/// §4.5 and §5.3 ("Validity-check flow"): 025 with `valid_check_flg=1` runs a
/// validity-check authorization that leaves a card payment in 22 (有効性確認済), which
/// cannot be captured or cancelled (2004) and makes no notification record (§5.2 ○); the
/// reply carries the acquirer items; 027 lists the card with its check result. A check
/// the card company refuses leaves the payment in 17 with the stub's code, and registers
/// no card.
#[tokio::test]
async fn validity_check_registration_creates_a_status_22_payment() {
    use paygent_codec::request::{CardAuthorizeCancel, CardCapture, PaymentInquiry, PaymentRef};
    let sim = TestSim::tls().await;
    let client = sim.client();
    let token = sim.token("4900000000001234", Some("1240")).await;
    let registered = client
        .send(&register_checked(token, "CHECK_OK"))
        .await
        .expect("025 with a validity check");
    assert_eq!(registered.number_of_cards, Some(1));
    let inquiry = client
        .send(&PaymentInquiry {
            target: PaymentRef {
                trading_id: Some("CHECK_OK".into()),
                payment_id: None,
            },
            payment_type: None,
        })
        .await
        .expect("094 by trading_id");
    assert_eq!(inquiry.payment_status.code(), "22");
    assert_eq!(inquiry.payment_amount, Yen(0));
    let id = inquiry.payment_id.clone();
    for err in [
        client
            .send(&CardCapture::new(PaymentRef::by_payment_id(&id)))
            .await
            .map(drop),
        client
            .send(&CardAuthorizeCancel::new(PaymentRef::by_payment_id(&id)))
            .await
            .map(drop),
    ] {
        assert_eq!(code_of(&err.expect_err("refused on 22")), "2004");
    }
    assert_eq!(sim.status_changes(&id).await, ["-->22"]);
    let notices = sim
        .get(&format!("/notifications?merchant_id={MERCHANT}"))
        .await;
    assert!(
        notices["records"]
            .as_array()
            .expect("records")
            .iter()
            .all(|r| r["payment_id"] != id.as_str()),
        "{notices}"
    );
    let list = client
        .send(&StoredCardInquiry {
            trading_id: None,
            customer_id: "CHECK_1".into(),
            customer_card_id: None,
            return_fingerprint: false,
            site_id: None,
        })
        .await
        .expect("027");
    let card = &list.cards[0];
    assert_eq!(
        card.columns.get("valid_check_result").map(String::as_str),
        Some("0")
    );
    assert!(
        card.columns
            .get("valid_check_date")
            .is_some_and(|d| d.len() == 14)
    );

    // Declined (1G12): 17, code 2001, no card registered.
    let token = sim.token("4900000000008212", Some("1240")).await;
    let err = client
        .send(&register_checked(token, "CHECK_NG"))
        .await
        .expect_err("declined");
    assert_eq!(code_of(&err), "2001");
    let failed = sim.get("/payments?merchant_id=00000").await["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .find(|p| p["trading_id"] == "CHECK_NG")
        .cloned()
        .expect("payment");
    assert_eq!(failed["status"], "17");
    // An input error (2003, 1G83) is a failed check as well: 17, not 10.
    let token = sim.token("4900000000008283", Some("1240")).await;
    let err = client
        .send(&register_checked(token, "CHECK_INPUT"))
        .await
        .expect_err("input error");
    assert_eq!(code_of(&err), "2003");
    let list = client
        .send(&StoredCardInquiry {
            trading_id: None,
            customer_id: "CHECK_1".into(),
            customer_card_id: None,
            return_fingerprint: false,
            site_id: None,
        })
        .await
        .expect("027");
    assert_eq!(list.cards.len(), 1, "refused checks register nothing");
    let statuses: Vec<String> = sim.get("/payments?merchant_id=00000").await["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .filter(|p| p["trading_id"] == "CHECK_INPUT")
        .map(|p| p["status"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(statuses, ["17"]);
    sim.stop().await;
}
