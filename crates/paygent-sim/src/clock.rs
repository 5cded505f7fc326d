//! The simulator's clock: real UTC time plus an adjustable offset.
//!
//! Tests and demos move the clock forward (days, hours, minutes) or set it, then run the
//! due work with `POST /control/tick`; nothing in the simulator sleeps to reach a deadline.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset, Utc};

/// A shared clock. Clones share the same offset.
#[derive(Debug, Clone, Default)]
pub struct SimClock {
    /// Added to the real time. Only ever changed through `advance`/`set`.
    offset: Arc<Mutex<Duration>>,
}

impl SimClock {
    /// A clock that starts at the real time.
    pub fn new() -> SimClock {
        SimClock::default()
    }

    /// A clock whose offset is already `offset` (used when a snapshot is reloaded).
    pub fn with_offset(offset: Duration) -> SimClock {
        SimClock {
            offset: Arc::new(Mutex::new(offset)),
        }
    }

    /// The simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    /// The current offset from the real time.
    pub fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock forward (or backward, for a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }

    /// Sets the simulated time.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset = to - Utc::now();
    }
}

/// Japan Standard Time (UTC+9, no daylight saving): Paygent's dates are JST.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// A Paygent timestamp, `YYYYMMDDhhmmss` in JST.
pub fn wire_timestamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&jst()).format("%Y%m%d%H%M%S").to_string()
}

/// `(year, month)` in JST, for card expiry checks.
pub fn jst_year_month(at: DateTime<Utc>) -> (i32, u32) {
    use chrono::Datelike;
    let local = at.with_timezone(&jst());
    (local.year(), local.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_by_the_offset() {
        let clock = SimClock::new();
        let before = clock.now();
        clock.advance(Duration::days(61));
        let after = clock.now();
        assert!(after - before >= Duration::days(61));
        assert!(after - before < Duration::days(61) + Duration::minutes(1));
    }

    #[test]
    fn set_places_the_clock_at_the_given_time() {
        let clock = SimClock::new();
        let target =
            DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z").map(|t| t.with_timezone(&Utc));
        let Ok(target) = target else {
            panic!("bad literal")
        };
        clock.set(target);
        assert!((clock.now() - target).num_seconds().abs() <= 1);
    }

    #[test]
    fn wire_timestamps_are_jst() {
        let Ok(t) = DateTime::parse_from_rfc3339("2030-01-02T20:00:00Z") else {
            panic!("bad literal")
        };
        assert_eq!(wire_timestamp(t.with_timezone(&Utc)), "20300103050000");
    }
}
