//! Completion: after `name.`, the operations of an object (or an array's
//! `len`, a struct's fields); elsewhere the keywords, the built-ins, the
//! model's items and the locals visible at the cursor.
//!
//! It works while the text has errors: an item with a syntax error is left
//! out of the tree, so when the cursor is in no item that parsed (the user
//! just typed `q.`), the text is analyzed again with a name typed at the
//! cursor (`q.` becomes `q.x`, which parses), and failing that the last
//! version of the document without syntax errors answers, in the same
//! `fn` or process.

use lsp_types::{CompletionItem, CompletionItemKind, Documentation, Position};
use usim_compiler::ast::Module;
use usim_compiler::index::{NameIndex, Symbol, SymbolKind, Target};
use usim_compiler::types::{ObjectKind, Type};

use crate::document::Document;

/// Every keyword of the grammar, and the built-in type names.
pub const KEYWORDS: &[&str] = &[
    "param", "const", "var", "struct", "lock", "channel", "queue", "resource", "fn", "process", "run", "until", "let",
    "if", "else", "while", "for", "in", "loop", "break", "continue", "return", "print", "fail", "stop", "record",
    "await", "spawn", "cancel", "every", "scope", "with", "select", "priority", "true", "false", "now", "instant",
    "int", "float", "bool", "proc",
];

/// What is typed at the cursor (`__usim` cannot clash with a model's name
/// that matters here: it is only ever looked up, never offered).
const PLACEHOLDER: &str = "__usim_completion";

pub fn complete(document: &Document, position: Position) -> Vec<CompletionItem> {
    let offset = document.offset(position);
    match context(&document.text, offset) {
        Context::Member(Some(path)) => with_view(document, offset, |index, at| members(index, at, &path)),
        Context::Member(None) => Vec::new(),
        Context::Name => with_view(document, offset, |index, at| names(index, at, &document.analysis.index)),
    }
}

/// A receiver before a `.`: a name, then indexes and fields (`pumps[i]`,
/// `job.parts`).
#[derive(Debug, PartialEq)]
struct Path {
    root: String,
    steps: Vec<Step>,
}

#[derive(Debug, PartialEq)]
enum Step {
    Index,
    Field(String),
}

#[derive(Debug, PartialEq)]
enum Context {
    /// After a `.`; `None` when what stands before it is no receiver (`2.`).
    Member(Option<Path>),
    Name,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// What the cursor completes: the name being typed ends at `offset`.
fn context(text: &str, offset: usize) -> Context {
    let before = &text[..offset];
    let rest = before.trim_end_matches(is_name_char);
    match rest.strip_suffix('.') {
        Some(receiver) if !receiver.ends_with('.') => Context::Member(path(receiver)),
        _ => Context::Name,
    }
}

/// The receiver that ends `text`, read backwards.
fn path(mut text: &str) -> Option<Path> {
    let mut steps = Vec::new();
    loop {
        if let Some(inner) = text.strip_suffix(']') {
            // Back to the matching `[`.
            let mut depth = 1;
            let mut open = None;
            for (i, c) in inner.char_indices().rev() {
                match c {
                    ']' => depth += 1,
                    '[' => {
                        depth -= 1;
                        if depth == 0 {
                            open = Some(i);
                            break;
                        }
                    }
                    '\n' => return None,
                    _ => {}
                }
            }
            text = &inner[..open?];
            steps.push(Step::Index);
            continue;
        }
        let name_start = text.trim_end_matches(is_name_char).len();
        let name = &text[name_start..];
        if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        text = &text[..name_start];
        match text.strip_suffix('.') {
            Some(before) if !before.ends_with('.') => {
                steps.push(Step::Field(name.to_string()));
                text = before;
            }
            _ => {
                steps.reverse();
                return Some(Path { root: name.to_string(), steps });
            }
        }
    }
}

/// Runs `f` with the index that knows the cursor's surroundings and the
/// offset in that index's text (`None`: no locals are known there).
fn with_view<R>(document: &Document, offset: usize, f: impl FnOnce(&NameIndex, Option<usize>) -> R) -> R {
    let analysis = &document.analysis;
    if inside_item(&analysis.module, offset) || !analysis.syntax_errors {
        return f(&analysis.index, Some(offset));
    }
    let text = &document.text;
    let patched = [&text[..offset], PLACEHOLDER, &text[offset..]].concat();
    let retried = usim_compiler::analyze(&patched);
    if inside_item(&retried.module, offset) {
        return f(&retried.index, Some(offset));
    }
    match &document.last_good {
        Some(good) => f(&good.1.index, offset_in(text, offset, &good.1.index)),
        None => f(&analysis.index, None),
    }
}

fn inside_item(module: &Module<()>, offset: usize) -> bool {
    module.items.iter().any(|i| i.span.start as usize <= offset && offset <= i.span.end as usize)
}

/// The offset in an earlier version's index that stands where `offset` of
/// `text` is: as far into the same `fn` or process (found by the header that
/// starts the nearest line above in the first column), as long as it is.
fn offset_in(text: &str, offset: usize, earlier: &NameIndex) -> Option<usize> {
    let mut start = offset;
    loop {
        start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[start..];
        let word_end = line.find(|c: char| !is_name_char(c)).unwrap_or(line.len());
        match &line[..word_end] {
            "fn" | "process" => {
                let rest = line[word_end..].trim_start();
                let name = &rest[..rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len())];
                let callable = earlier
                    .symbols
                    .iter()
                    .find(|s| s.name == name && matches!(s.kind, SymbolKind::Fn | SymbolKind::Process))?;
                let (from, to) = (callable.extent.start as usize, callable.extent.end as usize);
                return Some((from + (offset - start)).min(to.saturating_sub(1)).max(from));
            }
            "" => {}
            // Another item starts here: the cursor is in no callable.
            word if KEYWORDS[..11].contains(&word) => return None,
            _ => {}
        }
        if start == 0 {
            return None;
        }
        start -= 1;
    }
}

