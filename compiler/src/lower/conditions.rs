//! Awaited conditions before lowering: which vars each `fn` reads (directly
//! or through the `fn`s it calls), which vars some condition reads (their
//! stores get the write barrier), and the vars of one condition.

use std::collections::BTreeSet;

use crate::ast::{Block, Expr, ExprKind, ForIter, SelectHead, StmtKind, StrPart};
use crate::program::Program;
use crate::types::Type;

/// Calls `visit` on every expression of `block`, nested ones included.
pub(super) fn each_expr(block: &Block<Type>, visit: &mut impl FnMut(&Expr<Type>)) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Let { value, .. } | StmtKind::Record { value, .. } | StmtKind::Cancel(value) => {
                walk(value, visit)
            }
            StmtKind::Expr(value) => walk(value, visit),
            StmtKind::Assign { target, value, .. } => {
                walk(target, visit);
                walk(value, visit);
            }
            StmtKind::If { cond, then, otherwise } => {
                walk(cond, visit);
                each_expr(then, visit);
                if let Some(otherwise) = otherwise {
                    each_expr(otherwise, visit);
                }
            }
            StmtKind::While { cond, body } => {
                walk(cond, visit);
                each_expr(body, visit);
            }
            StmtKind::For { iter, body, .. } => {
                match iter {
                    ForIter::Range(lo, hi) => {
                        walk(lo, visit);
                        walk(hi, visit);
                    }
                    ForIter::Each(e) => walk(e, visit),
                }
                each_expr(body, visit);
            }
            StmtKind::Loop { body } | StmtKind::Scope { body } => each_expr(body, visit),
            StmtKind::Every { period, body } => {
                walk(period, visit);
                each_expr(body, visit);
            }
            StmtKind::With { target, amount, priority, body } => {
                walk(target, visit);
                for e in amount.iter().chain(priority) {
                    walk(e, visit);
                }
                each_expr(body, visit);
            }
            StmtKind::Until { trigger, body } => {
                walk(trigger, visit);
                each_expr(body, visit);
            }
            StmtKind::Select { arms } => {
                for arm in arms {
                    match &arm.head {
                        SelectHead::With { target, amount, priority } => {
                            walk(target, visit);
                            for e in amount.iter().chain(priority) {
                                walk(e, visit);
                            }
                        }
                        SelectHead::Let { value, .. } | SelectHead::Await(value) => walk(value, visit),
                    }
                    each_expr(&arm.body, visit);
                }
            }
            StmtKind::Return(value) => {
                if let Some(value) = value {
                    walk(value, visit);
                }
            }
            StmtKind::Print(text) | StmtKind::Fail(text) => {
                for part in &text.parts {
                    if let StrPart::Interp { expr, .. } = part {
                        walk(expr, visit);
                    }
                }
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Stop => {}
        }
    }
}

/// Calls `visit` on `e` and every expression inside it.
fn walk(e: &Expr<Type>, visit: &mut impl FnMut(&Expr<Type>)) {
    visit(e);
    match &e.kind {
        ExprKind::ArrayLit(items) => items.iter().for_each(|i| walk(i, visit)),
        ExprKind::ArrayRepeat(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
            walk(a, visit);
            walk(b, visit);
        }
        ExprKind::StructLit { fields, .. } => fields.iter().for_each(|(_, f)| walk(f, visit)),
        ExprKind::Unary(_, a)
        | ExprKind::Field(a, _)
        | ExprKind::Paren(a)
        | ExprKind::Await(a)
        | ExprKind::Spawn(a)
        | ExprKind::ToFloat(a)
        | ExprKind::Delay(a)
        | ExprKind::At(a)
        | ExprKind::Condition(a) => walk(a, visit),
        ExprKind::Call { args, .. } | ExprKind::CallFn { args, .. } | ExprKind::CallBuiltin { args, .. } => {
            args.iter().for_each(|a| walk(a, visit))
        }
        ExprKind::Method { receiver, args, .. } => {
            walk(receiver, visit);
            args.iter().for_each(|a| walk(a, visit));
        }
        ExprKind::ObjectOp { object, args, .. } => {
            walk(object, visit);
            args.iter().for_each(|a| walk(a, visit));
        }
        _ => {}
    }
}

/// Per callable, the vars it reads, itself or through the `fn`s it calls.
pub(super) fn callable_reads(program: &Program) -> Vec<BTreeSet<u32>> {
    let mut direct = Vec::new();
    let mut calls = Vec::new();
    for callable in &program.callables {
        let mut reads = BTreeSet::new();
        let mut callees = BTreeSet::new();
        each_expr(&callable.body, &mut |e| match &e.kind {
            ExprKind::Global(var) => {
                reads.insert(*var);
            }
            ExprKind::CallFn { callable, .. } => {
                callees.insert(*callable);
            }
            _ => {}
        });
        direct.push(reads);
        calls.push(callees);
    }
    // Propagate through the call graph until nothing changes (it may have cycles).
    let mut reads = direct;
    loop {
        let mut changed = false;
        for caller in 0..reads.len() {
            let mut more = BTreeSet::new();
            for &callee in &calls[caller] {
                more.extend(reads[callee as usize].iter().copied());
            }
            let before = reads[caller].len();
            reads[caller].extend(more);
            changed |= reads[caller].len() != before;
        }
        if !changed {
            return reads;
        }
    }
}

/// The vars a condition reads, directly or through the `fn`s it calls.
pub(super) fn condition_vars(cond: &Expr<Type>, reads: &[BTreeSet<u32>]) -> BTreeSet<u32> {
    let mut vars = BTreeSet::new();
    walk(cond, &mut |e| match &e.kind {
        ExprKind::Global(var) => {
            vars.insert(*var);
        }
        ExprKind::CallFn { callable, .. } => vars.extend(reads[*callable as usize].iter().copied()),
        _ => {}
    });
    vars
}

/// The vars some awaited condition of the program reads: stores to them
/// must tell the runtime.
pub(super) fn watched_vars(program: &Program, reads: &[BTreeSet<u32>]) -> BTreeSet<u32> {
    let mut watched = BTreeSet::new();
    for callable in &program.callables {
        each_expr(&callable.body, &mut |e| {
            if let ExprKind::Condition(cond) = &e.kind {
                watched.extend(condition_vars(cond, reads));
            }
        });
    }
    watched
}
