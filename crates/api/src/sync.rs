//! Sync: payment status from the relay's stream, or from polling telegram 091.
//!
//! Layout: [`Desk::run_sync`] is the background task. With a relay URL and token it
//! streams events after the stored cursor, applies each payment record exactly once (by
//! `payment_notice_id`, in the store), stores and acknowledges the cursor, and fetches the
//! ids of a `gap` event with 091 by id. When the stream breaks, stays quiet longer than
//! `RULES.relay_stall_threshold` (no event, no heartbeat: the "silent stall"), or the
//! machine wakes from sleep (the wall clock jumped far more than the monotonic clock), it
//! falls back to polling 091 until no record is left, then reconnects with back-off.
//! Without a relay it polls 091 every `RULES.difference_inquiry_interval` (one record per
//! call; a busy answer such as 9004 backs off by `domain::journal::busy_backoff`).
//! [`Desk::sync_once`] does one full catch-up on demand (the "sync now" button and the CLI).
//!
//! The store applies each record: one that names an unknown payment creates the order
//! (with the record's 3-D Secure flag), and a late record about a state PayDesk already
//! moved past changes nothing (`domain::reconcile` decides, without asking the gateway).
//! A new Paidy order is then filled from Paidy's verify telegram (343).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{PaymentMethod, RULES, StatusReport};
use futures_util::StreamExt;
use paygent_client::{Client, ClientError};
use paygent_codec::ErrorContext;
use paygent_codec::request::DifferenceInquiry;
use paygent_codec::response::{DifferenceInquiryResult, PaymentRecord};
use relay::client::{DesktopClient, StreamItem};
use relay::dto::{PaymentEvent, RelayEvent};
use store::Applied;

use crate::dto::{DeskEvent, SyncModeCode, SyncReport, SyncStatus};
use crate::{AppError, Desk, Text, convert};

/// The most 091 records one polling round fetches before yielding.
const MAX_RECORDS_PER_ROUND: u32 = 10_000;
/// The longest wait between relay reconnection attempts.
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(60);
/// How often the stream loop checks for a wake from sleep.
const WAKE_CHECK: Duration = Duration::from_secs(15);

/// Liveness, kept in memory and published as [`SyncStatus`].
#[derive(Default)]
struct Liveness {
    mode: Option<SyncModeCode>,
    relay_connected: bool,
    last_event_at: Option<DateTime<Utc>>,
    last_heartbeat_at: Option<DateTime<Utc>>,
    last_poll_at: Option<DateTime<Utc>>,
    missing: BTreeSet<u64>,
    quarantined: u64,
    problem: Option<AppError>,
}

#[derive(Default)]
pub(crate) struct SyncShared {
    /// Settings changed or "sync now" was pressed: wake the loop.
    wake: tokio::sync::Notify,
    live: Mutex<Liveness>,
    /// One 091 caller at a time (the gateway answers 9004 to concurrent ones).
    polling: tokio::sync::Mutex<()>,
}

