//! The e-mail queue (retried until the attempts run out) and the buyer outreach log.
//!
//! A mail is claimed (`sending_since`) just before it is handed to the SMTP server and the
//! claim ends with its outcome, so a mail is never sent twice: not by two processes at
//! once, and not after PayDesk stopped between the server's "accepted" and the record of
//! it (such a mail becomes failed "may have been sent" and waits for the shop).

use chrono::{DateTime, Utc};
use domain::order_mail::OrderMailKind;
use domain::subscription::{CardExpiry, OutreachEntry, ReminderKind, SubscriptionId};
use domain::{OrderId, Rules, Text};
use rusqlite::{OptionalExtension, Row, params};

use crate::{Error, Result, Store, decode, from_ms, from_ms_opt, ms};

/// Why a mail is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailPurpose {
    /// A card reminder to a buyer.
    Reminder(ReminderKind),
    /// The shop's monthly summary.
    MonthlySummary,
    /// A shipping notice or order confirmation to an order's buyer.
    Order(OrderId, OrderMailKind),
    /// Anything else.
    Other,
}

/// A mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Why.
    pub purpose: MailPurpose,
    /// The buyer (required for reminders).
    pub customer_id: Option<String>,
    /// The subscription it is about.
    pub subscription: Option<SubscriptionId>,
    /// The card expiry a reminder is about.
    pub card_expiry: Option<CardExpiry>,
    /// Recipient.
    pub to: String,
    /// Subject, rendered.
    pub subject: String,
    /// Body, rendered.
    pub body: String,
}

/// The store's key of a queued mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailId(pub i64);

/// Where a mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting to be sent.
    Queued,
    /// Delivered to the SMTP server.
    Sent,
    /// The last attempt failed (retried automatically until the attempts run out).
    Failed,
    /// The shop discarded it.
    Discarded,
}

impl MailState {
    const ALL: [MailState; 4] = [
        MailState::Queued,
        MailState::Sent,
        MailState::Failed,
        MailState::Discarded,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
            MailState::Discarded => "discarded",
        }
    }

    /// The state for a code.
    pub fn from_code(code: &str) -> Option<MailState> {
        MailState::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A queued (or sent, or failed) mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Its key.
    pub id: MailId,
    /// What was queued.
    pub mail: NewMail,
    /// Where it stands.
    pub state: MailState,
    /// Attempts so far.
    pub attempts: u32,
    /// The last error (plain text from the mail crate; never a password).
    pub last_error: Option<String>,
    /// When the next automatic attempt may run.
    pub next_attempt_at: DateTime<Utc>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the attempt that is (or was, if PayDesk stopped mid-send) handing it to the
    /// SMTP server began.
    pub sending_since: Option<DateTime<Utc>>,
}

/// What queuing one mail of a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOutcome {
    /// Queued.
    Queued(MailId),
    /// The same reminder to the same buyer is already waiting (queued or failed).
    AlreadyQueued,
}

pub(crate) const MAIL_COLUMNS: &str = "id, purpose, reminder_kind, customer_id, subscription_id, card_expiry, \
    to_address, subject, body, state, attempts, last_error, next_attempt_at, created_at, sent_at, \
    order_id, order_mail, sending_since";

/// The last error of a mail whose attempt was interrupted (see `settle_interrupted_mails`);
/// the api layer shows it as `[code] ja / en`.
pub const INTERRUPTED_PREFIX: &str = "[mail_interrupted]";

/// Whether a mail's last error says its attempt stopped mid-send (it may have reached the
/// buyer, so it is sent again only when the shop confirms).
pub fn was_interrupted(last_error: Option<&str>) -> bool {
    last_error.is_some_and(|e| e.starts_with(INTERRUPTED_PREFIX))
}

impl QueuedMail {
    /// Its attempt stopped mid-send: it may have reached the buyer.
    pub fn may_have_been_sent(&self) -> bool {
        was_interrupted(self.last_error.as_deref())
    }
}

