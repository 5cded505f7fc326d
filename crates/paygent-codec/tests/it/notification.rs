//! Payment notifications: lenient and typed parsing, `hc` verification and the
//! simulator's builder.

use paygent_codec::form::{Charset, encode_form_with_charset};
use paygent_codec::notification::ACKNOWLEDGEMENT;
use paygent_codec::{
    NotificationError, PaymentStatus, PaymentType, Secret, Yen, encode_notification,
    parse_notification, parse_notification_fields, verify_hc, verify_hc_fields,
};

fn card_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("payment_notice_id", "12345"),
        ("change_date", "20261124120000"),
        ("payment_id", "123456789"),
        ("trading_id", "TRADE12345"),
        ("payment_type", "02"),
        ("payment_status", "20"),
        ("payment_amount", "1000"),
        ("acq_name", "三菱ＵＦＪニコス"),
    ]
}

#[test]
fn built_notification_carries_the_spec_hc_and_verifies() {
    let key = Secret::new("abcdefg1234567");
    let body = encode_notification(&card_fields(), &key).unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.ends_with("&hc=6485eb02c7db9afccfe1076b740ffa87fc84f912aab24961153891e848b8cb8c"));
    let n = parse_notification(&body).unwrap();
    assert_eq!(n.record.payment_type, PaymentType::Card);
    assert_eq!(n.record.payment_status, PaymentStatus::Authorized);
    assert_eq!(n.record.payment_amount, Yen(1000));
    assert_eq!(n.record.fields["acq_name"], "三菱ＵＦＪニコス");
    assert!(verify_hc(&n, &key));
    assert!(!verify_hc(&n, &Secret::new("abcdefg1234568")));
    assert_eq!(ACKNOWLEDGEMENT, b"result=0");
}

#[test]
fn tampered_amount_fails_verification() {
    let key = Secret::new("abcdefg1234567");
    let body = String::from_utf8(encode_notification(&card_fields(), &key).unwrap()).unwrap();
    let tampered = body.replace("payment_amount=1000", "payment_amount=1");
    let n = parse_notification(tampered.as_bytes()).unwrap();
    assert!(!verify_hc(&n, &key));
}

#[test]
fn empty_trading_id_contributes_nothing_and_upper_case_hc_is_accepted() {
    let key = Secret::new("k");
    let fields = [
        ("payment_notice_id", "1"),
        ("payment_id", "2"),
        ("payment_type", "22"),
        ("payment_status", "40"),
        ("payment_amount", "3"),
    ];
    let body = String::from_utf8(encode_notification(&fields, &key).unwrap()).unwrap();
    let expected = paygent_codec::hash::hex_sha256(&["1", "2", "", "22", "3", "k"]);
    assert!(body.ends_with(&expected));
    let upper = body.replace(&expected, &expected.to_uppercase());
    assert!(verify_hc(
        &parse_notification(upper.as_bytes()).unwrap(),
        &key
    ));
}

#[test]
fn paidy_notification_with_java_style_encoding_parses() {
    let key = Secret::new("abcdefg1234567");
    let hc =
        paygent_codec::hash::notification_hc("11111", "2222222", "TRADE12345", "22", "1500", &key);
    let body = encode_form_with_charset(
        Charset::Windows31J,
        &[
            ("payment_notice_id", "11111"),
            ("payment_id", "2222222"),
            ("trading_id", "TRADE12345"),
            ("payment_type", "22"),
            ("payment_status", "40"),
            ("payment_amount", "1500"),
            ("buyer_name_kana", "ヤマダ　タロウ"),
            ("description", "a*b"),
            ("event", "capture"),
            ("event_result", "success"),
            ("hc", &hc),
        ],
    )
    .unwrap();
    // Java's URLEncoder leaves `*` as is.
    let java = String::from_utf8(body).unwrap().replace("%2A", "*");
    let n = parse_notification(java.as_bytes()).unwrap();
    assert_eq!(n.record.fields["description"], "a*b");
    assert_eq!(n.record.fields["buyer_name_kana"], "ヤマダ　タロウ");
    assert_eq!(n.record.fields["event"], "capture");
    assert!(verify_hc(&n, &key));
    let debug = format!("{n:?}");
    assert!(!debug.contains(&hc), "Debug leaves hc out");
}

