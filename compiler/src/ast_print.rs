//! A stable text form of the syntax tree, for `usimc emit ast` and tests.
//!
//! Items and statements are indented S-expressions, one per line; an
//! expression stays on one line: `(let x (+ 1 (* 2 3)))`. Spans are left out
//! so that snapshots survive edits that only move code.

use std::fmt::Write as _;

use crate::ast::*;

/// Prints a module without type annotations. Works for any `T`, so it also
/// shows the shape of a checked `Module<Type>`.
pub fn print_module<T>(m: &Module<T>) -> String {
    print_module_with(m, |_| None)
}

/// Prints a module, appending `:annotation` to every expression for which
/// `annotate` returns one, e.g. `(+ x:int 1:int):int`.
pub fn print_module_with<T>(m: &Module<T>, annotate: impl Fn(&T) -> Option<String>) -> String {
    let mut printer = Printer { out: String::new(), indent: 0, annotate: &annotate };
    printer.out.push_str("(module");
    printer.indent += 1;
    for item in &m.items {
        printer.line();
        printer.item(item);
    }
    printer.out.push_str(")\n");
    printer.out
}

/// Prints the statements of a block, one per line (nested blocks indented),
/// without annotations.
pub fn print_block<T>(b: &Block<T>) -> String {
    let mut printer = Printer { out: String::new(), indent: 0, annotate: &|_: &T| None };
    for (i, stmt) in b.stmts.iter().enumerate() {
        if i > 0 {
            printer.line();
        }
        printer.stmt(stmt);
    }
    printer.out
}

/// Prints one expression on one line, without annotations.
pub fn print_expr<T>(e: &Expr<T>) -> String {
    let mut printer = Printer { out: String::new(), indent: 0, annotate: &|_: &T| None };
    printer.expr(e);
    printer.out
}

struct Printer<'a, T> {
    out: String,
    indent: usize,
    annotate: &'a dyn Fn(&T) -> Option<String>,
}

