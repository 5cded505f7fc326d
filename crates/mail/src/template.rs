//! The two fixed card reminders of the seed (7-7: expiring soon, expired) in Japanese and
//! English, their placeholders, validation of an edited copy, rendering, and the shop's
//! monthly summary.
//!
//! A template is plain text with `{placeholder}`s; `{{` and `}}` write literal braces.
//! Rendering is one pass, so a value containing braces is never expanded again; values are
//! put into the subject with line breaks turned into spaces (no header injection).

use domain::history::{Text, yen};
use domain::mail_template::TemplateKind;
use domain::subscription::{MonthlySummary, ReminderKind};

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 4] = ["buyer_name", "shop_name", "member_id", "shop_contact"];

/// The placeholders a kind of mail may use.
pub fn placeholders_for(kind: TemplateKind) -> &'static [&'static str] {
    match kind {
        TemplateKind::Reminder(_) => &PLACEHOLDERS,
        TemplateKind::OrderMail(k) => crate::order_mail::placeholders(k),
    }
}

/// A language of the built-in texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// Japanese.
    Ja,
    /// English.
    En,
}

impl Language {
    /// `ja` / `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }

    /// The language for a code.
    pub fn from_code(code: &str) -> Option<Language> {
        match code {
            "ja" => Some(Language::Ja),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// A subject and body with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Subject line.
    pub subject: String,
    /// Body.
    pub body: String,
}

/// The values put into a template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Values {
    /// `{buyer_name}`: the buyer's name (購入者氏名).
    pub buyer_name: String,
    /// `{shop_name}`: the shop's name (ショップ名).
    pub shop_name: String,
    /// `{member_id}`: the buyer's member ID (会員ID, the gateway's customer_id).
    pub member_id: String,
    /// `{shop_contact}`: the shop's contact block (address, e-mail, phone, site; one per
    /// line).
    pub shop_contact: String,
}

impl Values {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "buyer_name" => &self.buyer_name,
            "shop_name" => &self.shop_name,
            "member_id" => &self.member_id,
            "shop_contact" => &self.shop_contact,
            _ => return None,
        })
    }
}

/// Which part of a template is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The subject.
    Subject,
    /// The body.
    Body,
}

