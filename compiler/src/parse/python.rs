//! Python habits at the syntax level: where a syntax error is a form a Python
//! (or SimPy) modeller writes by habit, one diagnostic that names the usim
//! form instead of the grammar's "expected ...".
//!
//! [`habit`] looks at the text around a syntax error: the token there, the
//! word before it and the line it is on. [`comment_habits`] scans the whole
//! source for the two habits that are not syntax errors at all because `//`
//! starts a comment: `x //= 2` (an error) and `7 // 2` (a warning).
//! [`leading_operator`] is shared with the tree builder, which finds the one
//! continuation line that parses (`- 3` on its own line is a statement).
//!
//! Every fix a message suggests is itself valid usim.

use crate::ast::{ExprKind, Stmt, StmtKind, UnOp};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

use super::scan::{Kind, Scan, Segment};

/// `yield` where usim writes `await`.
pub const E_YIELD: &str = "E0005";
/// `=` in a condition where `==` was meant.
pub const E_ASSIGN_IN_CONDITION: &str = "E0006";
/// `and`, `or`, `not`.
pub const E_WORD_OPERATOR: &str = "E0007";
/// `elif`.
pub const E_ELIF: &str = "E0008";
/// An operator usim does not have: `**`, `**=`, `%=`, `//=`, `++`, `--`, `^`.
pub const E_NO_SUCH_OPERATOR: &str = "E0009";
/// A Python definition or statement form: `def`, `class`, `import`, `lambda`,
/// a tuple `return`, an f-string, `print` of several values.
pub const E_PYTHON_FORM: &str = "E0010";
/// A `:` opening a block.
pub const E_COLON_BLOCK: &str = "E0011";
/// A `#` comment.
pub const E_HASH_COMMENT: &str = "E0012";
/// A line that starts with a binary operator, as if it continued the line before.
pub const E_LEADING_OPERATOR: &str = "E0013";
/// `a // b`: a comment right after an operand that reads as a division.
pub const W_SLASH_SLASH: &str = "W0005";

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The line around `pos`: its start and its end (before `\n` and a `\r`).
fn line_bounds(source: &str, pos: usize) -> (usize, usize) {
    let bytes = source.as_bytes();
    let pos = pos.min(bytes.len());
    let start = bytes[..pos].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut end = bytes[pos..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| pos + i);
    if end > start && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    (start, end.max(pos))
}

/// The identifier that starts at `pos`, if one does.
fn word_at(source: &str, pos: usize) -> Option<&str> {
    let bytes = source.as_bytes();
    let first = *bytes.get(pos)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let end = bytes[pos..].iter().position(|&b| !is_word_byte(b)).map_or(bytes.len(), |i| pos + i);
    Some(&source[pos..end])
}

/// The identifier that ends just before `pos` (spaces and tabs between), on
/// the same line, with where it starts.
fn word_before(source: &str, pos: usize) -> Option<(usize, &str)> {
    let bytes = source.as_bytes();
    let mut end = pos.min(bytes.len());
    while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_word_byte(bytes[start - 1]) {
        start -= 1;
    }
    let word = &source[start..end];
    word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_').then_some((start, word))
}

/// A line's code: its text without a trailing `//` comment and spaces.
fn code_of(line: &str) -> &str {
    let end = Scan::new(line).find(|s| s.kind == Kind::LineComment).map_or(line.len(), |s| s.start);
    line[..end].trim_end()
}

/// The statement at the start of `text` (the rest of a line): its code up
/// to a `;` or to a `}` that closes a block it is in.
fn statement_of(text: &str) -> &str {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    for segment in Scan::new(text) {
        match segment.kind {
            Kind::LineComment => return text[..segment.start].trim_end(),
            Kind::Code => {}
            _ => continue,
        }
        for i in segment.start..segment.end {
            match bytes[i] {
                b'{' => depth += 1,
                b'}' if depth == 0 => return text[..i].trim_end(),
                b'}' => depth -= 1,
                b';' => return text[..i].trim_end(),
                _ => {}
            }
        }
    }
    text.trim_end()
}

