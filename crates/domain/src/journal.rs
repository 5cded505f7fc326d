//! The operation journal's decisions: an operation is written down (with its key) before it
//! is sent, and after a timeout or crash its outcome is settled with a 094 inquiry before
//! anything is resent, so nothing is captured or refunded twice.
//!
//! Layout: [`OperationKey`] and [`JournalState`] are what the store keeps; [`settle`]
//! compares an inquiry's answer with the [`Plan`] written before sending;
//! [`retry_decision`] is the table that says what to do after a failure.

use chrono::{DateTime, TimeDelta, Utc};
use paygent_codec::{PaymentStatus, TelegramKind};

use crate::notification::StatusReport;
use crate::operation::{Operation, Plan};
use crate::order::OrderId;
use crate::rules::Rules;

/// The key of one operation, written before sending and reused for every retry of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationKey(pub String);

/// Where a journaled operation stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JournalState {
    /// Written down, not yet handed to the network. A crash here means it was never sent,
    /// but PayDesk still inquires: "not sent" cannot be proven after a crash.
    Pending,
    /// Handed to the network; the answer has not been processed.
    Sent,
    /// The answer never came (timeout, dropped connection) or made no sense: the outcome
    /// must be settled with a 094 inquiry before anything is retried.
    Unknown,
    /// The gateway did it.
    Succeeded,
    /// The gateway did not do it; the code says why (a gateway code, or `not_applied` when an
    /// inquiry showed nothing happened, or `conflict` when the payment moved elsewhere).
    Failed(String),
}

impl JournalState {
    /// The stable code used in the database.
    pub fn code(&self) -> &'static str {
        match self {
            JournalState::Pending => "pending",
            JournalState::Sent => "sent",
            JournalState::Unknown => "unknown",
            JournalState::Succeeded => "succeeded",
            JournalState::Failed(_) => "failed",
        }
    }

    /// The state for a code and, for `failed`, its error code.
    pub fn from_parts(code: &str, error_code: Option<&str>) -> Option<JournalState> {
        Some(match code {
            "pending" => JournalState::Pending,
            "sent" => JournalState::Sent,
            "unknown" => JournalState::Unknown,
            "succeeded" => JournalState::Succeeded,
            "failed" => JournalState::Failed(error_code.unwrap_or_default().to_owned()),
            _ => return None,
        })
    }

    /// Whether the outcome is still open (must be settled before another operation).
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            JournalState::Pending | JournalState::Sent | JournalState::Unknown
        )
    }
}

/// A journaled operation whose outcome is not settled yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOperation {
    /// Its key.
    pub key: OperationKey,
    /// The order.
    pub order_id: OrderId,
    /// What the shop owner asked for.
    pub operation: Operation,
    /// What was (to be) sent and what it should lead to.
    pub plan: Plan,
    /// Where it stands.
    pub state: JournalState,
    /// When it was journaled.
    pub created_at: DateTime<Utc>,
    /// When it was handed to the network.
    pub sent_at: Option<DateTime<Utc>>,
}

impl PendingOperation {
    /// Whether the telegram may still be carried out by the gateway: it was handed to the
    /// network less than `in_flight_window` ago. (An entry never marked sent was never
    /// sent: it is marked before the telegram leaves.)
    pub fn may_still_arrive(&self, now: DateTime<Utc>, in_flight_window: TimeDelta) -> bool {
        self.sent_at
            .is_some_and(|sent| now < sent + in_flight_window)
    }
}

/// What a search for a successor payment (a revision's new `payment_id`) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Successor<'a> {
    /// A payment that replaced the targeted one.
    Found(&'a StatusReport),
    /// PayDesk looked (e.g. a 094 by order number returned only the targeted payment) and
    /// there is none.
    NoneFound,
    /// Nobody looked.
    NotChecked,
}

