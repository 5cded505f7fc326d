//! Bulk capture end to end: the real app in demo mode captures 50 orders in one run through
//! its bulk-capture screen, with failures injected on some by the simulator's control API;
//! the test checks the unprocessed list, the operation log, the detailed log and an order's
//! change history as the screens show them.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use crate::control::Control;
use crate::driver::Session;
use crate::screen::{css, unique};

/// Orders arrive by notification (simulator → relay → app); a run of 50 takes seconds.
const WAIT: Duration = Duration::from_secs(90);
const ORDERS: usize = 50;

async fn count(s: &Session, selector: &str) -> usize {
    s.client
        .find_all(Locator::Css(selector))
        .await
        .unwrap()
        .len()
}

fn prefix() -> String {
    format!("{}_", unique("E2EB"))
}

#[tokio::test]
async fn bulk_capture_of_50_with_failures_through_the_ui() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;
    let status = s.invoke("demo_status", json!({})).await;
    let control = Control::new(status["control_url"].as_str().unwrap());
    let merchant_id = status["merchant_id"].as_str().unwrap().to_owned();

    // 50 buyers pay by card, authorize only.
    let prefix = prefix();
    let mut payments = Vec::new();
    for i in 1..=ORDERS {
        let r = control
            .post(
                "/control/checkouts/card",
                json!({
                    "merchant_id": merchant_id,
                    "trading_id": format!("{prefix}{i:02}"),
                    "amount": 1000 + i,
                    "card_number": "4900000000000000",
                    "expiry": "1239",
                    "capture_mode": "authorize_only",
                    "three_d_secure": false,
                }),
            )
            .await;
        assert_eq!(r["status"], "20", "{r}");
        payments.push(r["payment_id"].as_str().unwrap().to_owned());
    }
    // Failures: 05 and 20 are refused by the gateway (2004); 33's answer is lost after the
    // gateway captured it (settled by inquiry, never sent twice).
    for (n, fault) in [
        (5, json!({"response_code": "2004"})),
        (20, json!({"response_code": "2004"})),
        (33, json!("commit_then_drop")),
    ] {
        control
            .post(
                "/control/faults",
                json!({"telegram_kind": "022", "fault": fault, "times": 1, "payment_id": payments[n - 1]}),
            )
            .await;
    }

    // The unprocessed list, searched by the order numbers' prefix, fills as notifications
    // arrive.
    s.click("nav-bulkCapture").await;
    let search = s.wait_css(&css("bulk-search")).await;
    search.send_keys(&prefix).await.unwrap();
    s.wait_css(&format!(
        "[data-testid='bulk-total'][data-total='{ORDERS}']"
    ))
    .await;
    let max = s.attr_of(&css("bulk-selected"), "data-max").await;
    assert_eq!(max, "50", "the limit comes from the rules table");

    // Select all (the search applies), review, run.
    s.click("bulk-select-all").await;
    s.wait_css(&format!(
        "[data-testid='bulk-selected'][data-count='{ORDERS}']"
    ))
    .await;
    s.click("bulk-review").await;
    s.wait_css(&css("bulk-confirm")).await;
    assert_eq!(count(&s, &css("bulk-confirm-row")).await, ORDERS);
    let total: i64 = (1..=ORDERS as i64).map(|i| 1000 + i).sum();
    s.wait_css(&format!(
        "[data-testid='bulk-confirm-total'][data-yen='{total}']"
    ))
    .await;
    s.screenshot("bulk-confirm").await;
    s.click("bulk-run").await;

    // The run: progress and live results, then its end.
    s.wait_css(&css("bulk-progress-bar")).await;
    s.wait_css("[data-testid='bulk-progress'][data-status='finished']")
        .await;
    let summary = s
        .wait_css(&css("bulk-run-summary"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        summary.contains("成功 48件") && summary.contains("失敗 2件"),
        "{summary}"
    );
    // Issue 15: no outcome was unknown, so nothing says "being confirmed, not resent".
    assert_eq!(count(&s, &css("bulk-run-message")).await, 0);
    assert_eq!(
        s.attr_of(&css("bulk-progress-bar"), "aria-valuenow").await,
        ORDERS.to_string()
    );
    assert_eq!(
        count(&s, "[data-testid='bulk-item'][data-status='succeeded']").await,
        48
    );
    assert_eq!(
        count(
            &s,
            "[data-testid='bulk-item'][data-status='failed'][data-code='2004']"
        )
        .await,
        2
    );
    s.client
        .execute(
            "document.querySelector(\"[data-testid='bulk-progress']\").scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    let shot = s.screenshot("bulk-capture").await;
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::copy(&shot, docs.join("screenshot-bulk-capture.png")).unwrap();

    // The gateway: each success captured exactly once, the failures untouched.
    let events = control.get("/control/events?after=0&limit=100000").await;
    for (i, payment) in payments.iter().enumerate() {
        let processed = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["type"] == "telegram"
                    && e["kind"] == "022"
                    && e["payment_id"] == payment.as_str()
                    && e["processed"] == true
            })
            .count();
        let expected = usize::from(!matches!(i + 1, 5 | 20));
        assert_eq!(processed, expected, "order {:02}", i + 1);
    }

    // The unprocessed list keeps the two failures, with their code and explanation.
    s.click("bulk-run-back").await;
    s.wait_css("[data-testid='bulk-total'][data-total='2']")
        .await;
    assert_eq!(
        count(&s, "[data-testid='bulk-row'][data-failure-code='2004']").await,
        2
    );
    let failure = s
        .wait_css(&css("bulk-last-failure"))
        .await
        .text()
        .await
        .unwrap();
    assert!(failure.contains("2004"), "{failure}");

    // The operation log and the run's detailed log.
    s.click("bulk-tab-log").await;
    let row = s
        .wait_css("[data-testid='bulk-log-row'][data-succeeded='48'][data-failed='2']")
        .await;
    row.find(Locator::Css(&css("bulk-log-open")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    s.wait_css(&css("bulk-detail")).await;
    assert_eq!(count(&s, &css("bulk-item")).await, ORDERS);
    let ok_line = s.wait_css(&format!("[data-testid='bulk-item'][data-order-number='{prefix}01'] [data-testid='bulk-item-line']"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(ok_line, "売上確定一括処理: 正常終了");
    let failed = format!("[data-testid='bulk-item'][data-order-number='{prefix}05']");
    let failed_line = s
        .wait_css(&format!("{failed} [data-testid='bulk-item-line']"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        failed_line.starts_with("売上確定一括処理: エラーコード: 2004"),
        "{failed_line}"
    );

    // The failed order's change history holds the same line, once.
    s.wait_css(&format!("{failed} [data-testid='bulk-item-open']"))
        .await
        .click()
        .await
        .unwrap();
    s.wait_css(&css("detail-history")).await;
    let mut lines = Vec::new();
    for cell in s
        .client
        .find_all(Locator::Css("[data-testid='history-text']"))
        .await
        .unwrap()
    {
        lines.push(cell.text().await.unwrap());
    }
    let bulk: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("売上確定一括処理"))
        .collect();
    assert_eq!(bulk, vec![&failed_line], "{lines:?}");

    // English too.
    s.click("nav-bulkCapture").await;
    s.click("language-switch").await;
    let title = s.wait_css(&css("bulk-title")).await.text().await.unwrap();
    assert_eq!(title, "Bulk capture");
    s.click("language-switch").await;
    s.end().await;
}
