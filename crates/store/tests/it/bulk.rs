//! Bulk capture: the unprocessed list, a run's journal and logs, pruning the operation log,
//! and what a crash leaves for recovery.

use chrono::{DateTime, TimeDelta, Utc};
use domain::bulk::{
    Eligibility, Ineligible, ItemState, Outcome, RequestedBy, RunId, RunState, SkipReason,
    recover_item, validate_selection,
};
use domain::journal::success_report;
use domain::{
    CaptureMode, Operation, Order, OrderId, OrderList, PaymentMethod, PaymentStatus, RULES,
    Refusal, Settlement, Yen, check,
};
use store::{
    ItemStatus, JournalOutcome, RunEnd, RunStatus, Store, UnprocessedQuery, UnprocessedRow,
};

use crate::{ok, order, store, t0};

fn day(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::days(n)
}

fn paidy(n: u32, days: i64) -> Order {
    Order {
        method: PaymentMethod::Paidy,
        payment_id: format!("9000{:016}", n),
        ..order(n, days)
    }
}

fn insert(s: &mut Store, o: &Order) -> OrderId {
    ok(s.insert_order(o, o.ordered_at))
}

fn rows(s: &Store, q: &UnprocessedQuery) -> Vec<UnprocessedRow> {
    let page = ok(s.unprocessed_list(q));
    assert_eq!(page.total as usize, page.items.len(), "one page holds all");
    page.items
}

fn numbers(rows: &[UnprocessedRow]) -> Vec<String> {
    rows.iter()
        .map(|r| r.row.order.order_number.clone())
        .collect()
}

/// Orders around "now" = day 100 (card capture deadline 60 days, Paidy 90, list window 90).
fn fill(s: &mut Store) -> Vec<OrderId> {
    let orders = vec![
        // 1: a Paidy order paid 89 days ago: listed and selectable.
        paidy(1, 11),
        // 2: paid 90 days ago: the window has ended.
        paidy(2, 10),
        // 3: moved to the completed list, still authorized: listed.
        Order {
            list: OrderList::Completed,
            ..paidy(3, 50)
        },
        // 4: moved to the cancelled list, still authorized: listed.
        Order {
            list: OrderList::Cancelled,
            ..paidy(4, 60)
        },
        // 5: captured: not listed.
        Order {
            status: PaymentStatus::Captured,
            captured_amount: Yen(2000),
            captured_at: Some(day(61)),
            ..paidy(5, 60)
        },
        // 6: cancelled: not listed.
        Order {
            status: PaymentStatus::Cancelled,
            ..paidy(6, 60)
        },
        // 7: changed outside PayDesk: not listed.
        Order {
            outside_change: true,
            ..paidy(7, 60)
        },
        // 8: authorize-and-capture, waiting for its automatic capture: listed, flagged.
        Order {
            capture_mode: CaptureMode::AuthorizeAndCapture,
            ..paidy(8, 70)
        },
        // 9: the buyer never finished paying: not listed.
        Order {
            status: PaymentStatus::Applied,
            authorized_at: None,
            ..paidy(9, 80)
        },
        // 10: a card past its 60-day capture deadline, not yet expired by the gateway:
        // listed, not selectable.
        order(10, 30),
        // 11: a card order paid yesterday: listed and selectable.
        order(11, 99),
    ];
    orders.iter().map(|o| insert(s, o)).collect()
}

