//! Subscriptions end to end against the real simulator on its own clock: a year of
//! renewals with a P010 failure and each of the four choices, catch-up after PayDesk was
//! off, never twice per cycle, the day-before check, notifications, and e-mail to a real
//! SMTP server on loopback (sent, refused, unreachable), with the SMTP password scanned
//! for everywhere PayDesk writes.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use serde_json::json;

use api::dto::events::DeskEvent;
use api::dto::subscriptions::{
    CardCheckKindCode, CardStateCode, FailedRenewalChoiceCode, FailedRenewalChoiceInput,
    NotificationPreferencesDto, ReminderKindCode, SendRemindersRequest, SmtpSettingsInput,
    SubscriptionImportReport, SubscriptionQuery, SubscriptionStatusCode,
};
use api::dto::{CaptureModeCode, OrderListCode};
use mail::testing::{Mode, TestSmtp};

use crate::harness::{Harness, dto_log, keep, logs};

const SENTINEL_SMTP_PASSWORD: &str = "SENTINEL-smtp-pw-93be1d";
const SHOP_ADDRESS: &str = "shop@example.jp";
const OWNER_ADDRESS: &str = "owner@example.jp";

/// A Japan wall-clock time.
fn jst(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, mi, s)
        .unwrap()
        .with_timezone(&Utc)
}

fn japan_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&FixedOffset::east_opt(9 * 3600).unwrap())
        .date_naive()
}

/// Registers a stored card at the simulator (what the buyer's first purchase did).
async fn stored_card(h: &Harness, customer: &str, expiry: &str) -> String {
    let answer = h
        .control(
            "POST",
            "/control/stored-cards",
            json!({"merchant_id": demo::DEMO_MERCHANT_ID, "customer_id": customer,
                   "card_number": "4900000000000000", "expiry": expiry, "holder": "HANAKO YAMADA"}),
        )
        .await;
    answer["customer_card_id"].as_str().unwrap().to_owned()
}

/// Imports subscription rows (the documented layout, English header).
async fn import(h: &Harness, rows: &str) -> SubscriptionImportReport {
    let path = h.dir.path().join("subscriptions.csv");
    std::fs::write(
        &path,
        format!("customer_id,customer_card_id,buyer_name,buyer_email,cycle,amount,next_renewal_date\n{rows}"),
    )
    .unwrap();
    let report = h
        .desk
        .import_subscriptions_csv(path.display().to_string(), false)
        .await
        .unwrap();
    keep(&report);
    report
}

/// Registers a stored card (valid until `expiry`, `MMYY`) at the simulator for each buyer
/// and imports their subscriptions, each `(customer_id, name, cycle, amount, next renewal
/// date)` with the e-mail `<customer_id without CUST_>@example.jp`; every row must import.
async fn subscribe(h: &Harness, expiry: &str, buyers: &[(&str, &str, &str, i64, &str)]) {
    let mut rows = String::new();
    for (customer, name, cycle, amount, next) in buyers {
        let card = stored_card(h, customer, expiry).await;
        let mail = customer.trim_start_matches("CUST_").to_lowercase();
        rows.push_str(&format!(
            "{customer},{card},{name},{mail}@example.jp,{cycle},{amount},{next}\n"
        ));
    }
    let report = import(h, &rows).await;
    assert_eq!(
        report.imported as usize,
        buyers.len(),
        "{:?}",
        report.errors
    );
}

async fn subscription_id(h: &Harness, customer: &str) -> i64 {
    let page = h
        .desk
        .list_subscriptions(SubscriptionQuery {
            search: Some(customer.into()),
            include_ended: true,
            ..SubscriptionQuery::default()
        })
        .await
        .unwrap();
    keep(&page);
    page.items[0].id
}

fn events(h: &Harness) -> Vec<DeskEvent> {
    h.events.seen.lock().unwrap().clone()
}

fn renewal_failed_events(h: &Harness) -> usize {
    events(h)
        .iter()
        .filter(|e| matches!(e, DeskEvent::RenewalFailed { .. }))
        .count()
}

/// Telegram events of one kind (processed or not) the simulator saw.
async fn telegrams(h: &Harness, kind: &str) -> usize {
    let events = h
        .control(
            "GET",
            "/control/events?after=0&limit=100000",
            serde_json::Value::Null,
        )
        .await;
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "telegram" && e["kind"] == kind)
        .count()
}

async fn choose(
    h: &Harness,
    order: i64,
    kind: FailedRenewalChoiceCode,
    method: Option<&str>,
) -> api::dto::subscriptions::FailedRenewalDto {
    let panel = h
        .desk
        .choose_failed_renewal(
            order,
            FailedRenewalChoiceInput {
                kind,
                payment_method: method.map(str::to_owned),
                subject: None,
                body: None,
            },
        )
        .await
        .unwrap();
    keep(&panel);
    panel
}

