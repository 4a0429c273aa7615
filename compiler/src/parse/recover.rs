//! Recovery after a syntax error, so that one error does not hide the others.
//!
//! When the file does not parse, it is read again by `recover_file` (see the
//! grammar) as a sequence of items that parse and *junk*: a stretch that
//! does not, running to the next line that starts, in its first column, with
//! an item keyword (`param const var struct lock channel queue resource fn
//! process run`) or a Python `def`, `class`, `import` or `from`. The items
//! are built as usual; each junk is parsed again on its own for its first
//! error, and its item is left out of the tree.
//!
//! Inside a junk, recovery goes on where a boundary is unambiguous: at the
//! first line after the error that starts outside any `(` or `[` and after a
//! line that does not continue (one ending in an operator, `,`, `(`, `[` or
//! `.`). Inside a body, that line must be inside a block (not a `select`, a
//! struct declaration or a struct literal) and not start with `else`, `=>`,
//! `.` or an operator: from there `recover_tail` reads statements (and `}`
//! closing the blocks the skipped line opened) to the end of the body, and
//! `recover_rest` what follows the body. Outside every brace, a line that
//! starts in the first column is read as items again (`chunk`): so each line
//! of a Python script's top level gets its own error. Each error found so
//! starts the next round, up to [`MAX_SYNTAX_ERRORS`] in all.

use pest::iterators::Pair;
use pest::Parser as _;

use crate::diagnostic::Diagnostic;
use crate::span::Span;

use super::build::Builder;
use super::scan::{Kind, Scan};
use super::syntax_error::{error_offset, syntax_error, Context};
use super::{Rule, UsimParser, E_SYNTAX};

/// At most this many syntax errors are looked for in one file: each one
/// after the first of a stretch costs a parse of the rest of its body.
pub(super) const MAX_SYNTAX_ERRORS: usize = 1_000;

/// A piece of a file read by `recover_file`.
pub(super) enum Piece<'i> {
    /// An item that parses (a `Rule::item` pair).
    Item(Pair<'i, Rule>),
    /// Text that does not, from `start` to where the next piece starts.
    Junk { start: usize, end: usize },
}

/// Splits a source that failed to parse into items and junk; `None` only
/// if the recovery grammar itself gives up (the call limit).
pub(super) fn pieces(source: &str) -> Option<Vec<Piece<'_>>> {
    let file = UsimParser::parse(Rule::recover_file, source).ok()?.next()?;
    let mut pieces = Vec::new();
    for pair in file.into_inner() {
        match pair.as_rule() {
            Rule::item => pieces.push(Piece::Item(pair)),
            Rule::junk => pieces.push(Piece::Junk { start: pair.as_span().start(), end: pair.as_span().end() }),
            _ => {}
        }
    }
    // A junk runs to where the next piece starts, so an item left open is
    // reported at the keyword of the next one, as the whole-file parse would.
    let mut next = source.len();
    for piece in pieces.iter_mut().rev() {
        match piece {
            Piece::Item(pair) => next = pair.as_span().start(),
            Piece::Junk { start, end } => {
                *end = next;
                next = *start;
            }
        }
    }
    Some(pieces)
}

