//! Editing the buyer's details on an order (issue 15), through the real window: bad input
//! is refused in plain words with what was typed kept; good input is saved, shown and
//! recorded in the order's history.

use std::time::Duration;

use crate::driver::Session;
use crate::screen::css;

const WAIT: Duration = Duration::from_secs(60);

async fn value_of(s: &Session, testid: &str) -> String {
    s.wait_css(&css(testid))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn issue15_buyer_details_are_edited_on_the_order_and_recorded_in_its_history() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    s.click("nav-orders").await;
    s.open_first_order().await;

    s.click("buyer-edit").await;
    s.fill("buyer-edit-email", "hanako@example").await;
    s.fill("buyer-edit-phone", "090-12").await;
    s.click("buyer-edit-save").await;
    let error = s.text_of(&css("buyer-edit-error")).await;
    assert!(
        error.contains("hanako@example") && error.contains("090-12"),
        "{error}"
    );
    assert_eq!(
        value_of(&s, "buyer-edit-email").await,
        "hanako@example",
        "what was typed stays"
    );
    s.screenshot("buyer-edit-refused").await;

    s.fill("buyer-edit-name", "編集 花子").await;
    s.fill("buyer-edit-email", "hanako@example.jp").await;
    s.fill("buyer-edit-phone", "０９０－１２３４－５６７８")
        .await;
    s.fill("buyer-edit-postal_code", "1500001").await;
    s.click("buyer-edit-save").await;
    s.wait_css(&css("buyer-edit-notice")).await;
    assert_eq!(s.text_of(&css("buyer-name")).await, "編集 花子");
    let newest = s.text_of(&css("history-text")).await;
    assert!(newest.contains("購入者情報を変更しました"), "{newest}");
    s.screenshot("buyer-edit-saved").await;
    s.end().await;
}
