//! Subscriptions: renewal dates over a simulated year, catch-up after PayDesk was off,
//! blocks, failed renewals and the four choices, card states at their boundaries, the
//! dashboard on a hand-checked set, the monthly summary and the reminder rules.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use domain::subscription::*;
use domain::{CaptureMode, OrderList, RULES, Rules, Yen};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date {y}-{m}-{d}"))
}

/// `h:mi` Japan time on a date, in UTC.
fn jst(d: NaiveDate, h: i64, mi: i64) -> DateTime<Utc> {
    renewal_due_at(d) + TimeDelta::hours(h) + TimeDelta::minutes(mi)
}

fn sub(id: i64, cycle: Cycle, next: NaiveDate, amount: i64) -> Subscription {
    Subscription {
        id: SubscriptionId(id),
        customer_id: format!("member{id}"),
        customer_card_id: format!("{}", 9000 + id),
        buyer_name: "山田 太郎".into(),
        buyer_email: Some("taro@example.jp".into()),
        cycle,
        billing_day: chrono::Datelike::day(&next),
        amount: Yen(amount),
        fees_to_be_advised: false,
        contract_end: None,
        next_renewal_date: next,
        next_cycle_index: 1,
        status: SubscriptionStatus::Active,
        card_expiry: CardExpiry::new(2030, 12),
        card_refreshed_at: None,
        capture_mode: CaptureMode::AuthorizeOnly,
    }
}

/// Runs the scheduler once a minute after 0:00 Japan time every day from `from` to `to`
/// (inclusive), applying each due renewal as the api layer will; returns what ran.
fn run_days(s: &mut Subscription, from: NaiveDate, to: NaiveDate) -> Vec<DueRenewal> {
    let mut ran = Vec::new();
    let mut day = from;
    while day <= to {
        let now = jst(day, 0, 1);
        for due in due_renewals(std::slice::from_ref(s), now, &RULES) {
            s.next_renewal_date = due.following_date;
            s.next_cycle_index = due.cycle_index + 1;
            ran.push(due);
        }
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
    }
    ran
}

#[test]
fn renewal_falls_due_at_midnight_japan_time() {
    assert_eq!(
        renewal_due_at(date(2024, 4, 1)),
        Utc.with_ymd_and_hms(2024, 3, 31, 15, 0, 0)
            .single()
            .unwrap_or_default()
    );
    let s = sub(1, Cycle::Months(1), date(2024, 4, 1), 3000);
    assert!(
        due_renewals(
            std::slice::from_ref(&s),
            jst(date(2024, 3, 31), 23, 59),
            &RULES
        )
        .is_empty()
    );
    let due = due_renewals(&[s], jst(date(2024, 4, 1), 0, 0), &RULES);
    assert_eq!(due.len(), 1);
    assert!(!due[0].late);
}

#[test]
fn a_simulated_year_of_month_end_renewals_keeps_the_billing_day() {
    let mut s = sub(1, Cycle::Months(1), date(2024, 1, 31), 3000);
    let ran = run_days(&mut s, date(2024, 1, 1), date(2025, 3, 31));
    let dates: Vec<NaiveDate> = ran.iter().map(|d| d.renewal_date).collect();
    assert_eq!(
        dates,
        vec![
            date(2024, 1, 31),
            date(2024, 2, 29),
            date(2024, 3, 31),
            date(2024, 4, 30),
            date(2024, 5, 31),
            date(2024, 6, 30),
            date(2024, 7, 31),
            date(2024, 8, 31),
            date(2024, 9, 30),
            date(2024, 10, 31),
            date(2024, 11, 30),
            date(2024, 12, 31),
            date(2025, 1, 31),
            date(2025, 2, 28),
            date(2025, 3, 31),
        ]
    );
    assert!(ran.iter().all(|d| !d.late && d.missed.is_empty()));
    let indexes: Vec<u32> = ran.iter().map(|d| d.cycle_index).collect();
    assert_eq!(indexes, (1..=15).collect::<Vec<u32>>());
    let keys: std::collections::HashSet<_> = ran
        .iter()
        .map(|d| renewal_key(d.subscription, d.cycle_index))
        .collect();
    assert_eq!(keys.len(), ran.len(), "one key per cycle");
}

