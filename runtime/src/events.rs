//! The event queue: simulated time, a radix heap of wake-ups in the future,
//! and a FIFO ready queue for wake-ups at the current time.
//!
//! Wake-ups run in `(time, sequence)` order: by time, and among wake-ups due
//! at the same time, in the order they were scheduled. Every future entry due
//! now was scheduled before time reached now, so it precedes every ready
//! entry; running the future entries at `now` first, then the ready queue,
//! then advancing time gives exactly that order.
//!
//! The future is a radix heap keyed by the time's bit pattern (see
//! [`RadixHeap`]), which needs only that times are never negative and that
//! time never goes back. It keeps entries of equal time in the order they
//! came, so it needs no sequence number either.
//!
//! Its containers grow fallibly, and only a full one tries to grow: a growth
//! that fails drops the entry and halts the queue (see [`Next::Halted`]), so
//! a model that floods it ends with an "out of memory" error, not an abort.

use std::collections::VecDeque;

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// A scheduled resumption of the process in `slot`. It is stale, and skipped,
/// unless the process still holds the registration (or scheduled resumption)
/// `token` when it comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wakeup {
    pub slot: u32,
    pub token: u64,
}

/// A wake-up in the future. Times are never negative, so their bit patterns
/// order like the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timed {
    time_bits: u64,
    wakeup: Wakeup,
}

// The heap moves entries around; keep them small.
const _: () = assert!(std::mem::size_of::<Timed>() == 24);

/// The largest allocation (in entries) a bucket keeps when emptied. Larger
/// ones are freed: every bucket a wave of entries passes through on its way
/// down would otherwise keep room for all of them (in `tickers` with 100,000
/// processes, room for 14 times the queue, mostly idle), while the buckets
/// that are emptied often are small.
const KEEP_CAPACITY: usize = 1024;

/// Appends `item` to `vec`; a full `vec` grows fallibly, and if it cannot,
/// `item` is dropped and `lost` set.
#[inline(always)]
fn push_or_lose<T>(vec: &mut Vec<T>, item: T, lost: &mut bool) {
    if vec.len() == vec.capacity() {
        push_growing(vec, item, lost);
    } else {
        vec.push(item);
    }
}

/// [`push_or_lose`] into a full `vec`: grows it (amortized: doubling) first.
#[cold]
#[inline(never)]
fn push_growing<T>(vec: &mut Vec<T>, item: T, lost: &mut bool) {
    if vec.try_reserve(1).is_ok() {
        vec.push(item);
    } else {
        *lost = true;
    }
}

/// A radix heap of wake-ups keyed by the bit pattern of their (non-negative)
/// time, popped in key order and, among equal keys, in the order pushed.
///
/// Every key is at least `last`: the key of the minimum when it was last
/// found, never more than the smallest key held. `equal` holds the entries
/// whose key equals `last`, and `buckets[b]` those whose key first differs
/// from `last` in bit `b` (counting from the least significant bit).
///
/// Entries of equal key are always in the same place, because where an entry
/// goes depends only on its key and `last`, and `last` changes only when
/// `equal` is empty and it becomes the minimum of the lowest non-empty bucket
/// `b` ([`refill`](Self::refill), or [`pop_within`](Self::pop_within) taking
/// the sole entry of `b`), or in the rare [`rebase`](Self::rebase). Then every
/// entry of a bucket above `b` still first differs from the new `last` in the
/// same bit (the new `last` agrees with the old one in the bits above `b`), so
/// it stays where it is, while bucket `b` is moved, front to back, into
/// `equal` and the buckets below it, which are all empty then. Each container
/// is appended to in the order entries arrive, so among equal keys the order
/// is the order of pushing, which is the order of scheduling. (So no sequence
/// number is stored, and entries are 24 bytes rather than 32.)
struct RadixHeap {
    last: u64,
    /// Entries with key `last`, in arrival order, from `head` on.
    equal: Vec<Wakeup>,
    head: usize,
    buckets: [Vec<Timed>; 64],
    /// Bit `b` is set exactly when `buckets[b]` is not empty.
    occupied: u64,
    /// A container could not grow and an entry was dropped. The heap is
    /// not popped again then (its occupancy bits may be off): the queue
    /// answers [`Next::Halted`].
    lost: bool,
}

