//! Bulk capture (売上確定一括処理): which orders the unprocessed list (未処理一覧) offers,
//! the checks on the shop owner's selection, and the state machine of one run.
//!
//! Layout: [`eligibility`] says how one order shows in the unprocessed list;
//! [`validate_selection`] turns a selection into a [`RunPlan`] (or a [`SelectionError`]);
//! [`RunState`] holds one [`RunItem`] per order, and [`next_action`] is the pure transition of
//! an item's [`ItemState`] after each [`Outcome`] the caller learned (gateway answer, 094
//! inquiry, re-check before sending); [`recover_item`] settles an item of a run that the app
//! left unfinished (closed or crashed); [`item_line`] renders the detailed-log line, which is
//! also the order's change-history line, and [`run_message`] the per-run message.
//!
//! Decisions:
//! - A selection that is empty or holds more than `bulk_capture_max_orders` different orders
//!   is refused as a whole: nothing is sent and the shop owner narrows the selection.
//! - Within an acceptable selection, orders that cannot be captured (captured or cancelled
//!   meanwhile, deadline passed, waiting for automatic capture, changed outside PayDesk, an
//!   unsettled operation, selected twice) are left out with a per-order reason that the
//!   confirmation screen lists; the run proceeds with the rest. If none is left the
//!   selection is refused ([`SelectionError::NothingToCapture`]).
//! - Every order is checked again just before its capture is sent ([`Outcome::Refused`]): an
//!   order captured, cancelled or past its deadline meanwhile is skipped, never sent.
//! - Busy answers (9004, 9005, E002) back off and resend with the same operation key; an
//!   answer whose outcome is open (timeout, 2008, E001 and the other retryable system
//!   errors) is settled with a 094 inquiry before anything is resent; any other code fails
//!   that order only; a credentials error (dictionary category `Credentials`) fails that
//!   order and stops the run: the orders not yet sent are skipped with a per-run message.
//! - Recovery after a crash never sends a capture: an order whose capture may have been
//!   sent is settled by inquiry (captured → succeeded, not captured → skipped and left in the
//!   unprocessed list); an order never sent is skipped.

use chrono::{DateTime, TimeDelta, Utc};
use paygent_codec::{Category, ErrorContext, PaymentStatus, Yen, explain_with_detail};

use crate::history::{Text, yen};
use crate::journal::{FailureCategory, RetryDecision, Settlement, busy_backoff, retry_decision};
use crate::operation::{
    Operation, OperationKind, Plan, Refusal, auto_capture_due_at, check, check_kind,
};
use crate::order::{CaptureMode, Order, OrderId};
use crate::rules::Rules;

/// The store's key of a bulk-capture run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub i64);

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestedBy {
    /// The shop owner, in the app's bulk-capture screen.
    App,
    /// The command-line entry (automation).
    Cli,
}

impl RequestedBy {
    /// Both.
    pub const ALL: [RequestedBy; 2] = [RequestedBy::App, RequestedBy::Cli];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            RequestedBy::App => "app",
            RequestedBy::Cli => "cli",
        }
    }

    /// The value for a code.
    pub fn from_code(code: &str) -> Option<RequestedBy> {
        RequestedBy::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// How an order shows in the unprocessed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    /// Can be selected for a run.
    Selectable,
    /// An authorize-and-capture order: captured automatically (around this time), so it is
    /// shown as such and cannot be selected (a bulk capture would race the automatic one).
    WaitingForAutoCapture(DateTime<Utc>),
    /// Not offered, for this reason.
    NotEligible(Ineligible),
}

/// Why an order cannot be captured in a bulk run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ineligible {
    /// The capture rules refuse it (already captured or cancelled, lapsed, capture deadline
    /// passed, the gateway still processing, an unsettled earlier operation).
    Refused(Refusal),
    /// The payment was changed outside PayDesk and the shop owner has not reviewed it yet
    /// (the order's banner): it leaves the unprocessed list.
    ChangedOutside,
    /// More than the unprocessed-list window has passed since the buyer paid.
    ListWindowEnded {
        /// When the window ended.
        ended_at: DateTime<Utc>,
    },
    /// An authorize-and-capture order, captured automatically around this time.
    AutomaticCapture {
        /// When the automatic capture is due.
        due: DateTime<Utc>,
    },
    /// The same order was selected more than once; it is captured once.
    SelectedTwice,
}

