//! The money ledger (issue 21): each capture and refund with its time and amount, written
//! where sync and operation outcomes change an order, filled for older orders by the
//! migration; sales per Japan day and month add up to the orders behind them.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::history::JAPAN;
use domain::journal::success_report;
use domain::money::{MovementKind, Period, SalesCell, tokyo_day_start};
use domain::{CaptureMode, Operation, OrderId, PaymentMethod, PaymentStatus, RULES, Yen, check};
use store::{JournalOutcome, MovementSource, Store};

use crate::{ok, order, report, store};

/// A Japan time as UTC.
fn jst(m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    JAPAN
        .with_ymd_and_hms(2024, m, d, h, mi, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, d).unwrap_or_default()
}

/// Runs one operation through the journal as the operations code does, the gateway
/// accepting it (a new transaction ID where the telegram makes one).
fn operate(s: &mut Store, id: OrderId, op: Operation, at: DateTime<Utc>, new_id: &str) {
    let current = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
    let plan = ok(check(&current, &op, at, &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(id, &op, &plan, at));
    ok(s.journal_mark_sent(&key, at));
    let pending = ok(s.pending_for_order(id)).unwrap_or_else(|| panic!("open"));
    let answer = success_report(&pending, &current, Some(new_id), at);
    ok(s.journal_settle(&key, &JournalOutcome::Succeeded(answer), at));
}

fn cell(
    start: NaiveDate,
    method: PaymentMethod,
    captured: (i64, u32),
    refunded: (i64, u32),
) -> SalesCell {
    SalesCell {
        start,
        method,
        captured: Yen(captured.0),
        captures: captured.1,
        refunded: Yen(refunded.0),
        refunds: refunded.1,
    }
}

/// Four orders: a card capture then a partial refund (operations), a card amount change
/// then a capture seen by sync, a cancellation, and a Paidy sale captured at 23:30 on
/// 31 January (Japan) and refunded at 00:30 on 1 February: 15:30 UTC of the same UTC day.
fn shop() -> (tempfile::TempDir, Store, [OrderId; 4]) {
    let (dir, mut s) = store();
    let mut a = order(1, 0);
    a.ordered_at = jst(1, 10, 10, 0);
    a.authorized_at = Some(a.ordered_at);
    let a_id = ok(s.insert_order(&a, a.ordered_at));
    operate(&mut s, a_id, Operation::Capture, jst(1, 10, 12, 0), "");
    operate(
        &mut s,
        a_id,
        Operation::PartialRefund(Yen(500)),
        jst(1, 20, 9, 0),
        "00000000000000000901",
    );

    let mut b = order(2, 0);
    b.amount = Yen(3000);
    b.ordered_at = jst(1, 15, 10, 0);
    b.authorized_at = Some(b.ordered_at);
    let b_id = ok(s.insert_order(&b, b.ordered_at));
    operate(
        &mut s,
        b_id,
        Operation::AmountChange(Yen(2500)),
        jst(1, 16, 10, 0),
        "00000000000000000902",
    );
    let b_now = ok(s.get_order(b_id)).unwrap_or_else(|| panic!("order"));
    let mut captured = report(&b_now, PaymentStatus::Captured, 2500, jst(1, 17, 10, 0));
    captured.captured_at = Some(jst(1, 17, 10, 0));
    ok(s.apply_notification(
        Some(1),
        &captured,
        CaptureMode::AuthorizeOnly,
        jst(1, 17, 10, 5),
    ));

    let mut c = order(3, 0);
    c.amount = Yen(1000);
    c.ordered_at = jst(1, 18, 10, 0);
    c.authorized_at = Some(c.ordered_at);
    let c_id = ok(s.insert_order(&c, c.ordered_at));
    let cancelled = report(&c, PaymentStatus::Cancelled, 1000, jst(1, 19, 10, 0));
    ok(s.apply_notification(
        Some(2),
        &cancelled,
        CaptureMode::AuthorizeOnly,
        jst(1, 19, 10, 5),
    ));

    let mut d = order(4, 0);
    d.method = PaymentMethod::Paidy;
    d.amount = Yen(4000);
    d.status = PaymentStatus::Captured;
    d.captured_amount = Yen(4000);
    d.ordered_at = jst(1, 31, 23, 0);
    d.authorized_at = Some(d.ordered_at);
    d.captured_at = Some(jst(1, 31, 23, 30));
    let d_id = ok(s.insert_order(&d, jst(1, 31, 23, 31)));
    let refunded = report(&d, PaymentStatus::Refunded, 4000, jst(2, 1, 0, 30));
    ok(s.apply_notification(
        Some(3),
        &refunded,
        CaptureMode::AuthorizeOnly,
        jst(2, 1, 0, 31),
    ));
    (dir, s, [a_id, b_id, c_id, d_id])
}

#[test]
fn sales_per_japan_day_and_month_add_up_to_the_orders_behind_them() {
    let (_dir, s, ids) = shop();
    let totals = ok(s.sales(jst(1, 1, 0, 0), jst(3, 1, 0, 0)));
    let card = PaymentMethod::Card;
    let paidy = PaymentMethod::Paidy;
    let days: Vec<SalesCell> = totals
        .cells(Period::Day)
        .into_iter()
        .filter(|c| c.captures + c.refunds > 0)
        .collect();
    assert_eq!(
        days,
        [
            cell(day(1, 10), card, (2000, 1), (0, 0)),
            cell(day(1, 17), card, (2500, 1), (0, 0)),
            cell(day(1, 20), card, (0, 0), (500, 1)),
            cell(day(1, 31), paidy, (4000, 1), (0, 0)),
            cell(day(2, 1), paidy, (0, 0), (4000, 1)),
        ]
    );
    assert_eq!(
        totals.cells(Period::Month),
        [
            cell(day(1, 1), card, (4500, 2), (500, 1)),
            cell(day(1, 1), paidy, (4000, 1), (0, 0)),
            cell(day(2, 1), card, (0, 0), (0, 0)),
            cell(day(2, 1), paidy, (0, 0), (4000, 1)),
        ]
    );
    // Every cell is the sum of the movements listed behind it.
    for c in totals.cells(Period::Day) {
        let page = ok(s.movements(
            tokyo_day_start(c.start),
            tokyo_day_start(c.start.succ_opt().unwrap_or(c.start)),
            Some(c.method),
            RULES.sales_movements_shown,
        ));
        let sum = |kind| -> i64 {
            page.items
                .iter()
                .filter(|m| m.kind == kind)
                .map(|m| m.amount.0)
                .sum()
        };
        assert_eq!(page.total as usize, page.items.len());
        assert_eq!(sum(MovementKind::Capture), c.captured.0, "{c:?}");
        assert_eq!(sum(MovementKind::Refund), c.refunded.0, "{c:?}");
    }
    // And per order, the ledger holds exactly the order's captured and refunded amounts.
    let mut captured = 0;
    let mut refunded = 0;
    for id in ids {
        let o = ok(s.get_order(id)).unwrap_or_else(|| panic!("order"));
        let moves = ok(s.order_movements(id));
        let sum = |kind| -> i64 {
            moves
                .iter()
                .filter(|m| m.kind == kind)
                .map(|m| m.amount.0)
                .sum()
        };
        assert_eq!(sum(MovementKind::Capture), o.captured_amount.0, "{o:?}");
        assert_eq!(sum(MovementKind::Refund), o.refunded_amount.0, "{o:?}");
        assert!(moves.iter().all(|m| m.source == MovementSource::Applied));
        captured += o.captured_amount.0;
        refunded += o.refunded_amount.0;
    }
    let all: (i64, i64) = totals
        .cells(Period::Month)
        .iter()
        .fold((0, 0), |(c, r), x| (c + x.captured.0, r + x.refunded.0));
    assert_eq!(all, (captured, refunded));
    assert_eq!(all, (8500, 4500));
    // The cancelled order moved no money; the amount change counts once, as captured.
    assert!(ok(s.order_movements(ids[2])).is_empty());
}

#[test]
fn a_record_applied_twice_moves_money_once() {
    let (_dir, mut s, ids) = shop();
    let d = ok(s.get_order(ids[3])).unwrap_or_else(|| panic!("order"));
    let again = report(&d, PaymentStatus::Refunded, 4000, jst(2, 1, 0, 30));
    ok(s.apply_notification(Some(3), &again, CaptureMode::AuthorizeOnly, jst(2, 2, 0, 0)));
    ok(s.apply_notification(None, &again, CaptureMode::AuthorizeOnly, jst(2, 2, 0, 0)));
    assert_eq!(ok(s.order_movements(ids[3])).len(), 2);
}

#[test]
fn the_ledger_is_append_only() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    {
        let mut s = ok(Store::open(&path));
        let mut o = order(1, 0);
        o.status = PaymentStatus::Captured;
        o.captured_amount = o.amount;
        o.captured_at = Some(o.ordered_at);
        ok(s.insert_order(&o, o.ordered_at));
    }
    let conn = ok(rusqlite::Connection::open(&path));
    assert!(
        conn.execute("UPDATE money_movements SET amount = 1", [])
            .is_err()
    );
    assert!(conn.execute("DELETE FROM money_movements", []).is_err());
}

