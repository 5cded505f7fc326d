//! The order mails' refusals (issue 20, point 5), as a table: no address, a payment that
//! holds nothing, a shipping notice without a tracking number; and the history line.

use domain::order_mail::{OrderMailKind, refusal, sent_line};
use domain::{PaymentMethod, PaymentStatus, Yen};

use crate::{captured, order};

#[test]
fn an_order_mail_is_refused_with_a_plain_reason() {
    let authorized = order(PaymentMethod::Card);
    let mut cancelled = order(PaymentMethod::Card);
    cancelled.status = PaymentStatus::Cancelled;
    let mut refunded = captured(PaymentMethod::Card);
    refunded.refunded_amount = refunded.captured_amount;
    let to = Some("taro@example.jp");
    use OrderMailKind::{OrderConfirmation as Confirmation, ShippingNotice as Notice};
    let table = [
        (Notice, &authorized, to, true, None),
        (Confirmation, &authorized, to, false, None),
        (Notice, &authorized, to, false, Some("tracking number")),
        (Notice, &authorized, None, true, Some("e-mail address")),
        (
            Confirmation,
            &authorized,
            Some("  "),
            true,
            Some("e-mail address"),
        ),
        (Confirmation, &cancelled, to, true, Some("holds nothing")),
        (Notice, &refunded, to, true, Some("holds nothing")),
    ];
    for (kind, o, email, tracked, expected) in table {
        let got = refusal(kind, o, email, tracked);
        match expected {
            None => assert_eq!(got, None, "{kind:?} {:?}", o.status),
            Some(words) => {
                let t = got.unwrap_or_else(|| panic!("{kind:?} {:?} not refused", o.status));
                assert!(t.en.contains(words), "{}", t.en);
                assert!(!t.ja.is_empty());
            }
        }
    }
    assert_eq!(refunded.captured_amount, Yen(2000));
}

#[test]
fn a_sent_mail_is_one_history_line_naming_it_and_the_address() {
    let line = sent_line(OrderMailKind::ShippingNotice, "taro@example.jp");
    assert_eq!(
        line.ja,
        "発送のお知らせメールを taro@example.jp に送信しました"
    );
    assert_eq!(line.en, "Shipping notice e-mail sent to taro@example.jp");
    assert_eq!(
        OrderMailKind::from_code(OrderMailKind::OrderConfirmation.code()),
        Some(OrderMailKind::OrderConfirmation)
    );
}
