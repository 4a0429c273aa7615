//! Syntax errors: pest's error turned into one diagnostic a modeller can act on.
//!
//! Pest reports the rules it tried; this module names them in the language's
//! own words, describes the token found, and points at the unclosed bracket.

use pest::error::{ErrorVariant, InputLocation};

use crate::diagnostic::Diagnostic;
use crate::span::Span;

use super::limits::scan_brackets;
use super::{python, Rule, E_SYNTAX, E_TOO_DEEP};

/// Where pest's error is, as a byte offset.
pub(super) fn error_offset(err: &pest::error::Error<Rule>) -> usize {
    match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    }
}

/// A `/*` that is never closed: the rest of the file is comment, so the
/// grammar fails at (or just after) the `/*`. Points at where it opens.
pub(super) fn unclosed_comment(at: usize) -> Diagnostic {
    Diagnostic::error(E_SYNTAX, "this comment is never closed", Span::new(at, at + 2))
        .with_label("the comment opens here and runs to the end of the file")
        .with_note("a `/*` comment ends at `*/`; comments nest, so every `/*` inside one needs its own `*/`")
}

/// What a parse that failed was reading, for the words of its error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// Items: the whole file, or a stretch of it (`Rule::file`).
    Items,
    /// The statements after an error in a body (`Rule::recover_tail`).
    Statements,
    /// What follows a body (`Rule::recover_rest`).
    AfterBody,
}

