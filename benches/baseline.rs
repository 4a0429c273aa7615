//! The "limit of the machine" baseline: hand-written Rust discrete-event
//! simulations of the benchmark models in `benches/models/`, with no compiler,
//! no frames and no host-call boundary.
//!
//! Each simulation is a general event loop, not a closed form: a
//! `BinaryHeap` of `(time, sequence)` keys, a process table of enum state
//! machines with a free list, and a step function per process kind. A spawn
//! or a wake-up at the current time is an event at `now` with the next
//! sequence number, as in usim (§6), and so is the wake-up of a process
//! handed what it waits for (an item put to a queue it is getting from, room
//! in a full queue it is putting into, a lock released to it); an operation
//! that can complete at once (a free lock, a non-empty get, a put into a
//! queue with room) completes within the step, without an event. Random numbers come from the same stream
//! as `usimc run --seed 1`: `Xoshiro256PlusPlus::seed_from_u64(seed)` and
//! `usim_stdlib::random::exponential` (rand_distr's `Exp1` scaled by the
//! mean), drawn in the same order, so each model's figures match usimc's bit
//! for bit; [`main`] checks that.
//!
//! Run `cargo bench --bench baseline` for a table of all models, or run the
//! built binary with model names (`baseline mm1_spawn tickers`) to run each
//! once and print its figures, as `benches/compare.sh` does under hyperfine.
//! Without `--bench` or names (`cargo test --benches`) it runs every model
//! once and checks its figures.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::Instant;

use usim_runtime::rand_xoshiro::rand_core::SeedableRng;
use usim_runtime::rand_xoshiro::Xoshiro256PlusPlus;

const SEED: u64 = 1;

/// An exponential sample with the given mean, exactly as usimc draws it.
fn exponential(rng: &mut Xoshiro256PlusPlus, mean: f64) -> f64 {
    match usim_stdlib::random::exponential(rng, mean) {
        Ok(sample) => sample,
        Err(message) => panic!("{message}"),
    }
}

/// The future-event list: process slots keyed by `(time, sequence)`. Times
/// are never negative, so their bit patterns order like the numbers.
struct Queue {
    now: f64,
    seq: u64,
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
}

impl Queue {
    fn new() -> Self {
        Queue { now: 0.0, seq: 0, heap: BinaryHeap::new() }
    }

    fn schedule(&mut self, time: f64, slot: u32) {
        self.heap.push(Reverse((time.to_bits(), self.seq, slot)));
        self.seq += 1;
    }

    /// The next due slot, advancing time, unless it lies past `horizon`.
    fn next(&mut self, horizon: f64) -> Option<u32> {
        let Reverse((time_bits, _, _)) = *self.heap.peek()?;
        let time = f64::from_bits(time_bits);
        if time > horizon {
            return None;
        }
        self.now = time;
        self.heap.pop().map(|Reverse((_, _, slot))| slot)
    }
}

/// A process table with slot reuse.
struct Table<P> {
    slots: Vec<P>,
    free: Vec<u32>,
}

impl<P> Table<P> {
    fn new() -> Self {
        Table { slots: Vec::new(), free: Vec::new() }
    }

    fn insert(&mut self, process: P) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = process;
                slot
            }
            None => {
                self.slots.push(process);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, slot: u32) {
        self.free.push(slot);
    }
}

/// What one run of a model reports.
struct Figures {
    events: u64,
    end_time: f64,
    /// A model-specific result, to compare with usimc's.
    check: String,
}

// ---------------------------------------------------------------------------
// mm1_spawn: benches/models/mm1_spawn.usim

mod mm1 {
    pub const CUSTOMERS: i64 = 500_000;
    pub const ARRIVAL_MEAN: f64 = 1.25;
    pub const SERVICE_MEAN: f64 = 1.0;
}

#[derive(Clone, Copy)]
enum Mm1Proc {
    /// The source before its first step (`next == 0`) or after the delay
    /// following the spawn of customer `next - 1`.
    Source { next: i64 },
    /// A customer before its first step.
    CustomerStart,
    /// A customer sleeping through its wait and service.
    CustomerDone { arrive: f64, wait: f64 },
}

