//! Which of the shop's editable e-mail texts a template is: the two card reminders and
//! the two order mails share one store of edited copies and one save path, keyed by
//! [`TemplateKind`].

use crate::order_mail::OrderMailKind;
use crate::subscription::ReminderKind;

/// An editable e-mail text: a card reminder or an order mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    /// A card reminder (期限間近, 期限切れ) to a subscription's buyer.
    Reminder(ReminderKind),
    /// A mail about one order (発送のお知らせ, ご注文確認).
    OrderMail(OrderMailKind),
}

impl TemplateKind {
    /// Every kind.
    pub const ALL: [TemplateKind; 4] = [
        TemplateKind::Reminder(ReminderKind::ExpiringSoon),
        TemplateKind::Reminder(ReminderKind::Expired),
        TemplateKind::OrderMail(OrderMailKind::ShippingNotice),
        TemplateKind::OrderMail(OrderMailKind::OrderConfirmation),
    ];

    /// The stable code used in the database: the reminder's or the order mail's own code
    /// (the four are distinct).
    pub fn code(self) -> &'static str {
        match self {
            TemplateKind::Reminder(k) => k.code(),
            TemplateKind::OrderMail(k) => k.code(),
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<TemplateKind> {
        TemplateKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

impl From<ReminderKind> for TemplateKind {
    fn from(kind: ReminderKind) -> Self {
        TemplateKind::Reminder(kind)
    }
}

impl From<OrderMailKind> for TemplateKind {
    fn from(kind: OrderMailKind) -> Self {
        TemplateKind::OrderMail(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_names_one_kind() {
        for kind in TemplateKind::ALL {
            assert_eq!(TemplateKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(TemplateKind::from_code("monthly_summary"), None);
    }
}