/// The names the items in a junk would have defined: every line of it that
/// starts with an item keyword (or a misspelling of one, or `def`, `class`)
/// and a name, or in the first column with a name and `=` (a Python global).
/// Uses of these names elsewhere are not reported as unknown.
pub(super) fn junk_names(text: &str) -> Vec<String> {
    const ITEMS: [&str; 10] =
        ["param", "const", "var", "struct", "lock", "channel", "queue", "resource", "fn", "process"];
    let mut names = Vec::new();
    for line in text.lines() {
        let mut words = line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
        let (Some(first), Some(second)) = (words.next(), words.next()) else { continue };
        let trimmed = line.trim_start();
        // The keyword, spaces, the name: `process main`, `proces main`.
        let starts = trimmed.starts_with(first) && trimmed[first.len()..].starts_with([' ', '\t']);
        let misspelt = first.len() >= 4 && first != "from" && crate::check::closest(first, ITEMS.into_iter()).is_some();
        let definer = ITEMS.contains(&first) || matches!(first, "def" | "class") || misspelt;
        if starts && definer && !second.starts_with(|c: char| c.is_ascii_digit()) {
            names.push(second.to_string());
        }
        // A Python module-level variable, `RATE = 2.0` or `n: int = 0`.
        let rest = line.strip_prefix(first).unwrap_or("").trim_start();
        let assigns =
            (rest.starts_with('=') && !rest.starts_with("==")) || (rest.starts_with(':') && rest.contains('='));
        if line.starts_with(first) && assigns && !first.starts_with(|c: char| c.is_ascii_digit()) {
            names.push(first.to_string());
        }
    }
    names
}

/// The syntax errors of the junk `source[start..end]`: its first, and then
/// those found by recovering at statement boundaries. `budget` counts down
/// the errors the file may still report.
pub(super) fn junk_errors(source: &str, start: usize, end: usize, budget: &mut usize) -> Vec<Diagnostic> {
    let text = &source[start..end];
    let first = match UsimParser::parse(Rule::chunk, text) {
        Err(err) => err,
        // Only a stretch cut short by a comment that is never closed parses
        // on its own; the comment is reported.
        Ok(_) if source[end..].starts_with("/*") => return Vec::new(),
        // Not expected: a stretch that parses alone parses in the file too.
        Ok(_) => {
            let d = Diagnostic::error(E_SYNTAX, "syntax error in this item", Span::new(start, start + 1))
                .with_label("somewhere in the item that starts here");
            return vec![d];
        }
    };
    let mut diags = vec![syntax_error(source, start, &first, Context::Items)];
    *budget = budget.saturating_sub(1);
    if matches!(first.variant, pest::error::ErrorVariant::CustomError { .. }) {
        return diags;
    }
    let scan = LineScan::of(text);
    let mut at = error_offset(&first);
    let tail_end = scan.body_end.map_or(text.len(), |e| e + 1);
    while *budget > 0 {
        let Some((resume, kind)) = scan.resume_after(text, at) else { break };
        if kind == Resume::Items {
            // A new line at the top level: what follows is items again.
            match UsimParser::parse(Rule::chunk, &text[resume..]) {
                Ok(_) => break,
                Err(err) => {
                    diags.push(syntax_error(source, start + resume, &err, Context::Items));
                    *budget -= 1;
                    at = resume + error_offset(&err);
                    continue;
                }
            }
        }
        if resume >= tail_end {
            break;
        }
        match UsimParser::parse(Rule::recover_tail, &text[resume..tail_end]) {
            Err(err) => {
                diags.push(syntax_error(source, start + resume, &err, Context::Statements));
                *budget -= 1;
                if matches!(err.variant, pest::error::ErrorVariant::CustomError { .. }) {
                    break;
                }
                at = resume + error_offset(&err);
            }
            Ok(mut pairs) => {
                // The statements to the end of the body parse: build them for
                // the problems only the builder sees (literals, chained
                // comparisons, a line starting with `-`).
                if let Some(tail) = pairs.next() {
                    let mut builder = Builder::new();
                    if builder.statements(tail.into_inner()).is_ok() {
                        diags.extend(builder.diags.into_iter().map(|d| shifted(d, start + resume)));
                    }
                }
                // What is after the body?
                let Some(body_end) = scan.body_end else {
                    diags.push(unclosed_body(source, start, end, &scan));
                    break;
                };
                // A stray `}` there most likely closes what the line with
                // the error opened: a cascade, not news.
                let rest = body_end + 1;
                if text[rest..].trim_start().starts_with('}') {
                    break;
                }
                match UsimParser::parse(Rule::recover_rest, &text[rest..]) {
                    Ok(_) => break,
                    Err(err) => {
                        diags.push(syntax_error(source, start + rest, &err, Context::AfterBody));
                        *budget -= 1;
                        at = rest + error_offset(&err);
                    }
                }
            }
        }
    }
    diags
}