impl SyncShared {
    pub(crate) fn nudge(&self) {
        self.wake.notify_one();
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Liveness> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn relay_error(e: &relay::client::ClientError) -> AppError {
    use relay::client::ClientError as E;
    match e {
        E::Unauthorized => AppError::new(
            "relay_unauthorized",
            Text::new(
                "中継サーバーが端末トークンを受け付けませんでした。",
                "The relay refused the desktop token.",
            ),
            Some(Text::new(
                "中継サーバーの管理者に新しい端末トークンを発行してもらい（paydesk-relay add-desktop）、設定画面に入力してください。",
                "Ask the relay's administrator for a new desktop token (paydesk-relay add-desktop) and enter it in Settings.",
            )),
        ),
        other => AppError::new(
            "relay_unreachable",
            Text::new(
                "中継サーバーに接続できません。PayDesk はペイジェントへの差分照会（091）で状態を取得し続けます。",
                &format!(
                    "The relay cannot be reached ({other}). PayDesk keeps fetching status from Paygent with the difference inquiry (091)."
                ),
            ),
            Some(Text::new(
                "インターネット接続と中継サーバーのURLを確認してください。",
                "Check the internet connection and the relay URL.",
            )),
        ),
    }
}

fn stalled_problem(minutes: i64) -> AppError {
    AppError::new(
        "relay_stalled",
        Text::new(
            &format!(
                "中継サーバーから{minutes}分以上何も届いていません（接続が止まっている可能性があります）。差分照会（091）に切り替えて取得しています。"
            ),
            &format!(
                "Nothing has arrived from the relay for over {minutes} minutes (the connection may have stalled). PayDesk switched to the difference inquiry (091)."
            ),
        ),
        None,
    )
}

/// A relay payment event as a gateway record.
fn record_from_event(event: &PaymentEvent) -> Option<PaymentRecord> {
    let mut fields = event.fields.clone();
    fields
        .entry("payment_notice_id".into())
        .or_insert_with(|| event.payment_notice_id.to_string());
    fields
        .entry("payment_id".into())
        .or_insert_with(|| event.payment_id.clone());
    fields
        .entry("trading_id".into())
        .or_insert_with(|| event.trading_id.clone());
    fields
        .entry("payment_type".into())
        .or_insert_with(|| event.payment_type.clone());
    fields
        .entry("payment_status".into())
        .or_insert_with(|| event.payment_status.clone());
    PaymentRecord::from_items(fields).ok()
}

/// What applying one record did, for counting.
#[derive(Default)]
struct Tally {
    applied: u32,
    created: u32,
    duplicates: u32,
    changed: Vec<i64>,
}

impl Desk {
    fn set_live(&self, change: impl FnOnce(&mut Liveness)) {
        change(&mut self.inner.sync.live());
        self.emit(DeskEvent::SyncStatusChanged {
            status: self.sync_status_dto(),
        });
    }

    pub(crate) fn sync_status_dto(&self) -> SyncStatus {
        let stored = self.store().sync_state().unwrap_or_default();
        let relay_configured = self.relay_client().ok().flatten().is_some();
        let live = self.inner.sync.live();
        let mode = live.mode.unwrap_or(if self.gateway_configured() {
            SyncModeCode::Polling
        } else if relay_configured {
            SyncModeCode::Offline
        } else {
            SyncModeCode::NotConfigured
        });
        SyncStatus {
            mode,
            relay_configured,
            relay_connected: live.relay_connected,
            last_event_at: live
                .last_event_at
                .or(stored.last_event_at)
                .map(convert::time),
            last_heartbeat_at: live.last_heartbeat_at.map(convert::time),
            last_poll_at: live.last_poll_at.map(convert::time),
            last_notice_id: stored.last_payment_notice_id,
            missing_notices: u32::try_from(live.missing.len()).unwrap_or(u32::MAX),
            quarantined: u32::try_from(live.quarantined).unwrap_or(u32::MAX),
            problem: live.problem.clone(),
            now: convert::time(self.now()),
        }
    }

    fn gateway_configured(&self) -> bool {
        self.settings_dto().is_ok_and(|s| s.complete)
    }

    /// Applies one gateway record (relay event, 091 record or 094 answer).
    async fn apply_record(
        &self,
        notice_id: Option<i64>,
        record: &PaymentRecord,
        tally: &mut Tally,
    ) -> Result<(), AppError> {
        let now = self.now();
        let Some(report) = StatusReport::from_record(record, now) else {
            tracing::info!(notice = ?notice_id, "record for a payment method PayDesk does not handle");
            return Ok(());
        };
        let mode = self.capture_mode_for_new();
        let applied = self
            .store()
            .apply_notification(notice_id, &report, mode, now)?;
        let (order, created) = match applied {
            Applied::Duplicate => {
                tally.duplicates += 1;
                (None, None)
            }
            Applied::Created(id) => (Some(id), Some(id)),
            Applied::Updated { order, .. } => (Some(order), None),
            Applied::Unchanged(_) | Applied::Ignored => (None, None),
        };
        if !matches!(applied, Applied::Duplicate) {
            tally.applied += 1;
        }
        if let Some(id) = created {
            tally.created += 1;
            tracing::info!(order = id.0, payment = %report.payment_id, "order created from a gateway record");
            if report.method == PaymentMethod::Paidy
                && let Some(paidy_id) = record
                    .fields
                    .get("paidy_payment_id")
                    .filter(|v| !v.is_empty())
            {
                self.fill_from_paidy_verify(id, &report.order_number, paidy_id)
                    .await;
            }
        }
        if let Some(id) = order {
            tally.changed.push(id.0);
        }
        let mut live = self.inner.sync.live();
        live.last_event_at = Some(now);
        if let Some(n) = notice_id {
            live.missing.remove(&(n as u64));
        }
        Ok(())
    }

    /// Adopts payments PayDesk never heard of (a storefront export lists them, but their
    /// notifications are older than the gateway's 7-day retention): each is checked with
    /// 094 and becomes an order if it is authorized or captured. Returns how many did.
    pub(crate) async fn adopt_payments(&self, payment_ids: &[String]) -> u32 {
        let unknown: Vec<&String> = {
            let store = self.store();
            payment_ids
                .iter()
                .filter(|id| matches!(store.order_by_payment_id(id), Ok(None)))
                .collect()
        };
        if unknown.is_empty() {
            return 0;
        }
        let Ok(client) = self.gateway() else {
            return 0;
        };
        let mut tally = Tally::default();
        for id in unknown {
            let inquiry = paygent_codec::request::PaymentInquiry {
                target: paygent_codec::request::PaymentRef::by_payment_id(id.clone()),
                payment_type: None,
            };
            match client.send(&inquiry).await {
                Ok(answer) => {
                    let record = crate::operations::record_from_inquiry(answer);
                    if let Err(e) = self.apply_record(None, &record, &mut tally).await {
                        tracing::warn!(code = %e.code, "payment not adopted");
                    }
                }
                Err(e) => tracing::info!(error = %e, "payment inquiry for an imported row failed"),
            }
        }
        self.publish_changes(&mut tally);
        tally.created
    }

    /// One 091 round: fetches records until the gateway has none left.
    ///
    /// A lost 091 answer (a timeout, a crash mid-call) still marks its record as delivered
    /// at Paygent (§7.2), so that record never comes back without its id. Ids are numbered
    /// consecutively per merchant, so each round also asks by id for what it should have
    /// seen: the id after the highest one applied (a lost answer at the tail leaves no hole
    /// to notice), and any hole below the highest id once the round is done.
    async fn poll_difference(&self, client: &Client, tally: &mut Tally) -> Result<(), ClientError> {
        let _one_caller = self.inner.sync.polling.lock().await;
        // Ids a relay gap named come first, by id.
        let missing: Vec<u64> = self.inner.sync.live().missing.iter().copied().collect();
        for id in missing {
            if !self.store().notification_seen(id as i64).unwrap_or(false) {
                self.fetch_notice(client, id as i64, tally).await?;
            }
            self.inner.sync.live().missing.remove(&id);
        }
        let highest = || {
            self.store()
                .sync_state()
                .ok()
                .and_then(|s| s.last_payment_notice_id)
        };
        let before = highest();
        if let Some(last) = before {
            // A lost answer's record follows the highest one seen (one 091 without an id
            // runs at a time, so one answer at most is lost per interruption).
            self.fetch_notice(client, last + 1, tally).await?;
        }
        for _ in 0..MAX_RECORDS_PER_ROUND {
            let answer = client.send(&DifferenceInquiry::default()).await?;
            self.inner.sync.live().last_poll_at = Some(self.now());
            match answer {
                DifferenceInquiryResult::NoData => break,
                DifferenceInquiryResult::Record { record, purged_gap } => {
                    if purged_gap {
                        tracing::warn!(
                            "the gateway purged records older than 7 days before this one"
                        );
                    }
                    let notice = record.payment_notice_id.parse::<i64>().ok();
                    if let Err(e) = self.apply_record(notice, &record, tally).await {
                        tracing::error!(code = %e.code, "record not applied");
                    }
                }
            }
        }
        // Holes this round left (a record delivered in an answer that never arrived).
        if let (Some(from), Some(to)) = (before, highest()) {
            for id in from + 1..to {
                if !self.store().notification_seen(id).unwrap_or(true) {
                    self.fetch_notice(client, id, tally).await?;
                }
            }
        }
        Ok(())
    }

    /// Fetches one record by its `payment_notice_id` and applies it; `false` when the
    /// gateway has no such record (not made yet, or purged after 7 days).
    async fn fetch_notice(
        &self,
        client: &Client,
        id: i64,
        tally: &mut Tally,
    ) -> Result<bool, ClientError> {
        let answer = client
            .send(&DifferenceInquiry {
                payment_notice_id: Some(id.to_string()),
                ..DifferenceInquiry::default()
            })
            .await?;
        match answer {
            DifferenceInquiryResult::Record { record, .. } => {
                let notice = record.payment_notice_id.parse::<i64>().ok();
                if let Err(e) = self.apply_record(notice, &record, tally).await {
                    tracing::error!(code = %e.code, "record not applied");
                }
                Ok(true)
            }
            DifferenceInquiryResult::NoData => Ok(false),
        }
    }

    /// Polls 091 until no record is left, backing off on "busy" answers.
    async fn poll_until_done(&self, tally: &mut Tally) -> Result<(), AppError> {
        let client = self.gateway()?;
        let mut attempt = 0;
        loop {
            match self.poll_difference(&client, tally).await {
                Ok(()) => {
                    self.set_live(|l| l.last_poll_at = Some(self.now()));
                    return Ok(());
                }
                Err(ClientError::Gateway(g))
                    if domain::FailureCategory::from_code(&g.response_code)
                        == domain::FailureCategory::GatewayBusy =>
                {
                    attempt += 1;
                    if attempt > RULES.max_automatic_retries {
                        return Err(AppError::from_client(
                            &ClientError::Gateway(g),
                            ErrorContext::Inquiry,
                        ));
                    }
                    let wait = domain::journal::busy_backoff(attempt, &RULES);
                    tracing::info!(code = %g.response_code, wait_s = wait.num_seconds(), "gateway busy; backing off");
                    self.wait(wait.to_std().unwrap_or(Duration::from_secs(30)))
                        .await;
                }
                Err(e) => return Err(AppError::from_client(&e, ErrorContext::Inquiry)),
            }
        }
    }

    /// Waits, or less when woken (settings changed, "sync now"). Uses tokio's clock, so
    /// tests with a paused clock do not wait for real.
    async fn wait(&self, duration: Duration) {
        let duration = duration / self.inner.retry_wait_divisor;
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = self.inner.sync.wake.notified() => {}
        }
    }

    /// Waits the polling interval (not scaled), or less when woken.
    async fn wait_interval(&self, duration: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = self.inner.sync.wake.notified() => {}
        }
    }

