//! History lines in the seed's style, Japanese and English.

use domain::history::{self, yen};
use domain::{OrderList, PaymentMethod, PaymentStatus, Yen};

#[test]
fn yen_is_written_with_separators() {
    let cases = [
        (0, "¥0"),
        (150, "¥150"),
        (1500, "¥1,500"),
        (300_000, "¥300,000"),
        (1_234_567, "¥1,234,567"),
        (-500, "-¥500"),
    ];
    for (amount, text) in cases {
        assert_eq!(yen(Yen(amount)), text);
    }
}

#[test]
fn lines_read_like_the_seed() {
    let cases = [
        (
            history::captured("12345", Yen(150)),
            "売上確定しました 売上金額: ¥150（取引ID: 12345）",
            "Captured ¥150 (transaction ID 12345)",
        ),
        (
            history::partial_refund(Yen(500), Yen(1500)),
            "一部返金 ¥500（返金可能額 ¥1,500）",
            "Partially refunded ¥500 (refundable amount now ¥1,500)",
        ),
        (
            history::outside_change(PaymentStatus::Cancelled, PaymentMethod::Paidy),
            "ペイジェント管理画面で取消されました（PayDesk 以外の操作）",
            "Cancelled in Paygent's admin site (not by PayDesk)",
        ),
        (
            history::outside_change(PaymentStatus::AuthorizationFailed, PaymentMethod::Card),
            "ペイジェント管理画面で「オーソリNG」に変更されました（PayDesk 以外の操作）",
            "Changed to \"Authorization failed\" in Paygent's admin site (not by PayDesk)",
        ),
        (
            history::bulk_capture_result(Some("2004")),
            "売上確定一括処理: エラーコード: 2004",
            "Bulk capture: error code: 2004",
        ),
        (
            history::bulk_capture_result(None),
            "売上確定一括処理: 正常終了",
            "Bulk capture: completed normally",
        ),
        (
            history::moved_to_list(OrderList::Completed),
            "受注完了一覧に移動しました",
            "Moved to the completed orders",
        ),
        (
            history::amount_changed(Yen(2000), Yen(1800)),
            "金額変更（取引更新）¥2,000 → ¥1,800",
            "Amount changed (transaction update) ¥2,000 → ¥1,800",
        ),
    ];
    for (text, ja, en) in cases {
        assert_eq!(text.ja, ja);
        assert_eq!(text.en, en);
    }
}
