//! The relay's SQLite database: one file, WAL, `synchronous=FULL`.
//!
//! Layout: one writer thread owns the only writing connection. Requests reach it through a
//! channel as [`Command`]s; it drains whatever is queued (up to `max_batch`), applies the
//! batch in one transaction, commits (one fsync for the whole batch: group commit), and only
//! then answers each waiting request and publishes the new events to the [`Hub`]. Reads go
//! through a small pool of read-only connections on blocking threads; WAL lets them run
//! beside the writer. Admin functions (`add_shop`, `add_desktop`, `list`) open their own
//! connection, so the CLI works while the server runs.
//!
//! Invariants: an event is published only after its transaction committed; a trusted record
//! is stored once per (shop, payment_notice_id); `seq` is never reused (AUTOINCREMENT), so a
//! desktop's cursor stays valid across retention.

use std::{
    collections::{BTreeMap, HashMap},
    net::IpAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::{
    dto::{GapEvent, MissingRange, PaymentEvent, QuarantineEntry, RelayEvent},
    secret::{DesktopToken, HashKey},
};

/// Versioned schema; `PRAGMA user_version` is the number of entries applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE shops (
    shop TEXT PRIMARY KEY,
    -- Needed in clear to verify hc; the database file is the relay's secret store.
    hash_key TEXT NOT NULL,
    -- Comma-separated source IPs allowed to post notifications; empty = any.
    allowed_ips TEXT NOT NULL DEFAULT '',
    -- Highest trusted payment_notice_id, for gap reports (kept across retention).
    max_notice_id INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE desktops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL REFERENCES shops(shop),
    name TEXT NOT NULL,
    token_sha256 BLOB NOT NULL,
    cursor INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    last_seen_at TEXT
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('payment', 'gap')),
    payment_notice_id INTEGER,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX events_notice ON events(shop, payment_notice_id) WHERE kind = 'payment';
CREATE INDEX events_shop_seq ON events(shop, seq);
CREATE INDEX events_received ON events(received_at);
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL,
    payment_notice_id TEXT NOT NULL,
    hc TEXT NOT NULL,
    reason TEXT NOT NULL,
    remote_ip TEXT,
    fields TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (shop, payment_notice_id, hc)
);
CREATE INDEX quarantine_received ON quarantine(received_at);
"#,
    r#"
-- Quarantine keeps only what diagnosis needs (no fields): a forged body costs a small row.
CREATE TABLE quarantine_slim (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL,
    payment_notice_id TEXT NOT NULL,
    -- The first 16 hex digits of the received hc: enough to tell resends apart.
    hc_digest TEXT NOT NULL,
    reason TEXT NOT NULL,
    remote_ip TEXT,
    size INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (shop, payment_notice_id, hc_digest)
);
INSERT INTO quarantine_slim (shop, payment_notice_id, hc_digest, reason, remote_ip, size, received_at)
    SELECT shop, payment_notice_id, substr(hc, 1, 16), reason, remote_ip, length(fields), received_at
    FROM quarantine ORDER BY id;
DROP TABLE quarantine;
ALTER TABLE quarantine_slim RENAME TO quarantine;
CREATE INDEX quarantine_received ON quarantine(received_at);
CREATE INDEX quarantine_shop ON quarantine(shop, id);
-- Every trusted (shop, payment_notice_id) ever stored, kept past retention, so a body
-- replayed after its event was pruned is still recognised as a resend. About 40 bytes a
-- record: a shop with 10,000 notifications a day adds 150 MB in ten years.
CREATE TABLE seen (
    shop TEXT NOT NULL,
    payment_notice_id INTEGER NOT NULL,
    -- The first 8 bytes of the verified hc, as a number (diagnosis of a replay).
    hc_prefix INTEGER NOT NULL,
    PRIMARY KEY (shop, payment_notice_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO seen (shop, payment_notice_id, hc_prefix)
    SELECT shop, payment_notice_id, 0 FROM events WHERE kind = 'payment';
"#,
    r#"
-- The seen-record's primary key keeps a trusted record to one event: ingest inserts it
-- first, in the event's savepoint, and stores no event when it was there. A second unique
-- index on events wrote one more B-tree page into every commit (measured: 16.0 instead of
-- 13.7 page writes per notification one at a time, and a WAL checkpoint every 87 instead
-- of every 100 notifications: the permanent seen-record's whole extra cost).
DROP INDEX events_notice;
"#,
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored record is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("{0}")]
    Invalid(String),
    #[error("random source: {0}")]
    Random(String),
}

/// Fixed-width UTC text, so that text order is time order in SQL.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Invalid(format!("bad timestamp in database: {e}")))
}

