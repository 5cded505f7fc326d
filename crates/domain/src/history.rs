//! Change-history text (変更履歴): one Japanese/English pair per event, in the style of
//! the seed's history lines ("ペイジェント 売上処理を実行 売上金額: 150円").
//!
//! Layout: [`Text`] is the pair every user-facing string in this crate uses; [`yen`] and
//! [`jst`] format amounts and times; the remaining functions render one line each.

use chrono::{DateTime, FixedOffset, Utc};
use paygent_codec::{PaymentStatus, Yen};

use crate::order::{OrderList, PaymentMethod};

/// A user-facing text in Japanese and English.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A pair from two strings.
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }
}

/// An amount as shop owners write it: `¥1,500`.
pub fn yen(amount: Yen) -> String {
    let digits = amount.0.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    if amount.0 < 0 {
        out.push('-');
    }
    out.push('¥');
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Japan Standard Time (UTC+9, no daylight saving time). Checked at compile time.
pub const JAPAN: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+9 is a valid offset"),
};

/// A time as shown to shop owners: `2024-05-01 13:09` in Japan time.
pub fn jst(at: DateTime<Utc>) -> String {
    at.with_timezone(&JAPAN)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The order arrived (authorized at the gateway).
pub fn authorized(payment_id: &str, amount: Yen) -> Text {
    Text::new(
        format!("オーソリOK 金額: {}（取引ID: {payment_id}）", yen(amount)),
        format!("Authorized {} (transaction ID {payment_id})", yen(amount)),
    )
}

/// Captured.
pub fn captured(payment_id: &str, amount: Yen) -> Text {
    Text::new(
        format!(
            "売上確定しました 売上金額: {}（取引ID: {payment_id}）",
            yen(amount)
        ),
        format!("Captured {} (transaction ID {payment_id})", yen(amount)),
    )
}

/// The authorization was cancelled.
pub fn cancelled(payment_id: &str) -> Text {
    Text::new(
        format!("キャンセルしました（取引ID: {payment_id}）"),
        format!("Cancelled (transaction ID {payment_id})"),
    )
}

/// Everything left was refunded.
pub fn full_refund(payment_id: &str, amount: Yen) -> Text {
    Text::new(
        format!(
            "全額返金しました 返金額: {}（取引ID: {payment_id}）",
            yen(amount)
        ),
        format!(
            "Refunded in full: {} (transaction ID {payment_id})",
            yen(amount)
        ),
    )
}

/// Part was refunded; `refundable` is what is left afterwards.
pub fn partial_refund(amount: Yen, refundable: Yen) -> Text {
    Text::new(
        format!("一部返金 {}（返金可能額 {}）", yen(amount), yen(refundable)),
        format!(
            "Partially refunded {} (refundable amount now {})",
            yen(amount),
            yen(refundable)
        ),
    )
}

/// The authorized amount was changed (transaction update).
pub fn amount_changed(old: Yen, new: Yen) -> Text {
    Text::new(
        format!("金額変更（取引更新）{} → {}", yen(old), yen(new)),
        format!(
            "Amount changed (transaction update) {} → {}",
            yen(old),
            yen(new)
        ),
    )
}

/// The gateway replaced the payment with a new one.
pub fn new_transaction_id(old: &str, new: &str) -> Text {
    Text::new(
        format!("取引IDが変わりました {old} → {new}"),
        format!("Transaction ID changed {old} → {new}"),
    )
}

/// The capture deadline passed: the sale lapsed.
pub fn lapsed() -> Text {
    Text::new(
        "オーソリの有効期限が切れ、不成立になりました（購入者には請求されません）",
        "The authorization expired and the sale lapsed (the buyer is not charged)",
    )
}

/// The refund window closed.
pub fn refund_window_closed() -> Text {
    Text::new(
        "返金の期限を過ぎました（以後の返金はペイジェントでは行えません）",
        "The refund window closed (refunds can no longer go through Paygent)",
    )
}

/// An operation was sent and its outcome is being confirmed with a 094 inquiry.
pub fn outcome_unknown(operation: &str) -> Text {
    Text::new(
        format!("{operation}の結果を確認中です（通信が途切れたため、ペイジェントに照会します）"),
        format!("Confirming the result of {operation} (the connection dropped; asking Paygent)"),
    )
}

/// The journal code of an operation that stopped part-way and is held in a processing
/// status for it (§5.3, §4.9): closed without "failed", since the gateway may finish it.
pub const GATEWAY_PROCESSING: &str = "gateway_processing";

/// An operation failed at the gateway (or, with [`GATEWAY_PROCESSING`], is held there).
pub fn operation_failed(operation_ja: &str, operation_en: &str, code: &str) -> Text {
    if code == GATEWAY_PROCESSING {
        return Text::new(
            format!("{operation_ja}はペイジェントで処理中です（同期で結果を反映します）"),
            format!("{operation_en} is being processed at Paygent (sync will show the result)"),
        );
    }
    Text::new(
        format!("{operation_ja}に失敗しました エラーコード: {code}"),
        format!("{operation_en} failed, error code: {code}"),
    )
}

/// The bulk-capture detail line for one order ("正常終了" or "エラーコード: xxx").
pub fn bulk_capture_result(error_code: Option<&str>) -> Text {
    match error_code {
        None => Text::new(
            "売上確定一括処理: 正常終了",
            "Bulk capture: completed normally",
        ),
        Some(code) => Text::new(
            format!("売上確定一括処理: エラーコード: {code}"),
            format!("Bulk capture: error code: {code}"),
        ),
    }
}

/// The shop moved the order to another list.
pub fn moved_to_list(list: OrderList) -> Text {
    let (ja, en) = match list {
        OrderList::Open => ("受注一覧", "the open orders"),
        OrderList::Completed => ("受注完了一覧", "the completed orders"),
        OrderList::Cancelled => ("受注キャンセル一覧", "the cancelled orders"),
    };
    Text::new(format!("{ja}に移動しました"), format!("Moved to {en}"))
}

/// Buyer and item details were stored.
pub fn details_imported(source_ja: &str, source_en: &str) -> Text {
    Text::new(
        format!("購入者・商品情報を取り込みました（{source_ja}）"),
        format!("Buyer and item details imported ({source_en})"),
    )
}

/// The shop owner edited these buyer details on the order's screen (labels joined).
pub fn buyer_details_edited(fields: &[Text]) -> Text {
    let ja: Vec<&str> = fields.iter().map(|f| f.ja.as_str()).collect();
    let en: Vec<&str> = fields.iter().map(|f| f.en.as_str()).collect();
    Text::new(
        format!("購入者情報を変更しました：{}", ja.join("、")),
        format!("Buyer details edited: {}", en.join(", ")),
    )
}

/// A storefront CSV import changed these fields of the order (labels joined).
pub fn details_import_applied(import_id: i64, fields: &[Text]) -> Text {
    let ja: Vec<&str> = fields.iter().map(|f| f.ja.as_str()).collect();
    let en: Vec<&str> = fields.iter().map(|f| f.en.as_str()).collect();
    Text::new(
        format!(
            "ショップのCSVから取り込みました（取り込み #{import_id}）：{}を変更",
            ja.join("、")
        ),
        format!(
            "Imported from the storefront CSV (import #{import_id}): {} changed",
            en.join(", ")
        ),
    )
}

/// An import was undone on this order: `restored` fields went back to their earlier
/// values; `kept` fields had changed since the import and were left as they are now.
pub fn details_import_undone(import_id: i64, restored: &[Text], kept: &[Text]) -> Text {
    let join = |l: &[Text], ja: bool| {
        l.iter()
            .map(|f| if ja { f.ja.as_str() } else { f.en.as_str() })
            .collect::<Vec<_>>()
            .join(if ja { "、" } else { ", " })
    };
    let mut ja = format!("CSVの取り込み #{import_id} を取り消しました");
    let mut en = format!("CSV import #{import_id} undone");
    if !restored.is_empty() {
        ja += &format!("：{}を元に戻しました", join(restored, true));
        en += &format!(": {} restored", join(restored, false));
    }
    if !kept.is_empty() {
        ja += &format!(
            "（{}は取り込み後に変更されていたため、今の値のままです）",
            join(kept, true)
        );
        en += &format!(
            " ({} changed after the import and {} kept as {} now)",
            join(kept, false),
            if kept.len() == 1 { "was" } else { "were" },
            if kept.len() == 1 { "it is" } else { "they are" }
        );
    }
    Text::new(ja, en)
}

/// What someone did outside PayDesk, as seen from the new status.
pub fn outside_change(status: PaymentStatus, method: PaymentMethod) -> Text {
    let (what_ja, what_en) = status_label(status, method);
    Text::new(
        format!(
            "ペイジェント管理画面で{}（PayDesk 以外の操作）",
            outside_verb_ja(status).unwrap_or(&format!("「{what_ja}」に変更されました"))
        ),
        format!(
            "{} in Paygent's admin site (not by PayDesk)",
            outside_verb_en(status).unwrap_or(&format!("Changed to \"{what_en}\""))
        ),
    )
}

/// An outside partial refund or amount change seen through a new payment.
pub fn outside_amount_change(old: Yen, new: Yen) -> Text {
    Text::new(
        format!(
            "ペイジェント管理画面で金額が変更されました {} → {}（PayDesk 以外の操作）",
            yen(old),
            yen(new)
        ),
        format!(
            "The amount was changed in Paygent's admin site {} → {} (not by PayDesk)",
            yen(old),
            yen(new)
        ),
    )
}

fn outside_verb_ja(status: PaymentStatus) -> Option<&'static str> {
    Some(match status {
        PaymentStatus::Cancelled => "取消されました",
        PaymentStatus::Captured => "売上確定されました",
        PaymentStatus::Refunded => "返金されました",
        _ => return None,
    })
}

