//! The shop's editable e-mail texts, every kind through one set of commands: the two card
//! reminders and the two order mails (`templates`).

use serde::{Deserialize, Serialize};
use specta::Type;

/// Which editable text: a card reminder or an order mail. The codes are the reminders'
/// (`ReminderKindCode`) and the order mails' (`OrderMailKindCode`) own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum MailTextKindCode {
    /// カード有効期限が近いお知らせ.
    ExpiringSoon,
    /// カード有効期限切れのお知らせ.
    Expired,
    /// 発送のお知らせ.
    ShippingNotice,
    /// ご注文確認.
    OrderConfirmation,
}

/// A text as the editor shows it: the shop's edit or the built-in one.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MailTextDto {
    pub kind: MailTextKindCode,
    /// `ja` or `en`.
    pub language: String,
    pub subject: String,
    pub body: String,
    /// The shop edited it (`false`: the built-in text).
    pub edited: bool,
    /// `{buyer_name}`, … as this kind may use them.
    pub placeholders: Vec<String>,
}

/// An edited text to save.
#[derive(Clone, Debug, Serialize, Deserialize, Type)]
pub struct MailTextInput {
    pub kind: MailTextKindCode,
    pub language: String,
    pub subject: String,
    pub body: String,
}