#[test]
fn weekly_and_two_monthly_cycles_over_a_year() {
    let mut w = sub(2, Cycle::Weeks(1), date(2024, 1, 5), 1200);
    assert_eq!(
        run_days(&mut w, date(2024, 1, 1), date(2024, 12, 31)).len(),
        52
    );
    let mut two = sub(3, Cycle::Months(2), date(2024, 1, 30), 5000);
    let dates: Vec<NaiveDate> = run_days(&mut two, date(2024, 1, 1), date(2024, 12, 31))
        .iter()
        .map(|d| d.renewal_date)
        .collect();
    assert_eq!(
        dates,
        vec![
            date(2024, 1, 30),
            date(2024, 3, 30),
            date(2024, 5, 30),
            date(2024, 7, 30),
            date(2024, 9, 30),
            date(2024, 11, 30)
        ]
    );
}

#[test]
fn catch_up_after_being_off_renews_the_latest_cycle_late_and_reports_the_missed_ones() {
    let s = sub(1, Cycle::Months(1), date(2024, 3, 10), 3000);
    // Off from March 1 to May 15, 09:00.
    let now = jst(date(2024, 5, 15), 9, 0);
    let due = due_renewals(&[s], now, &RULES);
    assert_eq!(due.len(), 1);
    let d = &due[0];
    assert_eq!((d.cycle_index, d.renewal_date), (3, date(2024, 5, 10)));
    assert!(d.late);
    assert_eq!(
        d.missed,
        vec![
            MissedCycle {
                cycle_index: 1,
                renewal_date: date(2024, 3, 10)
            },
            MissedCycle {
                cycle_index: 2,
                renewal_date: date(2024, 4, 10)
            },
        ]
    );
    assert_eq!(d.following_date, date(2024, 6, 10));
    let text = d.late_text(now).unwrap_or_else(|| panic!("late text"));
    assert!(
        text.ja.contains("2024-05-10") && text.ja.contains("2024-03-10, 2024-04-10"),
        "{}",
        text.ja
    );
    assert!(text.en.contains("ran 129 hours late"), "{}", text.en);
}

#[test]
fn off_for_one_night_runs_late_without_missing_anything() {
    let s = sub(1, Cycle::Months(1), date(2024, 3, 10), 3000);
    let within = due_renewals(
        std::slice::from_ref(&s),
        jst(date(2024, 3, 10), 0, 59),
        &RULES,
    );
    assert!(!within[0].late);
    let morning = due_renewals(&[s], jst(date(2024, 3, 10), 8, 0), &RULES);
    assert!(morning[0].late);
    assert!(morning[0].missed.is_empty());
    assert!(morning[0].late_text(jst(date(2024, 3, 10), 8, 0)).is_some());
}

#[test]
fn paused_and_ended_subscriptions_do_not_fall_due() {
    let mut p = sub(1, Cycle::Months(1), date(2024, 3, 10), 3000);
    p.status = SubscriptionStatus::Paused;
    let mut e = sub(2, Cycle::Months(1), date(2024, 3, 10), 3000);
    e.status = SubscriptionStatus::Ended;
    assert!(due_renewals(&[p, e], jst(date(2024, 3, 10), 1, 0), &RULES).is_empty());
}

#[test]
fn renewal_blocks_are_checked_in_order_with_plain_texts() {
    let now = jst(date(2024, 3, 10), 0, 1);
    let base = sub(1, Cycle::Months(1), date(2024, 3, 10), 3000);
    assert_eq!(renewal_check(&base, now, &RULES, None), Ok(()));
    let cases: Vec<(Subscription, Option<AmountRange>, &str)> = vec![
        (
            Subscription {
                status: SubscriptionStatus::Ended,
                ..base.clone()
            },
            None,
            "ended",
        ),
        (
            Subscription {
                status: SubscriptionStatus::Paused,
                ..base.clone()
            },
            None,
            "paused",
        ),
        (
            Subscription {
                contract_end: Some(date(2024, 3, 9)),
                fees_to_be_advised: true,
                ..base.clone()
            },
            None,
            "contract_ended",
        ),
        (
            Subscription {
                fees_to_be_advised: true,
                ..base.clone()
            },
            None,
            "fees_to_be_advised",
        ),
        (
            Subscription {
                amount: Yen(0),
                ..base.clone()
            },
            None,
            "amount_out_of_range",
        ),
        (
            Subscription {
                amount: Yen(10_000_000),
                ..base.clone()
            },
            None,
            "amount_out_of_range",
        ),
        (
            base.clone(),
            Some(AmountRange {
                min: Yen(5000),
                max: Yen(100_000),
            }),
            "amount_out_of_range",
        ),
    ];
    for (s, range, code) in cases {
        let block = renewal_check(&s, now, &RULES, range)
            .err()
            .unwrap_or_else(|| panic!("{code}"));
        assert_eq!(block.code(), code);
        let t = block.text();
        assert!(!t.ja.is_empty() && !t.en.is_empty());
    }
    // The contract's last day still renews.
    let last_day = Subscription {
        contract_end: Some(date(2024, 3, 10)),
        ..base.clone()
    };
    assert_eq!(renewal_check(&last_day, now, &RULES, None), Ok(()));
    let out = renewal_check(
        &base,
        now,
        &RULES,
        Some(AmountRange {
            min: Yen(5000),
            max: Yen(100_000),
        }),
    );
    let text = out
        .err()
        .map(|b| b.text())
        .unwrap_or_else(|| panic!("blocked"));
    assert!(
        text.ja.contains("¥3,000") && text.ja.contains("¥5,000〜¥100,000"),
        "{}",
        text.ja
    );
    assert!(
        text.en
            .contains("outside the payment method's allowed range")
    );
}

