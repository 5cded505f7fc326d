//! Japan's qualified invoice (適格請求書) rules that a document must follow, without I/O:
//! the issuer's registration number (`T` + 13 digits with the corporate number's check
//! digit) and consumption tax per rate, rounded once per rate per document (消費税法施行令
//! 第70条の10; the National Tax Agency's Q&A 問57: never per line). Prices are tax-inclusive
//! (税込), as Japanese shops sell to consumers. Sources: `docs/external-formats.md` §C.

use paygent_codec::Yen;

use crate::history::Text;

/// A qualified invoice issuer's registration number (登録番号): `T` and 13 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationNumber(String);

/// Why a registration number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationError {
    /// Not `T` followed by 13 digits.
    Format,
    /// The 13 digits fail the check digit: almost certainly mistyped.
    CheckDigit,
}

impl RegistrationError {
    /// The stable code the UI switches on.
    pub fn code(self) -> &'static str {
        match self {
            RegistrationError::Format => "registration_number_format",
            RegistrationError::CheckDigit => "registration_number_check_digit",
        }
    }

    /// What is wrong and what to do, in plain words.
    pub fn message(self) -> Text {
        match self {
            RegistrationError::Format => Text::new(
                "登録番号は「T」と13桁の数字です（例: T1234567890123）。",
                "A registration number is \"T\" and 13 digits (e.g. T1234567890123).",
            ),
            RegistrationError::CheckDigit => Text::new(
                "登録番号の数字が正しくないようです（検査用の数字が合いません）。国税庁の適格請求書発行事業者公表サイトで番号を確かめてください。",
                "The registration number's digits do not check out (its check digit does not match). Look the number up on the National Tax Agency's qualified invoice issuer site.",
            ),
        }
    }
}

impl RegistrationNumber {
    /// Reads a number as a shop owner types it: full-width characters, a lower-case `t`,
    /// spaces and hyphens between digits are accepted; the result is `T` + 13 digits.
    pub fn parse(text: &str) -> Result<RegistrationNumber, RegistrationError> {
        let folded: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{3000}' | '-' | '－' | 'ー'))
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                't' | 'Ｔ' | 'ｔ' => 'T',
                c => c,
            })
            .collect();
        let digits = folded
            .strip_prefix('T')
            .filter(|d| d.len() == 13 && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(RegistrationError::Format)?;
        if check_digit(&digits[1..]) != digits.as_bytes()[0] - b'0' {
            return Err(RegistrationError::CheckDigit);
        }
        Ok(RegistrationNumber(folded))
    }

    /// `T` and 13 digits, as printed on a document.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The corporate number's check digit (法人番号の指定等に関する省令 第2条), which the
/// National Tax Agency's registration numbers share: 9 − (Σ Pn × Qn mod 9) over the 12
/// base digits, Pn counted from the right, Qn = 1 for odd n and 2 for even n.
fn check_digit(base: &str) -> u8 {
    let sum: u32 = base
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    9 - (sum % 9) as u8
}

/// A consumption tax rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaxRate {
    /// The reduced rate, 8% (food and drink, newspapers): marked ※ on documents.
    Reduced,
    /// The standard rate, 10% (everything else, shipping included).
    Standard,
}

impl TaxRate {
    pub fn percent(self) -> i64 {
        match self {
            TaxRate::Reduced => 8,
            TaxRate::Standard => 10,
        }
    }
}

/// How the tax of one rate is rounded to whole yen; the shop chooses, the law allows any,
/// once per rate per document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rounding {
    /// Rounded down (切り捨て), what most shops use.
    #[default]
    Down,
    /// Rounded up (切り上げ).
    Up,
    /// Rounded half up (四捨五入).
    HalfUp,
}

/// One priced line of a document: tax-inclusive amount (quantity × unit price, or a
/// shipping fee, or a negative adjustment such as a refund) at one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxedAmount {
    pub rate: TaxRate,
    pub amount: Yen,
}

