//! Integration tests: the simulator over loopback, driven through `paygent-client` (mutual
//! TLS) and, for malformed input, through raw HTTP.

mod bad_input;
mod card;
mod cli;
mod control;
mod faults;
mod harness;
mod notify;
mod paidy;
mod processing;
mod stored_card;
mod three_ds;
mod tls;
