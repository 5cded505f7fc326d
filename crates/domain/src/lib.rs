//! PayDesk's business rules, without I/O: no database, network, file system or clock.
//! Time comes in as `DateTime<Utc>` arguments.
//!
//! Layout: [`rules`] is the one table of deadlines and limits; [`order`] holds the order
//! and its vocabulary (lists, methods, capture modes, actors); [`operation`] checks an
//! operation against the rules and says which telegram does it ([`operation::check`]),
//! and computes deadlines; [`journal`] holds the idempotency decisions (settling an
//! unsettled operation with an inquiry, the retry table); [`notification`] reconciles a
//! gateway report with an order (PayDesk's change, the gateway's, or an outside one);
//! [`history`] renders change-history lines in Japanese and English; [`import`] reads
//! what every import file shares (encoding, yen, dates); [`storefront`] reads the shop's
//! storefront order export (CSV) and [`subscription_csv`] the subscription import file into
//! rows and per-row errors;
//! [`invoice`] holds the qualified-invoice rules (registration number, tax per rate);
//! [`search`] folds search text and stored fields into one comparable form;
//! [`three_d_secure`] reads what the gateway reports about a card payment's 3-D Secure.
//! [`money`] holds the movements of money (captures, refunds) and sales per Japan day or
//! month, [`deposits`] the settlement contract and each period's expected deposit, and
//! [`accounting`] writes them as journal entries for freee, Money Forward and Yayoi.
//! [`labels`] writes the carriers' shipping-label files and [`tracking`] reads their
//! issued-labels files (tracking numbers); [`order_mail`] names the shipping notice and
//! the order confirmation and says when an order cannot have one; [`mail_template`] names
//! every editable e-mail text (reminders and order mails) for their one template store.
//!
//! Invariants: nothing here derives `Serialize` (DTOs live at the IPC boundary); money is
//! [`Yen`]; no deadline or limit is written outside [`rules`] (a tidy test checks the
//! other crates).

pub mod accounting;
pub mod bank_statement;
pub mod bulk;
pub mod buyer;
pub mod deposit;
pub mod deposits;
pub mod history;
pub mod import;
pub mod invoice;
pub mod journal;
pub mod labels;
pub mod mail_template;
pub mod money;
pub mod notification;
pub mod operation;
pub mod order;
pub mod order_mail;
pub mod rules;
pub mod search;
pub mod storefront;
pub mod subscription;
pub mod subscription_csv;
pub mod three_d_secure;
pub mod tracking;

pub use history::Text;
pub use journal::{
    FailureCategory, JournalState, OperationKey, PendingOperation, RetryDecision, Settlement,
    Successor, retry_decision, settle, settle_at,
};
pub use notification::{Reconciliation, StatusReport, order_from_report, reconcile};
pub use operation::{
    Deadline, DeadlineKind, DeadlineState, Operation, OperationKind, PROCESSING_RULES, Plan,
    ProcessingRule, Refusal, available_operations, check, check_kind, deadline, deadline_state,
    processing_rule, refundable_amount, status_meaning,
};
pub use order::{Actor, CaptureMode, Order, OrderId, OrderList, PaymentMethod};
pub use paygent_codec::{PaymentStatus, TelegramKind, Yen};
pub use rules::{RULES, Rules};
pub use three_d_secure::{ThreeDSecureOutcome, outcome_of_record};
