//! Buyer details: the storefront CSV import (UTF-8 and Shift_JIS; previewed, applied only
//! as previewed, recorded, undone), the CSV export, and the caps on files read.

use api::Desk;
use api::dto::{ImportReport, OrderDetailsDto, OrderQuery};
use serde_json::json;

use crate::harness::{Harness, keep};

/// Previews the file, then applies exactly that preview.
async fn import(desk: &Desk, path: &std::path::Path, clear_empty: bool) -> ImportReport {
    let path = path.display().to_string();
    let preview = desk
        .preview_orders_import(path.clone(), clear_empty)
        .await
        .unwrap();
    keep(&preview);
    desk.import_orders_csv(path, clear_empty, preview.token)
        .await
        .unwrap()
}

async fn details(desk: &Desk, order_id: i64) -> OrderDetailsDto {
    desk.get_order(order_id).await.unwrap().details.unwrap()
}

fn value(d: &OrderDetailsDto) -> serde_json::Value {
    serde_json::to_value(d).unwrap()
}

/// The simulator's storefront export, generated and imported: every order's details.
async fn storefront(h: &Harness) -> std::path::PathBuf {
    let csv = h.dir.path().join("storefront.csv");
    h.control(
        "POST",
        "/control/storefront/generate",
        json!({"merchant_id": demo::DEMO_MERCHANT_ID, "orders": 12, "seed": 7, "csv_path": csv}),
    )
    .await;
    h.sync().await;
    let report = import(&h.desk, &csv, false).await;
    assert!(report.orders > 0, "{report:?}");
    csv
}

#[tokio::test]
async fn storefront_csv_import_and_excel_export() {
    let h = Harness::quiet("csv").await;
    let csv = h.dir.path().join("storefront.csv");
    let summary = h
        .control(
            "POST",
            "/control/storefront/generate",
            json!({"merchant_id": demo::DEMO_MERCHANT_ID, "orders": 12, "seed": 7, "csv_path": csv}),
        )
        .await;
    h.sync().await;
    let report = import(&h.desk, &csv, false).await;
    keep(&report);
    assert_eq!(report.encoding, "utf-8");
    assert!(report.rows >= 12, "{report:?}");
    assert!(report.matched > 0, "{report:?}");
    let declined = summary["declined"].as_u64().unwrap() as usize;
    assert!(report.errors.len() >= declined, "{report:?}");
    let page = h.desk.list_orders(OrderQuery::default()).await.unwrap();
    let named = page.items.iter().filter(|o| o.buyer_name.is_some()).count();
    assert!(named > 0);
    // The same file in Shift_JIS.
    let text = std::fs::read_to_string(&csv).unwrap();
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text.trim_start_matches('\u{feff}'));
    let sjis_path = h.dir.path().join("storefront-sjis.csv");
    std::fs::write(&sjis_path, &sjis).unwrap();
    let again = import(&h.desk, &sjis_path, false).await;
    assert_eq!(again.encoding, "shift_jis");
    assert_eq!(again.matched, report.matched);
    // The same values again: nothing changes, and nothing is recorded.
    assert_eq!((again.orders, again.fields, again.import_id), (0, 0, None));
    // A broken row is reported with its line.
    let bad = h.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "order_number,buyer_name,shipping_fee\r\nNOPE-1,A,10\r\n,B,0\r\n",
    )
    .unwrap();
    let bad_report = import(&h.desk, &bad, false).await;
    assert_eq!(bad_report.matched, 0);
    assert_eq!(
        bad_report.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
        vec![2, 3]
    );
    // Issue #7: after a quoted field that spans lines, the line is where the row starts.
    let multi = h.dir.path().join("multi-line.csv");
    std::fs::write(
        &multi,
        "order_number,address,shipping_fee\r\nNOPE-2,\"東京都\r\n渋谷区\",10\r\nNOPE-3,A,abc\r\n",
    )
    .unwrap();
    let multi_report = import(&h.desk, &multi, false).await;
    assert_eq!(
        multi_report
            .errors
            .iter()
            .map(|e| (e.line, e.order_number.as_deref()))
            .collect::<Vec<_>>(),
        vec![(2, Some("NOPE-2")), (4, Some("NOPE-3"))]
    );

    let out = h.dir.path().join("export.csv");
    let exported = h
        .desk
        .export_orders_csv(out.display().to_string(), OrderQuery::default())
        .await
        .unwrap();
    assert_eq!(exported.rows, page.total);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\r\n"));
    assert_eq!(text.matches("\r\n").count() as u32, exported.rows + 1);
}

