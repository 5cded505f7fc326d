//! Response bodies: the module-faithful key=value parse, typed responses per telegram,
//! and the writer the simulator uses to lay bodies out exactly as the official client
//! parses them.
//!
//! Layout: [`parse_response`] checks the HTTP status and size, splits the body (CRLF
//! lines, first `=`, `*_html` item to the end of the body, or CSV for 027) into a
//! [`RawResponse`]; `TryFrom<RawResponse>` turns that into the typed response of each
//! telegram, or a [`GatewayError`] when `result=1`. [`ResponseWriter`] and
//! [`encode_response`] go the other way.
//!
//! Where PayDesk deliberately differs from the PHP module:
//! - LF-only (or stray CR) line ends are an error ([`ResponseError::LineEnding`]); the
//!   module silently returns a garbage `result` (vector R06).
//! - An empty body is [`ResponseError::EmptyBody`]; the module parses the HTTP headers as
//!   the body (R10).
//! - Any non-2xx status is [`ResponseError::HttpStatus`]; the module skips its status check
//!   when the body holds Windows-31J bytes (R15).
//! - Values are decoded from the kind's charset; bytes that are invalid in it are an error
//!   instead of being passed on raw.

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

use crate::csv::{CsvError, CsvTable, encode_csv_response, parse_csv};
use crate::dictionary::{ErrorContext, Explanation, explain_with_detail};
use crate::form::{Charset, EncodeError, decode_text, encode_text};
use crate::kind::TelegramKind;
use crate::money::Yen;
use crate::status::{PaymentStatus, PaymentType};

/// Largest response body accepted. Real responses are a few kilobytes; 3-D Secure HTML
/// is the largest item.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The `result` item (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultStatus {
    /// `0`: the telegram was processed.
    Success,
    /// `1`: the gateway refused it; see `response_code` / `response_detail`.
    Error,
    /// `7`: 3-D Secure 1.0 authentication required (020 only; obsolete since 2022).
    ThreeDSecureRequired,
}

impl ResultStatus {
    /// The wire code.
    pub fn code(self) -> &'static str {
        match self {
            ResultStatus::Success => "0",
            ResultStatus::Error => "1",
            ResultStatus::ThreeDSecureRequired => "7",
        }
    }

    /// The status for a wire code.
    pub fn from_code(code: &str) -> Option<ResultStatus> {
        match code {
            "0" => Some(ResultStatus::Success),
            "1" => Some(ResultStatus::Error),
            "7" => Some(ResultStatus::ThreeDSecureRequired),
            _ => None,
        }
    }
}

/// A business error answered by the gateway (`result=1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    /// The telegram refused.
    pub kind: TelegramKind,
    /// `response_code`, e.g. `P010`, `2003`, `24007`.
    pub response_code: String,
    /// `response_detail`: a vendor code (e.g. `1G83`) for card errors, a Japanese message
    /// for parameter errors.
    pub response_detail: String,
    /// `payment_id`, which 020 returns with a 2003 input error (re-authorize with it).
    pub payment_id: Option<String>,
}

