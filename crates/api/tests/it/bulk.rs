//! Bulk capture against the simulator: a run of 50 with injected failures, oversized and
//! stale selections, credentials breaking mid-run, and a run cut off mid-way (the process
//! "crashes": the run's task is dropped) then settled by the next start.

use std::collections::HashMap;

use api::dto::bulk::{
    BulkItemStatusCode, BulkRunDetail, BulkRunStatusCode, EligibilityCode, UnprocessedQuery,
};
use api::dto::events::DeskEvent;
use api::dto::{CaptureModeCode, OrderDetail};
use serde_json::{Value, json};

use crate::harness::{Harness, keep};

/// `n` authorize-only card orders (`PREFIX_01` …), synced into PayDesk; payment ids by
/// order number.
async fn card_orders(h: &Harness, prefix: &str, n: usize) -> Vec<(String, String)> {
    let mut orders = Vec::new();
    for i in 1..=n {
        let number = format!("{prefix}_{i:02}");
        let payment = h
            .card_checkout(&number, 1000 + i as i64, "authorize_only", false)
            .await;
        orders.push((number, payment));
    }
    h.sync().await;
    orders
}

async fn order_id(h: &Harness, payment_id: &str) -> i64 {
    h.order_of(payment_id)
        .await
        .expect("order synced")
        .summary
        .id
}

async fn fault(h: &Harness, payment_id: &str, fault: Value, times: Option<u32>) {
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": null, "fault": fault, "times": times, "payment_id": payment_id}),
    )
    .await;
}

/// Telegram events of `kind` for one payment: (processed, total).
async fn telegrams(h: &Harness, kind: &str) -> HashMap<String, (usize, usize)> {
    let events = h
        .control("GET", "/control/events?after=0&limit=100000", Value::Null)
        .await;
    let mut by_payment: HashMap<String, (usize, usize)> = HashMap::new();
    for e in events["events"].as_array().unwrap() {
        if e["type"] == "telegram" && e["kind"] == kind {
            let entry = by_payment
                .entry(e["payment_id"].as_str().unwrap_or_default().to_owned())
                .or_default();
            entry.1 += 1;
            if e["processed"] == true {
                entry.0 += 1;
            }
        }
    }
    by_payment
}

fn bulk_lines(detail: &OrderDetail) -> Vec<String> {
    detail
        .history
        .iter()
        .map(|h| h.text.en.clone())
        .filter(|t| t.starts_with("Bulk capture"))
        .collect()
}

fn item<'a>(run: &'a BulkRunDetail, order_number: &str) -> &'a api::dto::bulk::BulkItem {
    run.items
        .iter()
        .find(|i| i.order_number == order_number)
        .unwrap_or_else(|| panic!("{order_number} in the run"))
}

