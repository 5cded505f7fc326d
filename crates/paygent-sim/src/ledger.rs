//! The simulator's state: shops, payments, stored cards, card tokens, notification records
//! and the event log, with the operations that change them.
//!
//! Layout: plain data types first ([`Shop`], [`Payment`], [`NotificationRecord`],
//! [`Event`]); then [`Ledger`], whose methods take the current time and the
//! [`GatewayRules`] as arguments (the ledger never reads a clock and does no I/O); the
//! telegram handlers live in `telegram.rs`, the notification bookkeeping in `notice.rs`.
//! Every status change goes through [`Ledger::set_status`], which writes the payment's
//! history, the event log and (for notified statuses) a notification record, so no
//! change can skip the audit trail.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use paygent_codec::{PaymentStatus, Yen};
use serde::{Deserialize, Serialize};

use crate::clock::{jst_year_month, wire_timestamp};
use crate::codes;
use crate::rules::GatewayRules;
use crate::transition::{self, Dates, Facts, Method, Operation, Outcome};

/// A credential kept by the simulated gateway. `Debug` prints `<redacted>`; it is
/// serialized only into the simulator's own snapshot file (the gateway's "database").
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredSecret(String);

impl StoredSecret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> StoredSecret {
        StoredSecret(value.into())
    }

    /// The clear value, for comparisons and hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A payment service contracted by a shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Contract {
    /// Card payments (020–023, 028, 029).
    #[serde(rename = "card")]
    Card,
    /// Stored cards (025–027, 020 with stock_card_mode=1).
    #[serde(rename = "stored_card")]
    StoredCard,
    /// Paidy (340–343).
    #[serde(rename = "paidy")]
    Paidy,
    /// EMV 3-D Secure (020 with 3dsecure_use_type=2).
    #[serde(rename = "3ds")]
    ThreeDSecure,
}

/// A merchant account at the simulated gateway.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shop {
    /// The merchant ID (digits).
    pub merchant_id: String,
    /// The connect ID.
    pub connect_id: String,
    /// The connect password.
    pub connect_password: StoredSecret,
    /// The key for the notification `hc`.
    pub hash_key: StoredSecret,
    /// Where notifications are pushed; `None` = 091 only.
    pub notify_url: Option<String>,
    /// The contracted services.
    pub contracts: BTreeSet<Contract>,
    /// Source addresses allowed to send telegrams (P015); `None` = any.
    pub source_ip_allow: Option<Vec<IpAddr>>,
}

/// A card as the gateway holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardDetails {
    /// The card number (a test number; the stub reads its last four digits).
    pub number: String,
    /// Expiry, MMYY.
    pub valid_term: String,
    /// Cardholder name.
    pub holder: String,
    /// The stored card's customer, if the payment used one.
    pub customer_id: Option<String>,
    /// The stored card's id, if the payment used one.
    pub customer_card_id: Option<String>,
}

impl CardDetails {
    /// The fingerprint the gateway returns: stable per card number.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.number.as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// A Paidy buyer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Buyer {
    /// Name in kanji.
    pub name: String,
    /// Name in kana.
    #[serde(default)]
    pub name_kana: String,
    /// E-mail.
    pub email: String,
    /// Mobile phone.
    pub phone: String,
}

/// A shipping address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Address {
    /// Postal code.
    #[serde(default)]
    pub zip: String,
    /// Prefecture.
    #[serde(default)]
    pub state: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Street address.
    #[serde(default)]
    pub line1: String,
    /// Building.
    #[serde(default)]
    pub line2: String,
}

/// An order line as Paidy reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    /// Item id.
    #[serde(default)]
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Unit price in yen.
    pub unit_price: i64,
    /// Quantity.
    pub quantity: i64,
}

/// What the Paidy checkout reported for a payment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaidyDetails {
    /// Paidy's own id (`pay_…`).
    pub paidy_payment_id: String,
    /// The buyer.
    pub buyer: Buyer,
    /// Shipping address.
    pub shipping: Address,
    /// Order lines.
    pub items: Vec<Item>,
    /// Shipping fee.
    pub order_shipping: i64,
    /// Tax.
    pub order_tax: i64,
    /// Store name shown by Paidy.
    pub store_name: String,
}

/// One line of a payment's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// The status before (`None` on creation).
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// What caused it: `telegram 022`, `batch`, `cart 022`, `outside capture`, …
    pub cause: String,
}

/// A payment at the gateway.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payment {
    /// The gateway's payment ID.
    pub payment_id: String,
    /// The owning merchant.
    pub merchant_id: String,
    /// The merchant's trading ID.
    pub trading_id: Option<String>,
    /// Card or Paidy.
    pub method: Method,
    /// The current status.
    #[serde(with = "codes::status")]
    pub status: PaymentStatus,
    /// The current amount.
    #[serde(with = "codes::yen")]
    pub amount: Yen,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Authorization time.
    pub authorized_at: Option<DateTime<Utc>>,
    /// Capture time.
    pub captured_at: Option<DateTime<Utc>>,
    /// Cancel / refund time.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the storefront cart sends its capture for an "authorize and capture" order
    /// (the cart's behaviour; the gateway itself never captures on its own).
    #[serde(alias = "auto_capture_at")]
    pub cart_capture_at: Option<DateTime<Utc>>,
    /// Authenticated with 3-D Secure: the amount cannot be changed (2014).
    pub three_d_secure: bool,
    /// `payment_class` of the 020.
    pub payment_class: String,
    /// `split_count` of the 020.
    pub split_count: String,
    /// The card, for card payments.
    pub card: Option<CardDetails>,
    /// The checkout data, for Paidy payments.
    pub paidy: Option<PaidyDetails>,
    /// The payment this one revised (028/029, Paidy partial refund).
    pub base_payment_id: Option<String>,
    /// The payment that revised this one.
    pub next_payment_id: Option<String>,
    /// 020 re-authorizations received in status 10.
    pub reauthorizations: u32,
    /// Changed through the gateway's own admin site (an outside operation).
    pub changed_outside: bool,
    /// The operation a processing status (30/31/42/50) holds, while it is parked there.
    #[serde(default)]
    pub parked: Option<ParkedOperation>,
    /// Every status change.
    pub history: Vec<HistoryEntry>,
}

