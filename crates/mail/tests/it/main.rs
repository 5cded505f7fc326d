//! Integration tests of the mail crate: templates as tables, and real SMTP over loopback
//! against the tiny server in `support`.

mod smtp;
mod support;
mod templates;
