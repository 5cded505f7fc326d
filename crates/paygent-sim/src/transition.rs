//! The gateway's payment state machines, as pure functions (no I/O, no clock).
//!
//! Layout: [`SIM_STATUSES`] are the statuses (§5.2) the simulator reaches; [`transition`] decides what a
//! telegram (or an outside operation, which follows the same rules) does to a payment in a
//! given status: card per the strict table of §5.3, Paidy per §4.9; [`due_lapse`] decides
//! which deadline-driven status change (the gateway's daily batch) is due; [`is_notified`]
//! says which new statuses produce a notification record.
//!
//! Choices where the notes leave questions open (§11), tested below:
//! - 028 is accepted only on 20 and 029 only on 40 (2007 on the lapsed 33/41, else 2004).
//!   The base payment ends in 32 (028) or 60 (029); the new payment is 20 or 40.
//! - PaymentStatus checks come first (2004/2007, 24003/24006), then 3-D Secure (2014), then the
//!   amount (2013, 24007, P014).
//! - A revised amount equal to the original is accepted; 0 or more is 2013.
//! - Paidy 340/341 are not idempotent: 340 on 32 and 341 on 40 are 24003. An operation on a
//!   lapsed Paidy payment (33, or 41 for refunds) is 24006.
//! - Paidy 342 with an amount equal to the payment amount is a full refund; a remainder
//!   payment may be refunded again.

use paygent_codec::{PaymentStatus, PaymentType, Yen};
use serde::{Deserialize, Serialize};

use crate::rules::{CaptureCancelWindowStart, GatewayRules};

/// The statuses the simulator's payments can be in (a subset of §5.2): 17 and 22 are the
/// validity check's (025 with `valid_check_flg=1`, §4.5).
pub const SIM_STATUSES: [PaymentStatus; 14] = [
    PaymentStatus::Applied,
    PaymentStatus::AuthorizationFailed,
    PaymentStatus::ValidityCheckFailed,
    PaymentStatus::Authorized,
    PaymentStatus::ValidityChecked,
    PaymentStatus::CapturePending,
    PaymentStatus::CancelPending,
    PaymentStatus::Cancelled,
    PaymentStatus::AuthorizationExpired,
    PaymentStatus::Captured,
    PaymentStatus::CapturedRefundWindowClosed,
    PaymentStatus::RefundPending,
    PaymentStatus::RefundSettling,
    PaymentStatus::Refunded,
];

/// The payment method, which selects the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// payment_type 02.
    Card,
    /// payment_type 22.
    Paidy,
}

impl Method {
    /// The `payment_type`.
    pub fn payment_type(self) -> PaymentType {
        match self {
            Method::Card => PaymentType::Card,
            Method::Paidy => PaymentType::Paidy,
        }
    }
}

/// What is asked of an existing payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// 020 with the payment_id of a payment left in 10 by an input error.
    CardReauthorize,
    /// 021.
    CardAuthorizeCancel,
    /// 022.
    CardCapture,
    /// 023.
    CardCaptureCancel,
    /// 028, with the new total already computed from `reduction_flag`.
    CardRevisedAuthorize { new_total: Yen },
    /// 029, with the new total already computed from `reduction_flag`.
    CardRevisedCapture { new_total: Yen },
    /// 340.
    PaidyAuthorizeCancel,
    /// 341.
    PaidyCapture,
    /// 342; `None` = full refund.
    PaidyRefund { amount: Option<Yen> },
}

/// The facts about the payment that the decision needs besides its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Which state machine.
    pub method: Method,
    /// The payment's current amount.
    pub amount: Yen,
    /// Whether the payment was authenticated with 3-D Secure (no amount change, 2014).
    pub three_d_secure: bool,
}

/// The decision for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// result=0 and the payment moves to `to`.
    Moved {
        /// The new status.
        to: PaymentStatus,
    },
    /// result=0 and nothing changes (the idempotent successes of §5.3).
    Unchanged,
    /// result=0: the payment moves to `base_to` and a new payment (new payment_id) is
    /// created with `new_amount` in `new_status`.
    Revised {
        /// The base payment's new status.
        base_to: PaymentStatus,
        /// The new payment's status.
        new_status: PaymentStatus,
        /// The new payment's amount.
        new_amount: Yen,
    },
    /// The operation may run an authorization again (020 re-authorization on status 10).
    Reauthorize,
    /// result=1 with this response_code and response_detail; nothing changes.
    Refused {
        /// The response_code.
        code: &'static str,
        /// The response_detail (a vendor code, or empty).
        detail: &'static str,
    },
}

