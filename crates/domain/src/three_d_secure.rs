//! 3-D Secure (本人認証) as the gateway reports it on a card payment, for the order screen.
//!
//! Layout: [`ThreeDSecureOutcome`] is what a card payment's record says (§4.6, §4.7, §7.3):
//! `3dsecure_ryaku` (`0` = authenticated with 3-D Secure, `1` = not used), `attempt_kbn`
//! (`1` = an attempt: the card company vouched for a card or issuer that does not take
//! part; `0` or empty = the cardholder was authenticated), and the obsolete 3-D Secure 1.0
//! statuses 13 (中断) and 14 (認証中), which mean the buyer did not finish.
//! [`outcome_of_record`] reads it; [`ThreeDSecureOutcome::label`] and `meaning` say it in
//! plain Japanese and English.
//!
//! Decisions: an EMV 3-D Secure authentication the buyer abandons (450 timed out, 31013)
//! leaves no payment at Paygent, so no record and no order reach PayDesk: the shop sees
//! nothing to act on, and certainly no failure of its own. A record with status 13/14 (a
//! payment Paygent made before the buyer finished) is shown as the buyer's interruption,
//! never as an authorization failure.

use paygent_codec::response::PaymentRecord;
use paygent_codec::{PaymentStatus, PaymentType};

use crate::history::Text;

/// What the gateway reported about a card payment's 3-D Secure authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThreeDSecureOutcome {
    /// `3dsecure_ryaku=1`: paid without 3-D Secure (e.g. a renewal on a stored card).
    NotUsed,
    /// `3dsecure_ryaku=0`, `attempt_kbn` `0` or empty: the cardholder was authenticated.
    Authenticated,
    /// `3dsecure_ryaku=0`, `attempt_kbn=1`: an attempt; the card or its issuer does not
    /// take part, and the card company vouched for the payment instead.
    Attempted,
    /// Status 13 or 14: the buyer did not finish the authentication; nothing was charged.
    Interrupted,
}

impl ThreeDSecureOutcome {
    /// Every outcome.
    pub const ALL: [ThreeDSecureOutcome; 4] = [
        ThreeDSecureOutcome::NotUsed,
        ThreeDSecureOutcome::Authenticated,
        ThreeDSecureOutcome::Attempted,
        ThreeDSecureOutcome::Interrupted,
    ];

    /// The stable code used in the database and at the IPC boundary.
    pub fn code(self) -> &'static str {
        match self {
            ThreeDSecureOutcome::NotUsed => "not_used",
            ThreeDSecureOutcome::Authenticated => "authenticated",
            ThreeDSecureOutcome::Attempted => "attempted",
            ThreeDSecureOutcome::Interrupted => "interrupted",
        }
    }

    /// The outcome for a code.
    pub fn from_code(code: &str) -> Option<ThreeDSecureOutcome> {
        ThreeDSecureOutcome::ALL
            .into_iter()
            .find(|o| o.code() == code)
    }

    /// Whether the payment was 3-D Secure authenticated (so Paygent refuses revisions, 2014).
    pub fn authenticated(self) -> bool {
        matches!(
            self,
            ThreeDSecureOutcome::Authenticated | ThreeDSecureOutcome::Attempted
        )
    }

    /// A short label.
    pub fn label(self) -> Text {
        match self {
            ThreeDSecureOutcome::NotUsed => Text::new("3Dセキュアなし", "No 3-D Secure"),
            ThreeDSecureOutcome::Authenticated => {
                Text::new("3Dセキュア認証済み", "3-D Secure authenticated")
            }
            ThreeDSecureOutcome::Attempted => Text::new(
                "3Dセキュア認証済み（カード会社の代行）",
                "3-D Secure authenticated (by the card company)",
            ),
            ThreeDSecureOutcome::Interrupted => Text::new(
                "3Dセキュア未完了（購入者が中断）",
                "3-D Secure not finished (the buyer stopped)",
            ),
        }
    }

    /// What it means for the shop owner.
    pub fn meaning(self) -> Text {
        match self {
            ThreeDSecureOutcome::NotUsed => Text::new(
                "この決済は3Dセキュア（本人認証）なしで行われました。継続課金の2回目以降はもともと3Dセキュアを使いません。",
                "This payment was made without 3-D Secure (cardholder authentication). Subscription renewals never use it.",
            ),
            ThreeDSecureOutcome::Authenticated => Text::new(
                "購入者はカード会社の本人認証を済ませています。3Dセキュア認証した受注は、金額変更をAPIで送れません（ペイジェント管理画面で行います）。",
                "The buyer passed the card company's authentication. The amount of a 3-D Secure order cannot be changed through the API (use Paygent's admin site).",
            ),
            ThreeDSecureOutcome::Attempted => Text::new(
                "カードまたはカード発行会社が3Dセキュアに対応していないため、カード会社が認証を代行しました。認証済みの受注として扱われ、金額変更はAPIで送れません。",
                "The card or its issuer does not take part in 3-D Secure, so the card company vouched for the payment instead. It counts as authenticated; its amount cannot be changed through the API.",
            ),
            ThreeDSecureOutcome::Interrupted => Text::new(
                "購入者が本人認証を最後まで終えませんでした。請求は発生していません。ショップの設定や操作の誤りではありません。必要なら購入者にもう一度決済してもらってください。",
                "The buyer did not finish the authentication. Nothing was charged. This is not a mistake in your shop's settings or actions; if needed, ask the buyer to pay again.",
            ),
        }
    }
}

/// The 3-D Secure outcome a card payment's record (091, notification or 094) reports;
/// `None` for Paidy and for a record that says nothing about it.
pub fn outcome_of_record(record: &PaymentRecord) -> Option<ThreeDSecureOutcome> {
    if record.payment_type != PaymentType::Card {
        return None;
    }
    if matches!(
        record.payment_status,
        PaymentStatus::ThreeDSecureAborted | PaymentStatus::ThreeDSecureAuthenticating
    ) {
        return Some(ThreeDSecureOutcome::Interrupted);
    }
    let field = |key: &str| record.fields.get(key).map(|v| v.trim()).unwrap_or("");
    match field("3dsecure_ryaku") {
        "0" if field("attempt_kbn") == "1" => Some(ThreeDSecureOutcome::Attempted),
        "0" => Some(ThreeDSecureOutcome::Authenticated),
        "1" => Some(ThreeDSecureOutcome::NotUsed),
        _ => None,
    }
}
