//! The usim compiler: parse -> check -> lower -> codegen.
//!
//! The crate does no file or terminal IO: it takes source text and returns
//! values (trees, IR text, compiled code, diagnostics); the `usimc` binary
//! reads files and writes output.

pub mod ast;
pub mod ast_print;
pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod index;
pub mod ir;
pub mod lower;
pub mod parse;
pub mod program;
pub mod render;
pub mod span;
pub mod types;
pub mod verify;

pub use codegen::Compiled;
use diagnostic::Diagnostic;

/// Why a model could not be compiled.
#[derive(Debug)]
pub enum Failure {
    /// Problems in the model; at least one is an error.
    Diagnostics(Vec<Diagnostic>),
    /// A `--set` that does not fit the model's params (a command-line error).
    BadOverride(String),
    /// A bug in usimc itself.
    Internal(String),
}

/// What a successful stage returns beside its result: the warnings.
pub type Warnings = Vec<Diagnostic>;

/// How many bytes of a model file to read at most: one more than the parser
/// accepts, so that a larger file (or an endless one, `/dev/zero`) is known
/// to be too large without reading the rest of it.
pub const SOURCE_READ_LIMIT: u64 = parse::MAX_SOURCE_BYTES as u64 + 1;

/// Why the bytes of a model file are not a source the parser can take.
#[derive(Debug)]
pub struct BadSource {
    /// The diagnostic: E0004 for a file too large, E0001 for one that is not
    /// UTF-8.
    pub diagnostic: Diagnostic,
    /// The text to render it against, with the first bad byte at the same
    /// line and column as in the file: the bytes with every invalid sequence
    /// and every control character other than a line break or a tab replaced
    /// by U+FFFD; empty for a file too large.
    pub text: String,
}

/// The source text of a model file from the bytes read from it, at most
/// [`SOURCE_READ_LIMIT`] of them. `size` is the file's full size when it is
/// known (a regular file); the caller need not read anything of a file whose
/// size is over the limit.
///
/// A file over the limit gets the parser's own "too large" diagnostic; a file
/// that is not UTF-8 an E0001 at the first bad byte.
pub fn source_from_bytes(bytes: Vec<u8>, size: Option<u64>) -> Result<String, Box<BadSource>> {
    let limit = parse::MAX_SOURCE_BYTES;
    let too_large = match size {
        Some(size) if size > limit as u64 => Some(format!("{size} bytes")),
        _ if bytes.len() > limit => Some(format!("more than {limit} bytes")),
        _ => None,
    };
    if let Some(size) = too_large {
        let message = format!("the model is too large: {size}, the limit is 8 MiB");
        let diagnostic = Diagnostic::error(parse::E_TOO_DEEP, message, span::Span::new(0, 0));
        return Err(Box::new(BadSource { diagnostic, text: String::new() }));
    }
    String::from_utf8(bytes).map_err(|e| {
        // The text shown: U+FFFD for each invalid sequence (as
        // `from_utf8_lossy`) and for each control character but line breaks
        // (`\n`, `\r\n`) and tabs, so that the line shown cannot drive the
        // terminal. Columns count characters, so they stay those of the file.
        let mut text = String::with_capacity(e.as_bytes().len());
        let mut first_bad: Option<(usize, &[u8])> = None;
        for chunk in e.as_bytes().utf8_chunks() {
            let mut chars = chunk.valid().chars().peekable();
            while let Some(c) = chars.next() {
                let keep = match c {
                    '\n' | '\t' => true,
                    '\r' => chars.peek() == Some(&'\n'),
                    c => !c.is_control(),
                };
                text.push(if keep { c } else { char::REPLACEMENT_CHARACTER });
            }
            if !chunk.invalid().is_empty() {
                first_bad.get_or_insert((text.len(), chunk.invalid()));
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
        let (at, bad) = first_bad.unwrap_or((text.len(), &[]));
        let shown: Vec<String> = bad.iter().map(|b| format!("0x{b:02X}")).collect();
        let label = match shown.len() {
            1 => format!("the byte {} is not UTF-8", shown[0]),
            _ => format!("the bytes {} are not UTF-8", shown.join(" ")),
        };
        let span = span::Span::new(at, at + char::REPLACEMENT_CHARACTER.len_utf8());
        let diagnostic = Diagnostic::error(parse::E_SYNTAX, "the model is not valid UTF-8 text", span)
            .with_label(label)
            .with_note("a model must be UTF-8 text; save it with that encoding");
        Box::new(BadSource { diagnostic, text })
    })
}

/// Parses and checks a model; `overrides` are `--set NAME=VALUE` pairs.
pub fn check_source(source: &str, overrides: &[(String, String)]) -> Result<(program::Program, Warnings), Failure> {
    let parsed = parse::parse_model(source);
    if !parsed.checkable {
        return Err(Failure::Diagnostics(parsed.diagnostics));
    }
    let syntax_failed = parsed.diagnostics.iter().any(Diagnostic::is_error);
    let mut checked = check::check(&parsed.module, overrides);
    let diagnostics = all_diagnostics(source, &parsed, std::mem::take(&mut checked.diagnostics));
    if syntax_failed || diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Failure::Diagnostics(diagnostics));
    }
    if let Some(e) = checked.override_error {
        return Err(Failure::BadOverride(e.0));
    }
    match checked.program {
        Some(p) => Ok((p, diagnostics)),
        None => Err(Failure::Internal("the checker found no error but produced no program".into())),
    }
}