impl RadixHeap {
    fn new() -> Self {
        RadixHeap {
            last: 0,
            equal: Vec::new(),
            head: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
            occupied: 0,
            lost: false,
        }
    }

    /// Adds an entry; false if memory ran out (then [`Self::lost`] is set).
    fn push(&mut self, time_bits: u64, wakeup: Wakeup) -> bool {
        if time_bits < self.last {
            // Only when a minimum found past the horizon became `last` and
            // the caller then scheduled something before it (never in a
            // run, which ends there): restart the buckets from the new key.
            self.rebase(time_bits);
        }
        self.place(Timed { time_bits, wakeup });
        !self.lost
    }

    /// Appends `timed`, whose key is at least `last`, to its place; if its
    /// container cannot grow, drops it and sets `lost`.
    #[inline(always)]
    fn place(&mut self, timed: Timed) {
        match timed.time_bits ^ self.last {
            0 => push_or_lose(&mut self.equal, timed.wakeup, &mut self.lost),
            diff => {
                let bucket = (63 - diff.leading_zeros()) as usize & 63;
                push_or_lose(&mut self.buckets[bucket], timed, &mut self.lost);
                self.occupied |= 1 << bucket;
            }
        }
    }

    /// Whether an entry with key `time_bits` is held.
    #[inline]
    fn has_due(&self, time_bits: u64) -> bool {
        self.last == time_bits && self.head < self.equal.len()
    }

    /// The smallest key held, or `None` when empty. Its entries are then the
    /// ones [`drain_min`](Self::drain_min) takes.
    #[inline]
    fn min(&mut self) -> Option<u64> {
        if self.head == self.equal.len() {
            if self.occupied == 0 {
                return None;
            }
            self.refill();
        }
        Some(self.last)
    }

    /// Removes the first entry with key `last`, if any.
    #[inline]
    fn pop_min(&mut self) -> Option<Wakeup> {
        let wakeup = self.equal.get(self.head).copied();
        self.head += 1;
        if self.head >= self.equal.len() {
            self.equal.clear();
            self.head = 0;
        }
        wakeup
    }

    /// Removes the first entry with the smallest key and returns it with
    /// its key, unless there is none (`Err(Next::Empty)`) or its time lies
    /// after `horizon` (`Err(Next::PastHorizon)`).
    #[inline]
    fn pop_within(&mut self, horizon: f64) -> Result<(u64, Wakeup), Next> {
        if self.head == self.equal.len() {
            if self.occupied == 0 {
                return Err(Next::Empty);
            }
            let index = self.occupied.trailing_zeros() as usize & 63;
            if let [only] = self.buckets[index][..] {
                // Alone in the lowest bucket, so the minimum: take it without
                // the detour through `equal` (the common case in small
                // queues). It becomes `last`, as in `refill`.
                if f64::from_bits(only.time_bits) > horizon {
                    return Err(Next::PastHorizon);
                }
                self.buckets[index].clear();
                self.occupied &= !(1 << index);
                self.last = only.time_bits;
                return Ok((only.time_bits, only.wakeup));
            }
            self.refill();
            if self.lost {
                return Err(Next::Halted);
            }
        }
        if f64::from_bits(self.last) > horizon {
            return Err(Next::PastHorizon);
        }
        match self.pop_min() {
            Some(wakeup) => Ok((self.last, wakeup)),
            None => Err(Next::Empty),
        }
    }

    /// Removes every entry with key `last`, in order, into `out`.
    fn drain_min(&mut self, out: &mut impl Extend<Wakeup>) {
        out.extend(self.equal.drain(self.head..));
        self.equal.clear();
        self.head = 0;
    }

    /// With `equal` empty, makes `last` the smallest key held by moving the
    /// lowest non-empty bucket, in order, into `equal` and the buckets below.
    fn refill(&mut self) {
        let index = self.occupied.trailing_zeros() as usize & 63;
        let mut bucket = std::mem::take(&mut self.buckets[index]);
        let mut occupied = self.occupied & !(1 << index);
        let last = bucket.iter().map(|timed| timed.time_bits).min().unwrap_or(self.last);
        self.last = last;
        for &timed in &bucket {
            match timed.time_bits ^ last {
                0 => push_or_lose(&mut self.equal, timed.wakeup, &mut self.lost),
                diff => {
                    let below = (63 - diff.leading_zeros()) as usize & 63;
                    push_or_lose(&mut self.buckets[below], timed, &mut self.lost);
                    occupied |= 1 << below;
                }
            }
        }
        self.occupied = occupied;
        if bucket.capacity() <= KEEP_CAPACITY {
            bucket.clear();
            self.buckets[index] = bucket; // keep the allocation
        }
    }

