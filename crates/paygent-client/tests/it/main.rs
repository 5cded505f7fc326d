//! Integration tests of paygent-client against tiny local servers on 127.0.0.1.

mod plain;
#[cfg(not(target_vendor = "apple"))]
mod renegotiation;
mod server;
mod tls;
