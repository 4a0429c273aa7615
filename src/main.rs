//! `usimc`: the command line. Reads model files, runs the compiler and the
//! runtime, renders diagnostics and writes reports. All file and terminal IO
//! of usim lives here.

mod cli;
mod report;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use usim_compiler::{render, Failure};

use cli::{Cli, Command, EmitStage, ReportFormat, RunArgs};

/// Exit codes of LANGUAGE.md §9.
const EXIT_OK: u8 = 0;
const EXIT_COMPILE: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_RUNTIME: u8 = 3;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Deeply nested input makes the recursive passes of the compiler deep too;
    // a large stack keeps them clear of overflow.
    let worker = std::thread::Builder::new().stack_size(512 << 20).spawn(move || execute(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("usimc: internal error: the compiler thread failed; please report this with the model");
            ExitCode::from(EXIT_COMPILE)
        }
    }
}

fn stderr() -> StandardStream {
    let choice = if std::io::stderr().is_terminal() { ColorChoice::Auto } else { ColorChoice::Never };
    StandardStream::stderr(choice)
}

/// A model file as read from disk.
struct Model {
    name: String,
    source: String,
}

fn read_model(path: &str) -> Result<Model, u8> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(source) => Ok(Model { name: path.to_string(), source }),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                eprintln!("error: {path} is not valid UTF-8 text (first bad byte at offset {at})");
                Err(EXIT_COMPILE)
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// Reports a compile failure and returns the exit code for it.
fn report_failure(model: &Model, failure: Failure) -> u8 {
    match failure {
        Failure::Diagnostics(diagnostics) => {
            render::render_diagnostics(&mut stderr(), &model.name, &model.source, &diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!("{}: {errors} error{} found", model.name, if errors == 1 { "" } else { "s" });
            EXIT_COMPILE
        }
        Failure::BadOverride(message) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
        Failure::Internal(message) => {
            eprintln!(
                "usimc: internal compiler error: {message}\nThis is a bug in usimc; please report it with the model."
            );
            EXIT_COMPILE
        }
    }
}

fn show_warnings(model: &Model, warnings: &[usim_compiler::diagnostic::Diagnostic]) {
    if !warnings.is_empty() {
        render::render_diagnostics(&mut stderr(), &model.name, &model.source, warnings);
    }
}

fn execute(cli: Cli) -> u8 {
    match cli.command {
        Command::Check { model } => {
            let model = match read_model(&model) {
                Ok(m) => m,
                Err(code) => return code,
            };
            // Lowering runs too: it reports features this release cannot compile yet.
            match usim_compiler::lower_source(&model.source, &[]) {
                Ok((_, warnings)) => {
                    show_warnings(&model, &warnings);
                    EXIT_OK
                }
                Err(f) => report_failure(&model, f),
            }
        }
        Command::Emit { stage, model } => {
            let model = match read_model(&model) {
                Ok(m) => m,
                Err(code) => return code,
            };
            let text = match stage {
                EmitStage::Ast => usim_compiler::emit_ast(&model.source),
                EmitStage::Ir => usim_compiler::lower_source(&model.source, &[]).map(|(m, w)| (m.to_text(), w)),
                EmitStage::Clif => usim_compiler::compile_source(&model.source, &[], true).map(|(c, w)| {
                    let text: Vec<String> = c.clif.iter().map(|(name, clif)| format!("; {name}\n{clif}")).collect();
                    (text.join("\n"), w)
                }),
            };
            match text {
                Ok((text, warnings)) => {
                    show_warnings(&model, &warnings);
                    print!("{text}");
                    EXIT_OK
                }
                Err(f) => report_failure(&model, f),
            }
        }
        Command::Run(args) => run(args),
        Command::Merge { .. } => {
            eprintln!("error: `usimc merge` is not available in this version yet (it arrives with sweeps and shards)");
            EXIT_USAGE
        }
    }
}

fn run(args: RunArgs) -> u8 {
    if let Err(message) = args.validate() {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    let model = match read_model(&args.model) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let overrides = match args.overrides() {
        Ok(o) => o,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let compile_start = Instant::now();
    let (compiled, warnings) = match usim_compiler::compile_source(&model.source, &overrides, false) {
        Ok(c) => c,
        Err(f) => return report_failure(&model, f),
    };
    let compile_time = compile_start.elapsed();
    show_warnings(&model, &warnings);

    let config = usim_runtime::RunConfig {
        seed: args.seed,
        horizon: args.until,
        tie_order: args.tie_order.into(),
        output: Box::new(std::io::stdout()),
        trace: args.trace,
    };
    let run_start = Instant::now();
    let outcome = usim_runtime::run(compiled.program(), config);
    let run_time = run_start.elapsed();
    if std::io::stderr().is_terminal() {
        let secs = run_time.as_secs_f64();
        eprintln!(
            "usimc: compiled in {:.1} ms; ran {} events in {:.1} ms ({:.0} events/s)",
            compile_time.as_secs_f64() * 1e3,
            outcome.events,
            secs * 1e3,
            if secs > 0.0 { outcome.events as f64 / secs } else { 0.0 }
        );
    }
    if let Some(error) = &outcome.error {
        render::render_runtime_error(
            &mut stderr(),
            &model.name,
            &model.source,
            &error.message,
            error.span,
            error.time,
            &error.process,
        );
        return EXIT_RUNTIME;
    }
    // `validate` has already turned `--report csv` away.
    let text = match args.report {
        ReportFormat::Json => report::json(&model.name, args.seed, &compiled, &outcome),
        ReportFormat::Table | ReportFormat::Csv => report::table(&compiled, &outcome),
    };
    let written = match &args.out {
        Some(path) => std::fs::write(path, text.as_bytes()).map_err(|e| format!("cannot write {path}: {e}")),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| format!("cannot write the report: {e}"))
        }
    };
    if let Err(message) = written {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    EXIT_OK
}
