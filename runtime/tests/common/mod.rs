//! Helpers for writing step functions by hand, the way generated code looks:
//! a `loop { match state { ... } }` over frame slot 0 that calls host
//! functions through the runtime pointer and returns a `STEP_*` code.
#![allow(dead_code)] // each test binary uses a different part

use std::fmt::Display;

use usim_runtime::*;

/// Defines `unsafe extern "C" fn $name` as a step function whose body sees
/// the step's pointers as `$cx: Ctx`.
macro_rules! step {
    ($name:ident, |$cx:ident| $body:expr) => {
        unsafe extern "C" fn $name(frame: *mut u64, globals: *mut u64, rt: *mut usim_runtime::Runtime) -> u32 {
            // SAFETY: the runtime passes a step pointers valid for its whole run,
            // and every kind in these tests declares enough slots for its step.
            let $cx = unsafe { crate::common::Ctx::new(frame, globals, rt) };
            $body
        }
    };
}

/// A writer whose bytes the test reads back after the run.
pub use usim_runtime::SharedBuffer as Capture;

/// A process kind without a return value.
pub fn kind(name: &str, step: StepFn, frame_slots: u32, param_slots: u32) -> ProcessKind {
    ProcessKind { name: name.to_string(), step, frame_slots, param_slots, result_start: 0, result_slots: 0 }
}

/// A process kind returning one slot, kept at `result_start`.
pub fn kind_returning(name: &str, step: StepFn, frame_slots: u32, param_slots: u32, result_start: u32) -> ProcessKind {
    ProcessKind { result_start, result_slots: 1, ..kind(name, step, frame_slots, param_slots) }
}

pub fn root(kind: u32, args: &[u64]) -> Root {
    Root { kind, args: args.to_vec() }
}

pub fn program(kinds: Vec<ProcessKind>, roots: Vec<Root>, horizon: Option<f64>) -> Program<'static> {
    let parts = ProgramParts { kinds, globals: vec![0; 4], roots, horizon, ..ProgramParts::default() };
    // SAFETY: the hand-written steps of these tests follow the step ABI and
    // touch only the frame slots their kinds declare and the 4 globals.
    unsafe { Program::new(parts) }
}

/// [`program`] with global 0 set to `value`.
pub fn program_with_global0(
    kinds: Vec<ProcessKind>,
    roots: Vec<Root>,
    horizon: Option<f64>,
    value: u64,
) -> Program<'static> {
    let mut globals = vec![0; 4];
    globals[0] = value;
    let parts = ProgramParts { kinds, globals, roots, horizon, ..ProgramParts::default() };
    // SAFETY: as in `program`.
    unsafe { Program::new(parts) }
}

/// A run's outcome and everything it printed.
pub struct Ran {
    pub outcome: RunOutcome,
    pub output: String,
}

pub fn run_with(program: &Program, seed: u64, tie_order: TieOrder) -> Ran {
    let capture = Capture::default();
    let config = RunConfig {
        seed,
        horizon: None,
        tie_order,
        output: Box::new(capture.clone()),
        trace: false,
        max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        stream: None,
        warmup: None,
        progress: None,
        series: None,
    };
    let outcome = run(program, config);
    Ran { outcome, output: capture.text() }
}

pub fn run_fifo(program: &Program) -> Ran {
    run_with(program, 1, TieOrder::Fifo)
}

/// The pointers a step function receives.
pub struct Ctx {
    frame: *mut u64,
    globals: *mut u64,
    rt: *mut Runtime,
}

impl Ctx {
    /// # Safety
    /// The pointers must be those the runtime passed to the running step, and
    /// the frame and globals must have every slot the test touches.
    pub unsafe fn new(frame: *mut u64, globals: *mut u64, rt: *mut Runtime) -> Ctx {
        Ctx { frame, globals, rt }
    }

    pub fn slot(&self, index: usize) -> u64 {
        // SAFETY: `Ctx::new`'s contract: the frame has this slot.
        unsafe { self.frame.add(index).read() }
    }

    pub fn set(&self, index: usize, value: u64) {
        // SAFETY: `Ctx::new`'s contract: the frame has this slot.
        unsafe { self.frame.add(index).write(value) }
    }

