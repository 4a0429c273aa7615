//! One run of a program: set up the runtime, start the roots, dispatch
//! wake-ups to step functions until the run ends, and report the outcome.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::abi::{STACK_BUDGET, STEP_CANCELLED, STEP_DONE, STEP_ERROR, STEP_STOP, STEP_SUSPENDED};
use crate::events::{EventQueue, Next};
use crate::lifecycle::Ending;
use crate::outcome::{RunOutcome, Waiting};
use crate::output::Output;
use crate::process::Wait;
use crate::program::{Program, RunConfig, TieOrder};
use crate::runtime::{KindInfo, Runtime};

/// Why the event loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// No event was left.
    Exhausted,
    /// The next event lies after the horizon.
    Horizon,
    /// A process executed `stop`.
    Stopped,
    /// A runtime error was recorded.
    Failed,
}

/// Runs `program` once and reports how it ended.
///
/// Processes are named in errors and in [`RunOutcome::waiting`] by their
/// kind and pid, `customer#7`, except a root whose kind no other root has,
/// which is named by its kind alone, `main`. Pids count from 1 in spawn
/// order, roots first, and are never reused.
///
/// All output is written to [`RunConfig::output`] before this returns.
pub fn run(program: &Program, config: RunConfig) -> RunOutcome {
    let mut runtime = Runtime::new(
        program.kinds.iter().map(kind_info).collect(),
        program.globals.clone(),
        Xoshiro256PlusPlus::seed_from_u64(config.seed),
        EventQueue::new(tie_stream(config.seed, config.tie_order)),
        Output::new(config.output),
    );
    let horizon = config.horizon.or(program.horizon);
    let end = match program.validate() {
        Ok(()) => {
            runtime.start_roots(program);
            runtime.drive(horizon.unwrap_or(f64::INFINITY))
        }
        Err(message) => {
            runtime.raise(message, crate::abi::NO_SPAN);
            End::Failed
        }
    };
    runtime.finish_output();
    runtime.outcome(end, horizon)
}

fn kind_info(kind: &crate::ProcessKind) -> KindInfo {
    KindInfo {
        name: kind.name.clone(),
        step: kind.step,
        frame_slots: kind.frame_slots as usize,
        param_slots: kind.param_slots as usize,
        result_start: kind.result_start as usize,
        result_slots: kind.result_slots as usize,
    }
}

/// The tie-order stream: the model stream advanced by 2^128 draws, which a
/// model never reaches, so the two never overlap.
fn tie_stream(seed: u64, order: TieOrder) -> Option<Xoshiro256PlusPlus> {
    match order {
        TieOrder::Fifo => None,
        TieOrder::Random => {
            let mut stream = Xoshiro256PlusPlus::seed_from_u64(seed);
            stream.jump();
            Some(stream)
        }
    }
}

impl Runtime {
    /// Spawns the roots at time 0, in order.
    fn start_roots(&mut self, program: &Program) {
        for root in &program.roots {
            let unique = program.roots.iter().filter(|other| other.kind == root.kind).count() == 1;
            match self.spawn(root.kind, &root.args) {
                Ok((slot, _)) => self.procs.get_mut(slot).named_by_kind = unique,
                Err(message) => self.internal_error(&message),
            }
        }
    }

    /// The event loop: runs the step of each due wake-up until the run ends.
    fn drive(&mut self, horizon: f64) -> End {
        if self.error.is_some() {
            return End::Failed;
        }
        loop {
            let wakeup = match self.queue.next(horizon) {
                Next::Due(wakeup) => wakeup,
                Next::Empty => return End::Exhausted,
                Next::PastHorizon => return End::Horizon,
            };
            let process = self.procs.get_mut(wakeup.slot);
            if process.pid == 0 || process.epoch != wakeup.epoch {
                continue; // withdrawn: the process was cancelled or ended
            }
            process.epoch += 1;
            process.wait = Wait::None;
            let frame = process.frame.as_mut_ptr();
            let step = process.step;
            let globals = self.globals.as_mut_ptr();
            self.header.now = self.queue.now();
            self.header.stack_left = STACK_BUDGET;
            self.current = Some(wakeup.slot);
            self.events += 1;
            let rt: *mut Runtime = self;
            // SAFETY: `step` was compiled for this process's kind, which is
            // what the contract of `ProcessKind::step` requires. `frame` is
            // this process's own frame, a separate allocation that neither
            // moves nor is freed during the step (a process that ends during
            // its own step keeps its slot until `after_step`). `globals` is
            // the globals block, which is never resized. `rt` is derived from
            // `self`, and no reference to the runtime is used until the step
            // returns, so host calls may reborrow it.
            let code = unsafe { step(frame, globals, rt) };
            if let Some(end) = self.after_step(wakeup.slot, code) {
                return end;
            }
        }
    }

