//! Parsing: model source text to an untyped `Module<()>` plus diagnostics.
//!
//! The grammar lives in `grammar/usim.pest`; this module runs it and turns the
//! pest pairs into the AST. The parser never fails and never panics: on
//! syntax errors it returns the items that parsed and a diagnostic for each
//! error it found (an item with an error is left out of the tree; see
//! `recover`).
//!
//! The work is split by concern: `limits` refuses input too large or too
//! deeply bracketed before the recursive grammar sees it, `recover` finds
//! the errors after the first, `syntax_error` explains pest's failures to a
//! modeller, `python` recognises the habits of Python and SimPy modellers,
//! and `build` turns the pairs into the tree. The hand-written scanners of
//! `limits`, `recover` and `python` tell code from strings and comments
//! through one lexical layer, `scan`.

mod build;
#[cfg(test)]
mod limit_tests;
mod limits;
mod python;
mod recover;
#[cfg(test)]
mod recover_tests;
mod scan;
mod syntax_error;
#[cfg(test)]
mod tests;

use std::num::NonZeroUsize;

use pest::Parser as _;
use pest_derive::Parser;

use crate::ast::Module;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

use build::{Builder, Stop};
use limits::scan_brackets;
use recover::Piece;
use syntax_error::{error_offset, syntax_error, unclosed_comment, Context};

#[derive(Parser)]
#[grammar = "../../grammar/usim.pest"]
struct UsimParser;

/// The largest source the parser accepts, in bytes.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;
/// How deeply brackets may nest: `(`, `[`, `{` (blocks, struct literals and
/// string interpolations), the `<` of `proc<T>` and `/*` comments, all on one
/// count. The grammar recurses once per level, so deeper input is refused by
/// a pre-scan before the grammar sees it. A level costs the parser about
/// 5 KiB of its 64 MiB stack in a release build (20 KiB in a debug build) and
/// the checker about 3 KiB, so nesting stays far from any stack.
pub const MAX_NESTING: usize = 256;
/// How deep the syntax tree may be, counted from the item through every
/// enclosing block, `else if` link and operator. The grammar and the builder
/// take chains (`1 + 1 + ...`, `- - x`, `a.b.c`, `else if`) without
/// recursion, but the tree they build is as deep as the chain, and the
/// checker, lowering and dropping the tree recurse over it. The checker is
/// the deepest: about 3.3 KiB of stack per `else if` link or block and
/// 2.7 KiB per binary operator in a release build, so the compiler thread of
/// `usimc` (512 MiB) takes about 160,000 levels. This limit leaves a chain of
/// 100,000 room for the code around it.
pub const MAX_TREE_DEPTH: usize = 110_000;
/// The budget of grammar rule calls for one parse. Real models use a few
/// dozen calls per byte (an 8 MiB model about 350 million); this bounds the
/// time any input can take to seconds.
const CALL_LIMIT: usize = 1_000_000_000;

/// Diagnostic codes of the parser.
pub const E_SYNTAX: &str = "E0001";
pub const E_LITERAL: &str = "E0002";
pub const E_CHAINED_COMPARISON: &str = "E0003";
pub const E_TOO_DEEP: &str = "E0004";
pub use python::{
    E_ASSIGN_IN_CONDITION, E_COLON_BLOCK, E_ELIF, E_HASH_COMMENT, E_LEADING_OPERATOR, E_NO_SUCH_OPERATOR,
    E_PYTHON_FORM, E_WORD_OPERATOR, E_YIELD, W_SLASH_SLASH,
};

/// A parsed model: the tree of the items that parsed, every problem found,
/// and what was left out of the tree.
pub struct Parsed {
    pub module: Module<()>,
    pub diagnostics: Vec<Diagnostic>,
    /// The names the items left out would have defined.
    pub omitted: Vec<String>,
    /// Whether the module is worth checking: false when a limit stopped the
    /// parse, so that the tree is empty whatever the model holds.
    pub checkable: bool,
}

