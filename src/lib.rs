//! `usimc` as a library: the command line's modules (src/main.rs is
//! `usimc::main_with_args` and nothing else), and [`api`], the same
//! experiments run in-process without any IO, for embedding (the Python
//! package in python/ uses both).
//!
//! All file and terminal IO of the command line lives here, and every write
//! is checked: a failed write to stdout, stderr or the `--out` file ends
//! usimc with exit code 2 and a message that names the stream (on stderr,
//! unless stderr is what failed). A pipe closed by its reader is no failure:
//! usimc ends quietly with exit code 0.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod api;
pub mod cli;
pub mod experiment;
pub mod format;
pub mod io;
pub mod merge;
pub mod plot;
pub mod report;

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::Read;

use clap::Parser;
use usim_compiler::{render, Failure};

use cli::{Cli, Command, EmitStage};
use io::{diagnostics_stream, refuse, say, streams, write_stdout, Stop, Target, WriteError};

/// Exit codes: success, the model does not compile, a bad command line or an
/// IO error, a runtime error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_COMPILE: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_RUNTIME: u8 = 3;
/// The user interrupted a run (Ctrl-C): 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The command line: parses `args` (the program's name first, as
/// `std::env::args_os` gives them), runs the command and returns its exit
/// code. Installs a Ctrl-C handler for the process (once).
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_message(&e),
    };
    // Ctrl-C asks the runs to stop where they are, so that the error can say
    // when and where; a second Ctrl-C ends usimc at once. Without a handler
    // (if the platform refuses one) Ctrl-C ends usimc as it would anyway, and
    // so it does the language server, which runs nothing.
    if !matches!(cli.command, Command::Lsp) {
        let _ = ctrlc::set_handler(|| {
            if usim_runtime::interrupt_requested() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            usim_runtime::request_interrupt();
        });
    }
    // Deeply nested input makes the recursive passes of the compiler deep too;
    // a large stack keeps them clear of overflow.
    let worker = std::thread::Builder::new().stack_size(512 << 20).spawn(move || execute(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            let _ = say("usimc: internal error: the compiler thread failed; please report this with the model");
            EXIT_COMPILE
        }
    }
}

/// Prints clap's help, version or usage error and returns the exit code.
fn clap_message(e: &clap::Error) -> u8 {
    let (code, to) = if e.use_stderr() { (EXIT_USAGE, Target::Stderr) } else { (EXIT_OK, Target::Stdout) };
    let printed = if streams::closed_at_start(&to) { Err(streams::closed()) } else { e.print() };
    match printed {
        Ok(()) => code,
        Err(error) => {
            let what = if e.kind() == clap::error::ErrorKind::DisplayVersion { "the version" } else { "the help" };
            WriteError { what, to, error }.report()
        }
    }
}

/// A model file as read from disk.
pub struct Model {
    pub name: String,
    pub source: String,
}

/// Reads a model: at most one byte more than the parser accepts, so a file
/// too large (or endless, `/dev/zero`) is refused without reading the rest;
/// a regular file over the limit is refused by its size, unread.
pub fn read_model(path: &str) -> Result<Model, Stop> {
    let cannot =
        |reason: &dyn fmt::Display| refuse(EXIT_USAGE, format!("usimc: cannot read the model {path}: {reason}"));
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return cannot(&e),
    };
    let metadata = match file.metadata() {
        Ok(metadata) => metadata,
        Err(e) => return cannot(&e),
    };
    if metadata.is_dir() {
        return cannot(&"it is a directory");
    }
    let size = metadata.is_file().then_some(metadata.len());
    let mut bytes = Vec::new();
    if size.is_none_or(|size| size < usim_compiler::SOURCE_READ_LIMIT) {
        if let Err(e) = file.take(usim_compiler::SOURCE_READ_LIMIT).read_to_end(&mut bytes) {
            return cannot(&e);
        }
    }
    match usim_compiler::source_from_bytes(bytes, size) {
        Ok(source) => Ok(Model { name: path.to_string(), source }),
        Err(bad) => {
            let model = Model { name: path.to_string(), source: bad.text };
            let code = report_failure(&model, Failure::Diagnostics(vec![bad.diagnostic]))?;
            Err(Stop::Code(code))
        }
    }
}

