//! The "Order handling" screens end to end: the real app in demo mode (embedded simulator
//! and relay), driven like a shop owner would, with the simulator's control API standing in
//! for the buyer, for Paygent's admin site and for network faults.
//!
//! Each test starts its own app with its own data directory and its own demo world, makes
//! its own orders (unique order numbers) and finds them by searching the list.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::demo::Demo;
use crate::driver::Session;
use crate::screen::{css, unique};

/// Notifications travel simulator → relay → app; operations may wait for an inquiry.
const WAIT: Duration = Duration::from_secs(60);

async fn attr(s: &Session, selector: &str, name: &str) -> String {
    s.attr_of(selector, name).await
}

impl Demo {
    /// Opens the order list on "all lists", searches the order number and waits until the
    /// order has arrived (by notification: nothing here asks the app to fetch it).
    async fn find_order(&self, order_number: &str) {
        let s = &self.s;
        s.click("nav-orders").await;
        s.click("tab-all").await;
        s.fill("orders-search", order_number).await;
        s.wait_css(&format!(
            "tr[data-testid='order-row'][data-order-number='{order_number}']"
        ))
        .await;
    }

    pub(crate) async fn open_order(&self, order_number: &str) {
        self.find_order(order_number).await;
        self.s.open_searched_order(order_number).await;
    }

    pub(crate) async fn wait_status(&self, code: &str) {
        self.s
            .wait_css(&format!(
                "[data-testid='detail-header'][data-status='{code}']"
            ))
            .await;
    }

    /// Presses an operation's button (after typing its amount), confirms, and returns the
    /// outcome the screen shows.
    pub(crate) async fn operate(&self, kind: &str, amount: Option<&str>) -> String {
        let s = &self.s;
        if let Some(a) = amount {
            s.fill(&format!("op-{kind}-amount"), a).await;
        }
        s.click_css(&format!("[data-testid='op-{kind}']:not([disabled])"))
            .await;
        let dialog = s
            .text_of(&format!(
                "[data-testid='confirm-dialog'][data-kind='{kind}']"
            ))
            .await;
        assert!(!dialog.is_empty());
        // A click can land on a node the screen is re-rendering and be lost (the dialog then
        // stays open). Clicking "send" closes the dialog at once, so it is pressed again
        // only while the dialog is still there: never a second operation.
        let dialog = fantoccini::Locator::Css("[data-testid='confirm-dialog']");
        for _ in 0..5 {
            if let Ok(send) = s
                .client
                .find(fantoccini::Locator::Css("[data-testid='confirm-send']"))
                .await
            {
                let _ = send.click().await;
            }
            let gone = tokio::time::Instant::now() + Duration::from_secs(3);
            while tokio::time::Instant::now() < gone
                && !s
                    .client
                    .find_all(dialog)
                    .await
                    .unwrap_or_default()
                    .is_empty()
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if s.client
                .find_all(dialog)
                .await
                .unwrap_or_default()
                .is_empty()
            {
                break;
            }
        }
        // The outcome, or the refusal the screen shows instead (which fails the test with
        // its words rather than a bare timeout).
        let result = format!("[data-testid='op-result'][data-kind='{kind}']");
        s.wait_css(&format!("{result}, [data-testid='op-error']"))
            .await;
        let refusal = s
            .client
            .find_all(fantoccini::Locator::Css("[data-testid='op-error']"))
            .await
            .unwrap();
        if let Some(box_) = refusal.first() {
            panic!("{kind} refused: {}", box_.text().await.unwrap_or_default());
        }
        attr(s, &result, "data-outcome").await
    }

    async fn back_to_list(&self) {
        self.s.click("detail-back").await;
        self.s.wait_css(&css("orders-table")).await;
    }

    async fn telegrams(&self, kind: &str, payment_id: &str) -> Vec<Value> {
        let events = self
            .control
            .get("/control/events?after=0&limit=10000")
            .await;
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["type"] == "telegram" && e["kind"] == kind && e["payment_id"] == payment_id
            })
            .cloned()
            .collect()
    }
}

