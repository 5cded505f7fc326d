//! Applying what the gateway reports (a payment notification, a 091 record or a 094
//! answer) to an order.
//!
//! Layout: [`StatusReport`] is the method-neutral report (built from a codec
//! [`PaymentRecord`] with [`StatusReport::from_record`]); [`reconcile`] compares it with the
//! order and the journal: a change that matches PayDesk's pending operation is PayDesk's,
//! a change the gateway makes on its own (authorization, expiry, processing resolved) is
//! the gateway's, and anything else was done outside PayDesk: the order adopts the
//! gateway's state, says so in its history and shows a banner. A stale report (about an
//! older transaction ID of the order, a status the payment already passed, or made before
//! PayDesk's last confirmed operation) changes nothing: records arrive late and out of
//! order. [`order_from_report`] makes a new order from the first report of an unknown
//! payment, with the record's 3-D Secure flag.

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeZone, Utc};
use paygent_codec::response::PaymentRecord;
use paygent_codec::{PaymentStatus, Yen};

use crate::history::{self, JAPAN, Text};
use crate::journal::{PendingOperation, Settlement, Successor, settle};
use crate::operation::{Operation, refundable_amount};
use crate::order::{Actor, CaptureMode, Order, PaymentMethod};

/// What the gateway says about one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The payment reported on.
    pub payment_id: String,
    /// The payment this one replaced (revision or Paidy partial refund), when known. The
    /// store fills it when it matched a new payment to an order by order number.
    pub base_payment_id: Option<String>,
    /// `trading_id` (the order number); may be empty.
    pub order_number: String,
    /// Card or Paidy.
    pub method: PaymentMethod,
    /// The status after the change.
    pub status: PaymentStatus,
    /// The payment's amount.
    pub amount: Yen,
    /// Authenticated with 3-D Secure (`3dsecure_ryaku=0` on a card record); false when the
    /// report does not say (Paidy, or a report built from PayDesk's own telegram).
    pub three_d_secure: bool,
    /// When the gateway recorded the change (`change_date`), else when PayDesk received it.
    pub changed_at: DateTime<Utc>,
    /// `authorized_date`, if sent.
    pub authorized_at: Option<DateTime<Utc>>,
    /// `payment_date` (capture time), if sent.
    pub captured_at: Option<DateTime<Utc>>,
    /// Paidy's buyer name (kanji), if sent.
    pub buyer_name: Option<String>,
    /// Paidy's buyer name (kana), if sent.
    pub buyer_name_kana: Option<String>,
    /// Paidy's buyer e-mail, if sent.
    pub buyer_email: Option<String>,
}

