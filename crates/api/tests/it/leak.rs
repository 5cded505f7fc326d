//! The secret-leak check: a full scenario with sentinel secrets, then a scan of every
//! place a secret could end up.
//!
//! Layout: [`no_secret_leaks_from_a_full_scenario`] runs two child processes of this test
//! binary. The scenario child installs a TRACE-level log subscriber writing into a buffer
//! (before anything else logs), then saves credentials, tests the Paygent, relay and SMTP
//! connections, syncs through the embedded relay, performs operations (a success, a
//! refusal by the gateway, an outcome settled by inquiry after a dropped answer, an entry
//! left open by a crash and settled at restart), exports CSV, and finally scans: the
//! captured logs, every file of the desktop data dir (SQLite database with its WAL and
//! SHM files, the exported CSV), the relay's storage, and the JSON of every DTO and
//! every event the desk pushed toward the UI. The crash child stores sentinel credentials,
//! runs an operation with them and panics there, printing the desk, the settings and the
//! credentials with `{:?}` and a backtrace; the parent scans its stdout and stderr.
//!
//! What is not scanned, and why: the simulator's state is Paygent's own store (it holds
//! the shop's connect password and hash key by definition; this scenario does not even
//! persist it). The relay's database legitimately holds the shop's hash key in clear (it
//! verifies each notification's `hc` with it, see crates/relay/README.md), so there the
//! hash key is allowed and only the desktop-side secrets (connect password, certificate
//! passphrase, relay token in clear, SMTP password) must be absent.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use api::dto::subscriptions::SmtpSettingsInput;
use api::dto::{
    CredentialsInput, OperationKindCode, OperationOutcomeCode, OperationRequest, OrderQuery,
};
use mail::testing::{Mode, TestSmtp};
use serde_json::{Value, json};

use crate::harness::{Harness, Options, SENTINEL_HASH_KEY, SENTINEL_PASSWORD, dto_log, keep};

const CHILD: &str = "PAYDESK_LEAK_CHILD";
const SMTP_PASSWORD: &str = "SENTINEL-smtp-pw-0d41b7";
/// The crash child's own sentinels (the scenario uses the embedded servers' real
/// passphrase and relay token, which are as secret).
const CRASH_PASSPHRASE: &str = "SENTINEL-passphrase-9e02aa";
const CRASH_RELAY_TOKEN: &str = "pdr_1_SENTINELrelaytoken4c8d2f0b7a61e95d3c";
const TEST: &str = "leak::no_secret_leaks_from_a_full_scenario";

#[test]
fn no_secret_leaks_from_a_full_scenario() {
    match std::env::var(CHILD).as_deref() {
        Ok("scenario") => return scenario_child(),
        Ok("crash") => return crash_child(),
        _ => {}
    }
    let scenario = child("scenario");
    assert!(
        scenario.status.success(),
        "the leak scenario failed:\n{}",
        String::from_utf8_lossy(&scenario.stderr)
    );

    let crash = child("crash");
    let mut output = crash.stdout.clone();
    output.extend_from_slice(&crash.stderr);
    let text = String::from_utf8_lossy(&output);
    assert!(
        !crash.status.success(),
        "the crash child must crash: {text}"
    );
    assert!(
        text.contains("crash inside an operation"),
        "the crash child crashed elsewhere: {text}"
    );
    let found = scan(
        "crash output",
        &output,
        &[
            ("connect password", SENTINEL_PASSWORD),
            ("hash key", SENTINEL_HASH_KEY),
            ("certificate passphrase", CRASH_PASSPHRASE),
            ("relay token", CRASH_RELAY_TOKEN),
            ("SMTP password", SMTP_PASSWORD),
        ],
    );
    assert!(
        found.is_empty(),
        "secrets in the crash output:\n{}",
        found.join("\n")
    );
}

fn child(which: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, which)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

// --- Scanning ----------------------------------------------------------------------------

/// Where each secret occurs in `bytes`: "label line N (byte B): name".
fn scan(label: &str, bytes: &[u8], secrets: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, secret) in secrets {
        assert!(secret.len() >= 12, "{name} is too short to scan for");
        let needle = secret.as_bytes();
        let mut from = 0;
        while let Some(at) = bytes[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
        {
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            found.push(format!("{label} line {line} (byte {at}): {name}"));
            from = at + 1;
        }
    }
    found
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

// --- The scenario ------------------------------------------------------------------------

fn trace_log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| Mutex::new(Vec::new()))
}

