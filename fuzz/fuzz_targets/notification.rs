//! Fuzz target: payment-notification parsing and `hc` verification must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paygent_codec::{Secret, parse_notification, verify_hc};

fuzz_target!(|data: &[u8]| {
    if let Ok(notification) = parse_notification(data) {
        let _ = verify_hc(&notification, &Secret::new("fuzz-hash-key"));
    }
});
