//! The card-number stub (in the spirit of the sandbox's, §5.4): the last four digits
//! `XYZZ` of a card number choose what the gateway does with it.
//!
//! | X | effect |
//! |---|---|
//! | 1, 4, 5, 6, 0 (any other) | authorization, capture, cancels and revisions succeed |
//! | 2 | cancels fail: 021/023 → 2002 + `1Cxx` (Y=1), `1Kxx` (Y=5), `1Pxx` (Y=6), else `2999`; 028 → 2010, 029 → 2012 |
//! | 3 | cancels time out: 021/023 → 2008 + `2999`; 028 → 2010, 029 → 2012 |
//! | 7 | wrong card data: 020 → 31001 (status 11) |
//! | 8 | declined: Y=1 → 2002 + `1Czz`; Y=2 → `1Gzz` with 2003 (status 10) for the input errors 44, 45, 65, 74, 78, 83, else 2001 (status 11); Y=6 → `1Pzz` likewise; other Y → 2002 + `2999` |
//! | 9 | authorization times out at the card company: 2008 (status 11) |
//!
//! Independently of the number, a card whose expiry (MMYY) is before the current month
//! (JST) is refused on a first purchase with 2001 + `1502` (the seed's "card expired, first
//! purchase"); a stored card in that state is refused with `P010` (renewal).

use paygent_codec::PaymentStatus;

/// What an authorization attempt gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVerdict {
    /// Authorized.
    Approved,
    /// Refused; the payment ends in `status` (10 for retryable input errors, else 11).
    Refused {
        /// response_code.
        code: &'static str,
        /// response_detail.
        detail: String,
        /// The status the payment is left in.
        status: PaymentStatus,
    },
}

fn xyzz(number: &str) -> (u8, u8, String) {
    let digits: Vec<u8> = number
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    if digits.len() < 4 {
        return (1, 0, "00".to_owned());
    }
    let tail = &digits[digits.len() - 4..];
    (tail[0], tail[1], format!("{}{}", tail[2], tail[3]))
}

/// How many years ahead of the current year a two-digit expiry year may lie; the rest of
/// the century counts as past. The sandbox accepts expiries up to 20 years ahead (§5.4).
const EXPIRY_YEARS_AHEAD: i32 = 20;

/// The stub's X digit (the fourth digit from the end) of a card number.
pub fn xyzz_x(number: &str) -> u8 {
    xyzz(number).0
}

/// Parses `MMYY` (§9) into (year, month), reading `YY` as the year within
/// [`EXPIRY_YEARS_AHEAD`] years ahead of `now_year` or the years just before it, so a
/// long clock run does not wrap at a century (`0101` in 2099 is January 2101).
pub fn parse_valid_term(mmyy: &str, now_year: i32) -> Option<(i32, u32)> {
    if mmyy.len() != 4 || !mmyy.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month: u32 = mmyy[..2].parse().ok()?;
    let yy: i32 = mmyy[2..].parse().ok()?;
    let latest = now_year + EXPIRY_YEARS_AHEAD;
    let year = latest - (latest - yy).rem_euclid(100);
    (1..=12).contains(&month).then_some((year, month))
}

/// Whether `MMYY` is a well-formed expiry.
pub fn is_valid_term(mmyy: &str) -> bool {
    parse_valid_term(mmyy, 2000).is_some()
}

/// Whether the card has expired in `now_year_month` (JST). A card is valid through the
/// end of its expiry month.
pub fn is_expired(mmyy: &str, now_year_month: (i32, u32)) -> bool {
    parse_valid_term(mmyy, now_year_month.0).is_none_or(|term| term < now_year_month)
}

/// The authorization verdict for a card number and expiry.
pub fn authorize(number: &str, mmyy: &str, now_year_month: (i32, u32)) -> AuthVerdict {
    if is_expired(mmyy, now_year_month) {
        return AuthVerdict::Refused {
            code: "2001",
            detail: "1502".to_owned(),
            status: PaymentStatus::AuthorizationFailed,
        };
    }
    let refused = |code: &'static str, detail: String, status| AuthVerdict::Refused {
        code,
        detail,
        status,
    };
    let (x, y, zz) = xyzz(number);
    match x {
        7 => refused("31001", String::new(), PaymentStatus::AuthorizationFailed),
        8 => match y {
            1 => refused(
                "2002",
                format!("1C{zz}"),
                PaymentStatus::AuthorizationFailed,
            ),
            2 | 6 => {
                let prefix = if y == 2 { "1G" } else { "1P" };
                if ["44", "45", "65", "74", "78", "83"].contains(&zz.as_str()) {
                    refused("2003", format!("{prefix}{zz}"), PaymentStatus::Applied)
                } else {
                    refused(
                        "2001",
                        format!("{prefix}{zz}"),
                        PaymentStatus::AuthorizationFailed,
                    )
                }
            }
            _ => refused(
                "2002",
                "2999".to_owned(),
                PaymentStatus::AuthorizationFailed,
            ),
        },
        9 => refused(
            "2008",
            "2999".to_owned(),
            PaymentStatus::AuthorizationFailed,
        ),
        _ => AuthVerdict::Approved,
    }
}