    /// Makes `last` the smaller key `time_bits` and re-places every entry.
    /// Entries of equal key share a container and are re-placed in order.
    fn rebase(&mut self, time_bits: u64) {
        let old_last = self.last;
        let mut all: Vec<Timed> =
            self.equal.drain(self.head..).map(|wakeup| Timed { time_bits: old_last, wakeup }).collect();
        self.equal.clear();
        self.head = 0;
        for bucket in &mut self.buckets {
            all.append(bucket);
        }
        self.occupied = 0;
        self.last = time_bits;
        for timed in all {
            self.place(timed);
        }
    }

    /// Checks the invariant that keeps the order (for tests).
    #[cfg(test)]
    fn check(&self) {
        assert!(self.head <= self.equal.len());
        assert!(self.head < self.equal.len() || self.equal.is_empty());
        for (index, bucket) in self.buckets.iter().enumerate() {
            assert_eq!(bucket.is_empty(), self.occupied & (1 << index) == 0, "bucket {index}");
            for timed in bucket {
                let diff = timed.time_bits ^ self.last;
                assert!(timed.time_bits > self.last && 63 - diff.leading_zeros() as usize == index);
            }
        }
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
    /// The queue was halted: the runtime recorded an error outside a step,
    /// or a wake-up was dropped because the queue could not grow. Nothing
    /// more runs.
    Halted,
}

pub(crate) struct EventQueue {
    now: f64,
    future: RadixHeap,
    /// Wake-ups at `now`, in the order scheduled. In random tie order this is
    /// a pool holding every wake-up due now, drawn from at random.
    ready: VecDeque<Wakeup>,
    /// `Some` in random tie order: the stream the draws come from.
    shuffle: Option<Xoshiro256PlusPlus>,
    /// Set by [`Self::halt`] and when a wake-up was dropped.
    halted: bool,
    /// Random tie order or halted: [`Self::next`] takes its slow path, so
    /// the common path tests one flag for both.
    slow: bool,
}

impl EventQueue {
    /// A queue at time 0; `shuffle` selects random tie order.
    pub fn new(shuffle: Option<Xoshiro256PlusPlus>) -> Self {
        let slow = shuffle.is_some();
        EventQueue { now: 0.0, future: RadixHeap::new(), ready: VecDeque::new(), shuffle, halted: false, slow }
    }

    pub fn now(&self) -> f64 {
        self.now
    }

    /// From now on [`Self::next`] answers [`Next::Halted`].
    pub fn halt(&mut self) {
        self.halted = true;
        self.slow = true;
    }

    /// Wake-ups waiting in the queue (stale ones included).
    pub fn pending(&self) -> usize {
        let future: usize = self.future.buckets.iter().map(Vec::len).sum();
        self.ready.len() + future + self.future.equal.len() - self.future.head
    }

    /// Schedules `wakeup` now, after everything already due now.
    ///
    /// The ready queue grows infallibly, keeping this path free of checks: it
    /// holds at most one current wake-up per live process (a process is
    /// woken again only after it ran), which the limit on live processes
    /// bounds at 16 bytes each, far below the process table, plus the stale
    /// wake-ups of processes cancelled before they ran, which only a step
    /// that never yields (`loop { cancel spawn p() }`) piles up without end.
    /// The heap is different: a withdrawn timer stays in it until its time.
    #[inline]
    pub fn schedule_now(&mut self, wakeup: Wakeup) {
        self.ready.push_back(wakeup);
    }

    /// Makes room for `more` ready wake-ups; false, halting, if memory ran out.
    #[cold]
    fn grow_ready(&mut self, more: usize) -> bool {
        if self.ready.try_reserve(more).is_ok() {
            return true;
        }
        self.halt();
        false
    }

