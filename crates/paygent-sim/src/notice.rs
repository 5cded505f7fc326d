//! Notification records (§6, §7): creation, purge, the 091 difference inquiry and the push
//! bookkeeping. The push itself (HTTP) is in `push.rs`; everything here is pure state.

use chrono::{DateTime, Utc};

use crate::ledger::{EventDetail, Ledger, MerchantNotices, NotificationRecord};
use crate::rules::GatewayRules;

/// What 091 returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryAnswer {
    /// `success_code`: 0 data, 1 no data, 2 data after a purge gap.
    pub success_code: u8,
    /// The record's items, when there is one.
    pub fields: Option<Vec<(String, String)>>,
}

/// One push to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushJob {
    /// The merchant.
    pub merchant_id: String,
    /// Where to POST.
    pub url: String,
    /// The record.
    pub payment_notice_id: u64,
    /// The record's items, without `hc`.
    pub fields: Vec<(String, String)>,
    /// The merchant's hash key (the pusher computes `hc`).
    pub hash_key: String,
}

impl Ledger {
    /// Appends a notification record for a payment's current state.
    pub fn add_notification(
        &mut self,
        now: DateTime<Utc>,
        payment_id: &str,
        event: Option<(&str, &str)>,
        _rules: &GatewayRules,
    ) {
        let Some(payment) = self.payments.get(payment_id) else {
            return;
        };
        let merchant_id = payment.merchant_id.clone();
        let notices = self
            .notices
            .entry(merchant_id.clone())
            .or_insert_with(|| MerchantNotices {
                next_id: 1,
                ..MerchantNotices::default()
            });
        let id = notices.next_id.max(1);
        let fields = {
            let payment = &self.payments[payment_id];
            self.record_fields(payment, id, now, event)
        };
        let notices = self.notices.entry(merchant_id).or_default();
        notices.next_id = id + 1;
        notices.records.push(NotificationRecord {
            payment_notice_id: id,
            created_at: now,
            payment_id: payment_id.into(),
            fields,
            fetched: false,
            pushed: false,
            push_attempts: 0,
        });
    }

    /// Purges records older than the retention.
    pub fn purge_notifications(&mut self, now: DateTime<Utc>, rules: &GatewayRules) {
        for notices in self.notices.values_mut() {
            let before = notices.records.len();
            let mut gap = false;
            notices.records.retain(|r| {
                let keep = now < r.created_at + rules.notification_retention;
                if !keep && !r.fetched {
                    gap = true;
                }
                keep
            });
            if gap && notices.records.len() < before {
                notices.purge_gap_pending = true;
            }
        }
    }

    /// 091: the record with `notice_id`, or the next one not yet returned.
    pub fn difference_inquiry(
        &mut self,
        merchant_id: &str,
        notice_id: Option<u64>,
    ) -> InquiryAnswer {
        let none = InquiryAnswer {
            success_code: 1,
            fields: None,
        };
        let Some(notices) = self.notices.get_mut(merchant_id) else {
            return none;
        };
        match notice_id {
            Some(id) => match notices
                .records
                .iter_mut()
                .find(|r| r.payment_notice_id == id)
            {
                Some(record) => {
                    record.fetched = true;
                    InquiryAnswer {
                        success_code: 0,
                        fields: Some(record.fields.clone()),
                    }
                }
                None => none,
            },
            None => match notices.records.iter_mut().find(|r| !r.fetched) {
                Some(record) => {
                    record.fetched = true;
                    let code = if notices.purge_gap_pending { 2 } else { 0 };
                    notices.purge_gap_pending = false;
                    InquiryAnswer {
                        success_code: code,
                        fields: Some(record.fields.clone()),
                    }
                }
                None => none,
            },
        }
    }

    /// The pushes due at `now`: for each merchant with a URL and not suspended, its oldest
    /// record not yet delivered (records are pushed in order, one at a time).
    pub fn due_pushes(&mut self, now: DateTime<Utc>) -> Vec<PushJob> {
        let mut jobs = Vec::new();
        for (merchant_id, notices) in &mut self.notices {
            let Some(shop) = self.shops.get(merchant_id) else {
                continue;
            };
            let Some(url) = shop.notify_url.clone() else {
                continue;
            };
            if notices.push.suspended_until.is_some_and(|t| now < t) {
                continue;
            }
            if notices.push.suspended_until.is_some() {
                notices.push.suspended_until = None;
            }
            if notices.push.next_attempt_at.is_some_and(|t| now < t) {
                continue;
            }
            if let Some(record) = notices.records.iter().find(|r| !r.pushed) {
                jobs.push(PushJob {
                    merchant_id: merchant_id.clone(),
                    url,
                    payment_notice_id: record.payment_notice_id,
                    fields: record.fields.clone(),
                    hash_key: shop.hash_key.expose().to_owned(),
                });
            }
        }
        jobs
    }

    /// Records the outcome of a push attempt; after the rules' number of failures in a
    /// row, pushing is suspended for the rules' time.
    pub fn record_push(
        &mut self,
        now: DateTime<Utc>,
        merchant_id: &str,
        notice_id: u64,
        delivered: bool,
        detail: String,
        rules: &GatewayRules,
    ) {
        let Some(notices) = self.notices.get_mut(merchant_id) else {
            return;
        };
        let mut attempt = 0;
        if let Some(record) = notices
            .records
            .iter_mut()
            .find(|r| r.payment_notice_id == notice_id)
        {
            record.push_attempts += 1;
            attempt = record.push_attempts;
            record.pushed |= delivered;
        }
        if delivered {
            notices.push.consecutive_failures = 0;
            notices.push.next_attempt_at = None;
        } else {
            notices.push.consecutive_failures += 1;
            if notices.push.consecutive_failures >= rules.notification_failure_limit {
                notices.push.consecutive_failures = 0;
                notices.push.suspended_until = Some(now + rules.notification_suspension);
                notices.push.next_attempt_at = None;
            } else {
                notices.push.next_attempt_at = Some(now + rules.notification_retry_interval);
            }
        }
        self.log(
            now,
            EventDetail::NotificationPush {
                merchant_id: merchant_id.into(),
                payment_notice_id: notice_id,
                attempt,
                delivered,
                detail,
            },
        );
    }
}
