//! Bad input: every malformed body is a typed error, never a panic, and no message
//! quotes the body.

use paygent_codec::kind::{TelegramKind, charset_for_code};
use paygent_codec::response::{MAX_RESPONSE_BYTES, PaymentInquiryResult};
use paygent_codec::{
    Charset, CsvError, ResponseError, ResponseWriter, ResultStatus, encode_response,
    encode_response_with_charset, parse_csv, parse_notification, parse_response,
};

const SENTINEL: &str = "SENTINELsecret42";

fn inquiry(body: &[u8]) -> Result<PaymentInquiryResult, ResponseError> {
    PaymentInquiryResult::try_from(parse_response(TelegramKind::PaymentInquiry, 200, body)?)
}

#[test]
fn malformed_bodies_are_typed_errors_without_body_text() {
    let cases: Vec<(&str, Vec<u8>, ResponseError)> = vec![
        (
            "no result",
            format!("response_code=\r\npayment_id={SENTINEL}\r\n").into_bytes(),
            ResponseError::NoResult,
        ),
        (
            "unknown result",
            format!("result={SENTINEL}\r\n").into_bytes(),
            ResponseError::UnknownResult {
                value: "<16 bytes>".into(),
            },
        ),
        (
            "unknown status",
            format!("result=0\r\npayment_id=1\r\npayment_type=02\r\npayment_status={SENTINEL}\r\npayment_amount=1\r\n").into_bytes(),
            ResponseError::UnknownPaymentStatus {
                code: "<16 bytes>".into(),
            },
        ),
        (
            "unknown type",
            b"result=0\r\npayment_id=1\r\npayment_type=99\r\npayment_status=20\r\npayment_amount=1\r\n".to_vec(),
            ResponseError::UnknownPaymentType { code: "99".into() },
        ),
        (
            "truncated body",
            b"result=0\r\npayment_id=1\r\npayment_ty".to_vec(),
            ResponseError::MissingItem {
                key: "payment_type",
            },
        ),
        (
            "decimal amount",
            b"result=0\r\npayment_id=1\r\npayment_type=02\r\npayment_status=20\r\npayment_amount=1.5\r\n".to_vec(),
            ResponseError::InvalidItem {
                key: "payment_amount",
                reason: "expected whole yen in digits",
            },
        ),
        (
            "invalid Windows-31J",
            b"result=0\r\nacq_name=\x81\x20\r\n".to_vec(),
            ResponseError::InvalidEncoding {
                key: "acq_name".into(),
                charset: Charset::Windows31J,
            },
        ),
        (
            "LF only",
            format!("result=0\npayment_id={SENTINEL}\n").into_bytes(),
            ResponseError::LineEnding { line: 1 },
        ),
        ("empty", b"\r\n".to_vec(), ResponseError::EmptyBody),
    ];
    for (name, body, expected) in cases {
        let err = inquiry(&body).expect_err(name);
        assert_eq!(err, expected, "{name}");
        assert!(!err.to_string().contains(SENTINEL), "{name}: {err}");
        assert!(!format!("{err:?}").contains(SENTINEL), "{name}: {err:?}");
    }
}

#[test]
fn oversize_and_non_2xx_bodies_are_refused_before_parsing() {
    let big = vec![b'a'; MAX_RESPONSE_BYTES + 1];
    assert_eq!(
        parse_response(TelegramKind::CardCapture, 200, &big),
        Err(ResponseError::TooLarge { len: big.len() })
    );
    assert_eq!(
        parse_response(TelegramKind::CardCapture, 503, b"result=0\r\n"),
        Err(ResponseError::HttpStatus { status: 503 })
    );
}

#[test]
fn truncated_and_malformed_csv_are_typed_errors() {
    let cs = Charset::Windows31J;
    assert_eq!(
        parse_csv(
            b"\"1\",\"0\",\"\",\"\"\r\n\"2\",\"a\"\r\n\"3\",\"x\"\r\n",
            cs
        ),
        Err(CsvError::MissingTrailer)
    );
    assert_eq!(
        parse_csv(
            b"\"1\",\"0\",\"\",\"\"\r\n\"2\",\"a\"\r\n\"3\",\"x\"\r\n\"4\",\"2\"\r\n",
            cs
        ),
        Err(CsvError::TrailerMismatch {
            announced: "2".into(),
            found: 1
        })
    );
    assert_eq!(
        parse_csv(b"\"3\",\"x\"\r\n", cs),
        Err(CsvError::MissingHeader)
    );
    assert_eq!(
        parse_csv(b"\"1\",\"0\r\n", cs),
        Err(CsvError::Quoting { line: 1 })
    );
    assert_eq!(
        parse_csv(b"\"1\",\"0\"x\r\n", cs),
        Err(CsvError::Quoting { line: 1 })
    );
}