fn outside_verb_en(status: PaymentStatus) -> Option<&'static str> {
    Some(match status {
        PaymentStatus::Cancelled => "Cancelled",
        PaymentStatus::Captured => "Captured",
        PaymentStatus::Refunded => "Refunded",
        _ => return None,
    })
}

/// The shop owner's name of a payment status (Japanese, English).
pub fn status_label(status: PaymentStatus, method: PaymentMethod) -> (&'static str, &'static str) {
    use PaymentStatus as S;
    match status {
        S::Applied => ("申込済", "Applied"),
        S::AuthorizationFailed => ("オーソリNG", "Authorization failed"),
        S::Authorized => ("オーソリOK", "Authorized"),
        S::CapturePending => ("売上要求中", "Capture in progress"),
        S::CancelPending => ("オーソリ取消中", "Cancel in progress"),
        S::Cancelled => ("キャンセル済", "Cancelled"),
        S::AuthorizationExpired => (
            "不成立（オーソリ期限切れ）",
            "Lapsed (authorization expired)",
        ),
        S::Captured => ("売上確定済", "Captured"),
        S::CapturedRefundWindowClosed => (
            "売上確定済（返金期限切れ）",
            "Captured (refund window closed)",
        ),
        S::RefundPending if method == PaymentMethod::Paidy => ("返金要求中", "Refund in progress"),
        S::RefundPending => ("売上取消中", "Refund in progress"),
        S::RefundSettling => ("売上取消集計中", "Refund being settled"),
        S::Refunded => ("返金済", "Refunded"),
        S::ValidityChecked => ("有効性確認済", "Card checked"),
        S::ValidityCheckFailed => ("有効性確認NG", "Card check failed"),
        S::ApplicationAborted => ("申込中断", "Blocked"),
        // The buyer's 3-D Secure, not a failure of the shop (see `three_d_secure`).
        S::ThreeDSecureAborted => (
            "3Dセキュア未完了（購入者が中断）",
            "3-D Secure not finished (the buyer stopped)",
        ),
        S::ThreeDSecureAuthenticating => (
            "3Dセキュア認証待ち（購入者）",
            "Waiting for the buyer's 3-D Secure",
        ),
        _ => ("その他", "Other"),
    }
}

/// The gateway moved the payment to a status without a more specific line.
pub fn status_changed(status: PaymentStatus, method: PaymentMethod) -> Text {
    let (ja, en) = status_label(status, method);
    Text::new(
        format!("決済状況が「{ja}」になりました"),
        format!("Payment status is now \"{en}\""),
    )
}