struct TraceWriter;

impl std::io::Write for TraceWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        trace_log().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn scenario_child() {
    // Before the harness: its own (DEBUG) subscriber then finds this one in place.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(|| TraceWriter)
        .with_ansi(false)
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(scenario());
}

async fn operation(
    desk: &api::Desk,
    id: i64,
    kind: OperationKindCode,
    amount: Option<i64>,
) -> Result<api::dto::OperationResult, api::AppError> {
    let result = desk
        .perform_operation(
            id,
            OperationRequest {
                kind,
                amount_yen: amount,
            },
        )
        .await;
    match &result {
        Ok(r) => keep(r),
        Err(e) => keep(e),
    }
    result
}

async fn fault(h: &Harness, kind: &str, fault: Value) {
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": kind, "fault": fault, "times": 1}),
    )
    .await;
}

async fn scenario() {
    let h = Harness::start(
        "leak",
        Options {
            relay: true,
            run_sync: true,
        },
    )
    .await;
    let credentials = h.embedded.credentials();
    let passphrase = credentials.client_certificate_passphrase.clone().unwrap();
    let relay_token = credentials.relay_token.clone().unwrap();

    // Credentials and settings, saved again the way the settings screen does it.
    keep(&h.desk.save_settings(h.embedded.settings()).await.unwrap());
    keep(&h.desk.save_credentials(credentials).await.unwrap());
    let test = h.desk.test_connection().await.unwrap();
    keep(&test);
    assert!(test.ok, "{test:?}");
    assert!(test.relay.as_ref().is_some_and(|r| r.ok), "{test:?}");
    keep(&h.desk.get_settings().await.unwrap());

    // The setup guide's path (issue 15): the same secrets typed into its steps, a refused
    // SMTP password among them.
    let mut guide_credentials = h.embedded.credentials();
    guide_credentials.relay_token = None;
    guide_credentials.hash_key = None;
    let gateway = h
        .desk
        .guide_gateway(api::dto::ConnectionTestInput {
            settings: api::dto::SettingsInput {
                relay_url: None,
                ..h.embedded.settings()
            },
            credentials: guide_credentials,
        })
        .await
        .unwrap();
    keep(&gateway);
    assert!(gateway.test.ok, "{gateway:?}");
    let relay = h
        .desk
        .guide_notifications(api::dto::guide::GuideNotificationsInput {
            use_relay: true,
            relay_url: h.embedded.settings().relay_url,
            relay_token: Some(relay_token.clone()),
            hash_key: Some(SENTINEL_HASH_KEY.into()),
        })
        .await
        .unwrap();
    keep(&relay);
    assert!(relay.relay.as_ref().is_some_and(|r| r.ok), "{relay:?}");
    let refusing = TestSmtp::start(Mode::RequireAuth("shop", "not-the-sentinel")).await;
    let guide_mail = h
        .desk
        .guide_mail(Some(SmtpSettingsInput {
            host: Some(refusing.addr.ip().to_string()),
            port: Some(refusing.addr.port()),
            security: Some("plain".into()),
            username: Some("shop".into()),
            password: Some(SMTP_PASSWORD.into()),
            from_address: Some("shop@example.jp".into()),
            ..SmtpSettingsInput::default()
        }))
        .await
        .unwrap();
    keep(&guide_mail);
    assert!(
        guide_mail.test.as_ref().is_some_and(|t| !t.ok),
        "{guide_mail:?}"
    );
    keep(&h.desk.setup_guide().await.unwrap());

    // SMTP: the password goes to a server that refuses it.
    let smtp = TestSmtp::start(Mode::RequireAuth("shop", "not-the-sentinel")).await;
    let saved = h
        .desk
        .save_smtp_settings(SmtpSettingsInput {
            host: Some(smtp.addr.ip().to_string()),
            port: Some(smtp.addr.port()),
            security: Some("plain".into()),
            username: Some("shop".into()),
            password: Some(SMTP_PASSWORD.into()),
            from_address: Some("shop@example.jp".into()),
            ..SmtpSettingsInput::default()
        })
        .await
        .unwrap();
    keep(&saved);
    let smtp_test = h.desk.test_smtp(None).await.unwrap();
    keep(&smtp_test);
    assert!(!smtp_test.ok, "{smtp_test:?}");

    // Orders through the relay.
    let card = h
        .card_checkout("ORDER_LEAK1", 3200, "authorize_only", false)
        .await;
    let refused = h
        .card_checkout("ORDER_LEAK2", 1800, "authorize_only", false)
        .await;
    let dropped = h
        .card_checkout("ORDER_LEAK3", 2100, "authorize_only", false)
        .await;
    let paidy = h.paidy_checkout("ORDER_LEAK4", 4000).await;
    h.tick().await;
    let mut ids = Vec::new();
    for payment in [&card, &refused, &dropped, &paidy] {
        let order = h
            .wait_until("the order from the relay", || async {
                h.order_of(payment).await
            })
            .await;
        ids.push(order.summary.id);
    }

    // A success, a refusal by the gateway, and an answer lost after the commit.
    let captured = operation(&h.desk, ids[0], OperationKindCode::Capture, None)
        .await
        .unwrap();
    assert_eq!(captured.outcome, OperationOutcomeCode::Succeeded);
    operation(&h.desk, ids[0], OperationKindCode::PartialRefund, Some(700))
        .await
        .unwrap();
    fault(&h, "022", json!({"response_code": "1C01"})).await;
    let refusal = operation(&h.desk, ids[1], OperationKindCode::Capture, None)
        .await
        .unwrap();
    assert_eq!(refusal.outcome, OperationOutcomeCode::Failed, "{refusal:?}");
    assert_eq!(refusal.error.as_ref().unwrap().code, "1C01", "{refusal:?}");
    fault(&h, "021", json!("commit_then_drop")).await;
    let settled = operation(&h.desk, ids[2], OperationKindCode::Cancel, None)
        .await
        .unwrap();
    assert_eq!(settled.outcome, OperationOutcomeCode::Succeeded);
    operation(&h.desk, ids[3], OperationKindCode::Capture, None)
        .await
        .unwrap();

    // An entry a crash left open (long enough ago to be out of flight), settled at the
    // next start.
    {
        let mut store = store::Store::open(h.data_dir().join("paydesk.sqlite3")).unwrap();
        let now = chrono::Utc::now() - chrono::TimeDelta::minutes(10);
        let order = store.get_order(domain::OrderId(ids[1])).unwrap().unwrap();
        let plan = domain::check(&order, &domain::Operation::Capture, now, &domain::RULES).unwrap();
        let key = store
            .journal_begin(
                domain::OrderId(ids[1]),
                &domain::Operation::Capture,
                &plan,
                now,
            )
            .unwrap();
        store.journal_mark_sent(&key, now).unwrap();
    }
    let restarted = h.reopen().await;
    let unknown_settled = restarted.get_order(ids[1]).await.unwrap();
    keep(&unknown_settled);
    assert!(unknown_settled.pending_operation.is_none());

    // Everything the screens show.
    h.tick().await;
    h.sync().await;
    keep(&h.desk.sync_status().await.unwrap());
    keep(&h.desk.home_summary().await.unwrap());
    keep(&h.desk.smtp_settings().await.unwrap());
    keep(&h.desk.app_info());
    keep(&h.desk.keychain_status());
    keep(&h.desk.list_orders(OrderQuery::default()).await.unwrap());
    for id in &ids {
        keep(&h.desk.get_order(*id).await.unwrap());
    }
    let export = h.data_dir().join("export.csv");
    keep(
        &h.desk
            .export_orders_csv(export.display().to_string(), OrderQuery::default())
            .await
            .unwrap(),
    );
    assert!(export.exists());
    drop(restarted);

    // --- The scan --------------------------------------------------------------------------
    let desktop_secrets = [
        ("connect password", SENTINEL_PASSWORD),
        ("certificate passphrase", passphrase.as_str()),
        ("relay token", relay_token.as_str()),
        ("SMTP password", SMTP_PASSWORD),
    ];
    let mut all_secrets = desktop_secrets.to_vec();
    all_secrets.push(("hash key", SENTINEL_HASH_KEY));
    let mut found = Vec::new();

    let logs = trace_log().lock().unwrap().clone();
    assert!(
        String::from_utf8_lossy(&logs).contains("TRACE"),
        "the logs were not captured at TRACE level"
    );
    found.extend(scan("logs", &logs, &all_secrets));

    let data_files = files_under(&h.data_dir());
    let names: Vec<String> = data_files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n == "paydesk.sqlite3"), "{names:?}");
    for file in &data_files {
        let label = file.display().to_string();
        found.extend(scan(&label, &std::fs::read(file).unwrap(), &all_secrets));
    }

    let servers = h.dir.path().join("servers");
    let mut relay_files = 0;
    for file in files_under(&servers) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("demo-simulator") {
            continue; // Paygent's own store (not persisted here anyway).
        }
        let secrets: &[(&str, &str)] = if name.starts_with("demo-relay.sqlite3") {
            relay_files += 1;
            // The relay needs the hash key to verify hc; the rest must not be there.
            &desktop_secrets
        } else {
            &all_secrets
        };
        let label = file.display().to_string();
        found.extend(scan(&label, &std::fs::read(&file).unwrap(), secrets));
    }
    assert!(relay_files > 0, "the relay's database was not found");
    // A positive control: the scan does see the hash key the relay keeps on purpose, so
    // it reads SQLite pages and WAL frames, and an absence above means something.
    let relay_hash_keys: usize = files_under(&servers)
        .iter()
        .filter(|f| f.to_string_lossy().contains("demo-relay.sqlite3"))
        .map(|f| {
            scan(
                "relay",
                &std::fs::read(f).unwrap(),
                &[("hash key", SENTINEL_HASH_KEY)],
            )
            .len()
        })
        .sum();
    assert!(
        relay_hash_keys > 0,
        "the scan did not find the hash key the relay stores"
    );

    let mut ipc = dto_log().lock().unwrap().clone();
    for event in h.events.seen.lock().unwrap().iter() {
        ipc.push(serde_json::to_string(event).unwrap());
    }
    assert!(
        ipc.len() > 20,
        "too few DTOs and events collected: {}",
        ipc.len()
    );
    found.extend(scan(
        "IPC payloads (one per line)",
        ipc.join("\n").as_bytes(),
        &all_secrets,
    ));

    assert!(found.is_empty(), "secrets found:\n{}", found.join("\n"));
    std::io::stderr()
        .write_all(
            format!(
                "leak scan: {} log bytes, {} data files, {relay_files} relay files, {} IPC payloads: clean\n",
                logs.len(),
                data_files.len(),
                ipc.len()
            )
            .as_bytes(),
        )
        .unwrap();
}

