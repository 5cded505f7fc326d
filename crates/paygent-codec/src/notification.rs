//! Payment notifications (決済情報差分通知, §6): the form Paygent POSTs to the merchant,
//! its `hc` check, and the builder the simulator uses to send one.
//!
//! Layout: [`parse_notification_fields`] is the lenient reader: it decodes the
//! Windows-31J form and checks the shape of `hc`, nothing else, so a receiver never refuses
//! a record with an unknown status or type code or a decimal (multi-currency) amount;
//! refusing one makes Paygent resend it, and after 5 failures it suspends *all* of the
//! merchant's notifications for 15 minutes. [`verify_hc_fields`] checks `hc` over those
//! fields. [`parse_notification`] builds on the lenient reader and types the record into a
//! [`Notification`] (a [`PaymentRecord`] plus `hc`), checked with [`verify_hc`]. Both
//! checks recompute `hc` from the values as received and compare in constant time.
//! [`encode_notification`] builds a body with a correct `hc`. The merchant must answer a
//! body of exactly [`ACKNOWLEDGEMENT`].

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

use crate::form::{Charset, EncodeError, FormError, decode_form, encode_form_with_charset};
use crate::hash::{constant_time_eq, notification_hc};
use crate::response::{PaymentRecord, ResponseError};
use crate::secret::Secret;

/// The body the merchant answers to stop Paygent from re-sending.
pub const ACKNOWLEDGEMENT: &[u8] = b"result=0";

/// A notification could not be read. No body text is quoted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotificationError {
    /// The form body is malformed.
    #[error("malformed notification form: {0}")]
    Form(#[from] FormError),
    /// A field is missing or invalid (typed parse only).
    #[error("invalid notification: {0}")]
    Record(#[from] ResponseError),
    /// `hc` is missing or not 64 hex characters.
    #[error("notification has no valid hc")]
    MissingHc,
}

/// A notification read leniently: every field as a string. `Debug` leaves `hc` out.
#[derive(Clone, PartialEq, Eq)]
pub struct NotificationFields {
    /// Every field as received except `hc` (a repeated key keeps its last value).
    pub fields: BTreeMap<String, String>,
    /// The received `hc` (64 hex characters, either case).
    pub hc: String,
}

impl NotificationFields {
    /// A field's value as received, or `""` when absent.
    pub fn field(&self, key: &str) -> &str {
        field(&self.fields, key)
    }
}

impl fmt::Debug for NotificationFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationFields")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

/// A parsed payment notification. `Debug` prints the record but not `hc`.
#[derive(Clone, PartialEq, Eq)]
pub struct Notification {
    /// The record (same items as a 091 response record).
    pub record: PaymentRecord,
    /// The received `hc` (64 hex characters).
    pub hc: String,
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

/// Reads a notification body (Windows-31J form, PHP or Java percent-encoding) without
/// judging its fields: only the form and the shape of `hc` can make it fail.
pub fn parse_notification_fields(body: &[u8]) -> Result<NotificationFields, NotificationError> {
    let mut fields: BTreeMap<String, String> = decode_form(body, Charset::Windows31J)?
        .into_iter()
        .collect();
    let hc = fields.remove("hc").ok_or(NotificationError::MissingHc)?;
    if hc.len() != 64 || !hc.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NotificationError::MissingHc);
    }
    Ok(NotificationFields { fields, hc })
}

/// Parses a notification body and types its record (an unknown status or type code, or
/// an amount that is not whole yen, is an error: receivers use
/// [`parse_notification_fields`]).
pub fn parse_notification(body: &[u8]) -> Result<Notification, NotificationError> {
    let NotificationFields { fields, hc } = parse_notification_fields(body)?;
    Ok(Notification {
        record: PaymentRecord::from_items(fields)?,
        hc,
    })
}

/// Whether the leniently read notification's `hc` matches the merchant's hash key.
pub fn verify_hc_fields(notification: &NotificationFields, hash_key: &Secret) -> bool {
    hc_matches(&notification.fields, &notification.hc, hash_key)
}

/// Whether `hc` matches the merchant's hash key. Uses the values exactly as received
/// (an absent trading id contributes nothing), compared in constant time.
pub fn verify_hc(notification: &Notification, hash_key: &Secret) -> bool {
    hc_matches(&notification.record.fields, &notification.hc, hash_key)
}

/// Builds a notification body (simulator direction): the fields in order, then `hc`
/// computed from them with `hash_key`. A repeated key counts with its last value, as the
/// receiver reads it.
pub fn encode_notification(
    fields: &[(&str, &str)],
    hash_key: &Secret,
) -> Result<Vec<u8>, EncodeError> {
    let received: BTreeMap<String, String> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let hc = expected_hc(&received, hash_key);
    let mut all: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "hc").copied().collect();
    all.push(("hc", &hc));
    encode_form_with_charset(Charset::Windows31J, &all)
}

fn field<'a>(fields: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    fields.get(key).map(String::as_str).unwrap_or("")
}

/// The `hc` the fields call for (§6), over the values as received.
fn expected_hc(fields: &BTreeMap<String, String>, hash_key: &Secret) -> String {
    notification_hc(
        field(fields, "payment_notice_id"),
        field(fields, "payment_id"),
        field(fields, "trading_id"),
        field(fields, "payment_type"),
        field(fields, "payment_amount"),
        hash_key,
    )
}

fn hc_matches(fields: &BTreeMap<String, String>, hc: &str, hash_key: &Secret) -> bool {
    constant_time_eq(&expected_hc(fields, hash_key), hc)
}
