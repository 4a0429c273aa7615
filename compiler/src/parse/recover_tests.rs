//! Tests of recovery after syntax errors and of the Python habits.

use super::*;
use crate::ast::ItemKind;

/// The diagnostics of a model, as `code @text` (the text under the span).
fn found(source: &str) -> Vec<String> {
    let (_, diags) = parse(source);
    diags.iter().map(|d| format!("{} @{}", d.code, &source[d.span.range()])).collect()
}

/// The names of the items in the tree.
fn item_names(source: &str) -> Vec<String> {
    let (module, _) = parse(source);
    module
        .items
        .iter()
        .map(|item| match &item.kind {
            ItemKind::Param { name, .. }
            | ItemKind::Const { name, .. }
            | ItemKind::Var { name, .. }
            | ItemKind::Struct { name, .. }
            | ItemKind::Lock { name, .. }
            | ItemKind::Channel { name, .. }
            | ItemKind::Queue { name, .. }
            | ItemKind::Resource { name, .. } => name.name.clone(),
            ItemKind::Fn(c) | ItemKind::Process(c) => c.name.name.clone(),
            ItemKind::Run { .. } => "run".to_string(),
        })
        .collect()
}

/// Wraps statements in a process and a `run`.
fn in_process(stmts: &str) -> String {
    format!("process main() {{\n{stmts}\n}}\nrun main()\n")
}

// ---------------------------------------------------------- recovery

#[test]
fn every_broken_item_is_reported_and_the_others_kept() {
    let source =
        "const A = 1 +\nvar ok: int = 0\nstruct S { a int }\nfn f() -> int { return 1 }\nprocess p( {\n}\nrun p()\n";
    assert_eq!(found(source), ["E0001 @var", "E0001 @int", "E0001 @{"]);
    assert_eq!(item_names(source), ["ok", "f", "run"]);
    let parsed = parse_model(source);
    assert_eq!(parsed.omitted, ["A", "S", "p"]);
    assert!(parsed.checkable);
}

#[test]
fn an_item_keyword_starts_a_new_item_only_in_the_first_column() {
    // Indented, `var` is a statement that does not parse, inside the body.
    let source = in_process("    var x: int = 0\n    let y = 1 +* 2");
    assert_eq!(found(&source), ["E0001 @var", "E0001 @*"]);
}

#[test]
fn recovery_goes_on_at_statement_boundaries() {
    let source = in_process("    let a = 1 +* 2\n    if a = 1 {\n        a += 1\n    } elif a > 2 {\n    }\n    a++");
    assert_eq!(found(&source), ["E0001 @*", "E0006 @=", "E0008 @elif", "E0009 @++"]);
}

#[test]
fn recovery_stops_where_no_line_is_sure_to_start_a_statement() {
    // After an unclosed `(`, every later line could continue it.
    assert_eq!(found(&in_process("    let a = (1 +* 2\n    let b = 1 +* 2")), ["E0001 @*"]);
    // A line that ends with an operator continues on the next.
    assert_eq!(found(&in_process("    let a = 1 +* 2 +\n    let b = 1 +* 2")), ["E0001 @*"]);
    // Inside a `select`, lines are arms, not statements.
    let select = in_process(
        "    select {\n        await delay(1) => { x +* 1 }\n        await delay(2) => { }\n    }\n    let b = 1 +* 2",
    );
    assert_eq!(found(&select), ["E0001 @*", "E0001 @*"]);
}

#[test]
fn a_body_left_open_is_reported_after_the_statements_in_it() {
    let source = "process p() {\n    let a = 1 +* 2\n    let b = 2\nrun p()\n";
    let (_, diags) = parse(source);
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["expected an expression, found `*`", "expected a statement or `}`, found `run`"]);
    assert_eq!(diags[1].secondary[0].message, "`{` opened here");
}

#[test]
fn errors_in_literals_leave_the_item_out_too() {
    assert_eq!(item_names("const A = 99999999999999999999\nconst B = 1"), ["B"]);
    assert_eq!(parse_model("const A = 99999999999999999999\nconst B = 1").omitted, ["A"]);
}