/// Turns pest's error into one diagnostic a modeller can act on. The parse
/// read `source[base..]` (or a part of it), so its offsets start at `base`.
pub(super) fn syntax_error(source: &str, base: usize, err: &pest::error::Error<Rule>, context: Context) -> Diagnostic {
    let pos = floor_char_boundary(source, base + error_offset(err));
    let found = token_at(source, pos);
    let mut positives = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => {
            return Diagnostic::error(E_TOO_DEEP, "the model is too large or too deeply nested to parse", found.span);
        }
    };
    if let Some(diag) = python::habit(source, pos) {
        return diag;
    }
    if context == Context::Statements {
        // The end of a stretch of statements is no end of file, and a `}`
        // that closes a block there is the `}` of a block.
        positives.retain(|r| !matches!(r, Rule::EOI | Rule::recover_tail));
        for r in &mut positives {
            if *r == Rule::tail_close {
                *r = Rule::rbrace;
            }
        }
    }
    let at_end = pos >= source.len();
    let (message, wanted) = expected_message(&positives, at_end, &found.text);
    let before = source.get(..pos).unwrap_or("").trim_end();
    let wants_arm = wanted.contains(&SELECT_ARM);
    let empty_select =
        wants_arm && found.text == "`}`" && before.strip_suffix('{').is_some_and(|b| b.trim_end().ends_with("select"));
    let label = if empty_select { "a `select` needs at least one arm".to_string() } else { found.label };
    let mut diag = Diagnostic::error(E_SYNTAX, message, found.span).with_label(label);
    if wants_arm {
        diag = diag.with_note(
            "an arm starts with what it waits for, then its block: `with lock => { ... }`, \
             `let x = await ... => { ... }` or `await ... => { ... }`",
        );
    } else if wanted == [KW_AWAIT] {
        diag = diag.with_note("a `let` in a `select` arm binds what the arm waits for: write `let x = await ...`");
    }

    if positives.contains(&Rule::str_lit) && (before.ends_with("print(") || before.ends_with("fail(")) {
        // `print(x)` or `print(x, y)`: show the string that prints those names.
        let rest = source.get(pos..).unwrap_or("");
        let args = rest.split(')').next().unwrap_or("");
        let names: Vec<&str> = args.split(',').map(str::trim).collect();
        let simple = |n: &&str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        let fix = if !args.contains(['\n', '"']) && names.iter().all(simple) {
            let shown: Vec<String> = names.iter().map(|n| format!("{n} = {{{n}}}")).collect();
            format!("`print(\"{}\")`", shown.join(", "))
        } else {
            "`print(\"n = {n}\")`".to_string()
        };
        diag = diag.with_note(format!("`print` and `fail` take one string, which may interpolate values: {fix}"));
    }
    if positives.contains(&Rule::str_end) {
        diag = diag.with_note("a string ends on the line where it starts");
    }
    if found.text == "a string" && wanted.contains(&"`}`") {
        diag = diag.with_note("to write a brace in a string, escape it: `\\{`, `\\}`");
    }
    // `var level = 0`: a var, param or const names its type.
    if found.text == "`=`" && wanted.contains(&"`:`") {
        let line = before.rsplit('\n').next().unwrap_or("").trim_start();
        let mut words = line.split_whitespace();
        if let (Some(item @ ("var" | "param" | "const")), Some(name), None) = (words.next(), words.next(), words.next())
        {
            let value = source.get(pos + 1..).unwrap_or("").lines().next().unwrap_or("").trim();
            let ty = if value == "true" || value == "false" {
                "bool"
            } else if value.parse::<i64>().is_ok() {
                "int"
            } else if value.parse::<f64>().is_ok() {
                "float"
            } else {
                "int"
            };
            let shown = if value.is_empty() || value.contains("//") { "0".to_string() } else { value.to_string() };
            let shown = if ty == "int" && value.parse::<i64>().is_err() { "0".to_string() } else { shown };
            diag = diag.with_note(format!("a `{item}` names its type: `{item} {name}: {ty} = {shown}`"));
        }
    }
    if found.text == "`:`" && positives.contains(&Rule::interp_fmt) {
        diag = diag.with_note("a format is `{x:.N}`, where N is the number of decimals");
    }
    if is_keyword(&found.text) && wanted.contains(&"a name") {
        diag = diag.with_note(format!("{} is a reserved keyword and cannot name anything", found.text));
    }
    if matches!(found.text.as_str(), "`await`" | "`spawn`") && wanted.contains(&"an expression") {
        diag = diag.with_note(
            "`await` and `spawn` take the whole expression to their right, so they start an expression: \
             write `let x = await ...` first, then use `x`",
        );
    }
    if wanted.first().is_some_and(|w| w.starts_with("an item")) && !is_statement_keyword(&found.text) {
        let word = found.text.trim_matches('`');
        let items = ["param", "const", "var", "struct", "lock", "channel", "queue", "resource", "fn", "process", "run"];
        if let Some(item) = crate::check::closest(word, items.into_iter()) {
            diag = diag.with_note(format!("did you mean `{item}`?"));
        }
    }
    if let Some((at, op)) = continued_line(source, base, found.span.start as usize) {
        diag = diag.with_secondary(
            Span::new(at, at + op.len()),
            format!("this line ends with `{op}`, so it continues on the next"),
        );
    }
    if found.text == "`]`" && before.ends_with('[') && wanted.contains(&"an expression") {
        diag = diag.with_note("an array literal needs at least one element; for zeros write `[0.0; N]`");
    }
    if wanted.first().is_some_and(|w| w.starts_with("an item")) && is_statement_keyword(&found.text) {
        diag = diag.with_note("statements go inside the body of a `process` or `fn`");
    }
    // Point at the bracket that the expected closer would close.
    let closers: Vec<u8> = wanted
        .iter()
        .filter_map(|w| match *w {
            "`)`" => Some(b'('),
            "`]`" => Some(b'['),
            "`}`" => Some(b'{'),
            _ => None,
        })
        .collect();
    let open = scan_brackets(source.get(base.min(pos)..pos).unwrap_or("")).open_at_end;
    let opener = open.iter().rev().find(|(o, _)| closers.contains(o) || (*o == b'I' && closers.contains(&b'{')));
    if let Some(&(opener, at)) = opener {
        let at = base + at;
        let what = match (opener, at_end) {
            (b'(', true) => "this `(` is never closed",
            (b'[', true) => "this `[` is never closed",
            (b'I', _) => "this interpolation `{` is not closed",
            (_, true) => "this `{` is never closed",
            (b'(', false) => "`(` opened here",
            (b'[', false) => "`[` opened here",
            _ => "`{` opened here",
        };
        diag = diag.with_secondary(Span::new(at, at + 1), what);
    }
    diag
}

/// When the token at `pos` starts its line and the line before (after
/// `base`) ends with a binary operator or `=`, so that the grammar read on
/// into this line: where that operator is.
fn continued_line(source: &str, base: usize, pos: usize) -> Option<(usize, &str)> {
    let bytes = source.as_bytes();
    let line_start = bytes[..pos.min(bytes.len())].iter().rposition(|&b| b == b'\n')? + 1;
    if line_start <= base || !source[line_start..pos].trim().is_empty() {
        return None;
    }
    let previous = source[base..line_start - 1].trim_end();
    let is_op = |b: &u8| matches!(b, b'+' | b'-' | b'*' | b'/' | b'%' | b'=' | b'&' | b'|' | b'<' | b'>' | b'!');
    let op_len = previous.bytes().rev().take_while(is_op).count();
    let last_line = previous.rfind('\n').map_or(previous, |i| &previous[i..]);
    if op_len == 0 || op_len > 2 || last_line.contains("//") {
        return None;
    }
    let at = previous.len() - op_len;
    Some((base + at, &previous[at..]))
}

