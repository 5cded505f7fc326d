//! Conformance: PayDesk's operation rules (`domain::check`) predict what the gateway does.
//!
//! Layout: a generated [`Case`] is an order as PayDesk and the gateway last agreed on it
//! (card or Paidy, capture mode, 3-D Secure, every status the gateway holds for the method,
//! amounts and dates consistent with the status), an operation with an arbitrary amount,
//! a "now" near one of the deadlines of either rules table, and how far the gateway's own
//! clock-driven work has got ([`Case::batch_delay`], [`Case::notice_lag`]). [`compare`]
//! derives the gateway's payment (`paygent_sim::transition`'s state: status, [`Facts`],
//! [`Dates`]) and PayDesk's order at `now`, asks PayDesk ([`paydesk`]) and sends the
//! telegram PayDesk's plan names (or, when PayDesk refuses, the telegram the request would
//! have needed) to the simulator's pure `transition`, and classifies the pair as a
//! [`Verdict`]. The property (`paydesk_predicts_the_gateway`) runs 2,000 cases from a fixed
//! seed; the tables below it give one worked example per exception and the regression
//! found by the property.
//!
//! The rules of the comparison:
//! - PayDesk accepts ⇒ the gateway accepts, and the gateway's resulting status and amount
//!   (of the successor for 028/029 and a Paidy partial refund) are the plan's expected
//!   ones. There is no exception in this direction: a plan the gateway refuses is a bug.
//! - PayDesk refuses and the gateway accepts ⇒ [`deliberately_stricter`] names the reason,
//!   and PayDesk's refusal code is one that reason gives.
//! - Both refuse ⇒ the pair of codes is recorded (printed with `--nocapture`); the codes
//!   need not correspond.
//!
//! Timing model. Payments move without PayDesk: the storefront cart's capture of its
//! authorize-and-capture orders (`GatewayRules::cart_capture_delay` after creation; the
//! gateway's own `sales_mode=1` captures at once, §4.2, so an order PayDesk authorizes
//! that way is never in 20) and the gateway's deadline batch
//! (card 10 → 11, 20 → 33, 40 → 41; Paidy 20 → 33, 40 → 41; `due_lapse`). That work runs
//! `batch_delay` late, or not yet at all (`None`). PayDesk hears of a lapse `notice_lag`
//! after the gateway made it (its deadlines refuse from the deadline on exactly so that the
//! lag does not matter); it hears of the cart's capture at once. A cancel racing the
//! cart's capture is a race for the journal to settle, not a rule question, so it
//! is outside this model, as are operations done outside PayDesk.
//!
//! Processing statuses (`domain::PROCESSING_RULES`, §5.2–§5.3, §4.9) are drawn like any
//! other: PayDesk allows only a card's retry of the stopped operation and the simulator
//! agrees; Paidy's parking statuses take nothing on either side (24003). The gateway
//! finishing a parked operation by itself (card 31, Paidy 30/31/42 after the simulator's
//! delay, `gw::self_resolution`, §11 Q3) reaches PayDesk like a lapse, `notice_lag` late.
//! The validity check's 17/22 (§4.5) are refused on both sides. The 028/029
//! partial-failure codes and the card-number stub's failures are the journal's business
//! (`journal.rs` tests).

use std::cell::RefCell;
use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use domain::operation::{auto_capture_due_at, capture_deadline, refund_deadline};
use domain::order::is_captured_status;
use domain::{
    CaptureMode, Operation, OperationKind, Order, OrderList, PaymentMethod, PaymentStatus, Plan,
    RULES, Refusal, TelegramKind, Yen, available_operations, check, check_kind,
};
use paygent_sim::GatewayRules;
use paygent_sim::transition::{self as gw, Dates, Facts, Method, Outcome};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// The statuses a card payment can hold at the gateway (the simulator's whole set).
const CARD_STATUSES: [PaymentStatus; 14] = gw::SIM_STATUSES;

/// The statuses a Paidy payment can hold (§4.9: 20, 30, 31, 32, 33, 40, 41, 42, 60).
const PAIDY_STATUSES: [PaymentStatus; 9] = [
    PaymentStatus::Authorized,
    PaymentStatus::CapturePending,
    PaymentStatus::CancelPending,
    PaymentStatus::Cancelled,
    PaymentStatus::AuthorizationExpired,
    PaymentStatus::Captured,
    PaymentStatus::CapturedRefundWindowClosed,
    PaymentStatus::RefundPending,
    PaymentStatus::Refunded,
];

/// The fixed seed: the run is the same on every machine and in CI.
const SEED: [u8; 32] = *b"paydesk/conformance/seed/2024-04";

/// 2024-04-01 00:00 UTC, the earliest order.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

/// One generated situation.
#[derive(Debug, Clone)]
struct Case {
    /// The order as PayDesk and the gateway last agreed on it, before any clock-driven
    /// change between then and `now`.
    order: Order,
    /// What the shop owner asks for.
    op: Operation,
    /// When.
    now: DateTime<Utc>,
    /// How late the cart's capture and the gateway's deadline batch run; `None`: not yet.
    batch_delay: Option<TimeDelta>,
    /// How long after the gateway's batch moved the payment PayDesk hears of it.
    notice_lag: TimeDelta,
    /// When the gateway last revised this card payment (028 before capture, 029 after):
    /// the current payment carries that date as its authorization (and capture, for 029),
    /// while PayDesk keeps the first authorization's and capture's dates.
    revised_at: Option<DateTime<Utc>>,
    /// PayDesk has an unsettled journal entry for the order.
    operation_unsettled: bool,
}

/// The gateway's current payment, in the simulator's terms.
#[derive(Debug, Clone, Copy)]
struct Gateway {
    status: PaymentStatus,
    facts: Facts,
    dates: Dates<DateTime<Utc>>,
    auto_capture_at: Option<DateTime<Utc>>,
    /// When the gateway finishes the operation parked in a processing status by itself
    /// (`gw::self_resolution`: card 31, Paidy 30/31/42), and the status it ends in.
    resolves: Option<(DateTime<Utc>, PaymentStatus)>,
}

fn sim_method(method: PaymentMethod) -> Method {
    match method {
        PaymentMethod::Card => Method::Card,
        PaymentMethod::Paidy => Method::Paidy,
    }
}

