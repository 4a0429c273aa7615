//! Runs the runs of a slice. One run streams its `print` output straight to
//! stdout; several run on a pool of `--jobs` threads, one simulation per
//! thread, each with its output captured whole and written in run order as
//! soon as every run before it has been written. A failed run stops the
//! slice: the runs before it are written, then it, and no later run starts.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use usim_compiler::Compiled;
use usim_runtime::{RunConfig, RuntimeError, SharedBuffer, TieOrder};
use usim_stdlib::format::format_float;

use super::plan::RunSpec;
use crate::io::{streams, write_stdout, WriteError};
use crate::report::figures::{from_outcome, RunFigures};

/// The most worker threads, whatever `--jobs` says: more would only wait
/// for the CPUs (and each reserves a large stack).
pub const MAX_THREADS: usize = 1024;

/// How every run of the slice is configured, besides its stream.
#[derive(Clone, Debug)]
pub struct Settings {
    pub seed: u64,
    pub horizon: Option<f64>,
    pub tie_order: TieOrder,
    pub trace: bool,
    pub max_processes: usize,
    pub warmup: Option<f64>,
    /// `--series`: where each run's changes go.
    pub series: Option<Arc<super::series::SeriesFile>>,
}

/// Why a run did not finish.
#[derive(Debug)]
pub struct RunFailure {
    /// The model's runtime error, unless the failed write of the output is
    /// the error the run ended with.
    pub error: Option<RuntimeError>,
    /// Writing the run's output failed: what the writer reported.
    pub output: Option<io::Error>,
}

/// How the slice went.
#[derive(Debug)]
pub enum Driven {
    /// Every run finished: its figures, in run order.
    Done(Vec<RunFigures>),
    /// Run `index` (of the slice) failed; the output of the runs before it,
    /// and its own, has been written.
    Failed { index: usize, failure: RunFailure },
    /// Writing the captured output of a run failed.
    WriteFailed(WriteError),
    /// The worker threads could not start (the system refused them).
    NoThreads(String),
    /// A worker thread failed: a bug in usimc, never the model.
    Internal(String),
}

/// The compiled program of every combination the slice runs (`None` for the
/// others), shared by the worker threads.
pub type Programs = Arc<Vec<Option<Compiled>>>;

/// A progress bar on stderr; hidden unless `show` (stderr is a terminal).
fn bar(show: bool, length: u64, template: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// stdout for the one run that streams its output, pausing the progress bar
/// for each write so the two do not mix on a terminal.
struct StreamOut(ProgressBar);

impl Write for StreamOut {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.suspend(|| streams::Stdout.write(bytes))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.suspend(|| streams::Stdout.write_all(bytes))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.suspend(|| streams::Stdout.flush())
    }
}

/// `direct`: a single run, whose series go straight into the file.
pub(crate) fn config(settings: &Settings, spec: &RunSpec, output: Box<dyn Write + Send>, direct: bool) -> RunConfig {
    RunConfig {
        seed: settings.seed,
        horizon: settings.horizon,
        tie_order: settings.tie_order,
        output,
        trace: settings.trace,
        max_processes: settings.max_processes,
        stream: Some(spec.stream.clone()),
        warmup: settings.warmup,
        progress: None,
        series: settings.series.as_ref().map(|series| series.sink(spec, direct)),
    }
}

/// A time for the progress bar: six significant digits, never an exponent.
fn significant(t: f64) -> String {
    let magnitude = if t.abs() >= 1.0 { t.abs().log10().floor() as i32 } else { 0 };
    let decimals = (5 - magnitude).clamp(0, 5) as usize;
    format!("{t:.decimals$}")
}

/// Runs one run: its figures, or why it failed.
pub(crate) fn run_one(compiled: &Compiled, config: RunConfig) -> Result<RunFigures, RunFailure> {
    let outcome = usim_runtime::run(compiled.program(), config);
    // A failed write of the output is a fault of where it goes, not of the
    // model; the model's own error, if it came first, is shown too.
    let failed_output = outcome.output_error.as_ref();
    let error = outcome.error.clone().filter(|_| failed_output.is_none_or(|failure| !failure.is_run_error));
    let output = failed_output.map(|failure| io::Error::new(failure.kind, failure.message.clone()));
    if error.is_some() || output.is_some() {
        return Err(RunFailure { error, output });
    }
    Ok(from_outcome(compiled, &outcome))
}

/// Runs `specs` and writes their output. `show_progress`: draw a bar on stderr.
pub fn drive(
    programs: &Programs,
    specs: Vec<RunSpec>,
    settings: &Settings,
    jobs: usize,
    show_progress: bool,
) -> Driven {
    match specs.as_slice() {
        [] => Driven::Done(Vec::new()),
        [spec] => drive_one(programs, spec, settings, show_progress),
        _ => drive_many(programs, specs, settings, jobs, show_progress),
    }
}

