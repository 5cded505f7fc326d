//! The storefront order export parser: encodings, the column mapping, per-row errors and
//! the physical line each row starts on (issue #7: a quoted field spanning lines shifted
//! every later line number).

use domain::Yen;
use domain::storefront::{Encoding, FileError, Item, parse_storefront_csv};

/// One line per record: `<line> ok <order number>` or `<line> error <order number>: <English>`.
fn summary(bytes: &[u8]) -> Vec<String> {
    let export = parse_storefront_csv(bytes).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        export.records as usize,
        export.rows.len() + export.errors.len(),
        "every record is a row or an error"
    );
    let mut out: Vec<(u32, String)> = export
        .rows
        .iter()
        .map(|r| (r.line, format!("{} ok {}", r.line, r.order_number)))
        .chain(export.errors.iter().map(|e| {
            (
                e.line,
                format!(
                    "{} error {}: {}",
                    e.line,
                    e.order_number.as_deref().unwrap_or("-"),
                    e.message.en
                ),
            )
        }))
        .collect();
    out.sort_by_key(|(line, _)| *line);
    out.into_iter().map(|(_, s)| s).collect()
}

fn check(input: &str, expect: &[&str]) {
    assert_eq!(summary(input.as_bytes()), expect, "{input:?}");
}

#[test]
fn utf8_with_bom_reads_every_column() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        "\"order_number\",\"payment_id\",\"buyer_name\",\"buyer_kana\",\"email\",\"phone\",\"postal_code\",\"address\",\"items\",\"shipping_fee\",\"note\"\r\n\
         \"ORDER_1\",\"30000001\",\"山田 太郎\",\"ヤマダ タロウ\",\"taro@example.jp\",\"090-1234-5678\",\"150-0001\",\"東京都渋谷区神宮前1-2-3\",\"有機緑茶 x2 @1,200; 急須 x1 @¥3,000\",\"¥500\",\"\"\r\n"
            .as_bytes(),
    );
    let export = parse_storefront_csv(&bytes).unwrap();
    assert_eq!(export.encoding, Encoding::Utf8);
    assert_eq!(export.encoding.code(), "utf-8");
    assert_eq!((export.records, export.errors.len()), (1, 0));
    let row = &export.rows[0];
    assert_eq!(row.line, 2);
    assert_eq!(row.order_number, "ORDER_1");
    assert_eq!(row.payment_id.as_deref(), Some("30000001"));
    assert_eq!(row.buyer_name.as_deref(), Some("山田 太郎"));
    assert_eq!(row.buyer_kana.as_deref(), Some("ヤマダ タロウ"));
    assert_eq!(row.email.as_deref(), Some("taro@example.jp"));
    assert_eq!(row.phone.as_deref(), Some("090-1234-5678"));
    assert_eq!(row.postal_code.as_deref(), Some("150-0001"));
    assert_eq!(row.address.as_deref(), Some("東京都渋谷区神宮前1-2-3"));
    assert_eq!(row.shipping_fee, Some(Yen(500)));
    assert_eq!(
        row.items,
        vec![
            Item {
                title: "有機緑茶".into(),
                quantity: 2,
                unit_price: Yen(1200),
                rate: None,
            },
            Item {
                title: "急須".into(),
                quantity: 1,
                unit_price: Yen(3000),
                rate: None,
            },
        ]
    );
}

#[test]
fn shift_jis_with_japanese_headers() {
    let text = "注文番号,お名前,フリガナ,住所,送料\r\nORDER_2,佐藤 花子,サトウ ハナコ,大阪府大阪市北区1-1,０\r\nORDER_3,鈴木 一郎,スズキ イチロウ,,1500\r\n";
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really Shift_JIS");
    let export = parse_storefront_csv(&bytes).unwrap();
    assert_eq!(export.encoding, Encoding::ShiftJis);
    assert_eq!(export.encoding.code(), "shift_jis");
    // Full-width digits are read as yen, the same in every import (`domain::import`).
    assert_eq!(summary(&bytes), ["2 ok ORDER_2", "3 ok ORDER_3"]);
    assert_eq!(export.rows[0].shipping_fee, Some(Yen(0)));
    let row = &export.rows[1];
    assert_eq!(row.buyer_name.as_deref(), Some("鈴木 一郎"));
    assert_eq!(row.buyer_kana.as_deref(), Some("スズキ イチロウ"));
    assert_eq!(row.address, None, "an empty value is absent");
    assert_eq!(row.shipping_fee, Some(Yen(1500)));
}

