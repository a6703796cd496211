//! Sharing the cores between the sources of a run: staging a table takes a slot, at most
//! one per core, and a freed slot goes to the most urgent waiting table.
//!
//! Each source publishes in one transaction on one core, so the source with the largest
//! snapshot has the longest publish. Its tables are staged first, which lets that long
//! publish start early while the smaller sources stage and publish beside it. When that
//! publish is all that is left of the run, [`Tail`] says so, and the warehouse may give it
//! every core.

use std::collections::{BTreeSet, BinaryHeap};
use std::sync::{Condvar, Mutex};

use crate::catalog::System;

/// How urgent a staging job is; larger goes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Urgency {
    /// Size of the whole snapshot the table belongs to, in bytes.
    pub snapshot_bytes: u64,
    /// Size of the table's archive member, in bytes (0 when not known in advance).
    pub member_bytes: u64,
}

/// A counting semaphore that hands free slots to the most urgent waiter.
pub struct StagingSlots {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    free: usize,
    /// Waiters by urgency, then by arrival (earlier first).
    waiting: BinaryHeap<(Urgency, std::cmp::Reverse<u64>)>,
    arrivals: u64,
}

/// A held slot; dropping it frees the slot.
pub struct Slot<'a> {
    slots: &'a StagingSlots,
}

impl StagingSlots {
    /// Slots for `n` staging jobs at once (at least one).
    pub fn new(n: usize) -> Self {
        StagingSlots {
            state: Mutex::new(State { free: n.max(1), waiting: BinaryHeap::new(), arrivals: 0 }),
            changed: Condvar::new(),
        }
    }

    /// One slot per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Waits until a slot is free and no more urgent job is waiting for it.
    pub fn acquire(&self, urgency: Urgency) -> Slot<'_> {
        let mut state = self.state.lock().expect("staging slots");
        let me = (urgency, std::cmp::Reverse(state.arrivals));
        state.arrivals += 1;
        state.waiting.push(me);
        while !(state.free > 0 && state.waiting.peek() == Some(&me)) {
            state = self.changed.wait(state).expect("staging slots");
        }
        state.waiting.pop();
        state.free -= 1;
        // The next waiter may find a slot still free.
        self.changed.notify_all();
        Slot { slots: self }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.state.lock().expect("staging slots").free += 1;
        self.slots.changed.notify_all();
    }
}

/// Follows which sources of a run are unfinished and which are publishing, to tell the
/// moment a single publish is all that is left.
pub struct Tail {
    state: Mutex<TailState>,
}

struct TailState {
    unfinished: usize,
    publishing: BTreeSet<System>,
    told: bool,
}

impl Tail {
    /// A run of `sources` sources.
    pub fn new(sources: usize) -> Self {
        Tail { state: Mutex::new(TailState { unfinished: sources, publishing: BTreeSet::new(), told: false }) }
    }

    /// `system` starts publishing. True (once per run) when it is the last work of the run.
    pub fn publishing(&self, system: System) -> bool {
        let mut state = self.state.lock().expect("tail");
        state.publishing.insert(system);
        state.alone()
    }

    /// `system` is done, published or not. True (once per run) when what is left is one
    /// publish.
    pub fn finished(&self, system: System) -> bool {
        let mut state = self.state.lock().expect("tail");
        state.publishing.remove(&system);
        state.unfinished -= 1;
        state.alone()
    }
}

impl TailState {
    fn alone(&mut self) -> bool {
        let alone = !self.told && self.unfinished == 1 && self.publishing.len() == 1;
        self.told |= alone;
        alone
    }
}

/// Maps `items` on one worker per core, taking items in order; results keep their order.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(items.len().max(1));
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, work(item)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a staging worker panicked")).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn urgency(snapshot_bytes: u64, member_bytes: u64) -> Urgency {
        Urgency { snapshot_bytes, member_bytes }
    }

    #[test]
    fn a_freed_slot_goes_to_the_largest_snapshot_then_the_largest_member() {
        let slots = Arc::new(StagingSlots::new(1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let held = slots.acquire(urgency(0, 0));
        let waiters: Vec<_> = [(5, 1), (50, 2), (50, 9), (1, 100)]
            .into_iter()
            .enumerate()
            .map(|(i, (snapshot, member))| {
                let (s, order) = (slots.clone(), order.clone());
                let handle = std::thread::spawn(move || {
                    let _slot = s.acquire(urgency(snapshot, member));
                    order.lock().unwrap().push((snapshot, member));
                });
                // Every waiter queues up before the slot is freed.
                while slots.state.lock().unwrap().waiting.len() <= i {
                    std::thread::sleep(Duration::from_millis(1));
                }
                handle
            })
            .collect();
        drop(held);
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![(50, 9), (50, 2), (5, 1), (1, 100)]);
    }

    #[test]
    fn the_tail_is_told_once_when_a_single_publish_is_left() {
        let tail = Tail::new(3);
        assert!(!tail.publishing(System::NetSuite));
        assert!(!tail.finished(System::NetSuite));
        assert!(!tail.publishing(System::Molo), "Stellar is still staging");
        assert!(tail.finished(System::Stellar));
        assert!(!tail.finished(System::Molo));

        let alone = Tail::new(1);
        assert!(alone.publishing(System::Stellar), "a single source: its publish is the tail");
        assert!(!alone.finished(System::Stellar));
    }

    #[test]
    fn as_many_jobs_run_at_once_as_there_are_slots() {
        let slots = StagingSlots::new(2);
        let a = slots.acquire(urgency(1, 1));
        let b = slots.acquire(urgency(1, 1));
        assert_eq!(slots.state.lock().unwrap().free, 0);
        drop(a);
        let _c = slots.acquire(urgency(0, 0));
        drop(b);
        assert_eq!(slots.state.lock().unwrap().free, 1);
    }
}
