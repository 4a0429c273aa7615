//! The one place problems become text: compile diagnostics and runtime
//! errors, rendered through codespan-reporting into a writer the caller
//! chooses (a colour terminal, or plain text for tests and pipes).
//!
//! The output is bounded whatever the model: at most [`SHOWN_PER_CODE`]
//! diagnostics of one code are shown, the rest counted in one line; a source
//! line longer than [`LINE_MAX`] characters is cut to [`LINE_CONTEXT`]
//! characters either side of each span's start and end; a message, label or
//! note is cut after [`TEXT_MAX`] characters. Codespan renders from a
//! [`View`] of the source that holds only the lines it shows, cut, and reports
//! their true line and column numbers.

use std::collections::BTreeMap;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term::{self, termcolor::WriteColor, Config};

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::Span;

/// How many diagnostics of one code are shown; the others of that code are
/// counted in one line after the last diagnostic.
pub const SHOWN_PER_CODE: usize = 20;
/// Characters of a cut source line shown on each side of a span's start and end.
pub const LINE_CONTEXT: usize = 120;
/// Source lines of up to this many characters are shown whole.
pub const LINE_MAX: usize = 2 * LINE_CONTEXT;
/// Messages, labels and notes longer than this many characters are cut.
pub const TEXT_MAX: usize = 1000;
/// Stretches of a cut line this short are shown rather than replaced by [`MARK`].
const GAP_KEPT: usize = 16;
/// Stands for the text left out of a cut line or message.
const MARK: &str = "…";

/// Clamps a span into the source and onto character boundaries, so rendering
/// never fails on a span at the end of the file or inside a UTF-8 sequence.
fn clamp(span: Span, source: &str) -> Range<usize> {
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

/// A message, label or note made safe for its place in the layout: cut after
/// [`TEXT_MAX`] characters, control characters other than tabs and line breaks
/// escaped (`\r`, `\u{1b}`), trailing line breaks dropped. Other line breaks
/// are kept, each followed by `indent` spaces, or with `indent` `None` (a
/// label, which has one line) written as `\n`.
fn tidy(text: &str, indent: Option<usize>) -> String {
    let text = text.trim_end_matches('\n');
    if text.len() <= TEXT_MAX && !text.chars().any(|c| c.is_control() && c != '\t') {
        return text.to_string();
    }
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == TEXT_MAX {
            out.push_str(MARK);
            break;
        }
        match (c, indent) {
            ('\n', Some(width)) => {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', width));
            }
            ('\t', _) => out.push('\t'),
            (c, _) if c.is_control() => out.extend(c.escape_default()),
            (c, _) => out.push(c),
        }
    }
    out
}

/// The byte offset at which every line of the source starts; computed once
/// per rendering.
struct LineStarts {
    starts: Vec<usize>,
    len: usize,
}

impl LineStarts {
    fn new(source: &str) -> LineStarts {
        LineStarts { starts: files::line_starts(source).collect(), len: source.len() }
    }

    /// The index of the line holding `byte` (the last line for the end of the source).
    fn of(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s <= byte) - 1
    }

    /// A line's bytes, with its line break.
    fn range(&self, line: usize) -> Range<usize> {
        self.starts[line]..self.starts.get(line + 1).copied().unwrap_or(self.len)
    }
}

/// The byte `n` characters before `at`, or `floor`.
fn back(source: &str, floor: usize, at: usize, n: usize) -> usize {
    source[floor..at].char_indices().rev().nth(n.saturating_sub(1)).map_or(floor, |(i, _)| floor + i)
}

/// The byte `n` characters after `at`, or `ceiling`.
fn forward(source: &str, at: usize, ceiling: usize, n: usize) -> usize {
    source[at..ceiling].char_indices().nth(n).map_or(ceiling, |(i, _)| at + i)
}

