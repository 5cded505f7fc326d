//! Operations on an order (capture, cancel, refunds, amount change) and the rules that
//! decide, before anything is sent, whether one can work and which telegram does it.
//!
//! Layout: [`check_kind`] holds the status rules per method (the table tests in this file
//! run every status against every operation); [`check`] adds the amount rules and builds
//! the [`Plan`]; [`available_operations`] feeds the detail screen's buttons; the deadline
//! functions compute capture and refund deadlines from [`Rules`]. A refused operation
//! returns a [`Refusal`] with a stable code and plain Japanese and English text.
//!
//! Deadlines are exclusive: an operation is allowed while `now < deadline`.

use chrono::{DateTime, Utc};
use paygent_codec::{PaymentStatus, TelegramKind, Yen};

use crate::history::{Text, jst, yen};
use crate::order::{CaptureMode, Order, PaymentMethod};
use crate::rules::Rules;

/// What the shop owner asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// 売上確定: capture the authorized amount.
    Capture,
    /// キャンセル: release the authorization (before capture only).
    Cancel,
    /// 全額返金: refund everything that is left (after capture only).
    FullRefund,
    /// 一部返金: refund this much (after capture only).
    PartialRefund(Yen),
    /// 金額変更 + 取引更新: lower the authorized amount to this new total (authorize-only
    /// cards, before capture).
    AmountChange(Yen),
}

/// An operation without its amount, for buttons and the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// See [`Operation::Capture`].
    Capture,
    /// See [`Operation::Cancel`].
    Cancel,
    /// See [`Operation::FullRefund`].
    FullRefund,
    /// See [`Operation::PartialRefund`].
    PartialRefund,
    /// See [`Operation::AmountChange`].
    AmountChange,
}

