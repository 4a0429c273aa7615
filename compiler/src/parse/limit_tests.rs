//! Tests of the parser's limits: nesting (one limit for every bracket and
//! block), chains (as long as the syntax tree's depth allows, through the
//! whole pipeline), unclosed comments and the byte-order mark.
//!
//! The big sources are generated here. Deep trees are parsed, checked,
//! compiled, run and dropped on a thread with a large stack, as `usimc`
//! does: dropping a tree recurses once per level too.

use super::*;
use crate::span::Span;

/// Runs `f` on a thread with a 1 GiB stack (reserved, not committed) and
/// returns its result. `usimc` compiles on a 512 MiB thread.
fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new().stack_size(1 << 30).spawn_scoped(scope, f);
        worker.expect("a test thread").join().expect("the test thread panicked")
    })
}

/// The one-based line and column (in characters) of a byte offset.
fn line_col(source: &str, offset: u32) -> (usize, usize) {
    let before = &source[..offset as usize];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// The diagnostics of a source, parsed (and the tree dropped) on a big stack.
fn parse_diags(source: &str) -> Vec<Diagnostic> {
    on_big_stack(|| parse(source).1)
}

/// The one diagnostic of a source that must fail to parse, with where it is.
fn refused(source: &str) -> (Diagnostic, (usize, usize)) {
    let mut diags = parse_diags(source);
    assert_eq!(diags.len(), 1, "expected one diagnostic: {diags:#?}");
    let d = diags.remove(0);
    let at = line_col(source, d.span.start);
    (d, at)
}

/// Compiles a model through the whole pipeline (parse, check, lower,
/// codegen), runs it, and returns what it printed. Everything, dropping the
/// trees included, runs on a big stack.
fn compile_and_run(source: &str) -> String {
    on_big_stack(|| {
        let compiled = match crate::compile_source(source, &[], false) {
            Ok((compiled, _warnings)) => compiled,
            Err(crate::Failure::Diagnostics(d)) => panic!("the model does not compile: {d:#?}"),
            Err(other) => panic!("the model does not compile: {other:?}"),
        };
        let sink = usim_runtime::SharedBuffer::default();
        let config = usim_runtime::RunConfig {
            seed: 1,
            horizon: None,
            tie_order: usim_runtime::TieOrder::Fifo,
            output: Box::new(sink.clone()),
            trace: false,
            max_processes: usim_runtime::RunConfig::DEFAULT_MAX_PROCESSES,
            stream: None,
            warmup: None,
            progress: None,
            series: None,
        };
        let outcome = usim_runtime::run(compiled.program(), config);
        assert!(outcome.error.is_none(), "the run failed: {:?}", outcome.error);
        String::from_utf8(sink.bytes()).expect("UTF-8 output")
    })
}

/// Chains in the whole-pipeline tests: 100,000 long. Debug builds use frames
/// several times larger and a far slower code generator, so there a chain is
/// 10,000 long.
const CHAIN: usize = if cfg!(debug_assertions) { 10_000 } else { 100_000 };

// ---------------------------------------------------------- nesting

/// `open` repeated `depth` times, one per line, around `inner`.
fn nest(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", format!("{open}\n").repeat(depth), format!("{close}\n").repeat(depth))
}

#[test]
fn the_nesting_limit_is_256_for_every_bracket() {
    assert_eq!(MAX_NESTING, 256);
}

#[test]
fn parentheses_brackets_and_braces_nest_256_deep() {
    // Each opener is on a line of its own after the first line, so the one
    // over the limit is on line MAX_NESTING + 2, column 1.
    let cases = [
        ("const A = 1\nconst B = ", "(", "1", ")"),
        ("const A = 1\nconst B = ", "[", "1", "]"),
        ("const A = 1\nconst B = ", "(-[", "1", "])"),
        ("const A = 1\nconst B = ", "f(", "1", ")"),
        ("struct S { s: int }\nconst B = ", "[S { s:", "1", "}]"),
    ];
    for (head, open, inner, close) in cases {
        let levels_per_open = open.matches(['(', '[', '{']).count();
        assert_eq!(MAX_NESTING % levels_per_open, 0);
        let depth = MAX_NESTING / levels_per_open;
        let ok = format!("{head}{}", nest(open, inner, close, depth));
        let diags = parse_diags(&ok);
        assert!(diags.is_empty(), "{open}: {diags:#?}");

        let over = format!("{head}{}", nest(open, inner, close, depth + 1));
        let (d, at) = refused(&over);
        assert_eq!(d.code, E_TOO_DEEP, "{open}");
        assert_eq!(d.message, "brackets nest too deeply (more than 256 levels)");
        assert_eq!(d.label, "this opens level 257");
        // The 257th opener is the first bracket on line depth + 2.
        let column = open.find(['(', '[', '{']).map_or(0, |i| i + 1);
        assert_eq!(at, (depth + 2, column), "{open}");
    }
}

#[test]
fn blocks_nest_256_deep_with_the_body_brace_counted() {
    // The body's `{` is level 1; 255 blocks inside it make 256.
    let blocks = ["if true {", "loop {", "scope {", "while true {", "for i in 0..1 {"];
    let mut ok = String::from("process p() {\n");
    for k in 0..MAX_NESTING - 1 {
        ok.push_str(blocks[k % blocks.len()]);
        ok.push('\n');
    }
    ok.push_str("stop\n");
    ok.push_str(&"}\n".repeat(MAX_NESTING));
    assert!(parse_diags(&ok).is_empty());

    let over = ok.replacen("stop\n", "if true {\nstop\n}\n", 1);
    let (d, at) = refused(&over);
    assert_eq!(d.code, E_TOO_DEEP);
    assert_eq!(d.span.end - d.span.start, 1);
    // Line 1 is the process, lines 2..=256 the blocks, line 257 the new `if`.
    assert_eq!(at, (MAX_NESTING + 1, "if true ".len() + 1));
}

#[test]
fn proc_types_interpolations_and_comments_count_as_brackets() {
    let proc_type = |depth: usize| format!("var h: {}int{} = 0", "proc<".repeat(depth), ">".repeat(depth));
    assert!(parse_diags(&proc_type(MAX_NESTING)).is_empty());
    let (d, at) = refused(&proc_type(MAX_NESTING + 1));
    assert_eq!(d.code, E_TOO_DEEP);
    assert_eq!(at, (1, "var h: ".len() + MAX_NESTING * "proc<".len() + "proc".len() + 1));
    // `proc` is not reserved: comparing a name `proc` opens nothing.
    let compare = format!("process p() {{\n    let proc = 1\n{}}}", "    if proc < 2 && proc<3 { }\n".repeat(1000));
    assert!(parse_diags(&compare).is_empty());

    let comments = |depth: usize| format!("{}{}const A = 1", "/*".repeat(depth), "*/".repeat(depth));
    assert!(parse_diags(&comments(MAX_NESTING)).is_empty());
    let (d, at) = refused(&comments(MAX_NESTING + 1));
    assert_eq!(d.code, E_TOO_DEEP);
    assert_eq!(at, (1, 2 * MAX_NESTING + 1));

    // `print("{(((...)))}")`: the interpolation's brace is one level.
    let interp = |depth: usize| format!("process p() {{ print(\"{{{}1{}}}\") }}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse_diags(&interp(MAX_NESTING - 3)).is_empty());
    let (d, _) = refused(&interp(MAX_NESTING - 2));
    assert_eq!(d.code, E_TOO_DEEP);
}

#[test]
fn models_nested_256_deep_compile_and_run() {
    // The body's brace and 255 blocks.
    let mut blocks = String::from("var total: int = 0\nprocess main() {\n");
    blocks.push_str(&"if total == 0 {\n".repeat(MAX_NESTING - 1));
    blocks.push_str("total += 42\n");
    blocks.push_str(&"}\n".repeat(MAX_NESTING - 1));
    blocks.push_str("    print(\"{total}\")\n}\nrun main()\n");
    assert_eq!(compile_and_run(&blocks), "42\n");
    // 128 blocks and, inside them, 128 parentheses: brackets of all kinds
    // count together.
    let half = MAX_NESTING / 2;
    let mut mixed = String::from("process main() {\n    let y = 1\n");
    mixed.push_str(&"loop {\n".repeat(half - 1));
    mixed.push_str(&format!("let x = {}y + 41{}\nprint(\"{{x}}\")\n", "(".repeat(half), ")".repeat(half)));
    mixed.push_str(&"break\n}\n".repeat(half - 1));
    mixed.push_str("}\nrun main()\n");
    assert_eq!(compile_and_run(&mixed), "42\n");
    // The body's brace and 255 nested array literals; indexes are a chain.
    let arrays = format!(
        "process main() {{\n    let a = {}7{}\n    let x = a{}\n    print(\"{{x}}\")\n}}\nrun main()\n",
        "[".repeat(MAX_NESTING - 1),
        "]".repeat(MAX_NESTING - 1),
        "[0]".repeat(MAX_NESTING - 1)
    );
    assert_eq!(compile_and_run(&arrays), "7\n");
}

// ---------------------------------------------------------- chains

#[test]
fn a_long_sum_compiles_and_runs() {
    let source = format!(
        "process main() {{\n    let x = {}\n    print(\"{{x}}\")\n}}\nrun main()\n",
        vec!["1"; CHAIN].join(" + ")
    );
    assert_eq!(compile_and_run(&source), format!("{CHAIN}\n"));
}

#[test]
fn a_long_chain_of_unary_minus_compiles_and_runs() {
    // On a literal (folded), a float and a bool: every kind of unary node.
    let minus = "- ".repeat(CHAIN);
    let source = format!(
        "process main() {{\n    let f = 2.5\n    let t = true\n    let a = {minus}7\n    let b = -{minus}f\n    let c = {}t\n    print(\"{{a}} {{b}} {{c}}\")\n}}\nrun main()\n",
        "!".repeat(CHAIN + 1)
    );
    assert_eq!(compile_and_run(&source), "7 -2.5 false\n");
}

#[test]
fn a_long_else_if_chain_compiles_and_runs() {
    let mut body = String::from("    let x = 4321\n    if x == 0 {\n        r = 0\n    }");
    for k in 1..=CHAIN {
        body.push_str(&format!(" else if x == {k} {{\n        r = {k}\n    }}"));
    }
    body.push_str(" else {\n        r = -1\n    }\n    print(\"{r}\")");
    let source = format!("var r: int = 0\nprocess main() {{\n{body}\n}}\nrun main()\n");
    assert_eq!(compile_and_run(&source), "4321\n");
}

#[test]
fn long_flat_lists_are_no_nesting() {
    // Statements, arguments, array elements, struct fields: flat, any number.
    let statements = format!(
        "process main() {{\n    let x = 0\n{}    print(\"{{x}}\")\n}}\nrun main()\n",
        "    x += 1\n".repeat(CHAIN)
    );
    assert!(parse_diags(&statements).is_empty());
    let elements = format!("const A = [{}]", vec!["1"; 10 * CHAIN].join(", "));
    assert!(parse_diags(&elements).is_empty());
    let postfix = format!("const A = a{}", ".b[0]".repeat(CHAIN / 2));
    assert!(parse_diags(&postfix).is_empty());
}

#[test]
fn a_chain_past_the_tree_limit_is_refused_where_it_crosses() {
    // `const A = 1 + 1 + ...`: the leaf is level 1 and the k-th `+` makes
    // level k + 1, so the MAX_TREE_DEPTH-th `+` is one level too many.
    let terms = vec!["1"; MAX_TREE_DEPTH + 10].join(" + ");
    let source = format!("const A = {terms}");
    let (d, at) = refused(&source);
    assert_eq!(d.code, E_TOO_DEEP);
    assert_eq!(d.message, format!("nested too deeply: the syntax tree is more than {MAX_TREE_DEPTH} levels deep here"));
    let offset = "const A = ".len() + (MAX_TREE_DEPTH - 1) * "1 + ".len() + "1 ".len();
    assert_eq!(d.span, Span::new(offset, offset + 1));
    assert_eq!(at, (1, offset + 1));
    // Just inside the limit the tree is built.
    assert!(parse_diags(&format!("const A = {}", vec!["1"; MAX_TREE_DEPTH].join(" + "))).is_empty());

    // Unary operators are built from the operand out: the MAX_TREE_DEPTH-th
    // `-` from the right is one too many.
    let extra = 5;
    let source = format!("const A = {}1", "-".repeat(MAX_TREE_DEPTH + extra));
    let (d, _) = refused(&source);
    assert_eq!(d.code, E_TOO_DEEP);
    assert_eq!(d.span, Span::new(10 + extra, 11 + extra));

    // An `else if` chain counts from the body's brace, one level per link,
    // and each link's condition is below it: in the process body (level 1)
    // link k is level k + 1 and its `x == k` reaches level k + 3.
    let mut source = String::from("process p() {\n    if x == 0 { }\n");
    for k in 1..MAX_TREE_DEPTH {
        source.push_str(&format!("    else if x == {k} {{ }}\n"));
    }
    source.push('}');
    let (d, at) = refused(&source);
    assert_eq!(d.code, E_TOO_DEEP);
    let k = MAX_TREE_DEPTH - 2;
    assert_eq!(at, (k + 2, "    else if x ".len() + 1), "the `==` of link {k}");
}

#[test]
fn chains_and_nesting_share_the_tree_depth() {
    // A chain inside blocks has the blocks' levels less to grow.
    let sum = |terms: usize| {
        format!(
            "process p() {{\n{}let x = {}\n{}}}",
            "if true {\n".repeat(99),
            vec!["1"; terms].join("+"),
            "}\n".repeat(99)
        )
    };
    assert!(parse_diags(&sum(MAX_TREE_DEPTH - 100)).is_empty());
    assert_eq!(refused(&sum(MAX_TREE_DEPTH - 99)).0.code, E_TOO_DEEP);
}

// ---------------------------------------------------------- comments

#[test]
fn an_unclosed_comment_is_reported_where_it_opens() {
    let cases = [
        ("const A = 1\n/* hello\nconst B = 2\n", (2, 1)),
        ("const A = 1 /* a /* b */ c\n", (1, 13)),
        ("process p() {\n    x = 1 /* the rest\n}\n", (2, 11)),
        ("process p() {\n    x = 1\n} /*", (3, 3)),
        ("const A = /*/ 1", (1, 11)),
    ];
    for (source, want) in cases {
        let (d, at) = refused(source);
        assert_eq!(d.code, E_SYNTAX, "{source:?}");
        assert_eq!(d.message, "this comment is never closed", "{source:?}");
        assert_eq!(d.span.end - d.span.start, 2, "{source:?}");
        assert_eq!(&source[d.span.range()], "/*");
        assert_eq!(at, want, "{source:?}");
    }
    // An error before the comment is reported as itself, and the comment too.
    let diags = parse_diags("const = 1\n/* x");
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["expected a name, found `=`", "this comment is never closed"]);
    // A `/*` in a string or a line comment opens nothing.
    assert!(parse_diags("// a /* b\nprocess p() { print(\"/* c\") }\n").is_empty());
}

// ---------------------------------------------------------- byte-order mark

#[test]
fn a_byte_order_mark_is_skipped_and_spans_stay_byte_offsets() {
    let source = "\u{FEFF}const A = 1 2\nconst B = 3";
    let (d, _) = refused(source);
    assert_eq!(d.code, E_SYNTAX);
    // The span is a byte offset into the text as given, BOM included.
    assert_eq!(&source[d.span.range()], "2");
    assert_eq!(d.span.start as usize, "\u{FEFF}const A = 1 ".len());
    // A BOM anywhere else is no whitespace.
    assert!(!parse_diags("const A = 1\n\u{FEFF}const B = 2").is_empty());
    assert!(parse_diags("\u{FEFF}const A = 1\n").is_empty());
}

#[test]
fn the_bracket_scan_reads_strings_and_comments_as_the_grammar_does() {
    let open =
        |source: &str| -> Vec<u8> { limits::scan_brackets(source).open_at_end.iter().map(|&(o, _)| o).collect() };
    // Brackets in string text, in a spec and in comments are not brackets.
    assert_eq!(open(r#"f(g("(", "\"(", "{x:(<8}") /* ( */ // ("#), b"(");
    // An interpolation's code is: its brackets count, its comments do not.
    assert_eq!(open(r#"{ print("{a[i /* ] } */"#), b"{(I[");
    // A `"` closes an interpolation left open, and what it opened, not what
    // was open before the string.
    assert_eq!(open(r#"{ print("{f(x")"#), b"{");
    // An escape cannot take the line end: the string ends there.
    assert_eq!(open("print(\"a\\\n("), b"((");
    // A `/*` inside a string opens no comment, one inside a comment nests.
    let scan = limits::scan_brackets("print(\"/*\") /* /* */ x");
    assert_eq!(scan.unclosed_comment, Some(12));
}
