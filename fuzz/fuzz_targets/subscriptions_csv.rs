//! Fuzz target: the subscription CSV import parser (`domain::subscription_csv::parse_subscriptions_csv`) must
//! never panic, and every row it accepts must satisfy the documented column formats.
#![no_main]

use domain::subscription::{valid_customer_card_id, valid_customer_id};
use domain::subscription_csv::parse_subscriptions_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (rows, errors) = parse_subscriptions_csv(data);
    // Header problems stop the import: no rows then.
    if errors.iter().any(|e| e.line <= 1) {
        assert!(rows.is_empty(), "rows despite a file or header error");
    }
    let mut last_line = 1;
    for row in &rows {
        assert!(row.line > last_line, "row lines are data lines, in order");
        last_line = row.line;
        assert!(valid_customer_id(&row.customer_id));
        assert!(valid_customer_card_id(&row.customer_card_id));
        assert!(!row.buyer_name.trim().is_empty());
        assert!((1..=31).contains(&row.billing_day));
        assert!(row.amount.0 >= 0);
        assert!(row.buyer_email.as_deref().is_none_or(|e| e.contains('@')));
    }
    for e in &errors {
        assert!(!e.message.ja.is_empty() && !e.message.en.is_empty());
    }
});