impl GatewayError {
    /// The dictionary explanation of this error in `context`.
    pub fn explain(&self, context: ErrorContext) -> Explanation {
        explain_with_detail(&self.response_code, Some(&self.response_detail), context)
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Paygent refused telegram {}: response_code {}",
            self.kind,
            short_code(&self.response_code, 6)
        )?;
        if is_code_like(&self.response_detail) {
            write!(f, ", response_detail {}", self.response_detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for GatewayError {}

/// A response that could not be used. Messages quote at most a sanitized code or item
/// name, never body text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    /// Non-2xx HTTP status (the Java module's E02005).
    #[error("gateway answered HTTP status {status}")]
    HttpStatus {
        /// The status code.
        status: u16,
    },
    /// Empty body (or only whitespace).
    #[error("gateway answered an empty body")]
    EmptyBody,
    /// Body larger than [`MAX_RESPONSE_BYTES`].
    #[error("response body of {len} bytes is larger than the limit")]
    TooLarge {
        /// Body length.
        len: usize,
    },
    /// A line ends in a bare LF or CR instead of CRLF.
    #[error("response line {line} does not end in CRLF")]
    LineEnding {
        /// One-based line number.
        line: usize,
    },
    /// An item is not valid in the kind's charset.
    #[error("response item `{key}` is not valid {charset:?}")]
    InvalidEncoding {
        /// Item name (sanitized).
        key: String,
        /// Charset used.
        charset: Charset,
    },
    /// No `result` item, or an empty one (the module's E02005).
    #[error("response has no result")]
    NoResult,
    /// `result` is not 0, 1 or 7.
    #[error("response has an unknown result `{value}`")]
    UnknownResult {
        /// The value (sanitized).
        value: String,
    },
    /// The CSV reference body is malformed.
    #[error("malformed CSV response: {0}")]
    Csv(#[from] CsvError),
    /// A required item is missing or empty.
    #[error("response item `{key}` is missing or empty")]
    MissingItem {
        /// Item name.
        key: &'static str,
    },
    /// An item has a value of the wrong shape.
    #[error("response item `{key}` is invalid: {reason}")]
    InvalidItem {
        /// Item name.
        key: &'static str,
        /// What was expected.
        reason: &'static str,
    },
    /// `payment_status` is not a known code.
    #[error("unknown payment_status `{code}`")]
    UnknownPaymentStatus {
        /// The code (sanitized).
        code: String,
    },
    /// `payment_type` is not a known code.
    #[error("unknown payment_type `{code}`")]
    UnknownPaymentType {
        /// The code (sanitized).
        code: String,
    },
    /// The gateway refused the telegram (`result=1`).
    #[error("{0}")]
    Gateway(GatewayError),
    /// `result=7` (3-D Secure 1.0), which PayDesk never requests.
    #[error("gateway asked for 3-D Secure 1.0 authentication, which PayDesk does not use")]
    ThreeDSecureRequired,
}

/// Keeps codes and item names readable in messages without quoting arbitrary text.
pub(crate) fn printable(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
        .take(32)
        .collect();
    if kept.len() == s.len() {
        kept
    } else {
        format!("{kept}…")
    }
}

/// Shows a short code as is and anything longer only by its length, so that a misplaced
/// value (which could be anything) never reaches a message.
pub(crate) fn short_code(s: &str, max: usize) -> String {
    if s.len() <= max && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        s.to_owned()
    } else {
        format!("<{} bytes>", s.len())
    }
}

fn is_code_like(s: &str) -> bool {
    !s.is_empty() && s.len() <= 6 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A parsed response before it is given a type: the common items and everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The telegram answered.
    pub kind: TelegramKind,
    /// `result`.
    pub result: ResultStatus,
    /// `response_code` (empty on success).
    pub response_code: String,
    /// `response_detail` (empty on success).
    pub response_detail: String,
    /// Every other item of a key=value body; a duplicate key keeps the last value.
    pub items: BTreeMap<String, String>,
    /// The data rows of a CSV body, keyed by the column names.
    pub rows: Vec<BTreeMap<String, String>>,
}

impl RawResponse {
    /// An item's value, if present (possibly empty).
    pub fn item(&self, key: &str) -> Option<&str> {
        self.items.get(key).map(String::as_str)
    }

    /// `Ok` for `result=0`; the gateway error for `result=1`.
    pub fn check_success(&self) -> Result<(), ResponseError> {
        match self.result {
            ResultStatus::Success => Ok(()),
            ResultStatus::ThreeDSecureRequired => Err(ResponseError::ThreeDSecureRequired),
            ResultStatus::Error => Err(ResponseError::Gateway(self.gateway_error())),
        }
    }

    /// The gateway error described by this response (meaningful when `result=1`).
    pub fn gateway_error(&self) -> GatewayError {
        GatewayError {
            kind: self.kind,
            response_code: self.response_code.clone(),
            response_detail: self.response_detail.clone(),
            payment_id: self.optional("payment_id"),
        }
    }

    fn required(&self, key: &'static str) -> Result<String, ResponseError> {
        required(&self.items, key)
    }

    fn optional(&self, key: &str) -> Option<String> {
        optional(&self.items, key)
    }
}

fn required(items: &BTreeMap<String, String>, key: &'static str) -> Result<String, ResponseError> {
    optional(items, key).ok_or(ResponseError::MissingItem { key })
}

fn optional(items: &BTreeMap<String, String>, key: &str) -> Option<String> {
    items.get(key).filter(|v| !v.is_empty()).cloned()
}

fn amount(items: &BTreeMap<String, String>, key: &'static str) -> Result<Yen, ResponseError> {
    Yen::parse_digits(&required(items, key)?).ok_or(ResponseError::InvalidItem {
        key,
        reason: "expected whole yen in digits",
    })
}

fn optional_amount(
    items: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<Yen>, ResponseError> {
    match optional(items, key) {
        None => Ok(None),
        Some(_) => amount(items, key).map(Some),
    }
}

fn count(
    items: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<u32>, ResponseError> {
    optional(items, key)
        .map(|v| {
            v.parse::<u32>().map_err(|_| ResponseError::InvalidItem {
                key,
                reason: "expected a count in digits",
            })
        })
        .transpose()
}

pub(crate) fn payment_status(
    items: &BTreeMap<String, String>,
) -> Result<PaymentStatus, ResponseError> {
    let code = required(items, "payment_status")?;
    PaymentStatus::from_code(&code).ok_or_else(|| ResponseError::UnknownPaymentStatus {
        code: short_code(&code, 3),
    })
}

pub(crate) fn payment_type(items: &BTreeMap<String, String>) -> Result<PaymentType, ResponseError> {
    let code = required(items, "payment_type")?;
    PaymentType::from_code(&code).ok_or_else(|| ResponseError::UnknownPaymentType {
        code: short_code(&code, 3),
    })
}

/// Parses a response body the way the official module does, minus its bugs (see the
/// module docs). `status` is the HTTP status code.
pub fn parse_response(
    kind: TelegramKind,
    status: u16,
    body: &[u8],
) -> Result<RawResponse, ResponseError> {
    if !(200..300).contains(&status) {
        return Err(ResponseError::HttpStatus { status });
    }
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(ResponseError::TooLarge { len: body.len() });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ResponseError::EmptyBody);
    }
    let charset = kind.charset();
    if kind.has_csv_response() {
        let table = parse_csv(body, charset)?;
        let result = match table.result.as_str() {
            "" => return Err(ResponseError::NoResult),
            code => ResultStatus::from_code(code).ok_or_else(|| ResponseError::UnknownResult {
                value: short_code(code, 2),
            })?,
        };
        let rows = table
            .rows
            .iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect()
            })
            .collect();
        return Ok(RawResponse {
            kind,
            result,
            response_code: table.response_code,
            response_detail: table.response_detail,
            items: BTreeMap::new(),
            rows,
        });
    }
    let mut items = parse_key_values(body, charset)?;
    let result = match items.remove("result").as_deref() {
        None | Some("") => return Err(ResponseError::NoResult),
        Some(code) => {
            ResultStatus::from_code(code).ok_or_else(|| ResponseError::UnknownResult {
                value: short_code(code, 2),
            })?
        }
    };
    Ok(RawResponse {
        kind,
        result,
        response_code: items.remove("response_code").unwrap_or_default(),
        response_detail: items.remove("response_detail").unwrap_or_default(),
        items,
        rows: Vec::new(),
    })
}