impl OperationKind {
    /// Every kind, in the detail screen's button order.
    pub const ALL: [OperationKind; 5] = [
        OperationKind::Capture,
        OperationKind::Cancel,
        OperationKind::FullRefund,
        OperationKind::PartialRefund,
        OperationKind::AmountChange,
    ];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            OperationKind::Capture => "capture",
            OperationKind::Cancel => "cancel",
            OperationKind::FullRefund => "full_refund",
            OperationKind::PartialRefund => "partial_refund",
            OperationKind::AmountChange => "amount_change",
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<OperationKind> {
        OperationKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

impl Operation {
    /// The operation's kind.
    pub fn kind(&self) -> OperationKind {
        match self {
            Operation::Capture => OperationKind::Capture,
            Operation::Cancel => OperationKind::Cancel,
            Operation::FullRefund => OperationKind::FullRefund,
            Operation::PartialRefund(_) => OperationKind::PartialRefund,
            Operation::AmountChange(_) => OperationKind::AmountChange,
        }
    }

    /// The amount the shop owner entered, if the operation has one.
    pub fn amount(&self) -> Option<Yen> {
        match self {
            Operation::PartialRefund(a) | Operation::AmountChange(a) => Some(*a),
            _ => None,
        }
    }

    /// Rebuilds an operation from its kind and amount (as stored in the journal).
    pub fn from_parts(kind: OperationKind, amount: Option<Yen>) -> Option<Operation> {
        Some(match kind {
            OperationKind::Capture => Operation::Capture,
            OperationKind::Cancel => Operation::Cancel,
            OperationKind::FullRefund => Operation::FullRefund,
            OperationKind::PartialRefund => Operation::PartialRefund(amount?),
            OperationKind::AmountChange => Operation::AmountChange(amount?),
        })
    }
}

/// What to send for an allowed operation, and what the payment looks like before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The telegram to send.
    pub telegram: TelegramKind,
    /// The payment the telegram names.
    pub payment_id: String,
    /// The amount field: for 028/029 the new total (`reduction_flag=0`), for 342 the refund
    /// amount (absent = full refund); `None` for telegrams without an amount.
    pub request_amount: Option<Yen>,
    /// The payment's status when the plan was made.
    pub before_status: PaymentStatus,
    /// The payment's amount at the gateway when the plan was made.
    pub before_amount: Yen,
    /// The status the payment (or its successor) has once the telegram succeeded.
    pub expected_status: PaymentStatus,
    /// The amount the payment (or its successor) carries once the telegram succeeded.
    pub expected_amount: Yen,
    /// The telegram replaces the payment with a new one (new `payment_id`); the old one
    /// is cancelled (028 → 32, 029 and Paidy partial refund → 60).
    pub creates_new_payment: bool,
}

/// Why an operation cannot be done. Codes are stable: the UI switches on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The payment was never authorized (or its authorization failed).
    NotAuthorized,
    /// Capture (or an amount change) on a captured payment.
    AlreadyCaptured,
    /// Any operation on a cancelled authorization.
    AlreadyCancelled,
    /// Any operation on a fully refunded payment.
    AlreadyRefunded,
    /// The authorization expired (status 33): the sale lapsed.
    Lapsed,
    /// The capture deadline passed (the gateway may not have marked it yet).
    CaptureDeadlinePassed {
        /// The deadline that passed.
        deadline: DateTime<Utc>,
    },
    /// The refund window closed.
    RefundDeadlinePassed {
        /// The deadline that passed, if known.
        deadline: Option<DateTime<Utc>>,
    },
    /// Cancel on a captured payment: that is a refund.
    CancelAfterCapture,
    /// Full refund before capture: that is a cancel.
    RefundBeforeCapture,
    /// Partial refund on an authorized, not captured payment.
    PartialRefundBeforeCapture,
    /// Amount change after capture: that is a partial refund.
    AmountChangeAfterCapture,
    /// The refund is larger than what is left.
    RefundExceedsRefundable {
        /// What can still be refunded.
        refundable: Yen,
    },
    /// 3-D Secure payments cannot be revised through the API (2014), so no partial refund.
    PartialRefund3ds,
    /// 3-D Secure payments cannot be revised through the API (2014).
    AmountChange3ds,
    /// Authorize-and-capture card orders allow cancel (refund) only.
    AmountChangeAuthorizeAndCapture,
    /// Paidy has no amount change.
    AmountChangePaidy,
    /// The gateway only lowers amounts (2013).
    AmountIncrease {
        /// The current amount.
        current: Yen,
    },
    /// The new amount equals the current one.
    AmountUnchanged,
    /// Amounts must be at least 1 yen.
    AmountNotPositive,
    /// Paidy takes at most this much per order.
    PaidyAmountLimit {
        /// The limit.
        limit: Yen,
    },
    /// A card amount longer than the gateway's field.
    CardAmountLimit {
        /// The limit.
        limit: Yen,
    },
    /// An authorize-and-capture order is about to be captured automatically.
    WaitingForAutoCapture {
        /// When the automatic capture is due.
        due: DateTime<Utc>,
    },
    /// The payment is in a processing status (card 30/31/42/50, Paidy 30/31/42): an
    /// earlier operation stopped part-way at the gateway. Only its retry may be sent (card);
    /// [`processing_rule`] says which and who finishes it.
    GatewayProcessing {
        /// Card or Paidy.
        method: PaymentMethod,
        /// The processing status.
        status: PaymentStatus,
    },
    /// A validity check's payment (22 / 17, made when a card was registered with a check):
    /// not a sale, nothing to operate on.
    ValidityCheck,
    /// The buyer did not finish 3-D Secure (13 / 14): nothing was charged, nothing to
    /// operate on, and not the shop's failure.
    ThreeDSecureInterrupted,
    /// PayDesk has not yet settled the outcome of an earlier operation on this order.
    OperationUnsettled,
}