/// Issue 19, point 8 (§4.5): the day-before check records and shows which check it made.
/// A validity check of its own needs the card's data (025), which PayDesk never holds for
/// a stored card, so it reads the stored card (027); for a card registered with a
/// validity check it also reads that check's result. The record keeps which it was, and
/// the subscription detail and the card dashboard say it.
#[tokio::test]
async fn s4_5_the_day_before_check_says_which_check_it_made() {
    let h = Harness::quiet("sub_check_kind").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 1, 14, 0, 0, 30));
    let plain = stored_card(&h, "CUST_PLAIN", "1239").await;
    let checked = h
        .control(
            "POST",
            "/control/stored-cards",
            json!({"merchant_id": demo::DEMO_MERCHANT_ID, "customer_id": "CUST_CHECKED",
                   "card_number": "4900000000000000", "expiry": "1239",
                   "holder": "HANAKO YAMADA", "valid_check": true}),
        )
        .await["customer_card_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = import(
        &h,
        &format!(
            "CUST_PLAIN,{plain},山田 花子,hanako@example.jp,1m,1980,2030-01-15\n\
             CUST_CHECKED,{checked},佐藤 一郎,ichiro@example.jp,1m,2980,2030-01-15\n"
        ),
    )
    .await;
    assert_eq!(report.imported, 2, "{:?}", report.errors);
    let plain_id = subscription_id(&h, "CUST_PLAIN").await;
    let checked_id = subscription_id(&h, "CUST_CHECKED").await;
    let run = h.desk.subscriptions_tick().await;
    keep(&run);

    let dash = h.desk.card_dashboard().await.unwrap();
    keep(&dash);
    let of = |id: i64| {
        dash.day_before_checks
            .iter()
            .find(|c| c.subscription_id == id)
            .unwrap_or_else(|| panic!("subscription {id} was checked the day before"))
            .clone()
    };
    let p = of(plain_id);
    assert_eq!(p.renewal_date, "2030-01-15");
    assert!(!p.predicted_failure, "{p:?}");
    assert_eq!(p.check_kind, CardCheckKindCode::StoredCardRead);
    assert!(p.validity_check_unavailable);
    assert!(
        p.check_made.ja.contains("登録済みカードを照会")
            && !p.check_made.ja.contains("カード登録時"),
        "{:?}",
        p.check_made
    );
    assert!(
        p.check_made.en.contains("cannot be made on a stored card"),
        "{:?}",
        p.check_made
    );
    let c = of(checked_id);
    assert!(!c.predicted_failure, "{c:?}");
    assert_eq!(
        c.check_kind,
        CardCheckKindCode::StoredCardReadWithRegistrationCheck
    );
    assert!(!c.validity_check_unavailable);
    assert!(
        c.check_made
            .ja
            .contains("カード登録時（2030-01-14）の有効性チェックの結果「正常」"),
        "{:?}",
        c.check_made
    );
    assert!(
        c.check_made
            .en
            .contains("validity check made when it was registered (2030-01-14): OK"),
        "{:?}",
        c.check_made
    );
    // The label carries no jargon (issue 15): no telegram numbers.
    for t in [&p.check_made, &c.check_made] {
        assert!(!t.ja.contains("027") && !t.en.contains("025"), "{t:?}");
    }

    // The record is what the subscription's own screen shows, after a restart too.
    let desk = h.reopen().await;
    let detail = desk.get_subscription(checked_id).await.unwrap();
    keep(&detail);
    let kept = detail.card_check.expect("the check is recorded");
    assert_eq!(kept.check_kind, c.check_kind);
    assert_eq!(kept.check_made, c.check_made);
}