/// How a telegram's work stops half-way (the `processing` faults, §5.2–§5.3, §4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Processing {
    /// The operation stops in its processing status: 021 → 31, 022 → 30, 023 → 42,
    /// 340 → 31, 341 → 30, 342 → 42; answered 2008 (card) or 24005 (Paidy).
    Parked,
    /// As `Parked`, but 023 gets as far as the settlement step: 50.
    Settling,
}

/// What a parked payment is waiting to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParkedKind {
    /// 022 / 341 (30).
    Capture,
    /// 021 / 340 (31).
    Cancel,
    /// 023 / 342 (42, 50).
    Refund,
}

/// An operation parked in a processing status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParkedOperation {
    /// What it was.
    pub kind: ParkedKind,
    /// A Paidy partial refund's amount.
    #[serde(default)]
    pub refund_amount: Option<i64>,
    /// When it was parked.
    pub since: DateTime<Utc>,
    /// When the gateway finishes it on its own (`None`: only a retry of the same
    /// telegram, or the control API, moves it on).
    pub resolves_at: Option<DateTime<Utc>>,
}

/// The processing status an operation parks in (§5.2, §4.9), if it has one.
pub fn parking_status(
    op: Operation,
    processing: Processing,
) -> Option<(ParkedKind, PaymentStatus)> {
    use PaymentStatus as S;
    Some(match op {
        Operation::CardCapture | Operation::PaidyCapture => {
            (ParkedKind::Capture, S::CapturePending)
        }
        Operation::CardAuthorizeCancel | Operation::PaidyAuthorizeCancel => {
            (ParkedKind::Cancel, S::CancelPending)
        }
        Operation::CardCaptureCancel if processing == Processing::Settling => {
            (ParkedKind::Refund, S::RefundSettling)
        }
        Operation::CardCaptureCancel | Operation::PaidyRefund { .. } => {
            (ParkedKind::Refund, S::RefundPending)
        }
        _ => return None,
    })
}

/// Whether a status is one of the processing statuses (card 30/31/42/50, Paidy 30/31/42).
pub fn is_processing(status: PaymentStatus) -> bool {
    matches!(
        status,
        PaymentStatus::CapturePending
            | PaymentStatus::CancelPending
            | PaymentStatus::RefundPending
            | PaymentStatus::RefundSettling
    )
}

impl Payment {
    fn facts(&self) -> Facts {
        Facts {
            method: self.method,
            amount: self.amount,
            three_d_secure: self.three_d_secure,
        }
    }

    fn dates(&self) -> Dates<DateTime<Utc>> {
        Dates {
            created: self.created_at,
            authorized: self.authorized_at,
            captured: self.captured_at,
        }
    }
}

/// A card registered for a customer (025).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCard {
    /// The gateway's id.
    pub customer_card_id: String,
    /// The card.
    pub card: CardDetails,
    /// Detected brand.
    pub brand: String,
    /// Free items add_info1..4.
    pub add_info: [String; 4],
    /// Registration time.
    pub registered_at: DateTime<Utc>,
    /// Last successful 020 with this card.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Registered with a validity check (025 `valid_check_flg=1`), when.
    #[serde(default)]
    pub valid_checked_at: Option<DateTime<Utc>>,
}

/// A one-time card token, as PaygentToken.js would have created it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardToken {
    /// The merchant it was created for.
    pub merchant_id: String,
    /// The card behind it.
    pub card: CardDetails,
    /// A CVC-only token (`security_code_token=1`).
    pub cvc_only: bool,
    /// Expiry of the token.
    pub valid_until: DateTime<Utc>,
    /// Used by a successful telegram.
    pub used: bool,
}

/// A notification record (§7): one per status change into a notified status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotificationRecord {
    /// Consecutive per merchant, from 1.
    pub payment_notice_id: u64,
    /// Creation time (`change_date`).
    pub created_at: DateTime<Utc>,
    /// The payment it describes.
    pub payment_id: String,
    /// The record's items in wire order, from `payment_notice_id` onward.
    pub fields: Vec<(String, String)>,
    /// Returned by 091 without an id.
    pub fetched: bool,
    /// Delivered by push (answered exactly `result=0`).
    pub pushed: bool,
    /// Push attempts so far.
    pub push_attempts: u32,
}

/// Push bookkeeping per merchant.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PushState {
    /// Failures in a row.
    pub consecutive_failures: u32,
    /// Pushing resumes at this time.
    pub suspended_until: Option<DateTime<Utc>>,
    /// The next attempt after a failure.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A merchant's notification records.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MerchantNotices {
    /// Records not yet purged, by id.
    pub records: Vec<NotificationRecord>,
    /// The next payment_notice_id.
    pub next_id: u64,
    /// A record was purged before 091 returned it: the next 091 answers success_code=2.
    pub purge_gap_pending: bool,
    /// Push state.
    pub push: PushState,
}