#[test]
fn malformed_notifications_are_typed_errors() {
    assert_eq!(
        parse_notification(b"payment_notice_id=1"),
        Err(NotificationError::MissingHc)
    );
    let short_hc = b"payment_notice_id=1&payment_id=2&payment_type=02&payment_status=20&payment_amount=1&hc=abc";
    assert_eq!(
        parse_notification(short_hc),
        Err(NotificationError::MissingHc)
    );
    let hc = "0".repeat(64);
    let unknown_status = format!(
        "payment_notice_id=1&payment_id=2&payment_type=02&payment_status=99&payment_amount=1&hc={hc}"
    );
    assert!(matches!(
        parse_notification(unknown_status.as_bytes()),
        Err(NotificationError::Record(
            paygent_codec::ResponseError::UnknownPaymentStatus { .. }
        ))
    ));
    assert!(matches!(
        parse_notification(b"a=%8"),
        Err(NotificationError::Form(_))
    ));
    assert!(matches!(
        parse_notification(b"a=%81%20"),
        Err(NotificationError::Form(_))
    ));
}

#[test]
fn lenient_parse_keeps_unknown_codes_and_decimal_amounts_as_strings() {
    let key = Secret::new("abcdefg1234567");
    let fields = [
        ("payment_notice_id", "7"),
        ("payment_id", "123456789"),
        ("payment_type", "99"),
        ("payment_status", "77"),
        ("payment_amount", "12.50"),
        ("currency_code", "USD"),
        ("buyer_name_kanji", "山田 太郎"),
    ];
    let body = encode_notification(&fields, &key).unwrap();
    // The typed reader refuses this record; a receiver must not.
    assert!(matches!(
        parse_notification(&body),
        Err(NotificationError::Record(_))
    ));
    let n = parse_notification_fields(&body).unwrap();
    for (k, v) in fields {
        assert_eq!(n.field(k), v, "{k}");
    }
    assert_eq!(n.field("trading_id"), "", "absent fields read as empty");
    assert!(!n.fields.contains_key("hc"));
    assert!(verify_hc_fields(&n, &key));
    assert!(!verify_hc_fields(&n, &Secret::new("abcdefg1234568")));
    assert!(!format!("{n:?}").contains(&n.hc), "Debug leaves hc out");
}

#[test]
fn lenient_and_typed_verification_agree_on_the_spec_example() {
    let key = Secret::new("abcdefg1234567");
    let body = String::from_utf8(encode_notification(&card_fields(), &key).unwrap()).unwrap();
    let spec_hc = "6485eb02c7db9afccfe1076b740ffa87fc84f912aab24961153891e848b8cb8c";
    for body in [body.clone(), body.replace(spec_hc, &spec_hc.to_uppercase())] {
        let lenient = parse_notification_fields(body.as_bytes()).unwrap();
        let typed = parse_notification(body.as_bytes()).unwrap();
        assert_eq!(lenient.fields, typed.record.fields);
        assert_eq!(lenient.hc, typed.hc);
        assert!(verify_hc_fields(&lenient, &key));
        assert!(verify_hc(&typed, &key));
    }
    let tampered = body.replace("payment_amount=1000", "payment_amount=1000.00");
    let lenient = parse_notification_fields(tampered.as_bytes()).unwrap();
    assert!(!verify_hc_fields(&lenient, &key));
}

#[test]
fn lenient_parse_refuses_only_a_bad_form_or_hc() {
    assert_eq!(
        parse_notification_fields(b"payment_notice_id=1"),
        Err(NotificationError::MissingHc)
    );
    for hc in ["abc".to_owned(), "g".repeat(64), "0".repeat(65)] {
        let body = format!("payment_notice_id=1&hc={hc}");
        assert_eq!(
            parse_notification_fields(body.as_bytes()),
            Err(NotificationError::MissingHc),
            "{hc}"
        );
    }
    assert!(matches!(
        parse_notification_fields(b"a=%8"),
        Err(NotificationError::Form(_))
    ));
    // No field is required besides hc: judging the record is the receiver's business.
    let only_hc = format!("hc={}", "0".repeat(64));
    let n = parse_notification_fields(only_hc.as_bytes()).unwrap();
    assert!(n.fields.is_empty());
    assert!(!verify_hc_fields(&n, &Secret::new("k")));
}