#[test]
fn issue_7_line_numbers_after_a_quoted_multi_line_field() {
    // The address spans three physical lines; the bad row after it starts on line 5.
    let lf = "order_number,address,shipping_fee\nA1,\"東京都\n渋谷区\n神宮前1-2-3\",500\nA2,大阪,abc\nA3,京都,0\n";
    check(
        lf,
        &[
            "2 ok A1",
            "5 error A2: The shipping fee \"abc\" is not a whole yen amount.",
            "6 ok A3",
        ],
    );
    let crlf = lf.replace('\n', "\r\n");
    check(
        &crlf,
        &[
            "2 ok A1",
            "5 error A2: The shipping fee \"abc\" is not a whole yen amount.",
            "6 ok A3",
        ],
    );
    // The field's own line breaks are kept as written.
    let export = parse_storefront_csv(crlf.as_bytes()).unwrap();
    assert_eq!(
        export.rows[0].address.as_deref(),
        Some("東京都\r\n渋谷区\r\n神宮前1-2-3")
    );
}

#[test]
fn crlf_lf_and_lone_cr_count_the_same_lines() {
    let expect = [
        "2 ok N1",
        "3 error -: The order number is empty.",
        "5 ok N2",
    ];
    // Line 4 is blank: no record, but still a line of the file.
    for ending in ["\r\n", "\n", "\r"] {
        let text = ["order_number,buyer_name", "N1,A", ",B", "", "N2,C", ""].join(ending);
        check(&text, &expect);
    }
    // Without a final line break, and with blank lines before the header.
    check(
        "\r\n\r\norder_number\r\nN1\r\n\r\nN2",
        &["4 ok N1", "6 ok N2"],
    );
}

#[test]
fn a_missing_order_number_column_rejects_the_file() {
    for text in [
        "buyer_name,email\nA,a@example.jp\n",
        "",
        "\r\n\r\n",
        "注文日,お名前\n2024-04-01,A\n",
    ] {
        assert_eq!(
            parse_storefront_csv(text.as_bytes()),
            Err(FileError::NoOrderNumber),
            "{text:?}"
        );
    }
    let e = FileError::NoOrderNumber;
    assert_eq!(e.code(), "csv_no_order_number");
    assert!(e.message().ja.contains("注文番号"));
    // trading_id alone will do, and wins over order_number when both are filled.
    check(
        "外部決済注文番号,注文番号\nT1,O1\n,O2\n",
        &["2 ok T1", "3 ok O2"],
    );
}

#[test]
fn bad_amounts_and_items_are_row_errors() {
    check(
        "order_number,shipping_fee,items\n\
         B1,1.5,\n\
         B2,\"¥1,500\",\n\
         B3,,Tea x2\n\
         B4,,Tea 2 @100\n\
         B5,,Tea xtwo @100\n\
         B6,,Tea x2 @1.5\n\
         B7,,Tea x2 @100; ; Cup x1 @￥2,000\n",
        &[
            "2 error B1: The shipping fee \"1.5\" is not a whole yen amount.",
            "3 ok B2",
            "4 error B3: The items column cannot be read: \"Tea x2\" has no @price",
            "5 error B4: The items column cannot be read: \"Tea 2 @100\" has no xQuantity",
            "6 error B5: The items column cannot be read: \"Tea xtwo @100\": quantity is not a number",
            "7 error B6: The items column cannot be read: \"Tea x2 @1.5\": price is not a whole yen amount",
            "8 ok B7",
        ],
    );
    let export = parse_storefront_csv("order_number,shipping_fee\nB1,1.5\n".as_bytes()).unwrap();
    assert_eq!(
        export.errors[0].message.ja,
        "送料「1.5」が金額（円の整数）ではありません。"
    );
    assert_eq!(export.errors[0].order_number.as_deref(), Some("B1"));
}

#[test]
fn payment_id_only_when_digits() {
    let export =
        parse_storefront_csv("order_number,決済ID\nP1,30000001\nP2,abc\nP3,\n".as_bytes()).unwrap();
    let ids: Vec<Option<&str>> = export
        .rows
        .iter()
        .map(|r| r.payment_id.as_deref())
        .collect();
    assert_eq!(ids, [Some("30000001"), None, None]);
}

#[test]
fn bytes_that_are_neither_utf8_nor_shift_jis_reject_the_file() {
    for bytes in [
        &b"\xEF\xBB\xBForder_number\n\xFF\n"[..],
        &b"order_number\n\x81\n"[..],
    ] {
        assert_eq!(parse_storefront_csv(bytes), Err(FileError::Encoding));
    }
    assert_eq!(FileError::Encoding.code(), "csv_encoding");
}

