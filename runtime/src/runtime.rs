//! The runtime state one run works on, with the interface the standard
//! library's built-ins use (random numbers, output, raising errors) and the
//! naming of processes in errors and reports.

use rand_xoshiro::Xoshiro256PlusPlus;

use crate::abi::{decode_span, Header, StepFn, NO_SPAN};
use crate::conditions::Watcher;
use crate::error::RuntimeError;
use crate::events::EventQueue;
use crate::objects::ObjectState;
use crate::output::Output;
use crate::process::{Child, ProcessTable, RegOn};
use crate::program::{CellKind, ConditionSpec};
use crate::stats::Stats;
use crate::wait::Mode;

/// What the runtime keeps of a [`crate::ProcessKind`].
pub(crate) struct KindInfo {
    pub name: String,
    pub step: StepFn,
    pub frame_slots: usize,
    pub param_slots: usize,
    pub result_start: usize,
    pub result_slots: usize,
}

/// The state of one run. Generated code sees only [`Runtime::header`], at
/// offset 0; everything else is reached through host calls. Built-ins (the
/// stdlib crate) get `&mut Runtime` from the `*mut Runtime` their host
/// function receives, and use the methods below.
#[repr(C)]
pub struct Runtime {
    pub header: Header,
    pub(crate) kinds: Vec<KindInfo>,
    pub(crate) globals: Vec<u64>,
    pub(crate) queue: EventQueue,
    pub(crate) procs: ProcessTable,
    /// The slot whose step is running.
    pub(crate) current: Option<u32>,
    pub(crate) error: Option<RuntimeError>,
    pub(crate) events: u64,
    /// When the last step ran.
    pub(crate) last_step_time: f64,
    rng: Xoshiro256PlusPlus,
    text: String,
    output: Output,
    /// Reused by cancellation's walk over scope children.
    pub(crate) cancel_stack: Vec<(Child, bool)>,
    /// The state of each shared object, by object index.
    pub(crate) objects: Vec<ObjectState>,
    /// Report names of the objects (`teller`, `pumps[2]`).
    pub(crate) object_names: Vec<String>,
    pub(crate) conditions: Vec<ConditionSpec>,
    /// Per watch list (see `conditions`): the processes waiting on a
    /// condition that watches it, in the order they began to wait (may hold
    /// stale entries).
    pub(crate) watchers: Vec<Vec<Watcher>>,
    /// Per var, its first watch list; one more entry ends the last var's.
    pub(crate) watch_keys: Vec<u32>,
    /// Numbers the waits on conditions, in the order they began.
    pub(crate) watch_serial: u64,
    /// How the running process's next registration is meant.
    pub(crate) mode: Mode,
    /// Counts lock acquisitions; names each holder's record.
    pub(crate) lock_serials: u64,
    /// `--trace`: a line per resumption.
    pub(crate) trace: bool,
    /// Per root, in pid order: whether it is named by its kind alone.
    pub(crate) unique_roots: Vec<bool>,
    /// Resources whose line a withdrawal may have unblocked, to serve once
    /// the operation in progress has made its effect.
    pub(crate) deferred_serve: Vec<u32>,
    /// Reused by withdrawals: the registrations that left objects' lines.
    pub(crate) withdrawn_lines: Vec<RegOn>,
    /// What the run gathers for its report.
    pub(crate) stats: Stats,
    /// Per reported cell: what it holds, and its value when the run began.
    pub(crate) cell_kinds: Vec<CellKind>,
    pub(crate) cell_initial: Vec<f64>,
    pub(crate) tally_names: Vec<String>,
    /// `--series`: where every change goes, when a sink was given.
    pub(crate) series: Option<Box<crate::series::Series>>,
    /// The run was stopped by [`crate::request_interrupt`].
    pub(crate) interrupted: bool,
    /// See [`crate::RunConfig::progress`].
    pub(crate) progress: Option<Box<dyn FnMut(f64) + Send>>,
}