#[test]
fn renewal_keys_and_order_numbers_are_per_cycle_and_fit_the_gateway() {
    assert_eq!(renewal_key(SubscriptionId(7), 3).0, "renewal:7:3");
    assert_ne!(
        renewal_key(SubscriptionId(7), 3),
        renewal_key(SubscriptionId(7), 4)
    );
    let n = renewal_order_number(SubscriptionId(i64::from(u32::MAX)), u32::MAX);
    assert!(
        n.len() <= 25 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "{n}"
    );
}

#[test]
fn a_p010_renewal_failure_is_explained_and_offers_the_four_choices() {
    let f = failed_renewal("P010", None);
    assert_eq!(f.explanation.code, "P010");
    assert!(f.explanation.en.contains("expired"), "{}", f.explanation.en);
    assert_eq!(f.choices, FailedRenewalChoiceKind::ALL);
    let labels: Vec<String> = f.choices.iter().map(|c| c.label().ja).collect();
    assert_eq!(
        labels,
        [
            "この受注をキャンセル",
            "この受注を別の支払方法に変更",
            "定期購入を終了",
            "購入者にカード変更を依頼（メール）"
        ]
    );
}

#[test]
fn each_choice_says_what_it_does_and_none_calls_the_gateway() {
    let ok =
        |c: FailedRenewalChoice, card| c.effects(card).unwrap_or_else(|e| panic!("{:?}", e.text()));
    let cancel = ok(FailedRenewalChoice::CancelOrder, None);
    assert_eq!(cancel.order_list, Some(OrderList::Cancelled));
    assert!(!cancel.recovered && cancel.subscription_status.is_none());
    let switch = ok(
        FailedRenewalChoice::SwitchPaymentMethod(" 銀行振込 ".into()),
        None,
    );
    assert_eq!(switch.payment_method_label.as_deref(), Some("銀行振込"));
    // Issue 15: the money is to come outside Paygent; nothing says it was collected.
    assert!(!switch.recovered && switch.order_list.is_none());
    assert!(switch.history.ja.contains("ペイジェントへの送信なし"));
    assert_eq!(
        FailedRenewalChoice::SwitchPaymentMethod("  ".into()).effects(None),
        Err(ChoiceError::EmptyMethodName)
    );
    let end = ok(FailedRenewalChoice::EndSubscription, None);
    assert_eq!(end.subscription_status, Some(SubscriptionStatus::Ended));
    assert_eq!(end.order_list, None);
    assert_eq!(
        ok(
            FailedRenewalChoice::AskBuyerToUpdateCard,
            Some(CardState::Expired)
        )
        .reminder,
        Some(ReminderKind::Expired)
    );
    assert_eq!(
        ok(FailedRenewalChoice::AskBuyerToUpdateCard, None).reminder,
        Some(ReminderKind::Expired)
    );
    assert_eq!(
        ok(
            FailedRenewalChoice::AskBuyerToUpdateCard,
            Some(CardState::ExpiringSoon)
        )
        .reminder,
        Some(ReminderKind::ExpiringSoon)
    );
    for k in FailedRenewalChoiceKind::ALL {
        assert_eq!(FailedRenewalChoiceKind::from_code(k.code()), Some(k));
    }
}