fn program<'a>(programs: &'a Programs, spec: &RunSpec) -> &'a Compiled {
    // The caller compiles every combination its slice runs.
    programs[spec.combination as usize].as_ref().expect("the combination of a run of the slice is compiled")
}

/// One run, its output streamed to stdout; the bar follows simulated time
/// toward the horizon, when there is one.
fn drive_one(programs: &Programs, spec: &RunSpec, settings: &Settings, show_progress: bool) -> Driven {
    let compiled = program(programs, spec);
    let horizon = settings.horizon.or(compiled.program().horizon()).filter(|h| *h > 0.0);
    let bar = bar(show_progress && horizon.is_some(), 1000, "{bar:40} simulated time {msg}");
    let mut config = config(settings, spec, Box::new(StreamOut(bar.clone())), true);
    if let Some(horizon) = horizon {
        let ticker = bar.clone();
        config.progress = Some(Box::new(move |now: f64| {
            ticker.set_position(((now / horizon).clamp(0.0, 1.0) * 1000.0) as u64);
            ticker.set_message(format!("{} of {}", significant(now), format_float(horizon)));
        }));
    }
    let result = run_one(compiled, config);
    bar.finish_and_clear();
    if let Some(Err(error)) = settings.series.as_ref().map(|series| series.finish_run(spec)) {
        return Driven::WriteFailed(error);
    }
    match result {
        Ok(figures) => Driven::Done(vec![figures]),
        Err(failure) => Driven::Failed { index: 0, failure },
    }
}

/// What a worker hands back: the run's place in the slice, its output, how it went.
type Message = (usize, Vec<u8>, Result<RunFigures, RunFailure>);

fn drive_many(programs: &Programs, specs: Vec<RunSpec>, settings: &Settings, jobs: usize, show: bool) -> Driven {
    let total = specs.len();
    let threads = jobs.clamp(1, total.min(MAX_THREADS));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        // The runtime needs a stack well above its 64 MiB budget for `fn` calls.
        .stack_size(256 << 20)
        .thread_name(|k| format!("usimc-run-{k}"))
        // A panic ends its worker's loop; the missing message is reported below.
        .panic_handler(|_| {})
        .build();
    let pool = match pool {
        Ok(pool) => pool,
        Err(e) => return Driven::NoThreads(format!("cannot start {threads} worker threads: {e}")),
    };
    let specs = Arc::new(specs);
    // Workers take runs in ascending order; none starts a run after one that failed.
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicU64::new(u64::MAX));
    let (sender, receiver) = mpsc::channel::<Message>();
    for _ in 0..threads {
        let (programs, specs, next, failed, sender) =
            (Arc::clone(programs), Arc::clone(&specs), Arc::clone(&next), Arc::clone(&failed), sender.clone());
        let settings = settings.clone();
        pool.spawn(move || loop {
            let index = next.fetch_add(1, Ordering::SeqCst);
            if index >= specs.len() || index as u64 > failed.load(Ordering::SeqCst) {
                break;
            }
            let spec = &specs[index];
            let output = SharedBuffer::default();
            let result = run_one(program(&programs, spec), config(&settings, spec, Box::new(output.clone()), false));
            if result.is_err() {
                failed.fetch_min(index as u64, Ordering::SeqCst);
            }
            if sender.send((index, output.bytes(), result)).is_err() {
                break;
            }
        });
    }
    drop(sender);
    let bar = bar(show, total as u64, "{bar:40} {pos}/{len} runs, {eta} left");
    let mut pending: BTreeMap<usize, (Vec<u8>, Result<RunFigures, RunFailure>)> = BTreeMap::new();
    let mut done = Vec::with_capacity(total);
    while done.len() < total {
        let Ok((index, output, result)) = receiver.recv() else {
            // Every worker has gone and the run `done.len()` never came back.
            bar.finish_and_clear();
            return Driven::Internal(format!("the worker thread of run {} failed", done.len()));
        };
        bar.inc(1);
        pending.insert(index, (output, result));
        while let Some((output, result)) = pending.remove(&done.len()) {
            let index = done.len();
            let written = bar.suspend(|| write_stdout("the model's output", &output));
            if let (Ok(()), Some(series)) = (&written, &settings.series) {
                if let Err(error) = series.finish_run(&specs[index]) {
                    bar.finish_and_clear();
                    return Driven::WriteFailed(error);
                }
            }
            match (written, result) {
                (Ok(()), Ok(figures)) => done.push(figures),
                (Ok(()), Err(failure)) => {
                    bar.finish_and_clear();
                    return Driven::Failed { index, failure };
                }
                // The run's own error is shown too, as for a single run.
                (Err(written), Err(RunFailure { error: Some(error), output: None })) => {
                    bar.finish_and_clear();
                    let failure = RunFailure { error: Some(error), output: Some(written.error) };
                    return Driven::Failed { index, failure };
                }
                (Err(error), _) => {
                    bar.finish_and_clear();
                    return Driven::WriteFailed(error);
                }
            }
        }
    }
    bar.finish_and_clear();
    Driven::Done(done)
}
