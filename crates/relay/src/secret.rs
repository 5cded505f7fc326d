//! Secrets held by the relay: a shop's hash key and desktop tokens.
//!
//! Both are wrapped in PayDesk's one secret type, [`Sensitive`], which prints
//! `<redacted>` in Debug and Display and is not serializable, so a secret cannot end up in
//! a log line or an error message by accident. What is the relay's own lives here: the
//! desktop token's format, generation and stored digest.

use std::fmt;

use base64::Engine;
use secrets::Sensitive;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shop's Paygent hash key (ハッシュ値生成キー), used to verify `hc`.
pub type HashKey = paygent_codec::Secret;

/// Prefix of every desktop token, so a leaked token is recognisable in a secret scanner.
const TOKEN_PREFIX: &str = "pdr_";

/// A desktop's bearer token: `pdr_<desktop id>_<base64url of 32 random bytes>`.
///
/// The id lets the relay find the desktop's row; the random part is the secret. Only the
/// SHA-256 of the whole token is stored.
pub struct DesktopToken(Sensitive<String>);

impl DesktopToken {
    /// Makes a new token for desktop `id` from the operating system's random source.
    pub fn generate(id: u64) -> Result<Self, getrandom::Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)?;
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        Ok(Self(Sensitive::new(format!(
            "{TOKEN_PREFIX}{id}_{encoded}"
        ))))
    }

    /// The token text, to show once to the operator.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// What the relay stores.
    pub fn digest(&self) -> [u8; 32] {
        token_digest(self.0.expose())
    }
}

impl fmt::Debug for DesktopToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DesktopToken(<redacted>)")
    }
}

/// SHA-256 of a presented token.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The desktop id a presented token claims, if it has the token's shape.
pub fn token_desktop_id(token: &str) -> Option<u64> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if secret.len() != 43 || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Constant-time comparison of a presented token against the stored digest.
pub fn token_matches(token: &str, stored_digest: &[u8]) -> bool {
    token_digest(token).ct_eq(stored_digest).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trip() {
        let token = DesktopToken::generate(42).expect("random");
        assert_eq!(token_desktop_id(token.expose()), Some(42));
        assert!(token_matches(token.expose(), &token.digest()));
        assert!(!token_matches("pdr_42_x", &token.digest()));
        assert_eq!(format!("{token:?}"), "DesktopToken(<redacted>)");
    }

    #[test]
    fn malformed_tokens_claim_no_desktop() {
        for bad in [
            "",
            "pdr_",
            "pdr_1",
            "pdr__abc",
            "xyz_1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "pdr_a_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(token_desktop_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn hash_key_prints_nothing() {
        let key = HashKey::new("abcdefg1234567");
        assert_eq!(format!("{key:?} {key}"), "<redacted> <redacted>");
    }
}
