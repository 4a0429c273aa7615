//! usimc's experiments in-process, with no IO: what `usimc check` and
//! `usimc run` do, as values. The model's `print` output of every run is
//! captured and handed back in run order, the report is the one the command
//! line makes (and [`Outcome::json`] exactly the text of `--report json`),
//! and a problem is an [`ApiError`] carrying what the command line would
//! have shown on stderr, plus the same facts as data. The Python package
//! (python/) is built on this.
//!
//! The runs are those of `usimc run` without `--shard`: the same plan,
//! streams, compiled programs, runtime and aggregation (the code is shared),
//! so for the same model, seed, params and flags the figures are the same
//! bit for bit, whatever `jobs` is.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use codespan_reporting::term::termcolor::NoColor;
use serde_json::{json, Map, Value as Json};
use usim_compiler::diagnostic::{Diagnostic, Severity};
use usim_compiler::{render, Compiled, Failure};
use usim_runtime::{RunConfig, SharedBuffer, TieOrder};

use crate::cli::DEFAULT_SEED;
use crate::experiment::aggregate::{aggregate, Report};
use crate::experiment::drive::{self, RunFailure, MAX_THREADS};
use crate::experiment::plan::{self, Grid, RunSpec, Setting};
use crate::experiment::{blame_overrides, model_file_name, warmup_warning, Names};
use crate::report::figures::RunFigures;
use crate::report::json;

/// What `usimc run` takes besides the model, with the same defaults.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// Replications, at least 1.
    pub reps: u64,
    /// Runs at once; `None`: the number of CPUs.
    pub jobs: Option<usize>,
    /// `--until`: the horizon, overriding the model's.
    pub until: Option<f64>,
    pub warmup: Option<f64>,
    /// `--set NAME=V1,V2,...`, in command-line order (the first varies slowest).
    pub set: Vec<(String, Vec<String>)>,
    pub trace: bool,
    pub tie_order: TieOrder,
    pub max_processes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: DEFAULT_SEED,
            reps: 1,
            jobs: None,
            until: None,
            warmup: None,
            set: Vec::new(),
            trace: false,
            tie_order: TieOrder::Fifo,
            max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        }
    }
}

/// One diagnostic, placed: lines and columns count from 1, columns in
/// characters (as the rendered text shows them).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// `E0103`, `W0002`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// The text under the primary span; empty for none.
    pub label: String,
    pub notes: Vec<String>,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// The warnings of a model that compiles.
#[derive(Clone, Debug, Default)]
pub struct Warnings {
    pub diagnostics: Vec<Problem>,
    /// As usimc writes them on stderr (no colour); empty for none.
    pub rendered: String,
}

/// A model that does not compile.
#[derive(Clone, Debug)]
pub struct CompileError {
    /// Every diagnostic, errors and warnings, in source order.
    pub diagnostics: Vec<Problem>,
    /// What usimc writes on stderr for it (no colour): the diagnostics, then
    /// `NAME: N errors found`; in a sweep headed by `with N=0:`.
    pub rendered: String,
    /// In a sweep: the combination that failed, as `N=0, M=1` (every param set).
    pub combination: Option<String>,
}

/// A run that ended with a runtime error.
#[derive(Clone, Debug)]
pub struct RunError {
    pub message: String,
    /// Where in the model, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The simulated time.
    pub time: f64,
    /// The process that was running; empty when none was.
    pub process: String,
    /// The run in the grid, its combination and replication.
    pub run: u64,
    pub combination: u64,
    pub replication: u64,
    /// How usimc names the run (`the run with N=2, replication 1`), when
    /// there are several.
    pub name: Option<String>,
    /// The output of the runs before it, then its own up to the error: what
    /// usimc writes on stdout.
    pub output: String,
    /// What usimc writes on stderr (no colour).
    pub rendered: String,
    /// The run stopped because an interrupt was asked for
    /// (`usim_runtime::request_interrupt`).
    pub interrupted: bool,
}