/// The gateway's payment for the order as last agreed.
fn gateway_payment(case: &Case, rules: &GatewayRules) -> Gateway {
    let o = &case.order;
    let mut dates = Dates {
        created: o.ordered_at,
        authorized: o.authorized_at,
        captured: o.captured_at,
    };
    if let Some(at) = case.revised_at {
        // A card revision is a new payment, authorized (028) or authorized and captured
        // (029) when it was made.
        dates.created = at;
        dates.authorized = Some(at);
        if dates.captured.is_some() {
            dates.captured = Some(at);
        }
    }
    let auto = o.capture_mode == CaptureMode::AuthorizeAndCapture
        && o.status == PaymentStatus::Authorized
        && case.revised_at.is_none();
    // A processing status was entered at the payment's latest event (PayDesk and the
    // gateway last agreed on it then).
    let parked_at = [Some(dates.created), dates.authorized, dates.captured]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(dates.created);
    let method = sim_method(o.method);
    Gateway {
        status: o.status,
        facts: Facts {
            method,
            amount: o.gateway_amount(),
            three_d_secure: o.three_d_secure,
        },
        dates,
        auto_capture_at: auto.then(|| dates.created + rules.cart_capture_delay),
        resolves: gw::self_resolution(method, o.status, rules)
            .map(|(after, to)| (parked_at + after, to)),
    }
}

/// Applies the clock-driven changes: the cart's capture if due by `captures_by`,
/// then every lapse due by `lapses_by`, to the payment and the order alike.
fn advance(
    mut g: Gateway,
    mut o: Order,
    captures_by: DateTime<Utc>,
    lapses_by: DateTime<Utc>,
    rules: &GatewayRules,
) -> (Gateway, Order) {
    if let Some(at) = g.auto_capture_at
        && g.status == PaymentStatus::Authorized
        && at <= captures_by
    {
        g.status = PaymentStatus::Captured;
        g.dates.captured = Some(at);
        g.auto_capture_at = None;
        o.status = PaymentStatus::Captured;
        o.captured_amount = o.amount;
        o.captured_at = Some(at);
    }
    // The gateway finishing a parked operation by itself is notified like a lapse.
    if let Some((at, to)) = g.resolves
        && at <= lapses_by
    {
        g.resolves = None;
        g.status = to;
        o.status = to;
        match to {
            PaymentStatus::Captured => {
                g.dates.captured = Some(at);
                o.captured_amount = o.amount;
                o.captured_at = Some(at);
            }
            PaymentStatus::Refunded => o.refunded_amount = o.captured_amount,
            _ => {}
        }
    }
    while let Some(to) = gw::due_lapse(g.facts.method, g.status, g.dates, rules, lapses_by) {
        g.status = to;
        o.status = to;
    }
    g.facts.amount = o.gateway_amount();
    (g, o)
}

/// The gateway's payment and PayDesk's order at `now`.
fn at_now(case: &Case, rules: &GatewayRules) -> (Gateway, Order) {
    let before = gateway_payment(case, rules);
    let Some(delay) = case.batch_delay else {
        return (before, case.order.clone());
    };
    let ran_until = case.now - delay;
    let (gateway, _) = advance(before, case.order.clone(), ran_until, ran_until, rules);
    let (_, order) = advance(
        before,
        case.order.clone(),
        ran_until,
        ran_until - case.notice_lag,
        rules,
    );
    (gateway, order)
}

/// PayDesk's decision, the way the app makes it: the journal guard first, then the rules.
fn paydesk(case: &Case, order: &Order) -> Result<Plan, Refusal> {
    if case.operation_unsettled {
        return Err(Refusal::OperationUnsettled);
    }
    check(order, &case.op, case.now, &RULES)
}

/// The telegram the request needs at the gateway, built the way PayDesk builds it:
/// partial refunds as 029 with the new total (`reduction_flag=0`) or 342 with the refund,
/// a partial refund of everything (at least 1 yen) as a full refund. `None`: no telegram exists (Paidy has
/// no amount change).
fn requested_telegram(method: PaymentMethod, op: Operation, current: Yen) -> Option<gw::Operation> {
    use gw::Operation as G;
    let card = method == PaymentMethod::Card;
    Some(match op {
        Operation::Capture if card => G::CardCapture,
        Operation::Capture => G::PaidyCapture,
        Operation::Cancel if card => G::CardAuthorizeCancel,
        Operation::Cancel => G::PaidyAuthorizeCancel,
        Operation::PartialRefund(a) if a == current && a.0 > 0 => {
            return requested_telegram(method, Operation::FullRefund, current);
        }
        Operation::FullRefund if card => G::CardCaptureCancel,
        Operation::FullRefund => G::PaidyRefund { amount: None },
        Operation::PartialRefund(a) if card => G::CardRevisedCapture {
            new_total: Yen(current.0 - a.0),
        },
        Operation::PartialRefund(a) => G::PaidyRefund { amount: Some(a) },
        Operation::AmountChange(n) if card => G::CardRevisedAuthorize { new_total: n },
        Operation::AmountChange(_) => return None,
    })
}

/// The gateway operation a plan's telegram performs.
fn plan_telegram(plan: &Plan) -> Result<gw::Operation, String> {
    use gw::Operation as G;
    let amount = || {
        plan.request_amount
            .ok_or_else(|| format!("{} without an amount", plan.telegram))
    };
    Ok(match plan.telegram {
        TelegramKind::CardCapture => G::CardCapture,
        TelegramKind::CardAuthorizeCancel => G::CardAuthorizeCancel,
        TelegramKind::CardCaptureCancel => G::CardCaptureCancel,
        TelegramKind::CardRevisedAuthorize => G::CardRevisedAuthorize {
            new_total: amount()?,
        },
        TelegramKind::CardRevisedCapture => G::CardRevisedCapture {
            new_total: amount()?,
        },
        TelegramKind::PaidyCapture => G::PaidyCapture,
        TelegramKind::PaidyAuthorizeCancel => G::PaidyAuthorizeCancel,
        TelegramKind::PaidyRefund => G::PaidyRefund {
            amount: plan.request_amount,
        },
        other => return Err(format!("a plan names telegram {other}")),
    })
}

