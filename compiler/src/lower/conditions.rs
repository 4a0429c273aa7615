//! Awaited conditions before lowering: which vars each `fn` reads (directly
//! or through the `fn`s it calls), what one condition watches, and what
//! some condition of the program watches (those stores get the write
//! barrier).
//!
//! A condition watches an element of an array var when it reads it by a
//! constant index (`tickets[2]`, `tickets[FILM - 1]`), and the whole var
//! when it reads it any other way: by a dynamic index (`tickets[m]`), whole,
//! or inside a `fn` it calls. The index of a write is known at run time
//! whatever it is, so a write to an element re-checks exactly the watchers
//! of that element plus those of the whole var.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Block, Expr, ExprKind, ForIter, SelectHead, StmtKind, StrPart};
use crate::check::consteval;
use crate::ir::Watch;
use crate::program::Program;
use crate::types::Type;

/// What the conditions of a program watch, for the write barrier.
#[derive(Debug, Default)]
pub(super) struct Watched {
    /// The vars some condition reads in any way.
    pub vars: BTreeSet<u32>,
    /// Array vars some condition reads an element of by a constant index,
    /// with their lengths.
    pub elements: BTreeMap<u32, u32>,
}

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
    for child in e.children() {
        walk(child, visit);
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

/// What a condition watches: the elements it reads by a constant index and
/// the vars it reads otherwise, directly or through the `fn`s it calls. A
/// var watched whole needs no element watches.
pub(super) fn condition_watches(cond: &Expr<Type>, reads: &[BTreeSet<u32>]) -> BTreeSet<Watch> {
    let mut watches = BTreeSet::new();
    collect_watches(cond, reads, &mut watches);
    let whole: BTreeSet<u32> = watches.iter().filter(|w| w.element.is_none()).map(|w| w.var).collect();
    watches.retain(|w| w.element.is_none() || !whole.contains(&w.var));
    watches
}

fn collect_watches(e: &Expr<Type>, reads: &[BTreeSet<u32>], out: &mut BTreeSet<Watch>) {
    match &e.kind {
        ExprKind::Index(inner, index) => {
            if let (ExprKind::Global(var), Type::Array(_, len)) = (&inner.kind, &inner.ty) {
                if let Some(i) = consteval::int_value(index).filter(|i| (0..*len as i64).contains(i)) {
                    out.insert(Watch { var: *var, element: Some(i as u32) });
                    return;
                }
            }
        }
        ExprKind::Global(var) => {
            out.insert(Watch { var: *var, element: None });
        }
        ExprKind::CallFn { callable, .. } => {
            out.extend(reads[*callable as usize].iter().map(|&var| Watch { var, element: None }));
        }
        _ => {}
    }
    for child in e.children() {
        collect_watches(child, reads, out);
    }
}

/// What the conditions of the program watch.
pub(super) fn watched(program: &Program, reads: &[BTreeSet<u32>]) -> Watched {
    let mut watched = Watched::default();
    for callable in &program.callables {
        each_expr(&callable.body, &mut |e| {
            if let ExprKind::Condition(cond) = &e.kind {
                for watch in condition_watches(cond, reads) {
                    watched.vars.insert(watch.var);
                    if watch.element.is_some() {
                        if let Type::Array(_, len) = &program.globals[watch.var as usize].ty {
                            watched.elements.insert(watch.var, *len as u32);
                        }
                    }
                }
            }
        });
    }
    watched
}
