//! A deterministic stand-in for the `subscriptions_csv` fuzz target (`fuzz/`) on stable
//! Rust: random and mutated import files must give rows and errors, never a panic, and
//! every accepted row must satisfy the documented column formats.

use chrono::NaiveDate;
use domain::Yen;
use domain::subscription::{
    CardExpiry, Cycle, SubscriptionStatus, valid_customer_card_id, valid_customer_id,
};
use domain::subscription_csv::parse_subscriptions_csv;

/// The checks the fuzz target makes on every input.
fn check(input: &[u8]) {
    let (rows, errors) = parse_subscriptions_csv(input);
    if errors.iter().any(|e| e.line <= 1) {
        assert!(
            rows.is_empty(),
            "rows despite a file or header error: {input:?}"
        );
    }
    let mut last_line = 1;
    for row in &rows {
        assert!(row.line > last_line, "{input:?}");
        last_line = row.line;
        assert!(valid_customer_id(&row.customer_id), "{row:?}");
        assert!(valid_customer_card_id(&row.customer_card_id), "{row:?}");
        assert!(!row.buyer_name.trim().is_empty(), "{row:?}");
        assert!((1..=31).contains(&row.billing_day), "{row:?}");
        assert!(row.amount.0 >= 0, "{row:?}");
        assert!(
            row.buyer_email.as_deref().is_none_or(|e| e.contains('@')),
            "{row:?}"
        );
    }
    for e in &errors {
        assert!(
            !e.message.ja.is_empty() && !e.message.en.is_empty(),
            "{e:?}"
        );
    }
}

#[test]
fn subscription_import_survives_random_and_mutated_input() {
    let sjis = encoding_rs::SHIFT_JIS
        .encode("会員ID,カードID,購入者氏名,周期,金額,次回決済日,決済日,状態,手数料別途\r\nm010,2001,高橋 陽子,毎月,2980,2024-06-01,31,一時停止,はい\r\n")
        .0
        .into_owned();
    let seeds: [&[u8]; 4] = [
        "\u{feff}customer_id,customer_card_id,buyer_name,buyer_email,cycle,amount,next_renewal_date,billing_day,status,fees_to_be_advised,contract_end,card_expiry\nm001,1001,山田 太郎,taro@example.jp,1m,\"3,980\",2024-05-31,31,active,0,,1226\nm002,1002,鈴木 花子,,2か月ごと,¥5000,2024/06/15,,paused,1,2025-03-31,2025-01\n".as_bytes(),
        b"amount,cycle,next_renewal_date,buyer_name,customer_card_id,customer_id,status,card_expiry\r\n980,weekly,2024/12/31,Ann,123456789012345678,A_1,ended,12/27\r\n1,52w,2024-02-29,B,1,b,active,2030-01\r\n",
        b"customer_id,customer_card_id,buyer_name,cycle,amount,next_renewal_date\nm1,1,\"line\none\",1m,1,2024-01-01\n\"m1,1,a,1m,1,2024-01-01\n",
        &sjis,
    ];
    crate::mutated_inputs(&seeds, check);
    let (rows, errors) = parse_subscriptions_csv(seeds[0]);
    assert_eq!((rows.len(), errors.len()), (2, 0), "{errors:?}");
}

/// Regression found by the `subscriptions_csv` fuzz target: in a CRLF file (what Excel
/// writes) every row and error was reported one line too early (the first row as line 1,
/// the header's line).
#[test]
fn crlf_files_report_the_right_lines() {
    let header = "customer_id,customer_card_id,buyer_name,cycle,amount,next_renewal_date";
    for ending in ["\n", "\r\n", "\r"] {
        let text = [
            header,
            "m1,1,Ann,1m,100,2024-05-01",
            "m2,x,Bob,1m,100,2024-05-01",
            "m3,3,Cy,1w,100,2024-05-01",
            "",
        ]
        .join(ending);
        let (rows, errors) = parse_subscriptions_csv(text.as_bytes());
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4], "{ending:?}");
        let error_lines: Vec<(usize, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            error_lines,
            vec![(3, Some("customer_card_id"))],
            "{ending:?}"
        );
    }
}