/// "expected X, found Y", from the rules pest tried at the error position;
/// also returns the descriptions of what was expected.
fn expected_message(positives: &[Rule], at_end: bool, found: &str) -> (String, Vec<&'static str>) {
    let has = |r: Rule| positives.contains(&r);
    if has(Rule::str_end) {
        return (format!("unterminated string: expected `\"`, found {found}"), vec!["`\"`"]);
    }
    if has(Rule::item) || has(Rule::file) || has(Rule::chunk) {
        let item = "an item (`param`, `const`, `var`, `struct`, `lock`, `channel`, `queue`, `resource`, `fn`, `process` or `run`)";
        return (format!("expected {item}, found {found}"), vec![item]);
    }
    let mut wanted: Vec<&'static str> = Vec::new();
    let mut continuations: Vec<&'static str> = Vec::new();
    for &rule in positives {
        let (text, continuation) = describe(rule);
        if text.is_empty() {
            continue;
        }
        let list = if continuation { &mut continuations } else { &mut wanted };
        if !list.contains(&text) {
            list.push(text);
        }
    }
    let is_closer = |t: &&str| matches!(*t, "`}`" | "`)`" | "`]`");
    if at_end && wanted.iter().any(is_closer) {
        // Closing what is still open is the one fix that surely helps.
        wanted.retain(is_closer);
    }
    wanted.retain(|t| *t != "end of file" || at_end);
    let ends_statement = |t: &&str| matches!(*t, "a newline or `;`" | "`}`");
    if !at_end && has(Rule::sep) && wanted.iter().all(ends_statement) {
        let between = if has(Rule::EOI) { "items" } else { "statements" };
        let message = format!("expected a newline or `;` between {between}, found {found}");
        return (message, vec!["a newline or `;`"]);
    }
    let starts_something = |t: &&str| t.starts_with("a select arm") || *t == "a statement";
    if wanted.iter().any(starts_something) {
        // Where an arm or a statement could start, a separator is no news.
        wanted.retain(|t| *t != "a newline or `;`");
    }
    if wanted.is_empty() {
        wanted = continuations;
    }
    if wanted.is_empty() {
        return (format!("syntax error: unexpected {found}"), wanted);
    }
    // List a separator last, as its two spellings: "`,`, a newline or `;`".
    let mut listed: Vec<&str> = wanted.iter().copied().filter(|t| *t != "a newline or `;`").collect();
    if listed.len() < wanted.len() {
        listed.extend(["a newline", "`;`"]);
    }
    (format!("expected {}, found {found}", join_or(&listed)), wanted)
}

/// How to name a rule in "expected ...", and whether it only continues
/// something complete (an operator after an operand), which is worth naming
/// only when nothing else could follow.
fn describe(rule: Rule) -> (&'static str, bool) {
    match rule {
        Rule::sep => ("a newline or `;`", false),
        Rule::EOI => ("end of file", false),
        Rule::stmt => ("a statement", false),
        Rule::expr
        | Rule::iexpr
        | Rule::unary
        | Rule::iunary
        | Rule::postfix
        | Rule::ipostfix
        | Rule::primary
        | Rule::unary_op
        | Rule::prefix_op
        | Rule::expr_stmt => ("an expression", false),
        Rule::type_expr | Rule::named_type | Rule::array_type | Rule::proc_type => ("a type", false),
        Rule::ident | Rule::name => ("a name", false),
        Rule::str_lit => ("a string literal", false),
        Rule::block | Rule::lbrace => ("`{`", false),
        Rule::slbrace => ("`{`", true),
        Rule::rbrace => ("`}`", false),
        Rule::rparen => ("`)`", false),
        Rule::rbracket => ("`]`", false),
        Rule::colon => ("`:`", false),
        Rule::comma => ("`,`", false),
        Rule::semi => ("`;`", false),
        Rule::eq => ("`=`", false),
        Rule::gt => ("`>`", false),
        Rule::fat_arrow => ("`=>`", false),
        Rule::kw_in => ("`in`", false),
        Rule::kw_if => ("`if`", false),
        Rule::kw_await => (KW_AWAIT, false),
        Rule::select_arm | Rule::with_head | Rule::let_head | Rule::await_head => (SELECT_ARM, false),
        Rule::struct_field => ("a field (`name: type`)", false),
        Rule::field_init => ("a field (`name: value`)", false),
        Rule::param_decl => ("a parameter (`name: type`)", false),
        Rule::obj_option => ("an option", false),
        Rule::params | Rule::lparen | Rule::call_args | Rule::obj_options | Rule::with_amount => ("`(`", true),
        Rule::lbracket | Rule::index | Rule::family | Rule::with_index => ("`[`", true),
        Rule::infix_op => ("an operator", true),
        Rule::assign_op => ("`=`", true),
        Rule::dot | Rule::member | Rule::postfix_op => ("`.`", true),
        Rule::dotdot => ("`..`", true),
        Rule::arrow | Rule::ret_type => ("`->`", true),
        Rule::lt => ("`<`", true),
        Rule::kw_else | Rule::else_if | Rule::else_clause => ("`else`", true),
        Rule::kw_until | Rule::run_until => ("`until`", true),
        Rule::kw_priority | Rule::with_priority => ("`priority`", true),
        Rule::interp_fmt => ("`:.N`", true),
        _ => ("", false),
    }
}