/// A documented place where PayDesk refuses what the gateway would accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stricter {
    OperationUnsettled,
    AmountChangeAuthorizeAndCapture,
    WaitingForAutoCapture,
    GatewayNoOp,
    ProcessingPastDeadline,
    PartialRefundWhileRefunding,
    PartialRefundOfEverything3ds,
    DeadlineBeforeGatewayBatch,
    RevisionKeepsFirstDeadline,
    NoOpRevision,
}

impl Stricter {
    const ALL: [Stricter; 10] = [
        Stricter::OperationUnsettled,
        Stricter::AmountChangeAuthorizeAndCapture,
        Stricter::WaitingForAutoCapture,
        Stricter::GatewayNoOp,
        Stricter::ProcessingPastDeadline,
        Stricter::PartialRefundWhileRefunding,
        Stricter::PartialRefundOfEverything3ds,
        Stricter::DeadlineBeforeGatewayBatch,
        Stricter::RevisionKeepsFirstDeadline,
        Stricter::NoOpRevision,
    ];

    /// Why PayDesk is stricter than the gateway here.
    fn reason(self) -> &'static str {
        match self {
            Stricter::OperationUnsettled => {
                "PayDesk sends nothing for an order while an earlier operation's outcome is \
                 unsettled in its journal (api operations, bulk::Candidate); the gateway \
                 knows nothing of PayDesk's journal"
            }
            Stricter::AmountChangeAuthorizeAndCapture => {
                "the seed allows authorize-and-capture card orders cancel (refund) only; \
                 the gateway would revise the authorization before the cart's capture"
            }
            Stricter::WaitingForAutoCapture => {
                "an authorize-and-capture order is captured automatically; PayDesk refuses \
                 a manual capture until the cart's capture is due so it is not captured twice \
                 (the gateway would capture, or answer a card 022 idempotently)"
            }
            Stricter::GatewayNoOp => {
                "the card gateway answers result=0 without changing anything to 022 on \
                 40/41, 021 on 32/33 and 023 on 60 (§5.3); PayDesk says it is already done \
                 (or that the capture deadline passed, if it has not heard of 33 yet)"
            }
            Stricter::ProcessingPastDeadline => {
                "PayDesk treats the capture and refund deadlines as final; the simulator \
                 keeps card 30/42/50 retryable for ever (§11 Q3 open)"
            }
            Stricter::PartialRefundWhileRefunding => {
                "PayDesk takes partial refunds only on a captured payment at rest; while a \
                 card refund is processing (42/50) it waits, although a refund of the whole \
                 remainder (which PayDesk sends as 023) would be the gateway's retry"
            }
            Stricter::PartialRefundOfEverything3ds => {
                "a 3-D Secure card payment takes no partial refund (029 is refused with \
                 2014), so PayDesk keeps the partial-refund button off whatever the amount; \
                 a partial refund of the whole remainder would go out as 023, which the \
                 gateway accepts, and is offered as the full refund instead"
            }
            Stricter::DeadlineBeforeGatewayBatch => {
                "PayDesk refuses from the deadline on; the gateway moves 20 → 33 and \
                 40 → 41 only when its batch runs (§11 Q1), and accepts until then"
            }
            Stricter::RevisionKeepsFirstDeadline => {
                "a card revision (028/029) is a new authorization (and capture) at the \
                 gateway, which restarts its deadlines; PayDesk keeps the first ones, the \
                 earlier and safe deadline (Order::authorized_at)"
            }
            Stricter::NoOpRevision => {
                "PayDesk refuses a partial refund of 0 yen and an amount change to the same \
                 amount; the gateway takes a 029/028 with an unchanged total as a revision \
                 that only replaces the payment (§11 Q4 simulator choice)"
            }
        }
    }

    /// The refusal codes PayDesk gives in this situation.
    fn refusals(self) -> &'static [&'static str] {
        match self {
            Stricter::OperationUnsettled => &["operation_unsettled"],
            Stricter::AmountChangeAuthorizeAndCapture => &["amount_change_authorize_and_capture"],
            Stricter::WaitingForAutoCapture => &["waiting_for_auto_capture"],
            Stricter::GatewayNoOp => &[
                "already_captured",
                "already_cancelled",
                "lapsed",
                "already_refunded",
                "capture_deadline_passed",
            ],
            Stricter::ProcessingPastDeadline
            | Stricter::DeadlineBeforeGatewayBatch
            | Stricter::RevisionKeepsFirstDeadline => {
                &["capture_deadline_passed", "refund_deadline_passed"]
            }
            Stricter::PartialRefundWhileRefunding => &["gateway_processing"],
            Stricter::PartialRefundOfEverything3ds => &["partial_refund_3ds"],
            Stricter::NoOpRevision => &["amount_not_positive", "amount_unchanged"],
        }
    }
}

/// Whether PayDesk's deadline for this operation on its view of the order has passed.
fn paydesk_deadline_passed(order: &Order, op: Operation, now: DateTime<Utc>) -> bool {
    use OperationKind as K;
    match (order.status, op.kind()) {
        (PaymentStatus::Authorized, K::Capture | K::Cancel | K::AmountChange) => {
            now >= capture_deadline(order, &RULES)
        }
        (PaymentStatus::Captured, K::FullRefund | K::PartialRefund) => {
            refund_deadline(order, &RULES).is_some_and(|d| now >= d)
        }
        _ => false,
    }
}

