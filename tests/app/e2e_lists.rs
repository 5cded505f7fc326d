//! Issue 15, points 10 and 11, through the real window (demo mode): the order list's
//! payment-method, order-date and sort controls, its filter bar and how leaving the list
//! clears the filters; the bulk-capture list most urgent first; failed renewals counted on
//! Home and marked in the subscription list, each one click from the four choices.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use crate::demo::Demo;
use crate::driver::Session;
use crate::screen::{css, unique};

/// Orders arrive by notification; the demo's catch-up renewals take a while at start.
const WAIT: Duration = Duration::from_secs(90);

impl Demo {
    /// The order numbers of the rows shown (`row` is the rows' test ID), once there are
    /// exactly `n` of them.
    async fn rows(&self, row: &str, n: usize) -> Vec<String> {
        let selector = format!("[data-testid='{row}']");
        self.s
            .until(&format!("never {n} rows of {row}"), WAIT, async || {
                let rows = self.s.client.find_all(Locator::Css(&selector)).await.ok()?;
                if rows.len() != n {
                    return None;
                }
                let mut numbers = Vec::new();
                for r in rows {
                    numbers.push(r.attr("data-order-number").await.ok()??);
                }
                Some(numbers)
            })
            .await
    }

    /// Waits until the rows are exactly `expected`, in this order.
    async fn rows_are(&self, row: &str, expected: &[&str]) {
        let selector = format!("[data-testid='{row}']");
        let got = self
            .s
            .until(
                &format!("the rows of {row} never became {expected:?}"),
                WAIT,
                async || {
                    let rows = self.s.client.find_all(Locator::Css(&selector)).await.ok()?;
                    let mut numbers = Vec::new();
                    for r in rows {
                        numbers.push(r.attr("data-order-number").await.ok()??);
                    }
                    (numbers == expected).then_some(numbers)
                },
            )
            .await;
        assert_eq!(got, expected);
    }

    async fn select(&self, testid: &str, value: &str) {
        self.s
            .wait_css(&css(testid))
            .await
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// Clicks a button in a bar that slides in: until the slide ends WebKit may refuse the
    /// click (not yet interactable), so it is tried again while the bar moves.
    async fn click_sliding(&self, testid: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match self.s.wait_css(&css(testid)).await.click().await {
                Ok(()) => return,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot click {testid}: {e}"),
            }
        }
    }

    /// Waits until nothing matches `selector` (a banner sliding away).
    async fn gone(&self, selector: &str) {
        self.s
            .until(&format!("{selector} never went"), WAIT, async || {
                let found = self.s.client.find_all(Locator::Css(selector)).await.ok()?;
                found.is_empty().then_some(())
            })
            .await;
    }

    /// Picks a day in a date field. WebKitGTK's field takes typed digits segment by
    /// segment in the locale's order from wherever the click landed, so the test sets
    /// the value the picker would and sends the `change` the field sends when the picker
    /// closes; the list then reads the field as it does for a shop owner.
    async fn day(&self, testid: &str, day: &str) {
        let field = self.s.wait_css(&css(testid)).await;
        self.s
            .client
            .execute(
                "arguments[0].value = arguments[1];
                 arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![serde_json::to_value(&field).unwrap(), json!(day)],
            )
            .await
            .unwrap();
        assert_eq!(field.prop("value").await.unwrap().as_deref(), Some(day));
    }
}

