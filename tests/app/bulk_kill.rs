//! Crash safety of bulk capture with the real binary: `paydesk bulk capture --all` runs
//! against a simulator in this test process (every capture answering slowly), is killed
//! with SIGKILL mid-run, and the next start (`paydesk bulk log`) settles the run by 094
//! inquiry (the captures the gateway still held land after the kill and are found done). The simulator's event log then shows that no order was captured twice, and
//! the log agrees with the gateway order by order. A last run captures what was left.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use api::dto::CredentialsInput;
use api::{Build, Desk, DeskConfig};
use demo::{DEMO_MERCHANT_ID, Embedded, EmbeddedOptions};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::control::Control;

/// Three rounds at the default concurrency (10): the kill comes in the second round, whose
/// captures still land at the gateway; the third round is never sent.
const ORDERS: usize = 30;
/// Every capture answers after this long, so the run is still going when it is killed.
const LATENCY_MS: u64 = 1500;
const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

/// The app's identifier (tauri.conf.json): the binary's keychain namespace, test build.
const IDENTIFIER: &str = "jp.paydesk.desk";

fn paydesk(data_dir: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paydesk"));
    command
        .args(args)
        .env("PAYDESK_TEST", "1")
        .env("PAYDESK_DATA_DIR", data_dir)
        .env("LANG", "en_US.UTF-8")
        // The test build's in-flight window: longer than the gateway holds a capture
        // (LATENCY_MS), far shorter than the two minutes of the rules table.
        .env("PAYDESK_IN_FLIGHT_WINDOW_SECS", "5")
        .env_remove("PAYDESK_DEMO");
    command
}

