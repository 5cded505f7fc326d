//! Sync catch-up without a relay: 10,000 payment-status changes are waiting at the gateway
//! (the embedded simulator), and the desk's "sync now" fetches them with the 091
//! difference inquiry, one record per telegram as Paygent answers, until none is left.
//!
//! `cargo run --release -p api --example sync_bench [-- --quick]` (`--quick`: 200 records,
//! only to show it runs). The desk keeps its secrets in the OS keychain, so the benchmark
//! runs itself again inside a private D-Bus session with an unlocked gnome-keyring (the
//! developer's own keychain is never touched), as `bulk_bench` does.
//!
//! The changes are card checkouts made through the simulator's library (`Ledger::
//! card_checkout`, what `POST /control/checkouts/card` runs: the gateway's own 020 with a
//! fresh token), each leaving one notification record (status 20). Only the catch-up is
//! timed. Afterwards the benchmark checks that nothing was lost or applied twice: the
//! gateway has no record left unfetched, and the desk's database has exactly one order and
//! one applied notification per record.
//!
//! The second part measures what confirming pushed records costs (issue 16, point 8: a
//! pushed record is a hint; the desk fetches it from Paygent by id before applying it):
//! with the embedded relay in front of the desk, 2,000 checkouts (100 with `--quick`) are
//! pushed by the simulator through the relay while the desk streams, and the 091 and 094
//! telegrams the desk sent meanwhile are counted per pushed notification.
//!
//! Prints human lines and `METRIC\t<name>\t<value>\t<unit>\t<target>` lines for
//! `cargo xtask bench`.

use std::time::{Duration, Instant};

use api::dto::OrderQuery;
use demo::{DEMO_MERCHANT_ID, Embedded};
use paygent_sim::checkout::{CaptureMode, CardCheckout};
use paygent_sim::ledger::EventDetail;

mod bench_support;

/// The target for 10,000 records. Paygent answers 091 with one record per call and
/// refuses a second caller (9004), so the catch-up is strictly sequential: this measures
/// the per-telegram cost on loopback (a kept-alive mutual-TLS request, Windows-31J decode,
/// one SQLite transaction to apply the record exactly once). 60 s is 6 ms per record: a
/// shop whose computer was off for a busy stretch (the gateway keeps 7 days of records)
/// is current again within one polling interval (`RULES.difference_inquiry_interval`,
/// 60 s) of opening PayDesk, before the real gateway's network latency is added.
const TARGET_SECONDS: u64 = 60;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    bench_support::run_in_private_session();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(bench(if quick { 200 } else { 10_000 }));
    runtime.block_on(pushed(if quick { 100 } else { 2_000 }));
}

/// Telegrams of `kind` the simulator processed.
fn telegrams(embedded: &Embedded, kind: &str) -> usize {
    embedded.simulator().read(|ledger| {
        ledger
            .events
            .iter()
            .filter(|e| matches!(&e.detail, EventDetail::Telegram { kind: k, processed: true, .. } if k == kind))
            .count()
    })
}