/// The stretches of a long line's `content` to show: [`LINE_CONTEXT`]
/// characters either side of each point, merged when they are close; the
/// line's start when no span starts or ends on it.
fn windows(source: &str, content: &Range<usize>, points: &[usize]) -> Vec<Range<usize>> {
    let (start, end) = (content.start, content.end);
    let mut wanted: Vec<Range<usize>> = if points.is_empty() {
        std::iter::once(start..forward(source, start, end, LINE_MAX)).collect()
    } else {
        points
            .iter()
            .map(|&p| {
                let p = p.clamp(start, end);
                back(source, start, p, LINE_CONTEXT)..forward(source, p, end, LINE_CONTEXT)
            })
            .collect()
    };
    wanted.sort_by_key(|w| w.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(wanted.len());
    for w in wanted {
        match merged.last_mut() {
            Some(last) if w.start <= forward(source, last.end, end, GAP_KEPT) => last.end = last.end.max(w.end),
            _ => merged.push(w),
        }
    }
    if let Some(first) = merged.first_mut() {
        if forward(source, start, end, GAP_KEPT) >= first.start {
            first.start = start;
        }
    }
    if let Some(last) = merged.last_mut() {
        if forward(source, last.end, end, GAP_KEPT) >= end {
            last.end = end;
        }
    }
    merged
}

/// A stretch of a source line that is shown: the source bytes `real` are at
/// `text` in the view, and `column` is the true (0-based) column of `real.start`.
struct Piece {
    real: Range<usize>,
    text: usize,
    column: usize,
}

/// A shown line: its index in the source, its bytes in the view, its pieces.
struct ViewLine {
    line: usize,
    text: Range<usize>,
    pieces: Vec<Piece>,
}

/// What codespan sees of the source for one diagnostic: only the lines it
/// shows, each long one cut to its [`windows`] with [`MARK`] for what is left
/// out, under their true line numbers and columns. The spans of the
/// diagnostic are moved into the view with [`View::place`].
struct View<'a> {
    name: &'a str,
    source: &'a str,
    starts: &'a LineStarts,
    text: String,
    /// Sorted by line.
    lines: Vec<ViewLine>,
}

impl<'a> View<'a> {
    /// The view for a diagnostic whose labels cover `ranges` of the source.
    fn new(name: &'a str, source: &'a str, starts: &'a LineStarts, ranges: &[Range<usize>]) -> View<'a> {
        // The lines codespan renders (see `codespan_reporting::term::views`):
        // a label's first and last line, with the config's defaults the three
        // lines after its first and the one before its last, and a single
        // line between two rendered ones. Each with the label ends on it.
        let mut points: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for r in ranges {
            let (first, last) = (starts.of(r.start), starts.of(r.end));
            points.entry(first).or_default().push(r.start);
            points.entry(last).or_default().push(r.end);
            for line in (first + 1..=last.min(first + 3)).chain(last.saturating_sub(1).max(first)..last) {
                points.entry(line).or_default();
            }
        }
        let shown: Vec<usize> = points.keys().copied().collect();
        for pair in shown.windows(2) {
            if pair[1] == pair[0] + 2 {
                points.entry(pair[0] + 1).or_default();
            }
        }
        let mut view = View { name, source, starts, text: String::new(), lines: Vec::with_capacity(points.len()) };
        for (line, line_points) in points {
            view.push_line(line, &line_points);
        }
        view
    }

    fn push_line(&mut self, line: usize, points: &[usize]) {
        let source = self.source;
        let range = self.starts.range(line);
        let content = range.start..range.start + source[range.clone()].trim_end_matches(['\n', '\r']).len();
        let text_start = self.text.len();
        let mut pieces = Vec::new();
        if content.len() <= LINE_MAX || source[content.clone()].chars().count() <= LINE_MAX {
            pieces.push(Piece { real: range.clone(), text: text_start, column: 0 });
            self.text.push_str(&source[range.clone()]);
        } else {
            let (mut counted, mut column) = (content.start, 0);
            for w in windows(source, &content, points) {
                if w.start > counted {
                    self.text.push_str(MARK);
                }
                column += source[counted..w.start].chars().count();
                // The last stretch carries the line break, if it reaches it.
                let real = if w.end == content.end { w.start..range.end } else { w.clone() };
                pieces.push(Piece { real: real.clone(), text: self.text.len(), column });
                self.text.push_str(&source[real]);
                column += source[w.clone()].chars().count();
                counted = w.end;
            }
            if counted < content.end {
                self.text.push_str(MARK);
                self.text.push_str(&source[content.end..range.end]);
            }
        }
        self.lines.push(ViewLine { line, text: text_start..self.text.len(), pieces });
    }

    /// Where a byte of the source is in the view: exact inside a shown
    /// stretch, at the [`MARK`] that stands for it otherwise. A label's ends
    /// are always inside shown stretches.
    fn place(&self, byte: usize) -> usize {
        let line = self.starts.of(byte);
        let Ok(k) = self.lines.binary_search_by_key(&line, |l| l.line) else {
            return self.text.len();
        };
        let pieces = &self.lines[k].pieces;
        for p in pieces {
            if byte < p.real.start {
                return p.text - MARK.len();
            }
            if byte <= p.real.end {
                return p.text + (byte - p.real.start);
            }
        }
        pieces.last().map_or(self.lines[k].text.start, |p| p.text + p.real.len())
    }

    /// The true column (0-based) of a byte of the view on a shown line.
    fn column(&self, line: usize, byte: usize) -> usize {
        let Ok(k) = self.lines.binary_search_by_key(&line, |l| l.line) else {
            return 0;
        };
        let Some(p) = self.lines[k].pieces.iter().rev().find(|p| p.text <= byte) else {
            return 0;
        };
        let offset = (byte - p.text).min(p.real.len());
        p.column + self.source[p.real.start..p.real.start + offset].chars().count()
    }
}

impl<'a> Files<'a> for View<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.text)
    }

    fn line_index(&'a self, (): (), byte: usize) -> Result<usize, files::Error> {
        let k = self.lines.partition_point(|l| l.text.start <= byte).saturating_sub(1);
        Ok(self.lines.get(k).map_or(0, |l| l.line))
    }

    /// A shown line's bytes; a line that is not shown (inside a long
    /// multi-line span) is empty.
    fn line_range(&'a self, (): (), line: usize) -> Result<Range<usize>, files::Error> {
        let count = self.starts.starts.len();
        if line >= count {
            return Err(files::Error::LineTooLarge { given: line, max: count - 1 });
        }
        let k = self.lines.partition_point(|l| l.line < line);
        Ok(match self.lines.get(k) {
            Some(l) if l.line == line => l.text.clone(),
            Some(l) => l.text.start..l.text.start,
            None => self.text.len()..self.text.len(),
        })
    }

    /// A byte-order mark at the start of the file is not a column.
    fn column_number(&'a self, (): (), line: usize, byte: usize) -> Result<usize, files::Error> {
        let column = self.column(line, byte);
        let bom = usize::from(line == 0 && column > 0 && self.source.starts_with('\u{FEFF}'));
        Ok(column + 1 - bom)
    }
}

