//! Orders: what PayDesk knows about one payment and where it sits in the shop's workflow.

use chrono::{DateTime, Utc};
use paygent_codec::{PaymentStatus, Yen};

/// The store's key of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(pub i64);

/// Where an order sits in the shop's workflow. Payment operations stay possible in every
/// list: moving an order never changes its payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderList {
    /// 受注一覧: orders still being handled.
    Open,
    /// 受注完了一覧: orders the shop finished.
    Completed,
    /// 受注キャンセル一覧: orders the shop cancelled.
    Cancelled,
}

impl OrderList {
    /// Every list, in screen order.
    pub const ALL: [OrderList; 3] = [OrderList::Open, OrderList::Completed, OrderList::Cancelled];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            OrderList::Open => "open",
            OrderList::Completed => "completed",
            OrderList::Cancelled => "cancelled",
        }
    }

    /// The list for a code.
    pub fn from_code(code: &str) -> Option<OrderList> {
        OrderList::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// The payment methods PayDesk handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    /// Credit card (token, stored card), telegrams 020–029.
    Card,
    /// Paidy deferred payment through Paygent, telegrams 340–343.
    Paidy,
}

impl PaymentMethod {
    /// Every method.
    pub const ALL: [PaymentMethod; 2] = [PaymentMethod::Card, PaymentMethod::Paidy];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Paidy => "paidy",
        }
    }

    /// The method for a code.
    pub fn from_code(code: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The method of a gateway `payment_type`, if PayDesk handles it.
    pub fn from_payment_type(payment_type: paygent_codec::PaymentType) -> Option<PaymentMethod> {
        match payment_type {
            paygent_codec::PaymentType::Card => Some(PaymentMethod::Card),
            paygent_codec::PaymentType::Paidy => Some(PaymentMethod::Paidy),
            _ => None,
        }
    }
}

/// The capture mode (同時売上フラグ) an order was created with. Changing the shop's setting
/// affects new orders only, so every order keeps its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureMode {
    /// オーソリのみ: the shop captures later (by hand or in bulk).
    AuthorizeOnly,
    /// オーソリ+売上確定: captured at once (cards, `sales_mode=1`) or automatically a few
    /// minutes after the order (Paidy).
    AuthorizeAndCapture,
}

impl CaptureMode {
    /// Every mode.
    pub const ALL: [CaptureMode; 2] =
        [CaptureMode::AuthorizeOnly, CaptureMode::AuthorizeAndCapture];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            CaptureMode::AuthorizeOnly => "authorize_only",
            CaptureMode::AuthorizeAndCapture => "authorize_and_capture",
        }
    }

    /// The mode for a code.
    pub fn from_code(code: &str) -> Option<CaptureMode> {
        CaptureMode::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// Who caused a change; every history line names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// PayDesk itself (an operation of the shop owner, or an automatic one like auto-capture).
    PayDesk,
    /// The gateway on its own (authorization arrived, deadline batch, processing resolved).
    Gateway,
    /// Someone outside PayDesk, usually in Paygent's admin site.
    Outside,
}

