//! The event queue: simulated time, a heap of wake-ups in the future, and a
//! FIFO ready queue for wake-ups at the current time.
//!
//! Every heap entry due now was scheduled before time reached now, so it
//! precedes every ready entry; running the heap's entries at `now` first, then
//! the ready queue, then advancing time gives exactly `(time, sequence)` order
//! without numbering ready entries.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// A scheduled resumption of the process in `slot`. It is stale, and skipped,
/// unless the process's epoch still equals `epoch` when it comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wakeup {
    pub slot: u32,
    pub epoch: u64,
}

/// A wake-up in the future. Times are never negative, so their bit patterns
/// order like the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timed {
    time_bits: u64,
    seq: u64,
    wakeup: Wakeup,
}

impl Ord for Timed {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` pops its greatest element first.
        (other.time_bits, other.seq).cmp(&(self.time_bits, self.seq))
    }
}

impl PartialOrd for Timed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What [`EventQueue::next`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// This wake-up is due at [`EventQueue::now`].
    Due(Wakeup),
    /// Nothing is scheduled.
    Empty,
    /// The next wake-up lies after the horizon.
    PastHorizon,
}

pub(crate) struct EventQueue {
    now: f64,
    next_seq: u64,
    future: BinaryHeap<Timed>,
    /// Wake-ups at `now`, in the order scheduled. In random tie order this is
    /// a pool holding every wake-up due now, drawn from at random.
    ready: VecDeque<Wakeup>,
    /// `Some` in random tie order: the stream the draws come from.
    shuffle: Option<Xoshiro256PlusPlus>,
}

impl EventQueue {
    /// A queue at time 0; `shuffle` selects random tie order.
    pub fn new(shuffle: Option<Xoshiro256PlusPlus>) -> Self {
        EventQueue { now: 0.0, next_seq: 0, future: BinaryHeap::new(), ready: VecDeque::new(), shuffle }
    }

    pub fn now(&self) -> f64 {
        self.now
    }

    /// Schedules `wakeup` now, after everything already due now.
    pub fn schedule_now(&mut self, wakeup: Wakeup) {
        self.ready.push_back(wakeup);
    }

    /// Schedules `wakeup` at exactly `time`, which must not be before now
    /// (nor NaN); `time == now` means the ready queue.
    pub fn schedule_at(&mut self, time: f64, wakeup: Wakeup) {
        debug_assert!(time >= self.now, "scheduled at {time}, before now ({})", self.now);
        if time <= self.now {
            self.schedule_now(wakeup);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.future.push(Timed { time_bits: time.to_bits(), seq, wakeup });
    }

    /// Takes the next wake-up, advancing time to it, unless it lies after
    /// `horizon` (pass infinity for none).
    pub fn next(&mut self, horizon: f64) -> Next {
        if self.shuffle.is_some() {
            return self.next_shuffled(horizon);
        }
        if self.now > horizon {
            // Only possible before anything ran, with a negative horizon.
            return Next::PastHorizon;
        }
        if let Some(top) = self.future.peek() {
            if top.time_bits == self.now.to_bits() {
                return self.pop_future();
            }
        }
        if let Some(wakeup) = self.ready.pop_front() {
            return Next::Due(wakeup);
        }
        match self.future.peek() {
            None => Next::Empty,
            Some(top) if f64::from_bits(top.time_bits) > horizon => Next::PastHorizon,
            Some(top) => {
                self.now = f64::from_bits(top.time_bits);
                self.pop_future()
            }
        }
    }

    fn pop_future(&mut self) -> Next {
        match self.future.pop() {
            Some(timed) => Next::Due(timed.wakeup),
            None => Next::Empty,
        }
    }

    /// Random tie order: when nothing is due now, advance to the next time
    /// and move everything due then into the pool; then draw from the pool.
    fn next_shuffled(&mut self, horizon: f64) -> Next {
        if self.ready.is_empty() {
            let Some(top) = self.future.peek() else {
                return Next::Empty;
            };
            let time_bits = top.time_bits;
            if f64::from_bits(time_bits) > horizon {
                return Next::PastHorizon;
            }
            self.now = f64::from_bits(time_bits);
            while self.future.peek().is_some_and(|top| top.time_bits == time_bits) {
                if let Some(timed) = self.future.pop() {
                    self.ready.push_back(timed.wakeup);
                }
            }
        }
        if self.now > horizon {
            return Next::PastHorizon;
        }
        let Some(rng) = self.shuffle.as_mut() else {
            return Next::Empty;
        };
        let index = rng.random_range(0..self.ready.len());
        match self.ready.swap_remove_back(index) {
            Some(wakeup) => Next::Due(wakeup),
            None => Next::Empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn wakeup(slot: u32) -> Wakeup {
        Wakeup { slot, epoch: 0 }
    }

    /// Drains the queue, returning `(time, slot)` pairs.
    fn drain(queue: &mut EventQueue, horizon: f64) -> Vec<(f64, u32)> {
        let mut order = Vec::new();
        while let Next::Due(w) = queue.next(horizon) {
            order.push((queue.now(), w.slot));
        }
        order
    }

    #[test]
    fn orders_by_time_then_scheduling_order() {
        let mut queue = EventQueue::new(None);
        queue.schedule_at(2.0, wakeup(1));
        queue.schedule_at(1.0, wakeup(2));
        queue.schedule_at(2.0, wakeup(3));
        queue.schedule_now(wakeup(4));
        queue.schedule_at(0.0, wakeup(5));
        assert_eq!(drain(&mut queue, f64::INFINITY), vec![(0.0, 4), (0.0, 5), (1.0, 2), (2.0, 1), (2.0, 3)]);
    }

    #[test]
    fn heap_entries_due_now_precede_ready_entries() {
        let mut queue = EventQueue::new(None);
        queue.schedule_at(1.0, wakeup(1));
        queue.schedule_at(1.0, wakeup(2));
        assert_eq!(queue.next(f64::INFINITY), Next::Due(wakeup(1)));
        // Scheduled at time 1 for time 1: after slot 2, scheduled earlier.
        queue.schedule_now(wakeup(3));
        queue.schedule_at(1.0, wakeup(4));
        assert_eq!(drain(&mut queue, f64::INFINITY), vec![(1.0, 2), (1.0, 3), (1.0, 4)]);
    }

    #[test]
    fn stops_before_events_past_the_horizon() {
        let mut queue = EventQueue::new(None);
        queue.schedule_at(5.0, wakeup(1));
        queue.schedule_at(5.5, wakeup(2));
        assert_eq!(drain(&mut queue, 5.0), vec![(5.0, 1)]);
        assert_eq!(queue.next(5.0), Next::PastHorizon);
        assert_eq!(queue.next(f64::INFINITY), Next::Due(wakeup(2)));
        assert_eq!(queue.next(f64::INFINITY), Next::Empty);
    }

    #[test]
    fn a_negative_horizon_runs_nothing() {
        let mut queue = EventQueue::new(None);
        queue.schedule_now(wakeup(1));
        assert_eq!(queue.next(-1.0), Next::PastHorizon);
    }

    #[test]
    fn shuffled_order_keeps_time_order_and_every_event() {
        let mut queue = EventQueue::new(Some(Xoshiro256PlusPlus::seed_from_u64(7)));
        for slot in 0..20 {
            queue.schedule_at(f64::from(slot % 3), wakeup(slot));
        }
        let order = drain(&mut queue, f64::INFINITY);
        assert_eq!(order.len(), 20);
        assert!(order.windows(2).all(|pair| pair[0].0 <= pair[1].0));
        let mut slots: Vec<u32> = order.iter().map(|&(_, slot)| slot).collect();
        let fifo: Vec<u32> = (0..20).filter(|s| s % 3 == 0).collect();
        assert_ne!(slots[..fifo.len()], fifo[..], "seed 7 should shuffle time 0");
        slots.sort_unstable();
        assert_eq!(slots, (0..20).collect::<Vec<_>>());
    }
}
