//! The HTTP side of the relay: the notification endpoint and the desktop API.
//!
//! Layout: [`Relay`] is the running state (config, clock, store); [`Relay::router`] builds
//! the axum router; `notify` is Paygent's endpoint; `events`, `stream`, `ack` and `status`
//! are the desktop API behind the [`AuthedDesktop`] extractor; [`Feed`] is the state machine
//! behind one SSE stream.

use std::{
    collections::VecDeque, convert::Infallible, net::IpAddr, net::SocketAddr, sync::Arc,
    time::Duration,
};

use axum::{
    Json, Router,
    body::Body,
    extract::{ConnectInfo, FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{
        IntoResponse, Response,
        sse::{self, Sse},
    },
    routing::{get, post},
};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{broadcast, watch};

use crate::{
    clock::Clock,
    config::Config,
    dto::{Ack, DesktopInfo, EventsPage, Health, Heartbeat, RelayEvent, ShopStatus},
    gate::{Slot, Warnings},
    notify,
    secret::{token_desktop_id, token_matches},
    store::{
        self, DesktopRecord, IngestOutcome, PruneCount, QuarantineRecord, Store, StoreError,
        WriterLimits,
    },
};

/// The relay's shared state; cheap to clone.
#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    clock: Arc<dyn Clock>,
    store: Arc<Store>,
    /// Flips to true when the server shuts down, so open streams end and the graceful
    /// shutdown does not wait on them forever.
    closing: watch::Sender<bool>,
    warnings: Warnings,
    quarantine_rate: std::sync::Mutex<QuarantineRate>,
    /// Open streams per desktop, oldest first: a desktop over `max_streams_per_desktop`
    /// loses its oldest, so one token cannot fill the connection cap with streams.
    streams: std::sync::Mutex<std::collections::HashMap<u64, OpenStreams>>,
    next_stream: std::sync::atomic::AtomicU64,
}

/// One desktop's open streams, oldest first: (stream id, its end signal).
type OpenStreams = VecDeque<(u64, Arc<tokio::sync::Notify>)>;

/// Quarantined records stored per source IP in the current minute.
struct QuarantineRate {
    window: std::time::Instant,
    counts: std::collections::HashMap<IpAddr, u32>,
}

/// Source IPs tracked per minute for the quarantine rate; a minute with more distinct IPs
/// stores no more quarantined records from new ones.
const QUARANTINE_RATE_IPS: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Events read from the database per page, for catch-up and stream resume.
const PAGE: usize = 500;
/// Largest page a desktop may ask for.
const MAX_LIMIT: usize = 1000;

impl Relay {
    /// Opens the database (creating and migrating it) and starts the writer.
    pub fn open(config: Config, clock: Arc<dyn Clock>) -> Result<Relay, RelayError> {
        let store = Store::open(
            &config.database,
            WriterLimits {
                max_batch: config.limits.max_batch,
                quarantine_per_shop: config.limits.quarantine_per_shop,
            },
        )?;
        for file in store::readable_by_others(&config.database) {
            tracing::warn!(file = %file.display(), "the database holds hash keys and is readable by others: chmod 600 it (and its -wal and -shm files)");
        }
        Ok(Relay {
            inner: Arc::new(Inner {
                warnings: Warnings::new(config.limits.warn_interval),
                quarantine_rate: std::sync::Mutex::new(QuarantineRate {
                    window: std::time::Instant::now(),
                    counts: Default::default(),
                }),
                streams: Default::default(),
                next_stream: Default::default(),
                config,
                clock,
                store: Arc::new(store),
                closing: watch::channel(false).0,
            }),
        })
    }

    /// Rate-limited warnings shared by the accept loop and the handlers.
    pub(crate) fn warnings(&self) -> &Warnings {
        &self.inner.warnings
    }

    /// Registers a new stream of `desktop`; ends its oldest ones over the cap.
    fn open_stream(&self, desktop: u64) -> (u64, Arc<tokio::sync::Notify>) {
        let id = self
            .inner
            .next_stream
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ended = Arc::new(tokio::sync::Notify::new());
        let cap = self.inner.config.limits.max_streams_per_desktop.max(1);
        let mut streams = self.inner.streams.lock().unwrap_or_else(|e| e.into_inner());
        let open = streams.entry(desktop).or_default();
        while open.len() >= cap {
            if let Some((_, oldest)) = open.pop_front() {
                oldest.notify_one();
            }
        }
        open.push_back((id, ended.clone()));
        (id, ended)
    }

