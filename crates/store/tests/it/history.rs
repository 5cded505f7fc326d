//! The change history is append-only: the database itself refuses UPDATE and DELETE.

use domain::{Actor, Text};

use crate::{ok, order, store, t0};

#[test]
fn history_lines_are_kept_newest_first() {
    let (_dir, mut s) = store();
    let id = ok(s.insert_order(&order(1, 0), t0()));
    ok(s.append_history(id, t0(), Actor::Gateway, &Text::new("一", "one")));
    ok(s.append_history(id, t0(), Actor::PayDesk, &Text::new("二", "two")));
    let lines = ok(s.history(id));
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.actor, l.text.en.as_str()))
            .collect::<Vec<_>>(),
        [(Actor::PayDesk, "two"), (Actor::Gateway, "one")]
    );
}

#[test]
fn history_cannot_be_updated_or_deleted() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    {
        let mut s = ok(store::Store::open(&path));
        let id = ok(s.insert_order(&order(1, 0), t0()));
        ok(s.append_history(id, t0(), Actor::PayDesk, &Text::new("売上確定", "Captured")));
    }
    let conn = ok(rusqlite::Connection::open(&path));
    for sql in [
        "UPDATE order_history SET text_en = 'forged'",
        "DELETE FROM order_history",
    ] {
        let err = conn
            .execute(sql, [])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("append-only"), "{sql}: {err:?}");
    }
    let count: i64 = ok(conn.query_row("SELECT COUNT(*) FROM order_history", [], |r| r.get(0)));
    assert_eq!(count, 1);
}
