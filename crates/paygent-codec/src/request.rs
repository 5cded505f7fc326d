//! Typed requests for the telegrams PayDesk sends, and their encoding to a form body.
//!
//! Layout: [`CommonHeader`] carries the credentials; every request type implements
//! [`Telegram`], which names its kind, its typed response and its parameters in the order
//! the official module sends them; [`encode_request`] joins the two into an
//! [`EncodedRequest`] (path + body bytes).
//!
//! Parameter order follows the captured vectors: `merchant_id, connect_id,
//! connect_password, telegram_kind, telegram_version, trading_id, payment_id`, then the
//! telegram's own parameters. The gateway does not care about order; the byte-exact
//! vector tests do.

use std::fmt;

use crate::form::{EncodeError, encode_form};
use crate::kind::TelegramKind;
use crate::money::Yen;
use crate::response::{
    CardAuthorization, CardOperation, CardRevision, DifferenceInquiryResult, PaidyOperation,
    PaidyVerification, PaymentInquiryResult, RawResponse, ResponseError, StoredCardDeletion,
    StoredCardList, StoredCardRegistration,
};
use crate::secret::Secret;
use crate::status::PaymentType;

/// The common header (共通ヘッダ部) credentials, sent with every telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonHeader {
    /// Merchant ID issued by Paygent (digits).
    pub merchant_id: String,
    /// Connect ID.
    pub connect_id: String,
    /// Connect password; only [`encode_request`] reads it.
    pub connect_password: Secret,
    /// `telegram_version`, fixed at contract time; `1.0` in every known integration.
    pub telegram_version: String,
}

impl CommonHeader {
    /// A header with `telegram_version` `1.0`.
    pub fn new(
        merchant_id: impl Into<String>,
        connect_id: impl Into<String>,
        connect_password: Secret,
    ) -> CommonHeader {
        CommonHeader {
            merchant_id: merchant_id.into(),
            connect_id: connect_id.into(),
            connect_password,
            telegram_version: "1.0".to_owned(),
        }
    }
}

/// One request telegram: its kind, its typed response and its parameters.
pub trait Telegram {
    /// The kind this request is sent as.
    const KIND: TelegramKind;
    /// What a successful response turns into.
    type Response: TryFrom<RawResponse, Error = ResponseError>;
    /// The parameters after `telegram_version`, in the module's order.
    fn params(&self) -> Vec<(&'static str, String)>;
}

/// A request ready to send: the path and the exact body. `Debug` omits the body because
/// it contains the connect password.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedRequest {
    /// The telegram kind.
    pub kind: TelegramKind,
    /// URL path, e.g. `/n/card/request`.
    pub path: &'static str,
    /// Form body bytes (contains the connect password: never log it).
    pub body: Vec<u8>,
}

impl fmt::Debug for EncodedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedRequest")
            .field("kind", &self.kind)
            .field("path", &self.path)
            .field(
                "body",
                &format_args!("<{} bytes, redacted>", self.body.len()),
            )
            .finish()
    }
}

/// Encodes the header and a request into the body the official module would send.
pub fn encode_request<T: Telegram>(
    header: &CommonHeader,
    request: &T,
) -> Result<EncodedRequest, EncodeError> {
    let own = request.params();
    let mut params: Vec<(&str, &str)> = vec![
        ("merchant_id", &header.merchant_id),
        ("connect_id", &header.connect_id),
        ("connect_password", header.connect_password.as_str()),
        ("telegram_kind", T::KIND.code()),
        ("telegram_version", &header.telegram_version),
    ];
    params.extend(own.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(EncodedRequest {
        kind: T::KIND,
        path: T::KIND.path(),
        body: encode_form(T::KIND, &params)?,
    })
}

/// Which payment a follow-up telegram acts on. Paygent recommends always sending
/// `payment_id`; `trading_id` alone fails when several payments share it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaymentRef {
    /// The merchant's transaction id (マーチャント取引ID).
    pub trading_id: Option<String>,
    /// Paygent's payment id (決済ID).
    pub payment_id: Option<String>,
}

impl PaymentRef {
    /// Refers to a payment by its Paygent payment id.
    pub fn by_payment_id(payment_id: impl Into<String>) -> PaymentRef {
        PaymentRef {
            trading_id: None,
            payment_id: Some(payment_id.into()),
        }
    }

    /// Also sends the merchant's trading id (both must then match at the gateway).
    pub fn with_trading_id(mut self, trading_id: impl Into<String>) -> PaymentRef {
        self.trading_id = Some(trading_id.into());
        self
    }