#[tokio::test]
async fn a_simulated_year_of_renewals_with_a_p010_failure_and_each_of_the_four_choices() {
    let h = Harness::quiet("sub_year").await;
    let sim = h.embedded.simulator();
    // Every pass runs just after 0:00 Japan time, as the scheduler does.
    sim.set_time(jst(2030, 1, 15, 0, 0, 30));
    // The card is valid through June 2030: renewals from July fail with P010.
    let card = stored_card(&h, "CUST_Y", "0630").await;
    let report = import(
        &h,
        &format!("CUST_Y,{card},山田 花子,hanako@example.jp,1m,1980,2030-02-01\n"),
    )
    .await;
    assert_eq!(report.imported, 1, "{:?}", report.errors);
    let id = subscription_id(&h, "CUST_Y").await;
    let refreshed = h.desk.refresh_card(id).await.unwrap();
    assert_eq!(refreshed.card_expiry.as_deref(), Some("2030-06"));
    assert_eq!(refreshed.card_state, CardStateCode::Valid);

    let mut authorized = Vec::new();
    let mut failed = Vec::new();
    let mut checked_the_day_before = false;
    for day in 0..366 {
        if day > 0 {
            sim.advance(Duration::days(1));
        }
        let today = japan_date(sim.now());
        if today == NaiveDate::from_ymd_opt(2030, 5, 15).unwrap() {
            // The shop changes its capture mode: renewals use the mode in force.
            h.set_capture_mode_for_new(CaptureModeCode::AuthorizeAndCapture)
                .await;
        }
        let run = h.desk.subscriptions_tick().await;
        keep(&run);
        for o in run.outcomes {
            assert!(!o.late, "{o:?}");
            assert_eq!(o.renewal_date, today.to_string());
            match o.outcome.as_str() {
                "authorized" => authorized.push(o),
                "failed" => failed.push(o),
                other => panic!("unexpected outcome {other}: {o:?}"),
            }
        }
        if today == NaiveDate::from_ymd_opt(2030, 6, 30).unwrap() {
            // The day before: the check predicts the failure and the dashboard lists it.
            let dash = h.desk.card_dashboard().await.unwrap();
            keep(&dash);
            let check = dash
                .day_before_checks
                .iter()
                .find(|c| c.subscription_id == id)
                .expect("tomorrow's card was checked");
            assert_eq!(check.renewal_date, "2030-07-01");
            assert!(check.predicted_failure, "{check:?}");
            assert_eq!(dash.predicted_failure_yen, 1980);
            assert_eq!(dash.predicted_failures[0].id, id);
            assert_eq!(dash.expiring_soon, 1);
            checked_the_day_before = true;
        }
        // The shop answers each failure with one of the four choices, in turn.
        if let Some(f) = failed.last()
            && f.renewal_date == today.to_string()
        {
            let order = f.order_id.unwrap();
            let panel = h.desk.failed_renewal(order).await.unwrap().unwrap();
            keep(&panel);
            assert_eq!(panel.error.code, "P010");
            assert!(
                panel.error.message.en.to_lowercase().contains("expired"),
                "{:?}",
                panel.error
            );
            assert_eq!(panel.choices.len(), 4);
            let detail = h.desk.get_order(order).await.unwrap();
            keep(&detail);
            assert_eq!(detail.summary.status.code, "11");
            assert!(detail.history.iter().any(|l| l.text.en.contains("P010")));
            // P010 comes before any payment: no transaction ID is shown, and asking
            // Paygent about it is answered plainly instead of sending a stand-in.
            assert_eq!(detail.summary.transaction_id, "");
            assert!(detail.transaction_ids.is_empty());
            let inquiries = telegrams(&h, "094").await;
            let err = h.desk.refresh_order(order).await.unwrap_err();
            assert_eq!(err.code, "no_transaction", "{err:?}");
            assert_eq!(telegrams(&h, "094").await, inquiries);
            let before = telegrams(&h, "020").await;
            match failed.len() {
                1 => {
                    let p = choose(&h, order, FailedRenewalChoiceCode::CancelOrder, None).await;
                    assert_eq!(p.order_choice, Some(FailedRenewalChoiceCode::CancelOrder));
                    let detail = h.desk.get_order(order).await.unwrap();
                    assert_eq!(detail.summary.list, OrderListCode::Cancelled);
                }
                2 => {
                    let p = choose(
                        &h,
                        order,
                        FailedRenewalChoiceCode::SwitchPaymentMethod,
                        Some("銀行振込"),
                    )
                    .await;
                    assert_eq!(p.payment_method_label.as_deref(), Some("銀行振込"));
                    let detail = h.desk.get_order(order).await.unwrap();
                    assert!(
                        detail
                            .history
                            .iter()
                            .any(|l| l.text.ja.contains("銀行振込"))
                    );
                }
                3 => {
                    let p = choose(
                        &h,
                        order,
                        FailedRenewalChoiceCode::AskBuyerToUpdateCard,
                        None,
                    )
                    .await;
                    assert_eq!(
                        p.future_choice,
                        Some(FailedRenewalChoiceCode::AskBuyerToUpdateCard)
                    );
                    let mails = h.desk.list_mails(None).await.unwrap();
                    keep(&mails);
                    assert_eq!(mails.len(), 1);
                    assert_eq!(mails[0].to, "hanako@example.jp");
                    assert_eq!(mails[0].reminder_kind, Some(ReminderKindCode::Expired));
                    assert_eq!(mails[0].state, "queued");
                    assert!(mails[0].body.contains("山田 花子"));
                    assert!(mails[0].body.contains("CUST_Y"));
                }
                4 => {
                    let p = choose(&h, order, FailedRenewalChoiceCode::EndSubscription, None).await;
                    assert_eq!(p.subscription_status, SubscriptionStatusCode::Ended);
                }
                n => panic!("renewal failed again after the subscription ended ({n})"),
            }
            // No choice calls the gateway.
            assert_eq!(telegrams(&h, "020").await, before);
        }
    }
    assert!(checked_the_day_before);
    let dates: Vec<&str> = authorized.iter().map(|o| o.renewal_date.as_str()).collect();
    assert_eq!(
        dates,
        [
            "2030-02-01",
            "2030-03-01",
            "2030-04-01",
            "2030-05-01",
            "2030-06-01"
        ]
    );
    let dates: Vec<&str> = failed.iter().map(|o| o.renewal_date.as_str()).collect();
    assert_eq!(
        dates,
        ["2030-07-01", "2030-08-01", "2030-09-01", "2030-10-01"]
    );
    for o in &failed {
        assert_eq!(o.error.as_ref().unwrap().code, "P010");
    }
    // Nine authorizations sent in the year, one per cycle, none after the end.
    assert_eq!(telegrams(&h, "020").await, 9);
    // Renewal orders carry the capture mode in force when they ran.
    for o in &authorized {
        let detail = h.desk.get_order(o.order_id.unwrap()).await.unwrap();
        keep(&detail);
        assert_eq!(detail.summary.amount_yen, 1980);
        assert_eq!(
            detail.summary.order_number,
            format!("S{id}_{}", o.cycle_index)
        );
        let expected = if o.renewal_date.as_str() >= "2030-05-15" {
            CaptureModeCode::AuthorizeAndCapture
        } else {
            CaptureModeCode::AuthorizeOnly
        };
        assert_eq!(detail.summary.capture_mode, expected, "{}", o.renewal_date);
        // §4.2, §5.3: an authorize-and-capture renewal (020 with sales_mode=1) is captured
        // at once by the gateway, and the order says so from the start.
        let status = if expected == CaptureModeCode::AuthorizeAndCapture {
            "40"
        } else {
            "20"
        };
        assert_eq!(detail.summary.status.code, status, "{}", o.renewal_date);
    }
    let detail = h.desk.get_subscription(id).await.unwrap();
    keep(&detail);
    assert_eq!(detail.summary.status, SubscriptionStatusCode::Ended);
    assert_eq!(detail.cycles.len(), 9);
    // A failed renewal notifies at once; the card digest told when the card entered
    // "expiring soon" (April) and "expired" (July).
    assert_eq!(renewal_failed_events(&h), 4);
    let digests = events(&h)
        .iter()
        .filter(|e| matches!(e, DeskEvent::CardDigest { .. }))
        .count();
    assert_eq!(digests, 2);
}

#[tokio::test]
async fn catch_up_after_being_off_runs_the_latest_cycle_late_and_says_which_were_missed() {
    let h = Harness::quiet("sub_catch_up").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 3, 1, 10, 0, 0));
    subscribe(
        &h,
        "1235",
        &[
            ("CUST_W", "週次 太郎", "1w", 800, "2030-03-02"),
            ("CUST_M", "月次 次郎", "1m", 3000, "2030-03-05"),
        ],
    )
    .await;
    // PayDesk is off for almost three weeks, then starts: the scheduler catches up at once.
    sim.set_time(jst(2030, 3, 20, 8, 0, 0));
    tokio::spawn(h.desk.clone().run_subscriptions());
    let w = subscription_id(&h, "CUST_W").await;
    let m = subscription_id(&h, "CUST_M").await;
    let (weekly, monthly) = h
        .wait_until("the catch-up renewals", || async {
            let weekly = h.desk.get_subscription(w).await.unwrap();
            let monthly = h.desk.get_subscription(m).await.unwrap();
            let done = |d: &api::dto::subscriptions::SubscriptionDetail| {
                d.cycles.iter().any(|c| c.state == "authorized")
            };
            (done(&weekly) && done(&monthly)).then_some((weekly, monthly))
        })
        .await;
    keep(&weekly);
    keep(&monthly);
    let states: Vec<(&str, &str, bool)> = weekly
        .cycles
        .iter()
        .map(|c| (c.renewal_date.as_str(), c.state.as_str(), c.late))
        .collect();
    assert_eq!(
        states,
        [
            ("2030-03-02", "missed", true),
            ("2030-03-09", "missed", true),
            ("2030-03-16", "authorized", true),
        ]
    );
    assert_eq!(
        weekly.summary.next_renewal_date.as_deref(),
        Some("2030-03-23")
    );
    let note = &weekly.late_notes[0];
    assert!(
        note.en.contains("2030-03-16") && note.en.contains("late"),
        "{note:?}"
    );
    assert!(note.en.contains("2030-03-02, 2030-03-09"), "{note:?}");
    assert!(note.ja.contains("遅れて実行"), "{note:?}");
    assert_eq!(monthly.cycles.len(), 1);
    assert!(monthly.cycles[0].late);
    assert!(
        monthly.late_notes[0].en.contains("368 hours late"),
        "{:?}",
        monthly.late_notes
    );
    assert_eq!(
        monthly.summary.next_renewal_date.as_deref(),
        Some("2030-04-05")
    );
    // One authorization per subscription, not one per missed cycle.
    assert_eq!(telegrams(&h, "020").await, 2);
}