/// Creates the database file readable by its owner only (it holds the shops' hash keys);
/// SQLite gives the `-wal` and `-shm` files the database file's permissions.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Invalid(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// The database, `-wal` and `-shm` files that others than the owner may read (the relay
/// warns about them at start).
pub fn readable_by_others(path: &Path) -> Vec<PathBuf> {
    let mut open = Vec::new();
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        if let Ok(meta) = std::fs::metadata(&file)
            && meta.permissions().mode() & 0o077 != 0
        {
            open.push(file);
        }
    }
    open
}

/// Opens (creating if needed) the database and brings its schema up to date.
pub fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    create_private(path)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(&conn)?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let version = usize::try_from(version).unwrap_or(0);
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// A shop as the notification endpoint needs it.
#[derive(Debug, Clone)]
pub struct ShopRecord {
    pub shop: String,
    pub hash_key: HashKey,
    pub allowed_ips: Vec<IpAddr>,
}

/// A desktop as the desktop API needs it.
#[derive(Debug, Clone)]
pub struct DesktopRecord {
    pub id: u64,
    pub shop: String,
    pub name: String,
    pub token_sha256: Vec<u8>,
    pub cursor: u64,
}

/// A notification whose hc verified, ready to store.
#[derive(Debug, Clone)]
pub struct TrustedRecord {
    pub shop: String,
    pub payment_notice_id: u64,
    /// The verified hc, whose first 8 bytes the permanent seen-record keeps.
    pub hc: String,
    /// Decoded fields without `hc`.
    pub fields: BTreeMap<String, String>,
    pub received_at: DateTime<Utc>,
}

/// A notification whose hc did not verify.
#[derive(Debug, Clone)]
pub struct QuarantineRecord {
    pub shop: String,
    pub payment_notice_id: String,
    /// The received hc (only its first 16 hex digits are kept).
    pub hc: String,
    pub reason: String,
    pub remote_ip: Option<String>,
    /// The body's size in bytes.
    pub size: usize,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    Stored {
        seq: u64,
    },
    /// A resend of a record already stored.
    Duplicate,
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Command {
    Ingest(TrustedRecord, Reply<IngestOutcome>),
    Quarantine(QuarantineRecord, Reply<()>),
    Ack {
        desktop: u64,
        cursor: u64,
        seen_at: DateTime<Utc>,
        reply: Reply<u64>,
    },
    Prune {
        before: DateTime<Utc>,
        reply: Reply<PruneCount>,
    },
}

/// Rows deleted by retention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneCount {
    pub events: u64,
    pub quarantined: u64,
}

/// Per-shop broadcast of committed events to the open streams.
#[derive(Default)]
pub struct Hub {
    shops: Mutex<HashMap<String, broadcast::Sender<Arc<RelayEvent>>>>,
}

/// Events a stream may fall behind by before it goes back to reading the database.
const HUB_CAPACITY: usize = 4096;

impl Hub {
    pub fn subscribe(&self, shop: &str) -> broadcast::Receiver<Arc<RelayEvent>> {
        let mut shops = self.shops.lock().unwrap_or_else(|e| e.into_inner());
        shops
            .entry(shop.to_string())
            .or_insert_with(|| broadcast::channel(HUB_CAPACITY).0)
            .subscribe()
    }

    fn publish(&self, events: Vec<RelayEvent>) {
        let shops = self.shops.lock().unwrap_or_else(|e| e.into_inner());
        for event in events {
            if let Some(tx) = shops.get(event.shop()) {
                // No receiver is fine: nobody is connected.
                let _ = tx.send(Arc::new(event));
            }
        }
    }
}

/// Handle to the database: the writer's channel and the read pool.
pub struct Store {
    path: PathBuf,
    writer: mpsc::Sender<Command>,
    readers: Mutex<Vec<Connection>>,
    /// Bounds concurrent reads (each one beyond the pool opens a connection: file
    /// descriptors and blocking threads).
    reading: tokio::sync::Semaphore,
    hub: Arc<Hub>,
    shared: Arc<WriterState>,
}

/// What the writer publishes about itself.
struct WriterState {
    /// The highest `seq` committed (0 before the first event).
    newest_seq: AtomicU64,
    /// Whether the last write (a command or its commit) succeeded; `/health` reports it.
    last_write_ok: AtomicBool,
}

/// Read connections kept open for reuse, and reads running at once.
const READ_POOL: usize = 8;

/// How the writer applies the limits.
#[derive(Debug, Clone, Copy)]
pub struct WriterLimits {
    pub max_batch: usize,
    pub quarantine_per_shop: usize,
}

