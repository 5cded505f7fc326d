//! PayDesk relay: receives Paygent's payment notifications on a public URL, stores them
//! durably, and streams them to each of a shop's desktops.
//!
//! Layout: [`dto`] holds the desktop API's wire types and [`client`] a desktop-side client
//! (feature `client`); both build without the server. The server (feature `server`) is a
//! library: [`Relay::open`] opens the database with a [`clock::Clock`], [`serve()`] runs it
//! on a bound listener until a shutdown future completes; the `paydesk-relay` binary only
//! parses flags and binds. [`serve()`] runs one accept loop whose [`gate`] caps connections
//! (in all, per IP, evicting the oldest unauthenticated) and serves each through hyper with
//! head and body deadlines, or a plain desktop stream through the lean `raw_stream` path;
//! every limit is in [`config::Limits`]. [`store`] owns SQLite (one writer thread, group
//! commit, read pool, the permanent seen-record); [`server`] has the routes; [`notify`] reads and verifies notification bodies;
//! [`secret`] wraps hash keys and desktop tokens; [`config`] reads the TOML file and the
//! `PAYDESK_RELAY_*` variables.
//!
//! Invariants: `result=0` is answered only after the record's transaction committed; a
//! record whose `hc` does not verify is never delivered as an event; a desktop handler
//! takes the shop from the token's desktop row only; no secret reaches a log line.

pub mod dto;

/// The operator's guide (this crate's README): how to run the relay, and how a shop
/// registers its URL with Paygent. The desktop shows it in its setup guide, so it is at
/// hand in an installed app without a repository or a network.
pub const OPERATOR_GUIDE: &str = include_str!("../README.md");

#[cfg(feature = "client")]
pub mod client;

#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod gate;
#[cfg(feature = "server")]
pub mod notify;
#[cfg(feature = "server")]
mod raw_stream;
#[cfg(feature = "server")]
pub mod secret;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod store;

#[cfg(feature = "server")]
pub use serve::{Tls, raise_open_files_limit, serve};
#[cfg(feature = "server")]
pub use server::{Relay, RelayError};
