//! Tests of the parser: trees printed as S-expressions, diagnostics, limits
//! and robustness against arbitrary input.

use super::*;
use crate::ast::*;
use crate::ast_print::{print_block, print_expr, print_module};

/// Parses a model that must be free of problems and prints its tree.
fn ast(source: &str) -> String {
    let (module, diags) = parse(source);
    assert!(diags.is_empty(), "unexpected diagnostics for {source:?}: {diags:#?}");
    print_module(&module)
}

/// Parses statements as the body of a process and prints them.
fn body(stmts: &str) -> String {
    let source = format!("process p() {{\n{stmts}\n}}\n");
    let (module, diags) = parse(&source);
    assert!(diags.is_empty(), "unexpected diagnostics for {source:?}: {diags:#?}");
    match module.items.first().map(|item| &item.kind) {
        Some(ItemKind::Process(process)) => print_block(&process.body),
        other => panic!("not a process: {other:?}"),
    }
}

/// Parses one expression (as a `const`) and prints it.
fn expr(text: &str) -> String {
    let source = format!("const X = {text}");
    let (module, diags) = parse(&source);
    assert!(diags.is_empty(), "unexpected diagnostics for {source:?}: {diags:#?}");
    match module.items.first().map(|item| &item.kind) {
        Some(ItemKind::Const { value, .. }) => print_expr(value),
        other => panic!("not a const: {other:?}"),
    }
}

/// The diagnostics of a model, as `code message @start..end`.
fn diags(source: &str) -> Vec<String> {
    let (_, diags) = parse(source);
    diags.iter().map(|d| format!("{} {} @{}..{}", d.code, d.message, d.span.start, d.span.end)).collect()
}

/// The one diagnostic of a model that must fail to parse.
fn one_error(source: &str) -> Diagnostic {
    let (module, mut diags) = parse(source);
    assert_eq!(diags.len(), 1, "expected one diagnostic for {source:?}: {diags:#?}");
    if diags[0].code == E_SYNTAX || diags[0].code == E_TOO_DEEP {
        assert!(module.items.is_empty());
    }
    diags.remove(0)
}

// ---------------------------------------------------------- expressions