/// What the event log records.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventDetail {
    /// A telegram received on the gateway listener.
    Telegram {
        /// telegram_kind as sent (may be unknown or empty).
        kind: String,
        /// merchant_id as sent.
        merchant_id: String,
        /// The payment it named or created.
        payment_id: Option<String>,
        /// The payment created by a revision.
        new_payment_id: Option<String>,
        /// `result`.
        result: String,
        /// `response_code`.
        response_code: String,
        /// `response_detail`.
        response_detail: String,
        /// The injected fault that fired, if any.
        fault: Option<String>,
        /// Whether the telegram was processed (false when a fault answered instead).
        processed: bool,
    },
    /// A status change.
    StatusChange {
        /// The payment.
        payment_id: String,
        /// Status before.
        from: Option<String>,
        /// Status after.
        to: String,
        /// The cause, as in the payment history.
        cause: String,
    },
    /// A notification push attempt.
    NotificationPush {
        /// The merchant.
        merchant_id: String,
        /// The record.
        payment_notice_id: u64,
        /// 1 for the first attempt of this record.
        attempt: u32,
        /// Answered exactly `result=0`.
        delivered: bool,
        /// What went wrong, or `result=0`.
        detail: String,
    },
    /// A control API action that changed state.
    Control {
        /// The action.
        action: String,
        /// Details.
        detail: String,
    },
}

/// One entry of the event log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Position in the log, from 1.
    pub seq: u64,
    /// Simulated time.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub detail: EventDetail,
}

/// A control-level error: the control API turns it into `{error}` with a 4xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// Unknown entity.
    #[error("{0} not found")]
    NotFound(String),
    /// Invalid request.
    #[error("{0}")]
    Invalid(String),
    /// The operation is not allowed in the payment's state.
    #[error("refused by the gateway rules: {code}")]
    Refused {
        /// The code the gateway would answer.
        code: String,
    },
}

/// What a finished Paidy checkout reports to the gateway.
#[derive(Debug, Clone)]
pub struct PaidyOrder {
    /// Paidy's `order_ref`, kept as trading_id when it is alnum/`_` and at most 25 long.
    pub trading_id: Option<String>,
    /// The order amount.
    pub amount: Yen,
    /// Buyer, items, shipping.
    pub details: PaidyDetails,
    /// Authorize-and-capture at the cart: the cart sends 341 after the rules' delay.
    pub cart_capture: bool,
}

/// A gateway refusal: `result=1` with this code and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// response_code.
    pub code: String,
    /// response_detail (a vendor code, or empty for the default message).
    pub detail: String,
    /// A payment ID to return anyway (2003 input errors; 2010/2012 partial revisions).
    pub payment_id: Option<String>,
}

impl Refusal {
    /// A refusal without a payment ID.
    pub fn new(code: &str, detail: &str) -> Refusal {
        Refusal {
            code: code.into(),
            detail: detail.into(),
            payment_id: None,
        }
    }
}

/// The whole simulated gateway state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ledger {
    /// Shops by merchant ID.
    pub shops: BTreeMap<String, Shop>,
    /// Payments by payment ID.
    pub payments: BTreeMap<String, Payment>,
    /// Stored cards by `merchant_id/customer_id`.
    pub stored_cards: BTreeMap<String, Vec<StoredCard>>,
    /// Card tokens by token.
    pub tokens: BTreeMap<String, CardToken>,
    /// Notification records by merchant ID.
    pub notices: BTreeMap<String, MerchantNotices>,
    /// The event log.
    pub events: Vec<Event>,
    /// Used 3-D Secure authentication ids (31010 on reuse).
    pub used_3ds_auth_ids: BTreeSet<String>,
    /// EMV 3-D Secure authentications started by 450, by `3ds_auth_id`.
    #[serde(default)]
    pub three_ds: BTreeMap<String, crate::three_ds::ThreeDsAuth>,
    /// Counter for payment IDs.
    pub next_payment_seq: u64,
    /// Counter for customer card IDs.
    pub next_card_seq: u64,
    /// Counter for tokens and Paidy ids.
    pub next_token_seq: u64,
}

/// The cause recorded when a change comes from a telegram.
pub fn telegram_cause(kind: &str) -> String {
    format!("telegram {kind}")
}

impl Ledger {
    /// An empty gateway.
    pub fn new() -> Ledger {
        Ledger {
            next_payment_seq: 0,
            ..Ledger::default()
        }
    }

    /// Appends an event and returns its sequence number.
    pub fn log(&mut self, at: DateTime<Utc>, detail: EventDetail) -> u64 {
        let seq = self.events.last().map_or(1, |e| e.seq + 1);
        self.events.push(Event { seq, at, detail });
        seq
    }

    /// A fresh payment ID: 16 digits, as the official client's captured telegrams show
    /// them (the field holds 18 at most).
    pub fn new_payment_id(&mut self) -> String {
        self.next_payment_seq += 1;
        format!("{}", 3_000_000_000_000_000 + self.next_payment_seq)
    }

    fn new_token_seq(&mut self) -> u64 {
        self.next_token_seq += 1;
        self.next_token_seq
    }

    // ----- shops -----