#[tokio::test]
async fn a_renewal_is_never_authorized_twice_for_one_cycle() {
    let h = Harness::quiet("sub_never_twice").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 4, 1, 0, 1, 0));
    subscribe(
        &h,
        "1235",
        &[
            ("CUST_A", "甲 一郎", "1m", 1200, "2030-04-01"),
            ("CUST_B", "乙 二郎", "1m", 1300, "2030-04-02"),
            ("CUST_C", "丙 三郎", "1m", 1400, "2030-04-03"),
        ],
    )
    .await;

    // The gateway authorizes, then the connection drops before the answer.
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "020", "fault": "commit_then_drop", "times": 1}),
    )
    .await;
    let run = h.desk.run_due_renewals().await.unwrap();
    keep(&run);
    assert_eq!(run.outcomes.len(), 1);
    assert_eq!(
        run.outcomes[0].outcome, "authorized",
        "{:?}",
        run.outcomes[0]
    );
    assert_eq!(h.processed_telegrams("020").await, 1);
    // Running again sends nothing: the cycle is recorded.
    let again = h.desk.run_due_renewals().await.unwrap();
    assert!(again.outcomes.is_empty());
    assert_eq!(h.processed_telegrams("020").await, 1);

    // The gateway answers 503 without processing: the inquiry finds nothing, so the
    // same cycle (same order number) is sent once more and authorized.
    sim.set_time(jst(2030, 4, 2, 0, 1, 0));
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "020", "fault": {"http_status": 503}, "times": 1}),
    )
    .await;
    let run = h.desk.run_due_renewals().await.unwrap();
    assert_eq!(
        run.outcomes[0].outcome, "authorized",
        "{:?}",
        run.outcomes[0]
    );
    assert_eq!(h.processed_telegrams("020").await, 2);

    // A lost answer whose inquiry also fails stays open; after a restart it is settled
    // by inquiry before anything is sent, and never sent twice.
    sim.set_time(jst(2030, 4, 3, 0, 1, 0));
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "020", "fault": "commit_then_drop", "times": 1}),
    )
    .await;
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "094", "fault": {"http_status": 503}, "times": 1}),
    )
    .await;
    let run = h.desk.run_due_renewals().await.unwrap();
    assert_eq!(run.outcomes[0].outcome, "unknown", "{:?}", run.outcomes[0]);
    let id = subscription_id(&h, "CUST_C").await;
    let detail = h.desk.get_subscription(id).await.unwrap();
    assert_eq!(detail.cycles[0].state, "unknown");
    let restarted = h.reopen().await;
    let run = restarted.run_due_renewals().await.unwrap();
    assert!(run.outcomes.is_empty());
    let detail = restarted.get_subscription(id).await.unwrap();
    keep(&detail);
    assert_eq!(detail.cycles[0].state, "authorized");
    assert!(detail.cycles[0].order_id.is_some());
    assert_eq!(h.processed_telegrams("020").await, 3);
}

/// Found by the end-to-end tests under load (2026-12-07): a renewal pass decided on its
/// first copy of every due subscription, so one the shop moved to another date (or paused)
/// while the renewals before it waited for the gateway was charged for its old date, and
/// the shop's new date was overwritten. Each renewal is now decided on the subscription as
/// it is when its turn comes.
#[tokio::test]
async fn a_subscription_edited_while_the_renewals_before_it_run_is_decided_on_the_edit() {
    use api::dto::subscriptions::{SubscriptionInput, SubscriptionStatusCode};

    let h = Harness::quiet("sub_edited_mid_pass").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 4, 1, 0, 1, 0));
    subscribe(
        &h,
        "1235",
        &[
            ("CUST_A", "甲 一郎", "1m", 1200, "2030-04-01"),
            ("CUST_B", "乙 二郎", "1m", 1300, "2030-04-01"),
            ("CUST_C", "丙 三郎", "1m", 1400, "2030-04-01"),
        ],
    )
    .await;
    let (id_b, id_c) = (
        subscription_id(&h, "CUST_B").await,
        subscription_id(&h, "CUST_C").await,
    );

    // The first renewal's authorization takes two seconds at the gateway; meanwhile the
    // shop moves B to the 10th and pauses C.
    h.control(
        "POST",
        "/control/faults",
        json!({"telegram_kind": "020", "fault": {"latency_ms": 2000}, "times": 1}),
    )
    .await;
    let desk = h.desk.clone();
    let pass = tokio::spawn(async move { desk.run_due_renewals().await });
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let edit = |status, date: Option<&str>| SubscriptionInput {
        status,
        next_renewal_date: date.map(str::to_owned),
        ..Default::default()
    };
    h.desk
        .update_subscription(id_b, edit(None, Some("2030-04-10")))
        .await
        .unwrap();
    h.desk
        .update_subscription(id_c, edit(Some(SubscriptionStatusCode::Paused), None))
        .await
        .unwrap();
    let run = pass.await.unwrap().unwrap();
    keep(&run);

    let charged: Vec<(i64, &str)> = run
        .outcomes
        .iter()
        .map(|o| (o.subscription_id, o.outcome.as_str()))
        .collect();
    assert_eq!(charged.len(), 1, "{charged:?}");
    assert_eq!(charged[0].1, "authorized", "{charged:?}");
    assert_eq!(h.processed_telegrams("020").await, 1);
    let moved = h.desk.get_subscription(id_b).await.unwrap();
    keep(&moved);
    assert_eq!(
        moved.summary.next_renewal_date.as_deref(),
        Some("2030-04-10")
    );
    assert!(moved.cycles.is_empty(), "{:?}", moved.cycles);
    let paused = h.desk.get_subscription(id_c).await.unwrap();
    assert_eq!(paused.summary.status, SubscriptionStatusCode::Paused);
    assert!(paused.cycles.is_empty(), "{:?}", paused.cycles);
}

