//! Issue 20, points 2–4, through the real window (demo mode): a label file exported for a
//! selection of orders from the order list, the carrier's issued-labels file imported
//! with a result per line, the order's tracking number shown as a link to the carrier's
//! page, and capture on shipment opening the bulk capture's confirmation.

use std::time::Duration;

use fantoccini::Locator;

use crate::demo::Demo;
use crate::screen::css;

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn issue20_labels_are_exported_tracking_imported_and_shipped_orders_captured() {
    let Demo { s, .. } = Demo::start(WAIT).await;
    s.click("nav-orders").await;
    s.wait_css(&css("order-row")).await;
    // Three orders ticked in the list: two with the buyer's address and phone (from the
    // demo's storefront import), one without (a renewal order), which is left out.
    let boxes = s
        .client
        .find_all(Locator::Css(
            "[data-testid='order-row'] input[type='checkbox']",
        ))
        .await
        .unwrap();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for b in boxes {
        let testid = b.attr("data-testid").await.unwrap().unwrap_or_default();
        let Some(id) = testid
            .strip_prefix("select-")
            .and_then(|i| i.parse::<i64>().ok())
        else {
            continue;
        };
        let d = &s
            .invoke("get_order", serde_json::json!({ "orderId": id }))
            .await["details"];
        if d["buyer_phone"].is_string() && d["shipping_zip"].is_string() {
            with.push(b);
        } else {
            without.push(b);
        }
        if with.len() >= 2 && !without.is_empty() {
            break;
        }
    }
    assert!(
        with.len() >= 2 && !without.is_empty(),
        "the demo lists both kinds"
    );
    for b in with.iter().take(2).chain(without.iter().take(1)) {
        b.click().await.unwrap();
    }

    s.click("orders-labels").await;
    assert_eq!(s.attr_of(&css("labels-count"), "data-count").await, "3");
    let sender = s.text_of(&css("labels-sender")).await;
    assert!(
        sender.contains("デモショップ") && sender.contains("150-0001"),
        "{sender}"
    );
    s.fill("labels-yamato-code", "012345678901").await;
    s.fill("labels-default-item", "雑貨").await;
    let file = s.data_dir.join("yamato-labels.csv");
    s.fill("labels-path", &file.display().to_string()).await;
    s.click("labels-run").await;
    let summary = css("labels-summary");
    s.wait_css(&summary).await;
    let written: usize = s.attr_of(&summary, "data-written").await.parse().unwrap();
    let refused: usize = s.attr_of(&summary, "data-refused").await.parse().unwrap();
    let left_out = s.text_of(&css("labels-refused")).await;
    assert_eq!((written, refused), (2, 1), "{left_out}");
    assert!(
        left_out.contains("お届け先の住所がありません"),
        "{left_out}"
    );
    s.screenshot("shipping-labels-exported").await;

    // The file: Shift_JIS, CRLF, the header and one row per written order, the shop as sender.
    let bytes = std::fs::read(&file).unwrap();
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 1 + written, "{text}");
    assert!(lines[0].starts_with("お客様管理番号,送り状種類,"));
    let numbers: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert!(lines[1].contains(",デモショップ,"), "{}", lines[1]);

    // The issued labels come back with tracking numbers, plus a line for an unknown order.
    let mut issued = String::from("お客様管理番号,送り状種類,クール区分,伝票番号\r\n");
    for (i, n) in numbers.iter().enumerate() {
        issued.push_str(&format!("{n},0,0,4907149557{i:02}\r\n"));
    }
    issued.push_str("NOT-AN-ORDER,0,0,490714955799\r\n");
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&issued);
    let issued_path = s.data_dir.join("issued.csv");
    std::fs::write(&issued_path, &sjis).unwrap();
    s.click("orders-tracking").await;
    s.fill("tracking-path", &issued_path.display().to_string())
        .await;
    s.click("tracking-run").await;
    let summary = css("tracking-summary");
    s.wait_css(&summary).await;
    assert_eq!(s.attr_of(&summary, "data-added").await, written.to_string());
    assert_eq!(s.attr_of(&summary, "data-refused").await, "1");
    let last = format!("[data-testid='tracking-line'][data-line='{}']", written + 2);
    assert_eq!(s.attr_of(&last, "data-outcome").await, "refused");
    assert!(s.text_of(&last).await.contains("NOT-AN-ORDER"));
    s.screenshot("shipping-tracking-imported").await;

    // The first order's shipment card links to Yamato's tracking page.
    let order_id = s
        .invoke(
            "list_orders",
            serde_json::json!({ "query": { "search": numbers[0], "page_size": 5 } }),
        )
        .await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let tracking = s
        .invoke("order_tracking", serde_json::json!({ "orderId": order_id }))
        .await;
    assert_eq!(tracking[0]["tracking_number"], "490714955700");
    s.click("orders-tracking").await;
    s.open_searched_order(&numbers[0]).await;
    let link = css("tracking-link");
    let href = s.attr_of(&link, "href").await;
    assert!(
        href.starts_with("https://toi.kuronekoyamato.co.jp/") && href.ends_with("490714955700"),
        "{href}"
    );
    let history = s.text_of(&css("detail-history")).await;
    assert!(history.contains("問合せ番号 490714955700"), "{history}");
    s.client
        .execute(
            "document.querySelector(\"[data-testid='detail-shipping']\").scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    s.screenshot("shipping-order-tracking").await;

    // Capture on shipment: the shipped, still authorized orders in the usual confirmation.
    s.click("nav-bulkCapture").await;
    s.click("bulk-capture-shipped").await;
    let shown = s
        .until("the confirmation or the notice", WAIT, async || {
            if s.client
                .find(Locator::Css(&css("bulk-confirm")))
                .await
                .is_ok()
            {
                return Some("confirm");
            }
            if s.client
                .find(Locator::Css(&css("bulk-notice")))
                .await
                .is_ok()
            {
                return Some("notice");
            }
            None
        })
        .await;
    assert_eq!(
        shown, "confirm",
        "the demo's storefront orders are authorize-only"
    );
    let count: usize = s.text_of(&css("bulk-confirm-count")).await.parse().unwrap();
    assert_eq!(count, written, "exactly the shipped orders");
    s.screenshot("shipping-capture-on-shipment").await;
    // Confirmed: one run of the usual kind captures them, with its log.
    s.click("bulk-run").await;
    s.wait_css("[data-testid='bulk-progress'][data-status='finished']")
        .await;
    let summary = s.text_of(&css("bulk-run-summary")).await;
    assert!(summary.contains(&format!("成功 {written}件")), "{summary}");
    s.screenshot("shipping-capture-on-shipment-done").await;
    s.end().await;
}
