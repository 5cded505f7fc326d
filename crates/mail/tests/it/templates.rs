//! Templates: the built-in texts are valid and carry the seed's meaning; edited copies are
//! validated with clear messages; rendering fills the four placeholders.

use domain::Yen;
use domain::subscription::{MonthlySummary, ReminderKind};
use mail::template::Part;
use mail::{Language, Template, TemplateError, Values, monthly_summary};

pub fn values() -> Values {
    Values {
        buyer_name: "山田 太郎".into(),
        shop_name: "クッキー工房".into(),
        member_id: "member_0042".into(),
        shop_contact: "東京都渋谷区1-2-3\nshop@example.jp\n03-1234-5678".into(),
    }
}

#[test]
fn the_built_in_templates_are_valid_and_say_what_the_seed_says() {
    for kind in ReminderKind::ALL {
        for lang in [Language::Ja, Language::En] {
            let t = Template::builtin(kind, lang);
            assert_eq!(t.validate(), Ok(()), "{kind:?} {lang:?}");
            let r = t.render(&values()).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !r.body.contains('{') && !r.subject.contains('{'),
                "{}",
                r.body
            );
            assert!(r.subject.contains("クッキー工房"));
            assert!(r.body.contains("member_0042") && r.body.contains("03-1234-5678"));
        }
    }
    let soon = Template::builtin(ReminderKind::ExpiringSoon, Language::Ja).render(&values());
    let soon = soon.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        soon.subject,
        "《クレジットカード変更のお願い》有効期限が迫ってきております クッキー工房"
    );
    assert!(soon.body.starts_with("山田 太郎 様\n"));
    assert!(soon.body.contains("有効期限が近づいてまいりました"));
    assert!(soon.body.contains("会員ID：member_0042"));
    let expired = Template::builtin(ReminderKind::Expired, Language::Ja).render(&values());
    let expired = expired.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        expired.subject,
        "《クレジットカード変更のお願い》有効期限が切れています クッキー工房"
    );
    assert!(
        expired
            .body
            .contains("有効期限が切れているため、お支払いを完了できない状況です")
    );
    assert!(expired.body.contains("別のお支払い方法をご希望の場合"));
    let en = Template::builtin(ReminderKind::Expired, Language::En).render(&values());
    assert!(
        en.is_ok_and(|r| r.body.starts_with("Dear 山田 太郎,") && r.body.contains("has expired"))
    );
}

#[test]
fn an_unknown_placeholder_is_named_with_the_valid_ones_listed() {
    let t = Template {
        subject: "件名 {shop_name}".into(),
        body: "{buyer_name} 様\n\nカード番号: {card_number}\n".into(),
    };
    let e = t.validate().err().unwrap_or_else(|| panic!("accepted"));
    assert_eq!(
        e,
        TemplateError::UnknownPlaceholder {
            name: "card_number".into(),
            part: Part::Body,
            line: 3
        }
    );
    assert_eq!(e.code(), "template_unknown_placeholder");
    let text = e.text();
    assert!(
        text.ja.contains("本文の3行目の「{card_number}」"),
        "{}",
        text.ja
    );
    assert!(
        text.ja
            .contains("{buyer_name}、{shop_name}、{member_id}、{shop_contact}"),
        "{}",
        text.ja
    );
    assert!(
        text.en.contains("\"{card_number}\" on line 3 of the body"),
        "{}",
        text.en
    );
    assert!(e.to_string().contains("{card_number}"), "{e}");
}

