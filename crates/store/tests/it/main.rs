//! Integration tests of the store, on real database files in a temporary directory.

mod bulk;
mod details;
mod documents;
mod history;
mod journal;
mod ledger;
mod lists;
mod migrations;
mod notifications;
mod order_mails;
mod subscriptions;
mod templates;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use domain::{CaptureMode, Order, PaymentMethod, PaymentStatus, StatusReport, Yen};
use store::Store;

/// 2024-04-01 00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A fresh database file in its own temporary directory (kept alive with the store).
pub fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let s = Store::open(dir.path().join("paydesk.db")).unwrap_or_else(|e| panic!("{e}"));
    (dir, s)
}

/// An authorized, authorize-only card order of ¥2,000 placed `days` after t0.
pub fn order(n: u32, days: i64) -> Order {
    Order {
        buyer_name: Some("山田 太郎".into()),
        buyer_name_kana: Some("ヤマダ タロウ".into()),
        buyer_email: Some("taro@example.jp".into()),
        ..Order::authorized(
            &format!("order{n:05}"),
            &format!("{:020}", 10_000_000 + u64::from(n)),
            PaymentMethod::Card,
            CaptureMode::AuthorizeOnly,
            Yen(2000),
            t0() + TimeDelta::days(days),
        )
    }
}

/// A report about `order`'s current payment.
pub fn report(
    order: &Order,
    status: PaymentStatus,
    amount: i64,
    at: DateTime<Utc>,
) -> StatusReport {
    StatusReport {
        payment_id: order.payment_id.clone(),
        base_payment_id: None,
        order_number: order.order_number.clone(),
        method: order.method,
        status,
        amount: Yen(amount),
        three_d_secure: false,
        changed_at: at,
        authorized_at: None,
        captured_at: None,
        buyer_name: None,
        buyer_name_kana: None,
        buyer_email: None,
    }
}

pub fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}