const CSV_UTF8: &str = "\u{feff}customer_id,customer_card_id,buyer_name,buyer_email,cycle,amount,next_renewal_date,billing_day,status,fees_to_be_advised,contract_end,card_expiry
m001,1001,山田 太郎,taro@example.jp,1m,\"3,980\",2024-05-31,31,active,0,,1226
m002,1002,鈴木 花子,,2か月ごと,¥5000,2024/06/15,,paused,1,2025-03-31,2025-01
m003,abc,佐藤 一郎,ichiro.example,monthly,12x,2024-02-30,,sleeping,maybe,,13/26
m004,1004,\"田中, 健\",ken@example.jp,1w,1500,2024-05-20,,,,,
";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

#[test]
fn the_csv_parser_reports_every_problem_by_line_and_column() {
    let (rows, errors) = parse_subscriptions_csv(CSV_UTF8.as_bytes());
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 5]);
    assert_eq!(rows[0].amount, Yen(3980));
    assert_eq!(
        (rows[0].billing_day, rows[0].card_expiry),
        (31, CardExpiry::new(2026, 12))
    );
    assert_eq!(rows[1].cycle, Cycle::Months(2));
    assert_eq!(
        (rows[1].status, rows[1].fees_to_be_advised),
        (SubscriptionStatus::Paused, true)
    );
    assert_eq!(rows[1].contract_end, Some(date(2025, 3, 31)));
    assert_eq!(rows[2].buyer_name, "田中, 健");
    let columns: Vec<(usize, Option<&str>)> = errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect();
    assert_eq!(
        columns,
        vec![
            (4, Some("customer_card_id")),
            (4, Some("buyer_email")),
            (4, Some("amount")),
            (4, Some("next_renewal_date")),
            (4, Some("status")),
            (4, Some("fees_to_be_advised")),
            (4, Some("card_expiry")),
        ]
    );
    assert!(errors[0].message.ja.contains("カードID「abc」"));
    assert!(
        errors[2]
            .message
            .en
            .contains("Amount \"12x\" must be whole yen")
    );
}

#[test]
fn shift_jis_files_and_japanese_headers_are_read() {
    let text = "会員ID,カードID,購入者氏名,周期,金額,次回決済日\r\nm010,2001,高橋 陽子,毎月,2980,2024-06-01\r\n";
    let (sjis, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!had_errors);
    let (rows, errors) = parse_subscriptions_csv(&sjis);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows[0].buyer_name, "高橋 陽子");
    assert_eq!(rows[0].cycle, Cycle::Months(1));
}

#[test]
fn header_problems_and_garbage_are_reported_without_panicking() {
    let (rows, errors) = parse_subscriptions_csv(b"customer_id,ammount\nx,1\n");
    assert!(rows.is_empty());
    assert!(errors.iter().any(|e| e.line == 1
        && e.column.as_deref() == Some("ammount")
        && e.message.en.contains("Valid columns: customer_id")));
    assert!(
        errors
            .iter()
            .any(|e| e.message.en.contains("\"amount\"") && e.message.en.contains("missing"))
    );
    assert_eq!(parse_subscriptions_csv(b"").1.len(), 1);
    assert_eq!(
        parse_subscriptions_csv(&[0xff, 0xfe, 0x00, 0x81]).1[0].line,
        0
    );
    let garbage: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let _ = parse_subscriptions_csv(&garbage);
    let quotes = "customer_id,customer_card_id,buyer_name,cycle,amount,next_renewal_date\n\"m1,1,a,1m,1,2024-01-01\n";
    let (rows, errors) = parse_subscriptions_csv(quotes.as_bytes());
    assert!(rows.is_empty() && !errors.is_empty());
}
