//! EMV 3-D Secure (§4.6): 450 starts an authentication, the cardholder's outcome (or the
//! 30-minute timeout) decides it, and a 020 with `3dsecure_use_type=2` accepts only an
//! authentication 450 issued and the cardholder finished.

use paygent_codec::Yen;
use paygent_codec::request::{
    CaptureMode, CardAuthorize, CardRevisedAuthorize, CardSource, PaymentClass, PaymentRef,
    Revision, ThreeDSecure,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{CONNECT_ID, HASH_KEY, MERCHANT, PASSWORD, TestSim, code_of, item};

/// A UTF-8 form body (450 is a UTF-8 kind, §1.1), PHP-style encoding.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    b' ' => "+".to_owned(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Sends a 450 with a card token; returns the raw reply body (UTF-8).
async fn send_450(sim: &TestSim, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("merchant_id", MERCHANT),
        ("connect_id", CONNECT_ID),
        ("connect_password", PASSWORD),
        ("telegram_kind", "450"),
        ("telegram_version", "1.0"),
        ("term_url", "https://shop.example/3ds/return?a=1&b=2"),
        ("merchant_name", "テスト商店"),
        ("authentication_type", "01"),
        ("payment_amount", "3000"),
    ];
    pairs.extend_from_slice(extra);
    let (status, body) = sim.raw("/n/threeds/request", form(&pairs)).await;
    assert_eq!(status, 200);
    String::from_utf8(body).expect("450 answers in UTF-8")
}

fn utf8_item(body: &str, key: &str) -> String {
    body.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or("")
        .to_owned()
}

/// A pending authentication for a fresh token of `card`; returns its id.
async fn started(sim: &TestSim, card: &str) -> String {
    let token = sim.token(card, None).await;
    let body = send_450(
        sim,
        &[("card_set_method", "token"), ("card_token", token.expose())],
    )
    .await;
    assert_eq!(utf8_item(&body, "result"), "0", "{body}");
    utf8_item(&body, "3ds_auth_id")
}

async fn authorize_with(sim: &TestSim, auth_id: Option<&str>, use_type_2: bool) -> String {
    let token = sim.token("4900000000000000", None).await;
    authorize_with_token(sim, token, auth_id, use_type_2).await
}

async fn authorize_with_token(
    sim: &TestSim,
    token: paygent_codec::Secret,
    auth_id: Option<&str>,
    use_type_2: bool,
) -> String {
    let three_d_secure = match (auth_id, use_type_2) {
        (Some(id), true) => ThreeDSecure::EmvAuthenticated {
            auth_id: id.to_owned(),
        },
        _ => ThreeDSecure::Skipped,
    };
    match sim
        .client()
        .send(&CardAuthorize {
            trading_id: Some("ORDER_3DS".into()),
            payment_id: None,
            amount: Yen(3000),
            payment_class: PaymentClass::LumpSum,
            card: CardSource::Token { card_token: token },
            three_d_secure,
            capture_mode: CaptureMode::AuthorizeOnly,
            site_id: None,
        })
        .await
    {
        Ok(done) => format!("ok {}", done.payment_id),
        Err(e) => code_of(&e),
    }
}