/// A card order and a Paidy order arrive by payment notification, are captured, partially
/// refunded, then fully refunded; the list and the detail show each step.
#[tokio::test(flavor = "multi_thread")]
async fn card_and_paidy_orders_arrive_by_notification_and_are_captured_and_refunded() {
    let d = Demo::start(WAIT).await;
    let card = unique("E2ECARD");
    let paidy = unique("E2EPAIDY");
    d.card_order(&card, 12000).await;
    d.paidy_order(&paidy, 5000).await;

    // Both arrive in the open list, with their method, amount and status.
    d.s.click("nav-orders").await;
    d.s.fill("orders-search", "E2E").await;
    for (number, method, amount) in [(&card, "card", "¥12,000"), (&paidy, "paidy", "¥5,000")] {
        let row = format!("tr[data-testid='order-row'][data-order-number='{number}']");
        d.s.wait_css(&row).await;
        let cell = |testid: &str| format!("{row} [data-testid='{testid}']");
        assert_eq!(
            attr(&d.s, &cell("cell-method"), "data-method").await,
            method
        );
        let shown =
            d.s.wait_css(&cell("cell-amount"))
                .await
                .text()
                .await
                .unwrap();
        assert_eq!(shown, amount);
        assert_eq!(attr(&d.s, &row, "data-status").await, "20");
    }
    d.s.screenshot("orders-list").await;

    for (number, amount) in [(&card, 12000), (&paidy, 5000)] {
        d.open_order(number).await;
        d.wait_status("20").await;
        assert_eq!(d.operate("capture", None).await, "succeeded");
        d.wait_status("40").await;
        assert_eq!(
            attr(&d.s, &css("detail-header"), "data-refundable").await,
            amount.to_string()
        );

        // The refundable amount is shown; more than it is refused before anything is sent.
        d.s.fill("op-partial_refund-amount", &(amount + 1).to_string())
            .await;
        d.s.click("op-partial_refund").await;
        d.s.wait_css(&css("op-partial_refund-problem")).await;

        assert_eq!(
            d.operate("partial_refund", Some("2,000")).await,
            "succeeded"
        );
        d.s.wait_css(&format!(
            "[data-testid='detail-header'][data-refundable='{}']",
            amount - 2000
        ))
        .await;
        if number == &card {
            d.s.screenshot("order-detail").await;
        }

        assert_eq!(d.operate("full_refund", None).await, "succeeded");
        d.wait_status("60").await;
        // Nothing is left to do: the buttons say why.
        d.s.wait_css("[data-testid='op-capture'][disabled]").await;
        d.s.wait_css("[data-testid='op-reason'][data-kinds~='capture']")
            .await;
        // PayDesk's own steps are in the change history.
        let ours =
            d.s.client
                .find_all(Locator::Css(
                    "[data-testid='history-row'][data-actor='paydesk']",
                ))
                .await
                .unwrap();
        assert!(
            ours.len() >= 3,
            "capture, partial and full refund are in the history"
        );
        d.back_to_list().await;
    }
    d.s.end().await;
}

/// An authorize-only card order: lower its amount (transaction update), then capture the
/// new amount; the transaction ID chain shows both IDs.
#[tokio::test(flavor = "multi_thread")]
async fn authorize_only_card_order_has_its_amount_changed_and_is_captured() {
    let d = Demo::start(WAIT).await;
    let number = unique("E2EAMT");
    let first_id = d.card_order(&number, 12000).await;
    d.open_order(&number).await;
    d.wait_status("20").await;

    // Raising the amount is refused on the screen, with the reason.
    d.s.fill("op-amount_change-amount", "13000").await;
    d.s.click("op-amount_change").await;
    d.s.wait_css(&css("op-amount_change-problem")).await;

    assert_eq!(d.operate("amount_change", Some("9000")).await, "succeeded");
    d.s.wait_css("[data-testid='detail-header'][data-amount='9000'][data-status='20']")
        .await;
    let chain =
        d.s.client
            .find_all(Locator::Css(&css("chain-id")))
            .await
            .unwrap();
    assert_eq!(chain.len(), 2, "the old and the new transaction ID");
    assert!(chain[0].text().await.unwrap().contains(&first_id));
    let new_id = attr(&d.s, &css("detail-header"), "data-transaction-id").await;
    assert_ne!(new_id, first_id);
    // Issue 15: the way to this payment in Paygent's admin site is its current transaction
    // ID, ready to copy, and the screen says why there is no direct link.
    assert_eq!(
        d.s.wait_css(&css("detail-admin-transaction-id"))
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(new_id.as_str())
    );
    let admin = d.s.text_of(&css("detail-admin-site")).await;
    assert!(
        admin.contains("ペイジェントオンライン") && admin.contains("直接は開けません"),
        "{admin}"
    );
    d.s.client
        .execute(
            "document.querySelector(\"[data-testid='detail-admin-site']\").scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .unwrap();
    d.s.screenshot("issue15-order-admin-site").await;

    assert_eq!(d.operate("capture", None).await, "succeeded");
    d.wait_status("40").await;
    let payment = d.control.get(&format!("/control/payments/{new_id}")).await;
    assert_eq!(payment["status"], "40", "{payment}");
    assert_eq!(payment["amount"], 9000, "{payment}");
    d.s.end().await;
}

/// Someone cancels the payment in Paygent's admin site: PayDesk notices, adopts the
/// gateway's state and says so on the order.
#[tokio::test(flavor = "multi_thread")]
async fn outside_cancel_is_detected_and_shown() {
    let d = Demo::start(WAIT).await;
    let number = unique("E2EOUT");
    let payment_id = d.card_order(&number, 3000).await;
    d.find_order(&number).await;

    d.control
        .post(
            "/control/outside-operations",
            json!({"payment_id": payment_id, "operation": "cancel"}),
        )
        .await;

    // The list flags it once the notification is in.
    d.s.wait_css(&format!(
        "tr[data-order-number='{number}'][data-status='32'] [data-testid='cell-outside']"
    ))
    .await;
    d.open_order(&number).await;
    d.s.wait_css(&css("banner-outside")).await;
    d.wait_status("32").await;
    d.s.wait_css("[data-testid='history-row'][data-actor='outside']")
        .await;
    d.s.wait_css("[data-testid='op-capture'][disabled]").await;
    d.s.screenshot("order-detail-outside").await;

    // Home counts it, says what it means and opens the orders (issue 15).
    d.s.click("nav-home").await;
    d.s.wait_css(&css("count-outside-open")).await;
    // The 「外部で変更」 card says what it counts and what to do (issue 15's polish).
    let caption = d.s.text_of(&css("count-attention")).await;
    assert!(
        caption.contains("PayDesk の外で決済が変更") && caption.contains("該当の受注を見る"),
        "{caption}"
    );
    d.s.screenshot("home-outside").await;
    d.s.click("count-outside-open").await;
    d.s.wait_css(&css("screen-orders")).await;
    d.open_order(&number).await;

    d.s.click("banner-outside-ack").await;
    d.s.wait_css("[data-testid='detail-header'][data-outside='false']")
        .await;
    // The banner goes once acknowledged (sliding away, so the page does not jump).
    d.s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//body[not(.//*[@data-testid='banner-outside'])]",
        ))
        .await
        .expect("the banner goes once acknowledged");
    d.s.end().await;
}

