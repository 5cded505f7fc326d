//! The keychain against the real platform store (on Linux: gnome-keyring's Secret Service
//! in a dbus session, started by `cargo xtask test`). Never keyring's mock store.

#[cfg(feature = "keychain")]
mod keychain;
mod sensitive;