/// The Japan day of PayDesk's clock (the demo's follows its simulator) and the next one,
/// `YYYY-MM-DD`.
async fn today_and_tomorrow(s: &Session) -> (String, String) {
    let status = s.invoke("sync_status", json!({})).await;
    let days = s
        .client
        .execute(
            "const japan = new Date(arguments[0]).getTime() + 9 * 3600000; // UTC+9, no DST
             const day = (t) => new Date(t).toISOString().slice(0, 10);
             return [day(japan), day(japan + 86400000)];",
            vec![status["now"].clone()],
        )
        .await
        .unwrap();
    (
        days[0].as_str().unwrap().to_owned(),
        days[1].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn issue15_the_orders_list_filters_by_method_and_day_sorts_and_forgets_filters_when_left() {
    let d = Demo::start(WAIT).await;
    let s = &d.s;
    let p = unique("LST");
    let (a, b, c) = (format!("{p}A"), format!("{p}B"), format!("{p}C"));
    d.card_order(&a, 5_000).await;
    d.paidy_order(&b, 3_000).await;
    d.card_order(&c, 9_000).await;

    // Every list, searched by the prefix: newest first by default.
    s.click("nav-orders").await;
    s.click("tab-all").await;
    let search = s.wait_css(&css("orders-search")).await;
    search.send_keys(&p).await.unwrap();
    d.rows_are("order-row", &[&c, &b, &a]).await;
    // Sorted by amount, both ways, and by deadline (a card has 60 days, Paidy 90).
    d.select("orders-sort", "amount_high").await;
    d.rows_are("order-row", &[&c, &a, &b]).await;
    d.select("orders-sort", "amount_low").await;
    d.rows_are("order-row", &[&b, &a, &c]).await;
    d.select("orders-sort", "deadline").await;
    d.rows_are("order-row", &[&a, &c, &b]).await;
    // One payment method.
    d.select("filter-method", "card").await;
    d.rows_are("order-row", &[&a, &c]).await;
    d.select("filter-method", "").await;
    d.rows_are("order-row", &[&a, &c, &b]).await;
    // Order dates are Japan days: today holds all three, tomorrow none.
    let (today, tomorrow) = today_and_tomorrow(s).await;
    d.day("filter-from", &today).await;
    d.day("filter-to", &today).await;
    d.rows_are("order-row", &[&a, &c, &b]).await;
    d.select("filter-method", "paidy").await;
    d.rows_are("order-row", &[&b]).await;
    // The filter bar says what narrows the list.
    let bar = s.attr_of(&css("orders-filter-bar"), "data-filters").await;
    assert_eq!(bar, "search method dates");
    let dates = s.text_of(&css("active-filter-dates")).await;
    assert!(dates.contains(&today), "{dates}");
    s.screenshot("issue15-orders-filtered").await;
    d.day("filter-from", &tomorrow).await;
    d.day("filter-to", &tomorrow).await;
    d.rows("order-row", 0).await;
    let empty = s.text_of(&css("orders-empty")).await;
    assert!(empty.contains("条件に合う受注はありません"), "{empty}");

    // Opening an order and coming back keeps the filters...
    d.day("filter-from", &today).await;
    d.day("filter-to", &today).await;
    d.rows_are("order-row", &[&b]).await;
    s.click_css(&format!(
        "tr[data-order-number='{b}'] [data-testid='open-order']"
    ))
    .await;
    s.click("detail-back").await;
    d.rows_are("order-row", &[&b]).await;
    s.wait_css(&css("orders-filter-bar")).await;
    // ... leaving the orders screen clears them (the sort stays).
    s.click("nav-home").await;
    s.wait_css(&css("home-title")).await;
    s.click("nav-orders").await;
    d.gone(&css("orders-filter-bar")).await;
    assert_eq!(s.attr_of(&css("orders-search"), "value").await, "");
    assert_eq!(
        s.wait_css(&css("filter-method"))
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("")
    );
    assert_eq!(
        s.wait_css(&css("orders-sort"))
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("deadline")
    );
    // "Clear all" does the same from the bar itself.
    d.select("filter-method", "card").await;
    s.wait_css(&css("orders-filter-bar")).await;
    d.click_sliding("orders-clear-filters").await;
    d.gone(&css("orders-filter-bar")).await;
    s.screenshot("issue15-orders-cleared").await;
    d.s.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn issue15_the_bulk_capture_list_puts_the_most_urgent_deadline_first() {
    let d = Demo::start(WAIT).await;
    let s = &d.s;
    let p = unique("BLK");
    // Paidy's 90 days to capture end after a card's 60, though it was paid later.
    let (card1, paidy, card2) = (format!("{p}A"), format!("{p}B"), format!("{p}C"));
    d.card_order(&card1, 1_000).await;
    d.paidy_order(&paidy, 2_000).await;
    d.card_order(&card2, 3_000).await;
    s.click("nav-bulkCapture").await;
    let search = s.wait_css(&css("bulk-search")).await;
    search.send_keys(&p).await.unwrap();
    d.rows_are("bulk-row", &[&card1, &card2, &paidy]).await;
    s.screenshot("issue15-bulk-by-deadline").await;
    d.s.end().await;
}

/// The failed renewals Home counts once the demo's catch-up renewals have run. They run in
/// the background from the moment the desk is open, which is also when the first screen
/// shows (issue 22: the desk opens beside WebKit's start), so Home's count may still be
/// growing when the test first reads it (it showed 1, then 2). `run_due_renewals` waits
/// for a run in progress (one at a time) and renews whatever is still due, so after it the
/// count is final; Home must then show exactly the backend's figure.
async fn failed_count(s: &Session) -> u32 {
    s.invoke("run_due_renewals", json!({})).await;
    let summary = s.invoke("home_summary", json!({})).await;
    let expected = summary["failed_renewals"]
        .as_u64()
        .expect("failed_renewals") as u32;
    assert!(
        expected > 0,
        "the demo's catch-up renewals on expired cards fail"
    );
    s.until(
        "Home never showed the final count of failed renewals",
        WAIT,
        async || {
            let text = s
                .client
                .find(Locator::Css(&css("count-failed-renewals-value")))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (text == expected.to_string()).then_some(())
        },
    )
    .await;
    expected
}

#[tokio::test(flavor = "multi_thread")]
async fn issue15_failed_renewals_on_home_and_in_the_subscription_list_lead_to_the_choices() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    // The demo's catch-up renewals on expired cards fail with P010.
    let before = failed_count(&s).await;
    s.screenshot("issue15-home-failed-renewals").await;

    // One click from Home: the oldest failure's order, with the four choices.
    s.click("count-failed-renewals").await;
    s.wait_css(&css("failed-renewal")).await;
    for choice in [
        "cancel_order",
        "switch_payment_method",
        "end_subscription",
        "ask_buyer_to_update_card",
    ] {
        s.wait_css(&css(&format!("choice-{choice}"))).await;
    }
    let waiting = s.attr_of(&css("failed-waiting"), "data-waiting").await;
    assert_eq!(waiting, before.to_string());
    s.screenshot("issue15-failed-from-home").await;

    // A choice that stands (switching to a bank transfer, asked first as before) takes it
    // off the count.
    s.wait_css(&css("choice-method-select"))
        .await
        .select_by_value("銀行振込")
        .await
        .unwrap();
    s.click("choice-switch_payment_method").await;
    s.wait_css(&css("confirm-switch-text")).await;
    s.click("confirm-switch-go").await;
    s.wait_css(&css("failed-done-switch")).await;
    s.click("nav-home").await;
    s.until("the count did not go down", WAIT, async || {
        let text = s
            .client
            .find(Locator::Css(&css("count-failed-renewals-value")))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (text == (before - 1).to_string()).then_some(())
    })
    .await;

    // The subscription list marks the subscriptions with a failure still waiting; the
    // marker opens its order's choices in one click.
    s.click("nav-subscriptions").await;
    s.click("subs-tab-list").await;
    if before > 1 {
        let mark = s.wait_css(&css("failed-renewal-mark")).await;
        let text = mark.text().await.unwrap();
        assert!(text.contains("継続決済失敗"), "{text}");
        s.screenshot("issue15-subscriptions-marked").await;
        let order = mark.attr("data-order-id").await.unwrap().unwrap();
        mark.click().await.unwrap();
        s.wait_css(&format!(
            "[data-testid='detail-header'][data-order-id='{order}']"
        ))
        .await;
        s.wait_css(&css("choice-cancel_order")).await;
    }
    s.end().await;
}

/// The table's distance from the top of the page, in CSS pixels.
async fn table_top(s: &Session) -> f64 {
    s.client
        .execute(
            "return document.querySelector(\"[data-testid='orders-table']\").getBoundingClientRect().top + window.scrollY;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap()
}

/// Issue 15's polish on the orders screen: a fully refunded order in the open list says
/// there is nothing left to do and leaves in one click; selecting a row does not move the
/// table; what the last action said does not follow the shop owner to another tab.
#[tokio::test(flavor = "multi_thread")]
async fn issue15_a_refunded_order_says_so_the_table_stays_put_and_notices_stay_with_their_tab() {
    let d = Demo::start(WAIT).await;
    let s = &d.s;
    let number = unique("RFD");
    d.card_order(&number, 4_000).await;
    let id = s
        .until("the order never arrived", WAIT, async || {
            let page = s
                .invoke(
                    "list_orders",
                    json!({"query": {"search": number, "list": null}}),
                )
                .await;
            page["items"].as_array()?.first()?["id"].as_i64()
        })
        .await;
    for kind in ["capture", "full_refund"] {
        let result = s
            .invoke(
                "perform_operation",
                json!({"orderId": id, "request": {"kind": kind}}),
            )
            .await;
        assert_eq!(result["outcome"], "succeeded", "{kind}: {result}");
    }

    s.click("nav-orders").await;
    s.click("tab-open").await;
    let search = s.wait_css(&css("orders-search")).await;
    search.send_keys(&number).await.unwrap();
    let row = format!("tr[data-testid='order-row'][data-order-number='{number}']");
    s.wait_css(&format!("{row}[data-status='60']")).await;
    let hint = s
        .text_of(&format!("{row} [data-testid='cell-refunded-hint']"))
        .await;
    assert!(hint.contains("全額返金済み"), "{hint}");
    // The order's own screen says it too, beside the move to the cancelled list.
    s.click_css(&format!("{row} [data-testid='open-order']"))
        .await;
    let hint = s.text_of(&css("detail-refunded-hint")).await;
    assert!(hint.contains("全額返金済み"), "{hint}");
    s.wait_css("[data-testid='detail-move-cancelled'].primary")
        .await;
    s.click("detail-back").await;

    // Selecting the row: the selection bar was already there, so the table stays put.
    let before = table_top(s).await;
    s.click(&format!("select-{id}")).await;
    s.wait_css("[data-testid='selection-bar']:not(.idle)").await;
    assert_eq!(table_top(s).await, before, "the table moved");
    s.screenshot("issue15-refunded-hint").await;

    // One click moves it to the cancelled list and says so ...
    s.click_css(&format!("{row} [data-testid='refunded-move']"))
        .await;
    let notice = s.text_of(&css("orders-notice")).await;
    assert!(notice.contains("受注キャンセル一覧"), "{notice}");
    d.rows("order-row", 0).await;
    assert_eq!(table_top(s).await, before, "the table moved");
    // ... and the notice stays with the open list's tab.
    s.click("tab-cancelled").await;
    s.wait_css(&row).await;
    d.gone(&css("orders-notice")).await;
    d.s.end().await;
}
