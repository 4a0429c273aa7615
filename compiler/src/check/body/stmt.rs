//! Checking statements.

use super::*;

impl BodyChecker<'_, '_> {
    pub(super) fn stmt(&mut self, stmt: &Stmt<()>) -> Stmt<Type> {
        let span = stmt.span;
        let kind = match &stmt.kind {
            StmtKind::Let { name, ty, value, .. } => {
                let mut value = self.await_or_expr(value);
                if let Some(ty) = ty {
                    let declared = self.ck.resolve_type(ty);
                    value = self.coerce(value, &declared);
                }
                if !is_value_type(&value.ty) {
                    let mut d =
                        Diagnostic::error("E0201", format!("this has no value to bind to `{}`", name.name), value.span)
                            .with_label(format!("this is {}", self.describe(&value.ty)));
                    if let Some(note) = self.no_result_hint(&value) {
                        d = d.with_note(note);
                    }
                    self.error(d);
                    value.ty = Type::Error;
                }
                let local = self.declare(name, value.ty.clone(), true, SymbolKind::Let, span.end);
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
                let body = self.loop_block(body);
                self.check_endless(Some(&cond), &body, span);
                StmtKind::While { cond, body }
            }
            StmtKind::For { name, iter, body, .. } => {
                let python_range = match iter {
                    ForIter::Each(e) => self.python_range(e),
                    ForIter::Range(..) => None,
                };
                let (iter, elem) = match (iter, python_range) {
                    (ForIter::Range(lo, hi), _) => {
                        let lo = self.expect(lo, &Type::Int);
                        let hi = self.expect(hi, &Type::Int);
                        (ForIter::Range(lo, hi), Type::Int)
                    }
                    (ForIter::Each(e), Some((lo, hi))) => {
                        self.report_python_range(e, name);
                        let lo = self.expect(&lo, &Type::Int);
                        let hi = self.expect(&hi, &Type::Int);
                        (ForIter::Range(lo, hi), Type::Int)
                    }
                    (ForIter::Each(e), None) => {
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
                self.open_scope(span.end);
                let local = self.declare(name, elem, false, SymbolKind::For, body.span.start);
                let body = self.loop_block(body);
                self.close_scope();
                StmtKind::For { name: name.clone(), iter, body, local: Some(local) }
            }
            StmtKind::Loop { body } => {
                let body = self.loop_block(body);
                self.check_endless(None, &body, span);
                StmtKind::Loop { body }
            }
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
                    (Some(written), Type::Unit) => {
                        let v = self.await_or_expr(written);
                        // A value in error has been reported; what it is is unknown.
                        if v.ty != Type::Error {
                            let d = self.unexpected_return_value(written, &v);
                            self.error(d);
                        }
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
                if let ExprKind::ObjectOp { op, object, args } = &trigger.kind {
                    if op.takes_or_gives() {
                        let shown = self.object_shown(object);
                        let (call, label) = match op {
                            ObjectOp::QueueGet => (format!("{shown}.get()"), "the item it took would be lost"),
                            ObjectOp::QueuePut => (
                                format!("{shown}.put(...)"),
                                "nothing after the block could tell whether the item went in",
                            ),
                            ObjectOp::ResourceGet => (format!("{shown}.get(...)"), "the amount it took would be lost"),
                            _ => (
                                format!("{shown}.put(...)"),
                                "nothing after the block could tell whether the amount went in",
                            ),
                        };
                        let arm = if *op == ObjectOp::QueueGet && args.is_empty() {
                            format!("let x = await {call} => {{ ... }}")
                        } else {
                            format!("await {call} => {{ ... }}")
                        };
                        let d = Diagnostic::error(
                            "E0231",
                            format!("`until` cannot be triggered by `{call}`: it takes or gives something"),
                            trigger.span,
                        )
                        .with_label(label)
                        .with_note(format!(
                            "an `until` trigger only interrupts its body; to race a `get` or `put` against \
                             something else, use a `select` arm `{arm}`: the arm that wins runs"
                        ));
                        self.error(d);
                    }
                }
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
                        | ExprKind::ObjectOp { .. }
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

    pub(super) fn with_head(
        &mut self,
        target: &Expr<()>,
        amount: &Option<Expr<()>>,
        priority: &Option<Expr<()>>,
    ) -> (TExpr, Option<TExpr>, Option<TExpr>) {
        let target = self.expr(target);
        let amount = amount.as_ref().map(|a| self.expect(a, &Type::Float));
        let priority = priority.as_ref().map(|p| self.expect(p, &Type::Int));
        if let (Type::Object(ObjectKind::Resource), Some(p)) = (&target.ty, &priority) {
            let d = Diagnostic::error(
                "E0222",
                "a resource serves its borrowers in the order they came; it takes no `priority`",
                p.span,
            )
            .with_label("remove the priority")
            .with_note("`priority` orders the requests of a lock");
            self.error(d);
        }
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
                let shown = self.object_shown(&target);
                let d = Diagnostic::error("E0222", "`with` on a resource needs the amount to borrow", target.span)
                    .with_label(format!("write e.g. `with {shown}(5.0) {{ ... }}`"));
                self.error(d);
            }
            (other, _) => {
                let shown = self.object_shown(&target);
                let mut d = Diagnostic::error("E0222", "`with` needs a lock or a resource", target.span)
                    .with_label(format!("this is {}", self.describe(other)));
                d = match other {
                    Type::Object(ObjectKind::Queue(_)) => {
                        d.with_note(format!("a queue is not held: take an item with `let x = await {shown}.get()`"))
                    }
                    Type::Object(ObjectKind::Channel(_)) => {
                        d.with_note(format!("a channel is not held: receive a message with `let m = await {shown}`"))
                    }
                    _ => d,
                };
                self.error(d);
            }
        }
        (target, amount, priority)
    }

    pub(super) fn select_arm(&mut self, arm: &SelectArm<()>) -> SelectArm<Type> {
        self.open_scope(arm.span.end);
        let head = match &arm.head {
            SelectHead::With { target, amount, priority } => {
                let (target, amount, priority) = self.with_head(target, amount, priority);
                SelectHead::With { target, amount, priority }
            }
            SelectHead::Let { name, value, .. } => {
                // The grammar took the `await` of `let x = await e`: `value` is `e`.
                let inner = self.awaitable(value);
                let value = self.awaited(inner, value.span);
                if !is_value_type(&value.ty) && value.ty != Type::Error {
                    let d = Diagnostic::error(
                        "E0201",
                        format!("this wait gives no value to bind to `{}`", name.name),
                        value.span,
                    )
                    .with_label(format!("this is {}", self.describe(&value.ty)))
                    .with_note("write the arm as `await ... => { ... }`");
                    self.error(d);
                }
                let local = self.declare(name, value.ty.clone(), false, SymbolKind::Let, arm.body.span.start);
                SelectHead::Let { name: name.clone(), value, local: Some(local) }
            }
            SelectHead::Await(e) => SelectHead::Await(self.awaitable(e)),
        };
        let body = self.block(&arm.body);
        self.close_scope();
        SelectArm { head, body, span: arm.span }
    }

    pub(super) fn str_lit(&mut self, s: &StrLit<()>) -> StrLit<Type> {
        let mut parts = Vec::new();
        for part in &s.parts {
            parts.push(match part {
                StrPart::Text(t) => StrPart::Text(t.clone()),
                StrPart::Interp { expr, format } => {
                    let expr = self.expr(expr);
                    let spec = format.map(|f| f.spec).unwrap_or_default();
                    let number = matches!(expr.ty, Type::Int | Type::Float | Type::Error);
                    if spec.precision.is_some_and(|n| n > MAX_DECIMALS) {
                        let d = Diagnostic::error(
                            "E0206",
                            format!("at most {MAX_DECIMALS} decimals can be printed"),
                            expr.span,
                        )
                        .with_label("too many decimals");
                        self.error(d);
                    } else if spec.precision.is_some() && !matches!(expr.ty, Type::Float | Type::Error) {
                        let d = Diagnostic::error(
                            "E0206",
                            format!("`:.N` formats a float, but this is {}", self.describe(&expr.ty)),
                            expr.span,
                        )
                        .with_label("not a float")
                        .with_note(self.decimals_hint(&expr, &spec));
                        self.error(d);
                    } else if (spec.plus || spec.zero) && !number {
                        let flag =
                            if spec.plus { "`+` shows the sign of numbers" } else { "`0` pads numbers with zeros" };
                        let d = Diagnostic::error(
                            "E0206",
                            format!("{flag}, but this is {}", self.describe(&expr.ty)),
                            expr.span,
                        )
                        .with_label("not a number")
                        .with_note(if spec.plus {
                            "drop the `+`"
                        } else {
                            "drop the `0`; to pad with another character, give it before an alignment, as in `{x:*<8}`"
                        });
                        self.error(d);
                    } else if !self.printable(&expr.ty) {
                        let d =
                            Diagnostic::error("E0207", format!("cannot print {}", self.describe(&expr.ty)), expr.span)
                                .with_label("ints, floats, bools, structs and arrays can be printed");
                        self.error(d);
                    }
                    StrPart::Interp { expr, format: *format }
                }
            });
        }
        StrLit { parts, span: s.span }
    }

    pub(super) fn condition(&mut self, cond: &Expr<()>, what: &str) -> TExpr {
        let e = self.expr(cond);
        if !matches!(e.ty, Type::Bool | Type::Error) {
            let d = Diagnostic::error("E0204", format!("the condition of {what} must be a bool"), e.span)
                .with_label(format!("this is {}", self.describe(&e.ty)));
            self.error(d);
        }
        e
    }

    pub(super) fn compound(&mut self, target: &TExpr, op: AssignOp, value: TExpr) -> TExpr {
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
    pub(super) fn place(&mut self, e: &Expr<()>) -> TExpr {
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
}

/// Hints that write code: a Python `range` in a `for`, the result type a
/// value needs, the conversion `{x:.N}` needs.
impl BodyChecker<'_, '_> {
    /// `range(n)` or `range(a, b)` in a `for` head, where the model defines
    /// no `range`: its bounds, as `0..n` or `a..b` would give them.
    fn python_range(&self, e: &Expr<()>) -> Option<(Expr<()>, Expr<()>)> {
        let ExprKind::Call { callee, args } = &e.kind else { return None };
        if callee.name != "range" || self.ck.names.contains_key("range") || self.lookup_local("range").is_some() {
            return None;
        }
        match args.as_slice() {
            [n] => Some((Expr { kind: ExprKind::Int(0), span: callee.span, ty: () }, n.clone())),
            [a, b] => Some((a.clone(), b.clone())),
            _ => None,
        }
    }

    /// E0107 for `for i in range(...)`, with the range written in usim.
    fn report_python_range(&mut self, e: &Expr<()>, var: &Ident) {
        let ExprKind::Call { callee, args } = &e.kind else { return };
        let shown: Option<Vec<String>> = args.iter().map(|a| Self::written(a).map(|(t, _)| t)).collect();
        let range = match shown.as_deref() {
            Some([n]) => format!("0..{n}"),
            Some([a, b]) => format!("{a}..{b}"),
            _ => "a..b".to_string(),
        };
        let d = Diagnostic::error("E0107", "unknown function `range`", callee.span)
            .with_label(format!("write `{range}`"))
            .with_note(format!(
                "usim writes a range `a..b`, from a up to, not including, b: `for {} in {range} {{ ... }}`",
                var.name
            ));
        self.error(d);
    }

    /// E0209 for `return value` in a `fn` or process that declares no result.
    pub(super) fn unexpected_return_value(&self, written: &Expr<()>, v: &TExpr) -> Diagnostic {
        let d = Diagnostic::error("E0209", format!("`{}` does not return a value", self.callable_name), v.span);
        match &v.ty {
            Type::Unit => {
                let what = Self::written(written).map_or("this".to_string(), |(t, _)| format!("`{t}`"));
                d.with_label("this gives no value").with_note(format!(
                    "{what} gives no value to return: write it as a statement of its own, then a bare `return`"
                ))
            }
            Type::Object(_) => d.with_label("a shared object is not a value").with_note(
                "a lock, queue, channel or resource is global: use it by name wherever it is needed, and \
                 write a bare `return`",
            ),
            ty => {
                let d = d.with_label("unexpected value");
                match self.type_syntax(ty) {
                    Some(t) => d.with_note(format!("declare the return type: `-> {t}`")),
                    None => d.with_note("declare the return type after the parameters: `-> T`"),
                }
            }
        }
    }

    /// A type as the source writes it (`int`, `[float; 3]`, `proc<int>`), if
    /// a declaration can name it.
    pub(super) fn type_syntax(&self, ty: &Type) -> Option<String> {
        fn writable(ty: &Type) -> bool {
            match ty {
                Type::Int | Type::Float | Type::Bool | Type::Struct(_) => true,
                Type::Array(elem, len) => *len != UNKNOWN_LEN && writable(elem),
                Type::Proc(ret) => **ret == Type::Unit || writable(ret),
                Type::Unit | Type::Object(_) | Type::Error => false,
            }
        }
        writable(ty).then(|| self.show(ty))
    }

    /// The note of E0206 (`{x:.N}` on a value that is not a float): the
    /// conversion written out. An int division converts an operand, since
    /// converting the quotient would keep the truncated result.
    fn decimals_hint(&self, expr: &TExpr, spec: &stdlib::format::Spec) -> String {
        if expr.ty != Type::Int {
            return "drop the `:.N`".to_string();
        }
        let Some(fix) = self.with_shower(|s| s.as_float(expr)) else {
            return "convert first, e.g. `{float(n):.2}`, or drop the `:.N`".to_string();
        };
        if shown::has_int_division(expr) {
            let whole = self.source_text(expr).unwrap_or_else(|| "a / b".into());
            format!(
                "convert an operand, so the division keeps its fraction: `{{{fix}:{spec}}}` \
                 (`float({whole})` would divide as ints first), or drop the `:.N`"
            )
        } else {
            format!("convert first: `{{{fix}:{spec}}}`, or drop the `:.N`")
        }
    }

    /// For `let x = ...` of something that gives no value: the result type a
    /// process or `fn` must declare to give one.
    fn no_result_hint(&self, value: &TExpr) -> Option<String> {
        let callee = match &value.kind {
            ExprKind::Await(inner) => match &inner.kind {
                ExprKind::Spawn(call) => call,
                ExprKind::Local(_) | ExprKind::Global(_) | ExprKind::Index(..) | ExprKind::Field(..)
                    if matches!(inner.ty, Type::Proc(_)) =>
                {
                    return Some(
                        "the awaited process declares no result: give it one (`-> int` after its parameters) \
                         and `return` a value"
                            .to_string(),
                    )
                }
                _ => return None,
            },
            _ => value,
        };
        let ExprKind::CallFn { callable, .. } = &callee.kind else { return None };
        let sig = &self.ck.signatures[*callable as usize];
        let params: Vec<String> = sig.params.iter().map(|(n, t)| format!("{n}: {}", self.show(t))).collect();
        let kind = if sig.is_process { "process" } else { "fn" };
        Some(format!(
            "`{}` declares no result: give it one, `{kind} {}({}) -> int`, and `return` a value",
            sig.name,
            sig.name,
            params.join(", ")
        ))
    }
}