#[test]
fn precedence_loosest_first() {
    assert_eq!(expr("a || b && c == d + e * f"), "(|| a (&& b (== c (+ d (* e f)))))");
    assert_eq!(expr("a * b + c == d && e || f"), "(|| (&& (== (+ (* a b) c) d) e) f)");
    assert_eq!(expr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(expr("1 * 2 + 3"), "(+ (* 1 2) 3)");
    assert_eq!(expr("a < b + 1 && c >= d || !e"), "(|| (&& (< a (+ b 1)) (>= c d)) (not e))");
    assert_eq!(expr("x % 2 == 0 || y != -1"), "(|| (== (% x 2) 0) (!= y (neg 1)))");
}

#[test]
fn binary_operators_are_left_associative() {
    assert_eq!(expr("a - b - c"), "(- (- a b) c)");
    assert_eq!(expr("a / b * c % d"), "(% (* (/ a b) c) d)");
    assert_eq!(expr("a || b || c"), "(|| (|| a b) c)");
    assert_eq!(expr("a && b && c"), "(&& (&& a b) c)");
}

#[test]
fn unary_binds_tighter_than_binary_and_looser_than_postfix() {
    assert_eq!(expr("-a * b"), "(* (neg a) b)");
    assert_eq!(expr("-7 / 2"), "(/ (neg 7) 2)");
    assert_eq!(expr("!!ok"), "(not (not ok))");
    assert_eq!(expr("- -x"), "(neg (neg x))");
    assert_eq!(expr("-p.x[2]"), "(neg (index (. p x) 2))");
    assert_eq!(expr("-tank.level()"), "(neg (method tank level))");
}

#[test]
fn postfix_chains() {
    assert_eq!(expr("jobs.put(j)"), "(method jobs put j)");
    assert_eq!(expr("buffers[k].put(Job { id: 1 })"), "(method (index buffers k) put (struct-lit Job (id 1)))");
    assert_eq!(expr("xs.len()"), "(method xs len)");
    assert_eq!(expr("a.b.c"), "(. (. a b) c)");
    assert_eq!(expr("m[i][j]"), "(index (index m i) j)");
    assert_eq!(expr("f(a, g(b))"), "(call f a (call g b))");
    assert_eq!(expr("f()"), "(call f)");
    assert_eq!(expr("f(1, 2,)"), "(call f 1 2)");
}

#[test]
fn literals() {
    assert_eq!(expr("42"), "42");
    assert_eq!(expr("1_000"), "1000");
    assert_eq!(expr("3.5"), "3.5");
    assert_eq!(expr("1e-3"), "0.001");
    assert_eq!(expr("2.5e3"), "2500.0");
    assert_eq!(expr("1E3"), "1000.0");
    assert_eq!(expr("true"), "true");
    assert_eq!(expr("false"), "false");
    assert_eq!(expr("now"), "now");
    assert_eq!(expr("9223372036854775807"), "9223372036854775807");
    assert_eq!(expr("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(expr("[1, 2, 3]"), "(array 1 2 3)");
    assert_eq!(expr("[1.5, 2.5,]"), "(array 1.5 2.5)");
    assert_eq!(expr("[0.0; 4]"), "(array-repeat 0.0 4)");
    assert_eq!(expr("[[0; 2]; N]"), "(array-repeat (array-repeat 0 2) N)");
    assert_eq!(expr("Job { id: 1, size: 2.0, urgent: false }"), "(struct-lit Job (id 1) (size 2.0) (urgent false))");
}

#[test]
fn parentheses_are_kept() {
    assert_eq!(expr("(a < b) == c"), "(== (paren (< a b)) c)");
    assert_eq!(expr("(1 + 2) * 3"), "(* (paren (+ 1 2)) 3)");
}

#[test]
fn await_and_spawn_take_the_whole_expression() {
    assert_eq!(body("await a + b"), "(await (+ a b))");
    assert_eq!(body("await served >= 10 && open"), "(await (&& (>= served 10) open))");
    assert_eq!(body("await !door_open"), "(await (not door_open))");
    assert_eq!(body("await instant"), "(await instant)");
    assert_eq!(body("let h = spawn worker(3)"), "(let h (spawn (call worker 3)))");
    assert_eq!(body("total += await h"), "(+= total (await h))");
    assert_eq!(body("let j = await jobs.get()"), "(let j (await (method jobs get)))");
    assert_eq!(body("return await h"), "(return (await h))");
    assert_eq!(body("f(spawn g())"), "(call f (spawn (call g)))");
}

#[test]
fn keywords_need_a_word_boundary() {
    assert_eq!(body("let iffy = nowhere + instantly + trueish"), "(let iffy (+ (+ nowhere instantly) trueish))");
    assert_eq!(
        body("let priority = proc + capacity + level + int"),
        "(let priority (+ (+ (+ proc capacity) level) int))"
    );
    assert_eq!(body("awaiting = spawned"), "(= awaiting spawned)");
}

// ---------------------------------------------------------- lines and separators

#[test]
fn a_line_continues_inside_brackets() {
    assert_eq!(body("let x = f(1,\n  2\n  , 3\n)"), "(let x (call f 1 2 3))");
    assert_eq!(body("let x = (a\n  + b\n)"), "(let x (paren (+ a b)))");
    assert_eq!(body("let xs = [\n  1,\n  2,\n]"), "(let xs (array 1 2))");
    assert_eq!(body("let y = xs[\n  i\n]"), "(let y (index xs i))");
    assert_eq!(body("let x = (\n  a\n  .b\n)"), "(let x (paren (. a b)))");
}

#[test]
fn a_line_continues_after_an_operator_comma_and_equals() {
    assert_eq!(body("let x = a +\n  b *\n  c"), "(let x (+ a (* b c)))");
    assert_eq!(body("let x = a &&\n\n  b // comment\n"), "(let x (&& a b))");
    assert_eq!(body("let x =\n  42"), "(let x 42)");
    assert_eq!(body("x +=\n  1"), "(+= x 1)");
    assert_eq!(ast("run a(),\n  b()\n"), "(module\n  (run (call a) (call b)))\n");
}

#[test]
fn a_newline_ends_a_statement_before_an_operator() {
    // `- 1` on its own line is a second statement, not a subtraction: an
    // error after a statement it could have continued (E0013).
    assert_eq!(
        diags("process p() {\n  let x = a\n  - 1\n}"),
        ["E0013 a line that starts with `-` does not continue the line before @28..29"]
    );
    assert_eq!(body("let x = a;\n- 1"), "(let x a)\n(neg 1)");
    assert_eq!(body("if a { }\n- 1"), "(if a\n  (block))\n(neg 1)");
    assert_eq!(body("- 1"), "(neg 1)");
    assert_eq!(body("f(x)\n[1, 2]"), "(call f x)\n(array 1 2)");
}

#[test]
fn else_may_stand_on_the_next_line() {
    let printed = body("if a {\n  x = 1\n}\nelse if b {\n  x = 2\n}\nelse {\n  x = 3\n}");
    assert_eq!(
        printed,
        "(if a\n  (block\n    (= x 1))\n  (else\n    (block\n      (if b\n        (block\n          (= x 2))\n        (else\n          (block\n            (= x 3)))))))"
    );
}

#[test]
fn struct_literals_and_declarations_span_lines() {
    let source = "struct Job {\n  id: int,\n  size: float\n  urgent: bool,\n}\nprocess p() {\n  let j = Job {\n    id: 1,\n    size:\n      2.0\n    urgent: false\n  }\n}\n";
    assert_eq!(
        ast(source),
        "(module\n  (struct Job (id int) (size float) (urgent bool))\n  (process p (params)\n    (block\n      (let j (struct-lit Job (id 1) (size 2.0) (urgent false))))))\n"
    );
}

#[test]
fn a_brace_after_a_name_opens_a_block_unless_a_field_follows() {
    assert_eq!(body("if ok { done = true }"), "(if ok\n  (block\n    (= done true)))");
    assert_eq!(body("if x {}"), "(if x\n  (block))");
    assert_eq!(body("for j in jobs { handle(j) }"), "(for j (each jobs)\n  (block\n    (call handle j)))");
    assert_eq!(body("while (P { x: 1 }).x > 0 { }"), "(while (> (. (paren (struct-lit P (x 1))) x) 0)\n  (block))");
}

#[test]
fn semicolons_and_blank_lines_separate_statements() {
    assert_eq!(body(";; x = 1; y = 2;\n\n;\nz = 3;"), "(= x 1)\n(= y 2)\n(= z 3)");
    assert_eq!(ast("; const A = 1; const B = 2 ;\n"), "(module\n  (const A 1)\n  (const B 2))\n");
    assert_eq!(
        ast("process p() { x = 1; y = 2 }"),
        "(module\n  (process p (params)\n    (block\n      (= x 1)\n      (= y 2))))\n"
    );
    assert_eq!(ast("\n\n// only a comment\n\n"), "(module)\n");
}

#[test]
fn empty_input_is_an_empty_module() {
    assert_eq!(ast(""), "(module)\n");
    assert_eq!(ast("\u{FEFF}const A = 1"), "(module\n  (const A 1))\n");
}

#[test]
fn crlf_line_ends() {
    assert_eq!(ast("const A = 1\r\nconst B = 2\r\n"), "(module\n  (const A 1)\n  (const B 2))\n");
}

#[test]
fn comments_nest_and_end_at_the_line_end() {
    let source = "/* outer /* inner */ still a comment */\nconst A = 1 // trailing\n/* a\n multi-line\n */\nconst B = /* inline */ 2\n";
    assert_eq!(ast(source), "(module\n  (const A 1)\n  (const B 2))\n");
    assert_eq!(body("x = 1 /* a */ + /* b */ 2"), "(= x (+ 1 2))");
}

// ---------------------------------------------------------- strings

#[test]
fn interpolation_and_escapes() {
    assert_eq!(
        body(r#"print("mean {total / n:.3} of {n}")"#),
        r#"(print (str "mean " (interp (/ total n) .3) " of " (interp n)))"#
    );
    assert_eq!(
        body(r#"print("braces \{ and \} tab\t nl\n \"q\" \\")"#),
        r#"(print (str "braces { and } tab\t nl\n \"q\" \\"))"#
    );
    assert_eq!(body(r#"print("{x}{y:.0}")"#), "(print (str (interp x) (interp y .0)))");
    assert_eq!(body(r#"print("")"#), "(print (str))");
    assert_eq!(body(r#"print("a // b /* c ( [")"#), r#"(print (str "a // b /* c ( ["))"#);
    assert_eq!(body(r#"fail("bad { f(a, b) }")"#), r#"(fail (str "bad " (interp (call f a b))))"#);
    assert_eq!(
        body(r#"print("{p}: {Job { id: 1 }}")"#),
        r#"(print (str (interp p) ": " (interp (struct-lit Job (id 1)))))"#
    );
}

#[test]
fn interpolation_spans_point_into_the_source() {
    let source = "process p() {\n  print(\"t={now + 1:.2}\")\n}";
    let (module, diags) = parse(source);
    assert!(diags.is_empty());
    let Some(ItemKind::Process(process)) = module.items.first().map(|i| &i.kind) else {
        panic!("no process");
    };
    let StmtKind::Print(text) = &process.body.stmts[0].kind else { panic!("no print") };
    assert_eq!(&source[text.span.range()], "\"t={now + 1:.2}\"");
    let StrPart::Interp { expr, format } = &text.parts[1] else { panic!("no interpolation") };
    assert_eq!(&source[expr.span.range()], "now + 1");
    let format = format.expect("a format");
    assert_eq!(format.spec, usim_stdlib::format::Spec::decimals(2));
    assert_eq!(&source[format.span.range()], ":.2");
}

#[test]
fn interpolation_formats() {
    assert_eq!(
        body(r#"print("{a:8}|{b:<12}|{c:*^8.3}|{d:+08.2}|{e:>}|{f:}")"#),
        r#"(print (str (interp a 8) "|" (interp b <12) "|" (interp c *^8.3) "|" (interp d +08.2) "|" (interp e >) "|" (interp f)))"#
    );
    // A fill that is itself an alignment character, and a space fill.
    assert_eq!(body(r#"print("{a:<<4}{b: >4}")"#), "(print (str (interp a <<4) (interp b >4)))");
    assert_eq!(body(r#"print("{Job { id: 1 }:<30}")"#), "(print (str (interp (struct-lit Job (id 1)) <30)))");
}

#[test]
fn malformed_formats_are_reported_at_the_bad_part() {
    let one = |spec: &str| {
        let source = format!("process p() {{ print(\"{{x{spec}}}\") }}");
        let d = diags(&source);
        assert_eq!(d.len(), 1, "{spec}: {d:?}");
        d[0].clone()
    };
    assert_eq!(one(":1001"), "E0002 a width is at most 1000 characters, not 1001 @24..28");
    assert_eq!(one(":8."), "E0002 expected the number of decimals after `.` @25..26");
    assert_eq!(one(":."), "E0002 expected the number of decimals after `.` @24..25");
    assert_eq!(one(":?"), "E0002 usim has no debug format (`?`): `{x}` prints any value @24..25");
    assert_eq!(one(":8x"), "E0002 usim prints numbers in decimal only: there is no `x` format @25..26");
    assert_eq!(one(":-8"), "E0002 `-` is not a format flag: a negative number shows its `-` anyway @24..25");
    assert_eq!(one(":w$"), "E0002 a width is a number, not a name (`name$`) @24..25");
    assert_eq!(one(":+0>8"), "E0002 an alignment goes first, before any sign, `0` or width @26..27");
    assert_eq!(one(":.1>8"), "E0002 an alignment goes first, before any sign, `0` or width @26..27");
    // A fill that looks like a flag is a fill, as in Rust.
    assert!(diags("process p() { print(\"{x:+<8}{x:0>8}{x:8<}\") }").is_empty());
    assert_eq!(
        one(":0+8"),
        "E0002 the parts of a format go in the order fill and alignment, `+`, `0`, width, `.decimals` @25..26"
    );
    assert_eq!(
        one(":*8"),
        "E0002 `*` is not a format: a fill character goes before an alignment, as in `{x:*^8}` @24..25"
    );
    assert_eq!(diags(r#"process p() { print("a {:8} b") }"#), ["E0002 a format needs a value before it @24..26"]);
}

// ---------------------------------------------------------- items

#[test]
fn every_item_kind() {
    let source = "\
param CUSTOMERS: int = 10
const SERVICE = 12.0
var served: [int; PUMPS] = [0; PUMPS]
struct Job { id: int, size: float, urgent: bool }
lock counter
lock pumps[PUMPS]
lock repairman(capacity: 1, preemptive)
lock bays[3](capacity: 2)
channel news: int
channel alarms[2]: int
queue jobs: Job
queue slots: int(capacity: 10)
queue buffers[5]: Job(capacity: 10)
resource tank(capacity: 200.0, level: 150.0)
resource tanks[2](capacity: 100.0, level: 50.0)
fn service_time(size: float, k: int) -> float { return size * 1.5 }
process customer(id: int, h: proc, g: proc<int>) -> [float; 2] { }
run source(), clock(1) until 480.0
";
    let expected = "\
(module
  (param CUSTOMERS int 10)
  (const SERVICE 12.0)
  (var served [int; PUMPS] (array-repeat 0 PUMPS))
  (struct Job (id int) (size float) (urgent bool))
  (lock counter)
  (lock pumps (family PUMPS))
  (lock repairman (options (capacity 1) preemptive))
  (lock bays (family 3) (options (capacity 2)))
  (channel news int)
  (channel alarms (family 2) int)
  (queue jobs Job)
  (queue slots int (options (capacity 10)))
  (queue buffers (family 5) Job (options (capacity 10)))
  (resource tank (options (capacity 200.0) (level 150.0)))
  (resource tanks (family 2) (options (capacity 100.0) (level 50.0)))
  (fn service_time (params (size float) (k int)) (-> float)
    (block
      (return (* size 1.5))))
  (process customer (params (id int) (h proc) (g proc<int>)) (-> [float; 2])
    (block))
  (run (call source) (call clock 1) (until 480.0)))
";
    assert_eq!(ast(source), expected);
    assert_eq!(ast("run main()"), "(module\n  (run (call main)))\n");
}

#[test]
fn item_spans_cover_the_item() {
    let source = "const A = 1\n\nprocess p() {\n}\n";
    let (module, _) = parse(source);
    let texts: Vec<&str> = module.items.iter().map(|i| &source[i.span.range()]).collect();
    assert_eq!(texts, ["const A = 1", "process p() {\n}"]);
}

// ---------------------------------------------------------- statements

#[test]
fn every_statement_kind() {
    let stmts = "\
let x = 1
let y: float = 3
x = x + 1
x += 1
x -= 1
x *= 2
x /= 2
xs[i].f = -x
if x > 1 { print(\"big\") } else if x > 0 { } else { fail(\"neg {x}\") }
while x < 3 { x += 1 }
for i in 0..n + 1 { continue }
for m in news { break }
loop { stop }
return
return x
record wait = now - arrive
every 10.0 { }
scope { spawn a(); spawn b() }
with counter { }
with pumps priority 2 { }
with pumps[i] priority p { }
with tank(5.0) { }
with tanks[1](5.0) { }
until at(480.0) { }
cancel h
await delay(1.5)
f(x)";
    let expected = "\
(let x 1)
(let y float 3)
(= x (+ x 1))
(+= x 1)
(-= x 1)
(*= x 2)
(/= x 2)
(= (. (index xs i) f) (neg x))
(if (> x 1)
  (block
    (print (str \"big\")))
  (else
    (block
      (if (> x 0)
        (block)
        (else
          (block
            (fail (str \"neg \" (interp x)))))))))
(while (< x 3)
  (block
    (+= x 1)))
(for i (range 0 (+ n 1))
  (block
    (continue)))
(for m (each news)
  (block
    (break)))
(loop
  (block
    (stop)))
(return)
(return x)
(record wait (- now arrive))
(every 10.0
  (block))
(scope
  (block
    (spawn (call a))
    (spawn (call b))))
(with counter
  (block))
(with pumps (priority 2)
  (block))
(with (index pumps i) (priority p)
  (block))
(with tank (amount 5.0)
  (block))
(with (index tanks 1) (amount 5.0)
  (block))
(until (call at 480.0)
  (block))
(cancel h)
(await (call delay 1.5))
(call f x)";
    assert_eq!(body(stmts), expected);
}

#[test]
fn select_arms() {
    let stmts = "\
select {
    with counter => { serve() }
    let m = await inbox.get() => { handle(m) }

    await delay(patience) =>
    {
        reneged += 1
    }
    with tanks[1](5.0) priority 2 => { }
}";
    let expected = "\
(select
  (arm (with counter)
    (block
      (call serve)))
  (arm (let m (await (method inbox get)))
    (block
      (call handle m)))
  (arm (await (call delay patience))
    (block
      (+= reneged 1)))
  (arm (with (index tanks 1) (amount 5.0) (priority 2))
    (block)))";
    assert_eq!(body(stmts), expected);
}

#[test]
fn a_long_else_if_chain_is_built_without_recursion() {
    let mut source = String::from("if x == 0 { }");
    for k in 1..500 {
        source.push_str(&format!(" else if x == {k} {{ }}"));
    }
    source.push_str(" else { }");
    let printed = body(&source);
    assert_eq!(printed.matches("(if").count(), 500);
}

// ---------------------------------------------------------- diagnostics

#[test]
fn missing_closing_brace() {
    let source = "process main() {\n    let x = 1\n";
    let d = one_error(source);
    assert_eq!(d.code, E_SYNTAX);
    assert_eq!(d.message, "expected `}`, found end of file");
    assert_eq!(d.span, Span::new(source.len(), source.len()));
    assert_eq!(d.secondary[0].span, Span::new(15, 16));
}

#[test]
fn syntax_error_messages() {
    // (source, message, the text under the primary span)
    let cases = [
        ("process p() {\n  let x = 1 2\n}", "expected a newline or `;` between statements, found `2`", "2"),
        ("process p() {\n  let x = \n}", "expected an expression, found `}`", "}"),
        ("process p() {\n  if x\n  { }\n}", "expected `{`, found a newline", "\n"),
        ("process p() {\n  let x = (a b)\n}", "expected `)`, found `b`", "b"),
        ("process p() {\n  = 3\n}", "expected a statement or `}`, found `=`", "="),
        ("let x = 3", "expected an item (`param`, `const`, `var`, `struct`, `lock`, `channel`, `queue`, `resource`, `fn`, `process` or `run`), found `let`", "let"),
        ("run a() b", "expected `,`, a newline or `;`, found `b`", "b"),
        ("const A = 1 2", "expected a newline or `;` between items, found `2`", "2"),
        ("process p() {\n  print(x)\n}", "expected a string literal, found `x`", "x"),
        ("process p() {\n  let in = 3\n}", "expected a name, found `in`", "in"),
        ("param X int = 3", "expected `:`, found `int`", "int"),
        ("process p() {\n  print(\"abc\n}", "unterminated string: expected `\"`, found a newline", "\n"),
        ("process p() { select { } }", "expected a select arm (`with ...`, `let ... = await ...` or `await ...`), found `}`", "}"),
        ("process p(a: int b: int) {}", "expected `)` or `,`, found `b`", "b"),
        ("process p() {\n  for i 0..3 {}\n}", "expected `in`, found `0`", "0"),
        ("process p() {\n  x = 1 +* 2\n}", "expected an expression, found `*`", "*"),
        ("process p() {\n  x = a.\n}", "expected a name, found `}`", "}"),
        ("process p() {\n  x = f(1, 2\n", "expected `)`, found end of file", ""),
        ("queue q: int(capacity 10)", "expected `)`, `:` or `,`, found `10`", "10"),
        ("struct A { x: int y: float }", "expected `}` or `,`, found `y`", "y"),
        ("process p() {\n  x\n  .f()\n}", "expected a statement or `}`, found `.`", "."),
    ];
    for (source, message, text) in cases {
        let d = one_error(source);
        assert_eq!(d.code, E_SYNTAX, "for {source:?}");
        assert_eq!(d.message, message, "for {source:?}");
        assert_eq!(&source[d.span.range()], text, "for {source:?}");
    }
}

#[test]
fn chained_comparisons_are_reported_once() {
    assert_eq!(diags("const A = a < b < c"), ["E0003 comparisons cannot be chained @10..19"]);
    assert_eq!(diags("const A = a == b != c"), ["E0003 comparisons cannot be chained @10..21"]);
    assert_eq!(diags("const A = a < b < c < d"), ["E0003 comparisons cannot be chained @10..19"]);
    assert!(diags("const A = (a < b) == c").is_empty());
    assert!(diags("const A = a < b == (c < d)").len() == 1);
    assert!(diags("const A = a < b && b < c").is_empty());
    // The item is left out of the tree; the others are checked.
    let (module, _) = parse("const A = a < b < c\nconst B = 1");
    assert_eq!(module.items.len(), 1);
}

#[test]
fn bad_literals() {
    assert_eq!(
        diags("const A = 9223372036854775808"),
        ["E0002 integer literal `9223372036854775808` is too large @10..29"]
    );
    assert_eq!(diags("const A = 1e999"), ["E0002 float literal `1e999` is too large @10..15"]);
    assert_eq!(diags("process p() { print(\"a \\q b\") }"), ["E0002 unknown escape `\\q` in a string @23..25"]);
    assert_eq!(diags("process p() { print(\"a } b\") }"), ["E0002 unmatched `}` in a string @23..24"]);
    assert_eq!(
        diags("process p() { print(\"{x:.99999999999}\") }"),
        ["E0002 too many decimals: `:.99999999999` @23..36"]
    );
}

#[test]
fn too_deep_bracket_nesting() {
    let ok = format!("const A = {}1{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(parse(&ok).1.is_empty());
    for open in ["(", "[", "{"] {
        let source = format!("const A = {}", open.repeat(MAX_NESTING + 1));
        let d = one_error(&source);
        assert_eq!(d.code, E_TOO_DEEP);
        assert_eq!(d.span, Span::new(10 + MAX_NESTING, 11 + MAX_NESTING));
    }
    // Nested block comments count too; brackets in comments and strings do not.
    let comment = format!("{}{}", "/*".repeat(300), "*/".repeat(300));
    assert_eq!(one_error(&comment).code, E_TOO_DEEP);
    let quiet = format!("// {}\nprocess p() {{ print(\"\\{{ {}\") }}", "(".repeat(500), "[".repeat(500));
    assert!(parse(&quiet).1.is_empty());
}

/// Chains far past the tree-depth limit are refused at it, whatever the kind
/// of chain (the partial tree is dropped on the parser's own thread); the
/// first is as long as an 8 MiB model can hold. The parser's work is bounded
/// by pest's call limit, not checked here by a clock: a wall-clock bound
/// failed CI on a loaded 2-core machine, and speed is for benchmarks.
#[test]
fn chains_as_long_as_the_source_limit_allows_are_refused() {
    let half = MAX_SOURCE_BYTES / 2 - 8;
    let n = 500_000;
    let sources = [
        format!("const A = {}1", "1+".repeat(half)),
        format!("const A = {}1", "-".repeat(n)),
        format!("const A = {}true", "!".repeat(n)),
        format!("const A = a{}", ".b".repeat(n)),
        format!("const A = a{}", "[0]".repeat(n)),
        format!("process p() {{ if a {{ }}{} }}", " else if b { }".repeat(n)),
    ];
    for source in &sources {
        assert!(source.len() <= MAX_SOURCE_BYTES);
        assert_eq!(one_error(source).code, E_TOO_DEEP, "{}", &source[..40]);
    }
}

#[test]
fn too_large_source() {
    let source = " ".repeat(MAX_SOURCE_BYTES + 1);
    assert_eq!(one_error(&source).code, E_TOO_DEEP);
}

#[test]
fn error_spans_never_split_characters() {
    for source in ["const A = é", "const A = 1 ü", "process p() { x = \"é", "é", "const A = (1 ☃"] {
        let (_, diags) = parse(source);
        assert!(!diags.is_empty(), "{source:?}");
        for d in diags {
            assert!(source.get(d.span.range()).is_some(), "bad span {:?} in {source:?}", d.span);
            assert!(d.span.end > d.span.start || d.span.start as usize == source.len());
        }
    }
}

// ---------------------------------------------------------- examples

/// The models of the shared conformance suite and of the repository's
/// fixtures and examples, when they are present.
// Reading fixtures is the test's own IO, not the compiler's.
#[allow(clippy::disallowed_methods)]
fn example_models() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs = [
        std::path::PathBuf::from("/work/shared/conformance/core"),
        std::path::PathBuf::from("/work/shared/conformance/run"),
        root.join("examples"),
        root.join("tests/fixtures/ok"),
    ];
    let mut models = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "usim") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    models.push((path, text));
                }
            }
        }
    }
    models.sort();
    models
}

#[test]
fn example_models_parse() {
    // Not even a warning: their end-of-line comments are not taken for `//` divisions.
    for (path, text) in example_models() {
        let (_, diags) = parse(&text);
        assert!(diags.is_empty(), "{}: {diags:#?}", path.display());
    }
}

#[test]
fn language_reference_snippets_parse() {
    // The code blocks of LANGUAGE.md, with `...` bodies emptied and
    // statement snippets wrapped in a process.
    let items = r#"
param CUSTOMERS: int = 10          // overridable: usimc run m.usim --set CUSTOMERS=50
const SERVICE = 12.0               // compile-time constant, type inferred
var served: int = 0                // global mutable state; awaitable in conditions (§5.4)
struct Job { id: int, size: float, urgent: bool }

lock counter                       // mutual exclusion, capacity 1
lock pumps(capacity: 2)            // counting lock; waiters served FIFO (by priority first, §5.2)
channel news: int                  // unbuffered broadcast (§5.3)
queue jobs: Job                    // FIFO buffer, each item goes to exactly one receiver
queue slots: int(capacity: 10)     // bounded: put waits while full
resource tank(capacity: 200.0, level: 150.0)   // a continuous level (SimPy Container)

fn service_time(size: float) -> float { return size * 1.5 }   // plain function: may not await
process customer(id: int) { }                // may await; may return a value: -> T
run source(), clock() until 480.0                // the root processes and an optional horizon

const PUMPS = 4
var served2: [int; PUMPS] = [0; PUMPS]   // conditions may watch elements: await served[2] > 5
lock pumps2[PUMPS]                        // with pumps[i] { }   (each its own lock)
lock bays[3](capacity: 2)
queue buffers[5]: Job(capacity: 10)      // await buffers[k].put(j)
channel alarms[2]: int
resource tanks[2](capacity: 100.0, level: 50.0)
lock repairman(capacity: 1, preemptive)
"#;
    let statements = r#"
await delay(1.5)        // resume 1.5 later; delay(0) still yields (see tie order, §6)
await at(480.0)         // the same as delay(480.0 - now); at(t < now) is a runtime error
await instant           // let every other process due now run first, then resume
spawn customer(7)       // start a process now; the caller continues
let h = spawn worker(3) // h: proc<int>
let r = await h         // wait for it to end; r is its return value (any number of
                        // processes may await the same handle)
cancel h                // end it now; its `with` blocks release what they hold;
every 10.0 { }          // iteration k (from 0) starts at max(t0 + k*10.0, the end of
scope { spawn a(); spawn b() }   // waits until every process spawned directly in the block
with counter { }                   // acquire 1, release when the block ends in any way
with pumps priority 2 { }          // lower number = served first; FIFO among equals;
news.send(x)              // broadcast: wakes every process awaiting `news` now;
let m = await news        // next broadcast
for m in news { }         // every broadcast from now on
await jobs.put(j)         // suspends only while a bounded queue is full
let j = await jobs.get()  // suspends while empty; FIFO among getters
for j in jobs { }         // take items forever
jobs.len()                // items buffered now
await tank.get(40.0)      // resource: wait until level >= 40, then take it
await tank.put(40.0)      // wait until level + 40 <= capacity, then add it
tank.level()
with tank(5.0) { }        // borrow 5.0 and give it back at block end
await served >= 10        // a bool expression over globals: resumes as soon as it holds
await !door_open          // the toggled form (resumes when it becomes false)
select {                                // the first ready arm wins; the others are withdrawn
    with counter => { serve() }         // acquired: held for the arm's body
    let m = await inbox.get() => { handle(m) }
    await delay(patience) => { reneged += 1 }
}
until at(480.0) { }                     // run the body; interrupt it when the event fires
until closing { }                       // any awaitable or condition may follow `until`
record wait = now - arrive   // adds a sample to the tally named `wait`
let x: float = 3
x = x + 1
x += 1
"#;
    assert!(parse(items).1.is_empty(), "{:#?}", parse(items).1);
    let process = format!("process p() {{\n{statements}\n}}");
    assert!(parse(&process).1.is_empty(), "{:#?}", parse(&process).1);
}

// ---------------------------------------------------------- robustness

const MODEL: &str = r#"
// A small model using most of the syntax.
param N: int = 10
const RATE = 1.5e0
var served: [int; 2] = [0; 2]
struct Job { id: int, size: float }
lock desk(capacity: 2, preemptive)
queue jobs: Job(capacity: 10)
resource tank(capacity: 200.0, level: 150.0)
fn cost(x: float) -> float { return -x * (RATE + 1) % 3 }
process source() {
    for i in 0..N {
        await jobs.put(Job { id: i, size: exponential(RATE) })
        await delay(1.0); served[0] += 1
    }
}
process server(k: int) -> int {
    select {
        with desk priority k => { print("{now:.2} \{ok\}") }
        let j = await jobs.get() => { record size = j.size }
        await delay(5) => { fail("timeout {k}") }
    }
    if served[0] > 3 && !(k == 1) { stop } else if k < 0 { return 0 }
    else { until at(100.0) { with tank(5.0) { } } }
    return k
}
run source(), server(1) until 480.0
"#;

#[test]
fn the_robustness_model_parses() {
    assert!(parse(MODEL).1.is_empty(), "{:#?}", parse(MODEL).1);
}

#[test]
fn truncations_never_panic() {
    for end in 0..=MODEL.len() {
        if let Some(prefix) = MODEL.get(..end) {
            let _ = parse(prefix);
        }
    }
    for start in 0..MODEL.len() {
        if let Some(suffix) = MODEL.get(start..) {
            let _ = parse(suffix);
        }
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text_never_panics(source in "\\PC{0,200}") {
            let _ = parse(&source);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let source = String::from_utf8_lossy(&bytes);
            let _ = parse(&source);
        }

        #[test]
        fn usim_like_text_never_panics(
            tokens in proptest::collection::vec(
                prop_oneof![
                    Just("process p() {"), Just("}"), Just("{"), Just("("), Just(")"),
                    Just("["), Just("]"), Just("\n"), Just(";"), Just("let x ="),
                    Just("if"), Just("else"), Just("await"), Just("1"), Just("2.5"),
                    Just("x"), Just("+"), Just("<"), Just("=="), Just("\"a{x:.2}\\n\""),
                    Just("print("), Just("/*"), Just("*/"), Just("//"), Just(","),
                    Just(":"), Just("=>"), Just(".."), Just("."), Just("-"), Just("!"),
                    Just("select {"), Just("with"), Just("run"), Just("é"),
                ],
                0..60,
            )
        ) {
            let source = tokens.join(" ");
            let (module, diags) = parse(&source);
            for d in &diags {
                prop_assert!(source.get(d.span.range()).is_some());
            }
            // No item with an error inside it stays in the tree.
            for d in diags.iter().filter(|d| d.is_error()) {
                for item in &module.items {
                    prop_assert!(!(item.span.start < d.span.start && d.span.start < item.span.end), "{d:?} in {item:?}");
                }
            }
        }

        #[test]
        fn mutated_model_never_panics(at in 0usize..1000, junk in "\\PC{0,8}") {
            let at = at % MODEL.len();
            let mut source = String::new();
            for (i, c) in MODEL.char_indices() {
                if i == at {
                    source.push_str(&junk);
                }
                source.push(c);
            }
            let _ = parse(&source);
        }
    }
}

#[test]
fn comments_are_listed_as_the_grammar_reads_them() {
    let source = "// one\nprocess main() { /* two /* nested */ */\n    print(\"{1 /* in a string */} // not one\") // three\n}\n";
    let texts: Vec<&str> = super::comments(source).iter().map(|c| &source[c.range()]).collect();
    assert_eq!(texts, ["// one", "/* two /* nested */ */", "// three"]);
}
