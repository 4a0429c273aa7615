//! The compiler's diagnostics as LSP diagnostics.

use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri};
use usim_compiler::diagnostic::{Diagnostic, Severity};

use crate::document::Document;

/// Every diagnostic of the document's analysis, in source order.
pub fn to_lsp(document: &Document, uri: &Uri) -> Vec<lsp_types::Diagnostic> {
    document.analysis.diagnostics.iter().map(|d| convert(document, uri, d)).collect()
}

/// One diagnostic: its code, its primary span as the range, and its message
/// followed by the label under the span and the notes, a line each (as
/// `usimc check` shows them); the secondary labels become related
/// information.
fn convert(document: &Document, uri: &Uri, d: &Diagnostic) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    for line in std::iter::once(&d.label).filter(|l| !l.is_empty()).chain(&d.notes) {
        message.push('\n');
        message.push_str(line);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location { uri: uri.clone(), range: document.range(label.span) },
            message: label.message.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range: document.range(d.span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("usimc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;
    use std::str::FromStr;

    #[test]
    fn ranges_count_utf16_units_and_text_keeps_label_and_notes() {
        let text = "var count: int = 0\nprocess main() {\n    /* é😀 */ count += cuont\n}\nrun main()\n";
        let document = Document::new(text.to_string(), 1);
        let uri = Uri::from_str("file:///m.usim").unwrap();
        let all = to_lsp(&document, &uri);
        let unknown = all.iter().find(|d| d.code == Some(NumberOrString::String("E0105".into())));
        let unknown = unknown.unwrap_or_else(|| panic!("{all:?}"));
        // `    /* é😀 */ count += ` is 23 UTF-16 units (the emoji is two) and 26 bytes.
        assert_eq!(unknown.range.start, Position { line: 2, character: 23 });
        assert_eq!(unknown.range.end, Position { line: 2, character: 28 });
        assert_eq!(unknown.message, "unknown name `cuont`\nnot defined\ndid you mean `count`?");
        assert_eq!(unknown.severity, Some(DiagnosticSeverity::ERROR));
    }
}
