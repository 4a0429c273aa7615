//! `usimc`: the command line. Reads model files, runs the compiler and the
//! runtime, renders diagnostics and writes reports. All file and terminal IO
//! of usim lives here, and every write is checked: a failed write to stdout,
//! stderr or the `--out` file ends usimc with exit code 2 and a message that
//! names the stream (on stderr, unless stderr is what failed).

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod report;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};
use usim_compiler::{render, Failure};

use cli::{Cli, Command, EmitStage, ReportFormat, RunArgs};

/// Exit codes: success, the model does not compile, a bad command line or an
/// IO error, a runtime error.
const EXIT_OK: u8 = 0;
const EXIT_COMPILE: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_RUNTIME: u8 = 3;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(clap_message(&e)),
    };
    // Deeply nested input makes the recursive passes of the compiler deep too;
    // a large stack keeps them clear of overflow.
    let worker = std::thread::Builder::new().stack_size(512 << 20).spawn(move || execute(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            let _ = say("usimc: internal error: the compiler thread failed; please report this with the model");
            ExitCode::from(EXIT_COMPILE)
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

/// stdout and stderr as usimc writes them.
///
/// The Rust runtime reopens a standard stream that is closed when a program
/// starts (`usimc run m.usim >&-`) on `/dev/null`, where every write
/// succeeds and the text vanishes. On Linux a probe that runs before the
/// runtime's start notes which streams were closed, and every write to those
/// fails here as "it is closed".
mod streams {
    use std::io::{self, Write};
    use std::sync::atomic::{AtomicU8, Ordering};

    use super::Target;

    /// Bit 1 << fd for stdout (1) and stderr (2): closed when usimc started.
    static CLOSED_AT_START: AtomicU8 = AtomicU8::new(0);

    #[cfg(target_os = "linux")]
    mod probe {
        use super::{Ordering, CLOSED_AT_START};

        extern "C" {
            fn fcntl(fd: i32, command: i32, ...) -> i32;
        }

        const F_GETFD: i32 = 1;

        extern "C" fn probe() {
            let mut closed = 0;
            for fd in [1, 2] {
                // SAFETY: F_GETFD only reads the flags of a descriptor number,
                // takes no third argument, and fails with EBADF on a closed one.
                if unsafe { fcntl(fd, F_GETFD) } == -1 {
                    closed |= 1 << fd;
                }
            }
            CLOSED_AT_START.store(closed, Ordering::Relaxed);
        }

        /// The C runtime calls the functions of `.init_array` before `main`,
        /// so before the Rust runtime reopens closed standard streams.
        #[used]
        #[link_section = ".init_array"]
        static PROBE: extern "C" fn() = probe;
    }

    /// Whether `to` (stdout or stderr) was closed when usimc started.
    pub fn closed_at_start(to: &Target) -> bool {
        let bit = match to {
            Target::Stdout => 1 << 1,
            Target::Stderr => 1 << 2,
            Target::File(_) => return false,
        };
        CLOSED_AT_START.load(Ordering::Relaxed) & bit != 0
    }

    /// The error of a write to a stream closed at start.
    pub fn closed() -> io::Error {
        io::Error::other("it is closed")
    }

    /// Fails a write of `bytes` to a stream closed at start; writing nothing
    /// is no loss.
    fn check(to: &Target, bytes: &[u8]) -> io::Result<()> {
        if closed_at_start(to) && !bytes.is_empty() {
            Err(closed())
        } else {
            Ok(())
        }
    }

    /// stdout; writes go through the standard library's buffer, flushed by `flush`.
    pub struct Stdout;

    impl Write for Stdout {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            check(&Target::Stdout, bytes)?;
            io::stdout().lock().write(bytes)
        }

        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            check(&Target::Stdout, bytes)?;
            io::stdout().lock().write_all(bytes)
        }

        /// Nothing written to a stream closed at start is pending.
        fn flush(&mut self) -> io::Result<()> {
            io::stdout().lock().flush()
        }
    }

    /// stderr, unbuffered.
    pub struct Stderr;

    impl Write for Stderr {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            check(&Target::Stderr, bytes)?;
            io::stderr().lock().write(bytes)
        }

        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            check(&Target::Stderr, bytes)?;
            io::stderr().lock().write_all(bytes)
        }

        /// Nothing written to a stream closed at start is pending.
        fn flush(&mut self) -> io::Result<()> {
            io::stderr().lock().flush()
        }
    }
}

