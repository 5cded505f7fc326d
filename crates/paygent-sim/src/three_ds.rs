//! EMV 3-D Secure (§4.6): the authentications 450 starts, the cardholder's outcome, the
//! 30-minute timeout, and what a 020 with `3dsecure_use_type=2` may use.
//!
//! An authentication is `pending` from its 450 until the cardholder finishes it
//! (`authenticated` or `failed`, through the control API, standing in for the ACS page) or
//! leaves it: after `GatewayRules::three_d_secure_timeout` a pending authentication is
//! `timed_out` (the abandoned outcome; Paygent tells the shop's `term_url` 31013). No
//! payment exists until the 020, so an abandoned authentication leaves no payment status
//! behind (13/14 were 3-D Secure 1.0's and left the spec in v2.8.19, §0).
//!
//! Choices where §4.6 is silent (documented in the README, tested in `tests/it/three_ds.rs`):
//! a 020 naming an authentication that is still `pending` is 31011 (no result under that
//! id yet), a `failed` one 31007, a `timed_out` one 31013, one already used by a payment
//! 31010, an unknown one or another merchant's 31011; 450 does not use up the card token
//! (the 020 that follows does).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ledger::{CardDetails, EventDetail, Ledger, LedgerError};
use crate::rules::GatewayRules;

/// Where an authentication stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreeDsStatus {
    /// 450 answered; the cardholder is on the ACS page.
    Pending,
    /// The cardholder authenticated: a 020 may use it once.
    Authenticated,
    /// The issuer refused the authentication (31007).
    Failed,
    /// Not finished within the timeout: abandoned (31013).
    TimedOut,
}

/// One authentication started by 450.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThreeDsAuth {
    /// The merchant that started it.
    pub merchant_id: String,
    /// The card it authenticates.
    pub card: CardDetails,
    /// The amount sent with the 450.
    pub amount: String,
    /// Where the cardholder's browser is sent at the end.
    pub term_url: String,
    /// Started at.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub status: ThreeDsStatus,
    /// When it was finished (authenticated, failed or timed out).
    pub finished_at: Option<DateTime<Utc>>,
    /// The payment whose 020 used it.
    pub used_by: Option<String>,
}

