//! What a run gathers for its report, at the moment of each change, never by
//! sampling: `record` tallies (every sample kept), time-weighted levels
//! (integrated between changes), and waits. `--warmup` restarts all of it at
//! its time. The figures handed back are in `summary.rs`.

use crate::histogram::Histogram;
use crate::objects::ObjectState;
use crate::process::RegOn;
use crate::program::{CellKind, ObjectKindSpec, Program};
use crate::summary::{LockSummary, QueueSummary, ResourceSummary, RunStats, TallySummary, TimeWeighted, WaitSummary};
use crate::Runtime;

/// Samples per MSER-5 batch.
const BATCH: usize = 5;

/// A `record` tally: every sample, in the order recorded, and the time of the
/// first sample of each batch of [`BATCH`] (for MSER-5).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    samples: Vec<f64>,
    batch_times: Vec<f64>,
}

impl Tally {
    /// Adds a sample recorded at `now`; `Err` when memory for it runs out.
    pub fn record(&mut self, now: f64, value: f64) -> Result<(), ()> {
        if self.samples.len().is_multiple_of(BATCH) {
            self.batch_times.try_reserve(1).map_err(|_| ())?;
            self.batch_times.push(now);
        }
        self.samples.try_reserve(1).map_err(|_| ())?;
        self.samples.push(value);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn restart(&mut self) {
        self.samples.clear();
        self.batch_times.clear();
    }

    /// The figures, from samples kept since `start` (when statistics began).
    /// Consumes the samples' order (quantiles reorder them).
    pub fn summary(&mut self, name: &str, start: f64) -> TallySummary {
        let n = self.samples.len();
        let mser5_warmup = self.mser5(start);
        let histogram = Histogram::of(&self.samples);
        let (mut mean, mut m2) = (0.0, 0.0);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for (i, &x) in self.samples.iter().enumerate() {
            // Welford's update: no cancellation between large sums.
            let delta = x - mean;
            mean += delta / (i + 1) as f64;
            m2 += delta * (x - mean);
            min = min.min(x);
            max = max.max(x);
            if x.is_nan() {
                (min, max) = (f64::NAN, f64::NAN);
            }
        }
        let has_nan = self.samples.iter().any(|x| x.is_nan());
        if n == 0 || has_nan {
            (min, max) = (f64::NAN, f64::NAN);
        }
        let std = match n {
            0 => f64::NAN,
            1 => 0.0,
            _ => (m2 / (n - 1) as f64).sqrt(),
        };
        if n == 0 {
            mean = f64::NAN;
        }
        let [p50, p95, p99] =
            if has_nan { [f64::NAN; 3] } else { [0.50, 0.95, 0.99].map(|p| quantile(&mut self.samples, p)) };
        TallySummary {
            name: name.to_string(),
            count: n as u64,
            mean,
            std,
            min,
            max,
            p50,
            p95,
            p99,
            mser5_warmup,
            histogram,
        }
    }

    /// MSER-5 (White 1997): over batch means `z` of [`BATCH`] consecutive
    /// samples, the truncation `d` (in batches, within the first half) that
    /// minimizes `sum_{j>=d} (z_j - mean_d)^2 / (m - d)^2`; the time of the
    /// first sample it keeps. NaN with fewer than two batches.
    fn mser5(&self, start: f64) -> f64 {
        let m = self.samples.len() / BATCH;
        if m < 2 {
            return f64::NAN;
        }
        let z: Vec<f64> = self.samples.chunks_exact(BATCH).map(|b| b.iter().sum::<f64>() / BATCH as f64).collect();
        // Welford backwards: after adding z[d], `mean`/`m2` are over z[d..].
        let (mut mean, mut m2) = (0.0, 0.0);
        let mut best = (f64::INFINITY, 0);
        let mut scores = vec![0.0; m];
        for (count, d) in (0..m).rev().enumerate() {
            let x = z[d];
            let delta = x - mean;
            mean += delta / (count + 1) as f64;
            m2 += delta * (x - mean);
            let kept = (m - d) as f64;
            scores[d] = m2 / (kept * kept);
        }
        for (d, &score) in scores.iter().enumerate().take(m / 2 + 1) {
            // The first minimum: the least truncation among equals.
            if score < best.0 {
                best = (score, d);
            }
        }
        match best.1 {
            0 => start,
            d => self.batch_times[d],
        }
    }
}

/// Quantile `p` of `samples` (reordered), linear between order statistics:
/// `h = (n - 1) p`, `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`
/// (numpy's default). NaN for no samples.
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

/// A value over time: integrated at each change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    value: f64,
    since: f64,
    area: f64,
    min: f64,
    max: f64,
}