#[derive(Clone, Debug)]
pub enum ApiError {
    Compile(CompileError),
    Runtime(Box<RunError>),
    /// What the command line refuses with exit code 2: a bad option or
    /// `--set` value. The message is usimc's, without its `error: ` prefix.
    Usage(String),
    /// A bug in usimc.
    Internal(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Compile(e) => f.write_str(e.rendered.trim_end()),
            ApiError::Runtime(e) => f.write_str(e.rendered.trim_end()),
            ApiError::Usage(message) | ApiError::Internal(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ApiError {}

/// One run of the grid and its figures.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub run: u64,
    pub combination: u64,
    pub replication: u64,
    pub figures: RunFigures,
}

/// A finished experiment.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Each run's `print` (and trace) output, in run order.
    pub outputs: Vec<String>,
    /// Each run's figures, in run order.
    pub runs: Vec<RunRecord>,
    pub report: Report,
    /// The report exactly as `usimc run --report json` writes it.
    pub json: String,
    /// The compiler's warnings, each once however many combinations have it.
    pub warnings: Warnings,
    /// Other messages usimc writes on stderr: that runs ended before the warm-up.
    pub messages: Vec<String>,
}

impl Outcome {
    /// Every run's output, in run order: what usimc writes on stdout before the report.
    pub fn output(&self) -> String {
        self.outputs.concat()
    }

    /// Every run's figures as JSON, an array in run order: each entry has
    /// `run`, `combination` and `replication`, then the keys of an entry of
    /// the report's `runs` for that run alone (`params`, `end_time`, ...).
    pub fn runs_json(&self) -> String {
        let runs: Vec<Json> = self
            .runs
            .iter()
            .map(|record| {
                let one = aggregate(&self.report.model, self.report.seed, 1, std::slice::from_ref(&record.figures));
                let mut entry = Map::new();
                entry.insert("run".into(), json!(record.run));
                entry.insert("combination".into(), json!(record.combination));
                entry.insert("replication".into(), json!(record.replication));
                if let Some(c) = one.combinations.first() {
                    entry.extend(json::combination(c, 1));
                }
                Json::Object(entry)
            })
            .collect();
        serde_json::to_string(&Json::Array(runs)).unwrap_or_default()
    }
}

/// The stack of the thread that compiles and runs: as `usimc`'s, so that
/// deeply nested models compile here as they do there.
const COMPILER_STACK: usize = 512 << 20;
/// The stack of a worker thread, as `usimc`'s (above the runtime's 64 MiB
/// budget for `fn` calls).
const WORKER_STACK: usize = 256 << 20;

/// Runs `work` on a thread with the compiler's stack.
fn on_big_stack<T: Send>(work: impl FnOnce() -> Result<T, ApiError> + Send) -> Result<T, ApiError> {
    std::thread::scope(|scope| {
        let worker =
            std::thread::Builder::new().name("usimc-api".into()).stack_size(COMPILER_STACK).spawn_scoped(scope, work);
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(ApiError::Internal("the compiler thread failed; please report this with the model".into()))
            }),
            Err(e) => Err(ApiError::Usage(format!("cannot start the compiler thread: {e}"))),
        }
    })
}

/// Line and column (from 1, columns in characters) of byte `at` of `source`.
fn place(source: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let before = &source[..at];
    let line_start = before.rfind('\n').map_or(0, |k| k + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

fn problem(source: &str, d: &Diagnostic) -> Problem {
    let (line, column) = place(source, d.span.start as usize);
    let (end_line, end_column) = place(source, d.span.end as usize);
    Problem {
        code: d.code.to_string(),
        severity: d.severity,
        message: d.message.clone(),
        label: d.label.clone(),
        notes: d.notes.clone(),
        line,
        column,
        end_line,
        end_column,
    }
}

fn rendered(name: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = NoColor::new(Vec::new());
    // Writing to memory cannot fail.
    let _ = render::render_diagnostics(&mut out, name, source, diagnostics);
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}

fn warnings(name: &str, source: &str, list: &[Diagnostic]) -> Warnings {
    Warnings {
        diagnostics: list.iter().map(|d| problem(source, d)).collect(),
        rendered: if list.is_empty() { String::new() } else { rendered(name, source, list) },
    }
}

/// A compile failure as the error usimc shows for it.
fn compile_error(name: &str, source: &str, failure: Failure, combination: Option<String>) -> ApiError {
    match failure {
        Failure::Diagnostics(diagnostics) => {
            let mut text = combination.as_ref().map_or(String::new(), |c| format!("with {c}:\n"));
            text.push_str(&rendered(name, source, &diagnostics));
            text.push_str(&crate::errors_found(name, &diagnostics));
            text.push('\n');
            ApiError::Compile(CompileError {
                diagnostics: diagnostics.iter().map(|d| problem(source, d)).collect(),
                rendered: text,
                combination,
            })
        }
        Failure::BadOverride(message) => ApiError::Usage(message),
        Failure::Internal(message) => ApiError::Internal(format!(
            "internal compiler error: {message}\nThis is a bug in usimc; please report it with the model."
        )),
    }
}

/// The source text of a model file from its bytes (all of them, or the
/// first [`usim_compiler::SOURCE_READ_LIMIT`] and the file's size): as
/// usimc reads a model, a file too large or not UTF-8 is a compile error.
pub fn source_from_bytes(bytes: Vec<u8>, size: Option<u64>, name: &str) -> Result<String, ApiError> {
    usim_compiler::source_from_bytes(bytes, size)
        .map_err(|bad| compile_error(name, &bad.text, Failure::Diagnostics(vec![bad.diagnostic]), None))
}

/// What `usimc check` does: the model's warnings if it compiles (with its
/// own param values), else its diagnostics. `name` is the file name shown.
pub fn check(source: &str, name: &str) -> Result<Warnings, ApiError> {
    on_big_stack(|| match usim_compiler::lower_source(source, &[]) {
        Ok((_, list)) => Ok(warnings(name, source, &list)),
        Err(failure) => Err(compile_error(name, source, failure, None)),
    })
}

/// Refuses what `usimc run`'s command line refuses, with its words.
fn check_options(options: &Options) -> Result<(), ApiError> {
    let bad = |message: &str| Err(ApiError::Usage(message.to_string()));
    if options.reps == 0 {
        return bad("the number of replications must be at least 1");
    }
    if options.jobs == Some(0) {
        return bad("the number of worker threads must be at least 1");
    }
    if options.max_processes == 0 {
        return bad("the most processes alive at once must be at least 1");
    }
    if options.until.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
        return bad("a time must be a finite number >= 0");
    }
    if options.warmup.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
        return bad("a warmup time must be a finite number >= 0");
    }
    Ok(())
}