    fn close_stream(&self, desktop: u64, id: u64) {
        let mut streams = self.inner.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = streams.get_mut(&desktop) {
            open.retain(|(i, _)| *i != id);
            if open.is_empty() {
                streams.remove(&desktop);
            }
        }
    }

    /// Turns true at shutdown.
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Whether one more quarantined record from `ip` may be stored this minute.
    fn quarantine_allowed(&self, ip: IpAddr) -> bool {
        let per_minute = self.inner.config.limits.quarantine_per_ip_per_minute;
        let mut rate = self
            .inner
            .quarantine_rate
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if rate.window.elapsed() >= Duration::from_secs(60) {
            rate.window = std::time::Instant::now();
            rate.counts.clear();
        }
        if !rate.counts.contains_key(&ip) && rate.counts.len() >= QUARANTINE_RATE_IPS {
            return false;
        }
        let count = rate.counts.entry(ip).or_insert(0);
        if *count >= per_minute {
            return false;
        }
        *count += 1;
        true
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// Deletes what is older than the retention period, by the relay's clock.
    pub async fn prune_expired(&self) -> Result<PruneCount, StoreError> {
        let before = self.now() - self.inner.config.retention;
        let count = self.inner.store.prune(before).await?;
        tracing::info!(
            events = count.events,
            quarantined = count.quarantined,
            "retention ran"
        );
        Ok(count)
    }

    /// Ends every open stream (used at shutdown).
    pub fn close_streams(&self) {
        self.inner.closing.send_replace(true);
    }

    /// The HTTP routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/paygent/{shop}/notify", post(notify_handler))
            .route("/health", get(health))
            .route("/v1/events", get(events))
            .route("/v1/stream", get(stream))
            .route("/v1/ack", post(ack))
            .route("/v1/status", get(status))
            .with_state(self.clone())
    }
}

/// The peer's address (IPv4-mapped IPv6 already made IPv4), for the source-IP allow-list.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// The connection's place in the gate, in each request's extensions: a request that
/// authenticates as a desktop frees its connection from the unauthenticated caps.
#[derive(Clone)]
pub(crate) struct ConnSlot(pub(crate) Arc<Slot>);

/// The client's IP: the peer, or, when the peer is a trusted reverse proxy, the
/// `X-Forwarded-For` hop `hops` places from the end (each proxy appends the address it
/// saw). Hops an attacker may have written (further left) are never looked at; a hop that
/// should have been written by a trusted proxy but is missing or does not parse as an IP is
/// refused (`None`) rather than skipped.
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr], hops: usize) -> Option<IpAddr> {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut listed = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        listed.extend(value.to_str().ok()?.split(',').map(str::trim));
    }
    let hops = hops.max(1);
    if listed.len() < hops {
        return None;
    }
    let ours = &listed[listed.len() - hops..];
    let parsed: Vec<IpAddr> = ours
        .iter()
        .map(|hop| hop.parse::<IpAddr>().ok().map(|ip| ip.to_canonical()))
        .collect::<Option<_>>()?;
    parsed.first().copied()
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=us-ascii")],
        body,
    )
        .into_response()
}

/// Paygent's success answer: the body is exactly `result=0` (protocol §6).
fn result_ok() -> Response {
    text(StatusCode::OK, "result=0")
}

fn rejected(
    relay: &Relay,
    status: StatusCode,
    shop: &str,
    remote: IpAddr,
    reason: &str,
) -> Response {
    let kind = match status {
        StatusCode::NOT_FOUND => "notification rejected 404",
        StatusCode::FORBIDDEN => "notification rejected 403",
        StatusCode::PAYLOAD_TOO_LARGE => "notification rejected 413",
        _ => "notification rejected 400",
    };
    if let Some(held) = relay.warnings().allow(kind) {
        tracing::warn!(shop, remote_ip = %remote, status = status.as_u16(), reason, suppressed = held, "notification rejected");
    }
    text(status, "result=1")
}

