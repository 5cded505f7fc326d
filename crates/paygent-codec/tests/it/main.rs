//! Integration tests of paygent-codec: captured official-client vectors, hash vectors,
//! the error dictionary and payment notifications.

mod dictionary;
mod hashes;
mod malformed;
mod notification;
mod vectors;

use std::path::PathBuf;

/// The requests captured from Paygent's official client, kept in the repository
/// (`fixtures/`, provenance in its README). A missing directory fails the test that reads it.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/paygent-vectors")
}

/// One section of the protocol notes (`3.3`, `4.6`, `8.1`, `8.2`), as copied into
/// `fixtures/paygent-protocol/` by `cargo xtask fixtures`.
pub fn protocol_section(number: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../fixtures/paygent-protocol/{number}.md"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} is missing: {e}", path.display()))
}
