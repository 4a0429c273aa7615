//! `usimc._usimc`, the extension module of the Python package `usimc`. It
//! is thin on purpose: it converts the arguments, runs `usimc::api` (or the
//! whole command line, for the `usimc` command) with the interpreter
//! released, and hands back plain tuples, dicts, lists and strings. The
//! classes and exceptions a user sees are Python's (python/usimc/), and the
//! tables are built there from the JSON the command line writes.
//!
//! A call that can fail returns `(kind, value)`: `("ok", result)`,
//! `("compile", error)`, `("runtime", error)`, `("usage", message)` or
//! `("internal", message)`; `usimc/_model.py` turns the failures into
//! exceptions.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use usim_compiler::diagnostic::Severity;
use usim_runtime::TieOrder;
use usimc::api::{self, ApiError, Options, Outcome, Problem, Warnings};

type Answer<'py> = (&'static str, Bound<'py, PyAny>);

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn problem<'py>(py: Python<'py>, p: &Problem) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("code", &p.code)?;
    d.set_item("severity", severity(p.severity))?;
    d.set_item("message", &p.message)?;
    d.set_item("label", &p.label)?;
    d.set_item("notes", &p.notes)?;
    d.set_item("line", p.line)?;
    d.set_item("column", p.column)?;
    d.set_item("end_line", p.end_line)?;
    d.set_item("end_column", p.end_column)?;
    Ok(d)
}

fn problems<'py>(py: Python<'py>, list: &[Problem]) -> PyResult<Vec<Bound<'py, PyDict>>> {
    list.iter().map(|p| problem(py, p)).collect()
}

fn warnings<'py>(py: Python<'py>, w: &Warnings) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("diagnostics", problems(py, &w.diagnostics)?)?;
    d.set_item("rendered", &w.rendered)?;
    Ok(d.into_any())
}

fn failure<'py>(py: Python<'py>, error: &ApiError) -> PyResult<Answer<'py>> {
    Ok(match error {
        ApiError::Compile(e) => {
            let d = PyDict::new(py);
            d.set_item("diagnostics", problems(py, &e.diagnostics)?)?;
            d.set_item("rendered", &e.rendered)?;
            d.set_item("combination", &e.combination)?;
            ("compile", d.into_any())
        }
        ApiError::Runtime(e) => {
            let d = PyDict::new(py);
            d.set_item("message", &e.message)?;
            d.set_item("line", e.line)?;
            d.set_item("column", e.column)?;
            d.set_item("time", e.time)?;
            d.set_item("process", &e.process)?;
            d.set_item("run", e.run)?;
            d.set_item("combination", e.combination)?;
            d.set_item("replication", e.replication)?;
            d.set_item("name", &e.name)?;
            d.set_item("output", &e.output)?;
            d.set_item("rendered", &e.rendered)?;
            d.set_item("interrupted", e.interrupted)?;
            ("runtime", d.into_any())
        }
        ApiError::Usage(message) => ("usage", message.into_pyobject(py)?.into_any()),
        ApiError::Internal(message) => ("internal", message.into_pyobject(py)?.into_any()),
    })
}

fn outcome<'py>(py: Python<'py>, o: &Outcome) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("outputs", &o.outputs)?;
    d.set_item("json", &o.json)?;
    d.set_item("runs_json", o.runs_json())?;
    d.set_item("warnings", warnings(py, &o.warnings)?)?;
    d.set_item("messages", &o.messages)?;
    Ok(d.into_any())
}

/// The version of usimc (and of this package).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The most bytes of a model file to read: one more than the compiler takes.
#[pyfunction]
fn source_read_limit() -> u64 {
    usim_compiler::SOURCE_READ_LIMIT
}

/// A model file's text from its bytes: `("ok", text)` or `("compile", error)`
/// (too large, or not UTF-8).
#[pyfunction]
#[pyo3(signature = (data, size, name))]
fn decode<'py>(py: Python<'py>, data: Vec<u8>, size: Option<u64>, name: &str) -> PyResult<Answer<'py>> {
    match api::source_from_bytes(data, size, name) {
        Ok(text) => Ok(("ok", text.into_pyobject(py)?.into_any())),
        Err(e) => failure(py, &e),
    }
}

