//! What the compiler hands the runtime (a [`Program`]: process kinds, initial
//! globals, roots, horizon) and how one run is configured ([`RunConfig`]).

use std::io::Write;
use std::marker::PhantomData;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::abi::{StepFn, FRAME_HEADER_SLOTS};

/// One compiled `process`.
#[derive(Debug, Clone)]
pub struct ProcessKind {
    /// The process's name in the source, e.g. `customer`.
    pub name: String,
    /// Its native step function.
    pub step: StepFn,
    /// Slots in its frame, counting the [`FRAME_HEADER_SLOTS`] header slots.
    pub frame_slots: u32,
    /// Parameter slots, stored from slot [`FRAME_HEADER_SLOTS`] on.
    pub param_slots: u32,
    /// First frame slot of the return value.
    pub result_start: u32,
    /// Slots of the return value (0 when the process returns nothing).
    pub result_slots: u32,
}

/// A root process of the `run` item.
#[derive(Debug, Clone, PartialEq)]
pub struct Root {
    /// Index into [`Program::kinds`].
    pub kind: u32,
    /// Its argument slots, `param_slots` of them.
    pub args: Vec<u64>,
}

/// A shared object of the model (`lock`, `queue`, ...): its name in reports and
/// what it is. Generated code names an object by its index in
/// [`Program::objects`]; the members of an indexed family are consecutive
/// entries, so a member is the family's base plus its index.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSpec {
    pub name: String,
    pub kind: ObjectKindSpec,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ObjectKindSpec {
    Lock {
        capacity: u64,
        preemptive: bool,
    },
    /// Broadcasts messages of `item_slots` slots.
    Channel {
        item_slots: u32,
    },
    /// `capacity: None` is unbounded.
    Queue {
        capacity: Option<u64>,
        item_slots: u32,
    },
    Resource {
        capacity: f64,
        level: f64,
    },
}

/// An awaited condition: a native predicate over the waiting process's frame
/// and the globals (it returns 0 for false, 1 for true, or
/// [`crate::STEP_ERROR`] after recording an error), and what it reads,
/// whose writes are the only ones that re-evaluate it.
#[derive(Debug, Clone)]
pub struct ConditionSpec {
    pub predicate: StepFn,
    pub watches: Vec<Watch>,
    /// How reports name it, e.g. `condition at line 12`.
    pub label: String,
}

/// What a condition watches: a whole var (any write to it re-evaluates the
/// condition), or one element of an array var, which it reads by a constant
/// index (only writes to that element, and writes to the whole array, do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Watch {
    /// The var's index, as `usim_var_written` names it.
    pub var: u32,
    pub element: Option<u32>,
}

/// A compiled model, ready to run any number of times.
///
/// Its step functions and predicates point into memory that the compiler's
/// result owns, and are valid only for `'code`: a `Program` borrows that
/// memory, cannot be cloned, and can only be made with the `unsafe`
/// [`Program::new`], whose caller vouches for the code.
#[derive(Debug)]
pub struct Program<'code> {
    kinds: Vec<ProcessKind>,
    globals: Vec<u64>,
    roots: Vec<Root>,
    horizon: Option<f64>,
    objects: Vec<ObjectSpec>,
    conditions: Vec<ConditionSpec>,
    watched_elements: Vec<u32>,
    tallies: Vec<String>,
    cells: Vec<CellSpec>,
    _code: PhantomData<&'code ()>,
}

/// Everything a [`Program`] is made of.
#[derive(Debug, Default)]
pub struct ProgramParts {
    pub kinds: Vec<ProcessKind>,
    /// Initial values of the globals block.
    pub globals: Vec<u64>,
    /// Started at time 0 in this order.
    pub roots: Vec<Root>,
    /// The `until` of the `run` item.
    pub horizon: Option<f64>,
    pub objects: Vec<ObjectSpec>,
    pub conditions: Vec<ConditionSpec>,
    /// One entry per `var`: how many of its elements conditions watch one
    /// by one (its length when some condition reads an element of it by a
    /// constant index, else 0).
    pub watched_elements: Vec<u32>,
    /// The names of the `record` tallies; `usim_record` names one by index.
    pub tallies: Vec<String>,
    /// The int, float and bool slots of the globals whose time-weighted
    /// figures the report gives, in report order.
    pub cells: Vec<CellSpec>,
}

/// What a global slot holds, for its time-weighted statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Int,
    Float,
    Bool,
}

/// One int, float or bool slot of the globals that the report follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellSpec {
    pub slot: u32,
    pub kind: CellKind,
}

