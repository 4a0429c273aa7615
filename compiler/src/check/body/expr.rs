//! Checking expressions, `await` operands and calls.

use super::*;

impl BodyChecker<'_, '_> {
    /// An expression where `await` may stand: a statement, the right side of `let`
    /// or an assignment, a `return` value.
    pub(super) fn await_or_expr(&mut self, e: &Expr<()>) -> TExpr {
        match &e.kind {
            ExprKind::Await(inner) => {
                self.require_process("`await`", e.span);
                let inner = self.awaitable(inner);
                self.awaited(inner, e.span)
            }
            _ => self.expr(e),
        }
    }

    /// `await inner`, typed with what the wait gives: a process's return
    /// value, the item got, the message received, or nothing.
    pub(super) fn awaited(&mut self, inner: TExpr, span: Span) -> TExpr {
        let ty = match (&inner.kind, &inner.ty) {
            (_, Type::Proc(ret)) => (**ret).clone(),
            (ExprKind::ObjectOp { op: ObjectOp::QueueGet | ObjectOp::ChannelRecv, .. }, ty) => ty.clone(),
            (_, Type::Error) => Type::Error,
            _ => Type::Unit,
        };
        typed(ExprKind::Await(Box::new(inner)), span, ty)
    }

    /// The operand of `await` (or the trigger of `until`, or a `select` arm
    /// head): typed with what the wait gives (see [`Self::awaited`]).
    pub(super) fn awaitable(&mut self, e: &Expr<()>) -> TExpr {
        match &e.kind {
            ExprKind::Call { callee, args }
                if matches!(callee.name.as_str(), "delay" | "at") && self.is_time_builtin(&callee.name) =>
            {
                let builtin = if callee.name == "delay" { "delay" } else { "at" };
                self.ck.note(callee.span, Target::Builtin(builtin));
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
            ExprKind::Method { receiver, name, args } => {
                let op = self.method(receiver, name, args, e.span);
                if let ExprKind::ObjectOp { op: kind, object, .. } = &op.kind {
                    if !kind.waits() {
                        let call = self.call_shape(object, &name.name, !args.is_empty());
                        let note = match kind {
                            ObjectOp::ChannelSend => {
                                "drop the `await`: a send never suspends (with no one waiting, the message is dropped)"
                                    .to_string()
                            }
                            ObjectOp::QueueLen => {
                                format!("drop the `await`: `{call}` is the number of items buffered now")
                            }
                            _ => format!("drop the `await`: `{call}` is the level now"),
                        };
                        let d = Diagnostic::error(
                            "E0230",
                            format!("`{call}` never waits, so it cannot be awaited"),
                            e.span,
                        )
                        .with_label("nothing to wait for")
                        .with_note(note);
                        self.error(d);
                        // Typed as an error, so a `let` of it reports nothing more.
                        return Expr { ty: Type::Error, ..op };
                    }
                } else if op.ty != Type::Error {
                    let d = Diagnostic::error("E0217", format!("cannot await {}", self.describe(&op.ty)), op.span)
                        .with_label("not something to wait for");
                    self.error(d);
                }
                op
            }
            _ => {
                let inner = self.expr(e);
                match &inner.ty {
                    Type::Proc(_) | Type::Error => inner,
                    Type::Object(ObjectKind::Channel(t)) => {
                        let t = (**t).clone();
                        let span = inner.span;
                        typed(
                            ExprKind::ObjectOp { op: ObjectOp::ChannelRecv, object: Box::new(inner), args: vec![] },
                            span,
                            t,
                        )
                    }
                    Type::Object(kind) => {
                        let shown = self.object_shown(&inner);
                        let (what, how) = match kind {
                            ObjectKind::Lock => (
                                "a lock",
                                format!("acquire it with `with {shown} {{ ... }}`: it is held for the block"),
                            ),
                            ObjectKind::Queue(_) => ("a queue", format!("take an item with `await {shown}.get()`")),
                            _ => ("a resource", format!("take an amount with `await {shown}.get(amount)`")),
                        };
                        let d = Diagnostic::error("E0217", format!("cannot await {what} itself"), inner.span)
                            .with_label("not something to wait for")
                            .with_note(how);
                        self.error(d);
                        error_expr(inner.span)
                    }
                    Type::Bool => {
                        if !reads_global(&inner) {
                            let note = if mentions_now(&inner) {
                                "`now` is not a var: to wait until a time, write `await at(t)`"
                            } else {
                                "an awaited condition is re-checked when a global `var` it reads is written"
                            };
                            let d = Diagnostic::error(
                                "E0219",
                                "this condition reads no global `var`, so it could never change",
                                inner.span,
                            )
                            .with_label("awaiting it would wait forever")
                            .with_note(note);
                            self.error(d);
                        }
                        let span = inner.span;
                        typed(ExprKind::Condition(Box::new(inner)), span, Type::Unit)
                    }
                    other => {
                        let d = Diagnostic::error("E0217", format!("cannot await {}", self.describe(other)), inner.span)
                            .with_label("not something to wait for")
                            .with_note("await `delay(...)`, `at(...)`, `instant`, a process handle, a channel, a queue or resource `get`/`put`, or a bool condition over global vars");
                        self.error(d);
                        inner
                    }
                }
            }
        }
    }

    /// The name an expression is, when it is a bare name the model does not
    /// define (no local, no global): `math` in `math.sqrt(x)`.
    fn unresolved_name<'e>(&self, e: &'e Expr<()>) -> Option<&'e str> {
        match &e.kind {
            ExprKind::Name(n) if self.lookup_local(n).is_none() && !self.ck.names.contains_key(n) => Some(n),
            _ => None,
        }
    }

    /// `delay`/`at` are the time built-ins unless the model defines a callable of that name.
    pub(super) fn is_time_builtin(&self, name: &str) -> bool {
        !matches!(self.ck.names.get(name), Some((GlobalName::Callable(_), _)))
    }

    pub(super) fn expr(&mut self, e: &Expr<()>) -> TExpr {
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
            ExprKind::Method { receiver, name, args } => {
                let op = self.method(receiver, name, args, span);
                if let ExprKind::ObjectOp { op: kind, object, .. } = &op.kind {
                    if kind.waits() {
                        let call = self.call_shape(object, &name.name, !args.is_empty());
                        let label = match kind {
                            ObjectOp::QueueGet => "this waits while the queue is empty",
                            ObjectOp::QueuePut => "this waits while a bounded queue is full",
                            ObjectOp::ResourceGet => "this waits until the level is high enough",
                            _ => "this waits until there is room below the capacity",
                        };
                        let d = Diagnostic::error("E0229", format!("`{call}` may wait, so it must be awaited"), span)
                            .with_label(label)
                            .with_note(format!(
                                "write `await {call}`: every operation that may suspend a process is marked with `await`"
                            ));
                        self.error(d);
                    }
                }
                op
            }
            ExprKind::Field(inner, field) => {
                if let Some(module) = self.unresolved_name(inner) {
                    if let Some(hint) = python::member(module, &field.name, None) {
                        let d = Diagnostic::error("E0105", format!("unknown name `{module}`"), span)
                            .with_label(hint.label)
                            .with_note(hint.note);
                        self.error(d);
                        return error_expr(span);
                    }
                }
                let inner = self.expr(inner);
                match &inner.ty {
                    Type::Struct(id) => {
                        let id = *id;
                        self.ck.note_field(id, &field.name, field.span);
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
                        let shown = match other {
                            Type::Object(_) => self.object_shown(&inner),
                            _ => self.source_text(&inner).unwrap_or_else(|| "xs".into()),
                        };
                        let mut d = Diagnostic::error(
                            "E0208",
                            format!("`.{}`: {} has no fields", field.name, self.describe(other)),
                            field.span,
                        )
                        .with_label("only struct values have fields");
                        if let Some(note) = python::field_on(other, &field.name, &shown) {
                            d = d.with_note(note);
                        }
                        self.error(d);
                        error_expr(span)
                    }
                }
            }
            ExprKind::Index(inner, index) => {
                // A family's name stands bare only here, to be indexed.
                let inner = match &inner.kind {
                    ExprKind::Name(name) => self.name_or_family(name, inner.span, true),
                    _ => self.expr(inner),
                };
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
                let len = len.filter(|&len| len != UNKNOWN_LEN);
                if let (Some(i), Some(len)) = (crate::check::consteval::int_value(&index), len) {
                    if i < 0 || i as u64 >= len {
                        let d = Diagnostic::error(
                            "E0228",
                            format!("index {i} is out of bounds for length {len}"),
                            index.span,
                        )
                        .with_label(if len == 0 {
                            "it has no elements, so no index is valid".to_string()
                        } else {
                            format!("valid indexes are 0 to {}", len - 1)
                        });
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
                self.ck.note_const_expr(len);
                let n = match crate::check::consteval::array_len(len, self.ck, "an array") {
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
                if (self.ck.program.width(&item.ty) as u64).saturating_mul(n)
                    > crate::check::consteval::MAX_ARRAY_LEN as u64
                {
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

    pub(super) fn name(&mut self, name: &str, span: Span) -> TExpr {
        self.name_or_family(name, span, false)
    }

    /// A name's meaning; a family of objects is one only when `indexed`.
    fn name_or_family(&mut self, name: &str, span: Span, indexed: bool) -> TExpr {
        if let Some(id) = self.lookup_local(name) {
            self.ck.note(span, Target::Local { callable: self.index, local: id.0 });
            let ty = self.locals[id.0 as usize].ty.clone();
            return typed(ExprKind::Local(id), span, ty);
        }
        let global = self.ck.names.get(name).map(|(g, _)| *g);
        if let Some(g) = global {
            self.ck.note(span, g.target());
        }
        match global {
            Some(GlobalName::Var(i)) => {
                let ty = self.ck.program.globals[i as usize].ty.clone();
                typed(ExprKind::Global(i), span, ty)
            }
            Some(GlobalName::Const(i)) => match self.ck.const_value(i as usize) {
                Ok(v) => {
                    self.folded.insert((span.start, span.end), name.to_string());
                    value_literal(&v, span).unwrap_or_else(|| error_expr(span))
                }
                Err(()) => error_expr(span),
            },
            Some(GlobalName::Param(i)) => {
                let value = self.ck.program.params[i as usize].value.clone();
                self.folded.insert((span.start, span.end), name.to_string());
                value_literal(&value, span).unwrap_or_else(|| error_expr(span))
            }
            Some(GlobalName::Object(i)) => {
                let object = &self.ck.program.objects[i as usize];
                let kind = object.kind.clone();
                if let (Some(len), false) = (object.family, indexed) {
                    let noun = match kind {
                        ObjectKind::Lock => "locks",
                        ObjectKind::Queue(_) => "queues",
                        ObjectKind::Channel(_) => "channels",
                        ObjectKind::Resource => "resources",
                    };
                    let d = Diagnostic::error(
                        "E0232",
                        if len == UNKNOWN_LEN {
                            format!("`{name}` is a family of {noun}, not one of them")
                        } else {
                            format!("`{name}` is a family of {len} {noun}, not one of them")
                        },
                        span,
                    )
                    .with_label("name a member here");
                    let d = if len == UNKNOWN_LEN {
                        d
                    } else if len == 0 {
                        d.with_note("it has no members, so none can be named")
                    } else {
                        d.with_note(format!(
                            "each member is its own object: write `{name}[i]` with an index from 0 to {}",
                            len - 1
                        ))
                    };
                    self.error(d);
                    return error_expr(span);
                }
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
                let mut candidates: Vec<&str> =
                    self.scopes.iter().flat_map(|(s, _)| s.keys().map(String::as_str)).collect();
                candidates.extend(
                    self.ck
                        .names
                        .iter()
                        .filter(|(_, (g, _))| !matches!(g, GlobalName::Callable(_) | GlobalName::Struct(_)))
                        .map(|(n, _)| n.as_str()),
                );
                let d = unknown_name(name, span, candidates.into_iter());
                self.error(d);
                error_expr(span)
            }
        }
    }

    pub(super) fn spawn(&mut self, inner: &Expr<()>, span: Span) -> TExpr {
        let inner = match &inner.kind {
            ExprKind::Paren(i) => i.as_ref(),
            _ => inner,
        };
        if let ExprKind::Call { callee, args } = &inner.kind {
            if let Some((GlobalName::Callable(i), _)) = self.ck.names.get(&callee.name) {
                let index = *i;
                self.ck.note(callee.span, Target::Callable(index));
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

    pub(super) fn call_args(
        &mut self,
        name: &str,
        params: &[(String, Type)],
        args: &[Expr<()>],
        span: Span,
    ) -> Vec<TExpr> {
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

    pub(super) fn call(&mut self, callee: &Ident, args: &[Expr<()>], span: Span) -> TExpr {
        if let Some((GlobalName::Callable(i), _)) = self.ck.names.get(&callee.name) {
            let index = *i;
            self.ck.note(callee.span, Target::Callable(index));
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
            if let Some(&(GlobalName::Object(i), _)) = self.ck.names.get(&callee.name) {
                self.ck.note(callee.span, Target::Object(i));
                self.error(
                    Diagnostic::error("E0222", format!("`{}` is a shared object, not a function", callee.name), span)
                        .with_note("borrow from a resource with `with tank(amount) { }`"),
                );
                return error_expr(span);
            }
            let checked: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect();
            let mut d = Diagnostic::error("E0107", format!("unknown function `{}`", callee.name), callee.span);
            let python_args: Vec<python::Arg> =
                args.iter().zip(&checked).enumerate().map(|(i, (a, c))| self.python_arg(a, c, i)).collect();
            if let Some(hint) = python::call(&callee.name, &python_args) {
                d = d.with_label(hint.label).with_note(hint.note);
            } else {
                let mut candidates: Vec<&str> = stdlib::builtins().iter().map(|b| b.name).collect();
                candidates.extend(["delay", "at"]);
                candidates.extend(self.ck.signatures.iter().map(|s| s.name.as_str()));
                d = d.with_label("not defined");
                if let Some(s) = closest(&callee.name, candidates.into_iter()) {
                    d = d.with_note(format!("did you mean `{s}`?"));
                }
            }
            self.error(d);
            return error_expr(span);
        };
        self.ck.note(callee.span, Target::Builtin(builtin.name));
        let written = args;
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
            let mut d =
                Diagnostic::error("E0201", format!("`{}` cannot take ({})", builtin.name, found.join(", ")), span)
                    .with_label("no matching form")
                    .with_note(format!("its forms: {}", shapes.join("; ")));
            let python_args: Vec<python::Arg> =
                written.iter().zip(&args).enumerate().map(|(i, (a, c))| self.python_arg(a, c, i)).collect();
            if let Some(note) = python::builtin_misuse(builtin.name, &python_args) {
                d = d.with_note(note);
            }
            self.error(d);
            return error_expr(span);
        };
        let sig = &builtin.signatures[signature];
        if builtin.name == "float" && args.len() == 1 && args[0].ty == Type::Int {
            self.warn_int_division(
                &args[0],
                span,
                "the int division is done first; `float` converts its truncated quotient",
            );
        }
        let args = args.into_iter().zip(sig.params).map(|(a, p)| self.coerce(a, &to_type(*p))).collect();
        typed(ExprKind::CallBuiltin { name: builtin.name, signature, args }, span, to_type(sig.ret))
    }

    pub(super) fn method(&mut self, receiver: &Expr<()>, name: &Ident, args: &[Expr<()>], span: Span) -> TExpr {
        if let Some(module) = self.unresolved_name(receiver) {
            let checked: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect();
            let python_args: Vec<python::Arg> =
                args.iter().zip(&checked).enumerate().map(|(i, (a, c))| self.python_arg(a, c, i)).collect();
            if let Some(hint) = python::member(module, &name.name, Some(&python_args)) {
                let d = Diagnostic::error("E0105", format!("unknown name `{module}`"), receiver.span.to(name.span))
                    .with_label(hint.label)
                    .with_note(hint.note);
                self.error(d);
                return error_expr(span);
            }
            // The receiver's own error says what is wrong.
            self.expr(receiver);
            return error_expr(span);
        }
        let receiver = self.expr(receiver);
        let (op, params, ret): (ObjectOp, Vec<Type>, Type) = match (&receiver.ty, name.name.as_str()) {
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
            (Type::Object(ObjectKind::Queue(_)), "len") => (ObjectOp::QueueLen, vec![], Type::Int),
            (Type::Object(ObjectKind::Queue(t)), "get") => (ObjectOp::QueueGet, vec![], (**t).clone()),
            (Type::Object(ObjectKind::Queue(t)), "put") => (ObjectOp::QueuePut, vec![(**t).clone()], Type::Unit),
            (Type::Object(ObjectKind::Channel(t)), "send") => (ObjectOp::ChannelSend, vec![(**t).clone()], Type::Unit),
            (Type::Object(ObjectKind::Resource), "get") => (ObjectOp::ResourceGet, vec![Type::Float], Type::Unit),
            (Type::Object(ObjectKind::Resource), "put") => (ObjectOp::ResourcePut, vec![Type::Float], Type::Unit),
            (Type::Object(ObjectKind::Resource), "level") => (ObjectOp::ResourceLevel, vec![], Type::Float),
            (other, method) => {
                let shown = self.object_shown(&receiver);
                let hint = match (other, method) {
                    (Type::Array(..), _) => {
                        let xs = self.source_text(&receiver).unwrap_or_else(|| "xs".into());
                        Some(python::array_method(method, &xs))
                    }
                    (Type::Object(ObjectKind::Queue(_)), _) if python::queue_method(method, &shown).is_some() => {
                        python::queue_method(method, &shown)
                    }
                    (Type::Object(ObjectKind::Channel(_)), "get" | "recv" | "receive") => Some(format!(
                        "a channel broadcasts: receive the next message with `let m = await {shown}`"
                    )),
                    (Type::Object(ObjectKind::Channel(_)), "put") => {
                        Some(format!("a channel broadcasts: write `{shown}.send(x)`; it never waits"))
                    }
                    (Type::Object(ObjectKind::Channel(_)), _) => {
                        Some(format!("a channel has one method, `{shown}.send(x)`; receive with `let m = await {shown}`"))
                    }
                    (Type::Object(ObjectKind::Queue(_)), "send") => {
                        Some(format!("put an item in a queue with `await {shown}.put(x)`"))
                    }
                    (Type::Object(ObjectKind::Queue(_)), _) => Some(format!(
                        "a queue has `await {shown}.get()`, `await {shown}.put(x)` and `{shown}.len()`"
                    )),
                    (Type::Object(ObjectKind::Resource), _) => Some(format!(
                        "a resource has `await {shown}.get(amount)`, `await {shown}.put(amount)` and `{shown}.level()`"
                    )),
                    (Type::Object(ObjectKind::Lock), _) => Some(format!(
                        "a lock has no methods: hold it with `with {shown} {{ ... }}`, which releases it when the block ends"
                    )),
                    _ => None,
                };
                let mut d =
                    Diagnostic::error("E0224", format!("{} has no method `{method}`", self.describe(other)), name.span)
                        .with_label("unknown method");
                if let Some(hint) = hint {
                    d = d.with_note(hint);
                }
                self.error(d);
                for a in args {
                    self.expr(a);
                }
                return error_expr(span);
            }
        };
        let params: Vec<(String, Type)> = params.into_iter().map(|t| (String::new(), t)).collect();
        let args = self.call_args(&name.name, &params, args, span);
        typed(ExprKind::ObjectOp { op, object: Box::new(receiver), args }, span, ret)
    }

    /// How a shared object is written in a hint: `jobs`, `pumps[2]`, `pumps[i]`.
    pub(super) fn object_shown(&self, e: &TExpr) -> String {
        match &e.kind {
            ExprKind::Object(i) => self.ck.program.objects[*i as usize].name.clone(),
            ExprKind::Index(inner, index) => {
                let index = match &index.kind {
                    ExprKind::Int(k) => k.to_string(),
                    ExprKind::Local(id) => self.locals[id.0 as usize].name.clone(),
                    _ => "i".to_string(),
                };
                format!("{}[{index}]", self.object_shown(inner))
            }
            ExprKind::Paren(inner) => self.object_shown(inner),
            _ => "name".to_string(),
        }
    }

    /// A method call as a hint shows it: `jobs.get()`, `tank.get(...)`.
    fn call_shape(&self, object: &TExpr, method: &str, has_args: bool) -> String {
        let args = if has_args { "..." } else { "" };
        format!("{}.{method}({args})", self.object_shown(object))
    }

    pub(super) fn struct_lit(&mut self, name: &Ident, fields: &[(Ident, Expr<()>)], span: Span) -> TExpr {
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
        self.ck.note(name.span, Target::Struct(id));
        let def_fields = self.ck.program.structs[id as usize].fields.clone();
        let mut out: Vec<(Ident, TExpr)> = Vec::new();
        for (field, e) in fields {
            self.ck.note_field(crate::types::StructId(id), &field.name, field.span);
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

    pub(super) fn binary(&mut self, op: BinOp, a: &Expr<()>, b: &Expr<()>, span: Span) -> TExpr {
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
        ExprKind::CallBuiltin { args, .. } => args.iter().any(reads_global),
        // A `fn` may read vars in its body, which may not be checked yet:
        // lowering decides, through every `fn` it calls.
        ExprKind::CallFn { .. } => true,
        _ => false,
    }
}

/// Whether an expression reads `now` (for the hint on a condition over time).
fn mentions_now(e: &TExpr) -> bool {
    match &e.kind {
        ExprKind::Now => true,
        ExprKind::Unary(_, a) | ExprKind::ToFloat(a) | ExprKind::Field(a, _) | ExprKind::Paren(a) => mentions_now(a),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => mentions_now(a) || mentions_now(b),
        ExprKind::CallBuiltin { args, .. } | ExprKind::CallFn { args, .. } => args.iter().any(mentions_now),
        _ => false,
    }
}
