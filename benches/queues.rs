//! Event-queue experiment: the `tickers` workload (N processes, each looping
//! on an exponential delay, about a million events in all) over three
//! future-event lists, at N = 1,000, 10,000 and 100,000.
//!
//! - a `BinaryHeap` of 24-byte `(time, sequence, slot)` entries, as in
//!   `benches/baseline.rs`;
//! - a `BinaryHeap` of 32-byte entries ordered by `(time, sequence)` with a
//!   `(slot, epoch)` wake-up, the layout of `usim_runtime`'s queue;
//! - a radix heap on the time's bit pattern. Simulated time never goes back,
//!   which is all a radix heap needs; entries of equal time leave in the
//!   order they came, so `(time, sequence)` order is kept without storing a
//!   sequence number.
//!
//! Every variant must produce the same events and ticks (checked), which
//! are also usimc's for `tickers.usim --set TICKERS=N --until 1e6/N`.
//! `cargo bench --bench queues` prints a table of median times; without
//! `--bench` (`cargo test --benches`) it only checks that the variants agree.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::Instant;

use usim_runtime::rand_xoshiro::rand_core::SeedableRng;
use usim_runtime::rand_xoshiro::Xoshiro256PlusPlus;

trait EventList {
    fn push(&mut self, time: f64, slot: u32);
    /// The earliest entry, first-in first among equal times.
    fn pop(&mut self) -> Option<(f64, u32)>;
}

#[derive(Default)]
struct Heap24 {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    seq: u64,
}

impl EventList for Heap24 {
    fn push(&mut self, time: f64, slot: u32) {
        self.heap.push(Reverse((time.to_bits(), self.seq, slot)));
        self.seq += 1;
    }

    fn pop(&mut self) -> Option<(f64, u32)> {
        self.heap.pop().map(|Reverse((time, _, slot))| (f64::from_bits(time), slot))
    }
}

/// `usim_runtime::events::Timed`'s layout.
#[derive(PartialEq, Eq)]
struct Timed {
    time_bits: u64,
    seq: u64,
    slot: u32,
    epoch: u64,
}

impl Ord for Timed {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time_bits, other.seq).cmp(&(self.time_bits, self.seq))
    }
}

impl PartialOrd for Timed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Default)]
struct Heap32 {
    heap: BinaryHeap<Timed>,
    seq: u64,
}

impl EventList for Heap32 {
    fn push(&mut self, time: f64, slot: u32) {
        self.heap.push(Timed { time_bits: time.to_bits(), seq: self.seq, slot, epoch: 0 });
        self.seq += 1;
    }

    fn pop(&mut self) -> Option<(f64, u32)> {
        self.heap.pop().map(|timed| (f64::from_bits(timed.time_bits), timed.slot))
    }
}

/// A radix heap keyed by the bit pattern of a non-negative time: bucket `b`
/// holds the entries whose key first differs from `last` (the last key
/// popped) in bit `b - 1`; bucket 0, those equal to `last`, in arrival order.
struct Radix {
    last: u64,
    equal: VecDeque<u32>,
    buckets: Vec<Vec<(u64, u32)>>,
    len: usize,
}

impl Default for Radix {
    fn default() -> Self {
        Radix { last: 0, equal: VecDeque::new(), buckets: (0..=64).map(|_| Vec::new()).collect(), len: 0 }
    }
}

impl Radix {
    fn place(&mut self, key: u64, slot: u32) {
        match key ^ self.last {
            0 => self.equal.push_back(slot),
            diff => self.buckets[64 - diff.leading_zeros() as usize].push((key, slot)),
        }
    }
}

impl EventList for Radix {
    fn push(&mut self, time: f64, slot: u32) {
        self.len += 1;
        self.place(time.to_bits(), slot);
    }

    fn pop(&mut self) -> Option<(f64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.equal.is_empty() {
            // Redistribute the lowest non-empty bucket around its minimum;
            // its entries keep their order, and the buckets below are empty.
            let index = (1..=64).find(|&b| !self.buckets[b].is_empty())?;
            let mut bucket = std::mem::take(&mut self.buckets[index]);
            self.last = bucket.iter().map(|&(key, _)| key).min()?;
            for &(key, slot) in &bucket {
                self.place(key, slot);
            }
            bucket.clear();
            self.buckets[index] = bucket; // keep the allocation
        }
        self.len -= 1;
        self.equal.pop_front().map(|slot| (f64::from_bits(self.last), slot))
    }
}

/// `tickers` with `n` processes until `1e6 / n`: returns (events, ticks).
fn tickers<Q: EventList + Default>(n: u32) -> (u64, u64) {
    let horizon = 1e6 / f64::from(n);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut queue = Q::default();
    let mut started = vec![false; n as usize];
    let (mut events, mut ticks) = (1u64, 0u64); // the starter's step
    for slot in 0..n {
        queue.push(0.0, slot);
    }
    while let Some((now, slot)) = queue.pop() {
        if now > horizon {
            break;
        }
        events += 1;
        if std::mem::replace(&mut started[slot as usize], true) {
            ticks += 1;
        }
        let delay = match usim_stdlib::random::exponential(&mut rng, 1.0) {
            Ok(delay) => delay,
            Err(message) => panic!("{message}"),
        };
        queue.push(now + delay, slot);
    }
    (events, ticks)
}

/// The median of 7 timed runs in milliseconds, and the run's figures.
fn time<Q: EventList + Default>(n: u32) -> (f64, (u64, u64)) {
    let mut figures = tickers::<Q>(n);
    let mut times: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            figures = black_box(tickers::<Q>(black_box(n)));
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], figures)
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        // `cargo test --benches`: check that the variants agree, untimed.
        for n in [100, 1_000] {
            let figures = tickers::<Heap24>(n);
            assert_eq!(figures, tickers::<Heap32>(n), "the two heaps disagree at n = {n}");
            assert_eq!(figures, tickers::<Radix>(n), "the radix heap disagrees at n = {n}");
        }
        println!("queues: the three event lists agree");
        return;
    }
    println!("| processes | events | BinaryHeap, 24-byte entries | BinaryHeap, usim_runtime's 32-byte entries | radix heap |");
    println!("|---:|---:|---:|---:|---:|");
    for n in [1_000, 10_000, 100_000] {
        let (heap24, figures) = time::<Heap24>(n);
        let (heap32, figures32) = time::<Heap32>(n);
        let (radix, figures_radix) = time::<Radix>(n);
        assert_eq!(figures, figures32, "the two heaps disagree at n = {n}");
        assert_eq!(figures, figures_radix, "the radix heap disagrees at n = {n}");
        let per = |ms: f64| format!("{ms:.1} ms ({:.1} ns/event)", ms * 1e6 / figures.0 as f64);
        println!("| {n} | {} | {} | {} | {} |", figures.0, per(heap24), per(heap32), per(radix));
    }
}