impl Ineligible {
    /// The stable code (the UI switches on it).
    pub fn code(&self) -> &'static str {
        match self {
            Ineligible::Refused(r) => r.code(),
            Ineligible::ChangedOutside => "changed_outside",
            Ineligible::ListWindowEnded { .. } => "list_window_ended",
            Ineligible::AutomaticCapture { .. } => "automatic_capture",
            Ineligible::SelectedTwice => "selected_twice",
        }
    }

    /// What happened and what to do, in plain Japanese and English.
    pub fn message(&self) -> Text {
        match self {
            Ineligible::Refused(r) => r.message(),
            Ineligible::ChangedOutside => Text::new(
                "この注文はペイジェント管理画面など PayDesk の外で変更されました。注文明細で内容を確認してください。",
                "This order was changed outside PayDesk (for example in Paygent's admin site). Review it on the order detail screen.",
            ),
            Ineligible::ListWindowEnded { ended_at } => Text::new(
                format!(
                    "決済から一括処理の対象期間（{}まで）を過ぎたため、未処理一覧の対象外です。注文明細から操作してください。",
                    crate::history::jst(*ended_at)
                ),
                format!(
                    "The unprocessed list only holds orders paid within its window (until {} JST). Operate on it from the order detail screen.",
                    crate::history::jst(*ended_at)
                ),
            ),
            Ineligible::AutomaticCapture { due } => {
                Refusal::WaitingForAutoCapture { due: *due }.message()
            }
            Ineligible::SelectedTwice => Text::new(
                "同じ注文が2回選択されています。売上確定は1回だけ行います。",
                "The same order was selected twice; it is captured once.",
            ),
        }
    }
}

/// When the buyer paid: the authorization time, or the order time when it is unknown.
pub fn paid_at(order: &Order) -> DateTime<Utc> {
    order.authorized_at.unwrap_or(order.ordered_at)
}

/// When the order leaves the unprocessed list (exclusive), counted from payment.
pub fn list_window_end(order: &Order, rules: &Rules) -> DateTime<Utc> {
    paid_at(order) + rules.unprocessed_list_window
}

/// How an order shows in the unprocessed list at `now`. The list holds authorized orders
/// (authorize-only ones selectable, authorize-and-capture ones flagged) that were not
/// changed outside PayDesk, for the list window from payment; orders moved to the completed
/// or cancelled lists stay (moving never changes the payment).
pub fn eligibility(order: &Order, now: DateTime<Utc>, rules: &Rules) -> Eligibility {
    if order.status != PaymentStatus::Authorized {
        let refusal = check_kind(order, OperationKind::Capture, now, rules)
            .err()
            .unwrap_or(Refusal::GatewayProcessing {
                method: order.method,
                status: order.status,
            });
        return Eligibility::NotEligible(Ineligible::Refused(refusal));
    }
    if order.outside_change {
        return Eligibility::NotEligible(Ineligible::ChangedOutside);
    }
    let ended_at = list_window_end(order, rules);
    if now >= ended_at {
        return Eligibility::NotEligible(Ineligible::ListWindowEnded { ended_at });
    }
    if order.capture_mode == CaptureMode::AuthorizeAndCapture {
        let due = auto_capture_due_at(order, rules).unwrap_or(paid_at(order));
        return Eligibility::WaitingForAutoCapture(due);
    }
    match check_kind(order, OperationKind::Capture, now, rules) {
        Ok(()) => Eligibility::Selectable,
        Err(r) => Eligibility::NotEligible(Ineligible::Refused(r)),
    }
}

/// One selected order as the caller read it from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The order's key.
    pub id: OrderId,
    /// The order.
    pub order: Order,
    /// The order has a journaled operation whose outcome is not settled yet; nothing may be
    /// sent for it until it is.
    pub operation_unsettled: bool,
}

impl Candidate {
    /// The order's [`eligibility`], where an unsettled operation also keeps it from being
    /// selected.
    pub fn eligibility(&self, now: DateTime<Utc>, rules: &Rules) -> Eligibility {
        match eligibility(&self.order, now, rules) {
            Eligibility::Selectable if self.operation_unsettled => {
                Eligibility::NotEligible(Ineligible::Refused(Refusal::OperationUnsettled))
            }
            other => other,
        }
    }
}