/// CRLF lines, split at the first `=`, lines without `=` ignored, a duplicate key keeps
/// the last value, values neither trimmed nor URL-decoded; a key ending in `_html` takes
/// the rest of the body after its line (the text on its own line is dropped, as the
/// module does).
fn parse_key_values(
    body: &[u8],
    charset: Charset,
) -> Result<BTreeMap<String, String>, ResponseError> {
    let mut items = BTreeMap::new();
    let mut pos = 0;
    let mut line_no = 0;
    while pos < body.len() {
        line_no += 1;
        let rest = &body[pos..];
        let (line, next) = match rest.windows(2).position(|w| w == b"\r\n") {
            Some(end) => (&rest[..end], pos + end + 2),
            None => (rest, body.len()),
        };
        pos = next;
        if line.iter().any(|&b| b == b'\n' || b == b'\r') {
            return Err(ResponseError::LineEnding { line: line_no });
        }
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            continue;
        };
        let key = decode_text(charset, &line[..eq]).ok_or(ResponseError::InvalidEncoding {
            key: "<undecodable>".to_owned(),
            charset,
        })?;
        let value_bytes = if key.ends_with("_html") {
            let html = &body[pos..];
            pos = body.len();
            html
        } else {
            &line[eq + 1..]
        };
        let value =
            decode_text(charset, value_bytes).ok_or_else(|| ResponseError::InvalidEncoding {
                key: printable(&key),
                charset,
            })?;
        items.insert(key, value);
    }
    Ok(items)
}

/// Builds a key=value response body exactly as the official client parses it: CRLF after
/// every line, `*_html` item last as `key=` CRLF then the HTML with no final CRLF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseWriter {
    kind: TelegramKind,
    items: Vec<(String, String)>,
}

