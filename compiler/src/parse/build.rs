//! Tree building: pest pairs to the untyped AST.
//!
//! The builder checks what the grammar cannot: literal ranges, chained
//! comparisons and the depth of the tree, which later passes walk recursively.
//!
//! The builder recurses only where the grammar does, once per bracket level
//! (bounded by the pre-scan); chains (operators, postfixes, `else if` links,
//! statements, arguments) are built in loops. The depth of the tree is
//! counted as it grows, from the item down through every block, `else if`
//! link and expression node, and building stops at the node that would pass
//! [`MAX_TREE_DEPTH`], with that node's operator or keyword as the place.

use pest::iterators::{Pair, Pairs};

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

use super::{python, Rule, E_CHAINED_COMPARISON, E_LITERAL, E_SYNTAX, MAX_TREE_DEPTH};

type P<'i> = Pair<'i, Rule>;

/// Why building stopped early.
pub(super) enum Stop {
    /// The tree would be deeper than [`MAX_TREE_DEPTH`]: the token of the
    /// node that would be one level too many.
    TooDeep(Span),
    /// The pairs did not have the shape the grammar promises (a bug).
    Shape(Span),
}

type Built<T> = Result<T, Stop>;

/// An expression with the depth of its tree (a leaf is 1), so depth is
/// checked as it grows.
struct Node {
    expr: Expr<()>,
    depth: usize,
}