/// One capture a run will send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCapture {
    /// The order's key.
    pub id: OrderId,
    /// Shown on the confirmation screen and in the detailed log.
    pub order_number: String,
    /// The amount captured.
    pub amount: Yen,
    /// The telegram and the expected outcome (journaled before sending).
    pub plan: Plan,
}

/// A selected order left out of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedOrder {
    /// The order's key.
    pub id: OrderId,
    /// Shown on the confirmation screen.
    pub order_number: String,
    /// Why.
    pub reason: Ineligible,
}

/// What the confirmation screen shows and the run sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// The captures, in selection order (their positions in the run).
    pub orders: Vec<PlannedCapture>,
    /// The sum of the captured amounts.
    pub total_yen: Yen,
    /// Selected orders that are left out, each with its reason.
    pub refused: Vec<RefusedOrder>,
}

/// Why a selection cannot start a run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionError {
    /// Nothing selected.
    Empty,
    /// More different orders than one run takes.
    TooMany {
        /// How many different orders were selected.
        selected: usize,
        /// The most one run takes.
        max: usize,
    },
    /// None of the selected orders can be captured.
    NothingToCapture {
        /// Each order and why.
        refused: Vec<RefusedOrder>,
    },
}

impl SelectionError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            SelectionError::Empty => "bulk_selection_empty",
            SelectionError::TooMany { .. } => "bulk_selection_too_many",
            SelectionError::NothingToCapture { .. } => "bulk_nothing_to_capture",
        }
    }

    /// What happened and what to do.
    pub fn message(&self) -> Text {
        match self {
            SelectionError::Empty => Text::new(
                "売上確定する注文を選択してください。",
                "Select the orders to capture.",
            ),
            SelectionError::TooMany { selected, max } => Text::new(
                format!(
                    "一度に売上確定できるのは{max}件までです（{selected}件選択中）。選択を{max}件以下にしてください。"
                ),
                format!(
                    "One run captures at most {max} orders ({selected} selected). Select {max} or fewer."
                ),
            ),
            SelectionError::NothingToCapture { refused } => Text::new(
                format!(
                    "選択した{}件の注文はいずれも売上確定できません。各注文の理由を確認してください。",
                    refused.len()
                ),
                format!(
                    "None of the {} selected orders can be captured. See the reason shown for each.",
                    refused.len()
                ),
            ),
        }
    }
}

/// Checks a selection at `now`: refuses it as a whole when empty or too large; otherwise
/// plans a capture for each different order that can be captured and lists the others
/// with their reasons (see the module's decisions).
pub fn validate_selection(
    candidates: &[Candidate],
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<RunPlan, SelectionError> {
    if candidates.is_empty() {
        return Err(SelectionError::Empty);
    }
    let mut distinct: Vec<OrderId> = candidates.iter().map(|c| c.id).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > rules.bulk_capture_max_orders {
        return Err(SelectionError::TooMany {
            selected: distinct.len(),
            max: rules.bulk_capture_max_orders,
        });
    }
    let mut seen = std::collections::HashSet::new();
    let mut orders = Vec::new();
    let mut refused = Vec::new();
    for c in candidates {
        let refuse = |reason| RefusedOrder {
            id: c.id,
            order_number: c.order.order_number.clone(),
            reason,
        };
        if !seen.insert(c.id) {
            refused.push(refuse(Ineligible::SelectedTwice));
            continue;
        }
        let reason = match c.eligibility(now, rules) {
            Eligibility::Selectable => None,
            Eligibility::WaitingForAutoCapture(due) => Some(Ineligible::AutomaticCapture { due }),
            Eligibility::NotEligible(reason) => Some(reason),
        };
        if let Some(reason) = reason {
            refused.push(refuse(reason));
            continue;
        }
        match check(&c.order, &Operation::Capture, now, rules) {
            Ok(plan) => orders.push(PlannedCapture {
                id: c.id,
                order_number: c.order.order_number.clone(),
                amount: plan.expected_amount,
                plan,
            }),
            Err(r) => refused.push(refuse(Ineligible::Refused(r))),
        }
    }
    if orders.is_empty() {
        return Err(SelectionError::NothingToCapture { refused });
    }
    let total_yen = Yen(orders.iter().map(|o| o.amount.0).sum());
    Ok(RunPlan {
        orders,
        total_yen,
        refused,
    })
}

/// Why an order of a run was not captured although nothing failed at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Checked again just before sending, the capture rules refused it: captured or
    /// cancelled meanwhile, deadline passed meanwhile, an unsettled operation.
    Refused(Refusal),
    /// A credentials error stopped the run before this order was sent.
    RunStopped {
        /// The credentials error code.
        code: String,
    },
    /// The app was closed or crashed during the run; the next start found this order not
    /// captured (never sent, or an inquiry showed nothing happened).
    Interrupted,
    /// An inquiry showed the payment changed some other way meanwhile (e.g. cancelled in
    /// Paygent's admin site); PayDesk adopted that state.
    ChangedElsewhere,
}

