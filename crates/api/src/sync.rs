//! Sync: payment status from the relay's stream, or from polling telegram 091.
//!
//! Layout: [`run_sync`] is the background task. With a relay URL and token it
//! streams events after the stored cursor, stores and acknowledges the cursor, and takes
//! each event as a hint, never as a fact: `hc` covers neither `payment_status` nor
//! `base_payment_id` nor `change_date`, so anyone holding one genuine body can mint others
//! the relay calls trusted. A pushed record's notice id (not yet applied) and the ids of a
//! `gap` event go into [`MissingNotices`] (ranges: a gap can name millions of ids), and
//! each is fetched from Paygent with 091 by id and applied as Paygent has it (094 by the
//! payment ID when Paygent no longer keeps the record). One pushed record so costs one
//! 091; a duplicate costs nothing; at most `RULES.missing_notices_per_round` ids are
//! fetched per round. Every relay call has the rules table's connect and request
//! timeouts. When the stream breaks, stays quiet longer than
//! `RULES.relay_stall_threshold` (no event, no heartbeat: the "silent stall"), or the
//! machine wakes from sleep (the wall clock jumped far more than the monotonic clock), it
//! falls back to polling 091 until no record is left, then reconnects with back-off.
//! Without a relay it polls 091 every `RULES.difference_inquiry_interval` (one record per
//! call; a busy answer such as 9004 backs off by `domain::journal::busy_backoff`).
//! [`sync_now`] does one full catch-up on demand (the "sync now" button and the CLI).
//!
//! The store applies each record: one that names an unknown payment creates the order
//! (with the record's 3-D Secure flag), and a late record about a state PayDesk already
//! moved past changes nothing (`domain::reconcile` decides, without asking the gateway).
//! A new Paidy order is then filled from Paidy's verify telegram (343).

use std::time::Duration;

use domain::storefront::parse_yen;
use domain::{OrderId, OrderList, Yen};
use domain::{PaymentMethod, RULES, StatusReport};
use futures_util::StreamExt;
use paygent_client::{Client, ClientError};
use paygent_codec::ErrorContext;
use paygent_codec::request::DifferenceInquiry;
use paygent_codec::request::PaidyVerify;
use paygent_codec::response::{DifferenceInquiryResult, PaymentRecord};
use relay::client::{DesktopClient, StreamItem};
use relay::dto::RelayEvent;
use store::{Applied, DeadlineFilter, DetailsSource, Item, ListQuery, OrderDetails};

use crate::ErrorCode;
use crate::bulk;
use crate::context::Context;
use crate::dto::events::DeskEvent;
use crate::dto::{HomeSummary, SyncModeCode, SyncReport, SyncStatus};
use crate::operations;
use crate::settings;
use crate::settings::relay_error;
use crate::sync_state::Liveness;
use crate::{AppError, convert};

/// The most 091 records one polling round fetches before yielding.
const MAX_RECORDS_PER_ROUND: u32 = 10_000;
/// The longest wait between relay reconnection attempts.
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(60);
/// How often the stream loop checks for a wake from sleep.
const WAKE_CHECK: Duration = Duration::from_secs(15);

fn stalled_problem(minutes: i64) -> AppError {
    AppError::of(ErrorCode::RelayStalled)
        .with("minutes", minutes)
        .into()
}

/// What applying one record did, for counting.
#[derive(Default)]
struct Tally {
    applied: u32,
    created: u32,
    duplicates: u32,
    changed: Vec<i64>,
}

/// One 091 round for the background settler (see `sync::run_settlements`): with a
/// healthy relay stream the sync loop runs none, and a revision's settlement may wait
/// for one.
pub(crate) async fn poll_for_settlement(cx: &Context) {
    let mut tally = Tally::default();
    if let Err(e) = poll_until_done(cx, &mut tally).await {
        tracing::info!(code = %e.code, "difference inquiry for settlement failed");
    }
    publish_changes(cx, &mut tally);
}

fn set_live(cx: &Context, change: impl FnOnce(&mut Liveness)) {
    change(&mut cx.inner.sync.live());
    cx.emit(DeskEvent::SyncStatusChanged {
        status: sync_status(cx),
    });
}