impl Store {
    /// Opens the database and starts the writer thread.
    pub fn open(path: &Path, limits: WriterLimits) -> Result<Self, StoreError> {
        let conn = open_connection(path)?;
        let newest: i64 = conn
            .query_row(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let shared = Arc::new(WriterState {
            newest_seq: AtomicU64::new(u64::try_from(newest).unwrap_or(0)),
            last_write_ok: AtomicBool::new(true),
        });
        let hub = Arc::new(Hub::default());
        let (tx, rx) = mpsc::channel(64 * 1024);
        let (writer_hub, writer_shared) = (hub.clone(), shared.clone());
        std::thread::Builder::new()
            .name("relay-db-writer".into())
            .spawn(move || run_writer(conn, rx, writer_hub, writer_shared, limits))
            .map_err(|e| StoreError::Invalid(format!("cannot start writer thread: {e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: tx,
            readers: Mutex::new(Vec::new()),
            reading: tokio::sync::Semaphore::new(READ_POOL),
            hub,
            shared,
        })
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub fn writer_alive(&self) -> bool {
        !self.writer.is_closed()
    }

    /// Whether the last write committed (false from a failed command or commit until the
    /// next write succeeds).
    pub fn last_write_ok(&self) -> bool {
        self.shared.last_write_ok.load(Ordering::SeqCst)
    }

    /// The highest event `seq` committed so far.
    pub fn newest_seq(&self) -> u64 {
        self.shared.newest_seq.load(Ordering::SeqCst)
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(make(tx))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Stores a trusted record durably; returns once committed.
    pub async fn ingest(&self, record: TrustedRecord) -> Result<IngestOutcome, StoreError> {
        self.call(|reply| Command::Ingest(record, reply)).await
    }

    /// Keeps an untrusted record for the shop's security warning; returns once committed.
    pub async fn quarantine(&self, record: QuarantineRecord) -> Result<(), StoreError> {
        self.call(|reply| Command::Quarantine(record, reply)).await
    }

    /// Moves a desktop's cursor forward (never back); returns the stored cursor.
    pub async fn ack(
        &self,
        desktop: u64,
        cursor: u64,
        seen_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.call(|reply| Command::Ack {
            desktop,
            cursor,
            seen_at,
            reply,
        })
        .await
    }

    /// Deletes events and quarantined records received before `before`.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<PruneCount, StoreError> {
        self.call(|reply| Command::Prune { before, reply }).await
    }

    /// Runs `f` on a read connection on a blocking thread.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let _permit = self
            .reading
            .acquire()
            .await
            .map_err(|_| StoreError::Invalid("read pool closed".into()))?;
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|_| StoreError::Invalid("read task failed".into()))?
    }

    fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = Connection::open(&self.path)?;
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                conn.pragma_update(None, "query_only", "ON")?;
                conn
            }
        };
        let result = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < READ_POOL {
            pool.push(conn);
        }
        result
    }
}

fn run_writer(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Command>,
    hub: Arc<Hub>,
    shared: Arc<WriterState>,
    limits: WriterLimits,
) {
    let max_batch = limits.max_batch.max(1);
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(command) => batch.push(command),
                Err(_) => break,
            }
        }
        apply_batch(&mut conn, &mut batch, &hub, &shared, limits);
    }
}

/// What to do once the batch's transaction is decided.
enum Pending {
    Ingest(Reply<IngestOutcome>, Result<IngestOutcome, StoreError>),
    Quarantine(Reply<()>, Result<(), StoreError>),
    Ack(Reply<u64>, Result<u64, StoreError>),
    Prune(Reply<PruneCount>, Result<PruneCount, StoreError>),
}