impl SkipReason {
    /// The stable code stored with the item.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Refused(r) => r.code(),
            SkipReason::RunStopped { .. } => "run_stopped",
            SkipReason::Interrupted => "interrupted",
            SkipReason::ChangedElsewhere => "changed_elsewhere",
        }
    }

    /// The reason in plain Japanese and English.
    pub fn message(&self) -> Text {
        match self {
            SkipReason::Refused(r) => r.message(),
            SkipReason::RunStopped { code } => Text::new(
                format!(
                    "認証エラー（エラーコード: {code}）で一括処理が中止されたため、送信していません。"
                ),
                format!("Not sent: the run stopped on a credentials error (error code: {code})."),
            ),
            SkipReason::Interrupted => Text::new(
                "一括処理中にアプリが終了したため、売上確定されていません。もう一度選択して実行してください。",
                "Not captured: the app closed during the run. Select it again to capture it.",
            ),
            SkipReason::ChangedElsewhere => Text::new(
                "処理中に決済が PayDesk の外で変更されたため、売上確定していません。注文明細を確認してください。",
                "Not captured: the payment was changed outside PayDesk meanwhile. Review the order detail.",
            ),
        }
    }
}

/// Where one order of a run stands. Pending → InFlight → Succeeded | Failed | Skipped, with
/// Unknown (settled by inquiry) and back to Pending (resend after back-off) in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    /// Not being sent: not yet (`attempts == 0`) or waiting to be sent again after a busy
    /// answer or an inquiry that showed nothing happened.
    Pending {
        /// Sends made so far.
        attempts: u32,
    },
    /// The capture is being sent (recorded before it is handed to the network).
    InFlight {
        /// Which send this is (1-based).
        attempt: u32,
    },
    /// No usable answer: the outcome must be settled with a 094 inquiry.
    Unknown {
        /// Sends made so far.
        attempts: u32,
        /// Inquiries made so far that did not settle it.
        inquiries: u32,
        /// The code that made the outcome open, if any (shown if the order finally fails).
        last_code: Option<String>,
    },
    /// Captured.
    Succeeded,
    /// The gateway refused it; it stays in the unprocessed list with this code.
    Failed {
        /// The gateway's `response_code`, or the module code for a client error.
        code: String,
        /// The card vendor's `response_detail`, when there is one.
        detail: Option<String>,
    },
    /// Not captured, and not a gateway failure.
    Skipped {
        /// Why.
        reason: SkipReason,
    },
}

impl ItemState {
    /// The stable code used in the database.
    pub fn code(&self) -> &'static str {
        match self {
            ItemState::Pending { .. } => "pending",
            ItemState::InFlight { .. } => "in_flight",
            ItemState::Unknown { .. } => "unknown",
            ItemState::Succeeded => "succeeded",
            ItemState::Failed { .. } => "failed",
            ItemState::Skipped { .. } => "skipped",
        }
    }

    /// Whether the item has its final result.
    pub fn is_settled(&self) -> bool {
        matches!(
            self,
            ItemState::Succeeded | ItemState::Failed { .. } | ItemState::Skipped { .. }
        )
    }

    /// Sends made so far (for settled items: unknown here, the store keeps the count).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            ItemState::Pending { attempts } | ItemState::Unknown { attempts, .. } => {
                Some(*attempts)
            }
            ItemState::InFlight { attempt } => Some(*attempt),
            _ => None,
        }
    }
}