pub(crate) fn sync_status(cx: &Context) -> SyncStatus {
    let stored = cx.store().sync_state().unwrap_or_default();
    let relay_configured = settings::relay_client(cx).ok().flatten().is_some();
    let live = cx.inner.sync.live();
    let mode = live.mode.unwrap_or(if gateway_configured(cx) {
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
        now: convert::time(cx.now()),
    }
}

fn gateway_configured(cx: &Context) -> bool {
    settings::get_settings(cx).is_ok_and(|s| s.complete)
}

/// Applies one gateway record (relay event, 091 record or 094 answer).
async fn apply_record(
    cx: &Context,
    notice_id: Option<i64>,
    record: &PaymentRecord,
    tally: &mut Tally,
) -> Result<(), AppError> {
    let now = cx.now();
    let Some(report) = StatusReport::from_record(record, now) else {
        tracing::info!(notice = ?notice_id, "record for a payment method PayDesk does not handle");
        return Ok(());
    };
    let mode = settings::capture_mode_for_new(cx);
    let applied = cx
        .store()
        .apply_notification(notice_id, &report, mode, now)?;
    // 3-D Secure as the record reports it (§4.6, §7.3): kept beside the order.
    let three_ds_changed = match domain::outcome_of_record(record) {
        Some(outcome) if !matches!(applied, Applied::Duplicate) => cx
            .store()
            .record_three_d_secure(&report.payment_id, outcome)?,
        _ => None,
    };
    let (order, created) = match applied {
        Applied::Duplicate => {
            tally.duplicates += 1;
            (None, None)
        }
        Applied::Created(id) => (Some(id), Some(id)),
        Applied::Updated { order, .. } => (Some(order), None),
        Applied::Unchanged(_) | Applied::Ignored => (three_ds_changed, None),
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
            fill_from_paidy_verify(cx, id, &report.order_number, paidy_id).await;
        }
    }
    if let Some(id) = order {
        tally.changed.push(id.0);
    }
    let mut live = cx.inner.sync.live();
    live.last_event_at = Some(now);
    if let Some(n) = notice_id.and_then(|n| u64::try_from(n).ok()) {
        live.missing.remove(n);
    }
    Ok(())
}

/// Adopts payments PayDesk never heard of (a storefront export lists them, but their
/// notifications are older than the gateway's 7-day retention): each is checked with
/// 094 and becomes an order if it is authorized or captured. Returns how many did.
pub(crate) async fn adopt_payments(cx: &Context, payment_ids: &[String]) -> u32 {
    let unknown: Vec<&String> = {
        let store = cx.store();
        payment_ids
            .iter()
            .filter(|id| matches!(store.order_by_payment_id(id), Ok(None)))
            .collect()
    };
    if unknown.is_empty() {
        return 0;
    }
    let Ok(client) = settings::gateway(cx) else {
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
                if let Err(e) = apply_record(cx, None, &record, &mut tally).await {
                    tracing::warn!(code = %e.code, "payment not adopted");
                }
            }
            Err(e) => tracing::info!(error = %e, "payment inquiry for an imported row failed"),
        }
    }
    publish_changes(cx, &mut tally);
    tally.created
}

