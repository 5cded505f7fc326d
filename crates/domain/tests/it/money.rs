//! Money movements and Japan days (issue 21).

use chrono::{NaiveDate, TimeZone, Utc};
use domain::money::{MovementKind, day_of_number, movements, tokyo_day, tokyo_day_number};
use domain::{CaptureMode, Order, PaymentMethod, PaymentStatus, Yen};

fn order() -> Order {
    let at = Utc
        .with_ymd_and_hms(2026, 1, 31, 14, 0, 0)
        .single()
        .unwrap_or_default();
    Order::authorized(
        "o1",
        "p1",
        PaymentMethod::Card,
        CaptureMode::AuthorizeOnly,
        Yen(3000),
        at,
    )
}

#[test]
fn a_japan_day_starts_at_15_00_utc() {
    let before = Utc
        .with_ymd_and_hms(2026, 1, 31, 14, 59, 59)
        .single()
        .unwrap_or_default();
    let after = Utc
        .with_ymd_and_hms(2026, 1, 31, 15, 0, 0)
        .single()
        .unwrap_or_default();
    let jan31 = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
    let feb1 = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap_or_default();
    assert_eq!((tokyo_day(before), tokyo_day(after)), (jan31, feb1));
    assert_eq!(
        day_of_number(tokyo_day_number(before.timestamp_millis())),
        jan31
    );
    assert_eq!(
        day_of_number(tokyo_day_number(after.timestamp_millis())),
        feb1
    );
    // Before 1970 too (integer division rounds down, not toward zero).
    let old = Utc
        .with_ymd_and_hms(1969, 12, 31, 14, 0, 0)
        .single()
        .unwrap_or_default();
    assert_eq!(
        day_of_number(tokyo_day_number(old.timestamp_millis())),
        tokyo_day(old)
    );
}

#[test]
fn only_increases_of_captured_and_refunded_amounts_move_money() {
    let before = order();
    let mut captured = before.clone();
    let at = before.ordered_at + chrono::TimeDelta::hours(2);
    captured.captured_amount = Yen(3000);
    captured.captured_at = Some(at);
    captured.status = PaymentStatus::Captured;
    let m = movements(Some(&before), &captured, at + chrono::TimeDelta::minutes(1));
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].kind, m[0].amount, m[0].at),
        (MovementKind::Capture, Yen(3000), at)
    );
    // An amount change before capture moves nothing.
    let mut changed = before.clone();
    changed.amount = Yen(2500);
    assert!(movements(Some(&before), &changed, at).is_empty());
    // A partial refund, then the rest.
    let mut partial = captured.clone();
    partial.refunded_amount = Yen(1000);
    let m = movements(Some(&captured), &partial, at);
    assert_eq!((m[0].kind, m[0].amount), (MovementKind::Refund, Yen(1000)));
    let mut full = partial.clone();
    full.refunded_amount = Yen(3000);
    assert_eq!(movements(Some(&partial), &full, at)[0].amount, Yen(2000));
    // A new order that arrives captured has moved its money already.
    assert_eq!(
        movements(None, &captured, at)[0].kind,
        MovementKind::Capture
    );
}
