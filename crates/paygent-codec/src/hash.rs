//! Every check value of the protocol: lower-case hex SHA-256 of a plain concatenation
//! (no separators), and a constant-time comparison for verifying them.
//!
//! Layout: one function per hash, named after what it protects; [`hex_sha256`] and
//! [`constant_time_eq`] are the shared pieces.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::Secret;

/// Lower-case hex SHA-256 of the concatenation of `parts`.
pub fn hex_sha256(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0F)]));
    }
    out
}

/// Compares two check values in time independent of where they differ. Upper-case hex
/// from the sender is accepted (the comparison is ASCII case-insensitive).
pub fn constant_time_eq(expected: &str, received: &str) -> bool {
    let received = received.to_ascii_lowercase();
    let expected = expected.to_ascii_lowercase();
    expected.len() == received.len() && bool::from(expected.as_bytes().ct_eq(received.as_bytes()))
}

/// `hc` of a payment notification (§6):
/// `payment_notice_id + payment_id + trading_id + payment_type + payment_amount + key`.
pub fn notification_hc(
    payment_notice_id: &str,
    payment_id: &str,
    trading_id: &str,
    payment_type: &str,
    payment_amount: &str,
    hash_key: &Secret,
) -> String {
    hex_sha256(&[
        payment_notice_id,
        payment_id,
        trading_id,
        payment_type,
        payment_amount,
        hash_key.as_str(),
    ])
}

/// `hc` of the 3-D Secure 1.0 completion redirect (§4.2):
/// `result + payment_id + attempt_kbn + key`.
pub fn three_d_secure_result_hc(
    result: &str,
    payment_id: &str,
    attempt_kbn: &str,
    hash_key: &Secret,
) -> String {
    hex_sha256(&[result, payment_id, attempt_kbn, hash_key.as_str()])
}

/// `hc` of the EMV 3-D Secure (450) result redirect (§4.6):
/// `result + 3ds_auth_id + attempt_kbn + key`.
pub fn emv_three_d_secure_result_hc(
    result: &str,
    three_ds_auth_id: &str,
    attempt_kbn: &str,
    hash_key: &Secret,
) -> String {
    hex_sha256(&[result, three_ds_auth_id, attempt_kbn, hash_key.as_str()])
}

/// Check hash returned by PaygentToken.js `createToken()` (§9):
/// `token + masked_card_number + valid_until + fingerprint + key`.
pub fn token_receipt_hash(
    token: &Secret,
    masked_card_number: &str,
    valid_until: &str,
    fingerprint: &str,
    hash_key: &Secret,
) -> String {
    hex_sha256(&[
        token.as_str(),
        masked_card_number,
        valid_until,
        fingerprint,
        hash_key.as_str(),
    ])
}