/// What `usimc run` does, in-process: compiles `source` at every
/// combination of `options.set`, runs the grid and aggregates it. `name`
/// is the model's file name as usimc would be given it (diagnostics show
/// it; the report names its last component).
pub fn run_experiment(source: &str, name: &str, options: &Options) -> Result<Outcome, ApiError> {
    check_options(options)?;
    let items: Vec<String> = options.set.iter().map(|(n, values)| format!("{n}={}", values.join(","))).collect();
    let settings = plan::settings(&items).map_err(ApiError::Usage)?;
    let combinations = plan::combinations(&settings).map_err(ApiError::Usage)?;
    let grid = Grid { combinations: combinations.len() as u64, replications: options.reps };
    grid.check(None).map_err(ApiError::Usage)?;
    on_big_stack(|| experiment(source, name, options, &settings, &combinations, grid))
}

fn experiment(
    source: &str,
    name: &str,
    options: &Options,
    settings: &[Setting],
    combinations: &[Vec<(String, String)>],
    grid: Grid,
) -> Result<Outcome, ApiError> {
    let mut programs: Vec<Option<Compiled>> = Vec::with_capacity(combinations.len());
    let mut shown: Vec<Diagnostic> = Vec::new();
    let model = crate::Model { name: name.to_string(), source: source.to_string() };
    for overrides in combinations {
        match usim_compiler::compile_source(source, overrides, false) {
            Ok((compiled, list)) => {
                shown.extend(list.into_iter().filter(|w| !shown.contains(w)).collect::<Vec<_>>());
                programs.push(Some(compiled));
            }
            Err(failure) => {
                let failure = blame_overrides(&model, overrides, failure);
                let label = (combinations.len() > 1).then(|| plan::combination_label(settings, overrides));
                return Err(compile_error(name, source, failure, label));
            }
        }
    }
    let specs = plan::runs(grid, 0..grid.runs(), options.seed);
    let run_settings = drive::Settings {
        seed: options.seed,
        horizon: options.until.map(|t| t + 0.0),
        tie_order: options.tie_order,
        trace: options.trace,
        max_processes: options.max_processes,
        warmup: options.warmup.map(|t| t + 0.0),
        // The Python API writes no series file (yet).
        series: None,
    };
    let jobs = options.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let names = Names { settings, combinations, grid };
    let results = drive_all(&programs, &specs, &run_settings, jobs)?;
    let mut outputs = Vec::with_capacity(results.len());
    let mut figures = Vec::with_capacity(results.len());
    for (index, (output, result)) in results.into_iter().enumerate() {
        outputs.push(output);
        match result {
            Ok(f) => figures.push(f),
            Err(RunFailure { error: Some(error), .. }) => {
                let spec = &specs[index];
                let run_name = (grid.runs() > 1).then(|| names.run(spec));
                let mut text = NoColor::new(Vec::new());
                let _ = render::render_runtime_error(
                    &mut text,
                    name,
                    source,
                    &error.message,
                    error.span,
                    error.time,
                    &error.process,
                );
                let mut text = String::from_utf8_lossy(&text.into_inner()).into_owned();
                if let Some(run_name) = &run_name {
                    text.push_str(&format!("usimc: in {run_name}\n"));
                }
                let (line, column) = match error.span {
                    Some((start, _)) => {
                        let (line, column) = place(source, start as usize);
                        (Some(line), Some(column))
                    }
                    None => (None, None),
                };
                return Err(ApiError::Runtime(Box::new(RunError {
                    message: error.message,
                    line,
                    column,
                    time: error.time,
                    process: error.process,
                    run: spec.run,
                    combination: spec.combination,
                    replication: spec.replication,
                    name: run_name,
                    output: outputs.concat(),
                    rendered: text,
                    interrupted: usim_runtime::interrupt_requested(),
                })));
            }
            Err(RunFailure { error: None, output }) => {
                let why = output.map_or("no reason given".to_string(), |e| e.to_string());
                return Err(ApiError::Internal(format!("run {index} failed: {why}")));
            }
        }
    }
    let messages = warmup_warning(options.warmup, &specs, &figures, &names, grid).into_iter().collect();
    let model_name = model_file_name(name);
    let report = aggregate(&model_name, options.seed, options.reps, &figures);
    let json = json::render(&report);
    let runs = specs
        .iter()
        .zip(figures)
        .map(|(spec, figures)| RunRecord {
            run: spec.run,
            combination: spec.combination,
            replication: spec.replication,
            figures,
        })
        .collect();
    Ok(Outcome { outputs, runs, report, json, warnings: warnings(name, source, &shown), messages })
}

