//! Encoding of telegram replies and notification bodies, through the codec.
//!
//! Replies are laid out by the codec's charset-based writer, so a reply to a kind the codec
//! does not name (unknown or unsimulated kinds, answered with a P-code) follows the same
//! rules as any other. Values the charset cannot carry (an emoji in a name entered through
//! the control API) are replaced by `?`, and line breaks by spaces, so a reply can always
//! be written.

use paygent_codec::form::{Charset, encode_text};
use paygent_codec::{
    Secret, encode_csv_response, encode_notification, encode_response_with_charset,
};

use crate::telegram::{ReplyBody, TelegramReply};

/// The HTTP `Content-Type` of a reply.
pub fn content_type(charset: Charset) -> &'static str {
    match charset {
        Charset::Windows31J => "text/plain; charset=Windows-31J",
        Charset::Utf8 => "text/plain; charset=UTF-8",
    }
}

fn sanitize(charset: Charset, value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\r' | '\n' => ' ',
            _ if encode_text(charset, "", c.encode_utf8(&mut [0; 4])).is_err() => '?',
            _ => c,
        })
        .collect()
}

/// Calls `encode` with `items` made writable in `charset` (see [`sanitize`]).
fn with_clean_items<R>(
    charset: Charset,
    items: &[(String, String)],
    encode: impl FnOnce(&[(&str, &str)]) -> R,
) -> R {
    let clean: Vec<(&str, String)> = items
        .iter()
        .map(|(k, v)| (k.as_str(), sanitize(charset, v)))
        .collect();
    let refs: Vec<(&str, &str)> = clean.iter().map(|(k, v)| (*k, v.as_str())).collect();
    encode(&refs)
}

/// The reply body bytes.
pub fn encode_reply(reply: &TelegramReply) -> Vec<u8> {
    let charset = reply.charset;
    match &reply.body {
        ReplyBody::Lines(items) => with_clean_items(charset, items, |items| {
            encode_response_with_charset(charset, items).unwrap_or_default()
        }),
        ReplyBody::Csv(table) => {
            let mut clean = table.clone();
            for row in &mut clean.rows {
                for field in row.iter_mut() {
                    *field = sanitize(charset, field);
                }
            }
            clean.response_detail = sanitize(charset, &clean.response_detail);
            encode_csv_response(&clean, charset).unwrap_or_default()
        }
    }
}

/// A notification body (Windows-31J form with `hc`).
pub fn encode_push(fields: &[(String, String)], hash_key: &str) -> Vec<u8> {
    with_clean_items(Charset::Windows31J, fields, |fields| {
        encode_notification(fields, &Secret::new(hash_key)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::header_refusal;

    #[test]
    fn unknown_kinds_get_a_crlf_windows_31j_reply() {
        let body = encode_reply(&header_refusal("999", "P010", "入力値エラー"));
        let expected_detail = encoding_rs::SHIFT_JIS.encode("入力値エラー").0;
        let mut expected = b"result=1\r\nresponse_code=P010\r\nresponse_detail=".to_vec();
        expected.extend_from_slice(&expected_detail);
        expected.extend_from_slice(b"\r\n");
        assert_eq!(body, expected);
    }

    #[test]
    fn unrepresentable_characters_become_question_marks() {
        assert_eq!(sanitize(Charset::Windows31J, "山田😀\r\n"), "山田?  ");
        assert_eq!(sanitize(Charset::Utf8, "山田😀\r\n"), "山田😀  ");
    }
}
