//! The shop's two mails about one order (issue 20, point 5): the shipping notice (発送の
//! お知らせ: carrier, tracking number and the carrier's tracking link) and the order
//! confirmation (ご注文確認: items and amounts as PayDesk has them now), and the rules that
//! refuse one per order with a plain reason rather than skip it silently.
//!
//! Layout: [`OrderMailKind`] names the two mails; [`refusal`] says why an order cannot
//! have one now; [`sent_line`] is the history line written when one was sent.

use crate::deposit::held_amount;
use crate::history::Text;
use crate::order::Order;

/// A mail the shop sends its buyer about one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderMailKind {
    /// 発送のお知らせ: the order left with a carrier; its tracking number and link.
    ShippingNotice,
    /// ご注文確認: the order's items and amounts.
    OrderConfirmation,
}

impl OrderMailKind {
    /// Both kinds.
    pub const ALL: [OrderMailKind; 2] = [
        OrderMailKind::ShippingNotice,
        OrderMailKind::OrderConfirmation,
    ];

    /// The stable code used in the database, the CLI and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            OrderMailKind::ShippingNotice => "shipping_notice",
            OrderMailKind::OrderConfirmation => "order_confirmation",
        }
    }

    /// The kind for a code.
    pub fn from_code(code: &str) -> Option<OrderMailKind> {
        OrderMailKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The mail's name, Japanese and English.
    pub fn name(self) -> Text {
        match self {
            OrderMailKind::ShippingNotice => Text::new("発送のお知らせ", "shipping notice"),
            OrderMailKind::OrderConfirmation => Text::new("ご注文確認", "order confirmation"),
        }
    }
}

/// Why an order cannot have this mail now, in plain words; `None`: it can.
///
/// `buyer_email` is the address the mail would go to; `has_tracking` whether a tracking
/// number is recorded. A payment that holds nothing (cancelled, fully refunded, expired)
/// gets neither mail: a confirmation or a notice would contradict it.
pub fn refusal(
    kind: OrderMailKind,
    order: &Order,
    buyer_email: Option<&str>,
    has_tracking: bool,
) -> Option<Text> {
    if buyer_email.is_none_or(|e| e.trim().is_empty()) {
        return Some(Text::new(
            "購入者のメールアドレスが登録されていないため送れません。注文画面の「購入者情報」で入力してください。",
            "the buyer has no e-mail address, so it cannot be sent. Enter it under \"Buyer details\" on the order.",
        ));
    }
    if held_amount(order).0 <= 0 {
        let name = kind.name();
        return Some(Text::new(
            format!(
                "決済に代金が残っていない（取消・全額返金・期限切れ）ため、{}は送れません。",
                name.ja
            ),
            format!(
                "the payment holds nothing (cancelled, fully refunded or expired), so no {} can be sent.",
                name.en
            ),
        ));
    }
    if kind == OrderMailKind::ShippingNotice && !has_tracking {
        return Some(Text::new(
            "問合せ番号（追跡番号）が登録されていないため、発送のお知らせは送れません。先に注文画面で問合せ番号を登録してください。",
            "no tracking number is recorded, so no shipping notice can be sent. Record the tracking number on the order first.",
        ));
    }
    None
}

/// The history line of a sent mail: which mail, to whom.
pub fn sent_line(kind: OrderMailKind, to: &str) -> Text {
    let name = kind.name();
    Text::new(
        format!("{}メールを {to} に送信しました", name.ja),
        format!("{} e-mail sent to {to}", capitalized(&name.en)),
    )
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