    fn publish_changes(&self, tally: &mut Tally) {
        if !tally.changed.is_empty() {
            let mut ids = std::mem::take(&mut tally.changed);
            ids.sort_unstable();
            ids.dedup();
            self.orders_changed(&ids);
            // Applying records moved "last payment notification": say so now, not only
            // at the next heartbeat or manual sync (issue 15).
            self.set_live(|_| {});
        }
    }

    pub(crate) async fn sync_once(&self) -> Result<SyncReport, AppError> {
        let mut tally = Tally::default();
        if let Some(relay) = self.relay_client()? {
            match self.relay_catch_up(&relay, &mut tally).await {
                Ok(()) => {}
                Err(e) => self.set_live(|l| l.problem = Some(e)),
            }
        }
        let polled = self.poll_until_done(&mut tally).await;
        self.publish_changes(&mut tally);
        self.retry_open_settlements().await;
        match polled {
            Ok(()) => self.set_live(|l| {
                if l.mode != Some(SyncModeCode::Relay) {
                    l.problem = None;
                }
            }),
            Err(e) if e.code == "not_configured" => {}
            Err(e) => {
                self.set_live(|l| l.problem = Some(e.clone()));
                return Err(e);
            }
        }
        Ok(SyncReport {
            applied: tally.applied,
            created: tally.created,
            duplicates: tally.duplicates,
            status: self.sync_status_dto(),
        })
    }

