//! Wire types of the desktop API (JSON over HTTP and SSE).
//!
//! These are the only serializable types of the relay's boundary; both the server and
//! [`crate::client::DesktopClient`] use them, so the two sides cannot drift apart.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One record of a shop's event log. `seq` is the relay's sequence number: it grows with
/// every stored event (across all shops, so a shop sees gaps in it, which mean nothing) and
/// is the desktop's cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RelayEvent {
    /// A payment notification whose `hc` verified with the shop's hash key.
    Payment(PaymentEvent),
    /// The shop's `payment_notice_id`s jumped: the ids strictly between the two bounds were
    /// not received (yet). The desktop fetches them with telegram 091 by id.
    Gap(GapEvent),
}

impl RelayEvent {
    /// The relay sequence number (the SSE `id:`).
    pub fn seq(&self) -> u64 {
        match self {
            RelayEvent::Payment(e) => e.seq,
            RelayEvent::Gap(e) => e.seq,
        }
    }

    /// The shop the event belongs to.
    pub fn shop(&self) -> &str {
        match self {
            RelayEvent::Payment(e) => &e.shop,
            RelayEvent::Gap(e) => &e.shop,
        }
    }

    /// The SSE `event:` name.
    pub fn kind(&self) -> &'static str {
        match self {
            RelayEvent::Payment(_) => "payment",
            RelayEvent::Gap(_) => "gap",
        }
    }

    #[cfg(feature = "server")]
    pub(crate) fn set_seq(&mut self, seq: u64) {
        match self {
            RelayEvent::Payment(e) => e.seq = seq,
            RelayEvent::Gap(e) => e.seq = seq,
        }
    }
}

/// A trusted payment notification (Paygent protocol §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    pub seq: u64,
    pub shop: String,
    /// Paygent's notification number, consecutive per merchant from 1.
    pub payment_notice_id: u64,
    pub payment_id: String,
    pub trading_id: String,
    pub payment_type: String,
    pub payment_status: String,
    /// Integer yen; `None` when the field was empty or not an integer (multi-currency
    /// amounts with decimals). The raw text is always in `fields`.
    pub payment_amount: Option<i64>,
    /// When the relay stored the record.
    pub received_at: DateTime<Utc>,
    /// Every decoded notification field as UTF-8, except `hc`.
    pub fields: BTreeMap<String, String>,
}

/// A jump in a shop's `payment_notice_id`s: `after_notice_id` was the highest id received
/// before `before_notice_id` arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapEvent {
    pub seq: u64,
    pub shop: String,
    pub after_notice_id: u64,
    pub before_notice_id: u64,
    pub received_at: DateTime<Utc>,
}

/// Sent on the stream every heartbeat interval so a desktop can tell a quiet relay from a
/// dead connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The relay's clock.
    pub time: DateTime<Utc>,
}

/// Answer of `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPage {
    pub events: Vec<RelayEvent>,
    /// True when more events follow the last one returned (fetch again with its seq).
    pub more: bool,
}

/// Body of `POST /v1/ack` and its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The highest seq the desktop has durably processed.
    pub cursor: u64,
}

/// Answer of `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopStatus {
    pub shop: String,
    pub desktop: DesktopInfo,
    /// When the last trusted notification was stored.
    pub last_event_at: Option<DateTime<Utc>>,
    /// Highest trusted `payment_notice_id` received.
    pub last_notice_id: Option<u64>,
    /// Number of records kept in quarantine because their `hc` did not verify: each one
    /// is a security warning for the shop (a forgery, or a wrong hash key on the relay).
    pub quarantined: u64,
    /// The most recent quarantined records, newest first.
    pub quarantine: Vec<QuarantineEntry>,
    /// Notice ids still missing, as ranges; fetch each id with telegram 091.
    pub gaps: Vec<MissingRange>,
}

/// The calling desktop as the relay knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesktopInfo {
    pub id: u64,
    pub name: String,
    /// The cursor last acknowledged with `POST /v1/ack`.
    pub cursor: u64,
}

/// A quarantined (untrusted) notification, shown as a warning, never delivered as an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    pub id: u64,
    pub received_at: DateTime<Utc>,
    /// As received; may be anything, since the record is not trusted.
    pub payment_notice_id: String,
    pub reason: String,
    pub remote_ip: Option<String>,
}

/// Inclusive range of missing notice ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingRange {
    pub first: u64,
    pub last: u64,
}

/// Answer of `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub time: DateTime<Utc>,
}