/// One rate's part of a document: its tax-inclusive total and the tax in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateTotal {
    pub rate: TaxRate,
    /// Tax-inclusive total of the lines at this rate.
    pub total: Yen,
    /// The consumption tax in `total`, rounded once.
    pub tax: Yen,
}

/// The totals per rate of one document, reduced rate first, rates without lines left out.
/// The tax of each rate is `total × rate / (100 + rate)`, rounded once as the shop chose.
pub fn totals_per_rate(lines: &[TaxedAmount], rounding: Rounding) -> Vec<RateTotal> {
    [TaxRate::Reduced, TaxRate::Standard]
        .into_iter()
        .filter(|rate| lines.iter().any(|l| l.rate == *rate))
        .map(|rate| {
            let total: i64 = lines
                .iter()
                .filter(|l| l.rate == rate)
                .map(|l| l.amount.0)
                .sum();
            let tax = divide(total * rate.percent(), 100 + rate.percent(), rounding);
            RateTotal {
                rate,
                total: Yen(total),
                tax: Yen(tax),
            }
        })
        .collect()
}

/// Splits a change that does not say which items it concerns (a refund, an amount change)
/// over the rates of an order's items, in proportion to each rate's item total (按分), so
/// that each rate's tax follows the money that moved at it. Each part is rounded toward
/// zero and the largest rate's part takes what rounding left, so the parts add up to
/// `amount` exactly. Rates in `shares` order; a part of zero is left out. One rate (or no
/// sales) gives the whole amount to the first.
pub fn allocate(amount: Yen, shares: &[(TaxRate, Yen)]) -> Vec<(TaxRate, Yen)> {
    let sold: i64 = shares.iter().map(|(_, y)| y.0).sum();
    let Some(largest) = shares
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, y))| (y.0, std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
    else {
        return Vec::new();
    };
    if sold <= 0 || shares.len() == 1 {
        return vec![(shares[0].0, amount)];
    }
    let mut parts: Vec<(TaxRate, Yen)> = shares
        .iter()
        .map(|(rate, y)| {
            // i128: an amount times a share may pass i64 for absurd inputs.
            let part = i128::from(amount.0) * i128::from(y.0) / i128::from(sold);
            (*rate, Yen(i64::try_from(part).unwrap_or(0)))
        })
        .collect();
    let rest = amount.0 - parts.iter().map(|(_, y)| y.0).sum::<i64>();
    parts[largest].1 = Yen(parts[largest].1.0 + rest);
    parts.retain(|(_, y)| y.0 != 0);
    parts
}