/// One 091 round: fetches records until the gateway has none left. `Ok(true)` when it
/// got there with every record applied (not stopped by the per-round cap or a record
/// that could not be stored).
///
/// A lost 091 answer (a timeout, a crash mid-call) still marks its record as delivered
/// at Paygent (§7.2), so that record never comes back without its id. Ids are numbered
/// consecutively per merchant, so each round also asks by id for what it should have
/// seen: the id after the highest one applied (a lost answer at the tail leaves no hole
/// to notice), and any hole below the highest id once the round is done.
async fn poll_difference(
    cx: &Context,
    client: &Client,
    tally: &mut Tally,
) -> Result<bool, ClientError> {
    let _one_caller = cx.inner.sync.polling.lock().await;
    // Ids the relay named come first, by id.
    fetch_missing(cx, client, tally).await?;
    let highest = || highest_notice(cx);
    let before = highest();
    if let Some(last) = before {
        // A lost answer's record follows the highest one seen (one 091 without an id
        // runs at a time, so one answer at most is lost per interruption).
        fetch_notice(cx, client, last + 1, tally).await?;
    }
    let (mut drained, mut all_applied) = (false, true);
    for _ in 0..MAX_RECORDS_PER_ROUND {
        let answer = client.send(&DifferenceInquiry::default()).await?;
        cx.inner.sync.live().last_poll_at = Some(cx.now());
        match answer {
            DifferenceInquiryResult::NoData => {
                drained = true;
                break;
            }
            DifferenceInquiryResult::Record { record, purged_gap } => {
                if purged_gap {
                    tracing::warn!("the gateway purged records older than 7 days before this one");
                }
                let notice = record.payment_notice_id.parse::<i64>().ok();
                if let Err(e) = apply_record(cx, notice, &record, tally).await {
                    tracing::error!(code = %e.code, "record not applied");
                    all_applied = false;
                }
            }
        }
    }
    // Holes this round left (a record delivered in an answer that never arrived).
    if let (Some(from), Some(to)) = (before, highest()) {
        for id in from + 1..to {
            if !cx.store().notification_seen(id).unwrap_or(true) {
                fetch_notice(cx, client, id, tally).await?;
            }
        }
    }
    Ok(drained && all_applied)
}

/// The highest notice id applied: only Paygent's own records (091 answers) count.
fn highest_notice(cx: &Context) -> Option<i64> {
    cx.store()
        .sync_state()
        .ok()
        .and_then(|s| s.last_payment_notice_id)
}

/// [`fetch_missing`] as the one 091 caller.
async fn confirm_missing(
    cx: &Context,
    client: &Client,
    tally: &mut Tally,
) -> Result<(), ClientError> {
    let _one_caller = cx.inner.sync.polling.lock().await;
    fetch_missing(cx, client, tally).await
}

/// Fetches the ids the relay named (pushed records to confirm, ids of gaps) from
/// Paygent by id, lowest first, at most `RULES.missing_notices_per_round` per round.
///
/// An id Paygent has no record of was purged (over 7 days old) or is not made yet (a
/// gap the relay made up). Above the highest id Paygent confirmed, one look at the last
/// id of its range tells which: if that one is missing too, the whole range goes,
/// so a made-up gap of millions costs two telegrams. A pushed record Paygent no longer
/// has is replaced by its payment as 094 reports it now.
async fn fetch_missing(
    cx: &Context,
    client: &Client,
    tally: &mut Tally,
) -> Result<(), ClientError> {
    let mut budget = RULES.missing_notices_per_round;
    while budget > 0 {
        let Some(id) = cx.inner.sync.live().missing.first() else {
            break;
        };
        let sent = settle_missing(cx, client, id, tally).await?;
        budget = budget.saturating_sub(sent.max(1));
    }
    Ok(())
}

/// Settles one missing id: Paygent's record applied, or the id (and what it proves
/// absent) dropped. Returns the telegrams it sent.
async fn settle_missing(
    cx: &Context,
    client: &Client,
    id: u64,
    tally: &mut Tally,
) -> Result<u32, ClientError> {
    let (end, pushed) = {
        let live = cx.inner.sync.live();
        let end = live.missing.range_end(id).unwrap_or(id);
        (end, live.missing.pushed.get(&id).cloned())
    };
    let Ok(notice) = i64::try_from(id) else {
        // Beyond any id Paygent issues: nothing to fetch.
        set_live(cx, |live| live.missing.remove_range(id, end, false));
        return Ok(0);
    };
    if cx.store().notification_seen(notice).unwrap_or(false) {
        set_live(cx, |live| live.missing.remove(id));
        return Ok(0);
    }
    let mut sent = 1;
    if fetch_notice(cx, client, notice, tally).await? {
        set_live(cx, |live| live.missing.remove(id));
        return Ok(sent);
    }
    // Paygent has no record `id`: purged after 7 days, or not made (yet).
    if let Some(payment_id) = pushed {
        sent += 1;
        confirm_payment(cx, client, &payment_id, tally).await?;
    }
    set_live(cx, |live| live.missing.remove(id));
    if end > id && highest_notice(cx).is_none_or(|h| notice > h) {
        let last = i64::try_from(end).unwrap_or(i64::MAX);
        let last_exists = cx.store().notification_seen(last).unwrap_or(false) || {
            sent += 1;
            fetch_notice(cx, client, last, tally).await?
        };
        if !last_exists {
            tracing::info!(
                from = id,
                to = end,
                "Paygent has no record of these notice ids; dropped"
            );
            set_live(cx, |live| live.missing.remove_range(id + 1, end, true));
        }
    }
    Ok(sent)
}

