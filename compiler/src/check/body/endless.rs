//! Loops that can never let time pass (W0004): a `loop`, or a `while` whose
//! condition is constant `true`, whose body never waits and never leaves.
//! A process runs until it waits, so such a loop repeats forever at one
//! simulated instant and nothing else ever runs. The test is conservative:
//! anything that may wait or leave (an `await`, `with`, `select`, `until`,
//! `every`, `scope`, a receiving `for`, `break`, `return`, `fail`, `stop`,
//! `cancel`, or a call of a `fn` that may `stop` or `fail`) clears the loop.

use super::*;
use crate::ast::Module;
use crate::check::Signature;

/// Per callable, in the order of the signatures: whether it is a `fn` whose
/// call may end the run, because it or a `fn` it calls (by name, through any
/// chain) holds a `stop` or a `fail`.
pub(in crate::check) fn fns_that_end_the_run(module: &Module<()>, signatures: &[Signature]) -> Vec<bool> {
    let bodies: Vec<&Block<()>> = module
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            crate::ast::ItemKind::Fn(c) | crate::ast::ItemKind::Process(c) => Some(&c.body),
            _ => None,
        })
        .collect();
    let index: HashMap<&str, usize> =
        signatures.iter().enumerate().rev().filter(|(_, s)| !s.is_process).map(|(i, s)| (s.name.as_str(), i)).collect();
    let mut ends = vec![false; signatures.len()];
    let mut calls: Vec<Vec<usize>> = vec![Vec::new(); signatures.len()];
    for (i, body) in bodies.iter().enumerate().take(signatures.len()) {
        if signatures[i].is_process {
            continue;
        }
        let mut names = Vec::new();
        ends[i] = scan_fn_body(body, &mut names);
        calls[i] = names.iter().filter_map(|n| index.get(n.as_str()).copied()).collect();
    }
    // Spread along the calls until nothing changes (each pass marks at least
    // one more, or stops).
    loop {
        let mut changed = false;
        for i in 0..ends.len() {
            if !ends[i] && calls[i].iter().any(|&c| ends[c]) {
                ends[i] = true;
                changed = true;
            }
        }
        if !changed {
            return ends;
        }
    }
}

/// Whether a block holds a `stop` or `fail` anywhere; collects the names it calls.
fn scan_fn_body(block: &Block<()>, calls: &mut Vec<String>) -> bool {
    let mut ends = false;
    for s in &block.stmts {
        ends |= matches!(s.kind, StmtKind::Stop | StmtKind::Fail(_));
        for e in own_exprs(s) {
            collect_calls(e, calls);
        }
        for b in own_blocks(s) {
            ends |= scan_fn_body(b, calls);
        }
    }
    ends
}

fn collect_calls(e: &Expr<()>, calls: &mut Vec<String>) {
    if let ExprKind::Call { callee, .. } = &e.kind {
        calls.push(callee.name.clone());
    }
    for sub in e.children() {
        collect_calls(sub, calls);
    }
}

/// The expressions a statement holds itself (not those of its blocks).
fn own_exprs<T>(s: &Stmt<T>) -> Vec<&Expr<T>> {
    match &s.kind {
        StmtKind::Let { value, .. } | StmtKind::Record { value, .. } => vec![value],
        StmtKind::Assign { target, value, .. } => vec![target, value],
        StmtKind::If { cond, .. } | StmtKind::While { cond, .. } => vec![cond],
        StmtKind::For { iter: ForIter::Range(a, b), .. } => vec![a, b],
        StmtKind::For { iter: ForIter::Each(e), .. } => vec![e],
        StmtKind::Return(Some(e)) | StmtKind::Cancel(e) | StmtKind::Expr(e) => vec![e],
        StmtKind::Print(s) | StmtKind::Fail(s) => s
            .parts
            .iter()
            .filter_map(|p| match p {
                StrPart::Interp { expr, .. } => Some(expr),
                StrPart::Text(_) => None,
            })
            .collect(),
        StmtKind::Every { period, .. } => vec![period],
        StmtKind::With { target, amount, priority, .. } => {
            std::iter::once(target).chain(amount).chain(priority).collect()
        }
        StmtKind::Until { trigger, .. } => vec![trigger],
        StmtKind::Select { arms } => arms
            .iter()
            .flat_map(|a| match &a.head {
                SelectHead::With { target, amount, priority } => {
                    std::iter::once(target).chain(amount).chain(priority).collect::<Vec<_>>()
                }
                SelectHead::Let { value, .. } => vec![value],
                SelectHead::Await(e) => vec![e],
            })
            .collect(),
        StmtKind::Return(None)
        | StmtKind::Loop { .. }
        | StmtKind::Break
        | StmtKind::Continue
        | StmtKind::Stop
        | StmtKind::Scope { .. } => Vec::new(),
    }
}