/// Issue 15, point 1: importing PayDesk's own export (order number, transaction ID, names;
/// no e-mail, phone, address or item columns) erased those details on every matched order.
#[tokio::test]
async fn importing_paydesks_own_export_keeps_every_detail() {
    let h = Harness::quiet("csv-roundtrip").await;
    storefront(&h).await;
    let page = h.desk.list_orders(OrderQuery::default()).await.unwrap();
    let mut before = Vec::new();
    for o in &page.items {
        before.push((o.id, details(&h.desk, o.id).await));
    }
    let full = before
        .iter()
        .filter(|(_, d)| d.buyer_email.is_some() && d.buyer_phone.is_some() && !d.items.is_empty())
        .count();
    assert!(
        full > 0,
        "the storefront import filled e-mail, phone and items"
    );
    let out = h.dir.path().join("paydesk-export.csv");
    h.desk
        .export_orders_csv(out.display().to_string(), OrderQuery::default())
        .await
        .unwrap();
    let preview = h
        .desk
        .preview_orders_import(out.display().to_string(), false)
        .await
        .unwrap();
    assert_eq!(preview.matched, page.total, "{preview:?}");
    assert_eq!(
        (preview.orders, preview.fields),
        (0, 0),
        "{:?}",
        preview.sample
    );
    let report = h
        .desk
        .import_orders_csv(out.display().to_string(), false, preview.token)
        .await
        .unwrap();
    assert_eq!(report.import_id, None);
    for (id, was) in &before {
        let now = details(&h.desk, *id).await;
        assert_eq!(now.buyer_email, was.buyer_email, "order {id}");
        assert_eq!(now.buyer_phone, was.buyer_phone, "order {id}");
        assert_eq!(now.shipping_line1, was.shipping_line1, "order {id}");
        assert_eq!(now.shipping_zip, was.shipping_zip, "order {id}");
        assert_eq!(now.items.len(), was.items.len(), "order {id}");
    }
}

