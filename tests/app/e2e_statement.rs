//! Issue 21, point 3 through the real window (demo): the bank's statement (Shift_JIS, as
//! banks give it) previewed with every line, the gateway's deposit matched to the last
//! closed settlement period with its difference explained by the money that moved after
//! the closing day, imported, and not recorded again on a second import; then an order of
//! that period, not marked received, says so on its detail.

use std::time::Duration;

use serde_json::{Value, json};

use crate::demo::Demo;
use crate::screen::{css, grouped, unique};

const WAIT: Duration = Duration::from_secs(90);

/// The Japan day after `day` (`2026-11-30` → `2026-12-01`).
fn next_day(day: &str) -> String {
    let parts: Vec<u32> = day.split('-').map(|p| p.parse().unwrap()).collect();
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let last = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let (y, m, d) = if d < last {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y + 1, 1, 1)
    };
    format!("{y:04}-{m:02}-{d:02}")
}

#[tokio::test(flavor = "multi_thread")]
async fn e2e_a_bank_statement_is_previewed_imported_once_and_its_difference_explained() {
    let d = Demo::start(WAIT).await;
    let s = &d.s;

    // A capture today: money that moves after last month's closing day.
    let number = unique("STMT");
    d.card_order(&number, 4400).await;
    let order_id = d.order_id(&number).await;
    d.perform(order_id, "capture", None).await;

    // The card contract: month end, paid on the 15th of the next month.
    s.invoke(
        "save_settlement_contract",
        json!({"input": {"method": "card",
            "cycles": [{"closing_day": 31, "pay_months_after": 1, "pay_day": 15}],
            "fee_rate": "3.6", "fee_per_capture_yen": 0, "transfer_fee_yen": 330,
            "transfer_fee_borne_by": "shop"}}),
    )
    .await;
    let report = s
        .invoke(
            "expected_deposits",
            json!({"query": {"from": null, "to": null}}),
        )
        .await;
    let today = report["to"].as_str().unwrap().to_owned();
    let period: Value = report["methods"][0]["periods"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|p| p["end"].as_str().unwrap() < today.as_str())
        .expect("a closed period")
        .clone();
    let paid = period["payment_date"].as_str().unwrap().to_owned();
    let expected = period["expected_yen"].as_i64().unwrap();
    // The deposit arrives on its payment day: move the demo's clock past it, so the
    // screens' default range (up to today) holds it.
    let mut ahead = 0;
    let mut day = today.clone();
    while day.as_str() <= paid.as_str() {
        day = next_day(&day);
        ahead += 1;
    }
    if ahead > 0 {
        d.control
            .post("/control/clock/advance", json!({"days": ahead}))
            .await;
    }
    // The gateway paid the period with what moved after it closed netted in.
    let moved = s
        .invoke(
            "sales_movements",
            json!({"query": {"from": next_day(period["end"].as_str().unwrap()), "to": paid, "method": "card"}}),
        )
        .await;
    let difference: i64 = moved["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let a = m["amount_yen"].as_i64().unwrap();
            if m["kind"] == "refund" { -a } else { a }
        })
        .sum();
    let statement = format!(
        "口座番号,普通 7654321\r\n日付,摘要,摘要内容,支払い金額,預かり金額,差引残高\r\n{},振込,ﾍﾟｲｼﾞｴﾝﾄ(ｶ,,\"{}\",\r\n{},振込,ﾔﾏﾀﾞ ﾀﾛｳ,,\"3,000\",\r\n",
        paid.replace('-', "/"),
        grouped(expected + difference),
        paid.replace('-', "/"),
    );
    let (sjis, _, bad) = encoding_rs::SHIFT_JIS.encode(&statement);
    assert!(!bad);
    let file = s.data_dir.join("bank-statement.csv");
    std::fs::write(&file, &sjis).unwrap();

    s.click("nav-sales").await;
    s.client
        .execute(
            "document.querySelector(\"[data-testid='statement-import']\").scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    let input = s.wait_css(&css("statement-path")).await;
    input.send_keys(&file.display().to_string()).await.unwrap();
    s.click("statement-preview").await;
    let line = "[data-testid='statement-line'][data-status='record']";
    s.wait_css(line).await;
    assert_eq!(
        s.attr_of(line, "data-difference").await,
        difference.to_string()
    );
    if difference != 0 {
        assert_eq!(s.attr_of(line, "data-explained").await, "true");
        let said = s.text_of(line).await;
        assert!(said.contains("受注で説明できます"), "{said}");
    }
    let other = "[data-testid='statement-line'][data-status='not_gateway']";
    assert!(s.text_of(other).await.contains("ﾔﾏﾀﾞ"));
    s.client
        .execute(
            "document.querySelector(\"[data-testid='statement-import']\").scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    s.screenshot("sales-statement-preview").await;

    s.click("statement-apply").await;
    s.wait_css(&css("statement-done")).await;
    s.wait_css(&format!(
        "[data-testid='deposit'][data-difference='{difference}']"
    ))
    .await;
    s.screenshot("sales-statement-imported").await;

    // The same statement again: imported before, nothing to record.
    s.click("statement-preview").await;
    s.wait_css("[data-testid='statement-line'][data-status='already_imported']")
        .await;
    let apply = s.wait_css(&css("statement-apply")).await;
    assert!(apply.attr("disabled").await.unwrap().is_some());
    let kept = s
        .invoke(
            "reconciliation",
            json!({"query": {"from": paid, "to": paid}}),
        )
        .await;
    assert_eq!(kept["deposits"].as_array().unwrap().len(), 1);

    // An order of the paid period, not marked: its detail says the deposit is recorded
    // but its own deposit check is not (the two views disagree, and it shows there).
    let agreement = s
        .invoke(
            "deposit_check_agreement",
            json!({"query": {"from": paid, "to": paid}}),
        )
        .await;
    let number = agreement["periods"][0]["unmarked"][0]["order_number"]
        .as_str()
        .expect("an order of the paid period not marked")
        .to_owned();
    s.click("nav-orders").await;
    s.click("tab-all").await;
    s.open_searched_order(&number).await;
    let period = "[data-testid='deposit-period'][data-agrees='false']";
    let said = s.text_of(period).await;
    assert!(said.contains("入金チェックが付いていません"), "{said}");
    s.client
        .execute(
            "document.querySelector(\"[data-testid='deposit-panel']\").scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    s.screenshot("order-deposit-period-disagrees").await;
    d.s.end().await;
}
