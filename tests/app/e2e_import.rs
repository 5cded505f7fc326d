//! The storefront CSV import through the real window (issue 15, point 1): the preview with
//! its counts and a sample old → new, nothing written before the shop owner confirms, the
//! result, and undoing the import as a whole. The demo has imported its storefront's CSV,
//! so its orders have e-mail, phone, address and items to lose.

use std::time::Duration;

use serde_json::{Value, json};

use crate::driver::Session;
use crate::screen::css;

const WAIT: Duration = Duration::from_secs(60);

async fn details(s: &Session, order_id: i64) -> Value {
    s.invoke("get_order", json!({ "orderId": order_id })).await["details"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn import_is_previewed_confirmed_recorded_and_undone() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    // An order whose e-mail and phone the demo's storefront import filled.
    let page = s
        .invoke("list_orders", json!({ "query": { "page_size": 100 } }))
        .await;
    let mut found = None;
    for o in page["items"].as_array().unwrap() {
        let id = o["id"].as_i64().unwrap();
        let d = details(&s, id).await;
        if d["buyer_email"].is_string() && d["buyer_phone"].is_string() {
            found = Some((id, o["order_number"].as_str().unwrap().to_owned(), d));
            break;
        }
    }
    let (id, number, before) = found.expect("a demo order with e-mail and phone");
    let old_email = before["buyer_email"].as_str().unwrap().to_owned();
    // The file has e-mail and phone columns; the phone cell is empty.
    let file = s.data_dir.join("shop-update.csv");
    std::fs::write(
        &file,
        format!("注文番号,メールアドレス,電話番号\r\n{number},updated@example.jp,\r\n"),
    )
    .unwrap();

    s.click("nav-orders").await;
    s.click("orders-import").await;
    let input = s.wait_css(&css("import-path")).await;
    input.send_keys(&file.display().to_string()).await.unwrap();
    s.click("import-preview-run").await;
    let counts = "[data-testid='import-preview-counts']";
    assert_eq!(s.attr_of(counts, "data-orders").await, "1");
    assert_eq!(s.attr_of(counts, "data-fields").await, "1");
    let text = s.text_of(counts).await;
    assert!(
        text.contains("1件の受注") && text.contains("1項目"),
        "{text}"
    );
    let sample = s.text_of(&css("import-sample-row")).await;
    assert!(
        sample.contains(&number)
            && sample.contains("メールアドレス")
            && sample.contains(&old_email)
            && sample.contains("updated@example.jp"),
        "{sample}"
    );
    let rule = s.text_of(&css("import-empty-rule")).await;
    assert!(rule.contains("今の値を残します"), "{rule}");
    s.screenshot("orders-import-preview").await;
    // Nothing is written by the preview.
    assert_eq!(details(&s, id).await["buyer_email"], before["buyer_email"]);

    s.click("import-apply").await;
    let done = s.text_of(&css("import-summary")).await;
    assert!(done.contains("1件の受注で1項目を変更しました"), "{done}");
    let after = details(&s, id).await;
    assert_eq!(after["buyer_email"], "updated@example.jp");
    assert_eq!(after["buyer_phone"], before["buyer_phone"]);
    assert_eq!(after["items"], before["items"]);
    assert_eq!(after["shipping_line1"], before["shipping_line1"]);
    s.screenshot("orders-import-done").await;

    s.click("import-undo").await;
    let ask = s.text_of(&css("import-undo-ask")).await;
    assert!(ask.contains("取り込み前の値に戻します"), "{ask}");
    s.screenshot("orders-import-undo-ask").await;
    s.click("import-undo-confirm").await;
    let undone = s.text_of(&css("import-undone-summary")).await;
    assert!(undone.contains("1項目を元に戻しました"), "{undone}");
    assert_eq!(details(&s, id).await, before);
    let history = s.invoke("get_order", json!({ "orderId": id })).await["history"].clone();
    let newest = history[0]["text"]["ja"].as_str().unwrap();
    assert!(newest.contains("を取り消しました"), "{history}");
    // The recent imports list says it is undone.
    let recent = s.text_of(&css("import-recent")).await;
    assert!(recent.contains("最近の取り込み"), "{recent}");
    s.screenshot("orders-import-undone").await;
    s.end().await;
}