/// The blocks a statement holds directly.
fn own_blocks<T>(s: &Stmt<T>) -> Vec<&Block<T>> {
    match &s.kind {
        StmtKind::If { then, otherwise, .. } => std::iter::once(then).chain(otherwise).collect(),
        StmtKind::While { body, .. }
        | StmtKind::For { body, .. }
        | StmtKind::Loop { body }
        | StmtKind::Every { body, .. }
        | StmtKind::Scope { body }
        | StmtKind::With { body, .. }
        | StmtKind::Until { body, .. } => vec![body],
        StmtKind::Select { arms } => arms.iter().map(|a| &a.body).collect(),
        _ => Vec::new(),
    }
}

/// The value of a checked bool expression of literals (consts and params
/// are folded into literals), if it is one.
fn const_bool(e: &TExpr) -> Option<bool> {
    match &e.kind {
        ExprKind::Bool(b) => Some(*b),
        ExprKind::Paren(a) => const_bool(a),
        ExprKind::Unary(UnOp::Not, a) => const_bool(a).map(|b| !b),
        ExprKind::Binary(BinOp::And, a, b) => Some(const_bool(a)? && const_bool(b)?),
        ExprKind::Binary(BinOp::Or, a, b) => Some(const_bool(a)? || const_bool(b)?),
        ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) if a.ty == Type::Bool => {
            Some((const_bool(a)? == const_bool(b)?) == (*op == BinOp::Eq))
        }
        ExprKind::Binary(op, a, b) if a.ty == Type::Int => {
            let (a, b) = (consteval::int_value(a)?, consteval::int_value(b)?);
            match op {
                BinOp::Eq => Some(a == b),
                BinOp::Ne => Some(a != b),
                BinOp::Lt => Some(a < b),
                BinOp::Le => Some(a <= b),
                BinOp::Gt => Some(a > b),
                BinOp::Ge => Some(a >= b),
                _ => None,
            }
        }
        _ => None,
    }
}

impl BodyChecker<'_, '_> {
    /// W0004 for a `loop` (`cond` is `None`) or a `while` at `span` whose
    /// body can never wait or leave.
    pub(super) fn check_endless(&mut self, cond: Option<&TExpr>, body: &Block<Type>, span: Span) {
        if cond.is_some_and(|c| const_bool(c) != Some(true)) {
            return;
        }
        let (waits, breaks) = self.loop_flow(body);
        if waits || breaks {
            return;
        }
        let head = match cond {
            None => Span { start: span.start, end: span.start + "loop".len() as u32 },
            Some(c) => Span { start: span.start, end: c.span.end },
        };
        let note = if self.is_process {
            "a process runs until it waits, so no other process and no later event would ever run: add a wait \
             inside the loop, such as `await delay(1.0)` (or make it `every 1.0 { ... }`), or leave it with \
             `break` or `return`"
        } else {
            "a `fn` cannot wait, so a call of it would never return and time could not pass: leave the loop \
             with `break` or `return`"
        };
        let d = Diagnostic::warning("W0004", "this loop never lets time pass: nothing in it waits or leaves it", head)
            .with_label("repeats forever at the same simulated time")
            .with_note(note);
        self.error(d);
    }

    /// [`Self::flow`] of a loop's body, worked out once per body: the
    /// checker meets inner loops first, so an outer loop's analysis finds
    /// theirs done and walks only its own statements. (Walking the inner
    /// loops again made a body's analysis cost its size times the depth of
    /// its loops.)
    fn loop_flow(&mut self, body: &Block<Type>) -> (bool, bool) {
        let key = (body.span.start, body.span.end);
        if let Some(&known) = self.loop_flows.get(&key) {
            return known;
        }
        let found = self.flow(body);
        self.loop_flows.insert(key, found);
        found
    }