#[test]
fn card_states_at_their_boundaries() {
    let june = CardExpiry::new(2024, 6).unwrap_or_else(|| panic!("expiry"));
    assert_eq!(june.last_valid_day(), date(2024, 6, 30));
    for (on, state) in [
        (date(2024, 3, 31), CardState::Valid),
        (date(2024, 4, 1), CardState::ExpiringSoon),
        (date(2024, 6, 30), CardState::ExpiringSoon),
        (date(2024, 7, 1), CardState::Expired),
    ] {
        assert_eq!(card_state(june, on, &RULES), state, "{on}");
    }
    let january = CardExpiry::new(2025, 1).unwrap_or_else(|| panic!("expiry"));
    assert_eq!(
        card_state(january, date(2024, 10, 31), &RULES),
        CardState::Valid
    );
    assert_eq!(
        card_state(january, date(2024, 11, 1), &RULES),
        CardState::ExpiringSoon
    );
    assert_eq!(
        card_state(january, date(2025, 1, 31), &RULES),
        CardState::ExpiringSoon
    );
    assert_eq!(
        card_state(january, date(2025, 2, 1), &RULES),
        CardState::Expired
    );
    let one_month = Rules {
        card_expiry_warning_months: 1,
        ..RULES
    };
    assert_eq!(
        card_state(june, date(2024, 5, 31), &one_month),
        CardState::Valid
    );
    assert_eq!(
        card_state(june, date(2024, 6, 1), &one_month),
        CardState::ExpiringSoon
    );
}

#[test]
fn card_expiry_parses_the_gateway_and_common_forms() {
    let dec = CardExpiry::new(2026, 12);
    for s in ["1226", "12/26", "2026-12", "2026/12", " 1226 "] {
        assert_eq!(CardExpiry::parse(s), dec, "{s}");
    }
    for s in ["1326", "0026", "", "12-26", "2026-13", "abcd", "12/2026x"] {
        assert_eq!(CardExpiry::parse(s), None, "{s}");
    }
    assert_eq!(dec.map(|d| d.mmyy()).as_deref(), Some("1226"));
}

#[test]
fn cycles_parse_from_codes_and_words() {
    for (s, c) in [
        ("1m", Some(Cycle::Months(1))),
        ("monthly", Some(Cycle::Months(1))),
        ("毎月", Some(Cycle::Months(1))),
        ("2か月ごと", Some(Cycle::Months(2))),
        ("every 3 months", Some(Cycle::Months(3))),
        ("weekly", Some(Cycle::Weeks(1))),
        ("2w", Some(Cycle::Weeks(2))),
        ("3週間ごと", Some(Cycle::Weeks(3))),
        ("0m", None),
        ("13m", None),
        ("daily", None),
    ] {
        assert_eq!(Cycle::parse(s), c, "{s}");
    }
    assert_eq!(Cycle::Months(2).code(), "2m");
}

#[test]
fn a_card_expiring_before_the_next_renewal_is_a_predicted_failure() {
    let mut s = sub(1, Cycle::Months(1), date(2024, 6, 30), 3000);
    s.card_expiry = CardExpiry::new(2024, 6);
    assert!(!will_fail_before_next_billing(&s));
    s.next_renewal_date = date(2024, 7, 1);
    assert!(will_fail_before_next_billing(&s));
    s.card_expiry = None;
    assert!(!will_fail_before_next_billing(&s));
}

