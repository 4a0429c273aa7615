//! The name index (`usim_compiler::index`) that `analyze` makes for editors:
//! what each use of a name resolves to, each symbol's text, the locals in
//! scope. (That `analyze` reports exactly what `check_source` does, for
//! every model in the repository, is in `tests/lsp.rs`: this crate reads no
//! files.)

use usim_compiler::index::{SymbolKind, Target};
use usim_compiler::{analyze, check_source, Analysis};

const MODEL: &str = r#"param ITEMS: int = 8
const BUFFER = ITEMS / 2
const RATE = 1.5
struct Item { id: int, made: float }
queue buffer: Item(capacity: BUFFER)
lock teller(capacity: 2, preemptive)
resource tank[3](capacity: 10.0, level: 5.0)
channel bell: int
var made: int = 0
var log: [float; BUFFER] = [0.0; BUFFER]

fn twice(x: float) -> float {
    return 2.0 * x
}

process producer(p: int) {
    for k in 0..ITEMS {
        await delay(exponential(RATE))
        made += 1
        let item = Item { id: made, made: now }
        await buffer.put(item)
        print("{item.made} {twice(item.made)}")
    }
}

process consumer() {
    select {
        let it = await buffer.get() => { print("{it.id}") }
        await delay(1.0) => {}
    }
    bell.send(1)
}

run producer(0), consumer()
"#;

/// The byte offset of the `nth` (from 0) occurrence of `needle`.
fn at(needle: &str, nth: usize) -> usize {
    MODEL.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("no {nth}th `{needle}`")).0
}

fn target_at(analysis: &Analysis, offset: usize) -> Target {
    analysis.index.reference_at(offset).unwrap_or_else(|| panic!("nothing at {offset}")).target
}

fn detail(analysis: &Analysis, offset: usize) -> String {
    let target = target_at(analysis, offset);
    analysis.index.symbol(target).unwrap_or_else(|| panic!("no symbol for {target:?}")).detail.clone()
}

/// Where the symbol a use refers to is defined.
fn definition(analysis: &Analysis, offset: usize) -> usize {
    analysis.index.symbol(target_at(analysis, offset)).unwrap().span.start as usize
}

#[test]
fn the_model_checks() {
    assert!(check_source(MODEL, &[]).is_ok());
    let analysis = analyze(MODEL);
    assert!(analysis.diagnostics.is_empty(), "{:?}", analysis.diagnostics);
    assert!(!analysis.syntax_errors);
}

#[test]
fn every_kind_of_name_shows_its_declaration() {
    let a = analyze(MODEL);
    let cases = [
        (at("ITEMS", 1), "param ITEMS: int = 8"),
        (at("BUFFER", 1), "const BUFFER: int = 4"),
        (at("RATE", 1), "const RATE: float = 1.5"),
        (at("Item", 1), "struct Item { id: int, made: float }"),
        (at("made", 4), "Item.made: float"),
        (at("buffer", 1), "queue buffer: Item(capacity: 4)"),
        (at("teller", 0), "lock teller(capacity: 2, preemptive)"),
        (at("tank", 0), "resource tank[3](capacity: 10.0, level: 5.0)"),
        (at("bell", 1), "channel bell: int"),
        (at("made", 1), "var made: int = 0"),
        (at("log", 0), "var log: [float; 4]"),
        (at("twice", 1), "fn twice(x: float) -> float"),
        (at("x", 1), "x: float (a parameter of fn twice)"),
        (at("producer", 1), "process producer(p: int)"),
        (at("for k", 0) + 4, "for k: int"),
        (at("item", 0), "let item: Item"),
        (at("let it =", 0) + 4, "let it: Item"),
    ];
    for (offset, want) in cases {
        assert_eq!(detail(&a, offset), want, "at {offset}: {}", &MODEL[offset..offset + 10]);
    }
}

#[test]
fn uses_resolve_to_their_definitions() {
    let a = analyze(MODEL);
    // A local, a field in a struct literal and in an access, a const in a
    // type's length and in an option, a process in `run`, a builtin.
    assert_eq!(definition(&a, at("item", 2)), at("item", 0));
    assert_eq!(definition(&a, at("made", 3)), at("made", 1));
    assert_eq!(definition(&a, at("made: now", 0)), at("made", 0));
    assert_eq!(definition(&a, at("made", 6)), at("made", 0));
    assert_eq!(definition(&a, at("BUFFER", 2)), at("BUFFER", 0));
    assert_eq!(definition(&a, at("BUFFER", 1)), at("BUFFER", 0));
    assert_eq!(definition(&a, at("producer", 1)), at("producer", 0));
    assert_eq!(definition(&a, at("ITEMS", 2)), at("ITEMS", 0));
    assert_eq!(definition(&a, at("it.id", 0)), at("let it =", 0) + 4);
    assert_eq!(target_at(&a, at("exponential", 0)), Target::Builtin("exponential"));
    assert_eq!(target_at(&a, at("delay", 0)), Target::Builtin("delay"));
    // The end of a name is still the name (a cursor just after it).
    assert_eq!(definition(&a, at("item)", 0) + 4), at("item", 0));
    // Definitions are references too.
    assert!(a.index.reference_at(at("twice", 0)).unwrap().definition);
    assert_eq!(a.index.references_to(target_at(&a, at("twice", 0))).count(), 2);
}

#[test]
fn locals_are_visible_in_their_blocks_only() {
    let a = analyze(MODEL);
    let names = |offset: usize| -> Vec<String> { a.index.locals_at(offset).map(|s| s.name.clone()).collect() };
    assert_eq!(names(at("await buffer.put", 0)), ["item", "k", "p"]);
    assert_eq!(names(at("made += 1", 0)), ["k", "p"]);
    assert_eq!(names(at("bell.send", 0)), Vec::<String>::new());
    assert_eq!(names(at("print(\"{it.id}", 0)), ["it"]);
    let kinds: Vec<SymbolKind> = a.index.locals_at(at("await buffer.put", 0)).map(|s| s.kind).collect();
    assert_eq!(kinds, [SymbolKind::Let, SymbolKind::For, SymbolKind::Parameter]);
}

#[test]
fn a_model_with_errors_is_still_indexed() {
    let source = "var count: int = 0\nprocess main() {\n    let x = cuont + true\n    count += x\n}\nrun main()\n";
    let a = analyze(source);
    assert!(!a.diagnostics.is_empty());
    let count = source.rfind("count").unwrap();
    let target = a.index.reference_at(count).unwrap().target;
    assert_eq!(a.index.symbol(target).unwrap().detail, "var count: int = 0");
    assert!(a.index.reference_at(source.find("cuont").unwrap()).is_none());
    // After a syntax error the items that parsed are indexed.
    let broken = "var count: int = 0\nprocess main() {\n    count +=\n}\nrun main()\n";
    let a = analyze(broken);
    assert!(a.syntax_errors);
    let names: Vec<&str> = a.index.symbols.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["count"]);
}
