//! Differential property test of array vars: random reads and writes of
//! array elements through the JIT, with awaited conditions and `until`
//! triggers watching them, must print exactly what a plain Rust model of the
//! same operations prints.
//!
//! # The models
//!
//! Globals: `var a: [int; NA]`, `var b: [int; NB]` (lengths 1–5) and
//! `var f: [float; NF]` (1–4), each initialised from a literal (a float
//! array partly from int literals), a scalar `var s: int`, the `const`s
//! `NA`, `NB`, `NF`, a `param P`, and the `fn`s `total()` (`b[0]` plus the
//! sum of `a`, by a `for` loop), `pick(k)` (`a[k]`), `fsum()` (the sum of
//! `f`), `bump(k, v)` (`a[k] += v`) and `setlast(v)` (`b[NB - 1] = v`).
//!
//! Processes, all roots with parameters `(id, j)`, started in a random
//! order:
//! - *writers* (1–3): straight-line scripts of 2–12 steps: `await delay(d)`
//!   (d in 0..4, so ties are common), `x[IDX] = v`, `+=`, `-=` (on `a`, `b`
//!   and `f`), whole-array assignments (`a = [..]`, `a = [v; NA]`),
//!   `bump(IDX, v)`, `setlast(v)`, writes of `s`, and `let x = ...` reads
//!   whose locals later indexes and values use. Each write is followed by a
//!   print of the whole state.
//! - *waiters* (1–3 kinds, each run once or twice with different `j`):
//!   scripts of `await COND` (with a print before and after), delays,
//!   `for r in 0..k { await COND(r); print; await delay(d) }` loops (k is
//!   1–3, now and then 20–70), and `select { await COND => { print }
//!   await delay(d) => { print } }`.
//! - *until processes* (0–2): `until COND { print; await delay(d); ... }`
//!   with prints before, inside and after, possibly inside a
//!   `for r in 0..k` loop (k is 2, now and then 20–80: long loops leave
//!   long watch lists of withdrawn triggers, which the runtime compacts).
//! - optionally a closer that waits past every other event and prints the
//!   final state.
//!
//! An IDX is constant (`2`, `NA - 1`, `NA / 2`, `(NA + 3) % NA`,
//! `(P + 1) % NA`) or dynamic (`j % NA`, `abs(E) % NA` where E reads locals,
//! params, elements, `s`, `total()` or `pick(..)`), so every index is in
//! range and no model has a runtime error. Conditions compare element reads,
//! sums of them, `s`, `total()`, `pick(IDX)`, `f` elements and `fsum()` with
//! literals, locals (`id`, `j`, `r`) and other elements, combined with `&&`,
//! `||` and `!`.
//!
//! # The Rust model
//!
//! [`Sim`] interprets the generated operations (not usim in general) with
//! the rules of docs/language.md and docs/ordering.md: events run in (time,
//! sequence) order; roots start at 0 in the order listed; a condition that
//! holds when awaited does not suspend; a write re-checks the waiting
//! conditions it concerns and releases (schedules at the current time,
//! behind everything already due) those it makes true, in the order they
//! began to wait, and a released waiter does not check again; an `until`
//! whose trigger holds on entry skips its body, one fired by another
//! process's write withdraws the body's timer and resumes after the block
//! like a hand-over, one whose body ends first is withdrawn; a `select`
//! takes its condition arm when it holds on entry, else whichever of the
//! releasing write and the timer event comes first, withdrawing the other.
//! It predicts the printed output, the number of events, the end time and
//! the processes left waiting on a condition (name, `condition at line N`,
//! since when).
//!
//! What a write re-checks (the *element rule*, docs/language.md
//! "Conditions"): a store to `a[e]` re-checks the conditions that read that
//! element (the one written, whatever `e` is) by a constant index, and those
//! that read `a` by a dynamic index or through a `fn`; a whole-array
//! assignment re-checks every condition reading `a`; a compound assignment
//! is one write.
//!
//! # The granularity variant
//!
//! A condition over vars only cannot tell which writes re-check it: a write
//! to another element cannot make it true. So that is what conditions are
//! by default. With the generator flag `ARRAY_FUZZ_NOW` (default `1`, on)
//! some conditions are `(C) || now >= T` or `(C) && now >= T` (C mostly one
//! element by a constant index): the `now` part changes without a write, so
//! whether a later write to another element of the array re-checks the
//! condition shows in the output. Such models depend on the element rule;
//! their failures say `(depends on the element rule)`. Against a compiler
//! that re-checks a condition on any write to an array it reads (before the
//! element rule), `ARRAY_FUZZ_RULE=whole` makes the Rust model follow that
//! rule instead, and `ARRAY_FUZZ_NOW=0` generates no such conditions.
//!
//! `PROPTEST_CASES` sets the number of models (default 48),
//! `PROPTEST_RNG_SEED` proptest's seed, `ARRAY_FUZZ_SHOW=1` prints every
//! generated model to stderr. A failure prints the model as proptest shrank
//! it, then a further minimization that keeps the failure's `[category]`,
//! with the expected and the actual output, events, end time and waiting
//! list. The summary line counts the models whose output depends on the
//! element rule and those that grew a watch list to 64 entries.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;
use support::{cases, category, describe_failure, guard, run_config};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use usim_compiler::compile_source;
use usim_runtime::{run, SharedBuffer};

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Arr {
    A,
    B,
    F,
}

impl Arr {
    fn name(self) -> &'static str {
        match self {
            Arr::A => "a",
            Arr::B => "b",
            Arr::F => "f",
        }
    }

    fn len_const(self) -> &'static str {
        match self {
            Arr::A => "NA",
            Arr::B => "NB",
            Arr::F => "NF",
        }
    }
}

/// An index into an array whose length is known where it is used.
#[derive(Clone, Debug)]
enum Idx {
    /// `k % len`, written as the literal.
    Lit(u8),
    /// `NA - d` with `d = 1 + k % len`.
    LenMinus(u8),
    /// `NA / 2`
    Half,
    /// `(NA + k) % NA`
    Wrap(u8),
    /// `(P + k) % NA`, `P` a `param`: constant too.
    ParamItem(u8),
    /// `j % NA` (the process parameter `j` is never negative): dynamic.
    Param,
    /// `abs(e) % NA`: dynamic.
    Dyn(Box<IExpr>),
}

impl Idx {
    fn constant(&self) -> bool {
        !matches!(self, Idx::Param | Idx::Dyn(_))
    }
}

/// An int expression.
#[derive(Clone, Debug)]
enum IExpr {
    Lit(i8),
    /// An element of `a` or `b`.
    Elem(Arr, Idx),
    S,
    /// A local or parameter in scope, by number (resolved to a `Name` when
    /// the model is built).
    Loc(u8),
    Name(String),
    Add(Box<IExpr>, Box<IExpr>),
    Sub(Box<IExpr>, Box<IExpr>),
    /// `total()`
    Total,
    /// `pick(IDX)` (an index into `a`)
    Pick(Idx),
}

/// A float expression over `f`; literals are in halves.
#[derive(Clone, Debug)]
enum FExpr {
    Lit(i8),
    Elem(Idx),
    Add(Idx, Idx),
    /// `fsum()`
    Sum,
}

const RELS: [&str; 6] = [">=", ">", "<=", "<", "==", "!="];

fn holds<T: PartialOrd>(rel: u8, a: T, b: T) -> bool {
    match rel % 6 {
        0 => a >= b,
        1 => a > b,
        2 => a <= b,
        3 => a < b,
        4 => a == b,
        _ => a != b,
    }
}

/// A condition. Every comparison's left side reads a var, so every
/// condition does.
#[derive(Clone, Debug)]
enum Cond {
    I(u8, IExpr, IExpr),
    F(u8, FExpr, FExpr),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    /// `(c) || now >= T`: the granularity variant.
    NowOr(Box<Cond>, u8),
    /// `(c) && now >= T`: the granularity variant too.
    NowAnd(Box<Cond>, u8),
}

#[derive(Clone, Copy, Debug)]
enum AOp {
    Set,
    Add,
    Sub,
}

impl AOp {
    fn text(self) -> &'static str {
        match self {
            AOp::Set => "=",
            AOp::Add => "+=",
            AOp::Sub => "-=",
        }
    }
}

#[derive(Clone, Debug)]
enum WStep {
    Delay(u8),
    /// `a[IDX] op v` or `b[IDX] op v`
    Store(Arr, Idx, AOp, IExpr),
    /// `f[IDX] op h/2`
    FStore(Idx, AOp, i8),
    /// `arr = [..]` (the values cycled to the length), or `[v; N]`.
    Whole(Arr, Vec<i8>, bool),
    /// `bump(IDX, v)`
    Bump(Idx, IExpr),
    /// `setlast(v)`: `b[NB - 1] = v`, a constant index inside a `fn`.
    SetLast(IExpr),
    /// `s op v`
    WriteS(AOp, IExpr),
    /// `let xK = e`
    Let(IExpr),
}

#[derive(Clone, Debug)]
struct Writer {
    rank: u8,
    j: u8,
    steps: Vec<WStep>,
}

#[derive(Clone, Debug)]
enum QStep {
    Await(Cond),
    Delay(u8),
    /// `for r in 0..k { await c; print; [await delay(d)] }`
    Loop(u8, Cond, Option<u8>),
    /// `select { await c => { print } await delay(d) => { print } }`
    Select(Cond, u8),
}

