//! A local Paygent module-type gateway for tests, demos and benchmarks.
//!
//! Layout: [`rules`] is the one table of gateway rules; [`clock`] the adjustable clock;
//! [`transition`] the pure card and Paidy state machines (no I/O, table-tested);
//! [`card_stub`] the card-number stub; [`ledger`] the gateway state and its operations
//! (`telegram.rs` handles telegrams and the common-header checks, `notice.rs` the
//! notification records and 091, [`checkout`] the control API's checkouts), all without
//! I/O and with the time passed in. Around it: [`sim`] holds the ledger, clock, rules,
//! fault plan ([`faults`]) and persistence and runs the due work (batch changes and
//! notification pushes); [`gateway`] is the telegram listener (HTTP/1.x over mutual TLS
//! from [`tls`], or plain), [`control`] the JSON control API, [`storefront`] the order
//! generator, [`serve`] ties them to bound listeners. The wire layout comes from
//! `paygent-codec` (`wire.rs` adapts it).
//!
//! Invariants: every status change goes through `Ledger::set_status` (history, event
//! log and notification record together); no gateway rule appears outside
//! [`rules::GatewayRules`]; no input makes the gateway panic.

pub mod card_stub;
pub mod checkout;
pub mod clock;
mod codes;
pub mod control;
pub mod faults;
pub mod gateway;
pub mod ledger;
mod notice;
pub mod rules;
mod server;
pub mod sim;
pub mod storefront;
pub mod telegram;
pub mod three_ds;
pub mod tls;
pub mod transition;
mod wire;

pub use clock::SimClock;
pub use rules::GatewayRules;
pub use server::serve;
pub use sim::{SimOptions, Simulator};
pub use tls::{Pki, TlsConfig};
