//! Every time-out of an event loop, in one structure.
//!
//! Each connection has at most one deadline at a time — which one depends on its state
//! (idle between requests, part-way through a head, stalled on a write) and the
//! connection works that out. This module only remembers the deadlines and tells the
//! loop two things: how long `poll` may sleep, and which connections are overdue.
//!
//! It is a binary heap of `(deadline, key)` entries, lazy in two ways.
//!
//! - **Lazy deletion.** Clearing a deadline, or moving it earlier, does not search the
//!   heap: it records the connection's current deadline in `current`, and an entry
//!   that no longer matches is stale and is dropped when it reaches the top.
//! - **Lazy re-arming.** Moving a deadline *later* — what a busy keep-alive connection
//!   does on every request, as its idle clock restarts — costs no heap operation at
//!   all: the entry already in the heap comes due too early, and when it does it is
//!   pushed again at the key's current deadline instead of firing. A connection that
//!   answers a thousand requests between two time-outs pays one heap push, not a
//!   thousand. The price is that `poll` may be told to wake at an entry's time although
//!   its deadline has moved on: the loop then wakes, finds nothing due, re-arms, and
//!   sleeps again — once per idle time-out at most for each connection, where looking
//!   past such entries every time `poll_timeout` is asked would re-arm them on every
//!   turn of a busy loop, which is every request.
//!
//! So each key has at most one entry that counts, its *armed* one (`armed`: the
//! deadline that entry carries), at or before its current deadline. Stale entries
//! (those left behind when a deadline moved earlier or was cleared) are bounded: the
//! heap is rebuilt from `current` whenever it holds more than `2 * live + 64` entries,
//! twice the live deadlines plus some slack, so that a loop with few connections does
//! not rebuild on every other push. Every operation is O(log n) amortised, and a
//! deadline that only moves later is O(1).

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
    /// For each key with a live deadline, the deadline of its entry in the heap: at or
    /// before `current`. An entry whose deadline is not its key's `armed` is stale.
    armed: Vec<Option<Instant>>,
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
            self.armed.resize(key + 1, None);
        }
        if self.current[key].replace(deadline).is_none() {
            self.live += 1;
        }
        if self.armed[key].is_some_and(|armed| armed <= deadline) {
            // Later (or unchanged): the entry in the heap fires first, sees the later
            // deadline and re-arms itself then (see `pop_expired`). Nothing to do now.
            return;
        }
        // New, or earlier than the armed entry: that entry would fire too late.
        self.arm(key, deadline);
    }

    /// Pushes the entry that makes `key` fire at `deadline`; an older entry of the key
    /// becomes stale.
    fn arm(&mut self, key: usize, deadline: Instant) {
        self.armed[key] = Some(deadline);
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
            self.armed[key] = None;
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
    ///
    /// It may be earlier than any deadline: the time of an entry whose deadline moved
    /// later since it was armed (see the module's note on lazy re-arming).
    pub fn poll_timeout(&mut self, now: Instant) -> Option<Duration> {
        let (deadline, _) = self.next(now)?;
        let wait = deadline.saturating_duration_since(now);
        let millis = wait.as_nanos().div_ceil(1_000_000);
        Some(Duration::from_millis(
            u64::try_from(millis).unwrap_or(u64::MAX),
        ))
    }

    /// Takes the next key whose deadline is at or before `now`, clearing its deadline.
    pub fn pop_expired(&mut self, now: Instant) -> Option<usize> {
        let (deadline, key) = self.next(now)?;
        if deadline > now {
            return None;
        }
        self.heap.pop();
        self.clear(key);
        Some(key)
    }

    /// The earliest armed entry and its key, left on top of the heap.
    ///
    /// Stale entries on top are dropped. An armed entry on top that is due by `now`
    /// but whose key's deadline has since moved later is re-armed at that deadline,
    /// and the next one looked at; so nothing fires early, and a connection pays one
    /// heap push each time its entry comes due (about once per idle time-out while it
    /// stays busy), not one per request. An entry not yet due is returned as it is,
    /// even if its deadline has moved later: re-arming it now would be work done on
    /// every turn of the loop, for a deadline that may move again before then.
    fn next(&mut self, now: Instant) -> Option<(Instant, usize)> {
        loop {
            let Reverse((at, key)) = *self.heap.peek()?;
            if self.armed.get(key).copied().flatten() != Some(at) {
                self.heap.pop(); // stale
                continue;
            }
            match self.current[key] {
                Some(deadline) if deadline > at && at <= now => {
                    self.heap.pop();
                    self.arm(key, deadline);
                }
                _ => return Some((at, key)),
            }
        }
    }

    /// Rebuilds the heap from the live deadlines alone, each armed at its current
    /// deadline.
    fn rebuild(&mut self) {
        let entries: Vec<_> = self
            .current
            .iter()
            .enumerate()
            .filter_map(|(key, d)| d.map(|d| Reverse((d, key))))
            .collect();
        self.armed.clone_from(&self.current);
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
    fn a_busy_loop_keeps_one_entry_per_connection() {
        // Forty keep-alive connections, each answering a request every 100 ms and so
        // moving its 1 s idle deadline later, for 30 s, while the loop asks how long to
        // sleep and pops what is due each turn, as `event_loop` does: each entry comes
        // due every 10 turns and is re-armed. Counted right after the connections
        // settle, before the loop's next look at the heap could drop stale entries from
        // its top: moving later pushes nothing, and re-arming leaves nothing behind.
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut timers = Timers::new();
        let keys = 40;
        for turn in 0..300 {
            let now = t0 + ms(100 * turn);
            assert_eq!(timers.pop_expired(now), None, "turn {turn}: nothing is due");
            for key in 0..keys {
                timers.set(key, now + secs(1));
            }
            assert_eq!(
                timers.heap_len(),
                keys,
                "turn {turn}: one entry per connection"
            );
            assert!(timers.poll_timeout(now).is_some());
        }
    }

    #[test]
    fn a_deadline_that_only_moves_later_costs_no_heap_push() {
        // A busy keep-alive connection restarts its idle clock on every request.
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut timers = Timers::new();
        for i in 0..10_000 {
            timers.set(0, t0 + secs(1) + ms(i));
        }
        assert_eq!(
            timers.heap_len(),
            1,
            "one entry, armed at the first deadline"
        );
        // Asking how long to sleep re-arms nothing: the loop is told to wake at the
        // entry's time, the first deadline, however often it asks.
        for _ in 0..3 {
            assert_eq!(timers.poll_timeout(t0), Some(secs(1)));
        }
        assert_eq!(timers.heap_len(), 1);
        // When it wakes, nothing fires: the entry is re-armed at the last deadline.
        assert_eq!(timers.pop_expired(t0 + secs(1)), None);
        assert_eq!(timers.heap_len(), 1);
        assert_eq!(timers.poll_timeout(t0 + secs(1)), Some(ms(9_999)));
        // It fires at the last deadline, not at the one its entry was pushed with...
        assert_eq!(timers.pop_expired(t0 + secs(1) + ms(9_998)), None);
        assert_eq!(timers.pop_expired(t0 + secs(1) + ms(9_999)), Some(0));
        // ...and once.
        assert_eq!(timers.pop_expired(t0 + secs(60)), None);
        assert_eq!(timers.get(0), None);
    }

    #[test]
    fn a_moved_later_deadline_does_not_fire_early_when_its_old_entry_is_due() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(0, t0 + secs(1));
        timers.set(1, t0 + secs(2));
        timers.set(0, t0 + secs(3)); // later: no push
        assert_eq!(timers.pop_expired(t0 + secs(2)), Some(1));
        assert_eq!(timers.pop_expired(t0 + secs(2)), None);
        assert_eq!(timers.poll_timeout(t0 + secs(2)), Some(secs(1)));
        assert_eq!(timers.pop_expired(t0 + secs(3)), Some(0));
    }

    #[test]
    fn moving_a_deadline_earlier_after_later_fires_at_the_earlier_one() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(0, t0 + secs(5));
        timers.set(0, t0 + secs(9)); // later: lazy
        timers.set(0, t0 + secs(2)); // earlier than the armed entry: pushed
        assert_eq!(timers.poll_timeout(t0), Some(secs(2)));
        assert_eq!(timers.pop_expired(t0 + secs(2)), Some(0));
        // The entry armed at 5 s is stale now: nothing more fires.
        assert_eq!(timers.pop_expired(t0 + secs(10)), None);
        assert_eq!(timers.poll_timeout(t0), None);
    }

    #[test]
    fn clearing_a_lazily_moved_deadline_never_fires() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(4, t0 + secs(1));
        timers.set(4, t0 + secs(2));
        timers.clear(4);
        assert_eq!(timers.pop_expired(t0 + secs(10)), None);
        // A key reused (the slab hands out its slot again) starts afresh.
        timers.set(4, t0 + secs(3));
        assert_eq!(timers.pop_expired(t0 + secs(2)), None);
        assert_eq!(timers.pop_expired(t0 + secs(3)), Some(4));
    }

    #[test]
    fn stale_entries_do_not_pile_up_when_deadlines_move_earlier() {
        // Moving earlier must push (the armed entry would fire too late), leaving the
        // old entry stale: the heap is compacted before those pile up.
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.set(1, t0 + secs(100_000));
        for i in (0..10_000).rev() {
            timers.set(0, t0 + Duration::from_millis(i));
        }
        assert!(
            timers.heap_len() <= 2 * 2 + 64,
            "heap grew to {}",
            timers.heap_len()
        );
        assert_eq!(timers.pop_expired(t0), Some(0));
        assert_eq!(timers.pop_expired(t0 + secs(100_000)), Some(1));
    }
}
