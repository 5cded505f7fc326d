//! Buyer details: the storefront CSV import (UTF-8 and Shift_JIS) and the CSV export.

use api::dto::OrderQuery;
use serde_json::json;

use crate::harness::{Harness, Options, keep};

#[tokio::test]
async fn storefront_csv_import_and_excel_export() {
    let h = Harness::start(
        "csv",
        Options {
            relay: false,
            run_sync: false,
        },
    )
    .await;
    let csv = h.dir.path().join("storefront.csv");
    let summary = h
        .control(
            "POST",
            "/control/storefront/generate",
            json!({"merchant_id": api::demo::DEMO_MERCHANT_ID, "orders": 12, "seed": 7, "csv_path": csv}),
        )
        .await;
    h.sync().await;
    let report = h
        .desk
        .import_orders_csv(csv.display().to_string())
        .await
        .unwrap();
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
    let again = h
        .desk
        .import_orders_csv(sjis_path.display().to_string())
        .await
        .unwrap();
    assert_eq!(again.encoding, "shift_jis");
    assert_eq!(again.matched, report.matched);
    // A broken row is reported with its line.
    let bad = h.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "order_number,buyer_name,shipping_fee\r\nNOPE-1,A,10\r\n,B,0\r\n",
    )
    .unwrap();
    let bad_report = h
        .desk
        .import_orders_csv(bad.display().to_string())
        .await
        .unwrap();
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
    let multi_report = h
        .desk
        .import_orders_csv(multi.display().to_string())
        .await
        .unwrap();
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