    pub fn int(&self, index: usize) -> i64 {
        self.slot(index) as i64
    }

    pub fn set_int(&self, index: usize, value: i64) {
        self.set(index, value as u64);
    }

    pub fn float(&self, index: usize) -> f64 {
        f64::from_bits(self.slot(index))
    }

    pub fn set_float(&self, index: usize, value: f64) {
        self.set(index, value.to_bits());
    }

    pub fn state(&self) -> u64 {
        self.slot(0)
    }

    pub fn goto(&self, state: u64) {
        self.set(0, state);
    }

    pub fn global(&self, index: usize) -> u64 {
        // SAFETY: `Ctx::new`'s contract: the globals block has this slot.
        unsafe { self.globals.add(index).read() }
    }

    pub fn set_global(&self, index: usize, value: u64) {
        // SAFETY: `Ctx::new`'s contract: the globals block has this slot.
        unsafe { self.globals.add(index).write(value) }
    }

    /// Lends the runtime to `f`, as a stdlib built-in would get it.
    pub fn with_rt<R>(&self, f: impl FnOnce(&mut Runtime) -> R) -> R {
        // SAFETY: `rt` is the running step's runtime pointer, and no other
        // reference to the runtime lives while `f` runs.
        f(unsafe { &mut *self.rt })
    }

    pub fn now(&self) -> f64 {
        self.with_rt(|rt| rt.header.now)
    }

    /// Prints one line, as `print("...")` does.
    pub fn print(&self, line: impl Display) {
        self.with_rt(|rt| {
            use std::fmt::Write as _;
            write!(rt.text(), "{line}").unwrap();
            rt.emit_line();
        });
    }

    /// Prints `"{now} {message}"`, as the conformance models do.
    pub fn say(&self, message: impl Display) {
        self.print(format_args!("{} {message}", self.now()));
    }

    /// After a host call that may wait: `None` to carry on, or the code to
    /// return, with the state to resume at stored first.
    pub fn pause(&self, code: u32, resume_at: u64) -> Option<u32> {
        match code {
            HOST_CONTINUE => None,
            HOST_SUSPENDED => {
                self.goto(resume_at);
                Some(STEP_SUSPENDED)
            }
            HOST_ERROR => Some(STEP_ERROR),
            other => panic!("unexpected host result {other}"),
        }
    }

    /// After a host call that always waits (or fails).
    pub fn wait(&self, code: u32, resume_at: u64) -> u32 {
        self.pause(code, resume_at).expect("the host call should have suspended")
    }

    pub fn spawn(&self, kind: u32, args: &[u64]) -> i64 {
        // SAFETY: `args` holds `args.len()` slots; `rt` is the step's pointer.
        unsafe { usim_spawn(self.rt, kind, args.as_ptr(), args.len() as u32) }
    }

    pub fn delay(&self, duration: f64, span: i64) -> u32 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_delay(self.rt, duration, span) }
    }

    pub fn at(&self, time: f64, span: i64) -> u32 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_at(self.rt, time, span) }
    }

    pub fn instant(&self) -> u32 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_instant(self.rt) }
    }

    pub fn wait_until(&self, time: f64) -> u32 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_wait_until(self.rt, time) }
    }

    pub fn join(&self, handle: i64, span: i64) -> u32 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_join(self.rt, handle, span) }
    }

    pub fn result(&self, handle: i64, k: u32) -> u64 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_result(self.rt, handle, k) }
    }

    pub fn cancel(&self, handle: i64) -> u32 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_cancel(self.rt, handle) }
    }

    pub fn scope_enter(&self) {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_scope_enter(self.rt) }
    }

    pub fn scope_exit(&self) -> u32 {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_scope_exit(self.rt) }
    }

    pub fn error(&self, code: u32, span: i64) {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_error(self.rt, code, span) }
    }

    pub fn index_error(&self, index: i64, len: i64, span: i64) {
        // SAFETY: `rt` is the running step's runtime pointer.
        unsafe { usim_index_error(self.rt, index, len, span) }
    }
}