#[test]
fn unprocessed_list_holds_authorized_orders_of_every_list_within_the_window() {
    let (_dir, mut s) = store();
    let ids = fill(&mut s);
    let q = UnprocessedQuery::new(day(100));
    let all = rows(&s, &q);
    assert_eq!(
        numbers(&all),
        [
            "order00001",
            "order00003",
            "order00004",
            "order00011",
            "order00008",
            "order00010"
        ],
        "most urgent capture deadline first (days 101, 140, 150, 159, 160); the one passed \
         (day 90) last"
    );
    let by_number = |n: &str| {
        all.iter()
            .find(|r| r.row.order.order_number == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(by_number("order00011").eligibility, Eligibility::Selectable);
    assert_eq!(by_number("order00001").eligibility, Eligibility::Selectable);
    assert_eq!(
        by_number("order00008").eligibility,
        Eligibility::WaitingForAutoCapture(day(70) + RULES.auto_capture_delay)
    );
    assert!(matches!(
        by_number("order00010").eligibility,
        Eligibility::NotEligible(Ineligible::Refused(Refusal::CaptureDeadlinePassed { .. }))
    ));
    assert_eq!(by_number("order00003").row.order.list, OrderList::Completed);

    // The window moves with time: a day later order 1 has left the list.
    let later = rows(&s, &UnprocessedQuery::new(day(101)));
    assert!(!numbers(&later).contains(&"order00001".to_owned()));

    // Filters.
    let selectable = UnprocessedQuery {
        selectable_only: true,
        ..q.clone()
    };
    assert_eq!(
        numbers(&rows(&s, &selectable)),
        ["order00001", "order00003", "order00004", "order00011"]
    );
    let cards = UnprocessedQuery {
        method: Some(PaymentMethod::Card),
        ..q.clone()
    };
    assert_eq!(numbers(&rows(&s, &cards)), ["order00011", "order00010"]);
    let completed = UnprocessedQuery {
        list: Some(OrderList::Completed),
        ..q.clone()
    };
    assert_eq!(numbers(&rows(&s, &completed)), ["order00003"]);
    let search = UnprocessedQuery {
        search: Some("order0000".into()),
        ..q.clone()
    };
    assert_eq!(
        numbers(&rows(&s, &search)),
        ["order00001", "order00003", "order00004", "order00008"]
    );
    let by_amount = UnprocessedQuery {
        search: Some("¥2,000".into()),
        page_size: 2,
        ..q.clone()
    };
    let page = ok(s.unprocessed_list(&by_amount));
    assert_eq!((page.items.len(), page.total), (2, 6), "paged");

    // "Select all" returns the selectable ids, most urgent first, capped by the caller.
    assert_eq!(ok(s.unprocessed_selectable_ids(&q, 2)), [ids[0], ids[2]]);

    // An order with an unsettled operation is shown but not selectable.
    let o = ok(s.get_order(ids[10])).unwrap_or_else(|| panic!("order"));
    let plan = ok(check(&o, &Operation::Capture, day(100), &RULES).map_err(|r| r.code()));
    ok(s.journal_begin(ids[10], &Operation::Capture, &plan, day(100)));
    let row = rows(&s, &q)
        .into_iter()
        .find(|r| r.row.id == ids[10])
        .unwrap_or_else(|| panic!("order 11 listed"));
    assert!(row.operation_unsettled);
    assert_eq!(
        row.eligibility,
        Eligibility::NotEligible(Ineligible::Refused(Refusal::OperationUnsettled))
    );
    assert!(!numbers(&rows(&s, &selectable)).contains(&"order00011".to_owned()));
    let candidates = ok(s.bulk_candidates(&[ids[10], ids[0]]));
    assert!(candidates[0].operation_unsettled && !candidates[1].operation_unsettled);
}

#[test]
fn unprocessed_list_uses_its_partial_index() {
    let (dir, mut s) = store();
    fill(&mut s);
    drop(s);
    let conn = ok(rusqlite::Connection::open(dir.path().join("paydesk.db")));
    // Its deadline order's parts (ahead, passed) and their count, as `unprocessed_list`
    // asks for them (INDEXED BY fails the statement if the index cannot serve it).
    for sql in [
        "SELECT o.id FROM orders o INDEXED BY orders_unprocessed_deadline
         WHERE o.status = '20' AND o.outside_change = 0
           AND coalesce(o.authorized_at, o.ordered_at) > ?1 AND o.deadline_at > ?1
         ORDER BY o.deadline_at ASC, coalesce(o.authorized_at, o.ordered_at) ASC, o.id ASC LIMIT 50",
        "SELECT o.id FROM orders o INDEXED BY orders_unprocessed_deadline
         WHERE o.status = '20' AND o.outside_change = 0
           AND coalesce(o.authorized_at, o.ordered_at) > ?1 AND o.deadline_at <= ?1
         ORDER BY o.deadline_at DESC, coalesce(o.authorized_at, o.ordered_at) DESC, o.id DESC LIMIT 50",
        "SELECT count(*), total(o.deadline_at > ?1) FROM orders o INDEXED BY orders_unprocessed_deadline
         WHERE o.status = '20' AND o.outside_change = 0
           AND coalesce(o.authorized_at, o.ordered_at) > ?1",
    ] {
        let mut stmt = ok(conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")));
        let plan: Vec<String> =
            ok(ok(stmt.query_map([0], |r| r.get(3))).collect::<rusqlite::Result<_>>());
        let plan = plan.join("\n");
        assert!(plan.contains("orders_unprocessed_deadline"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "no sort: {plan}");
    }
}

/// A run over `ids` at `now`, journaled.
fn begin(s: &mut Store, ids: &[OrderId], now: DateTime<Utc>) -> (RunId, RunState) {
    let candidates = ok(s.bulk_candidates(ids));
    let plan = ok(validate_selection(&candidates, now, &RULES).map_err(|e| e.code()));
    let run = ok(s.begin_run(&plan, RequestedBy::App, now));
    (run, RunState::new(&plan))
}

/// Applies an outcome in memory and records the item's new state.
fn step(s: &mut Store, run: RunId, state: &mut RunState, id: OrderId, outcome: Outcome) {
    let step = ok(state.apply(id, &outcome, &RULES));
    assert!(ok(s.record_item_result(run, id, &step.state, day(1))));
}

fn send(s: &mut Store, run: RunId, state: &mut RunState, id: OrderId) {
    let attempt = ok(state.begin_send(id));
    let recorded = ok(s.record_item_result(run, id, &ItemState::InFlight { attempt }, day(1)));
    assert!(recorded);
}

#[test]
fn run_lifecycle_logs_each_order_and_its_history_line() {
    let (_dir, mut s) = store();
    let ids: Vec<OrderId> = (1..=4).map(|n| insert(&mut s, &order(n, 0))).collect();
    let now = day(1);
    let (run, mut state) = begin(&mut s, &ids, now);
    let detail = ok(s.run_detail(run)).unwrap_or_else(|| panic!("run"));
    assert_eq!(detail.summary.status, RunStatus::Running);
    assert_eq!(detail.summary.item_count, 4);
    assert_eq!(detail.summary.total_amount, Yen(8000));
    assert_eq!(detail.summary.requested_by, RequestedBy::App);
    assert!(detail.items.iter().all(|i| i.status == ItemStatus::Pending));

    // Order 1: journaled, sent, captured.
    let o1 = ok(s.get_order(ids[0])).unwrap_or_else(|| panic!("order"));
    let plan = ok(check(&o1, &Operation::Capture, now, &RULES).map_err(|r| r.code()));
    let key = ok(s.journal_begin(ids[0], &Operation::Capture, &plan, now));
    ok(s.set_item_operation_key(run, ids[0], &key));
    send(&mut s, run, &mut state, ids[0]);
    ok(s.journal_mark_sent(&key, now));
    let pending = ok(s.pending_for_order(ids[0])).unwrap_or_else(|| panic!("open"));
    let answer = success_report(&pending, &o1, None, now);
    ok(s.journal_settle(&key, &JournalOutcome::Succeeded(answer), now));
    step(&mut s, run, &mut state, ids[0], Outcome::Captured);

    // Order 2: busy, then refused by the gateway.
    send(&mut s, run, &mut state, ids[1]);
    step(
        &mut s,
        run,
        &mut state,
        ids[1],
        Outcome::Error {
            code: "9004".into(),
            detail: None,
        },
    );
    send(&mut s, run, &mut state, ids[1]);
    step(
        &mut s,
        run,
        &mut state,
        ids[1],
        Outcome::Error {
            code: "2004".into(),
            detail: None,
        },
    );

    // Order 3: captured in Paygent's admin site meanwhile: skipped before sending.
    step(
        &mut s,
        run,
        &mut state,
        ids[2],
        Outcome::Refused(Refusal::AlreadyCaptured),
    );

    // Order 4: the credentials stop working.
    send(&mut s, run, &mut state, ids[3]);
    step(
        &mut s,
        run,
        &mut state,
        ids[3],
        Outcome::Error {
            code: "P002".into(),
            detail: None,
        },
    );
    assert!(state.stop("P002").is_empty());
    assert!(state.is_quiet());
    let end = RunEnd::Ran {
        stopped_by: state.stopped_by().map(str::to_owned),
    };
    assert_eq!(ok(s.finish_run(run, &end, day(1))), RunStatus::Finished);

    let detail = ok(s.run_detail(run)).unwrap_or_else(|| panic!("run"));
    let summary = &detail.summary;
    assert_eq!(
        (
            summary.succeeded,
            summary.failed,
            summary.skipped,
            summary.open
        ),
        (1, 2, 1, 0)
    );
    assert_eq!(summary.captured_amount, Yen(2000));
    assert_eq!(summary.stop_code.as_deref(), Some("P002"));
    assert_eq!(summary.finished_at, Some(day(1)));
    let items = &detail.items;
    assert_eq!(items[0].operation_key.as_ref(), Some(&key));
    assert_eq!(items[0].attempts, 1);
    assert_eq!(items[1].attempts, 2);
    assert_eq!(items[1].error_code.as_deref(), Some("2004"));
    assert_eq!(items[2].skip_reason.as_deref(), Some("already_captured"));
    let line = |i: usize| items[i].line.clone().unwrap_or_else(|| panic!("line {i}"));
    assert_eq!(line(0).ja, "売上確定一括処理: 正常終了");
    assert_eq!(line(0).en, "Bulk capture: completed normally");
    assert!(
        line(1)
            .ja
            .starts_with("売上確定一括処理: エラーコード: 2004 ")
    );

    // The same line is each order's newest history line.
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(ok(s.history(*id))[0].text, line(i), "order {i}");
    }
    // A settled item is recorded once.
    let before = ok(s.history(ids[1])).len();
    assert!(!ok(s.record_item_result(
        run,
        ids[1],
        &ItemState::Succeeded,
        day(2)
    )));
    assert_eq!(ok(s.history(ids[1])).len(), before);

    // Successes leave the unprocessed list; failures stay with their code and line.
    let listed = rows(&s, &UnprocessedQuery::new(day(2)));
    assert_eq!(numbers(&listed), ["order00002", "order00003", "order00004"]);
    let failure = listed
        .iter()
        .find(|r| r.row.id == ids[1])
        .and_then(|r| r.last_failure.clone())
        .unwrap_or_else(|| panic!("failure shown"));
    assert_eq!((failure.run, failure.code.as_str()), (run, "2004"));
    assert_eq!(failure.line, line(1));
    let failed_only = UnprocessedQuery {
        failed_only: true,
        ..UnprocessedQuery::new(day(2))
    };
    assert_eq!(
        numbers(&rows(&s, &failed_only)),
        ["order00002", "order00004"]
    );
    assert!(ok(s.unfinished_runs()).is_empty());
}

#[test]
fn operation_log_keeps_the_newest_runs_and_the_history_lines() {
    let (_dir, mut s) = store();
    let id = insert(&mut s, &order(1, 0));
    let keep = RULES.operation_log_runs;
    // An unfinished run older than all the others is kept until recovery settles it.
    let (stuck, _) = begin(&mut s, &[id], day(1));
    let mut runs = Vec::new();
    for _ in 0..keep + 5 {
        let (run, mut state) = begin(&mut s, &[id], day(1));
        send(&mut s, run, &mut state, id);
        step(
            &mut s,
            run,
            &mut state,
            id,
            Outcome::Error {
                code: "2004".into(),
                detail: None,
            },
        );
        ok(s.finish_run(run, &RunEnd::Ran { stopped_by: None }, day(1)));
        runs.push(run);
    }
    // Pruning happens when a run is recorded: the last finish left one extra.
    let (last, _) = begin(&mut s, &[id], day(2));
    let log = ok(s.operation_log(keep * 2));
    assert_eq!(
        log.len(),
        keep + 1,
        "the newest runs plus the unfinished one"
    );
    assert_eq!(log[0].id, last);
    assert_eq!(log[keep].id, stuck);
    assert_eq!(log[keep - 1].id, runs[runs.len() - (keep - 1)]);
    assert!(ok(s.run_detail(runs[0])).is_none(), "pruned");
    assert_eq!(ok(s.operation_log(10)).len(), 10);
    // Every run's history line stays with the order.
    assert_eq!(ok(s.history(id)).len(), keep + 5);
}

#[test]
fn crash_recovery_lists_unfinished_runs_and_settles_them() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    let (run, ids) = {
        let mut s = ok(Store::open(&path));
        let ids: Vec<OrderId> = (1..=4).map(|n| insert(&mut s, &order(n, 0))).collect();
        let (run, mut state) = begin(&mut s, &ids, day(1));
        send(&mut s, run, &mut state, ids[0]);
        step(&mut s, run, &mut state, ids[0], Outcome::Captured);
        let key = domain::OperationKey("op-2-1".into());
        ok(s.set_item_operation_key(run, ids[1], &key));
        send(&mut s, run, &mut state, ids[1]);
        send(&mut s, run, &mut state, ids[2]);
        step(
            &mut s,
            run,
            &mut state,
            ids[2],
            Outcome::Error {
                code: "E02006".into(),
                detail: None,
            },
        );
        // The app crashes here: order 2 in flight, 3 unknown, 4 never sent.
        (run, ids)
    };
    let mut s = ok(Store::open(&path));
    let unfinished = ok(s.unfinished_runs());
    assert_eq!(unfinished.len(), 1);
    let found = &unfinished[0];
    assert_eq!(
        (found.summary.id, found.summary.status),
        (run, RunStatus::Running)
    );
    let open: Vec<(OrderId, ItemState)> = found
        .open_items
        .iter()
        .map(|i| (i.order_id, i.state.clone()))
        .collect();
    assert_eq!(
        open,
        [
            (ids[1], ItemState::InFlight { attempt: 1 }),
            (
                ids[2],
                ItemState::Unknown {
                    attempts: 1,
                    inquiries: 0,
                    last_code: Some("E02006".into())
                }
            ),
            (ids[3], ItemState::Pending { attempts: 0 }),
        ]
    );
    assert_eq!(
        found.open_items[0].operation_key,
        Some(domain::OperationKey("op-2-1".into()))
    );
    assert_eq!(found.open_items[0].payment_id, order(2, 0).payment_id);

    // First start: order 2 turns out captured; order 3's inquiry fails; order 4 was never
    // sent. The run stays interrupted.
    let verdicts = [Some(Settlement::AlreadyApplied), None, None];
    for (item, verdict) in found.open_items.iter().zip(verdicts) {
        let settled = recover_item(&item.state, verdict);
        ok(s.record_item_result(run, item.order_id, &settled, day(2)));
    }
    assert_eq!(
        ok(s.finish_run(run, &RunEnd::Recovered, day(2))),
        RunStatus::Interrupted
    );
    let again = ok(s.unfinished_runs());
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].summary.status, RunStatus::Interrupted);
    assert_eq!(again[0].open_items.len(), 1);
    assert_eq!(again[0].open_items[0].order_id, ids[2]);

    // Next start: the inquiry shows nothing happened; the run is settled.
    let item = &again[0].open_items[0];
    let settled = recover_item(&item.state, Some(Settlement::NotApplied));
    assert_eq!(
        settled,
        ItemState::Skipped {
            reason: SkipReason::Interrupted
        }
    );
    ok(s.record_item_result(run, item.order_id, &settled, day(3)));
    assert_eq!(
        ok(s.finish_run(run, &RunEnd::Recovered, day(3))),
        RunStatus::Settled
    );
    assert!(ok(s.unfinished_runs()).is_empty());
    let log = ok(s.operation_log(1));
    assert_eq!((log[0].succeeded, log[0].skipped, log[0].open), (2, 2, 0));
    assert!(
        ok(s.history(ids[3]))[0]
            .text
            .en
            .contains("the app closed during the run")
    );
}