/// `POST /paygent/{shop}/notify`.
///
/// Order: shop known → source IP allowed → size → form parse → `hc` check → durable write →
/// `result=0`. A record whose `hc` does not verify is quarantined and still answered
/// `result=0` (see README, "Quarantine").
async fn notify_handler(
    State(relay): State<Relay>,
    Path(shop): Path<String>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let config = relay.config();
    let Some(remote) = client_ip(
        peer.ip(),
        &headers,
        &config.trusted_proxies,
        config.proxy_hops,
    ) else {
        return rejected(
            &relay,
            StatusCode::BAD_REQUEST,
            "",
            peer.ip(),
            "X-Forwarded-For from a trusted proxy is missing a hop or has one that is not an IP",
        );
    };
    if !store::valid_shop_id(&shop) {
        return rejected(&relay, StatusCode::NOT_FOUND, "", remote, "invalid shop id");
    }
    let store = relay.inner.store.clone();
    let lookup = shop.clone();
    let record = match store.read(move |c| store::shop(c, &lookup)).await {
        Ok(Some(record)) => record,
        Ok(None) => return rejected(&relay, StatusCode::NOT_FOUND, &shop, remote, "unknown shop"),
        Err(e) => {
            tracing::error!(shop, error = %e, "cannot read shop");
            return text(StatusCode::SERVICE_UNAVAILABLE, "result=1");
        }
    };
    if !record.allowed_ips.is_empty() && !record.allowed_ips.contains(&remote) {
        return rejected(
            &relay,
            StatusCode::FORBIDDEN,
            &shop,
            remote,
            "source IP not allowed",
        );
    }
    let max = config.limits.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return rejected(
            &relay,
            StatusCode::PAYLOAD_TOO_LARGE,
            &shop,
            remote,
            "body too large",
        );
    }
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return rejected(
                &relay,
                StatusCode::PAYLOAD_TOO_LARGE,
                &shop,
                remote,
                "body too large or unreadable",
            );
        }
    };
    let incoming = match notify::parse(&bytes) {
        Ok(n) => n,
        Err(e) => {
            return rejected(
                &relay,
                StatusCode::BAD_REQUEST,
                &shop,
                remote,
                &e.to_string(),
            );
        }
    };
    let received_at = relay.now();
    let notice_id = incoming.payment_notice_id;
    let verified = notify::verify(&incoming, &record.hash_key);
    let paygent_codec::NotificationFields { fields, hc } = incoming.notification;
    if !verified {
        if !relay.quarantine_allowed(remote) {
            // Still result=0 (see README, "Quarantine"); only counted in the log.
            if let Some(held) = relay.warnings().allow("quarantine rate") {
                tracing::warn!(shop, remote_ip = %remote, suppressed = held, "hc mismatch over the per-IP quarantine rate: not stored");
            }
            return result_ok();
        }
        let quarantined = QuarantineRecord {
            shop: shop.clone(),
            payment_notice_id: notice_id.to_string(),
            hc,
            reason: "hc does not verify with the shop's hash key".into(),
            remote_ip: Some(remote.to_string()),
            size: bytes.len(),
            received_at,
        };
        return match store.quarantine(quarantined).await {
            Ok(()) => {
                if let Some(held) = relay.warnings().allow("quarantined") {
                    tracing::warn!(shop, remote_ip = %remote, payment_notice_id = notice_id, suppressed = held, "hc mismatch: notification quarantined");
                }
                result_ok()
            }
            Err(e) => {
                tracing::error!(shop, error = %e, "cannot store quarantined notification");
                text(StatusCode::INTERNAL_SERVER_ERROR, "result=1")
            }
        };
    }
    let trusted = store::TrustedRecord {
        shop: shop.clone(),
        payment_notice_id: notice_id,
        hc,
        fields,
        received_at,
    };
    match store.ingest(trusted).await {
        Ok(IngestOutcome::Stored { seq }) => {
            tracing::info!(
                shop,
                payment_notice_id = notice_id,
                seq,
                "notification stored"
            );
            result_ok()
        }
        Ok(IngestOutcome::Duplicate) => {
            // Paygent's resends, or a replayed genuine body: either way nothing to do.
            if let Some(held) = relay.warnings().allow("duplicate") {
                tracing::info!(
                    shop,
                    payment_notice_id = notice_id,
                    suppressed = held,
                    "resent notification already stored"
                );
            }
            result_ok()
        }
        Err(e) => {
            tracing::error!(shop, payment_notice_id = notice_id, error = %e, "cannot store notification");
            text(StatusCode::INTERNAL_SERVER_ERROR, "result=1")
        }
    }
}

