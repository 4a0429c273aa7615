//! The one place problems become text: compile diagnostics and runtime
//! errors, rendered through codespan-reporting into a writer the caller
//! chooses (a colour terminal, or plain text for tests and pipes).

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity};
use codespan_reporting::files::{self, SimpleFile};
use codespan_reporting::term::{self, termcolor::WriteColor, Config};

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::Span;

/// Clamps a span into the source and onto character boundaries, so rendering
/// never fails on a span at the end of the file or inside a UTF-8 sequence.
fn clamp(span: Span, source: &str) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(source.len());
    let mut end = (span.end as usize).clamp(start, source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn to_codespan(d: &Diagnostic, source: &str) -> CsDiagnostic<()> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let mut labels = vec![CsLabel::primary((), clamp(d.span, source)).with_message(d.label.clone())];
    for l in &d.secondary {
        labels.push(CsLabel::secondary((), clamp(l.span, source)).with_message(l.message.clone()));
    }
    CsDiagnostic::new(severity)
        .with_code(d.code)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(d.notes.clone())
}

/// Writes one diagnostic; only a failure of the writer is an error.
fn emit(out: &mut dyn WriteColor, file: &SimpleFile<&str, &str>, d: &CsDiagnostic<()>) -> std::io::Result<()> {
    match term::emit(out, &Config::default(), file, d) {
        Err(files::Error::Io(error)) => Err(error),
        // The other errors are spans outside the file, which `clamp` rules out.
        Ok(()) | Err(_) => Ok(()),
    }
}

/// Renders diagnostics for one file. `name` is the file name shown (as given
/// on the command line). Fails only when writing to `out` fails.
pub fn render_diagnostics(
    out: &mut dyn WriteColor,
    name: &str,
    source: &str,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    let file = SimpleFile::new(name, source);
    for d in diagnostics {
        emit(out, &file, &to_codespan(d, source))?;
    }
    Ok(())
}

/// A runtime error as a diagnostic: the message, the failing operation's
/// span, and the simulated time and process (if one was running) as a note.
pub fn runtime_diagnostic(message: &str, span: Option<(u32, u32)>, time: f64, process: &str) -> Diagnostic {
    let span = span.map_or(Span::default(), |(start, end)| Span { start, end });
    let note = if process.is_empty() {
        format!("at simulated time {time}, outside any process")
    } else {
        format!("at simulated time {time} in process {process}")
    };
    Diagnostic::error("R0001", message.to_string(), span).with_label(message.to_string()).with_note(note)
}

/// Renders a runtime error. Errors without a span show only the message and
/// note. Fails only when writing to `out` fails.
pub fn render_runtime_error(
    out: &mut dyn WriteColor,
    name: &str,
    source: &str,
    message: &str,
    span: Option<(u32, u32)>,
    time: f64,
    process: &str,
) -> std::io::Result<()> {
    let d = runtime_diagnostic(message, span, time, process);
    if span.is_some() {
        render_diagnostics(out, name, source, &[d])
    } else {
        let file = SimpleFile::new(name, source);
        let cs = CsDiagnostic::error().with_code("R0001").with_message(message).with_notes(d.notes);
        emit(out, &file, &cs)
    }
}