/// The hash of the term_url redirect (§4.6): SHA-256 of result + 3ds_auth_id + attempt_kbn
/// + the merchant's key, lower-case hex.
pub fn term_url_hash(result: &str, auth_id: &str, attempt_kbn: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{result}{auth_id}{attempt_kbn}{key}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Ledger {
    /// A fresh authentication id: 36 characters in the UUID layout §4.6's vector shows.
    pub fn new_three_ds_id(&mut self) -> String {
        self.next_token_seq += 1;
        let n = self.next_token_seq;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            0x5153_0000_u32,
            (n >> 48) & 0xffff,
            (n >> 32) & 0xffff,
            (n >> 16) & 0xffff,
            n & 0xffff_ffff_ffff
        )
    }

    /// Records a new authentication in `status` and returns its id.
    pub fn start_three_ds(
        &mut self,
        now: DateTime<Utc>,
        merchant_id: &str,
        card: CardDetails,
        amount: &str,
        term_url: &str,
        status: ThreeDsStatus,
    ) -> String {
        let id = self.new_three_ds_id();
        let finished_at = (status != ThreeDsStatus::Pending).then_some(now);
        self.three_ds.insert(
            id.clone(),
            ThreeDsAuth {
                merchant_id: merchant_id.into(),
                card,
                amount: amount.into(),
                term_url: term_url.into(),
                created_at: now,
                status,
                finished_at,
                used_by: None,
            },
        );
        id
    }

    /// The code a 020 with `3dsecure_use_type=2` gets for this authentication id, or
    /// `None` when it may be used.
    pub fn three_ds_refusal(&self, merchant_id: &str, auth_id: &str) -> Option<&'static str> {
        let Some(auth) = self
            .three_ds
            .get(auth_id)
            .filter(|a| a.merchant_id == merchant_id)
        else {
            // The earlier simulator accepted any id; ids used by payments are still known.
            return Some(if self.used_3ds_auth_ids.contains(auth_id) {
                "31010"
            } else {
                "31011"
            });
        };
        if auth.used_by.is_some() || self.used_3ds_auth_ids.contains(auth_id) {
            return Some("31010");
        }
        match auth.status {
            ThreeDsStatus::Authenticated => None,
            ThreeDsStatus::Pending => Some("31011"),
            ThreeDsStatus::Failed => Some("31007"),
            ThreeDsStatus::TimedOut => Some("31013"),
        }
    }

    /// The cardholder finishes a pending authentication. Returns the term_url the browser
    /// is redirected to, with the documented items and `hc`.
    pub fn complete_three_ds(
        &mut self,
        now: DateTime<Utc>,
        auth_id: &str,
        authenticated: bool,
    ) -> Result<String, LedgerError> {
        let auth = self
            .three_ds
            .get_mut(auth_id)
            .ok_or_else(|| LedgerError::NotFound(format!("3-D Secure authentication {auth_id}")))?;
        if auth.status != ThreeDsStatus::Pending {
            return Err(LedgerError::Invalid(format!(
                "authentication {auth_id} is no longer pending"
            )));
        }
        auth.status = if authenticated {
            ThreeDsStatus::Authenticated
        } else {
            ThreeDsStatus::Failed
        };
        auth.finished_at = Some(now);
        let auth = auth.clone();
        let url = self.term_url_redirect(auth_id, &auth);
        self.log(
            now,
            EventDetail::Control {
                action: "three_ds_complete".into(),
                detail: format!("{auth_id} {:?}", auth.status),
            },
        );
        Ok(url)
    }

    /// The GET the cardholder's browser (or, on timeout, Paygent) makes to term_url.
    pub fn term_url_redirect(&self, auth_id: &str, auth: &ThreeDsAuth) -> String {
        let key = self
            .shops
            .get(&auth.merchant_id)
            .map_or("", |s| s.hash_key.expose());
        let (result, code) = match auth.status {
            ThreeDsStatus::Authenticated => ("0", ""),
            ThreeDsStatus::Failed => ("1", "31007"),
            ThreeDsStatus::TimedOut => ("1", "31013"),
            ThreeDsStatus::Pending => ("1", ""),
        };
        let attempt = if result == "0" { "0" } else { "" };
        let (brand, masked) = if auth.status == ThreeDsStatus::TimedOut {
            (String::new(), "XXXX".to_owned())
        } else {
            (
                crate::card_stub::brand(&auth.card.number).to_owned(),
                crate::card_stub::masked(&auth.card.number),
            )
        };
        let fingerprint = if auth.status == ThreeDsStatus::TimedOut {
            "XXXX".to_owned()
        } else {
            auth.card.fingerprint()
        };
        let items = [
            ("result", result.to_owned()),
            ("response_code", code.to_owned()),
            ("3ds_auth_id", auth_id.to_owned()),
            ("card_brand", brand),
            ("attempt_kbn", attempt.to_owned()),
            ("fingerprint", fingerprint),
            ("masked_card_number", masked),
            ("hc", term_url_hash(result, auth_id, attempt, key)),
        ];
        let query: Vec<String> = items
            .iter()
            .map(|(k, v)| format!("{k}={}", percent(v)))
            .collect();
        let sep = if auth.term_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{}", auth.term_url, query.join("&"))
    }

    /// Pending authentications not finished within the timeout become `timed_out` (the
    /// abandoned outcome). Returns how many.
    pub fn expire_three_ds(&mut self, now: DateTime<Utc>, rules: &GatewayRules) -> usize {
        let due: Vec<String> = self
            .three_ds
            .iter()
            .filter(|(_, a)| {
                a.status == ThreeDsStatus::Pending
                    && now >= a.created_at + rules.three_d_secure_timeout
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &due {
            if let Some(a) = self.three_ds.get_mut(id) {
                a.status = ThreeDsStatus::TimedOut;
                a.finished_at = Some(now);
            }
            self.log(
                now,
                EventDetail::Control {
                    action: "three_ds_timeout".into(),
                    detail: id.clone(),
                },
            );
        }
        due.len()
    }
}

fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §4.6's vector: result 0, id `11111111-1111-1111-1111-111111111111`, attempt 0, key
    /// `test_1234567890123456789`.
    #[test]
    fn term_url_hash_matches_the_spec_vector() {
        assert_eq!(
            term_url_hash(
                "0",
                "11111111-1111-1111-1111-111111111111",
                "0",
                "test_1234567890123456789"
            ),
            "e3f5400fb96b6ae955ac16f58cc81ba33e93f5ae35ec4a07bac6f0496c51bc43"
        );
    }
}
