//! List-page and search timings at 100,000 orders (target: under 20 ms each): the plain
//! lists, the filtered and sorted ones (method, order date, amount, deadline; the
//! bulk-capture list by deadline), and the searches.
//!
//! `cargo run --release -p store --example store_bench [-- --quick]` (`--quick`: 10,000 orders).

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use domain::{CaptureMode, Order, OrderList, PaymentMethod, PaymentStatus, Yen};
use store::{DeadlineFilter, ListQuery, OrderSort, Store, UnprocessedQuery};

const FAMILY: [&str; 10] = [
    "山田", "鈴木", "佐藤", "田中", "高橋", "伊藤", "渡辺", "中村", "小林", "加藤",
];
const GIVEN: [&str; 8] = ["太郎", "花子", "一郎", "由美", "健", "美咲", "翔", "陽子"];
const KANA: [&str; 10] = [
    "ヤマダ",
    "スズキ",
    "サトウ",
    "タナカ",
    "タカハシ",
    "イトウ",
    "ワタナベ",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
];

fn order(n: u64, start: DateTime<Utc>) -> Order {
    let at = start + TimeDelta::minutes(n as i64 * 2);
    let method = if n.is_multiple_of(4) {
        PaymentMethod::Paidy
    } else {
        PaymentMethod::Card
    };
    let status = match n % 10 {
        0..=3 => PaymentStatus::Authorized,
        4..=7 => PaymentStatus::Captured,
        8 => PaymentStatus::Cancelled,
        _ => PaymentStatus::Refunded,
    };
    let amount = Yen(500 + (n as i64 * 37) % 50_000);
    let captured = matches!(status, PaymentStatus::Captured | PaymentStatus::Refunded);
    Order {
        order_number: format!("order{n:07}"),
        payment_id: format!("{:020}", 30_000_000_000u64 + n),
        method,
        capture_mode: CaptureMode::AuthorizeOnly,
        three_d_secure: false,
        amount,
        captured_amount: if captured { amount } else { Yen(0) },
        refunded_amount: if status == PaymentStatus::Refunded {
            amount
        } else {
            Yen(0)
        },
        status,
        ordered_at: at,
        authorized_at: Some(at),
        captured_at: captured.then_some(at),
        list: match n % 7 {
            0..=3 => OrderList::Open,
            4 | 5 => OrderList::Completed,
            _ => OrderList::Cancelled,
        },
        outside_change: false,
        buyer_name: Some(format!(
            "{} {}{}",
            FAMILY[(n % 10) as usize],
            GIVEN[(n / 10 % 8) as usize],
            n % 1000
        )),
        buyer_name_kana: Some(KANA[(n % 10) as usize].to_owned()),
        buyer_email: Some(format!("buyer{n}@example.jp")),
    }
}