#[tokio::test]
async fn blocked_renewals_are_not_attempted_and_say_why() {
    let h = Harness::quiet("sub_blocked").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 6, 1, 0, 1, 0));
    subscribe(
        &h,
        "1235",
        &[
            ("CUST_F", "手数料 別途", "1m", 2000, "2030-06-01"),
            ("CUST_R", "範囲 外", "1m", 2000, "2030-06-01"),
        ],
    )
    .await;
    let f = subscription_id(&h, "CUST_F").await;
    let r = subscription_id(&h, "CUST_R").await;
    // More than the card's 7-digit payment_amount allows.
    h.desk
        .update_subscription(
            r,
            api::dto::subscriptions::SubscriptionInput {
                amount_yen: Some(10_000_000),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    h.desk
        .update_subscription(
            f,
            api::dto::subscriptions::SubscriptionInput {
                fees_to_be_advised: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let run = h.desk.run_due_renewals().await.unwrap();
    keep(&run);
    assert!(
        run.outcomes.iter().all(|o| o.outcome == "blocked"),
        "{run:?}"
    );
    assert_eq!(telegrams(&h, "020").await, 0);
    let fees = h.desk.get_subscription(f).await.unwrap();
    assert_eq!(
        fees.summary.block.as_ref().unwrap().code,
        "fees_to_be_advised"
    );
    let range = h.desk.get_subscription(r).await.unwrap();
    assert_eq!(
        range.summary.block.as_ref().unwrap().code,
        "amount_out_of_range"
    );
    // Still due: once fixed, the cycle runs (late is judged by the clock, not the block).
    h.desk
        .update_subscription(
            f,
            api::dto::subscriptions::SubscriptionInput {
                fees_to_be_advised: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let run = h.desk.run_due_renewals().await.unwrap();
    let fixed: Vec<_> = run
        .outcomes
        .iter()
        .filter(|o| o.subscription_id == f)
        .collect();
    assert_eq!(fixed[0].outcome, "authorized");
    assert!(
        h.desk
            .get_subscription(f)
            .await
            .unwrap()
            .summary
            .block
            .is_none()
    );
}

#[tokio::test]
async fn a_subscription_starts_from_a_first_purchase_on_a_stored_card() {
    let h = Harness::quiet("sub_first_purchase").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 1, 31, 12, 0, 0));
    let answer = h
        .control(
            "POST",
            "/control/checkouts/card",
            json!({"merchant_id": demo::DEMO_MERCHANT_ID, "trading_id": "FIRST_1", "amount": 4980,
                   "card_number": "4900000000000000", "expiry": "0231", "capture_mode": "authorize_only",
                   "three_d_secure": false, "customer_id": "CUST_FP"}),
        )
        .await;
    assert_eq!(answer["result"], "0", "{answer}");
    let payment = answer["payment_id"].as_str().unwrap().to_owned();
    h.tick().await;
    h.sync().await;
    let order = h.order_of(&payment).await.unwrap();
    let sub = h
        .desk
        .create_subscription_from_order(order.summary.id, "1m".into())
        .await
        .unwrap();
    keep(&sub);
    assert_eq!(sub.customer_id, "CUST_FP");
    assert!(!sub.customer_card_id.is_empty());
    assert_eq!(sub.amount_yen, 4980);
    // Bought on Jan 31: renews at month end (Feb 28), from the card read with the order.
    assert_eq!(sub.next_renewal_date.as_deref(), Some("2030-02-28"));
    assert_eq!(sub.card_expiry.as_deref(), Some("2031-02"));

    // A paid-with-token order without a stored card cannot start one.
    let plain = h
        .card_checkout("PLAIN_1", 1000, "authorize_only", false)
        .await;
    h.tick().await;
    h.sync().await;
    let plain = h.order_of(&plain).await.unwrap();
    let err = h
        .desk
        .create_subscription_from_order(plain.summary.id, "1m".into())
        .await
        .unwrap_err();
    assert_eq!(err.code, "not_renewable");
}

#[tokio::test]
async fn the_csv_import_reports_malformed_rows_and_unknown_stored_cards_plainly() {
    let h = Harness::quiet("sub_import").await;
    h.embedded.simulator().set_time(jst(2030, 2, 1, 9, 0, 0));
    let card = stored_card(&h, "CUST_I", "1235").await;
    // A malformed row next to a good one: the good one is imported, the bad one reported
    // by line and column.
    let report = import(
        &h,
        &format!("CUST_I,{card},良い 行,i@example.jp,1m,1500,2030-03-01\nCUST_J,abc,悪い 行,j@example.jp,every day,-5,2030-02-30\n"),
    )
    .await;
    assert_eq!(report.imported, 1, "{report:?}");
    assert!(report.errors.iter().all(|e| e.line == 3), "{report:?}");
    let columns: Vec<&str> = report
        .errors
        .iter()
        .filter_map(|e| e.column.as_deref())
        .collect();
    assert!(
        columns.contains(&"cycle") && columns.contains(&"amount"),
        "{columns:?}"
    );
    // A stored card Paygent does not know: reported by line, nothing imported.
    let report = import(
        &h,
        "CUST_I,999,知らない カード,x@example.jp,1m,1500,2030-03-01\n",
    )
    .await;
    assert_eq!(report.imported, 0);
    assert_eq!(report.errors[0].line, 2);
    assert!(
        report.errors[0]
            .message
            .en
            .contains("no stored card \"999\""),
        "{report:?}"
    );
}

#[tokio::test]
async fn failed_renewal_notifications_can_be_turned_off() {
    let h = Harness::quiet("sub_notify_prefs").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 8, 1, 0, 1, 0));
    subscribe(
        &h,
        "0130",
        &[
            ("CUST_N1", "通知 一", "1m", 1000, "2030-08-01"),
            ("CUST_N2", "通知 二", "1m", 1000, "2030-08-02"),
        ],
    )
    .await;
    let mut prefs = h.desk.notification_preferences().await.unwrap();
    assert!(prefs.renewal_failed && prefs.card_digest && prefs.capture_deadline);
    prefs.renewal_failed = false;
    h.desk.save_notification_preferences(prefs).await.unwrap();
    let run = h.desk.run_due_renewals().await.unwrap();
    assert_eq!(run.outcomes[0].outcome, "failed");
    assert_eq!(renewal_failed_events(&h), 0);
    h.desk
        .save_notification_preferences(NotificationPreferencesDto {
            renewal_failed: true,
            card_digest: true,
            capture_deadline: true,
            start_at_login: false,
        })
        .await
        .unwrap();
    sim.set_time(jst(2030, 8, 2, 0, 1, 0));
    h.desk.run_due_renewals().await.unwrap();
    assert_eq!(renewal_failed_events(&h), 1);
    let notification = events(&h)
        .into_iter()
        .find_map(|e| match e {
            DeskEvent::RenewalFailed { notification } => Some(notification),
            _ => None,
        })
        .unwrap();
    assert_eq!(notification.screen, "order");
    assert!(notification.body.ja.contains("通知 二"));
    assert!(notification.target_id.is_some());
}

async fn configure_smtp(h: &Harness, port: u16) {
    let saved = h
        .desk
        .save_smtp_settings(SmtpSettingsInput {
            host: Some("127.0.0.1".into()),
            port: Some(port),
            security: Some("plain".into()),
            username: Some(SHOP_ADDRESS.into()),
            password: Some(SENTINEL_SMTP_PASSWORD.into()),
            from_address: Some(SHOP_ADDRESS.into()),
            from_name: None,
            shop_contact: Some("東京都渋谷区神宮前1-2-3\nshop@example.jp\n03-1234-5678".into()),
            summary_to: Some(OWNER_ADDRESS.into()),
            mail_language: Some("ja".into()),
            reminder_schedule: None,
            summary_schedule: None,
        })
        .await
        .unwrap();
    keep(&saved);
    assert!(saved.password_set && saved.complete);
}

fn parsed(data: &[u8]) -> (String, String) {
    let message = mail_parser::MessageParser::default().parse(data).unwrap();
    (
        message.subject().unwrap_or_default().to_owned(),
        message.body_text(0).unwrap_or_default().into_owned(),
    )
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn reminders_and_the_monthly_summary_reach_a_real_smtp_server_on_loopback() {
    let h = Harness::quiet("sub_smtp").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 5, 10, 10, 0, 0));
    let mut server = TestSmtp::start(Mode::RequireAuth(SHOP_ADDRESS, SENTINEL_SMTP_PASSWORD)).await;
    configure_smtp(&h, server.addr.port()).await;
    let test = h.desk.test_smtp(None).await.unwrap();
    keep(&test);
    assert!(test.ok, "{test:?}");

    let card = stored_card(&h, "CUST_S", "0630").await;
    import(
        &h,
        &format!("CUST_S,{card},佐藤 美咲,misaki@example.jp,1m,2980,2030-06-01\n"),
    )
    .await;
    let id = subscription_id(&h, "CUST_S").await;
    let sub = h.desk.refresh_card(id).await.unwrap();
    assert_eq!(sub.card_state, CardStateCode::ExpiringSoon);

    // The built-in "expiring soon" text, filled in.
    let preview = h.desk.preview_reminder(id, None, None, None).await.unwrap();
    keep(&preview);
    assert_eq!(preview.kind, ReminderKindCode::ExpiringSoon);
    assert!(
        preview.subject.contains("デモショップ"),
        "{}",
        preview.subject
    );
    assert!(preview.body.contains("佐藤 美咲") && preview.body.contains("CUST_S"));
    assert!(preview.blocked.is_none());

    // An invalid placeholder: a clear message and nothing queued.
    let err = h
        .desk
        .send_reminders(SendRemindersRequest {
            subscription_ids: vec![id],
            kind: None,
            subject: None,
            body: Some("{buyer} 様".into()),
        })
        .await
        .unwrap_err();
    keep(&err);
    assert_eq!(err.code, "template_unknown_placeholder");
    assert!(err.message.en.contains("{buyer}") && err.message.en.contains("{buyer_name}"));
    assert!(h.desk.list_mails(None).await.unwrap().is_empty());

    // An edited text, sent by hand.
    let report = h
        .desk
        .send_reminders(SendRemindersRequest {
            subscription_ids: vec![id],
            kind: None,
            subject: Some("カード更新のお願い {shop_name}".into()),
            body: Some("{buyer_name} 様\n会員ID: {member_id}\n{shop_contact}\n".into()),
        })
        .await
        .unwrap();
    keep(&report);
    // Sent right away, and the report says so (issue 15: "queued" is not "sent").
    assert_eq!(
        (report.queued, report.sent, report.failed, report.waiting),
        (1, 1, 0, 0),
        "{report:?}"
    );
    assert!(report.problem.is_none());
    let received = server.next().await;
    assert_eq!(received.login.as_deref(), Some(SHOP_ADDRESS));
    assert_eq!(received.mail_from, format!("<{SHOP_ADDRESS}>"));
    assert_eq!(received.rcpt_to, ["<misaki@example.jp>"]);
    let (subject, body) = parsed(&received.data);
    assert_eq!(subject, "カード更新のお願い デモショップ");
    assert!(body.contains("佐藤 美咲 様"), "{body}");
    assert!(body.contains("会員ID: CUST_S"), "{body}");
    assert!(body.contains("03-1234-5678"), "{body}");

    // The outreach log keeps it, so the same reminder does not go twice in the period.
    let detail = h.desk.get_subscription(id).await.unwrap();
    keep(&detail);
    assert_eq!(detail.outreach.len(), 1);
    let again = h
        .desk
        .send_reminders(SendRemindersRequest {
            subscription_ids: vec![id],
            kind: None,
            subject: None,
            body: None,
        })
        .await
        .unwrap();
    assert_eq!(again.queued, 0);
    assert!(
        again.skipped[0].reason.en.contains("already sent")
            || again.skipped[0].reason.en.contains("was sent"),
        "{again:?}"
    );

    // The monthly summary to the shop.
    sim.set_time(jst(2030, 6, 1, 9, 30, 0));
    h.desk.run_due_renewals().await.unwrap();
    let run = h.desk.send_monthly_summary_now().await.unwrap();
    assert_eq!(run.sent, 1, "{run:?}");
    let received = server.next().await;
    assert_eq!(received.rcpt_to, [format!("<{OWNER_ADDRESS}>")]);
    let (subject, body) = parsed(&received.data);
    assert!(subject.contains("2030年5月"), "{subject}");
    assert!(body.contains("カード期限間近: 1件"), "{body}");

    // The SMTP password is nowhere PayDesk writes: database, logs, events, DTOs.
    let mut files = Vec::new();
    for entry in std::fs::read_dir(h.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(files.iter().any(|(p, _)| p.ends_with("paydesk.sqlite3")));
    for (path, bytes) in &files {
        assert!(
            !contains(bytes, SENTINEL_SMTP_PASSWORD),
            "the SMTP password is in {path}"
        );
    }
    let logs = logs().lock().unwrap().clone();
    assert!(
        !contains(&logs, SENTINEL_SMTP_PASSWORD),
        "the SMTP password is in the logs"
    );
    let events: Vec<String> = events(&h)
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let dtos = dto_log().lock().unwrap().join("\n") + &events.join("\n");
    assert!(
        !dtos.contains(SENTINEL_SMTP_PASSWORD),
        "the SMTP password is in a DTO"
    );
}

#[tokio::test]
async fn a_refusing_or_unreachable_smtp_server_leaves_the_mail_failed_and_visible() {
    let h = Harness::quiet("sub_smtp_down").await;
    h.embedded.simulator().set_time(jst(2030, 5, 10, 10, 0, 0));
    let refusing = TestSmtp::start(Mode::RefuseRecipient(550, "5.1.1 mailbox unavailable")).await;
    configure_smtp(&h, refusing.addr.port()).await;
    let card = stored_card(&h, "CUST_D", "0130").await;
    import(
        &h,
        &format!("CUST_D,{card},田中 一郎,ichiro@example.jp,1m,1000,2030-06-01\n"),
    )
    .await;
    let id = subscription_id(&h, "CUST_D").await;
    let sub = h.desk.refresh_card(id).await.unwrap();
    assert_eq!(sub.card_state, CardStateCode::Expired);
    let report = h
        .desk
        .send_reminders(SendRemindersRequest {
            subscription_ids: vec![id],
            kind: Some(ReminderKindCode::Expired),
            subject: None,
            body: None,
        })
        .await
        .unwrap();
    keep(&report);
    // The server refuses the recipient: the report says failed, not "queued" or "done",
    // with the server's answer in the shop's language (issue 15).
    assert_eq!(
        (report.queued, report.sent, report.failed, report.waiting),
        (1, 0, 1, 0),
        "{report:?}"
    );
    let problem = report.problem.as_ref().unwrap();
    assert_eq!(problem.code, "smtp_refused");
    assert!(
        problem.message.ja.contains("受け付けませんでした"),
        "{problem:?}"
    );
    let ready = h.desk.mail_readiness().await.unwrap();
    keep(&ready);
    assert!(ready.configured);
    assert_eq!(ready.last_failure.as_ref().unwrap().code, "smtp_refused");
    assert_eq!(ready.waiting, 1);
    let mails = h.desk.list_mails(Some("failed".into())).await.unwrap();
    keep(&mails);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        mails[0]
    );
    let id_of_mail = mails[0].id;

    // The server is down: still failed and visible, never lost.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_port = down.local_addr().unwrap().port();
    drop(down);
    configure_smtp(&h, down_port).await;
    let run = h.desk.retry_mail(id_of_mail).await.unwrap();
    assert_eq!(
        run.problem.as_ref().unwrap().code,
        "smtp_unreachable",
        "{run:?}"
    );
    // In Japanese for the Japanese screen: the system's English error stays in `en`.
    let ja = &run.problem.as_ref().unwrap().message.ja;
    assert!(ja.contains("接続を拒否されました"), "{ja}");
    assert!(!ja.contains("os error"), "{ja}");
    let mails = h.desk.list_mails(None).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].state, "failed");
    assert_eq!(mails[0].attempts, 1);
    assert!(
        mails[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("smtp_unreachable")
    );
    // No outreach was logged for a mail that never went.
    assert!(
        h.desk
            .get_subscription(id)
            .await
            .unwrap()
            .outreach
            .is_empty()
    );

    // Back up: the retry delivers it.
    let mut server = TestSmtp::start(Mode::Accept).await;
    configure_smtp(&h, server.addr.port()).await;
    let run = h.desk.retry_mail(id_of_mail).await.unwrap();
    assert_eq!(run.sent, 1, "{run:?}");
    let ready = h.desk.mail_readiness().await.unwrap();
    assert!(ready.last_failure.is_none(), "{ready:?}");
    assert_eq!(ready.waiting, 0);
    let received = server.next().await;
    let (subject, _) = parsed(&received.data);
    assert!(subject.contains("有効期限が切れています"), "{subject}");
    assert_eq!(
        h.desk.list_mails(Some("sent".into())).await.unwrap().len(),
        1
    );
}

