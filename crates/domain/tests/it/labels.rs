//! Shipping-label files: one golden file per carrier (in `tests/golden/`, compared byte
//! for byte), and the refusals that keep a row out of a file instead of cutting it.
//! `PAYDESK_BLESS=1` rewrites the golden files after a deliberate format change.

use chrono::NaiveDate;
use domain::labels::{
    Carrier, LabelField, LabelOptions, LabelOrder, Sender, label_file, normalize_tracking_number,
};
use domain::tracking::parse_tracking_file;

fn sender() -> Sender {
    Sender {
        name: "ペイデスク商店".into(),
        phone: "03-1234-5678".into(),
        postal_code: "150-0001".into(),
        address: [
            "東京都".into(),
            "渋谷区".into(),
            "神宮前1-2-3".into(),
            "ペイデスクビル4F".into(),
        ],
    }
}

fn options() -> LabelOptions {
    LabelOptions {
        ship_date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default(),
        yamato_customer_code: Some("０１２３４５６７８９０１".into()),
        yamato_freight_number: None,
        default_item: None,
    }
}

/// Sample orders: a plain one, one typed with full-width digits and half-width kana, one
/// whose street line needs the second address column, one with a comma and a quote.
pub fn sample_orders() -> Vec<LabelOrder> {
    vec![
        LabelOrder {
            order_number: "order00158".into(),
            name: Some("山田 太郎".into()),
            phone: Some("090-1234-5678".into()),
            postal_code: Some("1500001".into()),
            address: [
                Some("東京都".into()),
                Some("渋谷区".into()),
                Some("神宮前1-2-3".into()),
                None,
            ],
            item: Some("有機緑茶 100g".into()),
        },
        LabelOrder {
            order_number: "order00159".into(),
            name: Some("ｻﾄｳ ﾊﾅｺ".into()),
            phone: Some("＋８１ ６－１２３４－５６７８".into()),
            postal_code: Some("〒５３０－０００１".into()),
            address: [
                Some("大阪府".into()),
                Some("大阪市北区".into()),
                Some("梅田１－１－１".into()),
                Some("梅田ハイツ101".into()),
            ],
            item: Some("ほうじ茶".into()),
        },
        LabelOrder {
            order_number: "order00160".into(),
            name: Some("鈴木 一郎".into()),
            phone: Some("0468-12-3456".into()),
            postal_code: Some("238-0001".into()),
            address: [
                Some("神奈川県".into()),
                Some("横須賀市".into()),
                Some("平成町三丁目二十三番地の四 よこすか海辺ニュータウン".into()),
                None,
            ],
            item: Some("煎茶, 玉露 \"特選\"".into()),
        },
    ]
}

fn golden(name: &str, bytes: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("PAYDESK_BLESS").is_some() {
        std::fs::write(&path, bytes).expect("write golden file");
    }
    let expected = std::fs::read(&path).expect("golden file (PAYDESK_BLESS=1 writes it)");
    assert!(
        expected == bytes,
        "{name} differs from the golden file; as text:\n{}",
        encoding_rs::SHIFT_JIS.decode(bytes).0
    );
}

fn file(carrier: Carrier) -> domain::labels::LabelFile {
    label_file(carrier, &sender(), &options(), &sample_orders()).expect("sender complete")
}

#[test]
fn yamato_b2_cloud_file_matches_its_golden_file() {
    let f = file(Carrier::Yamato);
    assert_eq!(f.written, ["order00158", "order00159", "order00160"]);
    golden("labels-yamato.csv", &f.bytes);
}

#[test]
fn sagawa_e_hiden_file_matches_its_golden_file() {
    let f = file(Carrier::Sagawa);
    assert_eq!(f.written.len(), 3);
    golden("labels-sagawa.csv", &f.bytes);
}

#[test]
fn japan_post_yu_pri_file_matches_its_golden_file() {
    let f = file(Carrier::JapanPost);
    assert_eq!(f.written.len(), 3);
    golden("labels-japan-post.csv", &f.bytes);
}