#[tokio::test]
async fn bulk_capture_of_50_with_injected_failures() {
    let h = Harness::quiet("bulk_50").await;
    let orders = card_orders(&h, "BULK", 50).await;
    // An authorize-and-capture order shows as waiting for its automatic capture.
    let auto = h
        .card_checkout("BULK_AUTO", 777, "authorize_and_capture", false)
        .await;
    h.set_capture_mode_for_new(CaptureModeCode::AuthorizeAndCapture)
        .await;
    h.sync().await;
    let pid = |n: usize| orders[n - 1].1.clone();

    let page = h
        .desk
        .bulk_unprocessed(UnprocessedQuery {
            page_size: 100,
            ..UnprocessedQuery::default()
        })
        .await
        .unwrap();
    keep(&page);
    assert_eq!(page.total, 51);
    assert_eq!(page.max_orders, 50);
    let auto_row = page
        .items
        .iter()
        .find(|r| r.order.transaction_id == auto)
        .unwrap();
    assert_eq!(auto_row.eligibility, EligibilityCode::WaitingForAutoCapture);
    assert!(auto_row.auto_capture_at.is_some() && auto_row.reason.is_some());

    let all = h
        .desk
        .bulk_select_all(UnprocessedQuery::default())
        .await
        .unwrap();
    assert_eq!(all.order_ids.len(), 50);
    assert!(!all.more);
    let confirmation = h.desk.bulk_confirm(all.order_ids.clone()).await.unwrap();
    keep(&confirmation);
    assert_eq!(confirmation.orders.len(), 50);
    assert_eq!(
        confirmation.total_yen,
        (1..=50).map(|i| 1000 + i).sum::<i64>()
    );

    // 03: refused by the gateway (2004); 07: expired (2007); 11: busy once (9004, backs
    // off and resends); 15: committed then the answer dropped (settled by inquiry); 19: a
    // system error once (E001: inquiry, then resent).
    fault(&h, &pid(3), json!({"response_code": "2004"}), None).await;
    fault(&h, &pid(7), json!({"response_code": "2007"}), None).await;
    fault(&h, &pid(11), json!("busy_9004"), Some(1)).await;
    fault(&h, &pid(15), json!("commit_then_drop"), Some(1)).await;
    fault(&h, &pid(19), json!({"response_code": "E001"}), Some(1)).await;

    let run = h.desk.bulk_capture(all.order_ids, false).await.unwrap();
    keep(&run);
    assert_eq!(run.summary.status, BulkRunStatusCode::Finished);
    assert_eq!(run.summary.progress.succeeded, 48, "{:#?}", run.items);
    // Issue 15: a normal start does not say "being confirmed with Paygent, not resent"
    // (50 orders merely waiting their turn): that is only for unknown outcomes.
    let started = h
        .events
        .seen
        .lock()
        .unwrap()
        .iter()
        .find_map(|e| match e {
            api::dto::events::DeskEvent::BulkRunStarted { run } => Some(run.summary.clone()),
            _ => None,
        })
        .expect("the run's start was announced");
    assert_eq!(started.progress.open, 50);
    assert!(started.message.is_none(), "{:?}", started.message);
    assert!(run.summary.message.is_none(), "{:?}", run.summary.message);
    assert_eq!(run.summary.progress.failed, 2);
    assert_eq!(run.summary.progress.open, 0);
    assert_eq!(item(&run, "BULK_03").error_code.as_deref(), Some("2004"));
    assert_eq!(item(&run, "BULK_07").error_code.as_deref(), Some("2007"));
    assert!(item(&run, "BULK_03").explanation.is_some());
    assert!(item(&run, "BULK_11").attempts >= 2);

    // The gateway: every success captured once, the failures still authorized.
    let sent = telegrams(&h, "022").await;
    for (i, (number, payment)) in orders.iter().enumerate() {
        let p = h.payment(payment).await;
        let processed = sent.get(payment).map_or(0, |s| s.0);
        if matches!(i + 1, 3 | 7) {
            assert_eq!(p["status"], "20", "{number}");
            assert_eq!(processed, 0, "{number}");
        } else {
            assert_eq!(p["status"], "40", "{number}");
            assert_eq!(processed, 1, "{number} captured once");
        }
    }

    // The unprocessed list keeps the failures (with the code and the explanation) and
    // the automatic one.
    let after = h
        .desk
        .bulk_unprocessed(UnprocessedQuery::default())
        .await
        .unwrap();
    keep(&after);
    assert_eq!(after.total, 3);
    let failed = h
        .desk
        .bulk_unprocessed(UnprocessedQuery {
            failed_only: true,
            ..UnprocessedQuery::default()
        })
        .await
        .unwrap();
    let codes: Vec<_> = failed
        .items
        .iter()
        .map(|r| r.last_failure.as_ref().unwrap().code.clone())
        .collect();
    assert_eq!(failed.total, 2);
    assert!(codes.contains(&"2004".to_owned()) && codes.contains(&"2007".to_owned()));
    assert!(
        failed.items[0]
            .last_failure
            .as_ref()
            .unwrap()
            .message
            .ja
            .len()
            > 5
    );

    // The operation log and the detailed log.
    let log = h.desk.bulk_operation_log().await.unwrap();
    assert_eq!(log.runs.len(), 1);
    assert_eq!(log.keeps, 100);
    assert_eq!(log.runs[0].progress.succeeded, 48);
    let detail = h.desk.bulk_run_detail(log.runs[0].run_id).await.unwrap();
    assert_eq!(detail.items.len(), 50);
    assert_eq!(
        item(&detail, "BULK_01").line.as_ref().unwrap().en,
        "Bulk capture: completed normally"
    );
    assert_eq!(
        item(&detail, "BULK_01").line.as_ref().unwrap().ja,
        "売上確定一括処理: 正常終了"
    );
    assert!(
        item(&detail, "BULK_03")
            .line
            .as_ref()
            .unwrap()
            .en
            .starts_with("Bulk capture: error code: 2004")
    );

    // Each order's history: exactly the detailed-log line, once; no second failure line.
    for (number, payment) in &orders {
        let order = h.order_of(payment).await.unwrap();
        let lines = bulk_lines(&order);
        assert_eq!(lines.len(), 1, "{number}: {lines:?}");
        assert_eq!(&lines[0], &item(&detail, number).line.as_ref().unwrap().en);
        let failures = order
            .history
            .iter()
            .filter(|l| l.text.en.contains("2004") || l.text.en.contains("2007"))
            .count();
        assert!(failures <= 1, "{number}: one line about the failure");
    }

    // The live results arrived as events.
    let events = h.events.seen.lock().unwrap();
    assert!(events.iter().any(|e| matches!(
        e,
        DeskEvent::BulkItemChanged { item, .. } if item.status == BulkItemStatusCode::Succeeded
    )));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DeskEvent::BulkRunFinished { .. }))
    );
}

