//! The order mails (issue 20, point 5): the built-in texts use only their kind's
//! placeholders and carry the tracking link; an edit is checked with the kind's list; a
//! placeholder without a value refuses the mail, naming it.

use domain::order_mail::OrderMailKind;
use mail::order_mail::{OrderValues, builtin, placeholders, render, validate};
use mail::template::Part;
use mail::{Language, Template, TemplateError};

fn values() -> OrderValues {
    OrderValues {
        buyer_name: "山田 太郎".into(),
        order_number: "A-1001".into(),
        order_date: "2026年12月6日".into(),
        payment_method: "クレジットカード".into(),
        items: "・クッキー缶 × 2　¥3,000".into(),
        shipping_fee: "¥500".into(),
        total: "¥3,500".into(),
        carrier: "ヤマト運輸".into(),
        tracking_number: "123456789012".into(),
        tracking_url: "https://example.jp/track?n=123456789012".into(),
        shop_name: "クッキー工房".into(),
        shop_contact: "03-1234-5678".into(),
    }
}

#[test]
fn the_built_in_order_mails_are_valid_and_filled_completely() {
    for kind in OrderMailKind::ALL {
        for language in [Language::Ja, Language::En] {
            let t = builtin(kind, language);
            validate(&t, kind).unwrap_or_else(|e| panic!("{kind:?} {language:?}: {e}"));
            let r = render(&t, kind, &values()).unwrap_or_else(|e| panic!("{e}"));
            assert!(!r.body.contains('{'), "{kind:?} {language:?}: {}", r.body);
            assert!(r.subject.contains("A-1001"), "{}", r.subject);
            assert!(r.body.contains("山田 太郎") && r.body.contains("¥3,500"));
        }
    }
    let notice = render(
        &builtin(OrderMailKind::ShippingNotice, Language::Ja),
        OrderMailKind::ShippingNotice,
        &values(),
    )
    .unwrap();
    assert!(
        notice.body.contains("■配送業者：ヤマト運輸"),
        "{}",
        notice.body
    );
    assert!(
        notice
            .body
            .contains("123456789012\n■配送状況の確認：\nhttps://example.jp/track?n=123456789012")
    );
    let confirmation = render(
        &builtin(OrderMailKind::OrderConfirmation, Language::Ja),
        OrderMailKind::OrderConfirmation,
        &values(),
    )
    .unwrap();
    assert!(
        confirmation.body.contains("送料：¥500"),
        "{}",
        confirmation.body
    );
    assert!(confirmation.body.contains("・クッキー缶 × 2　¥3,000"));
}

#[test]
fn each_kind_has_its_own_placeholders() {
    assert!(placeholders(OrderMailKind::ShippingNotice).contains(&"tracking_url"));
    assert!(!placeholders(OrderMailKind::OrderConfirmation).contains(&"tracking_url"));
    let t = Template {
        subject: "ご注文 {order_number}".into(),
        body: "{buyer_name} 様\n\n{tracking_url}\n".into(),
    };
    assert!(validate(&t, OrderMailKind::ShippingNotice).is_ok());
    let e = validate(&t, OrderMailKind::OrderConfirmation).unwrap_err();
    assert!(
        matches!(
            &e,
            TemplateError::NotAPlaceholder { name, part: Part::Body, line: 3, .. } if name == "tracking_url"
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), "template_unknown_placeholder");
    let text = e.text();
    assert!(
        text.ja.contains("本文の3行目の「{tracking_url}」"),
        "{}",
        text.ja
    );
    assert!(text.ja.contains("{payment_method}"), "{}", text.ja);
    assert!(
        text.en.contains("Valid placeholders: {buyer_name}, "),
        "{}",
        text.en
    );
    // The reminders' own placeholders are not an order mail's.
    let member = Template {
        subject: "s".into(),
        body: "{member_id}".into(),
    };
    assert!(validate(&member, OrderMailKind::ShippingNotice).is_err());
    // Braces and the subject are checked as for the reminders.
    let brace = Template {
        subject: "s".into(),
        body: "{buyer_name".into(),
    };
    assert_eq!(
        validate(&brace, OrderMailKind::ShippingNotice),
        Err(TemplateError::UnmatchedBrace {
            part: Part::Body,
            line: 1
        })
    );
}

#[test]
fn a_placeholder_without_a_value_refuses_the_mail() {
    let mut v = values();
    v.tracking_number = "  ".into();
    let t = builtin(OrderMailKind::ShippingNotice, Language::Ja);
    let e = render(&t, OrderMailKind::ShippingNotice, &v).unwrap_err();
    assert_eq!(
        e,
        TemplateError::Unfilled {
            name: "tracking_number".into()
        }
    );
    assert_eq!(e.code(), "template_unfilled_placeholder");
    let text = e.text();
    assert!(text.ja.contains("{tracking_number}") && text.ja.contains("送っていません"));
    assert!(text.en.contains("not sent"), "{}", text.en);
    // A text that does not use the missing value goes.
    let short = Template {
        subject: "発送しました {order_number}".into(),
        body: "{buyer_name} 様\n{{そのまま}}\n".into(),
    };
    let r = render(&short, OrderMailKind::ShippingNotice, &v).unwrap();
    assert_eq!(r.body, "山田 太郎 様\n{そのまま}\n");
    // A value is put into the subject on one line.
    let mut two_lines = values();
    two_lines.order_number = "A\r\n1".into();
    let r = render(&short, OrderMailKind::ShippingNotice, &two_lines).unwrap();
    assert_eq!(r.subject, "発送しました A  1");
}