async fn health(State(relay): State<Relay>) -> Response {
    let store = relay.inner.store.clone();
    let readable = store
        .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await
        .is_ok();
    // Not only "can read": the last write must have committed, so a full or failing disk
    // shows here and not only in Paygent's resends.
    let ok = readable && store.writer_alive() && store.last_write_ok();
    let body = Health {
        status: if ok { "ok" } else { "unavailable" }.into(),
        time: relay.now(),
    };
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

/// A desktop that presented a valid bearer token. Every desktop handler takes its shop from
/// here and from nowhere else, so one shop's token cannot read another shop's events.
pub struct AuthedDesktop(pub DesktopRecord);

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
    )
        .into_response()
}

/// Why a desktop request was refused.
pub(crate) enum AuthFailure {
    /// 401: no token, or not a valid one.
    Unauthorized,
    /// 503: the database could not be read.
    Unavailable,
}

impl Relay {
    /// Checks an `Authorization` header value; the desktop row it names, if the token is
    /// valid (SHA-256 compared in constant time).
    pub(crate) async fn authenticate(
        &self,
        authorization: Option<&str>,
    ) -> Result<DesktopRecord, AuthFailure> {
        let token = authorization
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
            .ok_or(AuthFailure::Unauthorized)?;
        let id = token_desktop_id(&token).ok_or(AuthFailure::Unauthorized)?;
        let found = self
            .inner
            .store
            .read(move |c| store::desktop(c, id))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read desktop");
                AuthFailure::Unavailable
            })?;
        match found {
            Some(desktop) if token_matches(&token, &desktop.token_sha256) => Ok(desktop),
            _ => {
                if let Some(held) = self.warnings().allow("desktop token rejected") {
                    tracing::warn!(desktop_id = id, suppressed = held, "desktop token rejected");
                }
                Err(AuthFailure::Unauthorized)
            }
        }
    }
}