fn json_of(output: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Processed 022 telegrams per payment, from the simulator's event log.
async fn captures(control: &Control) -> std::collections::HashMap<String, usize> {
    let events = control.get("/control/events?after=0&limit=100000").await;
    let mut by_payment = std::collections::HashMap::new();
    for e in events["events"].as_array().unwrap() {
        if e["type"] == "telegram" && e["kind"] == "022" && e["processed"] == true {
            *by_payment
                .entry(e["payment_id"].as_str().unwrap_or_default().to_owned())
                .or_insert(0) += 1;
        }
    }
    by_payment
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_bulk_capture_run_never_captures_twice_and_the_next_start_finishes_its_log() {
    let _turn = crate::driver::take_turn().await;
    let dir = std::env::temp_dir().join(format!("paydesk-bulk-kill-{}", std::process::id()));
    let data_dir = dir.join("data");
    let embedded = Embedded::start(
        &dir.join("servers"),
        EmbeddedOptions {
            tick_interval: None,
            relay: false,
            persist: false,
            ..EmbeddedOptions::default()
        },
    )
    .await
    .unwrap();
    let control = Control::new(&embedded.status().control_url);

    // The shop's settings and credentials, as the app keeps them (keychain: test build),
    // and the authorized orders taken in.
    let mut config = DeskConfig::new(IDENTIFIER, "0.0.0", Build::Test, data_dir.clone());
    config.clock = embedded.clock();
    config.events = Arc::new(api::NoEvents);
    let desk = Desk::open(config).await.unwrap();
    desk.save_settings(embedded.settings()).await.unwrap();
    desk.save_credentials(embedded.credentials()).await.unwrap();
    let mut payments = Vec::new();
    for i in 1..=ORDERS {
        let r = control
            .post(
                "/control/checkouts/card",
                json!({
                    "merchant_id": DEMO_MERCHANT_ID,
                    "trading_id": format!("KILL_{i:02}"),
                    "amount": 2000 + i,
                    "card_number": "4900000000000000",
                    "expiry": "1239",
                    "capture_mode": "authorize_only",
                    "three_d_secure": false,
                }),
            )
            .await;
        payments.push(r["payment_id"].as_str().unwrap().to_owned());
    }
    desk.sync_now().await.unwrap();
    drop(desk);

    // Slow captures; run them through the real binary and kill it once some are done.
    control
        .post(
            "/control/faults",
            json!({"telegram_kind": "022", "fault": {"latency_ms": LATENCY_MS}}),
        )
        .await;
    let mut child = paydesk(&data_dir, &["bulk", "capture", "--all", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let done: usize = captures(&control).await.values().sum();
        if done >= 4 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was killed"
        );
        assert!(tokio::time::Instant::now() < deadline, "no capture arrived");
        tokio::time::sleep(POLL).await;
    }
    child.kill().await.unwrap(); // SIGKILL: no clean shutdown.
    let at_kill: usize = captures(&control).await.values().sum();
    assert!(at_kill < ORDERS, "killed mid-run ({at_kill} captured)");
    control.delete("/control/faults").await;

    // The next start settles the run by inquiry and finishes its log. The captures the
    // gateway still held at the kill land after it (as on Paygent): until the in-flight
    // window has passed, a start that finds one not yet landed leaves it open.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let log = loop {
        let log = paydesk(&data_dir, &["bulk", "log", "--json"])
            .output()
            .await
            .unwrap();
        assert!(log.status.success(), "{log:?}");
        let log = json_of(&log);
        if log["runs"][0]["status"] == "settled" {
            break log;
        }
        assert!(
            log["runs"][0]["status"] == "interrupted" && tokio::time::Instant::now() < deadline,
            "{log}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let run = &log["runs"][0];
    assert_eq!(run["status"], "settled", "{run}");
    assert_eq!(run["progress"]["open"], 0, "{run}");
    assert!(run["finished_at"].is_string());
    let run_id = run["run_id"].as_i64().unwrap().to_string();
    let detail = paydesk(&data_dir, &["bulk", "log", "--run", &run_id, "--json"])
        .output()
        .await
        .unwrap();
    let detail = json_of(&detail);
    let items = detail["items"].as_array().unwrap();
    assert_eq!(items.len(), ORDERS);

    let sent = captures(&control).await;
    let mut interrupted = 0;
    for item in items {
        let payment = item["transaction_id"].as_str().unwrap();
        let gateway = control.get(&format!("/control/payments/{payment}")).await;
        let times = sent.get(payment).copied().unwrap_or(0);
        assert!(times <= 1, "{payment} captured {times} times");
        match item["status"].as_str().unwrap() {
            "succeeded" => {
                assert_eq!(gateway["status"], "40", "{item}");
                assert_eq!(item["line"]["en"], "Bulk capture: completed normally");
            }
            "skipped" => {
                assert_eq!(gateway["status"], "20", "{item}");
                assert_eq!(item["skip_reason"], "interrupted");
                interrupted += 1;
            }
            other => panic!("{payment} left {other}: {item}"),
        }
        // Exactly one line about the run in the order's history, and no open operation.
        let order_id = item["order_id"].as_i64().unwrap().to_string();
        let order = paydesk(&data_dir, &["orders", "show", &order_id, "--json"])
            .output()
            .await
            .unwrap();
        let order = json_of(&order);
        let lines = order["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| {
                h["text"]["en"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("Bulk capture")
            })
            .count();
        assert_eq!(lines, 1, "{order}");
        assert!(order["pending_operation"].is_null(), "{order}");
    }
    assert!(interrupted > 0, "the kill interrupted the run");

    // What was not captured stayed in the unprocessed list: a new run captures it, once.
    let again = paydesk(&data_dir, &["bulk", "capture", "--all", "--json"])
        .output()
        .await
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let sent = captures(&control).await;
    for payment in &payments {
        assert_eq!(sent.get(payment).copied(), Some(1), "{payment}");
        let gateway = control.get(&format!("/control/payments/{payment}")).await;
        assert_eq!(gateway["status"], "40");
    }

    // Leave the test build's keychain as it was.
    let desk = Desk::open(DeskConfig::new(IDENTIFIER, "0.0.0", Build::Test, data_dir))
        .await
        .unwrap();
    let clear = || Some(String::new());
    desk.save_credentials(CredentialsInput {
        merchant_id: clear(),
        connect_id: clear(),
        connect_password: clear(),
        client_certificate_path: clear(),
        client_certificate_passphrase: clear(),
        hash_key: clear(),
        relay_token: clear(),
    })
    .await
    .unwrap();
    drop(embedded);
    let _ = std::fs::remove_dir_all(&dir);
}
