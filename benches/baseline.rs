//! The "limit of the machine" baseline (the floor): hand-written Rust
//! discrete-event simulations of the benchmark models in `benches/models/`,
//! with no compiler, no frames and no host-call boundary.
//!
//! Each simulation is a general event loop, not a closed form: a
//! `BinaryHeap` of `(time, sequence)` keys with a FIFO ready queue beside it
//! for wake-ups at the current time, a process table of enum state machines
//! with a free list (no allocation per event), and a step function per
//! process kind. A spawn or a wake-up at the current time is an event at
//! `now` with the next sequence number, as in usim (§6), and so is the
//! wake-up of a process handed what it waits for (an item put to a queue it
//! is getting from, room in a full queue it is putting into, a lock released
//! to it); an operation that can complete at once (a free lock, a non-empty
//! get, a put into a queue with room) completes within the step, without an
//! event. Random numbers come from the same stream as `usimc run --seed 1`:
//! `Xoshiro256PlusPlus::seed_from_u64(seed)` and `usim_stdlib::random`'s
//! `exponential` and `uniform`, drawn in the same order, so each model's
//! figures match usimc's bit for bit. Where usimc reports statistics the
//! model needs (`mm1_record`'s tallies and lock), the baseline gathers them
//! the same way, at the same moments, and computes the same figures.
//!
//! Usage (the built bench binary; `benches/run` finds it):
//!
//! ```text
//! baseline [--json] MODEL [NAME=VALUE ...] [MODEL [NAME=VALUE ...] ...]
//! ```
//!
//! runs each model once, with its params overridden as `usimc run --set`
//! would, and prints its figures: as text, or with `--json` as one JSON
//! object per model shaped like a run of usimc's `--report json` (`events`,
//! `end_time`, `printed` for the model's `print` lines, and the `vars`,
//! `tallies` and `locks` figures the baseline computes), which `benches/run`
//! compares with usimc's report. A run with every param at its default is
//! also checked against usimc's figures recorded in [`EXPECTED`]. With no
//! model (`cargo test --benches`) it runs every model once and checks it;
//! `cargo bench --bench baseline` prints an in-process timing table.
//!
//! `tests/benches.rs` includes this file as a module and checks each model
//! against usimc at small sizes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::Instant;

use usim_runtime::rand_xoshiro::rand_core::SeedableRng;
use usim_runtime::rand_xoshiro::Xoshiro256PlusPlus;
use usim_stdlib::format::format_float;

const SEED: u64 = 1;

/// An exponential sample with the given mean, exactly as usimc draws it.
fn exponential(rng: &mut Xoshiro256PlusPlus, mean: f64) -> f64 {
    match usim_stdlib::random::exponential(rng, mean) {
        Ok(sample) => sample,
        Err(message) => panic!("{message}"),
    }
}

/// A uniform sample in `[lo, hi)`, exactly as usimc draws it.
fn uniform(rng: &mut Xoshiro256PlusPlus, lo: f64, hi: f64) -> f64 {
    match usim_stdlib::random::uniform(rng, lo, hi) {
        Ok(sample) => sample,
        Err(message) => panic!("{message}"),
    }
}

/// The future-event list: process slots keyed by `(time, sequence)` in a
/// binary heap, and a FIFO of the slots scheduled at the current time. Times
/// are never negative, so their bit patterns order like the numbers.
///
/// Every heap entry due at the current time was scheduled before the clock
/// reached it, so its sequence number is below every ready entry's: popping
/// those heap entries first, then the ready FIFO, then advancing the clock
/// is exactly `(time, sequence)` order.
struct Queue {
    now: f64,
    seq: u64,
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    ready: VecDeque<u32>,
}

impl Queue {
    fn new() -> Self {
        Queue { now: 0.0, seq: 0, heap: BinaryHeap::new(), ready: VecDeque::new() }
    }

    fn schedule(&mut self, time: f64, slot: u32) {
        if time.to_bits() == self.now.to_bits() {
            self.ready.push_back(slot);
        } else {
            self.heap.push(Reverse((time.to_bits(), self.seq, slot)));
        }
        self.seq += 1;
    }

