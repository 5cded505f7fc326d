//! Integration tests of the domain crate: each module is one boundary, tests are tables.

mod bulk;
mod conformance;
mod history;
mod journal;
mod matrix;
mod plans;
mod reconcile;
mod storefront;
mod subscription;
mod subscription_csv;

use chrono::{DateTime, TimeZone, Utc};
use domain::{CaptureMode, Order, OrderList, PaymentMethod, PaymentStatus, Yen};

/// 2024-04-01 00:00 UTC, the moment every fixture order is authorized.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// An authorized, authorize-only order of ¥2,000.
pub fn order(method: PaymentMethod) -> Order {
    Order {
        order_number: "order00158".into(),
        payment_id: "11111111111111111111".into(),
        method,
        capture_mode: CaptureMode::AuthorizeOnly,
        three_d_secure: false,
        amount: Yen(2000),
        captured_amount: Yen(0),
        refunded_amount: Yen(0),
        status: PaymentStatus::Authorized,
        ordered_at: t0(),
        authorized_at: Some(t0()),
        captured_at: None,
        list: OrderList::Open,
        outside_change: false,
        buyer_name: Some("山田 太郎".into()),
        buyer_name_kana: None,
        buyer_email: None,
    }
}

/// The same order captured in full at `t0() + 1 day`.
pub fn captured(method: PaymentMethod) -> Order {
    Order {
        status: PaymentStatus::Captured,
        captured_amount: Yen(2000),
        captured_at: Some(t0() + chrono::TimeDelta::days(1)),
        ..order(method)
    }
}