impl Level {
    pub fn new(value: f64, now: f64) -> Level {
        Level { value, since: now, area: 0.0, min: value, max: value }
    }

    /// The value becomes `value` at `now`.
    #[inline]
    pub fn set(&mut self, now: f64, value: f64) {
        if now > self.since {
            // Guarded: an infinite value held for no time adds nothing (not NaN).
            self.area += self.value * (now - self.since);
            self.since = now;
        }
        self.value = value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if value.is_nan() {
            (self.min, self.max) = (f64::NAN, f64::NAN);
        }
    }

    /// Forgets the past: from `now` on, as if it had always been the value.
    pub fn restart(&mut self, now: f64) {
        *self = Level::new(self.value, now);
    }

    /// The figures over `[start, end]`; with no time between them, the mean
    /// is the value held.
    pub fn summary(&self, start: f64, end: f64) -> TimeWeighted {
        let mut area = self.area;
        if end > self.since {
            area += self.value * (end - self.since);
        }
        let mean = if end > start { area / (end - start) } else { self.value };
        TimeWeighted { final_value: self.value, mean, min: self.min, max: self.max }
    }
}

/// Waits that ended: how many, their sum and the longest.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Waits {
    count: u64,
    sum: f64,
    max: f64,
}

impl Waits {
    #[inline]
    pub fn add(&mut self, wait: f64) {
        self.count += 1;
        self.sum += wait;
        self.max = self.max.max(wait);
    }

    pub fn summary(&self) -> WaitSummary {
        if self.count == 0 {
            return WaitSummary { count: 0, mean: f64::NAN, max: f64::NAN };
        }
        WaitSummary { count: self.count, mean: self.sum / self.count as f64, max: self.max }
    }
}

/// The statistics of one lock, queue or resource.
#[derive(Debug)]
pub(crate) struct ObjectStats {
    /// Units held (a lock), items buffered (a queue), the level (a resource).
    pub level: Level,
    /// Requests waiting in its lines.
    pub queue: Level,
    pub waiting: u64,
    pub waits: Waits,
    /// Acquisitions (a lock), items put (a queue), since statistics began.
    pub entered: u64,
    /// Items got (a queue) since statistics began.
    pub left: u64,
}

impl ObjectStats {
    pub fn new(level: f64) -> ObjectStats {
        ObjectStats {
            level: Level::new(level, 0.0),
            queue: Level::new(0.0, 0.0),
            waiting: 0,
            waits: Waits::default(),
            entered: 0,
            left: 0,
        }
    }

    pub fn restart(&mut self, now: f64) {
        self.level.restart(now);
        self.queue.restart(now);
        self.waits = Waits::default();
        self.entered = 0;
        self.left = 0;
    }
}

/// A slot of the globals that no report figure follows.
pub(crate) const NOT_A_CELL: u32 = u32::MAX;

/// Everything one run gathers.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// When statistics began (0, or the warm-up time once reached).
    pub start: f64,
    /// The `--warmup` time not yet reached (infinite once it has been).
    pub warmup_due: f64,
    pub tallies: Vec<Tally>,
    /// Per global slot: its index in [`crate::Program::cells`], or [`NOT_A_CELL`].
    pub cell_of_slot: Vec<u32>,
    /// Per cell: its index in `levels` once it has been written, or [`NOT_A_CELL`].
    pub level_of_cell: Vec<u32>,
    /// The levels of the cells written so far; a cell never written held its
    /// initial value all along.
    pub levels: Vec<Level>,
    /// Per object (channels too, unused).
    pub objects: Vec<ObjectStats>,
}

