//! kill -9 of the real `paydesk-relay` process during a burst of notifications.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use relay::{client::DesktopClient, secret::HashKey, store};
use tokio::sync::Notify;

use crate::support::{KEY_A, all_events, notice_ids, notification, start_time};

/// Starts the binary on 127.0.0.1:0 and reads the address it prints.
fn spawn_relay(config: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paydesk-relay"))
        .args(["serve", "--config"])
        .arg(config)
        .env("PAYDESK_RELAY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("address");
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_notification_answered_result_0_survives_kill_9() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("relay.db");
    let config = dir.path().join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = {:?}\n",
            db.display().to_string()
        ),
    )
    .expect("config");
    store::add_shop(&db, "shop-a", &HashKey::new(KEY_A), &[], start_time()).expect("shop");

    let (mut child, addr) = spawn_relay(&config);
    let acked = Arc::new(Mutex::new(Vec::<u64>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    const SENDERS: u64 = 32;
    const PER_SENDER: u64 = 400;
    const KILL_AFTER: usize = 1500;
    let finished = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let (acked, count, enough) = (acked.clone(), count.clone(), enough.clone());
        let finished = finished.clone();
        tasks.push(tokio::spawn(async move {
            let send_all = async {
                let http = reqwest::Client::new();
                for n in 0..PER_SENDER {
                    let id = 1 + sender + n * SENDERS;
                    let sent = http
                        .post(format!("http://{addr}/paygent/shop-a/notify"))
                        .body(notification(id, KEY_A))
                        .send()
                        .await;
                    let Ok(response) = sent else { return };
                    let Ok(text) = response.text().await else {
                        return;
                    };
                    if text == "result=0" {
                        acked.lock().expect("lock").push(id);
                        if count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                            enough.notify_one();
                        }
                    }
                }
            };
            send_all.await;
            // Senders that all stopped early (the relay refused them) end the wait too, so
            // the test fails on the count below instead of waiting forever.
            if finished.fetch_add(1, Ordering::SeqCst) + 1 == SENDERS as usize {
                enough.notify_one();
            }
        }));
    }
    enough.notified().await;
    child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    child.wait().expect("reaped");
    for task in tasks {
        task.await.expect("sender");
    }
    let acked = acked.lock().expect("lock").clone();
    let total = (SENDERS * PER_SENDER) as usize;
    assert!(
        acked.len() >= KILL_AFTER,
        "the senders stopped after {} acknowledged notifications",
        acked.len()
    );
    assert!(acked.len() < total, "the kill landed mid-burst");

    // Restart on the same database and read everything back.
    let (mut child, addr) = spawn_relay(&config);
    let (_, token) = store::add_desktop(&db, "shop-a", "check", start_time()).expect("desktop");
    let client = DesktopClient::new(&format!("http://{addr}"), token.expose());
    let stored = notice_ids(&all_events(&client).await);
    let stored_set: std::collections::HashSet<u64> = stored.iter().copied().collect();
    assert_eq!(stored.len(), stored_set.len(), "each record stored once");
    let lost: Vec<u64> = acked
        .iter()
        .copied()
        .filter(|id| !stored_set.contains(id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    child.kill().expect("stop");
    child.wait().expect("reaped");
}
