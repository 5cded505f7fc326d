//! Integration tests of the mail crate: templates as tables, and real SMTP over loopback
//! against the tiny server in `mail::testing`.

mod order_mails;
mod smtp;
mod templates;