/// Python spellings inside a piece of code that a suggestion quotes, turned
/// into usim's: `True`, `False`, `and`, `or`, `not`, `elif`, `range(a, b)`.
fn to_usim(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            // Copy a string as it is.
            let end = bytes[i + 1..].iter().position(|&c| c == b'"').map_or(bytes.len(), |k| i + 2 + k);
            out.push_str(&code[i..end]);
            i = end;
            continue;
        }
        if is_word_byte(b) && (i == 0 || !is_word_byte(bytes[i - 1])) {
            let end = bytes[i..].iter().position(|&c| !is_word_byte(c)).map_or(bytes.len(), |k| i + k);
            let word = &code[i..end];
            if word == "range" {
                if let Some((range, len)) = range_call(&code[end..]) {
                    out.push_str(&range);
                    i = end + len;
                    continue;
                }
            }
            let spaced = |s: &str| {
                let rest = code[end..].trim_start();
                if rest.is_empty() {
                    s.trim_end().to_string()
                } else {
                    s.to_string()
                }
            };
            match word {
                "True" => out.push_str("true"),
                "False" => out.push_str("false"),
                "and" => out.push_str(&spaced("&&")),
                "or" => out.push_str(&spaced("||")),
                "not" => {
                    out.push('!');
                    i = end;
                    while bytes.get(i).is_some_and(|&c| c == b' ') {
                        i += 1;
                    }
                    continue;
                }
                "elif" => out.push_str("else if"),
                _ => out.push_str(word),
            }
            i = end;
            continue;
        }
        let len = code[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&code[i..i + len]);
        i += len;
    }
    out
}

/// `(n)` or `(a, b)` after `range`: the usim range `0..n` or `a..b`, and the
/// length of the text read.
fn range_call(rest: &str) -> Option<(String, usize)> {
    let inner = rest.strip_prefix('(')?;
    let close = inner.find(')')?;
    let args: Vec<&str> = inner[..close].split(',').map(str::trim).collect();
    let range = match args.as_slice() {
        [n] if !n.is_empty() => format!("0..{n}"),
        [a, b] if !a.is_empty() && !b.is_empty() => format!("{a}..{b}"),
        _ => return None,
    };
    Some((range, close + 2))
}

/// Whether `text` is a plain name or number (a suggestion quotes it as it is).
fn is_simple(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| is_word_byte(b) || matches!(b, b'.' | b'[' | b']'))
        && text.bytes().filter(|&b| b == b'[').count() == text.bytes().filter(|&b| b == b']').count()
}

/// The binary operator that starts `text`, if one does.
fn binary_operator_at(text: &str) -> Option<&'static str> {
    const OPERATORS: [&str; 13] = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%"];
    OPERATORS.into_iter().find(|op| text.starts_with(op))
}

/// Where the last code before `pos` ends, when the line it is on (skipping
/// blank lines and comment lines) ends with an operand: a name, a number, a
/// string or a closing `)` or `]`. Then a line starting with an operator at
/// `pos` reads as if it continued that line.
fn operand_line_before(source: &str, pos: usize) -> Option<usize> {
    let (mut start, _) = line_bounds(source, pos);
    while start > 0 {
        let (prev_start, _) = line_bounds(source, start - 1);
        let line = &source[prev_start..start - 1];
        let code = code_of(line);
        let trimmed = code.trim_start();
        if trimmed.is_empty() || trimmed.starts_with("/*") || trimmed.starts_with('*') {
            start = prev_start;
            continue;
        }
        let last = *code.as_bytes().last()?;
        let ends_operand = is_word_byte(last) || matches!(last, b')' | b']' | b'"');
        // A keyword such as `else` or `loop` ends no expression.
        let keyword = word_before(code, code.len()).is_some_and(|(_, w)| {
            super::syntax_error::is_keyword_word(w) && !matches!(w, "true" | "false" | "now" | "instant")
        });
        return (ends_operand && !keyword).then_some(prev_start + code.len());
    }
    None
}

/// The diagnostic for a line that starts with the binary operator `op` at
/// `at`, after a statement that ended at `prev_end` (the end of its last
/// token).
pub(super) fn leading_operator(source: &str, at: usize, op: &str, prev_end: usize) -> Diagnostic {
    let (prev_start, _) = line_bounds(source, prev_end.saturating_sub(1));
    let prev_code = source[prev_start..prev_end].trim();
    let (_, line_end) = line_bounds(source, at);
    let rest = statement_of(&source[at..line_end]).trim_start_matches(op).trim();
    let mut diag = Diagnostic::error(
        E_LEADING_OPERATOR,
        format!("a line that starts with `{op}` does not continue the line before"),
        Span::new(at, at + op.len()),
    )
    .with_label(format!("`{op}` starts a new statement here"))
    .with_secondary(Span::new(prev_end.saturating_sub(1), prev_end), "the statement before ends here");
    diag = diag.with_note(
        "a line continues on the next one only when it ends inside `(` or `[`, or after a binary operator, \
         `,`, `=` or `=>`",
    );
    if !prev_code.is_empty() && !rest.is_empty() && prev_code.len() + rest.len() <= 80 {
        diag = diag.with_note(format!(
            "put the operator at the end of the first line, `{prev_code} {op}`, with `{rest}` on the next; \
             or write it on one line: `{prev_code} {op} {rest}`"
        ));
    } else {
        diag = diag.with_note(format!(
            "put the `{op}` at the end of the line before, or wrap the whole expression in parentheses"
        ));
    }
    diag
}