/// A database as PayDesk left it before the ledger existed (schema 9): the migration fills
/// the ledger from the orders' amounts and their change history.
#[test]
fn the_migration_fills_the_ledger_from_orders_and_their_history() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    {
        let conn = ok(rusqlite::Connection::open(&path));
        for sql in [
            include_str!("../../migrations/0001_initial.sql"),
            include_str!("../../migrations/0002_bulk_runs.sql"),
            include_str!("../../migrations/0003_subscriptions.sql"),
            include_str!("../../migrations/0004_sync_indexes.sql"),
            include_str!("../../migrations/0005_search_keys.sql"),
            include_str!("../../migrations/0006_details_imports.sql"),
            include_str!("../../migrations/0007_choices_and_ends.sql"),
            include_str!("../../migrations/0008_shop_owner_details.sql"),
            include_str!("../../migrations/0009_list_sorts.sql"),
        ] {
            // The search-key triggers call a function the store registers; this old
            // database is written without them.
            ok(conn.create_scalar_function(
                "search_key",
                1,
                rusqlite::functions::FunctionFlags::SQLITE_UTF8,
                |ctx| ctx.get::<Option<String>>(0),
            ));
            ok(conn.execute_batch(sql));
        }
        ok(conn.pragma_update(None, "user_version", 9));
        let ms = |t: DateTime<Utc>| t.timestamp_millis();
        let insert = "INSERT INTO orders (id, order_number, payment_id, method, capture_mode, three_d_secure,
             amount, captured_amount, refunded_amount, status, ordered_at, authorized_at, captured_at, list,
             created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'authorize_only', 0, ?5, ?6, ?7, ?8, ?9, ?9, ?10, 'open', ?9, ?11)";
        // Captured, then two partial refunds recorded in the history.
        ok(conn.execute(
            insert,
            rusqlite::params![
                1,
                "o1",
                "p1",
                "card",
                5000,
                5000,
                1500,
                "40",
                ms(jst(1, 5, 9, 0)),
                Some(ms(jst(1, 5, 10, 0))),
                ms(jst(2, 3, 9, 0))
            ],
        ));
        let line = "INSERT INTO order_history (order_id, at, actor, text_ja, text_en) VALUES (?1, ?2, 'paydesk', '', ?3)";
        ok(conn.execute(
            line,
            rusqlite::params![
                1,
                ms(jst(1, 5, 10, 0)),
                "Captured ¥5,000 (transaction ID p1)"
            ],
        ));
        ok(conn.execute(
            line,
            rusqlite::params![
                1,
                ms(jst(1, 31, 23, 0)),
                "Partially refunded ¥1,000 (refundable amount now ¥4,000)"
            ],
        ));
        ok(conn.execute(
            line,
            rusqlite::params![
                1,
                ms(jst(2, 3, 9, 0)),
                "Partially refunded ¥500 (refundable amount now ¥3,500)"
            ],
        ));
        // Refunded outside PayDesk: the history has no refund line with an amount.
        ok(conn.execute(
            insert,
            rusqlite::params![
                2,
                "o2",
                "p2",
                "paidy",
                3000,
                3000,
                3000,
                "60",
                ms(jst(1, 6, 9, 0)),
                Some(ms(jst(1, 6, 9, 0))),
                ms(jst(1, 8, 12, 0))
            ],
        ));
        // Authorized only: nothing moved.
        ok(conn.execute(
            insert,
            rusqlite::params![
                3,
                "o3",
                "p3",
                "card",
                700,
                0,
                0,
                "20",
                ms(jst(1, 7, 9, 0)),
                None::<i64>,
                ms(jst(1, 7, 9, 0))
            ],
        ));
    }
    let s = ok(Store::open(&path));
    let moves = |id| -> Vec<(MovementKind, i64, DateTime<Utc>, MovementSource)> {
        ok(s.order_movements(OrderId(id)))
            .into_iter()
            .map(|m| (m.kind, m.amount.0, m.at, m.source))
            .collect()
    };
    use MovementKind::{Capture, Refund};
    use MovementSource::{Estimated, History};
    assert_eq!(
        moves(1),
        [
            (Capture, 5000, jst(1, 5, 10, 0), History),
            (Refund, 1000, jst(1, 31, 23, 0), History),
            (Refund, 500, jst(2, 3, 9, 0), History),
        ]
    );
    assert_eq!(
        moves(2),
        [
            (Capture, 3000, jst(1, 6, 9, 0), History),
            (Refund, 3000, jst(1, 8, 12, 0), Estimated),
        ]
    );
    assert!(moves(3).is_empty());
    // January's card refunds count the one of 31 January only.
    let jan = ok(s.sales(jst(1, 1, 0, 0), jst(2, 1, 0, 0))).cells(Period::Month);
    assert_eq!(jan[0].refunded, Yen(1000));
}