impl Refusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotAuthorized => "not_authorized",
            Refusal::AlreadyCaptured => "already_captured",
            Refusal::AlreadyCancelled => "already_cancelled",
            Refusal::AlreadyRefunded => "already_refunded",
            Refusal::Lapsed => "lapsed",
            Refusal::CaptureDeadlinePassed { .. } => "capture_deadline_passed",
            Refusal::RefundDeadlinePassed { .. } => "refund_deadline_passed",
            Refusal::CancelAfterCapture => "cancel_after_capture",
            Refusal::RefundBeforeCapture => "refund_before_capture",
            Refusal::PartialRefundBeforeCapture => "partial_refund_before_capture",
            Refusal::AmountChangeAfterCapture => "amount_change_after_capture",
            Refusal::RefundExceedsRefundable { .. } => "refund_exceeds_refundable",
            Refusal::PartialRefund3ds => "partial_refund_3ds",
            Refusal::AmountChange3ds => "amount_change_3ds",
            Refusal::AmountChangeAuthorizeAndCapture => "amount_change_authorize_and_capture",
            Refusal::AmountChangePaidy => "amount_change_paidy",
            Refusal::AmountIncrease { .. } => "amount_increase",
            Refusal::AmountUnchanged => "amount_unchanged",
            Refusal::AmountNotPositive => "amount_not_positive",
            Refusal::PaidyAmountLimit { .. } => "paidy_amount_limit",
            Refusal::CardAmountLimit { .. } => "card_amount_limit",
            Refusal::WaitingForAutoCapture { .. } => "waiting_for_auto_capture",
            Refusal::GatewayProcessing { .. } => "gateway_processing",
            Refusal::ValidityCheck => "validity_check",
            Refusal::ThreeDSecureInterrupted => "three_d_secure_interrupted",
            Refusal::OperationUnsettled => "operation_unsettled",
        }
    }

    /// What happened and what to do, in plain Japanese and English.
    pub fn message(&self) -> Text {
        let (ja, en): (String, String) = match self {
            Refusal::NotAuthorized => (
                "この決済はオーソリ（与信）が済んでいないため操作できません。購入者に別の支払い方法をお願いしてください。".into(),
                "This payment was never authorized, so it cannot be operated on. Ask the buyer to pay another way.".into(),
            ),
            Refusal::AlreadyCaptured => (
                "すでに売上確定済みです。取り消すには返金を行ってください。".into(),
                "Already captured. To undo it, make a refund.".into(),
            ),
            Refusal::AlreadyCancelled => (
                "この決済はキャンセル済みです。もう一度請求するには、購入者に改めて決済してもらう必要があります。".into(),
                "This payment is cancelled. To charge again, the buyer has to pay again.".into(),
            ),
            Refusal::AlreadyRefunded => (
                "この決済は全額返金済みです。これ以上の操作はできません。".into(),
                "This payment is fully refunded. Nothing more can be done with it.".into(),
            ),
            Refusal::Lapsed => (
                "オーソリの有効期限が切れたため不成立になりました。売上確定もキャンセルもできません（購入者には請求されません）。".into(),
                "The authorization expired, so the sale lapsed. It can no longer be captured or cancelled (the buyer is not charged).".into(),
            ),
            Refusal::CaptureDeadlinePassed { deadline } => (
                format!("売上確定の期限（{}）を過ぎたため不成立です。請求するには購入者に改めて決済してもらってください。", jst(*deadline)),
                format!("The capture deadline ({} JST) has passed, so the sale lapsed. To charge, the buyer has to pay again.", jst(*deadline)),
            ),
            Refusal::RefundDeadlinePassed { deadline } => match deadline {
                Some(d) => (
                    format!("返金の期限（{}）を過ぎています。返金は購入者と直接やり取りしてください。", jst(*d)),
                    format!("The refund window closed on {} JST. Settle the refund with the buyer directly.", jst(*d)),
                ),
                None => (
                    "返金の期限を過ぎています。返金は購入者と直接やり取りしてください。".into(),
                    "The refund window has closed. Settle the refund with the buyer directly.".into(),
                ),
            },
            Refusal::CancelAfterCapture => (
                "売上確定済みのためキャンセルできません。全額返金または一部返金を行ってください。".into(),
                "Captured payments cannot be cancelled. Make a full or partial refund instead.".into(),
            ),
            Refusal::RefundBeforeCapture => (
                "まだ売上確定していないため返金できません。請求を取りやめるにはキャンセルしてください。".into(),
                "Not captured yet, so there is nothing to refund. Cancel it to release the authorization.".into(),
            ),
            Refusal::PartialRefundBeforeCapture => (
                "売上確定前の決済は一部返金できません。売上確定してから一部返金するか、カードの場合は金額変更をしてください。".into(),
                "A payment that is authorized but not captured cannot be partially refunded. Capture it first, or for a card lower the amount with an amount change.".into(),
            ),
            Refusal::AmountChangeAfterCapture => (
                "売上確定済みのため金額変更できません。差額は一部返金してください。".into(),
                "Captured payments cannot have their amount changed. Refund the difference with a partial refund.".into(),
            ),
            Refusal::RefundExceedsRefundable { refundable } => (
                format!("返金額が返金可能額（{}）を超えています。{}以下の金額を入力してください。", yen(*refundable), yen(*refundable)),
                format!("The refund is larger than the refundable amount ({}). Enter {} or less.", yen(*refundable), yen(*refundable)),
            ),
            Refusal::PartialRefund3ds => (
                "3Dセキュア認証済みの決済は API で一部返金できません。全額返金してから改めて決済するか、ペイジェント管理画面で操作してください。".into(),
                "A 3-D Secure payment cannot be partially refunded through the API. Refund it in full and charge again, or use Paygent's admin site.".into(),
            ),
            // The seed (001, 6-2): "3Dセキュア認証した受注の場合には金額変更を行っても
            // ペイジェント管理画面との連携が行えません。金額変更はペイジェント管理画面にて
            // 直接行ってください。" Paygent refuses 028/029 on such payments (2014, §4.4).
            Refusal::AmountChange3ds => (
                "3Dセキュア認証した受注は、金額変更をペイジェントに送ることができません（ペイジェントの仕様です）。金額変更はペイジェント管理画面で直接行ってください。PayDesk はその変更をペイジェントから読み込みます。または、キャンセルして購入者に改めて決済してもらってください。".into(),
                "The amount change of a 3-D Secure authenticated order cannot be sent to Paygent (Paygent does not allow it). Change the amount directly in Paygent's admin site; PayDesk picks the change up from Paygent. Or cancel and have the buyer pay again.".into(),
            ),
            Refusal::AmountChangeAuthorizeAndCapture => (
                "「オーソリ+売上確定」で作成された注文は金額変更できません。キャンセル（返金）のみ可能です。".into(),
                "Orders created in authorize-and-capture mode cannot have their amount changed; they can only be cancelled (refunded).".into(),
            ),
            Refusal::AmountChangePaidy => (
                "ペイディ決済は金額変更できません。売上確定後に一部返金してください。".into(),
                "Paidy payments have no amount change. Capture, then make a partial refund.".into(),
            ),
            Refusal::AmountIncrease { current } => (
                format!("金額は現在の{}より小さくしかできません。増額するにはキャンセルして購入者に改めて決済してもらってください。", yen(*current)),
                format!("The amount can only be lowered below the current {}. To charge more, cancel and have the buyer pay again.", yen(*current)),
            ),
            Refusal::AmountUnchanged => (
                "金額が変わっていません。新しい金額を入力してください。".into(),
                "The amount is unchanged. Enter the new amount.".into(),
            ),
            Refusal::AmountNotPositive => (
                "金額は1円以上で入力してください。".into(),
                "Enter an amount of at least ¥1.".into(),
            ),
            Refusal::PaidyAmountLimit { limit } => (
                format!("ペイディは1注文{}までです。", yen(*limit)),
                format!("Paidy accepts at most {} per order.", yen(*limit)),
            ),
            Refusal::CardAmountLimit { limit } => (
                format!("カード決済は1件{}までです。", yen(*limit)),
                format!("A card payment can be at most {}.", yen(*limit)),
            ),
            Refusal::WaitingForAutoCapture { due } => (
                format!("「オーソリ+売上確定」の注文は {} ごろ自動で売上確定されます。それまでお待ちください。", jst(*due)),
                format!("This authorize-and-capture order is captured automatically around {} JST. Please wait.", jst(*due)),
            ),
            Refusal::GatewayProcessing { method, status } => processing_message(*method, *status),
            Refusal::ValidityCheck => (
                "これはカード登録のときの有効性確認（与信の確認）で、売上ではありません。売上確定・キャンセル・返金をするものはありません。".into(),
                "This is the card check made when the card was registered, not a sale: there is nothing to capture, cancel or refund.".into(),
            ),
            Refusal::ThreeDSecureInterrupted => {
                let t = crate::three_d_secure::ThreeDSecureOutcome::Interrupted.meaning();
                (t.ja, t.en)
            }
            Refusal::OperationUnsettled => (
                "前の操作の結果をペイジェントに確認中です。確認が終わるまでお待ちください。".into(),
                "PayDesk is still confirming the result of the previous operation with Paygent. Please wait until it is settled.".into(),
            ),
        };
        Text { ja, en }
    }
}