#[test]
fn the_dashboard_on_a_hand_checked_set() {
    let today = date(2024, 4, 15);
    let card = |y, m| CardExpiry::new(y, m);
    let mut subs = vec![
        // Expiring soon (June), monthly ¥3,000, renews May 1: will not fail.
        Subscription {
            card_expiry: card(2024, 6),
            ..sub(1, Cycle::Months(1), date(2024, 5, 1), 3000)
        },
        // Expiring soon (April), every 2 months ¥5,001 (¥2,500.5 a month), renews May 10: fails.
        Subscription {
            card_expiry: card(2024, 4),
            ..sub(2, Cycle::Months(2), date(2024, 5, 10), 5001)
        },
        // Expired (March), weekly ¥1,000 (¥4,348.2142... a month), renews April 20: fails.
        Subscription {
            card_expiry: card(2024, 3),
            ..sub(3, Cycle::Weeks(1), date(2024, 4, 20), 1000)
        },
        // Valid (July = 3 months ahead), renews August 1 (after July): fails.
        Subscription {
            card_expiry: card(2024, 7),
            ..sub(4, Cycle::Months(1), date(2024, 8, 1), 2000)
        },
        // Paused, expired: counted, no revenue, no predicted failure.
        Subscription {
            card_expiry: card(2023, 12),
            status: SubscriptionStatus::Paused,
            ..sub(5, Cycle::Months(1), date(2024, 4, 20), 9000)
        },
        // Ended: ignored.
        Subscription {
            card_expiry: card(2024, 4),
            status: SubscriptionStatus::Ended,
            ..sub(6, Cycle::Months(1), date(2024, 4, 20), 9000)
        },
        // Unknown expiry.
        Subscription {
            card_expiry: None,
            ..sub(7, Cycle::Months(1), date(2024, 4, 20), 9000)
        },
        // Valid next year (outside the 12 months).
        Subscription {
            card_expiry: card(2025, 4),
            ..sub(8, Cycle::Months(1), date(2024, 4, 20), 9000)
        },
    ];
    subs.rotate_left(3);
    let d = dashboard(&subs, today, &RULES);
    assert_eq!(
        (d.expiring_soon, d.expired, d.valid, d.unknown_expiry),
        (2, 2, 2, 1)
    );
    // 3000 + 2500.5 + 4348.2142857 = 9848.714... → ¥9,849.
    assert_eq!(d.monthly_revenue_at_risk, Yen(9849));
    assert_eq!(
        d.predicted_failures,
        vec![SubscriptionId(3), SubscriptionId(2), SubscriptionId(4)]
    );
    assert_eq!(d.predicted_failure_amount, Yen(1000 + 5001 + 2000));
    let chart: Vec<(i32, u32, u32, i64)> = d
        .expiries_by_month
        .iter()
        .map(|m| (m.year, m.month, m.cards, m.monthly_revenue.0))
        .collect();
    assert_eq!(chart[0], (2024, 4, 1, 2501));
    assert_eq!(chart[2], (2024, 6, 1, 3000));
    assert_eq!(chart[3], (2024, 7, 1, 2000));
    assert_eq!(chart[11], (2025, 3, 0, 0));
    assert_eq!(chart.iter().map(|c| c.2).sum::<u32>(), 3);
}

#[test]
fn monthly_normalization_rounds_once_at_the_end() {
    assert_eq!(
        round_micro(Cycle::Months(3).monthly_amount_micro(Yen(1000))),
        Yen(333)
    );
    assert_eq!(
        round_micro(Cycle::Months(2).monthly_amount_micro(Yen(1001))),
        Yen(501)
    );
    assert_eq!(
        round_micro(Cycle::Weeks(1).monthly_amount_micro(Yen(336))),
        Yen(1461)
    );
    let three = 3 * Cycle::Months(3).monthly_amount_micro(Yen(1000));
    assert_eq!(round_micro(three), Yen(1000), "three thirds make a whole");
}

#[test]
fn the_monthly_summary_counts_by_month() {
    let rec = |d, amount, outcome, recovered| CycleRecord {
        subscription: SubscriptionId(1),
        renewal_date: d,
        amount: Yen(amount),
        outcome,
        recovered,
        switched: false,
    };
    let cycles = [
        rec(date(2024, 5, 1), 3000, CycleOutcome::Authorized, false),
        rec(date(2024, 5, 2), 2000, CycleOutcome::Authorized, false),
        rec(
            date(2024, 5, 3),
            4000,
            CycleOutcome::Failed("P010".into()),
            true,
        ),
        rec(
            date(2024, 5, 31),
            1000,
            CycleOutcome::Failed("2001".into()),
            false,
        ),
        rec(date(2024, 5, 9), 1000, CycleOutcome::Missed, false),
        rec(date(2024, 6, 1), 9999, CycleOutcome::Authorized, false),
        rec(date(2024, 5, 10), 9999, CycleOutcome::Pending, false),
        // Switched to a bank transfer: a failure, not collected as far as PayDesk knows.
        CycleRecord {
            switched: true,
            ..rec(
                date(2024, 5, 12),
                600,
                CycleOutcome::Failed("P010".into()),
                false,
            )
        },
    ];
    let lapsed = [
        // May 31 23:30 Japan time counts in May; June 1 00:30 in June.
        LapsedOrder {
            amount: Yen(1500),
            lapsed_at: jst(date(2024, 5, 31), 23, 30),
        },
        LapsedOrder {
            amount: Yen(700),
            lapsed_at: jst(date(2024, 6, 1), 0, 30),
        },
    ];
    let cards = dashboard(&[], date(2024, 6, 1), &RULES);
    let s = monthly_summary(2024, 5, &cycles, &lapsed, &cards);
    assert_eq!((s.renewals, s.renewal_amount), (2, Yen(5000)));
    assert_eq!((s.failures, s.failure_amount), (3, Yen(5600)));
    assert_eq!((s.recovered, s.recovered_amount), (1, Yen(4000)));
    assert_eq!((s.switched, s.switched_amount), (1, Yen(600)));
    assert_eq!(s.missed, 1);
    assert_eq!((s.lapsed_orders, s.lapsed_amount), (1, Yen(1500)));
}