/// Where PayDesk is deliberately stricter than the gateway for this request, and why.
/// Besides the order and the operation it needs the time and the gateway's own view,
/// because two of the reasons are about the gateway's dates.
fn deliberately_stricter(case: &Case, order: &Order, gateway: &Gateway) -> Option<Stricter> {
    use PaymentStatus as S;
    let card = order.method == PaymentMethod::Card;
    let now = case.now;
    let op = case.op;
    if case.operation_unsettled {
        return Some(Stricter::OperationUnsettled);
    }
    if card
        && order.capture_mode == CaptureMode::AuthorizeAndCapture
        && matches!(op, Operation::AmountChange(_))
    {
        return Some(Stricter::AmountChangeAuthorizeAndCapture);
    }
    if op == Operation::Capture && auto_capture_due_at(order, &RULES).is_some_and(|due| now < due) {
        return Some(Stricter::WaitingForAutoCapture);
    }
    let gateway_no_op = matches!(
        (op, gateway.status),
        (
            Operation::Capture,
            S::Captured | S::CapturedRefundWindowClosed
        ) | (Operation::Cancel, S::Cancelled | S::AuthorizationExpired)
            | (Operation::FullRefund, S::Refunded)
    );
    // A retry PayDesk sends on a processing status the gateway has meanwhile finished by
    // itself is answered as done (021 on 32): that is agreement, not an exception.
    let retry = domain::processing_rule(order.method, order.status)
        .is_some_and(|r| r.retry && r.pending == op.kind());
    if card && gateway_no_op && !retry {
        return Some(Stricter::GatewayNoOp);
    }
    let processing_past_deadline = match (order.status, op) {
        (S::CapturePending, Operation::Capture) => now >= capture_deadline(order, &RULES),
        (S::RefundPending | S::RefundSettling, Operation::FullRefund) => {
            refund_deadline(order, &RULES).is_some_and(|d| now >= d)
        }
        _ => false,
    };
    if card && processing_past_deadline {
        return Some(Stricter::ProcessingPastDeadline);
    }
    if card
        && matches!(op, Operation::PartialRefund(_))
        && matches!(order.status, S::RefundPending | S::RefundSettling)
    {
        return Some(Stricter::PartialRefundWhileRefunding);
    }
    if card
        && order.three_d_secure
        && matches!(op, Operation::PartialRefund(a) if a == gateway.facts.amount)
    {
        return Some(Stricter::PartialRefundOfEverything3ds);
    }
    if paydesk_deadline_passed(order, op, now) && gateway.status == order.status {
        let gateway_deadline_passed = gw::due_lapse(
            gateway.facts.method,
            gateway.status,
            gateway.dates,
            &GatewayRules::default(),
            now,
        )
        .is_some();
        if gateway_deadline_passed {
            return Some(Stricter::DeadlineBeforeGatewayBatch);
        }
        if case.revised_at.is_some() {
            return Some(Stricter::RevisionKeepsFirstDeadline);
        }
    }
    let no_op_revision = match op {
        Operation::PartialRefund(a) => a.0 == 0,
        Operation::AmountChange(n) => n == order.amount,
        _ => false,
    };
    (card && no_op_revision).then_some(Stricter::NoOpRevision)
}

/// How PayDesk's answer and the gateway's relate for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Both accept, with the same outcome.
    BothAccept { telegram: TelegramKind },
    /// Both refuse (PayDesk's code, the gateway's code or `no_telegram`).
    BothRefuse {
        paydesk: &'static str,
        gateway: &'static str,
    },
    /// PayDesk refuses on purpose what the gateway would accept.
    Stricter {
        exception: Stricter,
        paydesk: &'static str,
    },
}

/// Compares PayDesk with the gateway for one case; `Err` describes a disagreement.
fn compare(case: &Case) -> Result<Verdict, String> {
    let rules = GatewayRules::default();
    let (gateway, order) = at_now(case, &rules);
    let decision = paydesk(case, &order);
    if !case.operation_unsettled {
        let kind = check_kind(&order, case.op.kind(), case.now, &RULES);
        match (&kind, &decision) {
            (Err(k), Err(d)) if k != d => {
                return Err(format!("check_kind says {k:?} but check says {d:?}"));
            }
            (Err(k), Ok(_)) => return Err(format!("check_kind says {k:?} but check plans")),
            _ => {}
        }
        let listed = available_operations(&order, case.now, &RULES)
            .into_iter()
            .find(|(k, _)| *k == case.op.kind())
            .map(|(_, r)| r);
        if listed.as_ref() != Some(&kind) {
            return Err(format!(
                "available_operations says {listed:?}, check_kind {kind:?}"
            ));
        }
    }
    let requested = requested_telegram(order.method, case.op, gateway.facts.amount);
    let exception = deliberately_stricter(case, &order, &gateway);
    match decision {
        Ok(plan) => {
            let op = plan_telegram(&plan)?;
            if Some(op) != requested {
                return Err(format!(
                    "the plan sends {op:?}, the request needs {requested:?}"
                ));
            }
            let outcome = gw::transition(gateway.status, op, gateway.facts);
            expect_plan(&plan, &order, &gateway, op, outcome)?;
            // An exception describes a refusal; if PayDesk plans instead, the exception
            // (or PayDesk) is wrong.
            if let Some(e) = exception {
                return Err(format!(
                    "exception {e:?} applies, yet PayDesk plans {plan:?}"
                ));
            }
            Ok(Verdict::BothAccept {
                telegram: plan.telegram,
            })
        }
        Err(refusal) => {
            let outcome = requested.map(|op| gw::transition(gateway.status, op, gateway.facts));
            match outcome {
                None => Ok(Verdict::BothRefuse {
                    paydesk: refusal.code(),
                    gateway: "no_telegram",
                }),
                Some(Outcome::Refused { code, .. }) => Ok(Verdict::BothRefuse {
                    paydesk: refusal.code(),
                    gateway: code,
                }),
                Some(accepted) => {
                    let Some(e) = exception else {
                        return Err(format!(
                            "PayDesk refuses ({}) what the gateway accepts ({requested:?} on {} → {accepted:?})",
                            refusal.code(),
                            gateway.status.code()
                        ));
                    };
                    if !e.refusals().contains(&refusal.code()) {
                        return Err(format!(
                            "exception {e:?} expects PayDesk to refuse with {:?}, it refused with {}",
                            e.refusals(),
                            refusal.code()
                        ));
                    }
                    Ok(Verdict::Stricter {
                        exception: e,
                        paydesk: refusal.code(),
                    })
                }
            }
        }
    }
}