#[derive(Clone, Debug)]
struct Waiter {
    rank: u8,
    /// One root per entry, with this `j`.
    copies: Vec<u8>,
    steps: Vec<QStep>,
}

#[derive(Clone, Debug)]
struct UntilP {
    rank: u8,
    j: u8,
    lead: Option<u8>,
    /// 1: no loop; more: inside `for r in 0..rounds`.
    rounds: u8,
    cond: Cond,
    /// The body's delays, each after a print.
    body: Vec<u8>,
}

#[derive(Clone, Debug)]
struct Model {
    a: Vec<i8>,
    b: Vec<i8>,
    /// In halves.
    f: Vec<i8>,
    s: i8,
    /// The value of `param P`.
    p: u8,
    writers: Vec<Writer>,
    waiters: Vec<Waiter>,
    untils: Vec<UntilP>,
    closer: bool,
}

impl Model {
    fn len(&self, arr: Arr) -> usize {
        match arr {
            Arr::A => self.a.len(),
            Arr::B => self.b.len(),
            Arr::F => self.f.len(),
        }
    }

    fn conds_mut(&mut self) -> Vec<&mut Cond> {
        let mut out = Vec::new();
        for w in &mut self.waiters {
            for s in &mut w.steps {
                match s {
                    QStep::Await(c) | QStep::Loop(_, c, _) | QStep::Select(c, _) => out.push(c),
                    QStep::Delay(_) => {}
                }
            }
        }
        for u in &mut self.untils {
            out.push(&mut u.cond);
        }
        out
    }

    fn has_now(&self) -> bool {
        self.clone().conds_mut().iter().any(|c| cond_has_now(c))
    }
}

fn cond_has_now(c: &Cond) -> bool {
    match c {
        Cond::I(..) | Cond::F(..) => false,
        Cond::And(x, y) | Cond::Or(x, y) => cond_has_now(x) || cond_has_now(y),
        Cond::Not(x) => cond_has_now(x),
        Cond::NowOr(..) | Cond::NowAnd(..) => true,
    }
}

fn strip_now(c: &Cond) -> Cond {
    match c {
        Cond::I(..) | Cond::F(..) => c.clone(),
        Cond::And(x, y) => Cond::And(Box::new(strip_now(x)), Box::new(strip_now(y))),
        Cond::Or(x, y) => Cond::Or(Box::new(strip_now(x)), Box::new(strip_now(y))),
        Cond::Not(x) => Cond::Not(Box::new(strip_now(x))),
        Cond::NowOr(x, _) | Cond::NowAnd(x, _) => strip_now(x),
    }
}

// ---------------------------------------------------------------------------
// Resolving locals
// ---------------------------------------------------------------------------

fn res_idx(i: &Idx, scope: &[String]) -> Idx {
    match i {
        Idx::Dyn(e) => Idx::Dyn(Box::new(res_i(e, scope))),
        _ => i.clone(),
    }
}

fn res_i(e: &IExpr, scope: &[String]) -> IExpr {
    match e {
        IExpr::Loc(k) => IExpr::Name(scope[*k as usize % scope.len()].clone()),
        IExpr::Elem(arr, i) => IExpr::Elem(*arr, res_idx(i, scope)),
        IExpr::Add(x, y) => IExpr::Add(Box::new(res_i(x, scope)), Box::new(res_i(y, scope))),
        IExpr::Sub(x, y) => IExpr::Sub(Box::new(res_i(x, scope)), Box::new(res_i(y, scope))),
        IExpr::Pick(i) => IExpr::Pick(res_idx(i, scope)),
        IExpr::Lit(_) | IExpr::S | IExpr::Name(_) | IExpr::Total => e.clone(),
    }
}

fn res_f(e: &FExpr, scope: &[String]) -> FExpr {
    match e {
        FExpr::Elem(i) => FExpr::Elem(res_idx(i, scope)),
        FExpr::Add(i, k) => FExpr::Add(res_idx(i, scope), res_idx(k, scope)),
        FExpr::Lit(_) | FExpr::Sum => e.clone(),
    }
}

fn res_c(c: &Cond, scope: &[String]) -> Cond {
    match c {
        Cond::I(r, x, y) => Cond::I(*r, res_i(x, scope), res_i(y, scope)),
        Cond::F(r, x, y) => Cond::F(*r, res_f(x, scope), res_f(y, scope)),
        Cond::And(x, y) => Cond::And(Box::new(res_c(x, scope)), Box::new(res_c(y, scope))),
        Cond::Or(x, y) => Cond::Or(Box::new(res_c(x, scope)), Box::new(res_c(y, scope))),
        Cond::Not(x) => Cond::Not(Box::new(res_c(x, scope))),
        Cond::NowOr(x, t) => Cond::NowOr(Box::new(res_c(x, scope)), *t),
        Cond::NowAnd(x, t) => Cond::NowAnd(Box::new(res_c(x, scope)), *t),
    }
}

// ---------------------------------------------------------------------------
// Building: the source text and, in step, the operations the Rust model runs
// ---------------------------------------------------------------------------

/// A part of a printed line.
#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Now,
    Name(String),
    Arr(Arr),
    S,
}

/// One operation of a process, as the Rust model runs it (loops unrolled;
/// jumps are relative, so an unrolled body can be copied).
#[derive(Clone, Debug)]
enum Op {
    Delay(u64),
    Print(Vec<Piece>),
    /// A `let` or a loop variable taking its next value.
    SetLocal(String, IExpr),
    Store(Arr, Idx, AOp, IExpr),
    FStore(Idx, AOp, i8),
    Whole(Arr, Vec<i64>),
    Bump(Idx, IExpr),
    SetLast(IExpr),
    WriteS(AOp, IExpr),
    Await(Cond, usize),
    /// Enter an `until`; the block's end is this many operations on.
    UntilEnter(Cond, usize),
    UntilExit,
    /// Enter a `select` of a condition arm (its body follows) and a timer
    /// arm of this delay, whose body is this many operations on.
    Select(Cond, u64, usize),
    /// Skip this many operations (from this one).
    Jump(usize),
}

/// The source text and what the Rust model needs.
struct Built {
    text: String,
    /// The operations of each process kind.
    kinds: Vec<Vec<Op>>,
    /// Each root: its kind, its display name, and its `id` and `j`.
    roots: Vec<(usize, String, i64, i64)>,
}

struct Builder<'m> {
    m: &'m Model,
    lines: Vec<String>,
    ops: Vec<Op>,
    indent: usize,
}

fn flit(h: i8) -> String {
    format!("{:.1}", f64::from(h) / 2.0)
}