#[tokio::test]
async fn more_than_50_or_nothing_selected_is_refused() {
    let h = Harness::quiet("bulk_too_many").await;
    let too_many: Vec<i64> = (1..=51).collect();
    let e = h.desk.bulk_confirm(too_many.clone()).await.unwrap_err();
    assert_eq!(e.code, "bulk_selection_too_many");
    assert!(e.message.ja.contains("50") && e.message.en.contains("51"));
    let e = h.desk.bulk_capture(too_many, false).await.unwrap_err();
    assert_eq!(e.code, "bulk_selection_too_many");
    let e = h.desk.bulk_confirm(Vec::new()).await.unwrap_err();
    assert_eq!(e.code, "bulk_selection_empty");
    assert!(h.desk.bulk_operation_log().await.unwrap().runs.is_empty());
}

#[tokio::test]
async fn orders_captured_meanwhile_are_not_captured_again() {
    let h = Harness::quiet("bulk_meanwhile").await;
    let orders = card_orders(&h, "MEAN", 4).await;
    let mut ids = Vec::new();
    for (_, payment) in &orders {
        ids.push(order_id(&h, payment).await);
    }
    let confirmation = h.desk.bulk_confirm(ids.clone()).await.unwrap();
    assert_eq!(confirmation.orders.len(), 4);

    // Between the confirmation and the run: 01 is captured in Paygent's admin site and
    // PayDesk hears of it. The run leaves it out, with the reason.
    let outside = |payment: String| {
        let h = &h;
        async move {
            h.control(
                "POST",
                "/control/outside-operations",
                json!({"payment_id": payment, "operation": "capture"}),
            )
            .await;
            h.sync().await;
        }
    };
    outside(orders[0].1.clone()).await;

    // During the run (one capture at a time; 02's answer is slow): 03 is captured
    // outside. Checked again just before its turn, it is skipped, never sent.
    fault(&h, &orders[1].1, json!({"latency_ms": 1500}), Some(1)).await;
    let desk = h.desk.clone();
    let run_ids = ids.clone();
    let task = tokio::spawn(async move { desk.bulk_capture_with(run_ids, false, 1).await });
    h.wait_until("02 in flight", || async {
        let events = h.events.seen.lock().unwrap();
        events
            .iter()
            .any(|e| matches!(e, DeskEvent::BulkItemChanged { item, .. } if item.order_number == "MEAN_02" && item.status == BulkItemStatusCode::InFlight))
            .then_some(())
    })
    .await;
    outside(orders[2].1.clone()).await;
    let run = task.await.unwrap().unwrap();
    keep(&run);

    let left_out = &run.left_out;
    assert_eq!(left_out.len(), 1);
    assert_eq!(left_out[0].order_number, "MEAN_01");
    assert_eq!(left_out[0].code, "already_captured");
    assert!(!left_out[0].message.ja.is_empty());
    assert_eq!(item(&run, "MEAN_02").status, BulkItemStatusCode::Succeeded);
    let third = item(&run, "MEAN_03");
    assert_eq!(third.status, BulkItemStatusCode::Skipped);
    assert_eq!(third.skip_reason.as_deref(), Some("already_captured"));
    assert!(third.line.as_ref().unwrap().ja.contains("未実行"));
    assert_eq!(item(&run, "MEAN_04").status, BulkItemStatusCode::Succeeded);
    let sent = telegrams(&h, "022").await;
    for (number, payment) in [&orders[0], &orders[2]] {
        assert!(!sent.contains_key(payment), "{number} was not sent");
        let p = h.payment(payment).await;
        assert_eq!(p["status"], "40");
        assert_eq!(p["captured_amount"], p["amount"], "{number} captured once");
    }
}