fn mm1_spawn() -> Figures {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<Mm1Proc> = Table::new();
    let (mut server_free_at, mut done, mut total_wait, mut total_time) = (0.0f64, 0i64, 0.0f64, 0.0f64);
    let mut events = 0u64;
    let root = procs.insert(Mm1Proc::Source { next: 0 });
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(f64::INFINITY) {
        events += 1;
        let now = queue.now;
        match procs.slots[slot as usize] {
            Mm1Proc::Source { next } => {
                if next < mm1::CUSTOMERS {
                    let child = procs.insert(Mm1Proc::CustomerStart);
                    queue.schedule(now, child);
                    let gap = exponential(&mut rng, mm1::ARRIVAL_MEAN);
                    procs.slots[slot as usize] = Mm1Proc::Source { next: next + 1 };
                    queue.schedule(now + gap, slot);
                } else {
                    procs.release(slot);
                }
            }
            Mm1Proc::CustomerStart => {
                let wait = (server_free_at - now).max(0.0);
                let service = exponential(&mut rng, mm1::SERVICE_MEAN);
                server_free_at = now + wait + service;
                procs.slots[slot as usize] = Mm1Proc::CustomerDone { arrive: now, wait };
                queue.schedule(now + (wait + service), slot);
            }
            Mm1Proc::CustomerDone { arrive, wait } => {
                done += 1;
                total_wait += wait;
                total_time += now - arrive;
                procs.release(slot);
            }
        }
    }
    Figures {
        events,
        end_time: queue.now,
        check: format!("done {done} total_wait {total_wait} total_time {total_time}"),
    }
}

// ---------------------------------------------------------------------------
// tickers: benches/models/tickers.usim

mod tick {
    pub const TICKERS: i64 = 1000;
    pub const TICK_MEAN: f64 = 1.0;
    pub const HORIZON: f64 = 1000.0;
}

#[derive(Clone, Copy)]
enum TickProc {
    Start,
    /// A ticker before its first step.
    TickerStart,
    /// A ticker waking from its delay.
    TickerWake,
}

fn tickers() -> Figures {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<TickProc> = Table::new();
    let mut ticks = 0i64;
    let mut events = 0u64;
    let root = procs.insert(TickProc::Start);
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(tick::HORIZON) {
        events += 1;
        let now = queue.now;
        match procs.slots[slot as usize] {
            TickProc::Start => {
                for _ in 0..tick::TICKERS {
                    let child = procs.insert(TickProc::TickerStart);
                    queue.schedule(now, child);
                }
                procs.release(slot);
            }
            TickProc::TickerStart | TickProc::TickerWake => {
                if let TickProc::TickerWake = procs.slots[slot as usize] {
                    ticks += 1;
                }
                procs.slots[slot as usize] = TickProc::TickerWake;
                let d = exponential(&mut rng, tick::TICK_MEAN);
                queue.schedule(now + d, slot);
            }
        }
    }
    Figures { events, end_time: tick::HORIZON, check: format!("ticks {ticks}") }
}

// ---------------------------------------------------------------------------
// fib_compute: benches/models/fib_compute.usim, in plain Rust with overflow
// checks like usim's ints.

mod fibm {
    pub const FIB_N: i64 = 30;
    pub const REPS: i64 = 10;
}

fn fib(n: i64) -> i64 {
    if n < 2 {
        return n;
    }
    match fib(n - 1).checked_add(fib(n - 2)) {
        Some(sum) => sum,
        None => panic!("integer overflow"),
    }
}

fn fib_compute() -> Figures {
    let mut total = 0i64;
    for _ in 0..fibm::REPS {
        total += fib(black_box(fibm::FIB_N));
    }
    // One process: its first step, then one resumption per delay.
    Figures { events: fibm::REPS as u64 + 1, end_time: fibm::REPS as f64, check: format!("total {total}") }
}

// ---------------------------------------------------------------------------
// pingpong: benches/models/pingpong.usim

mod pp {
    pub const MESSAGES: i64 = 1_000_000;
}

/// An unbounded usim queue of ints: buffered items and the processes
/// waiting in `get`, in the order they began to wait. At most one of the
/// two is non-empty.
struct IntQueue {
    items: VecDeque<i64>,
    getters: VecDeque<u32>,
}

impl IntQueue {
    fn new() -> Self {
        IntQueue { items: VecDeque::new(), getters: VecDeque::new() }
    }

    /// `await q.get()` by the process in `slot`: the first item at once, or
    /// `None` when the queue is empty and the process waits.
    fn get(&mut self, slot: u32) -> Option<i64> {
        let item = self.items.pop_front();
        if item.is_none() {
            self.getters.push_back(slot);
        }
        item
    }
}