#[test]
fn the_checker_is_told_what_only_follows_from_the_syntax_errors() {
    let source = "struct Job { id int }\nfn cost(j: Job) -> int { return j.id }\nrun main()\n";
    let parsed = parse_model(source);
    assert_eq!(parsed.omitted, ["Job"]);
    let unknown = Diagnostic::error("E0106", "unknown type `Job`", Span::new(33, 36));
    assert!(parsed.explains(source, &unknown));
    let no_run = Diagnostic::error("E0103", "the model has no `run` item", Span::new(0, 0));
    assert!(parsed.explains(source, &no_run));
    let other = Diagnostic::error("E0201", "expected an int, found a float", Span::new(0, 3));
    assert!(!parsed.explains(source, &other));
    // Without syntax errors nothing is explained away.
    let clean = parse_model("process p() { }");
    assert!(!clean.explains("process p() { }", &no_run));
}

#[test]
fn each_top_level_line_of_a_python_script_gets_its_own_error() {
    let source = "import simpy\nRATE = 2.0\nn: int = 0\nenv = simpy.Environment()\nenv.run(until=20)\nprocess main() { }\nrun main()\n";
    assert_eq!(found(source), ["E0010 @import", "E0010 @RATE", "E0010 @n", "E0010 @env", "E0010 @env"]);
    assert_eq!(item_names(source), ["main", "run"]);
    assert_eq!(parse_model(source).omitted, ["RATE", "n", "env"]);
    // Indented lines there belong to what came before (a `def`'s body).
    assert_eq!(found("def f(x):\n    y = 1\n    z = 2\n"), ["E0010 @def"]);
}

#[test]
fn a_module_level_variable_gets_the_item_that_declares_it() {
    let note = |source: &str| parse(source).1[0].notes.join(" | ");
    assert_eq!(
        note("NUM = 2\n"),
        "write `const NUM = 2`, or `param NUM: int = 2` to set it with `usimc run --set NUM=...`; a global that \
         changes is `var NUM: int = 2`"
    );
    assert_eq!(
        note("busy = False\n"),
        "write `var busy: bool = false`, a global that processes share; a constant is `const`"
    );
    assert_eq!(
        note("rate: float = 1\n"),
        "write `var rate: float = 1`, a global that processes share; a constant is `const`"
    );
    assert!(note("env.run(until=480)\n").contains("`run main() until 480`"));
}

#[test]
fn the_errors_of_a_big_broken_model_are_bounded() {
    let source = in_process(&"    let a = 1 +* 2\n".repeat(5_000));
    let (_, diags) = parse(&source);
    assert_eq!(diags.len(), recover::MAX_SYNTAX_ERRORS);
}

// ---------------------------------------------------------- Python habits

#[test]
fn python_habits_get_the_usim_form() {
    // (statements of a process, the code, the text under the span)
    let cases = [
        ("    yield delay(1.0)", E_YIELD, "yield"),
        ("    yield env.timeout(1)", E_YIELD, "yield"),
        ("    let n = 5\n    if n = 5 { }", E_ASSIGN_IN_CONDITION, "="),
        ("    let n = 5\n    while n = 5 { }", E_ASSIGN_IN_CONDITION, "="),
        ("    let ok = a and b", E_WORD_OPERATOR, "and"),
        ("    let ok = a or b", E_WORD_OPERATOR, "or"),
        ("    if not a { }", E_WORD_OPERATOR, "not"),
        ("    if a { } elif b { }", E_ELIF, "elif"),
        ("    if a { }\n    elif b { }", E_ELIF, "elif"),
        ("    x %= 2", E_NO_SUCH_OPERATOR, "%="),
        ("    x //= 2", E_NO_SUCH_OPERATOR, "//="),
        ("    x **= 2", E_NO_SUCH_OPERATOR, "**="),
        ("    let y = x ** 2", E_NO_SUCH_OPERATOR, "**"),
        ("    x++", E_NO_SUCH_OPERATOR, "++"),
        ("    x--", E_NO_SUCH_OPERATOR, "--"),
        ("    let y = 2 ^ 3", E_NO_SUCH_OPERATOR, "^"),
        ("    let f = lambda x: x", E_PYTHON_FORM, "lambda"),
        ("    return a, b", E_PYTHON_FORM, ","),
        ("    print(f\"{x}\")", E_PYTHON_FORM, "f"),
        ("    print(\"x =\", x)", E_PYTHON_FORM, ","),
        ("    count: int = 0", E_PYTHON_FORM, ":"),
        ("    while x < 3:\n        x += 1", E_COLON_BLOCK, ":"),
        ("    for i in range(3):\n        x += i", E_COLON_BLOCK, ":"),
        ("    # a comment", E_HASH_COMMENT, "# a comment"),
        ("    let t = 10\n        + 3", E_LEADING_OPERATOR, "+"),
        ("    let t = 10\n        - 3", E_LEADING_OPERATOR, "-"),
        ("    let t = 10\n    * 3", E_LEADING_OPERATOR, "*"),
        ("    let t = a\n        && b", E_LEADING_OPERATOR, "&&"),
        ("    let t = a\n        || b", E_LEADING_OPERATOR, "||"),
    ];
    for (stmts, code, text) in cases {
        let source = in_process(stmts);
        let (_, diags) = parse(&source);
        assert_eq!(diags.len(), 1, "{stmts:?}: {diags:#?}");
        assert_eq!(diags[0].code, code, "{stmts:?}: {diags:#?}");
        assert_eq!(&source[diags[0].span.range()], text, "{stmts:?}");
    }
    let items = [
        ("def f(x):\n    return x\n", E_PYTHON_FORM, "def"),
        ("class Job:\n    pass\n", E_PYTHON_FORM, "class"),
        ("import random\n", E_PYTHON_FORM, "import"),
        ("from simpy import Environment\n", E_PYTHON_FORM, "from"),
        ("const A = 10\n    - 3\n", E_LEADING_OPERATOR, "-"),
        ("# a comment\n", E_HASH_COMMENT, "# a comment"),
    ];
    for (source, code, text) in items {
        let (_, diags) = parse(source);
        assert_eq!(diags.len(), 1, "{source:?}: {diags:#?}");
        assert_eq!(diags[0].code, code, "{source:?}");
        assert_eq!(&source[diags[0].span.range()], text, "{source:?}");
    }
}