    /// Schedules `wakeup` at exactly `time`, which must not be before now
    /// (nor NaN); `time == now` means the ready queue.
    pub fn schedule_at(&mut self, time: f64, wakeup: Wakeup) {
        debug_assert!(time >= self.now, "scheduled at {time}, before now ({})", self.now);
        if time <= self.now {
            self.schedule_now(wakeup);
            return;
        }
        if !self.future.push(time.to_bits(), wakeup) {
            self.halt();
        }
    }

    /// The slot of the wake-up that [`Self::next`] will most likely take
    /// next, if that is cheap to tell: for the event loop to prefetch its
    /// process record while the current step runs. Only a guess: the step
    /// may schedule something earlier.
    #[inline]
    pub fn upcoming(&self) -> Option<u32> {
        if self.slow {
            return None;
        }
        if self.future.has_due(self.now.to_bits()) {
            return self.future.equal.get(self.future.head).map(|wakeup| wakeup.slot);
        }
        if let Some(wakeup) = self.ready.front() {
            return Some(wakeup.slot);
        }
        if self.future.head != self.future.equal.len() || self.future.occupied == 0 {
            return None;
        }
        match self.future.buckets[self.future.occupied.trailing_zeros() as usize & 63][..] {
            [only] => Some(only.wakeup.slot),
            _ => None,
        }
    }

    /// Takes the next wake-up, advancing time to it, unless it lies after
    /// `horizon` (pass infinity for none).
    #[inline]
    pub fn next(&mut self, horizon: f64) -> Next {
        if self.slow {
            return self.next_slow(horizon);
        }
        if self.now > horizon {
            // Only possible before anything ran, with a negative horizon.
            return Next::PastHorizon;
        }
        if self.future.has_due(self.now.to_bits()) {
            if let Some(wakeup) = self.future.pop_min() {
                return Next::Due(wakeup);
            }
        }
        if let Some(wakeup) = self.ready.pop_front() {
            return Next::Due(wakeup);
        }
        match self.future.pop_within(horizon) {
            Ok((time_bits, wakeup)) => {
                self.now = f64::from_bits(time_bits);
                Next::Due(wakeup)
            }
            // `Next::Halted` when a refill could not grow; nothing is popped after it.
            Err(next) => next,
        }
    }

    /// Halted, or random tie order.
    #[inline(never)]
    fn next_slow(&mut self, horizon: f64) -> Next {
        if self.halted {
            return Next::Halted;
        }
        self.next_shuffled(horizon)
    }