/// `let total = 10` and then `    - 3` on the next line: the second line
/// parses, as a statement of its own that negates 3, but was meant to
/// continue the first. Reported when the statement before ends in an
/// expression that the `-` could have continued.
pub(super) fn negated_line(source: &str, prev: &Stmt<()>, stmt: &Stmt<()>) -> Option<Diagnostic> {
    let StmtKind::Expr(expr) = &stmt.kind else { return None };
    if !matches!(expr.kind, ExprKind::Unary(UnOp::Neg, _)) || expr.span.start != stmt.span.start {
        return None;
    }
    let continuable = matches!(
        &prev.kind,
        StmtKind::Let { .. }
            | StmtKind::Assign { .. }
            | StmtKind::Expr(_)
            | StmtKind::Return(Some(_))
            | StmtKind::Record { .. }
            | StmtKind::Cancel(_)
    );
    let prev_end = prev.span.end as usize;
    let ends_operand =
        source.as_bytes().get(prev_end.checked_sub(1)?).is_some_and(|&b| is_word_byte(b) || b == b')' || b == b']');
    (continuable && ends_operand).then(|| leading_operator(source, stmt.span.start as usize, "-", prev_end))
}

/// The diagnostic for a syntax error at `pos` that is a Python habit, if it is one.
pub(super) fn habit(source: &str, pos: usize) -> Option<Diagnostic> {
    let pos = pos.min(source.len());
    let (line_start, line_end) = line_bounds(source, pos);
    let line = &source[line_start..line_end.max(line_start)];
    let before = &source[line_start..pos.max(line_start)];
    let after = source.get(pos..line_end.max(pos)).unwrap_or("");
    let found = word_at(source, pos);
    let previous = word_before(source, pos);
    let prev_word = previous.map(|(_, w)| w);
    let stmt = line.trim_start();
    let stmt_start = line_start + (line.len() - stmt.len());
    let first_word = word_at(source, stmt_start);
    let second_word = first_word.and_then(|w| {
        let rest = &source[stmt_start + w.len()..line_end.max(stmt_start + w.len())];
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        (skipped > 0).then(|| word_at(source, stmt_start + w.len() + skipped)).flatten()
    });
    let word_span = |at: usize, word: &str| Span::new(at, at + word.len());

    // `env.now`, `env.process(p(env))`, `env.run(until=10)` in a body: the
    // word after `env.` is a usim keyword, so the parser stops there.
    if before.ends_with("env.") && matches!(found, Some("now" | "process" | "run")) {
        let env_at = pos - "env.".len();
        let word = found.unwrap_or_default();
        let span = Span::new(env_at, pos + word.len());
        let (label, note) = match word {
            "now" => (
                "write `now`".to_string(),
                "the simulated time is the built-in `now` everywhere: `let t = now`, `print(\"t = {now}\")`"
                    .to_string(),
            ),
            "process" => {
                let call = statement_of(&after[word.len()..]).trim();
                let inner = call.strip_prefix('(').and_then(|c| c.strip_suffix(')')).unwrap_or("").trim();
                let inner = inner.replace("(env, ", "(").replace("(env)", "()");
                let fix = if is_simple(inner.split('(').next().unwrap_or("")) && inner.ends_with(')') {
                    format!("write `spawn {inner}`")
                } else {
                    "write `spawn p()`".to_string()
                };
                (
                    "write `spawn`".to_string(),
                    format!("a process starts another with `spawn`, and `let h = spawn p()` keeps a handle to `await h`: {fix}"),
                )
            }
            _ => (
                "usim has no `env`".to_string(),
                "a model is started once, by its `run` item at the top level: `run main() until 10.0`; \
                 inside a process, `await delay(d)` lets time pass"
                    .to_string(),
            ),
        };
        return Some(
            Diagnostic::error(E_PYTHON_FORM, "a usim process has no `env`", span).with_label(label).with_note(note),
        );
    }

    // `# comment`
    if after.starts_with('#') {
        let comment = code_of(after).len().max(1);
        let text = after[..comment.min(after.len())].trim_end();
        return Some(
            Diagnostic::error(E_HASH_COMMENT, "`#` does not start a comment in usim", Span::new(pos, pos + text.len()))
                .with_label("write `//` instead of `#`")
                .with_note(format!(
                    "a comment is `// text`, to the end of the line, or `/* text */`: write `//{}`",
                    text.trim_start_matches('#')
                )),
        );
    }

    // `def f(x):`, `class Job:`, `import random`, `from x import y`
    if let (Some(first), Some(name)) = (first_word, second_word) {
        match first {
            "def" => return Some(python_def(source, stmt_start, name, line_end)),
            "class" => {
                return Some(
                    Diagnostic::error(
                        E_PYTHON_FORM,
                        "usim has no classes: a record of values is a `struct`",
                        word_span(stmt_start, first),
                    )
                    .with_label("write `struct` instead of `class`")
                    .with_note(format!(
                        "declare `struct {name} {{ id: int, size: float }}` at the top level and build one with \
                         `{name} {{ id: 1, size: 2.0 }}`; a struct has no methods: write a `fn` that takes it"
                    )),
                );
            }
            "import" | "from" => {
                return Some(
                    Diagnostic::error(
                        E_PYTHON_FORM,
                        "usim has no `import`: a model is one file",
                        word_span(stmt_start, first),
                    )
                    .with_label("nothing to import")
                    .with_note(
                        "the built-in functions (`uniform`, `exponential`, `sqrt`, `pow`, ...) and the \
                             processes, locks, queues, channels and resources of SimPy are part of the language; \
                             delete this line",
                    ),
                );
            }
            _ => {}
        }
    }

    // The word `word` at the error, or just before it.
    let either = |word: &str| match (found, previous) {
        (Some(w), _) if w == word => Some(pos),
        (_, Some((at, w))) if w == word => Some(at),
        _ => None,
    };

    // `lambda x: ...`
    if let Some(at) = either("lambda") {
        return Some(
            Diagnostic::error(E_PYTHON_FORM, "usim has no `lambda`", word_span(at, "lambda"))
                .with_label("not a usim expression")
                .with_note(
                    "declare a `fn` at the top level and call it by name: \
                     `fn double(x: float) -> float { return 2.0 * x }`",
                ),
        );
    }

    // `yield env.timeout(1)`
    if let Some(at) = either("yield") {
        let waited = statement_of(&source[at + "yield".len()..line_end.max(at + 5)]).trim();
        let (fix, simpy) = match waited.strip_prefix("env.timeout(") {
            Some(rest) => (format!("await delay({rest}"), true),
            None => (format!("await {}", to_usim(waited)), waited.contains("env.")),
        };
        let mut diag = Diagnostic::error(E_YIELD, "a process waits with `await`, not `yield`", word_span(at, "yield"))
            .with_label("write `await` instead of `yield`");
        diag = if waited.is_empty() || fix.contains("env.") {
            diag.with_note("write `await delay(1.0)` to wait 1.0, or `await h` to wait for the process `h`")
        } else {
            diag.with_note(format!("write `{fix}`"))
        };
        if simpy {
            diag = diag.with_note(
                "a usim process has no `env`: SimPy's `env.timeout(d)` is `delay(d)`, `env.now` is `now` and \
                 `env.process(p())` is `spawn p()`",
            );
        }
        return Some(diag);
    }

    // `} elif n > 0 {`
    if let Some(at) = either("elif") {
        return Some(
            Diagnostic::error(E_ELIF, "usim writes `else if`, not `elif`", word_span(at, "elif"))
                .with_label("write `else if`")
                .with_note("`if n > 0 { x = 1 } else if n < 0 { x = -1 } else { x = 0 }`"),
        );
    }

    // `a and b`, `a or b`, `not done`
    let word_operator = match (found, prev_word) {
        (Some(w @ ("and" | "or")), _) => Some((pos, w)),
        (_, Some("not")) if found.is_some() || after.starts_with('(') => previous,
        _ => None,
    };
    if let Some((at, word)) = word_operator {
        let symbol = match word {
            "and" => "&&",
            "or" => "||",
            _ => "!",
        };
        return Some(
            Diagnostic::error(E_WORD_OPERATOR, format!("usim writes `{symbol}`, not `{word}`"), word_span(at, word))
                .with_label(format!("write `{symbol}`"))
                .with_note("the logical operators are `&&` (and), `||` (or) and `!` (not): `if n > 0 && !done { }`"),
        );
    }

    // `return a, b`
    if after.starts_with(',') && first_word == Some("return") {
        return Some(
            Diagnostic::error(
                E_PYTHON_FORM,
                "a `fn` or process returns one value, not a tuple",
                Span::new(pos, pos + 1),
            )
            .with_label("a second value")
            .with_note(
                "return a struct: declare `struct Pair { a: int, b: int }`, give the `fn` the result type \
                     `-> Pair` and write `return Pair { a: x, b: y }`; or, for values of one type, an array: \
                     `return [x, y]` with `-> [int; 2]`",
            ),
        );
    }

    // `print(f"...")`, `print("n =", n)`
    let before_code = before.trim_end();
    let in_print = before_code.ends_with("print(") || before_code.ends_with("fail(");
    if in_print && after.starts_with("f\"") {
        return Some(
            Diagnostic::error(E_PYTHON_FORM, "usim strings interpolate without an `f`", Span::new(pos, pos + 1))
                .with_label("drop the `f`")
                .with_note("every string of `print` and `fail` interpolates: `print(\"n = {n}\")`"),
        );
    }
    let print_call = stmt.starts_with("print(") || stmt.starts_with("fail(");
    if print_call && after.starts_with(',') && before_code.ends_with('"') {
        return Some(
            Diagnostic::error(E_PYTHON_FORM, "`print` takes one string", Span::new(pos, pos + 1))
                .with_label("a second argument")
                .with_note(format!("put the values inside the string: {}", several_values_fix(before_code, after))),
        );
    }

    // `x ** 2`, `x **= 2`, `x %= 2`, `x++`, `x--`, `2 ^ 3`
    if let Some(diag) = missing_operator(source, pos, line_start, line_end) {
        return Some(diag);
    }

    // `if n = 5 {`
    let condition = ["if ", "while ", "until ", "else if ", "} else if ", "await "].iter().any(|k| stmt.starts_with(k));
    if condition && after.starts_with('=') && !after.starts_with("==") && !after.starts_with("=>") {
        // The rest of the head: to its block's `{` (or a Python `:`).
        let rest = statement_of(&after[1..]);
        let rest = rest.split(['{', ':']).next().unwrap_or("").trim();
        let head = to_usim(&format!("{}== {rest}", before.trim_start().trim_start_matches("} ")));
        let note = if stmt.starts_with("await ") { format!("write `{head}`") } else { format!("write `{head} {{`") };
        return Some(
            Diagnostic::error(
                E_ASSIGN_IN_CONDITION,
                "`=` assigns a value; a comparison is `==`",
                Span::new(pos, pos + 1),
            )
            .with_label("write `==` to compare")
            .with_note(note),
        );
    }

    // `while x < 3:`
    if after.starts_with(':') && !after.starts_with("::") {
        let head = before.trim();
        let block_word = first_word.is_some_and(|w| {
            matches!(w, "if" | "while" | "for" | "else" | "loop" | "with" | "every" | "scope" | "until" | "select")
        }) || stmt.starts_with("} else");
        if block_word && !head.is_empty() {
            let head = to_usim(head.trim_start_matches("} ").trim());
            let body = statement_of(&after[1..]).trim();
            let fixed = if body.is_empty() { format!("{head} {{") } else { format!("{head} {{ {} }}", to_usim(body)) };
            return Some(
                Diagnostic::error(
                    E_COLON_BLOCK,
                    "a block is written in braces, not after `:`",
                    Span::new(pos, pos + 1),
                )
                .with_label("write `{` here, and `}` where the block ends")
                .with_note(format!(
                    "usim does not use indentation: write `{fixed}`{}",
                    if body.is_empty() { ", the body, then `}` on a line of its own" } else { "" }
                )),
            );
        }
    }

    // `env.run(until=20)`, `env.process(car(env))` at the top level.
    if pos == line_start && (after.starts_with("env.run(") || after.starts_with("env.process(")) {
        let horizon = after
            .split_once("until=")
            .and_then(|(_, t)| t.split([')', ',']).next())
            .map(str::trim)
            .filter(|t| is_simple(t));
        let fix = match horizon {
            Some(t) => format!("`run main() until {t}`"),
            None => "`run main()`, or `run main() until 480.0` with a horizon".to_string(),
        };
        return Some(
            Diagnostic::error(E_PYTHON_FORM, "a usim model is started by its `run` item", Span::new(pos, pos + 3))
                .with_label("usim has no `env`")
                .with_note(format!(
                    "name the processes that start at time 0 in the one `run` item: {fix}; `spawn p()` starts \
                     more from inside a process"
                )),
        );
    }

    // `RATE = 2.0` or `count: int = 0` at the top level, where an item is expected.
    if let Some(diag) = module_variable(source, pos, line_start, found) {
        return Some(diag);
    }

    // `x: int = 5`
    if after.starts_with(':') && is_simple(before.trim()) && !before.trim().contains(['.', '[']) {
        let name = before.trim();
        let rest = statement_of(&after[1..]).trim();
        let fix = match rest.split_once('=') {
            Some((ty, value)) if is_simple(ty.trim()) && !value.trim().is_empty() => {
                format!("write `let {name}: {} = {}`", ty.trim(), to_usim(value.trim()))
            }
            _ => format!("write `let {name}: int = 0`"),
        };
        return Some(
            Diagnostic::error(E_PYTHON_FORM, "a local is declared with `let`", Span::new(pos, pos + 1))
                .with_label("a type here needs a `let` first")
                .with_note(format!("{fix}; after that, `{name} = ...` assigns it")),
        );
    }

    // `let total = 10` / `    + 3`
    if before.trim().is_empty() {
        if let Some(op) = binary_operator_at(after) {
            if let Some(prev_end) = operand_line_before(source, pos) {
                return Some(leading_operator(source, pos, op, prev_end));
            }
        }
    }
    None
}