#[tokio::test]
async fn an_order_captured_outside_unnoticed_is_not_captured_twice() {
    let h = Harness::quiet("bulk_stale").await;
    let orders = card_orders(&h, "STALE", 3).await;
    let mut ids = Vec::new();
    for (_, payment) in &orders {
        ids.push(order_id(&h, payment).await);
    }
    // Captured outside PayDesk, and PayDesk has not heard of it (no sync): the gateway
    // refuses the capture; nothing captured is touched again.
    h.control(
        "POST",
        "/control/outside-operations",
        json!({"payment_id": orders[1].1, "operation": "capture"}),
    )
    .await;
    let run = h.desk.bulk_capture(ids, false).await.unwrap();
    keep(&run);
    // The simulator answers a capture of a captured payment like the first one (no
    // second capture happens); either way the order gets its one line.
    let stale = item(&run, "STALE_02");
    assert!(stale.line.is_some(), "{stale:?}");
    assert_eq!(run.summary.progress.open, 0);
    let p = h.payment(&orders[1].1).await;
    assert_eq!(p["status"], "40");
    assert_eq!(p["captured_amount"], p["amount"]);
}

#[tokio::test]
async fn a_deadline_passed_meanwhile_is_refused_per_order() {
    let h = Harness::quiet("bulk_deadline").await;
    let orders = card_orders(&h, "LATE", 2).await;
    let mut ids = Vec::new();
    for (_, payment) in &orders {
        ids.push(order_id(&h, payment).await);
    }
    assert_eq!(
        h.desk.bulk_confirm(ids.clone()).await.unwrap().orders.len(),
        2
    );
    // 61 days later (PayDesk follows the simulator's clock) the authorizations lapsed.
    h.control("POST", "/control/clock/advance", json!({"days": 61}))
        .await;
    let confirmation = h.desk.bulk_confirm(ids.clone()).await.unwrap();
    keep(&confirmation);
    assert!(confirmation.orders.is_empty());
    assert_eq!(confirmation.refused.len(), 2);
    assert_eq!(
        confirmation.problem.as_ref().unwrap().code,
        "bulk_nothing_to_capture"
    );
    assert!(!confirmation.refused[0].message.ja.is_empty());
    let e = h.desk.bulk_capture(ids, false).await.unwrap_err();
    assert_eq!(e.code, "bulk_nothing_to_capture");
    assert!(telegrams(&h, "022").await.is_empty());
}