impl ResponseWriter {
    /// A body for `kind` with `result` and empty `response_code`/`response_detail`.
    pub fn new(kind: TelegramKind, result: ResultStatus) -> ResponseWriter {
        ResponseWriter {
            kind,
            items: vec![
                ("result".to_owned(), result.code().to_owned()),
                ("response_code".to_owned(), String::new()),
                ("response_detail".to_owned(), String::new()),
            ],
        }
    }

    /// A `result=1` body with the given code and detail.
    pub fn error(kind: TelegramKind, response_code: &str, response_detail: &str) -> ResponseWriter {
        ResponseWriter::new(kind, ResultStatus::Error)
            .item("response_code", response_code)
            .item("response_detail", response_detail)
    }

    /// Sets an item (replacing an earlier one with the same key, in place).
    pub fn item(mut self, key: &str, value: &str) -> ResponseWriter {
        match self.items.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.items.push((key.to_owned(), value.to_owned())),
        }
        self
    }

    /// The body bytes in the kind's charset.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let items: Vec<(&str, &str)> = self
            .items
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        encode_response(self.kind, &items)
    }
}

/// Lays out key=value items for `kind` (simulator direction). Items whose key ends in
/// `_html` are moved last; at most one such item is meaningful to the client.
pub fn encode_response(kind: TelegramKind, items: &[(&str, &str)]) -> Result<Vec<u8>, EncodeError> {
    encode_response_with_charset(kind.charset(), items)
}

/// [`encode_response`] with an explicit charset, for replies to a telegram kind that
/// [`TelegramKind`] does not name (an unknown code answered with a P-code error); take
/// the charset from [`crate::kind::charset_for_code`].
pub fn encode_response_with_charset(
    charset: Charset,
    items: &[(&str, &str)],
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    let (html, plain): (Vec<_>, Vec<_>) = items.iter().partition(|(k, _)| k.ends_with("_html"));
    for (key, value) in plain {
        if value.contains(['\r', '\n']) {
            return Err(EncodeError::LineBreakInValue {
                key: (*key).to_owned(),
            });
        }
        out.extend(encode_text(charset, key, key)?);
        out.push(b'=');
        out.extend(encode_text(charset, key, value)?);
        out.extend_from_slice(b"\r\n");
    }
    if let Some((key, value)) = html.last() {
        out.extend(encode_text(charset, key, key)?);
        out.extend_from_slice(b"=\r\n");
        out.extend(encode_text(charset, key, value)?);
    }
    Ok(out)
}

/// Lays out a CSV reference response for `kind` (027) in the kind's charset.
pub fn encode_reference_response(
    kind: TelegramKind,
    table: &CsvTable,
) -> Result<Vec<u8>, EncodeError> {
    encode_csv_response(table, kind.charset())
}

/// 020 success: a new authorization (status 20, or 40 with `sales_mode=1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAuthorization {
    /// Paygent's payment id (決済ID) of the new payment.
    pub payment_id: String,
    /// Echo of the merchant's trading id (may be empty).
    pub trading_id: String,
    /// `issur_class`: `0` domestic, `1` foreign.
    pub issuer_class: Option<String>,
    /// `acq_id`: acquirer code.
    pub acquirer_id: Option<String>,
    /// `acq_name`.
    pub acquirer_name: Option<String>,
    /// `issur_name`.
    pub issuer_name: Option<String>,
    /// `fingerprint` of the card.
    pub fingerprint: Option<String>,
    /// `masked_card_number` (last four digits visible).
    pub masked_card_number: Option<String>,
    /// `card_valid_term` (MMYY).
    pub card_valid_term: Option<String>,
}

impl TryFrom<RawResponse> for CardAuthorization {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        Ok(CardAuthorization {
            payment_id: raw.required("payment_id")?,
            trading_id: raw.optional("trading_id").unwrap_or_default(),
            issuer_class: raw.optional("issur_class"),
            acquirer_id: raw.optional("acq_id"),
            acquirer_name: raw.optional("acq_name"),
            issuer_name: raw.optional("issur_name"),
            fingerprint: raw.optional("fingerprint"),
            masked_card_number: raw.optional("masked_card_number"),
            card_valid_term: raw.optional("card_valid_term"),
        })
    }
}

/// 021 / 022 / 023 success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOperation {
    /// The payment acted on.
    pub payment_id: String,
    /// Echo of the merchant's trading id (may be empty).
    pub trading_id: String,
}

impl TryFrom<RawResponse> for CardOperation {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        Ok(CardOperation {
            payment_id: raw.required("payment_id")?,
            trading_id: raw.optional("trading_id").unwrap_or_default(),
        })
    }
}