    fn relay_cursor(&self) -> Option<u64> {
        self.store()
            .sync_state()
            .ok()
            .and_then(|s| s.relay_cursor)
            .and_then(|c| c.parse().ok())
    }

    async fn apply_relay_event(
        &self,
        relay: &DesktopClient,
        event: &RelayEvent,
        tally: &mut Tally,
    ) -> Result<(), AppError> {
        match event {
            RelayEvent::Payment(p) => match record_from_event(p) {
                Some(record) => {
                    self.apply_record(Some(p.payment_notice_id as i64), &record, tally)
                        .await?
                }
                None => {
                    tracing::warn!(
                        notice = p.payment_notice_id,
                        "relay record PayDesk cannot read; fetching it with 091"
                    );
                    self.inner.sync.live().missing.insert(p.payment_notice_id);
                }
            },
            RelayEvent::Gap(g) => {
                tracing::info!(
                    after = g.after_notice_id,
                    before = g.before_notice_id,
                    "relay reported a gap"
                );
                let mut live = self.inner.sync.live();
                live.missing
                    .extend((g.after_notice_id + 1)..g.before_notice_id);
            }
        }
        let now = self.now();
        self.store()
            .set_relay_cursor(&event.seq().to_string(), now)?;
        if let Err(e) = relay.ack(event.seq()).await {
            // The stored cursor is what counts; the relay's copy is a convenience.
            tracing::warn!(error = %e, "relay ack failed");
        }
        Ok(())
    }