/// What the caller learned about one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Re-checked just before sending (the order read again, `operation::check`, the
    /// journal): the capture is refused, nothing is sent.
    Refused(Refusal),
    /// The gateway accepted the capture.
    Captured,
    /// The gateway answered with an error code, or the client failed (its module code, see
    /// `paygent_client::ClientError::explain`). For an `Unknown` item this is the inquiry
    /// that failed.
    Error {
        /// `response_code` or module code.
        code: String,
        /// `response_detail`, when there is one.
        detail: Option<String>,
    },
    /// A 094 inquiry settled (or did not settle) an `Unknown` item (`journal::settle`).
    Inquired(Settlement),
}

impl Outcome {
    fn code(&self) -> &'static str {
        match self {
            Outcome::Refused(_) => "refused",
            Outcome::Captured => "captured",
            Outcome::Error { .. } => "error",
            Outcome::Inquired(_) => "inquired",
        }
    }
}

/// What the caller does next with an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing: the item is settled; record its line.
    Done,
    /// Send the capture again (same operation key) after this wait.
    RetryAfter(TimeDelta),
    /// Settle the outcome with a 094 inquiry now.
    Inquire,
    /// Inquire again after this wait (the gateway is still processing, or the inquiry
    /// failed).
    InquireAfter(TimeDelta),
    /// Leave the item unknown: the run ends interrupted and the next start settles it.
    Defer,
    /// A credentials error: stop the run ([`RunState::stop`]); items in flight finish.
    StopRun {
        /// The credentials error code (for the per-run message).
        code: String,
    },
}

/// The new state of an item and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The item's new state.
    pub state: ItemState,
    /// What to do.
    pub action: Action,
}

/// An outcome that cannot happen in the item's state (a caller bug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionError {
    /// The item's state code.
    pub state: &'static str,
    /// The outcome's code.
    pub outcome: &'static str,
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bulk capture item in state {} cannot take outcome {}",
            self.state, self.outcome
        )
    }
}

impl std::error::Error for TransitionError {}

fn is_credentials(code: &str, detail: Option<&str>) -> bool {
    explain_with_detail(code, detail, ErrorContext::Capture).category == Category::Credentials
}

/// What an error code means for a capture that was sent: back off, inquire, or give up.
fn after_send_error(code: &str, attempt: u32, rules: &Rules) -> RetryDecision {
    match FailureCategory::from_code(code) {
        FailureCategory::Refused
            if explain_with_detail(code, None, ErrorContext::Capture)
                .category
                .is_retryable() =>
        {
            // A system error (E001, P017, 2002, ...): whether the capture happened is not
            // certain, so settle it by inquiry; a "not applied" answer then backs off.
            RetryDecision::InquireFirst
        }
        category => retry_decision(category, attempt, rules),
    }
}

/// Inquiring again, or leaving the item for the next start once the inquiries are used up.
fn inquire_again(attempts: u32, inquiries: u32, last_code: Option<String>, rules: &Rules) -> Step {
    let inquiries = inquiries + 1;
    let action = if inquiries >= rules.max_automatic_retries {
        Action::Defer
    } else {
        Action::InquireAfter(busy_backoff(inquiries, rules))
    };
    Step {
        state: ItemState::Unknown {
            attempts,
            inquiries,
            last_code,
        },
        action,
    }
}