#[test]
fn the_suggested_forms_quote_the_model() {
    let note = |stmts: &str| {
        let (_, diags) = parse(&in_process(stmts));
        diags[0].notes.join(" | ")
    };
    assert_eq!(note("    yield env.timeout(5) }"), "write `await delay(5)` | a usim process has no `env`: SimPy's `env.timeout(d)` is `delay(d)`, `env.now` is `now` and `env.process(p())` is `spawn p()`");
    assert_eq!(note("    if n = 5 and ok: x = 1"), "write `if n == 5 && ok {`");
    assert_eq!(
        note("    slot %= 5"),
        "write `slot = slot % 5`; the compound assignments are `+=`, `-=`, `*=` and `/=`"
    );
    assert!(note("    for i in range(2, n):").contains("`for i in 2..n {`"));
    assert!(note("    while True:").contains("`while true {`"));
    assert!(note("    if x > 3: x = 1").contains("`if x > 3 { x = 1 }`"));
    let (_, diags) = parse("def customer(env, name):\n    yield env.timeout(1)\n");
    assert!(diags[0].notes[0].contains("`process customer(name: float) { }`"), "{:?}", diags[0].notes);
}

#[test]
fn a_negated_line_is_an_error_only_after_a_statement_it_could_continue() {
    assert_eq!(found(&in_process("    let t = 10\n    - 3")), ["E0013 @-"]);
    assert_eq!(found(&in_process("    t = f(1)\n    -t")), ["E0013 @-"]);
    // Not after `;`, a block, a `print`, or as the first statement.
    assert!(found(&in_process("    let t = 10;\n    - 3")).is_empty());
    assert!(found(&in_process("    if a { }\n    - 3")).is_empty());
    assert!(found(&in_process("    print(\"x\")\n    - 3")).is_empty());
    assert!(found(&in_process("    - 3")).is_empty());
    // Inside parentheses a line may start with an operator.
    assert!(found(&in_process("    let t = (10\n        - 3)")).is_empty());
}

#[test]
fn a_comment_that_reads_as_an_integer_division_is_warned_about() {
    let warned = |stmts: &str| found(&in_process(stmts)) == [format!("{W_SLASH_SLASH} @//")];
    assert!(warned("    let n = 7\n    let q = 7 // 2"));
    assert!(warned("    let n = 7\n    let k = 2\n    let q = n // k"));
    assert!(warned("    let q = f(n) // 2 + 1"));
    assert!(warned("    let q = 7//2"));
    // Ordinary end-of-line comments.
    for quiet in [
        "    let x = 1 // set x",
        "    let x = 1 // again",
        "    let x = 1        // x",
        "    let x = 1 //  2",
        "    let x = 1 // 2 minutes",
        "    // 7 // 2",
        "    loop { } // 2",
        "    print(\"a // 2\")",
        "    let x = 1 /* a */ // note",
    ] {
        assert!(found(&in_process(quiet)).is_empty(), "{quiet:?}: {:?}", found(&in_process(quiet)));
    }
}
