//! Subscriptions in the store: a simulated year of renewals through the renewal journal
//! (with a P010 failure and each of the four choices), catch-up, blocks, the CSV import and
//! its per-row report, the mail queue and outreach log, the card list, templates and
//! notification preferences.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::mail_template::TemplateKind;
use domain::subscription::*;
use domain::{CaptureMode, Order, OrderId, OrderList, PaymentMethod, PaymentStatus, RULES, Yen};
use store::subscriptions::{CardListQuery, CycleState, ImportPolicy, MailPurpose, NewMail};
use store::{BeginRenewal, CardRefresh, MailState, QueueOutcome, Store};

use crate::{ok, store};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date"))
}

fn at(d: NaiveDate, minutes: i64) -> DateTime<Utc> {
    renewal_due_at(d) + TimeDelta::minutes(minutes)
}

fn new_sub(customer: &str, next: NaiveDate, expiry: Option<CardExpiry>) -> Subscription {
    Subscription {
        id: SubscriptionId(0),
        customer_id: customer.into(),
        customer_card_id: "100200300".into(),
        buyer_name: "山田 太郎".into(),
        buyer_email: Some("taro@example.jp".into()),
        cycle: Cycle::Months(1),
        billing_day: chrono::Datelike::day(&next),
        amount: Yen(3980),
        fees_to_be_advised: false,
        contract_end: None,
        next_renewal_date: next,
        next_cycle_index: 1,
        status: SubscriptionStatus::Active,
        card_expiry: expiry,
        card_refreshed_at: None,
        capture_mode: CaptureMode::AuthorizeOnly,
    }
}

fn renewal_order(number: &str, status: PaymentStatus, amount: Yen, now: DateTime<Utc>) -> Order {
    Order {
        order_number: number.into(),
        payment_id: format!("R{number}"),
        method: PaymentMethod::Card,
        capture_mode: CaptureMode::AuthorizeOnly,
        three_d_secure: false,
        amount,
        captured_amount: Yen(0),
        refunded_amount: Yen(0),
        status,
        ordered_at: now,
        authorized_at: (status == PaymentStatus::Authorized).then_some(now),
        captured_at: None,
        list: OrderList::Open,
        outside_change: false,
        buyer_name: Some("山田 太郎".into()),
        buyer_name_kana: None,
        buyer_email: None,
    }
}

/// What the fake gateway did with one renewal.
#[derive(Debug)]
struct Ran {
    key: domain::OperationKey,
    date: NaiveDate,
    failed: bool,
}

/// One scheduler tick as the api layer will run it: due renewals, checks, journal, a fake
/// gateway that refuses with P010 once the card expired, and the order.
fn tick(s: &mut Store, now: DateTime<Utc>) -> Vec<Ran> {
    let today = japan_date(now);
    let subs = ok(s.due_subscriptions(today));
    let mut ran = Vec::new();
    for due in due_renewals(&subs, now, &RULES) {
        let Some(sub) = subs.iter().find(|x| x.id == due.subscription) else {
            continue;
        };
        if let Err(block) = renewal_check(sub, now, &RULES, None) {
            ok(s.record_renewal_block(sub.id, block, now));
            continue;
        }
        let BeginRenewal::Started { key, order_number } =
            ok(s.begin_renewal(sub, &due, sub.capture_mode, now))
        else {
            panic!("a due cycle was already recorded");
        };
        ok(s.mark_renewal_sent(&key, now));
        let expired = sub
            .card_expiry
            .is_some_and(|e| card_state(e, due.renewal_date, &RULES) == CardState::Expired);
        if expired {
            let order = ok(s.insert_order(
                &renewal_order(
                    &order_number,
                    PaymentStatus::AuthorizationFailed,
                    sub.amount,
                    now,
                ),
                now,
            ));
            ok(s.renewal_failed(&key, "P010", None, Some(order), now));
        } else {
            let order = ok(s.insert_order(
                &renewal_order(&order_number, PaymentStatus::Authorized, sub.amount, now),
                now,
            ));
            ok(s.renewal_authorized(&key, order, now));
        }
        ran.push(Ran {
            key,
            date: due.renewal_date,
            failed: expired,
        });
    }
    ran
}