fn time(label: &str, runs: u32, mut f: impl FnMut() -> u64) -> Duration {
    let mut samples: Vec<Duration> = Vec::new();
    let mut total = 0;
    for _ in 0..runs {
        let start = Instant::now();
        total = f();
        samples.push(start.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let worst = samples[samples.len() - 1];
    let flag = if median > Duration::from_millis(20) {
        "  <-- over 20 ms"
    } else {
        ""
    };
    println!(
        "{label:<44} median {:>7.2} ms  max {:>7.2} ms  ({total} matching){flag}",
        median.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    median
}

/// One machine-readable figure for `cargo xtask bench`'s table.
fn metric(name: &str, worst_median: Duration) {
    println!(
        "METRIC\t{name}\t{:.2}\tms\t< 20",
        worst_median.as_secs_f64() * 1e3
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let count: u64 = if quick { 10_000 } else { 100_000 };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.db");
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .ok_or("start time")?;
    let mut s = Store::open(&path)?;
    let fill = Instant::now();
    let orders: Vec<Order> = (0..count).map(|n| order(n, start)).collect();
    for chunk in orders.chunks(10_000) {
        s.insert_orders(chunk, start)?;
    }
    println!(
        "filled {count} orders in {:.1} s ({})",
        fill.elapsed().as_secs_f64(),
        path.display()
    );
    drop(s);
    let s = Store::open(&path)?;
    // Half the orders' capture deadlines have passed, so every deadline filter has rows.
    let now = start + domain::RULES.card_authorization_validity + TimeDelta::minutes(count as i64);
    let runs = 21;
    let base = ListQuery::list(OrderList::Open, now);
    let s = &s;
    let run = |label: &str, q: ListQuery| -> Duration {
        time(label, runs, || {
            s.list_orders(&q).map(|p| p.total).unwrap_or(0)
        })
    };
    let list_worst = [
        run("open list, first page", base.clone()),
        run(
            "open list, page 500",
            ListQuery {
                page: 500,
                ..base.clone()
            },
        ),
        run(
            "completed list, first page",
            ListQuery::list(OrderList::Completed, now),
        ),
        run(
            "open list, status = authorized",
            ListQuery {
                statuses: vec![PaymentStatus::Authorized],
                ..base.clone()
            },
        ),
        run(
            "open list, deadline near",
            ListQuery {
                deadline: Some(DeadlineFilter::Near),
                ..base.clone()
            },
        ),
        run(
            "open list, deadline lapsed",
            ListQuery {
                deadline: Some(DeadlineFilter::Lapsed),
                ..base.clone()
            },
        ),
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    // Issue 15, point 10: the method and order-date filters and the sorts, in one list and
    // across all three, and the bulk-capture list (most urgent deadline first).
    let month_from = start + TimeDelta::days(30);
    let month_until = start + TimeDelta::days(60);
    let sorted = |sort: OrderSort| ListQuery {
        sort: Some(sort),
        ..base.clone()
    };
    let sorted_worst = [
        run(
            "open list, amount high first",
            sorted(OrderSort::AmountHigh),
        ),
        run(
            "open list, amount low first, page 500",
            ListQuery {
                page: 500,
                ..sorted(OrderSort::AmountLow)
            },
        ),
        run("open list, by deadline", sorted(OrderSort::Deadline)),
        run(
            "open list, by deadline, page 500",
            ListQuery {
                page: 500,
                ..sorted(OrderSort::Deadline)
            },
        ),
        run(
            "open list, Paidy, one month, oldest first",
            ListQuery {
                method: Some(PaymentMethod::Paidy),
                ordered_from: Some(month_from),
                ordered_until: Some(month_until),
                ..sorted(OrderSort::Oldest)
            },
        ),
        run(
            "open list, card, one month, amount high first",
            ListQuery {
                method: Some(PaymentMethod::Card),
                ordered_from: Some(month_from),
                ordered_until: Some(month_until),
                ..sorted(OrderSort::AmountHigh)
            },
        ),
        run(
            "open list, one month, by deadline",
            ListQuery {
                ordered_from: Some(month_from),
                ordered_until: Some(month_until),
                ..sorted(OrderSort::Deadline)
            },
        ),
        run(
            "all lists, Paidy, by deadline",
            ListQuery {
                list: None,
                method: Some(PaymentMethod::Paidy),
                ..sorted(OrderSort::Deadline)
            },
        ),
        run(
            "all lists, by deadline, page 1,600 (no deadline)",
            ListQuery {
                list: None,
                page: 1_600,
                ..sorted(OrderSort::Deadline)
            },
        ),
        run(
            "all lists, amount low first",
            ListQuery {
                list: None,
                ..sorted(OrderSort::AmountLow)
            },
        ),
        time("bulk-capture list, by deadline", runs, || {
            s.unprocessed_list(&UnprocessedQuery::new(now))
                .map(|p| p.total)
                .unwrap_or(0)
        }),
        time("bulk-capture list, by deadline, page 100", runs, || {
            s.unprocessed_list(&UnprocessedQuery {
                page: 100,
                ..UnprocessedQuery::new(now)
            })
            .map(|p| p.total)
            .unwrap_or(0)
        }),
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    time("home: count near deadline", runs, || {
        s.count_near_deadline(now).unwrap_or(0)
    });
    let search = |text: &str| ListQuery {
        list: None,
        search: Some(text.into()),
        ..base.clone()
    };
    let search_worst = [
        run(
            "search transaction ID (full)",
            search(&format!("{:020}", 30_000_000_000u64 + count / 2)),
        ),
        run(
            "search order number",
            search(&format!("order{:07}", count / 3)),
        ),
        run("search buyer family name (2 chars)", search("山田")),
        run("search buyer name substring (trigram)", search("花子15")),
        run("search kana prefix", search("タカハシ")),
        run("search amount", search("¥4,200")),
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    metric(
        &format!("order list page at {count} orders (worst median)"),
        list_worst,
    );
    metric(
        &format!("order search at {count} orders (worst median)"),
        search_worst,
    );
    metric(
        &format!("order list page filtered and sorted at {count} orders (worst median)"),
        sorted_worst,
    );
    Ok(())
}