/// The checks the `storefront_csv` fuzz target (`fuzz/`) makes on every input.
fn invariants(input: &[u8]) {
    let Ok(export) = parse_storefront_csv(input) else {
        return;
    };
    // Physical lines of the raw bytes: `\r` and `\n` never occur inside a UTF-8 or
    // Shift_JIS character.
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut lines: Vec<&[u8]> = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < body.len() {
        if matches!(body[i], b'\r' | b'\n') {
            lines.push(&body[start..i]);
            if body[i] == b'\r' && body.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    lines.push(&body[start..]);
    let mut starts: Vec<u32> = export
        .rows
        .iter()
        .map(|r| r.line)
        .chain(export.errors.iter().map(|e| e.line))
        .collect();
    assert_eq!(starts.len(), export.records as usize, "{input:?}");
    assert!(
        export.rows.windows(2).all(|p| p[0].line < p[1].line),
        "{input:?}"
    );
    assert!(
        export.errors.windows(2).all(|p| p[0].line < p[1].line),
        "{input:?}"
    );
    starts.sort_unstable();
    assert!(starts.windows(2).all(|p| p[0] < p[1]), "{input:?}");
    for line in starts {
        assert!(line >= 2, "{input:?}");
        let text = lines.get(line as usize - 1);
        assert!(
            text.is_some_and(|t| !t.is_empty()),
            "line {line}: {input:?}"
        );
    }
    for row in &export.rows {
        assert!(!row.order_number.is_empty() && row.order_number.trim() == row.order_number);
        assert!(
            row.payment_id
                .as_deref()
                .is_none_or(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        );
    }
    for e in &export.errors {
        assert!(
            !e.message.ja.is_empty() && !e.message.en.is_empty(),
            "{e:?}"
        );
    }
}

/// A deterministic stand-in for the `storefront_csv` fuzz target on stable Rust.
#[test]
fn storefront_import_survives_random_and_mutated_input() {
    let sjis = encoding_rs::SHIFT_JIS
        .encode("注文番号,お名前,住所,商品,送料,取引ID\r\nORD-1,高橋 次郎,\"東京都\r\n千代田区\",玄米茶 x3 @800,\"1,000\",30000101\r\n,,,,,\r\n")
        .0
        .into_owned();
    let seeds: [&[u8]; 4] = [
        "\u{feff}\"order_number\",\"trading_id\",\"payment_id\",\"buyer_name\",\"items\",\"shipping_fee\"\r\n\"O1\",\"T1\",\"30000001\",\"山田 太郎\",\"緑茶 x2 @1,200; 急須 x1 @¥3,000\",\"500\"\r\n\"O2\",\"\",\"\",\"\",\"\",\"abc\"\r\n".as_bytes(),
        b"order_number,address,shipping_fee\nA1,\"line\none\",1\n\nA2,x,2\n\"A3,unclosed\n",
        b"\r\rorder_number,items\rO1,Tea x1 @1\r\rO2,Tea\r",
        &sjis,
    ];
    crate::mutated_inputs(&seeds, invariants);
}

/// An item may say its own tax rate after its price (a shop selling food and other goods in
/// one order); without one the shop's rate applies. A rate that is neither 8% nor 10% is an
/// error naming the item, never a guess.
#[test]
fn items_carry_their_own_tax_rate_when_the_file_gives_one() {
    use domain::invoice::TaxRate;
    let items = domain::storefront::parse_items(
        "りんご x2 @540 8%; 皿 x1 @2,200 10%; 茶葉 x1 @1,080 ※; 箸 x1 @330; 米 x1 @４,３２０（８％）",
    )
    .unwrap();
    let rates: Vec<(&str, i64, Option<TaxRate>)> = items
        .iter()
        .map(|i| (i.title.as_str(), i.unit_price.0, i.rate))
        .collect();
    assert_eq!(
        rates,
        [
            ("りんご", 540, Some(TaxRate::Reduced)),
            ("皿", 2200, Some(TaxRate::Standard)),
            ("茶葉", 1080, Some(TaxRate::Reduced)),
            ("箸", 330, None),
            ("米", 4320, Some(TaxRate::Reduced)),
        ]
    );
    for wrong in ["酒 x1 @1000 5%", "酒 x1 @10008%"] {
        let e = domain::storefront::parse_items(wrong).unwrap_err();
        assert!(e.contains("酒"), "{e}");
    }
}
