//! The running simulator: the ledger behind a lock, the clock, the rules, the fault plan,
//! persistence and the due work (batch changes and notification pushes).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::SimClock;
use crate::faults::FaultPlan;
use crate::ledger::Ledger;
use crate::notice::PushJob;
use crate::rules::GatewayRules;

/// Errors of the simulator's own I/O.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Reading or writing the state file.
    #[error("state file {path}: {source}")]
    State {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The state file is not a snapshot this version understands.
    #[error("state file {path} is not a valid snapshot: {message}")]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The snapshot file's content.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    /// Format version.
    version: u32,
    /// The clock offset, so a resumed demo continues at the same simulated time.
    clock_offset_seconds: i64,
    /// Everything else.
    ledger: Ledger,
}

const SNAPSHOT_VERSION: u32 = 1;

struct Shared {
    ledger: Mutex<Ledger>,
    clock: SimClock,
    rules: GatewayRules,
    faults: Mutex<FaultPlan>,
    state_path: Option<PathBuf>,
    dirty: AtomicBool,
    /// Serializes due work, so the ticker and `POST /control/tick` never push twice.
    due_work: tokio::sync::Mutex<()>,
    /// Merchants with an un-id'd 091 in flight (9004 on concurrent calls).
    inquiries_in_flight: Mutex<HashSet<String>>,
    http: reqwest::Client,
    tick_interval: Option<std::time::Duration>,
}

/// What one run of due work did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TickReport {
    /// The simulated time it ran at.
    pub now: DateTime<Utc>,
    /// Payments changed by a cart capture or a lapse.
    pub status_changes: usize,
    /// Push attempts made.
    pub push_attempts: usize,
    /// Of which delivered.
    pub pushes_delivered: usize,
}

/// A handle to the simulator; clones share the same state.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Options for a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The rules.
    pub rules: GatewayRules,
    /// Where the snapshot is kept; `None` = in memory only.
    pub state_path: Option<PathBuf>,
    /// How often the background ticker runs due work; `None` = only `POST /control/tick`.
    pub tick_interval: Option<std::time::Duration>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            rules: GatewayRules::default(),
            state_path: None,
            tick_interval: Some(std::time::Duration::from_secs(1)),
        }
    }
}

/// The simulated time as the workspace's clock: the demo and tests run PayDesk on it, so
/// moving the simulated time moves PayDesk's too.
impl clock::Clock for Simulator {
    fn now(&self) -> DateTime<Utc> {
        Simulator::now(self)
    }
}

impl Simulator {
    /// An in-memory simulator with the default rules and a 1-second ticker.
    pub fn new() -> Simulator {
        Simulator::with_ledger(Ledger::new(), SimClock::new(), SimOptions::default())
    }

    /// A simulator with options; loads the state file when it exists.
    pub fn open(options: SimOptions) -> Result<Simulator, SimError> {
        let (ledger, clock) = match &options.state_path {
            Some(path) if path.exists() => load(path)?,
            _ => (Ledger::new(), SimClock::new()),
        };
        Ok(Simulator::with_ledger(ledger, clock, options))
    }

    fn with_ledger(ledger: Ledger, clock: SimClock, options: SimOptions) -> Simulator {
        let http = reqwest::Client::builder()
            .timeout(options.rules.notification_push_timeout)
            .build()
            .unwrap_or_default();
        Simulator {
            shared: Arc::new(Shared {
                ledger: Mutex::new(ledger),
                clock,
                rules: options.rules,
                faults: Mutex::new(FaultPlan::default()),
                state_path: options.state_path,
                dirty: AtomicBool::new(false),
                due_work: tokio::sync::Mutex::new(()),
                inquiries_in_flight: Mutex::new(HashSet::new()),
                http,
                tick_interval: options.tick_interval,
            }),
        }
    }

    /// The clock.
    pub fn clock(&self) -> &SimClock {
        &self.shared.clock
    }

    /// The rules.
    pub fn rules(&self) -> &GatewayRules {
        &self.shared.rules
    }

    /// The simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// The ticker interval.
    pub fn tick_interval(&self) -> Option<std::time::Duration> {
        self.shared.tick_interval
    }

    /// Runs `f` on the ledger at the current simulated time and marks the state dirty.
    pub fn update<R>(&self, f: impl FnOnce(&mut Ledger, DateTime<Utc>, &GatewayRules) -> R) -> R {
        let now = self.now();
        let result = {
            let mut ledger = lock(&self.shared.ledger);
            f(&mut ledger, now, &self.shared.rules)
        };
        self.shared.dirty.store(true, Ordering::Release);
        result
    }

