//! Subscriptions end to end: the real app in demo mode (its storefront generator makes
//! subscriptions with cards expiring soon and expired; on start PayDesk catches up on their
//! renewals, some of which fail with P010). The card dashboard is walked through the UI,
//! and a failed renewal's order shows its panel. (The desktop notification of a failed
//! renewal, and clicking it, are in `e2e_notify`.)

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use crate::driver::Session;
use crate::screen::css;

/// The demo generates its world, syncs, and runs the catch-up renewals before the screen
/// has anything to show.
const WAIT: Duration = Duration::from_secs(90);

/// Waits until the demo's catch-up renewals made at least one failed-renewal order;
/// returns its order number.
async fn failed_renewal_order(s: &Session) -> String {
    s.until("no failed renewal appeared", WAIT, async || {
        let page = s
            .invoke(
                "list_orders",
                json!({"query": {"search": "failed:", "list": null}}),
            )
            .await;
        page["items"]
            .as_array()
            .and_then(|i| i.first())
            .map(|order| order["order_number"].as_str().unwrap().to_owned())
    })
    .await
}

fn docs(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name)
}

/// The card dashboard through the real UI: counts, revenue at risk, the 12-month chart,
/// predicted failures, filters, selection and the editable e-mail; then a failed
/// renewal's order with its four choices.
#[tokio::test(flavor = "multi_thread")]
async fn the_card_dashboard_and_a_failed_renewal_through_the_real_ui() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    let failed_order = failed_renewal_order(&s).await;

    s.click("nav-subscriptions").await;
    assert_eq!(s.text_of(&css("subscriptions-title")).await, "定期購入");
    // The generator made cards expiring soon and expired ones.
    let soon: u32 = s
        .text_of("[data-testid='count-expiring-soon'] .value")
        .await
        .parse()
        .unwrap();
    let expired: u32 = s
        .text_of("[data-testid='count-expired'] .value")
        .await
        .parse()
        .unwrap();
    assert!(soon > 0 && expired > 0, "soon {soon}, expired {expired}");
    let at_risk = s.text_of("[data-testid='revenue-at-risk'] .value").await;
    assert!(at_risk.starts_with('¥') && at_risk != "¥0", "{at_risk}");
    let bars = s
        .client
        .find_all(Locator::Css("[data-testid='expiry-bar']"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 12);
    let predicted = s.text_of(&css("predicted-failures")).await;
    assert!(predicted.contains('¥'), "{predicted}");
    s.wait_css("[data-testid='card-list'] [data-testid='subscription-row']")
        .await;
    let shot = s.screenshot("subscriptions-dashboard").await;
    std::fs::create_dir_all(docs("")).unwrap();
    std::fs::copy(&shot, docs("screenshot-dashboard.png")).unwrap();

    // Only expired cards.
    s.click("filter-expired").await;
    s.wait_css("table[data-testid='card-list'][data-loaded-filter='expired']")
        .await;
    let rows = s
        .client
        .find_all(Locator::Css(
            "[data-testid='card-list'] [data-testid='subscription-row']",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        assert_eq!(
            row.attr("data-card-state").await.unwrap().as_deref(),
            Some("expired")
        );
    }
    // Select the page and open the e-mail: the template is editable, the preview follows,
    // and a wrong placeholder is named.
    s.click("select-page").await;
    s.click("mail-selected").await;
    s.wait_css(&css("compose-preview-subject")).await;
    let subject = s.wait_css(&css("compose-subject")).await;
    subject.clear().await.unwrap();
    subject
        .send_keys("カード更新のお願い {shop}")
        .await
        .unwrap();
    s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='compose-error-message'][contains(., '{shop}') and contains(., '{shop_name}')]",
        ))
        .await
        .expect("the wrong placeholder is named, with the valid ones");
    subject.clear().await.unwrap();
    subject
        .send_keys("カード更新のお願い {shop_name}")
        .await
        .unwrap();
    s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='compose-preview-subject'][contains(., 'カード更新のお願い デモショップ')]",
        ))
        .await
        .expect("the preview follows the edit");

    // The failed renewal's order: the error, the dictionary's words, the four choices.
    s.click("nav-orders").await;
    s.click("tab-all").await;
    let search = s.wait_css(&css("orders-search")).await;
    search.clear().await.unwrap();
    search.send_keys(&failed_order).await.unwrap();
    // The gateway gave this renewal no payment ID: the list says so rather than showing
    // the backend's `failed:` placeholder as a transaction ID.
    assert_eq!(
        s.text_of(&format!(
            "tr[data-testid='order-row'][data-order-number='{failed_order}'] [data-testid='cell-transaction-id']"
        ))
        .await,
        "—（取引IDなし）"
    );
    s.wait_css(&format!(
        "tr[data-testid='order-row'][data-order-number='{failed_order}'] [data-testid='open-order']"
    ))
    .await
    .click()
    .await
    .unwrap();
    s.wait_css(&css("failed-renewal")).await;
    assert_eq!(s.text_of(&css("failed-renewal-error-code")).await, "P010");
    assert_eq!(
        s.text_of(&css("detail-transaction-id")).await,
        "—（取引IDなし）"
    );
    for choice in [
        "cancel_order",
        "switch_payment_method",
        "end_subscription",
        "ask_buyer_to_update_card",
    ] {
        s.wait_css(&css(&format!("choice-{choice}"))).await;
    }
    let shot = s.screenshot("failed-renewal").await;
    std::fs::copy(&shot, docs("screenshot-failed-renewal.png")).unwrap();
    // Switching this order to another payment method is recorded (nothing sent).
    let method = s.wait_css(&css("choice-method")).await;
    method.send_keys("銀行振込").await.unwrap();
    s.click("choice-switch_payment_method").await;
    let done = s.text_of(&css("failed-done-switch")).await;
    assert!(done.contains("銀行振込"), "{done}");
    s.end().await;
}
