//! Integration tests of the relay over real TCP on 127.0.0.1.
//!
//! Layout: `support` starts an in-process relay with a manual clock and builds notification
//! bodies; `auth`, `ingest`, `stream` and `durability` (kill -9 of the real binary) hold the
//! tests, named after the feature they check.

mod attack;
mod auth;
mod durability;
mod ingest;
mod stream;
mod support;
mod tls;