pub(crate) fn mail_row(row: &Row<'_>) -> rusqlite::Result<QueuedMail> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let kind: Option<String> = row.get(2)?;
    let order_id: Option<i64> = row.get(15)?;
    let order_mail: Option<String> = row.get(16)?;
    let purpose = match (text(1)?.as_str(), order_id, order_mail) {
        ("reminder", _, _) => MailPurpose::Reminder(decode(
            2,
            kind.as_deref().unwrap_or(""),
            ReminderKind::from_code,
        )?),
        ("monthly_summary", _, _) => MailPurpose::MonthlySummary,
        (_, Some(order), Some(code)) => {
            MailPurpose::Order(OrderId(order), decode(16, &code, OrderMailKind::from_code)?)
        }
        _ => MailPurpose::Other,
    };
    Ok(QueuedMail {
        id: MailId(row.get(0)?),
        mail: NewMail {
            purpose,
            customer_id: row.get(3)?,
            subscription: row.get::<_, Option<i64>>(4)?.map(SubscriptionId),
            card_expiry: row
                .get::<_, Option<String>>(5)?
                .and_then(|s| CardExpiry::parse(&s)),
            to: row.get(6)?,
            subject: row.get(7)?,
            body: row.get(8)?,
        },
        state: decode(9, &text(9)?, MailState::from_code)?,
        attempts: row.get(10)?,
        last_error: row.get(11)?,
        next_attempt_at: from_ms(row.get(12)?)?,
        created_at: from_ms(row.get(13)?)?,
        sent_at: from_ms_opt(row.get(14)?)?,
        sending_since: from_ms_opt(row.get(17)?)?,
    })
}

impl Store {
    /// Queues mails in one transaction. A reminder to a buyer who already has the same
    /// reminder waiting (queued or failed) is not queued again.
    pub fn queue_mails(
        &mut self,
        mails: &[NewMail],
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueOutcome>> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(mails.len());
        for m in mails {
            out.push(insert_mail(&tx, m, now)?);
        }
        tx.commit()?;
        Ok(out)
    }