#[test]
fn reminders_go_once_per_period_and_stop_when_the_card_is_updated_or_a_renewal_succeeds() {
    let june = CardExpiry::new(2024, 6);
    let now = jst(date(2024, 4, 10), 10, 0);
    let ctx = ReminderContext {
        card_expiry: june,
        card_refreshed_at: None,
        renewal_succeeded_at: None,
    };
    let soon = ReminderKind::ExpiringSoon;
    let decide = |log: &[OutreachEntry], ctx, now| reminder_decision(soon, log, ctx, now, &RULES);
    assert_eq!(decide(&[], ctx, now), ReminderDecision::Send);
    assert!(should_send(soon, &[], ctx, now, &RULES));
    // The wrong template for the card's state.
    assert_eq!(
        reminder_decision(ReminderKind::Expired, &[], ctx, now, &RULES),
        ReminderDecision::CardNotInState(CardState::ExpiringSoon)
    );
    let sent = OutreachEntry {
        kind: soon,
        sent_at: now,
        card_expiry: june,
    };
    let later = now + RULES.reminder_period - TimeDelta::seconds(1);
    assert_eq!(
        decide(&[sent], ctx, later),
        ReminderDecision::AlreadySent(now)
    );
    assert_eq!(
        decide(&[sent], ctx, now + RULES.reminder_period),
        ReminderDecision::Send
    );
    // A reminder about another card does not count.
    let old = OutreachEntry {
        card_expiry: CardExpiry::new(2021, 6),
        ..sent
    };
    assert_eq!(decide(&[old], ctx, later), ReminderDecision::Send);
    // The buyer updated the card: the new one is valid, reminders stop.
    let updated = ReminderContext {
        card_expiry: CardExpiry::new(2029, 6),
        ..ctx
    };
    assert_eq!(
        decide(&[sent], updated, later),
        ReminderDecision::CardNotInState(CardState::Valid)
    );
    // A renewal succeeded after the reminder: wait for the card refresh.
    let success = now + TimeDelta::days(5);
    let renewed = ReminderContext {
        renewal_succeeded_at: Some(success),
        ..ctx
    };
    let after_period = now + RULES.reminder_period;
    assert_eq!(
        decide(&[sent], renewed, after_period),
        ReminderDecision::RenewalSucceeded(success)
    );
    // Refreshed since, still the same card: reminders resume on the period.
    let refreshed = ReminderContext {
        card_refreshed_at: Some(success + TimeDelta::hours(1)),
        ..renewed
    };
    assert_eq!(
        decide(&[sent], refreshed, after_period),
        ReminderDecision::Send
    );
    assert_eq!(
        decide(
            &[],
            ReminderContext {
                card_expiry: None,
                ..ctx
            },
            now
        ),
        ReminderDecision::ExpiryUnknown
    );
    assert!(
        ReminderDecision::AlreadySent(now)
            .text()
            .is_some_and(|t| t.ja.contains("2024-04-10 10:00"))
    );
}

#[test]
fn cards_are_checked_the_day_before_their_renewal() {
    let a = sub(1, Cycle::Months(1), date(2024, 5, 2), 3000);
    let b = sub(2, Cycle::Months(1), date(2024, 5, 3), 3000);
    let c = sub(3, Cycle::Months(1), date(2024, 5, 1), 3000);
    let now = jst(date(2024, 5, 1), 0, 30);
    assert_eq!(
        cards_to_check(&[a, b, c], now, &RULES),
        vec![SubscriptionId(1)]
    );
}