/// Applies a payment as 094 reports it now (a pushed record Paygent no longer keeps).
async fn confirm_payment(
    cx: &Context,
    client: &Client,
    payment_id: &str,
    tally: &mut Tally,
) -> Result<(), ClientError> {
    let inquiry = paygent_codec::request::PaymentInquiry {
        target: paygent_codec::request::PaymentRef::by_payment_id(payment_id.to_owned()),
        payment_type: None,
    };
    match client.send(&inquiry).await {
        Ok(answer) => {
            let record = crate::operations::record_from_inquiry(answer);
            if let Err(e) = apply_record(cx, None, &record, tally).await {
                tracing::error!(code = %e.code, "payment not applied");
            }
            Ok(())
        }
        Err(ClientError::Gateway(g))
            if g.explain(ErrorContext::Inquiry).category
                == paygent_codec::dictionary::Category::NotFound =>
        {
            tracing::warn!("a pushed record named a payment Paygent does not know; ignored");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Fetches one record by its `payment_notice_id` and applies it; `false` when the
/// gateway has no such record (not made yet, or purged after 7 days).
async fn fetch_notice(
    cx: &Context,
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
            if let Err(e) = apply_record(cx, notice, &record, tally).await {
                tracing::error!(code = %e.code, "record not applied");
            }
            Ok(true)
        }
        DifferenceInquiryResult::NoData => Ok(false),
    }
}

/// Polls 091 until no record is left, backing off on "busy" answers.
async fn poll_until_done(cx: &Context, tally: &mut Tally) -> Result<(), AppError> {
    let client = settings::gateway(cx)?;
    let mut attempt = 0;
    loop {
        let began = cx.now();
        match poll_difference(cx, &client, tally).await {
            Ok(complete) => {
                set_live(cx, |l| {
                    l.last_poll_at = Some(cx.now());
                    if complete {
                        l.records_complete_at = Some(began);
                    }
                });
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
                let backoff = domain::journal::busy_backoff(attempt, &RULES);
                tracing::info!(code = %g.response_code, wait_s = backoff.num_seconds(), "gateway busy; backing off");
                wait(cx, backoff.to_std().unwrap_or(Duration::from_secs(30))).await;
            }
            Err(e) => return Err(AppError::from_client(&e, ErrorContext::Inquiry)),
        }
    }
}

/// Waits, or less when woken (settings changed, "sync now"). Uses tokio's clock, so
/// tests with a paused clock do not wait for real.
async fn wait(cx: &Context, duration: Duration) {
    let duration = duration / cx.inner.retry_wait_divisor;
    tokio::select! {
            _ = tokio::time::sleep(duration) => {}
        _ = cx.inner.sync.wake.notified() => {}
    }
}

/// Waits the polling interval (not scaled), or less when woken.
async fn wait_interval(cx: &Context, duration: Duration) {
    tokio::select! {
            _ = tokio::time::sleep(duration) => {}
        _ = cx.inner.sync.wake.notified() => {}
    }
}

fn publish_changes(cx: &Context, tally: &mut Tally) {
    if !tally.changed.is_empty() {
        let mut ids = std::mem::take(&mut tally.changed);
        ids.sort_unstable();
        ids.dedup();
        cx.orders_changed(&ids);
        // Applying records moved "last payment notification": say so now, not only
        // at the next heartbeat or manual sync (issue 15).
        set_live(cx, |_| {});
    }
}

/// Catches up now: relay backlog if configured, else 091 until no record is left.
pub(crate) async fn sync_now(cx: &Context) -> Result<SyncReport, AppError> {
    let mut tally = Tally::default();
    match settings::relay_client(cx) {
        Ok(Some(relay)) => match relay_catch_up(cx, &relay, &mut tally).await {
            Ok(()) => {}
            Err(e) => set_live(cx, |l| l.problem = Some(e)),
        },
        Ok(None) => {}
        // The gateway is polled whatever is wrong with the relay.
        Err(e) => set_live(cx, |l| l.problem = Some(e)),
    }
    let polled = poll_until_done(cx, &mut tally).await;
    publish_changes(cx, &mut tally);
    retry_open_settlements(cx).await;
    match polled {
        Ok(()) => set_live(cx, |l| {
            if l.mode != Some(SyncModeCode::Relay) {
                l.problem = None;
            }
        }),
        Err(e) if e.is(ErrorCode::NotConfigured) => {}
        Err(e) => {
            set_live(cx, |l| l.problem = Some(e.clone()));
            return Err(e);
        }
    }
    Ok(SyncReport {
        applied: tally.applied,
        created: tally.created,
        duplicates: tally.duplicates,
        status: sync_status(cx),
    })
}

fn relay_cursor(cx: &Context) -> Option<u64> {
    cx.store()
        .sync_state()
        .ok()
        .and_then(|s| s.relay_cursor)
        .and_then(|c| c.parse().ok())
}

/// Takes one relay event as a hint and stores and acknowledges the cursor. A pushed
/// record not applied yet is fetched from Paygent by its id first, and the cursor moves
/// past it only once Paygent confirmed it (or has no such record): after a failed call
/// or a crash the relay delivers it again. The ids of a gap join the missing notices,
/// fetched by the caller round by round.
async fn apply_relay_event(
    cx: &Context,
    relay: &DesktopClient,
    event: &RelayEvent,
    tally: &mut Tally,
) -> Result<(), AppError> {
    match event {
        RelayEvent::Payment(p) => match i64::try_from(p.payment_notice_id) {
            Ok(notice) if cx.store().notification_seen(notice)? => tally.duplicates += 1,
            Ok(_) => {
                cx.inner
                    .sync
                    .live()
                    .missing
                    .insert_pushed(p.payment_notice_id, &p.payment_id);
                let client = settings::gateway(cx)?;
                let _one_caller = cx.inner.sync.polling.lock().await;
                settle_missing(cx, &client, p.payment_notice_id, tally)
                    .await
                    .map_err(|e| AppError::from_client(&e, ErrorContext::Inquiry))?;
            }
            Err(_) => tracing::warn!("relay record with an impossible notice id; ignored"),
        },
        RelayEvent::Gap(g) => {
            tracing::info!(
                after = g.after_notice_id,
                before = g.before_notice_id,
                "relay reported a gap"
            );
            if g.before_notice_id > g.after_notice_id.saturating_add(1) {
                let (start, end) = (g.after_notice_id + 1, g.before_notice_id - 1);
                // Ids taken in already (by a 091 round, or before a reconnect replayed
                // this gap) are not missing; beyond the cap, settling drops them unsent.
                let seen = cx.store().notifications_seen_between(
                    i64::try_from(start).unwrap_or(i64::MAX),
                    i64::try_from(end).unwrap_or(i64::MAX),
                    RULES.missing_notices_per_round,
                )?;
                set_live(cx, |live| live.missing.insert_gap(start, end, &seen));
            }
        }
    }
    let now = cx.now();
    cx.store().set_relay_cursor(&event.seq().to_string(), now)?;
    if let Err(e) = relay.ack(event.seq()).await {
        // The stored cursor is what counts; the relay's copy is a convenience.
        tracing::warn!(error = %e, "relay ack failed");
    }
    Ok(())
}

/// Fetches the ids of relay gaps from Paygent now (one round's share), when the
/// gateway is configured; what fails stays missing for the next round.
async fn confirm_relay_hints(cx: &Context, tally: &mut Tally) {
    if cx.inner.sync.live().missing.is_empty() {
        return;
    }
    if let Ok(client) = settings::gateway(cx)
        && let Err(e) = confirm_missing(cx, &client, tally).await
    {
        tracing::warn!(error = %e, "fetching the ids the relay named failed");
    }
}

/// Reads the relay's backlog after the stored cursor (pages), without streaming.
async fn relay_catch_up(
    cx: &Context,
    relay: &DesktopClient,
    tally: &mut Tally,
) -> Result<(), AppError> {
    let mut events = 0;
    loop {
        let cursor = relay_cursor(cx);
        let page = relay
            .catch_up(cursor, Some(RULES.relay_events_per_page))
            .await
            .map_err(|e| relay_error(&e))?;
        for event in &page.events {
            apply_relay_event(cx, relay, event, tally).await?;
        }
        confirm_relay_hints(cx, tally).await;
        events += page.events.len();
        // A page that does not move the cursor would repeat for ever.
        let moved = relay_cursor(cx) > cursor;
        if !page.more || !moved || events >= MAX_RECORDS_PER_ROUND as usize {
            break;
        }
    }
    if let Ok(status) = relay.status().await {
        cx.inner.sync.live().quarantined = status.quarantined;
    }
    Ok(())
}

/// Streams from the relay until the stream ends, stalls, or the machine woke from
/// sleep. Returns why it stopped.
async fn relay_session(cx: &Context, relay: &DesktopClient) -> Result<(), AppError> {
    let stream = relay
        .stream(relay_cursor(cx))
        .await
        .map_err(|e| relay_error(&e))?;
    let mut stream = std::pin::pin!(stream);
    if let Ok(status) = relay.status().await {
        cx.inner.sync.live().quarantined = status.quarantined;
    }
    set_live(cx, |l| {
        l.mode = Some(SyncModeCode::Relay);
        l.relay_connected = true;
        l.problem = None;
    });
    tracing::info!("relay stream connected");
    let stall = RULES
        .relay_stall_threshold
        .to_std()
        .unwrap_or(Duration::from_secs(180))
        / cx.inner.relay_stall_divisor;
    let wake_check = WAKE_CHECK / cx.inner.relay_stall_divisor;
    let mut last_item = tokio::time::Instant::now();
    let mut wall = cx.now();
    let mut mono = tokio::time::Instant::now();
    // Records the relay flagged missing are fetched as soon as they are known.
    let mut tally = Tally::default();
    loop {
        let next = tokio::select! {
            item = tokio::time::timeout(wake_check, stream.next()) => item,
        _ = cx.inner.sync.wake.notified() => {
                return Ok(());
            }
        };
        // Sleep detection: the wall clock ran on while the monotonic clock stood still.
        let (wall_now, mono_now) = (cx.now(), tokio::time::Instant::now());
        let wall_elapsed = (wall_now - wall).to_std().unwrap_or_default();
        let mono_elapsed = mono_now - mono;
        (wall, mono) = (wall_now, mono_now);
        if wall_elapsed > mono_elapsed + stall {
            tracing::info!("woke from sleep; catching up with 091");
            return Err(AppError::of(ErrorCode::WokeFromSleep).into());
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
                let now = cx.now();
                set_live(cx, |l| l.last_heartbeat_at = Some(now));
            }
            Ok(Some(Ok(StreamItem::Event(event)))) => {
                last_item = tokio::time::Instant::now();
                apply_relay_event(cx, relay, &event, &mut tally).await?;
                confirm_relay_hints(cx, &mut tally).await;
                publish_changes(cx, &mut tally);
                set_live(cx, |_| {});
            }
        }
    }
}

