//! The shop's edited e-mail templates (`None`: the built-in text).

use chrono::{DateTime, Utc};
use domain::subscription::ReminderKind;
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store, from_ms, ms};

/// An edited template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    /// Subject, with placeholders.
    pub subject: String,
    /// Body, with placeholders.
    pub body: String,
    /// When it was edited.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// The shop's edited template, if any (`None`: use the built-in text).
    pub fn email_template(
        &self,
        kind: ReminderKind,
        language: &str,
    ) -> Result<Option<StoredTemplate>> {
        Ok(self
            .conn
            .query_row(
                "SELECT subject, body, updated_at FROM email_templates WHERE kind = ?1 AND language = ?2",
                [kind.code(), language],
                |r| {
                    Ok(StoredTemplate {
                        subject: r.get(0)?,
                        body: r.get(1)?,
                        updated_at: from_ms(r.get(2)?)?,
                    })
                },
            )
            .optional()?)
    }

    /// Saves an edited template (validate it with the mail crate first).
    pub fn set_email_template(
        &mut self,
        kind: ReminderKind,
        language: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO email_templates (kind, language, subject, body, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, language) DO UPDATE SET subject = excluded.subject, body = excluded.body,
                updated_at = excluded.updated_at",
            params![kind.code(), language, subject, body, ms(now)],
        )?;
        Ok(())
    }

    /// Goes back to the built-in text.
    pub fn reset_email_template(&mut self, kind: ReminderKind, language: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM email_templates WHERE kind = ?1 AND language = ?2",
            [kind.code(), language],
        )?;
        Ok(())
    }
}
