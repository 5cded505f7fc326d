//! The sync loop's state in memory (what `sync` publishes as [`crate::dto::SyncStatus`] and which
//! notice ids it still has to fetch), kept in the desk's context so that modules below
//! `sync` (operations' settlement) can read it without calling into `sync`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use domain::RULES;

use crate::AppError;
use crate::dto::SyncModeCode;

/// Liveness, kept in memory and published as [`crate::dto::SyncStatus`].
#[derive(Default)]
pub(crate) struct Liveness {
    pub(crate) mode: Option<SyncModeCode>,
    pub(crate) relay_connected: bool,
    pub(crate) last_event_at: Option<DateTime<Utc>>,
    pub(crate) last_heartbeat_at: Option<DateTime<Utc>>,
    pub(crate) last_poll_at: Option<DateTime<Utc>>,
    /// Every record Paygent made before this time has been taken in: the start of the
    /// last 091 round that ran until the gateway had nothing left, with every record
    /// applied. Lets settlement conclude that a revision made no new payment when the
    /// search by order number cannot tell (see `operations::inquire_outcome`).
    pub(crate) records_complete_at: Option<DateTime<Utc>>,
    pub(crate) missing: MissingNotices,
    pub(crate) quarantined: u64,
    pub(crate) problem: Option<AppError>,
}

/// Notice ids to fetch from Paygent by id: ids of relay gaps and pushed records not yet
/// confirmed. Kept as ranges, so a gap of twenty million ids is one entry.
#[derive(Debug, Default)]
pub(crate) struct MissingNotices {
    /// Start → end, both inclusive; disjoint and never adjacent.
    pub(crate) ranges: BTreeMap<u64, u64>,
    /// Pushed records among them: notice id → the payment ID the record named (up to
    /// `RULES.unconfirmed_records_kept`), to ask 094 when Paygent no longer has the record.
    pub(crate) pushed: BTreeMap<u64, String>,
}

impl MissingNotices {
    pub(crate) fn insert_range(&mut self, start: u64, end: u64) {
        if start > end {
            return;
        }
        let (mut start, mut end) = (start, end);
        if let Some((&s, &e)) = self.ranges.range(..=start).next_back()
            && e.saturating_add(1) >= start
        {
            start = s;
            end = end.max(e);
        }
        let absorbed: Vec<(u64, u64)> = self
            .ranges
            .range(start..=end.saturating_add(1))
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in absorbed {
            self.ranges.remove(&s);
            end = end.max(e);
        }
        self.ranges.insert(start, end);
    }

    /// A relay gap: `start..=end` are missing except the ids `seen` already.
    pub(crate) fn insert_gap(&mut self, start: u64, end: u64, seen: &[i64]) {
        self.insert_range(start, end);
        for id in seen.iter().filter_map(|&id| u64::try_from(id).ok()) {
            if (start..=end).contains(&id) {
                self.remove(id);
            }
        }
    }

    pub(crate) fn insert_pushed(&mut self, id: u64, payment_id: &str) {
        self.insert_range(id, id);
        if self.pushed.len() < RULES.unconfirmed_records_kept {
            self.pushed.insert(id, payment_id.to_owned());
        }
    }

    /// Removes `start..=end`; pushed records inside stay as single ids when `keep_pushed`.
    pub(crate) fn remove_range(&mut self, start: u64, end: u64, keep_pushed: bool) {
        let overlapping: Vec<(u64, u64)> = self
            .ranges
            .range(..=end)
            .rev()
            .take_while(|&(_, &e)| e >= start)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in overlapping {
            self.ranges.remove(&s);
            if s < start {
                self.ranges.insert(s, start - 1);
            }
            if e > end {
                self.ranges.insert(end + 1, e);
            }
        }
        if keep_pushed {
            let kept: Vec<u64> = self.pushed.range(start..=end).map(|(&id, _)| id).collect();
            for id in kept {
                self.insert_range(id, id);
            }
        } else {
            let gone: Vec<u64> = self.pushed.range(start..=end).map(|(&id, _)| id).collect();
            for id in gone {
                self.pushed.remove(&id);
            }
        }
    }

    pub(crate) fn remove(&mut self, id: u64) {
        self.remove_range(id, id, false);
    }

    pub(crate) fn first(&self) -> Option<u64> {
        self.ranges.keys().next().copied()
    }

    /// The last id of the range holding `id`.
    pub(crate) fn range_end(&self, id: u64) -> Option<u64> {
        self.ranges
            .range(..=id)
            .next_back()
            .filter(|&(_, &e)| e >= id)
            .map(|(_, &e)| e)
    }

    pub(crate) fn len(&self) -> u64 {
        self.ranges.iter().map(|(s, e)| e - s + 1).sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

#[derive(Default)]
pub(crate) struct SyncShared {
    /// Settings changed or "sync now" was pressed: wake the loop.
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) live: Mutex<Liveness>,
    /// One 091 caller at a time (the gateway answers 9004 to concurrent ones).
    pub(crate) polling: tokio::sync::Mutex<()>,
}

impl SyncShared {
    pub(crate) fn nudge(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn live(&self) -> std::sync::MutexGuard<'_, Liveness> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gap of twenty million ids is one range, and one round takes only its share
    /// (issue 16, point 9).
    #[test]
    fn missing_notices_are_ranges() {
        let mut m = MissingNotices::default();
        m.insert_range(2, 19_999_999);
        m.insert_pushed(20_000_000, "P20M");
        assert_eq!(m.ranges.len(), 1);
        assert_eq!(m.len(), 19_999_999);
        assert_eq!(m.first(), Some(2));
        assert_eq!(m.range_end(5), Some(20_000_000));
        m.remove(2);
        assert_eq!(m.first(), Some(3));
        m.remove(10);
        assert_eq!(m.ranges.len(), 2);
        assert_eq!(m.len(), 19_999_997);
        // Dropping a range keeps the pushed records inside it, one id each.
        m.remove_range(3, 20_000_000, true);
        assert_eq!(
            m.ranges.iter().collect::<Vec<_>>(),
            vec![(&20_000_000, &20_000_000)]
        );
        m.remove(20_000_000);
        assert!(m.is_empty() && m.pushed.is_empty());
        // Overlapping and adjacent ranges merge.
        m.insert_range(10, 20);
        m.insert_range(30, 40);
        m.insert_range(21, 29);
        m.insert_range(5, 12);
        assert_eq!(m.ranges.iter().collect::<Vec<_>>(), vec![(&5, &40)]);
        m.insert_range(7, 6);
        assert_eq!(m.len(), 36);
    }

    /// A gap the relay reports again (after a reconnect) or late (after a 091 round took
    /// the records in) names ids already applied: they are not missing. CI once saw the
    /// status say "1 missing" after every record of a gap had been taken in.
    #[test]
    fn a_gap_leaves_out_the_ids_already_taken_in() {
        let mut m = MissingNotices::default();
        m.insert_gap(2, 2, &[2]);
        assert!(m.is_empty());
        m.insert_gap(2, 6, &[3, 5, 9]);
        assert_eq!(
            m.ranges.iter().collect::<Vec<_>>(),
            vec![(&2, &2), (&4, &4), (&6, &6)]
        );
    }
}