fn apply_batch(
    conn: &mut Connection,
    batch: &mut Vec<Command>,
    hub: &Hub,
    shared: &WriterState,
    limits: WriterLimits,
) {
    let mut pending = Vec::with_capacity(batch.len());
    let mut published = Vec::new();
    let mut all_ok = true;
    let tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => {
            shared.last_write_ok.store(false, Ordering::SeqCst);
            tracing::error!(error = %e, "cannot begin transaction");
            fail_all(batch.drain(..));
            return;
        }
    };
    for command in batch.drain(..) {
        // A savepoint per command: one failing command does not take the batch down.
        if let Err(e) = tx.execute_batch("SAVEPOINT command") {
            tracing::error!(error = %e, "cannot open savepoint");
            fail_all(std::iter::once(command));
            continue;
        }
        let sp = &*tx;
        let mut events = Vec::new();
        let entry = match command {
            Command::Ingest(record, reply) => {
                Pending::Ingest(reply, ingest(sp, record, &mut events))
            }
            Command::Quarantine(record, reply) => {
                Pending::Quarantine(reply, quarantine(sp, &record, limits.quarantine_per_shop))
            }
            Command::Ack {
                desktop,
                cursor,
                seen_at,
                reply,
            } => Pending::Ack(reply, ack(sp, desktop, cursor, seen_at)),
            Command::Prune { before, reply } => Pending::Prune(reply, prune(sp, before)),
        };
        let (ok, sick) = match &entry {
            Pending::Ingest(_, r) => (r.is_ok(), database_failed(r)),
            Pending::Quarantine(_, r) => (r.is_ok(), database_failed(r)),
            Pending::Ack(_, r) => (r.is_ok(), database_failed(r)),
            Pending::Prune(_, r) => (r.is_ok(), database_failed(r)),
        };
        all_ok &= !sick;
        if ok {
            published.append(&mut events);
        } else if let Err(e) = tx.execute_batch("ROLLBACK TO command") {
            tracing::error!(error = %e, "cannot roll back savepoint");
        }
        if let Err(e) = tx.execute_batch("RELEASE command") {
            tracing::error!(error = %e, "cannot release savepoint");
        }
        pending.push(entry);
    }
    match tx.commit() {
        Ok(()) => {
            shared.last_write_ok.store(all_ok, Ordering::SeqCst);
            if let Some(newest) = published.iter().map(RelayEvent::seq).max() {
                shared.newest_seq.fetch_max(newest, Ordering::SeqCst);
            }
            hub.publish(published);
            for entry in pending {
                match entry {
                    Pending::Ingest(reply, r) => drop(reply.send(r)),
                    Pending::Quarantine(reply, r) => drop(reply.send(r)),
                    Pending::Ack(reply, r) => drop(reply.send(r)),
                    Pending::Prune(reply, r) => drop(reply.send(r)),
                }
            }
        }
        Err(e) => {
            shared.last_write_ok.store(false, Ordering::SeqCst);
            tracing::error!(error = %e, "commit failed; batch not stored");
            let gone = || StoreError::Invalid("commit failed".into());
            for entry in pending {
                match entry {
                    Pending::Ingest(reply, _) => drop(reply.send(Err(gone()))),
                    Pending::Quarantine(reply, _) => drop(reply.send(Err(gone()))),
                    Pending::Ack(reply, _) => drop(reply.send(Err(gone()))),
                    Pending::Prune(reply, _) => drop(reply.send(Err(gone()))),
                }
            }
        }
    }
}

/// Whether a command failed in the database itself (a full disk, I/O, a failing
/// constraint or trigger), which `/health` reports, rather than for its own reasons (a
/// desktop deleted meanwhile, a number out of range).
fn database_failed<T>(result: &Result<T, StoreError>) -> bool {
    matches!(
        result,
        Err(StoreError::Sqlite(e)) if !matches!(e, rusqlite::Error::QueryReturnedNoRows)
    )
}

fn fail_all(commands: impl Iterator<Item = Command>) {
    let gone = || StoreError::Invalid("transaction failed".into());
    for command in commands {
        match command {
            Command::Ingest(_, reply) => drop(reply.send(Err(gone()))),
            Command::Quarantine(_, reply) => drop(reply.send(Err(gone()))),
            Command::Ack { reply, .. } => drop(reply.send(Err(gone()))),
            Command::Prune { reply, .. } => drop(reply.send(Err(gone()))),
        }
    }
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Invalid("number out of range".into()))
}

fn insert_event(
    conn: &Connection,
    event: &mut RelayEvent,
    notice: Option<u64>,
) -> Result<(), StoreError> {
    let received_at = match event {
        RelayEvent::Payment(e) => e.received_at,
        RelayEvent::Gap(e) => e.received_at,
    };
    let body = serde_json::to_string(&*event)?;
    conn.prepare_cached(
        "INSERT INTO events (shop, kind, payment_notice_id, body, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        event.shop(),
        event.kind(),
        notice.map(to_i64).transpose()?,
        body,
        timestamp(received_at)
    ])?;
    let seq = u64::try_from(conn.last_insert_rowid()).unwrap_or(0);
    event.set_seq(seq);
    Ok(())
}

