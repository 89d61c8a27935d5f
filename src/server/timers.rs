//! Every time-out of an event loop, in one structure.
//!
//! Each connection has at most one deadline at a time — which one depends on its state
//! (idle between requests, part-way through a head, stalled on a write) and the
//! connection works that out. This module only remembers the deadlines and tells the
//! loop two things: how long `poll` may sleep, and which connections are overdue.
//!
//! It is a binary heap of `(deadline, key)` entries with *lazy deletion*: moving or
//! clearing a deadline does not search the heap, it just records the connection's
//! current deadline in `current`; an entry that no longer matches is stale and is
//! dropped when it reaches the top. So that stale entries cannot pile up (a busy
//! keep-alive connection moves its deadline on every request), the heap is rebuilt from
//! `current` whenever it holds more than twice as many entries as there are live
//! deadlines. Every operation is O(log n) amortised.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// The deadlines of one event loop, keyed by connection (its slab key).
#[derive(Debug, Default)]
pub struct Timers {
    /// Min-heap of `(deadline, key)`; may hold stale entries.
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The one live deadline of each key, indexed by key.
    current: Vec<Option<Instant>>,
    /// How many entries of `current` are `Some`.
    live: usize,
}

impl Timers {
    /// An empty set of timers.
    pub fn new() -> Timers {
        Timers::default()
    }

    /// Sets (or moves) the deadline of `key`.
    pub fn set(&mut self, key: usize, deadline: Instant) {
        if key >= self.current.len() {
            self.current.resize(key + 1, None);
        }
        match self.current[key].replace(deadline) {
            // Unchanged: the entry already in the heap is still right.
            Some(old) if old == deadline => return,
            Some(_) => {}
            None => self.live += 1,
        }
        self.heap.push(Reverse((deadline, key)));
        if self.heap.len() > 2 * self.live + 64 {
            self.rebuild();
        }
    }

    /// Removes the deadline of `key`, if it has one (the connection closed).
    pub fn clear(&mut self, key: usize) {
        if let Some(slot) = self.current.get_mut(key)
            && slot.take().is_some()
        {
            self.live -= 1;
        }
    }

    /// The deadline of `key`, if it has one.
    pub fn get(&self, key: usize) -> Option<Instant> {
        self.current.get(key).copied().flatten()
    }

    /// How long `poll` may sleep before the next deadline: `None` means "no deadline,
    /// sleep until an event". Rounded up to whole milliseconds, because epoll's timeout is
    /// in milliseconds and rounding down would wake the loop just *before* a deadline,
    /// find nothing due, and spin until it is.
    pub fn poll_timeout(&mut self, now: Instant) -> Option<Duration> {
        self.drop_stale();
        let Reverse((deadline, _)) = *self.heap.peek()?;
        let wait = deadline.saturating_duration_since(now);
        let millis = wait.as_nanos().div_ceil(1_000_000);
        Some(Duration::from_millis(
            u64::try_from(millis).unwrap_or(u64::MAX),
        ))
    }

    /// Takes the next key whose deadline is at or before `now`, clearing its deadline.
    pub fn pop_expired(&mut self, now: Instant) -> Option<usize> {
        self.drop_stale();
        let Reverse((deadline, key)) = *self.heap.peek()?;
        if deadline > now {
            return None;
        }
        self.heap.pop();
        self.clear(key);
        Some(key)
    }

    /// Pops stale entries off the top, so the top (if any) is live.
    fn drop_stale(&mut self) {
        while let Some(&Reverse((deadline, key))) = self.heap.peek() {
            if self.get(key) == Some(deadline) {
                return;
            }
            self.heap.pop();
        }
    }

    /// Rebuilds the heap from the live deadlines alone.
    fn rebuild(&mut self) {
        let entries: Vec<_> = self
            .current
            .iter()
            .enumerate()
            .filter_map(|(key, d)| d.map(|d| Reverse((d, key))))
            .collect();
        self.heap = BinaryHeap::from(entries);
    }

    /// Entries in the heap, live or stale (for tests of the compaction bound).
    #[cfg(test)]
    fn heap_len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn pops_deadlines_in_order_and_only_when_due() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(3, t0 + secs(3));
        timers.set(1, t0 + secs(1));
        timers.set(2, t0 + secs(2));
        assert_eq!(timers.pop_expired(t0), None);
        assert_eq!(timers.pop_expired(t0 + secs(2)), Some(1));
        assert_eq!(timers.pop_expired(t0 + secs(2)), Some(2));
        assert_eq!(timers.pop_expired(t0 + secs(2)), None);
        assert_eq!(timers.poll_timeout(t0 + secs(2)), Some(secs(1)));
    }

    #[test]
    fn moving_a_deadline_ignores_the_old_entry() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(0, t0 + secs(1));
        timers.set(0, t0 + secs(5));
        assert_eq!(timers.pop_expired(t0 + secs(2)), None);
        assert_eq!(timers.poll_timeout(t0 + secs(2)), Some(secs(3)));
        assert_eq!(timers.pop_expired(t0 + secs(5)), Some(0));
    }

    #[test]
    fn cleared_deadline_never_fires() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(7, t0 + secs(1));
        timers.clear(7);
        assert_eq!(timers.pop_expired(t0 + secs(10)), None);
        assert_eq!(timers.poll_timeout(t0), None);
    }

    #[test]
    fn poll_timeout_rounds_up_to_whole_milliseconds() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(0, t0 + Duration::from_micros(1500));
        assert_eq!(timers.poll_timeout(t0), Some(Duration::from_millis(2)));
        assert_eq!(timers.poll_timeout(t0 + secs(1)), Some(Duration::ZERO));
    }

    #[test]
    fn stale_entries_do_not_pile_up_on_a_busy_connection() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        for i in 0..10_000 {
            timers.set(0, t0 + Duration::from_millis(i));
        }
        assert!(
            timers.heap_len() <= 2 + 64,
            "heap grew to {}",
            timers.heap_len()
        );
        assert_eq!(timers.get(0), Some(t0 + Duration::from_millis(9_999)));
    }
}