/// The plan's before and expected-after values against the gateway's outcome.
fn expect_plan(
    plan: &Plan,
    order: &Order,
    gateway: &Gateway,
    op: gw::Operation,
    outcome: Outcome,
) -> Result<(), String> {
    let same = |what: &str, plan_says: String, gateway_says: String| {
        if plan_says == gateway_says {
            Ok(())
        } else {
            Err(format!(
                "{what}: the plan says {plan_says}, the gateway {gateway_says} ({op:?} on {}, {outcome:?})",
                gateway.status.code()
            ))
        }
    };
    same("payment", plan.payment_id.clone(), order.payment_id.clone())?;
    // Before: PayDesk's own view (it may not have heard of a lapse yet).
    same(
        "status before",
        plan.before_status.code().into(),
        order.status.code().into(),
    )?;
    same(
        "amount before",
        plan.before_amount.0.to_string(),
        order.gateway_amount().0.to_string(),
    )?;
    let (status, amount, new_payment) = match outcome {
        Outcome::Moved { to } => (to, gateway.facts.amount, false),
        Outcome::Unchanged => (gateway.status, gateway.facts.amount, false),
        Outcome::Revised {
            base_to,
            new_status,
            new_amount,
        } => {
            // The journal looks for the successor once the base payment is in the status
            // the plan's telegram leaves it in (028 → 32, 029 and Paidy 342 → 60).
            let documented = if plan.telegram == TelegramKind::CardRevisedAuthorize {
                PaymentStatus::Cancelled
            } else {
                PaymentStatus::Refunded
            };
            same(
                "base payment after",
                documented.code().into(),
                base_to.code().into(),
            )?;
            (new_status, new_amount, true)
        }
        Outcome::Reauthorize | Outcome::Refused { .. } => {
            return Err(format!(
                "PayDesk plans {} but the gateway answers {outcome:?} on {}",
                plan.telegram,
                gateway.status.code()
            ));
        }
    };
    same(
        "status after",
        plan.expected_status.code().into(),
        status.code().into(),
    )?;
    same(
        "amount after",
        plan.expected_amount.0.to_string(),
        amount.0.to_string(),
    )?;
    same(
        "new payment",
        plan.creates_new_payment.to_string(),
        new_payment.to_string(),
    )
}

// ----- generation -----

/// Which amount an operation carries, relative to the order (resolved once it is known).
#[derive(Debug, Clone, Copy)]
enum AmountPick {
    Negative,
    Zero,
    One,
    BelowCurrent,
    Current,
    AboveCurrent,
    Any(u32),
}

/// What "now" is near.
#[derive(Debug, Clone, Copy)]
enum Anchor {
    Authorized,
    Captured,
    Revised,
}

/// The raw draws, resolved into a consistent [`Case`] by [`resolve`].
#[derive(Debug, Clone, Copy)]
struct Draw {
    method: PaymentMethod,
    mode: CaptureMode,
    three_d_secure: bool,
    status: usize,
    large_amount: bool,
    amount: u32,
    refunded: Option<u32>,
    order_at: u32,
    auth_delay: u32,
    capture_late: bool,
    capture_after: u32,
    revision_after: Option<u32>,
    op: usize,
    op_amount: AmountPick,
    anchor: Anchor,
    offset: Option<usize>,
    random_offset: u32,
    jitter: i64,
    batch_delay: Option<u32>,
    notice_lag: Option<u32>,
    operation_unsettled: bool,
}

const DAY: i64 = 86_400;

/// Every interval either rules table counts: "now" lands just before, at or after one.
fn offsets() -> Vec<TimeDelta> {
    let g = GatewayRules::default();
    vec![
        RULES.auto_capture_delay,
        RULES.card_authorization_validity,
        RULES.card_refund_window,
        RULES.paidy_capture_window,
        RULES.paidy_refund_window,
        g.cart_capture_delay,
        g.card_authorization_validity,
        g.card_capture_cancel_window,
        g.paidy_capture_window,
        g.paidy_refund_window,
        g.card_input_error_lapse,
        TimeDelta::zero(),
    ]
}

fn resolve(d: Draw) -> Case {
    use PaymentStatus as S;
    let card = d.method == PaymentMethod::Card;
    let statuses: &[PaymentStatus] = if card {
        &CARD_STATUSES
    } else {
        &PAIDY_STATUSES
    };
    let d = Draw {
        status: if d.status < CARD_STATUSES.len() {
            d.status % statuses.len()
        } else {
            statuses.len() + d.status - CARD_STATUSES.len()
        },
        ..d
    };
    // Half the cases use a live status (20 or 40), where most rules apply.
    let status = match d.status.checked_sub(statuses.len()) {
        Some(live) if live % 2 == 0 => S::Authorized,
        Some(_) => S::Captured,
        None => statuses[d.status],
    };
    let limit = if card {
        RULES.card_max_amount.0
    } else {
        RULES.paidy_max_amount.0
    };
    let amount = 1 + i64::from(d.amount) % if d.large_amount { limit } else { 5_000 };
    let ordered_at = t0() + secs(i64::from(d.order_at) % (365 * DAY));
    let authorized = !matches!(status, S::Applied | S::AuthorizationFailed);
    let authorized_at = authorized.then(|| ordered_at + secs(i64::from(d.auth_delay) % 121));
    let captured = is_captured_status(status) || status == S::Refunded;
    let capture_window = if card {
        RULES.card_authorization_validity
    } else {
        RULES.paidy_capture_window
    };
    let captured_at = captured.then(|| {
        let span = if d.capture_late {
            capture_window.num_seconds()
        } else {
            DAY
        };
        authorized_at.unwrap_or(ordered_at) + secs(i64::from(d.capture_after) % span)
    });
    let refunded = match status {
        S::Refunded => amount,
        s if is_captured_status(s) => d.refunded.map_or(0, |r| i64::from(r) % amount),
        _ => 0,
    };
    let three_d_secure = card && d.three_d_secure;
    let revisable = card && !three_d_secure && d.mode == CaptureMode::AuthorizeOnly && authorized;
    let revised_at = d.revision_after.filter(|_| revisable).map(|s| {
        captured_at.or(authorized_at).unwrap_or(ordered_at) + secs(1 + i64::from(s) % (30 * DAY))
    });
    let order = Order {
        order_number: "order00158".into(),
        payment_id: "11111111111111111111".into(),
        method: d.method,
        capture_mode: d.mode,
        three_d_secure,
        amount: Yen(amount),
        captured_amount: Yen(if captured { amount } else { 0 }),
        refunded_amount: Yen(refunded),
        status,
        ordered_at,
        authorized_at,
        captured_at,
        list: OrderList::Open,
        outside_change: false,
        buyer_name: None,
        buyer_name_kana: None,
        buyer_email: None,
    };

    let latest = [Some(ordered_at), authorized_at, captured_at, revised_at]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(ordered_at);
    let anchor = match d.anchor {
        Anchor::Authorized => authorized_at.unwrap_or(ordered_at),
        Anchor::Captured => captured_at.or(authorized_at).unwrap_or(ordered_at),
        Anchor::Revised => revised_at.unwrap_or(latest),
    };
    let table = offsets();
    let offset = match d.offset {
        Some(i) => table[i % table.len()],
        None => secs(i64::from(d.random_offset) % (200 * DAY)),
    };
    let now = (anchor + offset + secs(d.jitter)).max(latest);

    let current = order.gateway_amount().0;
    let base = match d.op % 5 {
        4 => amount,
        _ => current,
    };
    let value = Yen(match d.op_amount {
        AmountPick::Negative => -1,
        AmountPick::Zero => 0,
        AmountPick::One => 1,
        AmountPick::BelowCurrent => base - 1,
        AmountPick::Current => base,
        AmountPick::AboveCurrent => base + 1,
        AmountPick::Any(r) => i64::from(r) % (2 * base + 2),
    });
    let op = match d.op % 5 {
        0 => Operation::Capture,
        1 => Operation::Cancel,
        2 => Operation::FullRefund,
        3 => Operation::PartialRefund(value),
        _ => Operation::AmountChange(value),
    };
    Case {
        order,
        op,
        now,
        batch_delay: d.batch_delay.map(|s| secs(i64::from(s) % DAY)),
        notice_lag: secs(d.notice_lag.map_or(0, |s| i64::from(s) % DAY)),
        revised_at,
        operation_unsettled: d.operation_unsettled,
    }
}