/// Which deadline an order is working against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// Capture before it (authorized orders); afterwards the sale lapses.
    Capture,
    /// Refund before it (captured orders); afterwards refunds go outside the gateway.
    Refund,
}

impl DeadlineKind {
    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            DeadlineKind::Capture => "capture",
            DeadlineKind::Refund => "refund",
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<DeadlineKind> {
        match code {
            "capture" => Some(DeadlineKind::Capture),
            "refund" => Some(DeadlineKind::Refund),
            _ => None,
        }
    }
}

/// A deadline and what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline {
    /// Capture or refund.
    pub kind: DeadlineKind,
    /// The moment it passes (exclusive).
    pub at: DateTime<Utc>,
}

/// How an order stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineState {
    /// No deadline applies (not authorized, cancelled, refunded).
    None,
    /// More than the warning period left.
    Ok(Deadline),
    /// Within the warning period: flagged and counted on the home screen.
    Near(Deadline),
    /// Passed: a capture deadline means the sale lapsed; a refund deadline means the
    /// refund window closed.
    Lapsed(Deadline),
}

/// When the capture deadline of an order is (counted from its authorization).
pub fn capture_deadline(order: &Order, rules: &Rules) -> DateTime<Utc> {
    let start = order.authorized_at.unwrap_or(order.ordered_at);
    start
        + match order.method {
            PaymentMethod::Card => rules.card_authorization_validity,
            PaymentMethod::Paidy => rules.paidy_capture_window,
        }
}