#[test]
fn a_version_1_database_is_migrated_with_its_orders_listed() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("paydesk.db");
    {
        let conn = ok(rusqlite::Connection::open(&path));
        ok(conn.execute_batch(include_str!("../../migrations/0001_initial.sql")));
        ok(conn.pragma_update(None, "user_version", 1));
        ok(conn.execute(
            "INSERT INTO orders (order_number, payment_id, method, capture_mode, three_d_secure,
                 amount, status, ordered_at, authorized_at, list, deadline_kind, deadline_at,
                 created_at, updated_at)
             VALUES ('order00001', '12345678901234567890', 'card', 'authorize_only', 0, 1500,
                 '20', ?1, ?1, 'completed', 'capture', ?2, ?1, ?1)",
            [
                t0().timestamp_millis(),
                (t0() + RULES.card_authorization_validity).timestamp_millis(),
            ],
        ));
    }
    let s = ok(Store::open(&path));
    assert_eq!(ok(s.schema_version()), Store::latest_schema_version());
    let listed = rows(&s, &UnprocessedQuery::new(day(1)));
    assert_eq!(numbers(&listed), ["order00001"]);
    assert_eq!(listed[0].eligibility, Eligibility::Selectable);
    assert!(ok(s.operation_log(10)).is_empty());
}
