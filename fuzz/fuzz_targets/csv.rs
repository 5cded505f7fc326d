//! Fuzz target: the CSV reference-response parser (027) must never panic, and what it
//! accepts must survive a write/read round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paygent_codec::form::Charset;
use paygent_codec::{encode_csv_response, parse_csv};

fuzz_target!(|data: &[u8]| {
    for charset in [Charset::Windows31J, Charset::Utf8] {
        if let Ok(table) = parse_csv(data, charset) {
            if let Ok(body) = encode_csv_response(&table, charset) {
                let again = parse_csv(&body, charset);
                // Rows only survive when there is a column header, as on the wire.
                if !table.columns.is_empty() {
                    assert_eq!(again.as_ref(), Ok(&table));
                }
            }
        }
    }
});
