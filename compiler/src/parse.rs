//! Parsing: model source text to an untyped `Module<()>` plus diagnostics.
//!
//! The grammar lives in `grammar/usim.pest`; this module runs it and turns the
//! pest pairs into the AST. The parser never fails and never panics: on a
//! syntax error it returns an empty module and one diagnostic.

use std::num::NonZeroUsize;

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use pest_derive::Parser;

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

#[derive(Parser)]
#[grammar = "../../grammar/usim.pest"]
struct UsimParser;

/// The largest source the parser accepts, in bytes.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;
/// How deeply `(`, `[`, `{` and block comments may nest. Deeper input would
/// overflow the recursive-descent parser's stack, so it is refused up front.
pub const MAX_BRACKET_NESTING: usize = 128;
/// How deep an expression tree, or a nest of blocks and `else if` links, may
/// be. Later passes recurse over the tree, so the parser refuses deeper ones.
pub const MAX_TREE_DEPTH: usize = 1000;
/// The budget of grammar rule calls for one parse. Real models use a few
/// dozen calls per byte (an 8 MiB model about 350 million); this bounds the
/// time any input can take to seconds.
const CALL_LIMIT: usize = 1_000_000_000;

/// Diagnostic codes of the parser.
pub const E_SYNTAX: &str = "E0001";
pub const E_LITERAL: &str = "E0002";
pub const E_CHAINED_COMPARISON: &str = "E0003";
pub const E_TOO_DEEP: &str = "E0004";

/// Parses a model. Always returns a module (empty after a syntax error or a
/// nesting limit, complete after a bad literal or a chained comparison) and
/// the problems found.
pub fn parse(source: &str) -> (Module<()>, Vec<Diagnostic>) {
    // The grammar and the tree builder recurse once per bracket level, with
    // large frames in debug builds; a thread with its own roomy stack makes
    // the parse independent of the caller's stack (test threads get 2 MiB).
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("usim-parse".to_string())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, || parse_on_this_thread(source));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                let diag = Diagnostic::error(
                    E_SYNTAX,
                    "internal error: the parser crashed (this is a bug in usimc)",
                    Span::new(0, 0),
                );
                (Module { items: Vec::new() }, vec![diag])
            }),
            Err(_) => parse_on_this_thread(source),
        }
    })
}

/// The stack of the parsing thread. Only the pages used are committed.
const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

fn parse_on_this_thread(source: &str) -> (Module<()>, Vec<Diagnostic>) {
    let empty = || Module { items: Vec::new() };
    if source.len() > MAX_SOURCE_BYTES {
        let diag = Diagnostic::error(
            E_TOO_DEEP,
            format!("the model is too large: {} bytes, the limit is 8 MiB", source.len()),
            Span::new(0, 0),
        );
        return (empty(), vec![diag]);
    }
    let scan = scan_brackets(source);
    if let Some(at) = scan.too_deep {
        let diag = Diagnostic::error(
            E_TOO_DEEP,
            format!("brackets nest too deeply (more than {MAX_BRACKET_NESTING} levels)"),
            at,
        )
        .with_label("this opens one level too many")
        .with_note("split the expression or the block into smaller pieces");
        return (empty(), vec![diag]);
    }

    pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT));
    let pairs = match UsimParser::parse(Rule::file, source) {
        Ok(pairs) => pairs,
        Err(err) => return (empty(), vec![syntax_error(source, &err)]),
    };

    let mut builder = Builder { diags: Vec::new(), stmt_depth: 0 };
    match builder.file(pairs) {
        Ok(items) => (Module { items }, builder.diags),
        Err(Stop::TooDeep(span)) => {
            let diag =
                Diagnostic::error(E_TOO_DEEP, format!("nested too deeply (more than {MAX_TREE_DEPTH} levels)"), span)
                    .with_label("the limit is reached here")
                    .with_note("split long chains of operators or `else if` into smaller pieces");
            builder.diags.push(diag);
            (empty(), builder.diags)
        }
        Err(Stop::Shape(span)) => {
            let diag = Diagnostic::error(
                E_SYNTAX,
                "internal error: the parser built an unexpected tree (this is a bug in usimc)",
                span,
            );
            builder.diags.push(diag);
            (empty(), builder.diags)
        }
    }
}

// ------------------------------------------------------------------ pre-scan

/// What a quick pass over the brackets found.
struct BracketScan {
    /// The opener that first went over [`MAX_BRACKET_NESTING`].
    too_deep: Option<Span>,
    /// Brackets still open at the end of the file: (opener, offset).
    open_at_end: Vec<(u8, usize)>,
}