fn run_year(s: &mut Store, from: NaiveDate, days: i64) -> Vec<Ran> {
    let mut all = Vec::new();
    for d in 0..days {
        all.extend(tick(s, at(from + TimeDelta::days(d), 1)));
    }
    all
}

#[test]
fn a_simulated_year_with_a_p010_failure_and_each_of_the_four_choices() {
    let (_dir, mut s) = store();
    let t = at(date(2024, 1, 1), 0);
    let june = CardExpiry::new(2024, 6);
    let a = ok(s.insert_subscription(&new_sub("cancel", date(2024, 1, 31), june), None, t));
    let b = ok(s.insert_subscription(&new_sub("switch", date(2024, 1, 31), june), None, t));
    let c = ok(s.insert_subscription(&new_sub("end", date(2024, 1, 31), june), None, t));
    let d = ok(s.insert_subscription(&new_sub("ask", date(2024, 1, 31), june), None, t));
    let ran = run_year(&mut s, date(2024, 1, 1), 366);
    // Jan–Jun renew; July 31 fails with P010 for all four; then each choice.
    let first_failure: Vec<&Ran> = ran.iter().filter(|r| r.failed).collect();
    assert_eq!(
        first_failure.len(),
        4 * 6,
        "Jul–Dec fail while nobody acts: {ran:?}"
    );
    assert_eq!(ran.iter().filter(|r| !r.failed).count(), 4 * 6);
    let feb: Vec<NaiveDate> = ran
        .iter()
        .filter(|r| r.key.0.starts_with(&format!("renewal:{}:", a.0)))
        .map(|r| r.date)
        .take(3)
        .collect();
    assert_eq!(
        feb,
        vec![date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    );

    // Replay the year with the shop acting on the first failure.
    let (_dir2, mut s) = store();
    let a = ok(s.insert_subscription(&new_sub("cancel", date(2024, 1, 31), june), None, t));
    let b2 = ok(s.insert_subscription(&new_sub("switch", date(2024, 1, 31), june), None, t));
    let c2 = ok(s.insert_subscription(&new_sub("end", date(2024, 1, 31), june), None, t));
    let d2 = ok(s.insert_subscription(&new_sub("ask", date(2024, 1, 31), june), None, t));
    let _ = (b, c, d);
    let mut log = run_year(&mut s, date(2024, 1, 1), 213); // through July 31
    let failed: Vec<&Ran> = log.iter().filter(|r| r.failed).collect();
    assert_eq!(failed.len(), 4);
    let key_of = |id: SubscriptionId| renewal_key(id, 7);
    let now = at(date(2024, 7, 31), 600);
    let failure = ok(s.renewal_cycle(&key_of(a))).unwrap_or_else(|| panic!("cycle"));
    assert_eq!(
        (failure.state, failure.error_code.as_deref()),
        (CycleState::Failed, Some("P010"))
    );
    let shown = failed_renewal(failure.error_code.as_deref().unwrap_or(""), None);
    assert!(
        shown.explanation.en.contains("expired"),
        "{}",
        shown.explanation.en
    );

    // 1. Cancel this order: it moves to the cancelled list, with a history line.
    ok(s.record_failed_renewal_choice(
        &key_of(a),
        &FailedRenewalChoice::CancelOrder,
        Some(CardState::Expired),
        now,
    ));
    let order_a = failure.order_id.unwrap_or(OrderId(0));
    assert_eq!(
        ok(s.get_order(order_a)).map(|o| o.list),
        Some(OrderList::Cancelled)
    );
    assert!(
        ok(s.history(order_a))
            .iter()
            .any(|h| h.text.ja.contains("キャンセル一覧へ移動"))
    );

    // 2. Switch to another payment method: recorded, counted as switched (not as
    // recovered: the money is to come outside Paygent).
    ok(s.record_failed_renewal_choice(
        &key_of(b2),
        &FailedRenewalChoice::SwitchPaymentMethod("銀行振込".into()),
        None,
        now,
    ));
    let switched = ok(s.renewal_cycle(&key_of(b2))).unwrap_or_else(|| panic!("cycle"));
    assert_eq!(switched.payment_method_label.as_deref(), Some("銀行振込"));
    assert!(!switched.recovered);
    assert_eq!(
        switched.order_choice.as_deref(),
        Some("switch_payment_method")
    );
    let order_b = switched.order_id.unwrap_or(OrderId(0));
    assert_eq!(
        ok(s.switched_payment_method(order_b)).as_deref(),
        Some("銀行振込")
    );
    // The switch can be taken back (issue 15): the order is a failed card payment again,
    // with a history line; then the shop switches once more.
    assert_eq!(
        ok(s.undo_order_choice(&key_of(b2), now)),
        Some(FailedRenewalChoiceKind::SwitchPaymentMethod)
    );
    assert_eq!(ok(s.switched_payment_method(order_b)), None);
    assert!(
        ok(s.history(order_b))
            .iter()
            .any(|h| h.text.ja.contains("変更を取り消しました"))
    );
    ok(s.record_failed_renewal_choice(
        &key_of(b2),
        &FailedRenewalChoice::SwitchPaymentMethod("銀行振込".into()),
        None,
        now,
    ));

    // 3. End the subscription: no more renewals; when it ended is kept, and the end can
    //    be taken back to the status it had.
    assert_eq!(ok(s.subscription_end(c2)), None);
    ok(s.record_failed_renewal_choice(
        &key_of(c2),
        &FailedRenewalChoice::EndSubscription,
        None,
        now,
    ));
    assert_eq!(
        ok(s.get_subscription(c2)).map(|x| x.status),
        Some(SubscriptionStatus::Ended)
    );
    let ended_at = ok(s.subscription_end(c2)).map(|(at, before)| (at.timestamp(), before));
    assert_eq!(
        ended_at,
        Some((now.timestamp(), SubscriptionStatus::Active))
    );
    assert!(ok(s.undo_end_choice(&key_of(c2), now)));
    assert_eq!(
        ok(s.get_subscription(c2)).map(|x| x.status),
        Some(SubscriptionStatus::Active)
    );
    assert_eq!(ok(s.subscription_end(c2)), None);
    ok(s.record_failed_renewal_choice(
        &key_of(c2),
        &FailedRenewalChoice::EndSubscription,
        None,
        now,
    ));

    // 4. Ask the buyer to update the card: the reminder is queued and sent; the buyer
    //    updates the card; reminders stop and renewals succeed again.
    let effects = ok(s.record_failed_renewal_choice(
        &key_of(d2),
        &FailedRenewalChoice::AskBuyerToUpdateCard,
        Some(CardState::Expired),
        now,
    ));
    assert_eq!(effects.reminder, Some(ReminderKind::Expired));
    let queued = ok(s.queue_mails(
        &[NewMail {
            purpose: MailPurpose::Reminder(ReminderKind::Expired),
            customer_id: Some("ask".into()),
            subscription: Some(d2),
            card_expiry: june,
            to: "taro@example.jp".into(),
            subject: "《クレジットカード変更のお願い》有効期限が切れています".into(),
            body: "山田 太郎 様".into(),
        }],
        now,
    ));
    let QueueOutcome::Queued(mail) = queued[0] else {
        panic!("not queued")
    };
    ok(s.mark_mail_sent(mail, now));
    let outreach = ok(s.outreach_log("ask"));
    assert_eq!(outreach.len(), 1);
    let context = |s: &Store| {
        let sub = ok(s.get_subscription(d2)).unwrap_or_else(|| panic!("sub"));
        ReminderContext {
            card_expiry: sub.card_expiry,
            card_refreshed_at: sub.card_refreshed_at,
            renewal_succeeded_at: ok(s.last_successful_renewal("ask")),
        }
    };
    let soon_after = now + TimeDelta::days(3);
    assert_eq!(
        reminder_decision(
            ReminderKind::Expired,
            &outreach,
            context(&s),
            soon_after,
            &RULES
        ),
        ReminderDecision::AlreadySent(now)
    );
    assert_eq!(
        ok(s.refresh_stored_card(
            "ask",
            "100200300",
            CardExpiry::new(2029, 12).unwrap_or_else(|| panic!()),
            Some("4242"),
            soon_after
        )),
        CardRefresh::Updated
    );
    assert_eq!(
        reminder_decision(
            ReminderKind::Expired,
            &outreach,
            context(&s),
            soon_after + RULES.reminder_period,
            &RULES
        ),
        ReminderDecision::CardNotInState(CardState::Valid)
    );

    // The rest of the year: the updated card renews; the cancel/switch ones keep failing
    // (their cards are unchanged); the ended one never renews.
    log.extend(run_year(&mut s, date(2024, 8, 1), 153));
    let after: Vec<&Ran> = log.iter().filter(|r| r.date > date(2024, 7, 31)).collect();
    let of = |id: SubscriptionId| {
        after
            .iter()
            .filter(move |r| r.key.0.starts_with(&format!("renewal:{}:", id.0)))
    };
    assert!(
        of(d2).all(|r| !r.failed) && of(d2).count() == 5,
        "{after:?}"
    );
    assert_eq!(of(c2).count(), 0);
    assert!(of(a).all(|r| r.failed) && of(a).count() == 5);
    ok(s.mark_renewal_recovered(&key_of(d2)));

    // Never twice: the same due cycle is refused by the journal.
    let sub_d = ok(s.get_subscription(d2)).unwrap_or_else(|| panic!("sub"));
    let stale = DueRenewal {
        subscription: d2,
        cycle_index: 7,
        renewal_date: date(2024, 7, 31),
        due_at: renewal_due_at(date(2024, 7, 31)),
        late: false,
        missed: Vec::new(),
        following_date: date(2024, 8, 31),
    };
    assert_eq!(
        ok(s.begin_renewal(&sub_d, &stale, sub_d.capture_mode, now)),
        BeginRenewal::AlreadyRecorded(CycleState::Failed)
    );
    assert!(ok(s.open_renewals()).is_empty());

    // The July summary.
    let (from, to) = store::subscriptions::month_bounds(2024, 7).unwrap_or_else(|| panic!());
    let records = ok(s.cycle_records(from, to));
    let live = ok(s.live_subscriptions());
    let cards = dashboard(&live, date(2024, 8, 1), &RULES);
    let summary = monthly_summary(2024, 7, &records, &[], &cards);
    assert_eq!(
        (
            summary.failures,
            summary.recovered,
            summary.switched,
            summary.renewals
        ),
        (4, 1, 1, 0)
    );
    assert_eq!(summary.failure_amount, Yen(4 * 3980));
}

/// Found by the end-to-end tests under load (2026-12-07): a renewal pass decided on its
/// first copy of every due subscription, and one the shop moved to another date while the
/// renewals before it ran was charged for its old date anyway, its new date overwritten.
/// A renewal is journaled only while the subscription still charges like the copy it was
/// computed from; whatever the shop changed stays as the shop left it.
#[test]
fn a_renewal_decided_on_a_copy_the_shop_changed_since_is_not_journaled() {
    let (_dir, mut s) = store();
    let now = at(date(2024, 5, 10), 60);
    type Edit = fn(&mut Subscription);
    let edits: [(&str, Edit); 3] = [
        ("moved", |x| x.next_renewal_date = date(2024, 5, 20)),
        ("paused", |x| x.status = SubscriptionStatus::Paused),
        ("new amount", |x| x.amount = Yen(4980)),
    ];
    for (i, (what, edit)) in edits.into_iter().enumerate() {
        let id = ok(s.insert_subscription(
            &new_sub(
                &format!("chg{i}"),
                date(2024, 5, 10),
                CardExpiry::new(2030, 1),
            ),
            None,
            now,
        ));
        let copy = ok(s.get_subscription(id)).unwrap_or_else(|| panic!("{what}"));
        let due = due_renewals(std::slice::from_ref(&copy), now, &RULES);
        assert_eq!(due.len(), 1, "{what}");
        let mut edited = copy.clone();
        edit(&mut edited);
        ok(s.update_subscription(&edited, now));

        let begun = ok(s.begin_renewal(&copy, &due[0], CaptureMode::AuthorizeOnly, now));
        assert_eq!(begun, BeginRenewal::Changed, "{what}");
        assert!(ok(s.renewal_cycles(id)).is_empty(), "{what}: journaled");
        let kept = ok(s.get_subscription(id)).unwrap_or_else(|| panic!("{what}"));
        assert_eq!(kept, edited, "{what}: the shop's edit was not kept");

        // Decided again on the subscription as it is now: the moved and the paused one are
        // not due; the new amount is what gets journaled.
        let again = due_renewals(std::slice::from_ref(&kept), now, &RULES);
        if let Some(due) = again.first() {
            let begun = ok(s.begin_renewal(&kept, due, CaptureMode::AuthorizeOnly, now));
            assert!(matches!(begun, BeginRenewal::Started { .. }), "{what}");
            let cycles = ok(s.renewal_cycles(id));
            assert_eq!(cycles.len(), 1, "{what}");
            assert_eq!(cycles[0].amount, Yen(4980), "{what}");
        } else {
            assert_ne!(what, "new amount");
        }
    }
    // A buyer's new e-mail does not change what is charged: the renewal goes ahead.
    let id = ok(s.insert_subscription(
        &new_sub("mail", date(2024, 5, 10), CardExpiry::new(2030, 1)),
        None,
        now,
    ));
    let copy = ok(s.get_subscription(id)).unwrap_or_else(|| panic!("mail"));
    let due = due_renewals(std::slice::from_ref(&copy), now, &RULES);
    let mut edited = copy.clone();
    edited.buyer_email = Some("new@example.jp".into());
    ok(s.update_subscription(&edited, now));
    let begun = ok(s.begin_renewal(&copy, &due[0], CaptureMode::AuthorizeOnly, now));
    assert!(matches!(begun, BeginRenewal::Started { .. }));
}

#[test]
fn catch_up_records_missed_cycles_and_a_late_renewal() {
    let (_dir, mut s) = store();
    let t = at(date(2024, 3, 1), 0);
    let id = ok(s.insert_subscription(
        &new_sub("m1", date(2024, 3, 10), CardExpiry::new(2030, 1)),
        None,
        t,
    ));
    let now = at(date(2024, 5, 15), 9 * 60);
    let subs = ok(s.due_subscriptions(japan_date(now)));
    let due = due_renewals(&subs, now, &RULES);
    assert_eq!(due.len(), 1);
    let started = ok(s.begin_renewal(&subs[0], &due[0], CaptureMode::AuthorizeOnly, now));
    assert!(matches!(started, BeginRenewal::Started { .. }));
    let cycles = ok(s.renewal_cycles(id));
    let states: Vec<(u32, CycleState, bool)> = cycles
        .iter()
        .map(|c| (c.cycle_index, c.state, c.late))
        .collect();
    assert_eq!(
        states,
        vec![
            (1, CycleState::Missed, true),
            (2, CycleState::Missed, true),
            (3, CycleState::Pending, true)
        ]
    );
    let sub = ok(s.get_subscription(id)).unwrap_or_else(|| panic!());
    assert_eq!(
        (sub.next_renewal_date, sub.next_cycle_index),
        (date(2024, 6, 10), 4)
    );
    // After a crash the open cycle is listed for an inquiry by order number.
    let open = ok(s.open_renewals());
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].order_number, renewal_order_number(id, 3));
    ok(s.mark_renewal_unknown(&open[0].key));
    assert_eq!(
        ok(s.renewal_cycle(&open[0].key)).map(|c| c.state),
        Some(CycleState::Unknown)
    );
}