    /// Random tie order: when nothing is due now, advance to the next time
    /// and move everything due then into the pool; then draw from the pool.
    fn next_shuffled(&mut self, horizon: f64) -> Next {
        if self.ready.is_empty() {
            let min = self.future.min();
            if self.future.lost {
                self.halt();
                return Next::Halted;
            }
            let Some(time_bits) = min else {
                return Next::Empty;
            };
            if f64::from_bits(time_bits) > horizon {
                return Next::PastHorizon;
            }
            self.now = f64::from_bits(time_bits);
            let due = self.future.equal.len() - self.future.head;
            if due > self.ready.capacity() - self.ready.len() && !self.grow_ready(due) {
                return Next::Halted;
            }
            self.future.drain_min(&mut self.ready);
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
    use std::collections::BTreeMap;

    fn wakeup(slot: u32) -> Wakeup {
        Wakeup { slot, token: 0 }
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

    proptest::proptest! {
        /// `upcoming` is only a hint, but a wrong one would make the event
        /// loop prefetch the wrong process: whenever it names a slot, the
        /// next `next` (with nothing scheduled in between) takes that slot,
        /// and it always names the head of a non-empty ready queue.
        #[test]
        fn upcoming_names_the_next_wakeup(
            ops in proptest::collection::vec((0u32..4, 0u32..1000, 0u32..64), 1..400),
        ) {
            let mut queue = EventQueue::new(None);
            for (what, delay, slot) in ops {
                match what {
                    0 => queue.schedule_now(wakeup(slot)),
                    1 | 2 => queue.schedule_at(queue.now() + f64::from(delay % 8) / 4.0, wakeup(slot)),
                    _ => {
                        let guess = queue.upcoming();
                        if let Next::Due(taken) = queue.next(f64::INFINITY) {
                            if let Some(guess) = guess {
                                proptest::prop_assert_eq!(guess, taken.slot);
                            }
                        } else {
                            proptest::prop_assert_eq!(guess, None);
                        }
                    }
                }
                if let Some(head) = queue.ready.front() {
                    if !queue.future.has_due(queue.now().to_bits()) {
                        proptest::prop_assert_eq!(queue.upcoming(), Some(head.slot));
                    }
                }
            }
        }
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

    /// The radix-heap pitfall: an entry scheduled early for a far time sits in
    /// a high bucket while time advances; entries scheduled later for the
    /// same time must still come after it, however often its bucket is
    /// redistributed in between.
    #[test]
    fn equal_times_scheduled_across_redistributions_keep_scheduling_order() {
        let mut queue = EventQueue::new(None);
        queue.schedule_at(8.0, wakeup(1)); // far: a high bucket relative to 0
        queue.schedule_at(1.0, wakeup(10));
        queue.schedule_at(5.0, wakeup(11));
        queue.schedule_at(8.0, wakeup(2));
        assert_eq!(queue.next(f64::INFINITY), Next::Due(wakeup(10))); // redistributes
        queue.future.check();
        queue.schedule_at(8.0, wakeup(3));
        queue.schedule_at(7.0, wakeup(12));
        assert_eq!(queue.next(f64::INFINITY), Next::Due(wakeup(11))); // and again
        queue.future.check();
        queue.schedule_at(8.0, wakeup(4));
        queue.schedule_at(7.5, wakeup(13));
        queue.schedule_at(f64::from_bits(8.0f64.to_bits() - 1), wakeup(14)); // just below 8
        assert_eq!(queue.next(f64::INFINITY), Next::Due(wakeup(12)));
        queue.schedule_at(8.0, wakeup(5));
        assert_eq!(
            drain(&mut queue, f64::INFINITY),
            vec![
                (7.5, 13),
                (f64::from_bits(8.0f64.to_bits() - 1), 14),
                (8.0, 1),
                (8.0, 2),
                (8.0, 3),
                (8.0, 4),
                (8.0, 5)
            ]
        );
    }

    /// The same at the level of the heap, with the place of each entry
    /// checked: entries of one key are always in one place, in order.
    #[test]
    fn equal_keys_never_split_across_buckets() {
        let mut heap = RadixHeap::new();
        let far = 1000.0f64.to_bits();
        let holders = |heap: &RadixHeap| -> Vec<(usize, Vec<u32>)> {
            (0..64)
                .map(|b| (b, heap.buckets[b].iter().filter(|t| t.time_bits == far).map(|t| t.wakeup.slot).collect()))
                .filter(|(_, slots): &(usize, Vec<u32>)| !slots.is_empty())
                .collect()
        };
        heap.push(far, wakeup(1)); // bucket 62 (2.0 and up have bit 62)
        heap.push(1.0f64.to_bits(), wakeup(100)); // bucket 61
        assert_eq!(holders(&heap), vec![(62, vec![1])]);
        assert_eq!(heap.min(), Some(1.0f64.to_bits())); // redistributes bucket 61 only
        assert_eq!(heap.pop_min(), Some(wakeup(100)));
        heap.push(far, wakeup(2)); // pushed after the base moved: same bucket
        heap.check();
        assert_eq!(holders(&heap), vec![(62, vec![1, 2])]);
        heap.push(500.0f64.to_bits(), wakeup(101));
        assert_eq!(heap.min(), Some(500.0f64.to_bits())); // moves bucket 62 down, in order
        assert_eq!(heap.pop_min(), Some(wakeup(101)));
        heap.push(far, wakeup(3));
        heap.check();
        let moved = holders(&heap);
        assert_eq!(moved.len(), 1);
        assert!(moved[0].0 < 62);
        assert_eq!(moved[0].1, vec![1, 2, 3]);
        assert_eq!(heap.min(), Some(far));
        assert_eq!((heap.pop_min(), heap.pop_min()), (Some(wakeup(1)), Some(wakeup(2))));
        assert_eq!((heap.pop_min(), heap.min()), (Some(wakeup(3)), None));
    }

    /// A wave of entries passing down through the buckets leaves no large
    /// idle allocations behind.
    #[test]
    fn emptied_large_buckets_free_their_allocation() {
        let mut heap = RadixHeap::new();
        let n = 20 * KEEP_CAPACITY as u32;
        for slot in 0..n {
            heap.push((1.0 + f64::from(slot) / f64::from(n)).to_bits(), wakeup(slot));
        }
        for slot in 0..n {
            assert_eq!(
                heap.pop_within(f64::INFINITY),
                Ok(((1.0 + f64::from(slot) / f64::from(n)).to_bits(), wakeup(slot)))
            );
        }
        assert_eq!(heap.pop_within(f64::INFINITY), Err(Next::Empty));
        let kept: usize = heap.buckets.iter().map(Vec::capacity).sum();
        assert!(kept <= 64 * KEEP_CAPACITY, "{kept} entries of room kept");
    }

    /// A minimum found past the horizon moves the heap's base forward; a
    /// wake-up scheduled before it afterwards must still come first, and
    /// equal times keep their order.
    #[test]
    fn scheduling_before_a_minimum_seen_past_the_horizon() {
        let mut queue = EventQueue::new(None);
        queue.schedule_at(10.0, wakeup(1));
        queue.schedule_at(12.0, wakeup(2));
        queue.schedule_at(10.0, wakeup(3));
        assert_eq!(queue.next(5.0), Next::PastHorizon);
        queue.schedule_at(7.0, wakeup(4));
        queue.schedule_at(10.0, wakeup(5));
        queue.future.check();
        assert_eq!(drain(&mut queue, f64::INFINITY), vec![(7.0, 4), (10.0, 1), (10.0, 3), (10.0, 5), (12.0, 2)]);
    }

    #[test]
    fn extreme_times_order_by_value() {
        let mut queue = EventQueue::new(None);
        let tiny = f64::from_bits(1); // the smallest positive subnormal
        for (slot, time) in [f64::INFINITY, f64::MAX, 1e-300, tiny, 1.0, f64::INFINITY, tiny].into_iter().enumerate() {
            queue.schedule_at(time, Wakeup { slot: slot as u32, token: u64::MAX - slot as u64 });
        }
        let order: Vec<(f64, u32)> = drain(&mut queue, f64::INFINITY);
        assert_eq!(
            order,
            vec![(tiny, 3), (tiny, 6), (1e-300, 2), (1.0, 4), (f64::MAX, 1), (f64::INFINITY, 0), (f64::INFINITY, 5)]
        );
    }

    /// The specification the queue must meet, written the obvious way: every
    /// wake-up numbered in scheduling order, a wake-up "now" at the current
    /// time, and the smallest `(time, sequence)` first. In random tie order,
    /// a pool of everything due at the current time, filled in that order
    /// when empty and drawn from with the same stream as the queue.
    struct Model {
        now: f64,
        seq: u64,
        pending: BTreeMap<(u64, u64), Wakeup>,
        pool: VecDeque<Wakeup>,
        shuffle: Option<Xoshiro256PlusPlus>,
    }

    impl Model {
        fn new(shuffle: Option<Xoshiro256PlusPlus>) -> Self {
            Model { now: 0.0, seq: 0, pending: Default::default(), pool: Default::default(), shuffle }
        }

        fn schedule_at(&mut self, time: f64, wakeup: Wakeup) {
            let time = if time <= self.now { self.now } else { time };
            if self.shuffle.is_some() && time == self.now {
                self.pool.push_back(wakeup);
            } else {
                self.pending.insert((time.to_bits(), self.seq), wakeup);
            }
            self.seq += 1;
        }

        fn next(&mut self, horizon: f64) -> Next {
            if self.shuffle.is_none() {
                if self.now > horizon {
                    return Next::PastHorizon;
                }
                let Some((&(time_bits, _), _)) = self.pending.first_key_value() else {
                    return Next::Empty;
                };
                if f64::from_bits(time_bits) > horizon {
                    return Next::PastHorizon;
                }
                self.now = f64::from_bits(time_bits);
                return Next::Due(self.pending.pop_first().unwrap().1);
            }
            if self.pool.is_empty() {
                let Some((&(time_bits, _), _)) = self.pending.first_key_value() else {
                    return Next::Empty;
                };
                if f64::from_bits(time_bits) > horizon {
                    return Next::PastHorizon;
                }
                self.now = f64::from_bits(time_bits);
                while self.pending.first_key_value().is_some_and(|(&(bits, _), _)| bits == time_bits) {
                    self.pool.push_back(self.pending.pop_first().unwrap().1);
                }
            }
            if self.now > horizon {
                return Next::PastHorizon;
            }
            let rng = self.shuffle.as_mut().unwrap();
            let index = rng.random_range(0..self.pool.len());
            Next::Due(self.pool.swap_remove_back(index).unwrap())
        }
    }

    mod against_the_model {
        use super::*;
        use proptest::prelude::*;
        use proptest::sample::select;

        /// Times drawn from a few values, so that ties are common, and far
        /// ones; `Abs` times before now mean now.
        #[derive(Debug, Clone, Copy)]
        enum When {
            Abs(f64),
            After(f64),
        }

        #[derive(Debug, Clone, Copy)]
        enum Op {
            At(When, u64),
            Now(u64),
            Next(When),
            NextUnbounded,
        }

        const NEAR: [f64; 9] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0, 16.0];
        const FAR: [f64; 8] = [1e-300, 5e-324, 1e3, 1024.0, 1e6, 1e12, 1e300, f64::INFINITY];
        const DELTAS: [f64; 5] = [0.0, 0.25, 1.0, 2.0, 1000.0];

        fn when() -> impl Strategy<Value = When> {
            prop_oneof![
                6 => select(&NEAR[..]).prop_map(When::Abs),
                2 => select(&FAR[..]).prop_map(When::Abs),
                3 => select(&DELTAS[..]).prop_map(When::After),
            ]
        }

        fn op() -> impl Strategy<Value = Op> {
            // Epochs beyond 32 bits check that they pass through whole.
            let token = prop_oneof![0..4u64, Just(u64::MAX), (1u64 << 32)..(1u64 << 33)];
            prop_oneof![
                5 => (when(), token.clone()).prop_map(|(when, token)| Op::At(when, token)),
                1 => token.prop_map(Op::Now),
                3 => when().prop_map(Op::Next),
                2 => Just(Op::NextUnbounded),
            ]
        }

        fn resolve(when: When, now: f64) -> f64 {
            match when {
                When::Abs(time) => time.max(now),
                When::After(delta) => now + delta,
            }
        }

        /// Runs `ops` on the queue and the model, then drains both; every
        /// step must agree on the result and the time.
        fn agree(ops: &[Op], seed: Option<u64>) -> Result<(), TestCaseError> {
            let stream = || seed.map(Xoshiro256PlusPlus::seed_from_u64);
            let mut queue = EventQueue::new(stream());
            let mut model = Model::new(stream());
            let mut slot = 0;
            for (step, &op) in ops.iter().chain(std::iter::repeat_n(&Op::NextUnbounded, ops.len() + 1)).enumerate() {
                let now = queue.now();
                prop_assert_eq!(now.to_bits(), model.now.to_bits());
                match op {
                    Op::At(when, token) => {
                        slot += 1;
                        let (time, wakeup) = (resolve(when, now), Wakeup { slot, token });
                        queue.schedule_at(time, wakeup);
                        model.schedule_at(time, wakeup);
                    }
                    Op::Now(token) => {
                        slot += 1;
                        queue.schedule_now(Wakeup { slot, token });
                        model.schedule_at(now, Wakeup { slot, token });
                    }
                    Op::Next(when) => {
                        // Horizons may lie before now (even negative).
                        let horizon = match when {
                            When::Abs(time) => time - 1.0,
                            When::After(delta) => now + delta,
                        };
                        prop_assert_eq!(queue.next(horizon), model.next(horizon), "step {}", step);
                    }
                    Op::NextUnbounded => {
                        prop_assert_eq!(queue.next(f64::INFINITY), model.next(f64::INFINITY), "step {}", step);
                    }
                }
                queue.future.check();
            }
            prop_assert_eq!(queue.next(f64::INFINITY), Next::Empty);
            prop_assert_eq!(model.next(f64::INFINITY), Next::Empty);
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn fifo_order_matches_time_then_sequence(ops in proptest::collection::vec(op(), 0..300)) {
                agree(&ops, None)?;
            }

            #[test]
            fn random_tie_order_matches_the_pool_model(
                ops in proptest::collection::vec(op(), 0..300),
                seed in any::<u64>(),
            ) {
                agree(&ops, Some(seed))?;
            }
        }
    }
}
