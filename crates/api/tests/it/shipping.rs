//! Fulfilment against the simulator (issue 20, points 2–4): label files from real orders
//! with the shop as sender, refused orders named with their field; tracking numbers typed
//! or imported from an issued-labels file with a per-line report; capture on shipment as
//! one bulk capture run of the shipped orders.

use api::dto::BuyerDetailsInput;
use api::dto::bulk::{BulkItemStatusCode, UnprocessedQuery};
use api::dto::shipping::{CarrierCode, LabelExportRequest, TrackingInput, TrackingLineOutcome};
use domain::labels::Sender;

use crate::harness::{Harness, keep};

fn sender() -> Sender {
    Sender {
        name: "テスト商店".into(),
        phone: "03-1234-5678".into(),
        postal_code: "150-0001".into(),
        address: [
            "東京都".into(),
            "渋谷区".into(),
            "神宮前1-2-3".into(),
            String::new(),
        ],
    }
}

fn buyer(name: &str) -> BuyerDetailsInput {
    BuyerDetailsInput {
        name: name.into(),
        kana: String::new(),
        email: String::new(),
        phone: "090-1234-5678".into(),
        postal_code: "530-0001".into(),
        prefecture: "大阪府".into(),
        city: "大阪市北区".into(),
        address_line1: "梅田1-1-1".into(),
        address_line2: String::new(),
    }
}

/// `n` authorize-only card orders (`PREFIX_1` …) synced into PayDesk: (id, number).
async fn orders(h: &Harness, prefix: &str, n: usize) -> Vec<(i64, String)> {
    let mut payments = Vec::new();
    for i in 1..=n {
        let number = format!("{prefix}{i}");
        let payment = h
            .card_checkout(&number, 1000 + i as i64, "authorize_only", false)
            .await;
        payments.push((number, payment));
    }
    h.sync().await;
    let mut out = Vec::new();
    for (number, payment) in payments {
        let id = h.order_of(&payment).await.expect("synced").summary.id;
        out.push((id, number));
    }
    out
}

fn request(carrier: CarrierCode, ids: Vec<i64>) -> LabelExportRequest {
    LabelExportRequest {
        carrier,
        order_ids: ids,
        ship_date: Some("2026-12-07".into()),
        yamato_customer_code: Some("012345678901".into()),
        yamato_freight_number: None,
        default_item: Some("雑貨".into()),
    }
}

