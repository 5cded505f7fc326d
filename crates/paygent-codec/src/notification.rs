//! Payment notifications (決済情報差分通知, §6): the form Paygent POSTs to the merchant,
//! its `hc` check, and the builder the simulator uses to send one.
//!
//! Layout: [`parse_notification`] decodes the Windows-31J form into a [`Notification`]
//! (a [`PaymentRecord`] plus `hc`); [`verify_hc`] recomputes `hc` from the raw values and
//! compares in constant time; [`encode_notification`] builds a body with a correct `hc`.
//! The merchant must answer a body of exactly [`ACKNOWLEDGEMENT`].

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
    /// A field is missing or invalid.
    #[error("invalid notification: {0}")]
    Record(#[from] ResponseError),
    /// `hc` is missing or not 64 hex characters.
    #[error("notification has no valid hc")]
    MissingHc,
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

/// Parses a notification body (Windows-31J form, PHP or Java percent-encoding).
pub fn parse_notification(body: &[u8]) -> Result<Notification, NotificationError> {
    let pairs = decode_form(body, Charset::Windows31J)?;
    let mut items: BTreeMap<String, String> = pairs.into_iter().collect();
    let hc = items.remove("hc").ok_or(NotificationError::MissingHc)?;
    if hc.len() != 64 || !hc.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NotificationError::MissingHc);
    }
    Ok(Notification {
        record: PaymentRecord::from_items(items)?,
        hc,
    })
}

/// Whether `hc` matches the merchant's hash key. Uses the values exactly as received
/// (an absent trading id contributes nothing), compared in constant time.
pub fn verify_hc(notification: &Notification, hash_key: &Secret) -> bool {
    let field = |key: &str| {
        notification
            .record
            .fields
            .get(key)
            .map(String::as_str)
            .unwrap_or("")
    };
    let expected = notification_hc(
        field("payment_notice_id"),
        field("payment_id"),
        field("trading_id"),
        field("payment_type"),
        field("payment_amount"),
        hash_key,
    );
    constant_time_eq(&expected, &notification.hc)
}

/// Builds a notification body (simulator direction): the fields in order, then `hc`
/// computed from them with `hash_key`.
pub fn encode_notification(
    fields: &[(&str, &str)],
    hash_key: &Secret,
) -> Result<Vec<u8>, EncodeError> {
    let field = |key: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or("")
    };
    let hc = notification_hc(
        field("payment_notice_id"),
        field("payment_id"),
        field("trading_id"),
        field("payment_type"),
        field("payment_amount"),
        hash_key,
    );
    let mut all: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "hc").copied().collect();
    all.push(("hc", &hc));
    encode_form_with_charset(Charset::Windows31J, &all)
}