/// The outcome of an unsettled operation, decided from an inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Settlement {
    /// The gateway did it: record success, never resend.
    AlreadyApplied,
    /// The gateway did not do it (or asks for the same telegram again): the same operation,
    /// with the same key, may be sent again.
    NotApplied,
    /// The gateway is still working on it, or a revision's successor has not been looked
    /// for yet: inquire again later.
    InProgress,
    /// The payment is neither as before nor as expected: someone else changed it. Adopt the
    /// gateway's state, never resend.
    Conflict,
}

fn is_paidy(telegram: TelegramKind) -> bool {
    matches!(
        telegram,
        TelegramKind::PaidyAuthorizeCancel | TelegramKind::PaidyCapture | TelegramKind::PaidyRefund
    )
}

/// The card processing status that the same telegram is documented to retry (§5.3).
fn card_retry_status(telegram: TelegramKind) -> &'static [PaymentStatus] {
    match telegram {
        TelegramKind::CardCapture => &[PaymentStatus::CapturePending],
        TelegramKind::CardAuthorizeCancel => &[PaymentStatus::CancelPending],
        TelegramKind::CardCaptureCancel => {
            &[PaymentStatus::RefundPending, PaymentStatus::RefundSettling]
        }
        _ => &[],
    }
}

/// Decides an unsettled operation's outcome from a 094 inquiry of the payment it named
/// (`target`) and, for revisions, of its successor.
pub fn settle(
    pending: &PendingOperation,
    target: &StatusReport,
    successor: Successor<'_>,
) -> Settlement {
    let plan = &pending.plan;
    if let Successor::Found(next) = successor {
        if !plan.creates_new_payment {
            return Settlement::Conflict;
        }
        return if next.status == plan.expected_status && next.amount == plan.expected_amount {
            Settlement::AlreadyApplied
        } else {
            Settlement::Conflict
        };
    }
    if plan.creates_new_payment {
        let old_replaced = match plan.telegram {
            TelegramKind::CardRevisedAuthorize => target.status == PaymentStatus::Cancelled,
            _ => target.status == PaymentStatus::Refunded,
        };
        let unchanged = target.status == plan.before_status && target.amount == plan.before_amount;
        return match (successor, old_replaced, unchanged) {
            // The old payment was replaced, or may have been (028/029 create the new
            // payment before cancelling the old one): look for the successor first.
            (Successor::NotChecked, _, _) if old_replaced || unchanged => Settlement::InProgress,
            (Successor::NoneFound, _, true) => Settlement::NotApplied,
            _ if is_paidy(plan.telegram) && target.status == PaymentStatus::RefundPending => {
                Settlement::InProgress
            }
            _ => Settlement::Conflict,
        };
    }
    let amount_matters = plan.expected_status == PaymentStatus::Captured;
    if target.status == plan.expected_status
        && (!amount_matters || target.amount == plan.expected_amount)
    {
        return Settlement::AlreadyApplied;
    }
    if target.status == plan.before_status && target.amount == plan.before_amount {
        return Settlement::NotApplied;
    }
    if is_paidy(plan.telegram) {
        if matches!(
            target.status,
            PaymentStatus::CapturePending
                | PaymentStatus::CancelPending
                | PaymentStatus::RefundPending
        ) {
            return Settlement::InProgress;
        }
    } else if card_retry_status(plan.telegram).contains(&target.status) {
        return Settlement::NotApplied;
    }
    Settlement::Conflict
}

/// [`settle`] at time `now`: an inquiry that finds nothing done while the telegram may still
/// be in flight ([`PendingOperation::may_still_arrive`]) means "inquire again later", never
/// "not applied": concluding too early would let a late capture or refund land after
/// PayDesk closed the entry (or, for a revision, sent it twice).
pub fn settle_at(
    pending: &PendingOperation,
    target: &StatusReport,
    successor: Successor<'_>,
    now: DateTime<Utc>,
    in_flight_window: TimeDelta,
) -> Settlement {
    match settle(pending, target, successor) {
        Settlement::NotApplied if pending.may_still_arrive(now, in_flight_window) => {
            Settlement::InProgress
        }
        settlement => settlement,
    }
}

