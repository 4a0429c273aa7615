//! What a run hands back: how and when it ended, and who was left waiting.

use std::io;

use crate::error::RuntimeError;
use crate::summary::{EndedBy, RunStats};

/// A process still blocked at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    /// Its display name (see [`crate::run`]).
    pub process: String,
    /// What it waits on: `lock teller`, `queue jobs (get)`, `channel news`,
    /// `resource tank (put)`, `condition at line 12`, `process square#4`,
    /// `scope`, `time inf`; the arms of a `select` joined by ` or `.
    pub on: String,
    /// The simulated time it began to wait.
    pub since: f64,
}

/// Writing to [`crate::RunConfig::output`] failed (a full disk, a closed
/// pipe). The run stops at the failed write; what was not written is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputError {
    /// What the writer reported: `StorageFull`, `BrokenPipe`, ...
    pub kind: io::ErrorKind,
    /// The writer's error as text: `No space left on device (os error 28)`.
    pub message: String,
    /// Whether [`RunOutcome::error`] is this failure (as "cannot write the
    /// output: ..."); false when the model's own runtime error came first
    /// and the failure happened writing the output buffered before it.
    pub is_run_error: bool,
}

/// The result of [`crate::run`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The horizon when one is set and the run was not ended by `stop` or an
    /// error; otherwise the time of the last event run (0 if none ran).
    pub end_time: f64,
    /// Step invocations.
    pub events: u64,
    /// Whether a process executed `stop`.
    pub stopped: bool,
    /// How the run ended.
    pub ended_by: EndedBy,
    /// What the run measured (empty figures when it ended by an error).
    pub stats: RunStats,
    /// The runtime error the run ended with, if any. A failure of the
    /// output is one too, and is also described by [`RunOutcome::output_error`].
    pub error: Option<RuntimeError>,
    /// `Some` when writing the output failed: a fault of where the output
    /// goes, not of the model, which a front end reports as such.
    pub output_error: Option<OutputError>,
    /// Processes blocked on something other than a time that will come, in pid order.
    /// Processes merely delayed past the horizon are not listed.
    pub waiting: Vec<Waiting>,
    /// The globals block as the run left it.
    pub globals: Vec<u64>,
    /// `Some` when the end-of-run audit found a lock unit, borrowed amount or
    /// item unaccounted for (a bug in usim, never in the model).
    pub audit: Option<String>,
}
