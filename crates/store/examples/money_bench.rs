//! Money in (issue 21) at 100,000 orders over a year: sales per Japan day over the whole
//! year (target: under 50 ms) and one month's journal export in each accounting format
//! (target: under 500 ms). Each order is captured; one in eight is refunded in full, one
//! in eight partly, the next day.
//!
//! `cargo run --release -p store --example money_bench [-- --quick]` (`--quick`: 10,000).

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeDelta, Utc};
use domain::accounting::{AccountNames, AccountingFormat, export, journal_entries};
use domain::money::{Period, next_month, tokyo_day_start};
use domain::{CaptureMode, Order, OrderList, PaymentMethod, PaymentStatus, Yen};
use store::Store;

fn order(n: u64, at: chrono::DateTime<Utc>) -> Order {
    let amount = Yen(500 + (n as i64 * 37) % 50_000);
    let refunded = match n % 8 {
        0 => amount,
        1 => Yen(amount.0 / 3),
        _ => Yen(0),
    };
    Order {
        order_number: format!("order{n:07}"),
        payment_id: format!("{:020}", 40_000_000_000u64 + n),
        method: if n.is_multiple_of(4) {
            PaymentMethod::Paidy
        } else {
            PaymentMethod::Card
        },
        capture_mode: CaptureMode::AuthorizeOnly,
        three_d_secure: false,
        amount,
        captured_amount: amount,
        refunded_amount: refunded,
        status: if refunded == amount {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::Captured
        },
        ordered_at: at,
        authorized_at: Some(at),
        captured_at: Some(at),
        list: OrderList::Completed,
        outside_change: false,
        buyer_name: None,
        buyer_name_kana: None,
        buyer_email: None,
    }
}

fn time(label: &str, runs: u32, mut f: impl FnMut() -> u64, target_ms: f64) -> Duration {
    let mut samples = Vec::new();
    let mut out = 0;
    for _ in 0..runs {
        let start = Instant::now();
        out = f();
        samples.push(start.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let worst = samples[samples.len() - 1];
    let flag = if median.as_secs_f64() * 1e3 > target_ms {
        format!("  <-- over {target_ms} ms")
    } else {
        String::new()
    };
    println!(
        "{label:<48} median {:>7.2} ms  max {:>7.2} ms  ({out}){flag}",
        median.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    median
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let count: u64 = if quick { 10_000 } else { 100_000 };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("money.db");
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("date")?;
    let start = tokyo_day_start(first);
    let year = TimeDelta::days(365);
    let step = year / i32::try_from(count)?;
    let mut s = Store::open(&path)?;
    let fill = Instant::now();
    // Inserted a day at a time: a refund in the ledger is dated when it was learned, here
    // the end of the order's day.
    let mut n = 0;
    let mut day = start;
    while n < count {
        let next = day + TimeDelta::days(1);
        let mut batch = Vec::new();
        while n < count && start + step * i32::try_from(n)? < next {
            batch.push(order(n, start + step * i32::try_from(n)?));
            n += 1;
        }
        s.insert_orders(&batch, next - TimeDelta::minutes(1))?;
        day = next;
    }
    println!(
        "filled {count} captured orders over a year in {:.1} s",
        fill.elapsed().as_secs_f64()
    );
    drop(s);
    let s = Store::open(&path)?;
    let runs = 21;
    let to = tokyo_day_start(first) + year;
    let by_day = time(
        "sales per day, a whole year",
        runs,
        || {
            s.sales(start, to)
                .map(|t| t.cells(Period::Day).len() as u64)
                .unwrap_or(0)
        },
        50.0,
    );
    let by_month = time(
        "sales per month, a whole year",
        runs,
        || {
            s.sales(start, to)
                .map(|t| t.cells(Period::Month).len() as u64)
                .unwrap_or(0)
        },
        50.0,
    );
    let accounts = AccountNames {
        receivable: Some("売掛金".into()),
        sales: Some("売上高".into()),
        refunds: Some("売上値引高".into()),
        freee_tax: Some("課税売上10%".into()),
        moneyforward_tax: Some("課税売上 10%".into()),
        yayoi_tax: Some("課税売上込10%".into()),
        ..AccountNames::default()
    };
    let june = NaiveDate::from_ymd_opt(2025, 6, 1).ok_or("date")?;
    let mut export_worst = Duration::ZERO;
    for format in AccountingFormat::ALL {
        let t = time(
            &format!("one month's journal export, {}", format.code()),
            runs,
            || {
                s.sales(tokyo_day_start(june), tokyo_day_start(next_month(june)))
                    .ok()
                    .and_then(|t| {
                        export(format, &journal_entries(&t.cells(Period::Day)), &accounts).ok()
                    })
                    .map(|b| b.len() as u64)
                    .unwrap_or(0)
            },
            500.0,
        );
        export_worst = export_worst.max(t);
    }
    let cell = time(
        "orders behind one day's cell (first 500)",
        runs,
        || {
            let d = tokyo_day_start(june);
            s.movements(d, d + TimeDelta::days(1), Some(PaymentMethod::Card), 500)
                .map(|p| p.total)
                .unwrap_or(0)
        },
        50.0,
    );
    println!(
        "METRIC\tsales per day over a year ({count} orders)\t{:.2}\tms\t< 50",
        by_day.as_secs_f64() * 1e3
    );
    println!(
        "METRIC\tsales per month over a year ({count} orders)\t{:.2}\tms\t< 50",
        by_month.as_secs_f64() * 1e3
    );
    println!(
        "METRIC\tone month's journal export, slowest format\t{:.2}\tms\t< 500",
        export_worst.as_secs_f64() * 1e3
    );
    println!(
        "METRIC\torders behind one sales cell\t{:.2}\tms\t< 50",
        cell.as_secs_f64() * 1e3
    );
    Ok(())
}
