//! PayDesk's API against the real simulator (mutual TLS on loopback) and the real relay,
//! with a temporary data dir and the OS keychain (run inside a Secret Service session).

mod harness;

mod boundary;
mod bulk;
mod demo_refusal;
mod details;
mod documents;
mod fault_suite;
mod guide;
mod identity;
mod leak;
mod lists;
mod money;
mod operations;
mod order_mails;
mod settings;
mod shipping;
mod statements;
mod subscriptions;
mod sync;
mod sync_attacks;
mod sync_faults;
mod three_d_secure_and_processing;