impl Runtime {
    pub(crate) fn new(
        kinds: Vec<KindInfo>,
        globals: Vec<u64>,
        rng: Xoshiro256PlusPlus,
        queue: EventQueue,
        output: Output,
        max_processes: usize,
    ) -> Self {
        let kind_count = kinds.len();
        Runtime {
            header: Header::default(),
            kinds,
            globals,
            queue,
            procs: ProcessTable::new(kind_count, max_processes),
            current: None,
            error: None,
            events: 0,
            last_step_time: 0.0,
            rng,
            text: String::new(),
            output,
            cancel_stack: Vec::new(),
            objects: Vec::new(),
            object_names: Vec::new(),
            conditions: Vec::new(),
            watchers: Vec::new(),
            watch_keys: Vec::new(),
            watch_serial: 0,
            mode: Mode::Single,
            lock_serials: 0,
            trace: false,
            unique_roots: Vec::new(),
            deferred_serve: Vec::new(),
            withdrawn_lines: Vec::new(),
            stats: Stats::default(),
            cell_kinds: Vec::new(),
            cell_initial: Vec::new(),
            tally_names: Vec::new(),
            series: None,
            interrupted: false,
            progress: None,
        }
    }

    /// Whether the running process was ended (cancelled) during the host
    /// call in progress, by an unwinding its own act set off.
    pub(crate) fn running_ended(&self) -> bool {
        self.current.is_some_and(|slot| self.procs.get(slot).ended)
    }

    /// Appends raw text (a trace line) to the output.
    pub(crate) fn emit_raw(&mut self, text: &str) {
        if let Err(error) = self.output.push(text.as_bytes()) {
            self.raise(format!("cannot write the output: {error}"), NO_SPAN);
        }
    }

    /// The model's random stream, seeded from [`crate::RunConfig::seed`].
    pub fn rng(&mut self) -> &mut Xoshiro256PlusPlus {
        &mut self.rng
    }

    /// The line `print` or `fail` is composing.
    pub fn text(&mut self) -> &mut String {
        &mut self.text
    }

    /// Appends the composed line and a newline to the output, and clears it.
    /// A writer that fails is a runtime error.
    pub fn emit_line(&mut self) {
        self.text.push('\n');
        let written = self.output.push(self.text.as_bytes());
        self.text.clear();
        if let Err(error) = written {
            self.raise(format!("cannot write the output: {error}"), NO_SPAN);
        }
    }

    /// Records a runtime error at `span` (see [`crate::encode_span`]), the
    /// current time and the running process. The first error recorded in a
    /// run is the one it ends with: nothing runs after it (the event queue
    /// is halted, for an error recorded between steps).
    pub fn raise(&mut self, message: String, span: i64) {
        self.header.error = 1;
        self.queue.halt();
        if self.error.is_none() {
            self.error = Some(RuntimeError {
                message,
                span: decode_span(span),
                time: self.header.now,
                process: self.current.map(|slot| self.display_name(slot)).unwrap_or_default(),
            });
        }
    }

    /// `fail("...")`: raises the composed line as the error message.
    pub fn raise_with_text(&mut self, span: i64) {
        let message = std::mem::take(&mut self.text);
        self.raise(message, span);
    }

    /// The current simulated time.
    pub fn now(&self) -> f64 {
        self.header.now
    }

    /// Process slots ever created in this run. Slots are reused, so this is
    /// the most processes alive at once, per kind, not the number spawned.
    pub fn process_slots(&self) -> usize {
        self.procs.slot_count()
    }

    /// The event queue halted: after an error, or (with none recorded)
    /// because it dropped a wake-up for want of memory.
    #[cold]
    #[inline(never)]
    pub(crate) fn queue_halted(&mut self) {
        if self.error.is_none() {
            self.current = None;
            let pending = self.queue.pending();
            self.raise(format!("out of memory: the event queue cannot hold more than {pending} wake-ups"), NO_SPAN);
        }
    }

    /// Records an error in the runtime's contract with generated code.
    #[cold]
    pub(crate) fn internal_error(&mut self, message: &str) {
        self.raise(format!("internal error: {message}"), NO_SPAN);
    }

    /// The display name of the process in `slot`.
    pub(crate) fn display_name(&self, slot: u32) -> String {
        let process = self.procs.get(slot);
        self.name_of(process.kind, process.pid, process.named_by_kind)
    }

    /// Roots whose kind no other root has are named by the kind (`main`);
    /// every other process is `kind#pid` (`customer#7`).
    pub(crate) fn name_of(&self, kind: u32, pid: u64, named_by_kind: bool) -> String {
        let name = &self.kinds[kind as usize].name;
        if named_by_kind {
            name.clone()
        } else {
            format!("{name}#{pid}")
        }
    }

    /// Writes the rest of the output; a failure becomes the run's error if
    /// it has none.
    pub(crate) fn finish_output(&mut self) {
        if let Err(error) = self.output.finish() {
            self.current = None;
            self.raise(format!("cannot write the output: {error}"), NO_SPAN);
        }
    }
}
