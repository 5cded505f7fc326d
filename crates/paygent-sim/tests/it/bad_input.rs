//! Malformed telegrams: each gets Paygent's error code, never a crash.

use crate::harness::{TestSim, header, item};

async fn code(sim: &TestSim, path: &str, body: impl Into<Vec<u8>>) -> String {
    let (status, reply) = sim.raw(path, body).await;
    assert_eq!(status, 200);
    assert_eq!(
        item(&reply, "result"),
        "1",
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert!(reply.ends_with(b"\r\n"), "CRLF layout");
    item(&reply, "response_code")
}

#[tokio::test]
async fn header_checks() {
    let sim = TestSim::plain().await;
    let card = "/n/card/request";
    let cases: Vec<(&str, String, &str)> = vec![
        ("garbage", "\u{0}\u{1}garbage without equals".into(), "P001"),
        ("empty body", String::new(), "P001"),
        (
            "missing password",
            "merchant_id=00000&connect_id=test_connect&telegram_kind=022&telegram_version=1.0"
                .into(),
            "P001",
        ),
        (
            "wrong password",
            header("022").replace("test_password", "nope"),
            "P002",
        ),
        (
            "unknown merchant",
            header("022").replace("00000", "99999"),
            "P002",
        ),
        (
            "no kind",
            header("022").replace("&telegram_kind=022", ""),
            "P005",
        ),
        ("unknown kind", header("999"), "P010"),
        ("letters in kind", header("0x2"), "P008"),
        ("wrong path", header("341"), "P004"),
        (
            "bad version",
            header("022").replace("telegram_version=1.0", "telegram_version=2.0"),
            "P003",
        ),
        ("kind of another path", header("010"), "P004"),
        ("missing payment", header("022"), "P005"),
        (
            "letters in payment_id",
            format!("{}&payment_id=12a", header("022")),
            "P008",
        ),
        (
            "bad escape",
            format!("{}&payment_id=%zz", header("022")),
            "P008",
        ),
        ("amount missing", header("020"), "P005"),
        (
            "amount zero",
            format!("{}&payment_amount=0&card_token=x", header("020")),
            "P014",
        ),
        (
            "too long amount",
            format!("{}&payment_amount=12345678", header("020")),
            "P009",
        ),
        (
            "no card",
            format!("{}&payment_amount=100", header("020")),
            "P005",
        ),
        (
            "raw card number",
            format!(
                "{}&payment_amount=100&card_number=4900000000000000&card_valid_term=1230",
                header("020")
            ),
            "2023",
        ),
        (
            "unknown token",
            format!(
                "{}&payment_amount=100&card_token=tok_nothing",
                header("020")
            ),
            "2021",
        ),
    ];
    for (name, body, want) in cases {
        assert_eq!(code(&sim, card, body).await, want, "{name}");
    }
    assert_eq!(
        code(&sim, "/n/atm/request", header("010")).await,
        "P007",
        "kind without simulation"
    );
    assert_eq!(code(&sim, "/n/paidy/request", header("020")).await, "P004");
    assert_eq!(code(&sim, "/somewhere", header("022")).await, "P004");
    sim.stop().await;
}

#[tokio::test]
async fn wrong_encodings_are_p008() {
    let sim = TestSim::plain().await;
    // 0x82 0xFF is not valid Windows-31J.
    let body = format!(
        "{}&trading_id=a&payment_id=1&cardholder_name=%82%FF",
        header("022")
    );
    assert_eq!(code(&sim, "/n/card/request", body).await, "P008");
    // Raw (unescaped) invalid bytes too.
    let mut raw = header("022").into_bytes();
    raw.extend_from_slice(b"&x=\xff\xfe");
    assert_eq!(code(&sim, "/n/card/request", raw).await, "P008");
    sim.stop().await;
}

#[tokio::test]
async fn oversize_telegrams_are_p009() {
    let sim = TestSim::plain().await;
    let body = format!("{}&add_info1={}", header("022"), "a".repeat(110 * 1024));
    assert_eq!(code(&sim, "/n/card/request", body).await, "P009");
    let events = sim.events().await;
    assert_eq!(events.last().expect("event")["response_code"], "P009");
    sim.stop().await;
}

#[tokio::test]
async fn php_and_java_percent_encodings_are_both_accepted() {
    let sim = TestSim::plain().await;
    let card = sim
        .ok(
            "/stored-cards",
            serde_json::json!({ "merchant_id": "00000", "customer_id": "ENC", "expiry": "1240" }),
        )
        .await;
    let _ = card;
    // PHP escapes * and ~; Java leaves * alone. Both must decode to the same id.
    for customer in ["ENC%2A", "ENC*"] {
        let body = format!("{}&customer_id={customer}", header("027"));
        let (_, reply) = sim.raw("/n/card/request", body).await;
        let text = String::from_utf8_lossy(&reply).to_string();
        assert!(
            text.starts_with("\"1\",\"1\",\"P026\""),
            "{customer}: {text}"
        );
    }
    let body = format!("{}&customer_id=ENC", header("027"));
    let (_, reply) = sim.raw("/n/card/request", body).await;
    let text = String::from_utf8_lossy(&reply).to_string();
    assert!(
        text.starts_with("\"1\",\"0\",\"\",\"\"\r\n\"2\",\"customer_id\""),
        "{text}"
    );
    assert!(text.ends_with("\"4\",\"1\"\r\n"), "{text}");
    sim.stop().await;
}

#[tokio::test]
async fn captured_php_module_requests_are_understood() {
    let sim = TestSim::plain().await;
    // The captured requests are kept in the repository (fixtures/, provenance in its README).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/paygent-vectors/requests");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixture {} is missing: {e}", dir.display()));
    let mut seen = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("http") {
            continue;
        }
        let raw = std::fs::read(&path).expect("vector");
        let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let url_path = head
            .split_whitespace()
            .nth(1)
            .expect("request line")
            .to_owned();
        let body = raw[split + 4..].to_vec();
        let (status, reply) = sim.raw(&url_path, body).await;
        assert_eq!(status, 200, "{}", path.display());
        let code = item(&reply, "response_code");
        if path.to_string_lossy().contains("utf8-misuse") {
            // UTF-8 bytes in a Windows-31J telegram: Paygent cannot read them.
            assert_eq!(code, "P008", "{}", path.display());
            seen += 1;
            continue;
        }
        // The vectors name tokens and payments that do not exist here, so business codes
        // are expected; what must never happen is a header-level rejection of the encoding.
        for header_code in ["P001", "P002", "P003", "P004", "P008"] {
            assert_ne!(code, header_code, "{}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 20, "{seen} vectors");
    sim.stop().await;
}

#[tokio::test]
async fn get_requests_are_refused_without_processing() {
    let sim = TestSim::plain().await;
    let response = sim
        .http
        .get(format!("{}/n/card/request", sim.base_url()))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 405);
    sim.stop().await;
}