/// What `usimc check` does: `("ok", warnings)` or a failure.
#[pyfunction]
fn check<'py>(py: Python<'py>, source: &str, name: &str) -> PyResult<Answer<'py>> {
    let (source, name) = (source.to_string(), name.to_string());
    match py.detach(move || api::check(&source, &name)) {
        Ok(w) => Ok(("ok", warnings(py, &w)?)),
        Err(e) => failure(py, &e),
    }
}

/// What `usimc run` does, in-process: `("ok", outcome)` or a failure. The
/// runs go on with the interpreter released; a KeyboardInterrupt (Ctrl-C)
/// stops them where they are and is raised.
#[pyfunction]
#[pyo3(signature = (source, name, *, seed, reps, jobs, until, warmup, set, trace, tie_order, max_processes))]
#[allow(clippy::too_many_arguments)]
fn run<'py>(
    py: Python<'py>,
    source: String,
    name: String,
    seed: u64,
    reps: u64,
    jobs: Option<usize>,
    until: Option<f64>,
    warmup: Option<f64>,
    set: Vec<(String, Vec<String>)>,
    trace: bool,
    tie_order: &str,
    max_processes: usize,
) -> PyResult<Answer<'py>> {
    let tie_order = match tie_order {
        "fifo" => TieOrder::Fifo,
        "random" => TieOrder::Random,
        other => {
            let message = format!("tie_order must be \"fifo\" or \"random\", not {other:?}");
            return Ok(("usage", message.into_pyobject(py)?.into_any()));
        }
    };
    let options = Options { seed, reps, jobs, until, warmup, set, trace, tie_order, max_processes };
    let (sender, mut receiver) = mpsc::channel();
    let worker = std::thread::Builder::new().name("usimc-experiment".into()).spawn(move || {
        let _ = sender.send(api::run_experiment(&source, &name, &options));
    });
    if let Err(e) = worker {
        return Ok(("usage", format!("cannot start a thread: {e}").into_pyobject(py)?.into_any()));
    }
    let result = loop {
        let (back, received) = py.detach(move || {
            let received = receiver.recv_timeout(Duration::from_millis(50));
            (receiver, received)
        });
        receiver = back;
        match received {
            Ok(result) => break result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    // Stop the runs where they are, wait for them, and let
                    // later runs in this process go on.
                    usim_runtime::request_interrupt();
                    let _ = py.detach(move || receiver.recv());
                    usim_runtime::clear_interrupt();
                    return Err(interrupt);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let message = "the experiment's thread failed; please report this with the model";
                return Ok(("internal", message.into_pyobject(py)?.into_any()));
            }
        }
    };
    match result {
        Ok(o) => Ok(("ok", outcome(py, &o)?)),
        Err(e) => failure(py, &e),
    }
}

/// The `usimc` command line, in this process: `argv` as `sys.argv` (the
/// program's name first), each argument as `os.fsencode` gives it; returns
/// the exit code. It writes to the process's stdout and stderr as the
/// `usimc` binary does.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<Vec<u8>>) -> u8 {
    let argv: Vec<std::ffi::OsString> = argv.into_iter().map(os_string).collect();
    py.detach(move || {
        let code = usimc::main_with_args(argv);
        // No Rust runtime flushes stdout at exit here; usimc flushes every
        // write it checks, so this only matters for what it does not check.
        let _ = std::io::stdout().flush();
        code
    })
}

#[cfg(unix)]
fn os_string(bytes: Vec<u8>) -> std::ffi::OsString {
    std::os::unix::ffi::OsStringExt::from_vec(bytes)
}

#[cfg(not(unix))]
fn os_string(bytes: Vec<u8>) -> std::ffi::OsString {
    String::from_utf8_lossy(&bytes).into_owned().into()
}

#[pymodule]
fn _usimc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(source_read_limit, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    Ok(())
}
