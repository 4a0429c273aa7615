//! Hover and go to definition, from the checker's name index.

use lsp_types::{GotoDefinitionResponse, Hover, HoverContents, Location, MarkupContent, MarkupKind, Position, Uri};
use usim_compiler::index::Target;

use crate::document::Document;

/// The declaration of the name under the cursor, as a `usim` code block; a
/// built-in's signatures and its line of doc.
pub fn hover(document: &Document, position: Position) -> Option<Hover> {
    let index = &document.analysis.index;
    let reference = index.reference_at(document.offset(position))?;
    let value = match reference.target {
        Target::Builtin(name) => builtin_text(name)?,
        target => format!("```usim\n{}\n```", index.symbol(target)?.detail),
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: Some(document.range(reference.span)),
    })
}

/// Where the name under the cursor is defined; nothing for a built-in.
pub fn definition(document: &Document, uri: &Uri, position: Position) -> Option<GotoDefinitionResponse> {
    let index = &document.analysis.index;
    let reference = index.reference_at(document.offset(position))?;
    let symbol = index.symbol(reference.target)?;
    Some(GotoDefinitionResponse::Scalar(Location { uri: uri.clone(), range: document.range(symbol.span) }))
}

/// A built-in's forms and doc, from the stdlib's table.
pub fn builtin_text(name: &str) -> Option<String> {
    let (forms, doc) = builtin_signature(name)?;
    Some(format!("```usim\n{}\n```\n{doc}", forms.join("\n")))
}

/// A built-in's forms (`abs(int) -> int`, one per overload) and its line of doc.
pub fn builtin_signature(name: &str) -> Option<(Vec<String>, &'static str)> {
    if let Some(builtin) = usim_stdlib::lookup(name) {
        let ty = |t: usim_stdlib::Ty| match t {
            usim_stdlib::Ty::Int => "int",
            usim_stdlib::Ty::Float => "float",
            usim_stdlib::Ty::Bool => "bool",
        };
        let forms = builtin
            .signatures
            .iter()
            .map(|s| {
                let params: Vec<&str> = s.params.iter().map(|&p| ty(p)).collect();
                format!("{}({}) -> {}", builtin.name, params.join(", "), ty(s.ret))
            })
            .collect();
        return Some((forms, builtin.doc));
    }
    let form = usim_stdlib::time_forms().iter().find(|f| f.name == name)?;
    Some((vec![form.signature.to_string()], form.doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    const MODEL: &str = "const N = 3\nvar total: float = 0.0\nprocess main() {\n    for i in 0..N {\n        total += sqrt(float(i))\n    }\n}\nrun main()\n";

    fn text_at(document: &Document, line: u32, character: u32) -> Option<String> {
        match hover(document, Position { line, character })?.contents {
            HoverContents::Markup(m) => Some(m.value),
            _ => None,
        }
    }

    #[test]
    fn names_and_builtins_show_their_declarations() {
        let d = Document::new(MODEL.to_string(), 1);
        assert_eq!(text_at(&d, 4, 9).as_deref(), Some("```usim\nvar total: float = 0.0\n```"));
        assert_eq!(text_at(&d, 3, 16).as_deref(), Some("```usim\nconst N: int = 3\n```"));
        assert_eq!(text_at(&d, 3, 8).as_deref(), Some("```usim\nfor i: int\n```"));
        assert_eq!(
            text_at(&d, 4, 18).as_deref(),
            Some("```usim\nsqrt(float) -> float\n```\nsqrt(x): the square root (NaN for x < 0)")
        );
        assert_eq!(text_at(&d, 4, 0), None);
        assert_eq!(
            builtin_text("delay").as_deref(),
            Some("```usim\nawait delay(d: float)\n```\n".to_string() + usim_stdlib::time_forms()[0].doc).as_deref()
        );
        assert_eq!(builtin_signature("abs").unwrap().0, ["abs(int) -> int", "abs(float) -> float"]);
    }

    #[test]
    fn definitions_are_the_declaring_names() {
        let d = Document::new(MODEL.to_string(), 1);
        let uri = Uri::from_str("file:///m.usim").unwrap();
        let Some(GotoDefinitionResponse::Scalar(at)) = definition(&d, &uri, Position { line: 4, character: 28 }) else {
            panic!("no definition")
        };
        assert_eq!(
            (at.range.start, at.range.end),
            (Position { line: 3, character: 8 }, Position { line: 3, character: 9 })
        );
        assert!(definition(&d, &uri, Position { line: 4, character: 18 }).is_none());
    }
}
