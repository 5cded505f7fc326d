//! The shop's mails about one order (issue 20, point 5: shipping notice, order
//! confirmation) in the one mail queue (`subscriptions::mail_queue`: its send log, retries
//! and claims); their edited texts are in the one template store (`templates`).
//!
//! "Never twice by accident": [`Store::queue_order_mail`] decides in one transaction
//! whether this order already got (or may have got) this mail, so two windows, or the
//! window and the command line, cannot both queue it; the queue's claim keeps it from
//! being sent twice after that.

use chrono::{DateTime, Utc};
use domain::OrderId;
use rusqlite::{OptionalExtension, params};

use crate::subscriptions::mail_queue::{MAIL_COLUMNS, insert_mail, mail_row, was_interrupted};
use crate::subscriptions::{MailId, MailPurpose, NewMail, QueueOutcome, QueuedMail};
use crate::{Error, Result, Store, from_ms};

/// What asking to queue an order mail did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderMailQueued {
    /// Queued (a failed, undelivered earlier copy is discarded for it).
    Queued(MailId),
    /// This order got this mail already (when); queued only when the shop confirms a
    /// second mail (`resend`).
    AlreadySent(DateTime<Utc>),
    /// The same mail is already waiting or being sent: nothing new.
    Waiting(MailId),
    /// An earlier attempt stopped mid-send: it may have reached the buyer. Queued only with
    /// `resend`.
    MaybeSent(MailId),
}

impl Store {
    /// An order's mails (every kind and state), newest first: the order's send log.
    pub fn order_mails(&self, order: OrderId) -> Result<Vec<QueuedMail>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_queue WHERE order_id = ?1 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([order.0], mail_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Queues an order mail unless the order got it already, may have got it, or has it
    /// waiting; `resend` is the shop's confirmed "send a second mail".
    pub fn queue_order_mail(
        &mut self,
        mail: &NewMail,
        resend: bool,
        now: DateTime<Utc>,
    ) -> Result<OrderMailQueued> {
        let MailPurpose::Order(order, kind) = mail.purpose else {
            return Err(Error::Corrupt {
                column: "mail_queue.order_id",
                value: "not an order mail".into(),
            });
        };
        let tx = self.conn.transaction()?;
        let open: Option<(i64, String, Option<i64>, Option<String>)> = tx
            .query_row(
                "SELECT id, state, sending_since, last_error FROM mail_queue
                 WHERE order_id = ?1 AND order_mail = ?2 AND state IN ('queued', 'failed')",
                params![order.0, kind.code()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        if let Some((id, state, sending_since, last_error)) = open {
            if was_interrupted(last_error.as_deref()) {
                if !resend {
                    return Ok(OrderMailQueued::MaybeSent(MailId(id)));
                }
            } else if state == "queued" || sending_since.is_some() {
                return Ok(OrderMailQueued::Waiting(MailId(id)));
            }
            // Failed and not delivered (or confirmed again): replaced by the new text.
            tx.execute(
                "UPDATE mail_queue SET state = 'discarded', sending_since = NULL WHERE id = ?1",
                [id],
            )?;
        }
        if !resend {
            let sent: Option<i64> = tx.query_row(
                "SELECT max(sent_at) FROM mail_queue
                 WHERE order_id = ?1 AND order_mail = ?2 AND state = 'sent'",
                params![order.0, kind.code()],
                |r| r.get(0),
            )?;
            if let Some(at) = sent {
                return Ok(OrderMailQueued::AlreadySent(from_ms(at)?));
            }
        }
        let outcome = insert_mail(&tx, mail, now)?;
        tx.commit()?;
        match outcome {
            QueueOutcome::Queued(id) => Ok(OrderMailQueued::Queued(id)),
            QueueOutcome::AlreadyQueued => Err(Error::Corrupt {
                column: "mail_queue.order_id",
                value: format!("order {} has an open {} mail", order.0, kind.code()),
            }),
        }
    }
}
