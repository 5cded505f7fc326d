//! Money: integer yen, never floats.

use std::fmt;

/// An amount of Japanese yen. Paygent's card and Paidy amounts are whole yen, so an
/// integer is exact; `i64` leaves room for sums and differences without overflow worries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Yen(pub i64);

impl Yen {
    /// Parses the gateway's decimal digits (`1000`). Signs, decimals, spaces and empty
    /// strings are rejected: Paygent only sends plain digits for JPY amounts.
    pub fn parse_digits(s: &str) -> Option<Yen> {
        if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<i64>().ok().map(Yen)
    }

    /// The value as the gateway expects it in a form field (plain digits).
    pub fn to_wire(self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.0)
    }
}
