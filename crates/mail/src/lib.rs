//! PayDesk's e-mail: the seed's two fixed card reminders (expiring soon, expired) in
//! Japanese and English with their placeholders, the shop's two order mails (shipping
//! notice, order confirmation; [`order_mail`]), the shop's monthly summary, and sending
//! over SMTP with lettre.
//!
//! Layout: [`money`] writes the monthly summary's sales and deposits section; [`template`] holds the built-in texts, placeholder validation (an unknown
//! placeholder is named, with the valid ones listed) and rendering; [`smtp`] holds the
//! settings, the [`Mailer`] and its typed [`SendError`] (refused with code and text, or
//! unreachable), scrubbed of the password. `testing` (feature `test-server`, for tests
//! only) is a tiny SMTP server on loopback.
//!
//! Invariants: no function here reads the clock, the keychain or the database: the caller
//! passes the password (a `Sensitive`) and decides when to send; queuing, retries and the
//! outreach log live in the store. Mail is UTF-8 plain text with MIME-encoded headers.

pub mod money;
pub mod order_mail;
pub mod smtp;
pub mod template;
#[cfg(feature = "test-server")]
pub mod testing;

pub use money::{ExpectedLine, MoneySummary, OpenDifference, money_section};
pub use order_mail::OrderValues;
pub use smtp::{ConfigError, Mailer, OutgoingMail, Security, SendError, SmtpSettings};
pub use template::{
    Language, PLACEHOLDERS, Rendered, Template, TemplateError, Values, monthly_summary,
    placeholders_for,
};