/// What went wrong with one send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCategory {
    /// The request provably never reached the gateway (connection refused, TLS handshake
    /// or certificate error before the request was written).
    NotSent,
    /// The request may have reached the gateway but no usable answer came back (timeout,
    /// dropped connection, unparsable body, E02005/E02006).
    NoResponse,
    /// The gateway answered "busy, try later" without doing anything (9004, 9005, E002).
    GatewayBusy,
    /// The gateway answered, but its own upstream timed out, so the outcome is open
    /// (card 2008, Paidy 24004/24005).
    OutcomeUnknownAtGateway,
    /// The gateway refused for good (any other error code), or PayDesk's configuration is
    /// wrong.
    Refused,
}

impl FailureCategory {
    /// The category of a gateway `response_code` or module error code.
    pub fn from_code(code: &str) -> FailureCategory {
        match code {
            "9004" | "9005" | "E002" => FailureCategory::GatewayBusy,
            "2008" | "24004" | "24005" => FailureCategory::OutcomeUnknownAtGateway,
            "E02005" | "E02006" | "E01003" => FailureCategory::NoResponse,
            "E02004" => FailureCategory::NotSent,
            _ => FailureCategory::Refused,
        }
    }
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryDecision {
    /// Send the same telegram (same operation key) again after this wait.
    RetryAfter(TimeDelta),
    /// Settle the outcome with a 094 inquiry first; never resend blindly.
    InquireFirst,
    /// Stop and tell the shop owner.
    GiveUp,
}

/// The retry table. `attempt` counts the sends already made (1 after the first failure).
pub fn retry_decision(failure: FailureCategory, attempt: u32, rules: &Rules) -> RetryDecision {
    let exhausted = attempt >= rules.max_automatic_retries;
    match failure {
        FailureCategory::NoResponse | FailureCategory::OutcomeUnknownAtGateway => {
            RetryDecision::InquireFirst
        }
        FailureCategory::Refused => RetryDecision::GiveUp,
        _ if exhausted => RetryDecision::GiveUp,
        FailureCategory::NotSent => RetryDecision::RetryAfter(rules.not_sent_retry_delay),
        FailureCategory::GatewayBusy => RetryDecision::RetryAfter(busy_backoff(attempt, rules)),
    }
}

/// The wait before busy retry number `attempt` (1-based): doubling from the initial wait,
/// capped.
pub fn busy_backoff(attempt: u32, rules: &Rules) -> TimeDelta {
    let doublings = attempt.saturating_sub(1).min(16);
    let wait = rules.busy_backoff_initial * (1_i32 << doublings);
    wait.min(rules.busy_backoff_max)
}

/// The report of a telegram the gateway accepted, built from the plan: the answers to
/// 021/022/023 and 340/341/342 carry only a `payment_id` (the new one for 028, 029 and a
/// Paidy partial refund), so the expected outcome stands in for the payment's new state.
pub fn success_report(
    pending: &PendingOperation,
    order: &crate::order::Order,
    new_payment_id: Option<&str>,
    at: DateTime<Utc>,
) -> StatusReport {
    let plan = &pending.plan;
    let (payment_id, base_payment_id) = match new_payment_id {
        Some(id) if plan.creates_new_payment && id != plan.payment_id => {
            (id.to_owned(), Some(plan.payment_id.clone()))
        }
        _ => (plan.payment_id.clone(), None),
    };
    StatusReport {
        payment_id,
        base_payment_id,
        order_number: order.order_number.clone(),
        method: order.method,
        status: plan.expected_status,
        amount: plan.expected_amount,
        three_d_secure: order.three_d_secure,
        changed_at: at,
        authorized_at: None,
        captured_at: None,
        buyer_name: None,
        buyer_name_kana: None,
        buyer_email: None,
    }
}