/// The one-string `print` for `print("text", a, b)`: `print("text {a} {b}")`,
/// when the values are plain names; else an example.
fn several_values_fix(before: &str, after: &str) -> String {
    let example = "`print(\"served {n} of {total}\")`".to_string();
    let Some(open) = before.rfind("(\"") else { return example };
    let call = &before[..open];
    let text = &before[open + 2..before.len() - 1];
    let args = after[1..].split(')').next().unwrap_or("");
    let names: Vec<&str> = args.split(',').map(str::trim).collect();
    if text.contains(['{', '"', '\\']) || !names.iter().all(|n| is_simple(n)) {
        return example;
    }
    let values: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
    let text = text.trim_end();
    let sep = if text.is_empty() { "" } else { " " };
    let call = call.trim_start();
    format!("`{call}(\"{text}{sep}{}\")`", values.join(" "))
}

/// `NAME = value` (or `name: type = value`) in the first column, where the
/// grammar wants an item: a Python module-level variable.
fn module_variable(source: &str, pos: usize, line_start: usize, found: Option<&str>) -> Option<Diagnostic> {
    let name = found.filter(|w| pos == line_start && !super::syntax_error::is_keyword_word(w))?;
    let (_, line_end) = line_bounds(source, pos);
    let rest = source[pos + name.len()..line_end].trim_start();
    let (annotated, value) = match rest.strip_prefix(':') {
        Some(typed) => {
            let (ty, value) = typed.split_once('=')?;
            (Some(ty.trim()), value)
        }
        None => (None, rest.strip_prefix('=').filter(|v| !v.starts_with('='))?),
    };
    let value = to_usim(statement_of(value).trim());
    let literal_type = if value == "true" || value == "false" {
        Some("bool")
    } else if value.parse::<i64>().is_ok() {
        Some("int")
    } else if value.parse::<f64>().is_ok() {
        Some("float")
    } else {
        None
    };
    let ty = match annotated {
        Some(t @ ("int" | "float" | "bool")) => Some(t),
        _ => literal_type,
    };
    let upper = name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let diag = Diagnostic::error(
        E_PYTHON_FORM,
        "a global is declared with `const`, `param` or `var`",
        Span::new(pos, pos + name.len()),
    )
    .with_label("a name at the top level starts no item");
    let note = if name.to_ascii_uppercase().contains("SEED") && literal_type == Some("int") {
        format!(
            "the random stream's seed is not part of the model: run it with `usimc run model.usim --seed {value}` (the \
             default seed is 1); any other constant is `const NAME = 2.5`"
        )
    } else if value.contains("simpy.") && !value.contains("Environment(") {
        format!(
            "shared objects are items of their own: `lock {name}(capacity: 2)`, `queue {name}: int`, \
             `resource {name}(capacity: 100.0, level: 50.0)` or `channel {name}: int`"
        )
    } else if value.contains("Environment(") {
        "usim is a language, not a Python library: there is no environment to create; the item \
         `run main() until T` starts the processes and runs the model"
            .to_string()
    } else if let (Some(ty), true) = (ty, literal_type.is_some()) {
        if upper {
            format!(
                "write `const {name} = {value}`, or `param {name}: {ty} = {value}` to set it with \
                 `usimc run --set {name}=...`; a global that changes is `var {name}: {ty} = {value}`"
            )
        } else {
            format!("write `var {name}: {ty} = {value}`, a global that processes share; a constant is `const`")
        }
    } else {
        "a constant is `const NAME = 2.5`, a value set with `--set` is `param NAME: int = 10`, and a global that \
         processes share is `var name: int = 0`"
            .to_string()
    };
    Some(diag.with_note(note))
}