/// Pushed notifications through the relay, each confirmed with Paygent before it is
/// applied: the gateway calls that costs.
async fn pushed(n: usize) {
    let (_dir, embedded, desk) = bench_support::desk_on_simulator_with(true).await;
    tokio::spawn(desk.clone().run_sync());
    let connected = Instant::now();
    while !desk.sync_status().await.is_ok_and(|s| s.relay_connected) {
        assert!(
            connected.elapsed() < Duration::from_secs(60),
            "relay not connected"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (before_091, before_094) = (telegrams(&embedded, "091"), telegrams(&embedded, "094"));
    checkouts(&embedded, n);
    let started = Instant::now();
    // The simulator pushes one record per merchant at a time, in order.
    loop {
        embedded.simulator().run_due_work().await;
        let all_pushed = embedded.simulator().read(|ledger| {
            ledger
                .notices
                .get(DEMO_MERCHANT_ID)
                .is_some_and(|n| n.records.iter().all(|r| r.pushed))
        });
        if all_pushed {
            break;
        }
    }
    loop {
        let total = desk
            .list_orders(OrderQuery::default())
            .await
            .expect("the order list")
            .total as usize;
        if total == n {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "{total} of {n} applied"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let (calls_091, calls_094) = (
        telegrams(&embedded, "091") - before_091,
        telegrams(&embedded, "094") - before_094,
    );
    let per = (calls_091 + calls_094) as f64 / n as f64;
    println!(
        "{n} notifications pushed through the relay and applied in {secs:.2} s ({:.0}/s), each confirmed with Paygent first: {calls_091} × 091 by id, {calls_094} × 094",
        n as f64 / secs
    );
    println!(
        "METRIC\textra gateway calls per pushed notification (confirmation)\t{per:.2}\tcalls\t1"
    );
    println!(
        "METRIC\tpushed notifications applied, confirmed with 091 ({n})\t{:.0}\trecords/s\t-",
        n as f64 / secs
    );
}

/// `n` authorize-only card checkouts at the gateway; their payment ids.
fn checkouts(embedded: &Embedded, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let request = CardCheckout {
                merchant_id: DEMO_MERCHANT_ID.into(),
                trading_id: Some(format!("SYNC_{i:05}")),
                amount: 1000 + i as i64,
                card_number: None,
                expiry: None,
                capture_mode: CaptureMode::AuthorizeOnly,
                three_d_secure: false,
                customer_id: None,
                customer_card_id: None,
                holder: None,
            };
            let answer = embedded
                .simulator()
                .update(|ledger, now, rules| ledger.card_checkout(now, rules, &request))
                .expect("a checkout");
            assert_eq!(answer.result, "0", "{answer:?}");
            answer.payment_id.expect("a payment id")
        })
        .collect()
}

/// (records the gateway holds for the shop, of which not yet fetched).
fn gateway_records(embedded: &Embedded) -> (usize, usize) {
    embedded.simulator().read(|ledger| {
        ledger.notices.get(DEMO_MERCHANT_ID).map_or((0, 0), |n| {
            (
                n.records.len(),
                n.records.iter().filter(|r| !r.fetched).count(),
            )
        })
    })
}

async fn bench(n: usize) {
    // No relay URL or token: the desk polls 091 itself.
    let (dir, embedded, desk) = bench_support::desk_on_simulator().await;

    let created = Instant::now();
    let payment_ids = checkouts(&embedded, n);
    let (records, waiting) = gateway_records(&embedded);
    assert_eq!((records, waiting), (n, n), "one 091 record per checkout");
    println!(
        "sync catch-up of {n} records by 091 polling, no relay (embedded simulator, mutual TLS; {n} checkouts made in {:.2} s)",
        created.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let (mut applied, mut new_orders, mut duplicates, mut rounds) = (0u32, 0u32, 0u32, 0u32);
    loop {
        let report = desk.sync_now().await.expect("sync");
        rounds += 1;
        applied += report.applied;
        new_orders += report.created;
        duplicates += report.duplicates;
        if report.applied == 0 {
            break;
        }
        assert!(rounds <= 10, "sync does not finish");
    }
    let elapsed = started.elapsed();

    // Nothing lost, nothing doubled: gateway side, report, and the desk's database.
    assert_eq!(gateway_records(&embedded), (n, 0), "every record fetched");
    assert_eq!(
        (applied, new_orders, duplicates),
        (n as u32, n as u32, 0),
        "the sync reports"
    );
    let page = desk
        .list_orders(OrderQuery::default())
        .await
        .expect("the order list");
    assert_eq!(page.total as usize, n, "orders in the list");
    let db = rusqlite::Connection::open_with_flags(
        dir.path().join("data").join("paydesk.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the desk's database");
    let count = |sql: &str| -> usize {
        db.query_row(sql, [], |r| r.get::<_, i64>(0))
            .expect("a count") as usize
    };
    assert_eq!(count("SELECT COUNT(*) FROM orders"), n, "orders");
    assert_eq!(
        count("SELECT COUNT(*) FROM seen_notifications"),
        n,
        "applied notification records"
    );
    assert_eq!(
        count(
            "SELECT COUNT(DISTINCT payment_id) FROM seen_notifications WHERE order_id IS NOT NULL"
        ),
        n,
        "one record per payment, each on an order"
    );
    let mut stmt = db
        .prepare("SELECT payment_id FROM orders ORDER BY payment_id")
        .expect("a query");
    let stored: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("the orders")
        .collect::<Result<_, _>>()
        .expect("the payment ids");
    let mut expected = payment_ids;
    expected.sort();
    assert_eq!(stored, expected, "an order for exactly each payment");

    let secs = elapsed.as_secs_f64();
    let rate = n as f64 / secs;
    println!(
        "  {n} records applied in {secs:.2} s ({rate:.0} records/s, {:.2} ms per 091), {rounds} sync calls; orders = records = {n}, no duplicates",
        secs * 1000.0 / n as f64
    );
    println!(
        "METRIC\tsync catch-up of {n} 091 records, no relay\t{secs:.2}\ts\t< {TARGET_SECONDS}"
    );
    println!("METRIC\tsync catch-up rate (091, one record per call)\t{rate:.0}\trecords/s\t-");
}