#[tokio::test]
async fn a_label_file_has_the_shops_sender_and_names_each_order_left_out() {
    let h = Harness::quiet("ship_labels").await;
    let o = orders(&h, "LBL", 3).await;
    let path = h.dir.path().join("yamato.csv").display().to_string();
    // Without the shop's address nothing is written, and the error says where to set it.
    let e = h
        .desk
        .export_labels(path.clone(), request(CarrierCode::Yamato, vec![o[0].0]))
        .await
        .unwrap_err();
    assert_eq!(e.code, "label_sender_incomplete");
    assert!(
        e.message.ja.contains("ご依頼主（ショップ）の電話番号"),
        "{e:?}"
    );
    assert!(e.action.as_ref().unwrap().ja.contains("設定画面"));
    assert!(!std::path::Path::new(&path).exists());

    h.desk.set_label_sender(&sender()).unwrap();
    h.desk
        .edit_buyer_details(o[0].0, buyer("山田 太郎"))
        .await
        .unwrap();
    h.desk
        .edit_buyer_details(o[1].0, buyer("佐藤 花子"))
        .await
        .unwrap();
    // The third order has no address.
    let report = h
        .desk
        .export_labels(
            path.clone(),
            request(CarrierCode::Yamato, o.iter().map(|(id, _)| *id).collect()),
        )
        .await
        .unwrap();
    keep(&report);
    assert_eq!(report.written, 2);
    assert_eq!(report.path.as_deref(), Some(path.as_str()));
    assert_eq!(report.refused.len(), 1);
    let refused = &report.refused[0];
    assert_eq!(
        (refused.order_id, refused.order_number.as_str()),
        (o[2].0, o[2].1.as_str())
    );
    let fields: Vec<&str> = refused.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["name", "phone", "postal_code", "address"]);
    assert!(report.summary.ja.contains("2件") && report.summary.ja.contains("1件は書き出せません"));

    let bytes = std::fs::read(&path).unwrap();
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 3, "header and two rows: {text}");
    assert!(
        lines[1].starts_with("LBL1,0,0,,2026/12/07,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",090-1234-5678,,530-0001,大阪府大阪市北区梅田1-1-1,"));
    assert!(
        lines[1].contains(",03-1234-5678,,150-0001,東京都渋谷区神宮前1-2-3,,テスト商店,,,雑貨,")
    );
    // The Yamato contract is kept for next time.
    let settings = h.desk.label_settings().await.unwrap();
    assert_eq!(
        settings.yamato_customer_code.as_deref(),
        Some("012345678901")
    );
    assert_eq!(
        settings.sender_address.as_deref(),
        Some("東京都 渋谷区 神宮前1-2-3")
    );
    assert_eq!(settings.default_item.as_deref(), Some("雑貨"));

    // No order can become a row: no file.
    let none = h.dir.path().join("none.csv").display().to_string();
    let report = h
        .desk
        .export_labels(none.clone(), request(CarrierCode::JapanPost, vec![o[2].0]))
        .await
        .unwrap();
    assert_eq!((report.written, report.path.clone()), (0, None));
    assert!(!std::path::Path::new(&none).exists());
}

#[tokio::test]
async fn tracking_numbers_are_typed_or_imported_with_a_report_per_line() {
    let h = Harness::quiet("ship_tracking").await;
    let o = orders(&h, "TRK", 3).await;
    // Typed, with full-width digits and hyphens; a link to the carrier's page.
    let typed = h
        .desk
        .add_tracking(TrackingInput {
            order_id: o[0].0,
            carrier: CarrierCode::Sagawa,
            tracking_number: "１２３４-５６７８-９０１２".into(),
        })
        .await
        .unwrap();
    assert_eq!(typed.len(), 1);
    assert_eq!(typed[0].tracking_number, "123456789012");
    assert!(typed[0].url.starts_with("https://k2k.sagawa-exp.co.jp/"));
    assert!(typed[0].url.ends_with("=123456789012"));
    let e = h
        .desk
        .add_tracking(TrackingInput {
            order_id: o[0].0,
            carrier: CarrierCode::Sagawa,
            tracking_number: "12-34".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, "tracking_number_invalid");
    let e = h
        .desk
        .add_tracking(TrackingInput {
            order_id: o[1].0,
            carrier: CarrierCode::Sagawa,
            tracking_number: "123456789012".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, "tracking_number_taken");
    assert!(e.message.ja.contains("TRK1"), "{e:?}");

    // B2 Cloud's issued labels, Shift_JIS: one new, one for an unknown order, one with an
    // Excel-mangled number, one without a number, one already recorded.
    let file = format!(
        "お客様管理番号,送り状種類,クール区分,伝票番号,出荷予定日\r\n\
         {n2},0,0,490714955706,2026/12/07\r\n\
         NOPE9,0,0,490714955707,2026/12/07\r\n\
         {n3},0,0,4.90715E+11,2026/12/07\r\n\
         {n3},0,0,,2026/12/07\r\n",
        n2 = o[1].1,
        n3 = o[2].1
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&file);
    let path = h.dir.path().join("issued.csv");
    std::fs::write(&path, &sjis).unwrap();
    let report = h
        .desk
        .import_tracking(path.display().to_string(), CarrierCode::Yamato)
        .await
        .unwrap();
    keep(&report);
    assert_eq!(
        (report.added, report.already_recorded, report.refused),
        (1, 0, 3)
    );
    let outcomes: Vec<(u64, TrackingLineOutcome)> =
        report.lines.iter().map(|l| (l.line, l.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (2, TrackingLineOutcome::Added),
            (3, TrackingLineOutcome::Refused),
            (4, TrackingLineOutcome::Refused),
            (5, TrackingLineOutcome::Refused),
        ]
    );
    assert!(report.lines[1].message.ja.contains("NOPE9"));
    assert!(report.lines[2].message.en.contains("Excel"));
    assert_eq!(
        report.awaiting_capture, 2,
        "TRK1 and TRK2 are shipped and authorized"
    );
    // The same file again changes nothing.
    let again = h
        .desk
        .import_tracking(path.display().to_string(), CarrierCode::Yamato)
        .await
        .unwrap();
    assert_eq!((again.added, again.already_recorded), (0, 1));

    let tracking = h.desk.order_tracking(o[1].0).await.unwrap();
    assert_eq!(tracking[0].source, "carrier_file");
    assert!(
        tracking[0].url.contains("kuronekoyamato") && tracking[0].url.ends_with("490714955706")
    );
    // One history line per new number, none for the repeat.
    let history = h.desk.get_order(o[1].0).await.unwrap().history;
    let lines: Vec<&str> = history
        .iter()
        .filter(|l| l.text.ja.contains("問合せ番号"))
        .map(|l| l.text.ja.as_str())
        .collect();
    assert_eq!(
        lines,
        [
            "問合せ番号 490714955706（ヤマト運輸）を登録しました（送り状ソフトの発行済みデータから）。"
        ]
    );

    // A file without the columns imports nothing and says what it looked for.
    std::fs::write(&path, "注文,番号\r\n1,2\r\n").unwrap();
    let e = h
        .desk
        .import_tracking(path.display().to_string(), CarrierCode::Yamato)
        .await
        .unwrap_err();
    assert_eq!(e.code, "tracking_file_unreadable");
    assert!(e.message.ja.contains("お客様管理番号"));
}

#[tokio::test]
async fn capture_on_shipment_is_one_bulk_run_of_the_shipped_orders() {
    let h = Harness::quiet("ship_capture").await;
    let o = orders(&h, "SHP", 3).await;
    for (i, (id, _)) in o.iter().take(2).enumerate() {
        h.desk
            .add_tracking(TrackingInput {
                order_id: *id,
                carrier: CarrierCode::JapanPost,
                tracking_number: format!("19371530101{i}"),
            })
            .await
            .unwrap();
    }
    // The bulk screen's "shipped" filter selects exactly the shipped, authorized orders.
    let selection = h
        .desk
        .bulk_select_all(UnprocessedQuery {
            shipped_only: true,
            selectable_only: true,
            ..UnprocessedQuery::default()
        })
        .await
        .unwrap();
    let mut selected = selection.order_ids.clone();
    selected.sort_unstable();
    assert_eq!(selected, [o[0].0, o[1].0]);
    // The existing confirmation and run: one run, its log, its history lines.
    let confirmation = h
        .desk
        .bulk_confirm(selection.order_ids.clone())
        .await
        .unwrap();
    assert_eq!(confirmation.total_yen, 1001 + 1002);
    let run = h
        .desk
        .bulk_capture(selection.order_ids, false)
        .await
        .unwrap();
    keep(&run);
    assert!(
        run.items
            .iter()
            .all(|i| i.status == BulkItemStatusCode::Succeeded)
    );
    let log = h.desk.bulk_operation_log().await.unwrap();
    assert_eq!(log.runs.len(), 1);
    assert_eq!(h.processed_telegrams("022").await, 2);
    // Captured now, so nothing is left to capture on shipment; the unshipped order waits.
    let after = h
        .desk
        .bulk_select_all(UnprocessedQuery {
            shipped_only: true,
            ..UnprocessedQuery::default()
        })
        .await
        .unwrap();
    assert!(after.order_ids.is_empty());
    let rest = h
        .desk
        .bulk_select_all(UnprocessedQuery::default())
        .await
        .unwrap();
    assert_eq!(rest.order_ids, [o[2].0]);
}

/// The sender of a label file is the shop of Settings' shop details (the ones its
/// documents print); the label-only keys fill only what those leave empty.
#[tokio::test]
async fn the_label_sender_is_the_shop_details_of_settings() {
    use api::dto::documents::{ItemRateCode, RoundingCode, ShopDetailsInput};
    let h = Harness::quiet("label_sender").await;
    h.desk.set_label_sender(&sender()).unwrap();
    h.desk
        .save_shop_details(ShopDetailsInput {
            postal_code: "530-0001".into(),
            address: "大阪府大阪市北区梅田1-1-1".into(),
            phone: String::new(),
            registration_number: String::new(),
            rounding: RoundingCode::Down,
            item_rate: ItemRateCode::Standard,
        })
        .await
        .unwrap();
    let settings = h.desk.label_settings().await.unwrap();
    keep(&settings);
    assert_eq!(settings.sender_postal_code.as_deref(), Some("530-0001"));
    assert_eq!(
        settings.sender_address.as_deref(),
        Some("大阪府大阪市北区梅田1-1-1")
    );
    // No phone in the shop details: the label's own one stays.
    assert_eq!(settings.sender_phone.as_deref(), Some("03-1234-5678"));
}