/// `def f(a, b):`: a `fn`, or a `process` when the body yields.
fn python_def(source: &str, at: usize, name: &str, line_end: usize) -> Diagnostic {
    let line = &source[at..line_end.max(at)];
    let params = line.find('(').and_then(|open| {
        let close = line[open..].find(')')? + open;
        let mut typed = Vec::new();
        for param in line[open + 1..close].split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (param_name, ty) = match param.split_once(':') {
                Some((n, t)) => (n.trim(), t.split('=').next().unwrap_or("").trim()),
                None => (param.split('=').next().unwrap_or("").trim(), ""),
            };
            if matches!(param_name, "self" | "env") {
                continue;
            }
            if !is_simple(param_name) || param_name.contains(['.', '[']) {
                return None;
            }
            let ty = match ty {
                "int" | "bool" => ty,
                _ => "float",
            };
            typed.push(format!("{param_name}: {ty}"));
        }
        Some(typed.join(", "))
    });
    let params = params.unwrap_or_default();
    // The body: the indented lines after the `def`.
    let body_end = source[line_end..]
        .split_inclusive('\n')
        .skip(1)
        .take_while(|l| l.trim().is_empty() || l.starts_with([' ', '\t']))
        .map(str::len)
        .sum::<usize>();
    let body = source.get(line_end..(line_end + body_end + 1).min(source.len())).unwrap_or("");
    let yields = body.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == "yield");
    let diag = Diagnostic::error(
        E_PYTHON_FORM,
        "usim has no `def`: a function is a `fn`, or a `process` if it waits",
        Span::new(at, at + "def".len()),
    );
    if yields {
        diag.with_label("write `process` instead of `def`").with_note(format!(
            "this `def` yields, so it is a process: `process {name}({params}) {{ }}`, its body in the braces, each \
             parameter with a type; inside, SimPy's `yield env.timeout(d)` is `await delay(d)`"
        ))
    } else {
        diag.with_label("write `fn` instead of `def`").with_note(format!(
            "declare `fn {name}({params}) {{ }}`, its body in the braces, each parameter with a type; a result \
             needs its type too: `fn {name}({params}) -> float {{ return 0.0 }}`"
        ))
    }
}

