//! IPC DTOs of the shop's mails about one order (issue 20, point 5): the shipping notice
//! and the order confirmation, their preview, the per-order report of a send, and their
//! editable texts. Same conventions as `dto`: times RFC 3339 UTC, texts as [`Text`] pairs,
//! codes snake_case.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::subscriptions::MailReadinessDto;
use crate::{AppError, Text};

/// Which mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum OrderMailKindCode {
    /// 発送のお知らせ: carrier, tracking number and the carrier's tracking link.
    ShippingNotice,
    /// ご注文確認: items and amounts as PayDesk has them now.
    OrderConfirmation,
}

/// One order or a selection, for a preview or a send.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct OrderMailRequest {
    pub kind: OrderMailKindCode,
    #[specta(type = Vec<specta_typescript::Number>)]
    pub order_ids: Vec<i64>,
    /// The shop confirmed sending again to orders that got (or may have got) this mail:
    /// their buyers get a second one. Without it those orders are reported, not sent.
    #[serde(default)]
    pub resend: bool,
}

/// One order's mail as the buyer will get it, or why it cannot go.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderMailPreview {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    /// The buyer's address; `null` when the order has none.
    pub to: Option<String>,
    /// The filled subject and body; `null` when refused.
    pub subject: Option<String>,
    pub body: Option<String>,
    /// Why this order cannot have the mail (no address, no tracking number, a placeholder
    /// without a value, nothing held); `null`: it can.
    pub refused: Option<AppError>,
    /// When this order got this mail already (sending again sends a second one).
    pub already_sent_at: Option<String>,
    /// An earlier attempt stopped mid-send: the buyer may have it.
    pub maybe_sent: bool,
}

/// The preview of a selection, with whether mail can go out now.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderMailPreviews {
    pub kind: OrderMailKindCode,
    pub previews: Vec<OrderMailPreview>,
    pub readiness: MailReadinessDto,
}

/// What happened to one order's mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum OrderMailOutcomeCode {
    /// The SMTP server accepted it; the order's history says so.
    Sent,
    /// The server refused it or could not be reached: it stays in the queue (failed, with
    /// the error) and is retried.
    Failed,
    /// Queued and not sent yet (another attempt holds the queue).
    Waiting,
    /// This order cannot have it (the reason says why).
    Refused,
    /// Sent before; not sent again without the shop's confirmation.
    AlreadySent,
    /// An earlier attempt stopped mid-send; not sent again without the shop's
    /// confirmation.
    MaybeSent,
    /// The same mail is already waiting in the queue.
    AlreadyWaiting,
}

/// One order's line of a send report.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderMailResult {
    #[specta(type = specta_typescript::Number)]
    pub order_id: i64,
    pub order_number: String,
    pub outcome: OrderMailOutcomeCode,
    pub message: Text,
    pub to: Option<String>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub mail_id: Option<i64>,
}

/// What sending did, per order.
#[derive(Clone, Debug, Serialize, Type)]
pub struct OrderMailReport {
    pub kind: OrderMailKindCode,
    pub results: Vec<OrderMailResult>,
    pub sent: u32,
    pub failed: u32,
    pub waiting: u32,
    pub refused: u32,
    /// Orders that got (or may have got) it before: sending again asks first.
    pub needs_confirmation: u32,
    /// The server's error when a mail failed or waits.
    pub problem: Option<AppError>,
    pub summary: Text,
}