/// The report figures of a cell's raw slot value.
#[inline]
fn cell_value(kind: CellKind, raw: u64) -> f64 {
    match kind {
        CellKind::Int => raw as i64 as f64,
        CellKind::Float => f64::from_bits(raw),
        CellKind::Bool => f64::from(u8::from(raw != 0)),
    }
}

impl Runtime {
    /// Sets up the statistics of a run of `program`; `Err` when memory for
    /// them runs out.
    pub(crate) fn start_stats(&mut self, program: &Program<'_>, warmup: Option<f64>) -> Result<(), String> {
        let oom = |what: &str| format!("out of memory: no room for the statistics of {what}");
        let cells = program.cells();
        let mut cell_of_slot = Vec::new();
        if !cells.is_empty() {
            cell_of_slot.try_reserve_exact(self.globals.len()).map_err(|_| oom("the vars"))?;
            cell_of_slot.resize(self.globals.len(), NOT_A_CELL);
        }
        let mut level_of_cell = Vec::new();
        level_of_cell.try_reserve_exact(cells.len()).map_err(|_| oom("the vars"))?;
        let mut initial = Vec::new();
        initial.try_reserve_exact(cells.len()).map_err(|_| oom("the vars"))?;
        for (index, cell) in cells.iter().enumerate() {
            cell_of_slot[cell.slot as usize] = index as u32;
            level_of_cell.push(NOT_A_CELL);
            initial.push(cell_value(cell.kind, self.globals[cell.slot as usize]));
        }
        let objects = program
            .objects()
            .iter()
            .map(|object| match object.kind {
                ObjectKindSpec::Resource { level, .. } => ObjectStats::new(level),
                _ => ObjectStats::new(0.0),
            })
            .collect();
        self.stats = Stats {
            start: 0.0,
            warmup_due: warmup.unwrap_or(f64::INFINITY),
            tallies: program.tallies().iter().map(|_| Tally::default()).collect(),
            cell_of_slot,
            level_of_cell,
            levels: Vec::new(),
            objects,
        };
        self.cell_kinds = cells.iter().map(|cell| cell.kind).collect();
        self.cell_initial = initial;
        self.tally_names = program.tallies().to_vec();
        Ok(())
    }

    /// `--warmup`: everything gathered so far is forgotten, as of `at`.
    pub(crate) fn restart_stats(&mut self, at: f64) {
        let stats = &mut self.stats;
        stats.warmup_due = f64::INFINITY;
        stats.start = at;
        for tally in &mut stats.tallies {
            tally.restart();
        }
        for level in &mut stats.levels {
            level.restart(at);
        }
        for object in &mut stats.objects {
            object.restart(at);
        }
    }

    /// `record`: a sample of tally `tally`.
    pub(crate) fn record(&mut self, tally: u32, value: f64) {
        let now = self.header.now;
        let Some(t) = self.stats.tallies.get_mut(tally as usize) else {
            self.internal_error(&format!("record names tally {tally}, which does not exist"));
            return;
        };
        if t.record(now, value).is_err() {
            let (name, kept) = (self.tally_names[tally as usize].clone(), t.len());
            self.raise(
                format!("out of memory: the tally `{name}` cannot keep more than its {kept} samples"),
                crate::abi::NO_SPAN,
            );
        }
    }

    /// The write barrier of statistics: `count` slots from `slot` on were
    /// stored; the vars among them change value now. Called after every
    /// store to a global, so the common case (a var already seen) stays
    /// small; its first change is out of line, and so is the whole barrier
    /// of a run with `--series`: without it, the barrier is what it was
    /// before series existed, behind one branch.
    #[inline]
    pub(crate) fn globals_written(&mut self, slot: usize, count: usize) {
        if self.series.is_some() {
            self.globals_written_to_series(slot, count);
        } else {
            self.globals_written_as::<false>(slot, count);
        }
    }

    #[cold]
    #[inline(never)]
    fn globals_written_to_series(&mut self, slot: usize, count: usize) {
        self.globals_written_as::<true>(slot, count);
    }

