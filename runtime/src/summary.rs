//! The statistics one run hands back (docs/experiments.md): plain numbers,
//! computed by the runtime at the end of the run from what it gathered at
//! every change. Figures that have no value (the mean of no samples) are NaN.

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// It reached the horizon (`--until` or the model's `until`).
    Horizon,
    /// A process executed `stop`.
    Stop,
    /// No event was left before the horizon (or there is no horizon).
    NoEvents,
    /// A runtime error (or a failed write of the output) ended it.
    Error,
    /// The user interrupted it (Ctrl-C).
    Interrupted,
}

impl EndedBy {
    /// As the report writes it: `horizon`, `stop`, `no_events`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndedBy::Horizon => "horizon",
            EndedBy::Stop => "stop",
            EndedBy::NoEvents => "no_events",
            EndedBy::Error => "error",
            EndedBy::Interrupted => "interrupted",
        }
    }
}

/// A `record name = expr` tally, over the samples recorded from the start of
/// statistics (time 0, or `--warmup`) on.
#[derive(Debug, Clone, PartialEq)]
pub struct TallySummary {
    pub name: String,
    pub count: u64,
    pub mean: f64,
    /// The sample standard deviation (divisor `count - 1`); 0 for one sample.
    pub std: f64,
    pub min: f64,
    pub max: f64,
    /// Quantiles of the kept samples, linearly interpolated between order
    /// statistics (numpy's default, "type 7").
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// The time from which MSER-5 suggests keeping samples: the time of the
    /// first sample after the truncation point, or the start of statistics
    /// when it suggests no truncation (NaN with fewer than 10 samples).
    pub mser5_warmup: f64,
    /// The finite samples in at most 32 bins (`None` when there are none).
    pub histogram: Option<crate::Histogram>,
}

/// A figure that holds a value over time: its value at the end, and its
/// time-weighted mean and extremes from the start of statistics on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeWeighted {
    pub final_value: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// Waits that ended (a request granted, an item leaving a queue's buffer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitSummary {
    pub count: u64,
    /// NaN when none ended.
    pub mean: f64,
    /// NaN when none ended.
    pub max: f64,
}

/// One lock (or member of a lock family).
#[derive(Debug, Clone, PartialEq)]
pub struct LockSummary {
    pub name: String,
    pub capacity: u64,
    /// Units granted (at once or after a wait).
    pub acquired: u64,
    /// Time-weighted units held, divided by the capacity.
    pub utilization: f64,
    /// Requests waiting (time-weighted mean, and the most at once).
    pub queue: TimeWeighted,
    /// From request to grant, over the units granted (0 for one granted at once).
    pub wait: WaitSummary,
}

/// One queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSummary {
    pub name: String,
    /// `None`: unbounded.
    pub capacity: Option<u64>,
    /// Items that entered (buffered, or handed straight to a getter).
    pub put: u64,
    /// Items taken by getters.
    pub got: u64,
    /// Items buffered.
    pub length: TimeWeighted,
    /// The time each item taken spent buffered (0 when handed straight over).
    pub wait: WaitSummary,
}

/// One resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSummary {
    pub name: String,
    pub capacity: f64,
    pub level: TimeWeighted,
    /// Gets and puts waiting.
    pub queue: TimeWeighted,
    /// From request to completion, over the gets and puts that completed.
    pub wait: WaitSummary,
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunStats {
    /// When statistics began: 0, or the `--warmup` time (the end time when
    /// the run ended before it).
    pub start: f64,
    /// In the order of [`crate::Program::tallies`].
    pub tallies: Vec<TallySummary>,
    /// One per [`crate::Program::cells`] entry, in its order.
    pub cells: Vec<TimeWeighted>,
    /// Locks, queues and resources in the order of [`crate::Program::objects`]
    /// (channels have none).
    pub locks: Vec<LockSummary>,
    pub queues: Vec<QueueSummary>,
    pub resources: Vec<ResourceSummary>,
}
