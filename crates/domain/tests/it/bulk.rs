//! Bulk capture: the unprocessed list's eligibility, selection checks, the run's state
//! machine (back-off, inquiry, credentials stop, changes meanwhile) and crash recovery.

use chrono::{DateTime, TimeDelta, Utc};
use domain::bulk::{
    Action, Candidate, Eligibility, Ineligible, ItemState, Outcome, RunState, SelectionError,
    SkipReason, eligibility, item_line, needs_inquiry, next_action, recover_item, run_message,
    run_summary, validate_selection,
};
use domain::{
    CaptureMode, Order, OrderId, OrderList, PaymentMethod, PaymentStatus, RULES, Refusal,
    Settlement, Yen, check, journal::busy_backoff,
};

use crate::{captured, order, t0};

fn at(days: i64) -> DateTime<Utc> {
    t0() + TimeDelta::days(days)
}

fn card() -> Order {
    order(PaymentMethod::Card)
}

fn paidy() -> Order {
    order(PaymentMethod::Paidy)
}

fn candidate(n: i64, order: Order) -> Candidate {
    Candidate {
        id: OrderId(n),
        order: Order {
            order_number: format!("order{n:05}"),
            payment_id: format!("{:020}", n),
            ..order
        },
        operation_unsettled: false,
    }
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn eligibility_of_orders_in_the_unprocessed_list() {
    use Eligibility::{NotEligible, Selectable, WaitingForAutoCapture};
    let auto = Order {
        capture_mode: CaptureMode::AuthorizeAndCapture,
        ..paidy()
    };
    let due = t0() + RULES.auto_capture_delay;
    let window_end = t0() + RULES.unprocessed_list_window;
    let card_deadline = t0() + RULES.card_authorization_validity;
    let cases: Vec<(&str, Order, DateTime<Utc>, Eligibility)> = vec![
        ("authorize-only card", card(), at(1), Selectable),
        ("authorize-only Paidy", paidy(), at(1), Selectable),
        (
            "moved to the completed list",
            Order {
                list: OrderList::Completed,
                ..card()
            },
            at(1),
            Selectable,
        ),
        (
            "moved to the cancelled list",
            Order {
                list: OrderList::Cancelled,
                ..paidy()
            },
            at(1),
            Selectable,
        ),
        (
            "captured",
            captured(PaymentMethod::Card),
            at(2),
            NotEligible(Ineligible::Refused(Refusal::AlreadyCaptured)),
        ),
        (
            "cancelled",
            Order {
                status: PaymentStatus::Cancelled,
                ..card()
            },
            at(1),
            NotEligible(Ineligible::Refused(Refusal::AlreadyCancelled)),
        ),
        (
            "lapsed at the gateway",
            Order {
                status: PaymentStatus::AuthorizationExpired,
                ..card()
            },
            at(61),
            NotEligible(Ineligible::Refused(Refusal::Lapsed)),
        ),
        (
            "buyer never finished paying",
            Order {
                status: PaymentStatus::Applied,
                authorized_at: None,
                ..card()
            },
            at(1),
            NotEligible(Ineligible::Refused(Refusal::NotAuthorized)),
        ),
        (
            "card capture being retried by the gateway",
            Order {
                status: PaymentStatus::CapturePending,
                ..card()
            },
            at(1),
            NotEligible(Ineligible::Refused(Refusal::GatewayProcessing {
                method: PaymentMethod::Card,
                status: PaymentStatus::CapturePending,
            })),
        ),
        (
            "changed outside PayDesk",
            Order {
                outside_change: true,
                ..card()
            },
            at(1),
            NotEligible(Ineligible::ChangedOutside),
        ),
        (
            "Paidy on the window's last day",
            paidy(),
            window_end - TimeDelta::seconds(1),
            Selectable,
        ),
        (
            "Paidy when the window ends",
            paidy(),
            window_end,
            NotEligible(Ineligible::ListWindowEnded {
                ended_at: window_end,
            }),
        ),
        (
            "card past its capture deadline, not yet expired by the gateway",
            card(),
            card_deadline,
            NotEligible(Ineligible::Refused(Refusal::CaptureDeadlinePassed {
                deadline: card_deadline,
            })),
        ),
        (
            "authorize-and-capture before its automatic capture",
            auto.clone(),
            t0() + TimeDelta::minutes(1),
            WaitingForAutoCapture(due),
        ),
        (
            "authorize-and-capture overdue: still the automatic capture's job",
            auto,
            at(1),
            WaitingForAutoCapture(due),
        ),
    ];
    for (name, order, now, expected) in cases {
        assert_eq!(eligibility(&order, now, &RULES), expected, "{name}");
    }
}

#[test]
fn selection_plans_the_valid_orders_and_totals_them() {
    let picks = vec![
        candidate(1, card()),
        candidate(
            2,
            Order {
                amount: Yen(3500),
                ..paidy()
            },
        ),
        candidate(3, captured(PaymentMethod::Card)),
        candidate(1, card()),
        Candidate {
            operation_unsettled: true,
            ..candidate(4, card())
        },
        candidate(
            5,
            Order {
                capture_mode: CaptureMode::AuthorizeAndCapture,
                ..card()
            },
        ),
    ];
    let plan = ok(validate_selection(&picks, at(1), &RULES));
    let planned: Vec<(i64, i64)> = plan.orders.iter().map(|o| (o.id.0, o.amount.0)).collect();
    assert_eq!(planned, [(1, 2000), (2, 3500)]);
    assert_eq!(plan.total_yen, Yen(5500));
    assert_eq!(
        plan.orders[1].plan.telegram,
        domain::TelegramKind::PaidyCapture
    );
    let refused: Vec<(i64, &str)> = plan
        .refused
        .iter()
        .map(|r| (r.id.0, r.reason.code()))
        .collect();
    assert_eq!(
        refused,
        [
            (3, "already_captured"),
            (1, "selected_twice"),
            (4, "operation_unsettled"),
            (5, "automatic_capture"),
        ]
    );
    for r in &plan.refused {
        assert!(!r.reason.message().ja.is_empty() && !r.reason.message().en.is_empty());
    }
}

#[test]
fn selection_of_51_orders_is_refused_as_a_whole() {
    let max = RULES.bulk_capture_max_orders;
    let picks: Vec<Candidate> = (0..=max as i64).map(|n| candidate(n, card())).collect();
    let err = validate_selection(&picks, at(1), &RULES);
    assert_eq!(
        err,
        Err(SelectionError::TooMany {
            selected: max + 1,
            max
        })
    );
    let message = SelectionError::TooMany {
        selected: max + 1,
        max,
    }
    .message();
    assert!(
        message.ja.contains(&format!("{max}件まで")),
        "{}",
        message.ja
    );
    assert!(message.en.contains(&format!("{} selected", max + 1)));

    // Exactly the maximum runs; a duplicate does not count twice.
    let mut picks: Vec<Candidate> = (0..max as i64).map(|n| candidate(n, card())).collect();
    picks.push(candidate(0, card()));
    let plan = ok(validate_selection(&picks, at(1), &RULES));
    assert_eq!(plan.orders.len(), max);
    assert_eq!(plan.total_yen, Yen(2000 * max as i64));
    assert_eq!(plan.refused.len(), 1);
}

#[test]
fn empty_and_hopeless_selections() {
    assert_eq!(
        validate_selection(&[], at(1), &RULES),
        Err(SelectionError::Empty)
    );
    let picks = vec![candidate(1, captured(PaymentMethod::Paidy))];
    match validate_selection(&picks, at(2), &RULES) {
        Err(e @ SelectionError::NothingToCapture { .. }) => {
            assert_eq!(e.code(), "bulk_nothing_to_capture");
        }
        other => panic!("{other:?}"),
    }
}

/// A run of `n` authorize-only card orders.
fn run(n: i64) -> RunState {
    let picks: Vec<Candidate> = (1..=n).map(|i| candidate(i, card())).collect();
    RunState::new(&ok(validate_selection(&picks, at(1), &RULES)))
}

fn error(code: &str) -> Outcome {
    Outcome::Error {
        code: code.into(),
        detail: None,
    }
}

#[test]
fn a_capture_that_succeeds() {
    let mut r = run(1);
    assert_eq!(ok(r.begin_send(OrderId(1))), 1);
    let step = ok(r.apply(OrderId(1), &Outcome::Captured, &RULES));
    assert_eq!(step.state, ItemState::Succeeded);
    assert_eq!(step.action, Action::Done);
    let line = item_line(&step.state).unwrap_or_else(|| panic!("settled"));
    assert_eq!(line.ja, "売上確定一括処理: 正常終了");
    assert_eq!(line.en, "Bulk capture: completed normally");
    let p = r.progress();
    assert_eq!((p.total, p.succeeded, p.open), (1, 1, 0));
    assert_eq!(p.captured_yen, Yen(2000));
    assert!(r.is_quiet());
    assert_eq!(run_message(&r), None);
    assert!(run_summary(&p).en.contains("1 captured (¥2,000)"));
}

#[test]
fn busy_9004_backs_off_then_gives_up() {
    for code in ["9004", "9005", "E002"] {
        let mut r = run(1);
        let id = OrderId(1);
        for attempt in 1..RULES.max_automatic_retries {
            assert_eq!(ok(r.begin_send(id)), attempt);
            let step = ok(r.apply(id, &error(code), &RULES));
            assert_eq!(step.state, ItemState::Pending { attempts: attempt });
            assert_eq!(
                step.action,
                Action::RetryAfter(busy_backoff(attempt, &RULES)),
                "{code} attempt {attempt}"
            );
        }
        assert_eq!(ok(r.begin_send(id)), RULES.max_automatic_retries);
        let step = ok(r.apply(id, &error(code), &RULES));
        assert_eq!(
            step.state,
            ItemState::Failed {
                code: code.into(),
                detail: None
            }
        );
        assert_eq!(step.action, Action::Done);
    }
    // The waits grow and stay capped.
    assert!(busy_backoff(2, &RULES) > busy_backoff(1, &RULES));
    assert!(busy_backoff(20, &RULES) <= RULES.busy_backoff_max);
}

#[test]
fn a_busy_answer_then_success() {
    let mut r = run(1);
    let id = OrderId(1);
    ok(r.begin_send(id));
    let step = ok(r.apply(id, &error("9004"), &RULES));
    assert_eq!(step.action, Action::RetryAfter(RULES.busy_backoff_initial));
    assert_eq!(ok(r.begin_send(id)), 2);
    assert_eq!(
        ok(r.apply(id, &Outcome::Captured, &RULES)).state,
        ItemState::Succeeded
    );
}

#[test]
fn open_outcomes_are_settled_by_inquiry_never_resent_blindly() {
    // A timeout: inquire; the inquiry says it was captured.
    let mut r = run(1);
    let id = OrderId(1);
    ok(r.begin_send(id));
    let step = ok(r.apply(id, &error("E02006"), &RULES));
    assert_eq!(step.action, Action::Inquire);
    assert!(matches!(step.state, ItemState::Unknown { attempts: 1, .. }));
    assert!(r.begin_send(id).is_err(), "no resend while unknown");
    let step = ok(r.apply(id, &Outcome::Inquired(Settlement::AlreadyApplied), &RULES));
    assert_eq!(step.state, ItemState::Succeeded);

    // A system error (retryable category): inquire; not applied → back off and resend.
    let mut r = run(1);
    ok(r.begin_send(id));
    assert_eq!(
        ok(r.apply(id, &error("E001"), &RULES)).action,
        Action::Inquire
    );
    let step = ok(r.apply(id, &Outcome::Inquired(Settlement::NotApplied), &RULES));
    assert_eq!(step.state, ItemState::Pending { attempts: 1 });
    assert_eq!(step.action, Action::RetryAfter(busy_backoff(1, &RULES)));
    assert_eq!(ok(r.begin_send(id)), 2);

    // Still in progress at the gateway: inquire again, then leave it for the next start.
    let mut r = run(1);
    ok(r.begin_send(id));
    ok(r.apply(id, &error("24005"), &RULES));
    for n in 1..RULES.max_automatic_retries {
        let step = ok(r.apply(id, &Outcome::Inquired(Settlement::InProgress), &RULES));
        assert_eq!(step.action, Action::InquireAfter(busy_backoff(n, &RULES)));
    }
    let step = ok(r.apply(id, &error("E02005"), &RULES));
    assert_eq!(step.action, Action::Defer);
    assert!(r.is_quiet());
    assert_eq!(r.progress().open, 1);
    let message = run_message(&r).unwrap_or_else(|| panic!("a message"));
    assert!(message.en.contains("not resent"), "{}", message.en);

    // Changed elsewhere meanwhile: skipped, PayDesk does not capture.
    let mut r = run(1);
    ok(r.begin_send(id));
    ok(r.apply(id, &error("E02006"), &RULES));
    let step = ok(r.apply(id, &Outcome::Inquired(Settlement::Conflict), &RULES));
    assert_eq!(
        step.state,
        ItemState::Skipped {
            reason: SkipReason::ChangedElsewhere
        }
    );
}

#[test]
fn a_refusal_fails_that_order_only_with_the_dictionary_explanation() {
    let mut r = run(2);
    ok(r.begin_send(OrderId(1)));
    ok(r.begin_send(OrderId(2)));
    let step = ok(r.apply(OrderId(1), &error("2004"), &RULES));
    assert_eq!(step.action, Action::Done);
    let line = item_line(&step.state).unwrap_or_else(|| panic!("settled"));
    assert_eq!(
        line.ja,
        "売上確定一括処理: エラーコード: 2004 今の決済状態ではこの操作はできません。"
    );
    assert_eq!(
        line.en,
        "Bulk capture: error code: 2004 — The payment's current status does not allow this operation."
    );
    // The other order goes on.
    assert_eq!(
        ok(r.apply(OrderId(2), &Outcome::Captured, &RULES)).state,
        ItemState::Succeeded
    );
    // A card vendor detail is shown with the code.
    let failed = ItemState::Failed {
        code: "2003".into(),
        detail: Some("1G83".into()),
    };
    let line = item_line(&failed).unwrap_or_else(|| panic!("settled"));
    assert!(
        line.ja
            .starts_with("売上確定一括処理: エラーコード: 2003/1G83 ")
    );
}

#[test]
fn credentials_failing_mid_run_stops_it_without_touching_captured_orders() {
    let mut r = run(5);
    let ids: Vec<OrderId> = (1..=5).map(OrderId).collect();
    assert_eq!(r.unsent(), ids);
    ok(r.begin_send(ids[0]));
    ok(r.apply(ids[0], &Outcome::Captured, &RULES));
    ok(r.begin_send(ids[1]));
    ok(r.begin_send(ids[2]));
    // Order 4 got a busy answer and waits for its resend.
    ok(r.begin_send(ids[3]));
    ok(r.apply(ids[3], &error("9005"), &RULES));
    let step = ok(r.apply(ids[1], &error("P002"), &RULES));
    assert_eq!(
        step.action,
        Action::StopRun {
            code: "P002".into()
        }
    );
    assert!(matches!(step.state, ItemState::Failed { .. }));
    let skipped = r.stop("P002");
    assert_eq!(skipped, [ids[3], ids[4]]);
    assert!(r.unsent().is_empty());
    assert!(
        r.begin_send(ids[4]).is_err(),
        "nothing is sent after a stop"
    );
    // The capture already in flight finishes normally.
    ok(r.apply(ids[2], &Outcome::Captured, &RULES));
    assert_eq!(
        r.item(ids[0]).map(|i| &i.state),
        Some(&ItemState::Succeeded)
    );
    let p = r.progress();
    assert_eq!((p.succeeded, p.failed, p.skipped, p.open), (2, 1, 2, 0));
    let message = run_message(&r).unwrap_or_else(|| panic!("a per-run message"));
    assert!(message.ja.contains("P002"));
    assert!(
        message
            .en
            .contains("2 orders already captured stay captured")
    );
    let line = item_line(&r.items()[4].state).unwrap_or_else(|| panic!("settled"));
    assert!(
        line.en.contains("credentials error (error code: P002)"),
        "{}",
        line.en
    );
    // A certificate error is a credentials error too.
    let mut r = run(1);
    ok(r.begin_send(OrderId(1)));
    assert!(matches!(
        ok(r.apply(OrderId(1), &error("E02004"), &RULES)).action,
        Action::StopRun { .. }
    ));
}

#[test]
fn changes_meanwhile_are_skipped_before_sending() {
    let o = card();
    // Captured (outside or by another window) between selection and sending.
    let mut r = run(2);
    let later = captured(PaymentMethod::Card);
    let refusal = check(&later, &domain::Operation::Capture, at(2), &RULES)
        .err()
        .unwrap_or_else(|| panic!("refused"));
    let step = ok(r.apply(OrderId(1), &Outcome::Refused(refusal), &RULES));
    assert_eq!(
        step.state,
        ItemState::Skipped {
            reason: SkipReason::Refused(Refusal::AlreadyCaptured)
        }
    );
    let line = item_line(&step.state).unwrap_or_else(|| panic!("settled"));
    assert!(
        line.ja
            .starts_with("売上確定一括処理: 未実行 すでに売上確定済みです")
    );
    assert!(
        r.begin_send(OrderId(1)).is_err(),
        "a skipped order is never sent"
    );
    // The deadline passed between selection and sending.
    let deadline = t0() + RULES.card_authorization_validity;
    let refusal = check(&o, &domain::Operation::Capture, deadline, &RULES)
        .err()
        .unwrap_or_else(|| panic!("refused"));
    let step = ok(r.apply(OrderId(2), &Outcome::Refused(refusal), &RULES));
    assert!(matches!(
        step.state,
        ItemState::Skipped {
            reason: SkipReason::Refused(Refusal::CaptureDeadlinePassed { .. })
        }
    ));
}

#[test]
fn impossible_transitions_are_errors() {
    use Outcome::{Captured, Inquired, Refused};
    let cases = [
        (ItemState::Pending { attempts: 0 }, Captured),
        (ItemState::InFlight { attempt: 1 }, Refused(Refusal::Lapsed)),
        (
            ItemState::InFlight { attempt: 1 },
            Inquired(Settlement::AlreadyApplied),
        ),
        (ItemState::Succeeded, Captured),
        (ItemState::Succeeded, error("9004")),
        (
            ItemState::Failed {
                code: "2004".into(),
                detail: None,
            },
            Inquired(Settlement::NotApplied),
        ),
    ];
    for (state, outcome) in cases {
        assert!(
            next_action(&state, &outcome, &RULES).is_err(),
            "{state:?} + {outcome:?}"
        );
    }
}

#[test]
fn recovery_after_a_crash_never_sends() {
    use Settlement::{AlreadyApplied, Conflict, InProgress, NotApplied};
    let interrupted = ItemState::Skipped {
        reason: SkipReason::Interrupted,
    };
    let in_flight = ItemState::InFlight { attempt: 1 };
    let unknown = ItemState::Unknown {
        attempts: 2,
        inquiries: 1,
        last_code: Some("E02006".into()),
    };
    assert!(!needs_inquiry(&ItemState::Pending { attempts: 0 }));
    assert!(needs_inquiry(&in_flight) && needs_inquiry(&unknown));
    let cases = [
        (
            ItemState::Pending { attempts: 0 },
            None,
            interrupted.clone(),
        ),
        (
            ItemState::Pending { attempts: 2 },
            None,
            interrupted.clone(),
        ),
        (
            in_flight.clone(),
            Some(AlreadyApplied),
            ItemState::Succeeded,
        ),
        (in_flight.clone(), Some(NotApplied), interrupted.clone()),
        (
            in_flight.clone(),
            Some(Conflict),
            ItemState::Skipped {
                reason: SkipReason::ChangedElsewhere,
            },
        ),
        (
            in_flight.clone(),
            None,
            ItemState::Unknown {
                attempts: 1,
                inquiries: 0,
                last_code: None,
            },
        ),
        (unknown.clone(), Some(AlreadyApplied), ItemState::Succeeded),
        (unknown.clone(), Some(InProgress), unknown.clone()),
        (unknown.clone(), Some(NotApplied), interrupted.clone()),
        (ItemState::Succeeded, None, ItemState::Succeeded),
    ];
    for (state, settlement, expected) in cases {
        assert_eq!(
            recover_item(&state, settlement),
            expected,
            "{state:?} {settlement:?}"
        );
    }
    let line = item_line(&interrupted).unwrap_or_else(|| panic!("settled"));
    assert!(line.en.contains("the app closed during the run"));
}
