//! Time to compute the card dashboard for 50,000 subscriptions (target: under 50 ms).
//!
//! `cargo run --release -p domain --example dashboard_bench [-- --quick]` (`--quick`: 5 runs
//! instead of 21). Prints every figure and the median time.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use domain::subscription::{
    CardExpiry, Cycle, Subscription, SubscriptionId, SubscriptionStatus, dashboard,
};
use domain::{CaptureMode, RULES, Yen};

const SUBSCRIPTIONS: u32 = 50_000;

fn subscription(n: u32, today: NaiveDate) -> Subscription {
    let cycle = match n % 5 {
        0 => Cycle::Weeks(2),
        1 => Cycle::Months(2),
        _ => Cycle::Months(1),
    };
    let status = match n % 20 {
        0 => SubscriptionStatus::Paused,
        1 => SubscriptionStatus::Ended,
        _ => SubscriptionStatus::Active,
    };
    // Expiries spread from two years ago to four years ahead.
    let months_ahead = (n % 72) as i32 - 24;
    let index = today.year_month_index() + months_ahead;
    let expiry = CardExpiry::new(index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    let next = today + chrono::TimeDelta::days(i64::from(n % 31));
    Subscription {
        id: SubscriptionId(i64::from(n)),
        customer_id: format!("member{n:06}"),
        customer_card_id: format!("{}", 100_000 + n),
        buyer_name: "山田 太郎".into(),
        buyer_email: Some(format!("buyer{n}@example.jp")),
        cycle,
        billing_day: (n % 31) + 1,
        amount: Yen(i64::from(980 + (n % 40) * 250)),
        fees_to_be_advised: false,
        contract_end: None,
        next_renewal_date: next,
        next_cycle_index: n % 24,
        status,
        card_expiry: if n.is_multiple_of(97) { None } else { expiry },
        card_refreshed_at: None,
        capture_mode: CaptureMode::AuthorizeOnly,
    }
}

trait YearMonth {
    fn year_month_index(&self) -> i32;
}

impl YearMonth for NaiveDate {
    fn year_month_index(&self) -> i32 {
        use chrono::Datelike;
        self.year() * 12 + self.month0() as i32
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 5 } else { 21 };
    let now = Utc
        .with_ymd_and_hms(2025, 3, 15, 3, 0, 0)
        .single()
        .unwrap_or_default();
    let today = domain::subscription::japan_date(now);
    let subs: Vec<Subscription> = (0..SUBSCRIPTIONS).map(|n| subscription(n, today)).collect();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let d = dashboard(std::hint::black_box(&subs), today, &RULES);
        times.push(started.elapsed());
        last = Some(d);
    }
    times.sort();
    let median = times[times.len() / 2];
    if let Some(d) = last {
        println!(
            "{SUBSCRIPTIONS} subscriptions on {today}: {} expiring soon, {} expired, {} valid, {} unknown expiry",
            d.expiring_soon, d.expired, d.valid, d.unknown_expiry
        );
        println!(
            "monthly revenue at risk: {}; predicted failures before next billing: {} ({})",
            domain::history::yen(d.monthly_revenue_at_risk),
            d.predicted_failures.len(),
            domain::history::yen(d.predicted_failure_amount)
        );
    }
    println!(
        "dashboard: median {:.3} ms over {runs} runs (min {:.3} ms, max {:.3} ms; target < 50 ms)",
        median.as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0
    );
    // One machine-readable figure for `cargo xtask bench`'s table.
    println!(
        "METRIC\tdashboard at {SUBSCRIPTIONS} subscriptions\t{:.2}\tms\t< 50",
        median.as_secs_f64() * 1000.0
    );
}
