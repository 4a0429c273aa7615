//! What the compiler hands the runtime (a [`Program`]: process kinds, initial
//! globals, roots, horizon) and how one run is configured ([`RunConfig`]).

use std::io::Write;

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

/// A compiled model, ready to run any number of times.
#[derive(Debug, Clone)]
pub struct Program {
    pub kinds: Vec<ProcessKind>,
    /// Initial values of the globals block.
    pub globals: Vec<u64>,
    /// Started at time 0 in this order.
    pub roots: Vec<Root>,
    /// The `until` of the `run` item.
    pub horizon: Option<f64>,
}

impl Program {
    /// Checks the frame layouts and roots against each other. A failure is a
    /// compiler bug, so the message says "internal error".
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

    fn program(kind: ProcessKind, roots: Vec<Root>) -> Program {
        Program { kinds: vec![kind], globals: vec![], roots, horizon: None }
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