fn arb_case() -> impl Strategy<Value = Case> {
    let order = (
        prop_oneof![Just(PaymentMethod::Card), Just(PaymentMethod::Paidy)],
        prop_oneof![
            3 => Just(CaptureMode::AuthorizeOnly),
            1 => Just(CaptureMode::AuthorizeAndCapture)
        ],
        proptest::bool::weighted(0.2),
        prop_oneof![
            0..CARD_STATUSES.len(),
            CARD_STATUSES.len()..CARD_STATUSES.len() + 2
        ],
        proptest::bool::weighted(0.2),
        any::<u32>(),
        proptest::option::of(any::<u32>()),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        any::<u32>(),
        proptest::option::weighted(0.3, any::<u32>()),
    );
    let amount = prop_oneof![
        1 => Just(AmountPick::Negative),
        1 => Just(AmountPick::Zero),
        1 => Just(AmountPick::One),
        1 => Just(AmountPick::BelowCurrent),
        1 => Just(AmountPick::Current),
        1 => Just(AmountPick::AboveCurrent),
        3 => any::<u32>().prop_map(AmountPick::Any),
    ];
    let when = (
        0..5usize,
        amount,
        prop_oneof![
            Just(Anchor::Authorized),
            Just(Anchor::Captured),
            Just(Anchor::Revised)
        ],
        proptest::option::weighted(0.8, any::<usize>()),
        any::<u32>(),
        prop_oneof![Just(-1i64), Just(0i64), Just(1i64), -2 * DAY..=2 * DAY],
        prop_oneof![
            2 => Just(Some(0u32)),
            1 => Just(None),
            1 => any::<u32>().prop_map(Some)
        ],
        proptest::option::weighted(0.3, any::<u32>()),
        proptest::bool::weighted(0.05),
    );
    (order, when).prop_map(|(o, w)| {
        resolve(Draw {
            method: o.0,
            mode: o.1,
            three_d_secure: o.2,
            status: o.3,
            large_amount: o.4,
            amount: o.5,
            refunded: o.6,
            order_at: o.7,
            auth_delay: o.8,
            capture_late: o.9,
            capture_after: o.10,
            revision_after: o.11,
            op: w.0,
            op_amount: w.1,
            anchor: w.2,
            offset: w.3,
            random_offset: w.4,
            jitter: w.5,
            batch_delay: w.6,
            notice_lag: w.7,
            operation_unsettled: w.8,
        })
    })
}

