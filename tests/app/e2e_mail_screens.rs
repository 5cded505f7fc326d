//! The e-mail screens at 1280x800 (issue 15's polish): the encryption choice stays inside
//! its card with its words readable, and an opened mail body in the send log wraps inside
//! its cell (a long unbroken line too) instead of pushing the table wider.

use std::time::Duration;

use mail::testing::{Mode, TestSmtp};
use serde_json::json;

use crate::driver::Session;
use crate::screen::css;

const WAIT: Duration = Duration::from_secs(60);

/// `[left, right, scrollWidth, clientWidth]` of the first element matching `selector`.
async fn geometry(s: &Session, selector: &str) -> Vec<f64> {
    let v = s
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); const r = e.getBoundingClientRect();
             return [r.left, r.right, e.scrollWidth, e.clientWidth];",
            vec![json!(selector)],
        )
        .await
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn issue15_mail_settings_and_the_send_log_fit_their_cards() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    let server = TestSmtp::start(Mode::Accept).await;
    s.invoke(
        "save_smtp_settings",
        json!({ "input": {
            "host": "127.0.0.1", "port": server.addr.port(), "security": "plain",
            "from_address": "shop@example.jp", "summary_to": "owner@example.jp"
        }}),
    )
    .await;
    let page = s
        .invoke(
            "list_subscriptions",
            json!({ "query": { "card_state": "expiring_soon", "page": 0, "page_size": 1 } }),
        )
        .await;
    let id = page["items"][0]["id"]
        .as_i64()
        .expect("a demo subscription");
    let long = format!(
        "https://shop.example.jp/card-update?token={}",
        "x".repeat(300)
    );
    s.invoke(
        "send_reminders",
        json!({ "request": {
            "subscription_ids": [id], "kind": null, "subject": "カード更新のお願い",
            "body": format!("{{buyer_name}} 様\n{long}\n")
        }}),
    )
    .await;

    s.click("nav-subscriptions").await;
    s.click("subs-tab-settings").await;
    s.wait_css(&css("smtp-security")).await;
    let select = geometry(&s, &css("smtp-security")).await;
    let card = geometry(&s, &css("smtp-settings")).await;
    assert!(
        select[1] <= card[1],
        "the encryption choice overflows its card: {select:?} {card:?}"
    );
    // Wide enough for "なし（このパソコンのサーバーのみ）" (about 17 characters at 14px).
    assert!(select[1] - select[0] >= 250.0, "squeezed: {select:?}");
    s.screenshot("mail-settings").await;

    s.click("subs-tab-mail").await;
    s.wait_css("[data-testid='mail-row'][data-state='sent']")
        .await;
    s.click_css("[data-testid='mail-row'] td.subject button")
        .await;
    let body = geometry(&s, "[data-testid='mail-row'] td.subject pre").await;
    assert!(
        body[2] <= body[3] + 1.0,
        "the body overflows its cell: {body:?}"
    );
    let table = geometry(&s, &css("mail-log")).await;
    let main = geometry(&s, "main").await;
    assert!(
        table[1] <= main[1],
        "the send log is wider than the screen: {table:?} {main:?}"
    );
    s.screenshot("mail-log-open").await;
    s.end().await;
}
