//! `usimc run`: an experiment of one or more runs (docs/experiments.md).
//! `plan` turns `--set`, `--reps` and `--shard` into the runs of a slice of
//! the grid, every sweep point is compiled (in order, before anything runs),
//! `drive` runs them, and their figures in grid order go through
//! `aggregate` to a report, or into a part file for `usimc merge`; `series`
//! writes `--series`.

pub mod aggregate;
pub mod drive;
pub mod plan;
pub mod series;

use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use usim_compiler::diagnostic::Diagnostic;
use usim_compiler::{render, Failure};

use crate::cli::{ReportFormat, RunArgs, TieOrderArg};
use crate::io::{diagnostics_stream, refuse, say, streams, write_stdout, ReportFile, Stop, Target, WriteError};
use crate::report::figures::RunFigures;
use crate::report::part::{self, Flags, Header, Part};
use crate::{read_model, report_failure, show_warnings, Model, EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use drive::{Driven, RunFailure};
use plan::{Grid, RunSpec, Setting};

/// The file name of the model, as reports name it.
pub fn model_file_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or(path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// SHA-256 of the model's source, in hex: what tells parts of one model apart from another's.
fn source_hash(source: &str) -> String {
    Sha256::digest(source.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// How messages name a run: `the run with N=2, replication 1`,
/// `replication 3`, or `the run` when it is the only one.
pub(crate) struct Names<'a> {
    pub(crate) settings: &'a [Setting],
    pub(crate) combinations: &'a [Vec<(String, String)>],
    pub(crate) grid: Grid,
}

impl Names<'_> {
    pub(crate) fn run(&self, spec: &RunSpec) -> String {
        let combination = plan::combination_label(self.settings, &self.combinations[spec.combination as usize]);
        match (combination.is_empty(), self.grid.replications > 1) {
            (false, true) => format!("the run with {combination}, replication {}", spec.replication),
            (false, false) => format!("the run with {combination}"),
            (true, true) => format!("replication {}", spec.replication),
            (true, false) => "the run".to_string(),
        }
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Compiles every combination in order: those the slice runs to native
/// code, the others only as far as lowering, which finds every error the
/// model and its `--set` values can have. The first failure ends usimc.
fn compile_all(
    model: &Model,
    combinations: &[Vec<(String, String)>],
    settings: &[Setting],
    grid: Grid,
    slice: &std::ops::Range<u64>,
) -> Result<Vec<Option<usim_compiler::Compiled>>, Stop> {
    let mut programs = Vec::with_capacity(combinations.len());
    let mut shown: Vec<Diagnostic> = Vec::new();
    for (index, overrides) in combinations.iter().enumerate() {
        let first_run = index as u64 * grid.replications;
        let needed = first_run < slice.end && first_run + grid.replications > slice.start;
        let result = if needed {
            usim_compiler::compile_source(&model.source, overrides, false).map(|(c, w)| (Some(c), w))
        } else {
            usim_compiler::lower_source(&model.source, overrides).map(|(_, w)| (None, w))
        };
        match result {
            Ok((compiled, warnings)) => {
                // Each warning once, however many points have it.
                let new: Vec<Diagnostic> = warnings.into_iter().filter(|w| !shown.contains(w)).collect();
                show_warnings(model, &new)?;
                shown.extend(new);
                programs.push(compiled);
            }
            Err(failure) => {
                let failure = blame_overrides(model, overrides, failure);
                if combinations.len() > 1 && !matches!(failure, Failure::BadOverride(_)) {
                    say(&format!("with {}:", plan::combination_label(settings, overrides)))?;
                }
                return Err(Stop::Code(report_failure(model, failure)?));
            }
        }
    }
    Ok(programs)
}

/// Notes on each error that the `--set` values caused, the ones the model
/// does not have with its own param values: the line it points at is the
/// model's, but the value that makes it wrong came from the command line.
pub(crate) fn blame_overrides(model: &Model, overrides: &[(String, String)], failure: Failure) -> Failure {
    let Failure::Diagnostics(mut diagnostics) = failure else { return failure };
    if overrides.is_empty() {
        return Failure::Diagnostics(diagnostics);
    }
    let own = match usim_compiler::lower_source(&model.source, &[]) {
        Ok(_) => Vec::new(),
        Err(Failure::Diagnostics(own)) => own,
        Err(_) => return Failure::Diagnostics(diagnostics),
    };
    let given: Vec<String> = overrides.iter().map(|(name, value)| format!("--set {name}={value}")).collect();
    let it = if given.len() == 1 { "it" } else { "them" };
    let note = format!("this comes from `{}`: without {it} the model has no such error", given.join(" "));
    for diagnostic in diagnostics.iter_mut().filter(|d| d.is_error() && !own.contains(d)) {
        diagnostic.notes.push(note.clone());
    }
    Failure::Diagnostics(diagnostics)
}

/// Shows why a run failed and returns the exit code (or the failed write).
fn report_run_failure(model: &Model, failure: RunFailure, name: Option<String>) -> Result<u8, Stop> {
    if let Some(error) = &failure.error {
        render::render_runtime_error(
            &mut *diagnostics_stream(),
            &model.name,
            &model.source,
            &error.message,
            error.span,
            error.time,
            &error.process,
        )
        .map_err(WriteError::stderr)?;
        if let Some(name) = &name {
            say(&format!("usimc: in {name}"))?;
        }
    }
    if let Some(error) = failure.output {
        let failed = WriteError { what: "the model's output", to: Target::Stdout, error };
        // The model's error has been shown: a reader that left early does
        // not turn it into a success.
        if failure.error.is_none() || !failed.is_closed_pipe() {
            return Err(failed.into());
        }
    }
    Ok(if usim_runtime::interrupt_requested() { EXIT_INTERRUPTED } else { EXIT_RUNTIME })
}

pub fn run(args: RunArgs) -> Result<u8, Stop> {
    let format = match (args.shard, args.report) {
        (Some(_), Some(format @ (ReportFormat::Table | ReportFormat::Csv))) => {
            let name = if format == ReportFormat::Table { "table" } else { "csv" };
            return refuse(
                EXIT_USAGE,
                format!(
                    "error: --report {name} needs every run, and --shard runs only some: a shard writes a JSON \
                     part file; merge the parts with `usimc merge PART.json... --report {name}`"
                ),
            );
        }
        (_, format) => format.unwrap_or(ReportFormat::Table),
    };
    let model = read_model(&args.model)?;
    let settings = match plan::settings(&args.set) {
        Ok(settings) => settings,
        Err(message) => return refuse(EXIT_USAGE, format!("error: {message}")),
    };
    let combinations = match plan::combinations(&settings) {
        Ok(combinations) => combinations,
        Err(message) => return refuse(EXIT_USAGE, format!("error: {message}")),
    };
    let grid = Grid { combinations: combinations.len() as u64, replications: args.reps };
    if let Err(message) = grid.check(args.shard) {
        return refuse(EXIT_USAGE, format!("error: {message}"));
    }
    let report_file = match &args.out {
        Some(path) => Some(ReportFile::open(path)?),
        None => None,
    };
    let mut series_file = match &args.series {
        Some(path) => Some(series::SeriesFile::open(path)?),
        None => None,
    };
    if let (Some(series), Some(out)) = (&series_file, &args.out) {
        if series.is_same_file(out) {
            return refuse(EXIT_USAGE, format!("error: --series and --out name the same file, {out}"));
        }
    }
    if report_file.is_some() {
        // The report has a reader of its own: a closed pipe on stdout
        // drops the rest of the output, and the runs go on to the report.
        streams::keep_going_without_stdout();
    }
    let slice = grid.slice(args.shard);
    let compile_start = Instant::now();
    let programs = Arc::new(compile_all(&model, &combinations, &settings, grid, &slice)?);
    let compile_time = compile_start.elapsed();
    if let Some(series) = &mut series_file {
        series.begin(&programs)?;
    }

    let specs = plan::runs(grid, slice.clone(), args.seed);
    let run_settings = drive::Settings {
        seed: args.seed,
        horizon: args.until,
        tie_order: args.tie_order.into(),
        trace: args.trace,
        max_processes: args.max_processes,
        warmup: args.warmup,
        series: series_file.map(Arc::new),
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let terminal = io::stderr().is_terminal();
    let names = Names { settings: &settings, combinations: &combinations, grid };
    let run_start = Instant::now();
    let figures = match drive::drive(&programs, specs.clone(), &run_settings, jobs, terminal) {
        Driven::Done(figures) => figures,
        Driven::Failed { index, failure } => {
            let name = (grid.runs() > 1).then(|| names.run(&specs[index]));
            return report_run_failure(&model, failure, name);
        }
        Driven::WriteFailed(error) => return Err(error.into()),
        Driven::NoThreads(message) => return refuse(EXIT_USAGE, format!("usimc: {message}")),
        Driven::Internal(message) => {
            return refuse(EXIT_RUNTIME, format!("usimc: internal error: {message}; please report this with the model"))
        }
    };
    let run_time = run_start.elapsed();
    if terminal {
        let events: u64 = figures.iter().map(|f| f.events).sum();
        let secs = run_time.as_secs_f64();
        let rate = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
        let line = if specs.len() == 1 && combinations.len() == 1 {
            format!(
                "usimc: compiled in {:.1} ms; ran {events} events in {:.1} ms ({:.0} events/s)",
                millis(compile_time),
                millis(run_time),
                rate(events as f64)
            )
        } else {
            format!(
                "usimc: compiled {} in {:.1} ms; ran {} runs ({events} events) in {:.1} ms \
                 ({:.1} runs/s, {:.0} events/s)",
                if combinations.len() == 1 { "1 point".to_string() } else { format!("{} points", combinations.len()) },
                millis(compile_time),
                specs.len(),
                millis(run_time),
                rate(specs.len() as f64),
                rate(events as f64)
            )
        };
        say(&line)?;
    }
    warn_about_warmup(args.warmup, &specs, &figures, &names, grid)?;

    let model_name = model_file_name(&model.name);
    let text = match args.shard {
        Some(shard) => part::to_json(&Part {
            header: Header {
                version: part::VERSION,
                model: model_name,
                model_sha256: source_hash(&model.source),
                seed: args.seed,
                replications: args.reps,
                flags: Flags {
                    until: args.until,
                    warmup: args.warmup,
                    tie_order: match args.tie_order {
                        TieOrderArg::Fifo => "fifo".into(),
                        TieOrderArg::Random => "random".into(),
                    },
                    max_processes: args.max_processes as u64,
                    set: settings.iter().map(Setting::text).collect(),
                },
                shard: (shard.index, shard.count),
                combinations: grid.combinations,
                runs: grid.runs(),
                slice: (slice.start, slice.end),
            },
            runs: specs.iter().map(|s| s.run).zip(figures).collect(),
        }),
        None => {
            let report = aggregate::aggregate(&model_name, args.seed, args.reps, &figures);
            match crate::report::render(format, &report) {
                Ok(text) => text,
                Err(message) => return refuse(EXIT_USAGE, format!("usimc: cannot make the report: {message}")),
            }
        }
    };
    write_report(report_file, &text)?;
    Ok(EXIT_OK)
}

/// Writes the report to the `--out` file, or to stdout.
pub fn write_report(file: Option<ReportFile>, text: &str) -> Result<(), WriteError> {
    match file {
        Some(file) => file.write(text),
        None => write_stdout("the report", text.as_bytes()),
    }
}

/// Says once if runs ended before `--warmup`, when nothing was gathered.
fn warn_about_warmup(
    warmup: Option<f64>,
    specs: &[RunSpec],
    figures: &[RunFigures],
    names: &Names,
    grid: Grid,
) -> Result<(), WriteError> {
    match warmup_warning(warmup, specs, figures, names, grid) {
        Some(warning) => say(&warning),
        None => Ok(()),
    }
}

/// The warning that runs ended before `--warmup`, if any did.
pub(crate) fn warmup_warning(
    warmup: Option<f64>,
    specs: &[RunSpec],
    figures: &[RunFigures],
    names: &Names,
    grid: Grid,
) -> Option<String> {
    let warmup = warmup?;
    let early: Vec<(&RunSpec, &RunFigures)> = specs.iter().zip(figures).filter(|(_, f)| f.end_time < warmup).collect();
    let (spec, first) = early.first()?;
    let more = match early.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more run)".to_string(),
        n => format!(" (and {n} more runs)"),
    };
    let name = if grid.runs() > 1 { names.run(spec) } else { "the run".to_string() };
    Some(format!(
        "usimc: warning: {name} ended at {}, before --warmup {}: no statistics were gathered{more}",
        usim_stdlib::format::format_float(first.end_time),
        usim_stdlib::format::format_float(warmup)
    ))
}
