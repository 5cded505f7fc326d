//! What the shop's import files share, read one way for every import (the storefront order
//! export and the subscription file): the text encoding, yen amounts and dates as shops
//! write them.

use chrono::NaiveDate;
use paygent_codec::Yen;

use crate::history::Text;

/// How a file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// Shift_JIS (Windows-31J), what Excel writes on a Japanese Windows.
    ShiftJis,
}

impl Encoding {
    /// The stable code shown in an import report: `utf-8` or `shift_jis`.
    pub fn code(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::ShiftJis => "shift_jis",
        }
    }
}

/// Decodes a file: UTF-8 after a byte-order mark (which must then be valid: a file that
/// says it is UTF-8 is never read as Shift_JIS), valid UTF-8, or Shift_JIS without a
/// decoding error. `None`: none of these.
pub fn decode(bytes: &[u8]) -> Option<(String, Encoding)> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .ok()
            .map(|s| (s.to_owned(), Encoding::Utf8));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some((text.to_owned(), Encoding::Utf8));
    }
    // Without BOM sniffing: a UTF-16 mark must not turn a "Shift_JIS" file into UTF-16.
    let (text, errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    (!errors).then(|| (text.into_owned(), Encoding::ShiftJis))
}

/// What every import says when [`decode`] reads nothing: the whole file is refused.
pub fn encoding_problem() -> Text {
    Text::new(
        "ファイルの文字コードを読み取れません。UTF-8 か Shift_JIS で保存したファイルを選んでください。",
        "The file's encoding cannot be read. Select a file saved as UTF-8 or Shift_JIS.",
    )
}

/// A whole, non-negative yen amount as shops write it: `1980`, `1,980`, `¥1,980`,
/// `￥1,980`, `1,980円`, full-width digits and commas (`１，９８０`) too.
pub fn parse_yen(text: &str) -> Option<Yen> {
    let digits: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('円')
        .chars()
        .filter(|c| !matches!(c, ',' | '，'))
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            c => c,
        })
        .collect();
    Yen::parse_digits(&digits)
}

/// A Japan calendar date as shops and banks write it: `2024-05-31`, `2024/05/31`,
/// `2024年5月31日` or `20240531` (banks' statements).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(text, "%Y%m%d").ok();
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y/%m/%d"))
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y年%m月%d日"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_reading_of_yen_for_every_import() {
        for (text, yen) in [
            ("1980", Some(1980)),
            (" 1,980 ", Some(1980)),
            ("¥1,980", Some(1980)),
            ("￥1,980", Some(1980)),
            ("1,980円", Some(1980)),
            ("１，９８０円", Some(1980)),
            ("0", Some(0)),
            ("", None),
            ("-500", None),
            ("+500", None),
            ("12x", None),
            ("1.5", None),
            ("1234567890123456", None),
        ] {
            assert_eq!(parse_yen(text), yen.map(Yen), "{text:?}");
        }
    }

    #[test]
    fn a_file_that_says_utf8_is_never_read_as_shift_jis() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("山田");
        assert_eq!(decode(&sjis), Some(("山田".to_owned(), Encoding::ShiftJis)));
        let mut bom_then_sjis = b"\xEF\xBB\xBF".to_vec();
        bom_then_sjis.extend_from_slice(&sjis);
        assert_eq!(decode(&bom_then_sjis), None);
        assert_eq!(
            decode("\u{feff}山田".as_bytes()),
            Some(("山田".to_owned(), Encoding::Utf8))
        );
        assert_eq!(decode(&[0xff, 0xfe, 0x00, 0x81]), None);
        assert_eq!(
            decode(&[0xff, 0xfe, b'a', 0x00]),
            None,
            "UTF-16 is not read"
        );
    }

    #[test]
    fn dates_with_dashes_or_slashes() {
        let d = NaiveDate::from_ymd_opt(2024, 5, 31);
        assert_eq!(parse_date("2024-05-31"), d);
        assert_eq!(parse_date(" 2024/05/31 "), d);
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("31/05/2024"), None);
        assert_eq!(parse_date("2024年5月31日"), d);
        assert_eq!(parse_date("20240531"), d);
        assert_eq!(parse_date("20240532"), None);
        assert_eq!(parse_date("2024053"), None);
    }
}