#[test]
fn every_file_is_shift_jis_with_crlf_and_the_layouts_column_count() {
    for (carrier, columns, header) in [
        (Carrier::Yamato, 97, true),
        (Carrier::Sagawa, 74, true),
        (Carrier::JapanPost, 117, false),
    ] {
        let f = file(carrier);
        let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&f.bytes);
        assert!(!errors, "{carrier:?}");
        assert!(text.ends_with("\r\n"));
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "{carrier:?}: bare LF"
        );
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 3 + usize::from(header), "{carrier:?}");
        assert!(records.iter().all(|r| r.len() == columns), "{carrier:?}");
        // The quoted comma and quote survive as one field.
        assert!(text.contains("\"煎茶, 玉露 \"\"特選\"\"\""), "{carrier:?}");
    }
}

#[test]
fn each_format_gets_phone_and_postal_code_in_its_own_form() {
    let text = |c| encoding_rs::SHIFT_JIS.decode(&file(c).bytes).0.into_owned();
    let yamato = text(Carrier::Yamato);
    assert!(yamato.contains(",090-1234-5678,,150-0001,"));
    assert!(yamato.contains(",06-1234-5678,,530-0001,"), "+81 becomes 0");
    assert!(
        yamato.contains(",0468123456,,238-0001,"),
        "an uncertain split stays digits"
    );
    assert!(
        yamato.contains(",サトウ ハナコ,"),
        "half-width kana become full-width"
    );
    let post = text(Carrier::JapanPost);
    assert!(post.contains(",1500001,"));
    assert!(post.contains(",09012345678,"));
}

