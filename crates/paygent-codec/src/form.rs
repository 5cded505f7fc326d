//! Form bodies (`application/x-www-form-urlencoded`) exactly as the official PHP module
//! sends them, the request head it sends, and the server-side decoder the simulator uses.
//!
//! Layout: [`encode_form`] (client direction) converts values to the kind's charset,
//! applies the half-width kana conversion to the five `*_kana` fields and percent-encodes
//! like PHP `urlencode`; [`decode_form`] (server direction) undoes it and also accepts
//! Java's `URLEncoder` style; [`HttpLayout`] is the request line and header list as data.

use std::borrow::Cow;

use encoding_rs::{SHIFT_JIS, UTF_8};
use thiserror::Error;

use crate::kind::TelegramKind;

/// Charset of a telegram's body and of its response (§1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charset {
    /// Windows-31J (CP932, "SJIS-win"): every kind except the UTF-8 list.
    Windows31J,
    /// UTF-8: kinds 098, 380, 410–418, 450.
    Utf8,
}

/// The fields the official module converts from full-width to half-width katakana
/// (`PaygentB2BModule::$REPLACE_KANA_PARAM`).
pub const KANA_FIELDS: [&str; 5] = [
    "customer_family_name_kana",
    "customer_name_kana",
    "payment_detail_kana",
    "claim_kana",
    "receipt_name_kana",
];

/// Largest form body [`decode_form`] accepts. Real telegrams are below 100 KB (§1.1).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Encoding failed; the value itself is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A value holds a character that the charset cannot represent (for example an emoji
    /// in Windows-31J). The official module would send mojibake; PayDesk refuses.
    #[error("parameter `{key}` contains a character that {charset:?} cannot represent")]
    Unrepresentable {
        /// Parameter name.
        key: String,
        /// Target charset.
        charset: Charset,
    },
    /// A response item's value holds a CR or LF, which the key=value layout cannot carry
    /// (only a trailing `*_html` item may span lines).
    #[error("response item `{key}` contains a line break")]
    LineBreakInValue {
        /// Item name.
        key: String,
    },
    /// A value is longer than the module's 102 400-byte limit (E02002).
    #[error("parameter `{key}` is longer than 102400 bytes")]
    ValueTooLong {
        /// Parameter name.
        key: String,
    },
}

/// A form body could not be decoded; the body is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormError {
    /// Body larger than [`MAX_FORM_BYTES`].
    #[error("form body of {len} bytes is larger than the limit")]
    TooLarge {
        /// Body length.
        len: usize,
    },
    /// A `%` not followed by two hex digits.
    #[error("invalid percent-escape in form field {index}")]
    InvalidEscape {
        /// Zero-based index of the `&`-separated field.
        index: usize,
    },
    /// The decoded bytes are not valid in the charset.
    #[error("form field {index} is not valid {charset:?}")]
    InvalidEncoding {
        /// Zero-based index of the `&`-separated field.
        index: usize,
        /// Charset the bytes were decoded with.
        charset: Charset,
    },
}

/// Encodes parameters, in the given order, to the exact body the official module sends
/// for `kind`.
pub fn encode_form(kind: TelegramKind, params: &[(&str, &str)]) -> Result<Vec<u8>, EncodeError> {
    encode_form_with_charset(kind.charset(), params)
}

/// [`encode_form`] with an explicit charset (payment notifications are Windows-31J forms
/// without a telegram kind).
pub fn encode_form_with_charset(
    charset: Charset,
    params: &[(&str, &str)],
) -> Result<Vec<u8>, EncodeError> {
    let mut body = Vec::new();
    for (i, (key, value)) in params.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
        let value: Cow<'_, str> = if KANA_FIELDS.contains(key) {
            Cow::Owned(to_half_width_katakana(value))
        } else {
            Cow::Borrowed(value)
        };
        let key_bytes = encode_text(charset, key, key)?;
        let value_bytes = encode_text(charset, key, &value)?;
        if value_bytes.len() > 102_400 {
            return Err(EncodeError::ValueTooLong {
                key: (*key).to_owned(),
            });
        }
        percent_encode_into(&key_bytes, &mut body);
        body.push(b'=');
        percent_encode_into(&value_bytes, &mut body);
    }
    Ok(body)
}

/// Converts text to the charset's bytes, refusing characters it cannot represent.
pub fn encode_text(charset: Charset, key: &str, text: &str) -> Result<Vec<u8>, EncodeError> {
    match charset {
        Charset::Utf8 => Ok(text.as_bytes().to_vec()),
        Charset::Windows31J => {
            let mut out = Vec::with_capacity(text.len());
            for ch in text.chars() {
                let ch = windows31j_alias(ch);
                let mut buf = [0u8; 4];
                let (bytes, _, had_errors) = SHIFT_JIS.encode(ch.encode_utf8(&mut buf));
                if had_errors {
                    return Err(EncodeError::Unrepresentable {
                        key: key.to_owned(),
                        charset,
                    });
                }
                out.extend_from_slice(&bytes);
            }
            Ok(out)
        }
    }
}