#[test]
fn the_daily_digest_lists_cards_that_entered_a_state() {
    let mut a = sub(1, Cycle::Months(1), date(2024, 5, 2), 3000);
    a.card_expiry = CardExpiry::new(2024, 6);
    let mut b = sub(2, Cycle::Months(1), date(2024, 5, 2), 3000);
    b.card_expiry = CardExpiry::new(2024, 3);
    let mut c = sub(3, Cycle::Months(1), date(2024, 5, 2), 3000);
    c.card_expiry = CardExpiry::new(2024, 5);
    let digest = card_digest(&[a, b, c], date(2024, 3, 31), date(2024, 4, 1), &RULES);
    assert_eq!(digest.entered_expiring_soon, vec![SubscriptionId(1)]);
    assert_eq!(digest.entered_expired, vec![SubscriptionId(2)]);
    assert!(!digest.is_empty());
}

#[test]
fn send_schedules_fire_once_per_scheduled_time() {
    let daily = SendSchedule::Daily { hour: 9 };
    let now = jst(date(2024, 5, 10), 9, 5);
    assert_eq!(daily.latest_run(now), Some(jst(date(2024, 5, 10), 9, 0)));
    assert!(daily.is_due(None, now));
    assert!(daily.is_due(Some(jst(date(2024, 5, 9), 9, 1)), now));
    assert!(!daily.is_due(Some(jst(date(2024, 5, 10), 9, 1)), now));
    let monthly = SendSchedule::Monthly { day: 31, hour: 8 };
    assert_eq!(
        monthly.latest_run(jst(date(2024, 3, 1), 7, 0)),
        Some(jst(date(2024, 2, 29), 8, 0))
    );
    let weekly = SendSchedule::Weekly {
        weekday: Weekday::Mon,
        hour: 9,
    };
    assert_eq!(weekly.latest_run(now), Some(jst(date(2024, 5, 6), 9, 0)));
    assert!(!SendSchedule::Off.is_due(None, now));
    for s in [daily, monthly, weekly, SendSchedule::Off] {
        assert_eq!(SendSchedule::from_code(&s.code()), Some(s), "{}", s.code());
    }
    assert_eq!(SendSchedule::from_code("daily:24"), None);
}

#[test]
fn a_first_purchase_with_a_stored_card_starts_a_subscription() {
    let purchase = FirstPurchase {
        customer_id: "member_1".into(),
        customer_card_id: "123456".into(),
        buyer_name: "山田 花子".into(),
        buyer_email: None,
        method: domain::PaymentMethod::Card,
        amount: Yen(3980),
        cycle: Cycle::Months(1),
        // 2024-01-30 23:30 UTC is January 31, 08:30 in Japan.
        purchased_at: Utc
            .with_ymd_and_hms(2024, 1, 30, 23, 30, 0)
            .single()
            .unwrap_or_default(),
        card_expiry: CardExpiry::new(2027, 1),
        capture_mode: CaptureMode::AuthorizeAndCapture,
    };
    let s = Subscription::from_first_purchase(SubscriptionId(1), &purchase)
        .unwrap_or_else(|e| panic!("{}", e.text().en));
    assert_eq!(
        (s.billing_day, s.next_renewal_date, s.next_cycle_index),
        (31, date(2024, 2, 29), 1)
    );
    assert_eq!(s.date_after_next(), date(2024, 3, 31));
    let no_card = FirstPurchase {
        customer_card_id: String::new(),
        ..purchase.clone()
    };
    assert_eq!(
        Subscription::from_first_purchase(SubscriptionId(1), &no_card),
        Err(NotRenewable::NoStoredCard)
    );
    let paidy = FirstPurchase {
        method: domain::PaymentMethod::Paidy,
        ..purchase
    };
    assert_eq!(
        Subscription::from_first_purchase(SubscriptionId(1), &paidy),
        Err(NotRenewable::NotACard)
    );
}

/// A refused renewal with no payment keeps its order under a stand-in ID that is never
/// shown; real payment IDs are shown as they are.
#[test]
fn a_stand_in_transaction_id_is_never_shown() {
    use domain::order::{no_transaction_id, shown_transaction_id};
    let stand_in = no_transaction_id("SUB-0007-2026-05");
    assert_ne!(stand_in, "SUB-0007-2026-05");
    assert_eq!(shown_transaction_id(&stand_in), None);
    assert_eq!(shown_transaction_id(""), None);
    assert_eq!(
        shown_transaction_id("3000000000000001"),
        Some("3000000000000001")
    );
}