/// The background sync task: the host spawns it on its runtime and it runs until
/// the process ends.
pub(crate) async fn run_sync(cx: Context) {
    tokio::spawn(run_settlements(cx.clone()));
    let cx = &cx;
    let mut reconnect_wait = Duration::from_secs(1);
    let poll_every = RULES
        .difference_inquiry_interval
        .to_std()
        .unwrap_or(Duration::from_secs(60));
    loop {
        retry_open_settlements(cx).await;
        let relay = match settings::relay_client(cx) {
            Ok(r) => r,
            Err(e) => {
                // Whatever is wrong with the relay settings, the gateway is polled.
                let mut tally = Tally::default();
                let polled = poll_until_done(cx, &mut tally).await;
                publish_changes(cx, &mut tally);
                set_live(cx, |l| {
                    l.mode = Some(match polled {
                        Ok(()) => SyncModeCode::Polling,
                        Err(_) => SyncModeCode::Offline,
                    });
                    l.problem = Some(e);
                });
                wait_interval(cx, poll_every).await;
                continue;
            }
        };
        match relay {
            Some(relay) => {
                let ended = relay_session(cx, &relay).await;
                let problem = ended.err();
                set_live(cx, |l| {
                    l.relay_connected = false;
                    l.mode = Some(SyncModeCode::Polling);
                    l.problem = problem.clone();
                });
                // Whatever stopped the stream, catch up through the gateway directly,
                // first: a relay that stopped answering must not hold it up.
                let mut tally = Tally::default();
                match poll_until_done(cx, &mut tally).await {
                    Ok(()) => {}
                    Err(e) if e.is(ErrorCode::NotConfigured) => {}
                    Err(e) => set_live(cx, |l| l.problem = Some(e)),
                }
                if let Err(e) = relay_catch_up(cx, &relay, &mut tally).await {
                    tracing::debug!(code = %e.code, "relay catch-up failed");
                }
                publish_changes(cx, &mut tally);
                if problem
                    .as_ref()
                    .is_some_and(|p| p.is(ErrorCode::WokeFromSleep))
                {
                    reconnect_wait = Duration::from_secs(1);
                } else {
                    wait(cx, reconnect_wait).await;
                    reconnect_wait = (reconnect_wait * 2).min(MAX_RECONNECT_WAIT);
                }
            }
            None => {
                let mut tally = Tally::default();
                match poll_until_done(cx, &mut tally).await {
                    Ok(()) => set_live(cx, |l| {
                        l.mode = Some(SyncModeCode::Polling);
                        l.problem = None;
                    }),
                    Err(e) if e.is(ErrorCode::NotConfigured) => set_live(cx, |l| {
                        l.mode = Some(SyncModeCode::NotConfigured);
                        l.problem = None;
                    }),
                    Err(e) => set_live(cx, |l| {
                        l.mode = Some(SyncModeCode::Offline);
                        l.problem = Some(e);
                    }),
                }
                publish_changes(cx, &mut tally);
                wait_interval(cx, poll_every).await;
            }
        }
    }
}

