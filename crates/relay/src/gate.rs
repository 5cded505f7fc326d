//! Connection admission: the cap on open connections in all and per source IP, and
//! rate-limited warnings.
//!
//! Every accepted connection holds a `Slot` until it closes. A connection is
//! *unauthenticated* until a request on it presents a valid desktop token; only those can be
//! evicted. When an IP already holds `max_connections_per_ip` unauthenticated connections, a
//! new one from it closes that IP's oldest; when `max_connections` are open, a new one
//! closes the oldest unauthenticated connection of any IP (and is itself closed when every
//! open connection is an authenticated desktop). So slow or idle connections can never
//! keep a fresh one (Paygent's next notification) out, and the relay never runs into its
//! open-files limit through connections.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::Notify;

/// File descriptors kept free of connections for the database, the listener, logs and
/// blocking threads: the connection cap is at most the open-files limit less this.
pub const FD_RESERVE: u64 = 128;

/// The connection cap in effect: the configured one, bounded by the open-files limit.
pub fn effective_max_connections(configured: usize) -> usize {
    cap_by_open_files(configured, open_files_soft_limit())
}

/// The configured cap, bounded by an open-files limit when the platform has one (less
/// [`FD_RESERVE`]), and never below one connection.
pub fn cap_by_open_files(configured: usize, soft_limit: Option<u64>) -> usize {
    let by_files = soft_limit.map_or(usize::MAX, |soft| {
        usize::try_from(soft.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX)
    });
    configured.min(by_files).max(1)
}

/// The soft `RLIMIT_NOFILE` on Unix. Windows has no such limit on sockets (the embedded
/// relay of the demo runs there), so the configured cap stands alone.
#[cfg(unix)]
fn open_files_soft_limit() -> Option<u64> {
    rlimit::getrlimit(rlimit::Resource::NOFILE)
        .ok()
        .map(|(soft, _)| soft)
}

#[cfg(not(unix))]
fn open_files_soft_limit() -> Option<u64> {
    None
}

pub(crate) struct Gate {
    max_total: usize,
    max_per_ip: usize,
    /// Trusted reverse proxies: every client comes through them, so they are not capped per IP.
    exempt: Vec<IpAddr>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    total: usize,
    /// Unauthenticated connections by age (id order).
    unauthenticated: BTreeMap<u64, (IpAddr, Arc<Shared>)>,
    per_ip: HashMap<IpAddr, BTreeSet<u64>>,
}

#[derive(Default)]
struct Shared {
    evict: Notify,
    /// Set (under the gate's lock) when the gate already stopped counting this slot.
    released: AtomicBool,
    /// A request on it is being handled (its head arrived): evicted only after idle ones.
    busy: AtomicBool,
}

/// Oldest unauthenticated connections looked at for an idle one to evict.
const EVICTION_SCAN: usize = 64;

/// The oldest of `ids` that is not handling a request, else the oldest.
fn pick<'a>(ids: impl Iterator<Item = &'a u64>, state: &State) -> Option<u64> {
    let mut oldest = None;
    for id in ids.take(EVICTION_SCAN) {
        oldest.get_or_insert(*id);
        let busy = state
            .unauthenticated
            .get(id)
            .is_some_and(|(_, s)| s.busy.load(Ordering::SeqCst));
        if !busy {
            return Some(*id);
        }
    }
    oldest
}

/// What [`Gate::admit`] did to make room.
pub(crate) struct Admission {
    pub slot: Option<Slot>,
    /// Older connections closed to let this one in.
    pub evicted: usize,
}