/// Where a write went.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Stdout,
    Stderr,
    /// The `--out` file.
    File(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Stdout => f.write_str("stdout"),
            Target::Stderr => f.write_str("stderr"),
            Target::File(path) => f.write_str(path),
        }
    }
}

/// A write that failed.
#[derive(Debug)]
struct WriteError {
    /// What was being written: `the IR`, `the model's output`, `the report`.
    what: &'static str,
    to: Target,
    error: io::Error,
}

impl WriteError {
    fn stderr(error: io::Error) -> WriteError {
        WriteError { what: "a message", to: Target::Stderr, error }
    }

    /// Says what failed, on stderr unless stderr is what failed (then there
    /// is nowhere to say it), and returns the exit code for an IO error.
    fn report(self) -> u8 {
        if self.to != Target::Stderr {
            let _ = say(&format!("usimc: cannot write {} to {}: {}", self.what, self.to, self.error));
        }
        EXIT_USAGE
    }
}

/// Why a command ended before its end: an exit code whose message has been
/// written, or a write that failed.
#[derive(Debug)]
enum Stop {
    Code(u8),
    Write(WriteError),
}

impl From<WriteError> for Stop {
    fn from(e: WriteError) -> Stop {
        Stop::Write(e)
    }
}

/// Writes one line to stderr.
fn say(line: &str) -> Result<(), WriteError> {
    streams::Stderr.write_all(format!("{line}\n").as_bytes()).map_err(WriteError::stderr)
}

/// Writes `message` to stderr and ends the command with `code`.
fn refuse<T>(code: u8, message: impl fmt::Display) -> Result<T, Stop> {
    say(&message.to_string())?;
    Err(Stop::Code(code))
}

/// Writes all of `bytes` to stdout and flushes it.
fn write_stdout(what: &'static str, bytes: &[u8]) -> Result<(), WriteError> {
    let mut out = streams::Stdout;
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|error| WriteError { what, to: Target::Stdout, error })
}

/// stderr for diagnostics: in colour on a terminal, plain otherwise.
fn diagnostics_stream() -> Box<dyn WriteColor> {
    if io::stderr().is_terminal() {
        Box::new(StandardStream::stderr(ColorChoice::Auto))
    } else {
        Box::new(NoColor::new(streams::Stderr))
    }
}

/// A model file as read from disk.
struct Model {
    name: String,
    source: String,
}