    /// What a loop body can do, run over and over: whether it may wait or
    /// end (return, end the run, or stay in an inner endless loop, which has
    /// its own warning), and whether it may `break` out of this loop (a
    /// `break` leaves the innermost loop around it). It stops at the first
    /// statement that may wait, so the `break`s it found count only when
    /// nothing waits. Each block is visited once, and an inner loop's body
    /// not at all once [`Self::loop_flow`] has it.
    fn flow(&mut self, block: &Block<Type>) -> (bool, bool) {
        let (mut waits, mut breaks) = (false, false);
        for s in &block.stmts {
            match &s.kind {
                StmtKind::Break => breaks = true,
                StmtKind::Return(_)
                | StmtKind::Fail(_)
                | StmtKind::Stop
                | StmtKind::Cancel(_)
                | StmtKind::Every { .. }
                | StmtKind::Scope { .. }
                | StmtKind::With { .. }
                | StmtKind::Until { .. }
                | StmtKind::Select { .. } => waits = true,
                StmtKind::For { iter: ForIter::Each(e), .. } if matches!(e.ty, Type::Object(_)) => waits = true,
                StmtKind::Loop { body } | StmtKind::While { body, .. } | StmtKind::For { body, .. } => {
                    // Its `break`s leave it, not this loop.
                    let (inner_waits, inner_breaks) = self.loop_flow(body);
                    let endless = match &s.kind {
                        StmtKind::Loop { .. } => true,
                        StmtKind::While { cond, .. } => const_bool(cond) == Some(true),
                        _ => false,
                    };
                    waits |= inner_waits || (endless && !inner_breaks);
                }
                _ => {
                    for b in own_blocks(s) {
                        let (w, br) = self.flow(b);
                        waits |= w;
                        breaks |= br;
                    }
                }
            }
            if !own_exprs(s).iter().all(|e| self.expr_stuck(e)) {
                waits = true;
            }
            if waits {
                break;
            }
        }
        (waits, breaks)
    }

    /// Whether evaluating an expression can neither wait nor end the run.
    fn expr_stuck(&self, e: &TExpr) -> bool {
        match &e.kind {
            ExprKind::Await(_) => false,
            ExprKind::CallFn { callable, .. } if self.ck.ends_run.get(*callable as usize) == Some(&true) => false,
            // A spawned process runs only once this one waits: only the
            // arguments are evaluated here.
            ExprKind::Spawn(inner) => match &inner.kind {
                ExprKind::CallFn { args, .. } => args.iter().all(|a| self.expr_stuck(a)),
                _ => self.expr_stuck(inner),
            },
            _ => e.children().into_iter().all(|s| self.expr_stuck(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{check_source, Failure};

    /// The W0004 warnings of a model.
    fn endless_warnings(source: String) -> Vec<crate::diagnostic::Diagnostic> {
        // Deep bodies need a deep stack in a debug build; `usimc` gives the
        // compiler 512 MiB.
        let worker =
            std::thread::Builder::new().stack_size(256 << 20).spawn(move || match check_source(&source, &[]) {
                Ok((_, warnings)) => warnings.into_iter().filter(|d| d.code == "W0004").collect(),
                Err(Failure::Diagnostics(ds)) => panic!("{:?}", ds.iter().filter(|d| d.is_error()).collect::<Vec<_>>()),
                Err(_) => panic!("the model does not check"),
            });
        worker.expect("a test thread").join().expect("the check panicked")
    }

    /// 250 loops nested in one another (nearly the nesting limit) around
    /// statements none of which waits: every loop's analysis must look
    /// through all of them, and takes the inner loops' from the ones before
    /// instead of walking them again (which cost the statements' count times
    /// the depth of the loops; the nesting limit keeps that factor below 256).
    #[test]
    fn nested_loops_are_analysed_once_each() {
        const DEPTH: usize = 250;
        let model = |innermost_leaves: bool| {
            let mut source = String::from("var x: int = 0\nprocess main() {\n");
            for i in 0..DEPTH {
                let leave = if i + 1 < DEPTH || innermost_leaves { "if x > 3 { break }" } else { "" };
                source.push_str(&format!("loop {{ {leave}\n"));
            }
            source.push_str(&"x = x + 1\nif x < 0 { x = 0 } else { x = x - 1 }\n".repeat(200));
            source.push_str(&"}\n".repeat(DEPTH));
            source.push_str("}\nrun main()\n");
            source
        };
        assert!(endless_warnings(model(true)).is_empty());
        // Only the innermost loop never leaves: it is warned about, and the
        // loops around it are not (they stay in it, which is its warning).
        let warnings = endless_warnings(model(false));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    /// An inner loop's analysis, done once, answers for it in every loop
    /// around it: its `break` leaves it, not them; its waits are theirs.
    #[test]
    fn an_inner_loop_counts_the_same_in_the_loops_around_it() {
        let body = |body: &str| format!("var x: int = 0\nprocess main() {{\n{body}\n}}\nrun main()\n");
        let spans = |body_text: &str| -> Vec<usize> {
            endless_warnings(body(body_text))
                .iter()
                .map(|d| d.span.start as usize - "var x: int = 0\nprocess main() {\n".len())
                .collect()
        };
        assert_eq!(spans("loop { for i in 0..3 { loop { break } } }"), [0]);
        assert_eq!(spans("loop { while true { loop { break } } }"), [7]);
        assert_eq!(spans("loop { loop { while x > 0 { x = x - 1 } } }"), [7]);
        assert!(spans("loop { loop { loop { await delay(1.0) } } }").is_empty());
        assert!(spans("loop { loop { if x > 0 { break } } \n if x > 1 { break } }").is_empty());
    }
}