/// Measures bracket nesting without the grammar, skipping comments and string
/// text (but not the code inside `{...}` interpolations).
fn scan_brackets(source: &str) -> BracketScan {
    let bytes = source.as_bytes();
    // `I` marks the brace of an interpolation, after which string text resumes.
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    let too_deep = |at: usize| BracketScan { too_deep: Some(Span::new(at, at + 1)), open_at_end: Vec::new() };
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                b'{' => {
                    stack.push((b'I', i));
                    in_string = false;
                    if stack.len() > MAX_BRACKET_NESTING {
                        return too_deep(i);
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        if stack.len() + depth > MAX_BRACKET_NESTING {
                            return too_deep(i);
                        }
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                stack.push((b, i));
                if stack.len() > MAX_BRACKET_NESTING {
                    return too_deep(i);
                }
            }
            b')' | b']' | b'}' => {
                let opener = match b {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                // Pop to the matching opener if there is one; a stray closer
                // is left for the grammar to report.
                if let Some(k) = stack.iter().rposition(|&(o, _)| o == opener || (b == b'}' && o == b'I')) {
                    let was_interp = stack[k].0 == b'I';
                    stack.truncate(k);
                    if was_interp {
                        in_string = true;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    BracketScan { too_deep: None, open_at_end: stack }
}

// ------------------------------------------------------------------ syntax errors

/// Turns pest's error into one diagnostic a modeller can act on.
fn syntax_error(source: &str, err: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    let found = token_at(source, pos);
    let positives = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => {
            return Diagnostic::error(E_TOO_DEEP, "the model is too large or too deeply nested to parse", found.span);
        }
    };
    let at_end = pos >= source.len();
    let (message, wanted) = expected_message(&positives, at_end, &found.text);
    let mut diag = Diagnostic::error(E_SYNTAX, message, found.span).with_label(found.label);

    if positives.contains(&Rule::str_end) {
        diag = diag.with_note("a string ends on the line where it starts");
    }
    if found.text == "a string" && wanted.contains(&"`}`") {
        diag = diag.with_note("to write a brace in a string, escape it: `\\{`, `\\}`");
    }
    if found.text == "`:`" && positives.contains(&Rule::interp_fmt) {
        diag = diag.with_note("a format is `{x:.N}`, where N is the number of decimals");
    }
    if is_keyword(&found.text) && wanted.contains(&"a name") {
        diag = diag.with_note(format!("{} is a reserved keyword and cannot name anything", found.text));
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
    let open = scan_brackets(source.get(..pos).unwrap_or(source)).open_at_end;
    let opener = open.iter().rev().find(|(o, _)| closers.contains(o) || (*o == b'I' && closers.contains(&b'{')));
    if let Some(&(opener, at)) = opener {
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

/// "expected X, found Y", from the rules pest tried at the error position;
/// also returns the descriptions of what was expected.
fn expected_message(positives: &[Rule], at_end: bool, found: &str) -> (String, Vec<&'static str>) {
    let has = |r: Rule| positives.contains(&r);
    if has(Rule::str_end) {
        return (format!("unterminated string: expected `\"`, found {found}"), vec!["`\"`"]);
    }
    if has(Rule::item) || has(Rule::file) {
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
        Rule::kw_await => ("`await`", false),
        Rule::select_arm | Rule::with_head | Rule::let_head | Rule::await_head => {
            ("a select arm (`with ...`, `let ... = await ...` or `await ...`)", false)
        }
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

// ------------------------------------------------------------------ tree building

type P<'i> = Pair<'i, Rule>;

/// Why building stopped early.
enum Stop {
    /// The tree would be deeper than [`MAX_TREE_DEPTH`].
    TooDeep(Span),
    /// The pairs did not have the shape the grammar promises (a bug).
    Shape(Span),
}

type Built<T> = Result<T, Stop>;

/// An expression with the depth of its tree, so depth is checked as it grows.
struct Node {
    expr: Expr<()>,
    depth: usize,
}

fn span_of(pair: &P<'_>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

/// Punctuation and keywords: the builder skips them.
fn is_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::sep
            | Rule::EOI
            | Rule::lbrace
            | Rule::slbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::colon
            | Rule::comma
            | Rule::semi
            | Rule::eq
            | Rule::arrow
            | Rule::fat_arrow
            | Rule::dotdot
            | Rule::dot
            | Rule::lt
            | Rule::gt
            | Rule::kw_param
            | Rule::kw_const
            | Rule::kw_var
            | Rule::kw_struct
            | Rule::kw_lock
            | Rule::kw_channel
            | Rule::kw_queue
            | Rule::kw_resource
            | Rule::kw_fn
            | Rule::kw_process
            | Rule::kw_run
            | Rule::kw_until
            | Rule::kw_let
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_while
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_loop
            | Rule::kw_break
            | Rule::kw_continue
            | Rule::kw_return
            | Rule::kw_print
            | Rule::kw_fail
            | Rule::kw_stop
            | Rule::kw_record
            | Rule::kw_await
            | Rule::kw_spawn
            | Rule::kw_cancel
            | Rule::kw_every
            | Rule::kw_scope
            | Rule::kw_with
            | Rule::kw_select
            | Rule::kw_priority
            | Rule::kw_proc
    )
}

/// The meaningful children of a pair, read in order.
struct Kids<'i> {
    pairs: std::iter::Peekable<Pairs<'i, Rule>>,
    parent: Span,
}

impl<'i> Kids<'i> {
    fn of(pair: P<'i>) -> Kids<'i> {
        let parent = span_of(&pair);
        Kids { pairs: pair.into_inner().peekable(), parent }
    }

    fn skip_tokens(&mut self) {
        while self.pairs.peek().is_some_and(|p| is_token(p.as_rule())) {
            self.pairs.next();
        }
    }

    /// The next child, whatever it is.
    fn next(&mut self) -> Built<P<'i>> {
        self.skip_tokens();
        self.pairs.next().ok_or(Stop::Shape(self.parent))
    }

    /// The next child, which must be a `rule`.
    fn expect(&mut self, rule: Rule) -> Built<P<'i>> {
        let pair = self.next()?;
        if pair.as_rule() == rule {
            Ok(pair)
        } else {
            Err(Stop::Shape(span_of(&pair)))
        }
    }

    /// The next child if it is a `rule`.
    fn take(&mut self, rule: Rule) -> Option<P<'i>> {
        self.skip_tokens();
        if self.pairs.peek().is_some_and(|p| p.as_rule() == rule) {
            self.pairs.next()
        } else {
            None
        }
    }

    fn peek_rule(&mut self) -> Option<Rule> {
        self.skip_tokens();
        self.pairs.peek().map(|p| p.as_rule())
    }
}

struct Builder {
    diags: Vec<Diagnostic>,
    /// How many blocks and `else if` links enclose the statement being built.
    stmt_depth: usize,
}

fn ident(pair: &P<'_>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: span_of(pair) }
}

fn expr_of(kind: ExprKind<()>, span: Span) -> Expr<()> {
    Expr { kind, span, ty: () }
}

impl Builder {
    fn file(&mut self, mut pairs: Pairs<'_, Rule>) -> Built<Vec<Item<()>>> {
        let file = pairs.next().ok_or(Stop::Shape(Span::new(0, 0)))?;
        let mut items = Vec::new();
        for pair in file.into_inner() {
            if pair.as_rule() == Rule::item {
                let span = span_of(&pair);
                let inner = Kids::of(pair).next()?;
                items.push(Item { kind: self.item(inner)?, span });
            }
        }
        Ok(items)
    }

    fn item(&mut self, pair: P<'_>) -> Built<ItemKind<()>> {
        let rule = pair.as_rule();
        let mut kids = Kids::of(pair);
        let kind = match rule {
            Rule::param_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let ty = self.type_expr(kids.expect(Rule::type_expr)?)?;
                let value = self.expr(kids.next()?)?;
                ItemKind::Param { name, ty, value }
            }
            Rule::const_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let value = self.expr(kids.next()?)?;
                ItemKind::Const { name, value }
            }
            Rule::var_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let ty = self.type_expr(kids.expect(Rule::type_expr)?)?;
                let value = self.expr(kids.next()?)?;
                ItemKind::Var { name, ty, value }
            }
            Rule::struct_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let mut fields = Vec::new();
                while let Some(field) = kids.take(Rule::struct_field) {
                    fields.push(self.typed_name(field)?);
                }
                ItemKind::Struct { name, fields }
            }
            Rule::lock_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let family = self.family(&mut kids)?;
                let options = self.options(&mut kids)?;
                ItemKind::Lock { name, family, options }
            }
            Rule::channel_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let family = self.family(&mut kids)?;
                let ty = self.type_expr(kids.expect(Rule::type_expr)?)?;
                ItemKind::Channel { name, family, ty }
            }
            Rule::queue_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let family = self.family(&mut kids)?;
                let ty = self.type_expr(kids.expect(Rule::type_expr)?)?;
                let options = self.options(&mut kids)?;
                ItemKind::Queue { name, family, ty, options }
            }
            Rule::resource_item => {
                let name = ident(&kids.expect(Rule::ident)?);
                let family = self.family(&mut kids)?;
                let options = self.options(&mut kids)?;
                ItemKind::Resource { name, family, options }
            }
            Rule::fn_item => ItemKind::Fn(self.callable(kids)?),
            Rule::process_item => ItemKind::Process(self.callable(kids)?),
            Rule::run_item => {
                let mut roots = Vec::new();
                let mut until = None;
                while let Some(rule) = kids.peek_rule() {
                    let pair = kids.next()?;
                    if rule == Rule::run_until {
                        until = Some(self.expr(Kids::of(pair).next()?)?);
                    } else {
                        roots.push(self.expr(pair)?);
                    }
                }
                ItemKind::Run { roots, until }
            }
            _ => return Err(Stop::Shape(kids.parent)),
        };
        Ok(kind)
    }

    /// `name: type`, as in struct fields and parameters.
    fn typed_name(&mut self, pair: P<'_>) -> Built<(Ident, TypeExpr)> {
        let mut kids = Kids::of(pair);
        let name = ident(&kids.expect(Rule::ident)?);
        let ty = self.type_expr(kids.expect(Rule::type_expr)?)?;
        Ok((name, ty))
    }

    fn family(&mut self, kids: &mut Kids<'_>) -> Built<Option<Expr<()>>> {
        match kids.take(Rule::family) {
            Some(family) => Ok(Some(self.expr(Kids::of(family).next()?)?)),
            None => Ok(None),
        }
    }

    fn options(&mut self, kids: &mut Kids<'_>) -> Built<Vec<ObjOption<()>>> {
        let mut options = Vec::new();
        if let Some(list) = kids.take(Rule::obj_options) {
            for option in list.into_inner().filter(|p| p.as_rule() == Rule::obj_option) {
                let mut parts = Kids::of(option);
                let name = ident(&parts.expect(Rule::ident)?);
                let value = match parts.peek_rule() {
                    Some(_) => Some(self.expr(parts.next()?)?),
                    None => None,
                };
                options.push(ObjOption { name, value });
            }
        }
        Ok(options)
    }

    fn callable(&mut self, mut kids: Kids<'_>) -> Built<Callable<()>> {
        let name = ident(&kids.expect(Rule::ident)?);
        let mut params = Vec::new();
        for param in kids.expect(Rule::params)?.into_inner() {
            if param.as_rule() == Rule::param_decl {
                params.push(self.typed_name(param)?);
            }
        }
        let ret = match kids.take(Rule::ret_type) {
            Some(ret) => Some(self.type_expr(Kids::of(ret).expect(Rule::type_expr)?)?),
            None => None,
        };
        let body = self.block(kids.expect(Rule::block)?)?;
        Ok(Callable { name, params, ret, body })
    }

    fn type_expr(&mut self, pair: P<'_>) -> Built<TypeExpr> {
        let span = span_of(&pair);
        let inner = Kids::of(pair).next()?;
        let rule = inner.as_rule();
        let mut kids = Kids::of(inner);
        let kind = match rule {
            Rule::named_type => TypeExprKind::Named(kids.expect(Rule::ident)?.as_str().to_string()),
            Rule::proc_type => match kids.take(Rule::type_expr) {
                Some(ret) => TypeExprKind::Proc(Some(Box::new(self.type_expr(ret)?))),
                None => TypeExprKind::Proc(None),
            },
            Rule::array_type => {
                let elem = self.type_expr(kids.expect(Rule::type_expr)?)?;
                let len = self.expr(kids.next()?)?;
                TypeExprKind::Array(Box::new(elem), Box::new(len))
            }
            _ => return Err(Stop::Shape(span)),
        };
        Ok(TypeExpr { kind, span })
    }

    // -------------------------------------------------------------- statements

    fn block(&mut self, pair: P<'_>) -> Built<Block<()>> {
        let span = span_of(&pair);
        self.enter(span)?;
        let mut stmts = Vec::new();
        for stmt in pair.into_inner().filter(|p| p.as_rule() == Rule::stmt) {
            stmts.push(self.stmt(stmt)?);
        }
        self.stmt_depth -= 1;
        Ok(Block { stmts, span })
    }

    /// Goes one level deeper in the statement tree, within the limit.
    fn enter(&mut self, span: Span) -> Built<()> {
        self.stmt_depth += 1;
        if self.stmt_depth > MAX_TREE_DEPTH {
            return Err(Stop::TooDeep(span));
        }
        Ok(())
    }

    fn stmt(&mut self, pair: P<'_>) -> Built<Stmt<()>> {
        let span = span_of(&pair);
        let inner = Kids::of(pair).next()?;
        let rule = inner.as_rule();
        let mut kids = Kids::of(inner);
        let kind = match rule {
            Rule::let_stmt => {
                let name = ident(&kids.expect(Rule::ident)?);
                let ty = match kids.take(Rule::type_expr) {
                    Some(ty) => Some(self.type_expr(ty)?),
                    None => None,
                };
                let value = self.expr(kids.next()?)?;
                StmtKind::Let { name, ty, value, local: None }
            }
            Rule::if_stmt => return self.if_stmt(kids, span),
            Rule::while_stmt => {
                let cond = self.expr(kids.next()?)?;
                let body = self.block(kids.expect(Rule::block)?)?;
                StmtKind::While { cond, body }
            }
            Rule::for_stmt => {
                let name = ident(&kids.expect(Rule::ident)?);
                let first = self.expr(kids.next()?)?;
                let iter = match kids.peek_rule() {
                    Some(Rule::block) => ForIter::Each(first),
                    _ => ForIter::Range(first, self.expr(kids.next()?)?),
                };
                let body = self.block(kids.expect(Rule::block)?)?;
                StmtKind::For { name, iter, body, local: None }
            }
            Rule::loop_stmt => StmtKind::Loop { body: self.block(kids.expect(Rule::block)?)? },
            Rule::break_stmt => StmtKind::Break,
            Rule::continue_stmt => StmtKind::Continue,
            Rule::stop_stmt => StmtKind::Stop,
            Rule::return_stmt => match kids.peek_rule() {
                Some(_) => StmtKind::Return(Some(self.expr(kids.next()?)?)),
                None => StmtKind::Return(None),
            },
            Rule::print_stmt => StmtKind::Print(self.str_lit(kids.expect(Rule::str_lit)?)?),
            Rule::fail_stmt => StmtKind::Fail(self.str_lit(kids.expect(Rule::str_lit)?)?),
            Rule::record_stmt => {
                let name = ident(&kids.expect(Rule::ident)?);
                let value = self.expr(kids.next()?)?;
                StmtKind::Record { name, value }
            }
            Rule::every_stmt => {
                let period = self.expr(kids.next()?)?;
                let body = self.block(kids.expect(Rule::block)?)?;
                StmtKind::Every { period, body }
            }
            Rule::scope_stmt => StmtKind::Scope { body: self.block(kids.expect(Rule::block)?)? },
            Rule::with_stmt => {
                let (target, amount) = self.with_target(kids.expect(Rule::with_target)?)?;
                let priority = self.with_priority(&mut kids)?;
                let body = self.block(kids.expect(Rule::block)?)?;
                StmtKind::With { target, amount, priority, body }
            }
            Rule::until_stmt => {
                let trigger = self.expr(kids.next()?)?;
                let body = self.block(kids.expect(Rule::block)?)?;
                StmtKind::Until { trigger, body }
            }
            Rule::select_stmt => {
                let mut arms = Vec::new();
                while let Some(arm) = kids.take(Rule::select_arm) {
                    arms.push(self.select_arm(arm)?);
                }
                StmtKind::Select { arms }
            }
            Rule::cancel_stmt => StmtKind::Cancel(self.expr(kids.next()?)?),
            Rule::assign_stmt => {
                let target = self.expr(kids.next()?)?;
                let op = match kids.expect(Rule::assign_op)?.as_str() {
                    "+=" => AssignOp::Add,
                    "-=" => AssignOp::Sub,
                    "*=" => AssignOp::Mul,
                    "/=" => AssignOp::Div,
                    _ => AssignOp::Set,
                };
                let value = self.expr(kids.next()?)?;
                StmtKind::Assign { target, op, value }
            }
            Rule::expr_stmt => StmtKind::Expr(self.expr(kids.next()?)?),
            _ => return Err(Stop::Shape(span)),
        };
        Ok(Stmt { kind, span })
    }

    /// `if c { } else if d { } else { }`: the grammar keeps the `else if`
    /// links flat; here each becomes an `if` alone in the `else` block of the
    /// one before, built from the last link back so nothing recurses.
    fn if_stmt(&mut self, mut kids: Kids<'_>, span: Span) -> Built<Stmt<()>> {
        let cond = self.expr(kids.next()?)?;
        let then = self.block(kids.expect(Rule::block)?)?;
        let mut links = Vec::new();
        let entered = self.stmt_depth;
        while let Some(link) = kids.take(Rule::else_if) {
            let mut parts = Kids::of(link);
            // The `if` of this link starts after `else`.
            let start = parts
                .pairs
                .clone()
                .find(|p| p.as_rule() == Rule::kw_if)
                .map(|p| p.as_span().start())
                .unwrap_or(parts.parent.start as usize);
            self.enter(parts.parent)?;
            let link_cond = self.expr(parts.next()?)?;
            let link_then = self.block(parts.expect(Rule::block)?)?;
            links.push((start, link_cond, link_then));
        }
        let mut otherwise = match kids.take(Rule::else_clause) {
            Some(clause) => Some(self.block(Kids::of(clause).expect(Rule::block)?)?),
            None => None,
        };
        self.stmt_depth = entered;
        let end = span.end as usize;
        while let Some((start, link_cond, link_then)) = links.pop() {
            let link_span = Span::new(start, end);
            let stmt = Stmt { kind: StmtKind::If { cond: link_cond, then: link_then, otherwise }, span: link_span };
            otherwise = Some(Block { stmts: vec![stmt], span: link_span });
        }
        Ok(Stmt { kind: StmtKind::If { cond, then, otherwise }, span })
    }

    /// `name`, `name[i]`, each optionally with `(amount)`.
    fn with_target(&mut self, pair: P<'_>) -> Built<(Expr<()>, Option<Expr<()>>)> {
        let mut kids = Kids::of(pair);
        let name = kids.expect(Rule::ident)?;
        let mut target = expr_of(ExprKind::Name(name.as_str().to_string()), span_of(&name));
        if let Some(index) = kids.take(Rule::with_index) {
            let span = target.span.to(span_of(&index));
            let at = self.expr(Kids::of(index).next()?)?;
            target = expr_of(ExprKind::Index(Box::new(target), Box::new(at)), span);
        }
        let amount = match kids.take(Rule::with_amount) {
            Some(amount) => Some(self.expr(Kids::of(amount).next()?)?),
            None => None,
        };
        Ok((target, amount))
    }

    fn with_priority(&mut self, kids: &mut Kids<'_>) -> Built<Option<Expr<()>>> {
        match kids.take(Rule::with_priority) {
            Some(priority) => Ok(Some(self.expr(Kids::of(priority).next()?)?)),
            None => Ok(None),
        }
    }

    fn select_arm(&mut self, pair: P<'_>) -> Built<SelectArm<()>> {
        let span = span_of(&pair);
        let mut kids = Kids::of(pair);
        let head_pair = kids.next()?;
        let head_rule = head_pair.as_rule();
        let mut head_kids = Kids::of(head_pair);
        let head = match head_rule {
            Rule::with_head => {
                let (target, amount) = self.with_target(head_kids.expect(Rule::with_target)?)?;
                let priority = self.with_priority(&mut head_kids)?;
                SelectHead::With { target, amount, priority }
            }
            Rule::let_head => {
                let name = ident(&head_kids.expect(Rule::ident)?);
                let value = self.expr(head_kids.next()?)?;
                SelectHead::Let { name, value, local: None }
            }
            Rule::await_head => SelectHead::Await(self.expr(head_kids.next()?)?),
            _ => return Err(Stop::Shape(span)),
        };
        let body = self.block(kids.expect(Rule::block)?)?;
        Ok(SelectArm { head, body, span })
    }

    // -------------------------------------------------------------- strings

    fn str_lit(&mut self, pair: P<'_>) -> Built<StrLit<()>> {
        let span = span_of(&pair);
        if pair.as_str().contains('\n') {
            self.diags.push(
                Diagnostic::error(E_SYNTAX, "a string must stay on one line", span)
                    .with_label("this string spans several lines"),
            );
        }
        let mut parts: Vec<StrPart<()>> = Vec::new();
        let mut text = String::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::str_text => text.push_str(part.as_str()),
                Rule::str_escape => {
                    let escaped = part.as_str().chars().nth(1);
                    match escaped {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some(c @ ('"' | '\\' | '{' | '}')) => text.push(c),
                        _ => self.diags.push(
                            Diagnostic::error(
                                E_LITERAL,
                                format!("unknown escape `{}` in a string", part.as_str()),
                                span_of(&part),
                            )
                            .with_label("not an escape")
                            .with_note(r#"the escapes are \n \t \" \\ \{ and \}"#),
                        ),
                    }
                }
                Rule::str_brace => self.diags.push(
                    Diagnostic::error(E_LITERAL, "unmatched `}` in a string", span_of(&part))
                        .with_label("write `\\}` for a literal brace"),
                ),
                Rule::interp => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    let mut kids = Kids::of(part);
                    let expr = self.expr(kids.next()?)?;
                    let decimals = match kids.take(Rule::interp_fmt) {
                        Some(fmt) => {
                            let digits = fmt.as_str().trim_start_matches([':', '.']);
                            match digits.parse::<u32>() {
                                Ok(n) => Some(n),
                                Err(_) => {
                                    self.diags.push(Diagnostic::error(
                                        E_LITERAL,
                                        format!("too many decimals: `{}`", fmt.as_str()),
                                        span_of(&fmt),
                                    ));
                                    None
                                }
                            }
                        }
                        None => None,
                    };
                    parts.push(StrPart::Interp { expr, decimals });
                }
                _ => {}
            }
        }
        if !text.is_empty() {
            parts.push(StrPart::Text(text));
        }
        Ok(StrLit { parts, span })
    }

    // -------------------------------------------------------------- expressions

    fn expr(&mut self, pair: P<'_>) -> Built<Expr<()>> {
        Ok(self.node(pair)?.expr)
    }

    /// Any expression-like pair: `expr`, `iexpr`, `unary`, `postfix`, `primary`...
    fn node(&mut self, pair: P<'_>) -> Built<Node> {
        match pair.as_rule() {
            Rule::expr | Rule::iexpr => self.binary_chain(pair),
            Rule::unary | Rule::iunary => self.unary(pair),
            Rule::postfix | Rule::ipostfix => self.postfix(pair),
            Rule::primary => self.primary(pair),
            _ => Err(Stop::Shape(span_of(&pair))),
        }
    }

    /// Wraps a new node around children, checking the depth.
    fn make(&self, kind: ExprKind<()>, span: Span, child_depth: usize) -> Built<Node> {
        let depth = child_depth + 1;
        if depth > MAX_TREE_DEPTH {
            return Err(Stop::TooDeep(span));
        }
        Ok(Node { expr: expr_of(kind, span), depth })
    }

    /// `prefix* operand (op operand)*`: precedence climbing with explicit
    /// stacks, so a chain of any length costs no recursion.
    fn binary_chain(&mut self, pair: P<'_>) -> Built<Node> {
        let mut prefixes: Vec<(bool, usize)> = Vec::new(); // (is_await, start)
        let mut operands: Vec<Node> = Vec::new();
        let mut ops: Vec<BinOp> = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::prefix_op => {
                    let is_await = child.as_str().starts_with("await");
                    prefixes.push((is_await, child.as_span().start()));
                }
                Rule::infix_op => {
                    let op = binop(child.as_str()).ok_or(Stop::Shape(span_of(&child)))?;
                    while let Some(&top) = ops.last() {
                        if precedence(top) < precedence(op) {
                            break;
                        }
                        ops.pop();
                        self.reduce(&mut operands, top)?;
                    }
                    ops.push(op);
                }
                _ => operands.push(self.node(child)?),
            }
        }
        while let Some(top) = ops.pop() {
            self.reduce(&mut operands, top)?;
        }
        let mut node = operands.pop().ok_or(Stop::Shape(Span::new(0, 0)))?;
        while let Some((is_await, start)) = prefixes.pop() {
            let span = Span::new(start, node.expr.span.end as usize);
            let inner = Box::new(node.expr);
            let kind = if is_await { ExprKind::Await(inner) } else { ExprKind::Spawn(inner) };
            node = self.make(kind, span, node.depth)?;
        }
        Ok(node)
    }

    /// Pops two operands and pushes `lhs op rhs`.
    fn reduce(&mut self, operands: &mut Vec<Node>, op: BinOp) -> Built<()> {
        let rhs = operands.pop().ok_or(Stop::Shape(Span::new(0, 0)))?;
        let lhs = operands.pop().ok_or(Stop::Shape(rhs.expr.span))?;
        let span = lhs.expr.span.to(rhs.expr.span);
        if is_comparison(op) {
            if let ExprKind::Binary(inner, first, _) = &lhs.expr.kind {
                // Report a chain once, at its second comparison.
                let already = matches!(&first.kind, ExprKind::Binary(o, ..) if is_comparison(*o));
                if is_comparison(*inner) && !already {
                    self.diags.push(chained_comparison(span, lhs.expr.span));
                }
            }
        }
        let depth = lhs.depth.max(rhs.depth);
        operands.push(self.make(ExprKind::Binary(op, Box::new(lhs.expr), Box::new(rhs.expr)), span, depth)?);
        Ok(())
    }

    fn unary(&mut self, pair: P<'_>) -> Built<Node> {
        let mut ops: Vec<(UnOp, usize)> = Vec::new();
        let mut operand = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::unary_op => {
                    let op = if child.as_str() == "-" { UnOp::Neg } else { UnOp::Not };
                    ops.push((op, child.as_span().start()));
                }
                _ => operand = Some(child),
            }
        }
        let operand = operand.ok_or(Stop::Shape(Span::new(0, 0)))?;
        // `-9223372036854775808` is i64::MIN, although its digits alone overflow.
        let mut node = match (ops.last(), min_int_literal(&operand)) {
            (Some(&(UnOp::Neg, start)), Some(end)) => {
                ops.pop();
                Node { expr: expr_of(ExprKind::Int(i64::MIN), Span::new(start, end)), depth: 1 }
            }
            _ => self.node(operand)?,
        };
        while let Some((op, start)) = ops.pop() {
            let span = Span::new(start, node.expr.span.end as usize);
            node = self.make(ExprKind::Unary(op, Box::new(node.expr)), span, node.depth)?;
        }
        Ok(node)
    }

    fn postfix(&mut self, pair: P<'_>) -> Built<Node> {
        let mut children = pair.into_inner();
        let primary = children.next().ok_or(Stop::Shape(Span::new(0, 0)))?;
        let mut node = self.node(primary)?;
        for op in children {
            let op = Kids::of(op).next()?;
            let span = node.expr.span.to(span_of(&op));
            let receiver = Box::new(node.expr);
            let rule = op.as_rule();
            let mut kids = Kids::of(op);
            node = match rule {
                Rule::member => {
                    let name = ident(&kids.expect(Rule::ident)?);
                    match kids.take(Rule::call_args) {
                        Some(args) => {
                            let (args, depth) = self.args(args)?;
                            let kind = ExprKind::Method { receiver, name, args };
                            self.make(kind, span, depth.max(node.depth))?
                        }
                        None => self.make(ExprKind::Field(receiver, name), span, node.depth)?,
                    }
                }
                Rule::index => {
                    let at = self.node(kids.next()?)?;
                    let depth = at.depth.max(node.depth);
                    self.make(ExprKind::Index(receiver, Box::new(at.expr)), span, depth)?
                }
                _ => return Err(Stop::Shape(span)),
            };
        }
        Ok(node)
    }

    /// The arguments of a call, with the depth of the deepest.
    fn args(&mut self, pair: P<'_>) -> Built<(Vec<Expr<()>>, usize)> {
        let mut args = Vec::new();
        let mut depth = 0;
        for arg in pair.into_inner().filter(|p| p.as_rule() == Rule::iexpr) {
            let node = self.node(arg)?;
            depth = depth.max(node.depth);
            args.push(node.expr);
        }
        Ok((args, depth))
    }

    fn primary(&mut self, pair: P<'_>) -> Built<Node> {
        let span = span_of(&pair);
        let inner = pair.into_inner().next().ok_or(Stop::Shape(span))?;
        let rule = inner.as_rule();
        let text = inner.as_str();
        let leaf = |kind| Ok(Node { expr: expr_of(kind, span), depth: 1 });
        match rule {
            Rule::int_lit => {
                let value = match text.replace('_', "").parse::<i64>() {
                    Ok(value) => value,
                    Err(_) => {
                        self.diags.push(
                            Diagnostic::error(E_LITERAL, format!("integer literal `{text}` is too large"), span)
                                .with_label("does not fit a 64-bit int")
                                .with_note("the largest int is 9223372036854775807"),
                        );
                        0
                    }
                };
                leaf(ExprKind::Int(value))
            }
            Rule::float_lit => {
                let value = text.replace('_', "").parse::<f64>().unwrap_or(f64::INFINITY);
                if !value.is_finite() {
                    self.diags.push(
                        Diagnostic::error(E_LITERAL, format!("float literal `{text}` is too large"), span)
                            .with_label("does not fit a 64-bit float"),
                    );
                }
                leaf(ExprKind::Float(value))
            }
            Rule::kw_true => leaf(ExprKind::Bool(true)),
            Rule::kw_false => leaf(ExprKind::Bool(false)),
            Rule::kw_now => leaf(ExprKind::Now),
            Rule::kw_instant => leaf(ExprKind::Instant),
            Rule::name => leaf(ExprKind::Name(text.to_string())),
            Rule::call => {
                let mut kids = Kids::of(inner);
                let callee = ident(&kids.expect(Rule::ident)?);
                let (args, depth) = self.args(kids.expect(Rule::call_args)?)?;
                self.make(ExprKind::Call { callee, args }, span, depth)
            }
            Rule::paren => {
                let node = self.node(Kids::of(inner).next()?)?;
                self.make(ExprKind::Paren(Box::new(node.expr)), span, node.depth)
            }
            Rule::array_lit => {
                let mut kids = Kids::of(inner);
                let first = self.node(kids.next()?)?;
                let tail = kids.next()?;
                if tail.as_rule() == Rule::array_len {
                    let len = self.node(Kids::of(tail).next()?)?;
                    let depth = first.depth.max(len.depth);
                    let kind = ExprKind::ArrayRepeat(Box::new(first.expr), Box::new(len.expr));
                    self.make(kind, span, depth)
                } else {
                    let mut depth = first.depth;
                    let mut elems = vec![first.expr];
                    for elem in tail.into_inner().filter(|p| p.as_rule() == Rule::iexpr) {
                        let node = self.node(elem)?;
                        depth = depth.max(node.depth);
                        elems.push(node.expr);
                    }
                    self.make(ExprKind::ArrayLit(elems), span, depth)
                }
            }
            Rule::struct_lit => {
                let mut kids = Kids::of(inner);
                let name = ident(&kids.expect(Rule::ident)?);
                let mut fields = Vec::new();
                let mut depth = 0;
                while let Some(field) = kids.take(Rule::field_init) {
                    let mut parts = Kids::of(field);
                    let field_name = ident(&parts.expect(Rule::ident)?);
                    let value = self.node(parts.next()?)?;
                    depth = depth.max(value.depth);
                    fields.push((field_name, value.expr));
                }
                self.make(ExprKind::StructLit { name, fields }, span, depth)
            }
            _ => Err(Stop::Shape(span)),
        }
    }
}

