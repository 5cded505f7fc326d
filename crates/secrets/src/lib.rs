//! Merchant secrets: a value type that cannot leak, and the OS keychain that stores them.
//!
//! Layout: [`Sensitive`] wraps any secret value so that `Debug` and `Display` print
//! `<redacted>` and serde cannot serialize it (it implements neither trait). [`Keychain`]
//! (feature `keychain`, on by default) stores, reads and deletes [`SecretKey`] entries in the
//! platform store through `keyring`: Keychain Services on macOS, Credential Manager on
//! Windows, the Secret Service on Linux. Entries are namespaced by the build identifier
//! so a test or dev build never reads or overwrites the release app's secrets.
//!
//! Nothing here writes a secret to disk, a log or an error message.

mod sensitive;
pub use sensitive::Sensitive;

#[cfg(feature = "keychain")]
mod keychain;
#[cfg(feature = "keychain")]
pub use keychain::{Keychain, SecretKey, SecretsError};