    /// The next due slot, advancing time, unless it lies past `horizon`.
    fn next(&mut self, horizon: f64) -> Option<u32> {
        let now_bits = self.now.to_bits();
        match self.heap.peek() {
            Some(&Reverse((time_bits, _, _))) if time_bits == now_bits => {
                return self.heap.pop().map(|Reverse((_, _, slot))| slot);
            }
            _ => {}
        }
        if let Some(slot) = self.ready.pop_front() {
            return Some(slot);
        }
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

// ---------------------------------------------------------------------------
// Params and figures

/// A model's params: `NAME=VALUE` overrides of the defaults, as
/// `usimc run --set NAME=VALUE` gives them.
#[derive(Default, Clone)]
pub struct Params {
    overrides: Vec<(String, String)>,
}

impl Params {
    /// Parses `NAME=VALUE` arguments.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Params, String> {
        let mut overrides = Vec::new();
        for arg in args {
            let arg = arg.as_ref();
            let Some((name, value)) = arg.split_once('=') else {
                return Err(format!("expected NAME=VALUE, got `{arg}`"));
            };
            overrides.push((name.to_string(), value.replace('_', "")));
        }
        Ok(Params { overrides })
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.overrides.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn int(&self, name: &str, default: i64) -> i64 {
        self.value(name).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}={v}: not an int")))
    }

    pub fn float(&self, name: &str, default: f64) -> f64 {
        self.value(name).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}={v}: not a float")))
    }

    pub fn is_default(&self) -> bool {
        self.overrides.is_empty()
    }

    /// Panics on a param the model does not have.
    fn only(&self, model: &str, names: &[&str]) {
        for (name, _) in &self.overrides {
            assert!(names.contains(&name.as_str()), "{model} has no param {name} (it has {})", names.join(", "));
        }
    }
}

/// A `record` tally's figures, as usimc's report gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct TallyFigures {
    pub name: &'static str,
    pub count: u64,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub mser5_warmup: f64,
}

/// A lock's figures, as usimc's report gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct LockFigures {
    pub name: &'static str,
    pub capacity: u64,
    pub acquired: u64,
    pub utilization: f64,
    pub mean_queue: f64,
    pub max_queue: f64,
    pub mean_wait: f64,
    pub max_wait: f64,
}

/// A global var's final value (int or float).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
}

/// What one run of a model reports.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub events: u64,
    pub end_time: f64,
    /// The model's `print` lines, as usimc prints them.
    pub printed: Vec<String>,
    /// Final values of global vars.
    pub vars: Vec<(&'static str, Value)>,
    pub tallies: Vec<TallyFigures>,
    pub locks: Vec<LockFigures>,
}

