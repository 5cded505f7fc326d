//! The one source of the current time for PayDesk, its relay and its simulator. Logic takes
//! a `&dyn Clock` (or an `Arc<dyn Clock>`) instead of asking the system, so tests and the
//! demo can move time: [`SystemClock`] in production, [`ManualClock`] in tests, and the
//! simulator's own clock (which the demo follows) implements [`Clock`] too.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Where the current time comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The computer's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to, for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(chrono::Duration::seconds(90));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
        assert!(SystemClock.now() > start);
    }
}