impl Parsed {
    fn fatal(diagnostics: Vec<Diagnostic>) -> Parsed {
        Parsed { module: Module { items: Vec::new() }, diagnostics, omitted: Vec::new(), checkable: false }
    }

    /// Whether a diagnostic of the checker may only follow from the syntax
    /// errors: a model without `run` (E0103) while the file has one, or a
    /// use of a name that an item left out would have defined (its span is
    /// that name, or its message quotes it).
    pub fn explains(&self, source: &str, d: &Diagnostic) -> bool {
        let has_errors = self.diagnostics.iter().any(Diagnostic::is_error);
        if !has_errors {
            return false;
        }
        if d.code == "E0103" {
            return true;
        }
        let spelled = source.get(d.span.range()).unwrap_or("");
        self.omitted.iter().any(|name| spelled == name || d.message.contains(&format!("`{name}`")))
    }
}

/// The comments of a source, in order, as the grammar reads them: `//` to
/// the end of its line (the line end left out) and `/* */` with the
/// comments nested in it. A comment inside a string's interpolation belongs
/// to that string and is not listed.
pub fn comments(source: &str) -> Vec<Span> {
    let mut found = Vec::new();
    let mut in_string = false;
    for segment in scan::Scan::new(source) {
        match segment.kind {
            scan::Kind::Quote => in_string = true,
            scan::Kind::EndQuote | scan::Kind::Code => in_string = false,
            scan::Kind::LineComment | scan::Kind::BlockComment { .. } if !in_string => {
                found.push(Span::new(segment.start, segment.end));
            }
            _ => {}
        }
    }
    found
}

/// Parses a model. Always returns a module (the items without errors; empty
/// after a limit) and the problems found.
pub fn parse(source: &str) -> (Module<()>, Vec<Diagnostic>) {
    let parsed = parse_model(source);
    (parsed.module, parsed.diagnostics)
}

/// Parses a model, with what was left out of the tree.
pub fn parse_model(source: &str) -> Parsed {
    // The grammar and the tree builder recurse once per bracket level, with
    // large frames in debug builds; a thread with its own roomy stack makes
    // the parse independent of the caller's stack (test threads get 2 MiB).
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("usim-parse".to_string())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, || parse_on_this_thread(source));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                let diag = Diagnostic::error(
                    E_SYNTAX,
                    "internal error: the parser crashed (this is a bug in usimc)",
                    Span::new(0, 0),
                );
                Parsed::fatal(vec![diag])
            }),
            Err(_) => parse_on_this_thread(source),
        }
    })
}

/// The stack of the parsing thread. Only the pages used are committed.
const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