/// Reports a compile failure and returns the exit code for it.
pub fn report_failure(model: &Model, failure: Failure) -> Result<u8, WriteError> {
    match failure {
        Failure::Diagnostics(diagnostics) => {
            render::render_diagnostics(&mut *diagnostics_stream(), &model.name, &model.source, &diagnostics)
                .map_err(WriteError::stderr)?;
            say(&errors_found(&model.name, &diagnostics))?;
            Ok(EXIT_COMPILE)
        }
        Failure::BadOverride(message) => {
            say(&format!("error: {message}"))?;
            Ok(EXIT_USAGE)
        }
        Failure::Internal(message) => {
            say(&format!(
                "usimc: internal compiler error: {message}\nThis is a bug in usimc; please report it with the model."
            ))?;
            Ok(EXIT_COMPILE)
        }
    }
}

/// The line after a failure's diagnostics: `m.usim: 2 errors found`.
pub fn errors_found(name: &str, diagnostics: &[usim_compiler::diagnostic::Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    format!("{name}: {errors} error{} found", if errors == 1 { "" } else { "s" })
}

pub fn show_warnings(model: &Model, warnings: &[usim_compiler::diagnostic::Diagnostic]) -> Result<(), WriteError> {
    if warnings.is_empty() {
        return Ok(());
    }
    render::render_diagnostics(&mut *diagnostics_stream(), &model.name, &model.source, warnings)
        .map_err(WriteError::stderr)
}

fn execute(cli: Cli) -> u8 {
    let ended = match cli.command {
        Command::Check { model } => check(&model),
        Command::Emit { stage, model } => emit(stage, &model),
        Command::Run(args) => experiment::run(*args),
        Command::Fmt { models, check } => format::fmt(&models, check),
        Command::Lsp => lsp(),
        Command::Merge { parts, report, out } => merge::merge(&parts, report, out.as_deref()),
        Command::Plot(args) => plot::plot(args),
    };
    match ended {
        Ok(code) | Err(Stop::Code(code)) => code,
        Err(Stop::Write(e)) => e.report(),
    }
}

/// `usimc lsp`: the language server (crate `usim-lsp`) on stdin and stdout,
/// on this thread's large stack; 0 after `shutdown` and `exit`, 1 when the
/// connection broke or the client sent `exit` without `shutdown`.
fn lsp() -> Result<u8, Stop> {
    match usim_lsp::run_stdio() {
        Ok(()) => Ok(EXIT_OK),
        Err(message) => {
            say(&message)?;
            Ok(EXIT_COMPILE)
        }
    }
}

fn check(path: &str) -> Result<u8, Stop> {
    let model = read_model(path)?;
    // Lowering runs too: it reports features this release cannot compile yet.
    match usim_compiler::lower_source(&model.source, &[]) {
        Ok((module, warnings)) => {
            show_warnings(&model, &warnings)?;
            say(&check_summary(&model.name, &module, warnings.len()))?;
            Ok(EXIT_OK)
        }
        Err(f) => Ok(report_failure(&model, f)?),
    }
}

/// What `usimc check` says of a model that compiles:
/// `m.usim: no problems (3 processes, 2 fns)`, or `m.usim: 2 warnings, no
/// errors (...)` after the warnings it showed.
fn check_summary(name: &str, module: &usim_compiler::ir::Module, warnings: usize) -> String {
    let callables = module.functions.iter().filter(|f| !f.is_predicate);
    let processes = callables.clone().filter(|f| f.is_process).count();
    let fns = callables.filter(|f| !f.is_process).count();
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let problems = match warnings {
        0 => "no problems".to_string(),
        n => format!("{}, no errors", count(n, "warning", "warnings")),
    };
    format!("{name}: {problems} ({}, {})", count(processes, "process", "processes"), count(fns, "fn", "fns"))
}

fn emit(stage: EmitStage, path: &str) -> Result<u8, Stop> {
    let model = read_model(path)?;
    let (what, text) = match stage {
        EmitStage::Ast => ("the AST", usim_compiler::emit_ast(&model.source)),
        EmitStage::Ir => ("the IR", usim_compiler::lower_source(&model.source, &[]).map(|(m, w)| (m.to_text(), w))),
        EmitStage::Clif => (
            "the CLIF",
            usim_compiler::compile_source(&model.source, &[], true).map(|(c, w)| {
                let text: Vec<String> = c.clif.iter().map(|(name, clif)| format!("; {name}\n{clif}")).collect();
                (text.join("\n"), w)
            }),
        ),
    };
    match text {
        Ok((text, warnings)) => {
            show_warnings(&model, &warnings)?;
            write_stdout(what, text.as_bytes())?;
            Ok(EXIT_OK)
        }
        Err(f) => Ok(report_failure(&model, f)?),
    }
}