/// When the refund window of a captured order closes; `None` before capture.
pub fn refund_deadline(order: &Order, rules: &Rules) -> Option<DateTime<Utc>> {
    let start = order.captured_at?;
    Some(
        start
            + match order.method {
                PaymentMethod::Card => rules.card_refund_window,
                PaymentMethod::Paidy => rules.paidy_refund_window,
            },
    )
}

/// The deadline the order is working against in its current status, if any.
pub fn deadline(order: &Order, rules: &Rules) -> Option<Deadline> {
    use PaymentStatus as S;
    match order.status {
        S::Authorized | S::CapturePending | S::AuthorizationExpired => Some(Deadline {
            kind: DeadlineKind::Capture,
            at: capture_deadline(order, rules),
        }),
        S::Captured | S::CapturedRefundWindowClosed | S::RefundPending | S::RefundSettling => {
            refund_deadline(order, rules).map(|at| Deadline {
                kind: DeadlineKind::Refund,
                at,
            })
        }
        _ => None,
    }
}

/// How the order stands against its deadline at `now`.
pub fn deadline_state(order: &Order, now: DateTime<Utc>, rules: &Rules) -> DeadlineState {
    let Some(d) = deadline(order, rules) else {
        return DeadlineState::None;
    };
    let gateway_says_lapsed = matches!(
        order.status,
        PaymentStatus::AuthorizationExpired | PaymentStatus::CapturedRefundWindowClosed
    );
    if gateway_says_lapsed || now >= d.at {
        DeadlineState::Lapsed(d)
    } else if d.at - now <= rules.deadline_warning {
        DeadlineState::Near(d)
    } else {
        DeadlineState::Ok(d)
    }
}

/// What can still be refunded: the captured amount less refunds, while the payment is
/// captured and its refund window open at the gateway; zero otherwise.
pub fn refundable_amount(order: &Order) -> Yen {
    if order.status == PaymentStatus::Captured {
        Yen(order.captured_amount.0 - order.refunded_amount.0)
    } else {
        Yen(0)
    }
}

/// When an authorize-and-capture order's automatic capture is due; `None` for other orders.
pub fn auto_capture_due_at(order: &Order, rules: &Rules) -> Option<DateTime<Utc>> {
    (order.capture_mode == CaptureMode::AuthorizeAndCapture
        && order.status == PaymentStatus::Authorized)
        .then(|| order.authorized_at.unwrap_or(order.ordered_at) + rules.auto_capture_delay)
}

/// Whether PayDesk should capture this authorize-and-capture order automatically now.
pub fn auto_capture_due(order: &Order, now: DateTime<Utc>, rules: &Rules) -> bool {
    auto_capture_due_at(order, rules).is_some_and(|due| now >= due)
        && now < capture_deadline(order, rules)
}

/// Whether a new order's amount is acceptable for its payment method.
pub fn check_order_amount(
    method: PaymentMethod,
    amount: Yen,
    rules: &Rules,
) -> Result<(), Refusal> {
    if amount.0 <= 0 {
        return Err(Refusal::AmountNotPositive);
    }
    match method {
        PaymentMethod::Paidy if amount > rules.paidy_max_amount => Err(Refusal::PaidyAmountLimit {
            limit: rules.paidy_max_amount,
        }),
        PaymentMethod::Card if amount > rules.card_max_amount => Err(Refusal::CardAmountLimit {
            limit: rules.card_max_amount,
        }),
        _ => Ok(()),
    }
}