/// The transition of one item after `outcome`. Sending is [`RunState::begin_send`]
/// (Pending → InFlight); everything else goes through here.
pub fn next_action(
    item: &ItemState,
    outcome: &Outcome,
    rules: &Rules,
) -> Result<Step, TransitionError> {
    let done = |state| Step {
        state,
        action: Action::Done,
    };
    let invalid = || TransitionError {
        state: item.code(),
        outcome: outcome.code(),
    };
    Ok(match (item, outcome) {
        (ItemState::Pending { .. }, Outcome::Refused(r)) => done(ItemState::Skipped {
            reason: SkipReason::Refused(r.clone()),
        }),
        (ItemState::InFlight { .. }, Outcome::Captured) => done(ItemState::Succeeded),
        (ItemState::InFlight { attempt }, Outcome::Error { code, detail }) => {
            let failed = ItemState::Failed {
                code: code.clone(),
                detail: detail.clone(),
            };
            if is_credentials(code, detail.as_deref()) {
                return Ok(Step {
                    state: failed,
                    action: Action::StopRun { code: code.clone() },
                });
            }
            match after_send_error(code, *attempt, rules) {
                RetryDecision::RetryAfter(wait) => Step {
                    state: ItemState::Pending { attempts: *attempt },
                    action: Action::RetryAfter(wait),
                },
                RetryDecision::InquireFirst => Step {
                    state: ItemState::Unknown {
                        attempts: *attempt,
                        inquiries: 0,
                        last_code: Some(code.clone()),
                    },
                    action: Action::Inquire,
                },
                RetryDecision::GiveUp => done(failed),
            }
        }
        (
            ItemState::Unknown {
                attempts,
                inquiries,
                last_code,
            },
            outcome,
        ) => match outcome {
            Outcome::Inquired(Settlement::AlreadyApplied) => done(ItemState::Succeeded),
            Outcome::Inquired(Settlement::NotApplied)
                if *attempts >= rules.max_automatic_retries =>
            {
                done(ItemState::Failed {
                    code: last_code.clone().unwrap_or_else(|| NO_ANSWER_CODE.into()),
                    detail: None,
                })
            }
            Outcome::Inquired(Settlement::NotApplied) => Step {
                state: ItemState::Pending {
                    attempts: *attempts,
                },
                action: Action::RetryAfter(busy_backoff(*attempts, rules)),
            },
            Outcome::Inquired(Settlement::Conflict) => done(ItemState::Skipped {
                reason: SkipReason::ChangedElsewhere,
            }),
            Outcome::Inquired(Settlement::InProgress) => {
                inquire_again(*attempts, *inquiries, last_code.clone(), rules)
            }
            Outcome::Error { code, detail } if is_credentials(code, detail.as_deref()) => Step {
                state: item.clone(),
                action: Action::StopRun { code: code.clone() },
            },
            Outcome::Error { .. } => inquire_again(*attempts, *inquiries, last_code.clone(), rules),
            Outcome::Refused(_) | Outcome::Captured => return Err(invalid()),
        },
        _ => return Err(invalid()),
    })
}

/// The module code of "no answer in time" (E02006), shown when an order whose outcome
/// stayed open is finally given up.
const NO_ANSWER_CODE: &str = "E02006";

/// Whether recovering this item needs a 094 inquiry (its capture may have been sent).
pub fn needs_inquiry(item: &ItemState) -> bool {
    matches!(item, ItemState::InFlight { .. } | ItemState::Unknown { .. })
}

/// Settles an item of a run the app left unfinished, without ever sending a capture.
/// `settlement` is the inquiry's verdict for items that [`needs_inquiry`] (`None` when the
/// inquiry could not be made); an item that stays unknown keeps the run interrupted.
pub fn recover_item(item: &ItemState, settlement: Option<Settlement>) -> ItemState {
    let interrupted = ItemState::Skipped {
        reason: SkipReason::Interrupted,
    };
    match item {
        ItemState::Pending { .. } => interrupted,
        ItemState::InFlight { attempt } => match settlement {
            Some(Settlement::AlreadyApplied) => ItemState::Succeeded,
            Some(Settlement::NotApplied) => interrupted,
            Some(Settlement::Conflict) => ItemState::Skipped {
                reason: SkipReason::ChangedElsewhere,
            },
            Some(Settlement::InProgress) | None => ItemState::Unknown {
                attempts: *attempt,
                inquiries: 0,
                last_code: None,
            },
        },
        ItemState::Unknown { .. } => match settlement {
            Some(Settlement::AlreadyApplied) => ItemState::Succeeded,
            Some(Settlement::NotApplied) => interrupted,
            Some(Settlement::Conflict) => ItemState::Skipped {
                reason: SkipReason::ChangedElsewhere,
            },
            Some(Settlement::InProgress) | None => item.clone(),
        },
        settled => settled.clone(),
    }
}

