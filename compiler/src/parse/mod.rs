//! Parsing: model source text to an untyped `Module<()>` plus diagnostics.
//!
//! The grammar lives in `grammar/usim.pest`; this module runs it and turns the
//! pest pairs into the AST. The parser never fails and never panics: on a
//! syntax error it returns an empty module and one diagnostic.
//!
//! The work is split by concern: `limits` refuses input too large or too
//! deeply bracketed before the recursive grammar sees it, `syntax_error`
//! explains pest's failures to a modeller, and `build` turns the pairs into
//! the tree.

mod build;
#[cfg(test)]
mod limit_tests;
mod limits;
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
use syntax_error::{error_offset, syntax_error, unclosed_comment};

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

/// Parses a model. Always returns a module (empty after a syntax error or a
/// nesting limit, complete after a bad literal or a chained comparison) and
/// the problems found.
pub fn parse(source: &str) -> (Module<()>, Vec<Diagnostic>) {
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
                (Module { items: Vec::new() }, vec![diag])
            }),
            Err(_) => parse_on_this_thread(source),
        }
    })
}

/// The stack of the parsing thread. Only the pages used are committed.
const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

fn parse_on_this_thread(source: &str) -> (Module<()>, Vec<Diagnostic>) {
    let empty = || Module { items: Vec::new() };
    if source.len() > MAX_SOURCE_BYTES {
        let diag = Diagnostic::error(
            E_TOO_DEEP,
            format!("the model is too large: {} bytes, the limit is 8 MiB", source.len()),
            Span::new(0, 0),
        );
        return (empty(), vec![diag]);
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
        return (empty(), vec![diag]);
    }

    pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT));
    let pairs = match UsimParser::parse(Rule::file, source) {
        Ok(pairs) => pairs,
        Err(err) => {
            // An unclosed `/*` swallows the rest of the file: that, and not
            // the token the grammar stumbled on, is the error, unless the
            // grammar failed earlier.
            let diag = match scan.unclosed_comment {
                Some(at) if error_offset(&err) >= at => unclosed_comment(at),
                _ => syntax_error(source, &err),
            };
            return (empty(), vec![diag]);
        }
    };

    let mut builder = Builder::new();
    match builder.file(pairs) {
        Ok(items) => (Module { items }, builder.diags),
        Err(Stop::TooDeep(span)) => {
            let diag = Diagnostic::error(
                E_TOO_DEEP,
                format!("nested too deeply: the syntax tree is more than {MAX_TREE_DEPTH} levels deep here"),
                span,
            )
            .with_label(format!("level {} starts here", MAX_TREE_DEPTH + 1))
            .with_note(
                "every operator of a chain like `1 + 1 + 1 ...` or `- - x`, every `else if` and every block \
                 is one level; split long chains into several statements",
            );
            builder.diags.push(diag);
            (empty(), builder.diags)
        }
        Err(Stop::Shape(span)) => {
            let diag = Diagnostic::error(
                E_SYNTAX,
                "internal error: the parser built an unexpected tree (this is a bug in usimc)",
                span,
            );
            builder.diags.push(diag);
            (empty(), builder.diags)
        }
    }
}