// --- The crash ---------------------------------------------------------------------------

fn crash_child() {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(crash());
}

async fn crash() {
    let h = Harness::quiet("leak_crash").await;
    let input = CredentialsInput {
        connect_password: Some(SENTINEL_PASSWORD.into()),
        client_certificate_passphrase: Some(CRASH_PASSPHRASE.into()),
        hash_key: Some(SENTINEL_HASH_KEY.into()),
        relay_token: Some(CRASH_RELAY_TOKEN.into()),
        ..h.embedded.credentials()
    };
    let settings = h.desk.save_credentials(input.clone()).await.unwrap();
    let smtp = h
        .desk
        .save_smtp_settings(SmtpSettingsInput {
            host: Some("127.0.0.1".into()),
            password: Some(SMTP_PASSWORD.into()),
            from_address: Some("shop@example.jp".into()),
            ..SmtpSettingsInput::default()
        })
        .await
        .unwrap();
    let payment = h
        .card_checkout("ORDER_CRASH", 1000, "authorize_only", false)
        .await;
    // The passphrase is wrong for the embedded certificate: the operation fails inside.
    let synced = h.desk.sync_now().await;
    let order = h.order_of(&payment).await;
    let result = match &order {
        Some(o) => Some(
            h.desk
                .perform_operation(
                    o.summary.id,
                    OperationRequest {
                        kind: OperationKindCode::Capture,
                        amount_yen: None,
                    },
                )
                .await,
        ),
        None => None,
    };
    panic!(
        "crash inside an operation: desk {:?}\ninput {input:?}\nsettings {settings:?}\nsmtp {smtp:?}\nsync {synced:?}\nresult {result:?}\nembedded {:?}",
        h.desk, h.embedded
    );
}