/// JIS-style code points (as typed on macOS, or decoded by JIS-based converters) that have
/// no Windows-31J mapping, replaced by the Windows-31J character that looks the same
/// ("wave dash problem"). `encoding_rs`'s Shift_JIS encoder already is Windows-31J for
/// everything else, including U+2212 → 0x817C as `SJIS-win` does.
fn windows31j_alias(ch: char) -> char {
    match ch {
        '\u{301C}' => '\u{FF5E}', // WAVE DASH → FULLWIDTH TILDE (0x8160)
        '\u{2016}' => '\u{2225}', // DOUBLE VERTICAL LINE → PARALLEL TO (0x8161)
        '\u{00A2}' => '\u{FFE0}', // CENT SIGN → FULLWIDTH CENT SIGN (0x8191)
        '\u{00A3}' => '\u{FFE1}', // POUND SIGN → FULLWIDTH POUND SIGN (0x8192)
        '\u{00AC}' => '\u{FFE2}', // NOT SIGN → FULLWIDTH NOT SIGN (0x81CA)
        '\u{2014}' => '\u{2015}', // EM DASH → HORIZONTAL BAR (0x815C)
        other => other,
    }
}

/// PHP `urlencode`: `A-Z a-z 0-9 - _ .` stay, space becomes `+`, everything else is
/// `%XX` with upper-case hex (so `*` is `%2A` and `~` is `%7E`).
fn percent_encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b),
            b' ' => out.push(b'+'),
            _ => {
                out.push(b'%');
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0x0F)]);
            }
        }
    }
}

/// Decodes a form body (server direction: the simulator, the notification parser).
/// Accepts PHP (`%2A`) and Java (`*`) styles, `+` for space, upper- or lower-case hex.
/// Empty `&&` segments are skipped; a segment without `=` is a key with an empty value.
pub fn decode_form(body: &[u8], charset: Charset) -> Result<Vec<(String, String)>, FormError> {
    if body.len() > MAX_FORM_BYTES {
        return Err(FormError::TooLarge { len: body.len() });
    }
    let mut pairs = Vec::new();
    for (index, segment) in body.split(|&b| b == b'&').enumerate() {
        if segment.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &[][..]),
        };
        let key = percent_decode(raw_key).ok_or(FormError::InvalidEscape { index })?;
        let value = percent_decode(raw_value).ok_or(FormError::InvalidEscape { index })?;
        let key =
            decode_text(charset, &key).ok_or(FormError::InvalidEncoding { index, charset })?;
        let value =
            decode_text(charset, &value).ok_or(FormError::InvalidEncoding { index, charset })?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

fn percent_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes bytes in the charset; `None` if they are not valid in it.
pub fn decode_text(charset: Charset, bytes: &[u8]) -> Option<String> {
    let encoding = match charset {
        Charset::Windows31J => SHIFT_JIS,
        Charset::Utf8 => UTF_8,
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    (!had_errors).then(|| text.into_owned())
}

/// PHP `mb_convert_kana($v, "kV")`: full-width katakana (and the Japanese punctuation the
/// `k` option covers) to half-width. Everything else, including the full-width space, is
/// left as it is.
pub fn to_half_width_katakana(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match half_width_katakana(ch) {
            Some(half) => out.push_str(half),
            None => out.push(ch),
        }
    }
    out
}