/// 028 / 029 success: a new payment replaces the base payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRevision {
    /// The **new** payment id.
    pub payment_id: String,
    /// Echo of the merchant's trading id.
    pub trading_id: String,
    /// The original payment id.
    pub base_payment_id: Option<String>,
    /// `reduced_amount`: the new payment's amount.
    pub reduced_amount: Option<Yen>,
}

impl TryFrom<RawResponse> for CardRevision {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        Ok(CardRevision {
            payment_id: raw.required("payment_id")?,
            trading_id: raw.optional("trading_id").unwrap_or_default(),
            base_payment_id: raw.optional("base_payment_id"),
            reduced_amount: optional_amount(&raw.items, "reduced_amount")?,
        })
    }
}

/// 025 success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCardRegistration {
    /// Paygent's id for the stored card.
    pub customer_card_id: String,
    /// `num_of_cards`: cards now stored for the customer (1–10).
    pub number_of_cards: Option<u32>,
    /// `fingerprint`.
    pub fingerprint: Option<String>,
    /// `masked_card_number`.
    pub masked_card_number: Option<String>,
    /// `card_valid_term` (MMYY).
    pub card_valid_term: Option<String>,
    /// `cardholder_name`.
    pub cardholder_name: Option<String>,
}

impl TryFrom<RawResponse> for StoredCardRegistration {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        Ok(StoredCardRegistration {
            customer_card_id: raw.required("customer_card_id")?,
            number_of_cards: count(&raw.items, "num_of_cards")?,
            fingerprint: raw.optional("fingerprint"),
            masked_card_number: raw.optional("masked_card_number"),
            card_valid_term: raw.optional("card_valid_term"),
            cardholder_name: raw.optional("cardholder_name"),
        })
    }
}

/// 026 success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCardDeletion {
    /// `num_of_cards` still stored for the customer.
    pub number_of_cards: Option<u32>,
}

impl TryFrom<RawResponse> for StoredCardDeletion {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        Ok(StoredCardDeletion {
            number_of_cards: count(&raw.items, "num_of_cards")?,
        })
    }
}

/// One stored card from a 027 row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCard {
    /// Merchant's customer id.
    pub customer_id: String,
    /// Paygent's card id.
    pub customer_card_id: String,
    /// `card_number`, masked (last four digits).
    pub masked_card_number: String,
    /// `card_valid_term` (MMYY).
    pub card_valid_term: String,
    /// `card_last_use_date` (YYYYMMDDhhmm), empty if never used.
    pub card_last_use_date: String,
    /// `card_brand` (VISA, MASTER, …).
    pub card_brand: String,
    /// `cardholder_name`.
    pub cardholder_name: String,
    /// `card_expire_flag=1`: the gateway considers the card expired.
    pub expired: bool,
    /// Every column as received (add_info1..4, validity-check columns, fingerprint).
    pub columns: BTreeMap<String, String>,
}

/// 027 success: the customer's stored cards, newest use first. A `P026` ("no card")
/// answer is an empty list, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCardList {
    /// The cards (at most 10).
    pub cards: Vec<StoredCard>,
}

impl TryFrom<RawResponse> for StoredCardList {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        if raw.result == ResultStatus::Error && raw.response_code == "P026" {
            return Ok(StoredCardList { cards: Vec::new() });
        }
        raw.check_success()?;
        let cards = raw
            .rows
            .into_iter()
            .map(|row| {
                Ok(StoredCard {
                    customer_id: required(&row, "customer_id")?,
                    customer_card_id: required(&row, "customer_card_id")?,
                    masked_card_number: optional(&row, "card_number").unwrap_or_default(),
                    card_valid_term: optional(&row, "card_valid_term").unwrap_or_default(),
                    card_last_use_date: optional(&row, "card_last_use_date").unwrap_or_default(),
                    card_brand: optional(&row, "card_brand").unwrap_or_default(),
                    cardholder_name: optional(&row, "cardholder_name").unwrap_or_default(),
                    expired: optional(&row, "card_expire_flag").as_deref() == Some("1"),
                    columns: row,
                })
            })
            .collect::<Result<Vec<_>, ResponseError>>()?;
        Ok(StoredCardList { cards })
    }
}