/// `**`, `**=`, `%=`, `++`, `--` and `^`, which usim does not have.
fn missing_operator(source: &str, pos: usize, line_start: usize, line_end: usize) -> Option<Diagnostic> {
    let bytes = source.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    // Where the operator starts, which one it is, and what it would be in usim.
    let (start, op) = if at(pos) == Some(b'*') && pos > 0 && at(pos - 1) == Some(b'*') {
        (pos - 1, if at(pos + 1) == Some(b'=') { "**=" } else { "**" })
    } else if at(pos) == Some(b'*') && at(pos + 1) == Some(b'*') {
        (pos, if at(pos + 2) == Some(b'=') { "**=" } else { "**" })
    } else if at(pos) == Some(b'%') && at(pos + 1) == Some(b'=') {
        (pos, "%=")
    } else if at(pos) == Some(b'+') && pos > 0 && at(pos - 1) == Some(b'+') {
        (pos - 1, "++")
    } else if at(pos) == Some(b'+') && at(pos + 1) == Some(b'+') {
        (pos, "++")
    } else if at(pos) == Some(b'^') {
        (pos, "^")
    } else {
        let code = source[line_start..pos.max(line_start)].trim_end();
        if code.ends_with("--") {
            (line_start + code.len() - 2, "--")
        } else {
            return None;
        }
    };
    let lhs = source[line_start..start].trim();
    let rhs = statement_of(source.get(start + op.len()..line_end.max(start + op.len())).unwrap_or("")).trim();
    let span = Span::new(start, start + op.len());
    let simple_lhs = is_simple(lhs);
    let (message, fix) = match op {
        "**" => {
            let left = lhs.rsplit([' ', '(', '=', ',']).next().unwrap_or("");
            let right = rhs.split([' ', ')', ',']).next().unwrap_or("");
            let fix = if is_simple(left) && is_simple(right) {
                format!("write `pow({left}, {right})`, ")
            } else {
                "write `pow(x, y)`, ".to_string()
            };
            (
                "usim has no `**` operator: a power is `pow(x, y)`",
                format!("{fix}which gives a float; for an int, multiply (`n * n`) or round: `round(pow(n, 2))`"),
            )
        }
        "**=" => {
            ("usim has no `**=`", fix_or(simple_lhs, format!("write `{lhs} = pow({lhs}, {rhs})`"), "x = pow(x, 2)"))
        }
        "%=" => (
            "usim has no `%=`",
            format!(
                "{}; the compound assignments are `+=`, `-=`, `*=` and `/=`",
                fix_or(simple_lhs, format!("write `{lhs} = {lhs} % {rhs}`"), "x = x % 2")
            ),
        ),
        "++" => (
            "usim has no `++`",
            fix_or(
                is_simple(lhs) || lhs.is_empty(),
                format!("write `{} += 1`", if lhs.is_empty() { rhs } else { lhs }),
                "x += 1",
            ),
        ),
        "--" => ("usim has no `--`", fix_or(simple_lhs, format!("write `{lhs} -= 1`"), "x -= 1")),
        _ => {
            ("usim has no `^` operator", "a power is `pow(x, y)` (a float); usim has no bitwise operators".to_string())
        }
    };
    Some(Diagnostic::error(E_NO_SUCH_OPERATOR, message, span).with_label("not a usim operator").with_note(fix))
}

