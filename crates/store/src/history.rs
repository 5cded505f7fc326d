//! The change history: append-only (triggers in the schema refuse UPDATE and DELETE).

use chrono::{DateTime, Utc};
use domain::{Actor, OrderId, Text};
use rusqlite::{Connection, params};

use crate::{Result, Store, decode, from_ms, ms};

/// One history line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Actor,
    /// What happened.
    pub text: Text,
}

pub(crate) fn append(
    conn: &Connection,
    order: OrderId,
    at: DateTime<Utc>,
    actor: Actor,
    text: &Text,
) -> Result<()> {
    conn.execute(
        "INSERT INTO order_history (order_id, at, actor, text_ja, text_en) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![order.0, ms(at), actor.code(), text.ja, text.en],
    )?;
    Ok(())
}

impl Store {
    /// Appends one history line.
    pub fn append_history(
        &mut self,
        order: OrderId,
        at: DateTime<Utc>,
        actor: Actor,
        text: &Text,
    ) -> Result<()> {
        append(&self.conn, order, at, actor, text)
    }

    /// An order's history, newest first (as the seed's screens show it).
    pub fn history(&self, order: OrderId) -> Result<Vec<HistoryLine>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, actor, text_ja, text_en FROM order_history WHERE order_id = ?1 ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([order.0], |r| {
            let actor: String = r.get(1)?;
            Ok(HistoryLine {
                at: from_ms(r.get(0)?)?,
                actor: decode(1, &actor, Actor::from_code)?,
                text: Text {
                    ja: r.get(2)?,
                    en: r.get(3)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