    /// The barrier; with `SERIES`, each change also goes to the series.
    #[inline(always)]
    fn globals_written_as<const SERIES: bool>(&mut self, slot: usize, count: usize) {
        let now = self.header.now;
        let end = slot.saturating_add(count).min(self.stats.cell_of_slot.len());
        for s in slot..end {
            let cell = self.stats.cell_of_slot[s];
            if cell == NOT_A_CELL {
                continue;
            }
            let value = cell_value(self.cell_kinds[cell as usize], self.globals[s]);
            match self.stats.level_of_cell[cell as usize] {
                NOT_A_CELL => {
                    if !self.first_change(cell, now, value) {
                        return;
                    }
                }
                at => self.stats.levels[at as usize].set(now, value),
            }
            if SERIES {
                self.series_var(cell, value);
            }
        }
    }

    /// The first change of the var in `cell` since the statistics began:
    /// its time-weighted level is made. False if memory ran out (raised).
    #[cold]
    #[inline(never)]
    fn first_change(&mut self, cell: u32, now: f64, value: f64) -> bool {
        if self.stats.levels.try_reserve(1).is_err() {
            self.raise("out of memory: no room for the statistics of the vars".into(), crate::abi::NO_SPAN);
            return false;
        }
        let mut level = Level::new(self.cell_initial[cell as usize], self.stats.start);
        level.set(now, value);
        self.stats.level_of_cell[cell as usize] = self.stats.levels.len() as u32;
        self.stats.levels.push(level);
        true
    }

    /// A lock's units held, a queue's items buffered or a resource's level
    /// changed to `value`.
    #[inline]
    pub(crate) fn level_changed(&mut self, object: usize, value: f64) {
        let now = self.header.now;
        self.stats.objects[object].level.set(now, value);
        self.series_object(object, false, value);
    }

    /// A request of the running process, or one that waited since
    /// `since`, was granted now (0 for one granted at once).
    #[inline]
    pub(crate) fn waited(&mut self, object: usize, since: f64) {
        let wait = self.header.now - since;
        self.stats.objects[object].waits.add(wait);
    }

    /// A registration in an object's line began (`joined`) or ended.
    #[inline]
    pub(crate) fn line_changed(&mut self, on: RegOn, joined: bool) {
        let Some(object) = on.line() else { return };
        let object = object as usize;
        let now = self.header.now;
        let stats = &mut self.stats.objects[object];
        if joined {
            stats.waiting += 1;
        } else {
            stats.waiting = stats.waiting.saturating_sub(1);
        }
        let waiting = stats.waiting as f64;
        stats.queue.set(now, waiting);
        self.series_object(object, true, waiting);
    }