/// `fix` when the operands could be quoted, else the general form `general`.
fn fix_or(quoted: bool, fix: String, general: &str) -> String {
    if quoted && !fix.contains("``") && !fix.contains("  ") {
        fix
    } else {
        format!("write `{general}`")
    }
}

/// The habits hidden by `//` starting a comment: `x //= 2` (error E0009) and
/// a comment that reads as an integer division, `7 // 2` (warning W0005).
///
/// The warning's rule: the code before `//` on its line ends with an operand
/// (a name, a number, `)` or `]`; not a keyword), at most one space stands
/// on each side of the `//`, and the comment's first word is a number, a
/// `(`, or a name that the model's code uses, followed by nothing, an
/// operator or a bracket. So `x = 1 // set x` (two words), `n += 1 // again`
/// (a word the model does not use) and `const C = 300.0    // litres` (a
/// comment set apart) are not warned about.
pub(super) fn comment_habits(source: &str) -> Vec<Diagnostic> {
    let comments = line_comments(source);
    if comments.is_empty() {
        return Vec::new();
    }
    let names = code_names(source);
    let mut diags = Vec::new();
    for at in comments {
        let (line_start, line_end) = line_bounds(source, at);
        let code = source[line_start..at].trim_end();
        let Some(&last) = code.as_bytes().last() else { continue };
        // Spaced like an operator: at most one space on each side.
        let text = &source[at + 2..line_end.max(at + 2)];
        let gap_before = at - (line_start + code.len());
        let gap_after = text.len() - text.trim_start_matches([' ', '\t']).len();
        let spaced = gap_before <= 1 && gap_after <= 1;
        let operand = is_word_byte(last) || matches!(last, b')' | b']');
        let keyword = word_before(code, code.len()).is_some_and(|(_, w)| super::syntax_error::is_keyword_word(w));
        if !operand || keyword {
            continue;
        }
        if let Some(rhs) = text.strip_prefix('=') {
            let lhs = code.rsplit([' ', '\t', '{', ';']).next().unwrap_or("");
            let rhs = rhs.trim();
            let (lhs, rhs) = if is_simple(lhs) && is_simple(rhs) { (lhs, rhs) } else { ("x", "2") };
            diags.push(
                Diagnostic::error(
                    E_NO_SUCH_OPERATOR,
                    "usim has no `//=`: `//` starts a comment",
                    Span::new(at, at + 3),
                )
                .with_label("the rest of the line is a comment")
                .with_note(format!(
                    "write `{lhs} /= {rhs}`: `/` on two ints truncates toward zero (`7 / 2` is `3`; Python's \
                         `//` rounds down, so they differ for negative numbers); on floats write \
                         `{lhs} = floor({lhs} / {rhs})`"
                )),
            );
            continue;
        }
        if spaced && reads_as_operand(text, &names) {
            diags.push(
                Diagnostic::warning(
                    W_SLASH_SLASH,
                    "`//` starts a comment, not an integer division",
                    Span::new(at, at + 2),
                )
                .with_label("the code of this line ends here; the rest is a comment")
                .with_note(
                    "usim has no `//` operator: `/` on two ints truncates toward zero (`7 / 2` is `3`); on \
                         floats write `floor(a / b)`",
                )
                .with_note(
                    "if this is a comment, put it on a line of its own, or start it with a word that is not a \
                         name of the model",
                ),
            );
        }
    }
    diags
}