/// What one run saw, for the record.
#[derive(Default)]
struct Tally {
    /// Cases drawn per (method, status of the order as last agreed).
    statuses: BTreeMap<(&'static str, &'static str), usize>,
    both_accept: BTreeMap<String, usize>,
    both_refuse: BTreeMap<(&'static str, &'static str), usize>,
    stricter: BTreeMap<Stricter, usize>,
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

/// The property: for 2,000 generated cases PayDesk accepts exactly what the gateway
/// accepts (with the same result), except where a named exception says it refuses on
/// purpose.
#[test]
fn paydesk_predicts_the_gateway() {
    let tally = RefCell::new(Tally::default());
    let result = runner(2_000).run(&arb_case(), |case| {
        let verdict = compare(&case).map_err(TestCaseError::fail)?;
        let mut t = tally.borrow_mut();
        let method = match case.order.method {
            PaymentMethod::Card => "card",
            PaymentMethod::Paidy => "paidy",
        };
        *t.statuses
            .entry((method, case.order.status.code()))
            .or_default() += 1;
        match verdict {
            Verdict::BothAccept { telegram } => {
                *t.both_accept.entry(telegram.to_string()).or_default() += 1;
            }
            Verdict::BothRefuse { paydesk, gateway } => {
                *t.both_refuse.entry((paydesk, gateway)).or_default() += 1;
            }
            Verdict::Stricter { exception, .. } => {
                *t.stricter.entry(exception).or_default() += 1;
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let t = tally.into_inner();
    eprintln!("both accept (PayDesk's telegram): {:?}", t.both_accept);
    eprintln!("both refuse (PayDesk's code, gateway's code):");
    for ((paydesk, gateway), n) in &t.both_refuse {
        eprintln!("  {paydesk:<36} {gateway:<12} {n}");
    }
    eprintln!("PayDesk deliberately stricter:");
    for (e, n) in &t.stricter {
        eprintln!("  {e:?} ({n}): {}", e.reason());
    }
    // Every telegram PayDesk plans was accepted somewhere in the run; every exception has
    // a worked example below (some are too rare to count on in 2,000 draws).
    assert_eq!(t.both_accept.len(), 8, "{:?}", t.both_accept);
    // Every status each method can hold at the gateway was drawn: the processing statuses
    // (§5.2–§5.3 card 30/31/42/50, §4.9 Paidy 30/31/42) and the validity check's 17/22
    // (§4.5) included.
    for (method, statuses) in [("card", &CARD_STATUSES[..]), ("paidy", &PAIDY_STATUSES[..])] {
        for s in statuses {
            assert!(
                t.statuses
                    .get(&(method, s.code()))
                    .is_some_and(|n| *n >= 10),
                "{method} {} drawn {:?} times",
                s.code(),
                t.statuses.get(&(method, s.code()))
            );
        }
    }
}

// ----- worked examples -----

/// A card, authorize-only order of ¥2,000 authorized at `t0()`, in `status`.
fn example(method: PaymentMethod, status: PaymentStatus, op: Operation, now: TimeDelta) -> Case {
    let captured = is_captured_status(status) || status == PaymentStatus::Refunded;
    Case {
        order: Order {
            order_number: "order00158".into(),
            payment_id: "11111111111111111111".into(),
            method,
            capture_mode: CaptureMode::AuthorizeOnly,
            three_d_secure: false,
            amount: Yen(2000),
            captured_amount: Yen(if captured { 2000 } else { 0 }),
            refunded_amount: Yen(if status == PaymentStatus::Refunded {
                2000
            } else {
                0
            }),
            status,
            ordered_at: t0(),
            authorized_at: Some(t0()),
            captured_at: captured.then(t0),
            list: OrderList::Open,
            outside_change: false,
            buyer_name: None,
            buyer_name_kana: None,
            buyer_email: None,
        },
        op,
        now: t0() + now,
        batch_delay: Some(TimeDelta::zero()),
        notice_lag: TimeDelta::zero(),
        revised_at: None,
        operation_unsettled: false,
    }
}

fn verdict(case: &Case) -> Verdict {
    compare(case).unwrap_or_else(|e| panic!("{e}\n{case:#?}"))
}

/// One example per exception, so each reads as a concrete situation and none is dead.
#[test]
fn every_exception_has_a_worked_example() {
    use PaymentMethod::{Card, Paidy};
    use PaymentStatus as S;
    let day = TimeDelta::days(1);
    let card_deadline = RULES.card_authorization_validity;
    let examples: Vec<(Stricter, Case)> = vec![
        (Stricter::OperationUnsettled, {
            let mut c = example(Card, S::Authorized, Operation::Capture, day);
            c.operation_unsettled = true;
            c
        }),
        (Stricter::AmountChangeAuthorizeAndCapture, {
            let mut c = example(
                Card,
                S::Authorized,
                Operation::AmountChange(Yen(1500)),
                secs(60),
            );
            c.order.capture_mode = CaptureMode::AuthorizeAndCapture;
            c
        }),
        (Stricter::WaitingForAutoCapture, {
            let mut c = example(Paidy, S::Authorized, Operation::Capture, secs(60));
            c.order.capture_mode = CaptureMode::AuthorizeAndCapture;
            c
        }),
        (
            Stricter::GatewayNoOp,
            example(Card, S::Captured, Operation::Capture, day),
        ),
        (
            Stricter::ProcessingPastDeadline,
            example(Card, S::CapturePending, Operation::Capture, card_deadline),
        ),
        (Stricter::DeadlineBeforeGatewayBatch, {
            let mut c = example(Card, S::Authorized, Operation::Capture, card_deadline);
            c.batch_delay = None;
            c
        }),
        (Stricter::RevisionKeepsFirstDeadline, {
            let mut c = example(Card, S::Authorized, Operation::Capture, card_deadline);
            c.revised_at = Some(t0() + TimeDelta::days(10));
            c
        }),
        (
            Stricter::PartialRefundWhileRefunding,
            example(
                Card,
                S::RefundPending,
                Operation::PartialRefund(Yen(2000)),
                day,
            ),
        ),
        (Stricter::PartialRefundOfEverything3ds, {
            let mut c = example(Card, S::Captured, Operation::PartialRefund(Yen(2000)), day);
            c.order.three_d_secure = true;
            c
        }),
        (
            Stricter::NoOpRevision,
            example(Card, S::Captured, Operation::PartialRefund(Yen(0)), day),
        ),
    ];
    assert_eq!(examples.len(), Stricter::ALL.len());
    for (expected, case) in &examples {
        match verdict(case) {
            Verdict::Stricter { exception, .. } => assert_eq!(exception, *expected),
            other => panic!("{expected:?}: {other:?}"),
        }
    }
}

/// Regression found by the property: PayDesk allowed a cancel of an authorized order at or
/// after its capture deadline and expected status 32. By then the gateway's batch has moved
/// the payment to 33 (PayDesk may not have heard yet): a card 021 changes nothing there
/// (the order would have been recorded as cancelled while the gateway says expired) and a
/// Paidy 340 is refused with 24006. PayDesk now refuses with `capture_deadline_passed`,
/// as for capture and amount change.
#[test]
fn cancel_at_the_capture_deadline_is_refused() {
    use PaymentStatus as S;
    for (method, deadline, gateway) in [
        (PaymentMethod::Card, RULES.card_authorization_validity, None),
        (
            PaymentMethod::Paidy,
            RULES.paidy_capture_window,
            Some("24006"),
        ),
    ] {
        let mut before = example(method, S::Authorized, Operation::Cancel, deadline - secs(1));
        before.notice_lag = TimeDelta::hours(1);
        assert_eq!(
            verdict(&before),
            Verdict::BothAccept {
                telegram: if method == PaymentMethod::Card {
                    TelegramKind::CardAuthorizeCancel
                } else {
                    TelegramKind::PaidyAuthorizeCancel
                }
            },
            "{method:?} one second before"
        );
        let mut at = before.clone();
        at.now = t0() + deadline;
        let (g, o) = at_now(&at, &GatewayRules::default());
        assert_eq!(
            (g.status, o.status),
            (S::AuthorizationExpired, S::Authorized),
            "the gateway lapsed it, PayDesk has not heard yet"
        );
        let expected = match gateway {
            Some(code) => Verdict::BothRefuse {
                paydesk: "capture_deadline_passed",
                gateway: code,
            },
            None => Verdict::Stricter {
                exception: Stricter::GatewayNoOp,
                paydesk: "capture_deadline_passed",
            },
        };
        assert_eq!(verdict(&at), expected, "{method:?} at the deadline");
    }
}

/// The model's own corners: a partial refund of everything goes out as a full refund and
/// is accepted; above the refundable amount both refuse.
#[test]
fn partial_refund_edges_agree() {
    use PaymentStatus as S;
    let day = TimeDelta::days(1);
    for method in PaymentMethod::ALL {
        let all = example(
            method,
            S::Captured,
            Operation::PartialRefund(Yen(2000)),
            day,
        );
        let full = if method == PaymentMethod::Card {
            TelegramKind::CardCaptureCancel
        } else {
            TelegramKind::PaidyRefund
        };
        assert_eq!(verdict(&all), Verdict::BothAccept { telegram: full });
        let over = example(
            method,
            S::Captured,
            Operation::PartialRefund(Yen(2001)),
            day,
        );
        assert!(
            matches!(
                verdict(&over),
                Verdict::BothRefuse {
                    paydesk: "refund_exceeds_refundable",
                    ..
                }
            ),
            "{method:?}"
        );
    }
}

/// §5.2–§5.3 (card 30/31/42/50), §4.9 (Paidy's parking statuses 30/31/42) and §4.5 (the
/// validity check's 17/22), every operation on each: PayDesk plans exactly the card's
/// retry of the stopped operation (and the gateway accepts it with the plan's result),
/// and refuses everything else where the gateway refuses too (`gateway_processing`,
/// `validity_check`), except the one named exception (a partial refund of everything on
/// 42/50 would be the gateway's 023 retry).
#[test]
fn processing_and_validity_statuses_agree_with_the_gateway() {
    use PaymentMethod::{Card, Paidy};
    use PaymentStatus as S;
    let ops = [
        Operation::Capture,
        Operation::Cancel,
        Operation::FullRefund,
        Operation::PartialRefund(Yen(500)),
        Operation::PartialRefund(Yen(2000)),
        Operation::AmountChange(Yen(1500)),
    ];
    let mut cases = Vec::new();
    for rule in domain::PROCESSING_RULES {
        cases.push((rule.method, rule.status, rule.retry.then_some(rule.pending)));
    }
    for s in [S::ValidityChecked, S::ValidityCheckFailed] {
        cases.push((Card, s, None));
    }
    for (method, status, retry) in cases {
        for op in ops {
            // A minute in: nothing the gateway finishes by itself has happened yet.
            let case = example(method, status, op, secs(60));
            let v = verdict(&case);
            let what = format!("{method:?} {} {op:?}: {v:?}", status.code());
            let is_retry = retry == Some(op.kind())
                || (retry == Some(OperationKind::FullRefund)
                    && op == Operation::PartialRefund(Yen(2000)));
            match v {
                Verdict::BothAccept { .. } => assert!(is_retry, "{what}"),
                Verdict::BothRefuse { paydesk, .. } => {
                    assert!(
                        !is_retry || retry == Some(OperationKind::FullRefund),
                        "{what}"
                    );
                    let expected = if matches!(status, S::ValidityChecked | S::ValidityCheckFailed)
                    {
                        "validity_check"
                    } else {
                        "gateway_processing"
                    };
                    assert_eq!(paydesk, expected, "{what}");
                }
                Verdict::Stricter { exception, .. } => {
                    assert_eq!(exception, Stricter::PartialRefundWhileRefunding, "{what}")
                }
            }
            if retry == Some(op.kind()) && !matches!(op, Operation::PartialRefund(_)) {
                assert!(matches!(v, Verdict::BothAccept { .. }), "{what}");
            }
        }
    }
    // Paidy's parking statuses take nothing, from either side.
    let v = verdict(&example(
        Paidy,
        S::CancelPending,
        Operation::Cancel,
        secs(60),
    ));
    assert_eq!(
        v,
        Verdict::BothRefuse {
            paydesk: "gateway_processing",
            gateway: "24003"
        }
    );
}

/// §11 Q3 as the simulator decides it (`gw::self_resolution`): the gateway finishes a card
/// 31 and Paidy's parked operations by itself; until PayDesk hears of it, a card cancel
/// retry is still right (021 on 32 is the idempotent success) and Paidy is refused on both
/// sides.
#[test]
fn operations_the_gateway_finishes_by_itself_stay_in_agreement() {
    use PaymentMethod::{Card, Paidy};
    use PaymentStatus as S;
    let rules = GatewayRules::default();
    let later = rules
        .paidy_processing_resolution
        .max(rules.card_cancel_retry_resolution)
        + TimeDelta::minutes(1);
    let mut card = example(Card, S::CancelPending, Operation::Cancel, later);
    card.notice_lag = TimeDelta::hours(1);
    let (g, o) = at_now(&card, &rules);
    assert_eq!((g.status, o.status), (S::Cancelled, S::CancelPending));
    assert_eq!(
        verdict(&card),
        Verdict::BothAccept {
            telegram: TelegramKind::CardAuthorizeCancel
        }
    );
    let mut paidy = example(Paidy, S::CapturePending, Operation::Capture, later);
    paidy.notice_lag = TimeDelta::hours(1);
    let (g, _) = at_now(&paidy, &rules);
    assert_eq!(g.status, S::Captured);
    assert_eq!(
        verdict(&paidy),
        Verdict::BothRefuse {
            paydesk: "gateway_processing",
            gateway: "24003"
        }
    );
    // Once PayDesk has heard, it sees the finished payment.
    paidy.notice_lag = TimeDelta::zero();
    let (_, o) = at_now(&paidy, &rules);
    assert_eq!(o.status, S::Captured);
    assert_eq!(o.captured_amount, Yen(2000));
}