    /// Acts on what a step returned; `Some` when the run ends.
    fn after_step(&mut self, slot: u32, code: u32) -> Option<End> {
        if self.header.error != 0 || self.error.is_some() {
            if self.error.is_none() {
                self.internal_error("generated code set the error flag without recording an error");
            }
            return Some(End::Failed);
        }
        let ended_during_step = self.procs.get(slot).ended;
        let wait = self.procs.get(slot).wait;
        match code {
            STEP_STOP => return Some(End::Stopped),
            STEP_ERROR => {
                self.internal_error("a step returned STEP_ERROR without recording an error");
                return Some(End::Failed);
            }
            STEP_SUSPENDED if wait == Wait::None && !ended_during_step => {
                self.internal_error("a step returned STEP_SUSPENDED without registering a wait");
                return Some(End::Failed);
            }
            STEP_SUSPENDED | STEP_DONE | STEP_CANCELLED => {}
            other => {
                self.internal_error(&format!("a step returned the unknown code {other}"));
                return Some(End::Failed);
            }
        }
        self.current = None;
        if ended_during_step {
            // Cancelled while running (by itself or through a scope); the
            // frame was kept for the step and can be reused now.
            self.procs.release(slot);
        } else if code == STEP_DONE {
            self.end_process(slot, Ending::Returned);
        } else if code == STEP_CANCELLED {
            self.end_process(slot, Ending::Cancelled);
        }
        None
    }

    fn outcome(&mut self, end: End, horizon: Option<f64>) -> RunOutcome {
        let end_time = match (end, horizon) {
            (End::Exhausted | End::Horizon, Some(horizon)) => horizon,
            _ => self.header.now,
        };
        RunOutcome {
            end_time,
            events: self.events,
            stopped: end == End::Stopped,
            error: self.error.take(),
            waiting: self.waiting(),
            globals: self.globals.clone(),
        }
    }

    /// Processes blocked on an `await` of a handle or on a scope, in pid order.
    fn waiting(&self) -> Vec<Waiting> {
        let mut blocked: Vec<(u64, Waiting)> = Vec::new();
        for process in self.procs.live() {
            let on = match process.wait {
                Wait::Join { pid, slot } => format!("process {}", self.pid_name(pid, slot)),
                Wait::Scope => "scope".to_string(),
                Wait::None | Wait::Timer | Wait::Woken => continue,
            };
            let waiting = Waiting {
                process: self.name_of(process.kind, process.pid, process.named_by_kind),
                on,
                since: process.since,
            };
            blocked.push((process.pid, waiting));
        }
        blocked.sort_by_key(|&(pid, _)| pid);
        blocked.into_iter().map(|(_, waiting)| waiting).collect()
    }

    /// The display name of the process `pid`, which was given `slot`, if it
    /// is live; else `#pid`.
    fn pid_name(&self, pid: u64, slot: u32) -> String {
        if self.procs.is_live(slot, pid) {
            self.display_name(slot)
        } else {
            format!("#{pid}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProcessKind, Root, RuntimeError};

    unsafe extern "C" fn done(_: *mut u64, _: *mut u64, _: *mut Runtime) -> u32 {
        STEP_DONE
    }

    #[test]
    fn an_invalid_program_ends_with_an_internal_error_before_running() {
        let program = Program {
            kinds: vec![ProcessKind {
                name: "p".into(),
                step: done,
                frame_slots: 2,
                param_slots: 0,
                result_start: 0,
                result_slots: 0,
            }],
            globals: vec![5],
            roots: vec![Root { kind: 1, args: vec![] }],
            horizon: None,
        };
        let config = RunConfig { seed: 0, horizon: None, tie_order: TieOrder::Fifo, output: Box::new(std::io::sink()) };
        let outcome = run(&program, config);
        assert_eq!(
            outcome.error,
            Some(RuntimeError {
                message: "internal error: root 0 names process kind 1, which does not exist".into(),
                span: None,
                time: 0.0,
                process: String::new(),
            })
        );
        assert_eq!(outcome.events, 0);
        assert_eq!(outcome.globals, vec![5]);
    }
}
