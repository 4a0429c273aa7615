//! The usim runtime: drives the native step functions of a compiled model on
//! simulated time. It knows no syntax and never depends on the compiler.
//!
//! # How a run goes
//! [`run`] takes a [`Program`] (one [`ProcessKind`] per `process`, initial
//! globals, roots, horizon) and a [`RunConfig`]. Each process owns a frame of
//! `u64` slots at a fixed address; its step function resumes it from the
//! state in slot 0 and returns when it suspends or ends ([`abi`] has the
//! codes). To suspend, the step calls a host function ([`host`]) that makes
//! a registration: a timer in the event queue (`events.rs`), a request in a
//! lock's, queue's, channel's or resource's line (`objects.rs`), a condition
//! watcher (`conditions.rs`), an `await` on another process or a scope's
//! children (`lifecycle.rs`). A `select` makes one per arm, an `until` one
//! for its trigger (`wait.rs`).
//!
//! # Modules
//! - `abi`: the header, step and host result codes, frame header, spans.
//! - `program`, `outcome`, `error`: what goes in and comes out of a run.
//! - `events`: simulated time, the heap and the ready queue.
//! - `process`, `frame`: the process table, handles, frames, results,
//!   registrations and cleanup records.
//! - `wait`: registration modes, completion, interrupts, unwinding.
//! - `objects`, `conditions`: locks, queues, channels, resources; awaited
//!   conditions and the write barrier.
//! - `lifecycle`, `timing`: spawn, await, cancel, scopes; delay, at, every.
//! - `host_abi`, `host`: the one declaration of each host function (symbol,
//!   address, signature) and the `extern "C"` shims generated code calls.
//! - `stats`, `summary`: what a run gathers at every change (tallies,
//!   time-weighted figures, waits) and the figures it hands back;
//!   `histogram` the tallies' histograms; `series` every change handed to
//!   an injected sink (`--series`).
//! - `runtime`, `output`: the run's state, the built-ins' interface, output.
//! - `run`: the event loop.
//!
//! # Invariants
//! - **Events run in `(time, sequence)` order:** a heap holds future
//!   wake-ups, a FIFO ready queue those at the current time; heap entries due
//!   now run before ready ones.
//! - **A withdrawn wait is never searched for:** every registration has its
//!   own token; entries whose token the process no longer holds are skipped
//!   when they come up.
//! - **Nothing is lost:** units held, amounts borrowed and items put are
//!   audited against the processes' records at the end of every run.
//! - **Frames never move while a step runs**, and the frame of a process that
//!   is cancelled during its own step is freed only after the step returns.
//! - **Nothing allocates per event in steady state:** ended processes' slots
//!   are reused per kind, and their lists keep their allocations.
//! - **Output goes only to the injected writer,** buffered, flushed before
//!   [`run`] returns.
//!
//! Only return values (per handle, for kinds that return something) and which
//! handles were cancelled outlive a process, since a handle may be awaited at
//! any later time.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod abi;
mod conditions;
mod error;
mod events;
mod frame;
mod histogram;
pub mod host;
pub mod host_abi;
mod interrupt;
mod lifecycle;
mod objects;
mod outcome;
mod output;
mod process;
mod program;
mod run;
mod runtime;
mod series;
mod stats;
mod summary;
mod timing;
mod wait;

pub use abi::{
    decode_span, encode_span, Header, StepFn, FRAME_HEADER_SLOTS, HOST_CANCELLED_SELF, HOST_CONTINUE, HOST_ENDED,
    HOST_ERROR, HOST_REDISPATCH, HOST_REGISTERED, HOST_SUSPENDED, NO_SPAN, OFFSET_ERROR, OFFSET_INTERRUPT, OFFSET_NOW,
    OFFSET_STACK_LEFT, RESUME_INTERRUPTED, SLOT_RESUME_REASON, SLOT_STATE, STACK_BUDGET, STEP_CANCELLED, STEP_DONE,
    STEP_ERROR, STEP_STOP, STEP_SUSPENDED,
};
pub use error::{
    inline_error_message, RuntimeError, ERROR_CALL_DEPTH, ERROR_DIVISION_BY_ZERO, ERROR_EVERY_PERIOD,
    ERROR_EVERY_STUCK, ERROR_INTEGER_OVERFLOW, ERROR_INTERRUPTED, ERROR_REMAINDER_BY_ZERO,
};
pub use histogram::Histogram;
pub use host::*;
pub use host_abi::{AbiType, HostFn};
pub use interrupt::{clear_interrupt, interrupt_flag_address, interrupt_requested, request_interrupt};
pub use outcome::{RunOutcome, Waiting};
pub use output::SharedBuffer;
pub use program::{
    CellKind, CellSpec, ConditionSpec, ObjectKindSpec, ObjectSpec, ProcessKind, Program, ProgramParts, Root, RunConfig,
    Stream, TieOrder, Watch,
};
/// Re-exported so that users of [`Runtime::rng`] need no dependency of their own.
pub use rand_xoshiro;
pub use run::run;
pub use runtime::Runtime;
pub use series::{series_layout, SeriesOf, SeriesSink};
pub use summary::{
    EndedBy, LockSummary, QueueSummary, ResourceSummary, RunStats, TallySummary, TimeWeighted, WaitSummary,
};
