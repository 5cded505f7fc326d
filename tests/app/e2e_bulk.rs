//! Bulk capture end to end: the real app in demo mode captures 50 orders in one run through
//! its bulk-capture screen, with failures injected on some by the simulator's control API;
//! the test checks the unprocessed list, the operation log, the detailed log and an order's
//! change history as the screens show them.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::{Value, json};

use crate::control::Control;
use crate::driver::Session;

/// Orders arrive by notification (simulator → relay → app); a run of 50 takes seconds.
const WAIT: Duration = Duration::from_secs(90);
const ORDERS: usize = 50;

fn css(testid: &str) -> String {
    format!("[data-testid='{testid}']")
}

async fn wait_css(s: &Session, selector: &str) -> Element {
    s.client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("nothing matches {selector}: {e}"))
}

async fn click(s: &Session, testid: &str) {
    wait_css(s, &css(testid)).await.click().await.unwrap();
}

async fn count(s: &Session, selector: &str) -> usize {
    s.client
        .find_all(Locator::Css(selector))
        .await
        .unwrap()
        .len()
}

async fn invoke(s: &Session, command: &str) -> Value {
    let answer = s
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke(arguments[0], {}).then(
               (v) => done({ ok: v }), (e) => done({ err: e }));",
            vec![json!(command)],
        )
        .await
        .expect("invoke");
    answer
        .get("ok")
        .cloned()
        .unwrap_or_else(|| panic!("{command} failed: {answer}"))
}

fn prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("E2EB{nanos:09}_")
}

#[tokio::test]
async fn bulk_capture_of_50_with_failures_through_the_ui() {
    let s = Session::start_demo().await;
    wait_css(&s, &css("demo-banner")).await;
    let status = invoke(&s, "demo_status").await;
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
    click(&s, "nav-bulkCapture").await;
    let search = wait_css(&s, &css("bulk-search")).await;
    search.send_keys(&prefix).await.unwrap();
    wait_css(
        &s,
        &format!("[data-testid='bulk-total'][data-total='{ORDERS}']"),
    )
    .await;
    let max = wait_css(&s, &css("bulk-selected"))
        .await
        .attr("data-max")
        .await
        .unwrap();
    assert_eq!(
        max.as_deref(),
        Some("50"),
        "the limit comes from the rules table"
    );

    // Select all (the search applies), review, run.
    click(&s, "bulk-select-all").await;
    wait_css(
        &s,
        &format!("[data-testid='bulk-selected'][data-count='{ORDERS}']"),
    )
    .await;
    click(&s, "bulk-review").await;
    wait_css(&s, &css("bulk-confirm")).await;
    assert_eq!(count(&s, &css("bulk-confirm-row")).await, ORDERS);
    let total: i64 = (1..=ORDERS as i64).map(|i| 1000 + i).sum();
    wait_css(
        &s,
        &format!("[data-testid='bulk-confirm-total'][data-yen='{total}']"),
    )
    .await;
    s.screenshot("bulk-confirm").await;
    click(&s, "bulk-run").await;

    // The run: progress and live results, then its end.
    wait_css(&s, &css("bulk-progress-bar")).await;
    wait_css(&s, "[data-testid='bulk-progress'][data-status='finished']").await;
    let summary = wait_css(&s, &css("bulk-run-summary"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        summary.contains("成功 48件") && summary.contains("失敗 2件"),
        "{summary}"
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
    click(&s, "bulk-run-back").await;
    wait_css(&s, "[data-testid='bulk-total'][data-total='2']").await;
    assert_eq!(
        count(&s, "[data-testid='bulk-row'][data-failure-code='2004']").await,
        2
    );
    let failure = wait_css(&s, &css("bulk-last-failure"))
        .await
        .text()
        .await
        .unwrap();
    assert!(failure.contains("2004"), "{failure}");

    // The operation log and the run's detailed log.
    click(&s, "bulk-tab-log").await;
    let row = wait_css(
        &s,
        "[data-testid='bulk-log-row'][data-succeeded='48'][data-failed='2']",
    )
    .await;
    row.find(Locator::Css(&css("bulk-log-open")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(&s, &css("bulk-detail")).await;
    assert_eq!(count(&s, &css("bulk-item")).await, ORDERS);
    let ok_line = wait_css(
        &s,
        &format!("[data-testid='bulk-item'][data-order-number='{prefix}01'] [data-testid='bulk-item-line']"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(ok_line, "売上確定一括処理: 正常終了");
    let failed = format!("[data-testid='bulk-item'][data-order-number='{prefix}05']");
    let failed_line = wait_css(&s, &format!("{failed} [data-testid='bulk-item-line']"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        failed_line.starts_with("売上確定一括処理: エラーコード: 2004"),
        "{failed_line}"
    );

    // The failed order's change history holds the same line, once.
    wait_css(&s, &format!("{failed} [data-testid='bulk-item-open']"))
        .await
        .click()
        .await
        .unwrap();
    wait_css(&s, &css("detail-history")).await;
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
    click(&s, "nav-bulkCapture").await;
    click(&s, "language-switch").await;
    let title = wait_css(&s, &css("bulk-title")).await.text().await.unwrap();
    assert_eq!(title, "Bulk capture");
    click(&s, "language-switch").await;
    s.end().await;
}
