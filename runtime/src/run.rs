//! One run of a program: set up the runtime, start the roots, dispatch
//! wake-ups to step functions until the run ends, and report the outcome.

use rand_xoshiro::Xoshiro256PlusPlus;

use crate::abi::{STACK_BUDGET, STEP_CANCELLED, STEP_DONE, STEP_ERROR, STEP_STOP, STEP_SUSPENDED};
use crate::events::{EventQueue, Next, Wakeup};
use crate::lifecycle::Ending;
use crate::objects::ObjectState;
use crate::outcome::{OutputError, RunOutcome, Waiting};
use crate::output::Output;
use crate::process::{Cause, Process, RegOn, RunState};
use crate::program::{Program, RunConfig, Stream, TieOrder};
use crate::runtime::{KindInfo, Runtime};
use crate::summary::{EndedBy, RunStats};
use crate::wait::Mode;

/// From how many process slots on the event loop prefetches the next
/// process's record and frame: below it (about half a MiB of records) they
/// stay in the cache anyway, and the prefetch would be pure work.
const PREFETCH_FROM_SLOTS: usize = 2048;

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
pub fn run(program: &Program<'_>, config: RunConfig) -> RunOutcome {
    let output = Output::new(config.output);
    let output_failure = output.failure();
    let stream = config.stream.unwrap_or_else(|| Stream::new(config.seed)).into_inner();
    let tie = tie_stream(&stream, config.tie_order);
    let mut runtime = Runtime::new(
        program.kinds().iter().map(kind_info).collect(),
        program.globals().to_vec(),
        stream,
        EventQueue::new(tie),
        output,
        config.max_processes,
    );
    runtime.objects = program.objects().iter().map(ObjectState::new).collect();
    runtime.object_names = program.objects().iter().map(|object| object.name.clone()).collect();
    runtime.conditions = program.conditions().to_vec();
    let mut first = 0;
    for &elements in program.watched_elements() {
        runtime.watch_keys.push(first);
        first += 1 + elements;
    }
    runtime.watch_keys.push(first);
    runtime.watchers = vec![Vec::new(); first as usize];
    runtime.trace = config.trace;
    runtime.progress = config.progress;
    let horizon = config.horizon.or(program.horizon());
    let end = match program.validate().and_then(|()| runtime.start_stats(program, config.warmup)) {
        Ok(()) => {
            if let Some(sink) = config.series {
                runtime.start_series(program, sink);
            }
            runtime.start_roots(program);
            runtime.drive(horizon.unwrap_or(f64::INFINITY))
        }
        Err(message) => {
            runtime.raise(message, crate::abi::NO_SPAN);
            End::Failed
        }
    };
    runtime.finish_output();
    runtime.finish_series();
    let audit = runtime.audit();
    debug_assert!(audit.is_ok(), "a unit, amount or item was lost: {audit:?}");
    if let Err(message) = &audit {
        // A bug in usim, never in the model: the run must not look successful.
        if runtime.error.is_none() {
            runtime.current = None;
            runtime.internal_error(&format!("a unit, amount or item was lost: {message}"));
        }
    }
    // The runtime raised the failure as "cannot write the output: {text}",
    // without a span, unless an error of the model came first.
    let output_error = output_failure.take().map(|(kind, message)| OutputError {
        is_run_error: runtime.error.as_ref().is_some_and(|error| {
            error.span.is_none() && error.message == format!("cannot write the output: {message}")
        }),
        kind,
        message,
    });
    runtime.outcome(end, horizon, audit.err(), output_error)
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
/// model never reaches, so the two never overlap (nor reach the next
/// replication's, 2^192 draws on).
fn tie_stream(model: &Xoshiro256PlusPlus, order: TieOrder) -> Option<Xoshiro256PlusPlus> {
    match order {
        TieOrder::Fifo => None,
        TieOrder::Random => {
            let mut stream = model.clone();
            stream.jump();
            Some(stream)
        }
    }
}

impl Runtime {
    /// Spawns the roots at time 0, in order.
    fn start_roots(&mut self, program: &Program<'_>) {
        for root in program.roots() {
            let unique = program.roots().iter().filter(|other| other.kind == root.kind).count() == 1;
            self.unique_roots.push(unique);
            match self.spawn(root.kind, &root.args, crate::abi::NO_SPAN) {
                Some((slot, _)) => self.procs.get_mut(slot).named_by_kind = unique,
                None => return,
            }
        }
    }

    /// Whether `wakeup` resumes its process now. A scheduled resumption is
    /// current while the process is woken with that token; a timer while
    /// the process still holds that registration (it completes now, or, as
    /// an `until` trigger, interrupts). Anything else was withdrawn.
    #[inline]
    fn due(&mut self, wakeup: Wakeup) -> bool {
        let process = self.procs.get(wakeup.slot);
        if process.pid == 0 {
            return false;
        }
        if process.state == RunState::Woken {
            if process.resume == wakeup.token {
                return true;
            }
        } else if process.state != RunState::Suspended {
            return false;
        }
        let Some(index) = process.reg_index(wakeup.token) else { return false };
        let reg = process.regs[index];
        if reg.is_trigger() {
            return self.interrupt(wakeup.slot, reg.trigger, true);
        }
        if process.state != RunState::Suspended {
            return false;
        }
        self.complete(wakeup.slot, reg);
        true
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
                Next::Halted => {
                    self.queue_halted();
                    return End::Failed;
                }
            };
            self.header.now = self.queue.now();
            if self.procs.slot_count() > PREFETCH_FROM_SLOTS {
                if let Some(next) = self.queue.upcoming() {
                    self.procs.prefetch(next);
                }
            }
            if crate::interrupt_requested() {
                self.current = None;
                self.interrupted = true;
                self.raise(crate::inline_error_message(crate::ERROR_INTERRUPTED), crate::abi::NO_SPAN);
                return End::Failed;
            }
            if self.header.now >= self.stats.warmup_due {
                self.restart_stats(self.stats.warmup_due);
            }
            if !self.due(wakeup) {
                if self.error.is_some() {
                    return End::Failed;
                }
                continue;
            }
            self.last_step_time = self.header.now;
            if self.trace {
                self.trace_line(wakeup.slot);
            }
            let process = self.procs.get_mut(wakeup.slot);
            process.state = RunState::Running;
            let frame = process.frame.as_mut_ptr();
            let step = process.step;
            let globals = self.globals.as_mut_ptr();
            self.header.stack_left = STACK_BUDGET;
            self.current = Some(wakeup.slot);
            self.mode = Mode::Single;
            self.events += 1;
            if self.events.is_multiple_of(RunConfig::PROGRESS_EVENTS) {
                if let Some(progress) = &mut self.progress {
                    progress(self.header.now);
                }
            }
            let rt: *mut Runtime = self;
            // SAFETY: `step` was compiled for this process's kind, which is
            // what the contract of `Program::new` requires. `frame` is this
            // process's own frame, a separate allocation that neither moves
            // nor is freed during the step (a process that ends during its
            // own step keeps its slot until `after_step`). `globals` is the
            // globals block, which is never resized. `rt` is derived from
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
        let process = self.procs.get(slot);
        let ended_during_step = process.ended;
        let suspended = process.state == RunState::Suspended && process.regs.iter().any(|reg| !reg.is_trigger());
        match code {
            STEP_STOP => return Some(End::Stopped),
            STEP_ERROR => {
                self.internal_error("a step returned STEP_ERROR without recording an error");
                return Some(End::Failed);
            }
            STEP_SUSPENDED if !suspended && !ended_during_step => {
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

    /// Writes the `--trace` line for the process about to resume in `slot`.
    #[cold]
    fn trace_line(&mut self, slot: u32) {
        let cause = match self.procs.get(slot).cause {
            Cause::Start => "start".to_string(),
            Cause::Interrupted => "interrupted".to_string(),
            Cause::Completed(RegOn::Timer { .. }) => "time".to_string(),
            Cause::Completed(on) => self.describe(on),
        };
        let line = format!("trace {} {} {cause}\n", self.header.now, self.display_name(slot));
        self.emit_raw(&line);
    }

    /// What a registration waits on, as reports name it.
    fn describe(&self, on: RegOn) -> String {
        let name = |object: u32| self.object_names.get(object as usize).map_or("?", |name| name.as_str());
        match on {
            RegOn::Timer { time } => format!("time {time}"),
            RegOn::Lock { object, .. } => format!("lock {}", name(object)),
            RegOn::Get { object, .. } => format!("queue {} (get)", name(object)),
            RegOn::Put { object } => format!("queue {} (put)", name(object)),
            RegOn::Recv { object, .. } => format!("channel {}", name(object)),
            RegOn::Borrow { object, .. } | RegOn::ResGet { object, .. } => format!("resource {} (get)", name(object)),
            RegOn::ResPut { object, .. } => format!("resource {} (put)", name(object)),
            RegOn::Condition { cond } => {
                self.conditions.get(cond as usize).map_or_else(|| "condition".to_string(), |c| c.label.clone())
            }
            RegOn::Join { slot, pid } => format!("process {}", self.pid_name(pid, slot)),
            RegOn::Scope => "scope".to_string(),
        }
    }

    fn outcome(
        &mut self,
        end: End,
        horizon: Option<f64>,
        audit: Option<String>,
        output_error: Option<OutputError>,
    ) -> RunOutcome {
        // A withdrawn wait is not an event: without a horizon the run ends at
        // the last step that ran, not at a stale wake-up popped after it.
        let end_time = match (end, horizon) {
            (End::Exhausted | End::Horizon, Some(horizon)) => horizon,
            (End::Exhausted, None) => self.last_step_time,
            _ => self.header.now,
        };
        RunOutcome {
            end_time,
            events: self.events,
            stopped: end == End::Stopped,
            ended_by: match end {
                End::Horizon => EndedBy::Horizon,
                End::Stopped => EndedBy::Stop,
                End::Exhausted => EndedBy::NoEvents,
                End::Failed if self.interrupted => EndedBy::Interrupted,
                End::Failed => EndedBy::Error,
            },
            stats: if end == End::Failed { RunStats::default() } else { self.run_stats(end_time) },
            error: self.error.take(),
            output_error,
            waiting: self.waiting(),
            globals: self.globals.clone(),
            audit,
        }
    }

    /// Processes blocked on something other than time, in pid order.
    fn waiting(&self) -> Vec<Waiting> {
        let mut blocked: Vec<(u64, Waiting)> = Vec::new();
        for process in self.procs.live() {
            let Some(on) = self.blocked_on(process) else { continue };
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

    /// What a suspended process waits on, unless it merely waits for a time
    /// that will come.
    fn blocked_on(&self, process: &Process) -> Option<String> {
        if process.state != RunState::Suspended {
            return None;
        }
        let current: Vec<RegOn> = process.regs.iter().filter(|reg| !reg.is_trigger()).map(|reg| reg.on).collect();
        if current.is_empty() || current.iter().any(|on| matches!(on, RegOn::Timer { time } if time.is_finite())) {
            return None;
        }
        let described: Vec<String> = current.into_iter().map(|on| self.describe(on)).collect();
        Some(described.join(" or "))
    }

    /// The display name of the process `pid`, which was given `slot`, live
    /// or ended (a slot keeps its kind, and roots are the first pids).
    fn pid_name(&self, pid: u64, slot: u32) -> String {
        if self.procs.is_live(slot, pid) {
            return self.display_name(slot);
        }
        let kind = self.procs.get(slot).kind;
        let named_by_kind = pid >= 1 && self.unique_roots.get(pid as usize - 1).copied().unwrap_or(false);
        self.name_of(kind, pid, named_by_kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProcessKind, ProgramParts, Root, RuntimeError};

    unsafe extern "C" fn done(_: *mut u64, _: *mut u64, _: *mut Runtime) -> u32 {
        STEP_DONE
    }

    /// Prints `hello`, then ends, or fails when the process's state says so.
    unsafe extern "C" fn hello(frame: *mut u64, _: *mut u64, rt: *mut Runtime) -> u32 {
        // SAFETY: the runtime passes its own live pointer and this process's frame.
        let (rt, fails) = unsafe { (&mut *rt, *frame.add(2) == 1) };
        rt.text().push_str("hello");
        rt.emit_line();
        if fails {
            rt.raise("the model failed".into(), crate::abi::NO_SPAN);
            return STEP_ERROR;
        }
        STEP_DONE
    }

    /// The configuration of these tests: seed 0, FIFO, no horizon, output to `output`.
    fn config(output: Box<dyn std::io::Write + Send>) -> RunConfig {
        RunConfig {
            seed: 0,
            horizon: None,
            tie_order: TieOrder::Fifo,
            output,
            trace: false,
            max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
            stream: None,
            warmup: None,
            progress: None,
            series: None,
        }
    }

    struct Full;

    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn run_hello(fails: bool) -> RunOutcome {
        let parts = ProgramParts {
            kinds: vec![ProcessKind {
                name: "p".into(),
                step: hello,
                frame_slots: 3,
                param_slots: 1,
                result_start: 3,
                result_slots: 0,
            }],
            roots: vec![Root { kind: 0, args: vec![u64::from(fails)] }],
            ..ProgramParts::default()
        };
        // SAFETY: `hello` touches only its frame's first parameter and the runtime.
        let program = unsafe { Program::new(parts) };
        let config = config(Box::new(Full));
        run(&program, config)
    }

    #[test]
    fn a_failing_writer_is_an_output_error() {
        let outcome = run_hello(false);
        let failure = outcome.output_error.expect("the write failed");
        assert_eq!(failure.kind, std::io::ErrorKind::StorageFull);
        assert!(failure.is_run_error);
        let error = outcome.error.expect("the failure ends the run");
        assert_eq!(error.message, format!("cannot write the output: {}", failure.message));
    }

    #[test]
    fn a_model_error_before_the_failed_write_stays_the_run_error() {
        let outcome = run_hello(true);
        let failure = outcome.output_error.expect("the write at the end failed");
        assert!(!failure.is_run_error);
        assert_eq!(outcome.error.map(|e| e.message), Some("the model failed".to_string()));
    }

    #[test]
    fn an_invalid_program_ends_with_an_internal_error_before_running() {
        let parts = ProgramParts {
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
            ..ProgramParts::default()
        };
        // SAFETY: `done` is a valid step for any kind and touches nothing.
        let program = unsafe { Program::new(parts) };
        let config = config(Box::new(std::io::sink()));
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
    /// Corrupts the first object as its kind allows: a lock unit held with
    /// no record, an item counted as got that never was, a resource over
    /// its capacity or with an amount borrowed by no block. The audit at the end of the run must name it.
    unsafe extern "C" fn corrupt(_: *mut u64, _: *mut u64, rt: *mut Runtime) -> u32 {
        use crate::objects::{Holder, ObjectState};
        // SAFETY: the runtime passes its own live pointer.
        let rt = unsafe { &mut *rt };
        match &mut rt.objects[0] {
            ObjectState::Lock(lock) => lock.holders.push(Holder { slot: 0, serial: 1, priority: 0 }),
            ObjectState::Queue(queue) => queue.got += 1,
            // Over the capacity, or (from a level of 0.25) borrowed by no block.
            ObjectState::Resource(resource) if resource.level > 0.5 => resource.level += 0.5,
            ObjectState::Resource(resource) => resource.borrowed += 0.5,
            ObjectState::Channel(_) => {}
        }
        STEP_DONE
    }

    fn audit_after_corrupting(kind: crate::ObjectKindSpec) -> Option<String> {
        let parts = ProgramParts {
            kinds: vec![ProcessKind {
                name: "p".into(),
                step: corrupt,
                frame_slots: 2,
                param_slots: 0,
                result_start: 2,
                result_slots: 0,
            }],
            roots: vec![Root { kind: 0, args: vec![] }],
            objects: vec![crate::ObjectSpec { name: "o".into(), kind }],
            ..ProgramParts::default()
        };
        // SAFETY: `corrupt` touches only the runtime's first object.
        let program = unsafe { Program::new(parts) };
        let config = config(Box::new(std::io::sink()));
        // The audit is also a debug assertion: catch it and read its message.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&program, config)));
        match outcome {
            Ok(outcome) => outcome.audit,
            Err(payload) => payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string())),
        }
    }

    #[test]
    fn the_audit_names_a_unit_item_or_amount_unaccounted_for() {
        use crate::ObjectKindSpec;
        let lock = audit_after_corrupting(ObjectKindSpec::Lock { capacity: 2, preemptive: false });
        assert!(lock.as_deref().is_some_and(|m| m.contains("lock `o`: 1 units held by 0 blocks")), "{lock:?}");
        let queue = audit_after_corrupting(ObjectKindSpec::Queue { capacity: None, item_slots: 1 });
        assert!(queue.as_deref().is_some_and(|m| m.contains("queue `o`: 0 put, 1 got, 0 buffered")), "{queue:?}");
        let over = audit_after_corrupting(ObjectKindSpec::Resource { capacity: 1.0, level: 1.0 });
        assert!(over.as_deref().is_some_and(|m| m.contains("resource `o`: level 1.5")), "{over:?}");
        let lent = audit_after_corrupting(ObjectKindSpec::Resource { capacity: 1.0, level: 0.25 });
        assert!(
            lent.as_deref().is_some_and(
                |m| m.contains("resource `o`: level 0.25, 0.5 borrowed by the runtime's count, 0 by blocks")
            ),
            "{lent:?}"
        );
    }
}
