//! `usimc fmt`: the one canonical layout of a usim model.
//!
//! The formatter reads a model with the compiler's own parser, prints the
//! tree again in the layout below, and puts every comment back where it
//! was (before the item or statement it stood before, or at the end of the
//! line it ended). The layout (docs/formatting.md):
//!
//! - four spaces per block level; one statement per line; `} else {`;
//! - one space around binary operators, after `,` and `:`, none inside
//!   brackets; `{ a: 1 }` in struct literals and declarations;
//! - a bracketed list (arguments, parameters, options, fields, elements)
//!   stays on one line if it fits in [`WIDTH`] columns, and otherwise has
//!   one entry per line, each followed by a comma; a long binary chain
//!   breaks after its operators;
//! - one blank line around a `struct`, `fn` and `process`; between other
//!   items, and between statements, at most one blank line, where the
//!   source had one;
//! - trailing comments of consecutive lines aligned, two spaces after the
//!   longest line.
//!
//! Literals and strings are kept as written (`1_000`, `2.5e3`, escapes). A
//! statement with a comment inside it (between its tokens) is kept as
//! written too, re-indented; so are the items between `// fmt: off` and
//! `// fmt: on` lines at the top level.
//!
//! Before returning, the formatter parses its own output and checks that
//! the tree (spans aside) and the comments are those of the input: a
//! formatter bug is an error, never a changed model.

mod comments;
mod expr;
mod layout;
mod lines;

use usim_compiler::ast_print::print_module;
use usim_compiler::diagnostic::Diagnostic;
use usim_compiler::parse;

/// The column a line should stay within.
pub const WIDTH: usize = 100;

/// Spaces per block level.
pub const INDENT: usize = 4;

/// Why a source could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The source does not parse: the parser's diagnostics.
    Syntax(Vec<Diagnostic>),
    /// The formatter's output would not be the same model (a bug in the
    /// formatter); the source is left as it is.
    Internal(String),
}

/// The source in the canonical layout.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    let (module, diagnostics) = parse::parse(source);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Syntax(diagnostics));
    }
    let formatted = layout::format_module(source, &module, &parse::comments(source));
    verify(source, &module, &formatted)?;
    Ok(formatted)
}

/// Whether `source` is already in the canonical layout.
pub fn is_formatted(source: &str) -> Result<bool, FormatError> {
    Ok(format_source(source)? == source)
}

/// Checks that `formatted` is the model `source` was: the same tree,
/// spans aside, and the same comments in the same order.
fn verify(source: &str, module: &usim_compiler::ast::Module<()>, formatted: &str) -> Result<(), FormatError> {
    let (again, diagnostics) = parse::parse(formatted);
    if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
        return Err(FormatError::Internal(format!(
            "the formatted text does not parse ({}: {}) (this is a bug in usimc fmt)",
            d.code, d.message
        )));
    }
    if print_module(&again) != print_module(module) {
        return Err(FormatError::Internal("formatting would change the model (this is a bug in usimc fmt)".into()));
    }
    let texts = |text: &str| -> Vec<String> {
        parse::comments(text).iter().map(|c| comments::normalized(&text[c.range()])).collect()
    };
    if texts(source) != texts(formatted) {
        return Err(FormatError::Internal(
            "formatting would move, lose or change a comment (this is a bug in usimc fmt)".into(),
        ));
    }
    Ok(())
}