impl FromRequestParts<Relay> for AuthedDesktop {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, relay: &Relay) -> Result<Self, Response> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match relay.authenticate(header).await {
            Ok(desktop) => {
                if let Some(ConnSlot(slot)) = parts.extensions.get::<ConnSlot>() {
                    slot.authenticated();
                }
                Ok(AuthedDesktop(desktop))
            }
            Err(AuthFailure::Unauthorized) => Err(unauthorized()),
            Err(AuthFailure::Unavailable) => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

fn store_failure(e: StoreError) -> Response {
    tracing::error!(error = %e, "database read failed");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

/// `GET /v1/events?after=&limit=`: catch-up. Without `after`, from the desktop's stored
/// cursor.
async fn events(
    State(relay): State<Relay>,
    AuthedDesktop(desktop): AuthedDesktop,
    Query(query): Query<EventsQuery>,
) -> Response {
    let after = query.after.unwrap_or(desktop.cursor);
    let limit = query.limit.unwrap_or(PAGE).clamp(1, MAX_LIMIT);
    let shop = desktop.shop.clone();
    let page = relay
        .inner
        .store
        .read(move |c| store::events_after(c, &shop, after, limit + 1))
        .await;
    match page {
        Ok(mut events) => {
            let more = events.len() > limit;
            events.truncate(limit);
            Json(EventsPage { events, more }).into_response()
        }
        Err(e) => store_failure(e),
    }
}

/// `POST /v1/ack {cursor}`.
async fn ack(
    State(relay): State<Relay>,
    AuthedDesktop(desktop): AuthedDesktop,
    Json(body): Json<Ack>,
) -> Response {
    if i64::try_from(body.cursor).is_err() {
        // No seq is that large (SQLite's rowid is an i64).
        return (StatusCode::BAD_REQUEST, "cursor out of range").into_response();
    }
    match relay
        .inner
        .store
        .ack(desktop.id, body.cursor, relay.now())
        .await
    {
        Ok(cursor) => Json(Ack { cursor }).into_response(),
        Err(e) => store_failure(e),
    }
}

/// `GET /v1/status`.
async fn status(State(relay): State<Relay>, AuthedDesktop(desktop): AuthedDesktop) -> Response {
    let shop = desktop.shop.clone();
    match relay
        .inner
        .store
        .read(move |c| store::status(c, &shop))
        .await
    {
        Ok(parts) => Json(ShopStatus {
            shop: desktop.shop,
            desktop: DesktopInfo {
                id: desktop.id,
                name: desktop.name,
                cursor: desktop.cursor,
            },
            last_event_at: parts.last_event_at,
            last_notice_id: parts.last_notice_id,
            quarantined: parts.quarantined,
            quarantine: parts.quarantine,
            gaps: parts.gaps,
        })
        .into_response(),
        Err(e) => store_failure(e),
    }
}

/// `GET /v1/stream`: SSE from `Last-Event-ID`, else `?after=`, else the stored cursor.
async fn stream(
    State(relay): State<Relay>,
    AuthedDesktop(desktop): AuthedDesktop,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Response {
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let cursor = stream_cursor(last_event_id, query.after, desktop.cursor);
    tracing::debug!(desktop_id = desktop.id, cursor, "stream opened");
    let feed = Feed::new(&relay, &desktop, cursor);
    let mut response = Sse::new(feed.into_stream()).into_response();
    // Ask nginx-style proxies not to buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Where a stream starts: `Last-Event-ID`, else `?after=`, else the stored cursor.
pub(crate) fn stream_cursor(last_event_id: Option<&str>, after: Option<u64>, stored: u64) -> u64 {
    last_event_id
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(after)
        .unwrap_or(stored)
}

/// One desktop stream: first the backlog from the database, then live events from the
/// shop's broadcast, with heartbeats in between. If it falls too far behind the broadcast
/// it goes back to the database, so nothing is skipped.
pub(crate) struct Feed {
    relay: Relay,
    shop: String,
    /// The desktop and the token digest it authenticated with: checked again at each
    /// heartbeat, so a revoked or rotated token's stream ends.
    desktop: u64,
    token_sha256: Vec<u8>,
    /// This stream's place among the desktop's open streams, and its end when superseded.
    stream_id: u64,
    superseded: Arc<tokio::sync::Notify>,
    /// Highest seq sent on this stream.
    cursor: u64,
    /// Subscribed before the first database read, so nothing committed in between is lost.
    live: broadcast::Receiver<Arc<RelayEvent>>,
    backlog: VecDeque<Arc<RelayEvent>>,
    catching_up: bool,
    heartbeat: tokio::time::Interval,
    closing: watch::Receiver<bool>,
}

/// What a stream sends next.
pub(crate) enum FeedItem {
    Event(Arc<RelayEvent>),
    Heartbeat(Heartbeat),
}

impl FeedItem {
    fn sse_event(&self) -> sse::Event {
        match self {
            FeedItem::Event(event) => sse::Event::default()
                .id(event.seq().to_string())
                .event(event.kind())
                .data(serde_json::to_string(&**event).unwrap_or_default()),
            FeedItem::Heartbeat(beat) => sse::Event::default()
                .event("heartbeat")
                .data(serde_json::to_string(beat).unwrap_or_default()),
        }
    }

    /// The same message as `text/event-stream` text (the JSON holds no newline).
    pub(crate) fn sse_text(&self) -> String {
        match self {
            FeedItem::Event(event) => format!(
                "id: {}\nevent: {}\ndata: {}\n\n",
                event.seq(),
                event.kind(),
                serde_json::to_string(&**event).unwrap_or_default()
            ),
            FeedItem::Heartbeat(beat) => format!(
                "event: heartbeat\ndata: {}\n\n",
                serde_json::to_string(beat).unwrap_or_default()
            ),
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.relay.close_stream(self.desktop, self.stream_id);
    }
}

impl Feed {
    pub(crate) fn new(relay: &Relay, desktop: &DesktopRecord, cursor: u64) -> Feed {
        let shop = desktop.shop.clone();
        let live = relay.inner.store.hub().subscribe(&shop);
        // A cursor beyond the newest event (a bad Last-Event-ID or ?after=) would filter out
        // every event to come: start at the newest instead.
        let cursor = cursor.min(relay.inner.store.newest_seq());
        let (stream_id, superseded) = relay.open_stream(desktop.id);
        let period = relay.config().heartbeat.max(Duration::from_millis(1));
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Feed {
            relay: relay.clone(),
            shop,
            desktop: desktop.id,
            token_sha256: desktop.token_sha256.clone(),
            cursor,
            live,
            backlog: VecDeque::new(),
            catching_up: true,
            heartbeat,
            closing: relay.inner.closing.subscribe(),
            stream_id,
            superseded,
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<sse::Event, Infallible>> + Send {
        futures_util::stream::unfold(self, |mut feed| async move {
            let item = feed.next().await?;
            Some((Ok(item.sse_event()), feed))
        })
    }

    /// The next item; `None` when the stream must end. Cancel-safe: dropping the future
    /// loses nothing (the cursor moves only when an item is returned).
    pub(crate) async fn next(&mut self) -> Option<FeedItem> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(event) = self.backlog.pop_front() {
                self.cursor = event.seq();
                return Some(FeedItem::Event(event));
            }
            if self.catching_up {
                let (shop, after) = (self.shop.clone(), self.cursor);
                match self
                    .relay
                    .inner
                    .store
                    .read(move |c| store::events_after(c, &shop, after, PAGE))
                    .await
                {
                    Ok(page) if page.is_empty() => self.catching_up = false,
                    Ok(page) => self.backlog = page.into_iter().map(Arc::new).collect(),
                    Err(e) => {
                        tracing::error!(error = %e, "stream cannot read events; closing it");
                        return None;
                    }
                }
                continue;
            }
            tokio::select! {
                biased;
                _ = self.closing.changed() => return None,
                () = self.superseded.notified() => {
                    tracing::info!(desktop_id = self.desktop, "more streams of one desktop than allowed: oldest closed");
                    return None;
                }
                received = self.live.recv() => match received {
                    Ok(event) if event.seq() > self.cursor => {
                        self.cursor = event.seq();
                        return Some(FeedItem::Event(event));
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => self.catching_up = true,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.heartbeat.tick() => {
                    let id = self.desktop;
                    let row = self.relay.inner.store.read(move |c| store::desktop(c, id)).await;
                    match row {
                        Ok(Some(d)) if d.token_sha256 == self.token_sha256 => {}
                        Ok(_) => {
                            tracing::info!(desktop_id = id, "desktop revoked or its token rotated: stream closed");
                            return None;
                        }
                        // A failed read is not a revocation; the next heartbeat looks again.
                        Err(_) => {}
                    }
                    return Some(FeedItem::Heartbeat(Heartbeat { time: self.relay.now() }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("10.0.0.9, 27.110.52.4"),
        );
        let proxy: IpAddr = "127.0.0.1".parse().expect("ip");
        let other: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(
            client_ip(proxy, &headers, &[proxy], 1).map(|ip| ip.to_string()),
            Some("27.110.52.4".into())
        );
        assert_eq!(
            client_ip(proxy, &headers, &[proxy], 2).map(|ip| ip.to_string()),
            Some("10.0.0.9".into())
        );
        assert_eq!(client_ip(other, &headers, &[proxy], 1), Some(other));
        // A trusted proxy that sent no hop, or one that is not an IP: refused, not skipped.
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy], 1), None);
        assert_eq!(client_ip(proxy, &headers, &[proxy], 3), None);
        let mut garbled = HeaderMap::new();
        garbled.insert(
            "x-forwarded-for",
            HeaderValue::from_static("27.110.52.4, unknown"),
        );
        assert_eq!(client_ip(proxy, &garbled, &[proxy], 1), None);
        // An IPv4-mapped peer is its IPv4 address.
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(client_ip(mapped, &headers, &[proxy], 1), Some(other));
    }
}
