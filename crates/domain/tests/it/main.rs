//! Integration tests of the domain crate: each module is one boundary, tests are tables.

mod accounting;
mod bulk;
mod conformance;
mod deposits;
mod history;
mod imports_agree;
mod journal;
mod labels;
mod matrix;
mod money;
mod order_mail;
mod plans;
mod reconcile;
mod storefront;
mod subscription;
mod subscription_csv;
mod three_d_secure;

use chrono::{DateTime, TimeZone, Utc};
use domain::{CaptureMode, Order, PaymentMethod, PaymentStatus, Yen};

/// 2024-04-01 00:00 UTC, the moment every fixture order is authorized.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// An authorized, authorize-only order of ¥2,000.
pub fn order(method: PaymentMethod) -> Order {
    Order {
        buyer_name: Some("山田 太郎".into()),
        ..Order::authorized(
            "order00158",
            "11111111111111111111",
            method,
            CaptureMode::AuthorizeOnly,
            Yen(2000),
            t0(),
        )
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

/// The deterministic stand-in for a fuzz target on stable Rust: each seed as it is, then
/// 3,000 inputs made by overwriting, inserting or cutting up to 7 bytes of a seed (a
/// xorshift generator, so every run makes the same inputs). Line ends and quotes are
/// drawn as often as any other byte together, where CSV parsers are most fragile.
pub fn mutated_inputs(seeds: &[&[u8]], check: impl Fn(&[u8])) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in seeds {
        check(seed);
    }
    for round in 0..3000 {
        let mut input = seeds[round % seeds.len()].to_vec();
        for _ in 0..(next() % 8) {
            let op = next() % 3;
            let pos = (next() as usize) % (input.len() + 1);
            let byte = match next() % 4 {
                0 => b'\r',
                1 => b'\n',
                2 => b'"',
                _ => (next() % 256) as u8,
            };
            match op {
                0 if pos < input.len() => input[pos] = byte,
                1 => input.insert(pos, byte),
                _ => input.truncate(pos),
            }
        }
        check(&input);
    }
}