    fn push(&self, params: &mut Vec<(&'static str, String)>) {
        push_opt(params, "trading_id", self.trading_id.as_deref());
        push_opt(params, "payment_id", self.payment_id.as_deref());
    }
}

fn push_opt(params: &mut Vec<(&'static str, String)>, key: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        params.push((key, value.to_owned()));
    }
}

/// `payment_class` of a card authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentClass {
    /// `10` lump sum (一括).
    LumpSum,
    /// `23` bonus lump sum.
    BonusLumpSum,
    /// `61` installments with `split_count`.
    Installments {
        /// Number of installments.
        split_count: u8,
    },
    /// `80` revolving.
    Revolving,
}

impl PaymentClass {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            PaymentClass::LumpSum => "10",
            PaymentClass::BonusLumpSum => "23",
            PaymentClass::Installments { .. } => "61",
            PaymentClass::Revolving => "80",
        }
    }
}

/// Where the card of an authorization comes from. Raw card numbers are deliberately not
/// representable: merchants onboarded since 2017 may not send them (2023).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardSource {
    /// A one-time token from PaygentToken.js.
    Token {
        /// `card_token`.
        card_token: Secret,
    },
    /// A stored card (`stock_card_mode=1`), optionally with a CVC-only token
    /// (`security_code_token=1`).
    StoredCard {
        /// Merchant's customer id.
        customer_id: String,
        /// Paygent's card id for that customer.
        customer_card_id: String,
        /// CVC-only token, when the shop asks for the CVC again.
        cvc_token: Option<Secret>,
    },
}

/// 3-D Secure handling of an authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreeDSecure {
    /// `3dsecure_ryaku=1`: no 3-D Secure (or not contracted).
    Skipped,
    /// `3dsecure_use_type=2` with the `3ds_auth_id` of a finished EMV 3-DS (450).
    EmvAuthenticated {
        /// `3ds_auth_id` from the 450 result.
        auth_id: String,
    },
}

/// Capture mode of an authorization (同時売上フラグ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMode {
    /// Authorize only; capture later with 022.
    AuthorizeOnly,
    /// `sales_mode=1`: authorize and capture at once (status goes to 40).
    AuthorizeAndCapture,
}

/// 020 card authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAuthorize {
    /// Merchant transaction id.
    pub trading_id: Option<String>,
    /// Only for a re-authorization after a 2003 input error: the payment id it returned.
    pub payment_id: Option<String>,
    /// `payment_amount`.
    pub amount: Yen,
    /// `payment_class` (and `split_count`).
    pub payment_class: PaymentClass,
    /// Card: token or stored card.
    pub card: CardSource,
    /// 3-D Secure handling.
    pub three_d_secure: ThreeDSecure,
    /// Authorize only, or authorize and capture.
    pub capture_mode: CaptureMode,
    /// Optional `site_id`.
    pub site_id: Option<String>,
}

impl Telegram for CardAuthorize {
    const KIND: TelegramKind = TelegramKind::CardAuthorize;
    type Response = CardAuthorization;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push_opt(&mut p, "trading_id", self.trading_id.as_deref());
        push_opt(&mut p, "payment_id", self.payment_id.as_deref());
        p.push(("payment_amount", self.amount.to_wire()));
        p.push(("payment_class", self.payment_class.code().to_owned()));
        if let PaymentClass::Installments { split_count } = self.payment_class {
            p.push(("split_count", split_count.to_string()));
        }
        if self.three_d_secure == ThreeDSecure::Skipped {
            p.push(("3dsecure_ryaku", "1".to_owned()));
        }
        match &self.card {
            CardSource::Token { card_token } => {
                p.push(("card_token", card_token.as_str().to_owned()));
            }
            CardSource::StoredCard {
                customer_id,
                customer_card_id,
                cvc_token,
            } => {
                p.push(("stock_card_mode", "1".to_owned()));
                p.push(("customer_id", customer_id.clone()));
                p.push(("customer_card_id", customer_card_id.clone()));
                if let Some(token) = cvc_token {
                    p.push(("card_token", token.as_str().to_owned()));
                    p.push(("security_code_token", "1".to_owned()));
                }
            }
        }
        if let ThreeDSecure::EmvAuthenticated { auth_id } = &self.three_d_secure {
            p.push(("3dsecure_use_type", "2".to_owned()));
            p.push(("3ds_auth_id", auth_id.clone()));
        }
        if self.capture_mode == CaptureMode::AuthorizeAndCapture {
            p.push(("sales_mode", "1".to_owned()));
        }
        push_opt(&mut p, "site_id", self.site_id.as_deref());
        p
    }
}

