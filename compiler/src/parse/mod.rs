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
use syntax_error::syntax_error;

#[derive(Parser)]
#[grammar = "../../grammar/usim.pest"]
struct UsimParser;

/// The largest source the parser accepts, in bytes.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;
/// How deeply `(`, `[`, `{` and block comments may nest. Deeper input would
/// overflow the recursive-descent parser's stack, so it is refused up front.
pub const MAX_BRACKET_NESTING: usize = 128;
/// How deep an expression tree, or a nest of blocks and `else if` links, may
/// be. Later passes recurse over the tree, so the parser refuses deeper ones.
pub const MAX_TREE_DEPTH: usize = 1000;
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
        let diag = Diagnostic::error(
            E_TOO_DEEP,
            format!("brackets nest too deeply (more than {MAX_BRACKET_NESTING} levels)"),
            at,
        )
        .with_label("this opens one level too many")
        .with_note("split the expression or the block into smaller pieces");
        return (empty(), vec![diag]);
    }

    pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT));
    let pairs = match UsimParser::parse(Rule::file, source) {
        Ok(pairs) => pairs,
        Err(err) => return (empty(), vec![syntax_error(source, &err)]),
    };

    let mut builder = Builder::new();
    match builder.file(pairs) {
        Ok(items) => (Module { items }, builder.diags),
        Err(Stop::TooDeep(span)) => {
            let diag =
                Diagnostic::error(E_TOO_DEEP, format!("nested too deeply (more than {MAX_TREE_DEPTH} levels)"), span)
                    .with_label("the limit is reached here")
                    .with_note("split long chains of operators or `else if` into smaller pieces");
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