/// Reads a model: at most one byte more than the parser accepts, so a file
/// too large (or endless, `/dev/zero`) is refused without reading the rest;
/// a regular file over the limit is refused by its size, unread.
fn read_model(path: &str) -> Result<Model, Stop> {
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
fn report_failure(model: &Model, failure: Failure) -> Result<u8, WriteError> {
    match failure {
        Failure::Diagnostics(diagnostics) => {
            render::render_diagnostics(&mut *diagnostics_stream(), &model.name, &model.source, &diagnostics)
                .map_err(WriteError::stderr)?;
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            say(&format!("{}: {errors} error{} found", model.name, if errors == 1 { "" } else { "s" }))?;
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

fn show_warnings(model: &Model, warnings: &[usim_compiler::diagnostic::Diagnostic]) -> Result<(), WriteError> {
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
        Command::Run(args) => run(args),
        Command::Merge { .. } => refuse(
            EXIT_USAGE,
            "error: `usimc merge` is not available in this version yet (it arrives with sweeps and shards)",
        ),
    };
    match ended {
        Ok(code) | Err(Stop::Code(code)) => code,
        Err(Stop::Write(e)) => e.report(),
    }
}

fn check(path: &str) -> Result<u8, Stop> {
    let model = read_model(path)?;
    // Lowering runs too: it reports features this release cannot compile yet.
    match usim_compiler::lower_source(&model.source, &[]) {
        Ok((_, warnings)) => {
            show_warnings(&model, &warnings)?;
            Ok(EXIT_OK)
        }
        Err(f) => Ok(report_failure(&model, f)?),
    }
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

/// The `--out` file, opened before the model is compiled so that a path that
/// cannot be written is refused before any work. A file that exists keeps
/// its contents until the report replaces them; one created here is removed
/// again unless the report is written into it.
struct ReportFile {
    path: String,
    file: File,
    created: bool,
    written: bool,
}

impl ReportFile {
    fn open(path: &str) -> Result<ReportFile, Stop> {
        let opened = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(file) => Ok((file, true)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                OpenOptions::new().write(true).open(path).map(|file| (file, false))
            }
            Err(e) => Err(e),
        };
        match opened {
            Ok((file, created)) => Ok(ReportFile { path: path.to_string(), file, created, written: false }),
            Err(e) => refuse(EXIT_USAGE, format!("usimc: cannot write the report to {path}: {e}")),
        }
    }

    fn write(mut self, text: &str) -> Result<(), WriteError> {
        let mut write = || -> io::Result<()> {
            // A regular file is emptied first; a device (`/dev/null`) cannot be.
            if self.file.metadata()?.is_file() {
                self.file.set_len(0)?;
            }
            self.file.write_all(text.as_bytes())?;
            self.file.flush()
        };
        match write() {
            Ok(()) => {
                self.written = true;
                Ok(())
            }
            Err(error) => Err(WriteError { what: "the report", to: Target::File(self.path.clone()), error }),
        }
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        if self.created && !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn run(args: RunArgs) -> Result<u8, Stop> {
    if let Err(message) = args.validate() {
        return refuse(EXIT_USAGE, format!("error: {message}"));
    }
    let model = read_model(&args.model)?;
    let overrides = match args.overrides() {
        Ok(o) => o,
        Err(message) => return refuse(EXIT_USAGE, format!("error: {message}")),
    };
    let report_file = match &args.out {
        Some(path) => Some(ReportFile::open(path)?),
        None => None,
    };
    let compile_start = Instant::now();
    let (compiled, warnings) = match usim_compiler::compile_source(&model.source, &overrides, false) {
        Ok(c) => c,
        Err(f) => return Ok(report_failure(&model, f)?),
    };
    let compile_time = compile_start.elapsed();
    show_warnings(&model, &warnings)?;

    let config = usim_runtime::RunConfig {
        seed: args.seed,
        horizon: args.until,
        tie_order: args.tie_order.into(),
        output: Box::new(streams::Stdout),
        trace: args.trace,
        max_processes: args.max_processes,
        stream: None,
        warmup: None,
        progress: None,
    };
    let run_start = Instant::now();
    let outcome = usim_runtime::run(compiled.program(), config);
    let run_time = run_start.elapsed();
    if io::stderr().is_terminal() {
        let secs = run_time.as_secs_f64();
        say(&format!(
            "usimc: compiled in {:.1} ms; ran {} events in {:.1} ms ({:.0} events/s)",
            compile_time.as_secs_f64() * 1e3,
            outcome.events,
            secs * 1e3,
            if secs > 0.0 { outcome.events as f64 / secs } else { 0.0 }
        ))?;
    }
    // A failed write of the output is a fault of where it goes, not of the
    // model; the model's own error, if it came first, is shown too.
    let output_failure = outcome.output_error.as_ref();
    let model_error = outcome.error.as_ref().filter(|_| output_failure.is_none_or(|failure| !failure.is_run_error));
    if let Some(error) = model_error {
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
    }
    if let Some(failure) = output_failure {
        let error = io::Error::new(failure.kind, failure.message.clone());
        return Err(WriteError { what: "the model's output", to: Target::Stdout, error }.into());
    }
    if model_error.is_some() {
        return Ok(EXIT_RUNTIME);
    }
    // `validate` has already turned `--report csv` away.
    let text = match args.report {
        ReportFormat::Json => report::json(&model.name, args.seed, &compiled, &outcome),
        ReportFormat::Table | ReportFormat::Csv => report::table(&compiled, &outcome),
    };
    match report_file {
        Some(file) => file.write(&text)?,
        None => write_stdout("the report", text.as_bytes())?,
    }
    Ok(EXIT_OK)
}