/// The gateway captures but the answer is lost (commit, then the connection drops):
/// PayDesk finds out by inquiry instead of sending the capture again.
#[tokio::test(flavor = "multi_thread")]
async fn lost_capture_answer_causes_no_double_capture() {
    let d = Demo::start(WAIT).await;
    let number = unique("E2EDROP");
    let payment_id = d.card_order(&number, 4500).await;
    d.control
        .post(
            "/control/faults",
            json!({"telegram_kind": "022", "fault": "commit_then_drop", "times": 1, "payment_id": payment_id}),
        )
        .await;
    d.open_order(&number).await;
    d.wait_status("20").await;

    let outcome = d.operate("capture", None).await;
    assert!(
        outcome == "succeeded" || outcome == "unknown",
        "a lost answer is never reported as a failure: {outcome}"
    );
    // Settled by inquiry (at once, or in the background while the screen waits).
    d.wait_status("40").await;
    d.s.wait_css("[data-testid='op-capture'][disabled]").await;

    let captures = d.telegrams("022", &payment_id).await;
    let processed = captures.iter().filter(|e| e["processed"] == true).count();
    assert_eq!(
        processed, 1,
        "exactly one capture reached the gateway: {captures:?}"
    );
    assert!(
        captures
            .iter()
            .any(|e| e["fault"].is_string() || e["fault"].is_object()),
        "the fault fired: {captures:?}"
    );
    let payment = d
        .control
        .get(&format!("/control/payments/{payment_id}"))
        .await;
    assert_eq!(payment["captured_amount"], 4500, "{payment}");
    d.s.end().await;
}

/// Issue 15, point 7, through the real window: with PayDesk's clock (the demo follows its
/// simulator) ten minutes ahead of the window's, a notification that just arrived reads
/// "just now" on the home screen, at once (no manual sync), and never "in 10 min".
#[tokio::test(flavor = "multi_thread")]
async fn issue15_the_home_screen_says_a_notification_just_came_not_in_ten_minutes() {
    let d = Demo::start(WAIT).await;
    let s = &d.s;
    d.control
        .post("/control/clock/advance", json!({"minutes": 10}))
        .await;
    s.click("nav-home").await;
    let order = unique("E2ECLOCK");
    d.card_order(&order, 1800).await;
    // The notification arrived: PayDesk's last event is the new one...
    let last = s
        .until("the notification did not arrive", WAIT, async || {
            let page = s
                .invoke(
                    "list_orders",
                    json!({"query": {"search": order, "list": null}}),
                )
                .await;
            let arrived = page["total"].as_u64() == Some(1);
            let status = s.invoke("sync_status", json!({})).await;
            arrived
                .then(|| status["last_event_at"].as_str().map(str::to_owned))
                .flatten()
        })
        .await;
    // ... and the home screen shows it, without a manual sync, as just now.
    let said = s
        .until(
            "the home screen never showed the new notification",
            WAIT,
            async || {
                let line = s
                    .client
                    .find(Locator::Css("[data-testid='sync-last-event']"))
                    .await
                    .ok()?;
                let at = line.attr("data-at").await.ok()??;
                // Same format (RFC 3339, UTC) on both sides: later sorts later.
                (at >= last).then_some(())?;
                line.text().await.ok()
            },
        )
        .await;
    assert_eq!(said, "たった今");
    s.screenshot("issue15-home-just-now").await;
    d.s.end().await;
}