/// An empty cell leaves a known value alone unless asked; the preview counts what the apply
/// does; a stale preview is refused; each changed order's history names the import; the
/// import is undone as a whole, once, and an undo keeps (and lists) fields changed since.
#[tokio::test]
async fn import_previews_applies_records_and_undoes() {
    let h = Harness::quiet("csv-undo").await;
    storefront(&h).await;
    let page = h.desk.list_orders(OrderQuery::default()).await.unwrap();
    let mut known = Vec::new();
    for o in &page.items {
        let d = details(&h.desk, o.id).await;
        if d.buyer_email.is_some() && d.buyer_phone.is_some() {
            known.push((o.id, o.order_number.clone(), d));
        }
    }
    let [(a_id, a, a_was), (b_id, b, b_was), ..] = known.as_slice() else {
        panic!("two orders with e-mail and phone: {known:?}");
    };
    let file = h.dir.path().join("partial.csv");
    std::fs::write(
        &file,
        format!("注文番号,メールアドレス,電話番号\r\n{a},new@example.jp,\r\n{b},,\r\n"),
    )
    .unwrap();
    let path = file.display().to_string();
    let preview = h
        .desk
        .preview_orders_import(path.clone(), false)
        .await
        .unwrap();
    keep(&preview);
    assert_eq!((preview.matched, preview.orders, preview.fields), (2, 1, 1));
    assert_eq!(
        preview
            .columns
            .iter()
            .map(|c| c.ja.as_str())
            .collect::<Vec<_>>(),
        ["メールアドレス", "電話番号"]
    );
    let change = &preview.sample[0];
    assert_eq!(&change.order_number, a);
    assert_eq!(change.field.ja, "メールアドレス");
    assert_eq!(change.before, a_was.buyer_email);
    assert_eq!(change.after.as_deref(), Some("new@example.jp"));
    // Nothing is written by a preview.
    assert_eq!(details(&h.desk, *a_id).await.buyer_email, a_was.buyer_email);
    // Asking to clear with empty cells is a different set of changes: a's phone, b's
    // e-mail and phone.
    let clearing = h
        .desk
        .preview_orders_import(path.clone(), true)
        .await
        .unwrap();
    assert_eq!((clearing.orders, clearing.fields), (2, 4));
    let wrong = h
        .desk
        .import_orders_csv(path.clone(), true, preview.token.clone())
        .await
        .unwrap_err();
    assert_eq!(wrong.code, "import_changed");
    assert_eq!(details(&h.desk, *b_id).await.buyer_phone, b_was.buyer_phone);

    let report = h
        .desk
        .import_orders_csv(path.clone(), false, preview.token.clone())
        .await
        .unwrap();
    assert_eq!(
        (report.orders, report.fields),
        (preview.orders, preview.fields)
    );
    let first = report.import_id.expect("recorded");
    let a_now = details(&h.desk, *a_id).await;
    assert_eq!(a_now.buyer_email.as_deref(), Some("new@example.jp"));
    assert_eq!(a_now.buyer_phone, a_was.buyer_phone);
    assert_eq!(a_now.items.len(), a_was.items.len());
    assert_eq!(value(&details(&h.desk, *b_id).await), value(b_was));
    let history = h.desk.get_order(*a_id).await.unwrap().history;
    assert!(
        history[0].text.ja.contains(&format!("取り込み #{first}"))
            && history[0].text.ja.contains("メールアドレス"),
        "{history:?}"
    );
    // The same preview again is stale now (its changes are done).
    let again = h
        .desk
        .import_orders_csv(path.clone(), false, preview.token)
        .await
        .unwrap_err();
    assert_eq!(again.code, "import_changed");

    // Undo: the e-mail comes back, the undo is in the history, and only once.
    let undo = h.desk.undo_orders_import(first).await.unwrap();
    assert_eq!((undo.orders, undo.restored, undo.kept.len()), (1, 1, 0));
    assert_eq!(value(&details(&h.desk, *a_id).await), value(a_was));
    let history = h.desk.get_order(*a_id).await.unwrap().history;
    assert!(
        history[0]
            .text
            .ja
            .contains(&format!("取り込み #{first} を取り消しました"))
    );
    let twice = h.desk.undo_orders_import(first).await.unwrap_err();
    assert_eq!(twice.code, "import_already_undone");
    let imports = h.desk.orders_imports().await.unwrap();
    assert!(
        imports
            .iter()
            .any(|i| i.id == first && i.undone_at.is_some())
    );

    // An import undone after a later import changed the same field keeps the later value.
    let step = |email: &str| format!("注文番号,メールアドレス\r\n{a},{email}\r\n");
    std::fs::write(&file, step("second@example.jp")).unwrap();
    let second = import(&h.desk, &file, false).await.import_id.unwrap();
    std::fs::write(&file, step("third@example.jp")).unwrap();
    import(&h.desk, &file, false).await;
    let undo = h.desk.undo_orders_import(second).await.unwrap();
    assert_eq!((undo.restored, undo.kept.len()), (0, 1));
    assert_eq!(undo.kept[0].after.as_deref(), Some("third@example.jp"));
    assert_eq!(
        details(&h.desk, *a_id).await.buyer_email.as_deref(),
        Some("third@example.jp")
    );
    let history = h.desk.get_order(*a_id).await.unwrap().history;
    assert!(history[0].text.ja.contains("今の値のまま"), "{history:?}");
}