    /// Creates or replaces a shop.
    pub fn upsert_shop(&mut self, now: DateTime<Utc>, shop: Shop) -> Result<(), LedgerError> {
        if shop.merchant_id.is_empty()
            || shop.merchant_id.len() > 9
            || !shop.merchant_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(LedgerError::Invalid(
                "merchant_id must be 1 to 9 digits".into(),
            ));
        }
        if shop.connect_id.is_empty() || shop.connect_password.expose().is_empty() {
            return Err(LedgerError::Invalid(
                "connect_id and connect_password are required".into(),
            ));
        }
        let detail = format!("shop {}", shop.merchant_id);
        self.notices
            .entry(shop.merchant_id.clone())
            .or_insert_with(|| MerchantNotices {
                next_id: 1,
                ..MerchantNotices::default()
            });
        self.shops.insert(shop.merchant_id.clone(), shop);
        self.log(
            now,
            EventDetail::Control {
                action: "create_shop".into(),
                detail,
            },
        );
        Ok(())
    }

    /// The shop, or NotFound.
    pub fn shop(&self, merchant_id: &str) -> Result<&Shop, LedgerError> {
        self.shops
            .get(merchant_id)
            .ok_or_else(|| LedgerError::NotFound(format!("shop {merchant_id}")))
    }

    // ----- payments and status changes -----

    /// Inserts a new payment in its initial status, with history, event and notification.
    pub fn insert_payment(
        &mut self,
        now: DateTime<Utc>,
        mut payment: Payment,
        cause: &str,
        rules: &GatewayRules,
    ) -> String {
        let id = payment.payment_id.clone();
        let to = payment.status;
        payment.history.push(HistoryEntry {
            at: now,
            from: None,
            to: to.code().into(),
            cause: cause.into(),
        });
        if to == PaymentStatus::Authorized && payment.authorized_at.is_none() {
            payment.authorized_at = Some(now);
        }
        let method = payment.method;
        self.payments.insert(id.clone(), payment);
        self.log(
            now,
            EventDetail::StatusChange {
                payment_id: id.clone(),
                from: None,
                to: to.code().into(),
                cause: cause.into(),
            },
        );
        if transition::is_notified(method, to) {
            let event = (method == Method::Paidy).then_some(("authorize", "success"));
            self.add_notification(now, &id, event, rules);
        }
        id
    }

    /// Moves a payment to `to`, recording history, event and notification.
    pub fn set_status(
        &mut self,
        now: DateTime<Utc>,
        payment_id: &str,
        to: PaymentStatus,
        cause: &str,
        rules: &GatewayRules,
    ) {
        let Some(payment) = self.payments.get_mut(payment_id) else {
            return;
        };
        let from = payment.status;
        payment.status = to;
        if !is_processing(to) {
            payment.parked = None;
        }
        match to {
            PaymentStatus::Authorized => {
                payment.authorized_at.get_or_insert(now);
            }
            PaymentStatus::Captured => {
                payment.captured_at = Some(now);
                payment.cart_capture_at = None;
            }
            PaymentStatus::Cancelled
            | PaymentStatus::Refunded
            | PaymentStatus::AuthorizationExpired => {
                payment.cancelled_at = Some(now);
                payment.cart_capture_at = None;
            }
            _ => {}
        }
        payment.history.push(HistoryEntry {
            at: now,
            from: Some(from.code().into()),
            to: to.code().into(),
            cause: cause.into(),
        });
        let method = payment.method;
        self.log(
            now,
            EventDetail::StatusChange {
                payment_id: payment_id.into(),
                from: Some(from.code().into()),
                to: to.code().into(),
                cause: cause.into(),
            },
        );
        if transition::is_notified(method, to) {
            let event = (method == Method::Paidy).then(|| paidy_event(from, to));
            self.add_notification(now, payment_id, event, rules);
        }
    }

    /// Creates the payment that revises `base_id` (028, 029, Paidy partial refund).
    pub fn create_revision(
        &mut self,
        now: DateTime<Utc>,
        base_id: &str,
        new_status: PaymentStatus,
        new_amount: Yen,
        cause: &str,
        rules: &GatewayRules,
    ) -> Option<String> {
        let base = self.payments.get(base_id)?.clone();
        let new_id = self.new_payment_id();
        let mut payment = base.clone();
        payment.payment_id = new_id.clone();
        payment.status = new_status;
        payment.amount = new_amount;
        payment.created_at = now;
        payment.base_payment_id = Some(base_id.into());
        payment.next_payment_id = None;
        payment.history = Vec::new();
        payment.changed_outside = false;
        payment.cart_capture_at = None;
        payment.cancelled_at = None;
        payment.reauthorizations = 0;
        payment.parked = None;
        match base.method {
            // A card revision is a new authorization (and capture, for 029).
            Method::Card => {
                payment.authorized_at = Some(now);
                payment.captured_at = (new_status == PaymentStatus::Captured).then_some(now);
            }
            // A Paidy remainder keeps the original capture date, so the refund window
            // still runs from the capture (§11 Q7).
            Method::Paidy => {}
        }
        if let Some(b) = self.payments.get_mut(base_id) {
            b.next_payment_id = Some(new_id.clone());
        }
        let method = payment.method;
        payment.history.push(HistoryEntry {
            at: now,
            from: None,
            to: new_status.code().into(),
            cause: cause.into(),
        });
        self.payments.insert(new_id.clone(), payment);
        self.log(
            now,
            EventDetail::StatusChange {
                payment_id: new_id.clone(),
                from: None,
                to: new_status.code().into(),
                cause: cause.into(),
            },
        );
        if transition::is_notified(method, new_status) {
            let event = (method == Method::Paidy).then_some(("refund", "success"));
            self.add_notification(now, &new_id, event, rules);
        }
        Some(new_id)
    }

    /// Applies the pure transition for `op` to a payment and performs its effects.
    /// Returns the new payment ID for revisions. Card stub failures of cancels and
    /// revisions are applied here (not for outside operations: the admin site's own
    /// operations are not routed through the stub).
    pub fn apply_operation(
        &mut self,
        now: DateTime<Utc>,
        payment_id: &str,
        op: Operation,
        cause: &str,
        rules: &GatewayRules,
    ) -> Result<Option<String>, Refusal> {
        self.apply_operation_with(now, payment_id, op, cause, rules, None)
    }

    /// [`Ledger::apply_operation`], with a processing fault: an operation the gateway
    /// accepts stops in its processing status instead (§5.2, §4.9) and is answered with
    /// the processing error, 2008 (card, "retry") or 24005 (Paidy timeout). Card 31 and
    /// every Paidy parking status are finished by the gateway itself after the rules'
    /// delay (§11 Q3, see `GatewayRules`); card 30/42/50 wait for the retry of the same
    /// telegram (§5.3 "retry → 40/60").
    pub fn apply_operation_with(
        &mut self,
        now: DateTime<Utc>,
        payment_id: &str,
        op: Operation,
        cause: &str,
        rules: &GatewayRules,
        processing: Option<Processing>,
    ) -> Result<Option<String>, Refusal> {
        let Some(payment) = self.payments.get(payment_id) else {
            return Err(Refusal::new("2006", ""));
        };
        let outcome = transition::transition(payment.status, op, payment.facts());
        let accepted = matches!(outcome, Outcome::Moved { .. } | Outcome::Revised { .. });
        if let Some((kind, parking)) = processing
            .filter(|_| accepted)
            .and_then(|p| parking_status(op, p))
        {
            let method = payment.method;
            let status = payment.status;
            let refund_amount = match op {
                Operation::PaidyRefund { amount: Some(a) } if a != payment.amount => Some(a.0),
                _ => None,
            };
            let resolves_at =
                transition::self_resolution(method, parking, rules).map(|(after, _)| now + after);
            // A retry that fails again leaves the payment where it is (42 may move on to
            // 50 when the retry gets as far as the settlement).
            if status != parking && status != PaymentStatus::RefundSettling {
                self.set_status(now, payment_id, parking, cause, rules);
            }
            if let Some(p) = self.payments.get_mut(payment_id) {
                let since = p.parked.as_ref().map_or(now, |q| q.since);
                p.parked = Some(ParkedOperation {
                    kind,
                    refund_amount,
                    since,
                    resolves_at,
                });
            }
            return Err(match method {
                Method::Card => Refusal::new("2008", ""),
                Method::Paidy => Refusal::new("24005", ""),
            });
        }
        let card_number = payment.card.as_ref().map(|c| c.number.clone());
        let stubbed = card_number.filter(|_| !cause.starts_with("outside"));
        match outcome {
            Outcome::Moved { to } => {
                let is_cancel = matches!(
                    op,
                    Operation::CardAuthorizeCancel | Operation::CardCaptureCancel
                );
                if let Some((code, detail)) = stubbed
                    .as_deref()
                    .filter(|_| is_cancel)
                    .and_then(crate::card_stub::cancel_failure)
                {
                    return Err(Refusal::new(code, &detail));
                }
                self.set_status(now, payment_id, to, cause, rules);
                Ok(None)
            }
            Outcome::Revised {
                base_to,
                new_status,
                new_amount,
            } => {
                let new_id =
                    self.create_revision(now, payment_id, new_status, new_amount, cause, rules);
                if stubbed
                    .as_deref()
                    .is_some_and(crate::card_stub::revision_cancel_fails)
                {
                    let code = if matches!(op, Operation::CardRevisedAuthorize { .. }) {
                        "2010"
                    } else {
                        "2012"
                    };
                    return Err(Refusal {
                        payment_id: new_id,
                        ..Refusal::new(code, "")
                    });
                }
                self.set_status(now, payment_id, base_to, cause, rules);
                Ok(new_id)
            }
            Outcome::Unchanged => Ok(None),
            Outcome::Reauthorize => Err(Refusal::new("2004", "")),
            Outcome::Refused { code, detail } => Err(Refusal::new(code, detail)),
        }
    }

    // ----- batch work -----

    /// Runs every deadline-driven change due at `now`: the cart's captures, lapses, purges.
    /// Returns how many payments changed.
    pub fn run_due(&mut self, now: DateTime<Utc>, rules: &GatewayRules) -> usize {
        let mut changed = 0;
        // The storefront cart's captures of its "authorize and capture" orders: the same
        // telegram (022 / 341) under the same rules as any other; one the gateway refuses
        // (the order was cancelled meanwhile) is dropped, as the cart would.
        let due_captures: Vec<(String, Method)> = self
            .payments
            .values()
            .filter(|p| p.cart_capture_at.is_some_and(|t| t <= now))
            .map(|p| (p.payment_id.clone(), p.method))
            .collect();
        for (id, method) in due_captures {
            if let Some(p) = self.payments.get_mut(&id) {
                p.cart_capture_at = None;
            }
            let (op, cause) = match method {
                Method::Card => (Operation::CardCapture, "cart 022"),
                Method::Paidy => (Operation::PaidyCapture, "cart 341"),
            };
            if let Ok(None) = self.apply_operation(now, &id, op, cause, rules) {
                changed += 1;
            }
        }
        let lapses: Vec<(String, PaymentStatus)> = self
            .payments
            .values()
            .filter_map(|p| {
                transition::due_lapse(p.method, p.status, p.dates(), rules, now)
                    .map(|to| (p.payment_id.clone(), to))
            })
            .collect();
        for (id, to) in lapses {
            self.set_status(now, &id, to, "batch", rules);
            changed += 1;
        }
        // Parked operations the gateway finishes on its own (card 31: Paygent retries the
        // cancel; Paidy 30/31/42: Paygent polls Paidy), with success (§11 Q3).
        let resolving: Vec<String> = self
            .payments
            .values()
            .filter(|p| {
                is_processing(p.status)
                    && p.parked
                        .as_ref()
                        .and_then(|q| q.resolves_at)
                        .is_some_and(|t| t <= now)
            })
            .map(|p| p.payment_id.clone())
            .collect();
        for id in resolving {
            if self
                .resolve_parked(now, &id, true, "processing resolved", rules)
                .is_ok()
            {
                changed += 1;
            }
        }
        self.expire_three_ds(now, rules);
        self.purge_notifications(now, rules);
        changed
    }

    /// Finishes a parked operation (§5.2, §4.9, §7.3): with `success` it ends as the
    /// operation would have (30 → 40, 31 → 32, 42/50 → 60; a Paidy partial refund makes
    /// its remainder payment); otherwise the payment goes back (30 → 20, 31 → 20,
    /// 42/50 → 40). Returns the new payment of a Paidy partial refund.
    pub fn resolve_parked(
        &mut self,
        now: DateTime<Utc>,
        payment_id: &str,
        success: bool,
        cause: &str,
        rules: &GatewayRules,
    ) -> Result<Option<String>, LedgerError> {
        use PaymentStatus as S;
        let payment = self
            .payments
            .get(payment_id)
            .ok_or_else(|| LedgerError::NotFound(format!("payment {payment_id}")))?;
        let status = payment.status;
        if !is_processing(status) {
            return Err(LedgerError::Invalid(format!(
                "payment {payment_id} is in {}, not in a processing status",
                status.code()
            )));
        }
        let refund_amount = payment
            .parked
            .as_ref()
            .and_then(|p| p.refund_amount)
            .map(Yen);
        let amount = payment.amount;
        let to = match (status, success) {
            (S::CapturePending, true) => S::Captured,
            (S::CancelPending, true) => S::Cancelled,
            (S::RefundPending | S::RefundSettling, true) => S::Refunded,
            (S::CapturePending | S::CancelPending, false) => S::Authorized,
            _ => S::Captured,
        };
        if let (true, Some(refund)) = (success, refund_amount) {
            let remaining = Yen(amount.0 - refund.0);
            let new_id =
                self.create_revision(now, payment_id, S::Captured, remaining, cause, rules);
            self.set_status(now, payment_id, S::Refunded, cause, rules);
            return Ok(new_id);
        }
        self.set_status(now, payment_id, to, cause, rules);
        Ok(None)
    }

    // ----- stored cards and tokens -----

    fn stored_key(merchant_id: &str, customer_id: &str) -> String {
        format!("{merchant_id}/{customer_id}")
    }

    /// The customer's stored cards.
    pub fn stored_cards_of(&self, merchant_id: &str, customer_id: &str) -> &[StoredCard] {
        self.stored_cards
            .get(&Self::stored_key(merchant_id, customer_id))
            .map_or(&[], Vec::as_slice)
    }

    /// Registers a card for a customer. Errors carry the gateway code (P023 when full).
    pub fn register_card(
        &mut self,
        now: DateTime<Utc>,
        merchant_id: &str,
        customer_id: &str,
        mut card: CardDetails,
        add_info: [String; 4],
        rules: &GatewayRules,
    ) -> Result<String, &'static str> {
        if self.stored_cards_of(merchant_id, customer_id).len() >= rules.stored_cards_per_customer {
            return Err("P023");
        }
        self.next_card_seq += 1;
        let id = format!("{}", self.next_card_seq);
        card.customer_id = Some(customer_id.into());
        card.customer_card_id = Some(id.clone());
        let brand = crate::card_stub::brand(&card.number).to_owned();
        self.stored_cards
            .entry(Self::stored_key(merchant_id, customer_id))
            .or_default()
            .push(StoredCard {
                customer_card_id: id.clone(),
                card,
                brand,
                add_info,
                registered_at: now,
                last_used_at: None,
                valid_checked_at: None,
            });
        Ok(id)
    }

    /// Deletes one card, or all of the customer's cards when `customer_card_id` is `None`.
    /// Returns the number of cards left, or `None` when nothing was found (P022).
    pub fn delete_cards(
        &mut self,
        merchant_id: &str,
        customer_id: &str,
        customer_card_id: Option<&str>,
    ) -> Option<usize> {
        let key = Self::stored_key(merchant_id, customer_id);
        let cards = self.stored_cards.get_mut(&key)?;
        let before = cards.len();
        match customer_card_id {
            Some(id) => cards.retain(|c| c.customer_card_id != id),
            None => cards.clear(),
        }
        (cards.len() < before).then_some(cards.len())
    }

    /// Finds a stored card.
    pub fn stored_card_mut(
        &mut self,
        merchant_id: &str,
        customer_id: &str,
        customer_card_id: &str,
    ) -> Option<&mut StoredCard> {
        self.stored_cards
            .get_mut(&Self::stored_key(merchant_id, customer_id))?
            .iter_mut()
            .find(|c| c.customer_card_id == customer_card_id)
    }

    /// Creates a one-time card token.
    pub fn create_token(
        &mut self,
        merchant_id: &str,
        card: CardDetails,
        cvc_only: bool,
        valid_until: DateTime<Utc>,
    ) -> String {
        let seq = self.new_token_seq();
        let token = format!("tok_{seq:08}{}", &card.fingerprint()[..8]);
        self.tokens.insert(
            token.clone(),
            CardToken {
                merchant_id: merchant_id.into(),
                card,
                cvc_only,
                valid_until,
                used: false,
            },
        );
        token
    }

    /// A fresh Paidy payment id.
    pub fn new_paidy_payment_id(&mut self) -> String {
        let seq = self.new_token_seq();
        format!("pay_sim{seq:012}")
    }

    // ----- checkouts (control API) -----

    /// Creates a Paidy payment as if Paidy checkout had finished (status 20, event
    /// `authorize`); with `cart_capture` the cart sends 341 after the rules' delay.
    pub fn paidy_checkout(
        &mut self,
        now: DateTime<Utc>,
        merchant_id: &str,
        order: PaidyOrder,
        rules: &GatewayRules,
    ) -> Result<String, LedgerError> {
        let PaidyOrder {
            trading_id,
            amount,
            details,
            cart_capture,
        } = order;
        let shop = self.shop(merchant_id)?;
        if !shop.contracts.contains(&Contract::Paidy) {
            return Err(LedgerError::Refused {
                code: "P007".into(),
            });
        }
        if amount.0 <= 0 || amount.0 > rules.paidy_amount_limit {
            return Err(LedgerError::Invalid(format!(
                "Paidy amount must be 1 to {} yen",
                rules.paidy_amount_limit
            )));
        }
        if !is_mobile_phone(&details.buyer.phone) {
            return Err(LedgerError::Invalid(
                "Paidy needs a mobile phone number (070/080/090)".into(),
            ));
        }
        // Paygent keeps order_ref as trading_id only when it is alnum/_ and ≤ 25.
        let trading_id = trading_id.filter(|t| is_trading_id(t));
        let payment_id = self.new_payment_id();
        let payment = Payment {
            payment_id,
            merchant_id: merchant_id.into(),
            trading_id,
            method: Method::Paidy,
            status: PaymentStatus::Authorized,
            amount,
            created_at: now,
            authorized_at: Some(now),
            captured_at: None,
            cancelled_at: None,
            cart_capture_at: cart_capture.then(|| now + rules.cart_capture_delay),
            three_d_secure: false,
            payment_class: String::new(),
            split_count: String::new(),
            card: None,
            paidy: Some(details),
            base_payment_id: None,
            next_payment_id: None,
            reauthorizations: 0,
            changed_outside: false,
            parked: None,
            history: Vec::new(),
        };
        Ok(self.insert_payment(now, payment, "paidy checkout", rules))
    }

    /// An operation done on Paygent's own admin site: the same rules, another cause, and
    /// the payment is marked as changed outside.
    pub fn outside_operation(
        &mut self,
        now: DateTime<Utc>,
        payment_id: &str,
        operation: &str,
        amount: Option<Yen>,
        rules: &GatewayRules,
    ) -> Result<Option<String>, LedgerError> {
        let payment = self
            .payments
            .get(payment_id)
            .ok_or_else(|| LedgerError::NotFound(format!("payment {payment_id}")))?;
        let (method, status, current) = (payment.method, payment.status, payment.amount);
        let need_amount =
            || amount.ok_or_else(|| LedgerError::Invalid("amount is required".into()));
        let op = match (method, operation) {
            (Method::Card, "capture") => Operation::CardCapture,
            (Method::Card, "cancel") => Operation::CardAuthorizeCancel,
            (Method::Card, "refund") => Operation::CardCaptureCancel,
            (Method::Card, "partial_refund") => Operation::CardRevisedCapture {
                new_total: Yen(current.0 - need_amount()?.0),
            },
            (Method::Card, "amount_change") if status == PaymentStatus::Captured => {
                Operation::CardRevisedCapture {
                    new_total: need_amount()?,
                }
            }
            (Method::Card, "amount_change") => Operation::CardRevisedAuthorize {
                new_total: need_amount()?,
            },
            (Method::Paidy, "capture") => Operation::PaidyCapture,
            (Method::Paidy, "cancel") => Operation::PaidyAuthorizeCancel,
            (Method::Paidy, "refund") => Operation::PaidyRefund { amount: None },
            (Method::Paidy, "partial_refund") => Operation::PaidyRefund {
                amount: Some(need_amount()?),
            },
            _ => {
                return Err(LedgerError::Invalid(format!(
                    "operation {operation} is not available for this payment"
                )));
            }
        };
        let cause = format!("outside {operation}");
        let new_id = self
            .apply_operation(now, payment_id, op, &cause, rules)
            .map_err(|r| LedgerError::Refused { code: r.code })?;
        for id in [Some(payment_id.to_owned()), new_id.clone()]
            .into_iter()
            .flatten()
        {
            if let Some(p) = self.payments.get_mut(&id) {
                p.changed_outside = true;
            }
        }
        Ok(new_id)
    }

    /// The current year and month (JST) for card expiry checks.
    pub fn card_month(now: DateTime<Utc>) -> (i32, u32) {
        jst_year_month(now)
    }

    /// The notification record items for a payment in its current state.
    pub fn record_fields(
        &self,
        payment: &Payment,
        notice_id: u64,
        now: DateTime<Utc>,
        event: Option<(&str, &str)>,
    ) -> Vec<(String, String)> {
        let ts = |t: Option<DateTime<Utc>>| t.map(wire_timestamp).unwrap_or_default();
        let mut f: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: String| f.push((k.to_owned(), v));
        put("payment_notice_id", notice_id.to_string());
        put("change_date", wire_timestamp(now));
        put("payment_id", payment.payment_id.clone());
        put("trading_id", payment.trading_id.clone().unwrap_or_default());
        put("payment_type", payment.method.payment_type().code().into());
        put("site_id", String::new());
        put("payment_status", payment.status.code().into());
        put("payment_amount", payment.amount.0.to_string());
        match payment.method {
            Method::Card => {
                let card = payment.card.as_ref();
                let (acq_id, acq_name, issur_name) =
                    card.map_or(("", "", ""), |c| crate::card_stub::acquirer(&c.number));
                put("payment_init_date", wire_timestamp(payment.created_at));
                put("cancel_date", ts(payment.cancelled_at));
                put("payment_date", ts(payment.captured_at));
                put("acq_id", acq_id.into());
                put("acq_name", acq_name.into());
                put("payment_class", payment.payment_class.clone());
                put("split_count", payment.split_count.clone());
                put("issur_name", issur_name.into());
                put(
                    "3dsecure_ryaku",
                    if payment.three_d_secure { "0" } else { "1" }.into(),
                );
                // §7.3: `attempt_kbn` (0 = authenticated; the simulator makes no attempts).
                put(
                    "attempt_kbn",
                    if payment.three_d_secure { "0" } else { "" }.into(),
                );
                put(
                    "customer_id",
                    card.and_then(|c| c.customer_id.clone()).unwrap_or_default(),
                );
                put(
                    "customer_card_id",
                    card.and_then(|c| c.customer_card_id.clone())
                        .unwrap_or_default(),
                );
                put(
                    "fingerprint",
                    card.map(CardDetails::fingerprint).unwrap_or_default(),
                );
            }
            Method::Paidy => {
                let empty = PaidyDetails {
                    paidy_payment_id: String::new(),
                    buyer: Buyer::default(),
                    shipping: Address::default(),
                    items: Vec::new(),
                    order_shipping: 0,
                    order_tax: 0,
                    store_name: String::new(),
                };
                let paidy = payment.paidy.as_ref().unwrap_or(&empty);
                put("paidy_payment_id", paidy.paidy_payment_id.clone());
                put("payment_init_date", wire_timestamp(payment.created_at));
                put("authorized_date", ts(payment.authorized_at));
                put("cancel_date", ts(payment.cancelled_at));
                put("payment_date", ts(payment.captured_at));
                paidy_fields(paidy, &mut put);
                let (event, result) = event.unwrap_or(("", ""));
                put("event", event.into());
                put("event_result", result.into());
                put("event_error_code", String::new());
            }
        }
        f
    }
}

