//! Migrations: a fresh file gets the latest schema in WAL mode; reopening is a no-op; a
//! newer file is refused.

use store::{Error, Store};

use crate::{ok, order, store, t0};

#[test]
fn fresh_file_is_migrated_to_the_latest_version_in_wal_mode() {
    let (_dir, s) = store();
    assert_eq!(ok(s.schema_version()), Store::latest_schema_version());
    assert_eq!(ok(s.journal_mode()), "wal");
}

#[test]
fn reopening_keeps_data_and_version() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    let id = {
        let mut s = ok(Store::open(&path));
        ok(s.set_setting("capture_mode", "authorize_only"));
        ok(s.insert_order(&order(1, 0), t0()))
    };
    let s = ok(Store::open(&path));
    assert_eq!(ok(s.schema_version()), Store::latest_schema_version());
    assert_eq!(
        ok(s.setting("capture_mode")).as_deref(),
        Some("authorize_only")
    );
    assert_eq!(ok(s.get_order(id)), Some(order(1, 0)));
}

#[test]
fn a_newer_database_is_refused() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    drop(ok(Store::open(&path)));
    {
        let conn = ok(rusqlite_open(&path));
        ok(conn.pragma_update(None, "user_version", 99));
    }
    match Store::open(&path) {
        Err(Error::TooNew { found: 99, .. }) => {}
        other => panic!("expected TooNew, got {other:?}"),
    }
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    rusqlite::Connection::open(path)
}

#[test]
fn no_column_is_named_like_a_secret() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    drop(ok(Store::open(&path)));
    let conn = ok(rusqlite_open(&path));
    let mut stmt = ok(conn.prepare(
        "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
    ));
    let columns: Vec<String> =
        ok(ok(stmt.query_map([], |r| r.get(0))).collect::<rusqlite::Result<_>>());
    assert!(columns.iter().any(|c| c == "orders.payment_id"));
    for c in &columns {
        for word in [
            "password",
            "passphrase",
            "secret",
            "token",
            "hash_key",
            "card_number",
        ] {
            assert!(!c.contains(word), "{c}");
        }
    }
}