fn before_capture_deadline(
    order: &Order,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Refusal> {
    let deadline = capture_deadline(order, rules);
    if now >= deadline {
        Err(Refusal::CaptureDeadlinePassed { deadline })
    } else {
        Ok(())
    }
}

fn before_refund_deadline(order: &Order, now: DateTime<Utc>, rules: &Rules) -> Result<(), Refusal> {
    match refund_deadline(order, rules) {
        Some(deadline) if now >= deadline => Err(Refusal::RefundDeadlinePassed {
            deadline: Some(deadline),
        }),
        _ => Ok(()),
    }
}

/// The refusal shared by every operation for statuses that end the payment's life or were
/// never a live payment.
fn settled_status_refusal(status: PaymentStatus) -> Refusal {
    use PaymentStatus as S;
    match status {
        S::Cancelled => Refusal::AlreadyCancelled,
        S::AuthorizationExpired => Refusal::Lapsed,
        S::Refunded => Refusal::AlreadyRefunded,
        S::ThreeDSecureAborted | S::ThreeDSecureAuthenticating => Refusal::ThreeDSecureInterrupted,
        _ => Refusal::NotAuthorized,
    }
}

/// One processing status: an operation that stopped part-way at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingRule {
    /// Card or Paidy.
    pub method: PaymentMethod,
    /// The processing status.
    pub status: PaymentStatus,
    /// The operation it holds.
    pub pending: OperationKind,
    /// The shop may send that operation again (card: the same telegram retries it, §5.3).
    pub retry: bool,
    /// Paygent finishes (or undoes) it by itself.
    pub gateway_finishes: bool,
}

/// The processing statuses and what may be done on each: §5.2–§5.3 for cards (30 capture,
/// 31 authorization cancel, 42 and 50 capture cancel: "retry 022 / 021 / 023"; 31 is also
/// retried by Paygent itself), §4.9 for Paidy (a Paidy timeout, 24005, parks 31 / 30 / 42;
/// Paygent polls Paidy and moves it on, and every Paidy telegram is refused meanwhile).
/// [`check_kind`] allows exactly a row's retry and refuses every other operation with
/// [`Refusal::GatewayProcessing`], whose text says what is pending and what to do.
pub const PROCESSING_RULES: [ProcessingRule; 7] = [
    ProcessingRule::new(
        PaymentMethod::Card,
        PaymentStatus::CapturePending,
        OperationKind::Capture,
        true,
        false,
    ),
    ProcessingRule::new(
        PaymentMethod::Card,
        PaymentStatus::CancelPending,
        OperationKind::Cancel,
        true,
        true,
    ),
    ProcessingRule::new(
        PaymentMethod::Card,
        PaymentStatus::RefundPending,
        OperationKind::FullRefund,
        true,
        false,
    ),
    ProcessingRule::new(
        PaymentMethod::Card,
        PaymentStatus::RefundSettling,
        OperationKind::FullRefund,
        true,
        false,
    ),
    ProcessingRule::new(
        PaymentMethod::Paidy,
        PaymentStatus::CapturePending,
        OperationKind::Capture,
        false,
        true,
    ),
    ProcessingRule::new(
        PaymentMethod::Paidy,
        PaymentStatus::CancelPending,
        OperationKind::Cancel,
        false,
        true,
    ),
    ProcessingRule::new(
        PaymentMethod::Paidy,
        PaymentStatus::RefundPending,
        OperationKind::FullRefund,
        false,
        true,
    ),
];

impl ProcessingRule {
    const fn new(
        method: PaymentMethod,
        status: PaymentStatus,
        pending: OperationKind,
        retry: bool,
        gateway_finishes: bool,
    ) -> ProcessingRule {
        ProcessingRule {
            method,
            status,
            pending,
            retry,
            gateway_finishes,
        }
    }
}

/// The processing rule for a payment's status, if the status is a processing one.
pub fn processing_rule(method: PaymentMethod, status: PaymentStatus) -> Option<ProcessingRule> {
    PROCESSING_RULES
        .into_iter()
        .find(|r| r.method == method && r.status == status)
}

fn pending_words(kind: OperationKind) -> (&'static str, &'static str) {
    match kind {
        OperationKind::Capture => ("売上確定", "capture"),
        OperationKind::Cancel => ("キャンセル", "cancel"),
        OperationKind::FullRefund | OperationKind::PartialRefund => ("返金", "refund"),
        OperationKind::AmountChange => ("金額変更", "amount change"),
    }
}

