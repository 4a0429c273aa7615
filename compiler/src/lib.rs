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

/// Parses and checks a model; `overrides` are `--set NAME=VALUE` pairs.
pub fn check_source(source: &str, overrides: &[(String, String)]) -> Result<(program::Program, Warnings), Failure> {
    let (module, mut diagnostics) = parse::parse(source);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Failure::Diagnostics(diagnostics));
    }
    let checked = check::check(&module, overrides);
    diagnostics.extend(checked.diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
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