impl Builder<'_> {
    fn line(&mut self, s: &str) {
        self.lines.push(format!("{}{}", "    ".repeat(self.indent), s));
    }

    /// The line number the next line will have.
    fn next_line(&self) -> usize {
        self.lines.len() + 1
    }

    fn print(&mut self, pieces: Vec<Piece>) {
        let mut s = String::from("print(\"");
        for p in &pieces {
            match p {
                Piece::Text(t) => s.push_str(t),
                Piece::Now => s.push_str("{now}"),
                Piece::Name(n) => write!(s, "{{{n}}}").unwrap(),
                Piece::Arr(a) => write!(s, "{{{}}}", a.name()).unwrap(),
                Piece::S => s.push_str("{s}"),
            }
        }
        s.push_str("\")");
        self.line(&s);
        self.ops.push(Op::Print(pieces));
    }

    /// `{now} TAG{id}LABEL`, optionally followed by the whole state.
    fn say(&mut self, tag: &str, label: &str, state: bool) {
        let mut p =
            vec![Piece::Now, Piece::Text(format!(" {tag}")), Piece::Name("id".into()), Piece::Text(label.to_string())];
        if state {
            p.extend([
                Piece::Text(" a=".into()),
                Piece::Arr(Arr::A),
                Piece::Text(" b=".into()),
                Piece::Arr(Arr::B),
                Piece::Text(" f=".into()),
                Piece::Arr(Arr::F),
                Piece::Text(" s=".into()),
                Piece::S,
            ]);
        }
        self.print(p);
    }

    fn idx(&self, i: &Idx, arr: Arr) -> String {
        let len = self.m.len(arr);
        let n = arr.len_const();
        match i {
            Idx::Lit(k) => format!("{}", *k as usize % len),
            Idx::LenMinus(k) => format!("{n} - {}", 1 + *k as usize % len),
            Idx::Half => format!("{n} / 2"),
            Idx::Wrap(k) => format!("({n} + {k}) % {n}"),
            Idx::ParamItem(k) => format!("(P + {k}) % {n}"),
            Idx::Param => format!("j % {n}"),
            Idx::Dyn(e) => format!("abs({}) % {n}", self.ie(e)),
        }
    }

    fn ie(&self, e: &IExpr) -> String {
        match e {
            IExpr::Lit(v) => format!("{v}"),
            IExpr::Elem(arr, i) => format!("{}[{}]", arr.name(), self.idx(i, *arr)),
            IExpr::S => "s".into(),
            IExpr::Loc(_) => unreachable!("an unresolved local"),
            IExpr::Name(n) => n.clone(),
            IExpr::Add(x, y) => format!("({} + {})", self.ie(x), self.ie(y)),
            IExpr::Sub(x, y) => format!("({} - {})", self.ie(x), self.ie(y)),
            IExpr::Total => "total()".into(),
            IExpr::Pick(i) => format!("pick({})", self.idx(i, Arr::A)),
        }
    }

    fn fe(&self, e: &FExpr) -> String {
        match e {
            FExpr::Lit(h) => flit(*h),
            FExpr::Elem(i) => format!("f[{}]", self.idx(i, Arr::F)),
            FExpr::Add(i, k) => format!("(f[{}] + f[{}])", self.idx(i, Arr::F), self.idx(k, Arr::F)),
            FExpr::Sum => "fsum()".into(),
        }
    }

    fn cond(&self, c: &Cond) -> String {
        match c {
            Cond::I(r, x, y) => format!("{} {} {}", self.ie(x), RELS[*r as usize % 6], self.ie(y)),
            Cond::F(r, x, y) => format!("{} {} {}", self.fe(x), RELS[*r as usize % 6], self.fe(y)),
            Cond::And(x, y) => format!("({}) && ({})", self.cond(x), self.cond(y)),
            Cond::Or(x, y) => format!("({}) || ({})", self.cond(x), self.cond(y)),
            Cond::Not(x) => format!("!({})", self.cond(x)),
            Cond::NowOr(x, t) => format!("({}) || now >= {t}.0", self.cond(x)),
            Cond::NowAnd(x, t) => format!("({}) && now >= {t}.0", self.cond(x)),
        }
    }

    fn delay(&mut self, d: u64) {
        self.line(&format!("await delay({d})"));
        self.ops.push(Op::Delay(d));
    }

    /// Emits a `for r in 0..times` loop whose body `body` emits once; the
    /// operations are unrolled.
    fn repeat(&mut self, times: u8, body: impl FnOnce(&mut Self)) {
        self.line(&format!("for r in 0..{times} {{"));
        self.indent += 1;
        let start = self.ops.len();
        body(self);
        let once: Vec<Op> = self.ops.drain(start..).collect();
        for r in 0..times {
            self.ops.push(Op::SetLocal("r".into(), IExpr::Lit(r as i8)));
            self.ops.extend(once.iter().cloned());
        }
        self.indent -= 1;
        self.line("}");
    }

    fn writer(&mut self, w: &Writer) {
        let mut scope: Vec<String> = vec!["j".into(), "id".into()];
        self.say("w", " starts", false);
        let mut lets = 0;
        for (k, step) in w.steps.iter().enumerate() {
            let label = format!(".{k}");
            match step {
                WStep::Delay(d) => self.delay(u64::from(*d)),
                WStep::Store(arr, i, op, v) => {
                    let (i, v) = (res_idx(i, &scope), res_i(v, &scope));
                    self.line(&format!("{}[{}] {} {}", arr.name(), self.idx(&i, *arr), op.text(), self.ie(&v)));
                    self.ops.push(Op::Store(*arr, i, *op, v));
                    self.say("w", &label, true);
                }
                WStep::FStore(i, op, h) => {
                    let i = res_idx(i, &scope);
                    self.line(&format!("f[{}] {} {}", self.idx(&i, Arr::F), op.text(), flit(*h)));
                    self.ops.push(Op::FStore(i, *op, *h));
                    self.say("w", &label, true);
                }
                WStep::Whole(arr, vals, rep) => {
                    let len = self.m.len(*arr);
                    let vals: Vec<i8> =
                        if *rep { vec![vals[0]; len] } else { vals.iter().cycle().take(len).copied().collect() };
                    let show = |v: i8| if *arr == Arr::F { flit(v) } else { v.to_string() };
                    let lit = if *rep {
                        format!("[{}; {}]", show(vals[0]), arr.len_const())
                    } else {
                        format!("[{}]", vals.iter().map(|&v| show(v)).collect::<Vec<_>>().join(", "))
                    };
                    self.line(&format!("{} = {lit}", arr.name()));
                    self.ops.push(Op::Whole(*arr, vals.iter().map(|&v| i64::from(v)).collect()));
                    self.say("w", &label, true);
                }
                WStep::Bump(i, v) => {
                    let (i, v) = (res_idx(i, &scope), res_i(v, &scope));
                    self.line(&format!("bump({}, {})", self.idx(&i, Arr::A), self.ie(&v)));
                    self.ops.push(Op::Bump(i, v));
                    self.say("w", &label, true);
                }
                WStep::SetLast(v) => {
                    let v = res_i(v, &scope);
                    self.line(&format!("setlast({})", self.ie(&v)));
                    self.ops.push(Op::SetLast(v));
                    self.say("w", &label, true);
                }
                WStep::WriteS(op, v) => {
                    let v = res_i(v, &scope);
                    self.line(&format!("s {} {}", op.text(), self.ie(&v)));
                    self.ops.push(Op::WriteS(*op, v));
                    self.say("w", &label, true);
                }
                WStep::Let(e) => {
                    let e = res_i(e, &scope);
                    let name = format!("x{lets}");
                    lets += 1;
                    self.line(&format!("let {name} = {}", self.ie(&e)));
                    self.ops.push(Op::SetLocal(name.clone(), e));
                    self.print(vec![
                        Piece::Now,
                        Piece::Text(" w".into()),
                        Piece::Name("id".into()),
                        Piece::Text(format!("{label} {name}=")),
                        Piece::Name(name.clone()),
                    ]);
                    scope.push(name);
                }
            }
        }
    }

    fn await_cond(&mut self, c: &Cond, label: &str) {
        self.say("q", &format!("{label} awaits"), false);
        let line = self.next_line();
        self.line(&format!("await {}", self.cond(c)));
        self.ops.push(Op::Await(c.clone(), line));
        self.say("q", &format!("{label} woke"), true);
    }

    fn select(&mut self, c: &Cond, d: u8, label: &str) {
        self.say("q", &format!("{label} selects"), false);
        self.line("select {");
        self.indent += 1;
        self.line(&format!("await {} => {{", self.cond(c)));
        let enter = self.ops.len();
        self.ops.push(Op::Jump(0));
        self.indent += 1;
        self.say("q", &format!("{label} condition"), true);
        self.indent -= 1;
        self.line("}");
        let jump = self.ops.len();
        self.ops.push(Op::Jump(0));
        self.line(&format!("await delay({d}) => {{"));
        let timeout = self.ops.len() - enter;
        self.indent += 1;
        self.say("q", &format!("{label} timeout"), true);
        self.indent -= 1;
        self.line("}");
        self.ops[jump] = Op::Jump(self.ops.len() - jump);
        self.ops[enter] = Op::Select(c.clone(), u64::from(d), timeout);
        self.indent -= 1;
        self.line("}");
    }

    fn waiter(&mut self, w: &Waiter) {
        let scope: Vec<String> = vec!["j".into(), "id".into()];
        self.say("q", " starts", false);
        for (k, step) in w.steps.iter().enumerate() {
            match step {
                QStep::Await(c) => self.await_cond(&res_c(c, &scope), &format!(".{k}")),
                QStep::Delay(d) => self.delay(u64::from(*d)),
                QStep::Select(c, d) => self.select(&res_c(c, &scope), *d, &format!(".{k}")),
                QStep::Loop(times, c, d) => {
                    let mut inner = scope.clone();
                    inner.push("r".into());
                    let c = res_c(c, &inner);
                    self.repeat(*times, |b| {
                        b.await_cond(&c, &format!(".{k}"));
                        if let Some(d) = d {
                            b.delay(u64::from(*d));
                        }
                    });
                }
            }
        }
    }

    fn until_block(&mut self, u: &UntilP, c: &Cond) {
        self.say("u", " enters", false);
        self.line(&format!("until {} {{", self.cond(c)));
        self.indent += 1;
        let enter = self.ops.len();
        self.ops.push(Op::UntilEnter(c.clone(), 0));
        for (k, d) in u.body.iter().enumerate() {
            self.say("u", &format!(" tick {k}"), false);
            self.delay(u64::from(*d));
        }
        self.say("u", " body done", true);
        self.ops.push(Op::UntilExit);
        let skip = self.ops.len() - enter;
        self.ops[enter] = Op::UntilEnter(c.clone(), skip);
        self.indent -= 1;
        self.line("}");
        self.say("u", " after", true);
    }

    fn until(&mut self, u: &UntilP) {
        let mut scope: Vec<String> = vec!["j".into(), "id".into()];
        self.say("u", " starts", false);
        if let Some(d) = u.lead {
            self.delay(u64::from(d));
        }
        if u.rounds > 1 {
            scope.push("r".into());
            let c = res_c(&u.cond, &scope);
            self.repeat(u.rounds, |b| b.until_block(u, &c));
        } else {
            let c = res_c(&u.cond, &scope);
            self.until_block(u, &c);
        }
    }

    /// Emits one process kind and returns its operations.
    fn kind(&mut self, head: &str, body: impl FnOnce(&mut Self)) -> Vec<Op> {
        self.line(&format!("process {head}(id: int, j: int) {{"));
        self.indent = 1;
        body(self);
        self.indent = 0;
        self.line("}");
        self.line("");
        std::mem::take(&mut self.ops)
    }
}