pub(crate) fn home_summary(cx: &Context) -> Result<HomeSummary, AppError> {
    let now = cx.now();
    let (open, completed, cancelled, near, lapsed, unsettled, outside, failed) = {
        let store = cx.store();
        let count = |list: Option<OrderList>, deadline: Option<DeadlineFilter>| {
            let mut q = ListQuery::list(OrderList::Open, now);
            q.list = list;
            q.deadline = deadline;
            q.page_size = 1;
            store.list_orders(&q).map(|p| p.total)
        };
        (
            count(Some(OrderList::Open), None)?,
            count(Some(OrderList::Completed), None)?,
            count(Some(OrderList::Cancelled), None)?,
            store.count_near_deadline(now)?,
            count(None, Some(DeadlineFilter::Lapsed))?,
            store.pending_journal()?.len() as u64,
            store.count_outside_changes()?,
            store.failed_renewals_waiting(None)?,
        )
    };
    let n = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(HomeSummary {
        open_orders: n(open),
        completed_orders: n(completed),
        cancelled_orders: n(cancelled),
        near_deadline: n(near),
        lapsed: n(lapsed),
        outside_changes: n(outside),
        unsettled_operations: n(unsettled),
        failed_renewals: n(failed.len() as u64),
        oldest_failed_renewal_order: failed.first().and_then(|c| c.order_id).map(|o| o.0),
        sync: sync_status(cx),
    })
}