#[tokio::test]
async fn credentials_failing_mid_run_stop_the_run() {
    let h = Harness::quiet("bulk_credentials").await;
    let orders = card_orders(&h, "CRED", 8).await;
    let mut ids = Vec::new();
    for (_, payment) in &orders {
        ids.push(order_id(&h, payment).await);
    }
    // The third capture meets a wrong connect password.
    fault(&h, &orders[2].1, json!({"response_code": "P002"}), None).await;
    let run = h.desk.bulk_capture_with(ids, true, 1).await.unwrap();
    keep(&run);
    assert_eq!(run.summary.stop_code.as_deref(), Some("P002"));
    assert_eq!(run.summary.requested_by, "cli");
    let message = run.summary.message.as_ref().expect("a per-run message");
    assert!(message.ja.contains("P002") && message.en.contains("2 orders already captured"));
    assert_eq!(item(&run, "CRED_01").status, BulkItemStatusCode::Succeeded);
    assert_eq!(item(&run, "CRED_02").status, BulkItemStatusCode::Succeeded);
    assert_eq!(item(&run, "CRED_03").status, BulkItemStatusCode::Failed);
    for n in 4..=8 {
        let it = item(&run, &format!("CRED_{n:02}"));
        assert_eq!(it.status, BulkItemStatusCode::Skipped);
        assert_eq!(it.skip_reason.as_deref(), Some("run_stopped"));
    }
    let sent = telegrams(&h, "022").await;
    assert_eq!(sent.values().map(|s| s.0).sum::<usize>(), 2);
    for (_, payment) in &orders[3..] {
        assert!(!sent.contains_key(payment));
        let order = h.order_of(payment).await.unwrap();
        assert_eq!(bulk_lines(&order).len(), 1);
        assert!(order.pending_operation.is_none());
    }
}

#[tokio::test]
async fn a_run_cut_off_midway_is_settled_at_the_next_start_without_capturing_twice() {
    let h = Harness::quiet("bulk_crash").await;
    let orders = card_orders(&h, "CRASH", 12).await;
    let mut ids = Vec::new();
    for (_, payment) in &orders {
        ids.push(order_id(&h, payment).await);
    }
    // The first three captures answer at once, the rest slowly: the run is cut off while
    // some are in flight. The gateway still carries those out (as Paygent does).
    for (_, payment) in &orders[3..] {
        fault(&h, payment, json!({"latency_ms": 2000}), None).await;
    }
    let desk = h.desk.clone();
    let task = tokio::spawn(async move { desk.bulk_capture_with(ids, false, 4).await });
    // Cut off once some orders are in flight (the slow ones).
    h.wait_until("captures in flight", || async {
        let events = h.events.seen.lock().unwrap();
        let in_flight = events
            .iter()
            .filter(|e| matches!(e, DeskEvent::BulkItemChanged { item, .. } if item.status == BulkItemStatusCode::InFlight))
            .count();
        (in_flight >= 7).then_some(())
    })
    .await;
    task.abort();
    let _ = task.await;
    h.control("DELETE", "/control/faults", Value::Null).await;

    // The next start settles the run by inquiry. The captures still at the gateway are
    // not concluded "not done" while they may land; the background settling decides
    // them once they did (here: `sync_now`, which settles what is open).
    let desk = h.reopen().await;
    let deadline = std::time::Instant::now() + crate::harness::PATIENCE;
    let log = loop {
        desk.sync_now().await.unwrap();
        let log = desk.bulk_operation_log().await.unwrap();
        if log.runs[0].status == BulkRunStatusCode::Settled {
            break log;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never settled: {log:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    keep(&log);
    assert_eq!(log.runs.len(), 1);
    assert_eq!(log.runs[0].status, BulkRunStatusCode::Settled);
    assert_eq!(log.runs[0].progress.open, 0);
    let detail = desk.bulk_run_detail(log.runs[0].run_id).await.unwrap();
    let sent = telegrams(&h, "022").await;
    for (number, payment) in &orders {
        let it = item(&detail, number);
        let p = h.payment(payment).await;
        let processed = sent.get(payment).map_or(0, |s| s.0);
        assert!(processed <= 1, "{number} captured at most once");
        match it.status {
            BulkItemStatusCode::Succeeded => assert_eq!(p["status"], "40", "{number}"),
            BulkItemStatusCode::Skipped => {
                assert_eq!(p["status"], "20", "{number}");
                assert_eq!(it.skip_reason.as_deref(), Some("interrupted"));
            }
            other => panic!("{number} left {other:?}"),
        }
        let order = desk.get_order(it.order_id).await.unwrap();
        assert_eq!(bulk_lines(&order).len(), 1, "{number}");
        assert!(order.pending_operation.is_none(), "{number} journal closed");
    }
    assert!(detail.summary.progress.succeeded >= 3);
}