    /// Reads the relay's backlog after the stored cursor (pages), without streaming.
    async fn relay_catch_up(
        &self,
        relay: &DesktopClient,
        tally: &mut Tally,
    ) -> Result<(), AppError> {
        loop {
            let page = relay
                .catch_up(self.relay_cursor(), None)
                .await
                .map_err(|e| relay_error(&e))?;
            for event in &page.events {
                self.apply_relay_event(relay, event, tally).await?;
            }
            if !page.more || page.events.is_empty() {
                break;
            }
        }
        if let Ok(status) = relay.status().await {
            self.inner.sync.live().quarantined = status.quarantined;
        }
        Ok(())
    }

    /// Streams from the relay until the stream ends, stalls, or the machine woke from
    /// sleep. Returns why it stopped.
    async fn relay_session(&self, relay: &DesktopClient) -> Result<(), AppError> {
        let stream = relay
            .stream(self.relay_cursor())
            .await
            .map_err(|e| relay_error(&e))?;
        let mut stream = std::pin::pin!(stream);
        if let Ok(status) = relay.status().await {
            self.inner.sync.live().quarantined = status.quarantined;
        }
        self.set_live(|l| {
            l.mode = Some(SyncModeCode::Relay);
            l.relay_connected = true;
            l.problem = None;
        });
        tracing::info!("relay stream connected");
        let stall = RULES
            .relay_stall_threshold
            .to_std()
            .unwrap_or(Duration::from_secs(180))
            / self.inner.relay_stall_divisor;
        let wake_check = WAKE_CHECK / self.inner.relay_stall_divisor;
        let mut last_item = tokio::time::Instant::now();
        let mut wall = self.now();
        let mut mono = tokio::time::Instant::now();
        // Records the relay flagged missing are fetched as soon as they are known.
        let mut tally = Tally::default();
        loop {
            let next = tokio::select! {
                item = tokio::time::timeout(wake_check, stream.next()) => item,
                _ = self.inner.sync.wake.notified() => {
                    return Ok(());
                }
            };
            // Sleep detection: the wall clock ran on while the monotonic clock stood still.
            let (wall_now, mono_now) = (self.now(), tokio::time::Instant::now());
            let wall_elapsed = (wall_now - wall).to_std().unwrap_or_default();
            let mono_elapsed = mono_now - mono;
            (wall, mono) = (wall_now, mono_now);
            if wall_elapsed > mono_elapsed + stall {
                tracing::info!("woke from sleep; catching up with 091");
                return Err(AppError::new(
                    "woke_from_sleep",
                    Text::new(
                        "スリープから復帰しました。取りこぼしがないか確認しています。",
                        "Woke from sleep; checking for anything missed.",
                    ),
                    None,
                ));
            }
            match next {
                Err(_) => {
                    if last_item.elapsed() > stall {
                        tracing::warn!("relay stream silent; falling back to 091");
                        return Err(stalled_problem(RULES.relay_stall_threshold.num_minutes()));
                    }
                }
                Ok(None) => return Err(relay_error(&relay::client::ClientError::Status(0))),
                Ok(Some(Err(e))) => return Err(relay_error(&e)),
                Ok(Some(Ok(StreamItem::Heartbeat(_)))) => {
                    last_item = tokio::time::Instant::now();
                    let now = self.now();
                    self.set_live(|l| l.last_heartbeat_at = Some(now));
                }
                Ok(Some(Ok(StreamItem::Event(event)))) => {
                    last_item = tokio::time::Instant::now();
                    self.apply_relay_event(relay, &event, &mut tally).await?;
                    let gap = !self.inner.sync.live().missing.is_empty();
                    if gap
                        && let Ok(client) = self.gateway()
                        && let Err(e) = self.poll_difference(&client, &mut tally).await
                    {
                        tracing::warn!(error = %e, "fetching missing records failed");
                    }
                    self.publish_changes(&mut tally);
                    self.set_live(|_| {});
                }
            }
        }
    }

