//! Integration tests of paygent-codec: captured official-client vectors, hash vectors,
//! the error dictionary and payment notifications.

mod dictionary;
mod hashes;
mod malformed;
mod notification;
mod vectors;

use std::path::PathBuf;

/// `/work/shared/paygent-vectors` as seen from this crate (CI clones `shared/` beside the
/// repository).
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/paygent-vectors")
}

/// The protocol notes, for the dictionary completeness test.
pub fn protocol_doc() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/paygent-protocol.md")
}