#[derive(Clone, Copy)]
enum PingProc {
    /// The pinger before its first step.
    PingerStart,
    /// The pinger waiting in `pong.get()` for the reply to message `i`, and
    /// the reply once it is handed over.
    PingerWait { i: i64, reply: i64 },
    /// The ponger before its first step.
    PongerStart,
    /// The ponger waiting in `ping.get()`, and the message once it is handed
    /// over.
    PongerWait { x: i64 },
}

/// `await q.put(item)` on an unbounded queue, which never suspends: the item
/// goes straight to the first process waiting in `get`, which is woken now
/// (§6), or else into the buffer.
fn put(queue: &mut Queue, procs: &mut Table<PingProc>, q: &mut IntQueue, item: i64) {
    match q.getters.pop_front() {
        Some(getter) => {
            match &mut procs.slots[getter as usize] {
                PingProc::PingerWait { reply, .. } => *reply = item,
                PingProc::PongerWait { x } => *x = item,
                _ => unreachable!("only a waiting process is a getter"),
            }
            queue.schedule(queue.now, getter);
        }
        None => q.items.push_back(item),
    }
}

fn pingpong() -> Figures {
    let mut queue = Queue::new();
    let mut procs: Table<PingProc> = Table::new();
    let (mut ping, mut pong) = (IntQueue::new(), IntQueue::new());
    let mut total = 0i64;
    let mut printed = String::new();
    let mut events = 0u64;
    // `run pinger(), ponger()`: both start at time 0, in that order.
    for root in [PingProc::PingerStart, PingProc::PongerStart] {
        let slot = procs.insert(root);
        queue.schedule(0.0, slot);
    }
    while let Some(slot) = queue.next(f64::INFINITY) {
        events += 1;
        match procs.slots[slot as usize] {
            PingProc::PingerStart | PingProc::PingerWait { .. } => {
                let mut i = match procs.slots[slot as usize] {
                    PingProc::PingerWait { i, reply } => {
                        total += reply;
                        i + 1
                    }
                    _ => 0,
                };
                loop {
                    if i == pp::MESSAGES {
                        printed = format!("total {total} at {}", queue.now);
                        procs.release(slot);
                        break;
                    }
                    put(&mut queue, &mut procs, &mut ping, i);
                    match pong.get(slot) {
                        Some(reply) => {
                            total += reply;
                            i += 1;
                        }
                        None => {
                            procs.slots[slot as usize] = PingProc::PingerWait { i, reply: 0 };
                            break;
                        }
                    }
                }
            }
            PingProc::PongerStart | PingProc::PongerWait { .. } => {
                let mut got = match procs.slots[slot as usize] {
                    PingProc::PongerWait { x } => Some(x),
                    _ => None,
                };
                loop {
                    if let Some(x) = got {
                        put(&mut queue, &mut procs, &mut pong, x + 1);
                    }
                    got = ping.get(slot);
                    if got.is_none() {
                        procs.slots[slot as usize] = PingProc::PongerWait { x: 0 };
                        break;
                    }
                }
            }
        }
    }
    // The ponger is left waiting in `ping.get()`.
    Figures { events, end_time: queue.now, check: printed }
}

// ---------------------------------------------------------------------------
// mm1_lock: benches/models/mm1_lock.usim

mod mm1l {
    pub const CUSTOMERS: i64 = 1_000_000;
    pub const ARRIVAL_MEAN: f64 = 1.25;
    pub const SERVICE_MEAN: f64 = 1.0;
}

/// A usim `lock` of capacity 1: whether it is held, and the processes
/// waiting for it, FIFO.
struct Lock {
    held: bool,
    waiters: VecDeque<u32>,
}

impl Lock {
    /// Entering `with` by the process in `slot`: whether it holds the lock at
    /// once; if not, it waits.
    fn acquire(&mut self, slot: u32) -> bool {
        if self.held {
            self.waiters.push_back(slot);
            false
        } else {
            self.held = true;
            true
        }
    }

    /// Leaving `with`: the lock goes straight to the first waiter, returned
    /// to be woken now (§6), or else becomes free.
    fn release(&mut self) -> Option<u32> {
        let next = self.waiters.pop_front();
        self.held = next.is_some();
        next
    }
}