/// One payment notification record (091 response or pushed notification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// `payment_notice_id`: consecutive from 1 per merchant.
    pub payment_notice_id: String,
    /// `change_date` (YYYYMMDDhhmmss): when the record was created.
    pub change_date: String,
    /// `payment_id`.
    pub payment_id: String,
    /// `trading_id` (may be empty).
    pub trading_id: String,
    /// `payment_type`.
    pub payment_type: PaymentType,
    /// `payment_status` after the transition.
    pub payment_status: PaymentStatus,
    /// `payment_amount`.
    pub payment_amount: Yen,
    /// Every item as received (dates, card or Paidy fields, `event`, …).
    pub fields: BTreeMap<String, String>,
}

impl PaymentRecord {
    /// Reads a record from its items.
    pub fn from_items(items: BTreeMap<String, String>) -> Result<PaymentRecord, ResponseError> {
        Ok(PaymentRecord {
            payment_notice_id: required(&items, "payment_notice_id")?,
            change_date: optional(&items, "change_date").unwrap_or_default(),
            payment_id: required(&items, "payment_id")?,
            trading_id: optional(&items, "trading_id").unwrap_or_default(),
            payment_type: payment_type(&items)?,
            payment_status: payment_status(&items)?,
            payment_amount: amount(&items, "payment_amount")?,
            fields: items,
        })
    }
}

/// 091 success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DifferenceInquiryResult {
    /// `success_code=1`: no undelivered record.
    NoData,
    /// `success_code=0` (or `2`: records before this one were purged after 7 days).
    Record {
        /// `success_code=2`: ids are not consecutive because of purged records.
        purged_gap: bool,
        /// The record.
        record: PaymentRecord,
    },
}

impl TryFrom<RawResponse> for DifferenceInquiryResult {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        let purged_gap = match raw.item("success_code") {
            Some("1") => return Ok(DifferenceInquiryResult::NoData),
            Some("0") => false,
            Some("2") => true,
            Some(_) => {
                return Err(ResponseError::InvalidItem {
                    key: "success_code",
                    reason: "expected 0, 1 or 2",
                });
            }
            None => {
                return Err(ResponseError::MissingItem {
                    key: "success_code",
                });
            }
        };
        let mut items = raw.items;
        items.remove("success_code");
        items.remove("success_detail");
        Ok(DifferenceInquiryResult::Record {
            purged_gap,
            record: PaymentRecord::from_items(items)?,
        })
    }
}

/// 094 success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInquiryResult {
    /// `payment_id`.
    pub payment_id: String,
    /// `trading_id` (may be empty).
    pub trading_id: String,
    /// `payment_type`.
    pub payment_type: PaymentType,
    /// `payment_status`.
    pub payment_status: PaymentStatus,
    /// `payment_amount`.
    pub payment_amount: Yen,
    /// Every item as received (dates YYYYMMDDhhmmss, card or Paidy fields).
    pub fields: BTreeMap<String, String>,
}

impl TryFrom<RawResponse> for PaymentInquiryResult {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        Ok(PaymentInquiryResult {
            payment_id: raw.required("payment_id")?,
            trading_id: raw.optional("trading_id").unwrap_or_default(),
            payment_type: payment_type(&raw.items)?,
            payment_status: payment_status(&raw.items)?,
            payment_amount: amount(&raw.items, "payment_amount")?,
            fields: raw.items,
        })
    }
}

/// 340 / 341 / 342 success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidyOperation {
    /// The payment id; for a partial refund (342 with amount) the **new** payment id that
    /// holds the remaining amount.
    pub payment_id: String,
    /// Echo of the merchant's trading id.
    pub trading_id: String,
}

impl TryFrom<RawResponse> for PaidyOperation {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        Ok(PaidyOperation {
            payment_id: raw.required("payment_id")?,
            trading_id: raw.optional("trading_id").unwrap_or_default(),
        })
    }
}

/// 343 success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidyVerification {
    /// `retrieve_result=0`: the payment exists at Paidy.
    pub exists: bool,
    /// `payment_amount` (format undefined by the spec; `None` if absent or not digits).
    pub payment_amount: Option<Yen>,
    /// Every item as received.
    pub fields: BTreeMap<String, String>,
}

impl TryFrom<RawResponse> for PaidyVerification {
    type Error = ResponseError;

    fn try_from(raw: RawResponse) -> Result<Self, Self::Error> {
        raw.check_success()?;
        let exists = match raw.item("retrieve_result") {
            Some("0") => true,
            Some("1") => false,
            _ => {
                return Err(ResponseError::InvalidItem {
                    key: "retrieve_result",
                    reason: "expected 0 or 1",
                });
            }
        };
        Ok(PaidyVerification {
            exists,
            payment_amount: raw.item("payment_amount").and_then(Yen::parse_digits),
            fields: raw.items,
        })
    }
}