fn ingest(
    conn: &Connection,
    record: TrustedRecord,
    events: &mut Vec<RelayEvent>,
) -> Result<IngestOutcome, StoreError> {
    let notice = to_i64(record.payment_notice_id)?;
    // The permanent record, not the events: those are pruned after the retention period.
    let first_seen = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO seen (shop, payment_notice_id, hc_prefix) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![record.shop, notice, hc_prefix(&record.hc)])?;
    if first_seen == 0 {
        return Ok(IngestOutcome::Duplicate);
    }
    let max: Option<Option<i64>> = conn
        .prepare_cached("SELECT max_notice_id FROM shops WHERE shop = ?1")?
        .query_row(params![record.shop], |r| r.get(0))
        .optional()?;
    let Some(max) = max else {
        return Err(StoreError::Invalid("unknown shop".into()));
    };
    if let Some(max) = max {
        if notice > max.saturating_add(1) {
            let mut gap = RelayEvent::Gap(GapEvent {
                seq: 0,
                shop: record.shop.clone(),
                after_notice_id: u64::try_from(max).unwrap_or(0),
                before_notice_id: record.payment_notice_id,
                received_at: record.received_at,
            });
            insert_event(conn, &mut gap, None)?;
            events.push(gap);
        }
    }
    if max.is_none_or(|m| notice > m) {
        conn.prepare_cached("UPDATE shops SET max_notice_id = ?2 WHERE shop = ?1")?
            .execute(params![record.shop, notice])?;
    }
    let field = |name: &str| record.fields.get(name).cloned().unwrap_or_default();
    let amount = field("payment_amount");
    let payment_amount = if !amount.is_empty() && amount.bytes().all(|b| b.is_ascii_digit()) {
        amount.parse().ok()
    } else {
        None
    };
    let mut event = RelayEvent::Payment(PaymentEvent {
        seq: 0,
        shop: record.shop.clone(),
        payment_notice_id: record.payment_notice_id,
        payment_id: field("payment_id"),
        trading_id: field("trading_id"),
        payment_type: field("payment_type"),
        payment_status: field("payment_status"),
        payment_amount,
        received_at: record.received_at,
        fields: record.fields,
    });
    insert_event(conn, &mut event, Some(record.payment_notice_id))?;
    let seq = event.seq();
    events.push(event);
    Ok(IngestOutcome::Stored { seq })
}

/// The first 8 bytes of a 64-hex hc as a number (0 if it is not hex).
fn hc_prefix(hc: &str) -> i64 {
    hc.get(..16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .map_or(0, |v| v as i64)
}

fn quarantine(
    conn: &Connection,
    record: &QuarantineRecord,
    per_shop: usize,
) -> Result<(), StoreError> {
    let digest: String = record.hc.chars().take(16).collect();
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO quarantine (shop, payment_notice_id, hc_digest, reason, remote_ip, size, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            record.shop,
            record.payment_notice_id,
            digest,
            record.reason,
            record.remote_ip,
            record.size as i64,
            timestamp(record.received_at)
        ])?;
    if inserted > 0 {
        // The per-shop cap: the oldest go first.
        conn.prepare_cached(
            "DELETE FROM quarantine WHERE shop = ?1 AND id <= (
                 SELECT id FROM quarantine WHERE shop = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![record.shop, per_shop as i64])?;
    }
    Ok(())
}

fn ack(
    conn: &Connection,
    desktop: u64,
    cursor: u64,
    seen_at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let id = to_i64(desktop)?;
    // Never back, and never beyond the newest event: a cursor past it would hide the
    // events still to come from this desktop's stream.
    conn.prepare_cached(
        "UPDATE desktops SET cursor = MAX(cursor, MIN(?2,
             COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))),
             last_seen_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, to_i64(cursor)?, timestamp(seen_at)])?;
    let stored: i64 = conn
        .prepare_cached("SELECT cursor FROM desktops WHERE id = ?1")?
        .query_row(params![id], |r| r.get(0))?;
    Ok(u64::try_from(stored).unwrap_or(0))
}

fn prune(conn: &Connection, before: DateTime<Utc>) -> Result<PruneCount, StoreError> {
    let before = timestamp(before);
    let events = conn.execute("DELETE FROM events WHERE received_at < ?1", params![before])?;
    let quarantined = conn.execute(
        "DELETE FROM quarantine WHERE received_at < ?1",
        params![before],
    )?;
    Ok(PruneCount {
        events: events as u64,
        quarantined: quarantined as u64,
    })
}

// ---- Reads (run on a read connection) ----

fn parse_ips(text: &str) -> Vec<IpAddr> {
    text.split(',')
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect()
}

pub fn shop(conn: &Connection, shop: &str) -> Result<Option<ShopRecord>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT hash_key, allowed_ips FROM shops WHERE shop = ?1")?
        .query_row(params![shop], |r| {
            Ok(ShopRecord {
                shop: shop.to_string(),
                hash_key: HashKey::new(r.get::<_, String>(0)?),
                allowed_ips: parse_ips(&r.get::<_, String>(1)?),
            })
        })
        .optional()?)
}