fn refused(code: &'static str) -> Outcome {
    Outcome::Refused { code, detail: "" }
}

/// What `op` does to a payment in `status` (pure; §5.3 for cards, §4.9 for Paidy).
pub fn transition(status: PaymentStatus, op: Operation, facts: Facts) -> Outcome {
    use PaymentStatus as S;
    match (facts.method, op) {
        (Method::Card, Operation::CardReauthorize) => match status {
            S::Applied => Outcome::Reauthorize,
            _ => Outcome::Refused {
                code: "2001",
                detail: "P902",
            },
        },
        (Method::Card, Operation::CardAuthorizeCancel) => match status {
            S::Authorized | S::CancelPending => Outcome::Moved { to: S::Cancelled },
            S::Cancelled | S::AuthorizationExpired => Outcome::Unchanged,
            _ => refused("2004"),
        },
        (Method::Card, Operation::CardCapture) => match status {
            S::Authorized | S::CapturePending => Outcome::Moved { to: S::Captured },
            S::Captured | S::CapturedRefundWindowClosed => Outcome::Unchanged,
            S::AuthorizationExpired => refused("2007"),
            _ => refused("2004"),
        },
        (Method::Card, Operation::CardCaptureCancel) => match status {
            S::Captured | S::RefundPending | S::RefundSettling => {
                Outcome::Moved { to: S::Refunded }
            }
            S::Refunded => Outcome::Unchanged,
            S::CapturedRefundWindowClosed => refused("2007"),
            _ => refused("2004"),
        },
        (Method::Card, Operation::CardRevisedAuthorize { new_total }) => match status {
            S::Authorized => revise(facts, new_total, S::Cancelled, S::Authorized),
            S::AuthorizationExpired => refused("2007"),
            _ => refused("2004"),
        },
        (Method::Card, Operation::CardRevisedCapture { new_total }) => match status {
            S::Captured => revise(facts, new_total, S::Refunded, S::Captured),
            S::CapturedRefundWindowClosed => refused("2007"),
            _ => refused("2004"),
        },
        (Method::Paidy, Operation::PaidyAuthorizeCancel) => match status {
            S::Authorized => Outcome::Moved { to: S::Cancelled },
            S::AuthorizationExpired => refused("24006"),
            _ => refused("24003"),
        },
        (Method::Paidy, Operation::PaidyCapture) => match status {
            S::Authorized => Outcome::Moved { to: S::Captured },
            S::AuthorizationExpired => refused("24006"),
            _ => refused("24003"),
        },
        (Method::Paidy, Operation::PaidyRefund { amount }) => match status {
            S::Captured => match amount {
                None => Outcome::Moved { to: S::Refunded },
                Some(a) if a.0 <= 0 => refused("P014"),
                Some(a) if a > facts.amount => refused("24007"),
                Some(a) if a == facts.amount => Outcome::Moved { to: S::Refunded },
                Some(a) => Outcome::Revised {
                    base_to: S::Refunded,
                    new_status: S::Captured,
                    new_amount: Yen(facts.amount.0 - a.0),
                },
            },
            S::CapturedRefundWindowClosed => refused("24006"),
            _ => refused("24003"),
        },
        // A card telegram naming a Paidy payment or the reverse: the other system does
        // not know the payment (§11 Q6).
        (Method::Paidy, _) => refused("2006"),
        (Method::Card, _) => refused("24001"),
    }
}

fn revise(
    facts: Facts,
    new_total: Yen,
    base_to: PaymentStatus,
    new_status: PaymentStatus,
) -> Outcome {
    if facts.three_d_secure {
        return refused("2014");
    }
    if new_total.0 <= 0 || new_total > facts.amount {
        return refused("2013");
    }
    Outcome::Revised {
        base_to,
        new_status,
        new_amount: new_total,
    }
}

/// The dates a deadline is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates<T> {
    /// When the payment was created (first 020, or the Paidy webhook).
    pub created: T,
    /// When it was authorized.
    pub authorized: Option<T>,
    /// When it was captured.
    pub captured: Option<T>,
}