/// A diagnostic of a parse of `source[by..]`, moved to point into `source`.
fn shifted(mut d: Diagnostic, by: usize) -> Diagnostic {
    let shift = |span: Span| Span::new(span.start as usize + by, span.end as usize + by);
    d.span = shift(d.span);
    for label in &mut d.secondary {
        label.span = shift(label.span);
    }
    d
}

/// A body still open where its junk ends, after the statements in it parsed.
fn unclosed_body(source: &str, start: usize, end: usize, scan: &LineScan) -> Diagnostic {
    let at_end = end >= source.len();
    let found = source[end..].split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("");
    let (text, span) = if at_end || found.is_empty() {
        ("end of file".to_string(), Span::new(end, end))
    } else {
        (format!("`{found}`"), Span::new(end, end + found.len()))
    };
    let label = if at_end { "the file ends here".to_string() } else { format!("unexpected {text}") };
    let mut diag =
        Diagnostic::error(E_SYNTAX, format!("expected a statement or `}}`, found {text}"), span).with_label(label);
    if let Some(open) = scan.open_at_end {
        let what = if at_end { "this `{` is never closed" } else { "`{` opened here" };
        diag = diag.with_secondary(Span::new(start + open, start + open + 1), what);
    }
    diag
}

/// What kind of `{` a brace is, as far as recovery needs to know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Brace {
    /// The braces of a body or a statement's block: they hold statements.
    Block,
    /// A `select`, a struct declaration or a struct literal.
    Other,
}

/// The state at the start of a line.
struct Line {
    at: usize,
    /// `(` and `[` open.
    parens: usize,
    /// Braces open, and whether every one of them holds statements.
    braces: usize,
    all_blocks: bool,
    /// The code before the line ends in an operator, `,`, `(`, `[` or `.`.
    continues: bool,
    /// The line starts inside a `/* */` comment.
    in_comment: bool,
}