fn parse_on_this_thread(source: &str) -> Parsed {
    if source.len() > MAX_SOURCE_BYTES {
        let diag = Diagnostic::error(
            E_TOO_DEEP,
            format!("the model is too large: {} bytes, the limit is 8 MiB", source.len()),
            Span::new(0, 0),
        );
        return Parsed::fatal(vec![diag]);
    }
    let scan = scan_brackets(source);
    if let Some(at) = scan.too_deep {
        let message = format!("brackets nest too deeply (more than {MAX_NESTING} levels)");
        let note = format!(
            "at most {MAX_NESTING} brackets, blocks and `/*` comments can be open at once; \
             move the inner part into a `fn` or a `let`"
        );
        let diag = Diagnostic::error(E_TOO_DEEP, message, at)
            .with_label(format!("this opens level {}", MAX_NESTING + 1))
            .with_note(note);
        return Parsed::fatal(vec![diag]);
    }

    pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT));
    // `x //= 2` and `7 // 2` parse: `//` starts a comment.
    let mut diags = python::comment_habits(source);
    let pieces: Vec<Piece<'_>> = match UsimParser::parse(Rule::file, source) {
        Ok(mut pairs) => {
            let file = pairs.next().map(|file| file.into_inner());
            file.into_iter().flatten().filter(|p| p.as_rule() == Rule::item).map(Piece::Item).collect()
        }
        Err(err) => {
            let too_long = matches!(err.variant, pest::error::ErrorVariant::CustomError { .. });
            match recover::pieces(source).filter(|_| !too_long) {
                Some(pieces) => pieces,
                None => {
                    // An unclosed `/*` swallows the rest of the file: that, and
                    // not the token the grammar stumbled on, is the error,
                    // unless the grammar failed earlier.
                    let diag = match scan.unclosed_comment {
                        Some(at) if error_offset(&err) >= at => unclosed_comment(at),
                        _ => syntax_error(source, 0, &err, Context::Items),
                    };
                    return Parsed::fatal(vec![diag]);
                }
            }
        }
    };

    // Everything from a `/*` that is never closed is comment.
    let comment = scan.unclosed_comment.unwrap_or(source.len());
    let lexical_errors: Vec<Span> = diags.iter().filter(|d| d.is_error()).map(|d| d.span).collect();
    let mut builder = Builder::new();
    let mut items = Vec::new();
    let mut omitted = Vec::new();
    let mut budget = recover::MAX_SYNTAX_ERRORS;
    for piece in pieces {
        match piece {
            Piece::Item(pair) => {
                let span = pair.as_span();
                if span.start() >= comment {
                    continue;
                }
                let before = builder.diags.len();
                match builder.item_pair(pair) {
                    Ok(item) => {
                        let built_error = builder.diags[before..].iter().any(Diagnostic::is_error);
                        let lexical_error =
                            lexical_errors.iter().any(|e| item.span.start <= e.start && e.start < item.span.end);
                        if built_error || lexical_error {
                            omitted.extend(item_name(&item));
                        } else {
                            items.push(item);
                        }
                    }
                    Err(stop) => {
                        builder.diags.push(stop_diagnostic(stop));
                        return Parsed::fatal(builder.diags);
                    }
                }
            }
            Piece::Junk { start, end } => {
                omitted.extend(recover::junk_names(&source[start..end]));
                let end = end.min(comment);
                if start < end && budget > 0 {
                    diags.extend(recover::junk_errors(source, start, end, &mut budget));
                }
            }
        }
    }
    diags.append(&mut builder.diags);
    if let Some(at) = scan.unclosed_comment {
        // The file failed to parse; errors at the comment or after it are the comment's.
        diags.retain(|d| (d.span.start as usize) < at);
        diags.push(unclosed_comment(at));
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    Parsed { module: Module { items }, diagnostics: diags, omitted, checkable: true }
}

/// The name an item defines, if it defines one.
fn item_name(item: &crate::ast::Item<()>) -> Option<String> {
    use crate::ast::ItemKind::*;
    let name = match &item.kind {
        Param { name, .. } | Const { name, .. } | Var { name, .. } | Struct { name, .. } => name,
        Lock { name, .. } | Channel { name, .. } | Queue { name, .. } | Resource { name, .. } => name,
        Fn(callable) | Process(callable) => &callable.name,
        Run { .. } => return None,
    };
    Some(name.name.clone())
}

/// The diagnostic for a tree builder that stopped.
fn stop_diagnostic(stop: Stop) -> Diagnostic {
    match stop {
        Stop::TooDeep(span) => Diagnostic::error(
            E_TOO_DEEP,
            format!("nested too deeply: the syntax tree is more than {MAX_TREE_DEPTH} levels deep here"),
            span,
        )
        .with_label(format!("level {} starts here", MAX_TREE_DEPTH + 1))
        .with_note(
            "every operator of a chain like `1 + 1 + 1 ...` or `- - x`, every `else if` and every block \
             is one level; split long chains into several statements",
        ),
        Stop::Shape(span) => Diagnostic::error(
            E_SYNTAX,
            "internal error: the parser built an unexpected tree (this is a bug in usimc)",
            span,
        ),
    }
}
