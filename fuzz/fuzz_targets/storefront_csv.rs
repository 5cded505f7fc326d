//! Fuzz target: the storefront order-export parser (`domain::storefront::parse_storefront_csv`)
//! must never panic; every record must come back as a row or an error whose line is a
//! real, non-blank physical line of the file, each record on its own line, in file order;
//! and every accepted row must have an order number and trimmed, non-empty values.
#![no_main]

use domain::storefront::parse_storefront_csv;
use libfuzzer_sys::fuzz_target;

/// The file's physical lines (ended by `\r\n`, `\n` or a lone `\r`), as raw bytes. Neither
/// byte occurs inside a UTF-8 or Shift_JIS character, so this needs no decoding.
fn physical_lines(data: &[u8]) -> Vec<&[u8]> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\n' => {
                lines.push(&data[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&data[start..i]);
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&data[start..]);
    lines
}

fuzz_target!(|data: &[u8]| {
    let Ok(export) = parse_storefront_csv(data) else {
        return;
    };
    let lines = physical_lines(data);
    let mut starts: Vec<u32> = export
        .rows
        .iter()
        .map(|r| r.line)
        .chain(export.errors.iter().map(|e| e.line))
        .collect();
    assert_eq!(
        starts.len(),
        export.records as usize,
        "one row or error per record"
    );
    for pair in export.rows.windows(2) {
        assert!(pair[0].line < pair[1].line, "rows in file order");
    }
    for pair in export.errors.windows(2) {
        assert!(pair[0].line < pair[1].line, "errors in file order");
    }
    starts.sort_unstable();
    for pair in starts.windows(2) {
        assert!(pair[0] < pair[1], "two records start on line {}", pair[0]);
    }
    for &line in &starts {
        assert!(line >= 2, "a data record on the header's line");
        let text = lines
            .get(line as usize - 1)
            .unwrap_or_else(|| panic!("line {line} of {}", lines.len()));
        assert!(!text.is_empty(), "a record starts on blank line {line}");
    }
    let value_ok = |v: &Option<String>| v.as_deref().is_none_or(|s| !s.is_empty() && s.trim() == s);
    for row in &export.rows {
        assert!(!row.order_number.is_empty() && row.order_number.trim() == row.order_number);
        assert!(
            row.payment_id
                .as_deref()
                .is_none_or(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        );
        for v in [
            &row.buyer_name,
            &row.buyer_kana,
            &row.email,
            &row.phone,
            &row.postal_code,
            &row.address,
        ] {
            assert!(value_ok(v));
        }
    }
    for e in &export.errors {
        assert!(!e.message.ja.is_empty() && !e.message.en.is_empty());
    }
});