async fn complete(sim: &TestSim, id: &str, outcome: &str) -> Value {
    sim.ok(
        &format!("/3ds/{id}/complete"),
        json!({ "outcome": outcome }),
    )
    .await
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// §4.6: 450 answers the card items and `out_acs_html` (last, multi-line) with a 36-character
/// `3ds_auth_id`; a 020 on it while the cardholder is still on the ACS page is refused;
/// once authenticated the browser goes to term_url with `hc` = SHA-256(result + id +
/// attempt_kbn + key); the 020 is accepted once (3-D Secure payment, no amount change:
/// 2014) and a second use is 31010.
#[tokio::test]
async fn a_450_authentication_is_what_a_020_with_use_type_2_accepts() {
    let sim = TestSim::plain().await;
    let token = sim.token("4900000000000000", None).await;
    let body = send_450(
        &sim,
        &[("card_set_method", "token"), ("card_token", token.expose())],
    )
    .await;
    assert_eq!(utf8_item(&body, "result"), "0", "{body}");
    assert_eq!(utf8_item(&body, "card_brand"), "VISA");
    assert_eq!(utf8_item(&body, "masked_card_number"), "************0000");
    let id = utf8_item(&body, "3ds_auth_id");
    assert_eq!(id.len(), 36, "{id}");
    let html = body.split_once("out_acs_html=\r\n").expect("html last").1;
    assert!(
        html.starts_with("<html>") && html.ends_with("</html>"),
        "{html}"
    );
    assert!(html.contains("テスト商店"), "UTF-8 kept: {html}");

    assert_eq!(
        authorize_with(&sim, Some(&id), true).await,
        "31011",
        "pending"
    );
    let done = complete(&sim, &id, "authenticated").await;
    assert_eq!(done["status"], "authenticated");
    let url = done["term_url"].as_str().expect("term_url");
    assert!(
        url.starts_with("https://shop.example/3ds/return?a=1&b=2&result=0&"),
        "{url}"
    );
    let hc = sha256_hex(&format!("0{id}0{HASH_KEY}"));
    assert!(url.ends_with(&format!("&hc={hc}")), "{url}");
    // The token was not used up by 450: the 020 after it uses it.
    let answer = authorize_with_token(&sim, token, Some(&id), true).await;
    let payment_id = answer.strip_prefix("ok ").expect(&answer).to_owned();
    let payment = sim.payment(&payment_id).await;
    assert_eq!(payment["three_d_secure"], true);
    assert_eq!(payment["status"], "20");
    assert_eq!(sim.get(&format!("/3ds/{id}")).await["used_by"], payment_id);
    // §4.7 and §7.3: the inquiry and the notification record say how it was authenticated.
    let inquiry = sim
        .client()
        .send(&paygent_codec::request::PaymentInquiry {
            target: PaymentRef::by_payment_id(&payment_id),
            payment_type: None,
        })
        .await
        .expect("094");
    assert_eq!(inquiry.fields["3dsecure_ryaku"], "0");
    assert_eq!(inquiry.fields["attempt_kbn"], "0");
    let notices = sim
        .get(&format!("/notifications?merchant_id={MERCHANT}"))
        .await;
    let record = notices["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["payment_id"] == payment_id.as_str())
        .expect("a record of the authorization");
    let field = |key: &str| {
        record["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|kv| kv[0] == key)
            .map(|kv| kv[1].clone())
    };
    assert_eq!(field("3dsecure_ryaku"), Some(json!("0")));
    assert_eq!(field("attempt_kbn"), Some(json!("0")));
    assert_eq!(authorize_with(&sim, Some(&id), true).await, "31010");
    let err = sim
        .client()
        .send(&CardRevisedAuthorize {
            target: PaymentRef::by_payment_id(&payment_id),
            amount: Yen(100),
            revision: Revision::Subtract,
            base_cancel_timing: None,
        })
        .await
        .expect_err("3-D Secure payments take no revision");
    assert_eq!(code_of(&err), "2014");
    sim.stop().await;
}

/// §4.6: a failed authentication is 31007 for the 020; one the cardholder abandons is
/// `timed_out` after 30 minutes (not before), its term_url notice says 31013 with "XXXX"
/// for the card, and the 020 gets 31013; an id 450 never issued is 31011; 3ds_auth_id
/// without use type 2 is 31008, use type 2 without an id 31009. No payment exists for an
/// abandoned authentication (3-D Secure 1.0's 13/14 are gone, §0 SPEC21).
#[tokio::test]
async fn failed_abandoned_and_unknown_authentications_are_refused() {
    let sim = TestSim::plain().await;
    let failed = started(&sim, "4900000000000000").await;
    complete(&sim, &failed, "failed").await;
    assert_eq!(authorize_with(&sim, Some(&failed), true).await, "31007");
    let view = sim.get(&format!("/3ds/{failed}")).await;
    assert!(
        view["term_url"]
            .as_str()
            .is_some_and(|u| u.contains("result=1&response_code=31007")),
        "{view}"
    );

    let abandoned = started(&sim, "4900000000000000").await;
    sim.advance(0, 29).await;
    sim.tick().await;
    assert_eq!(
        sim.get(&format!("/3ds/{abandoned}")).await["status"],
        "pending"
    );
    sim.advance(0, 1).await;
    sim.tick().await;
    let view = sim.get(&format!("/3ds/{abandoned}")).await;
    assert_eq!(view["status"], "timed_out");
    let notice = view["term_url"].as_str().expect("notice");
    assert!(notice.contains("result=1&response_code=31013"), "{notice}");
    assert!(notice.contains("masked_card_number=XXXX"), "{notice}");
    assert_eq!(authorize_with(&sim, Some(&abandoned), true).await, "31013");
    // Too late to finish it now.
    let (status, _) = sim
        .post(
            &format!("/3ds/{abandoned}/complete"),
            json!({ "outcome": "authenticated" }),
        )
        .await;
    assert_eq!(status, 400);
    let payments = sim.get("/payments?merchant_id=00000").await["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .filter(|p| p["trading_id"] == "ORDER_3DS")
        .count();
    assert_eq!(payments, 0, "refused 3-D Secure 020s leave no payment");

    assert_eq!(
        authorize_with(&sim, Some("00000000-0000-0000-0000-000000000000"), true).await,
        "31011"
    );
    let ok = started(&sim, "4900000000000000").await;
    // The client never sends an id without use type 2: a raw 020 does.
    let token = sim.token("4900000000000000", None).await;
    let body = form(&[
        ("merchant_id", MERCHANT),
        ("connect_id", CONNECT_ID),
        ("connect_password", PASSWORD),
        ("telegram_kind", "020"),
        ("telegram_version", "1.0"),
        ("payment_amount", "3000"),
        ("card_token", token.expose()),
        ("3dsecure_ryaku", "1"),
        ("3ds_auth_id", &ok),
    ]);
    let (_, reply) = sim.raw("/n/card/request", body).await;
    assert_eq!(item(&reply, "response_code"), "31008");
    let token = sim.token("4900000000000000", None).await;
    let body = form(&[
        ("merchant_id", MERCHANT),
        ("connect_id", CONNECT_ID),
        ("connect_password", PASSWORD),
        ("telegram_kind", "020"),
        ("telegram_version", "1.0"),
        ("payment_amount", "3000"),
        ("card_token", token.expose()),
        ("3dsecure_use_type", "2"),
    ]);
    let (_, reply) = sim.raw("/n/card/request", body).await;
    assert_eq!(item(&reply, "response_code"), "31009");
    sim.stop().await;
}

/// §4.6 error codes of 450 itself: a card the acquirer does not take (31001, the stub's
/// X=7), card_set_method without its card (31002), a used token (31005), an unknown token
/// (31004), a stored card that does not exist (31006), a shop without the 3-D Secure
/// contract (P063).
#[tokio::test]
async fn the_450_error_codes() {
    let sim = TestSim::plain().await;
    let code = |body: String| utf8_item(&body, "response_code");
    let token = sim.token("4900000000007000", None).await;
    let body = send_450(
        &sim,
        &[("card_set_method", "token"), ("card_token", token.expose())],
    )
    .await;
    assert_eq!(code(body), "31001");
    assert_eq!(
        code(send_450(&sim, &[("card_set_method", "token")]).await),
        "31002"
    );
    assert_eq!(
        code(
            send_450(
                &sim,
                &[("card_set_method", "token"), ("card_token", "tok_nothing")]
            )
            .await
        ),
        "31004"
    );
    let used = sim.token("4900000000000000", None).await;
    let answer = sim
        .client()
        .send(&CardAuthorize {
            trading_id: None,
            payment_id: None,
            amount: Yen(100),
            payment_class: PaymentClass::LumpSum,
            card: CardSource::Token {
                card_token: used.clone(),
            },
            three_d_secure: ThreeDSecure::Skipped,
            capture_mode: CaptureMode::AuthorizeOnly,
            site_id: None,
        })
        .await;
    assert!(answer.is_ok());
    assert_eq!(
        code(
            send_450(
                &sim,
                &[("card_set_method", "token"), ("card_token", used.expose())]
            )
            .await
        ),
        "31005"
    );
    assert_eq!(
        code(
            send_450(
                &sim,
                &[
                    ("card_set_method", "customer"),
                    ("customer_id", "NOBODY"),
                    ("customer_card_id", "9")
                ]
            )
            .await
        ),
        "31006"
    );
    let (status, _) = sim
        .post(
            "/shops",
            json!({
                "merchant_id": "00001", "connect_id": CONNECT_ID, "connect_password": PASSWORD,
                "hash_key": HASH_KEY, "contracts": ["card"],
            }),
        )
        .await;
    assert_eq!(status, 201);
    let body = form(&[
        ("merchant_id", "00001"),
        ("connect_id", CONNECT_ID),
        ("connect_password", PASSWORD),
        ("telegram_kind", "450"),
        ("telegram_version", "1.0"),
    ]);
    let (_, reply) = sim.raw("/n/threeds/request", body).await;
    assert_eq!(item(&reply, "response_code"), "P063");
    sim.stop().await;
}