    /// Mails due for an attempt at `now`: queued ones, and failed ones whose retry time
    /// came and that have attempts left. Oldest first.
    pub fn mails_to_send(&self, now: DateTime<Utc>, rules: &Rules) -> Result<Vec<QueuedMail>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_queue
             WHERE (state = 'queued' OR (state = 'failed' AND attempts < ?2)) AND next_attempt_at <= ?1
                AND sending_since IS NULL
             ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![ms(now), rules.mail_max_attempts], mail_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Mails in a state (the queue screen), newest first.
    pub fn mails(&self, state: Option<MailState>) -> Result<Vec<QueuedMail>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_queue WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([state.map(MailState::code)], mail_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One mail.
    pub fn mail(&self, id: MailId) -> Result<Option<QueuedMail>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {MAIL_COLUMNS} FROM mail_queue WHERE id = ?1"),
                [id.0],
                mail_row,
            )
            .optional()?)
    }

    /// Claims a mail for one attempt, just before it is handed to the SMTP server; `false`
    /// when it is no longer waiting or another attempt holds it (another process).
    pub fn claim_mail(&mut self, id: MailId, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE mail_queue SET sending_since = ?2
             WHERE id = ?1 AND state IN ('queued', 'failed') AND sending_since IS NULL",
            params![id.0, ms(now)],
        )? == 1)
    }

    /// Mails whose attempt began more than `rules.mail_interrupted_after` ago and never
    /// recorded an outcome (PayDesk stopped mid-send): they may have reached the buyer, so
    /// they become failed with `error` (starting with [`INTERRUPTED_PREFIX`]) and are not
    /// retried automatically; the shop decides. Returns them.
    pub fn settle_interrupted_mails(
        &mut self,
        now: DateTime<Utc>,
        error: &str,
        rules: &Rules,
    ) -> Result<Vec<MailId>> {
        let tx = self.conn.transaction()?;
        let ids: Vec<MailId> = {
            let mut stmt = tx.prepare(
                "SELECT id FROM mail_queue
                 WHERE sending_since IS NOT NULL AND sending_since <= ?1 AND state IN ('queued', 'failed')
                    AND (last_error IS NULL OR substr(last_error, 1, length(?2)) <> ?2)
                 ORDER BY id",
            )?;
            let rows = stmt.query_map(
                params![ms(now - rules.mail_interrupted_after), INTERRUPTED_PREFIX],
                |r| r.get(0).map(MailId),
            )?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for id in &ids {
            tx.execute(
                "UPDATE mail_queue SET state = 'failed', attempts = max(attempts, ?2), last_error = ?3
                 WHERE id = ?1",
                params![id.0, rules.mail_max_attempts, error],
            )?;
        }
        tx.commit()?;
        Ok(ids)
    }

    /// The SMTP server accepted the mail; a reminder goes into the buyer's outreach log in
    /// the same transaction.
    pub fn mark_mail_sent(&mut self, id: MailId, now: DateTime<Utc>) -> Result<()> {
        self.mark_sent(id, now, None)
    }

    /// The SMTP server accepted an order mail: `line` goes into the order's history in the
    /// same transaction.
    pub fn mark_order_mail_sent(
        &mut self,
        id: MailId,
        now: DateTime<Utc>,
        line: &Text,
    ) -> Result<()> {
        self.mark_sent(id, now, Some(line))
    }

    fn mark_sent(&mut self, id: MailId, now: DateTime<Utc>, line: Option<&Text>) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE mail_queue SET state = 'sent', attempts = attempts + 1, sent_at = ?2, last_error = NULL,
                sending_since = NULL
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            params![id.0, ms(now)],
        )?;
        if n == 0 {
            return Err(Error::Corrupt {
                column: "mail_queue.id",
                value: format!("mail {} is not waiting to be sent", id.0),
            });
        }
        tx.execute(
            "INSERT INTO outreach_log (customer_id, kind, card_expiry, subscription_id, mail_id, sent_at)
             SELECT customer_id, reminder_kind, card_expiry, subscription_id, id, ?2
             FROM mail_queue WHERE id = ?1 AND purpose = 'reminder'",
            params![id.0, ms(now)],
        )?;
        if let Some(line) = line {
            let order: Option<i64> = tx.query_row(
                "SELECT order_id FROM mail_queue WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )?;
            if let Some(order) = order {
                crate::history::append(&tx, OrderId(order), now, domain::Actor::PayDesk, line)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The attempt failed: the mail stays visible as failed with the error, and is retried
    /// after `rules.mail_retry_delay` until `rules.mail_max_attempts`.
    pub fn mark_mail_failed(
        &mut self,
        id: MailId,
        error: &str,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE mail_queue SET state = 'failed', attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
                sending_since = NULL
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            params![id.0, error, ms(now + rules.mail_retry_delay)],
        )?;
        if n == 0 {
            return Err(Error::Corrupt {
                column: "mail_queue.id",
                value: format!("mail {} is not waiting to be sent", id.0),
            });
        }
        Ok(())
    }

    /// The shop retries a failed mail now (attempts start over).
    pub fn retry_mail(&mut self, id: MailId, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE mail_queue SET state = 'queued', attempts = 0, next_attempt_at = ?2, sending_since = NULL
             WHERE id = ?1 AND state = 'failed'",
            params![id.0, ms(now)],
        )?;
        Ok(())
    }

    /// The shop discards a waiting or failed mail.
    pub fn discard_mail(&mut self, id: MailId) -> Result<()> {
        self.conn.execute(
            "UPDATE mail_queue SET state = 'discarded' WHERE id = ?1 AND state IN ('queued', 'failed')",
            [id.0],
        )?;
        Ok(())
    }

    /// Discards waiting reminders that no longer apply (the card was updated or a renewal
    /// succeeded): the api layer calls it with `domain::subscription::reminder_decision`'s
    /// verdict. Returns how many were discarded.
    pub fn discard_reminders(&mut self, customer_id: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE mail_queue SET state = 'discarded'
             WHERE customer_id = ?1 AND purpose = 'reminder' AND state IN ('queued', 'failed')",
            [customer_id],
        )?)
    }

    /// The buyer's outreach log, oldest first.
    pub fn outreach_log(&self, customer_id: &str) -> Result<Vec<OutreachEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, sent_at, card_expiry FROM outreach_log WHERE customer_id = ?1 ORDER BY sent_at, id",
        )?;
        let rows = stmt.query_map([customer_id], |r| {
            let kind: String = r.get(0)?;
            Ok(OutreachEntry {
                kind: decode(0, &kind, ReminderKind::from_code)?,
                sent_at: from_ms(r.get(1)?)?,
                card_expiry: r
                    .get::<_, Option<String>>(2)?
                    .and_then(|s| CardExpiry::parse(&s)),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Inserts one mail (the unique indexes turn a second open reminder or order mail into
/// [`QueueOutcome::AlreadyQueued`]).
pub(crate) fn insert_mail(
    tx: &rusqlite::Transaction<'_>,
    m: &NewMail,
    now: DateTime<Utc>,
) -> Result<QueueOutcome> {
    let (purpose, kind, order) = match m.purpose {
        MailPurpose::Reminder(k) => ("reminder", Some(k.code()), None),
        MailPurpose::MonthlySummary => ("monthly_summary", None, None),
        MailPurpose::Order(order, kind) => ("other", None, Some((order.0, kind.code()))),
        MailPurpose::Other => ("other", None, None),
    };
    let inserted = tx.execute(
        "INSERT INTO mail_queue (purpose, reminder_kind, customer_id, subscription_id, card_expiry,
            to_address, subject, body, state, next_attempt_at, created_at, order_id, order_mail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?9, ?10, ?11)
         ON CONFLICT DO NOTHING",
        params![
            purpose,
            kind,
            m.customer_id,
            m.subscription.map(|s| s.0),
            m.card_expiry.map(CardExpiry::code),
            m.to,
            m.subject,
            m.body,
            ms(now),
            order.map(|o| o.0),
            order.map(|o| o.1),
        ],
    )?;
    Ok(if inserted == 0 {
        QueueOutcome::AlreadyQueued
    } else {
        QueueOutcome::Queued(MailId(tx.last_insert_rowid()))
    })
}