impl Gate {
    pub(crate) fn new(max_total: usize, max_per_ip: usize, exempt: Vec<IpAddr>) -> Arc<Gate> {
        Arc::new(Gate {
            max_total: max_total.max(1),
            max_per_ip: max_per_ip.max(1),
            exempt,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new connection from `ip`, closing older unauthenticated ones if a cap is
    /// reached; `slot` is `None` when it cannot be admitted.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Admission {
        let mut state = self.lock();
        let mut evicted = 0;
        if !self.exempt.contains(&ip) {
            while state.per_ip.get(&ip).map_or(0, BTreeSet::len) >= self.max_per_ip {
                let oldest = state.per_ip.get(&ip).and_then(|s| pick(s.iter(), &state));
                match oldest {
                    Some(id) => {
                        state.evict(id);
                        evicted += 1;
                    }
                    None => break,
                }
            }
        }
        while state.total >= self.max_total {
            match pick(state.unauthenticated.keys(), &state) {
                Some(id) => {
                    state.evict(id);
                    evicted += 1;
                }
                None => {
                    return Admission {
                        slot: None,
                        evicted,
                    };
                }
            }
        }
        let id = state.next_id;
        state.next_id += 1;
        state.total += 1;
        let shared = Arc::new(Shared::default());
        state.unauthenticated.insert(id, (ip, shared.clone()));
        state.per_ip.entry(ip).or_default().insert(id);
        Admission {
            slot: Some(Slot {
                gate: self.clone(),
                id,
                shared,
            }),
            evicted,
        }
    }

    /// Closes up to `n` of the oldest unauthenticated connections (the accept loop frees
    /// file descriptors this way when the system says there are none left).
    pub(crate) fn evict_oldest(&self, n: usize) -> usize {
        let mut state = self.lock();
        let ids: Vec<u64> = state.unauthenticated.keys().take(n).copied().collect();
        for id in &ids {
            state.evict(*id);
        }
        ids.len()
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.lock().total
    }
}

impl State {
    fn forget_unauthenticated(&mut self, id: u64) -> Option<Arc<Shared>> {
        let (ip, shared) = self.unauthenticated.remove(&id)?;
        if let Some(set) = self.per_ip.get_mut(&ip) {
            set.remove(&id);
            if set.is_empty() {
                self.per_ip.remove(&ip);
            }
        }
        Some(shared)
    }

    fn evict(&mut self, id: u64) {
        if let Some(shared) = self.forget_unauthenticated(id) {
            shared.released.store(true, Ordering::SeqCst);
            self.total -= 1;
            shared.evict.notify_one();
        }
    }
}

/// One admitted connection; dropping it frees its place.
pub(crate) struct Slot {
    gate: Arc<Gate>,
    id: u64,
    shared: Arc<Shared>,
}

impl Slot {
    /// A valid desktop token was presented on this connection: it no longer counts against
    /// its IP and is never evicted.
    pub(crate) fn authenticated(&self) {
        let mut state = self.gate.lock();
        state.forget_unauthenticated(self.id);
    }

    /// Marks whether a request on this connection is being handled.
    pub(crate) fn busy(&self, busy: bool) {
        self.shared.busy.store(busy, Ordering::SeqCst);
    }

    /// Completes when the gate closed this connection to make room.
    pub(crate) async fn evicted(&self) {
        self.shared.evict.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        if !self.shared.released.load(Ordering::SeqCst) {
            state.forget_unauthenticated(self.id);
            state.total -= 1;
        }
    }
}

/// Warnings that an attacker can repeat at will are logged at most once per interval per
/// kind, with the number held back since the last line.
pub(crate) struct Warnings {
    every: Duration,
    last: Mutex<HashMap<&'static str, (Instant, u64)>>,
}

impl Warnings {
    pub(crate) fn new(every: Duration) -> Warnings {
        Warnings {
            every,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(suppressed)` when a line of `kind` may be written now.
    pub(crate) fn allow(&self, kind: &'static str) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match last.get_mut(kind) {
            Some((at, held)) if now.duration_since(*at) < self.every => {
                *held += 1;
                None
            }
            Some((at, held)) => {
                let n = *held;
                *at = now;
                *held = 0;
                Some(n)
            }
            None => {
                last.insert(kind, (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_connection_cap_keeps_a_reserve_of_open_files_where_there_is_a_limit() {
        assert_eq!(cap_by_open_files(10_000, Some(1_024)), 1_024 - 128);
        assert_eq!(cap_by_open_files(500, Some(1_024)), 500);
        assert_eq!(cap_by_open_files(500, Some(10)), 1);
        // Windows: no open-files limit on sockets.
        assert_eq!(cap_by_open_files(10_000, None), 10_000);
    }

    #[test]
    fn per_ip_cap_closes_that_ips_oldest_and_spares_desktops() {
        let gate = Gate::new(100, 2, vec![]);
        let a1 = gate.admit(ip("192.0.2.1")).slot.expect("a1");
        let desk = gate.admit(ip("192.0.2.1")).slot.expect("desk");
        desk.authenticated();
        let a2 = gate.admit(ip("192.0.2.1")).slot.expect("a2");
        let other = gate.admit(ip("192.0.2.2")).slot.expect("other");
        let third = gate.admit(ip("192.0.2.1"));
        assert_eq!(third.evicted, 1);
        assert!(a1.shared.released.load(Ordering::SeqCst));
        assert!(!a2.shared.released.load(Ordering::SeqCst));
        assert!(!desk.shared.released.load(Ordering::SeqCst));
        assert!(!other.shared.released.load(Ordering::SeqCst));
        assert_eq!(gate.open(), 4);
        drop(a1);
        assert_eq!(gate.open(), 4);
    }

    #[test]
    fn total_cap_closes_the_oldest_unauthenticated_or_refuses() {
        let gate = Gate::new(2, 10, vec![]);
        let d1 = gate.admit(ip("192.0.2.1")).slot.expect("d1");
        d1.authenticated();
        let slow = gate.admit(ip("192.0.2.2")).slot.expect("slow");
        let fresh = gate.admit(ip("192.0.2.3"));
        assert_eq!(fresh.evicted, 1);
        assert!(slow.shared.released.load(Ordering::SeqCst));
        let fresh = fresh.slot.expect("fresh");
        fresh.authenticated();
        assert!(gate.admit(ip("192.0.2.4")).slot.is_none());
        drop(fresh);
        assert!(gate.admit(ip("192.0.2.4")).slot.is_some());
    }

    #[test]
    fn warnings_are_rate_limited_per_kind() {
        let w = Warnings::new(Duration::from_secs(3600));
        assert_eq!(w.allow("a"), Some(0));
        assert_eq!(w.allow("a"), None);
        assert_eq!(w.allow("b"), Some(0));
    }
}
