//! What a run hands back: how and when it ended, and who was left waiting.

use crate::error::RuntimeError;

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
    /// The runtime error the run ended with, if any.
    pub error: Option<RuntimeError>,
    /// Processes blocked on something other than a time that will come, in pid order.
    /// Processes merely delayed past the horizon are not listed.
    pub waiting: Vec<Waiting>,
    /// The globals block as the run left it.
    pub globals: Vec<u64>,
    /// `Some` when the end-of-run audit found a lock unit, borrowed amount or
    /// item unaccounted for (a bug in usim, never in the model).
    pub audit: Option<String>,
}