fn list(vals: &[i8], float: bool) -> String {
    // A global float array accepts int literals: whole halves are written so.
    let items: Vec<String> = vals
        .iter()
        .map(|&v| {
            if float {
                if v % 2 == 0 {
                    (v / 2).to_string()
                } else {
                    flit(v)
                }
            } else {
                v.to_string()
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The greatest time any event can have (every delay of every process in a
/// row).
fn delay_bound(m: &Model) -> u64 {
    let mut t = 0u64;
    for w in &m.writers {
        for s in &w.steps {
            if let WStep::Delay(d) = s {
                t += u64::from(*d);
            }
        }
    }
    for w in &m.waiters {
        for s in &w.steps {
            match s {
                QStep::Delay(d) | QStep::Select(_, d) => t += u64::from(*d),
                QStep::Loop(k, _, Some(d)) => t += u64::from(*k) * u64::from(*d),
                _ => {}
            }
        }
    }
    for u in &m.untils {
        t += u64::from(u.lead.unwrap_or(0)) + u64::from(u.rounds) * u.body.iter().map(|&d| u64::from(d)).sum::<u64>();
    }
    t
}

fn build(m: &Model) -> Built {
    let mut b = Builder { m, lines: Vec::new(), ops: Vec::new(), indent: 0 };
    b.line(&format!("const NA = {}", m.a.len()));
    b.line(&format!("const NB = {}", m.b.len()));
    b.line(&format!("const NF = {}", m.f.len()));
    b.line(&format!("var a: [int; NA] = {}", list(&m.a, false)));
    b.line(&format!("var b: [int; NB] = {}", list(&m.b, false)));
    b.line(&format!("var f: [float; NF] = {}", list(&m.f, true)));
    b.line(&format!("var s: int = {}", m.s));
    b.line(&format!("param P: int = {}", m.p));
    b.line("");
    for l in [
        "fn total() -> int {",
        "    let t = b[0]",
        "    for x in a {",
        "        t += x",
        "    }",
        "    return t",
        "}",
        "",
        "fn pick(k: int) -> int {",
        "    return a[k]",
        "}",
        "",
        "fn fsum() -> float {",
        "    let t = 0.0",
        "    for x in f {",
        "        t += x",
        "    }",
        "    return t",
        "}",
        "",
        "fn bump(k: int, v: int) {",
        "    a[k] += v",
        "}",
        "",
        "fn setlast(v: int) {",
        "    b[NB - 1] = v",
        "}",
        "",
    ] {
        b.line(l);
    }
    let mut kinds = Vec::new();
    // (rank, order, kind, kind name, copies' j)
    let mut pending: Vec<(u8, usize, usize, String, Vec<u8>)> = Vec::new();
    for (i, w) in m.writers.iter().enumerate() {
        let name = format!("w{i}");
        kinds.push(b.kind(&name, |b| b.writer(w)));
        pending.push((w.rank, pending.len(), kinds.len() - 1, name, vec![w.j]));
    }
    for (i, w) in m.waiters.iter().enumerate() {
        let name = format!("q{i}");
        kinds.push(b.kind(&name, |b| b.waiter(w)));
        pending.push((w.rank, pending.len(), kinds.len() - 1, name, w.copies.clone()));
    }
    for (i, u) in m.untils.iter().enumerate() {
        let name = format!("u{i}");
        kinds.push(b.kind(&name, |b| b.until(u)));
        pending.push((u.rank, pending.len(), kinds.len() - 1, name, vec![u.j]));
    }
    if m.closer {
        let end = delay_bound(m) + 1;
        kinds.push(b.kind("fin", |b| {
            b.delay(end);
            b.say("fin", " final", true);
        }));
        pending.push((u8::MAX, pending.len(), kinds.len() - 1, "fin".into(), vec![0]));
    }
    pending.sort_by_key(|p| (p.0, p.1));
    let mut roots = Vec::new();
    let mut calls = Vec::new();
    for (_, _, kind, name, copies) in &pending {
        for &j in copies {
            let pid = roots.len() + 1;
            let shown = if copies.len() > 1 { format!("{name}#{pid}") } else { name.clone() };
            roots.push((*kind, shown, pid as i64, i64::from(j)));
            calls.push(format!("{name}({pid}, {j})"));
        }
    }
    b.line(&format!("run {}", calls.join(", ")));
    Built { text: b.lines.join("\n") + "\n", kinds, roots }
}

// ---------------------------------------------------------------------------
// The Rust model
// ---------------------------------------------------------------------------

/// What a write re-checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// A store re-checks the watchers of the element written and of the
    /// whole array.
    Element,
    /// Any write to an array re-checks every condition reading it.
    Whole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Watch {
    S,
    Elem(Arr, usize),
    Whole(Arr),
}

#[derive(Clone, Copy, Debug)]
enum Written {
    S,
    Elem(Arr, usize),
    Whole(Arr),
}

/// An int overflowed in the model: the generator's fault, not the
/// compiler's; the model is skipped.
#[derive(Debug)]
struct Overflow;

#[derive(Clone, Copy, Debug)]
enum WaitKind {
    Await {
        line: usize,
        since: u64,
    },
    /// An armed `until` trigger; the block's end is at this pc.
    Until {
        exit: usize,
    },
    /// The condition arm of a `select`; the timer arm's body is at this pc.
    Select {
        timeout: usize,
    },
}

struct Wait {
    pid: usize,
    cond: Cond,
    watches: BTreeSet<Watch>,
    kind: WaitKind,
}

struct Proc {
    kind: usize,
    pc: usize,
    env: Vec<(String, i64)>,
    /// The key of its pending timer event.
    timer: Option<(u64, u64)>,
}

/// What the model predicts.
#[derive(Debug, PartialEq)]
struct Expected {
    output: String,
    events: u64,
    end_time: f64,
    /// (process, on, since)
    waiting: Vec<(String, String, f64)>,
    /// For the tally: the longest watch list (see [`Sim::enlist`]).
    longest: usize,
}

struct Sim<'c> {
    m: &'c Model,
    code: &'c [Vec<Op>],
    rule: Rule,
    a: Vec<i64>,
    b: Vec<i64>,
    f: Vec<f64>,
    s: i64,
    now: u64,
    seq: u64,
    queue: BTreeSet<(u64, u64, usize)>,
    procs: Vec<Proc>,
    /// In the order they began to wait.
    waits: Vec<Wait>,
    out: String,
    events: u64,
    /// For the tally: how long the runtime's watch lists are (live and
    /// stale entries), and the longest any got.
    lists: BTreeMap<Watch, usize>,
    longest: usize,
}

fn checked(x: Option<i64>) -> Result<i64, Overflow> {
    x.ok_or(Overflow)
}

fn watches_idx(i: &Idx, arr: Arr, m: &Model, out: &mut BTreeSet<Watch>) {
    if let Idx::Dyn(e) = i {
        watches_i(e, m, out);
    }
    if i.constant() {
        out.insert(Watch::Elem(arr, const_index(i, m.len(arr), m.p)));
    } else {
        out.insert(Watch::Whole(arr));
    }
}

fn const_index(i: &Idx, len: usize, p: u8) -> usize {
    match i {
        Idx::Lit(k) => *k as usize % len,
        Idx::LenMinus(k) => len - (1 + *k as usize % len),
        Idx::Half => len / 2,
        Idx::Wrap(k) => (len + *k as usize) % len,
        Idx::ParamItem(k) => (p as usize + *k as usize) % len,
        Idx::Param | Idx::Dyn(_) => unreachable!("a dynamic index"),
    }
}

fn watches_i(e: &IExpr, m: &Model, out: &mut BTreeSet<Watch>) {
    match e {
        IExpr::Elem(arr, i) => watches_idx(i, *arr, m, out),
        IExpr::S => {
            out.insert(Watch::S);
        }
        IExpr::Add(x, y) | IExpr::Sub(x, y) => {
            watches_i(x, m, out);
            watches_i(y, m, out);
        }
        IExpr::Total => {
            out.insert(Watch::Whole(Arr::A));
            out.insert(Watch::Whole(Arr::B));
        }
        IExpr::Pick(i) => {
            // The argument is read in the condition; the element inside the fn.
            if let Idx::Dyn(e) = i {
                watches_i(e, m, out);
            }
            out.insert(Watch::Whole(Arr::A));
        }
        IExpr::Lit(_) | IExpr::Loc(_) | IExpr::Name(_) => {}
    }
}

fn watches_f(e: &FExpr, m: &Model, out: &mut BTreeSet<Watch>) {
    match e {
        FExpr::Elem(i) => watches_idx(i, Arr::F, m, out),
        FExpr::Add(i, k) => {
            watches_idx(i, Arr::F, m, out);
            watches_idx(k, Arr::F, m, out);
        }
        FExpr::Sum => {
            out.insert(Watch::Whole(Arr::F));
        }
        FExpr::Lit(_) => {}
    }
}

fn watches_c(c: &Cond, m: &Model, out: &mut BTreeSet<Watch>) {
    match c {
        Cond::I(_, x, y) => {
            watches_i(x, m, out);
            watches_i(y, m, out);
        }
        Cond::F(_, x, y) => {
            watches_f(x, m, out);
            watches_f(y, m, out);
        }
        Cond::And(x, y) | Cond::Or(x, y) => {
            watches_c(x, m, out);
            watches_c(y, m, out);
        }
        Cond::Not(x) | Cond::NowOr(x, _) | Cond::NowAnd(x, _) => watches_c(x, m, out),
    }
}

fn rechecks(ws: &BTreeSet<Watch>, w: Written, rule: Rule) -> bool {
    let on = |arr: Arr| ws.iter().any(|x| matches!(x, Watch::Elem(y, _) | Watch::Whole(y) if *y == arr));
    match (w, rule) {
        (Written::S, _) => ws.contains(&Watch::S),
        (Written::Whole(arr), _) | (Written::Elem(arr, _), Rule::Whole) => on(arr),
        (Written::Elem(arr, k), Rule::Element) => ws.contains(&Watch::Elem(arr, k)) || ws.contains(&Watch::Whole(arr)),
    }
}

fn show_arr<T: std::fmt::Display>(xs: &[T]) -> String {
    format!("[{}]", xs.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))
}

impl Sim<'_> {
    fn lookup(env: &[(String, i64)], name: &str) -> i64 {
        env.iter().rev().find(|(n, _)| n == name).map(|p| p.1).unwrap_or_else(|| panic!("no local {name}"))
    }

    fn idx(&self, i: &Idx, arr: Arr, env: &[(String, i64)]) -> Result<usize, Overflow> {
        let len = self.m.len(arr);
        Ok(match i {
            Idx::Param => Self::lookup(env, "j") as usize % len,
            Idx::Dyn(e) => (checked(self.ie(e, env)?.checked_abs())? as usize) % len,
            _ => const_index(i, len, self.m.p),
        })
    }

    fn ie(&self, e: &IExpr, env: &[(String, i64)]) -> Result<i64, Overflow> {
        Ok(match e {
            IExpr::Lit(v) => i64::from(*v),
            IExpr::Elem(Arr::A, i) => self.a[self.idx(i, Arr::A, env)?],
            IExpr::Elem(Arr::B, i) => self.b[self.idx(i, Arr::B, env)?],
            IExpr::Elem(Arr::F, _) => unreachable!("an int read of f"),
            IExpr::S => self.s,
            IExpr::Loc(_) => unreachable!("an unresolved local"),
            IExpr::Name(n) => Self::lookup(env, n),
            IExpr::Add(x, y) => checked(self.ie(x, env)?.checked_add(self.ie(y, env)?))?,
            IExpr::Sub(x, y) => checked(self.ie(x, env)?.checked_sub(self.ie(y, env)?))?,
            IExpr::Total => {
                let mut t = self.b[0];
                for &x in &self.a {
                    t = checked(t.checked_add(x))?;
                }
                t
            }
            IExpr::Pick(i) => self.a[self.idx(i, Arr::A, env)?],
        })
    }

    fn fe(&self, e: &FExpr, env: &[(String, i64)]) -> Result<f64, Overflow> {
        Ok(match e {
            FExpr::Lit(h) => f64::from(*h) / 2.0,
            FExpr::Elem(i) => self.f[self.idx(i, Arr::F, env)?],
            FExpr::Add(i, k) => self.f[self.idx(i, Arr::F, env)?] + self.f[self.idx(k, Arr::F, env)?],
            FExpr::Sum => self.f.iter().fold(0.0, |t, x| t + x),
        })
    }

    fn cond(&self, c: &Cond, env: &[(String, i64)]) -> Result<bool, Overflow> {
        Ok(match c {
            Cond::I(r, x, y) => holds(*r, self.ie(x, env)?, self.ie(y, env)?),
            Cond::F(r, x, y) => holds(*r, self.fe(x, env)?, self.fe(y, env)?),
            Cond::And(x, y) => self.cond(x, env)? && self.cond(y, env)?,
            Cond::Or(x, y) => self.cond(x, env)? || self.cond(y, env)?,
            Cond::Not(x) => !self.cond(x, env)?,
            Cond::NowOr(x, t) => self.cond(x, env)? || self.now as f64 >= f64::from(*t),
            Cond::NowAnd(x, t) => self.cond(x, env)? && self.now as f64 >= f64::from(*t),
        })
    }

    fn schedule(&mut self, pid: usize, at: u64) -> (u64, u64) {
        let key = (at, self.seq);
        self.seq += 1;
        self.queue.insert((key.0, key.1, pid));
        key
    }

    fn apply(old: i64, op: AOp, v: i64) -> Result<i64, Overflow> {
        match op {
            AOp::Set => Ok(v),
            AOp::Add => checked(old.checked_add(v)),
            AOp::Sub => checked(old.checked_sub(v)),
        }
    }

    /// A write happened: releases the waits it re-checks and finds true,
    /// in the order they began to wait.
    fn written(&mut self, w: Written) -> Result<(), Overflow> {
        let mut released = Vec::new();
        for (k, wait) in self.waits.iter().enumerate() {
            if rechecks(&wait.watches, w, self.rule) && self.cond(&wait.cond, &self.procs[wait.pid].env)? {
                released.push(k);
            }
        }
        let mut k = 0;
        let mut woken = Vec::new();
        self.waits.retain(|wait| {
            let keep = !released.contains(&k);
            k += 1;
            if !keep {
                woken.push((wait.pid, wait.kind));
            }
            keep
        });
        for (pid, kind) in woken {
            match kind {
                WaitKind::Await { .. } => {}
                WaitKind::Until { .. } | WaitKind::Select { .. } => {
                    // The timer the body (or the timer arm) waits on is withdrawn.
                    let (t, q) = self.procs[pid].timer.take().expect("a timer to withdraw");
                    self.queue.remove(&(t, q, pid));
                    if let WaitKind::Until { exit } = kind {
                        self.procs[pid].pc = exit;
                    }
                }
            }
            let now = self.now;
            self.schedule(pid, now);
            self.procs[pid].timer = None;
        }
        self.relist(w);
        Ok(())
    }

    /// The runtime's watch lists a wait is entered in: an element's only
    /// when the array is not watched whole.
    fn lists_of(watches: &BTreeSet<Watch>) -> impl Iterator<Item = Watch> + '_ {
        watches.iter().copied().filter(|w| !matches!(w, Watch::Elem(arr, _) if watches.contains(&Watch::Whole(*arr))))
    }

    /// For the tally: a new wait lengthens its watch lists.
    fn enlist(&mut self, watches: &BTreeSet<Watch>) {
        for w in Self::lists_of(watches) {
            let len = self.lists.entry(w).or_default();
            *len += 1;
            self.longest = self.longest.max(*len);
        }
    }

    /// For the tally: the lists a write re-checks keep only their live
    /// entries (withdrawn and released waits stay in the others).
    fn relist(&mut self, w: Written) {
        let keys: Vec<Watch> = self
            .lists
            .keys()
            .copied()
            .filter(|k| match (w, k) {
                (Written::S, Watch::S) => true,
                (Written::Elem(arr, i), Watch::Elem(x, j)) => arr == *x && i == *j,
                (Written::Elem(arr, _) | Written::Whole(arr), Watch::Whole(x)) => arr == *x,
                (Written::Whole(arr), Watch::Elem(x, _)) => arr == *x,
                _ => false,
            })
            .collect();
        for key in keys {
            let live = self.waits.iter().filter(|wait| Self::lists_of(&wait.watches).any(|k| k == key)).count();
            self.lists.insert(key, live);
        }
    }

    /// Runs process `pid` until it suspends or ends.
    fn step(&mut self, pid: usize) -> Result<(), Overflow> {
        let code = self.code;
        loop {
            let pc = self.procs[pid].pc;
            let ops = &code[self.procs[pid].kind];
            let Some(op) = ops.get(pc) else { return Ok(()) };
            self.procs[pid].pc += 1;
            match op {
                Op::Delay(d) => {
                    let at = self.now + d;
                    let key = self.schedule(pid, at);
                    self.procs[pid].timer = Some(key);
                    return Ok(());
                }
                Op::Print(pieces) => {
                    let env = &self.procs[pid].env;
                    for p in pieces {
                        match p {
                            Piece::Text(t) => self.out.push_str(t),
                            Piece::Now => write!(self.out, "{}", self.now as f64).unwrap(),
                            Piece::Name(n) => write!(self.out, "{}", Self::lookup(env, n)).unwrap(),
                            Piece::Arr(Arr::A) => self.out.push_str(&show_arr(&self.a)),
                            Piece::Arr(Arr::B) => self.out.push_str(&show_arr(&self.b)),
                            Piece::Arr(Arr::F) => self.out.push_str(&show_arr(&self.f)),
                            Piece::S => write!(self.out, "{}", self.s).unwrap(),
                        }
                    }
                    self.out.push('\n');
                }
                Op::SetLocal(name, e) => {
                    let v = self.ie(e, &self.procs[pid].env)?;
                    self.procs[pid].env.push((name.clone(), v));
                }
                Op::Store(arr, i, op, v) => {
                    let env = &self.procs[pid].env;
                    let (k, v) = (self.idx(i, *arr, env)?, self.ie(v, env)?);
                    let xs = if *arr == Arr::A { &mut self.a } else { &mut self.b };
                    xs[k] = Self::apply(xs[k], *op, v)?;
                    self.written(Written::Elem(*arr, k))?;
                }
                Op::FStore(i, op, h) => {
                    let k = self.idx(i, Arr::F, &self.procs[pid].env)?;
                    let v = f64::from(*h) / 2.0;
                    let x = &mut self.f[k];
                    match op {
                        AOp::Set => *x = v,
                        AOp::Add => *x += v,
                        AOp::Sub => *x -= v,
                    }
                    self.written(Written::Elem(Arr::F, k))?;
                }
                Op::Whole(arr, vals) => {
                    match arr {
                        Arr::A => self.a = vals.clone(),
                        Arr::B => self.b = vals.clone(),
                        Arr::F => self.f = vals.iter().map(|&h| h as f64 / 2.0).collect(),
                    }
                    self.written(Written::Whole(*arr))?;
                }
                Op::Bump(i, v) => {
                    let env = &self.procs[pid].env;
                    let (k, v) = (self.idx(i, Arr::A, env)?, self.ie(v, env)?);
                    self.a[k] = checked(self.a[k].checked_add(v))?;
                    self.written(Written::Elem(Arr::A, k))?;
                }
                Op::SetLast(v) => {
                    let v = self.ie(v, &self.procs[pid].env)?;
                    let k = self.b.len() - 1;
                    self.b[k] = v;
                    self.written(Written::Elem(Arr::B, k))?;
                }
                Op::WriteS(op, v) => {
                    let v = self.ie(v, &self.procs[pid].env)?;
                    self.s = Self::apply(self.s, *op, v)?;
                    self.written(Written::S)?;
                }
                Op::Await(c, line) => {
                    if !self.cond(c, &self.procs[pid].env)? {
                        let mut watches = BTreeSet::new();
                        watches_c(c, self.m, &mut watches);
                        let kind = WaitKind::Await { line: *line, since: self.now };
                        self.enlist(&watches);
                        self.waits.push(Wait { pid, cond: c.clone(), watches, kind });
                        return Ok(());
                    }
                }
                Op::UntilEnter(c, skip) => {
                    if self.cond(c, &self.procs[pid].env)? {
                        self.procs[pid].pc = pc + skip;
                    } else {
                        let mut watches = BTreeSet::new();
                        watches_c(c, self.m, &mut watches);
                        let kind = WaitKind::Until { exit: pc + skip };
                        self.enlist(&watches);
                        self.waits.push(Wait { pid, cond: c.clone(), watches, kind });
                    }
                }
                Op::UntilExit => self.waits.retain(|w| w.pid != pid),
                Op::Jump(skip) => self.procs[pid].pc = pc + skip,
                Op::Select(c, d, timeout) => {
                    // The condition arm is tried first; a timer arm is never
                    // ready on entry.
                    if !self.cond(c, &self.procs[pid].env)? {
                        let mut watches = BTreeSet::new();
                        watches_c(c, self.m, &mut watches);
                        let kind = WaitKind::Select { timeout: pc + timeout };
                        self.enlist(&watches);
                        self.waits.push(Wait { pid, cond: c.clone(), watches, kind });
                        let at = self.now + d;
                        let key = self.schedule(pid, at);
                        self.procs[pid].timer = Some(key);
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Runs the Rust model of a built model.
fn simulate(m: &Model, built: &Built, rule: Rule) -> Result<Expected, Overflow> {
    let mut sim = Sim {
        m,
        code: &built.kinds,
        rule,
        a: m.a.iter().map(|&v| i64::from(v)).collect(),
        b: m.b.iter().map(|&v| i64::from(v)).collect(),
        f: m.f.iter().map(|&h| f64::from(h) / 2.0).collect(),
        s: i64::from(m.s),
        now: 0,
        seq: 0,
        queue: BTreeSet::new(),
        procs: Vec::new(),
        waits: Vec::new(),
        out: String::new(),
        events: 0,
        lists: BTreeMap::new(),
        longest: 0,
    };
    for (pid, (kind, _, id, j)) in built.roots.iter().enumerate() {
        let env = vec![("id".to_string(), *id), ("j".to_string(), *j)];
        sim.procs.push(Proc { kind: *kind, pc: 0, env, timer: None });
        sim.schedule(pid, 0);
    }
    while let Some((t, _, pid)) = sim.queue.pop_first() {
        sim.now = t;
        sim.events += 1;
        sim.procs[pid].timer = None;
        // A select's timer arm won: its condition arm is withdrawn.
        if let Some(k) = sim.waits.iter().position(|w| w.pid == pid && matches!(w.kind, WaitKind::Select { .. })) {
            if let WaitKind::Select { timeout } = sim.waits.remove(k).kind {
                sim.procs[pid].pc = timeout;
            }
        }
        sim.step(pid)?;
    }
    let mut waiting: Vec<(usize, String, String, f64)> = sim
        .waits
        .iter()
        .filter_map(|w| match w.kind {
            WaitKind::Await { line, since } => {
                Some((w.pid, built.roots[w.pid].1.clone(), format!("condition at line {line}"), since as f64))
            }
            WaitKind::Until { .. } | WaitKind::Select { .. } => None,
        })
        .collect();
    waiting.sort_by_key(|w| w.0);
    Ok(Expected {
        output: sim.out,
        events: sim.events,
        end_time: sim.now as f64,
        waiting: waiting.into_iter().map(|(_, p, on, since)| (p, on, since)).collect(),
        longest: sim.longest,
    })
}

// ---------------------------------------------------------------------------
// Generating
// ---------------------------------------------------------------------------

fn arr_ab() -> BoxedStrategy<Arr> {
    prop_oneof![3 => Just(Arr::A), 1 => Just(Arr::B)].boxed()
}

fn const_idx_s() -> BoxedStrategy<Idx> {
    prop_oneof![
        4 => (0u8..5).prop_map(Idx::Lit),
        1 => (0u8..5).prop_map(Idx::LenMinus),
        1 => Just(Idx::Half),
        1 => (0u8..7).prop_map(Idx::Wrap),
        1 => (0u8..4).prop_map(Idx::ParamItem),
    ]
    .boxed()
}

fn idx_s(depth: u32) -> BoxedStrategy<Idx> {
    if depth == 0 {
        prop_oneof![3 => const_idx_s(), 1 => Just(Idx::Param)].boxed()
    } else {
        prop_oneof![
            4 => const_idx_s(),
            1 => Just(Idx::Param),
            2 => iexpr_s(depth - 1).prop_map(|e| Idx::Dyn(Box::new(e))),
        ]
        .boxed()
    }
}

fn iexpr_s(depth: u32) -> BoxedStrategy<IExpr> {
    let leaf = prop_oneof![
        2 => (-2i8..9).prop_map(IExpr::Lit),
        3 => (arr_ab(), const_idx_s()).prop_map(|(a, i)| IExpr::Elem(a, i)),
        1 => Just(IExpr::S),
        2 => any::<u8>().prop_map(IExpr::Loc),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        4 => leaf,
        2 => (arr_ab(), idx_s(depth - 1)).prop_map(|(a, i)| IExpr::Elem(a, i)),
        1 => (iexpr_s(depth - 1), iexpr_s(depth - 1)).prop_map(|(x, y)| IExpr::Add(Box::new(x), Box::new(y))),
        1 => (iexpr_s(depth - 1), iexpr_s(depth - 1)).prop_map(|(x, y)| IExpr::Sub(Box::new(x), Box::new(y))),
        1 => Just(IExpr::Total),
        1 => idx_s(depth - 1).prop_map(IExpr::Pick),
    ]
    .boxed()
}

/// A value written: mostly a literal, so values stay small.
fn val_s() -> BoxedStrategy<IExpr> {
    prop_oneof![
        6 => (-3i8..10).prop_map(IExpr::Lit),
        1 => any::<u8>().prop_map(IExpr::Loc),
        1 => (arr_ab(), const_idx_s()).prop_map(|(a, i)| IExpr::Elem(a, i)),
        1 => ((arr_ab(), idx_s(1)), -2i8..4)
            .prop_map(|((a, i), v)| IExpr::Add(Box::new(IExpr::Elem(a, i)), Box::new(IExpr::Lit(v)))),
    ]
    .boxed()
}

fn rel_s() -> BoxedStrategy<u8> {
    prop_oneof![3 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8), 2 => Just(4u8), 1 => Just(5u8)].boxed()
}

/// The left side of a comparison: it reads a var.
fn var_read_s() -> BoxedStrategy<IExpr> {
    let elem = || (arr_ab(), idx_s(1)).prop_map(|(a, i)| IExpr::Elem(a, i));
    prop_oneof![
        6 => elem(),
        1 => Just(IExpr::S),
        1 => Just(IExpr::Total),
        1 => idx_s(1).prop_map(IExpr::Pick),
        2 => (elem(), (arr_ab(), const_idx_s()))
            .prop_map(|(x, (a, i))| IExpr::Add(Box::new(x), Box::new(IExpr::Elem(a, i)))),
    ]
    .boxed()
}

fn rhs_s() -> BoxedStrategy<IExpr> {
    prop_oneof![
        6 => (-1i8..9).prop_map(IExpr::Lit),
        1 => any::<u8>().prop_map(IExpr::Loc),
        1 => (any::<u8>(), 0i8..5).prop_map(|(l, v)| IExpr::Add(Box::new(IExpr::Loc(l)), Box::new(IExpr::Lit(v)))),
        1 => (arr_ab(), const_idx_s()).prop_map(|(a, i)| IExpr::Elem(a, i)),
    ]
    .boxed()
}

fn fexpr_lhs_s() -> BoxedStrategy<FExpr> {
    prop_oneof![
        3 => idx_s(1).prop_map(FExpr::Elem),
        1 => (idx_s(0), const_idx_s()).prop_map(|(i, k)| FExpr::Add(i, k)),
        1 => Just(FExpr::Sum),
    ]
    .boxed()
}

fn atom_s() -> BoxedStrategy<Cond> {
    prop_oneof![
        6 => (rel_s(), var_read_s(), rhs_s()).prop_map(|(r, x, y)| Cond::I(r, x, y)),
        1 => (rel_s(), fexpr_lhs_s(), (-2i8..9).prop_map(FExpr::Lit)).prop_map(|(r, x, y)| Cond::F(r, x, y)),
    ]
    .boxed()
}

fn cond_s(now_terms: bool) -> BoxedStrategy<Cond> {
    let base = prop_oneof![
        5 => atom_s(),
        2 => (atom_s(), atom_s()).prop_map(|(x, y)| Cond::And(Box::new(x), Box::new(y))),
        1 => (atom_s(), atom_s()).prop_map(|(x, y)| Cond::Or(Box::new(x), Box::new(y))),
        1 => atom_s().prop_map(|x| Cond::Not(Box::new(x))),
    ]
    .boxed();
    if !now_terms {
        return base;
    }
    // The `now` part of these changes without a write, so which writes
    // re-check them shows. Their var part mostly reads one element by a
    // constant index and is hard to make true, so that writes to the other
    // elements come while it is false.
    let hard = (arr_ab(), const_idx_s(), prop_oneof![2 => Just(0u8), 1 => Just(4u8)], 5i8..10)
        .prop_map(|(a, i, r, v)| Cond::I(r, IExpr::Elem(a, i), IExpr::Lit(v)));
    let easy = (arr_ab(), const_idx_s(), -1i8..3).prop_map(|(a, i, v)| Cond::I(0, IExpr::Elem(a, i), IExpr::Lit(v)));
    prop_oneof![
        2 => base.clone(),
        1 => (prop_oneof![3 => hard, 1 => base.clone()], 1u8..5).prop_map(|(c, t)| Cond::NowOr(Box::new(c), t)),
        1 => (prop_oneof![3 => easy, 1 => base], 1u8..5).prop_map(|(c, t)| Cond::NowAnd(Box::new(c), t)),
    ]
    .boxed()
}

/// A loop count: mostly `lo..=hi`, now and then `many_lo..=many_hi`, so
/// that watch lists grow long (with withdrawn `until` triggers and
/// released waits left behind in other lists) and get compacted.
fn times_s(lo: u8, hi: u8, many_lo: u8, many_hi: u8) -> BoxedStrategy<u8> {
    prop_oneof![8 => lo..=hi, 2 => many_lo..=many_hi].boxed()
}

fn delay_s() -> BoxedStrategy<u8> {
    prop_oneof![1 => Just(0u8), 5 => 1u8..4].boxed()
}

fn aop_s() -> BoxedStrategy<AOp> {
    prop_oneof![Just(AOp::Set), Just(AOp::Add), Just(AOp::Sub)].boxed()
}

fn wstep_s() -> BoxedStrategy<WStep> {
    prop_oneof![
        5 => delay_s().prop_map(WStep::Delay),
        6 => (arr_ab(), idx_s(2), aop_s(), val_s()).prop_map(|(a, i, o, v)| WStep::Store(a, i, o, v)),
        2 => (idx_s(1), aop_s(), -3i8..8).prop_map(|(i, o, h)| WStep::FStore(i, o, h)),
        1 => (prop_oneof![2 => Just(Arr::A), 1 => Just(Arr::B), 1 => Just(Arr::F)], vec(-2i8..9, 1..=5), any::<bool>())
            .prop_map(|(a, v, r)| WStep::Whole(a, v, r)),
        2 => (idx_s(1), val_s()).prop_map(|(i, v)| WStep::Bump(i, v)),
        1 => val_s().prop_map(WStep::SetLast),
        1 => (aop_s(), val_s()).prop_map(|(o, v)| WStep::WriteS(o, v)),
        2 => iexpr_s(1).prop_map(WStep::Let),
    ]
    .boxed()
}

fn qstep_s(now_terms: bool) -> BoxedStrategy<QStep> {
    prop_oneof![
        5 => cond_s(now_terms).prop_map(QStep::Await),
        2 => delay_s().prop_map(QStep::Delay),
        2 => (times_s(1, 3, 20, 70), cond_s(now_terms), option::of(delay_s())).prop_map(|(k, c, d)| QStep::Loop(k, c, d)),
        1 => (cond_s(now_terms), 0u8..5).prop_map(|(c, d)| QStep::Select(c, d)),
    ]
    .boxed()
}

fn model_s(now_terms: bool) -> impl Strategy<Value = Model> {
    let writer = (0u8..4, 0u8..10, vec(wstep_s(), 2..=12)).prop_map(|(rank, j, steps)| Writer { rank, j, steps });
    let waiter = (0u8..4, vec(0u8..10, 1..=2), vec(qstep_s(now_terms), 1..=4))
        .prop_map(|(rank, copies, steps)| Waiter { rank, copies, steps });
    let until =
        (0u8..4, 0u8..10, option::of(delay_s()), times_s(1, 2, 20, 80), cond_s(now_terms), vec(delay_s(), 0..=4))
            .prop_map(|(rank, j, lead, rounds, cond, body)| UntilP { rank, j, lead, rounds, cond, body });
    (
        (vec(-2i8..6, 1..=5), vec(-2i8..6, 1..=5), vec(-2i8..6, 1..=4), -2i8..4, 0u8..10),
        vec(writer, 1..=3),
        vec(waiter, 1..=3),
        vec(until, 0..=2),
        prop::bool::weighted(0.3),
    )
        .prop_map(|((a, b, f, s, p), writers, waiters, untils, closer)| Model {
            a,
            b,
            f,
            s,
            p,
            writers,
            waiters,
            untils,
            closer,
        })
}

// ---------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------

/// The first line where two outputs differ, numbered from 1.
fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for k in 0..e.len().max(a.len()) {
        if e.get(k) != a.get(k) {
            return format!(
                "line {}: expected {:?}, got {:?}",
                k + 1,
                e.get(k).copied().unwrap_or("(nothing)"),
                a.get(k).copied().unwrap_or("(nothing)")
            );
        }
    }
    "none".into()
}

fn rule() -> Rule {
    match std::env::var("ARRAY_FUZZ_RULE").as_deref() {
        Ok("whole") => Rule::Whole,
        _ => Rule::Element,
    }
}

/// What one passing model did, for the tally.
struct Summary {
    events: u64,
    /// Whether the model's expected output differs between the two rules.
    granular: bool,
    waiting: usize,
    longest: usize,
}

/// `Ok(None)`: the model is skipped (an int overflowed in the Rust model).
fn check_model(m: &Model) -> Result<Option<Summary>, String> {
    let built = build(m);
    let Ok(expected) = simulate(m, &built, rule()) else { return Ok(None) };
    let seen = |rule| simulate(m, &built, rule).ok().map(|e| (e.output, e.events, e.end_time, e.waiting));
    let granular = seen(Rule::Whole) != seen(Rule::Element);
    let text = built.text.clone();
    let (output, outcome) = support::isolated(move || {
        let (compiled, _warnings) =
            guard("compile", || compile_source(&text, &[], false))?.map_err(describe_failure)?;
        let program = compiled.program();
        let sink = SharedBuffer::default();
        let config = run_config(&sink);
        let outcome = guard("run", || run(program, config))?;
        let output = String::from_utf8(sink.bytes()).map_err(|_| "[bad-output] the output is not UTF-8".to_string())?;
        Ok((output, outcome))
    })?;
    let waiting: Vec<(String, String, f64)> =
        outcome.waiting.iter().map(|w| (w.process.clone(), w.on.clone(), w.since)).collect();
    let both = || {
        format!(
            "--- expected output\n{}--- actual output\n{}--- expected: events {}, end {}, waiting {:?}\n--- actual: events {}, end {}, waiting {:?}",
            expected.output,
            output,
            expected.events,
            expected.end_time,
            expected.waiting,
            outcome.events,
            outcome.end_time,
            waiting
        )
    };
    if let Some(e) = &outcome.error {
        return Err(format!("[runtime-error] {e:?}\n{}", both()));
    }
    if let Some(a) = &outcome.audit {
        return Err(format!("[audit] {a}\n{}", both()));
    }
    if outcome.stopped {
        return Err(format!("[stopped] the run says it ended by stop\n{}", both()));
    }
    let tag = if granular { " (depends on the element rule)" } else { "" };
    if output != expected.output {
        return Err(format!(
            "[output-mismatch{tag}] first difference at {}\n{}",
            first_difference(&expected.output, &output),
            both()
        ));
    }
    if waiting != expected.waiting {
        return Err(format!("[waiting-mismatch{tag}]\n{}", both()));
    }
    if outcome.events != expected.events {
        return Err(format!("[events-mismatch{tag}]\n{}", both()));
    }
    if outcome.end_time != expected.end_time {
        return Err(format!("[end-time-mismatch{tag}]\n{}", both()));
    }
    Ok(Some(Summary { events: outcome.events, granular, waiting: waiting.len(), longest: expected.longest }))
}

// ---------------------------------------------------------------------------
// Minimizing a failure
// ---------------------------------------------------------------------------

fn cond_children(c: &Cond) -> Vec<Cond> {
    match c {
        Cond::I(..) | Cond::F(..) => Vec::new(),
        Cond::And(x, y) | Cond::Or(x, y) => vec![(**x).clone(), (**y).clone()],
        Cond::Not(x) => vec![(**x).clone()],
        Cond::NowOr(x, _) | Cond::NowAnd(x, _) => vec![(**x).clone()],
    }
}

fn without<T: Clone>(xs: &[T], k: usize) -> Vec<T> {
    let mut v = xs.to_vec();
    v.remove(k);
    v
}

fn model_variants(m: &Model) -> Vec<Model> {
    let mut out = Vec::new();
    if m.closer {
        out.push(Model { closer: false, ..m.clone() });
    }
    for k in 0..m.writers.len() {
        out.push(Model { writers: without(&m.writers, k), ..m.clone() });
    }
    for k in 0..m.waiters.len() {
        out.push(Model { waiters: without(&m.waiters, k), ..m.clone() });
    }
    for k in 0..m.untils.len() {
        out.push(Model { untils: without(&m.untils, k), ..m.clone() });
    }
    for (k, w) in m.writers.iter().enumerate() {
        for i in 0..w.steps.len() {
            let mut c = m.clone();
            c.writers[k].steps.remove(i);
            out.push(c);
        }
    }
    for (k, w) in m.waiters.iter().enumerate() {
        if w.copies.len() > 1 {
            let mut c = m.clone();
            c.waiters[k].copies.pop();
            out.push(c);
        }
        for i in 0..w.steps.len() {
            let mut c = m.clone();
            c.waiters[k].steps.remove(i);
            out.push(c);
            if let QStep::Select(cond, _) = &w.steps[i] {
                let mut c = m.clone();
                c.waiters[k].steps[i] = QStep::Await(cond.clone());
                out.push(c);
            }
            if let QStep::Loop(times, cond, d) = &w.steps[i] {
                let mut c = m.clone();
                c.waiters[k].steps[i] = QStep::Await(cond.clone());
                out.push(c);
                if *times > 1 || d.is_some() {
                    let mut c = m.clone();
                    c.waiters[k].steps[i] = QStep::Loop(1, cond.clone(), None);
                    out.push(c);
                }
            }
        }
    }
    for (k, u) in m.untils.iter().enumerate() {
        for i in 0..u.body.len() {
            let mut c = m.clone();
            c.untils[k].body.remove(i);
            out.push(c);
        }
        if u.rounds > 1 || u.lead.is_some() {
            let mut c = m.clone();
            c.untils[k].rounds = 1;
            c.untils[k].lead = None;
            out.push(c);
        }
    }
    let n = m.clone().conds_mut().len();
    for i in 0..n {
        let cond = m.clone().conds_mut()[i].clone();
        for child in cond_children(&cond) {
            let mut c = m.clone();
            *c.conds_mut()[i] = child;
            out.push(c);
        }
    }
    if m.has_now() {
        // Does it fail the same way without the granularity variant?
        let mut c = m.clone();
        for cond in c.conds_mut() {
            *cond = strip_now(cond);
        }
        out.push(c);
    }
    for (arr, len) in [(Arr::A, m.a.len()), (Arr::B, m.b.len()), (Arr::F, m.f.len())] {
        if len > 1 {
            let mut c = m.clone();
            match arr {
                Arr::A => c.a.pop(),
                Arr::B => c.b.pop(),
                Arr::F => c.f.pop(),
            };
            out.push(c);
        }
    }
    out
}

fn minimize(m: Model, cat: &str) -> (Model, String) {
    support::shrink(m, cat, model_variants, check_model)
}

// ---------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------

#[test]
fn array_elements_and_their_watchers_agree_with_a_rust_model() {
    let show = std::env::var("ARRAY_FUZZ_SHOW").is_ok_and(|v| v == "1");
    let now_terms = !std::env::var("ARRAY_FUZZ_NOW").is_ok_and(|v| v == "0");
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    #[derive(Default)]
    struct Tally {
        passed: u64,
        skipped: u64,
        events: u64,
        granular: u64,
        with_now: u64,
        waiting: u64,
        long_lists: u64,
        bytes: usize,
    }
    let tally: Mutex<Tally> = Mutex::default();
    let started = Instant::now();
    let result = runner.run(&model_s(now_terms), |model| {
        let text = build(&model).text;
        if show {
            eprintln!("-----\n{text}");
        }
        match check_model(&model) {
            Ok(Some(s)) => {
                let mut t = tally.lock().unwrap();
                t.passed += 1;
                t.events += s.events;
                t.granular += u64::from(s.granular);
                t.with_now += u64::from(model.has_now());
                t.waiting += s.waiting as u64;
                t.long_lists += u64::from(s.longest >= 64);
                t.bytes += text.len();
                Ok(())
            }
            Ok(None) => {
                tally.lock().unwrap().skipped += 1;
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    let t = tally.lock().unwrap();
    let mut summary = String::new();
    write!(
        summary,
        "array_fuzz: {} passing models in {:.1?} ({} source bytes, {} events, {} left waiting in all); \
         {} with `now` terms, {} whose output depends on the element rule, {} with a watch list of 64 entries; \
         {} skipped (int overflow); rule {:?}",
        t.passed,
        started.elapsed(),
        t.bytes,
        t.events,
        t.waiting,
        t.with_now,
        t.granular,
        t.long_lists,
        t.skipped,
        rule()
    )
    .unwrap();
    eprintln!("{summary}");
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, model)) => {
            let reason = reason.to_string();
            let cat = category(&reason).to_string();
            eprintln!("array_fuzz: failing model (shrunk by proptest):\n{}\n{reason}\n", build(&model).text);
            let (small, message) = minimize(model, &cat);
            panic!(
                "a model disagrees with the Rust model of its array operations; minimized:\n{}\n{message}",
                build(&small).text
            );
        }
        Err(e) => panic!("{e}"),
    }
}

/// The element rule on a hand-written model: the write to `a[1]` at time 5
/// re-checks the waiters' `a[2] >= 5 || now >= 4.0` only under the
/// whole-array rule; the Rust model predicts what docs/ordering.md says
/// about ties and wake order, and the compiled model agrees with it.
#[test]
fn the_rust_model_follows_the_documented_order() {
    let lit = Idx::Lit;
    let m = Model {
        a: vec![0, 0, 0],
        b: vec![0],
        f: vec![0],
        s: 0,
        p: 0,
        writers: vec![Writer {
            rank: 1,
            j: 0,
            steps: vec![
                WStep::Delay(5),
                WStep::Store(Arr::A, lit(1), AOp::Set, IExpr::Lit(1)),
                WStep::Delay(0),
                WStep::Store(Arr::A, lit(2), AOp::Add, IExpr::Lit(5)),
            ],
        }],
        waiters: vec![Waiter {
            rank: 0,
            copies: vec![0, 1],
            steps: vec![QStep::Await(Cond::NowOr(Box::new(Cond::I(0, IExpr::Elem(Arr::A, lit(2)), IExpr::Lit(5))), 4))],
        }],
        untils: vec![UntilP {
            rank: 0,
            j: 1,
            lead: None,
            rounds: 1,
            cond: Cond::I(0, IExpr::Elem(Arr::A, Idx::Param), IExpr::Lit(1)),
            body: vec![5, 5],
        }],
        closer: false,
    };
    let built = build(&m);
    let element = simulate(&m, &built, Rule::Element).unwrap();
    let whole = simulate(&m, &built, Rule::Whole).unwrap();
    let text = built.text;
    let expect = |release: &str| {
        format!(
            "0 q1 starts\n0 q1.0 awaits\n0 q2 starts\n0 q2.0 awaits\n0 u3 starts\n0 u3 enters\n0 u3 tick 0\n0 w4 starts\n\
             5 u3 tick 1\n5 w4.1 a=[0, 1, 0] b=[0] f=[0] s=0\n\
             {release}"
        )
    };
    let woke = |k: u8| format!("5 q{k}.0 woke a=[0, 1, 5] b=[0] f=[0] s=0\n");
    // Element rule: only the whole-array watch of `u3` (`a[j % NA]`) sees
    // the write to a[1], which releases it ahead of `w4`'s delay(0); the
    // waiters are released by the write to a[2] after that delay, in the
    // order they began to wait.
    let u3 = "5 u3 after a=[0, 1, 0] b=[0] f=[0] s=0\n";
    assert_eq!(
        element.output,
        expect(&format!("{u3}5 w4.3 a=[0, 1, 5] b=[0] f=[0] s=0\n{}{}", woke(1), woke(2))),
        "{text}"
    );
    // Whole rule: the write to a[1] releases q1 and q2 (now >= 4) before u3.
    let early = |k: u8| format!("5 q{k}.0 woke a=[0, 1, 0] b=[0] f=[0] s=0\n");
    assert_eq!(
        whole.output,
        expect(&format!("{}{}{u3}5 w4.3 a=[0, 1, 5] b=[0] f=[0] s=0\n", early(1), early(2))),
        "{text}"
    );
    assert!(element.waiting.is_empty() && whole.waiting.is_empty());
    if let Err(e) = check_model(&m) {
        panic!("the compiled model disagrees (rule {:?}):\n{text}\n{e}", rule());
    }
}
