//! Notification preferences: which kinds of desktop notification are on.

use domain::subscription::NotificationKind;
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store};

impl Store {
    /// Whether a kind of desktop notification is on (on unless turned off).
    pub fn notification_enabled(&self, kind: NotificationKind) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT enabled FROM notification_preferences WHERE kind = ?1",
                [kind.code()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(true))
    }

    /// Turns a kind of desktop notification on or off.
    pub fn set_notification_enabled(
        &mut self,
        kind: NotificationKind,
        enabled: bool,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO notification_preferences (kind, enabled) VALUES (?1, ?2)
             ON CONFLICT (kind) DO UPDATE SET enabled = excluded.enabled",
            params![kind.code(), enabled],
        )?;
        Ok(())
    }
}