/// The detailed-log line of a settled item, which is also the order's change-history line:
/// "正常終了" / "completed normally", or "エラーコード: xxx" / "error code: xxx" with the
/// dictionary's plain explanation, or why it was not sent. `None` while unsettled.
pub fn item_line(item: &ItemState) -> Option<Text> {
    let base = |code: Option<&str>| crate::history::bulk_capture_result(code);
    Some(match item {
        ItemState::Succeeded => base(None),
        ItemState::Failed { code, detail } => {
            let explanation = explain_with_detail(code, detail.as_deref(), ErrorContext::Capture);
            let line = base(Some(&explanation.code));
            Text::new(
                format!("{} {}", line.ja, explanation.ja),
                format!("{} — {}", line.en, explanation.en),
            )
        }
        ItemState::Skipped { reason } => {
            let why = reason.message();
            Text::new(
                format!("売上確定一括処理: 未実行 {}", why.ja),
                format!("Bulk capture: not done — {}", why.en),
            )
        }
        _ => return None,
    })
}

/// One order in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunItem {
    /// The order.
    pub id: OrderId,
    /// Its place in the run (selection order, 0-based).
    pub position: u32,
    /// For the progress screen and the log.
    pub order_number: String,
    /// The amount to capture.
    pub amount: Yen,
    /// Where it stands.
    pub state: ItemState,
}

/// Counts for the progress bar and the operation log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Orders in the run.
    pub total: usize,
    /// Captured.
    pub succeeded: usize,
    /// Refused by the gateway.
    pub failed: usize,
    /// Not captured for another reason.
    pub skipped: usize,
    /// Not settled yet (pending, in flight, unknown).
    pub open: usize,
    /// The sum captured.
    pub captured_yen: Yen,
}

impl Progress {
    /// Settled orders (the progress bar's position).
    pub fn settled(&self) -> usize {
        self.succeeded + self.failed + self.skipped
    }
}

/// One run, in memory: the items and whether a credentials error stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    items: Vec<RunItem>,
    stopped_by: Option<String>,
}

impl RunState {
    /// A new run: every planned capture pending, in plan order.
    pub fn new(plan: &RunPlan) -> RunState {
        RunState {
            items: plan
                .orders
                .iter()
                .zip(0u32..)
                .map(|(p, position)| RunItem {
                    id: p.id,
                    position,
                    order_number: p.order_number.clone(),
                    amount: p.amount,
                    state: ItemState::Pending { attempts: 0 },
                })
                .collect(),
            stopped_by: None,
        }
    }

    /// A run rebuilt from stored items (crash recovery).
    pub fn from_items(items: Vec<RunItem>, stopped_by: Option<String>) -> RunState {
        RunState { items, stopped_by }
    }

    /// The items, by position.
    pub fn items(&self) -> &[RunItem] {
        &self.items
    }

    /// One item.
    pub fn item(&self, id: OrderId) -> Option<&RunItem> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The credentials error that stopped the run, if one did.
    pub fn stopped_by(&self) -> Option<&str> {
        self.stopped_by.as_deref()
    }

    fn item_mut(&mut self, id: OrderId) -> Option<&mut RunItem> {
        self.items.iter_mut().find(|i| i.id == id)
    }

    /// The orders never sent yet, in order (what the run still has to start). Empty once
    /// the run is stopped.
    pub fn unsent(&self) -> Vec<OrderId> {
        self.items
            .iter()
            .filter(|i| i.state == ItemState::Pending { attempts: 0 })
            .map(|i| i.id)
            .collect()
    }

    /// Marks the item as being sent (record this before handing the capture to the
    /// network) and returns which send it is. Refused once the run is stopped.
    pub fn begin_send(&mut self, id: OrderId) -> Result<u32, TransitionError> {
        let stopped = self.stopped_by.is_some();
        let invalid = |state| TransitionError {
            state,
            outcome: "send",
        };
        let item = self.item_mut(id).ok_or_else(|| invalid("missing"))?;
        match item.state {
            ItemState::Pending { attempts } if !stopped => {
                item.state = ItemState::InFlight {
                    attempt: attempts + 1,
                };
                Ok(attempts + 1)
            }
            _ => Err(invalid(item.state.code())),
        }
    }