/// The symbol a name means at `at`: a local visible there, else an item.
fn lookup<'i>(index: &'i NameIndex, at: Option<usize>, name: &str) -> Option<&'i Symbol> {
    at.and_then(|at| index.locals_at(at).find(|s| s.name == name)).or_else(|| {
        index
            .symbols
            .iter()
            .find(|s| s.name == name && !matches!(s.target, Target::Local { .. } | Target::Field { .. }))
    })
}

fn members(index: &NameIndex, at: Option<usize>, path: &Path) -> Vec<CompletionItem> {
    let Some(root) = lookup(index, at, &path.root) else { return Vec::new() };
    let mut ty = root.ty.clone();
    for step in &path.steps {
        ty = match (step, ty) {
            (Step::Index, Type::Array(elem, _)) => *elem,
            (Step::Index, object @ Type::Object(_)) => object,
            (Step::Field(name), Type::Struct(id)) => match index.fields(id.0).find(|f| f.name == *name) {
                Some(field) => field.ty.clone(),
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
    }
    let method = |name: &str, signature: String, doc: &str| CompletionItem {
        label: name.to_string(),
        kind: Some(CompletionItemKind::METHOD),
        detail: Some(signature),
        documentation: Some(Documentation::String(doc.to_string())),
        ..CompletionItem::default()
    };
    match &ty {
        Type::Object(ObjectKind::Queue(item)) => {
            let item = index.show(item);
            vec![
                method(
                    "put",
                    format!("await put(x: {item})"),
                    "adds an item at the back; waits while a bounded queue is full",
                ),
                method(
                    "get",
                    format!("await get() -> {item}"),
                    "takes the item at the front; waits while the queue is empty",
                ),
                method("len", "len() -> int".to_string(), "the number of items in the queue now"),
            ]
        }
        Type::Object(ObjectKind::Channel(item)) => vec![method(
            "send",
            format!("send(x: {})", index.show(item)),
            "broadcasts a message to the processes waiting on the channel now; never waits",
        )],
        Type::Object(ObjectKind::Resource) => vec![
            method(
                "get",
                "await get(amount: float)".to_string(),
                "takes an amount; waits until the level is high enough",
            ),
            method(
                "put",
                "await put(amount: float)".to_string(),
                "gives an amount; waits while it would go over the capacity",
            ),
            method("level", "level() -> float".to_string(), "the amount in the resource now"),
        ],
        Type::Array(..) => vec![method("len", "len() -> int".to_string(), "the length of the array")],
        Type::Struct(id) => index
            .fields(id.0)
            .map(|f| CompletionItem {
                label: f.name.clone(),
                kind: Some(CompletionItemKind::FIELD),
                detail: Some(f.detail.clone()),
                ..CompletionItem::default()
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Everything a name can be at `at`: locals (innermost first), the model's
/// items (of `index`, and of `current` for items added since), built-ins,
/// keywords.
fn names(index: &NameIndex, at: Option<usize>, current: &NameIndex) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut add = |item: CompletionItem, items: &mut Vec<CompletionItem>| {
        if seen.insert(item.label.clone()) {
            items.push(item);
        }
    };
    let symbol_item = |s: &Symbol, order: &str| CompletionItem {
        label: s.name.clone(),
        kind: Some(kind_of(s.kind)),
        detail: Some(s.detail.clone()),
        sort_text: Some(format!("{order}{}", s.name)),
        ..CompletionItem::default()
    };
    for local in at.into_iter().flat_map(|at| index.locals_at(at)) {
        add(symbol_item(local, "0"), &mut items);
    }
    let globals = |i: &NameIndex| {
        i.symbols
            .iter()
            .filter(|s| !matches!(s.target, Target::Local { .. } | Target::Field { .. }))
            .cloned()
            .collect::<Vec<_>>()
    };
    for item in globals(index).iter().chain(&globals(current)) {
        add(symbol_item(item, "1"), &mut items);
    }
    let builtins =
        usim_stdlib::builtins().iter().map(|b| b.name).chain(usim_stdlib::time_forms().iter().map(|f| f.name));
    for name in builtins {
        if let Some((forms, doc)) = crate::hover::builtin_signature(name) {
            let item = CompletionItem {
                label: name.to_string(),
                kind: Some(CompletionItemKind::FUNCTION),
                detail: Some(forms.join(" | ")),
                documentation: Some(Documentation::String(doc.to_string())),
                sort_text: Some(format!("2{name}")),
                ..CompletionItem::default()
            };
            add(item, &mut items);
        }
    }
    for keyword in KEYWORDS {
        let item = CompletionItem {
            label: keyword.to_string(),
            kind: Some(CompletionItemKind::KEYWORD),
            sort_text: Some(format!("3{keyword}")),
            ..CompletionItem::default()
        };
        add(item, &mut items);
    }
    items
}

fn kind_of(kind: SymbolKind) -> CompletionItemKind {
    match kind {
        SymbolKind::Param | SymbolKind::Const => CompletionItemKind::CONSTANT,
        SymbolKind::Struct => CompletionItemKind::STRUCT,
        SymbolKind::Field => CompletionItemKind::FIELD,
        SymbolKind::Fn | SymbolKind::Process => CompletionItemKind::FUNCTION,
        SymbolKind::Var
        | SymbolKind::Lock
        | SymbolKind::Channel
        | SymbolKind::Queue
        | SymbolKind::Resource
        | SymbolKind::Parameter
        | SymbolKind::Let
        | SymbolKind::For => CompletionItemKind::VARIABLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(items: &[CompletionItem]) -> Vec<&str> {
        items.iter().map(|i| i.label.as_str()).collect()
    }

    fn complete_at_end_of(prefix: &str, suffix: &str, last_good: Option<&str>) -> Vec<CompletionItem> {
        let mut document = Document::new(last_good.unwrap_or("").to_string(), 1);
        let text = format!("{prefix}{suffix}");
        document.change(vec![lsp_types::TextDocumentContentChangeEvent { range: None, range_length: None, text }], 2);
        let position = document.position(prefix.len());
        complete(&document, position)
    }

    #[test]
    fn receivers_are_read_backwards() {
        let path = |text: &str| match context(text, text.len()) {
            Context::Member(p) => p,
            Context::Name => panic!("{text}: not a member"),
        };
        assert_eq!(path("  q.").unwrap(), Path { root: "q".into(), steps: vec![] });
        assert_eq!(path("x = pumps[i + xs[2]].ge").unwrap(), Path { root: "pumps".into(), steps: vec![Step::Index] });
        assert_eq!(
            path("job.parts[0].").unwrap(),
            Path { root: "job".into(), steps: vec![Step::Field("parts".into()), Step::Index] }
        );
        assert_eq!(path("2."), None);
        assert_eq!(context("for i in 0..", 12), Context::Name);
        assert_eq!(context("let x = co", 10), Context::Name);
    }

    const MODEL: &str = "struct Job { id: int, size: float }\nqueue jobs: Job\nresource tank(capacity: 5.0)\nchannel bell: int\nvar sizes: [float; 3] = [0.0; 3]\nprocess main() {\n    let j = Job { id: 1, size: 2.0 }\n    ";

    #[test]
    fn an_object_offers_its_operations_while_the_text_does_not_parse() {
        for (receiver, want) in [
            ("jobs", vec!["put", "get", "len"]),
            ("tank", vec!["get", "put", "level"]),
            ("bell", vec!["send"]),
            ("sizes", vec!["len"]),
            ("j", vec!["id", "size"]),
            ("nothing", vec![]),
        ] {
            let items = complete_at_end_of(&format!("{MODEL}{receiver}."), "\n}\nrun main()\n", None);
            assert_eq!(labels(&items), want, "{receiver}.");
        }
        let items = complete_at_end_of(&format!("{MODEL}jobs."), "\n}\nrun main()\n", None);
        assert_eq!(items[1].detail.as_deref(), Some("await get() -> Job"));
    }

    #[test]
    fn names_in_scope_with_the_builtins_and_keywords() {
        let items = complete_at_end_of(&format!("{MODEL}let k = "), "\n}\nrun main()\n", None);
        let labels = labels(&items);
        assert_eq!(labels[..7], ["j", "Job", "jobs", "tank", "bell", "sizes", "main"]);
        assert!(labels.contains(&"exponential") && labels.contains(&"delay") && labels.contains(&"await"));
    }

    #[test]
    fn an_unclosed_call_falls_back_to_the_last_good_version() {
        let good = format!("{MODEL}await jobs.put(j)\n}}\nrun main()\n");
        let items = complete_at_end_of(&format!("{MODEL}await jobs.put(j."), "\n}\nrun main()\n", Some(&good));
        assert_eq!(labels(&items), ["id", "size"]);
    }
}