/// The diagnostic for codespan, its spans moved into `view`.
fn to_codespan(d: &Diagnostic, view: &View, ranges: &[Range<usize>]) -> CsDiagnostic<()> {
    let (severity, word) = match d.severity {
        Severity::Error => (CsSeverity::Error, "error"),
        Severity::Warning => (CsSeverity::Warning, "warning"),
    };
    let labels = ranges
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let range = view.place(r.start)..view.place(r.end);
            match k {
                0 => CsLabel::primary((), range).with_message(tidy(&d.label, None)),
                _ => CsLabel::secondary((), range).with_message(tidy(&d.secondary[k - 1].message, None)),
            }
        })
        .collect();
    CsDiagnostic::new(severity)
        .with_code(d.code)
        .with_message(header(word, d.code, &d.message))
        .with_labels(labels)
        .with_notes(d.notes.iter().map(|n| tidy(n, Some(0))).collect())
}

/// A message for the heading `word[code]: message`: its later lines are
/// indented to start under its first.
fn header(word: &str, code: &str, message: &str) -> String {
    tidy(message, Some(word.len() + code.len() + 4))
}

/// Writes one diagnostic; only a failure of the writer is an error.
fn emit(out: &mut dyn WriteColor, view: &View, d: &CsDiagnostic<()>) -> std::io::Result<()> {
    match term::emit(out, &Config::default(), view, d) {
        Err(files::Error::Io(error)) => Err(error),
        // The other errors are spans outside the file, which `clamp` rules out.
        Ok(()) | Err(_) => Ok(()),
    }
}

/// `1980` as `1,980`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The line that stands for the diagnostics of a code left out:
/// `... and 1,980 more warnings W0002 like these`.
fn omitted_line(severity: Severity, code: &str, omitted: usize) -> String {
    let word = match (severity, omitted) {
        (Severity::Error, 1) => "error",
        (Severity::Error, _) => "errors",
        (Severity::Warning, 1) => "warning",
        (Severity::Warning, _) => "warnings",
    };
    format!("... and {} more {word} {code} like these", thousands(omitted))
}