fn half_width_katakana(ch: char) -> Option<&'static str> {
    Some(match ch {
        'ァ' => "ｧ",
        'ア' => "ｱ",
        'ィ' => "ｨ",
        'イ' => "ｲ",
        'ゥ' => "ｩ",
        'ウ' => "ｳ",
        'ェ' => "ｪ",
        'エ' => "ｴ",
        'ォ' => "ｫ",
        'オ' => "ｵ",
        'カ' => "ｶ",
        'ガ' => "ｶﾞ",
        'キ' => "ｷ",
        'ギ' => "ｷﾞ",
        'ク' => "ｸ",
        'グ' => "ｸﾞ",
        'ケ' => "ｹ",
        'ゲ' => "ｹﾞ",
        'コ' => "ｺ",
        'ゴ' => "ｺﾞ",
        'サ' => "ｻ",
        'ザ' => "ｻﾞ",
        'シ' => "ｼ",
        'ジ' => "ｼﾞ",
        'ス' => "ｽ",
        'ズ' => "ｽﾞ",
        'セ' => "ｾ",
        'ゼ' => "ｾﾞ",
        'ソ' => "ｿ",
        'ゾ' => "ｿﾞ",
        'タ' => "ﾀ",
        'ダ' => "ﾀﾞ",
        'チ' => "ﾁ",
        'ヂ' => "ﾁﾞ",
        'ッ' => "ｯ",
        'ツ' => "ﾂ",
        'ヅ' => "ﾂﾞ",
        'テ' => "ﾃ",
        'デ' => "ﾃﾞ",
        'ト' => "ﾄ",
        'ド' => "ﾄﾞ",
        'ナ' => "ﾅ",
        'ニ' => "ﾆ",
        'ヌ' => "ﾇ",
        'ネ' => "ﾈ",
        'ノ' => "ﾉ",
        'ハ' => "ﾊ",
        'バ' => "ﾊﾞ",
        'パ' => "ﾊﾟ",
        'ヒ' => "ﾋ",
        'ビ' => "ﾋﾞ",
        'ピ' => "ﾋﾟ",
        'フ' => "ﾌ",
        'ブ' => "ﾌﾞ",
        'プ' => "ﾌﾟ",
        'ヘ' => "ﾍ",
        'ベ' => "ﾍﾞ",
        'ペ' => "ﾍﾟ",
        'ホ' => "ﾎ",
        'ボ' => "ﾎﾞ",
        'ポ' => "ﾎﾟ",
        'マ' => "ﾏ",
        'ミ' => "ﾐ",
        'ム' => "ﾑ",
        'メ' => "ﾒ",
        'モ' => "ﾓ",
        'ャ' => "ｬ",
        'ヤ' => "ﾔ",
        'ュ' => "ｭ",
        'ユ' => "ﾕ",
        'ョ' => "ｮ",
        'ヨ' => "ﾖ",
        'ラ' => "ﾗ",
        'リ' => "ﾘ",
        'ル' => "ﾙ",
        'レ' => "ﾚ",
        'ロ' => "ﾛ",
        'ヮ' => "ﾜ",
        'ワ' => "ﾜ",
        'ヰ' => "ｲ",
        'ヱ' => "ｴ",
        'ヲ' => "ｦ",
        'ン' => "ﾝ",
        'ヴ' => "ｳﾞ",
        'ー' => "ｰ",
        '・' => "･",
        '「' => "｢",
        '」' => "｣",
        '、' => "､",
        '。' => "｡",
        '゛' => "ﾞ",
        '゜' => "ﾟ",
        _ => return None,
    })
}

/// The request line and headers the official PHP module (through curl) sends, as data.
/// reqwest cannot reproduce this byte for byte (see the client's README); the simulator
/// and the vector tests use it to state what the official client does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLayout {
    /// Always `POST`.
    pub method: &'static str,
    /// The kind's path, e.g. `/n/card/request`.
    pub path: &'static str,
    /// Always `HTTP/1.0`.
    pub version: &'static str,
    /// Headers in the order curl sends them.
    pub headers: Vec<(&'static str, String)>,
}

/// `User-Agent` value of the official PHP module.
pub const OFFICIAL_USER_AGENT: &str = "curl_php";
/// `Content-Type` value of the official PHP module (no charset parameter).
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

impl HttpLayout {
    /// The official module's head for `kind`, sent to `host` (`host[:port]`), with a body
    /// of `content_length` bytes.
    pub fn official(kind: TelegramKind, host: &str, content_length: usize) -> HttpLayout {
        HttpLayout {
            method: "POST",
            path: kind.path(),
            version: "HTTP/1.0",
            headers: vec![
                ("Host", host.to_owned()),
                ("Accept", "*/*".to_owned()),
                ("Content-Length", content_length.to_string()),
                ("User-Agent", OFFICIAL_USER_AGENT.to_owned()),
                ("Content-Type", FORM_CONTENT_TYPE.to_owned()),
            ],
        }
    }

    /// The head as bytes: request line, headers, blank line (all CRLF).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} {}\r\n", self.method, self.path, self.version);
        for (name, value) in &self.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows31j_special_characters_match_sjis_win() {
        let enc = |s: &str| encode_text(Charset::Windows31J, "k", s).expect(s);
        assert_eq!(enc("～"), vec![0x81, 0x60]);
        assert_eq!(enc("〜"), vec![0x81, 0x60]);
        assert_eq!(enc("①"), vec![0x87, 0x40]);
        assert_eq!(enc("髙"), vec![0xFB, 0xFC]);
        assert_eq!(enc("−"), vec![0x81, 0x7C]);
        assert_eq!(enc("－"), vec![0x81, 0x7C]);
        assert_eq!(enc("∥"), vec![0x81, 0x61]);
        assert_eq!(enc("‖"), vec![0x81, 0x61]);
        assert_eq!(enc("¢"), vec![0x81, 0x91]);
        assert_eq!(enc("￠"), vec![0x81, 0x91]);
        assert_eq!(enc("￡"), vec![0x81, 0x92]);
        assert_eq!(enc("￢"), vec![0x81, 0xCA]);
        assert!(encode_text(Charset::Windows31J, "k", "😀").is_err());
    }
}