    /// Reads the ledger.
    pub fn read<R>(&self, f: impl FnOnce(&Ledger) -> R) -> R {
        f(&lock(&self.shared.ledger))
    }

    /// The fault plan.
    pub fn faults(&self) -> MutexGuard<'_, FaultPlan> {
        lock(&self.shared.faults)
    }

    /// Marks an un-id'd 091 as in flight for a merchant; `false` if one already is (9004).
    pub fn begin_inquiry(&self, merchant_id: &str) -> bool {
        lock(&self.shared.inquiries_in_flight).insert(merchant_id.to_owned())
    }

    /// Ends an un-id'd 091.
    pub fn end_inquiry(&self, merchant_id: &str) {
        lock(&self.shared.inquiries_in_flight).remove(merchant_id);
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
        self.shared.dirty.store(true, Ordering::Release);
    }

    /// Sets the clock.
    pub fn set_time(&self, to: DateTime<Utc>) {
        self.shared.clock.set(to);
        self.shared.dirty.store(true, Ordering::Release);
    }

    /// Runs everything due at the current simulated time: cart captures, lapses, purges,
    /// then notification pushes (in order per merchant, until each merchant's queue is
    /// empty, fails or is suspended).
    pub async fn run_due_work(&self) -> TickReport {
        let _serial = self.shared.due_work.lock().await;
        let now = self.now();
        let mut report = TickReport {
            now,
            ..TickReport::default()
        };
        report.status_changes = self.update(|ledger, now, rules| ledger.run_due(now, rules));
        loop {
            let jobs = self.update(|ledger, now, _| ledger.due_pushes(now));
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                let (delivered, detail) = self.push(&job).await;
                report.push_attempts += 1;
                report.pushes_delivered += usize::from(delivered);
                self.update(|ledger, now, rules| {
                    ledger.record_push(
                        now,
                        &job.merchant_id,
                        job.payment_notice_id,
                        delivered,
                        detail,
                        rules,
                    );
                });
            }
        }
        report
    }

    async fn push(&self, job: &PushJob) -> (bool, String) {
        let body = crate::wire::encode_push(&job.fields, &job.hash_key);
        let sent = self
            .shared
            .http
            .post(&job.url)
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=Windows-31J",
            )
            .body(body)
            .send()
            .await;
        match sent {
            Err(e) => (false, format!("no answer: {}", short_error(&e))),
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(bytes) if bytes.as_ref() == b"result=0" => (true, "result=0".into()),
                    Ok(bytes) => (
                        false,
                        format!(
                            "HTTP {} with a {}-byte body other than result=0",
                            status.as_u16(),
                            bytes.len()
                        ),
                    ),
                    Err(e) => (false, format!("body not read: {}", short_error(&e))),
                }
            }
        }
    }

    /// Writes the snapshot now (atomically: temporary file, then rename), if the state
    /// has a file.
    pub fn save(&self) -> Result<(), SimError> {
        let Some(path) = &self.shared.state_path else {
            return Ok(());
        };
        self.shared.dirty.store(false, Ordering::Release);
        let json = {
            let ledger = lock(&self.shared.ledger);
            let snapshot = SnapshotRef {
                version: SNAPSHOT_VERSION,
                clock_offset_seconds: self.shared.clock.offset().num_seconds(),
                ledger: &ledger,
            };
            serde_json::to_vec(&snapshot).map_err(|e| SimError::Snapshot {
                path: path.clone(),
                message: e.to_string(),
            })?
        };
        write_atomically(path, &json)
    }

    /// Writes the snapshot if anything changed since the last write.
    pub fn save_if_dirty(&self) -> Result<(), SimError> {
        if self.shared.dirty.load(Ordering::Acquire) {
            self.save()
        } else {
            Ok(())
        }
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator::new()
    }
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    clock_offset_seconds: i64,
    ledger: &'a Ledger,
}

fn short_error(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection refused"
    } else {
        "transport error"
    }
}

fn load(path: &Path) -> Result<(Ledger, SimClock), SimError> {
    let bytes = std::fs::read(path).map_err(|source| SimError::State {
        path: path.to_owned(),
        source,
    })?;
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|e| SimError::Snapshot {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if snapshot.version != SNAPSHOT_VERSION {
        return Err(SimError::Snapshot {
            path: path.to_owned(),
            message: format!("version {}", snapshot.version),
        });
    }
    Ok((
        snapshot.ledger,
        SimClock::with_offset(Duration::seconds(snapshot.clock_offset_seconds)),
    ))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    let err = |source| SimError::State {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
