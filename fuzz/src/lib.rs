//! What the fuzz targets share.

use codespan_reporting::term::termcolor::NoColor;
use usim_compiler::diagnostic::Diagnostic;

/// Renders diagnostics as `usimc` does on a failure (codespan-reporting,
/// against the source), into a buffer: rendering must not panic either.
pub fn render(source: &str, diagnostics: &[Diagnostic]) {
    let mut out = NoColor::new(Vec::new());
    usim_compiler::render::render_diagnostics(&mut out, "fuzz.usim", source, diagnostics)
        .expect("rendering into a Vec cannot fail");
}