#[test]
fn braces_and_subjects_are_checked() {
    let bad = |subject: &str, body: &str| {
        Template {
            subject: subject.into(),
            body: body.into(),
        }
        .validate()
    };
    assert_eq!(
        bad("s", "a {buyer_name"),
        Err(TemplateError::UnmatchedBrace {
            part: Part::Body,
            line: 1
        })
    );
    assert_eq!(
        bad("s", "a\nb }"),
        Err(TemplateError::UnmatchedBrace {
            part: Part::Body,
            line: 2
        })
    );
    assert_eq!(
        bad("{x} s", "b"),
        Err(TemplateError::UnknownPlaceholder {
            name: "x".into(),
            part: Part::Subject,
            line: 1
        })
    );
    assert_eq!(bad("", "b"), Err(TemplateError::BadSubject));
    assert_eq!(bad("a\nb", "b"), Err(TemplateError::BadSubject));
    let literal = Template {
        subject: "s".into(),
        body: "{{buyer_name}} = {buyer_name}".into(),
    };
    let r = literal.render(&values()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.body, "{buyer_name} = 山田 太郎");
}

#[test]
fn values_are_not_expanded_again_and_cannot_break_the_subject() {
    let t = Template {
        subject: "{buyer_name} 様".into(),
        body: "{buyer_name}".into(),
    };
    let v = Values {
        buyer_name: "{shop_name}\r\nBcc: x@example.com".into(),
        ..values()
    };
    let r = t.render(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.subject, "{shop_name}  Bcc: x@example.com 様");
    assert_eq!(r.body, "{shop_name}\r\nBcc: x@example.com");
}

#[test]
fn the_monthly_summary_mail_lists_every_figure() {
    let s = MonthlySummary {
        year: 2024,
        month: 5,
        renewals: 120,
        renewal_amount: Yen(360_000),
        failures: 4,
        failure_amount: Yen(12_000),
        recovered: 1,
        recovered_amount: Yen(3000),
        switched: 2,
        switched_amount: Yen(6000),
        missed: 2,
        cards_expiring_soon: 7,
        cards_expired: 3,
        monthly_revenue_at_risk: Yen(29_400),
        lapsed_orders: 1,
        lapsed_amount: Yen(5500),
    };
    let ja = monthly_summary(&s, "クッキー工房", Language::Ja);
    assert_eq!(
        ja.subject,
        "【PayDesk】2024年5月の定期購入まとめ クッキー工房"
    );
    for line in [
        "継続決済の成功: 120件（¥360,000）",
        "継続決済の失敗: 4件（¥12,000）",
        "うちカードで回収済み: 1件（¥3,000）",
        "うち別の支払方法に変更（ペイジェント外・入金はPayDeskでは未確認）: 2件（¥6,000）",
        "カード期限間近: 7件",
        "カード期限切れ: 3件",
        "リスクのある月間売上: ¥29,400",
        "オーソリ期限切れで失われた売上: 1件（¥5,500）",
    ] {
        assert!(ja.body.contains(line), "{line}\n{}", ja.body);
    }
    let en = monthly_summary(&s, "Cookie Works", Language::En);
    assert!(
        en.body
            .contains("Lost to lapsed authorizations: 1 (¥5,500)"),
        "{}",
        en.body
    );
}

#[test]
fn every_kind_has_its_built_in_text_checked_against_its_own_placeholders() {
    use domain::mail_template::TemplateKind;
    for kind in TemplateKind::ALL {
        for lang in [Language::Ja, Language::En] {
            let t = Template::for_kind(kind, lang);
            assert_eq!(t.validate_for(kind), Ok(()), "{kind:?} {lang:?}");
        }
    }
    // A reminder's placeholder is not an order mail's, and the other way round.
    let member = Template {
        subject: "x".into(),
        body: "{member_id}".into(),
    };
    let reminder = TemplateKind::Reminder(ReminderKind::Expired);
    let notice = TemplateKind::OrderMail(domain::order_mail::OrderMailKind::ShippingNotice);
    assert_eq!(member.validate_for(reminder), Ok(()));
    assert!(member.validate_for(notice).is_err());
    assert!(mail::placeholders_for(notice).contains(&"tracking_number"));
    assert!(!mail::placeholders_for(reminder).contains(&"tracking_number"));
}
