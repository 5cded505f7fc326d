//! Fuzz target: the bank statement reader (`domain::bank_statement::read_statement`) must
//! never panic, with the default mapping and with columns by number; every line it lists
//! is a real physical line of the file, in file order, and every deposit has a positive
//! amount and a key.
#![no_main]

use domain::bank_statement::{LineKind, StatementMapping, read_statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|b| **b == b'\n' || **b == b'\r').count() as u32 + 1;
    for mapping in [
        StatementMapping::default(),
        StatementMapping {
            date_column: "1".into(),
            amount_column: "2".into(),
            description_column: "3".into(),
            ..StatementMapping::default()
        },
    ] {
        let Ok(statement) = read_statement(data, &mapping) else {
            continue;
        };
        for pair in statement.lines.windows(2) {
            assert!(pair[0].line < pair[1].line, "lines in file order");
        }
        for l in &statement.lines {
            assert!(l.line >= 1 && l.line <= lines, "line {} of {lines}", l.line);
            if let LineKind::Deposit(d) = &l.kind {
                assert!(d.amount.0 > 0 && !d.key.is_empty());
            }
        }
    }
});
