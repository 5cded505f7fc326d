//! Tracking numbers kept with their carrier (`shipments`, migration 0011): typed on an
//! order or imported from a carrier's issued-labels file. Each new number writes one
//! history line in the same transaction.

use chrono::{DateTime, Utc};
use domain::labels::Carrier;
use domain::{Actor, OrderId, Text};
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store, decode, from_ms, ms};

/// How a tracking number came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingSource {
    /// Typed by the shop owner on the order's screen (or given to the CLI).
    Typed,
    /// Read from a carrier's issued-labels file.
    CarrierFile,
}

impl TrackingSource {
    /// The stable code used in the database.
    pub fn code(self) -> &'static str {
        match self {
            TrackingSource::Typed => "typed",
            TrackingSource::CarrierFile => "carrier_file",
        }
    }

    fn from_code(code: &str) -> Option<TrackingSource> {
        [TrackingSource::Typed, TrackingSource::CarrierFile]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// One tracking number of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub carrier: Carrier,
    pub tracking_number: String,
    pub source: TrackingSource,
    pub recorded_at: DateTime<Utc>,
}

/// What recording a tracking number did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackingRecorded {
    /// New: kept, with a history line.
    Added,
    /// This order had it already: nothing changed.
    AlreadyRecorded,
    /// Another order has this carrier's number (its order number): nothing changed.
    OtherOrder(String),
}

impl Store {
    /// Keeps `number` (digits, checked by the caller) for `order` with `carrier`, and
    /// writes `line` to the order's history, in one transaction.
    pub fn record_tracking(
        &mut self,
        order: OrderId,
        carrier: Carrier,
        number: &str,
        source: TrackingSource,
        line: &Text,
        now: DateTime<Utc>,
    ) -> Result<TrackingRecorded> {
        let tx = self.conn.transaction()?;
        let owner: Option<(i64, String)> = tx
            .query_row(
                "SELECT s.order_id, o.order_number FROM shipments s JOIN orders o ON o.id = s.order_id
                 WHERE s.carrier = ?1 AND s.tracking_number = ?2",
                params![carrier.code(), number],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let outcome = match owner {
            Some((id, _)) if id == order.0 => TrackingRecorded::AlreadyRecorded,
            Some((_, other)) => TrackingRecorded::OtherOrder(other),
            None => {
                tx.execute(
                    "INSERT INTO shipments (order_id, carrier, tracking_number, source, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![order.0, carrier.code(), number, source.code(), ms(now)],
                )?;
                crate::history::append(&tx, order, now, Actor::PayDesk, line)?;
                TrackingRecorded::Added
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// An order's tracking numbers, oldest first.
    pub fn shipments(&self, order: OrderId) -> Result<Vec<Shipment>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT carrier, tracking_number, source, recorded_at FROM shipments
             WHERE order_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([order.0], |r| {
            let carrier: String = r.get(0)?;
            let source: String = r.get(2)?;
            Ok(Shipment {
                carrier: decode(0, &carrier, Carrier::from_code)?,
                tracking_number: r.get(1)?,
                source: decode(2, &source, TrackingSource::from_code)?,
                recorded_at: from_ms(r.get(3)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The orders with this order number (at most two: more than one is ambiguous).
    pub fn orders_numbered(&self, order_number: &str) -> Result<Vec<OrderId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM orders WHERE order_number = ?1 ORDER BY id LIMIT 2")?;
        let rows = stmt.query_map([order_number], |r| Ok(OrderId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
