//! Document symbols: the model's items in source order, a struct's fields
//! as its children, and the `run` item.

use lsp_types::{DocumentSymbol, SymbolKind as Kind};
use usim_compiler::ast::ItemKind;
use usim_compiler::index::{SymbolKind, Target};
use usim_compiler::span::Span;

use crate::document::Document;

pub fn document_symbols(document: &Document) -> Vec<DocumentSymbol> {
    let index = &document.analysis.index;
    let mut items: Vec<(u32, DocumentSymbol)> = Vec::new();
    for s in &index.symbols {
        let kind = match s.kind {
            SymbolKind::Param | SymbolKind::Const => Kind::CONSTANT,
            SymbolKind::Var => Kind::VARIABLE,
            SymbolKind::Struct => Kind::STRUCT,
            SymbolKind::Field => Kind::FIELD,
            SymbolKind::Lock | SymbolKind::Channel | SymbolKind::Queue | SymbolKind::Resource => Kind::OBJECT,
            SymbolKind::Fn => Kind::FUNCTION,
            SymbolKind::Process => Kind::EVENT,
            SymbolKind::Parameter | SymbolKind::Let | SymbolKind::For => continue,
        };
        let symbol = symbol(document, s.name.clone(), s.detail.clone(), kind, s.extent, s.span);
        match (s.target, items.last_mut()) {
            (Target::Field { .. }, Some((_, parent))) => parent.children.get_or_insert_with(Vec::new).push(symbol),
            _ => items.push((s.extent.start, symbol)),
        }
    }
    for item in &document.analysis.module.items {
        if let ItemKind::Run { .. } = item.kind {
            let text = document.text.get(item.span.range()).unwrap_or("run");
            let detail = text.lines().next().unwrap_or("run").trim().to_string();
            let keyword = Span { start: item.span.start, end: item.span.start + 3 };
            items.push((item.span.start, symbol(document, "run".to_string(), detail, Kind::EVENT, item.span, keyword)));
        }
    }
    items.sort_by_key(|(start, _)| *start);
    items.into_iter().map(|(_, s)| s).collect()
}

#[allow(deprecated)] // `deprecated` is a field every `DocumentSymbol` must give.
fn symbol(document: &Document, name: String, detail: String, kind: Kind, extent: Span, span: Span) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail: Some(detail),
        kind,
        tags: None,
        deprecated: None,
        range: document.range(extent.to(span)),
        selection_range: document.range(span),
        children: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_in_order_with_fields_under_their_struct() {
        let text = "param N: int = 2\nstruct P { x: int, y: int }\nlock l\nfn f() -> int {\n    return 1\n}\nprocess main() {\n    let a = f()\n}\nrun main() until 5\n";
        let document = Document::new(text.to_string(), 1);
        assert!(document.analysis.diagnostics.is_empty(), "{:?}", document.analysis.diagnostics);
        let symbols = document_symbols(&document);
        let names: Vec<(&str, Kind)> = symbols.iter().map(|s| (s.name.as_str(), s.kind)).collect();
        assert_eq!(
            names,
            [
                ("N", Kind::CONSTANT),
                ("P", Kind::STRUCT),
                ("l", Kind::OBJECT),
                ("f", Kind::FUNCTION),
                ("main", Kind::EVENT),
                ("run", Kind::EVENT)
            ]
        );
        let fields: Vec<&str> = symbols[1].children.iter().flatten().map(|s| s.name.as_str()).collect();
        assert_eq!(fields, ["x", "y"]);
        assert_eq!(symbols[5].detail.as_deref(), Some("run main() until 5"));
        assert_eq!(symbols[3].range.end.line, 5);
    }
}
