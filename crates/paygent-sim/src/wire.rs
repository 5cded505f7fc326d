//! Encoding of telegram replies and notification bodies, through the codec.
//!
//! The codec's writers take a `TelegramKind`; replies to kinds the codec does not name
//! (unknown or unsimulated kinds, answered with a P-code) use `encode_lines_local`, a copy
//! of the same layout rules, until the codec offers a charset-based writer (requested in
//! /work/notes/codec-requests.md). Values the charset cannot carry (an emoji in a name
//! entered through the control API) are replaced by `?`, and line breaks by spaces, so a
//! reply can always be written.

use encoding_rs::SHIFT_JIS;
use paygent_codec::form::Charset;
use paygent_codec::{
    Secret, TelegramKind, encode_csv_response, encode_notification, encode_response,
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
    let value = value.replace(['\r', '\n'], " ");
    match charset {
        Charset::Utf8 => value,
        Charset::Windows31J => value
            .chars()
            .map(|c| {
                let mut buf = [0u8; 4];
                let (_, _, unmappable) = SHIFT_JIS.encode(c.encode_utf8(&mut buf));
                if unmappable { '?' } else { c }
            })
            .collect(),
    }
}

/// The reply body bytes.
pub fn encode_reply(reply: &TelegramReply) -> Vec<u8> {
    let charset = reply.charset;
    match &reply.body {
        ReplyBody::Lines(items) => {
            let clean: Vec<(String, String)> = items
                .iter()
                .map(|(k, v)| (k.clone(), sanitize(charset, v)))
                .collect();
            let refs: Vec<(&str, &str)> = clean
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            match TelegramKind::from_code(&reply.kind) {
                Some(kind) => encode_response(kind, &refs)
                    .unwrap_or_else(|_| encode_lines_local(charset, &refs)),
                None => encode_lines_local(charset, &refs),
            }
        }
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

/// The key=value layout (CRLF after each line; no `*_html` items occur here).
fn encode_lines_local(charset: Charset, items: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in items {
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        match charset {
            Charset::Utf8 => out.extend_from_slice(v.as_bytes()),
            Charset::Windows31J => out.extend_from_slice(&SHIFT_JIS.encode(v).0),
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A notification body (Windows-31J form with `hc`).
pub fn encode_push(fields: &[(String, String)], hash_key: &str) -> Vec<u8> {
    let clean: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.clone(), sanitize(Charset::Windows31J, v)))
        .collect();
    let refs: Vec<(&str, &str)> = clean
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    encode_notification(&refs, &Secret::new(hash_key)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::header_refusal;

    #[test]
    fn unknown_kinds_get_a_crlf_windows_31j_reply() {
        let body = encode_reply(&header_refusal("999", "P010", "入力値エラー"));
        let expected_detail = SHIFT_JIS.encode("入力値エラー").0;
        let mut expected = b"result=1\r\nresponse_code=P010\r\nresponse_detail=".to_vec();
        expected.extend_from_slice(&expected_detail);
        expected.extend_from_slice(b"\r\n");
        assert_eq!(body, expected);
    }

    #[test]
    fn unrepresentable_characters_become_question_marks() {
        assert_eq!(sanitize(Charset::Windows31J, "山田😀\r\n"), "山田?  ");
    }
}