#[test]
fn a_blocked_renewal_shows_why_and_is_not_consumed() {
    let (_dir, mut s) = store();
    let t = at(date(2024, 3, 1), 0);
    let mut sub = new_sub("b1", date(2024, 3, 10), None);
    sub.fees_to_be_advised = true;
    let id = ok(s.insert_subscription(&sub, None, t));
    let ran = tick(&mut s, at(date(2024, 3, 10), 1));
    assert!(ran.is_empty());
    let block = ok(s.renewal_block(id)).unwrap_or_else(|| panic!("no block shown"));
    assert_eq!(block.code, "fees_to_be_advised");
    assert!(block.text.ja.contains("別途"));
    assert!(ok(s.renewal_cycles(id)).is_empty());
    // The shop fixes it: the same cycle renews (late) and the block clears.
    let mut fixed = ok(s.get_subscription(id)).unwrap_or_else(|| panic!());
    fixed.fees_to_be_advised = false;
    ok(s.update_subscription(&fixed, at(date(2024, 3, 10), 600)));
    let ran = tick(&mut s, at(date(2024, 3, 10), 601));
    assert_eq!(ran.len(), 1);
    assert_eq!(ok(s.renewal_cycles(id))[0].cycle_index, 1);
    assert!(ok(s.renewal_cycles(id))[0].late);
    assert_eq!(ok(s.renewal_block(id)), None);
}