impl Part {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Part::Subject => ("件名", "subject"),
            Part::Body => ("本文", "body"),
        }
    }
}

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{name}` that is not a placeholder.
    #[error(
        "unknown placeholder {{{name}}} in the {part:?} (line {line}); valid placeholders: {{buyer_name}}, {{shop_name}}, {{member_id}}, {{shop_contact}}"
    )]
    UnknownPlaceholder {
        /// The name between the braces.
        name: String,
        /// Subject or body.
        part: Part,
        /// The line (1-based).
        line: usize,
    },
    /// A `{` without its `}` (or a lone `}`); write `{{` / `}}` for a literal brace.
    #[error(
        "unmatched brace in the {part:?} (line {line}); write {{{{ or }}}} for a literal brace"
    )]
    UnmatchedBrace {
        /// Subject or body.
        part: Part,
        /// The line (1-based).
        line: usize,
    },
    /// The subject is empty or has a line break.
    #[error("the subject must be one non-empty line")]
    BadSubject,
    /// A `{name}` that is not one of an order mail's placeholders (`valid`).
    #[error(
        "unknown placeholder {{{name}}} in the {part:?} (line {line}); valid placeholders: {valid:?}"
    )]
    NotAPlaceholder {
        /// The name between the braces.
        name: String,
        /// Subject or body.
        part: Part,
        /// The line (1-based).
        line: usize,
        /// The placeholders this mail may use.
        valid: &'static [&'static str],
    },
    /// An order mail uses a placeholder that has no value for this order: the mail is not
    /// sent (issue 20: "a mail with an unfilled placeholder is not sent").
    #[error("the placeholder {{{name}}} has no value for this order")]
    Unfilled {
        /// The placeholder.
        name: String,
    },
}

impl TemplateError {
    /// The stable code for the error dictionary.
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::UnknownPlaceholder { .. } => "template_unknown_placeholder",
            TemplateError::UnmatchedBrace { .. } => "template_unmatched_brace",
            TemplateError::BadSubject => "template_bad_subject",
            TemplateError::NotAPlaceholder { .. } => "template_unknown_placeholder",
            TemplateError::Unfilled { .. } => "template_unfilled_placeholder",
        }
    }

    /// The message for the shop, in Japanese and English.
    pub fn text(&self) -> Text {
        let valid = PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join("、");
        match self {
            TemplateError::UnknownPlaceholder { name, part, line } => Text::new(
                format!(
                    "{}の{line}行目の「{{{name}}}」は使えない差し込み項目です。使える項目: {valid}",
                    part.names().0
                ),
                format!(
                    "\"{{{name}}}\" on line {line} of the {} is not a placeholder. Valid placeholders: {}",
                    part.names().1,
                    valid.replace('、', ", ")
                ),
            ),
            TemplateError::UnmatchedBrace { part, line } => Text::new(
                format!(
                    "{}の{line}行目に閉じていない波かっこがあります。波かっこそのものは {{{{ または }}}} と書いてください。",
                    part.names().0
                ),
                format!(
                    "Line {line} of the {} has an unmatched brace. Write {{{{ or }}}} for a literal brace.",
                    part.names().1
                ),
            ),
            TemplateError::BadSubject => Text::new(
                "件名は空にせず、1行で入力してください。",
                "The subject must be one line and not empty.",
            ),
            TemplateError::NotAPlaceholder {
                name,
                part,
                line,
                valid,
            } => {
                let list = |sep: &str| {
                    valid
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(sep)
                };
                Text::new(
                    format!(
                        "{}の{line}行目の「{{{name}}}」は使えない差し込み項目です。使える項目: {}",
                        part.names().0,
                        list("、")
                    ),
                    format!(
                        "\"{{{name}}}\" on line {line} of the {} is not a placeholder. Valid placeholders: {}",
                        part.names().1,
                        list(", ")
                    ),
                )
            }
            TemplateError::Unfilled { name } => {
                let (ja, en) = crate::order_mail::placeholder_meaning(name);
                Text::new(
                    format!(
                        "差し込み項目「{{{name}}}」（{ja}）に入れる値がこの注文にないため、メールは送っていません。"
                    ),
                    format!(
                        "The placeholder \"{{{name}}}\" ({en}) has no value for this order, so the mail was not sent."
                    ),
                )
            }
        }
    }
}

enum Piece<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

/// The placeholders a template may use: the reminders' ([`PLACEHOLDERS`]) or an order
/// mail's.
#[derive(Clone, Copy)]
pub(crate) enum Allowed {
    Reminder,
    Order(&'static [&'static str]),
}

fn parse(text: &str, part: Part, allowed: Allowed) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut line = 1;
    while let Some(i) = rest.find(['{', '}']) {
        let (before, after) = rest.split_at(i);
        pieces.push(Piece::Literal(before));
        line += before.matches('\n').count();
        if let Some(r) = after.strip_prefix("{{") {
            pieces.push(Piece::Literal("{"));
            rest = r;
        } else if let Some(r) = after.strip_prefix("}}") {
            pieces.push(Piece::Literal("}"));
            rest = r;
        } else if after.starts_with('}') {
            return Err(TemplateError::UnmatchedBrace { part, line });
        } else {
            let Some(end) = after.find('}') else {
                return Err(TemplateError::UnmatchedBrace { part, line });
            };
            let name = &after[1..end];
            if name.contains(['{', '\n']) {
                return Err(TemplateError::UnmatchedBrace { part, line });
            }
            match allowed {
                Allowed::Reminder if !PLACEHOLDERS.contains(&name.trim()) => {
                    return Err(TemplateError::UnknownPlaceholder {
                        name: name.to_owned(),
                        part,
                        line,
                    });
                }
                Allowed::Order(valid) if !valid.contains(&name.trim()) => {
                    return Err(TemplateError::NotAPlaceholder {
                        name: name.to_owned(),
                        part,
                        line,
                        valid,
                    });
                }
                _ => {}
            }
            pieces.push(Piece::Placeholder(name.trim()));
            rest = &after[end + 1..];
        }
    }
    pieces.push(Piece::Literal(rest));
    Ok(pieces)
}

fn render_part(text: &str, part: Part, values: &Values) -> Result<String, TemplateError> {
    fill(
        text,
        part,
        Allowed::Reminder,
        &|name| values.get(name),
        false,
    )
}

/// Fills one part in; `strict`: a placeholder without a value refuses the mail.
pub(crate) fn fill<'v>(
    text: &str,
    part: Part,
    allowed: Allowed,
    get: &dyn Fn(&str) -> Option<&'v str>,
    strict: bool,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 64);
    for piece in parse(text, part, allowed)? {
        match piece {
            Piece::Literal(s) => out.push_str(s),
            Piece::Placeholder(name) => {
                let v = get(name).unwrap_or_default();
                if strict && v.trim().is_empty() {
                    return Err(TemplateError::Unfilled {
                        name: name.to_owned(),
                    });
                }
                if part == Part::Subject {
                    out.push_str(&v.replace(['\r', '\n'], " "));
                } else {
                    out.push_str(v);
                }
            }
        }
    }
    Ok(out)
}

/// A template filled in, ready to queue or send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
}

impl Template {
    /// The built-in text of a reminder (the seed's fixed templates, 7-7).
    pub fn builtin(kind: ReminderKind, language: Language) -> Template {
        let (subject, body) = match (kind, language) {
            (ReminderKind::ExpiringSoon, Language::Ja) => {
                (EXPIRING_SOON_SUBJECT_JA, EXPIRING_SOON_JA)
            }
            (ReminderKind::Expired, Language::Ja) => (EXPIRED_SUBJECT_JA, EXPIRED_JA),
            (ReminderKind::ExpiringSoon, Language::En) => {
                (EXPIRING_SOON_SUBJECT_EN, EXPIRING_SOON_EN)
            }
            (ReminderKind::Expired, Language::En) => (EXPIRED_SUBJECT_EN, EXPIRED_EN),
        };
        Template {
            subject: subject.to_owned(),
            body: body.to_owned(),
        }
    }

    /// Checks an edited template: only known placeholders, matched braces, a one-line
    /// subject.
    pub fn validate(&self) -> Result<(), TemplateError> {
        self.check(Allowed::Reminder)
    }

    pub(crate) fn check(&self, allowed: Allowed) -> Result<(), TemplateError> {
        if self.subject.trim().is_empty() || self.subject.contains(['\r', '\n']) {
            return Err(TemplateError::BadSubject);
        }
        parse(&self.subject, Part::Subject, allowed)?;
        parse(&self.body, Part::Body, allowed)?;
        Ok(())
    }

    /// The built-in text of any editable mail (a reminder or an order mail).
    pub fn for_kind(kind: TemplateKind, language: Language) -> Template {
        match kind {
            TemplateKind::Reminder(k) => Template::builtin(k, language),
            TemplateKind::OrderMail(k) => crate::order_mail::builtin(k, language),
        }
    }

    /// Checks an edited text of this kind: only the kind's placeholders, matched braces, a
    /// one-line subject.
    pub fn validate_for(&self, kind: TemplateKind) -> Result<(), TemplateError> {
        match kind {
            TemplateKind::Reminder(_) => self.validate(),
            TemplateKind::OrderMail(k) => crate::order_mail::validate(self, k),
        }
    }

    /// Fills the template in.
    pub fn render(&self, values: &Values) -> Result<Rendered, TemplateError> {
        self.validate()?;
        Ok(Rendered {
            subject: render_part(&self.subject, Part::Subject, values)?,
            body: render_part(&self.body, Part::Body, values)?,
        })
    }
}

const EXPIRING_SOON_SUBJECT_JA: &str =
    "《クレジットカード変更のお願い》有効期限が迫ってきております {shop_name}";

const EXPIRING_SOON_JA: &str = "{buyer_name} 様

いつも当店をご利用いただきまして、誠にありがとうございます。
定期購入のお支払いにご登録いただいているクレジットカードの有効期限が近づいてまいりましたので、念のためご連絡いたします。

お手数ですが、クレジットカードの有効期限が切れる前に、会員マイページよりご登録のクレジットカード情報をご変更くださいますようお願いいたします。

━━━━━━━━━━━━━━━
 ご利用店：{shop_name}
━━━━━━━━━━━━━━━

【クレジットカード情報のご変更手順】

1. 会員マイページへログインしてください
2. ご登録カードの管理画面を開き、「変更」を選んでください
3. 新しいクレジットカード情報を入力してください
4. 「登録」ボタンを押してください

■会員情報
------------------------------------------------
 会員ID：{member_id}

ご不明な点がございましたら、下記までお問い合わせください。
お手数をおかけし誠に恐れ入りますが、どうぞよろしくお願いいたします。

【お問い合わせ先】
============================================================
{shop_name}
{shop_contact}
============================================================
";

const EXPIRED_SUBJECT_JA: &str =
    "《クレジットカード変更のお願い》有効期限が切れています {shop_name}";

const EXPIRED_JA: &str = "{buyer_name} 様

いつも当店をご利用いただきまして、誠にありがとうございます。
定期購入のお支払いにご登録いただいているクレジットカードの有効期限が切れているため、お支払いを完了できない状況です。

お手数ですが、会員マイページよりご登録のクレジットカードをご変更くださいますようお願いいたします。
なお、別のお支払い方法をご希望の場合は、その旨をご連絡いただけましたら幸いです。

━━━━━━━━━━━━━━━
 ご利用店：{shop_name}
━━━━━━━━━━━━━━━

【クレジットカード情報のご変更手順】

1. 会員マイページへログインしてください
2. ご登録カードの管理画面を開き、「変更」を選んでください
3. 新しいクレジットカード情報を入力してください
4. 「登録」ボタンを押してください

■会員情報
------------------------------------------------
 会員ID：{member_id}

ご不明な点がございましたら、下記までお問い合わせください。
お手数をおかけし誠に恐れ入りますが、どうぞよろしくお願いいたします。

【お問い合わせ先】
============================================================
{shop_name}
{shop_contact}
============================================================
";

const EXPIRING_SOON_SUBJECT_EN: &str =
    "Please update your credit card: it expires soon ({shop_name})";

const EXPIRING_SOON_EN: &str = "Dear {buyer_name},

Thank you for shopping with us.
The credit card registered for your subscription will expire soon, so we are letting you know in advance.

Please update the card details in your member page before the card expires.

---------------------------------------
 Shop: {shop_name}
---------------------------------------

How to update your card

1. Log in to your member page
2. Open your registered cards and choose \"Change\"
3. Enter the new card's details
4. Press \"Register\"

Member information
 Member ID: {member_id}

If you have any questions, please contact us below.
We apologize for the trouble and thank you for your understanding.

Contact
============================================================
{shop_name}
{shop_contact}
============================================================
";

const EXPIRED_SUBJECT_EN: &str = "Please update your credit card: it has expired ({shop_name})";

const EXPIRED_EN: &str = "Dear {buyer_name},

Thank you for shopping with us.
The credit card registered for your subscription has expired, so we could not complete your payment.

Please update the card in your member page.
If you would prefer another payment method, please let us know.

---------------------------------------
 Shop: {shop_name}
---------------------------------------

How to update your card

1. Log in to your member page
2. Open your registered cards and choose \"Change\"
3. Enter the new card's details
4. Press \"Register\"

Member information
 Member ID: {member_id}

If you have any questions, please contact us below.
We apologize for the trouble and thank you for your understanding.

Contact
============================================================
{shop_name}
{shop_contact}
============================================================
";

/// The shop's monthly summary mail.
pub fn monthly_summary(summary: &MonthlySummary, shop_name: &str, language: Language) -> Rendered {
    let s = summary;
    match language {
        Language::Ja => Rendered {
            subject: format!(
                "【PayDesk】{}年{}月の定期購入まとめ {shop_name}",
                s.year, s.month
            ),
            body: format!(
                "{shop_name} 様\n\n{}年{}月の定期購入のまとめです。\n\n\
                 継続決済の成功: {}件（{}）\n\
                 継続決済の失敗: {}件（{}）\n\
                 \u{3000}うちカードで回収済み: {}件（{}）\n\
                 \u{3000}うち別の支払方法に変更（ペイジェント外・入金はPayDeskでは未確認）: {}件（{}）\n\
                 停止中に実行されなかった回: {}件\n\
                 カード期限間近: {}件\n\
                 カード期限切れ: {}件\n\
                 リスクのある月間売上: {}\n\
                 オーソリ期限切れで失われた売上: {}件（{}）\n\n\
                 詳しくは PayDesk のカード管理画面をご覧ください。\n",
                s.year,
                s.month,
                s.renewals,
                yen(s.renewal_amount),
                s.failures,
                yen(s.failure_amount),
                s.recovered,
                yen(s.recovered_amount),
                s.switched,
                yen(s.switched_amount),
                s.missed,
                s.cards_expiring_soon,
                s.cards_expired,
                yen(s.monthly_revenue_at_risk),
                s.lapsed_orders,
                yen(s.lapsed_amount),
            ),
        },
        Language::En => Rendered {
            subject: format!(
                "[PayDesk] Subscriptions in {}-{:02} ({shop_name})",
                s.year, s.month
            ),
            body: format!(
                "Subscriptions summary for {}-{:02}, {shop_name}.\n\n\
                 Renewals authorized: {} ({})\n\
                 Renewals failed: {} ({})\n\
                 \u{20}\u{20}of which collected by card after all: {} ({})\n\
                 \u{20}\u{20}of which switched to another payment method (outside Paygent; payment not confirmed by PayDesk): {} ({})\n\
                 Cycles missed while PayDesk was off: {}\n\
                 Cards expiring soon: {}\n\
                 Cards expired: {}\n\
                 Monthly revenue at risk: {}\n\
                 Lost to lapsed authorizations: {} ({})\n\n\
                 See the card screen in PayDesk for details.\n",
                s.year,
                s.month,
                s.renewals,
                yen(s.renewal_amount),
                s.failures,
                yen(s.failure_amount),
                s.recovered,
                yen(s.recovered_amount),
                s.switched,
                yen(s.switched_amount),
                s.missed,
                s.cards_expiring_soon,
                s.cards_expired,
                yen(s.monthly_revenue_at_risk),
                s.lapsed_orders,
                yen(s.lapsed_amount),
            ),
        },
    }
}
