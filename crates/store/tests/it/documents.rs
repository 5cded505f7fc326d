//! Issued documents: a number is taken once per order and kind, and an issue is recorded
//! exactly when its file is written.

use domain::{OrderId, Text, Yen};
use store::{DocumentIssue, Error, Store};

use crate::{ok, order, store, t0};

fn invoice(order: OrderId, number: &str) -> DocumentIssue {
    DocumentIssue {
        order,
        kind: "invoice",
        number: number.into(),
        reissue: false,
        amount: Yen(2000),
        history: Text::new(format!("請求書（{number}）"), format!("Invoice {number}")),
    }
}

/// Two issues that read the same count (a double click, the app and the command line at
/// once) would both take number 1: the second is refused and writes no file.
#[test]
fn a_document_number_is_taken_once_and_the_loser_writes_no_file() {
    let (_dir, mut s) = store();
    let id = ok(s.insert_order(&order(1, 0), t0()));
    let before = ok(s.history(id)).len();
    let mut written = 0;
    let first: Result<(), Error> =
        s.record_document_issues(&[invoice(id, "I-order00001-1")], t0(), || {
            written += 1;
            Ok(())
        });
    ok(first);
    let second: Result<(), Error> =
        s.record_document_issues(&[invoice(id, "I-order00001-1")], t0(), || {
            written += 1;
            Ok(())
        });
    assert!(
        matches!(second, Err(Error::DocumentNumberTaken(ref n)) if n == "I-order00001-1"),
        "{second:?}"
    );
    assert_eq!(written, 1, "the refused issue must not write its file");
    assert_eq!(ok(s.document_issue_count(id, "invoice")), 1);
    assert_eq!(ok(s.history(id)).len(), before + 1);
    // The same number of another kind, or of another order, is its own.
    let other = ok(s.insert_order(&order(2, 0), t0()));
    let mut slip = invoice(id, "I-order00001-1");
    slip.kind = "order_slip";
    let both: Result<(), Error> =
        s.record_document_issues(&[slip, invoice(other, "I-order00001-1")], t0(), || Ok(()));
    ok(both);
}

/// A file that cannot be written records nothing: no issue, no history line, and the next
/// try gets the same number.
#[test]
fn a_failed_write_records_no_issue() {
    let (_dir, mut s) = store();
    let id = ok(s.insert_order(&order(1, 0), t0()));
    let before = ok(s.history(id)).len();
    let failed: Result<(), Error> = s.record_document_issues(&[invoice(id, "I-1")], t0(), || {
        Err(Error::Corrupt {
            column: "the file",
            value: "disk full".into(),
        })
    });
    assert!(matches!(failed, Err(Error::Corrupt { .. })), "{failed:?}");
    assert_eq!(ok(s.document_issue_count(id, "invoice")), 0);
    assert_eq!(ok(s.history(id)).len(), before);
}

/// A database where two issues already share a number (schema 17, as before the trigger)
/// still opens.
#[test]
fn a_database_with_a_number_issued_twice_before_still_opens() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    {
        let mut s = ok(Store::open(&path));
        let id = ok(s.insert_order(&order(1, 0), t0()));
        ok(s.record_document_issues::<Error>(&[invoice(id, "I-1")], t0(), || Ok(())));
        let conn = ok(rusqlite::Connection::open(&path));
        ok(conn.execute_batch(
            "DROP TRIGGER document_issues_number_taken;
             ALTER TABLE order_items DROP COLUMN tax_rate;
             INSERT INTO document_issues (order_id, kind, number, reissue, amount, issued_at)
             SELECT order_id, kind, number, reissue, amount, issued_at FROM document_issues;
             PRAGMA user_version = 17;",
        ));
    }
    let s = ok(Store::open(&path));
    assert_eq!(ok(s.schema_version()), Store::latest_schema_version());
    assert_eq!(ok(s.document_issue_count(OrderId(1), "invoice")), 2);
}