const CSV_UTF8: &str = "\u{feff}customer_id,customer_card_id,buyer_name,buyer_email,cycle,amount,next_renewal_date,billing_day,status,fees_to_be_advised,contract_end,card_expiry
m001,1001,山田 太郎,taro@example.jp,1m,\"3,980\",2024-05-31,31,active,0,,1226
m002,1002,鈴木 花子,,2か月ごと,¥5000,2024/06/15,,paused,1,2025-03-31,2025-01
m003,abc,佐藤 一郎,ichiro.example,monthly,12x,2024-02-30,,sleeping,maybe,,13/26
m004,1004,\"田中, 健\",ken@example.jp,1w,1500,2024-05-20,,,,,
";

#[test]
fn import_refuses_duplicates_and_unknown_stored_cards_and_can_be_all_or_nothing() {
    let (_dir, mut s) = store();
    let now = at(date(2024, 5, 1), 0);
    // The gateway listed customer m004's cards: 9999 only.
    ok(s.refresh_stored_card(
        "m004",
        "9999",
        CardExpiry::new(2027, 1).unwrap_or_else(|| panic!()),
        None,
        now,
    ));
    let all_or_nothing = ok(s.import_subscriptions(
        CSV_UTF8.as_bytes(),
        ImportPolicy::AllOrNothing,
        CaptureMode::AuthorizeOnly,
        now,
    ));
    assert!(all_or_nothing.imported.is_empty());
    assert!(ok(s.live_subscriptions()).is_empty(), "nothing half-done");
    let report = ok(s.import_subscriptions(
        CSV_UTF8.as_bytes(),
        ImportPolicy::ValidRowsOnly,
        CaptureMode::AuthorizeOnly,
        now,
    ));
    assert_eq!(report.imported.len(), 2);
    assert!(report.errors.iter().any(|e| {
        e.line == 5
            && e.message
                .en
                .contains("not a stored card of customer \"m004\" (stored: 9999)")
    }));
    let first = ok(s.get_subscription(report.imported[0])).unwrap_or_else(|| panic!());
    assert_eq!(
        (first.next_cycle_index, first.card_expiry),
        (0, CardExpiry::new(2026, 12))
    );
    let again = ok(s.import_subscriptions(
        CSV_UTF8.as_bytes(),
        ImportPolicy::ValidRowsOnly,
        CaptureMode::AuthorizeOnly,
        now,
    ));
    assert!(again.imported.is_empty());
    assert_eq!(
        again
            .errors
            .iter()
            .filter(|e| e.message.en.contains("already exists"))
            .count(),
        2
    );
}