impl Actor {
    /// Every actor.
    pub const ALL: [Actor; 3] = [Actor::PayDesk, Actor::Gateway, Actor::Outside];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            Actor::PayDesk => "paydesk",
            Actor::Gateway => "gateway",
            Actor::Outside => "outside",
        }
    }

    /// The actor for a code.
    pub fn from_code(code: &str) -> Option<Actor> {
        Actor::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// One order and its payment as PayDesk last knew it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// 注文番号: the shop's own number, sent as `trading_id`. May be empty for a Paidy order
    /// whose `order_ref` Paygent could not use.
    pub order_number: String,
    /// 取引ID: the gateway's current `payment_id`. Revisions (028, 029, Paidy partial refund)
    /// replace it; the store keeps the whole chain.
    pub payment_id: String,
    /// Card or Paidy.
    pub method: PaymentMethod,
    /// The capture mode the order was created with.
    pub capture_mode: CaptureMode,
    /// Authenticated with 3-D Secure: the gateway refuses revisions (028/029, code 2014).
    pub three_d_secure: bool,
    /// The amount ordered and authorized; an amount change (028) lowers it.
    pub amount: Yen,
    /// The amount captured (zero until captured).
    pub captured_amount: Yen,
    /// The total refunded so far (full or partial).
    pub refunded_amount: Yen,
    /// The gateway's status of the current payment.
    pub status: PaymentStatus,
    /// When the order was placed (the payment created); the Paidy capture window counts
    /// from here when no authorization time is known.
    pub ordered_at: DateTime<Utc>,
    /// When the current authorization was granted; the card and Paidy capture deadlines
    /// count from here. Revisions keep the first authorization's time (the earlier
    /// deadline is the safe one).
    pub authorized_at: Option<DateTime<Utc>>,
    /// When the payment was captured; refund windows count from here.
    pub captured_at: Option<DateTime<Utc>>,
    /// The shop's workflow list.
    pub list: OrderList,
    /// Someone changed the payment outside PayDesk; the order shows a banner.
    pub outside_change: bool,
    /// Buyer's name (kanji) for lists and search; the full details live in the store.
    pub buyer_name: Option<String>,
    /// Buyer's name in kana, for search.
    pub buyer_name_kana: Option<String>,
    /// Buyer's e-mail address.
    pub buyer_email: Option<String>,
}

/// The stand-in `payment_id` of an order the gateway made no payment for (a renewal
/// refused before a payment existed, e.g. P010): the store keys orders by payment ID, but
/// this one names nothing at Paygent, so it is never shown, exported or inquired about.
pub fn no_transaction_id(order_number: &str) -> String {
    format!("{NO_TRANSACTION_PREFIX}{order_number}")
}

const NO_TRANSACTION_PREFIX: &str = "failed:";

/// The transaction ID as the shop owner may see and use it: `None` for the stand-in of
/// [`no_transaction_id`].
pub fn shown_transaction_id(payment_id: &str) -> Option<&str> {
    (!payment_id.is_empty() && !payment_id.starts_with(NO_TRANSACTION_PREFIX)).then_some(payment_id)
}

impl Order {
    /// A new order in the open list whose payment was authorized at `at` (also when it
    /// was placed): nothing captured or refunded yet, no outside change, no buyer details.
    pub fn authorized(
        order_number: &str,
        payment_id: &str,
        method: PaymentMethod,
        capture_mode: CaptureMode,
        amount: Yen,
        at: DateTime<Utc>,
    ) -> Order {
        Order {
            order_number: order_number.to_owned(),
            payment_id: payment_id.to_owned(),
            method,
            capture_mode,
            three_d_secure: false,
            amount,
            captured_amount: Yen(0),
            refunded_amount: Yen(0),
            status: PaymentStatus::Authorized,
            ordered_at: at,
            authorized_at: Some(at),
            captured_at: None,
            list: OrderList::Open,
            outside_change: false,
            buyer_name: None,
            buyer_name_kana: None,
            buyer_email: None,
        }
    }

    /// The amount the gateway's current payment carries: the authorized amount before
    /// capture, what is left after refunds once captured.
    pub fn gateway_amount(&self) -> Yen {
        if is_captured_status(self.status) || self.captured_amount.0 > 0 {
            Yen(self.captured_amount.0 - self.refunded_amount.0)
        } else {
            self.amount
        }
    }
}

/// Statuses in which the payment is captured and not (fully) refunded.
pub fn is_captured_status(status: PaymentStatus) -> bool {
    matches!(
        status,
        PaymentStatus::Captured
            | PaymentStatus::CapturedRefundWindowClosed
            | PaymentStatus::RefundPending
            | PaymentStatus::RefundSettling
    )
}