/// The Paidy items shared by 094, 091 and 343.
pub fn paidy_fields(paidy: &PaidyDetails, put: &mut impl FnMut(&str, String)) {
    put("currency", "JPY".into());
    put("description", String::new());
    put("store_name", paidy.store_name.clone());
    put("buyer_email", paidy.buyer.email.clone());
    put("buyer_name_kanji", paidy.buyer.name.clone());
    put("buyer_name_kana", paidy.buyer.name_kana.clone());
    put("buyer_phone", paidy.buyer.phone.clone());
    put("shipping_address_zip", paidy.shipping.zip.clone());
    put("shipping_address_state", paidy.shipping.state.clone());
    put("shipping_address_city", paidy.shipping.city.clone());
    put("shipping_address_line2", paidy.shipping.line2.clone());
    put("shipping_address_line1", paidy.shipping.line1.clone());
    put("order_tax", paidy.order_tax.to_string());
    put("order_shipping", paidy.order_shipping.to_string());
    for (i, item) in paidy.items.iter().enumerate() {
        put(&format!("order_items_id[{i}]"), item.id.clone());
        put(&format!("order_items_title[{i}]"), item.title.clone());
        put(
            &format!("order_items_description[{i}]"),
            item.description.clone(),
        );
        put(
            &format!("order_items_unit_price[{i}]"),
            item.unit_price.to_string(),
        );
        put(
            &format!("order_items_quantity[{i}]"),
            item.quantity.to_string(),
        );
    }
}

/// The Paidy `event` and `event_result` for a status change (§7.3 table): a parked
/// payment going back (31 → 20, 30 → 20, 42 → 40) is its operation's failure.
fn paidy_event(from: PaymentStatus, to: PaymentStatus) -> (&'static str, &'static str) {
    use PaymentStatus as S;
    match (from, to) {
        (S::CancelPending, S::Authorized) => ("cancel", "failure"),
        (S::CapturePending, S::Authorized) => ("capture", "failure"),
        (S::RefundPending, S::Captured) => ("refund", "failure"),
        (S::CancelPending, S::AuthorizationExpired) => ("expire", "success"),
        (_, S::Cancelled) => ("cancel", "success"),
        (_, S::Captured) => ("capture", "success"),
        (_, S::Refunded) => ("refund", "success"),
        (_, S::AuthorizationExpired | S::CapturedRefundWindowClosed) => ("expire", "success"),
        _ => ("authorize", "success"),
    }
}

/// Whether a trading ID is alnum/`_` and at most 25 characters.
pub fn is_trading_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 25
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether a phone number is a Japanese mobile number (Paidy needs one).
pub fn is_mobile_phone(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    digits.len() == 11 && ["070", "080", "090"].iter().any(|p| digits.starts_with(p))
}
