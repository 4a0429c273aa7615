//! Checking the bodies of `fn`s and `process`es: the checker's state, local
//! scopes and type coercion; statements and expressions are in the submodules.

mod endless;
mod expr;
mod stmt;

pub(super) use endless::fns_that_end_the_run;

use std::collections::HashMap;

use super::shown::{self, Shower};
use super::{arity_error, closest, consteval, python, unknown_name, Checker, GlobalName};
use crate::ast::{
    AssignOp, BinOp, Block, Callable, Expr, ExprKind, ForIter, Ident, LocalId, ObjectOp, SelectArm, SelectHead, Stmt,
    StmtKind, StrLit, StrPart, UnOp,
};
use crate::diagnostic::Diagnostic;
use crate::index::{SymbolKind, Target};
use crate::program::{CallableDef, LocalDef, Value, UNKNOWN_LEN};
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
    /// The open scopes, innermost last: their locals, and where each ends
    /// in the source (for the name index).
    scopes: Vec<(HashMap<String, LocalId>, u32)>,
    /// This callable's index among the callables.
    index: u32,
    is_process: bool,
    ret: Type,
    loop_depth: u32,
    callable_name: String,
    /// Values the frame holds so far (parameters, result, locals), and
    /// whether going over the limit was reported.
    frame_values: u64,
    frame_full: bool,
    /// The names the folded `const`s and `param`s were written with, by the
    /// span of the literal that replaced them, so a hint can write them back.
    folded: HashMap<(u32, u32), String>,
    /// What W0004's analysis found for each loop body so far, by its span
    /// (see `endless.rs`), so that an outer loop's analysis takes an inner
    /// loop's from here instead of walking it again.
    loop_flows: HashMap<(u32, u32), (bool, bool)>,
}

pub(super) fn check_callable(
    ck: &mut Checker<'_>,
    callable: &Callable<()>,
    params: &[(String, Type)],
    ret: &Type,
    is_process: bool,
) -> CallableDef {
    let index = ck.program.callables.len() as u32;
    let mut bc = BodyChecker {
        ck,
        locals: Vec::new(),
        mutable: Vec::new(),
        scopes: vec![(HashMap::new(), callable.body.span.end)],
        index,
        is_process,
        ret: ret.clone(),
        loop_depth: 0,
        callable_name: callable.name.name.clone(),
        frame_values: 0,
        frame_full: false,
        folded: HashMap::new(),
        loop_flows: HashMap::new(),
    };
    bc.frame_values = u64::from(bc.ck.program.width(ret));
    let mut param_ids = Vec::new();
    for ((name, _), (ident, _)) in params.iter().zip(&callable.params) {
        let ty = params.iter().find(|(n, _)| n == name).map_or(Type::Error, |(_, t)| t.clone());
        param_ids.push(bc.declare(ident, ty, false, SymbolKind::Parameter, callable.body.span.start));
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

    /// Declares a local in the innermost scope; `kind` and `from` (where it
    /// becomes visible) are for the name index.
    fn declare(&mut self, ident: &Ident, ty: Type, mutable: bool, kind: SymbolKind, from: u32) -> LocalId {
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
        self.count_frame_values(ident, &ty);
        let id = LocalId(self.locals.len() as u32);
        self.locals.push(LocalDef { name: ident.name.clone(), ty, span: ident.span });
        self.mutable.push(mutable);
        let mut end = from;
        if let Some((scope, scope_end)) = self.scopes.last_mut() {
            scope.insert(ident.name.clone(), id);
            end = *scope_end;
        }
        self.ck.note_local(self.index, id.0, kind, Span { start: from, end });
        id
    }

    /// Opens a scope that ends at `end` in the source.
    fn open_scope(&mut self, end: u32) {
        self.scopes.push((HashMap::new(), end));
    }

    fn close_scope(&mut self) {
        self.scopes.pop();
    }

    /// Adds a local's values to the frame; reports, once, the local that
    /// takes the frame over its limit.
    fn count_frame_values(&mut self, ident: &Ident, ty: &Type) {
        self.frame_values = self.frame_values.saturating_add(u64::from(self.ck.program.width(ty)));
        if self.frame_values <= consteval::MAX_FRAME_VALUES || self.frame_full {
            return;
        }
        self.frame_full = true;
        let kind = if self.is_process { "process" } else { "fn" };
        let d = Diagnostic::error(
            "E0115",
            format!(
                "the locals of {kind} `{}` hold more than {} values",
                self.callable_name,
                consteval::MAX_FRAME_VALUES
            ),
            ident.span,
        )
        .with_label(format!("`{}` takes them to {}", ident.name, self.frame_values))
        .with_note(format!(
            "the parameters, result and locals of one {kind} share a frame of at most {} values (32 MiB); \
             keep large data in a global `var`",
            consteval::MAX_FRAME_VALUES
        ));
        self.error(d);
    }

    fn lookup_local(&self, name: &str) -> Option<LocalId> {
        self.scopes.iter().rev().find_map(|(s, _)| s.get(name).copied())
    }

    fn block(&mut self, block: &Block<()>) -> Block<Type> {
        self.open_scope(block.span.end);
        let stmts = block.stmts.iter().map(|s| self.stmt(s)).collect();
        self.close_scope();
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

    /// Writes a checked expression back as source, for a hint; `None` when it
    /// is too large to show.
    fn source_text(&self, e: &TExpr) -> Option<String> {
        self.with_shower(|s| s.show(e))
    }

    /// Runs `f` with a writer that knows this body's names.
    fn with_shower<R>(&self, f: impl FnOnce(&Shower<'_, Type>) -> R) -> R {
        let special = |e: &TExpr| -> Option<String> {
            match &e.kind {
                ExprKind::Local(id) => Some(self.locals[id.0 as usize].name.clone()),
                ExprKind::Global(i) => Some(self.ck.program.globals[*i as usize].name.clone()),
                ExprKind::Object(i) => Some(self.ck.program.objects[*i as usize].name.clone()),
                ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => {
                    self.folded.get(&(e.span.start, e.span.end)).cloned()
                }
                _ => None,
            }
        };
        let callable = |i: u32| self.ck.signatures[i as usize].name.clone();
        f(&Shower { special: &special, callable: &callable })
    }

    /// Writes an unchecked expression back as source.
    fn written(e: &Expr<()>) -> Option<(String, bool)> {
        Shower { special: &|_| None, callable: &|_| String::new() }.show_operand(e)
    }

    /// An argument of a call a Python hint rewrites: as written, and as a
    /// float (an int literal `2` becomes `2.0`).
    fn python_arg(&self, written: &Expr<()>, checked: &TExpr, position: usize) -> python::Arg {
        let (text, tight) = Self::written(written).unwrap_or_else(|| (["x", "y", "z"][position.min(2)].into(), true));
        let float = match written.kind {
            ExprKind::Int(v) => shown::float_literal(v as f64).0,
            _ => text.clone(),
        };
        python::Arg { text, float, ty: checked.ty.clone(), tight }
    }

    /// W0003 when an int expression with an int division at its top becomes
    /// a float: `what` says how (`converted to a float`), `span` is what to
    /// replace, and `inner` the int expression.
    fn warn_int_division(&mut self, inner: &TExpr, span: Span, how: &str) {
        if !shown::has_int_division(inner) {
            return;
        }
        let fix = self.with_shower(|s| s.as_float(inner));
        let quotient = self.source_text(inner).map(|q| format!("let q = {q}"));
        self.error(super::int_division_warning(span, how, fix, quotient));
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
            self.warn_int_division(&e, span, "an int division, then converted to a float");
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
}
