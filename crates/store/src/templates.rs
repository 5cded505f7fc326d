//! The shop's edited copies of its e-mail texts, one store for every kind (the card
//! reminders and the order mails, [`TemplateKind`]); absent: the built-in text.

use chrono::{DateTime, Utc};
use domain::mail_template::TemplateKind;
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
    /// The shop's edited text of this kind, if any (`None`: use the built-in text).
    pub fn template(&self, kind: TemplateKind, language: &str) -> Result<Option<StoredTemplate>> {
        Ok(self
            .conn
            .query_row(
                "SELECT subject, body, updated_at FROM mail_templates WHERE kind = ?1 AND language = ?2",
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

    /// Saves an edited text (validate it with the mail crate first).
    pub fn set_template(
        &mut self,
        kind: TemplateKind,
        language: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO mail_templates (kind, language, subject, body, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, language) DO UPDATE SET subject = excluded.subject, body = excluded.body,
                updated_at = excluded.updated_at",
            params![kind.code(), language, subject, body, ms(now)],
        )?;
        Ok(())
    }

    /// Goes back to the built-in text.
    pub fn reset_template(&mut self, kind: TemplateKind, language: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM mail_templates WHERE kind = ?1 AND language = ?2",
            [kind.code(), language],
        )?;
        Ok(())
    }
}
