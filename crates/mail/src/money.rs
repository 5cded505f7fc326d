//! The money part of the shop's monthly summary (issue 21, point 5): the month's net
//! sales, its expected deposits and the deposits whose difference is still open. The
//! caller fills [`MoneySummary`] from the same figures the screens show; this only writes
//! them out.

use domain::PaymentMethod;
use domain::Yen;
use domain::history::yen;

use crate::Language;

/// One settlement period's expected deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedLine {
    pub method: PaymentMethod,
    /// Japan days, `2026-11-01`.
    pub start: String,
    pub end: String,
    pub payment_date: String,
    pub expected: Yen,
}

/// A deposit received whose difference from the expected deposit nothing explains, or
/// that matches no period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDifference {
    pub method: PaymentMethod,
    pub received_on: String,
    pub amount: Yen,
    /// Received − expected; none: it matches no period.
    pub difference: Option<Yen>,
}

/// The month's money in, as the sales and deposits screens show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoneySummary {
    pub captured: Yen,
    pub refunded: Yen,
    /// Captured − refunded.
    pub net: Yen,
    /// The periods overlapping the month.
    pub expected: Vec<ExpectedLine>,
    /// Methods whose contract lacks something (then no figure), with what, in Japanese
    /// and English.
    pub missing: Vec<(PaymentMethod, String, String)>,
    /// Deposits still to come (payment date today or later).
    pub to_come: Yen,
    pub open_differences: Vec<OpenDifference>,
}

fn method_name(method: PaymentMethod, language: Language) -> &'static str {
    match (method, language) {
        (PaymentMethod::Card, Language::Ja) => "カード",
        (PaymentMethod::Card, Language::En) => "Card",
        (PaymentMethod::Paidy, _) => "Paidy",
    }
}

/// The section appended to the monthly summary's body.
pub fn money_section(s: &MoneySummary, language: Language) -> String {
    let mut out = String::new();
    match language {
        Language::Ja => {
            out.push_str("\n■ 売上と入金\n");
            out.push_str(&format!(
                "売上確定: {}\n返金: {}\n純売上: {}\n",
                yen(s.captured),
                yen(s.refunded),
                yen(s.net)
            ));
            out.push_str("入金予定(この月にかかる精算期間):\n");
            if s.expected.is_empty() && s.missing.is_empty() {
                out.push_str("\u{3000}なし\n");
            }
            for e in &s.expected {
                out.push_str(&format!(
                    "\u{3000}{} {}〜{}(支払日 {}): {}\n",
                    method_name(e.method, language),
                    e.start,
                    e.end,
                    e.payment_date,
                    yen(e.expected)
                ));
            }
            for (m, ja, _) in &s.missing {
                out.push_str(&format!("\u{3000}{}: {}\n", method_name(*m, language), ja));
            }
            out.push_str(&format!("これからの入金予定: {}\n", yen(s.to_come)));
            if s.open_differences.is_empty() {
                out.push_str("未解決の差額: なし\n");
            } else {
                out.push_str(&format!("未解決の差額: {}件\n", s.open_differences.len()));
                for d in &s.open_differences {
                    let what = match d.difference {
                        Some(diff) => format!("差額 {}", signed(diff)),
                        None => "照合できる精算期間なし".to_owned(),
                    };
                    out.push_str(&format!(
                        "\u{3000}{} {} 入金 {}: {what}\n",
                        d.received_on,
                        method_name(d.method, language),
                        yen(d.amount)
                    ));
                }
            }
        }
        Language::En => {
            out.push_str("\nSales and deposits\n");
            out.push_str(&format!(
                "Captured: {}\nRefunded: {}\nNet sales: {}\n",
                yen(s.captured),
                yen(s.refunded),
                yen(s.net)
            ));
            out.push_str("Expected deposits (settlement periods in the month):\n");
            if s.expected.is_empty() && s.missing.is_empty() {
                out.push_str("  none\n");
            }
            for e in &s.expected {
                out.push_str(&format!(
                    "  {} {} – {} (paid {}): {}\n",
                    method_name(e.method, language),
                    e.start,
                    e.end,
                    e.payment_date,
                    yen(e.expected)
                ));
            }
            for (m, _, en) in &s.missing {
                out.push_str(&format!("  {}: {}\n", method_name(*m, language), en));
            }
            out.push_str(&format!("Deposits still to come: {}\n", yen(s.to_come)));
            if s.open_differences.is_empty() {
                out.push_str("Open differences: none\n");
            } else {
                out.push_str(&format!("Open differences: {}\n", s.open_differences.len()));
                for d in &s.open_differences {
                    let what = match d.difference {
                        Some(diff) => format!("difference {}", signed(diff)),
                        None => "no settlement period matches".to_owned(),
                    };
                    out.push_str(&format!(
                        "  {} {} received {}: {what}\n",
                        d.received_on,
                        method_name(d.method, language),
                        yen(d.amount)
                    ));
                }
            }
        }
    }
    out
}

fn signed(y: Yen) -> String {
    if y.0 < 0 {
        format!("−{}", yen(Yen(-y.0)))
    } else {
        format!("+{}", yen(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_money_section_says_each_figure() {
        let s = MoneySummary {
            captured: Yen(10_000),
            refunded: Yen(1_000),
            net: Yen(9_000),
            expected: vec![ExpectedLine {
                method: PaymentMethod::Card,
                start: "2026-11-01".into(),
                end: "2026-11-30".into(),
                payment_date: "2026-12-15".into(),
                expected: Yen(8_310),
            }],
            missing: vec![(
                PaymentMethod::Paidy,
                "精算条件がまだ入力されていません".into(),
                "No settlement contract".into(),
            )],
            to_come: Yen(8_310),
            open_differences: vec![OpenDifference {
                method: PaymentMethod::Card,
                received_on: "2026-11-15".into(),
                amount: Yen(5_000),
                difference: Some(Yen(-36)),
            }],
        };
        let ja = money_section(&s, Language::Ja);
        assert!(ja.contains("純売上: ¥9,000"), "{ja}");
        assert!(
            ja.contains("カード 2026-11-01〜2026-11-30(支払日 2026-12-15): ¥8,310"),
            "{ja}"
        );
        assert!(ja.contains("Paidy: 精算条件"), "{ja}");
        assert!(ja.contains("未解決の差額: 1件"), "{ja}");
        assert!(ja.contains("差額 −¥36"), "{ja}");
        let en = money_section(&s, Language::En);
        assert!(en.contains("Net sales: ¥9,000"), "{en}");
        assert!(en.contains("difference −¥36"), "{en}");
    }
}
