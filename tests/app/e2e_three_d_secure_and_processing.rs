//! The order's 3-D Secure and processing statuses (issue 19) through the real window: a
//! card order's 3-D Secure (§4.6, §7.3) and an order parked in a processing status
//! (§5.2–§5.3), with the simulator's control API standing in
//! for the buyer and for the gateway's retry. Screenshots: `order-3ds`,
//! `order-processing-30`.

use serde_json::json;

use crate::demo::{Demo, ORDER_WAIT};
use crate::screen::{css, unique};

/// §4.6, §7.3: the order says it was 3-D Secure authenticated and what that means, and its
/// amount change is disabled with the seed's reason (change it in Paygent's admin site).
#[tokio::test(flavor = "multi_thread")]
async fn s4_6_a_3ds_order_shows_its_authentication_and_refuses_the_amount_change() {
    let d = Demo::start(ORDER_WAIT).await;
    let number = unique("E2E3DS");
    let r = d
        .control
        .post(
            "/control/checkouts/card",
            json!({
                "merchant_id": d.merchant_id,
                "trading_id": number,
                "amount": 8800,
                "card_number": "4900000000000000",
                "expiry": "1239",
                "capture_mode": "authorize_only",
                "three_d_secure": true,
            }),
        )
        .await;
    assert_eq!(r["status"], "20", "{r}");
    d.open_order(&number).await;
    d.wait_status("20").await;
    let three_ds =
        d.s.wait_css(&format!("{}[data-code='authenticated']", css("detail-3ds")))
            .await
            .text()
            .await
            .unwrap();
    assert!(three_ds.contains("3Dセキュア認証済み"), "{three_ds}");
    // The amount change button is disabled, with the seed's reason beside it.
    d.s.wait_css("[data-testid='op-amount_change'][disabled]")
        .await;
    let body = d.s.text_of("body").await;
    assert!(
        body.contains("ペイジェント管理画面で直接"),
        "the reason is shown: {body}"
    );
    d.s.screenshot("order-3ds").await;
    d.s.end().await;
}

/// §5.2–§5.3: a capture that stops part-way (twice: PayDesk resends it once by itself)
/// leaves the card payment in 30 (売上要求中); the order says what that means (from the
/// rules table) and offers only the capture's retry, and when the gateway's retry succeeds
/// its notification moves the order on to captured.
#[tokio::test(flavor = "multi_thread")]
async fn s5_3_an_order_in_a_processing_status_is_explained_and_moves_on() {
    let d = Demo::start(ORDER_WAIT).await;
    let number = unique("E2EP30");
    let payment = d.card_order(&number, 7700).await;
    d.open_order(&number).await;
    d.wait_status("20").await;
    d.control
        .post(
            "/control/faults",
            json!({"telegram_kind": "022", "fault": "processing", "times": 2, "payment_id": payment}),
        )
        .await;
    let outcome = d.operate("capture", None).await;
    assert_eq!(outcome, "processing");
    assert_eq!(
        d.control.get(&format!("/control/payments/{payment}")).await["status"],
        "30"
    );
    // The result says the capture is being processed at Paygent and sync will settle it,
    // not 「できませんでした」 with 2008.
    let result = d.s.text_of(&css("op-result")).await;
    assert!(
        result.contains("ペイジェントで処理中") && result.contains("同期で結果が反映"),
        "{result}"
    );
    assert!(
        !result.contains("できませんでした") && !result.contains("2008"),
        "{result}"
    );
    d.s.screenshot("order-processing-30-result").await;
    // "Check status" asks the gateway (094): the order shows 30 and what it means.
    d.s.click_css("[data-testid='detail-refresh']:not([disabled])")
        .await;
    d.wait_status("30").await;
    let meaning =
        d.s.wait_css(&format!("{}[data-status='30']", css("status-meaning")))
            .await
            .text()
            .await
            .unwrap();
    assert!(meaning.contains("売上確定"), "{meaning}");
    d.s.wait_css("[data-testid='op-capture']:not([disabled])")
        .await;
    d.s.wait_css("[data-testid='op-cancel'][disabled]").await;
    d.s.screenshot("order-processing-30").await;

    // The gateway's retry goes through; its notification moves the order on.
    d.control
        .post(
            &format!("/control/payments/{payment}/resolve"),
            json!({"outcome": "success"}),
        )
        .await;
    d.wait_status("40").await;
    assert!(
        d.s.client
            .find_all(fantoccini::Locator::Css(&css("status-meaning")))
            .await
            .unwrap()
            .is_empty(),
        "no note once captured"
    );
    d.s.end().await;
}

/// §4.5, issue 19 point 8: the day-before check says which check it made, on the
/// subscription's screen and the card dashboard. A subscription of the demo is moved to
/// renew tomorrow; the scheduler (every minute at most) checks its stored card. Also
/// issue 15's polish: what the last action said stays with the tab it was done on.
#[tokio::test(flavor = "multi_thread")]
async fn s4_5_the_day_before_check_says_which_check_it_made_on_screen() {
    let wait = std::time::Duration::from_secs(180);
    let s = crate::driver::Session::start_demo().await.waiting(wait);
    s.wait_css(&css("demo-banner")).await;
    let page = s
        .invoke(
            "list_subscriptions",
            json!({ "query": { "card_state": "valid", "page": 0, "page_size": 1 } }),
        )
        .await;
    let id = page["items"][0]["id"]
        .as_i64()
        .expect("a demo subscription with a valid card");
    let status = s.invoke("sync_status", json!({})).await;
    let tomorrow = s
        .client
        .execute(
            "return new Date(new Date(arguments[0]).getTime() + 9 * 3600000 + 86400000)
               .toISOString().slice(0, 10);",
            vec![status["now"].clone()],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    s.invoke(
        "update_subscription",
        json!({ "subscriptionId": id, "input": { "next_renewal_date": tomorrow } }),
    )
    .await;
    let check = s
        .until("the day-before check never ran", wait, async || {
            let d = s
                .invoke("get_subscription", json!({ "subscriptionId": id }))
                .await;
            let c = d["card_check"].clone();
            (c["renewal_date"] == json!(tomorrow)).then_some(c)
        })
        .await;
    assert_eq!(check["check_kind"], "stored_card_read", "{check}");

    s.click("nav-subscriptions").await;
    // A notice from the header's action belongs to the tab it was done on.
    s.click("refresh-cards").await;
    s.wait_css(&css("subscriptions-notice")).await;
    s.click("subs-tab-list").await;
    s.until("the notice followed to another tab", wait, async || {
        s.client
            .find_all(fantoccini::Locator::Css(&css("subscriptions-notice")))
            .await
            .ok()?
            .is_empty()
            .then_some(())
    })
    .await;

    s.click(&format!("open-subscription-{id}")).await;
    let made = s
        .text_of("[data-testid='card-check-made'][data-kind='stored_card_read']")
        .await;
    assert!(
        made.contains("確認した内容") && made.contains("登録済みカードを照会"),
        "{made}"
    );
    s.client
        .execute(
            "document.querySelector(\"[data-testid='card-check-made']\").scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .unwrap();
    s.screenshot("subscription-day-before-check").await;
    s.click("subs-tab-cards").await;
    let listed = s.text_of(&css("day-before-check-made")).await;
    assert!(listed.contains("確認した内容"), "{listed}");
    s.client
        .execute(
            "document.querySelector(\"[data-testid='day-before-check-made']\").scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .unwrap();
    s.screenshot("dashboard-day-before-check").await;
    s.end().await;
}