    /// The background sync task: the host spawns it on its runtime and it runs until
    /// the process ends.
    pub async fn run_sync(self) {
        tokio::spawn(self.clone().run_settlements());
        let mut reconnect_wait = Duration::from_secs(1);
        let poll_every = RULES
            .difference_inquiry_interval
            .to_std()
            .unwrap_or(Duration::from_secs(60));
        loop {
            self.retry_open_settlements().await;
            let relay = match self.relay_client() {
                Ok(r) => r,
                Err(e) => {
                    self.set_live(|l| {
                        l.mode = Some(SyncModeCode::Offline);
                        l.problem = Some(e);
                    });
                    self.wait_interval(poll_every).await;
                    continue;
                }
            };
            match relay {
                Some(relay) => {
                    let ended = self.relay_session(&relay).await;
                    let problem = ended.err();
                    self.set_live(|l| {
                        l.relay_connected = false;
                        l.mode = Some(SyncModeCode::Polling);
                        l.problem = problem.clone();
                    });
                    // Whatever stopped the stream, catch up through the gateway directly.
                    let mut tally = Tally::default();
                    if let Err(e) = self.relay_catch_up(&relay, &mut tally).await {
                        tracing::debug!(code = %e.code, "relay catch-up failed");
                    }
                    match self.poll_until_done(&mut tally).await {
                        Ok(()) => {}
                        Err(e) if e.code == "not_configured" => {}
                        Err(e) => self.set_live(|l| l.problem = Some(e)),
                    }
                    self.publish_changes(&mut tally);
                    if problem
                        .as_ref()
                        .is_some_and(|p| p.code == "woke_from_sleep")
                    {
                        reconnect_wait = Duration::from_secs(1);
                    } else {
                        self.wait(reconnect_wait).await;
                        reconnect_wait = (reconnect_wait * 2).min(MAX_RECONNECT_WAIT);
                    }
                }
                None => {
                    let mut tally = Tally::default();
                    match self.poll_until_done(&mut tally).await {
                        Ok(()) => self.set_live(|l| {
                            l.mode = Some(SyncModeCode::Polling);
                            l.problem = None;
                        }),
                        Err(e) if e.code == "not_configured" => self.set_live(|l| {
                            l.mode = Some(SyncModeCode::NotConfigured);
                            l.problem = None;
                        }),
                        Err(e) => self.set_live(|l| {
                            l.mode = Some(SyncModeCode::Offline);
                            l.problem = Some(e);
                        }),
                    }
                    self.publish_changes(&mut tally);
                    self.wait_interval(poll_every).await;
                }
            }
        }
    }
}