/// Issue 15, point 3: a failed renewal's choices tell the truth and can be taken back.
/// Switching to a bank transfer shows on the order (not "card, authorization failed") and
/// the monthly summary counts it as switched, not as collected; ending the subscription
/// leaves no next renewal date, says when it ended, and can be undone; "ask the buyer"
/// stays "waiting" while SMTP is not set up, and is sent (and says so) once it is.
#[tokio::test]
async fn issue15_failed_renewal_choices_tell_the_truth_and_can_be_taken_back() {
    let h = Harness::quiet("sub_truth").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 7, 1, 0, 0, 30));
    let card = stored_card(&h, "CUST_T", "0630").await;
    import(
        &h,
        &format!("CUST_T,{card},鈴木 一郎,ichiro@example.jp,1m,3300,2030-07-01\n"),
    )
    .await;
    let id = subscription_id(&h, "CUST_T").await;
    h.desk.refresh_card(id).await.unwrap();
    let run = h.desk.subscriptions_tick().await;
    keep(&run);
    let order = run.outcomes[0].order_id.unwrap();
    assert_eq!(run.outcomes[0].outcome, "failed");

    // Switch to a bank transfer: the order says how it is paid now.
    let p = choose(
        &h,
        order,
        FailedRenewalChoiceCode::SwitchPaymentMethod,
        Some("銀行振込"),
    )
    .await;
    assert_eq!(p.payment_method_label.as_deref(), Some("銀行振込"));
    let detail = h.desk.get_order(order).await.unwrap();
    keep(&detail);
    assert_eq!(
        detail.summary.payment_method_label.as_deref(),
        Some("銀行振込")
    );
    assert!(
        detail.summary.status.label.ja.contains("銀行振込")
            && detail.summary.status.label.ja.contains("入金未確認"),
        "{:?}",
        detail.summary.status
    );
    let listed = h
        .desk
        .list_orders(api::dto::OrderQuery {
            search: Some(detail.summary.order_number.clone()),
            list: None,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        listed.items[0].payment_method_label.as_deref(),
        Some("銀行振込")
    );
    // ... and it can be taken back: a failed card payment again, with a history line.
    let p = h
        .desk
        .undo_failed_renewal_choice(order, FailedRenewalChoiceCode::SwitchPaymentMethod)
        .await
        .unwrap();
    keep(&p);
    assert_eq!(p.order_choice, None);
    let detail = h.desk.get_order(order).await.unwrap();
    assert_eq!(detail.summary.payment_method_label, None);
    assert!(
        detail
            .history
            .iter()
            .any(|l| l.text.ja.contains("変更を取り消しました"))
    );
    choose(
        &h,
        order,
        FailedRenewalChoiceCode::SwitchPaymentMethod,
        Some("銀行振込"),
    )
    .await;

    // Ask the buyer, with no SMTP settings: the panel says so before, and afterwards the
    // mail is waiting, not "done".
    let before = h.desk.failed_renewal(order).await.unwrap().unwrap();
    assert!(!before.mail_readiness.configured);
    let p = choose(
        &h,
        order,
        FailedRenewalChoiceCode::AskBuyerToUpdateCard,
        None,
    )
    .await;
    let reminder = p.reminder.as_ref().expect("the panel shows the mail");
    assert_eq!(reminder.state, "queued");
    assert_eq!(reminder.to, "ichiro@example.jp");
    // SMTP set up: the queue sends it and the panel says sent.
    let mut server = TestSmtp::start(Mode::RequireAuth(SHOP_ADDRESS, SENTINEL_SMTP_PASSWORD)).await;
    configure_smtp(&h, server.addr.port()).await;
    h.desk.send_mail_queue().await;
    server.next().await;
    let p = h.desk.failed_renewal(order).await.unwrap().unwrap();
    assert_eq!(p.reminder.as_ref().unwrap().state, "sent");
    assert!(p.reminder.as_ref().unwrap().sent_at.is_some());

    // End the subscription: no next renewal date, the end's date, and an undo.
    let p = choose(&h, order, FailedRenewalChoiceCode::EndSubscription, None).await;
    assert_eq!(p.subscription_status, SubscriptionStatusCode::Ended);
    let sub = h.desk.get_subscription(id).await.unwrap();
    keep(&sub);
    assert_eq!(sub.summary.next_renewal_date, None);
    assert!(sub.summary.ended_at.is_some());
    let p = h
        .desk
        .undo_failed_renewal_choice(order, FailedRenewalChoiceCode::EndSubscription)
        .await
        .unwrap();
    assert_eq!(p.subscription_status, SubscriptionStatusCode::Active);
    assert_eq!(p.future_choice, None);
    let sub = h.desk.get_subscription(id).await.unwrap();
    assert_eq!(sub.summary.next_renewal_date.as_deref(), Some("2030-08-01"));
    assert_eq!(sub.summary.ended_at, None);

    // Ended on the subscription screen while paused: reopening brings back "paused".
    h.desk
        .update_subscription(
            id,
            api::dto::subscriptions::SubscriptionInput {
                status: Some(SubscriptionStatusCode::Paused),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ended = h
        .desk
        .update_subscription(
            id,
            api::dto::subscriptions::SubscriptionInput {
                status: Some(SubscriptionStatusCode::Ended),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ended.summary.next_renewal_date, None);
    assert!(ended.summary.ended_at.is_some());
    let reopened = h.desk.reopen_subscription(id).await.unwrap();
    assert_eq!(reopened.summary.status, SubscriptionStatusCode::Paused);
    assert_eq!(reopened.summary.ended_at, None);

    // The July summary: one failure, switched to another method, not collected.
    sim.set_time(jst(2030, 8, 1, 9, 30, 0));
    let run = h.desk.send_monthly_summary_now().await.unwrap();
    assert_eq!(run.sent, 1, "{run:?}");
    let (_, body) = parsed(&server.next().await.data);
    assert!(body.contains("継続決済の失敗: 1件（¥3,300）"), "{body}");
    assert!(body.contains("うちカードで回収済み: 0件（¥0）"), "{body}");
    assert!(
        body.contains(
            "うち別の支払方法に変更（ペイジェント外・入金はPayDeskでは未確認）: 1件（¥3,300）"
        ),
        "{body}"
    );
}

/// Issue 15: a reminder that is already waiting to be sent is listed with the buyer's name
/// (it came back with an empty name).
#[tokio::test]
async fn issue15_the_already_waiting_reminder_names_its_buyer() {
    let h = Harness::quiet("sub_dup_name").await;
    let sim = h.embedded.simulator();
    sim.set_time(jst(2030, 5, 10, 10, 0, 0));
    // Nothing listens here: the first mail stays waiting.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    configure_smtp(&h, port).await;
    let card = stored_card(&h, "CUST_D", "0630").await;
    import(
        &h,
        &format!("CUST_D,{card},高橋 一郎,ichiro@example.jp,1m,2980,2030-06-01\n"),
    )
    .await;
    let id = subscription_id(&h, "CUST_D").await;
    h.desk.refresh_card(id).await.unwrap();
    let report = h
        .desk
        .send_reminders(SendRemindersRequest {
            subscription_ids: vec![id, id],
            kind: None,
            subject: None,
            body: None,
        })
        .await
        .unwrap();
    keep(&report);
    let waiting = report
        .skipped
        .iter()
        .find(|s| s.reason.en.contains("already waiting"))
        .unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(waiting.buyer_name, "高橋 一郎");
}