#[test]
fn the_mail_queue_keeps_failures_visible_and_retries_them() {
    let (_dir, mut s) = store();
    let now = at(date(2024, 5, 1), 0);
    let reminder = NewMail {
        purpose: MailPurpose::Reminder(ReminderKind::ExpiringSoon),
        customer_id: Some("m1".into()),
        subscription: None,
        card_expiry: CardExpiry::new(2024, 6),
        to: "taro@example.jp".into(),
        subject: "件名".into(),
        body: "本文".into(),
    };
    let summary = NewMail {
        purpose: MailPurpose::MonthlySummary,
        customer_id: None,
        card_expiry: None,
        to: "shop@example.jp".into(),
        ..reminder.clone()
    };
    let out = ok(s.queue_mails(&[reminder.clone(), reminder.clone(), summary], now));
    assert!(matches!(out[0], QueueOutcome::Queued(_)));
    assert_eq!(out[1], QueueOutcome::AlreadyQueued);
    let QueueOutcome::Queued(id) = out[0] else {
        panic!()
    };
    assert_eq!(ok(s.mails_to_send(now, &RULES)).len(), 2);
    ok(s.mark_mail_failed(
        id,
        "Cannot reach the mail server (Connection refused)",
        now,
        &RULES,
    ));
    let failed = ok(s.mail(id)).unwrap_or_else(|| panic!());
    assert_eq!((failed.state, failed.attempts), (MailState::Failed, 1));
    assert_eq!(
        failed.last_error.as_deref(),
        Some("Cannot reach the mail server (Connection refused)")
    );
    assert_eq!(ok(s.mails(Some(MailState::Failed))).len(), 1);
    assert!(
        ok(s.mails_to_send(now, &RULES)).iter().all(|m| m.id != id),
        "waits for the retry delay"
    );
    // Still counts as waiting: the same reminder is not queued twice.
    assert_eq!(
        ok(s.queue_mails(std::slice::from_ref(&reminder), now))[0],
        QueueOutcome::AlreadyQueued
    );
    let mut t = now;
    for _ in 1..RULES.mail_max_attempts {
        t += RULES.mail_retry_delay;
        assert!(ok(s.mails_to_send(t, &RULES)).iter().any(|m| m.id == id));
        ok(s.mark_mail_failed(id, "still down", t, &RULES));
    }
    t += RULES.mail_retry_delay;
    assert!(
        ok(s.mails_to_send(t, &RULES)).iter().all(|m| m.id != id),
        "attempts ran out"
    );
    assert_eq!(ok(s.mail(id)).map(|m| m.state), Some(MailState::Failed));
    ok(s.retry_mail(id, t));
    assert!(ok(s.mails_to_send(t, &RULES)).iter().any(|m| m.id == id));
    ok(s.mark_mail_sent(id, t));
    assert!(
        ok(s.outreach_log("m1"))
            .iter()
            .any(|e| e.kind == ReminderKind::ExpiringSoon
                && e.card_expiry == CardExpiry::new(2024, 6))
    );
    assert!(s.mark_mail_sent(id, t).is_err(), "sent once");
    let again = ok(s.queue_mails(&[reminder], t));
    let QueueOutcome::Queued(second) = again[0] else {
        panic!()
    };
    assert_eq!(ok(s.discard_reminders("m1")), 1);
    assert_eq!(
        ok(s.mail(second)).map(|m| m.state),
        Some(MailState::Discarded)
    );
}