/// If `operand` (a `postfix`) is exactly the literal 9223372036854775808,
/// returns where it ends.
fn min_int_literal(operand: &P<'_>) -> Option<usize> {
    let mut inner = operand.clone().into_inner();
    let primary = inner.next()?;
    if inner.next().is_some() {
        return None; // a postfix operator follows: `-9223372036854775808.x`
    }
    let literal = primary.into_inner().next()?;
    let is_min = literal.as_rule() == Rule::int_lit && literal.as_str().replace('_', "").parse::<u64>() == Ok(1 << 63);
    is_min.then(|| literal.as_span().end())
}

fn binop(text: &str) -> Option<BinOp> {
    Some(match text {
        "||" => BinOp::Or,
        "&&" => BinOp::And,
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "%" => BinOp::Rem,
        _ => return None,
    })
}

/// Binding strength, loosest first (LANGUAGE.md §4).
fn precedence(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 5,
    }
}

fn is_comparison(op: BinOp) -> bool {
    precedence(op) == 3
}

fn chained_comparison(span: Span, first: Span) -> Diagnostic {
    Diagnostic::error(E_CHAINED_COMPARISON, "comparisons cannot be chained", span)
        .with_label("two comparisons in a row")
        .with_secondary(first, "this comparison is the left operand of the next one")
        .with_note("write `a < b && b < c`, or add parentheses: `(a < b) == c`")
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(
            expr("Job { id: 1, size: 2.0, urgent: false }"),
            "(struct-lit Job (id 1) (size 2.0) (urgent false))"
        );
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
        // `- 1` on its own line is a second statement, not a subtraction.
        assert_eq!(body("let x = a\n- 1"), "(let x a)\n(neg 1)");
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
        let StrPart::Interp { expr, decimals } = &text.parts[1] else { panic!("no interpolation") };
        assert_eq!(&source[expr.span.range()], "now + 1");
        assert_eq!(*decimals, Some(2));
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
            ("process p() {\n  print(\"{x:.}\")\n}", "expected `}`, found `:`", ":"),
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
        // The tree is still built, so later stages can report more.
        let (module, _) = parse("const A = a < b < c\nconst B = 1");
        assert_eq!(module.items.len(), 2);
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
        let ok = format!("const A = {}1{}", "(".repeat(MAX_BRACKET_NESTING), ")".repeat(MAX_BRACKET_NESTING));
        assert!(parse(&ok).1.is_empty());
        for open in ["(", "[", "{"] {
            let source = format!("const A = {}", open.repeat(MAX_BRACKET_NESTING + 1));
            let d = one_error(&source);
            assert_eq!(d.code, E_TOO_DEEP);
            assert_eq!(d.span, Span::new(10 + MAX_BRACKET_NESTING, 11 + MAX_BRACKET_NESTING));
        }
        // Nested block comments count too; brackets in comments and strings do not.
        let comment = format!("{}{}", "/*".repeat(200), "*/".repeat(200));
        assert_eq!(one_error(&comment).code, E_TOO_DEEP);
        let quiet = format!("// {}\nprocess p() {{ print(\"\\{{ {}\") }}", "(".repeat(500), "[".repeat(500));
        assert!(parse(&quiet).1.is_empty());
    }

    #[test]
    fn long_flat_chains_do_not_overflow() {
        let terms = vec!["1"; 100_000].join(" + ");
        let d = one_error(&format!("const A = {terms}"));
        assert_eq!(d.code, E_TOO_DEEP);
        let minus = format!("const A = {}1", "-".repeat(100_000));
        assert_eq!(one_error(&minus).code, E_TOO_DEEP);
        let fields = format!("const A = a{}", ".b".repeat(50_000));
        assert_eq!(one_error(&fields).code, E_TOO_DEEP);
        let mut chain = String::from("process p() { if a { }");
        chain.push_str(&" else if b { }".repeat(MAX_TREE_DEPTH + 10));
        chain.push_str(" }");
        assert_eq!(one_error(&chain).code, E_TOO_DEEP);
        // Just inside the limit the tree is built.
        let terms = vec!["1"; MAX_TREE_DEPTH].join(" + ");
        assert!(parse(&format!("const A = {terms}")).1.is_empty());
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
        for (path, text) in example_models() {
            let (_, diags) = parse(&text);
            let syntax: Vec<_> = diags.iter().filter(|d| d.code == E_SYNTAX).collect();
            assert!(syntax.is_empty(), "{}: {syntax:#?}", path.display());
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
                if diags.iter().any(|d| d.code == E_SYNTAX) {
                    prop_assert!(module.items.is_empty());
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
}