/// The deadline-driven change that is due for a payment at `now`, if any (the gateway's
/// batch): card 10 → 11, 20 → 33, 40 → 41; Paidy 20 → 33, 40 → 41.
pub fn due_lapse(
    method: Method,
    status: PaymentStatus,
    dates: Dates<chrono::DateTime<chrono::Utc>>,
    rules: &GatewayRules,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<PaymentStatus> {
    let passed = |from: Option<chrono::DateTime<chrono::Utc>>, window: chrono::Duration| {
        from.is_some_and(|from| now >= from + window)
    };
    match (method, status) {
        (Method::Card, PaymentStatus::Applied) => {
            passed(Some(dates.created), rules.card_input_error_lapse)
                .then_some(PaymentStatus::AuthorizationFailed)
        }
        (Method::Card, PaymentStatus::Authorized) => {
            passed(dates.authorized, rules.card_authorization_validity)
                .then_some(PaymentStatus::AuthorizationExpired)
        }
        (Method::Card, PaymentStatus::Captured) => {
            let from = match rules.card_capture_cancel_window_start {
                CaptureCancelWindowStart::Authorization => dates.authorized,
                CaptureCancelWindowStart::Capture => dates.captured.or(dates.authorized),
            };
            passed(from, rules.card_capture_cancel_window)
                .then_some(PaymentStatus::CapturedRefundWindowClosed)
        }
        (Method::Paidy, PaymentStatus::Authorized) => {
            passed(dates.authorized, rules.paidy_capture_window)
                .then_some(PaymentStatus::AuthorizationExpired)
        }
        (Method::Paidy, PaymentStatus::Captured) => {
            passed(dates.captured, rules.paidy_refund_window)
                .then_some(PaymentStatus::CapturedRefundWindowClosed)
        }
        _ => None,
    }
}

/// A processing status the gateway finishes by itself, with success (§11 Q3, the
/// simulator's choice): card 31 ("Paygent retries", §5.2) → 32 after
/// `card_cancel_retry_resolution`; Paidy 30 → 40, 31 → 32, 42 → 60 (Paygent polls Paidy,
/// §4.9) after `paidy_processing_resolution`. Card 30, 42 and 50 wait for the shop's retry:
/// `None`. Returns how long after the parking it happens and the new status.
pub fn self_resolution(
    method: Method,
    status: PaymentStatus,
    rules: &GatewayRules,
) -> Option<(chrono::Duration, PaymentStatus)> {
    use PaymentStatus as S;
    match (method, status) {
        (Method::Card, S::CancelPending) => {
            Some((rules.card_cancel_retry_resolution, S::Cancelled))
        }
        (Method::Paidy, S::CapturePending) => {
            Some((rules.paidy_processing_resolution, S::Captured))
        }
        (Method::Paidy, S::CancelPending) => {
            Some((rules.paidy_processing_resolution, S::Cancelled))
        }
        (Method::Paidy, S::RefundPending) => Some((rules.paidy_processing_resolution, S::Refunded)),
        _ => None,
    }
}

/// Whether entering `status` creates a notification record (§5.2: card ●; Paidy: every
/// event except the parking statuses 30/31/42).
pub fn is_notified(method: Method, status: PaymentStatus) -> bool {
    use PaymentStatus as S;
    match method {
        Method::Card => matches!(
            status,
            S::Applied
                | S::AuthorizationFailed
                | S::Authorized
                | S::Cancelled
                | S::AuthorizationExpired
                | S::Captured
                | S::CapturedRefundWindowClosed
                | S::Refunded
        ),
        Method::Paidy => matches!(
            status,
            S::Authorized
                | S::Cancelled
                | S::AuthorizationExpired
                | S::Captured
                | S::CapturedRefundWindowClosed
                | S::Refunded
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, Utc};

    fn card(amount: i64) -> Facts {
        Facts {
            method: Method::Card,
            amount: Yen(amount),
            three_d_secure: false,
        }
    }

    fn paidy(amount: i64) -> Facts {
        Facts {
            method: Method::Paidy,
            amount: Yen(amount),
            three_d_secure: false,
        }
    }

    /// Renders an outcome the way the tables below write it.
    fn show(outcome: Outcome) -> String {
        match outcome {
            Outcome::Moved { to } => format!("ok/{}", to.code()),
            Outcome::Unchanged => "ok=".to_owned(),
            Outcome::Revised {
                base_to,
                new_status,
                new_amount,
            } => {
                format!(
                    "rev/{}+{}:{}",
                    base_to.code(),
                    new_status.code(),
                    new_amount.0
                )
            }
            Outcome::Reauthorize => "reauth".to_owned(),
            Outcome::Refused { code, detail: "" } => code.to_owned(),
            Outcome::Refused { code, detail } => format!("{code}/{detail}"),
        }
    }

    /// One row per status: the expected outcome of each operation, in column order.
    fn check(facts: Facts, ops: &[Operation], table: &[(&str, &[&str])]) {
        assert_eq!(table.len(), SIM_STATUSES.len(), "every status has a row");
        for (code, expected) in table {
            let status = PaymentStatus::from_code(code).unwrap_or_else(|| panic!("status {code}"));
            assert_eq!(ops.len(), expected.len(), "row {code}");
            for (op, want) in ops.iter().zip(expected.iter()) {
                let got = show(transition(status, *op, facts));
                assert_eq!(&got, want, "status {code}, {op:?}");
            }
        }
    }

    #[test]
    fn card_strict_state_table() {
        let ops = [
            Operation::CardReauthorize,
            Operation::CardAuthorizeCancel,
            Operation::CardCapture,
            Operation::CardCaptureCancel,
        ];
        #[rustfmt::skip]
        let table: &[(&str, &[&str])] = &[
            ("10", &["reauth", "2004", "2004", "2004"]),
            ("11", &["2001/P902", "2004", "2004", "2004"]),
            // §4.5, §5.3: the validity check's payments take no operation.
            ("17", &["2001/P902", "2004", "2004", "2004"]),
            ("22", &["2001/P902", "2004", "2004", "2004"]),
            ("20", &["2001/P902", "ok/32", "ok/40", "2004"]),
            ("30", &["2001/P902", "2004", "ok/40", "2004"]),
            ("31", &["2001/P902", "ok/32", "2004", "2004"]),
            ("32", &["2001/P902", "ok=", "2004", "2004"]),
            ("33", &["2001/P902", "ok=", "2007", "2004"]),
            ("40", &["2001/P902", "2004", "ok=", "ok/60"]),
            ("41", &["2001/P902", "2004", "ok=", "2007"]),
            ("42", &["2001/P902", "2004", "2004", "ok/60"]),
            ("50", &["2001/P902", "2004", "2004", "ok/60"]),
            ("60", &["2001/P902", "2004", "2004", "ok="]),
        ];
        check(card(1000), &ops, table);
    }

    #[test]
    fn card_revision_table() {
        let ops = [
            Operation::CardRevisedAuthorize {
                new_total: Yen(800),
            },
            Operation::CardRevisedCapture {
                new_total: Yen(800),
            },
            Operation::CardRevisedAuthorize {
                new_total: Yen(1200),
            },
            Operation::CardRevisedCapture { new_total: Yen(0) },
            Operation::CardRevisedAuthorize {
                new_total: Yen(1000),
            },
        ];
        #[rustfmt::skip]
        let table: &[(&str, &[&str])] = &[
            ("10", &["2004", "2004", "2004", "2004", "2004"]),
            ("11", &["2004", "2004", "2004", "2004", "2004"]),
            ("17", &["2004", "2004", "2004", "2004", "2004"]),
            ("22", &["2004", "2004", "2004", "2004", "2004"]),
            ("20", &["rev/32+20:800", "2004", "2013", "2004", "rev/32+20:1000"]),
            ("30", &["2004", "2004", "2004", "2004", "2004"]),
            ("31", &["2004", "2004", "2004", "2004", "2004"]),
            ("32", &["2004", "2004", "2004", "2004", "2004"]),
            ("33", &["2007", "2004", "2007", "2004", "2007"]),
            ("40", &["2004", "rev/60+40:800", "2004", "2013", "2004"]),
            ("41", &["2004", "2007", "2004", "2007", "2004"]),
            ("42", &["2004", "2004", "2004", "2004", "2004"]),
            ("50", &["2004", "2004", "2004", "2004", "2004"]),
            ("60", &["2004", "2004", "2004", "2004", "2004"]),
        ];
        check(card(1000), &ops, table);
    }

    #[test]
    fn three_d_secure_payments_cannot_change_amount() {
        let facts = Facts {
            three_d_secure: true,
            ..card(1000)
        };
        let ops = [
            Operation::CardRevisedAuthorize {
                new_total: Yen(800),
            },
            Operation::CardRevisedCapture {
                new_total: Yen(800),
            },
        ];
        assert_eq!(
            show(transition(PaymentStatus::Authorized, ops[0], facts)),
            "2014"
        );
        assert_eq!(
            show(transition(PaymentStatus::Captured, ops[1], facts)),
            "2014"
        );
        // PaymentStatus errors come first.
        assert_eq!(
            show(transition(PaymentStatus::Captured, ops[0], facts)),
            "2004"
        );
        // Everything else is allowed as for any card.
        assert_eq!(
            show(transition(
                PaymentStatus::Authorized,
                Operation::CardCapture,
                facts
            )),
            "ok/40"
        );
    }

    #[test]
    fn paidy_table() {
        let ops = [
            Operation::PaidyAuthorizeCancel,
            Operation::PaidyCapture,
            Operation::PaidyRefund { amount: None },
            Operation::PaidyRefund {
                amount: Some(Yen(300)),
            },
            Operation::PaidyRefund {
                amount: Some(Yen(1000)),
            },
            Operation::PaidyRefund {
                amount: Some(Yen(1001)),
            },
            Operation::PaidyRefund {
                amount: Some(Yen(0)),
            },
        ];
        #[rustfmt::skip]
        let table: &[(&str, &[&str])] = &[
            ("10", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("11", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("17", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("22", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("20", &["ok/32", "ok/40", "24003", "24003", "24003", "24003", "24003"]),
            ("30", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("31", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("32", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("33", &["24006", "24006", "24003", "24003", "24003", "24003", "24003"]),
            ("40", &["24003", "24003", "ok/60", "rev/60+40:700", "ok/60", "24007", "P014"]),
            ("41", &["24003", "24003", "24006", "24006", "24006", "24006", "24006"]),
            ("42", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("50", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
            ("60", &["24003", "24003", "24003", "24003", "24003", "24003", "24003"]),
        ];
        check(paidy(1000), &ops, table);
    }

    #[test]
    fn telegrams_for_the_other_method_do_not_find_the_payment() {
        assert_eq!(
            show(transition(
                PaymentStatus::Authorized,
                Operation::CardCapture,
                paidy(1)
            )),
            "2006"
        );
        assert_eq!(
            show(transition(
                PaymentStatus::Authorized,
                Operation::PaidyCapture,
                card(1)
            )),
            "24001"
        );
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn lapses_happen_exactly_at_the_deadline() {
        let rules = GatewayRules::default();
        let t0 = at("2030-01-01T00:00:00Z");
        let dates = Dates {
            created: t0,
            authorized: Some(t0),
            captured: Some(t0 + Duration::days(5)),
        };
        let due =
            |method, status, after: Duration| due_lapse(method, status, dates, &rules, t0 + after);
        let just_before = |d: i64| Duration::days(d) - Duration::seconds(1);
        assert_eq!(
            due(Method::Card, PaymentStatus::Authorized, just_before(60)),
            None
        );
        assert_eq!(
            due(Method::Card, PaymentStatus::Authorized, Duration::days(60)),
            Some(PaymentStatus::AuthorizationExpired)
        );
        assert_eq!(
            due(Method::Card, PaymentStatus::Applied, Duration::days(30)),
            Some(PaymentStatus::AuthorizationFailed)
        );
        assert_eq!(
            due(Method::Card, PaymentStatus::Captured, just_before(65)),
            None
        );
        assert_eq!(
            due(Method::Card, PaymentStatus::Captured, Duration::days(65)),
            Some(PaymentStatus::CapturedRefundWindowClosed)
        );
        assert_eq!(
            due(Method::Paidy, PaymentStatus::Authorized, just_before(90)),
            None
        );
        assert_eq!(
            due(Method::Paidy, PaymentStatus::Authorized, Duration::days(90)),
            Some(PaymentStatus::AuthorizationExpired)
        );
        assert_eq!(
            due(Method::Paidy, PaymentStatus::Captured, Duration::days(95)),
            Some(PaymentStatus::CapturedRefundWindowClosed)
        );
        for status in [
            PaymentStatus::Cancelled,
            PaymentStatus::Refunded,
            PaymentStatus::AuthorizationExpired,
        ] {
            assert_eq!(due(Method::Card, status, Duration::days(400)), None);
            assert_eq!(due(Method::Paidy, status, Duration::days(400)), None);
        }
    }

    #[test]
    fn status_codes_round_trip() {
        for status in SIM_STATUSES {
            assert_eq!(PaymentStatus::from_code(status.code()), Some(status));
        }
        assert!(is_notified(Method::Card, PaymentStatus::Applied));
        assert!(!is_notified(Method::Paidy, PaymentStatus::RefundPending));
    }
}