impl<'code> Program<'code> {
    /// Makes a program from its parts.
    ///
    /// # Safety
    /// Every [`ProcessKind::step`] and [`ConditionSpec::predicate`] must stay
    /// callable for `'code`, follow the step ABI of [`crate::abi`], and touch
    /// no frame slot beyond its kind's `frame_slots` (a predicate: beyond the
    /// frame of the process that waits on it) and no global beyond
    /// `globals.len()`.
    pub unsafe fn new(parts: ProgramParts) -> Program<'code> {
        Program {
            kinds: parts.kinds,
            globals: parts.globals,
            roots: parts.roots,
            horizon: parts.horizon,
            objects: parts.objects,
            conditions: parts.conditions,
            watched_elements: parts.watched_elements,
            tallies: parts.tallies,
            cells: parts.cells,
            _code: PhantomData,
        }
    }

    pub fn kinds(&self) -> &[ProcessKind] {
        &self.kinds
    }

    pub fn globals(&self) -> &[u64] {
        &self.globals
    }

    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    pub fn horizon(&self) -> Option<f64> {
        self.horizon
    }

    pub fn objects(&self) -> &[ObjectSpec] {
        &self.objects
    }

    pub fn conditions(&self) -> &[ConditionSpec] {
        &self.conditions
    }

    pub fn watched_elements(&self) -> &[u32] {
        &self.watched_elements
    }

    pub fn tallies(&self) -> &[String] {
        &self.tallies
    }

    pub fn cells(&self) -> &[CellSpec] {
        &self.cells
    }

    /// Checks the frame layouts, roots, objects and conditions against each
    /// other. A failure is a compiler bug, so the message says "internal error".
    pub fn validate(&self) -> Result<(), String> {
        for kind in &self.kinds {
            let needed = u64::from(FRAME_HEADER_SLOTS) + u64::from(kind.param_slots);
            if u64::from(kind.frame_slots) < needed {
                return Err(format!(
                    "internal error: process `{}` has {} frame slots, fewer than its header and parameters ({needed})",
                    kind.name, kind.frame_slots
                ));
            }
            let result_end = u64::from(kind.result_start) + u64::from(kind.result_slots);
            if kind.result_slots > 0 && result_end > u64::from(kind.frame_slots) {
                return Err(format!(
                    "internal error: the result slots {}..{result_end} of process `{}` lie outside its {} frame slots",
                    kind.result_start, kind.name, kind.frame_slots
                ));
            }
        }
        for (index, root) in self.roots.iter().enumerate() {
            let Some(kind) = self.kinds.get(root.kind as usize) else {
                return Err(format!(
                    "internal error: root {index} names process kind {}, which does not exist",
                    root.kind
                ));
            };
            if root.args.len() != kind.param_slots as usize {
                return Err(format!(
                    "internal error: root `{}` gets {} argument slots, but takes {}",
                    kind.name,
                    root.args.len(),
                    kind.param_slots
                ));
            }
        }
        for object in &self.objects {
            let bad = match object.kind {
                ObjectKindSpec::Lock { capacity, .. } => capacity == 0,
                ObjectKindSpec::Queue { capacity, .. } => capacity == Some(0),
                ObjectKindSpec::Channel { .. } => false,
                ObjectKindSpec::Resource { capacity, level } => {
                    capacity.is_nan() || capacity <= 0.0 || !(0.0..=capacity).contains(&level)
                }
            };
            if bad {
                return Err(format!("internal error: object `{}` has an impossible capacity or level", object.name));
            }
        }
        if let Some(cell) = self.cells.iter().find(|cell| cell.slot as usize >= self.globals.len()) {
            return Err(format!(
                "internal error: a reported cell is slot {}, beyond the {} globals",
                cell.slot,
                self.globals.len()
            ));
        }
        for condition in &self.conditions {
            for watch in &condition.watches {
                let elements = self.watched_elements.get(watch.var as usize);
                let fits = match (elements, watch.element) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(&elements), Some(element)) => element < elements,
                };
                if !fits {
                    return Err(format!(
                        "internal error: {} watches {watch:?}, which the model's {} vars do not have",
                        condition.label,
                        self.watched_elements.len()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The order of events due at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TieOrder {
    /// The order they were scheduled in (the language's rule, §6).
    #[default]
    Fifo,
    /// A seeded random order: among all events due at the current time,
    /// including those scheduled while it is current, the next one is drawn
    /// uniformly. The draws come from their own stream, the model stream
    /// (`Xoshiro256PlusPlus::seed_from_u64(seed)`) advanced by `jump()`
    /// (2^128 steps), so the model's random numbers are the same as in a
    /// [`TieOrder::Fifo`] run with the same seed.
    Random,
}

/// The model's random stream of one replication.
///
/// Replication 0 of seed `s` is `Xoshiro256PlusPlus::seed_from_u64(s)`,
/// the stream of a single run; replication `k + 1` is replication `k`
/// advanced by `long_jump()` (2^192 draws), so streams never overlap and
/// replication `k`'s stream depends on the seed and `k` alone. Walking to
/// replication `k` costs `k` jumps (about a microsecond each): a driver of
/// many replications steps from one to the next with [`Stream::next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream(Xoshiro256PlusPlus);

impl Stream {
    /// Replication 0 of `seed`.
    pub fn new(seed: u64) -> Stream {
        Stream(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// Replication `k` of `seed`.
    pub fn replication(seed: u64, k: u64) -> Stream {
        let mut stream = Stream::new(seed);
        for _ in 0..k {
            stream = stream.next();
        }
        stream
    }

    /// The next replication's stream.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&self) -> Stream {
        let mut next = self.0.clone();
        next.long_jump();
        Stream(next)
    }

    pub(crate) fn into_inner(self) -> Xoshiro256PlusPlus {
        self.0
    }
}

/// How to run a [`Program`] once.
pub struct RunConfig {
    /// Seeds the model's random stream (and the tie-order stream).
    pub seed: u64,
    /// Overrides [`Program::horizon`] when `Some`.
    pub horizon: Option<f64>,
    pub tie_order: TieOrder,
    /// Where `print` output goes; written in chunks of about 64 KiB and at the
    /// end of the run.
    pub output: Box<dyn Write + Send>,
    /// `--trace`: one line per resumption (time, process, what woke it),
    /// written to `output` between the model's own lines.
    pub trace: bool,
    /// `--max-processes`: the most processes alive at once, roots included
    /// (at least 1). A `spawn` beyond it is a runtime error, so that a model
    /// spawning without end fails cleanly instead of exhausting memory.
    /// Usually [`RunConfig::DEFAULT_MAX_PROCESSES`].
    pub max_processes: usize,
    /// The model's random stream for this run, when it is not replication 0
    /// of `seed` (see [`Stream`]); `None` is `Stream::new(seed)`.
    pub stream: Option<Stream>,
    /// `--warmup`: statistics gathered before this time are discarded
    /// (tallies, time-weighted figures and counts start afresh at it).
    pub warmup: Option<f64>,
    /// Called with the simulated time every [`RunConfig::PROGRESS_EVENTS`]
    /// events (a progress bar). It must not touch the run.
    pub progress: Option<Box<dyn FnMut(f64) + Send>>,
    /// `--series`: receives every change of the series of
    /// [`crate::series_layout`], from their initial values at time 0 on
    /// (`--warmup` does not touch it). `None`: nothing is followed.
    pub series: Option<Box<dyn crate::SeriesSink>>,
}

impl RunConfig {
    /// How many events pass between calls of [`RunConfig::progress`].
    pub const PROGRESS_EVENTS: u64 = 1 << 16;

    /// The default of [`RunConfig::max_processes`]: one million. A live
    /// process with a small frame takes about 270 bytes (its 224-byte record
    /// in the process table, its frame allocation, 32 bytes for two slots,
    /// and its 16-byte wake-up in the ready queue; measured: 270 MB at a
    /// million, 2.1 GB at eight million), so a model that spawns without end
    /// stops at about 300 MB.
    pub const DEFAULT_MAX_PROCESSES: usize = 1_000_000;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Runtime, STEP_DONE};

    unsafe extern "C" fn done(_: *mut u64, _: *mut u64, _: *mut Runtime) -> u32 {
        STEP_DONE
    }

    fn kind(frame_slots: u32, param_slots: u32, result: (u32, u32)) -> ProcessKind {
        ProcessKind {
            name: "p".into(),
            step: done,
            frame_slots,
            param_slots,
            result_start: result.0,
            result_slots: result.1,
        }
    }

    fn program(kind: ProcessKind, roots: Vec<Root>) -> Program<'static> {
        // SAFETY: `done` is a valid step for any kind and touches nothing.
        unsafe { Program::new(ProgramParts { kinds: vec![kind], roots, ..ProgramParts::default() }) }
    }

    #[test]
    fn accepts_consistent_layouts() {
        let root = Root { kind: 0, args: vec![1] };
        assert_eq!(program(kind(4, 1, (3, 1)), vec![root]).validate(), Ok(()));
    }

    #[test]
    fn rejects_frames_too_small_for_parameters() {
        let error = program(kind(2, 1, (0, 0)), vec![]).validate().unwrap_err();
        assert!(error.contains("fewer than its header and parameters (3)"), "{error}");
    }

    #[test]
    fn rejects_results_outside_the_frame() {
        let error = program(kind(3, 0, (2, 2)), vec![]).validate().unwrap_err();
        assert!(error.contains("result slots 2..4"), "{error}");
    }

    #[test]
    fn rejects_bad_roots() {
        let missing = Root { kind: 3, args: vec![] };
        let error = program(kind(2, 0, (0, 0)), vec![missing]).validate().unwrap_err();
        assert!(error.contains("kind 3"), "{error}");
        let short = Root { kind: 0, args: vec![] };
        let error = program(kind(3, 1, (0, 0)), vec![short]).validate().unwrap_err();
        assert!(error.contains("gets 0 argument slots, but takes 1"), "{error}");
    }
}