fn processing_message(method: PaymentMethod, status: PaymentStatus) -> (String, String) {
    let (label_ja, label_en) = crate::history::status_label(status, method);
    let Some(rule) = processing_rule(method, status) else {
        return (
            format!(
                "ペイジェントが前の処理をまだ実行中です（{label_ja}）。しばらくしてから状態を更新してください。"
            ),
            format!(
                "Paygent is still processing an earlier request for this payment ({label_en}). Refresh its status in a little while."
            ),
        );
    };
    let (ja, en) = pending_words(rule.pending);
    match (rule.retry, rule.gateway_finishes) {
        (true, false) => (
            format!(
                "ペイジェントで{ja}の処理が途中で止まっています（{label_ja}）。{ja}をもう一度実行してください。終わるまでほかの操作はできません。"
            ),
            format!(
                "Paygent's {en} of this payment stopped part-way ({label_en}). Run the {en} again; nothing else can be done until it has finished."
            ),
        ),
        (true, true) => (
            format!(
                "ペイジェントが{ja}を自動でやり直しています（{label_ja}）。終わるのを待つか、{ja}をもう一度実行してください。終わるまでほかの操作はできません。"
            ),
            format!(
                "Paygent is retrying the {en} by itself ({label_en}). Wait for it, or run the {en} again; nothing else can be done until it has finished."
            ),
        ),
        (false, _) => (
            format!(
                "ペイディの応答を待っているため、{ja}の処理中です（{label_ja}）。ペイジェントが自動で完了させるか元に戻します。状態が更新されるまでお待ちください。それまで操作はできません。"
            ),
            format!(
                "Paygent is waiting for Paidy to confirm the {en} ({label_en}). Paygent completes or undoes it by itself; wait until the status is updated. Nothing can be sent until then."
            ),
        ),
    }
}

/// What a status means for the shop owner, when it needs saying beyond its label: a
/// processing status (from [`PROCESSING_RULES`]: what is pending, who finishes it, what
/// may be done meanwhile), a validity check's payment, or a 3-D Secure authentication the
/// buyer did not finish. `None` for the everyday statuses.
pub fn status_meaning(method: PaymentMethod, status: PaymentStatus) -> Option<Text> {
    use PaymentStatus as S;
    if processing_rule(method, status).is_some() {
        let (ja, en) = processing_message(method, status);
        return Some(Text { ja, en });
    }
    match status {
        S::ValidityChecked | S::ValidityCheckFailed => Some(Refusal::ValidityCheck.message()),
        S::ThreeDSecureAborted | S::ThreeDSecureAuthenticating => {
            Some(Refusal::ThreeDSecureInterrupted.message())
        }
        _ => None,
    }
}