#[derive(Clone, Copy)]
enum LockProc {
    /// The source before its first step (`next == 0`) or after the delay
    /// following the spawn of customer `next - 1`.
    Source { next: i64 },
    /// A customer before its first step.
    CustomerStart,
    /// A customer waiting for the lock since `arrive`; woken holding it.
    CustomerQueued { arrive: f64 },
    /// A customer sleeping through its service, holding the lock.
    CustomerServed { arrive: f64 },
}

fn mm1_lock() -> Figures {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<LockProc> = Table::new();
    let mut server = Lock { held: false, waiters: VecDeque::new() };
    let (mut done, mut total_wait, mut total_time) = (0i64, 0.0f64, 0.0f64);
    let mut printed = String::new();
    let mut events = 0u64;
    let root = procs.insert(LockProc::Source { next: 0 });
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(f64::INFINITY) {
        events += 1;
        let now = queue.now;
        // `Some(arrive)` when the stepping customer, which arrived at
        // `arrive`, starts its service now, holding the lock.
        let serve = match procs.slots[slot as usize] {
            LockProc::Source { next } => {
                if next < mm1l::CUSTOMERS {
                    let child = procs.insert(LockProc::CustomerStart);
                    queue.schedule(now, child);
                    let gap = exponential(&mut rng, mm1l::ARRIVAL_MEAN);
                    procs.slots[slot as usize] = LockProc::Source { next: next + 1 };
                    queue.schedule(now + gap, slot);
                } else {
                    procs.release(slot);
                }
                None
            }
            LockProc::CustomerStart => {
                if server.acquire(slot) {
                    Some(now)
                } else {
                    procs.slots[slot as usize] = LockProc::CustomerQueued { arrive: now };
                    None
                }
            }
            LockProc::CustomerQueued { arrive } => Some(arrive),
            LockProc::CustomerServed { arrive } => {
                if let Some(waiter) = server.release() {
                    queue.schedule(now, waiter);
                }
                done += 1;
                total_time += now - arrive;
                if done == mm1l::CUSTOMERS {
                    let n = done as f64;
                    printed = format!("done {done} mean wait {} mean time {}", total_wait / n, total_time / n);
                }
                procs.release(slot);
                None
            }
        };
        if let Some(arrive) = serve {
            total_wait += now - arrive;
            let service = exponential(&mut rng, mm1l::SERVICE_MEAN);
            procs.slots[slot as usize] = LockProc::CustomerServed { arrive };
            queue.schedule(now + service, slot);
        }
    }
    Figures { events, end_time: queue.now, check: printed }
}

// ---------------------------------------------------------------------------
// tandem: benches/models/tandem.usim

mod tandem {
    pub const STATIONS: usize = 10;
    pub const JOBS: i64 = 1_000_000;
    pub const ARRIVAL_MEAN: f64 = 1.0;
    pub const CAPACITY: usize = 10;

    /// Station `k`'s mean service time, computed as `main` computes the
    /// argument of `worker(k, ...)`.
    pub fn service_mean(k: usize) -> f64 {
        0.5 + 0.4 * k as f64 / STATIONS as f64
    }
}

/// The model's `struct Job`.
#[derive(Clone, Copy)]
struct Job {
    id: i64,
    arrive: f64,
}

/// A bounded usim queue of jobs: buffered items, the processes waiting in
/// `get` and the processes waiting in `put` with their items, each line in
/// the order it began to wait. Getters wait only on an empty queue and
/// putters only on a full one.
struct JobQueue {
    items: VecDeque<Job>,
    getters: VecDeque<u32>,
    putters: VecDeque<(u32, Job)>,
}

#[derive(Clone, Copy)]
enum TandemProc {
    /// `main` before its first step.
    MainStart,
    /// `main` after the delay that followed the put of job `next - 1`.
    Source { next: i64 },
    /// `main` waiting to put job `next` into a full `buffers[0]`; woken once
    /// the job is in.
    SourcePut { next: i64 },
    /// Worker `k` before its first step.
    WorkerStart { k: usize },
    /// Worker `k` waiting in `buffers[k].get()`, and the job once it is
    /// handed over.
    WorkerGet { k: usize, job: Job },
    /// Worker `k` holding `machines[k]` through the service of `job`.
    WorkerServe { k: usize, job: Job },
    /// Worker `k` waiting to put its job into a full `buffers[k + 1]`; woken
    /// once the job is in.
    WorkerPut { k: usize },
}