/// `n / d` rounded as asked, on the magnitude: a negative total (a document that refunds
/// more than it sells at one rate) is rounded as its positive counterpart, then negated.
fn divide(n: i64, d: i64, rounding: Rounding) -> i64 {
    let (q, r) = (n.abs() / d, n.abs() % d);
    let magnitude = match rounding {
        Rounding::Down => q,
        Rounding::Up => q + i64::from(r != 0),
        Rounding::HalfUp => q + i64::from(2 * r >= d),
    };
    magnitude * n.signum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_split_over_the_items_rates_and_adds_up_exactly() {
        use TaxRate::{Reduced, Standard};
        let shares = [(Reduced, Yen(3240)), (Standard, Yen(2200))];
        // ¥1,000 back of ¥5,440: 595.58… at 8%, 404.41… at 10%; the larger share takes
        // the yen rounding left.
        assert_eq!(
            allocate(Yen(-1000), &shares),
            [(Reduced, Yen(-596)), (Standard, Yen(-404))]
        );
        assert_eq!(
            allocate(Yen(-5440), &shares),
            [(Reduced, Yen(-3240)), (Standard, Yen(-2200))]
        );
        for amount in [-1, -7, -999, -5439, 3, 1234] {
            let parts = allocate(Yen(amount), &shares);
            assert_eq!(parts.iter().map(|(_, y)| y.0).sum::<i64>(), amount);
        }
        assert_eq!(allocate(Yen(-1), &shares), [(Reduced, Yen(-1))]);
        assert_eq!(
            allocate(Yen(-500), &[(Standard, Yen(2000))]),
            [(Standard, Yen(-500))]
        );
        assert_eq!(
            allocate(Yen(-500), &[(Reduced, Yen(0)), (Standard, Yen(0))]),
            [(Reduced, Yen(-500))]
        );
        assert!(allocate(Yen(-500), &[]).is_empty());
    }

    #[test]
    fn registration_numbers_are_read_as_typed_and_checked() {
        // Real and published numbers (docs/external-formats.md §C3) pass.
        for good in [
            "T7123456789012",
            "T4011001098993",
            "T7120001168421",
            "T2120901007402",
            "T7010705000725",
        ] {
            assert_eq!(
                RegistrationNumber::parse(good).map(|n| n.0),
                Ok(good.to_owned())
            );
        }
        // As typed: lower case, full width, spaces and hyphens.
        for typed in [
            "t7010705000725",
            "Ｔ７０１０７０５０００７２５",
            "T 7010-7050-00725",
        ] {
            assert_eq!(
                RegistrationNumber::parse(typed).map(|n| n.0),
                Ok("T7010705000725".to_owned()),
                "{typed}"
            );
        }
        assert_eq!(
            RegistrationNumber::parse("T7010705000726"),
            Err(RegistrationError::CheckDigit)
        );
        for bad in [
            "7010705000725",
            "T701070500072",
            "T70107050007255",
            "TX010705000725",
            "",
        ] {
            assert_eq!(
                RegistrationNumber::parse(bad),
                Err(RegistrationError::Format),
                "{bad}"
            );
        }
    }

    #[test]
    fn tax_is_rounded_once_per_rate_never_per_line() {
        let lines = [
            TaxedAmount {
                rate: TaxRate::Standard,
                amount: Yen(1_099),
            },
            TaxedAmount {
                rate: TaxRate::Standard,
                amount: Yen(1_099),
            },
            TaxedAmount {
                rate: TaxRate::Reduced,
                amount: Yen(540),
            },
            TaxedAmount {
                rate: TaxRate::Standard,
                amount: Yen(500),
            },
        ];
        // Per line rounded down: 99 + 99 + 45 = 243 at 10%; once per rate: 2,698 × 10/110 = 245.27.
        assert_eq!(
            totals_per_rate(&lines, Rounding::Down),
            vec![
                RateTotal {
                    rate: TaxRate::Reduced,
                    total: Yen(540),
                    tax: Yen(40)
                },
                RateTotal {
                    rate: TaxRate::Standard,
                    total: Yen(2_698),
                    tax: Yen(245)
                },
            ]
        );
        let up = totals_per_rate(&lines, Rounding::Up);
        assert_eq!((up[0].tax, up[1].tax), (Yen(40), Yen(246)));
        let half = totals_per_rate(&lines[..1], Rounding::HalfUp);
        assert_eq!(half[0].tax, Yen(100), "1,099 × 10/110 = 99.9");
        assert!(totals_per_rate(&[], Rounding::Down).is_empty());
    }

    #[test]
    fn a_refund_lowers_the_rate_it_belongs_to() {
        let lines = [
            TaxedAmount {
                rate: TaxRate::Standard,
                amount: Yen(3_300),
            },
            TaxedAmount {
                rate: TaxRate::Standard,
                amount: Yen(-1_100),
            },
        ];
        let t = totals_per_rate(&lines, Rounding::Down);
        assert_eq!((t[0].total, t[0].tax), (Yen(2_200), Yen(200)));
        // More refunded than sold at one rate: the tax is negative, rounded as its magnitude.
        let t = totals_per_rate(&lines[1..], Rounding::Down);
        assert_eq!(t[0].tax, Yen(-100));
        assert_eq!(divide(-1_099 * 10, 110, Rounding::Down), -99);
        assert_eq!(divide(-1_099 * 10, 110, Rounding::Up), -100);
        assert_eq!(divide(-1_099 * 10, 110, Rounding::HalfUp), -100);
    }
}
