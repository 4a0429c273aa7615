//! The reference interpreter of the state-machine IR: a second back end
//! that the JIT is tested against. It is never used by `usimc run`.
//!
//! The runtime calls a process's step through a plain function pointer with
//! no room for context, so each callable gets a trampoline of its own
//! (`step::<K>` for callable `K`, from a table of [`MAX_CALLABLES`]) that
//! finds the interpreter of the running model in a thread-local set for the
//! duration of [`Interpreted::run`]. Everything else — the program, the
//! frames, the globals, every host call — is exactly what the JIT's program
//! uses, made by the same `codegen::program_parts`.

mod exec;
pub mod host;

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use usim_compiler::ir;
use usim_runtime::{self as rt, RunConfig, RunOutcome, Runtime, StepFn};

use exec::Machine;

/// The most callables (processes, `fn`s and condition predicates) a model
/// run by the interpreter may have.
pub const MAX_CALLABLES: usize = 512;

/// A module ready to be interpreted: its machine and the runtime program
/// whose step pointers are the trampolines.
pub struct Interpreted {
    machine: Box<Machine>,
    program: rt::Program<'static>,
}

thread_local! {
    /// The machine of the run in progress on this thread, and the payload
    /// of a panic caught in a trampoline (a panic must not unwind through
    /// the runtime's `extern "C"` call).
    static CURRENT: Cell<*const Machine> = const { Cell::new(std::ptr::null()) };
    static PANIC: Cell<Option<Box<dyn std::any::Any + Send>>> = const { Cell::new(None) };
}

impl Interpreted {
    /// Prepares `module` for interpretation.
    pub fn new(module: ir::Module) -> Result<Interpreted, String> {
        let count = module.functions.len();
        if count > MAX_CALLABLES {
            return Err(format!("the interpreter runs models of at most {MAX_CALLABLES} callables, not {count}"));
        }
        let steps: Vec<Option<StepFn>> = (0..count).map(|k| Some(TRAMPOLINES[k / 16][k % 16])).collect();
        let parts = usim_compiler::codegen::program_parts(&module, &steps)?;
        // SAFETY: the trampolines are plain functions with the step ABI; each
        // interprets its callable of the machine `run` installs, over the
        // frame, globals and runtime the runtime passes, touching what the
        // JIT's code for the same IR would.
        let program = unsafe { rt::Program::new(parts) };
        Ok(Interpreted { machine: Box::new(Machine::new(module)), program })
    }

    /// The IR being interpreted.
    pub fn module(&self) -> &ir::Module {
        &self.machine.module
    }

    /// Whether block `block` of callable `function` began to run in any
    /// run of this model so far: the code a test exercised.
    pub fn covered(&self, function: usize, block: usize) -> bool {
        self.machine.covered(function, block)
    }

    /// Runs the model once, as `usim_runtime::run` runs the JIT's program.
    pub fn run(&self, config: RunConfig) -> RunOutcome {
        struct Restore(*const Machine);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let previous = CURRENT.with(|c| c.replace(&*self.machine as *const Machine));
        let _restore = Restore(previous);
        let outcome = rt::run(&self.program, config);
        if let Some(payload) = PANIC.with(Cell::take) {
            resume_unwind(payload);
        }
        outcome
    }
}

/// The step function of callable `K`.
unsafe extern "C" fn step<const K: usize>(frame: *mut u64, globals: *mut u64, rt: *mut Runtime) -> u32 {
    let machine = CURRENT.with(Cell::get);
    if machine.is_null() {
        return rt::STEP_ERROR;
    }
    // SAFETY: `Interpreted::run` installed the machine, which lives until
    // it returns, and the runtime passes the pointers a step receives.
    let result = catch_unwind(AssertUnwindSafe(|| unsafe { (*machine).step(K, frame, globals, rt) }));
    match result {
        Ok(status) => status,
        Err(payload) => {
            // The first panic is the one to report; the run is failed either way.
            PANIC.with(|p| {
                let first = p.take().unwrap_or(payload);
                p.set(Some(first));
            });
            rt::STEP_ERROR
        }
    }
}

macro_rules! row {
    ($r:literal) => {
        [
            step::<{ $r * 16 }>,
            step::<{ $r * 16 + 1 }>,
            step::<{ $r * 16 + 2 }>,
            step::<{ $r * 16 + 3 }>,
            step::<{ $r * 16 + 4 }>,
            step::<{ $r * 16 + 5 }>,
            step::<{ $r * 16 + 6 }>,
            step::<{ $r * 16 + 7 }>,
            step::<{ $r * 16 + 8 }>,
            step::<{ $r * 16 + 9 }>,
            step::<{ $r * 16 + 10 }>,
            step::<{ $r * 16 + 11 }>,
            step::<{ $r * 16 + 12 }>,
            step::<{ $r * 16 + 13 }>,
            step::<{ $r * 16 + 14 }>,
            step::<{ $r * 16 + 15 }>,
        ]
    };
}

/// `TRAMPOLINES[k / 16][k % 16]` is `step::<k>`.
static TRAMPOLINES: [[StepFn; 16]; MAX_CALLABLES / 16] = [
    row!(0),
    row!(1),
    row!(2),
    row!(3),
    row!(4),
    row!(5),
    row!(6),
    row!(7),
    row!(8),
    row!(9),
    row!(10),
    row!(11),
    row!(12),
    row!(13),
    row!(14),
    row!(15),
    row!(16),
    row!(17),
    row!(18),
    row!(19),
    row!(20),
    row!(21),
    row!(22),
    row!(23),
    row!(24),
    row!(25),
    row!(26),
    row!(27),
    row!(28),
    row!(29),
    row!(30),
    row!(31),
];