/// One pass over a junk's text: the state at each line start, and where the
/// item's body (its first brace) closes.
struct LineScan {
    lines: Vec<Line>,
    /// The offset of the `}` that closes the first `{`.
    body_end: Option<usize>,
    /// The innermost brace still open at the end.
    open_at_end: Option<usize>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl LineScan {
    fn of(text: &str) -> LineScan {
        let bytes = text.as_bytes();
        let mut lines = Vec::new();
        let mut stack: Vec<(Brace, usize)> = Vec::new();
        let mut parens = 0usize;
        let mut body_end = None;
        let mut last_code: Option<u8> = None;
        let mut before_last: Option<u8> = None;
        // The state at the start of the line after the `\n` at `i`.
        let line_after = |i: usize, parens: usize, stack: &[(Brace, usize)], last: [Option<u8>; 2], in_comment| {
            // `x++` and `x--` (errors themselves) continue nothing.
            let doubled = matches!(last, [Some(b'+'), Some(b'+')] | [Some(b'-'), Some(b'-')]);
            let continues = !doubled
                && matches!(
                    last[1],
                    Some(
                        b'+' | b'-'
                            | b'*'
                            | b'/'
                            | b'%'
                            | b'<'
                            | b'>'
                            | b'='
                            | b'&'
                            | b'|'
                            | b'!'
                            | b','
                            | b'('
                            | b'['
                            | b'.'
                    )
                );
            Line {
                at: i + 1,
                parens,
                braces: stack.len(),
                all_blocks: stack.iter().all(|&(kind, _)| kind == Brace::Block),
                continues,
                in_comment,
            }
        };
        for segment in Scan::new(text) {
            match segment.kind {
                Kind::Code => {}
                // A string (and the code of its interpolations) is one
                // operand as far as lines go: only its line ends count.
                Kind::Quote | Kind::EndQuote => {
                    before_last = last_code;
                    last_code = Some(b'"');
                    continue;
                }
                Kind::Interp | Kind::BlockComment { .. } => {
                    let in_comment = segment.kind != Kind::Interp;
                    for i in (segment.start..segment.end).filter(|&i| bytes[i] == b'\n') {
                        lines.push(line_after(i, parens, &stack, [before_last, last_code], in_comment));
                    }
                    continue;
                }
                Kind::Text | Kind::InterpOpen | Kind::InterpClose | Kind::LineComment => continue,
            }
            for (i, &b) in bytes.iter().enumerate().take(segment.end).skip(segment.start) {
                match b {
                    b'\n' => {
                        lines.push(line_after(i, parens, &stack, [before_last, last_code], false));
                        continue;
                    }
                    b'(' | b'[' => parens += 1,
                    b')' | b']' => parens = parens.saturating_sub(1),
                    b'{' => stack.push((brace_kind(text, i), i)),
                    b'}' => {
                        let closed = stack.pop().is_some();
                        if closed && stack.is_empty() && body_end.is_none() {
                            body_end = Some(i);
                        }
                    }
                    _ => {}
                }
                if !matches!(b, b' ' | b'\t' | b'\r') {
                    before_last = last_code;
                    last_code = Some(b);
                }
            }
        }
        let open_at_end = stack.last().map(|&(_, at)| at);
        LineScan { lines, body_end, open_at_end }
    }

    /// The first line after the error at `at` where reading can go on, and
    /// as what: statements (inside a body, before it ends) or items (a line
    /// outside every bracket that starts in its first column).
    fn resume_after(&self, text: &str, at: usize) -> Option<(usize, Resume)> {
        let body_end = self.body_end.unwrap_or(text.len());
        self.lines.iter().filter(|l| l.at > at).find_map(|line| {
            let settled = line.parens == 0 && !line.continues && !line.in_comment;
            let start = text[line.at..].trim_start_matches([' ', '\t', '\r']);
            let first = start.as_bytes().first().copied()?;
            if settled && line.braces == 0 {
                let starts_item = start.len() == text.len() - line.at
                    && (first.is_ascii_alphabetic() || first == b'_' || first == b'#');
                return starts_item.then_some((line.at, Resume::Items));
            }
            let opens_badly = matches!(
                first,
                b'.' | b')'
                    | b']'
                    | b'{'
                    | b'='
                    | b'+'
                    | b'-'
                    | b'*'
                    | b'/'
                    | b'%'
                    | b'<'
                    | b'>'
                    | b'&'
                    | b'|'
                    | b'!'
                    | b':'
                    | b','
                    | b'\n'
            ) || starts_with_word(start, "else");
            let in_block = line.braces > 0 && line.all_blocks && line.at <= body_end;
            (settled && in_block && !opens_badly).then_some((line.at, Resume::Statements))
        })
    }
}

/// What recovery reads from a line on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resume {
    Statements,
    Items,
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.starts_with(word) && !text.as_bytes().get(word.len()).is_some_and(|&b| is_word_byte(b))
}

/// Whether the `{` at `i` opens a block of statements: not after `select`,
/// not a struct declaration (`struct Name {`), not a struct literal (the
/// next token is `name:`).
fn brace_kind(text: &str, i: usize) -> Brace {
    let before = text[..i].trim_end();
    // Where the word at the end of `before` starts: a char boundary, also
    // after a multi-byte character (`é{`).
    let last_word_start = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
    let last_word = &before[last_word_start..];
    let word_before_that = before[..last_word_start].trim_end();
    if last_word == "select" || word_before_that.ends_with("struct") && !last_word.is_empty() {
        return Brace::Other;
    }
    let after = text[i + 1..].trim_start();
    let name_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
    let rest = after[name_len..].trim_start_matches([' ', '\t']);
    if name_len > 0 && rest.starts_with(':') && !rest.starts_with("::") {
        return Brace::Other;
    }
    Brace::Block
}
