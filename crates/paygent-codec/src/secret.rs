//! A wrapper for values that must never be printed: connect passwords, key passphrases,
//! hash keys and card tokens.

use std::fmt;

/// A secret string. `Debug` and `Display` print `<redacted>`; there is no `serde`
/// implementation, so a secret cannot be serialized by accident. Read it with
/// [`Secret::expose`] only where the wire format needs the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The clear value. Call sites are the only places a secret leaves its wrapper, so
    /// keep them few (form encoding, hashing, TLS identity loading).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
