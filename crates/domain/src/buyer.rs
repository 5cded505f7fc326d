//! The buyer's details as the shop owner edits them on an order (name, kana, e-mail, phone,
//! postal code, address): checked and put in one stored form, or refused with a plain
//! reason per field. Full-width digits and hyphens typed with a Japanese input method are
//! accepted (NFKC), so "０９０－１２３４－５６７８" is a phone number.

use unicode_normalization::UnicodeNormalization;

use crate::history::Text;
use crate::rules::RULES;
use crate::storefront::DetailField;

/// What the shop owner typed; an empty box is "none".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuyerInput {
    pub name: String,
    pub kana: String,
    pub email: String,
    pub phone: String,
    pub postal_code: String,
    /// Prefecture, city, line 1, line 2.
    pub address: [String; 4],
}

/// The checked details, in their stored form (`None` = empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuyerDetails {
    pub name: Option<String>,
    pub kana: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postal_code: Option<String>,
    pub address: [Option<String>; 4],
}

/// One field refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerProblem {
    pub field: DetailField,
    pub reason: Text,
}

fn none_if_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Digits and the separators people type between them, after NFKC (full-width to ASCII).
fn digits_of(s: &str, extra: &[char]) -> Option<String> {
    let normal: String = s.nfkc().collect();
    let mut digits = String::new();
    for c in normal.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | ' ' | '‐' | '−' | 'ー' | '―' => {}
            c if extra.contains(&c) => {}
            _ => return None,
        }
    }
    Some(digits)
}

fn email_ok(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && email.chars().all(|c| c.is_ascii_graphic())
}

/// Checks every field; all problems at once, so the shop owner fixes them in one go.
pub fn check_buyer(input: &BuyerInput) -> Result<BuyerDetails, Vec<BuyerProblem>> {
    let mut problems = Vec::new();
    let max = RULES.buyer_text_max_chars;
    let mut text = |field: DetailField, value: &str| -> Option<String> {
        let v = none_if_empty(value);
        if v.as_ref().is_some_and(|v| v.chars().count() > max) {
            let label = field.label();
            problems.push(BuyerProblem {
                field,
                reason: Text::new(
                    format!("{}が長すぎます（{max}文字まで）。", label.ja),
                    format!("The {} is too long ({max} characters at most).", label.en),
                ),
            });
        }
        v
    };
    let name = text(DetailField::BuyerName, &input.name);
    let kana = text(DetailField::BuyerNameKana, &input.kana);
    let address = [
        text(DetailField::Address, &input.address[0]),
        text(DetailField::Address, &input.address[1]),
        text(DetailField::Address, &input.address[2]),
        text(DetailField::Address, &input.address[3]),
    ];
    let email = none_if_empty(&input.email).map(|e| e.nfkc().collect::<String>());
    if let Some(e) = &email
        && !email_ok(e)
    {
        problems.push(BuyerProblem {
            field: DetailField::BuyerEmail,
            reason: Text::new(
                format!("メールアドレス「{e}」の形が正しくありません（例：taro@example.jp）。"),
                format!("\"{e}\" is not an e-mail address (e.g. taro@example.jp)."),
            ),
        });
    }
    let phone = match none_if_empty(&input.phone) {
        None => None,
        Some(p) => {
            let leading_plus = p.nfkc().next() == Some('+');
            match digits_of(&p, &['+', '(', ')']) {
                Some(d) if (10..=15).contains(&d.len()) => {
                    Some(if leading_plus { format!("+{d}") } else { d })
                }
                _ => {
                    problems.push(BuyerProblem {
                        field: DetailField::BuyerPhone,
                        reason: Text::new(
                            format!("電話番号「{p}」は数字10〜15桁で入力してください（ハイフンは入れても入れなくても構いません）。"),
                            format!("Enter the phone number \"{p}\" as 10 to 15 digits (hyphens are fine)."),
                        ),
                    });
                    None
                }
            }
        }
    };
    let postal_code = match none_if_empty(&input.postal_code) {
        None => None,
        Some(z) => match digits_of(&z, &['〒']) {
            Some(d) if d.len() == 7 => Some(format!("{}-{}", &d[..3], &d[3..])),
            _ => {
                problems.push(BuyerProblem {
                    field: DetailField::ShippingZip,
                    reason: Text::new(
                        format!("郵便番号「{z}」は7桁の数字で入力してください（例：150-0001）。"),
                        format!("Enter the postal code \"{z}\" as 7 digits (e.g. 150-0001)."),
                    ),
                });
                None
            }
        },
    };
    if problems.is_empty() {
        Ok(BuyerDetails {
            name,
            kana,
            email,
            phone,
            postal_code,
            address,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BuyerInput {
        BuyerInput {
            name: "山田 太郎".into(),
            kana: "ヤマダ タロウ".into(),
            email: "taro@example.jp".into(),
            phone: "０９０－１２３４－５６７８".into(),
            postal_code: "〒1500001".into(),
            address: [
                "東京都".into(),
                "渋谷区".into(),
                "神宮前1-2-3".into(),
                String::new(),
            ],
        }
    }

    #[test]
    fn full_width_digits_and_hyphens_are_accepted_and_stored_plainly() {
        let d = check_buyer(&input()).unwrap();
        assert_eq!(d.phone.as_deref(), Some("09012345678"));
        assert_eq!(d.postal_code.as_deref(), Some("150-0001"));
        assert_eq!(d.address[3], None);
        assert_eq!(d.name.as_deref(), Some("山田 太郎"));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = BuyerInput {
            email: "taro@example".into(),
            phone: "090-12".into(),
            postal_code: "15-0001".into(),
            name: "x".repeat(RULES.buyer_text_max_chars + 1),
            ..input()
        };
        let problems = check_buyer(&bad).unwrap_err();
        let fields: Vec<DetailField> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                DetailField::BuyerName,
                DetailField::BuyerEmail,
                DetailField::BuyerPhone,
                DetailField::ShippingZip
            ]
        );
        assert!(problems[1].reason.ja.contains("taro@example"));
    }

    #[test]
    fn empty_boxes_clear_the_fields() {
        let d = check_buyer(&BuyerInput::default()).unwrap();
        assert_eq!(d, BuyerDetails::default());
    }
}
