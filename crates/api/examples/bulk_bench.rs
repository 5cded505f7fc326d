//! Bulk capture's wall time: 50 authorize-only orders captured in one run against the
//! embedded simulator, with every capture telegram (022) answering after 300 ms, at
//! concurrency 1 and at the default (`RULES.bulk_capture_concurrency`), plus a sweep that
//! shows where the default comes from.
//!
//! `cargo run --release -p api --example bulk_bench [-- --quick]` (`--quick`: 10 orders at
//! 30 ms, only to show it runs). The desk keeps its secrets in the OS keychain, so the
//! benchmark runs itself again inside a private D-Bus session with an unlocked
//! gnome-keyring (the developer's own keychain is never touched).
//!
//! Prints human lines and `METRIC\t<name>\t<value>\t<unit>\t<target>` lines for
//! `cargo xtask bench`.

use std::time::{Duration, Instant};

use api::Desk;
use api::dto::bulk::{BulkItemStatusCode, UnprocessedQuery};
use demo::{DEMO_MERCHANT_ID, Embedded};
use domain::RULES;
use serde_json::{Value, json};

mod bench_support;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    bench_support::run_in_private_session();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(bench(quick));
}

struct World {
    _dir: tempfile::TempDir,
    embedded: Embedded,
    desk: Desk,
    http: reqwest::Client,
    next_order: usize,
}

impl World {
    async fn start() -> World {
        let (dir, embedded, desk) = bench_support::desk_on_simulator().await;
        World {
            _dir: dir,
            embedded,
            desk,
            http: reqwest::Client::new(),
            next_order: 0,
        }
    }

    async fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.embedded.status().control_url);
        let request = match method {
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let response = request.send().await.expect("the control API");
        assert!(response.status().is_success(), "{method} {path}");
        response.json().await.unwrap_or(Value::Null)
    }

    /// `n` new authorize-only card orders, synced; their ids.
    async fn orders(&mut self, n: usize) -> Vec<i64> {
        for _ in 0..n {
            self.next_order += 1;
            let answer = self
                .control(
                    "POST",
                    "/control/checkouts/card",
                    json!({
                        "merchant_id": DEMO_MERCHANT_ID,
                        "trading_id": format!("BENCH_{:04}", self.next_order),
                        "amount": 1000 + self.next_order,
                        "card_number": "4900000000000000",
                        "expiry": "1239",
                        "capture_mode": "authorize_only",
                        "three_d_secure": false,
                    }),
                )
                .await;
            assert_eq!(answer["result"], "0", "{answer}");
        }
        self.desk.sync_now().await.expect("sync");
        let selection = self
            .desk
            .bulk_select_all(UnprocessedQuery::default())
            .await
            .expect("select all");
        assert_eq!(selection.order_ids.len(), n);
        selection.order_ids
    }

    /// One run of `n` orders at `concurrency` with every 022 answering after `latency`.
    async fn run(&mut self, n: usize, concurrency: usize, latency: Duration) -> Duration {
        let ids = self.orders(n).await;
        self.control(
            "POST",
            "/control/faults",
            json!({"telegram_kind": "022", "fault": {"latency_ms": latency.as_millis() as u64}}),
        )
        .await;
        let started = Instant::now();
        let run = self
            .desk
            .bulk_capture_with(ids, true, concurrency)
            .await
            .expect("the run");
        let elapsed = started.elapsed();
        self.control("DELETE", "/control/faults", Value::Null).await;
        let captured = run
            .items
            .iter()
            .filter(|i| i.status == BulkItemStatusCode::Succeeded)
            .count();
        assert_eq!(captured, n, "every order captured");
        elapsed
    }
}

async fn bench(quick: bool) {
    let (n, latency) = if quick {
        (10, Duration::from_millis(30))
    } else {
        (RULES.bulk_capture_max_orders, Duration::from_millis(300))
    };
    let default = RULES.bulk_capture_concurrency;
    let mut world = World::start().await;
    let ms = latency.as_millis();
    println!(
        "bulk capture of {n} orders, every 022 answering after {ms} ms (embedded simulator, mutual TLS)"
    );
    let mut sweep = vec![1, 2, 4, 8, default, 16];
    if quick {
        sweep = vec![1, default];
    }
    sweep.sort_unstable();
    sweep.dedup();
    let mut figures = Vec::new();
    for concurrency in sweep {
        let elapsed = world.run(n, concurrency, latency).await;
        println!(
            "  concurrency {concurrency:>2}: {:>6.2} s{}",
            elapsed.as_secs_f64(),
            if concurrency == default {
                "  (default)"
            } else {
                ""
            }
        );
        figures.push((concurrency, elapsed));
    }
    for (concurrency, elapsed) in figures {
        let secs = format!("{:.2}", elapsed.as_secs_f64());
        if concurrency == 1 {
            println!("METRIC\tbulk capture of {n} at {ms} ms, concurrency 1\t{secs}\ts\t-");
        } else if concurrency == default {
            println!(
                "METRIC\tbulk capture of {n} at {ms} ms, default concurrency ({default})\t{secs}\ts\t< 3"
            );
        }
    }
}
