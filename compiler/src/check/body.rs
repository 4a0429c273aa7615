//! Checking the bodies of `fn`s and `process`es: statements and expressions.

use std::collections::HashMap;

use super::{arity_error, closest, Checker, GlobalName};
use crate::ast::{
    AssignOp, BinOp, Block, Callable, Expr, ExprKind, ForIter, Ident, LocalId, SelectArm, SelectHead, Stmt, StmtKind,
    StrLit, StrPart, UnOp,
};
use crate::diagnostic::Diagnostic;
use crate::program::{CallableDef, LocalDef, Value};
use crate::span::Span;
use crate::types::{ObjectKind, Type};
use usim_stdlib as stdlib;

type TExpr = Expr<Type>;

/// The most decimals `{x:.N}` may ask for: an f64 has at most 1074 significant
/// decimals, and more would only print zeros.
const MAX_DECIMALS: u32 = 1074;

struct BodyChecker<'c, 'm> {
    ck: &'c mut Checker<'m>,
    locals: Vec<LocalDef>,
    mutable: Vec<bool>,
    scopes: Vec<HashMap<String, LocalId>>,
    is_process: bool,
    ret: Type,
    loop_depth: u32,
    callable_name: String,
}

pub(super) fn check_callable(
    ck: &mut Checker<'_>,
    callable: &Callable<()>,
    params: &[(String, Type)],
    ret: &Type,
    is_process: bool,
) -> CallableDef {
    let mut bc = BodyChecker {
        ck,
        locals: Vec::new(),
        mutable: Vec::new(),
        scopes: vec![HashMap::new()],
        is_process,
        ret: ret.clone(),
        loop_depth: 0,
        callable_name: callable.name.name.clone(),
    };
    let mut param_ids = Vec::new();
    for ((name, _), (ident, _)) in params.iter().zip(&callable.params) {
        let ty = params.iter().find(|(n, _)| n == name).map_or(Type::Error, |(_, t)| t.clone());
        param_ids.push(bc.declare(ident, ty, false));
    }
    let body = bc.block(&callable.body);
    if *ret != Type::Unit && *ret != Type::Error && !always_returns(&callable.body) {
        let kind = if is_process { "process" } else { "fn" };
        bc.ck.error(
            Diagnostic::error(
                "E0210",
                format!("{kind} `{}` must return {} on every path", callable.name.name, bc.describe(ret)),
                callable.name.span,
            )
            .with_label("some path reaches the end without `return`")
            .with_secondary(
                Span { start: callable.body.span.end.saturating_sub(1), end: callable.body.span.end },
                "the body can end here",
            ),
        );
    }
    CallableDef {
        name: callable.name.name.clone(),
        is_process,
        params: param_ids,
        ret: ret.clone(),
        locals: bc.locals,
        body,
        span: callable.name.span,
    }
}

/// Whether a block cannot finish normally (every path returns, fails, stops or loops forever).
fn always_returns(block: &Block<()>) -> bool {
    block.stmts.iter().any(|s| match &s.kind {
        StmtKind::Return(_) | StmtKind::Fail(_) | StmtKind::Stop => true,
        StmtKind::If { then, otherwise: Some(otherwise), .. } => always_returns(then) && always_returns(otherwise),
        StmtKind::Loop { body } | StmtKind::Every { body, .. } => !contains_break(body),
        StmtKind::Scope { body } => always_returns(body),
        _ => false,
    })
}

/// Whether a loop body has a `break` that leaves this loop (not an inner one).
fn contains_break(block: &Block<()>) -> bool {
    block.stmts.iter().any(|s| match &s.kind {
        StmtKind::Break => true,
        StmtKind::If { then, otherwise, .. } => contains_break(then) || otherwise.as_ref().is_some_and(contains_break),
        StmtKind::Scope { body } | StmtKind::With { body, .. } | StmtKind::Until { body, .. } => contains_break(body),
        StmtKind::Select { arms } => arms.iter().any(|a| contains_break(&a.body)),
        _ => false,
    })
}

fn typed(kind: ExprKind<Type>, span: Span, ty: Type) -> TExpr {
    Expr { kind, span, ty }
}

fn error_expr(span: Span) -> TExpr {
    typed(ExprKind::Int(0), span, Type::Error)
}

fn value_literal(value: &Value, span: Span) -> Option<TExpr> {
    Some(match value {
        Value::Int(v) => typed(ExprKind::Int(*v), span, Type::Int),
        Value::Float(v) => typed(ExprKind::Float(*v), span, Type::Float),
        Value::Bool(v) => typed(ExprKind::Bool(*v), span, Type::Bool),
        _ => return None,
    })
}

/// Describes a value-less or non-value type for messages.
fn is_value_type(ty: &Type) -> bool {
    !matches!(ty, Type::Unit | Type::Object(_))
}

impl BodyChecker<'_, '_> {
    fn error(&mut self, d: Diagnostic) {
        self.ck.error(d);
    }

    fn show(&self, ty: &Type) -> String {
        self.ck.show(ty)
    }