/// The first character of a span that starts with an ASCII token (a bracket,
/// a name, a digit, `.`).
fn first_char(span: Span) -> Span {
    Span { start: span.start, end: span.start + 1 }
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

pub(super) struct Builder {
    pub(super) diags: Vec<Diagnostic>,
    /// How many blocks and `else if` links enclose the statement being built:
    /// the depth at which its expressions start.
    stmt_depth: usize,
}

fn ident(pair: &P<'_>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: span_of(pair) }
}

fn expr_of(kind: ExprKind<()>, span: Span) -> Expr<()> {
    Expr { kind, span, ty: () }
}

impl Builder {
    pub(super) fn new() -> Builder {
        Builder { diags: Vec::new(), stmt_depth: 0 }
    }

    /// An item (a `Rule::item` pair).
    pub(super) fn item_pair(&mut self, pair: P<'_>) -> Built<Item<()>> {
        let span = span_of(&pair);
        let inner = Kids::of(pair).next()?;
        Ok(Item { kind: self.item(inner)?, span })
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
        self.enter(first_char(span))?;
        let stmts = self.statements(pair.into_inner())?;
        self.stmt_depth -= 1;
        Ok(Block { stmts, span })
    }

    /// The statements among `children` (a block's, or those `recover_tail`
    /// read), with a diagnostic for a line that starts with `-` after a
    /// statement it was probably meant to continue.
    pub(super) fn statements<'i>(&mut self, children: impl Iterator<Item = P<'i>>) -> Built<Vec<Stmt<()>>> {
        let mut stmts: Vec<Stmt<()>> = Vec::new();
        // Whether no `;` (nor anything else) stands between the last
        // statement and the next, which a separator then divides: newlines.
        let mut by_newline = false;
        for child in children {
            match child.as_rule() {
                Rule::sep => by_newline &= child.as_str() == "\n",
                Rule::stmt => {
                    let source = child.get_input();
                    let stmt = self.stmt(child)?;
                    if let Some(prev) = stmts.last().filter(|_| by_newline) {
                        self.diags.extend(python::negated_line(source, prev, &stmt));
                    }
                    stmts.push(stmt);
                    by_newline = true;
                }
                _ => by_newline = false,
            }
        }
        Ok(stmts)
    }

    /// Goes one level deeper in the statement tree, within the limit; `at`
    /// is the token that opens the level.
    fn enter(&mut self, at: Span) -> Built<()> {
        self.stmt_depth += 1;
        if self.stmt_depth > MAX_TREE_DEPTH {
            return Err(Stop::TooDeep(at));
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
            let keyword = |rule: Rule| parts.pairs.clone().find(|p| p.as_rule() == rule).map(|p| span_of(&p));
            let if_span = keyword(Rule::kw_if).unwrap_or(parts.parent);
            let else_span = keyword(Rule::kw_else).unwrap_or(if_span);
            let start = if_span.start as usize;
            self.enter(else_span.to(if_span))?;
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
                    if let Some(fmt) = kids.take(Rule::interp_fmt) {
                        // `{:8}`: a format with nothing to format.
                        self.diags.push(
                            Diagnostic::error(E_LITERAL, "a format needs a value before it", span_of(&fmt))
                                .with_label("no value to format")
                                .with_note("write the value first, as in `{x:8}`"),
                        );
                        continue;
                    }
                    let expr = self.expr(kids.next()?)?;
                    let format = kids.take(Rule::interp_fmt).and_then(|fmt| self.format_spec(&fmt));
                    parts.push(StrPart::Interp { expr, format });
                }
                _ => {}
            }
        }
        if !text.is_empty() {
            parts.push(StrPart::Text(text));
        }
        Ok(StrLit { parts, span })
    }

    /// The format of an interpolation, `:>8.2`; a malformed one is reported
    /// at its bad part and dropped.
    fn format_spec(&mut self, fmt: &P<'_>) -> Option<Format> {
        let span = span_of(fmt);
        match usim_stdlib::format::parse_spec(fmt.as_str()) {
            Ok(spec) => Some(Format { spec, span }),
            Err(e) => {
                let base = span.start as usize;
                let at = Span::new(base + e.at.start, base + e.at.end);
                self.diags.push(
                    Diagnostic::error(E_LITERAL, e.message, at)
                        .with_label(e.label)
                        .with_note(usim_stdlib::format::SPEC_FORMS),
                );
                None
            }
        }
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

    /// Wraps a new node around children, checking the depth of the tree
    /// (the enclosing blocks included); `at` is the node's operator or first
    /// token, where an error points.
    fn make(&self, kind: ExprKind<()>, span: Span, child_depth: usize, at: Span) -> Built<Node> {
        let depth = child_depth + 1;
        if self.stmt_depth + depth > MAX_TREE_DEPTH {
            return Err(Stop::TooDeep(at));
        }
        Ok(Node { expr: expr_of(kind, span), depth })
    }

    /// `prefix* operand (op operand)*`: precedence climbing with explicit
    /// stacks, so a chain of any length costs no recursion.
    fn binary_chain(&mut self, pair: P<'_>) -> Built<Node> {
        let mut prefixes: Vec<(bool, usize)> = Vec::new(); // (is_await, start)
        let mut operands: Vec<Node> = Vec::new();
        let mut ops: Vec<(BinOp, Span)> = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::prefix_op => {
                    let is_await = child.as_str().starts_with("await");
                    prefixes.push((is_await, child.as_span().start()));
                }
                Rule::infix_op => {
                    let op = binop(child.as_str()).ok_or(Stop::Shape(span_of(&child)))?;
                    while let Some(&top) = ops.last() {
                        if top.0.precedence() < op.precedence() {
                            break;
                        }
                        ops.pop();
                        self.reduce(&mut operands, top)?;
                    }
                    ops.push((op, span_of(&child)));
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
            let keyword = Span::new(start, start + if is_await { "await".len() } else { "spawn".len() });
            let inner = Box::new(node.expr);
            let kind = if is_await { ExprKind::Await(inner) } else { ExprKind::Spawn(inner) };
            node = self.make(kind, span, node.depth, keyword)?;
        }
        Ok(node)
    }

    /// Pops two operands and pushes `lhs op rhs`; `op_span` is the operator's.
    fn reduce(&mut self, operands: &mut Vec<Node>, (op, op_span): (BinOp, Span)) -> Built<()> {
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
        operands.push(self.make(ExprKind::Binary(op, Box::new(lhs.expr), Box::new(rhs.expr)), span, depth, op_span)?);
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
                if self.stmt_depth + 1 > MAX_TREE_DEPTH {
                    return Err(Stop::TooDeep(Span::new(start, start + 1)));
                }
                Node { expr: expr_of(ExprKind::Int(i64::MIN), Span::new(start, end)), depth: 1 }
            }
            _ => self.node(operand)?,
        };
        while let Some((op, start)) = ops.pop() {
            let span = Span::new(start, node.expr.span.end as usize);
            node =
                self.make(ExprKind::Unary(op, Box::new(node.expr)), span, node.depth, Span::new(start, start + 1))?;
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
            let at = first_char(span_of(&op));
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
                            self.make(kind, span, depth.max(node.depth), at)?
                        }
                        None => self.make(ExprKind::Field(receiver, name), span, node.depth, at)?,
                    }
                }
                Rule::index => {
                    let index = self.node(kids.next()?)?;
                    let depth = index.depth.max(node.depth);
                    self.make(ExprKind::Index(receiver, Box::new(index.expr)), span, depth, at)?
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
        let at = first_char(span);
        if self.stmt_depth + 1 > MAX_TREE_DEPTH {
            return Err(Stop::TooDeep(at));
        }
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
                self.make(ExprKind::Call { callee, args }, span, depth, at)
            }
            Rule::paren => {
                let node = self.node(Kids::of(inner).next()?)?;
                self.make(ExprKind::Paren(Box::new(node.expr)), span, node.depth, at)
            }
            Rule::array_lit => {
                let mut kids = Kids::of(inner);
                let first = self.node(kids.next()?)?;
                let tail = kids.next()?;
                if tail.as_rule() == Rule::array_len {
                    let len = self.node(Kids::of(tail).next()?)?;
                    let depth = first.depth.max(len.depth);
                    let kind = ExprKind::ArrayRepeat(Box::new(first.expr), Box::new(len.expr));
                    self.make(kind, span, depth, at)
                } else {
                    let mut depth = first.depth;
                    let mut elems = vec![first.expr];
                    for elem in tail.into_inner().filter(|p| p.as_rule() == Rule::iexpr) {
                        let node = self.node(elem)?;
                        depth = depth.max(node.depth);
                        elems.push(node.expr);
                    }
                    self.make(ExprKind::ArrayLit(elems), span, depth, at)
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
                self.make(ExprKind::StructLit { name, fields }, span, depth, at)
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

fn is_comparison(op: BinOp) -> bool {
    op.precedence() == 3
}

fn chained_comparison(span: Span, first: Span) -> Diagnostic {
    Diagnostic::error(E_CHAINED_COMPARISON, "comparisons cannot be chained", span)
        .with_label("two comparisons in a row")
        .with_secondary(first, "this comparison is the left operand of the next one")
        .with_note("write `a < b && b < c`, or add parentheses: `(a < b) == c`")
}