#[test]
fn a_row_that_cannot_be_made_is_reported_with_its_field_and_nothing_is_cut() {
    let mut orders = sample_orders();
    orders[0].address = [Some("東京都".into()), Some("渋谷区".into()), None, None];
    orders[1].phone = Some("12345".into());
    orders[2].name = Some("寿限無寿限無五劫の擦り切れ海砂利水魚の水行末".into());
    let mut emoji = sample_orders()[0].clone();
    emoji.order_number = "order00161".into();
    emoji.name = Some("𠮷田 花子".into());
    orders.push(emoji);
    let mut long_address = sample_orders()[0].clone();
    long_address.order_number = "order00162".into();
    long_address.address[2] = Some("あ".repeat(60));
    orders.push(long_address);
    let f = label_file(Carrier::Sagawa, &sender(), &options(), &orders).unwrap();
    assert!(f.written.is_empty());
    let fields: Vec<(&str, Vec<LabelField>)> = f
        .refused
        .iter()
        .map(|r| {
            (
                r.order_number.as_str(),
                r.problems.iter().map(|p| p.field).collect(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("order00158", vec![LabelField::Address]),
            ("order00159", vec![LabelField::Phone]),
            ("order00160", vec![LabelField::Name]),
            ("order00161", vec![LabelField::Name]),
            ("order00162", vec![LabelField::Address]),
        ]
    );
    let reason = &f.refused[0].problems[0].reason;
    assert!(
        reason.ja.contains("番地") && reason.en.contains("street"),
        "{reason:?}"
    );
    assert!(f.refused[2].problems[0].reason.ja.contains("長すぎます"));
    assert!(f.refused[3].problems[0].reason.ja.contains("𠮷"));
    // The header alone: no row was cut to fit.
    let text = encoding_rs::SHIFT_JIS.decode(&f.bytes).0.into_owned();
    assert_eq!(text.matches("\r\n").count(), 1);
}

#[test]
fn a_whole_address_in_one_line_is_complete_when_it_starts_with_a_prefecture() {
    let mut one_line = sample_orders()[0].clone();
    one_line.address = [None, None, Some("東京都渋谷区神宮前1-2-3".into()), None];
    let mut no_prefecture = one_line.clone();
    no_prefecture.order_number = "order00170".into();
    no_prefecture.address[2] = Some("渋谷区神宮前1-2-3".into());
    let f = label_file(
        Carrier::Sagawa,
        &sender(),
        &options(),
        &[one_line, no_prefecture],
    )
    .unwrap();
    assert_eq!(f.written, ["order00158"], "{:?}", f.refused);
    let text = encoding_rs::SHIFT_JIS.decode(&f.bytes).0.into_owned();
    assert!(
        text.contains(",150-0001,東京都渋谷区神宮前1-2-3,,,山田 太郎,"),
        "{text}"
    );
    assert!(f.refused[0].problems[0].reason.ja.contains("都道府県"));
}

#[test]
fn an_incomplete_sender_or_yamato_contract_refuses_the_whole_file() {
    let mut s = sender();
    s.phone = String::new();
    s.address[0] = String::new();
    let problems = label_file(Carrier::JapanPost, &s, &options(), &sample_orders()).unwrap_err();
    let fields: Vec<LabelField> = problems.iter().map(|p| p.field).collect();
    assert_eq!(fields, [LabelField::SenderPhone, LabelField::SenderAddress]);
    assert!(problems[0].reason.ja.contains("設定画面"));
    let no_contract = LabelOptions {
        yamato_customer_code: None,
        ..options()
    };
    let problems =
        label_file(Carrier::Yamato, &sender(), &no_contract, &sample_orders()).unwrap_err();
    assert_eq!(problems[0].field, LabelField::YamatoCustomerCode);
    // The other carriers do not need Yamato's contract.
    assert!(label_file(Carrier::Sagawa, &sender(), &no_contract, &sample_orders()).is_ok());
}

#[test]
fn issued_labels_files_of_each_carrier_give_order_and_tracking_numbers() {
    let yamato = "お客様管理番号,送り状種類,クール区分,伝票番号,出荷予定日\r\norder00158,0,0,4907-1495-5706,2026/12/07\r\norder00159,0,0,,2026/12/07\r\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(yamato);
    let f = parse_tracking_file(&sjis).unwrap();
    assert_eq!(f.rows.len(), 1);
    assert_eq!(f.rows[0].order_number, "order00158");
    assert_eq!(f.rows[0].tracking_number, "490714955706");
    assert_eq!(f.rows[0].line, 2);
    assert_eq!(f.errors.len(), 1);
    assert_eq!(f.errors[0].line, 3);
    assert_eq!(f.errors[0].order_number.as_deref(), Some("order00159"));

    let post = "\u{feff}お客様側管理番号,お問い合わせ番号,仮引受確定作業年月日\norder00160,1.93715E+11,\norder00161,193715301010,\n";
    let f = parse_tracking_file(post.as_bytes()).unwrap();
    assert_eq!(f.rows[0].tracking_number, "193715301010");
    assert!(f.errors[0].reason.ja.contains("Excel"));

    let sagawa = "お問い合せ送り状No.,お客様管理番号\r\n123456789012,order00162\r\n";
    assert_eq!(
        parse_tracking_file(sagawa.as_bytes()).unwrap().rows[0].order_number,
        "order00162"
    );
    let err = parse_tracking_file("注文,番号\r\n1,2\r\n".as_bytes()).unwrap_err();
    assert!(err.ja.contains("見出し") && err.en.contains("header"));
    assert!(parse_tracking_file(&[0x82, 0xff, 0x00, 0x81]).is_err());
    assert_eq!(
        normalize_tracking_number("4907 1495 5706").as_deref(),
        Some("490714955706")
    );
}

#[test]
fn an_order_without_items_takes_the_default_item_or_is_refused_where_one_is_required() {
    let mut order = sample_orders()[0].clone();
    order.item = None;
    let f = label_file(Carrier::Yamato, &sender(), &options(), &[order.clone()]).unwrap();
    assert_eq!(f.refused[0].problems[0].field, LabelField::Item);
    // Sagawa and Japan Post do not require it.
    assert_eq!(
        label_file(Carrier::Sagawa, &sender(), &options(), &[order.clone()])
            .unwrap()
            .written
            .len(),
        1
    );
    let with_default = LabelOptions {
        default_item: Some("雑貨".into()),
        ..options()
    };
    let f = label_file(Carrier::Yamato, &sender(), &with_default, &[order]).unwrap();
    let text = encoding_rs::SHIFT_JIS.decode(&f.bytes).0.into_owned();
    assert!(text.contains(",,,雑貨,"), "{text}");
}