/// `await q.put(job)` by the process in `slot`: the job goes straight to a
/// waiting getter, which is woken now, or into the buffer if there is room.
/// Returns whether the put completed; if not, the process waits.
fn put_job(queue: &mut Queue, procs: &mut Table<TandemProc>, q: &mut JobQueue, slot: u32, job: Job) -> bool {
    if let Some(getter) = q.getters.pop_front() {
        match &mut procs.slots[getter as usize] {
            TandemProc::WorkerGet { job: handed, .. } => *handed = job,
            _ => unreachable!("only a waiting worker is a getter"),
        }
        queue.schedule(queue.now, getter);
        true
    } else if q.items.len() < tandem::CAPACITY {
        q.items.push_back(job);
        true
    } else {
        q.putters.push_back((slot, job));
        false
    }
}

/// `await q.get()` by the process in `slot`: the oldest job at once, letting
/// the first waiting putter's job in (the putter is woken now), or `None`
/// when the queue is empty and the process waits.
fn get_job(queue: &mut Queue, q: &mut JobQueue, slot: u32) -> Option<Job> {
    let Some(job) = q.items.pop_front() else {
        q.getters.push_back(slot);
        return None;
    };
    if let Some((putter, waiting)) = q.putters.pop_front() {
        q.items.push_back(waiting);
        queue.schedule(queue.now, putter);
    }
    Some(job)
}

fn tandem() -> Figures {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<TandemProc> = Table::new();
    let mut machines: Vec<Lock> =
        (0..tandem::STATIONS).map(|_| Lock { held: false, waiters: VecDeque::new() }).collect();
    let mut buffers: Vec<JobQueue> = (0..tandem::STATIONS)
        .map(|_| JobQueue { items: VecDeque::new(), getters: VecDeque::new(), putters: VecDeque::new() })
        .collect();
    let means: Vec<f64> = (0..tandem::STATIONS).map(tandem::service_mean).collect();
    let (mut done, mut sum) = (0i64, 0.0f64);
    let mut printed = String::new();
    let mut events = 0u64;
    let root = procs.insert(TandemProc::MainStart);
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(f64::INFINITY) {
        events += 1;
        let now = queue.now;
        match procs.slots[slot as usize] {
            TandemProc::MainStart | TandemProc::Source { .. } | TandemProc::SourcePut { .. } => {
                // `put` is the job `main` puts now, if any: `Some(true)`
                // when it is already in (`main` was woken from a full
                // buffer).
                let (next, put) = match procs.slots[slot as usize] {
                    TandemProc::MainStart => {
                        for k in 0..tandem::STATIONS {
                            let worker = procs.insert(TandemProc::WorkerStart { k });
                            queue.schedule(now, worker);
                        }
                        (0, false)
                    }
                    TandemProc::Source { next } => (next, false),
                    TandemProc::SourcePut { next } => (next, true),
                    _ => unreachable!(),
                };
                if next == tandem::JOBS {
                    procs.release(slot);
                    continue;
                }
                if !put {
                    let job = Job { id: next, arrive: now };
                    if !put_job(&mut queue, &mut procs, &mut buffers[0], slot, job) {
                        procs.slots[slot as usize] = TandemProc::SourcePut { next };
                        continue;
                    }
                }
                let gap = exponential(&mut rng, tandem::ARRIVAL_MEAN);
                procs.slots[slot as usize] = TandemProc::Source { next: next + 1 };
                queue.schedule(now + gap, slot);
            }
            TandemProc::WorkerStart { k }
            | TandemProc::WorkerGet { k, .. }
            | TandemProc::WorkerServe { k, .. }
            | TandemProc::WorkerPut { k } => {
                // The job worker `k` starts to serve now, if it has one.
                let mut serve = match procs.slots[slot as usize] {
                    TandemProc::WorkerGet { job, .. } => Some(job),
                    TandemProc::WorkerServe { job, .. } => {
                        // The end of `with machines[k]`: nobody else waits
                        // for it.
                        if let Some(waiter) = machines[k].release() {
                            queue.schedule(now, waiter);
                        }
                        if k + 1 < tandem::STATIONS {
                            if !put_job(&mut queue, &mut procs, &mut buffers[k + 1], slot, job) {
                                procs.slots[slot as usize] = TandemProc::WorkerPut { k };
                                continue;
                            }
                        } else {
                            assert_eq!(job.id, done, "job {} left as number {done}", job.id);
                            done += 1;
                            sum += now - job.arrive;
                            if done == tandem::JOBS {
                                printed = format!("done {done} mean time in system {}", sum / done as f64);
                            }
                        }
                        None
                    }
                    _ => None,
                };
                if serve.is_none() {
                    serve = get_job(&mut queue, &mut buffers[k], slot);
                }
                match serve {
                    Some(job) => {
                        assert!(machines[k].acquire(slot), "a worker is its machine's only user");
                        let service = exponential(&mut rng, means[k]);
                        procs.slots[slot as usize] = TandemProc::WorkerServe { k, job };
                        queue.schedule(now + service, slot);
                    }
                    None => {
                        procs.slots[slot as usize] = TandemProc::WorkerGet { k, job: Job { id: -1, arrive: 0.0 } };
                    }
                }
            }
        }
    }
    // The workers are left waiting in `get`.
    Figures { events, end_time: queue.now, check: printed }
}