/// The background settler (spawned by `run_sync`): every
/// `RULES.settlement_recheck_interval` it settles what is still open, so an entry whose
/// telegram may have been in flight is decided once the in-flight window closes, even
/// while a healthy relay stream keeps the sync loop from coming round to it.
pub(crate) async fn run_settlements(cx: Context) {
    let cx = &cx;
    let every = RULES
        .settlement_recheck_interval
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(20))
        / cx.inner.retry_wait_divisor;
    // Tests divide the waits; a floor keeps their 094s from flooding the simulator.
    let every = every.max(std::time::Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let open = {
            let store = cx.store();
            let entries = store.pending_journal().map(|e| !e.is_empty());
            let runs = store.unfinished_runs().map(|r| !r.is_empty());
            entries.unwrap_or(false) || runs.unwrap_or(false)
        };
        if open {
            if awaits_complete_records(cx) {
                poll_for_settlement(cx).await;
            }
            retry_open_settlements(cx).await;
        }
    }
}

/// Whether an open revision is past its in-flight window with no complete 091 round
/// begun since: its settlement may need that round (`operations::no_successor_recorded`).
fn awaits_complete_records(cx: &Context) -> bool {
    let Ok(open) = cx.store().pending_journal() else {
        return false;
    };
    let now = cx.now();
    let complete_at = operations::records_complete_at(cx);
    open.iter().any(|p| {
        let done_by = p.sent_at.unwrap_or(p.created_at) + cx.inner.in_flight_window;
        p.plan.creates_new_payment && done_by <= now && complete_at.is_none_or(|at| at < done_by)
    })
}