pub fn desktop(conn: &Connection, id: u64) -> Result<Option<DesktopRecord>, StoreError> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    Ok(conn
        .prepare_cached("SELECT shop, name, token_sha256, cursor FROM desktops WHERE id = ?1")?
        .query_row(params![id], |r| {
            Ok(DesktopRecord {
                id: u64::try_from(id).unwrap_or(0),
                shop: r.get(0)?,
                name: r.get(1)?,
                token_sha256: r.get(2)?,
                cursor: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })
        .optional()?)
}

/// Events of `shop` with seq > `after`, oldest first, at most `limit`.
pub fn events_after(
    conn: &Connection,
    shop: &str,
    after: u64,
    limit: usize,
) -> Result<Vec<RelayEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, body FROM events WHERE shop = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![shop, i64::try_from(after).unwrap_or(i64::MAX), limit as i64],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )?;
    let mut events = Vec::new();
    for row in rows {
        let (seq, body) = row?;
        let mut event: RelayEvent = serde_json::from_str(&body)?;
        event.set_seq(u64::try_from(seq).unwrap_or(0));
        events.push(event);
    }
    Ok(events)
}

/// The shop's status for `GET /v1/status`, without the desktop part.
pub struct StatusParts {
    pub last_event_at: Option<DateTime<Utc>>,
    pub last_notice_id: Option<u64>,
    pub quarantined: u64,
    pub quarantine: Vec<QuarantineEntry>,
    pub gaps: Vec<MissingRange>,
}

/// Gap events looked at for the missing-id report.
const GAPS_REPORTED: i64 = 100;
/// Recent quarantined records listed.
const QUARANTINE_LISTED: i64 = 20;

pub fn status(conn: &Connection, shop: &str) -> Result<StatusParts, StoreError> {
    let last_event_at: Option<String> = conn
        .prepare_cached(
            "SELECT received_at FROM events WHERE shop = ?1 AND kind = 'payment' ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(params![shop], |r| r.get(0))
        .optional()?;
    let last_notice_id: Option<i64> = conn
        .prepare_cached("SELECT max_notice_id FROM shops WHERE shop = ?1")?
        .query_row(params![shop], |r| r.get(0))
        .optional()?
        .flatten();
    let quarantined: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM quarantine WHERE shop = ?1")?
        .query_row(params![shop], |r| r.get(0))?;
    let mut quarantine = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, received_at, payment_notice_id, reason, remote_ip FROM quarantine
             WHERE shop = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![shop, QUARANTINE_LISTED], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        for row in rows {
            let (id, at, notice, reason, ip) = row?;
            quarantine.push(QuarantineEntry {
                id: u64::try_from(id).unwrap_or(0),
                received_at: parse_timestamp(&at)?,
                payment_notice_id: notice,
                reason,
                remote_ip: ip,
            });
        }
    }
    let mut gaps = Vec::new();
    let mut bounds = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT body FROM events WHERE shop = ?1 AND kind = 'gap' ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![shop, GAPS_REPORTED], |r| r.get::<_, String>(0))?;
        for row in rows {
            if let RelayEvent::Gap(g) = serde_json::from_str(&row?)? {
                bounds.push((g.after_notice_id, g.before_notice_id));
            }
        }
    }
    bounds.sort_unstable();
    let mut present_stmt = conn.prepare_cached(
        "SELECT payment_notice_id FROM seen WHERE shop = ?1
         AND payment_notice_id > ?2 AND payment_notice_id < ?3 ORDER BY payment_notice_id",
    )?;
    for (after, before) in bounds {
        let mut next_missing = after + 1;
        let present = present_stmt
            .query_map(params![shop, to_i64(after)?, to_i64(before)?], |r| {
                r.get::<_, i64>(0)
            })?;
        for id in present {
            let id = u64::try_from(id?).unwrap_or(0);
            if id > next_missing {
                gaps.push(MissingRange {
                    first: next_missing,
                    last: id - 1,
                });
            }
            next_missing = id + 1;
        }
        if next_missing < before {
            gaps.push(MissingRange {
                first: next_missing,
                last: before - 1,
            });
        }
    }
    Ok(StatusParts {
        last_event_at: last_event_at.as_deref().map(parse_timestamp).transpose()?,
        last_notice_id: last_notice_id.and_then(|v| u64::try_from(v).ok()),
        quarantined: u64::try_from(quarantined).unwrap_or(0),
        quarantine,
        gaps,
    })
}

// ---- Administration (CLI and tests; own connection) ----