    /// The figures of the run, which ended at `end`.
    pub(crate) fn run_stats(&mut self, end: f64) -> RunStats {
        if self.stats.warmup_due.is_finite() {
            // The warm-up time came after the last event: nothing changed since.
            let at = self.stats.warmup_due.min(end);
            self.restart_stats(at);
        }
        let start = self.stats.start;
        let stats = &mut self.stats;
        let tallies =
            stats.tallies.iter_mut().zip(&self.tally_names).map(|(tally, name)| tally.summary(name, start)).collect();
        let cells = (0..self.cell_kinds.len())
            .map(|cell| match stats.level_of_cell[cell] {
                NOT_A_CELL => Level::new(self.cell_initial[cell], start).summary(start, end),
                at => stats.levels[at as usize].summary(start, end),
            })
            .collect();
        let (mut locks, mut queues, mut resources) = (Vec::new(), Vec::new(), Vec::new());
        for (index, object) in self.objects.iter().enumerate() {
            let s = &stats.objects[index];
            let name = self.object_names[index].clone();
            let queue = s.queue.summary(start, end);
            let wait = s.waits.summary();
            match object {
                ObjectState::Lock(lock) => {
                    let held = s.level.summary(start, end);
                    locks.push(LockSummary {
                        name,
                        capacity: lock.capacity,
                        acquired: s.entered,
                        utilization: held.mean / lock.capacity as f64,
                        queue,
                        wait,
                    });
                }
                ObjectState::Queue(q) => queues.push(QueueSummary {
                    name,
                    capacity: q.capacity,
                    put: s.entered,
                    got: s.left,
                    length: s.level.summary(start, end),
                    wait,
                }),
                ObjectState::Resource(r) => resources.push(ResourceSummary {
                    name,
                    capacity: r.capacity,
                    level: s.level.summary(start, end),
                    queue,
                    wait,
                }),
                ObjectState::Channel(_) => {}
            }
        }
        RunStats { start, tallies, cells, locks, queues, resources }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(samples: &[f64]) -> TallySummary {
        let mut tally = Tally::default();
        for (i, &x) in samples.iter().enumerate() {
            tally.record(i as f64, x).unwrap();
        }
        tally.summary("t", 0.0)
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [50, 95, 99]) = [2.5, 3.85, 3.97]
        let s = tally(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.p50, s.p95, s.p99), (2.5, 3.8499999999999996, 3.9699999999999998));
        assert_eq!((s.count, s.mean, s.min, s.max), (4, 2.5, 1.0, 4.0));
        assert_eq!(s.std, (5.0f64 / 3.0).sqrt());
    }

    #[test]
    fn one_sample_and_none() {
        let one = tally(&[7.0]);
        assert_eq!((one.mean, one.std, one.p50, one.p99), (7.0, 0.0, 7.0, 7.0));
        let none = tally(&[]);
        assert_eq!(none.count, 0);
        assert!(none.mean.is_nan() && none.std.is_nan() && none.p50.is_nan() && none.min.is_nan());
    }

    #[test]
    fn mser5_cuts_a_transient_and_keeps_a_steady_series() {
        // 50 samples far off, then 450 around 1: the cut lands at sample 50.
        let mut samples = vec![100.0; 50];
        samples.extend((0..450).map(|i| 1.0 + if i % 2 == 0 { 0.1 } else { -0.1 }));
        assert_eq!(tally(&samples).mser5_warmup, 50.0);
        assert_eq!(tally(&[3.0; 500]).mser5_warmup, 0.0);
        assert!(tally(&[1.0; 9]).mser5_warmup.is_nan());
    }

    /// The statistic straight from its definition, for each truncation.
    fn mser5_by_definition(samples: &[f64]) -> usize {
        let z: Vec<f64> = samples.chunks_exact(5).map(|b| b.iter().sum::<f64>() / 5.0).collect();
        let m = z.len();
        let mut best = (f64::INFINITY, 0);
        for d in 0..=m / 2 {
            let kept = &z[d..];
            let mean = kept.iter().sum::<f64>() / kept.len() as f64;
            let score = kept.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (kept.len() * kept.len()) as f64;
            if score < best.0 * (1.0 - 1e-9) {
                best = (score, d);
            }
        }
        best.1
    }

    #[test]
    fn mser5_agrees_with_its_definition() {
        // A decaying transient on noise from an integer LCG.
        let mut s: u64 = 12345;
        for length in [10, 37, 200, 1001] {
            let samples: Vec<f64> = (0..length)
                .map(|i| {
                    s = s * 48271 % 2147483647;
                    (s % 1000) as f64 / 100.0 + 40.0 * (-(i as f64) / 60.0).exp()
                })
                .collect();
            let d = mser5_by_definition(&samples);
            let expected = if d == 0 { 0.0 } else { (5 * d) as f64 };
            assert_eq!(tally(&samples).mser5_warmup, expected, "{length} samples");
        }
    }

    #[test]
    fn levels_integrate_between_changes() {
        let mut level = Level::new(0.0, 0.0);
        level.set(2.0, 3.0);
        level.set(2.0, 5.0);
        level.set(4.0, 1.0);
        let s = level.summary(0.0, 10.0);
        // 0 for 2, 5 for 2, 1 for 6: (10 + 6) / 10.
        assert_eq!((s.final_value, s.mean, s.min, s.max), (1.0, 1.6, 0.0, 5.0));
        level.restart(5.0);
        let s = level.summary(5.0, 10.0);
        assert_eq!((s.mean, s.min, s.max), (1.0, 1.0, 1.0));
        let mut infinite = Level::new(0.0, 0.0);
        infinite.set(1.0, f64::INFINITY);
        infinite.set(1.0, 2.0);
        assert_eq!(infinite.summary(0.0, 2.0).mean, 1.0);
    }
}