/// The parser's diagnostics and the checker's, in source order. After syntax
/// errors the items that parsed are still checked; what only follows from the
/// items left out is not reported.
fn all_diagnostics(source: &str, parsed: &parse::Parsed, checked: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut diagnostics = parsed.diagnostics.clone();
    diagnostics.extend(checked.into_iter().filter(|d| !parsed.explains(source, d)));
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diagnostics
}

/// What an editor shows of a model: what [`check_source`] reports without
/// overrides (errors and warnings, syntax errors included), the parsed tree
/// and the name index.
#[derive(Debug)]
pub struct Analysis {
    /// Exactly the diagnostics `check_source(source, &[])` reports.
    pub diagnostics: Vec<Diagnostic>,
    /// The items that parsed (an item with a syntax error is left out).
    pub module: ast::Module<()>,
    pub index: index::NameIndex,
    /// Whether the parser found an error (so items may be missing from the tree).
    pub syntax_errors: bool,
}

/// Parses and checks a model for an editor, keeping what `check_source`
/// drops: the tree and the names, even when the model has errors.
pub fn analyze(source: &str) -> Analysis {
    let parsed = parse::parse_model(source);
    let syntax_errors = parsed.diagnostics.iter().any(Diagnostic::is_error);
    if !parsed.checkable {
        let (diagnostics, module) = (parsed.diagnostics, parsed.module);
        return Analysis { diagnostics, module, index: Default::default(), syntax_errors };
    }
    let (checked, index) = check::check_indexed(&parsed.module, &[]);
    let diagnostics = all_diagnostics(source, &parsed, checked.diagnostics);
    Analysis { diagnostics, module: parsed.module, index, syntax_errors }
}

/// The text of `usimc emit ast`.
pub fn emit_ast(source: &str) -> Result<(String, Warnings), Failure> {
    let (module, diagnostics) = parse::parse(source);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Failure::Diagnostics(diagnostics));
    }
    Ok((ast_print::print_module(&module), diagnostics))
}

/// Parses, checks and lowers a model to IR.
pub fn lower_source(source: &str, overrides: &[(String, String)]) -> Result<(ir::Module, Warnings), Failure> {
    let (program, mut warnings) = check_source(source, overrides)?;
    match lower::lower(&program) {
        Ok(mut module) => {
            // Reports name a condition by its line, which only the source knows.
            for condition in &mut module.conditions {
                let line = source[..(condition.span.start as usize).min(source.len())].matches('\n').count() + 1;
                condition.label = format!("condition at line {line}");
            }
            // Debug builds (and so every test) check the IR's invariants.
            if cfg!(debug_assertions) {
                verify::verify(&module).map_err(Failure::Internal)?;
            }
            Ok((module, warnings))
        }
        Err(mut errors) => {
            warnings.append(&mut errors);
            warnings.sort_by_key(|d| (d.span.start, d.span.end));
            Err(Failure::Diagnostics(warnings))
        }
    }
}

/// Compiles a model to native code, ready for the runtime.
pub fn compile_source(
    source: &str,
    overrides: &[(String, String)],
    want_clif: bool,
) -> Result<(Compiled, Warnings), Failure> {
    let (module, warnings) = lower_source(source, overrides)?;
    let compiled = codegen::compile(&module, want_clif).map_err(|e| Failure::Internal(e.0))?;
    Ok((compiled, warnings))
}