/// Whether an operation of this kind can work on the order now, ignoring the amount the
/// shop owner will enter (the detail screen's enabled/disabled buttons).
pub fn check_kind(
    order: &Order,
    kind: OperationKind,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<(), Refusal> {
    use PaymentStatus as S;
    let card = order.method == PaymentMethod::Card;
    let status = order.status;
    // Processing statuses: only the retry of the stopped operation (PROCESSING_RULES).
    if let Some(rule) = processing_rule(order.method, status) {
        let processing = Refusal::GatewayProcessing {
            method: order.method,
            status,
        };
        if !rule.retry || kind != rule.pending {
            return Err(processing);
        }
        return match kind {
            OperationKind::Capture => before_capture_deadline(order, now, rules),
            OperationKind::FullRefund => before_refund_deadline(order, now, rules),
            _ => Ok(()),
        };
    }
    if matches!(status, S::ValidityChecked | S::ValidityCheckFailed) {
        return Err(Refusal::ValidityCheck);
    }
    match kind {
        OperationKind::Capture => match status {
            S::Authorized => {
                before_capture_deadline(order, now, rules)?;
                match auto_capture_due_at(order, rules) {
                    Some(due) if now < due => Err(Refusal::WaitingForAutoCapture { due }),
                    _ => Ok(()),
                }
            }
            S::Captured | S::CapturedRefundWindowClosed => Err(Refusal::AlreadyCaptured),
            other => Err(settled_status_refusal(other)),
        },
        OperationKind::Cancel => match status {
            // From the capture deadline on the authorization is dead: the gateway's batch
            // moves it to 33, where a cancel changes nothing (card) or is refused (Paidy
            // 24006), so a plan expecting 32 would be wrong either way.
            S::Authorized => before_capture_deadline(order, now, rules),
            S::Captured | S::CapturedRefundWindowClosed => Err(Refusal::CancelAfterCapture),
            other => Err(settled_status_refusal(other)),
        },
        OperationKind::FullRefund => match status {
            S::Captured => before_refund_deadline(order, now, rules),
            S::CapturedRefundWindowClosed => Err(Refusal::RefundDeadlinePassed {
                deadline: refund_deadline(order, rules),
            }),
            S::Authorized => Err(Refusal::RefundBeforeCapture),
            other => Err(settled_status_refusal(other)),
        },
        OperationKind::PartialRefund => match status {
            S::Captured => {
                if card && order.three_d_secure {
                    return Err(Refusal::PartialRefund3ds);
                }
                before_refund_deadline(order, now, rules)
            }
            S::CapturedRefundWindowClosed => Err(Refusal::RefundDeadlinePassed {
                deadline: refund_deadline(order, rules),
            }),
            S::Authorized => Err(Refusal::PartialRefundBeforeCapture),
            other => Err(settled_status_refusal(other)),
        },
        OperationKind::AmountChange => {
            if !card {
                return Err(Refusal::AmountChangePaidy);
            }
            if order.three_d_secure {
                return Err(Refusal::AmountChange3ds);
            }
            if order.capture_mode == CaptureMode::AuthorizeAndCapture {
                return Err(Refusal::AmountChangeAuthorizeAndCapture);
            }
            match status {
                S::Authorized => before_capture_deadline(order, now, rules),
                S::Captured | S::CapturedRefundWindowClosed => {
                    Err(Refusal::AmountChangeAfterCapture)
                }
                other => Err(settled_status_refusal(other)),
            }
        }
    }
}

/// Checks every rule for `op` on `order` at `now` and, if it can work, says what to send.
pub fn check(
    order: &Order,
    op: &Operation,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Result<Plan, Refusal> {
    check_kind(order, op.kind(), now, rules)?;
    let card = order.method == PaymentMethod::Card;
    let before_amount = order.gateway_amount();
    let plan =
        |telegram, request_amount, expected_status, expected_amount, creates_new_payment| Plan {
            telegram,
            payment_id: order.payment_id.clone(),
            request_amount,
            before_status: order.status,
            before_amount,
            expected_status,
            expected_amount,
            creates_new_payment,
        };
    let full_refund = || {
        let telegram = if card {
            TelegramKind::CardCaptureCancel
        } else {
            TelegramKind::PaidyRefund
        };
        plan(
            telegram,
            None,
            PaymentStatus::Refunded,
            before_amount,
            false,
        )
    };
    Ok(match *op {
        Operation::Capture => {
            let telegram = if card {
                TelegramKind::CardCapture
            } else {
                TelegramKind::PaidyCapture
            };
            plan(telegram, None, PaymentStatus::Captured, order.amount, false)
        }
        Operation::Cancel => {
            let telegram = if card {
                TelegramKind::CardAuthorizeCancel
            } else {
                TelegramKind::PaidyAuthorizeCancel
            };
            plan(
                telegram,
                None,
                PaymentStatus::Cancelled,
                order.amount,
                false,
            )
        }
        Operation::FullRefund => full_refund(),
        Operation::PartialRefund(refund) => {
            let refundable = refundable_amount(order);
            if refund.0 <= 0 {
                return Err(Refusal::AmountNotPositive);
            }
            if refund > refundable {
                return Err(Refusal::RefundExceedsRefundable { refundable });
            }
            if refund == refundable {
                // Refunding everything that is left is a full refund: 029 cannot go to zero.
                full_refund()
            } else {
                let remaining = Yen(refundable.0 - refund.0);
                if card {
                    plan(
                        TelegramKind::CardRevisedCapture,
                        Some(remaining),
                        PaymentStatus::Captured,
                        remaining,
                        true,
                    )
                } else {
                    plan(
                        TelegramKind::PaidyRefund,
                        Some(refund),
                        PaymentStatus::Captured,
                        remaining,
                        true,
                    )
                }
            }
        }
        Operation::AmountChange(new_amount) => {
            if new_amount.0 <= 0 {
                return Err(Refusal::AmountNotPositive);
            }
            if new_amount == order.amount {
                return Err(Refusal::AmountUnchanged);
            }
            if new_amount > order.amount {
                return Err(Refusal::AmountIncrease {
                    current: order.amount,
                });
            }
            plan(
                TelegramKind::CardRevisedAuthorize,
                Some(new_amount),
                PaymentStatus::Authorized,
                new_amount,
                true,
            )
        }
    })
}

/// Every operation kind with whether it can work now (and why not), for the detail screen.
pub fn available_operations(
    order: &Order,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Vec<(OperationKind, Result<(), Refusal>)> {
    OperationKind::ALL
        .into_iter()
        .map(|kind| (kind, check_kind(order, kind, now, rules)))
        .collect()
}