/// Issue 15, point 4: a file over its cap is refused from its size, with a message naming
/// the cap, before it is read (a sparse file: its bytes were never written).
#[tokio::test]
async fn oversized_files_are_refused_before_reading() {
    let h = Harness::quiet("csv-caps").await;
    let huge = h.dir.path().join("huge.csv");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(300 * 1024 * 1024).unwrap();
    drop(file);
    let path = huge.display().to_string();
    let err = h
        .desk
        .preview_orders_import(path.clone(), false)
        .await
        .unwrap_err();
    assert_eq!(err.code, "file_too_large");
    assert!(
        err.message.ja.contains("20 MB") && err.message.en.contains("20 MB"),
        "{err:?}"
    );
    assert!(err.message.ja.contains("300 MB"), "{err:?}");
    let err = h
        .desk
        .import_subscriptions_csv(path.clone(), false)
        .await
        .unwrap_err();
    assert_eq!(err.code, "file_too_large");
    // A certificate file over 1 MB is refused the same way, and nothing is saved.
    let cert = h.dir.path().join("huge.pem");
    std::fs::File::create(&cert)
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    let err = h
        .desk
        .save_credentials(api::dto::CredentialsInput {
            client_certificate_path: Some(cert.display().to_string()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "file_too_large");
    assert!(err.message.en.contains("1 MB"), "{err:?}");
    let err = h
        .desk
        .save_settings(api::dto::SettingsInput {
            custom_ca_path: Some(cert.display().to_string()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "file_too_large");
}

/// Issue 15: the shop owner edits the buyer's details on an order. Bad input is refused in
/// plain words naming each field, and nothing is saved; good input is saved (full-width
/// digits read as digits), shown on the order and in the list's search, and recorded in
/// the order's history; saving the same values again adds no history line.
#[tokio::test]
async fn issue15_editing_buyer_details_records_history_and_refuses_bad_input() {
    use api::dto::BuyerDetailsInput;
    let h = Harness::quiet("buyer_edit").await;
    let payment = h
        .card_checkout("ORDER_EDIT1", 2400, "authorize_only", false)
        .await;
    h.tick().await;
    h.sync().await;
    let order = h.order_of(&payment).await.unwrap().summary.id;
    let history_before = h.desk.get_order(order).await.unwrap().history.len();

    let bad = BuyerDetailsInput {
        name: "山田 花子".into(),
        email: "hanako@example".into(),
        phone: "090-12".into(),
        postal_code: "1234".into(),
        ..BuyerDetailsInput::default()
    };
    let refused = h.desk.edit_buyer_details(order, bad).await.unwrap_err();
    keep(&refused);
    assert_eq!(refused.code, "invalid_buyer_details");
    for part in ["hanako@example", "090-12", "1234"] {
        assert!(refused.message.ja.contains(part), "{:?}", refused.message);
        assert!(refused.message.en.contains(part), "{:?}", refused.message);
    }
    let unchanged = h.desk.get_order(order).await.unwrap();
    assert_eq!(unchanged.history.len(), history_before, "nothing saved");
    assert_ne!(unchanged.summary.buyer_name.as_deref(), Some("山田 花子"));

    let good = BuyerDetailsInput {
        name: "山田 花子".into(),
        kana: "ヤマダ ハナコ".into(),
        email: "hanako@example.jp".into(),
        phone: "０８０－１１１１－２２２２".into(),
        postal_code: "1500001".into(),
        prefecture: "東京都".into(),
        city: "渋谷区".into(),
        address_line1: "神宮前1-2-3".into(),
        address_line2: String::new(),
    };
    let edited = h
        .desk
        .edit_buyer_details(order, good.clone())
        .await
        .unwrap();
    keep(&edited);
    assert_eq!(edited.summary.buyer_name.as_deref(), Some("山田 花子"));
    let d = edited.details.as_ref().unwrap();
    assert_eq!(d.source, "shop_owner");
    assert_eq!(d.buyer_phone.as_deref(), Some("08011112222"));
    assert_eq!(d.shipping_zip.as_deref(), Some("150-0001"));
    assert_eq!(d.shipping_state.as_deref(), Some("東京都"));
    assert_eq!(edited.history.len(), history_before + 1);
    let line = &edited.history[0].text;
    assert!(
        line.ja.starts_with("購入者情報を変更しました")
            && line.ja.contains("電話番号")
            && line.ja.contains("住所"),
        "{line:?}"
    );
    // The list finds the order by its new name.
    let page = h
        .desk
        .list_orders(OrderQuery {
            search: Some("やまだ".into()),
            ..OrderQuery::default()
        })
        .await
        .unwrap();
    assert!(page.items.iter().any(|o| o.id == order), "{page:?}");

    // The same values again: no change, no new history line.
    let again = h.desk.edit_buyer_details(order, good).await.unwrap();
    assert_eq!(again.history.len(), history_before + 1);
    // An order that does not exist.
    assert!(
        h.desk
            .edit_buyer_details(9_999_999, BuyerDetailsInput::default())
            .await
            .is_err()
    );
}