/// Settles entries left open (called by the background sync now and then); waits for
/// a running operation to finish first, so it never inquires about one in flight.
pub(crate) async fn retry_open_settlements(cx: &Context) {
    let _one_at_a_time = cx.inner.operations.lock().await;
    bulk::recover_bulk_runs(cx).await;
    operations::settle_open_operations(cx).await;
}

/// Fills a new Paidy order's buyer, shipping and items from Paidy's verify telegram.
pub(crate) async fn fill_from_paidy_verify(
    cx: &Context,
    id: OrderId,
    trading_id: &str,
    paidy_payment_id: &str,
) {
    let Ok(client) = settings::gateway(cx) else {
        return;
    };
    let request = PaidyVerify {
        trading_id: (!trading_id.is_empty()).then(|| trading_id.to_owned()),
        paidy_payment_id: paidy_payment_id.to_owned(),
    };
    let answer = match client.send(&request).await {
        Ok(a) if a.exists => a,
        Ok(_) => {
            tracing::info!(order = id.0, "Paidy verify: payment not found at Paidy");
            return;
        }
        Err(e) => {
            tracing::warn!(order = id.0, error = %e, "Paidy verify failed");
            return;
        }
    };
    let f = &answer.fields;
    let mut items = Vec::new();
    for i in 0.. {
        let Some(title) = some(f.get(&format!("order_items_title[{i}]"))) else {
            break;
        };
        items.push(Item {
            item_id: some(f.get(&format!("order_items_id[{i}]"))),
            title,
            description: some(f.get(&format!("order_items_description[{i}]"))),
            unit_price: f
                .get(&format!("order_items_unit_price[{i}]"))
                .and_then(|v| parse_yen(v))
                .unwrap_or(Yen(0)),
            quantity: f
                .get(&format!("order_items_quantity[{i}]"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(1),
            // 343 gives items without a rate, only the order's `order_tax` (notes §4.9):
            // the shop's rate applies.
            tax_rate: None,
        });
    }
    let details = OrderDetails {
        source: DetailsSource::PaidyVerify,
        buyer_name: some(f.get("buyer_name_kanji")),
        buyer_name_kana: some(f.get("buyer_name_kana")),
        buyer_email: some(f.get("buyer_email")),
        buyer_phone: some(f.get("buyer_phone")),
        shipping_zip: some(f.get("shipping_address_zip")),
        shipping_state: some(f.get("shipping_address_state")),
        shipping_city: some(f.get("shipping_address_city")),
        shipping_line1: some(f.get("shipping_address_line1")),
        shipping_line2: some(f.get("shipping_address_line2")),
        order_tax: f.get("order_tax").and_then(|v| parse_yen(v)),
        order_shipping: f.get("order_shipping").and_then(|v| parse_yen(v)),
        items,
    };
    let now = cx.now();
    if let Err(e) = cx.store().save_order_details(id, &details, now) {
        tracing::warn!(order = id.0, error = %e, "Paidy details not saved");
    }
}

fn some(text: Option<&String>) -> Option<String> {
    text.map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}