/// Parses the gateway's `YYYYMMDDhhmmss` (Japan time).
pub fn parse_gateway_time(value: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(value.trim(), "%Y%m%d%H%M%S").ok()?;
    JAPAN
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

impl StatusReport {
    /// Reads a 091 record or notification; `None` for payment methods PayDesk does not
    /// handle. `received_at` stands in for a missing `change_date`.
    pub fn from_record(record: &PaymentRecord, received_at: DateTime<Utc>) -> Option<StatusReport> {
        let method = PaymentMethod::from_payment_type(record.payment_type)?;
        let field = |key: &str| {
            record
                .fields
                .get(key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let time = |key: &str| field(key).and_then(|v| parse_gateway_time(&v));
        Some(StatusReport {
            payment_id: record.payment_id.clone(),
            base_payment_id: field("base_payment_id"),
            order_number: record.trading_id.clone(),
            method,
            status: record.payment_status,
            amount: record.payment_amount,
            three_d_secure: field("3dsecure_ryaku").as_deref() == Some("0"),
            changed_at: parse_gateway_time(&record.change_date).unwrap_or(received_at),
            authorized_at: time("authorized_date"),
            captured_at: time("payment_date"),
            buyer_name: field("buyer_name_kanji"),
            buyer_name_kana: field("buyer_name_kana"),
            buyer_email: field("buyer_email"),
        })
    }
}

/// The result of applying a report to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// The order as it should be stored now.
    pub order: Order,
    /// History lines to append, in order.
    pub lines: Vec<(Actor, Text)>,
    /// The report showed a change made outside PayDesk.
    pub outside_change: bool,
    /// Whether anything changed (false for duplicates and reports about older payments).
    pub changed: bool,
    /// How the report settles the pending operation, if one was given.
    pub settlement: Option<Settlement>,
}

impl Reconciliation {
    fn unchanged(order: &Order, settlement: Option<Settlement>) -> Reconciliation {
        Reconciliation {
            order: order.clone(),
            lines: Vec::new(),
            outside_change: false,
            changed: false,
            settlement,
        }
    }
}

/// A new order from the first report of a payment PayDesk does not know yet; `None` unless
/// the payment is authorized or captured (failed attempts do not make orders). The order
/// keeps the report's 3-D Secure flag (such payments cannot be revised, code 2014).
pub fn order_from_report(report: &StatusReport, capture_mode: CaptureMode) -> Option<Order> {
    let captured = match report.status {
        PaymentStatus::Authorized => false,
        PaymentStatus::Captured => true,
        _ => return None,
    };
    let authorized_at = report.authorized_at.unwrap_or(report.changed_at);
    Some(Order {
        three_d_secure: report.three_d_secure,
        captured_amount: if captured { report.amount } else { Yen(0) },
        status: report.status,
        captured_at: captured.then(|| report.captured_at.unwrap_or(report.changed_at)),
        buyer_name: report.buyer_name.clone(),
        buyer_name_kana: report.buyer_name_kana.clone(),
        buyer_email: report.buyer_email.clone(),
        ..Order::authorized(
            &report.order_number,
            &report.payment_id,
            report.method,
            capture_mode,
            report.amount,
            authorized_at,
        )
    })
}

/// The order after adopting the gateway's state from `report`.
fn adopt(order: &Order, report: &StatusReport, successor: bool) -> Order {
    use PaymentStatus as S;
    let mut next = order.clone();
    if successor {
        next.payment_id = report.payment_id.clone();
    }
    match report.status {
        S::Authorized | S::CapturePending | S::CancelPending => {
            if successor || next.captured_amount.0 == 0 {
                next.amount = report.amount;
            }
            if next.authorized_at.is_none() {
                next.authorized_at = Some(report.authorized_at.unwrap_or(report.changed_at));
            }
        }
        S::Captured | S::CapturedRefundWindowClosed | S::RefundPending | S::RefundSettling => {
            if next.captured_amount.0 == 0 {
                next.captured_amount = report.amount;
                next.captured_at = Some(report.captured_at.unwrap_or(report.changed_at));
            } else if report.amount.0 < next.captured_amount.0 - next.refunded_amount.0 {
                next.refunded_amount = Yen(next.captured_amount.0 - report.amount.0);
            }
        }
        S::Refunded if next.captured_amount.0 > 0 => next.refunded_amount = next.captured_amount,
        _ => {}
    }
    next.status = report.status;
    if next.buyer_name.is_none() {
        next.buyer_name = report.buyer_name.clone();
    }
    if next.buyer_name_kana.is_none() {
        next.buyer_name_kana = report.buyer_name_kana.clone();
    }
    if next.buyer_email.is_none() {
        next.buyer_email = report.buyer_email.clone();
    }
    next
}

/// Transitions the gateway makes on its own (§5.3 batch column, §7.3 Paidy events).
fn is_gateway_transition(from: PaymentStatus, to: PaymentStatus) -> bool {
    use PaymentStatus as S;
    matches!(
        (from, to),
        (S::Applied | S::AuthorizationFailed, S::Authorized)
            | (S::Applied, S::AuthorizationFailed)
            | (S::Authorized | S::CancelPending, S::AuthorizationExpired)
            | (S::CancelPending, S::Cancelled)
            | (S::Captured, S::CapturedRefundWindowClosed)
            | (S::CapturePending, S::Captured | S::Authorized)
            | (S::CancelPending, S::Authorized)
            | (
                S::RefundPending | S::RefundSettling,
                S::Refunded | S::RefundSettling | S::Captured
            )
    )
}

/// Whether `status` is the processing status that holds `pending`'s operation
/// ([`crate::PROCESSING_RULES`]; a refund, full or partial, parks in the refund one).
fn holds(
    pending: &PendingOperation,
    method: crate::order::PaymentMethod,
    status: PaymentStatus,
) -> bool {
    use crate::operation::OperationKind as K;
    crate::operation::processing_rule(method, status).is_some_and(|rule| {
        let kind = pending.operation.kind();
        rule.pending == kind || (rule.pending == K::FullRefund && kind == K::PartialRefund)
    })
}

/// Statuses the payment may have passed through before reaching `now`, along its forward
/// chain (§5.3: 10/11 → 20 → 30/31 → 32/33/40 → 41/42 → 50 → 60). A report of one of these
/// about the current payment is an old record arriving late, unless the gateway itself
/// moves back that way (processing resolved: 30 → 20, 31 → 20, 42/50 → 40).
fn passed_through(now: PaymentStatus, earlier: PaymentStatus) -> bool {
    use PaymentStatus as S;
    const AUTHORIZED: &[S] = &[S::Applied, S::AuthorizationFailed, S::Authorized];
    let before: &[S] = match now {
        S::Authorized => &AUTHORIZED[..2],
        S::CapturePending | S::CancelPending => AUTHORIZED,
        S::Cancelled | S::AuthorizationExpired => &[
            S::Applied,
            S::AuthorizationFailed,
            S::Authorized,
            S::CancelPending,
        ],
        S::Captured => &[
            S::Applied,
            S::AuthorizationFailed,
            S::Authorized,
            S::CapturePending,
        ],
        S::CapturedRefundWindowClosed | S::RefundPending => &[
            S::Applied,
            S::AuthorizationFailed,
            S::Authorized,
            S::CapturePending,
            S::Captured,
        ],
        S::RefundSettling => &[
            S::Applied,
            S::AuthorizationFailed,
            S::Authorized,
            S::CapturePending,
            S::Captured,
            S::RefundPending,
        ],
        S::Refunded => &[
            S::Applied,
            S::AuthorizationFailed,
            S::Authorized,
            S::CapturePending,
            S::Captured,
            S::RefundPending,
            S::RefundSettling,
        ],
        _ => &[],
    };
    before.contains(&earlier)
}

/// Statuses that end a payment. The gateway keeps reporting the payment's last amount
/// while the order counts what is left (zero after a refund), so for these the status
/// alone says whether a report is news.
fn is_ended(status: PaymentStatus) -> bool {
    matches!(
        status,
        PaymentStatus::Refunded | PaymentStatus::Cancelled | PaymentStatus::AuthorizationExpired
    )
}

/// Whether a report about the order's current payment (or its successor) describes a
/// state PayDesk already moved past: it was made before PayDesk sent its last confirmed
/// operation, or it shows a status the current payment already passed through.
fn is_stale(
    order: &Order,
    report: &StatusReport,
    paydesk_changed_at: Option<DateTime<Utc>>,
) -> bool {
    // The gateway's `change_date` has whole seconds: a record of the same second as the
    // send may be newer than it.
    if paydesk_changed_at.is_some_and(|at| report.changed_at < at.trunc_subsecs(0)) {
        return true;
    }
    report.payment_id == order.payment_id
        && passed_through(order.status, report.status)
        && !is_gateway_transition(order.status, report.status)
}

/// The gateway's own transition as a history line.
fn gateway_line(order: &Order, next: &Order) -> Text {
    use PaymentStatus as S;
    match next.status {
        S::Authorized if matches!(order.status, S::Applied | S::AuthorizationFailed) => {
            history::authorized(&next.payment_id, next.amount)
        }
        S::AuthorizationExpired => history::lapsed(),
        S::CapturedRefundWindowClosed => history::refund_window_closed(),
        S::Captured if order.captured_amount.0 == 0 => {
            history::captured(&next.payment_id, next.captured_amount)
        }
        S::Cancelled => history::cancelled(&next.payment_id),
        S::Refunded => history::full_refund(
            &next.payment_id,
            Yen(next.refunded_amount.0 - order.refunded_amount.0),
        ),
        status => history::status_changed(status, next.method),
    }
}

/// The lines for PayDesk's own operation once the gateway confirmed it.
fn paydesk_lines(op: &Operation, order: &Order, next: &Order) -> Vec<Text> {
    let mut lines = Vec::new();
    match op {
        Operation::Capture => lines.push(history::captured(&next.payment_id, next.captured_amount)),
        Operation::Cancel => lines.push(history::cancelled(&next.payment_id)),
        Operation::FullRefund => lines.push(history::full_refund(
            &next.payment_id,
            Yen(next.refunded_amount.0 - order.refunded_amount.0),
        )),
        Operation::PartialRefund(amount) => {
            lines.push(history::partial_refund(*amount, refundable_amount(next)))
        }
        Operation::AmountChange(new) => lines.push(history::amount_changed(order.amount, *new)),
    }
    if next.payment_id != order.payment_id {
        lines.push(history::new_transaction_id(
            &order.payment_id,
            &next.payment_id,
        ));
    }
    lines
}

/// Applies a gateway report to an order. `pending` is the order's unsettled operation, if
/// any: a change that matches it is PayDesk's; otherwise a change the gateway does not make
/// on its own was made outside PayDesk. `paydesk_changed_at` is when PayDesk sent the last
/// operation on this order that the gateway confirmed (`None` if none, or when the report
/// is that operation's own outcome): a record made before it is stale.
///
/// Stale reports change nothing and settle nothing: a report about an older transaction
/// ID of the order, a status the current payment already passed through, or a record
/// older than PayDesk's last confirmed operation. The time rule compares the gateway's
/// `change_date` with the desktop's clock; a skew between them only matters for an
/// outside change made within that skew after PayDesk's own operation.
pub fn reconcile(
    order: &Order,
    report: &StatusReport,
    pending: Option<&PendingOperation>,
    paydesk_changed_at: Option<DateTime<Utc>>,
) -> Reconciliation {
    let is_current = report.payment_id == order.payment_id;
    let is_successor =
        !is_current && report.base_payment_id.as_deref() == Some(order.payment_id.as_str());
    if !is_current && !is_successor {
        // A report about an older payment of the chain (e.g. the original going to 60 after
        // a partial refund): the current payment already tells the story.
        return Reconciliation::unchanged(order, None);
    }
    if is_stale(order, report, paydesk_changed_at) {
        // E.g. the capture's record arriving after PayDesk's refund, or the 42/50 records
        // of a refund PayDesk already shows as 60.
        return Reconciliation::unchanged(order, None);
    }
    let settlement = pending.map(|p| {
        if is_successor {
            settle(p, report, Successor::Found(report))
        } else {
            settle(p, report, Successor::NotChecked)
        }
    });
    if is_current
        && report.status == order.status
        && (report.amount == order.gateway_amount() || is_ended(report.status))
    {
        return Reconciliation::unchanged(order, settlement);
    }
    if let (Some(p), Some(Settlement::InProgress)) = (pending, settlement)
        && p.plan.creates_new_payment
        && is_current
    {
        // PayDesk's own revision replaced this payment; its successor will follow (or
        // came with the telegram's answer). Do not show a full refund in between.
        return Reconciliation::unchanged(order, settlement);
    }
    let next = adopt(order, report, is_successor);
    let mut lines: Vec<(Actor, Text)> = Vec::new();
    let mut outside = false;
    match (pending, settlement) {
        (Some(p), Some(Settlement::AlreadyApplied)) => {
            lines.extend(
                paydesk_lines(&p.operation, order, &next)
                    .into_iter()
                    .map(|l| (Actor::PayDesk, l)),
            );
        }
        // PayDesk's own operation stopped part-way at the gateway (§5.3, §4.9: a
        // processing status holding that operation): PayDesk's, not an outside change.
        (Some(p), _) if is_current && holds(p, order.method, report.status) => {
            lines.push((
                Actor::PayDesk,
                history::status_changed(report.status, order.method),
            ));
        }
        _ if !is_successor && is_gateway_transition(order.status, report.status) => {
            lines.push((Actor::Gateway, gateway_line(order, &next)));
        }
        _ => {
            outside = true;
            if is_successor || report.status == order.status {
                lines.push((
                    Actor::Outside,
                    history::outside_amount_change(order.gateway_amount(), next.gateway_amount()),
                ));
                if is_successor {
                    lines.push((
                        Actor::Outside,
                        history::new_transaction_id(&order.payment_id, &next.payment_id),
                    ));
                }
            } else {
                lines.push((
                    Actor::Outside,
                    history::outside_change(report.status, order.method),
                ));
            }
        }
    }
    let mut next = next;
    next.outside_change |= outside;
    Reconciliation {
        order: next,
        lines,
        outside_change: outside,
        changed: true,
        settlement,
    }
}