// ---------------------------------------------------------------------------

type Model = (&'static str, fn() -> Figures);

const MODELS: [Model; 6] = [
    ("mm1_spawn", mm1_spawn),
    ("tickers", tickers),
    ("fib_compute", fib_compute),
    ("pingpong", pingpong),
    ("mm1_lock", mm1_lock),
    ("tandem", tandem),
];

/// usimc's figures for the models with `--seed 1`, which the baseline must
/// reproduce: `(model, events, end time, check)`. (mm1_lock's were also
/// reproduced by a separate Lindley-recursion computation drawing in event
/// order; tandem's also with other STATIONS, JOBS, ARRIVAL_MEAN and
/// CAPACITY, down to capacity 1 with the source blocked most of the time.)
const EXPECTED: [(&str, u64, f64, &str); 6] = [
    (
        "mm1_spawn",
        1_500_001,
        624_792.046_181_191_6,
        "done 500000 total_wait 1955421.4179453165 total_time 2454471.5494396426",
    ),
    ("tickers", 1_002_209, 1000.0, "ticks 1001208"),
    ("fib_compute", 11, 10.0, "total 8320400"),
    ("pingpong", 2_000_001, 0.0, "total 500000500000 at 0"),
    (
        "mm1_lock",
        3_799_843,
        1_249_782.413_209_255,
        "done 1000000 mean wait 4.010429944969294 mean time 5.010194343500145",
    ),
    ("tandem", 14_262_006, 1_000_587.552_167_765_1, "done 1000000 mean time in system 28.8109693439349"),
];

fn report(name: &str, figures: &Figures) {
    println!("model {name}\nevents {}\nend time {}\n{}", figures.events, figures.end_time, figures.check);
    if let Some(&(_, events, end_time, check)) = EXPECTED.iter().find(|e| e.0 == name) {
        if (events, end_time.to_bits(), check) != (figures.events, figures.end_time.to_bits(), figures.check.as_str()) {
            eprintln!("baseline {name}: figures differ from usimc's (events {events}, end time {end_time}, {check})");
            std::process::exit(1);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut names: Vec<String> = args.iter().filter(|a| !a.starts_with("--")).cloned().collect();
    if names.is_empty() && !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches`: run each model once and check its figures.
        names = MODELS.iter().map(|(name, _)| name.to_string()).collect();
    }
    if !names.is_empty() {
        for name in &names {
            let Some(&(_, model)) = MODELS.iter().find(|(n, _)| n == name) else {
                eprintln!("unknown model {name}; known: mm1_spawn, tickers, fib_compute, pingpong, mm1_lock, tandem");
                std::process::exit(2);
            };
            report(name, &model());
        }
        return;
    }
    // `cargo bench --bench baseline`: the median of 7 timed runs of each.
    println!("| model | events | median wall (ms) | ns/event (fib_compute: ns per `fib` call) |");
    println!("|---|---:|---:|---:|");
    for (name, model) in MODELS {
        let mut times = Vec::new();
        let mut figures = model();
        for _ in 0..7 {
            let start = Instant::now();
            figures = black_box(model());
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        // fib(n) makes 2 * fib(n + 1) - 1 calls of `fib`.
        let units =
            if name == "fib_compute" { fibm::REPS * (2 * fib(fibm::FIB_N + 1) - 1) } else { figures.events as i64 };
        println!("| {name} | {} | {:.2} | {:.2} |", figures.events, median * 1e3, median * 1e9 / units as f64);
        if let Some(&(_, events, end_time, check)) = EXPECTED.iter().find(|e| e.0 == name) {
            assert_eq!((figures.events, figures.end_time, figures.check.as_str()), (events, end_time, check));
        }
    }
}