/// Renders diagnostics for one file, in their order. `name` is the file name
/// shown (as given on the command line). Of each code the first
/// [`SHOWN_PER_CODE`] are shown; then one line per code with more says how
/// many were left out, errors first. A warning never takes an error's place:
/// each code is counted on its own. Fails only when writing to `out` fails.
pub fn render_diagnostics(
    out: &mut dyn WriteColor,
    name: &str,
    source: &str,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    let starts = LineStarts::new(source);
    // Per severity and code, in order of first appearance: how many there are.
    let mut counts: Vec<(Severity, &str, usize)> = Vec::new();
    for d in diagnostics {
        let k = match counts.iter().position(|&(s, c, _)| s == d.severity && c == d.code) {
            Some(k) => k,
            None => {
                counts.push((d.severity, d.code, 0));
                counts.len() - 1
            }
        };
        counts[k].2 += 1;
        if counts[k].2 > SHOWN_PER_CODE {
            continue;
        }
        let ranges: Vec<Range<usize>> =
            std::iter::once(d.span).chain(d.secondary.iter().map(|l| l.span)).map(|s| clamp(s, source)).collect();
        let view = View::new(name, source, &starts, &ranges);
        emit(out, &view, &to_codespan(d, &view, &ranges))?;
    }
    let errors = counts.iter().filter(|c| c.0 == Severity::Error);
    for &(severity, code, count) in errors.chain(counts.iter().filter(|c| c.0 == Severity::Warning)) {
        if count > SHOWN_PER_CODE {
            writeln!(out, "{}", omitted_line(severity, code, count - SHOWN_PER_CODE))?;
        }
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
/// note. A message of several lines (`fail("a\nb")`) keeps its lines in the
/// heading, indented under the first, and shows them as `\n` in the label.
/// Fails only when writing to `out` fails.
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
        let starts = LineStarts::new("");
        let view = View::new(name, "", &starts, &[]);
        let cs = CsDiagnostic::error()
            .with_code("R0001")
            .with_message(header("error", "R0001", message))
            .with_notes(d.notes.iter().map(|n| tidy(n, Some(0))).collect());
        emit(out, &view, &cs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codespan_reporting::term::termcolor::NoColor;

    fn render(source: &str, diagnostics: &[Diagnostic]) -> String {
        let mut out = NoColor::new(Vec::new());
        render_diagnostics(&mut out, "m.usim", source, diagnostics).unwrap();
        String::from_utf8(out.into_inner()).unwrap()
    }

    fn at(source: &str, word: &str) -> Span {
        let start = source.find(word).unwrap();
        Span::new(start, start + word.len())
    }

    #[test]
    fn short_lines_render_as_codespan_does() {
        let source = "process main() { print(\"{cuont}\") }\nrun main()\n";
        let d = Diagnostic::error("E0105", "unknown name `cuont`", at(source, "cuont")).with_label("not defined");
        let mut plain = NoColor::new(Vec::new());
        let file = files::SimpleFile::new("m.usim", source);
        let range = clamp(d.span, source);
        let cs = CsDiagnostic::error()
            .with_code("E0105")
            .with_message("unknown name `cuont`")
            .with_labels(vec![CsLabel::primary((), range).with_message("not defined")]);
        term::emit(&mut plain, &Config::default(), &file, &cs).unwrap();
        assert_eq!(render(source, &[d]), String::from_utf8(plain.into_inner()).unwrap());
    }

    #[test]
    fn a_long_line_is_cut_around_the_span_with_the_true_column() {
        let source = format!("let x = 1{}cuont{} }}\nrun main()\n", " ".repeat(5_000), "y".repeat(3_000));
        let d = Diagnostic::error("E0105", "unknown name `cuont`", at(&source, "cuont")).with_label("not defined");
        let text = render(&source, &[d]);
        assert!(text.contains("m.usim:1:5010"), "{text}");
        assert!(text.len() < 2_000, "{} bytes", text.len());
        let line = text.lines().find(|l| l.contains("cuont") && l.starts_with('1')).unwrap();
        assert!(line.contains("…") && line.ends_with('…'), "{line}");
        assert_eq!(line.chars().filter(|&c| c == 'y').count(), LINE_CONTEXT);
        let carets = text.lines().find(|l| l.contains('^')).unwrap();
        assert!(carets.ends_with("^^^^^ not defined"), "{carets}");
        // The carets stand under the name.
        let column = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(column(line, "cuont"), column(carets, "^"));
    }

    #[test]
    fn distant_spans_on_one_line_get_a_stretch_each() {
        let source = format!("a{}b{}c\n", "x".repeat(10_000), "x".repeat(10_000));
        let d = Diagnostic::error("E0101", "twice", at(&source, "c"))
            .with_label("second")
            .with_secondary(at(&source, "b"), "first");
        let text = render(&source, &[d]);
        assert!(text.contains("m.usim:1:20003"), "{text}");
        let line = text.lines().find(|l| l.starts_with('1')).unwrap();
        assert_eq!(line.matches('…').count(), 2, "{line}");
        assert!(line.chars().count() < 3 * LINE_MAX, "{line}");
    }

    #[test]
    fn a_long_multi_line_span_shows_its_ends() {
        let long = "z".repeat(100_000);
        let source = format!("{long}\n{long}\n{long}\n{long}\n{long}\n{long}\n{long}\n");
        let d = Diagnostic::error("E0001", "spread", Span::new(50_000, 6 * 100_001 + 50_000)).with_label("here");
        let text = render(&source, &[d]);
        assert!(text.contains("m.usim:1:50001"), "{text}");
        assert!(text.contains("here") && text.len() < 20_000, "{text}");
    }

    #[test]
    fn many_diagnostics_of_one_code_are_counted_in_one_line() {
        let source = "x\n".repeat(3_000);
        let mut diagnostics: Vec<Diagnostic> =
            (0..2_000).map(|i| Diagnostic::warning("W0002", "does nothing", Span::new(2 * i, 2 * i + 1))).collect();
        diagnostics
            .extend((0..25).map(|i| Diagnostic::error("E0105", "unknown", Span::new(4_000 + 2 * i, 4_001 + 2 * i))));
        diagnostics.push(Diagnostic::error("E0201", "mismatch", Span::new(5_000, 5_001)));
        let text = render(&source, &diagnostics);
        assert_eq!(text.matches("warning[W0002]").count(), SHOWN_PER_CODE);
        assert_eq!(text.matches("error[E0105]").count(), SHOWN_PER_CODE);
        assert_eq!(text.matches("error[E0201]").count(), 1);
        let tail: Vec<&str> = text.lines().filter(|l| l.starts_with("...")).collect();
        assert_eq!(tail, ["... and 5 more errors E0105 like these", "... and 1,980 more warnings W0002 like these"]);
        assert!(text.ends_with("like these\n"));
    }

    #[test]
    fn one_more_is_singular() {
        assert_eq!(omitted_line(Severity::Warning, "W0001", 1), "... and 1 more warning W0001 like these");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn a_message_of_several_lines_keeps_the_layout() {
        let source = "process main() { fail(\"a\\nb\") }\nrun main()\n";
        let start = source.find("fail").unwrap() as u32;
        let mut out = NoColor::new(Vec::new());
        render_runtime_error(&mut out, "m.usim", source, "first\nsecond\r", Some((start, start + 13)), 0.0, "main")
            .unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "error[R0001]: first");
        assert_eq!(lines[1], "              second\\r");
        assert!(lines[2].starts_with("  ┌─ m.usim:1:18"), "{text}");
        assert!(text.contains("^ first\\nsecond\\r"), "{text}");
        assert!(text.contains("= at simulated time 0 in process main"), "{text}");
    }

    #[test]
    fn long_messages_are_cut() {
        let message = "m".repeat(5 * TEXT_MAX);
        let text = render("x\n", &[Diagnostic::error("E0105", message, Span::new(0, 1))]);
        assert!(text.len() < 2 * TEXT_MAX, "{} bytes", text.len());
        assert!(text.contains("m…"));
    }

    #[test]
    fn spans_at_the_end_and_inside_characters_render() {
        for source in ["", "é", "abc", "a\n", "a\r\nb"] {
            for (start, end) in [(0, 0), (0, 1), (1, 1), (1, 9), (9, 9)] {
                let text = render(source, &[Diagnostic::error("E0001", "e", Span::new(start, end))]);
                assert!(text.contains("error[E0001]: e"), "{source:?} {start} {end}: {text}");
            }
        }
    }
}