#[test]
fn the_card_list_filters_and_pages_in_sql() {
    let (_dir, mut s) = store();
    let now = at(date(2024, 4, 15), 0);
    let expiries = [(2024, 3), (2024, 4), (2024, 6), (2024, 7), (2026, 1)];
    for (i, (y, m)) in expiries.iter().enumerate() {
        let mut sub = new_sub(&format!("c{i}"), date(2024, 5, 10), CardExpiry::new(*y, *m));
        sub.customer_card_id = format!("{}", 500 + i);
        ok(s.insert_subscription(&sub, None, now));
    }
    ok(s.insert_subscription(&new_sub("nocard", date(2024, 5, 10), None), None, now));
    let q = |state, failures: bool| CardListQuery {
        state,
        predicted_failures_only: failures,
        search: None,
        include_ended: false,
        page: 0,
        page_size: 50,
        today: date(2024, 4, 15),
    };
    let ids = |page: store::Page<store::CardListRow>| -> Vec<String> {
        page.items
            .into_iter()
            .map(|r| r.subscription.customer_id)
            .collect()
    };
    assert_eq!(
        ids(ok(s.card_list(&q(Some(CardState::Expired), false), &RULES))),
        vec!["c0"]
    );
    assert_eq!(
        ids(ok(s.card_list(
            &q(Some(CardState::ExpiringSoon), false),
            &RULES
        ))),
        vec!["c1", "c2"]
    );
    assert_eq!(
        ids(ok(s.card_list(&q(Some(CardState::Valid), false), &RULES))),
        vec!["c3", "c4"]
    );
    // Next renewal May 10: cards of March and April fail first.
    let failing = ok(s.card_list(&q(None, true), &RULES));
    assert!(failing.items.iter().all(|r| r.will_fail));
    assert_eq!(ids(failing), vec!["c0", "c1"]);
    let all = ok(s.card_list(
        &CardListQuery {
            page_size: 4,
            page: 1,
            ..q(None, false)
        },
        &RULES,
    ));
    assert_eq!(all.total, 6);
    assert_eq!(ids(all), vec!["c4", "nocard"]);
    let searched = ok(s.card_list(
        &CardListQuery {
            search: Some("c3".into()),
            ..q(None, false)
        },
        &RULES,
    ));
    assert_eq!(searched.items[0].card_state, Some(CardState::Valid));
    // The dashboard over the same rows.
    let d = dashboard(&ok(s.live_subscriptions()), date(2024, 4, 15), &RULES);
    assert_eq!(
        (d.expired, d.expiring_soon, d.valid, d.unknown_expiry),
        (1, 2, 2, 1)
    );
}

#[test]
fn templates_and_notification_preferences_are_kept() {
    let (_dir, mut s) = store();
    let now = at(date(2024, 4, 15), 0);
    let expired = TemplateKind::Reminder(ReminderKind::Expired);
    assert_eq!(ok(s.template(expired, "ja")), None);
    ok(s.set_template(expired, "ja", "件名 {shop_name}", "{buyer_name} 様", now));
    assert_eq!(
        ok(s.template(expired, "ja")).map(|t| t.subject),
        Some("件名 {shop_name}".into())
    );
    ok(s.reset_template(expired, "ja"));
    assert_eq!(ok(s.template(expired, "ja")), None);
    for k in NotificationKind::ALL {
        assert!(ok(s.notification_enabled(k)));
    }
    ok(s.set_notification_enabled(NotificationKind::CardDigest, false));
    assert!(!ok(s.notification_enabled(NotificationKind::CardDigest)));
    assert!(ok(s.notification_enabled(NotificationKind::RenewalFailed)));
}