    fn declare(&mut self, ident: &Ident, ty: Type, mutable: bool) -> LocalId {
        if let Some((global, _)) = self.ck.names.get(&ident.name) {
            if !matches!(global, GlobalName::Callable(_) | GlobalName::Struct(_)) {
                let d = Diagnostic::warning(
                    "W0001",
                    format!("`{}` shadows a global of the same name", ident.name),
                    ident.span,
                )
                .with_label("this local hides the global here");
                self.error(d);
            }
        }
        let id = LocalId(self.locals.len() as u32);
        self.locals.push(LocalDef { name: ident.name.clone(), ty, span: ident.span });
        self.mutable.push(mutable);
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(ident.name.clone(), id);
        }
        id
    }

    fn lookup_local(&self, name: &str) -> Option<LocalId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    fn block(&mut self, block: &Block<()>) -> Block<Type> {
        self.scopes.push(HashMap::new());
        let stmts = block.stmts.iter().map(|s| self.stmt(s)).collect();
        self.scopes.pop();
        Block { stmts, span: block.span }
    }

    fn loop_block(&mut self, block: &Block<()>) -> Block<Type> {
        self.loop_depth += 1;
        let b = self.block(block);
        self.loop_depth -= 1;
        b
    }

    /// Reports a suspension point in a `fn`.
    fn require_process(&mut self, what: &str, span: Span) {
        if !self.is_process {
            let d = Diagnostic::error("E0216", format!("a `fn` cannot {what}"), span)
                .with_label(format!("inside fn `{}`", self.callable_name))
                .with_note("only a `process` may wait; make this a process and `await spawn` it");
            self.error(d);
        }
    }

    fn stmt(&mut self, stmt: &Stmt<()>) -> Stmt<Type> {
        let span = stmt.span;
        let kind = match &stmt.kind {
            StmtKind::Let { name, ty, value, .. } => {
                let mut value = self.await_or_expr(value);
                if let Some(ty) = ty {
                    let declared = self.ck.resolve_type(ty);
                    value = self.coerce(value, &declared);
                }
                if !is_value_type(&value.ty) {
                    let d =
                        Diagnostic::error("E0201", format!("this has no value to bind to `{}`", name.name), value.span)
                            .with_label(format!("this is {}", self.describe(&value.ty)));
                    self.error(d);
                    value.ty = Type::Error;
                }
                let local = self.declare(name, value.ty.clone(), true);
                StmtKind::Let { name: name.clone(), ty: ty.clone(), value, local: Some(local) }
            }
            StmtKind::Assign { target, op, value } => {
                let target = self.place(target);
                let value = self.await_or_expr(value);
                let value = match op {
                    AssignOp::Set => self.coerce(value, &target.ty.clone()),
                    _ => self.compound(&target, *op, value),
                };
                StmtKind::Assign { target, op: *op, value }
            }
            StmtKind::If { cond, then, otherwise } => {
                let cond = self.condition(cond, "`if`");
                let then = self.block(then);
                let otherwise = otherwise.as_ref().map(|b| self.block(b));
                StmtKind::If { cond, then, otherwise }
            }
            StmtKind::While { cond, body } => {
                let cond = self.condition(cond, "`while`");
                StmtKind::While { cond, body: self.loop_block(body) }
            }
            StmtKind::For { name, iter, body, .. } => {
                let (iter, elem) = match iter {
                    ForIter::Range(lo, hi) => {
                        let lo = self.expect(lo, &Type::Int);
                        let hi = self.expect(hi, &Type::Int);
                        (ForIter::Range(lo, hi), Type::Int)
                    }
                    ForIter::Each(e) => {
                        let e = self.expr(e);
                        let elem = match &e.ty {
                            Type::Array(elem, _) => (**elem).clone(),
                            Type::Object(ObjectKind::Channel(t) | ObjectKind::Queue(t)) => {
                                self.require_process("receive in a loop", e.span);
                                (**t).clone()
                            }
                            Type::Error => Type::Error,
                            other => {
                                let d = Diagnostic::error(
                                    "E0201",
                                    format!("cannot loop over {}", self.describe(other)),
                                    e.span,
                                )
                                .with_label("expected an array, a channel, a queue or a range `a..b`");
                                self.error(d);
                                Type::Error
                            }
                        };
                        (ForIter::Each(e), elem)
                    }
                };
                self.scopes.push(HashMap::new());
                let local = self.declare(name, elem, false);
                let body = self.loop_block(body);
                self.scopes.pop();
                StmtKind::For { name: name.clone(), iter, body, local: Some(local) }
            }
            StmtKind::Loop { body } => StmtKind::Loop { body: self.loop_block(body) },
            StmtKind::Break | StmtKind::Continue => {
                if self.loop_depth == 0 {
                    let word = if matches!(stmt.kind, StmtKind::Break) { "break" } else { "continue" };
                    self.error(
                        Diagnostic::error("E0211", format!("`{word}` outside of a loop"), span)
                            .with_label("there is no `while`, `for`, `loop` or `every` around this"),
                    );
                }
                match stmt.kind {
                    StmtKind::Break => StmtKind::Break,
                    _ => StmtKind::Continue,
                }
            }
            StmtKind::Return(value) => {
                let ret = self.ret.clone();
                let value = match (value, &ret) {
                    (None, Type::Unit | Type::Error) => None,
                    (None, _) => {
                        let d = Diagnostic::error(
                            "E0209",
                            format!("`{}` must return {}", self.callable_name, self.describe(&ret)),
                            span,
                        )
                        .with_label("return without a value");
                        self.error(d);
                        None
                    }
                    (Some(v), Type::Unit) => {
                        let v = self.await_or_expr(v);
                        let d = Diagnostic::error(
                            "E0209",
                            format!("`{}` does not return a value", self.callable_name),
                            v.span,
                        )
                        .with_label("unexpected value")
                        .with_note(format!("declare the return type: `-> {}`", self.show(&v.ty)));
                        self.error(d);
                        None
                    }
                    (Some(v), ret) => {
                        let v = self.await_or_expr(v);
                        Some(self.coerce(v, ret))
                    }
                };
                StmtKind::Return(value)
            }
            StmtKind::Print(s) => StmtKind::Print(self.str_lit(s)),
            StmtKind::Fail(s) => StmtKind::Fail(self.str_lit(s)),
            StmtKind::Stop => StmtKind::Stop,
            StmtKind::Record { name, value } => {
                let value = self.expect(value, &Type::Float);
                StmtKind::Record { name: name.clone(), value }
            }
            StmtKind::Every { period, body } => {
                self.require_process("use `every`", span);
                let period = self.expect(period, &Type::Float);
                StmtKind::Every { period, body: self.loop_block(body) }
            }
            StmtKind::Scope { body } => {
                self.require_process("open a `scope`", span);
                StmtKind::Scope { body: self.block(body) }
            }
            StmtKind::With { target, amount, priority, body } => {
                self.require_process("use `with`", span);
                let (target, amount, priority) = self.with_head(target, amount, priority);
                StmtKind::With { target, amount, priority, body: self.block(body) }
            }
            StmtKind::Until { trigger, body } => {
                self.require_process("use `until`", span);
                let trigger = self.awaitable(trigger);
                StmtKind::Until { trigger, body: self.block(body) }
            }
            StmtKind::Select { arms } => {
                self.require_process("use `select`", span);
                StmtKind::Select { arms: arms.iter().map(|a| self.select_arm(a)).collect() }
            }
            StmtKind::Cancel(handle) => {
                let handle = self.expr(handle);
                if !matches!(handle.ty, Type::Proc(_) | Type::Error) {
                    let d = Diagnostic::error("E0221", "`cancel` needs a process handle", handle.span)
                        .with_label(format!("this is {}", self.describe(&handle.ty)))
                        .with_note("a handle comes from `let h = spawn worker()`");
                    self.error(d);
                }
                StmtKind::Cancel(handle)
            }
            StmtKind::Expr(e) => {
                let e = self.await_or_expr(e);
                if !matches!(
                    e.kind,
                    ExprKind::Await(_)
                        | ExprKind::Spawn(_)
                        | ExprKind::CallFn { .. }
                        | ExprKind::CallBuiltin { .. }
                        | ExprKind::Method { .. }
                ) && e.ty != Type::Error
                {
                    self.error(
                        Diagnostic::warning("W0002", "this expression does nothing", e.span)
                            .with_label("its value is not used"),
                    );
                }
                StmtKind::Expr(e)
            }
        };
        Stmt { kind, span }
    }

    fn with_head(
        &mut self,
        target: &Expr<()>,
        amount: &Option<Expr<()>>,
        priority: &Option<Expr<()>>,
    ) -> (TExpr, Option<TExpr>, Option<TExpr>) {
        let target = self.expr(target);
        let amount = amount.as_ref().map(|a| self.expect(a, &Type::Float));
        let priority = priority.as_ref().map(|p| self.expect(p, &Type::Int));
        match (&target.ty, &amount) {
            (Type::Object(ObjectKind::Lock), None)
            | (Type::Object(ObjectKind::Resource), Some(_))
            | (Type::Error, _) => {}
            (Type::Object(ObjectKind::Lock), Some(a)) => {
                let d = Diagnostic::error("E0222", "a lock is acquired whole; it takes no amount", a.span)
                    .with_label("remove the amount");
                self.error(d);
            }
            (Type::Object(ObjectKind::Resource), None) => {
                let d = Diagnostic::error("E0222", "`with` on a resource needs the amount to borrow", target.span)
                    .with_label("write e.g. `with tank(5.0) { }`");
                self.error(d);
            }
            (other, _) => {
                let d = Diagnostic::error("E0222", "`with` needs a lock or a resource", target.span)
                    .with_label(format!("this is {}", self.describe(other)));
                self.error(d);
            }
        }
        (target, amount, priority)
    }

    fn select_arm(&mut self, arm: &SelectArm<()>) -> SelectArm<Type> {
        self.scopes.push(HashMap::new());
        let head = match &arm.head {
            SelectHead::With { target, amount, priority } => {
                let (target, amount, priority) = self.with_head(target, amount, priority);
                SelectHead::With { target, amount, priority }
            }
            SelectHead::Let { name, value, .. } => {
                let value = self.await_or_expr(value);
                if !matches!(value.kind, ExprKind::Await(_)) {
                    self.error(Diagnostic::error(
                        "E0217",
                        "a `select` arm waits: write `let x = await ...`",
                        value.span,
                    ));
                }
                let local = self.declare(name, value.ty.clone(), true);
                SelectHead::Let { name: name.clone(), value, local: Some(local) }
            }
            SelectHead::Await(e) => SelectHead::Await(self.awaitable(e)),
        };
        let body = self.block(&arm.body);
        self.scopes.pop();
        SelectArm { head, body, span: arm.span }
    }

    fn str_lit(&mut self, s: &StrLit<()>) -> StrLit<Type> {
        let mut parts = Vec::new();
        for part in &s.parts {
            parts.push(match part {
                StrPart::Text(t) => StrPart::Text(t.clone()),
                StrPart::Interp { expr, decimals } => {
                    let expr = self.expr(expr);
                    if decimals.is_some_and(|n| n > MAX_DECIMALS) {
                        let d = Diagnostic::error(
                            "E0206",
                            format!("at most {MAX_DECIMALS} decimals can be printed"),
                            expr.span,
                        )
                        .with_label("too many decimals");
                        self.error(d);
                    } else if decimals.is_some() && !matches!(expr.ty, Type::Float | Type::Error) {
                        let d = Diagnostic::error(
                            "E0206",
                            format!("`:.N` formats a float, but this is {}", self.describe(&expr.ty)),
                            expr.span,
                        )
                        .with_label("not a float")
                        .with_note(if expr.ty == Type::Int {
                            "convert first, e.g. `{float(n):.2}`, or drop the `:.N`"
                        } else {
                            "drop the `:.N`"
                        });
                        self.error(d);
                    } else if !self.printable(&expr.ty) {
                        let d =
                            Diagnostic::error("E0207", format!("cannot print {}", self.describe(&expr.ty)), expr.span)
                                .with_label("ints, floats, bools, structs and arrays can be printed");
                        self.error(d);
                    }
                    StrPart::Interp { expr, decimals: *decimals }
                }
            });
        }
        StrLit { parts, span: s.span }
    }

    fn printable(&self, ty: &Type) -> bool {
        match ty {
            Type::Int | Type::Float | Type::Bool | Type::Error => true,
            Type::Array(elem, _) => self.printable(elem),
            Type::Struct(id) => self.ck.program.structs[id.0 as usize].fields.iter().all(|(_, t)| self.printable(t)),
            _ => false,
        }
    }

    /// A phrase naming what a type is, for messages: "an int", "a process handle".
    fn describe(&self, ty: &Type) -> String {
        match ty {
            Type::Int => "an int".into(),
            Type::Float => "a float".into(),
            Type::Bool => "a bool".into(),
            Type::Unit => "nothing (no value)".into(),
            Type::Proc(_) => format!("a process handle ({})", self.show(ty)),
            Type::Object(ObjectKind::Lock) => "a lock".into(),
            Type::Object(ObjectKind::Resource) => "a resource".into(),
            Type::Object(ObjectKind::Channel(_)) => "a channel".into(),
            Type::Object(ObjectKind::Queue(_)) => "a queue".into(),
            other => format!("a value of type {}", self.show(other)),
        }
    }

    fn condition(&mut self, cond: &Expr<()>, what: &str) -> TExpr {
        let e = self.expr(cond);
        if !matches!(e.ty, Type::Bool | Type::Error) {
            let d = Diagnostic::error("E0204", format!("the condition of {what} must be a bool"), e.span)
                .with_label(format!("this is {}", self.describe(&e.ty)));
            self.error(d);
        }
        e
    }

    /// Checks an expression against an expected type, inserting int -> float promotion.
    fn expect(&mut self, e: &Expr<()>, ty: &Type) -> TExpr {
        let e = self.expr(e);
        self.coerce(e, ty)
    }

    fn coerce(&mut self, e: TExpr, ty: &Type) -> TExpr {
        if e.ty == *ty || e.ty == Type::Error || *ty == Type::Error {
            return e;
        }
        if let (ExprKind::ArrayLit(_) | ExprKind::ArrayRepeat(..), Type::Array(want, n), Type::Array(have, m)) =
            (&e.kind, ty, &e.ty)
        {
            // An int array literal becomes a float one, element by element.
            if **want == Type::Float && **have == Type::Int && n == m {
                let span = e.span;
                let kind = match e.kind {
                    ExprKind::ArrayLit(items) => {
                        ExprKind::ArrayLit(items.into_iter().map(|i| self.coerce(i, &Type::Float)).collect())
                    }
                    ExprKind::ArrayRepeat(item, len) => {
                        ExprKind::ArrayRepeat(Box::new(self.coerce(*item, &Type::Float)), len)
                    }
                    other => other,
                };
                return typed(kind, span, ty.clone());
            }
        }
        if e.ty == Type::Int && *ty == Type::Float {
            let span = e.span;
            return match e.kind {
                ExprKind::Int(v) => typed(ExprKind::Float(v as f64), span, Type::Float),
                _ => typed(ExprKind::ToFloat(Box::new(e)), span, Type::Float),
            };
        }
        let mut d = Diagnostic::error(
            "E0201",
            format!("expected {}, found {}", self.describe(ty), self.describe(&e.ty)),
            e.span,
        )
        .with_label(format!("expected {}", self.show(ty)));
        if e.ty == Type::Float && *ty == Type::Int {
            d = d.with_note("a float becomes an int only explicitly: `int(x)` truncates, `round(x)` rounds");
        }
        self.error(d);
        Expr { ty: Type::Error, ..e }
    }

    fn compound(&mut self, target: &TExpr, op: AssignOp, value: TExpr) -> TExpr {
        let symbol = match op {
            AssignOp::Add => "+=",
            AssignOp::Sub => "-=",
            AssignOp::Mul => "*=",
            AssignOp::Div => "/=",
            AssignOp::Set => "=",
        };
        if !target.ty.is_numeric() {
            let d = Diagnostic::error("E0203", format!("`{symbol}` needs a number on the left"), target.span)
                .with_label(format!("this is {}", self.describe(&target.ty)));
            self.error(d);
            return value;
        }
        let ty = target.ty.clone();
        self.coerce(value, &ty)
    }

    /// Checks an assignment target: a mutable local, a global `var`, or a field or element of one.
    fn place(&mut self, e: &Expr<()>) -> TExpr {
        let typed_e = self.expr(e);
        let mut root = &typed_e;
        while let ExprKind::Field(inner, _) | ExprKind::Index(inner, _) = &root.kind {
            root = inner;
        }
        let problem = match &root.kind {
            ExprKind::Local(id) if !self.mutable[id.0 as usize] => Some(format!(
                "`{}` cannot be assigned: parameters and loop variables are fixed",
                self.locals[id.0 as usize].name
            )),
            ExprKind::Local(_) | ExprKind::Global(_) => None,
            _ if root.ty == Type::Error => None,
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_)
                if matches!(e.kind, ExprKind::Name(_) | ExprKind::Field(..) | ExprKind::Index(..)) =>
            {
                Some("a `const` or `param` cannot be assigned".to_string())
            }
            _ => Some("only a variable, or a field or element of one, can be assigned".to_string()),
        };
        if let Some(message) = problem {
            self.error(Diagnostic::error("E0205", message, e.span).with_label("cannot assign to this"));
        }
        typed_e
    }

    /// An expression where `await` may stand: a statement, the right side of `let`
    /// or an assignment, a `return` value.
    fn await_or_expr(&mut self, e: &Expr<()>) -> TExpr {
        match &e.kind {
            ExprKind::Await(inner) => {
                self.require_process("`await`", e.span);
                let inner = self.awaitable(inner);
                let ty = match &inner.ty {
                    Type::Proc(ret) => (**ret).clone(),
                    other
                        if matches!(
                            inner.kind,
                            ExprKind::Method { .. } | ExprKind::Object(_) | ExprKind::Index(..)
                        ) =>
                    {
                        match other {
                            Type::Object(ObjectKind::Channel(t)) => (**t).clone(),
                            _ => other.clone(),
                        }
                    }
                    Type::Error => Type::Error,
                    _ => Type::Unit,
                };
                typed(ExprKind::Await(Box::new(inner)), e.span, ty)
            }
            _ => self.expr(e),
        }
    }

    /// The operand of `await` (or the trigger of `until`): typed with the type of the
    /// thing waited on; `await_or_expr` turns it into the result type.
    fn awaitable(&mut self, e: &Expr<()>) -> TExpr {
        match &e.kind {
            ExprKind::Call { callee, args }
                if matches!(callee.name.as_str(), "delay" | "at") && self.is_time_builtin(&callee.name) =>
            {
                if args.len() != 1 {
                    self.error(arity_error(&callee.name, 1, args.len(), e.span));
                    return error_expr(e.span);
                }
                let arg = self.expect(&args[0], &Type::Float);
                let kind =
                    if callee.name == "delay" { ExprKind::Delay(Box::new(arg)) } else { ExprKind::At(Box::new(arg)) };
                typed(kind, e.span, Type::Unit)
            }
            ExprKind::Instant => typed(ExprKind::Instant, e.span, Type::Unit),
            ExprKind::Paren(inner) => self.awaitable(inner),
            _ => {
                let inner = self.expr(e);
                match &inner.ty {
                    Type::Proc(_) | Type::Error => {}
                    Type::Object(ObjectKind::Channel(_)) => {}
                    _ if matches!(inner.kind, ExprKind::Method { .. }) => {}
                    Type::Bool => {
                        if !reads_global(&inner) {
                            let d = Diagnostic::error(
                                "E0219",
                                "this condition reads no global `var`, so it could never change",
                                inner.span,
                            )
                            .with_label("awaiting it would wait forever")
                            .with_note("an awaited condition is re-checked when a global `var` it reads is written");
                            self.error(d);
                        }
                    }
                    other => {
                        let d = Diagnostic::error("E0217", format!("cannot await {}", self.describe(other)), inner.span)
                            .with_label("not something to wait for")
                            .with_note("await a `delay(..)`, `at(..)`, `instant`, a process handle, a queue or channel operation, or a bool condition over global vars");
                        self.error(d);
                    }
                }
                inner
            }
        }
    }

    /// `delay`/`at` are the time built-ins unless the model defines a callable of that name.
    fn is_time_builtin(&self, name: &str) -> bool {
        !matches!(self.ck.names.get(name), Some((GlobalName::Callable(_), _)))
    }

    fn expr(&mut self, e: &Expr<()>) -> TExpr {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => typed(ExprKind::Int(*v), span, Type::Int),
            ExprKind::Float(v) => typed(ExprKind::Float(*v), span, Type::Float),
            ExprKind::Bool(v) => typed(ExprKind::Bool(*v), span, Type::Bool),
            ExprKind::Now => typed(ExprKind::Now, span, Type::Float),
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Instant => {
                self.error(
                    Diagnostic::error("E0223", "`instant` is only meaningful as `await instant`", span)
                        .with_label("not a value"),
                );
                error_expr(span)
            }
            ExprKind::Name(name) => self.name(name, span),
            ExprKind::Await(_) => {
                self.error(
                    Diagnostic::error("E0215", "`await` must stand alone", span)
                        .with_label("this `await` is part of a larger expression")
                        .with_note("write it as its own statement, or as `let x = await ...`, `x += await ...` or `return await ...`"),
                );
                let inner = self.await_or_expr(e);
                Expr { ty: Type::Error, ..inner }
            }
            ExprKind::Spawn(inner) => self.spawn(inner, span),
            ExprKind::Unary(op, inner) => {
                let inner = self.expr(inner);
                let ok = match op {
                    UnOp::Neg => inner.ty.is_numeric(),
                    UnOp::Not => matches!(inner.ty, Type::Bool | Type::Error),
                };
                if !ok {
                    let (sym, want) = if *op == UnOp::Neg { ("-", "a number") } else { ("!", "a bool") };
                    let d = Diagnostic::error("E0203", format!("`{sym}` needs {want}"), inner.span)
                        .with_label(format!("this is {}", self.describe(&inner.ty)));
                    self.error(d);
                    return error_expr(span);
                }
                if let (UnOp::Neg, ExprKind::Int(v)) = (op, &inner.kind) {
                    if let Some(n) = v.checked_neg() {
                        return typed(ExprKind::Int(n), span, Type::Int);
                    }
                }
                if let (UnOp::Neg, ExprKind::Float(v)) = (op, &inner.kind) {
                    return typed(ExprKind::Float(-v), span, Type::Float);
                }
                let ty = inner.ty.clone();
                typed(ExprKind::Unary(*op, Box::new(inner)), span, ty)
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span),
            ExprKind::Call { callee, args } => self.call(callee, args, span),
            ExprKind::Method { receiver, name, args } => self.method(receiver, name, args, span),
            ExprKind::Field(inner, field) => {
                let inner = self.expr(inner);
                match &inner.ty {
                    Type::Struct(id) => {
                        let id = *id;
                        match self.ck.program.field(id, &field.name) {
                            Some((_, ty)) => typed(ExprKind::Field(Box::new(inner), field.clone()), span, ty),
                            None => {
                                let def = &self.ck.program.structs[id.0 as usize];
                                let mut d = Diagnostic::error(
                                    "E0108",
                                    format!("struct `{}` has no field `{}`", def.name, field.name),
                                    field.span,
                                )
                                .with_label("unknown field");
                                if let Some(s) = closest(&field.name, def.fields.iter().map(|(f, _)| f.as_str())) {
                                    d = d.with_note(format!("did you mean `{s}`?"));
                                }
                                self.error(d);
                                error_expr(span)
                            }
                        }
                    }
                    Type::Error => error_expr(span),
                    other => {
                        let d = Diagnostic::error(
                            "E0208",
                            format!("`.{}`: {} has no fields", field.name, self.describe(other)),
                            field.span,
                        )
                        .with_label("only struct values have fields");
                        self.error(d);
                        error_expr(span)
                    }
                }
            }
            ExprKind::Index(inner, index) => {
                let inner = self.expr(inner);
                let index = self.expect(index, &Type::Int);
                let (ty, len) = match &inner.ty {
                    Type::Array(elem, len) => ((**elem).clone(), Some(*len)),
                    Type::Object(kind) if matches!(inner.kind, ExprKind::Object(i) if self.ck.program.objects[i as usize].family.is_some()) =>
                    {
                        let len = match inner.kind {
                            ExprKind::Object(i) => self.ck.program.objects[i as usize].family,
                            _ => None,
                        };
                        (Type::Object(kind.clone()), len)
                    }
                    Type::Error => (Type::Error, None),
                    other => {
                        let d =
                            Diagnostic::error("E0208", format!("cannot index {}", self.describe(other)), inner.span)
                                .with_label("only arrays and object families can be indexed");
                        self.error(d);
                        return error_expr(span);
                    }
                };
                if let (ExprKind::Int(i), Some(len)) = (&index.kind, len) {
                    if *i < 0 || *i as u64 >= len {
                        let d = Diagnostic::error(
                            "E0228",
                            format!("index {i} is out of bounds for length {len}"),
                            index.span,
                        )
                        .with_label(format!("valid indexes are 0 to {}", len as i64 - 1));
                        self.error(d);
                    }
                }
                typed(ExprKind::Index(Box::new(inner), Box::new(index)), span, ty)
            }
            ExprKind::StructLit { name, fields } => self.struct_lit(name, fields, span),
            ExprKind::ArrayLit(items) => {
                if items.is_empty() {
                    self.error(
                        Diagnostic::error("E0220", "an array literal needs at least one element", span)
                            .with_note("for an array of zeros write `[0.0; N]`"),
                    );
                    return error_expr(span);
                }
                let items: Vec<TExpr> = items.iter().map(|i| self.expr(i)).collect();
                let elem = if items.iter().any(|i| i.ty == Type::Float) && items.iter().all(|i| i.ty.is_numeric()) {
                    Type::Float
                } else {
                    items.iter().map(|i| i.ty.clone()).find(|t| *t != Type::Error).unwrap_or(Type::Error)
                };
                if !is_value_type(&elem) {
                    self.error(Diagnostic::error(
                        "E0220",
                        format!("an array cannot hold {}", self.describe(&elem)),
                        span,
                    ));
                    return error_expr(span);
                }
                let items: Vec<TExpr> = items.into_iter().map(|i| self.coerce(i, &elem)).collect();
                let len = items.len() as u64;
                typed(ExprKind::ArrayLit(items), span, Type::Array(Box::new(elem), len))
            }
            ExprKind::ArrayRepeat(item, len) => {
                let item = self.expr(item);
                let n = match super::consteval::array_len(len, self.ck) {
                    Ok(n) => n,
                    Err(d) => {
                        if let Some(d) = d {
                            self.error(*d);
                        }
                        return error_expr(span);
                    }
                };
                if !is_value_type(&item.ty) {
                    self.error(Diagnostic::error(
                        "E0220",
                        format!("an array cannot hold {}", self.describe(&item.ty)),
                        span,
                    ));
                    return error_expr(span);
                }
                let ty = Type::Array(Box::new(item.ty.clone()), n);
                if (self.ck.program.width(&item.ty) as u64).saturating_mul(n) > super::consteval::MAX_ARRAY_LEN as u64 {
                    self.error(Diagnostic::error("E0114", "this array is too large", span));
                    return error_expr(span);
                }
                let len_expr = typed(ExprKind::Int(n as i64), len.span, Type::Int);
                typed(ExprKind::ArrayRepeat(Box::new(item), Box::new(len_expr)), span, ty)
            }
            // Kinds only the checker produces never come from the parser.
            _ => error_expr(span),
        }
    }

    fn name(&mut self, name: &str, span: Span) -> TExpr {
        if let Some(id) = self.lookup_local(name) {
            let ty = self.locals[id.0 as usize].ty.clone();
            return typed(ExprKind::Local(id), span, ty);
        }
        match self.ck.names.get(name).map(|(g, _)| *g) {
            Some(GlobalName::Var(i)) => {
                let ty = self.ck.program.globals[i as usize].ty.clone();
                typed(ExprKind::Global(i), span, ty)
            }
            Some(GlobalName::Const(i)) => match self.ck.const_value(i as usize) {
                Ok(v) => value_literal(&v, span).unwrap_or_else(|| error_expr(span)),
                Err(()) => error_expr(span),
            },
            Some(GlobalName::Param(i)) => {
                let value = self.ck.program.params[i as usize].value.clone();
                value_literal(&value, span).unwrap_or_else(|| error_expr(span))
            }
            Some(GlobalName::Object(i)) => {
                let kind = self.ck.program.objects[i as usize].kind.clone();
                typed(ExprKind::Object(i), span, Type::Object(kind))
            }
            Some(GlobalName::Struct(_)) => {
                self.error(
                    Diagnostic::error("E0222", format!("`{name}` is a struct type, not a value"), span)
                        .with_note(format!("build a value with `{name} {{ field: value, ... }}`")),
                );
                error_expr(span)
            }
            Some(GlobalName::Callable(_)) => {
                self.error(
                    Diagnostic::error("E0222", format!("`{name}` is a function or process, not a value"), span)
                        .with_label("call it with `(...)`"),
                );
                error_expr(span)
            }
            None => {
                let mut candidates: Vec<&str> = self.scopes.iter().flat_map(|s| s.keys().map(String::as_str)).collect();
                candidates.extend(
                    self.ck
                        .names
                        .iter()
                        .filter(|(_, (g, _))| !matches!(g, GlobalName::Callable(_) | GlobalName::Struct(_)))
                        .map(|(n, _)| n.as_str()),
                );
                candidates.sort_unstable();
                let mut d =
                    Diagnostic::error("E0105", format!("unknown name `{name}`"), span).with_label("not defined");
                if let Some(s) = closest(name, candidates.into_iter()) {
                    d = d.with_note(format!("did you mean `{s}`?"));
                }
                self.error(d);
                error_expr(span)
            }
        }
    }

    fn spawn(&mut self, inner: &Expr<()>, span: Span) -> TExpr {
        let inner = match &inner.kind {
            ExprKind::Paren(i) => i.as_ref(),
            _ => inner,
        };
        if let ExprKind::Call { callee, args } = &inner.kind {
            if let Some((GlobalName::Callable(i), _)) = self.ck.names.get(&callee.name) {
                let index = *i;
                let sig = self.ck.signatures[index as usize].clone();
                if !sig.is_process {
                    self.error(
                        Diagnostic::error(
                            "E0214",
                            format!("`{}` is a `fn`; only a process can be spawned", callee.name),
                            callee.span,
                        )
                        .with_label("a fn runs to completion when called: drop `spawn`"),
                    );
                    return error_expr(span);
                }
                let args = self.call_args(&sig.name, &sig.params, args, inner.span);
                let call = typed(ExprKind::CallFn { callable: index, args }, inner.span, sig.ret.clone());
                return typed(ExprKind::Spawn(Box::new(call)), span, Type::Proc(Box::new(sig.ret)));
            }
        }
        let checked = self.expr(inner);
        if checked.ty != Type::Error {
            self.error(
                Diagnostic::error("E0213", "`spawn` starts a process: write `spawn name(args)`", inner.span)
                    .with_label("not a process call"),
            );
        }
        error_expr(span)
    }

    fn call_args(&mut self, name: &str, params: &[(String, Type)], args: &[Expr<()>], span: Span) -> Vec<TExpr> {
        if args.len() != params.len() {
            self.error(arity_error(name, params.len(), args.len(), span));
        }
        args.iter()
            .enumerate()
            .map(|(i, a)| match params.get(i) {
                Some((_, ty)) => self.expect(a, ty),
                None => self.expr(a),
            })
            .collect()
    }

    fn call(&mut self, callee: &Ident, args: &[Expr<()>], span: Span) -> TExpr {
        if let Some((GlobalName::Callable(i), _)) = self.ck.names.get(&callee.name) {
            let index = *i;
            let sig = self.ck.signatures[index as usize].clone();
            if sig.is_process {
                self.error(
                    Diagnostic::error("E0212", format!("`{}` is a process: start it with `spawn`", callee.name), span)
                        .with_label("a process cannot be called like a function")
                        .with_note(format!(
                            "write `spawn {0}(...)`, or `await spawn {0}(...)` to wait for it",
                            callee.name
                        )),
                );
                return error_expr(span);
            }
            let args = self.call_args(&sig.name, &sig.params, args, span);
            return typed(ExprKind::CallFn { callable: index, args }, span, sig.ret);
        }
        if matches!(callee.name.as_str(), "delay" | "at") {
            self.error(
                Diagnostic::error("E0218", format!("`{}(...)` must be awaited", callee.name), span)
                    .with_label(format!("write `await {}(...)`", callee.name)),
            );
            return error_expr(span);
        }
        let Some(builtin) = stdlib::lookup(&callee.name) else {
            if let Some((GlobalName::Object(_), _)) = self.ck.names.get(&callee.name) {
                self.error(
                    Diagnostic::error("E0222", format!("`{}` is a shared object, not a function", callee.name), span)
                        .with_note("borrow from a resource with `with tank(amount) { }`"),
                );
                return error_expr(span);
            }
            let mut candidates: Vec<&str> = stdlib::builtins().iter().map(|b| b.name).collect();
            candidates.extend(["delay", "at"]);
            candidates.extend(self.ck.signatures.iter().map(|s| s.name.as_str()));
            let mut d = Diagnostic::error("E0107", format!("unknown function `{}`", callee.name), callee.span)
                .with_label("not defined");
            if let Some(s) = closest(&callee.name, candidates.into_iter()) {
                d = d.with_note(format!("did you mean `{s}`?"));
            }
            self.error(d);
            for a in args {
                self.expr(a);
            }
            return error_expr(span);
        };
        let args: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect();
        if args.iter().any(|a| a.ty == Type::Error) {
            return error_expr(span);
        }
        let to_type = |t: stdlib::Ty| match t {
            stdlib::Ty::Int => Type::Int,
            stdlib::Ty::Float => Type::Float,
            stdlib::Ty::Bool => Type::Bool,
        };
        let exact = builtin
            .signatures
            .iter()
            .position(|s| s.params.len() == args.len() && s.params.iter().zip(&args).all(|(p, a)| to_type(*p) == a.ty));
        let promoted = builtin.signatures.iter().position(|s| {
            s.params.len() == args.len()
                && s.params
                    .iter()
                    .zip(&args)
                    .all(|(p, a)| to_type(*p) == a.ty || (to_type(*p) == Type::Float && a.ty == Type::Int))
        });
        let Some(signature) = exact.or(promoted) else {
            let shapes: Vec<String> = builtin
                .signatures
                .iter()
                .map(|s| {
                    let params: Vec<String> = s.params.iter().map(|p| self.show(&to_type(*p))).collect();
                    format!("{}({}) -> {}", builtin.name, params.join(", "), self.show(&to_type(s.ret)))
                })
                .collect();
            let found: Vec<String> = args.iter().map(|a| self.show(&a.ty)).collect();
            let d = Diagnostic::error("E0201", format!("`{}` cannot take ({})", builtin.name, found.join(", ")), span)
                .with_label("no matching form")
                .with_note(format!("its forms: {}", shapes.join("; ")));
            self.error(d);
            return error_expr(span);
        };
        let sig = &builtin.signatures[signature];
        let args = args.into_iter().zip(sig.params).map(|(a, p)| self.coerce(a, &to_type(*p))).collect();
        typed(ExprKind::CallBuiltin { name: builtin.name, signature, args }, span, to_type(sig.ret))
    }

    fn method(&mut self, receiver: &Expr<()>, name: &Ident, args: &[Expr<()>], span: Span) -> TExpr {
        let receiver = self.expr(receiver);
        let (params, ret): (Vec<Type>, Type) = match (&receiver.ty, name.name.as_str()) {
            (Type::Error, _) => {
                for a in args {
                    self.expr(a);
                }
                return error_expr(span);
            }
            (Type::Array(_, len), "len") => {
                if !args.is_empty() {
                    self.error(arity_error("len", 0, args.len(), span));
                }
                return typed(ExprKind::Int(*len as i64), span, Type::Int);
            }
            (Type::Object(ObjectKind::Queue(_)), "len") => (vec![], Type::Int),
            (Type::Object(ObjectKind::Queue(t)), "get") => (vec![], (**t).clone()),
            (Type::Object(ObjectKind::Queue(t)), "put") => (vec![(**t).clone()], Type::Unit),
            (Type::Object(ObjectKind::Channel(t)), "send") => (vec![(**t).clone()], Type::Unit),
            (Type::Object(ObjectKind::Resource), "get" | "put") => (vec![Type::Float], Type::Unit),
            (Type::Object(ObjectKind::Resource), "level") => (vec![], Type::Float),
            (other, method) => {
                let d =
                    Diagnostic::error("E0224", format!("{} has no method `{method}`", self.describe(other)), name.span)
                        .with_label("unknown method");
                self.error(d);
                for a in args {
                    self.expr(a);
                }
                return error_expr(span);
            }
        };
        let params: Vec<(String, Type)> = params.into_iter().map(|t| (String::new(), t)).collect();
        let args = self.call_args(&name.name, &params, args, span);
        typed(ExprKind::Method { receiver: Box::new(receiver), name: name.clone(), args }, span, ret)
    }

    fn struct_lit(&mut self, name: &Ident, fields: &[(Ident, Expr<()>)], span: Span) -> TExpr {
        let Some((GlobalName::Struct(id), _)) = self.ck.names.get(&name.name).copied() else {
            let candidates: Vec<&str> = self.ck.program.structs.iter().map(|s| s.name.as_str()).collect();
            let mut d = Diagnostic::error("E0106", format!("unknown struct `{}`", name.name), name.span)
                .with_label("not a struct");
            if let Some(s) = closest(&name.name, candidates.into_iter()) {
                d = d.with_note(format!("did you mean `{s}`?"));
            }
            self.error(d);
            for (_, e) in fields {
                self.expr(e);
            }
            return error_expr(span);
        };
        let def_fields = self.ck.program.structs[id as usize].fields.clone();
        let mut out: Vec<(Ident, TExpr)> = Vec::new();
        for (field, e) in fields {
            let Some((_, ty)) = def_fields.iter().find(|(n, _)| *n == field.name) else {
                let mut d = Diagnostic::error(
                    "E0108",
                    format!("struct `{}` has no field `{}`", name.name, field.name),
                    field.span,
                )
                .with_label("unknown field");
                if let Some(s) = closest(&field.name, def_fields.iter().map(|(f, _)| f.as_str())) {
                    d = d.with_note(format!("did you mean `{s}`?"));
                }
                self.error(d);
                self.expr(e);
                continue;
            };
            if let Some((first, _)) = out.iter().find(|(f, _)| f.name == field.name) {
                let d = Diagnostic::error("E0109", format!("field `{}` is given twice", field.name), field.span)
                    .with_secondary(first.span, "first given here");
                self.error(d);
                continue;
            }
            let e = self.expect(e, ty);
            out.push((field.clone(), e));
        }
        let missing: Vec<&str> = def_fields
            .iter()
            .filter(|(n, _)| !out.iter().any(|(f, _)| f.name == *n))
            .map(|(n, _)| n.as_str())
            .collect();
        if !missing.is_empty() && fields.len() >= out.len() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            self.error(
                Diagnostic::error(
                    "E0109",
                    format!(
                        "missing field{} {} in `{}`",
                        if missing.len() == 1 { "" } else { "s" },
                        list.join(", "),
                        name.name
                    ),
                    span,
                )
                .with_label("every field must be given"),
            );
        }
        // Fields are stored in declaration order, whatever order they were written in.
        let mut ordered = Vec::new();
        for (n, _) in &def_fields {
            if let Some(pos) = out.iter().position(|(f, _)| f.name == *n) {
                ordered.push(out.swap_remove(pos));
            }
        }
        let ty = if ordered.len() == def_fields.len() { Type::Struct(crate::types::StructId(id)) } else { Type::Error };
        typed(ExprKind::StructLit { name: name.clone(), fields: ordered }, span, ty)
    }

    fn binary(&mut self, op: BinOp, a: &Expr<()>, b: &Expr<()>, span: Span) -> TExpr {
        let a = self.expr(a);
        let b = self.expr(b);
        if a.ty == Type::Error || b.ty == Type::Error {
            return error_expr(span);
        }
        let symbol = op.symbol();
        let numeric = a.ty.is_numeric() && b.ty.is_numeric();
        let (operand, result) = match op {
            BinOp::Or | BinOp::And if a.ty == Type::Bool && b.ty == Type::Bool => (Type::Bool, Type::Bool),
            BinOp::Eq | BinOp::Ne if a.ty == Type::Bool && b.ty == Type::Bool => (Type::Bool, Type::Bool),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge if numeric => {
                (if a.ty == Type::Int && b.ty == Type::Int { Type::Int } else { Type::Float }, Type::Bool)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem if numeric => {
                let t = if a.ty == Type::Int && b.ty == Type::Int { Type::Int } else { Type::Float };
                (t.clone(), t)
            }
            _ => {
                let want = match op {
                    BinOp::Or | BinOp::And => "two bools",
                    BinOp::Eq | BinOp::Ne => "two numbers or two bools",
                    _ => "two numbers",
                };
                let d = Diagnostic::error("E0203", format!("`{symbol}` needs {want}"), span)
                    .with_label(format!("{} {symbol} {}", self.describe(&a.ty), self.describe(&b.ty)))
                    .with_secondary(a.span, format!("this is {}", self.describe(&a.ty)))
                    .with_secondary(b.span, format!("this is {}", self.describe(&b.ty)));
                self.error(d);
                return error_expr(span);
            }
        };
        let a = self.coerce(a, &operand);
        let b = self.coerce(b, &operand);
        typed(ExprKind::Binary(op, Box::new(a), Box::new(b)), span, result)
    }
}

/// Whether an expression reads a global `var`: an awaited condition needs one.
fn reads_global(e: &TExpr) -> bool {
    match &e.kind {
        ExprKind::Global(_) => true,
        ExprKind::Unary(_, a) | ExprKind::ToFloat(a) | ExprKind::Field(a, _) | ExprKind::Paren(a) => reads_global(a),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => reads_global(a) || reads_global(b),
        ExprKind::CallBuiltin { args, .. } | ExprKind::CallFn { args, .. } => args.iter().any(reads_global),
        _ => false,
    }
}
