//! Runtime errors: the error a run ends with, and the one table of messages
//! for the error codes generated code raises inline through `usim_error`.

use std::fmt;

/// `int` arithmetic overflowed.
pub const ERROR_INTEGER_OVERFLOW: u32 = 1;
/// `/` by an int zero.
pub const ERROR_DIVISION_BY_ZERO: u32 = 2;
/// `%` by an int zero.
pub const ERROR_REMAINDER_BY_ZERO: u32 = 3;
/// An `every` period that is not greater than 0 (or is NaN).
pub const ERROR_EVERY_PERIOD: u32 = 4;
/// [`crate::Header::stack_left`] ran out: `fn` calls nested too deeply
/// (runaway recursion).
pub const ERROR_CALL_DEPTH: u32 = 5;
/// An `every` whose next start would equal its current one: the period is
/// below the resolution of time there, so time could never advance.
pub const ERROR_EVERY_STUCK: u32 = 6;
/// The user asked the run to stop (Ctrl-C; see [`crate::request_interrupt`]).
pub const ERROR_INTERRUPTED: u32 = 7;

/// The message for an error code passed to `usim_error`.
pub fn inline_error_message(code: u32) -> String {
    let message = match code {
        ERROR_INTEGER_OVERFLOW => "integer overflow: the result does not fit in a 64-bit int",
        ERROR_DIVISION_BY_ZERO => "division by zero",
        ERROR_REMAINDER_BY_ZERO => "remainder by zero: `%` needs a nonzero int on its right",
        ERROR_EVERY_PERIOD => "`every` period must be greater than 0",
        ERROR_CALL_DEPTH => "function calls nested too deeply (is a `fn` recursing without end?)",
        ERROR_EVERY_STUCK => {
            "`every` cannot advance: its period is below the resolution of time here, so the next start would equal this one"
        }
        ERROR_INTERRUPTED => "interrupted (Ctrl-C)",
        other => return format!("internal error: unknown runtime error code {other}"),
    };
    message.to_string()
}

/// The error that ended a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeError {
    /// What went wrong, for a modeller.
    pub message: String,
    /// The source byte range `(start, end)` where it happened, if known.
    pub span: Option<(u32, u32)>,
    /// The simulated time it happened at.
    pub time: f64,
    /// The display name of the process that was running (see
    /// [`crate::run`] for the naming convention); empty when none was.
    pub process: String,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at time {}", self.message, self.time)?;
        if !self.process.is_empty() {
            write!(f, ", in process {}", self.process)?;
        }
        write!(f, ")")
    }
}

impl std::error::Error for RuntimeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_message() {
        assert_eq!(inline_error_message(ERROR_DIVISION_BY_ZERO), "division by zero");
        assert_eq!(inline_error_message(ERROR_EVERY_PERIOD), "`every` period must be greater than 0");
        assert!(inline_error_message(ERROR_INTEGER_OVERFLOW).starts_with("integer overflow"));
        assert!(inline_error_message(ERROR_REMAINDER_BY_ZERO).starts_with("remainder by zero"));
        assert!(inline_error_message(ERROR_CALL_DEPTH).contains("nested too deeply"));
        assert_eq!(inline_error_message(ERROR_INTERRUPTED), "interrupted (Ctrl-C)");
        assert_eq!(inline_error_message(99), "internal error: unknown runtime error code 99");
    }

    #[test]
    fn display_names_time_and_process() {
        let error = RuntimeError {
            message: "division by zero".into(),
            span: Some((3, 7)),
            time: 4.5,
            process: "customer#7".into(),
        };
        assert_eq!(error.to_string(), "division by zero (at time 4.5, in process customer#7)");
    }
}
