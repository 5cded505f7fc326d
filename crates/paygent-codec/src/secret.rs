//! The codec's name for a secret string (connect password, key passphrase, hash key, card
//! token): PayDesk's one secret type, [`secrets::Sensitive`], holding a `String`.
//!
//! `Debug` and `Display` print `<redacted>` and there is no `serde` implementation.
//! `Secret::new` takes a `&str` or a `String`; read the value with `expose()` or
//! `as_str()` only where the wire format needs the bytes (form encoding, hashing, TLS
//! identity loading).

/// A secret string; see the module docs.
pub type Secret = secrets::Sensitive<String>;