macro_rules! header_only_telegram {
    ($(#[$meta:meta])* $name:ident, $kind:expr, $response:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// The payment acted on.
            pub target: PaymentRef,
        }

        impl $name {
            /// Acts on `target`.
            pub fn new(target: PaymentRef) -> $name {
                $name { target }
            }
        }

        impl Telegram for $name {
            const KIND: TelegramKind = $kind;
            type Response = $response;

            fn params(&self) -> Vec<(&'static str, String)> {
                let mut p = Vec::new();
                self.target.push(&mut p);
                p
            }
        }
    };
}

header_only_telegram!(
    /// 021 card authorization cancel (void before capture).
    CardAuthorizeCancel,
    TelegramKind::CardAuthorizeCancel,
    CardOperation
);
header_only_telegram!(
    /// 022 card capture of the full authorized amount.
    CardCapture,
    TelegramKind::CardCapture,
    CardOperation
);
header_only_telegram!(
    /// 023 card capture cancel (full refund).
    CardCaptureCancel,
    TelegramKind::CardCaptureCancel,
    CardOperation
);
header_only_telegram!(
    /// 340 Paidy authorization cancel.
    PaidyAuthorizeCancel,
    TelegramKind::PaidyAuthorizeCancel,
    PaidyOperation
);
header_only_telegram!(
    /// 341 Paidy capture of the full amount.
    PaidyCapture,
    TelegramKind::PaidyCapture,
    PaidyOperation
);

/// How `payment_amount` of a revision is meant (`reduction_flag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// `0`: the amount is the new total.
    NewTotal,
    /// `1`: the amount is subtracted from the current amount.
    Subtract,
}

/// `base_payment_cancel_timing` of a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseCancelTiming {
    /// `0`: authorize the new amount first, then cancel the original.
    AuthorizeFirst,
    /// `1`: cancel the original first (no new payment if that fails).
    CancelFirst,
}

macro_rules! revision_telegram {
    ($(#[$meta:meta])* $name:ident, $kind:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// The payment revised; the gateway creates a new payment id.
            pub target: PaymentRef,
            /// `payment_amount`: new total or amount to subtract, per `revision`.
            pub amount: Yen,
            /// `reduction_flag`.
            pub revision: Revision,
            /// `base_payment_cancel_timing`; omitted when `None` (gateway default 0).
            pub base_cancel_timing: Option<BaseCancelTiming>,
        }

        impl Telegram for $name {
            const KIND: TelegramKind = $kind;
            type Response = CardRevision;

            fn params(&self) -> Vec<(&'static str, String)> {
                let mut p = Vec::new();
                self.target.push(&mut p);
                p.push(("payment_amount", self.amount.to_wire()));
                let flag = match self.revision {
                    Revision::NewTotal => "0",
                    Revision::Subtract => "1",
                };
                p.push(("reduction_flag", flag.to_owned()));
                if let Some(timing) = self.base_cancel_timing {
                    let timing = match timing {
                        BaseCancelTiming::AuthorizeFirst => "0",
                        BaseCancelTiming::CancelFirst => "1",
                    };
                    p.push(("base_payment_cancel_timing", timing.to_owned()));
                }
                p
            }
        }
    };
}

revision_telegram!(
    /// 028 revised authorization: change the amount of an authorized payment.
    CardRevisedAuthorize,
    TelegramKind::CardRevisedAuthorize
);
revision_telegram!(
    /// 029 revised capture: change the amount of a captured payment (partial refund).
    CardRevisedCapture,
    TelegramKind::CardRevisedCapture
);

/// 025 stored card: register a card (from a token) for a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCardRegister {
    /// Merchant transaction id (optional).
    pub trading_id: Option<String>,
    /// Merchant's customer id (alnum and `_`, ≤ 25).
    pub customer_id: String,
    /// Card token from PaygentToken.js.
    pub card_token: Secret,
    /// `cardholder_name`, e.g. `TARO YAMADA`.
    pub cardholder_name: Option<String>,
    /// `add_info1` to `add_info4` (free text, ≤ 64 bytes each).
    pub add_info: [Option<String>; 4],
    /// `valid_check_flg=1`: run a validity-check authorization first.
    pub validity_check: bool,
    /// Optional `site_id`.
    pub site_id: Option<String>,
}

impl Telegram for StoredCardRegister {
    const KIND: TelegramKind = TelegramKind::StoredCardRegister;
    type Response = StoredCardRegistration;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push_opt(&mut p, "trading_id", self.trading_id.as_deref());
        p.push(("customer_id", self.customer_id.clone()));
        p.push(("card_token", self.card_token.as_str().to_owned()));
        push_opt(&mut p, "cardholder_name", self.cardholder_name.as_deref());
        const ADD_INFO: [&str; 4] = ["add_info1", "add_info2", "add_info3", "add_info4"];
        for (key, value) in ADD_INFO.into_iter().zip(&self.add_info) {
            push_opt(&mut p, key, value.as_deref());
        }
        if self.validity_check {
            p.push(("valid_check_flg", "1".to_owned()));
        }
        push_opt(&mut p, "site_id", self.site_id.as_deref());
        p
    }
}