#[test]
fn response_writer_round_trips_through_the_parser() {
    let body = ResponseWriter::new(TelegramKind::CardAuthorize, ResultStatus::Success)
        .item("payment_id", "1000000000000001")
        .item("acq_name", "三菱ＵＦＪニコス")
        .item("out_acs_html", "<html>\r\n</html>")
        .item("trading_id", "T1")
        .encode()
        .unwrap();
    assert!(body.ends_with(b"trading_id=T1\r\nout_acs_html=\r\n<html>\r\n</html>"));
    let raw = parse_response(TelegramKind::CardAuthorize, 200, &body).unwrap();
    assert_eq!(raw.item("acq_name"), Some("三菱ＵＦＪニコス"));
    assert_eq!(raw.item("out_acs_html"), Some("<html>\r\n</html>"));
    let err = ResponseWriter::error(TelegramKind::CardCapture, "2004", "状態不整合")
        .encode()
        .unwrap();
    let raw = parse_response(TelegramKind::CardCapture, 200, &err).unwrap();
    assert_eq!(raw.result, ResultStatus::Error);
    assert_eq!(raw.response_detail, "状態不整合");
    assert!(encode_response(TelegramKind::CardCapture, &[("a", "x\ny")]).is_err());
}

#[test]
fn replies_to_unknown_kinds_are_laid_out_in_the_codes_charset() {
    let items = [
        ("result", "1"),
        ("response_code", "P010"),
        ("response_detail", "入力値エラー"),
    ];
    let body = encode_response_with_charset(charset_for_code("999"), &items).unwrap();
    let mut expected = b"result=1\r\nresponse_code=P010\r\nresponse_detail=".to_vec();
    expected.extend_from_slice(&encoding_rs::SHIFT_JIS.encode("入力値エラー").0);
    expected.extend_from_slice(b"\r\n");
    assert_eq!(body, expected);
    let utf8 = encode_response_with_charset(Charset::Utf8, &items).unwrap();
    assert_eq!(
        utf8,
        "result=1\r\nresponse_code=P010\r\nresponse_detail=入力値エラー\r\n".as_bytes()
    );
    // A named kind's writer is the charset writer with the kind's charset.
    for kind in TelegramKind::ALL {
        assert_eq!(
            encode_response(kind, &items).unwrap(),
            encode_response_with_charset(kind.charset(), &items).unwrap(),
            "{kind}"
        );
    }
    assert!(encode_response_with_charset(Charset::Windows31J, &[("a", "x\ry")]).is_err());
    assert!(encode_response_with_charset(Charset::Windows31J, &[("a", "😀")]).is_err());
}

#[test]
fn csv_writer_round_trips_through_the_parser() {
    let table = paygent_codec::CsvTable {
        result: "0".into(),
        response_code: String::new(),
        response_detail: String::new(),
        columns: vec!["customer_id".into(), "add_info1".into()],
        rows: vec![vec!["c1".into(), "say \"hi\", 山田".into()]],
    };
    let body =
        paygent_codec::response::encode_reference_response(TelegramKind::StoredCardInquiry, &table)
            .unwrap();
    assert_eq!(parse_csv(&body, Charset::Windows31J).unwrap(), table);
}

/// A deterministic stand-in for the fuzz targets on stable Rust: random and mutated
/// bodies through every parser must return, not panic.
#[test]
fn parsers_survive_random_and_mutated_input() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let seeds: [&[u8]; 4] = [
        b"result=0\r\npayment_id=1\r\npayment_type=02\r\npayment_status=20\r\npayment_amount=1\r\nout_acs_html=\r\n<a>",
        b"\"1\",\"0\",\"\",\"\"\r\n\"2\",\"a\"\r\n\"3\",\"x\"\r\n\"4\",\"1\"\r\n",
        b"payment_notice_id=1&payment_id=2&payment_type=22&payment_status=40&payment_amount=3&hc=%41",
        b"\x81\x60=\x87\x40\r\n=\r\n\r\n_html=\r\n",
    ];
    for round in 0..3000 {
        let seed = seeds[round % seeds.len()];
        let mut input = seed.to_vec();
        for _ in 0..(next() % 8) {
            let op = next() % 3;
            let pos = (next() as usize) % (input.len() + 1);
            let byte = (next() % 256) as u8;
            match op {
                0 if pos < input.len() => input[pos] = byte,
                1 => input.insert(pos, byte),
                _ => input.truncate(pos),
            }
        }
        for kind in [
            TelegramKind::PaymentInquiry,
            TelegramKind::StoredCardInquiry,
            TelegramKind::ThreeDSecureAuthenticate,
        ] {
            if let Ok(raw) = parse_response(kind, 200, &input) {
                let _ = PaymentInquiryResult::try_from(raw);
            }
        }
        let _ = parse_csv(&input, Charset::Windows31J);
        let _ = parse_notification(&input);
    }
}