/// The failure of a cancel (021/023) for this card, if the stub says it fails.
pub fn cancel_failure(number: &str) -> Option<(&'static str, String)> {
    let (x, y, zz) = xyzz(number);
    match (x, y) {
        (2, 1) => Some(("2002", format!("1C{zz}"))),
        (2, 5) => Some(("2002", format!("1K{zz}"))),
        (2, 6) => Some(("2002", format!("1P{zz}"))),
        (2, 2) => None,
        (2, _) => Some(("2002", "2999".to_owned())),
        (3, _) => Some(("2008", "2999".to_owned())),
        _ => None,
    }
}

/// Whether cancelling the base payment of a revision (028/029) fails for this card.
pub fn revision_cancel_fails(number: &str) -> bool {
    let (x, y, _) = xyzz(number);
    (x == 2 && y != 2) || x == 3
}

/// The brand the gateway detects from the number.
pub fn brand(number: &str) -> &'static str {
    let n = number.as_bytes();
    match (n.first(), n.get(1)) {
        (Some(b'4'), _) => "VISA",
        (Some(b'5'), _) => "MASTER",
        (Some(b'3'), Some(b'5')) => "JCB",
        (Some(b'3'), Some(b'4' | b'7')) => "AMEX",
        (Some(b'3'), Some(b'0' | b'6' | b'8')) => "DINERS",
        (Some(b'6'), _) => "DISCOVER",
        _ => "",
    }
}

/// (acq_id, acq_name, issur_name) for the number's brand.
pub fn acquirer(number: &str) -> (&'static str, &'static str, &'static str) {
    match brand(number) {
        "JCB" => ("99661", "ＪＣＢ", "ＪＣＢ"),
        "AMEX" => ("99819", "アメックス", "アメリカン・エキスプレス"),
        "DINERS" => ("99660", "ダイナース", "ダイナースクラブ"),
        _ => ("50001", "ニコス", "三菱ＵＦＪニコス"),
    }
}

/// The number with every digit but the last four replaced by `*`.
pub fn masked(number: &str) -> String {
    let len = number.len();
    number
        .char_indices()
        .map(|(i, c)| if i + 4 < len { '*' } else { c })
        .collect()
}

/// Whether the number passes the Luhn check.
pub fn luhn_ok(number: &str) -> bool {
    if !(14..=16).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: (i32, u32) = (2030, 6);

    fn show(v: AuthVerdict) -> String {
        match v {
            AuthVerdict::Approved => "ok".to_owned(),
            AuthVerdict::Refused {
                code,
                detail,
                status,
            } => format!("{code}/{detail}/{}", status.code()),
        }
    }

    #[test]
    fn stub_table() {
        let cases = [
            ("4900000000000000", "1230", "ok"),
            ("4900000000008101", "1230", "2002/1C01/11"),
            ("4900000000008212", "1230", "2001/1G12/11"),
            ("4900000000008283", "1230", "2003/1G83/10"),
            ("4900000000008644", "1230", "2003/1P44/10"),
            ("376500000008300", "1230", "2002/2999/11"),
            ("4900000000007000", "1230", "31001//11"),
            ("4900000000009000", "1230", "2008/2999/11"),
            ("4900000000000000", "0530", "2001/1502/11"),
            ("4900000000000000", "0630", "ok"),
            ("4900000000000000", "1330", "2001/1502/11"),
        ];
        for (number, term, want) in cases {
            assert_eq!(show(authorize(number, term, NOW)), want, "{number} {term}");
        }
    }

    #[test]
    fn cancel_stub() {
        assert_eq!(
            cancel_failure("4900000000002115"),
            Some(("2002", "1C15".to_owned()))
        );
        assert_eq!(cancel_failure("4900000000002200"), None);
        assert_eq!(
            cancel_failure("4900000000003000"),
            Some(("2008", "2999".to_owned()))
        );
        assert_eq!(cancel_failure("4900000000000000"), None);
        assert!(revision_cancel_fails("4900000000002115"));
        assert!(!revision_cancel_fails("4900000000001000"));
    }

    #[test]
    fn card_helpers() {
        assert_eq!(masked("4900000000001234"), "************1234");
        assert_eq!(brand("3530111333300000"), "JCB");
        assert!(luhn_ok("4111111111111111"));
        assert!(!luhn_ok("4111111111111112"));
        assert!(is_expired("xx12", NOW));
    }

    /// §9 (MMYY) with a clock run past a century: two-digit years are read within 20
    /// years ahead of the current year (§5.4), so they do not wrap at 2100.
    #[test]
    fn expiry_years_do_not_wrap_at_a_century() {
        assert_eq!(parse_valid_term("1201", 2099), Some((2101, 12)));
        assert_eq!(parse_valid_term("1299", 2099), Some((2099, 12)));
        assert_eq!(parse_valid_term("1230", 2030), Some((2030, 12)));
        assert_eq!(parse_valid_term("1250", 2030), Some((2050, 12)));
        assert_eq!(parse_valid_term("1251", 2030), Some((1951, 12)));
        assert!(!is_expired("0101", (2099, 6)), "January 2101");
        assert!(is_expired("0599", (2099, 6)));
        assert!(!is_expired("0699", (2099, 6)));
        assert_eq!(
            show(authorize("4900000000000000", "1202", (2099, 12))),
            "ok"
        );
    }
}