/// 026 stored card: delete one card. (An empty `customer_card_id` would delete every card
/// of the customer; this type cannot express that on purpose.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCardDelete {
    /// Merchant transaction id (optional).
    pub trading_id: Option<String>,
    /// Merchant's customer id.
    pub customer_id: String,
    /// Paygent's card id.
    pub customer_card_id: String,
    /// Optional `site_id`.
    pub site_id: Option<String>,
}

impl Telegram for StoredCardDelete {
    const KIND: TelegramKind = TelegramKind::StoredCardDelete;
    type Response = StoredCardDeletion;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push_opt(&mut p, "trading_id", self.trading_id.as_deref());
        p.push(("customer_id", self.customer_id.clone()));
        p.push(("customer_card_id", self.customer_card_id.clone()));
        push_opt(&mut p, "site_id", self.site_id.as_deref());
        p
    }
}

/// 027 stored card inquiry (CSV response). Sends `limit_count=2000` last, as the
/// official module does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCardInquiry {
    /// Merchant transaction id (optional).
    pub trading_id: Option<String>,
    /// Merchant's customer id.
    pub customer_id: String,
    /// One card, or `None` for all cards of the customer.
    pub customer_card_id: Option<String>,
    /// `return_fingerprint_flg=1`.
    pub return_fingerprint: bool,
    /// Optional `site_id`.
    pub site_id: Option<String>,
}

impl Telegram for StoredCardInquiry {
    const KIND: TelegramKind = TelegramKind::StoredCardInquiry;
    type Response = StoredCardList;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push_opt(&mut p, "trading_id", self.trading_id.as_deref());
        p.push(("customer_id", self.customer_id.clone()));
        push_opt(&mut p, "customer_card_id", self.customer_card_id.as_deref());
        if self.return_fingerprint {
            p.push(("return_fingerprint_flg", "1".to_owned()));
        }
        push_opt(&mut p, "site_id", self.site_id.as_deref());
        p.push(("limit_count", "2000".to_owned()));
        p
    }
}

/// 091 difference inquiry: the next undelivered notification record, or one by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DifferenceInquiry {
    /// Merchant transaction id (ignored by the gateway; the module sends it anyway).
    pub trading_id: Option<String>,
    /// Re-fetch this record; `None` = next undelivered record.
    pub payment_notice_id: Option<String>,
    /// Only this site's records.
    pub site_id: Option<String>,
}

impl Telegram for DifferenceInquiry {
    const KIND: TelegramKind = TelegramKind::DifferenceInquiry;
    type Response = DifferenceInquiryResult;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push_opt(&mut p, "trading_id", self.trading_id.as_deref());
        push_opt(
            &mut p,
            "payment_notice_id",
            self.payment_notice_id.as_deref(),
        );
        push_opt(&mut p, "site_id", self.site_id.as_deref());
        p
    }
}

/// 094 payment inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInquiry {
    /// The payment asked about.
    pub target: PaymentRef,
    /// Disambiguates a trading id shared across payment methods.
    pub payment_type: Option<PaymentType>,
}

impl Telegram for PaymentInquiry {
    const KIND: TelegramKind = TelegramKind::PaymentInquiry;
    type Response = PaymentInquiryResult;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        self.target.push(&mut p);
        if let Some(t) = self.payment_type {
            p.push(("payment_type", t.code().to_owned()));
        }
        p
    }
}

/// 342 Paidy refund: full without `amount`, partial with it (the gateway then creates a
/// new payment id holding the remainder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidyRefund {
    /// The captured payment.
    pub target: PaymentRef,
    /// Amount to refund; `None` = full refund.
    pub amount: Option<Yen>,
}

impl Telegram for PaidyRefund {
    const KIND: TelegramKind = TelegramKind::PaidyRefund;
    type Response = PaidyOperation;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        self.target.push(&mut p);
        if let Some(amount) = self.amount {
            p.push(("amount", amount.to_wire()));
        }
        p
    }
}

/// 343 Paidy verify (retrieve a Paidy payment before the Paygent record exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidyVerify {
    /// Merchant transaction id (optional).
    pub trading_id: Option<String>,
    /// Paidy's payment id (`pay_…`).
    pub paidy_payment_id: String,
}

impl Telegram for PaidyVerify {
    const KIND: TelegramKind = TelegramKind::PaidyVerify;
    type Response = PaidyVerification;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        push_opt(&mut p, "trading_id", self.trading_id.as_deref());
        p.push(("paidy_payment_id", self.paidy_payment_id.clone()));
        p
    }
}