/// A float as JSON (`null` for NaN or an infinity, as usimc writes them).
fn json_float(x: f64) -> String {
    if x.is_finite() {
        // `{:?}` is the shortest text that reads back as the same float.
        format!("{x:?}")
    } else {
        "null".to_string()
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Figures {
    /// Every figure on one line, for [`EXPECTED`] and the text output.
    pub fn summary(&self) -> String {
        let mut parts = self.printed.clone();
        for (name, value) in &self.vars {
            match value {
                Value::Int(v) => parts.push(format!("var {name} {v}")),
                Value::Float(v) => parts.push(format!("var {name} {v:?}")),
            }
        }
        for t in &self.tallies {
            parts.push(format!(
                "tally {} count {} mean {:?} std {:?} min {:?} max {:?} p50 {:?} p95 {:?} p99 {:?} mser5 {:?}",
                t.name, t.count, t.mean, t.std, t.min, t.max, t.p50, t.p95, t.p99, t.mser5_warmup
            ));
        }
        for l in &self.locks {
            parts.push(format!(
                "lock {} capacity {} acquired {} utilization {:?} mean_queue {:?} max_queue {:?} mean_wait {:?} max_wait {:?}",
                l.name, l.capacity, l.acquired, l.utilization, l.mean_queue, l.max_queue, l.mean_wait, l.max_wait
            ));
        }
        parts.join("; ")
    }

    /// The figures as a JSON object shaped like one run of usimc's
    /// `--report json`, plus `model` and `printed`.
    pub fn json(&self, model: &str) -> String {
        let printed: Vec<String> = self.printed.iter().map(|line| json_string(line)).collect();
        let vars: Vec<String> = self
            .vars
            .iter()
            .map(|(name, value)| {
                let v = match value {
                    Value::Int(v) => v.to_string(),
                    Value::Float(v) => json_float(*v),
                };
                format!("{}: {{\"final\": {v}}}", json_string(name))
            })
            .collect();
        let tallies: Vec<String> = self
            .tallies
            .iter()
            .map(|t| {
                format!(
                    "{}: {{\"count\": {}, \"mean\": {}, \"std\": {}, \"min\": {}, \"max\": {}, \"p50\": {}, \"p95\": {}, \"p99\": {}, \"mser5_warmup\": {}}}",
                    json_string(t.name),
                    t.count,
                    json_float(t.mean),
                    json_float(t.std),
                    json_float(t.min),
                    json_float(t.max),
                    json_float(t.p50),
                    json_float(t.p95),
                    json_float(t.p99),
                    json_float(t.mser5_warmup)
                )
            })
            .collect();
        let locks: Vec<String> = self
            .locks
            .iter()
            .map(|l| {
                format!(
                    "{}: {{\"capacity\": {}, \"acquired\": {}, \"utilization\": {}, \"mean_queue\": {}, \"max_queue\": {}, \"mean_wait\": {}, \"max_wait\": {}}}",
                    json_string(l.name),
                    l.capacity,
                    l.acquired,
                    json_float(l.utilization),
                    json_float(l.mean_queue),
                    json_float(l.max_queue),
                    json_float(l.mean_wait),
                    json_float(l.max_wait)
                )
            })
            .collect();
        format!(
            "{{\"model\": {}, \"events\": {}, \"end_time\": {}, \"printed\": [{}], \"vars\": {{{}}}, \"tallies\": {{{}}}, \"locks\": {{{}}}}}",
            json_string(model),
            self.events,
            json_float(self.end_time),
            printed.join(", "),
            vars.join(", "),
            tallies.join(", "),
            locks.join(", ")
        )
    }
}

// ---------------------------------------------------------------------------
// Statistics, gathered as usimc's runtime gathers them (runtime/src/stats.rs)

/// Samples per MSER-5 batch.
const BATCH: usize = 5;

/// A `record` tally: every sample, and the time of the first sample of each
/// batch of [`BATCH`].
#[derive(Default)]
struct Tally {
    samples: Vec<f64>,
    batch_times: Vec<f64>,
}

impl Tally {
    fn record(&mut self, now: f64, value: f64) {
        if self.samples.len().is_multiple_of(BATCH) {
            self.batch_times.push(now);
        }
        self.samples.push(value);
    }

    /// The report's figures (the samples are reordered).
    fn figures(&mut self, name: &'static str) -> TallyFigures {
        let n = self.samples.len();
        let mser5_warmup = self.mser5();
        let (mut mean, mut m2) = (0.0, 0.0);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for (i, &x) in self.samples.iter().enumerate() {
            // Welford's update.
            let delta = x - mean;
            mean += delta / (i + 1) as f64;
            m2 += delta * (x - mean);
            min = min.min(x);
            max = max.max(x);
        }
        if n == 0 {
            (min, max, mean) = (f64::NAN, f64::NAN, f64::NAN);
        }
        let std = match n {
            0 => f64::NAN,
            1 => 0.0,
            _ => (m2 / (n - 1) as f64).sqrt(),
        };
        let [p50, p95, p99] = [0.50, 0.95, 0.99].map(|p| quantile(&mut self.samples, p));
        TallyFigures { name, count: n as u64, mean, std, min, max, p50, p95, p99, mser5_warmup }
    }

    /// MSER-5: the time of the first sample kept by the truncation (within
    /// the first half of the batches) that minimises the batch means'
    /// squared deviations over the squared count kept; NaN with fewer than
    /// two batches. Statistics start at 0.
    fn mser5(&self) -> f64 {
        let m = self.samples.len() / BATCH;
        if m < 2 {
            return f64::NAN;
        }
        let z: Vec<f64> = self.samples.chunks_exact(BATCH).map(|b| b.iter().sum::<f64>() / BATCH as f64).collect();
        let (mut mean, mut m2) = (0.0, 0.0);
        let mut scores = vec![0.0; m];
        for (count, d) in (0..m).rev().enumerate() {
            let x = z[d];
            let delta = x - mean;
            mean += delta / (count + 1) as f64;
            m2 += delta * (x - mean);
            let kept = (m - d) as f64;
            scores[d] = m2 / (kept * kept);
        }
        let mut best = (f64::INFINITY, 0);
        for (d, &score) in scores.iter().enumerate().take(m / 2 + 1) {
            if score < best.0 {
                best = (score, d);
            }
        }
        match best.1 {
            0 => 0.0,
            d => self.batch_times[d],
        }
    }
}

/// Quantile `p`, linear between order statistics (numpy's default).
fn quantile(samples: &mut [f64], p: f64) -> f64 {
    let n = samples.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let (_, &mut low, above) = samples.select_nth_unstable_by(lo, f64::total_cmp);
    let frac = h - lo as f64;
    if frac == 0.0 || above.is_empty() {
        return low;
    }
    let high = above.iter().copied().fold(f64::INFINITY, f64::min);
    low + frac * (high - low)
}

/// A value over time, integrated at each change (from time 0).
#[derive(Clone, Copy)]
struct Level {
    value: f64,
    since: f64,
    area: f64,
    max: f64,
}

impl Level {
    fn new() -> Level {
        Level { value: 0.0, since: 0.0, area: 0.0, max: 0.0 }
    }

    fn set(&mut self, now: f64, value: f64) {
        if now > self.since {
            self.area += self.value * (now - self.since);
            self.since = now;
        }
        self.value = value;
        self.max = self.max.max(value);
    }

    /// The time-weighted mean over `[0, end]`.
    fn mean(&self, end: f64) -> f64 {
        let mut area = self.area;
        if end > self.since {
            area += self.value * (end - self.since);
        }
        if end > 0.0 {
            area / end
        } else {
            self.value
        }
    }
}

/// A capacity-1 lock with usimc's statistics: units held and the line's
/// length over time, and the waits of its grants.
struct StatLock {
    held: bool,
    waiters: VecDeque<(u32, f64)>,
    held_level: Level,
    line: Level,
    acquired: u64,
    waits: u64,
    wait_sum: f64,
    wait_max: f64,
}

impl StatLock {
    fn new() -> Self {
        StatLock {
            held: false,
            waiters: VecDeque::new(),
            held_level: Level::new(),
            line: Level::new(),
            acquired: 0,
            waits: 0,
            wait_sum: 0.0,
            wait_max: 0.0,
        }
    }

    fn grant(&mut self, now: f64, since: f64) {
        let wait = now - since;
        self.waits += 1;
        self.wait_sum += wait;
        self.wait_max = self.wait_max.max(wait);
        self.held = true;
        self.held_level.set(now, 1.0);
        self.acquired += 1;
    }

    /// Entering `with` at `now` by the process in `slot`: whether it holds
    /// the lock at once; if not, it joins the line.
    fn acquire(&mut self, now: f64, slot: u32) -> bool {
        if self.held {
            self.waiters.push_back((slot, now));
            self.line.set(now, self.waiters.len() as f64);
            false
        } else {
            self.grant(now, now);
            true
        }
    }

    /// Leaving `with`: the lock goes straight to the first waiter, returned
    /// to be woken now, or else becomes free.
    fn release(&mut self, now: f64) -> Option<u32> {
        self.held = false;
        self.held_level.set(now, 0.0);
        let (next, since) = self.waiters.pop_front()?;
        self.grant(now, since);
        self.line.set(now, self.waiters.len() as f64);
        Some(next)
    }

    fn figures(&self, name: &'static str, end: f64) -> LockFigures {
        let (mean_wait, max_wait) =
            if self.waits == 0 { (f64::NAN, f64::NAN) } else { (self.wait_sum / self.waits as f64, self.wait_max) };
        LockFigures {
            name,
            capacity: 1,
            acquired: self.acquired,
            utilization: self.held_level.mean(end),
            mean_queue: self.line.mean(end),
            max_queue: self.line.max,
            mean_wait,
            max_wait,
        }
    }
}

// ---------------------------------------------------------------------------
// timers: benches/models/timers.usim

#[derive(Clone, Copy)]
enum TimerProc {
    Main,
    /// A timer that has taken `steps` steps (its first, then one per delay).
    Timer {
        steps: i64,
    },
}

pub fn timers(p: &Params) -> Figures {
    p.only("timers", &["PROCS", "DELAYS"]);
    let (procs_n, delays) = (p.int("PROCS", 1000), p.int("DELAYS", 5000));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<TimerProc> = Table::new();
    let (mut done, mut events) = (0i64, 0u64);
    let mut printed = Vec::new();
    let root = procs.insert(TimerProc::Main);
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(f64::INFINITY) {
        events += 1;
        let now = queue.now;
        match procs.slots[slot as usize] {
            TimerProc::Main => {
                for _ in 0..procs_n {
                    let child = procs.insert(TimerProc::Timer { steps: 0 });
                    queue.schedule(now, child);
                }
                procs.release(slot);
            }
            TimerProc::Timer { steps } => {
                if steps < delays {
                    let d = uniform(&mut rng, 1.0, 1000.0);
                    procs.slots[slot as usize] = TimerProc::Timer { steps: steps + 1 };
                    queue.schedule(now + d, slot);
                } else {
                    done += 1;
                    if done == procs_n {
                        printed.push(format!("done {done} at {}", format_float(now)));
                    }
                    procs.release(slot);
                }
            }
        }
    }
    Figures { events, end_time: queue.now, printed, vars: vec![("done", Value::Int(done))], ..Figures::default() }
}

// ---------------------------------------------------------------------------
// fanout: benches/models/fanout.usim

#[derive(Clone, Copy)]
enum FanProc {
    Main,
    SleeperStart,
    SleeperWake,
}

pub fn fanout(p: &Params) -> Figures {
    p.only("fanout", &["FANOUT"]);
    let n = p.int("FANOUT", 1_000_000);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<FanProc> = Table::new();
    let mut events = 0u64;
    let root = procs.insert(FanProc::Main);
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(f64::INFINITY) {
        events += 1;
        let now = queue.now;
        match procs.slots[slot as usize] {
            FanProc::Main => {
                for _ in 0..n {
                    let child = procs.insert(FanProc::SleeperStart);
                    queue.schedule(now, child);
                }
                procs.release(slot);
            }
            FanProc::SleeperStart => {
                let d = uniform(&mut rng, 0.0, 1000.0);
                procs.slots[slot as usize] = FanProc::SleeperWake;
                queue.schedule(now + d, slot);
            }
            FanProc::SleeperWake => procs.release(slot),
        }
    }
    Figures { events, end_time: queue.now, ..Figures::default() }
}

// ---------------------------------------------------------------------------
// mm1_spawn: benches/models/mm1_spawn.usim

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

pub fn mm1_spawn(p: &Params) -> Figures {
    p.only("mm1_spawn", &["CUSTOMERS", "ARRIVAL_MEAN", "SERVICE_MEAN"]);
    let customers = p.int("CUSTOMERS", 500_000);
    let (arrival_mean, service_mean) = (p.float("ARRIVAL_MEAN", 1.25), p.float("SERVICE_MEAN", 1.0));
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
                if next < customers {
                    let child = procs.insert(Mm1Proc::CustomerStart);
                    queue.schedule(now, child);
                    let gap = exponential(&mut rng, arrival_mean);
                    procs.slots[slot as usize] = Mm1Proc::Source { next: next + 1 };
                    queue.schedule(now + gap, slot);
                } else {
                    procs.release(slot);
                }
            }
            Mm1Proc::CustomerStart => {
                let wait = (server_free_at - now).max(0.0);
                let service = exponential(&mut rng, service_mean);
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
        vars: vec![
            ("server_free_at", Value::Float(server_free_at)),
            ("done", Value::Int(done)),
            ("total_wait", Value::Float(total_wait)),
            ("total_time", Value::Float(total_time)),
        ],
        ..Figures::default()
    }
}

// ---------------------------------------------------------------------------
// tickers: benches/models/tickers.usim (`run start() until 1000.0`)

#[derive(Clone, Copy)]
enum TickProc {
    Start,
    /// A ticker before its first step.
    TickerStart,
    /// A ticker waking from its delay.
    TickerWake,
}

pub fn tickers(p: &Params) -> Figures {
    p.only("tickers", &["TICKERS", "TICK_MEAN"]);
    let (n, tick_mean) = (p.int("TICKERS", 1000), p.float("TICK_MEAN", 1.0));
    const HORIZON: f64 = 1000.0;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<TickProc> = Table::new();
    let mut ticks = 0i64;
    let mut events = 0u64;
    let root = procs.insert(TickProc::Start);
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(HORIZON) {
        events += 1;
        let now = queue.now;
        match procs.slots[slot as usize] {
            TickProc::Start => {
                for _ in 0..n {
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
                let d = exponential(&mut rng, tick_mean);
                queue.schedule(now + d, slot);
            }
        }
    }
    Figures { events, end_time: HORIZON, vars: vec![("ticks", Value::Int(ticks))], ..Figures::default() }
}

// ---------------------------------------------------------------------------
// fib_compute: benches/models/fib_compute.usim, in plain Rust with overflow
// checks like usim's ints.

fn fib(n: i64) -> i64 {
    if n < 2 {
        return n;
    }
    match fib(n - 1).checked_add(fib(n - 2)) {
        Some(sum) => sum,
        None => panic!("integer overflow"),
    }
}

pub fn fib_compute(p: &Params) -> Figures {
    p.only("fib_compute", &["FIB_N", "REPS"]);
    let (fib_n, reps) = (p.int("FIB_N", 30), p.int("REPS", 10));
    let mut total = 0i64;
    for _ in 0..reps {
        total += fib(black_box(fib_n));
    }
    // One process: its first step, then one resumption per delay.
    Figures {
        events: reps as u64 + 1,
        end_time: reps as f64,
        printed: vec![format!("total {total}")],
        vars: vec![("total", Value::Int(total))],
        ..Figures::default()
    }
}

// ---------------------------------------------------------------------------
// pingpong: benches/models/pingpong.usim

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

pub fn pingpong(p: &Params) -> Figures {
    p.only("pingpong", &["MESSAGES"]);
    let messages = p.int("MESSAGES", 5_000_000);
    let mut queue = Queue::new();
    let mut procs: Table<PingProc> = Table::new();
    let (mut ping, mut pong) = (IntQueue::new(), IntQueue::new());
    let mut total = 0i64;
    let mut printed = Vec::new();
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
                    if i == messages {
                        printed.push(format!("total {total} at {}", format_float(queue.now)));
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
    Figures { events, end_time: queue.now, printed, vars: vec![("total", Value::Int(total))], ..Figures::default() }
}

// ---------------------------------------------------------------------------
// mm1_lock: benches/models/mm1_lock.usim

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

pub fn mm1_lock(p: &Params) -> Figures {
    p.only("mm1_lock", &["CUSTOMERS", "ARRIVAL_MEAN", "SERVICE_MEAN"]);
    let customers = p.int("CUSTOMERS", 1_000_000);
    let (arrival_mean, service_mean) = (p.float("ARRIVAL_MEAN", 1.25), p.float("SERVICE_MEAN", 1.0));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<LockProc> = Table::new();
    let mut server = Lock { held: false, waiters: VecDeque::new() };
    let (mut done, mut total_wait, mut total_time) = (0i64, 0.0f64, 0.0f64);
    let mut printed = Vec::new();
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
                if next < customers {
                    let child = procs.insert(LockProc::CustomerStart);
                    queue.schedule(now, child);
                    let gap = exponential(&mut rng, arrival_mean);
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
                if done == customers {
                    let n = done as f64;
                    printed.push(format!(
                        "done {done} mean wait {} mean time {}",
                        format_float(total_wait / n),
                        format_float(total_time / n)
                    ));
                }
                procs.release(slot);
                None
            }
        };
        if let Some(arrive) = serve {
            total_wait += now - arrive;
            let service = exponential(&mut rng, service_mean);
            procs.slots[slot as usize] = LockProc::CustomerServed { arrive };
            queue.schedule(now + service, slot);
        }
    }
    Figures {
        events,
        end_time: queue.now,
        printed,
        vars: vec![
            ("done", Value::Int(done)),
            ("total_wait", Value::Float(total_wait)),
            ("total_time", Value::Float(total_time)),
        ],
        ..Figures::default()
    }
}

// ---------------------------------------------------------------------------
// tandem: benches/models/tandem.usim

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
    capacity: usize,
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
    } else if q.items.len() < q.capacity {
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

pub fn tandem(p: &Params) -> Figures {
    p.only("tandem", &["STATIONS", "JOBS", "ARRIVAL_MEAN", "CAPACITY"]);
    let stations = p.int("STATIONS", 10) as usize;
    let jobs = p.int("JOBS", 1_000_000);
    let arrival_mean = p.float("ARRIVAL_MEAN", 1.0);
    let capacity = p.int("CAPACITY", 10) as usize;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<TandemProc> = Table::new();
    let mut machines: Vec<Lock> = (0..stations).map(|_| Lock { held: false, waiters: VecDeque::new() }).collect();
    let mut buffers: Vec<JobQueue> = (0..stations)
        .map(|_| JobQueue { items: VecDeque::new(), getters: VecDeque::new(), putters: VecDeque::new(), capacity })
        .collect();
    // Station `k`'s mean service time, computed as `main` computes the
    // argument of `worker(k, ...)`.
    let means: Vec<f64> = (0..stations).map(|k| 0.5 + 0.4 * k as f64 / stations as f64).collect();
    let (mut done, mut sum) = (0i64, 0.0f64);
    let mut printed = Vec::new();
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
                        for k in 0..stations {
                            let worker = procs.insert(TandemProc::WorkerStart { k });
                            queue.schedule(now, worker);
                        }
                        (0, false)
                    }
                    TandemProc::Source { next } => (next, false),
                    TandemProc::SourcePut { next } => (next, true),
                    _ => unreachable!(),
                };
                if next == jobs {
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
                let gap = exponential(&mut rng, arrival_mean);
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
                        if k + 1 < stations {
                            if !put_job(&mut queue, &mut procs, &mut buffers[k + 1], slot, job) {
                                procs.slots[slot as usize] = TandemProc::WorkerPut { k };
                                continue;
                            }
                        } else {
                            assert_eq!(job.id, done, "job {} left as number {done}", job.id);
                            done += 1;
                            sum += now - job.arrive;
                            if done == jobs {
                                printed.push(format!(
                                    "done {done} mean time in system {}",
                                    format_float(sum / done as f64)
                                ));
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
    Figures {
        events,
        end_time: queue.now,
        printed,
        vars: vec![("done", Value::Int(done)), ("sum", Value::Float(sum))],
        ..Figures::default()
    }
}

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// mm1_record: benches/models/mm1_record.usim

#[derive(Clone, Copy)]
enum RecProc {
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

pub fn mm1_record(p: &Params) -> Figures {
    p.only("mm1_record", &["CUSTOMERS", "ARRIVAL_MEAN", "SERVICE_MEAN"]);
    let customers = p.int("CUSTOMERS", 1_000_000);
    let (arrival_mean, service_mean) = (p.float("ARRIVAL_MEAN", 1.25), p.float("SERVICE_MEAN", 1.0));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut queue = Queue::new();
    let mut procs: Table<RecProc> = Table::new();
    let mut server = StatLock::new();
    let (mut wait_tally, mut time_tally) = (Tally::default(), Tally::default());
    let mut events = 0u64;
    let root = procs.insert(RecProc::Source { next: 0 });
    queue.schedule(0.0, root);
    while let Some(slot) = queue.next(f64::INFINITY) {
        events += 1;
        let now = queue.now;
        // `Some(arrive)` when the stepping customer, which arrived at
        // `arrive`, starts its service now, holding the lock.
        let serve = match procs.slots[slot as usize] {
            RecProc::Source { next } => {
                if next < customers {
                    let child = procs.insert(RecProc::CustomerStart);
                    queue.schedule(now, child);
                    let gap = exponential(&mut rng, arrival_mean);
                    procs.slots[slot as usize] = RecProc::Source { next: next + 1 };
                    queue.schedule(now + gap, slot);
                } else {
                    procs.release(slot);
                }
                None
            }
            RecProc::CustomerStart => {
                if server.acquire(now, slot) {
                    Some(now)
                } else {
                    procs.slots[slot as usize] = RecProc::CustomerQueued { arrive: now };
                    None
                }
            }
            RecProc::CustomerQueued { arrive } => Some(arrive),
            RecProc::CustomerServed { arrive } => {
                if let Some(waiter) = server.release(now) {
                    queue.schedule(now, waiter);
                }
                time_tally.record(now, now - arrive);
                procs.release(slot);
                None
            }
        };
        if let Some(arrive) = serve {
            wait_tally.record(now, now - arrive);
            let service = exponential(&mut rng, service_mean);
            procs.slots[slot as usize] = RecProc::CustomerServed { arrive };
            queue.schedule(now + service, slot);
        }
    }
    let end = queue.now;
    Figures {
        events,
        end_time: end,
        tallies: vec![wait_tally.figures("wait"), time_tally.figures("time")],
        locks: vec![server.figures("server", end)],
        ..Figures::default()
    }
}

// ---------------------------------------------------------------------------

type Model = (&'static str, fn(&Params) -> Figures);

/// Every model, by its name in `benches/models/`.
pub const MODELS: [Model; 9] = [
    ("timers", timers),
    ("pingpong", pingpong),
    ("fanout", fanout),
    ("mm1_record", mm1_record),
    ("tandem", tandem),
    ("mm1_spawn", mm1_spawn),
    ("tickers", tickers),
    ("fib_compute", fib_compute),
    ("mm1_lock", mm1_lock),
];

/// The model named `name`.
pub fn model(name: &str) -> Option<fn(&Params) -> Figures> {
    MODELS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}

/// usimc's figures for the models with their default params and
/// `--seed 1`, which the baseline must reproduce: `(model, events, end
/// time, Figures::summary)`. (mm1_lock's were also reproduced by a separate
/// Lindley-recursion computation drawing in event order; tandem's also with
/// other STATIONS, JOBS, ARRIVAL_MEAN and CAPACITY, down to capacity 1 with
/// the source blocked most of the time.)
const EXPECTED: [(&str, u64, f64, &str); 9] = [
    ("timers", 5_001_001, 2_570_253.031_749_327_7, "done 1000 at 2570253.0317493277; var done 1000"),
    ("pingpong", 10_000_001, 0.0, "total 12500002500000 at 0; var total 12500002500000"),
    ("fanout", 2_000_001, 999.999_169_153_263_4, ""),
    ("mm1_record", 3_799_843, 1_249_782.413_209_255, "tally wait count 1000000 mean 4.010429944969267 std 4.961043818410989 min 0.0 max 59.3048097997671 p50 2.352570131770335 p95 13.836997301320645 p99 22.253261756083848 mser5 0.0; tally time count 1000000 mean 5.010194343500289 std 5.062837532217081 min 1.7645652405917645e-7 max 60.076421244535595 p50 3.4621593715128256 p95 14.970799550280201 p99 23.39712722602767 mser5 0.0; lock server capacity 1 acquired 1000000 utilization 0.7999507658006841 mean_queue 3.208902527817613 max_queue 48.0 mean_wait 4.010429944969294 max_wait 59.3048097997671"),
    ("tandem", 14_262_006, 1_000_587.552_167_765_1, "done 1000000 mean time in system 28.8109693439349; var done 1000000; var sum 28810969.3439349"),
    ("mm1_spawn", 1_500_001, 624_792.046_181_191_6, "var server_free_at 624791.5402341606; var done 500000; var total_wait 1955421.4179453165; var total_time 2454471.5494396426"),
    ("tickers", 1_002_209, 1000.0, "var ticks 1001208"),
    ("fib_compute", 11, 10.0, "total 8320400; var total 8320400"),
    ("mm1_lock", 3_799_843, 1_249_782.413_209_255, "done 1000000 mean wait 4.010429944969294 mean time 5.010194343500145; var done 1000000; var total_wait 4010429.9449692946; var total_time 5010194.343500145"),
];

/// Whether `figures`, from a run of `name` with its default params, are
/// usimc's as recorded in [`EXPECTED`]; `Err` says how they differ.
fn check_expected(name: &str, figures: &Figures) -> Result<(), String> {
    let Some(&(_, events, end_time, summary)) = EXPECTED.iter().find(|e| e.0 == name) else {
        return Err(format!("no figures of usimc's recorded for {name}"));
    };
    let got = (figures.events, figures.end_time.to_bits(), figures.summary());
    if got != (events, end_time.to_bits(), summary.to_string()) {
        return Err(format!(
            "baseline {name}: figures differ from usimc's\n  usimc:    events {events}, end time {end_time:?}, {summary}\n  \
             baseline: events {}, end time {:?}, {}",
            figures.events, figures.end_time, got.2
        ));
    }
    Ok(())
}

/// Runs the models named on the command line, each followed by its
/// `NAME=VALUE` params.
fn run_named(args: &[String], json: bool) {
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    for arg in args {
        if arg.contains('=') {
            match runs.last_mut() {
                Some((_, params)) => params.push(arg.clone()),
                None => {
                    eprintln!("a param ({arg}) before any model");
                    std::process::exit(2);
                }
            }
        } else {
            runs.push((arg.clone(), Vec::new()));
        }
    }
    let mut failed = false;
    for (name, params) in &runs {
        let Some(model) = model(name) else {
            let known: Vec<&str> = MODELS.iter().map(|(n, _)| *n).collect();
            eprintln!("unknown model {name}; known: {}", known.join(", "));
            std::process::exit(2);
        };
        let params = match Params::parse(params) {
            Ok(params) => params,
            Err(message) => {
                eprintln!("{message}");
                std::process::exit(2);
            }
        };
        let figures = model(&params);
        if json {
            println!("{}", figures.json(name));
        } else {
            println!("model {name}\nevents {}\nend time {:?}\n{}", figures.events, figures.end_time, figures.summary());
        }
        if params.is_default() {
            if let Err(message) = check_expected(name, &figures) {
                eprintln!("{message}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

#[allow(dead_code)] // Unused where tests/benches.rs includes this file.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let mut names: Vec<String> = args.iter().filter(|a| !a.starts_with("--")).cloned().collect();
    if names.is_empty() && !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches`: run each model once and check its figures.
        names = MODELS.iter().map(|(name, _)| name.to_string()).collect();
    }
    if !names.is_empty() {
        run_named(&names, json);
        return;
    }
    // `cargo bench --bench baseline`: the median of 5 timed runs of each.
    println!("| model | events | median wall (ms) | ns/event (fib_compute: ns per `fib` call) |");
    println!("|---|---:|---:|---:|");
    let defaults = Params::default();
    for (name, model) in MODELS {
        let mut times = Vec::new();
        let mut figures = model(&defaults);
        for _ in 0..5 {
            let start = Instant::now();
            figures = black_box(model(&defaults));
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        // fib(n) makes 2 * fib(n + 1) - 1 calls of `fib`.
        let units = if name == "fib_compute" { 10 * (2 * fib(31) - 1) } else { figures.events as i64 };
        println!("| {name} | {} | {:.2} | {:.2} |", figures.events, median * 1e3, median * 1e9 / units as f64);
        if let Err(message) = check_expected(name, &figures) {
            panic!("{message}");
        }
    }
}