/// A shop id: 1–64 of `A-Z a-z 0-9 _ -`, so it can sit in a URL path as it is.
pub fn valid_shop_id(shop: &str) -> bool {
    (1..=64).contains(&shop.len())
        && shop
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Registers a shop (or replaces its hash key and allow-list).
pub fn add_shop(
    path: &Path,
    shop: &str,
    hash_key: &HashKey,
    allowed_ips: &[IpAddr],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    save_shop(path, shop, hash_key, AllowList::Set(allowed_ips), now)
}

/// What `save_shop` does with a shop's source-IP allow-list.
#[derive(Debug, Clone, Copy)]
pub enum AllowList<'a> {
    /// A new shop gets none (any source); an existing one keeps its list.
    Keep,
    /// Replace it with these addresses (empty: any source).
    Set(&'a [IpAddr]),
}

/// Registers a shop or replaces its hash key; the allow-list as `allow` says.
pub fn save_shop(
    path: &Path,
    shop: &str,
    hash_key: &HashKey,
    allow: AllowList<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !valid_shop_id(shop) {
        return Err(StoreError::Invalid(
            "shop id must be 1-64 characters of A-Z a-z 0-9 _ -".into(),
        ));
    }
    if hash_key.expose().is_empty() {
        return Err(StoreError::Invalid("hash key is empty".into()));
    }
    let conn = open_connection(path)?;
    let ips = match allow {
        AllowList::Keep => None,
        AllowList::Set(ips) => Some(
            ips.iter()
                .map(|ip| ip.to_canonical().to_string())
                .collect::<Vec<_>>()
                .join(","),
        ),
    };
    conn.execute(
        "INSERT INTO shops (shop, hash_key, allowed_ips, created_at) VALUES (?1, ?2, COALESCE(?3, ''), ?4)
         ON CONFLICT (shop) DO UPDATE SET hash_key = excluded.hash_key,
             allowed_ips = COALESCE(?3, allowed_ips)",
        params![shop, hash_key.expose(), ips, timestamp(now)],
    )?;
    Ok(())
}

/// Deletes a desktop: its token stops working at once and its open stream ends within a
/// heartbeat. Returns false if there was no such desktop.
pub fn revoke_desktop(path: &Path, id: u64) -> Result<bool, StoreError> {
    let conn = open_connection(path)?;
    Ok(conn.execute("DELETE FROM desktops WHERE id = ?1", params![to_i64(id)?])? > 0)
}

/// Gives a desktop a new token (shown once) and keeps its cursor; the old token stops
/// working at once and an open stream on it ends within a heartbeat.
pub fn rotate_desktop(path: &Path, id: u64) -> Result<Option<DesktopToken>, StoreError> {
    let conn = open_connection(path)?;
    let token = DesktopToken::generate(id).map_err(|e| StoreError::Random(e.to_string()))?;
    let changed = conn.execute(
        "UPDATE desktops SET token_sha256 = ?2 WHERE id = ?1",
        params![to_i64(id)?, token.digest().as_slice()],
    )?;
    Ok((changed > 0).then_some(token))
}

/// One quarantined record as the operator's `quarantine` command lists it.
#[derive(Debug, Clone)]
pub struct QuarantineRow {
    pub id: u64,
    pub shop: String,
    pub payment_notice_id: String,
    pub hc_digest: String,
    pub reason: String,
    pub remote_ip: Option<String>,
    pub size: u64,
    pub received_at: String,
}

/// Quarantined records, newest first, of one shop or all.
pub fn quarantine_list(path: &Path, shop: Option<&str>) -> Result<Vec<QuarantineRow>, StoreError> {
    let conn = open_connection(path)?;
    let mut stmt = conn.prepare(
        "SELECT id, shop, payment_notice_id, hc_digest, reason, remote_ip, size, received_at
         FROM quarantine WHERE ?1 IS NULL OR shop = ?1 ORDER BY id DESC",
    )?;
    let rows = stmt.query_map(params![shop], |r| {
        Ok(QuarantineRow {
            id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
            shop: r.get(1)?,
            payment_notice_id: r.get(2)?,
            hc_digest: r.get(3)?,
            reason: r.get(4)?,
            remote_ip: r.get(5)?,
            size: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
            received_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes the quarantined records of one shop or all; returns how many.
pub fn quarantine_clear(path: &Path, shop: Option<&str>) -> Result<u64, StoreError> {
    let conn = open_connection(path)?;
    let n = conn.execute(
        "DELETE FROM quarantine WHERE ?1 IS NULL OR shop = ?1",
        params![shop],
    )?;
    Ok(n as u64)
}

/// Registers a desktop of `shop` and returns its id and token (shown once, stored hashed).
pub fn add_desktop(
    path: &Path,
    shop: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(u64, DesktopToken), StoreError> {
    let mut conn = open_connection(path)?;
    let tx = conn.transaction()?;
    let known = tx
        .prepare("SELECT 1 FROM shops WHERE shop = ?1")?
        .exists(params![shop])?;
    if !known {
        return Err(StoreError::Invalid(format!(
            "no shop {shop:?}; add it first"
        )));
    }
    tx.execute(
        "INSERT INTO desktops (shop, name, token_sha256, created_at) VALUES (?1, ?2, x'', ?3)",
        params![shop, name, timestamp(now)],
    )?;
    let id = u64::try_from(tx.last_insert_rowid()).unwrap_or(0);
    let token = DesktopToken::generate(id).map_err(|e| StoreError::Random(e.to_string()))?;
    tx.execute(
        "UPDATE desktops SET token_sha256 = ?2 WHERE id = ?1",
        params![to_i64(id)?, token.digest().as_slice()],
    )?;
    tx.commit()?;
    Ok((id, token))
}

/// One line per shop and desktop, without secrets.
#[derive(Debug, Clone)]
pub struct Listing {
    pub shops: Vec<(String, Vec<IpAddr>, Option<u64>)>,
    /// (id, shop, name, cursor, last_seen_at)
    pub desktops: Vec<(u64, String, String, u64, Option<String>)>,
}

pub fn list(path: &Path) -> Result<Listing, StoreError> {
    let conn = open_connection(path)?;
    let mut shops = Vec::new();
    let mut stmt =
        conn.prepare("SELECT shop, allowed_ips, max_notice_id FROM shops ORDER BY shop")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<i64>>(2)?,
        ))
    })? {
        let (shop, ips, max) = row?;
        shops.push((
            shop,
            parse_ips(&ips),
            max.and_then(|m| u64::try_from(m).ok()),
        ));
    }
    let mut desktops = Vec::new();
    let mut stmt =
        conn.prepare("SELECT id, shop, name, cursor, last_seen_at FROM desktops ORDER BY id")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })? {
        let (id, shop, name, cursor, seen) = row?;
        desktops.push((
            u64::try_from(id).unwrap_or(0),
            shop,
            name,
            u64::try_from(cursor).unwrap_or(0),
            seen,
        ));
    }
    Ok(Listing { shops, desktops })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(notice: u64) -> TrustedRecord {
        TrustedRecord {
            shop: "shop".into(),
            payment_notice_id: notice,
            hc: "ab".repeat(32),
            fields: BTreeMap::from([("payment_id".to_owned(), format!("{notice:012}"))]),
            received_at: Utc::now(),
        }
    }

    /// A database written before the events unique index was dropped keeps every record it
    /// holds and still stores each (shop, payment_notice_id) once: the seen-record's key
    /// alone decides, and nothing writes the dropped index any more.
    #[tokio::test]
    async fn a_database_from_before_migration_3_keeps_its_records_and_refuses_their_resends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("relay.db");
        {
            let conn = Connection::open(&path).expect("open");
            for (index, sql) in MIGRATIONS.iter().enumerate().take(2) {
                conn.execute_batch(sql).expect("migration");
                conn.pragma_update(None, "user_version", (index + 1) as i64)
                    .expect("version");
            }
        }
        add_shop(&path, "shop", &HashKey::new("key"), &[], Utc::now()).expect("shop");
        let limits = WriterLimits {
            max_batch: 16,
            quarantine_per_shop: 16,
        };
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute(
                "INSERT INTO events (shop, kind, payment_notice_id, body, received_at)
                 VALUES ('shop', 'payment', 1, '{}', '2026-01-01T00:00:00.000000Z')",
                [],
            )
            .expect("an event from before");
            conn.execute(
                "INSERT INTO seen (shop, payment_notice_id, hc_prefix) VALUES ('shop', 1, 0)",
                [],
            )
            .expect("its seen-record");
        }
        let store = Store::open(&path, limits).expect("migrated");
        let indexes: Vec<String> = {
            let conn = Connection::open(&path).expect("open");
            let mut stmt = conn
                .prepare("SELECT name FROM pragma_index_list('events')")
                .expect("index list");
            stmt.query_map([], |r| r.get(0))
                .expect("indexes")
                .collect::<Result<_, _>>()
                .expect("names")
        };
        assert!(!indexes.iter().any(|i| i == "events_notice"), "{indexes:?}");
        assert_eq!(
            store.ingest(record(1)).await.expect("resend"),
            IngestOutcome::Duplicate
        );
        assert!(matches!(
            store.ingest(record(2)).await.expect("new"),
            IngestOutcome::Stored { .. }
        ));
        assert_eq!(
            store.ingest(record(2)).await.expect("resend"),
            IngestOutcome::Duplicate
        );
        let count = |sql: &str| -> i64 {
            Connection::open(&path)
                .expect("open")
                .query_row(sql, [], |r| r.get(0))
                .expect("count")
        };
        assert_eq!(
            count("SELECT COUNT(*) FROM events WHERE kind = 'payment'"),
            2
        );
        assert_eq!(count("SELECT COUNT(*) FROM seen"), 2);
    }
}