/// How "expected ..." names a `select` arm.
const SELECT_ARM: &str = "a select arm (`with ...`, `let ... = await ...` or `await ...`)";
/// How "expected ..." names the keyword `await`.
const KW_AWAIT: &str = "`await`";

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

const KEYWORDS: &[&str] = &[
    "param", "const", "var", "struct", "lock", "channel", "queue", "resource", "fn", "process", "run", "until", "let",
    "if", "else", "while", "for", "in", "loop", "break", "continue", "return", "print", "fail", "stop", "record",
    "await", "spawn", "cancel", "every", "scope", "with", "select", "true", "false", "now", "instant",
];

/// Whether `found` (as `token_at` quotes it) is a keyword.
fn is_keyword(found: &str) -> bool {
    let word = found.trim_matches('`');
    found.starts_with('`') && KEYWORDS.contains(&word)
}

/// Whether `word` is a reserved keyword.
pub(super) fn is_keyword_word(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

fn is_statement_keyword(found: &str) -> bool {
    let word = found.trim_matches('`');
    found.starts_with('`')
        && matches!(
            word,
            "let"
                | "if"
                | "while"
                | "for"
                | "loop"
                | "print"
                | "fail"
                | "await"
                | "spawn"
                | "every"
                | "scope"
                | "with"
                | "select"
                | "record"
                | "return"
                | "cancel"
        )
}

/// The token at an error position.
struct Found {
    /// For "found ...": "`x`", "a newline", "end of file".
    text: String,
    /// Under the primary span.
    label: String,
    /// At least one character, or empty at the end of the file.
    span: Span,
}

/// Describes the token at `pos`.
fn token_at(source: &str, pos: usize) -> Found {
    let pos = floor_char_boundary(source, pos);
    let rest = source.get(pos..).unwrap_or("");
    let quoted = |len: usize| {
        let text = format!("`{}`", rest.get(..len).unwrap_or(""));
        Found { label: format!("unexpected {text}"), text, span: Span::new(pos, pos + len) }
    };
    let Some(first) = rest.chars().next() else {
        let end = source.len();
        let label = "the file ends here".to_string();
        return Found { text: "end of file".to_string(), label, span: Span::new(end, end) };
    };
    let len_while = |from: usize, pred: fn(char) -> bool| {
        let tail = rest.get(from..).unwrap_or("");
        from + tail.find(|c: char| !pred(c)).unwrap_or(tail.len())
    };
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if first == '\n' || rest.starts_with("\r\n") {
        let label = "the line ends here".to_string();
        let span = Span::new(pos, pos + if first == '\n' { 1 } else { 2 });
        return Found { text: "a newline".to_string(), label, span };
    }
    if first.is_ascii_alphabetic() || first == '_' {
        return quoted(len_while(0, word));
    }
    if first.is_ascii_digit() {
        let mut len = len_while(0, word);
        let after = rest.get(len..).unwrap_or("");
        if after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit()) {
            len = len_while(len + 1, word);
        }
        return quoted(len);
    }
    if first == '"' {
        let label = "unexpected string".to_string();
        return Found { text: "a string".to_string(), label, span: Span::new(pos, pos + 1) };
    }
    if first.is_control() || first.is_whitespace() {
        let text = format!("{first:?}");
        let span = Span::new(pos, pos + first.len_utf8());
        return Found { label: format!("unexpected {text}"), text, span };
    }
    quoted(first.len_utf8())
}

fn floor_char_boundary(source: &str, mut pos: usize) -> usize {
    pos = pos.min(source.len());
    while !source.is_char_boundary(pos) {
        pos -= 1;
    }
    pos
}
