//! Plain-HTTP mode (the simulator's quick mode): gateway errors, malformed answers,
//! timeouts with an unknown outcome, and refused connections that are safe to resend.

use std::time::Duration;

use paygent_client::{Client, ClientConfig, ClientError, DEFAULT_TIMEOUT, Endpoint};
use paygent_codec::dictionary::{Category, ErrorContext};
use paygent_codec::request::{CardAuthorizeCancel, PaidyRefund, PaymentInquiry, PaymentRef};
use paygent_codec::{
    CommonHeader, PaymentStatus, ResponseError, ResponseWriter, Secret, TelegramKind, Yen,
};

use crate::server::{http_answer, http_once, http_silent};

const SENTINEL: &str = "SENTINEL-plain-pw-3K";

fn client(base: &str, timeout: Duration) -> Client {
    let mut config = ClientConfig::new(
        Endpoint::Custom(base.to_owned()),
        CommonHeader::new("00000", "test_connect", Secret::new(SENTINEL)),
    );
    config.timeout = timeout;
    Client::new(config).unwrap()
}

#[test]
fn default_timeout_is_the_modules_35_seconds() {
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(35));
    let config = ClientConfig::new(
        Endpoint::Sandbox,
        CommonHeader::new("1", "c", Secret::new(SENTINEL)),
    );
    assert_eq!(config.timeout, DEFAULT_TIMEOUT);
    assert_eq!(
        Endpoint::Production.base_url(TelegramKind::CardCapture),
        "https://module.paygent.co.jp"
    );
    assert_eq!(
        Endpoint::Custom("http://127.0.0.1:9/".into()).base_url(TelegramKind::CardCapture),
        "http://127.0.0.1:9"
    );
}

#[tokio::test]
async fn paidy_partial_refund_over_plain_http_returns_the_new_payment_id() {
    let answer = ResponseWriter::new(
        TelegramKind::PaidyRefund,
        paygent_codec::ResultStatus::Success,
    )
    .item("payment_id", "1000000000000999")
    .item("trading_id", "T342")
    .encode()
    .unwrap();
    let (base, seen) = http_once(http_answer("200 OK", &answer)).await;
    let refund = PaidyRefund {
        target: PaymentRef::by_payment_id("1000000000000901"),
        amount: Some(Yen(500)),
    };
    let done = client(&base, DEFAULT_TIMEOUT).send(&refund).await.unwrap();
    assert_eq!(done.payment_id, "1000000000000999");
    let seen = seen.await.unwrap().unwrap();
    assert!(seen.head.starts_with("POST /n/paidy/request HTTP/1.0"));
    assert!(
        String::from_utf8(seen.body)
            .unwrap()
            .ends_with("&payment_id=1000000000000901&amount=500")
    );
}

#[tokio::test]
async fn a_gateway_refusal_carries_its_code_and_dictionary_entry() {
    let answer = ResponseWriter::error(TelegramKind::CardAuthorizeCancel, "2004", "状態不整合")
        .encode()
        .unwrap();
    let (base, _seen) = http_once(http_answer("200 OK", &answer)).await;
    let err = client(&base, DEFAULT_TIMEOUT)
        .send(&CardAuthorizeCancel::new(PaymentRef::by_payment_id("1")))
        .await
        .unwrap_err();
    let ClientError::Gateway(g) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(g.response_code, "2004");
    assert_eq!(
        err.explain(ErrorContext::Cancel).category,
        Category::StateConflict
    );
    assert!(!err.outcome_unknown() && !err.safe_to_resend());
    assert!(!format!("{err} {err:?}").contains(SENTINEL));
}

/// Sends a 094 inquiry to a server that answers `status` and `body` once.
async fn inquire(
    status: &str,
    body: &[u8],
) -> Result<paygent_codec::response::PaymentInquiryResult, ClientError> {
    let (base, _seen) = http_once(http_answer(status, body)).await;
    let inquiry = PaymentInquiry {
        target: PaymentRef::by_payment_id("1"),
        payment_type: None,
    };
    client(&base, DEFAULT_TIMEOUT).send(&inquiry).await
}

#[tokio::test]
async fn malformed_and_non_2xx_answers_are_typed() {
    let err = inquire(
        "200 OK",
        b"result=0\r\npayment_id=1\r\npayment_type=02\r\npayment_status=77\r\npayment_amount=1\r\n",
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        ClientError::MalformedResponse(ResponseError::UnknownPaymentStatus { .. })
    ));

    let err = inquire("500 Internal Server Error", b"result=0\r\n")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ClientError::MalformedResponse(ResponseError::HttpStatus { status: 500 })
    ));

    let ok = inquire(
        "200 OK",
        b"result=0\r\npayment_id=1\r\npayment_type=02\r\npayment_status=20\r\npayment_amount=1200\r\n",
    )
    .await
    .unwrap();
    assert_eq!(ok.payment_status, PaymentStatus::Authorized);
    assert_eq!(ok.payment_amount, Yen(1200));
}

#[tokio::test]
async fn a_silent_server_times_out_with_an_unknown_outcome() {
    let (base, _keep_open) = http_silent().await;
    let err = client(&base, Duration::from_millis(300))
        .send(&CardAuthorizeCancel::new(PaymentRef::by_payment_id("1")))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
    assert!(err.outcome_unknown());
    assert!(!err.safe_to_resend());
    assert_eq!(err.explain(ErrorContext::Cancel).code, "E02006");
    assert!(!format!("{err} {err:?}").contains(SENTINEL));
}

#[tokio::test]
async fn a_refused_connection_is_safe_to_resend() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    let err = client(&base, DEFAULT_TIMEOUT)
        .send(&CardAuthorizeCancel::new(PaymentRef::by_payment_id("1")))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect(_)), "{err:?}");
    assert!(err.safe_to_resend());
    assert!(!format!("{err} {err:?}").contains(SENTINEL));
}

/// The connect password never goes out over plain HTTP except to this computer (issue 16,
/// point 11): a custom base URL on `http://` elsewhere is refused before anything is sent.
#[test]
fn plain_http_is_refused_except_to_loopback() {
    let build = |base: &str| {
        Client::new(ClientConfig::new(
            Endpoint::Custom(base.to_owned()),
            CommonHeader::new("00000", "test_connect", Secret::new(SENTINEL)),
        ))
    };
    for ok in [
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://[::1]:8443/",
        "http://localhost:1",
        "https://gateway.example.jp",
    ] {
        assert!(build(ok).is_ok(), "{ok}");
        assert!(paygent_client::check_base_url(ok).is_ok(), "{ok}");
    }
    for refused in [
        "http://gateway.example.jp",
        "http://10.0.0.1:8080",
        "http://localhost.example.jp",
        "gateway.example.jp",
        "ftp://gateway.example.jp",
    ] {
        let error = build(refused)
            .err()
            .unwrap_or_else(|| panic!("{refused} accepted"));
        assert!(
            matches!(error, ClientError::Config(_)),
            "{refused}: {error}"
        );
        assert!(!error.to_string().contains(SENTINEL));
    }
}
