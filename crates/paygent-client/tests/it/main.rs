//! Integration tests of paygent-client against tiny local servers on 127.0.0.1.

mod plain;
mod server;
mod tls;