/// What a run leaves: its output and how it went.
type Ran = (String, Result<RunFigures, RunFailure>);

fn run_spec(programs: &[Option<Compiled>], spec: &RunSpec, settings: &drive::Settings) -> Ran {
    let output = SharedBuffer::default();
    let result = match programs.get(spec.combination as usize).and_then(Option::as_ref) {
        Some(compiled) => drive::run_one(compiled, drive::config(settings, spec, Box::new(output.clone()), false)),
        None => Err(RunFailure { error: None, output: Some(std::io::Error::other("the combination is not compiled")) }),
    };
    (output.text(), result)
}

/// Runs `specs` on up to `jobs` threads: the results in run order, up to
/// and including the first run that failed (no run starts after it).
fn drive_all(
    programs: &[Option<Compiled>],
    specs: &[RunSpec],
    settings: &drive::Settings,
    jobs: usize,
) -> Result<Vec<Ran>, ApiError> {
    let total = specs.len();
    let threads = jobs.clamp(1, total.clamp(1, MAX_THREADS));
    if threads == 1 {
        let mut out = Vec::with_capacity(total);
        for spec in specs {
            let ran = run_spec(programs, spec, settings);
            let failed = ran.1.is_err();
            out.push(ran);
            if failed {
                break;
            }
        }
        return Ok(out);
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicU64::new(u64::MAX);
    let slots: Vec<Mutex<Option<Ran>>> = (0..total).map(|_| Mutex::new(None)).collect();
    let started = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        let mut refused = None;
        for k in 0..threads {
            let worker = || loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                if index >= total || index as u64 > failed.load(Ordering::SeqCst) {
                    break;
                }
                let ran = run_spec(programs, &specs[index], settings);
                if ran.1.is_err() {
                    failed.fetch_min(index as u64, Ordering::SeqCst);
                }
                *slots[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(ran);
            };
            let spawned = std::thread::Builder::new()
                .name(format!("usimc-run-{k}"))
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, worker);
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        let count = handles.len();
        for handle in handles {
            // A worker that panicked leaves its run's slot empty, reported below.
            let _ = handle.join();
        }
        match refused {
            Some(e) if count == 0 => Err(ApiError::Usage(format!("cannot start {threads} worker threads: {e}"))),
            _ => Ok(()),
        }
    });
    started?;
    let mut out = Vec::with_capacity(total);
    for (index, slot) in slots.into_iter().enumerate() {
        let Some(ran) = slot.into_inner().unwrap_or_else(|p| p.into_inner()) else {
            return Err(ApiError::Internal(format!("the worker thread of run {index} failed")));
        };
        let failed = ran.1.is_err();
        out.push(ran);
        if failed {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_count_lines_and_characters_from_one() {
        let source = "ab\ncé d\n";
        assert_eq!(place(source, 0), (1, 1));
        assert_eq!(place(source, 3), (2, 1));
        // `é` is two bytes and one column.
        assert_eq!(place(source, 6), (2, 3));
        assert_eq!(place(source, 5), (2, 2));
        assert_eq!(place(source, 100), (3, 1));
    }
}