    /// Applies an outcome to an item ([`next_action`]) and returns what to do next.
    pub fn apply(
        &mut self,
        id: OrderId,
        outcome: &Outcome,
        rules: &Rules,
    ) -> Result<Step, TransitionError> {
        let item = self.item_mut(id).ok_or(TransitionError {
            state: "missing",
            outcome: outcome.code(),
        })?;
        let step = next_action(&item.state, outcome, rules)?;
        item.state = step.state.clone();
        Ok(step)
    }

    /// Stops the run after a credentials error: every item not being sent or settled
    /// (never sent, or waiting to be resent) is skipped. Returns those items; items in
    /// flight or unknown finish as usual, and nothing captured is touched.
    pub fn stop(&mut self, code: &str) -> Vec<OrderId> {
        if self.stopped_by.is_none() {
            self.stopped_by = Some(code.to_owned());
        }
        let mut skipped = Vec::new();
        for item in &mut self.items {
            if matches!(item.state, ItemState::Pending { .. }) {
                item.state = ItemState::Skipped {
                    reason: SkipReason::RunStopped {
                        code: code.to_owned(),
                    },
                };
                skipped.push(item.id);
            }
        }
        skipped
    }

    /// The counts.
    pub fn progress(&self) -> Progress {
        let mut p = Progress {
            total: self.items.len(),
            ..Progress::default()
        };
        for item in &self.items {
            match &item.state {
                ItemState::Succeeded => {
                    p.succeeded += 1;
                    p.captured_yen = Yen(p.captured_yen.0 + item.amount.0);
                }
                ItemState::Failed { .. } => p.failed += 1,
                ItemState::Skipped { .. } => p.skipped += 1,
                _ => p.open += 1,
            }
        }
        p
    }

    /// Whether nothing is being sent or waiting to be sent: the run can be finished (as
    /// interrupted if some outcomes stay unknown).
    pub fn is_quiet(&self) -> bool {
        self.items.iter().all(|i| {
            !matches!(
                i.state,
                ItemState::Pending { .. } | ItemState::InFlight { .. }
            )
        })
    }
}

/// The per-run message of a run stopped by a credentials error (`code`) after
/// `captured` orders were captured (also for a stored run's `stop_code`).
pub fn stop_message(code: &str, captured: usize) -> Text {
    let explanation = explain_with_detail(code, None, ErrorContext::Capture);
    Text::new(
        format!(
            "認証エラー（エラーコード: {code}）のため一括処理を中止しました。{} {} 売上確定済みの{captured}件はそのままです。未送信の注文は未処理一覧に残っています。",
            explanation.ja, explanation.action_ja
        ),
        format!(
            "The run stopped on a credentials error (error code: {code}). {} {} The {captured} orders already captured stay captured; the orders not sent stay in the unprocessed list.",
            explanation.en, explanation.action_en
        ),
    )
}

/// The per-run message: a stop on a credentials error, or outcomes still unknown; `None`
/// when the run simply ran through.
pub fn run_message(run: &RunState) -> Option<Text> {
    if let Some(code) = run.stopped_by() {
        return Some(stop_message(code, run.progress().succeeded));
    }
    let unknown = run
        .items()
        .iter()
        .filter(|i| matches!(i.state, ItemState::Unknown { .. }))
        .count();
    (unknown > 0).then(|| {
        Text::new(
            format!(
                "{unknown}件の注文の結果をペイジェントに確認できていません。二重に売上確定しないよう再送はせず、次回起動時などに照会して確定します。"
            ),
            format!(
                "The result of {unknown} orders could not be confirmed with Paygent yet. They are not resent (no double capture); PayDesk inquires again, at the latest on the next start."
            ),
        )
    })
}

/// The run's summary line for the operation log and the desktop notification.
pub fn run_summary(progress: &Progress) -> Text {
    Text::new(
        format!(
            "売上確定一括処理 {}件: 成功 {}件（{}）、失敗 {}件、未実行 {}件",
            progress.total,
            progress.succeeded,
            yen(progress.captured_yen),
            progress.failed,
            progress.skipped
        ),
        format!(
            "Bulk capture of {} orders: {} captured ({}), {} failed, {} not done",
            progress.total,
            progress.succeeded,
            yen(progress.captured_yen),
            progress.failed,
            progress.skipped
        ),
    )
}