/// Whether a comment's text (after `//`) starts like the right operand of a
/// division: a number, a `(`, or a name of the model's code, followed by
/// nothing, an operator or a bracket.
fn reads_as_operand(text: &str, names: &std::collections::HashSet<&str>) -> bool {
    let text = text.trim_start_matches([' ', '\t']);
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else { return false };
    if first == b'(' {
        return true;
    }
    let end = bytes.iter().position(|&b| !(is_word_byte(b) || b == b'.')).unwrap_or(bytes.len());
    let word = &text[..end];
    let operand = if first.is_ascii_digit() {
        true
    } else if first.is_ascii_alphabetic() || first == b'_' {
        let name = word.split('.').next().unwrap_or("");
        names.contains(name) && !super::syntax_error::is_keyword_word(name)
    } else {
        false
    };
    let next = text[end..].trim_start_matches([' ', '\t']);
    let follows = next.is_empty()
        || next.starts_with(['(', ')', '[', ']', '{', ','])
        || (binary_operator_at(next).is_some() && !next.starts_with("//"));
    operand && follows
}

/// Where each `//` comment of the source starts (outside strings and block
/// comments).
fn line_comments(source: &str) -> Vec<usize> {
    Scan::new(source).filter(|s| s.kind == Kind::LineComment).map(|s| s.start).collect()
}

/// The names the model's code uses, outside comments and string text.
fn code_names(source: &str) -> std::collections::HashSet<&str> {
    let bytes = source.as_bytes();
    let mut names = std::collections::HashSet::new();
    for segment in Scan::new(source).filter(Segment::is_code) {
        let mut i = segment.start;
        while i < segment.end {
            let start = i;
            while i < segment.end && is_word_byte(bytes[i]) {
                i += 1;
            }
            if i == start {
                i += 1;
            } else if !bytes[start].is_ascii_digit() {
                names.insert(&source[start..i]);
            }
        }
    }
    names
}
