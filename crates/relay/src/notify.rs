//! Reading a notification body (protocol §6): decode the form, check `hc`.
//!
//! The relay is a durable pipe, deliberately lenient: it needs a well-formed Windows-31J
//! form, a numeric `payment_notice_id` and a 64-hex `hc`, nothing else. Unknown payment
//! types or statuses, or amounts with decimals, are stored and delivered as they came:
//! refusing them would make Paygent resend them forever, and after 5 failures Paygent
//! suspends *all* of the merchant's notifications for 15 minutes. Judging the record is
//! the desktop's job. The codec's lenient reader ([`parse_notification_fields`]) does the
//! form and `hc` part; this module adds the notice id the store keys records by.

use paygent_codec::{
    NotificationError, NotificationFields, parse_notification_fields, verify_hc_fields,
};

use crate::secret::HashKey;

/// A parsed, not yet verified notification.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Every field as received (last value wins for a repeated key) and, apart, `hc`.
    pub notification: NotificationFields,
    pub payment_notice_id: u64,
}

/// Why a body is not a notification at all. No body text is quoted.
#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    #[error("{0}")]
    Notification(#[from] NotificationError),
    #[error("payment_notice_id is missing or not 1-18 digits")]
    NoticeId,
}

impl Incoming {
    pub fn field(&self, name: &str) -> &str {
        self.notification.field(name)
    }
}

/// Parses a Windows-31J form body (PHP or Java percent-encoding).
pub fn parse(body: &[u8]) -> Result<Incoming, Malformed> {
    let notification = parse_notification_fields(body)?;
    let raw_id = notification.field("payment_notice_id");
    if raw_id.is_empty() || raw_id.len() > 18 || !raw_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Malformed::NoticeId);
    }
    let payment_notice_id = raw_id.parse().map_err(|_| Malformed::NoticeId)?;
    Ok(Incoming {
        notification,
        payment_notice_id,
    })
}

/// True when `hc` is SHA-256(payment_notice_id + payment_id + trading_id + payment_type +
/// payment_amount + hash key) over the values as received, compared in constant time.
pub fn verify(incoming: &Incoming, key: &HashKey) -> bool {
    verify_hc_fields(&incoming.notification, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(fields: &[(&str, &str)], key: &str) -> Vec<u8> {
        paygent_codec::encode_notification(fields, &HashKey::new(key)).expect("encodes")
    }

    #[test]
    fn spec_example_verifies() {
        let n = parse(&body(
            &[
                ("payment_notice_id", "12345"),
                ("payment_id", "123456789"),
                ("trading_id", "TRADE12345"),
                ("payment_type", "02"),
                ("payment_amount", "1000"),
            ],
            "abcdefg1234567",
        ))
        .expect("parses");
        assert_eq!(
            n.notification.hc,
            "6485eb02c7db9afccfe1076b740ffa87fc84f912aab24961153891e848b8cb8c"
        );
        assert!(verify(&n, &HashKey::new("abcdefg1234567")));
        assert!(!verify(&n, &HashKey::new("other")));
    }

    #[test]
    fn unknown_codes_and_decimal_amounts_still_parse() {
        let n = parse(&body(
            &[
                ("payment_notice_id", "7"),
                ("payment_id", "1"),
                ("payment_type", "99"),
                ("payment_status", "77"),
                ("payment_amount", "12.50"),
                ("buyer_name_kanji", "山田 太郎"),
            ],
            "k",
        ))
        .expect("parses");
        assert_eq!(n.field("buyer_name_kanji"), "山田 太郎");
        assert!(verify(&n, &HashKey::new("k")));
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for bad in [
            &b"payment_notice_id=1"[..],
            b"payment_notice_id=x&hc=0000000000000000000000000000000000000000000000000000000000000000",
            b"payment_notice_id=1234567890123456789&hc=0000000000000000000000000000000000000000000000000000000000000000",
            b"payment_notice_id=1&hc=zz",
            b"payment_notice_id=%ZZ&hc=0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(parse(bad).is_err());
        }
    }
}