impl<T> Printer<'_, T> {
    /// Starts a new line at the current indentation.
    fn line(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    fn word(&mut self, text: &str) {
        self.out.push(' ');
        self.out.push_str(text);
    }

    fn item(&mut self, item: &Item<T>) {
        match &item.kind {
            ItemKind::Param { name, ty, value } => {
                let _ = write!(self.out, "(param {} {}", name.name, type_text(ty));
                self.sp_expr(value);
                self.out.push(')');
            }
            ItemKind::Const { name, value } => {
                let _ = write!(self.out, "(const {}", name.name);
                self.sp_expr(value);
                self.out.push(')');
            }
            ItemKind::Var { name, ty, value } => {
                let _ = write!(self.out, "(var {} {}", name.name, type_text(ty));
                self.sp_expr(value);
                self.out.push(')');
            }
            ItemKind::Struct { name, fields } => {
                let _ = write!(self.out, "(struct {}", name.name);
                for (field, ty) in fields {
                    let _ = write!(self.out, " ({} {})", field.name, type_text(ty));
                }
                self.out.push(')');
            }
            ItemKind::Lock { name, family, options } => {
                let _ = write!(self.out, "(lock {}", name.name);
                self.family(family);
                self.options(options);
                self.out.push(')');
            }
            ItemKind::Channel { name, family, ty } => {
                let _ = write!(self.out, "(channel {}", name.name);
                self.family(family);
                self.word(&type_text(ty));
                self.out.push(')');
            }
            ItemKind::Queue { name, family, ty, options } => {
                let _ = write!(self.out, "(queue {}", name.name);
                self.family(family);
                self.word(&type_text(ty));
                self.options(options);
                self.out.push(')');
            }
            ItemKind::Resource { name, family, options } => {
                let _ = write!(self.out, "(resource {}", name.name);
                self.family(family);
                self.options(options);
                self.out.push(')');
            }
            ItemKind::Fn(callable) => self.callable("fn", callable),
            ItemKind::Process(callable) => self.callable("process", callable),
            ItemKind::Run { roots, until } => {
                self.out.push_str("(run");
                for root in roots {
                    self.sp_expr(root);
                }
                if let Some(until) = until {
                    self.out.push_str(" (until");
                    self.sp_expr(until);
                    self.out.push(')');
                }
                self.out.push(')');
            }
        }
    }

    fn family(&mut self, family: &Option<Expr<T>>) {
        if let Some(len) = family {
            self.out.push_str(" (family");
            self.sp_expr(len);
            self.out.push(')');
        }
    }

    fn options(&mut self, options: &[ObjOption<T>]) {
        if options.is_empty() {
            return;
        }
        self.out.push_str(" (options");
        for option in options {
            match &option.value {
                Some(value) => {
                    let _ = write!(self.out, " ({}", option.name.name);
                    self.sp_expr(value);
                    self.out.push(')');
                }
                None => self.word(&option.name.name),
            }
        }
        self.out.push(')');
    }

    fn callable(&mut self, keyword: &str, c: &Callable<T>) {
        let _ = write!(self.out, "({keyword} {} (params", c.name.name);
        for (name, ty) in &c.params {
            let _ = write!(self.out, " ({} {})", name.name, type_text(ty));
        }
        self.out.push(')');
        if let Some(ret) = &c.ret {
            let _ = write!(self.out, " (-> {})", type_text(ret));
        }
        self.indent += 1;
        self.line();
        self.block(&c.body);
        self.indent -= 1;
        self.out.push(')');
    }

    fn block(&mut self, block: &Block<T>) {
        self.out.push_str("(block");
        self.indent += 1;
        for stmt in &block.stmts {
            self.line();
            self.stmt(stmt);
        }
        self.indent -= 1;
        self.out.push(')');
    }

    /// A block on its own line, one level deeper.
    fn sub_block(&mut self, block: &Block<T>) {
        self.indent += 1;
        self.line();
        self.block(block);
        self.indent -= 1;
    }

    fn stmt(&mut self, stmt: &Stmt<T>) {
        match &stmt.kind {
            StmtKind::Let { name, ty, value, local } => {
                let _ = write!(self.out, "(let {}", name.name);
                if let Some(local) = local {
                    let _ = write!(self.out, "#{}", local.0);
                }
                if let Some(ty) = ty {
                    self.word(&type_text(ty));
                }
                self.sp_expr(value);
                self.out.push(')');
            }
            StmtKind::Assign { target, op, value } => {
                let op = match op {
                    AssignOp::Set => "=",
                    AssignOp::Add => "+=",
                    AssignOp::Sub => "-=",
                    AssignOp::Mul => "*=",
                    AssignOp::Div => "/=",
                };
                let _ = write!(self.out, "({op}");
                self.sp_expr(target);
                self.sp_expr(value);
                self.out.push(')');
            }
            StmtKind::If { cond, then, otherwise } => {
                self.out.push_str("(if");
                self.sp_expr(cond);
                self.sub_block(then);
                if let Some(otherwise) = otherwise {
                    self.indent += 1;
                    self.line();
                    self.out.push_str("(else");
                    self.sub_block(otherwise);
                    self.out.push(')');
                    self.indent -= 1;
                }
                self.out.push(')');
            }
            StmtKind::While { cond, body } => {
                self.out.push_str("(while");
                self.sp_expr(cond);
                self.sub_block(body);
                self.out.push(')');
            }
            StmtKind::For { name, iter, body, local } => {
                let _ = write!(self.out, "(for {}", name.name);
                if let Some(local) = local {
                    let _ = write!(self.out, "#{}", local.0);
                }
                match iter {
                    ForIter::Range(lo, hi) => {
                        self.out.push_str(" (range");
                        self.sp_expr(lo);
                        self.sp_expr(hi);
                    }
                    ForIter::Each(xs) => {
                        self.out.push_str(" (each");
                        self.sp_expr(xs);
                    }
                }
                self.out.push(')');
                self.sub_block(body);
                self.out.push(')');
            }
            StmtKind::Loop { body } => {
                self.out.push_str("(loop");
                self.sub_block(body);
                self.out.push(')');
            }
            StmtKind::Break => self.out.push_str("(break)"),
            StmtKind::Continue => self.out.push_str("(continue)"),
            StmtKind::Return(value) => {
                self.out.push_str("(return");
                if let Some(value) = value {
                    self.sp_expr(value);
                }
                self.out.push(')');
            }
            StmtKind::Print(text) => {
                self.out.push_str("(print ");
                self.str_lit(text);
                self.out.push(')');
            }
            StmtKind::Fail(text) => {
                self.out.push_str("(fail ");
                self.str_lit(text);
                self.out.push(')');
            }
            StmtKind::Stop => self.out.push_str("(stop)"),
            StmtKind::Record { name, value } => {
                let _ = write!(self.out, "(record {}", name.name);
                self.sp_expr(value);
                self.out.push(')');
            }
            StmtKind::Every { period, body } => {
                self.out.push_str("(every");
                self.sp_expr(period);
                self.sub_block(body);
                self.out.push(')');
            }
            StmtKind::Scope { body } => {
                self.out.push_str("(scope");
                self.sub_block(body);
                self.out.push(')');
            }
            StmtKind::With { target, amount, priority, body } => {
                self.out.push_str("(with");
                self.with_head(target, amount, priority);
                self.sub_block(body);
                self.out.push(')');
            }
            StmtKind::Until { trigger, body } => {
                self.out.push_str("(until");
                self.sp_expr(trigger);
                self.sub_block(body);
                self.out.push(')');
            }
            StmtKind::Select { arms } => {
                self.out.push_str("(select");
                self.indent += 1;
                for arm in arms {
                    self.line();
                    self.out.push_str("(arm ");
                    match &arm.head {
                        SelectHead::With { target, amount, priority } => {
                            self.out.push_str("(with");
                            self.with_head(target, amount, priority);
                            self.out.push(')');
                        }
                        SelectHead::Let { name, value, local } => {
                            let _ = write!(self.out, "(let {}", name.name);
                            if let Some(local) = local {
                                let _ = write!(self.out, "#{}", local.0);
                            }
                            self.out.push_str(" (await");
                            self.sp_expr(value);
                            self.out.push_str("))");
                        }
                        SelectHead::Await(value) => {
                            self.out.push_str("(await");
                            self.sp_expr(value);
                            self.out.push(')');
                        }
                    }
                    self.sub_block(&arm.body);
                    self.out.push(')');
                }
                self.indent -= 1;
                self.out.push(')');
            }
            StmtKind::Cancel(handle) => {
                self.out.push_str("(cancel");
                self.sp_expr(handle);
                self.out.push(')');
            }
            StmtKind::Expr(e) => self.expr(e),
        }
    }

    fn with_head(&mut self, target: &Expr<T>, amount: &Option<Expr<T>>, priority: &Option<Expr<T>>) {
        self.sp_expr(target);
        if let Some(amount) = amount {
            self.out.push_str(" (amount");
            self.sp_expr(amount);
            self.out.push(')');
        }
        if let Some(priority) = priority {
            self.out.push_str(" (priority");
            self.sp_expr(priority);
            self.out.push(')');
        }
    }

    /// `(str "text" (interp x) (interp y .3) (interp z <8))`
    fn str_lit(&mut self, s: &StrLit<T>) {
        self.out.push_str("(str");
        for part in &s.parts {
            match part {
                StrPart::Text(text) => {
                    let _ = write!(self.out, " {text:?}");
                }
                StrPart::Interp { expr, format } => {
                    self.out.push_str(" (interp");
                    self.sp_expr(expr);
                    // The spec as Rust spells it: `.3`, `>8.2`, `*^8`.
                    if let Some(f) = format.filter(|f| !f.spec.is_plain()) {
                        let _ = write!(self.out, " {}", f.spec);
                    }
                    self.out.push(')');
                }
            }
        }
        self.out.push(')');
    }

    fn sp_expr(&mut self, e: &Expr<T>) {
        self.out.push(' ');
        self.expr(e);
    }

    fn expr(&mut self, e: &Expr<T>) {
        match &e.kind {
            ExprKind::Int(v) => {
                let _ = write!(self.out, "{v}");
            }
            // `{:?}` always shows a point or an exponent, so 2.0 stays a float.
            ExprKind::Float(v) => {
                let _ = write!(self.out, "{v:?}");
            }
            ExprKind::Bool(v) => {
                let _ = write!(self.out, "{v}");
            }
            ExprKind::Name(name) => self.out.push_str(name),
            ExprKind::Now => self.out.push_str("now"),
            ExprKind::Instant => self.out.push_str("instant"),
            ExprKind::ArrayLit(elems) => self.list("array", elems),
            ExprKind::ArrayRepeat(value, len) => {
                self.out.push_str("(array-repeat");
                self.sp_expr(value);
                self.sp_expr(len);
                self.out.push(')');
            }
            ExprKind::StructLit { name, fields } => {
                let _ = write!(self.out, "(struct-lit {}", name.name);
                for (field, value) in fields {
                    let _ = write!(self.out, " ({}", field.name);
                    self.sp_expr(value);
                    self.out.push(')');
                }
                self.out.push(')');
            }
            ExprKind::Unary(op, operand) => {
                self.out.push_str(match op {
                    UnOp::Neg => "(neg",
                    UnOp::Not => "(not",
                });
                self.sp_expr(operand);
                self.out.push(')');
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let _ = write!(self.out, "({}", binop_text(*op));
                self.sp_expr(lhs);
                self.sp_expr(rhs);
                self.out.push(')');
            }
            ExprKind::Call { callee, args } => {
                let _ = write!(self.out, "(call {}", callee.name);
                for arg in args {
                    self.sp_expr(arg);
                }
                self.out.push(')');
            }
            ExprKind::Method { receiver, name, args } => {
                self.out.push_str("(method");
                self.sp_expr(receiver);
                self.word(&name.name);
                for arg in args {
                    self.sp_expr(arg);
                }
                self.out.push(')');
            }
            ExprKind::Field(base, name) => {
                self.out.push_str("(.");
                self.sp_expr(base);
                self.word(&name.name);
                self.out.push(')');
            }
            ExprKind::Index(base, at) => {
                self.out.push_str("(index");
                self.sp_expr(base);
                self.sp_expr(at);
                self.out.push(')');
            }
            ExprKind::Paren(inner) => self.wrap("paren", inner),
            ExprKind::Await(inner) => self.wrap("await", inner),
            ExprKind::Spawn(inner) => self.wrap("spawn", inner),
            ExprKind::Local(id) => {
                let _ = write!(self.out, "(local {})", id.0);
            }
            ExprKind::Global(index) => {
                let _ = write!(self.out, "(global {index})");
            }
            ExprKind::Object(index) => {
                let _ = write!(self.out, "(object {index})");
            }
            ExprKind::ToFloat(inner) => self.wrap("to-float", inner),
            ExprKind::CallFn { callable, args } => {
                let _ = write!(self.out, "(call-fn {callable}");
                for arg in args {
                    self.sp_expr(arg);
                }
                self.out.push(')');
            }
            ExprKind::CallBuiltin { name, signature, args } => {
                let _ = write!(self.out, "(call-builtin {name}#{signature}");
                for arg in args {
                    self.sp_expr(arg);
                }
                self.out.push(')');
            }
            ExprKind::Delay(inner) => self.wrap("delay", inner),
            ExprKind::At(inner) => self.wrap("at", inner),
            ExprKind::ObjectOp { op, object, args } => {
                let _ = write!(self.out, "(object-op {op:?}");
                self.sp_expr(object);
                for arg in args {
                    self.sp_expr(arg);
                }
                self.out.push(')');
            }
            ExprKind::Condition(inner) => self.wrap("condition", inner),
        }
        if let Some(annotation) = (self.annotate)(&e.ty) {
            let _ = write!(self.out, ":{annotation}");
        }
    }

    fn wrap(&mut self, head: &str, inner: &Expr<T>) {
        let _ = write!(self.out, "({head}");
        self.sp_expr(inner);
        self.out.push(')');
    }

    fn list(&mut self, head: &str, elems: &[Expr<T>]) {
        let _ = write!(self.out, "({head}");
        for elem in elems {
            self.sp_expr(elem);
        }
        self.out.push(')');
    }
}

fn binop_text(op: BinOp) -> &'static str {
    op.symbol()
}

/// A type as it is written: `int`, `[float; 4]`, `proc<int>`. An array length
/// is printed as an S-expression: `[int; (+ N 1)]`.
pub fn type_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeExprKind::Named(name) => name.clone(),
        TypeExprKind::Array(elem, len) => format!("[{}; {}]", type_text(elem), print_expr(len)),
        TypeExprKind::Proc(None) => "proc".to_string(),
        TypeExprKind::Proc(Some(ret)) => format!("proc<{}>", type_text(ret)),
    }
}
