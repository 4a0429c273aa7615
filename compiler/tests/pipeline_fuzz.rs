//! Structural property test of the whole pipeline: random, well-typed usim
//! *models* (not just expressions) are rendered to source, compiled
//! (parse -> check -> lower -> Cranelift) and run on the simulated-time
//! runtime.
//!
//! A model has a fixed set of globals (`param`s, a `const`, a `struct Pt`,
//! `var` ints/floats/bools, arrays, an array whose length is a param, an array
//! of structs), 0–2 `fn`s (one possibly recursive, one possibly spawning a
//! process) and 1–4 processes (`main` plus up to three that it, and each
//! other, spawn in index order so spawning can never recurse), and ends with
//! `run main() until H` (sometimes with extra roots). Bodies are drawn from
//! `let` (all types, sometimes shadowing a local or a global), assignment and
//! compound assignment to locals, globals, struct fields and array elements
//! (in-bounds and sometimes out-of-bounds runtime indexes), `if / else if /
//! else`, counter-bounded `while`, `loop` + `break`, `every P { .. break
//! after k }`, `for i in a..b` (bounded), `for x in array`, `break`,
//! `continue`, `scope { spawn .. }`, `spawn p(..)`, `let h = spawn q(..)`,
//! `await h` (as a statement, in a `let`, in `x += await h`, in `return await
//! h`), `await spawn`, `cancel h`, `await delay(d)` (d sometimes 0, negative
//! or computed), `await at(now + d)`, `await instant`, `print` with
//! interpolation, `{x:.N}` and escapes, rare `fail` and `stop`, `return`,
//! `fn` calls (a bounded recursive one, and rarely one deep enough to hit the
//! call-depth limit), math and random built-ins with valid and occasionally
//! invalid arguments. Every loop is bounded by a counter (or a range/array),
//! so every model terminates; an `every` also advances time.
//!
//! The model is a small AST of this file's own. Expressions refer to
//! variables by an abstract number that is resolved while rendering against
//! what is in scope there (globals always are), so deleting any statement still
//! renders a well-typed model; proptest's shrinking and a final statement-level
//! minimizer both rely on that.
//!
//! Properties, per model:
//! 1. compiling never panics and never reports an error (warnings are fine);
//! 2. running never panics or hangs, and ends at the horizon, by `stop` or with
//!    a runtime error whose span lies inside the source (and times are within
//!    the horizon);
//! 3. the IR text of two compilations is identical, two runs of one compiled
//!    program with the same seed agree byte for byte (output, events, end
//!    time, error, waiting, globals), and so does a run of a second
//!    compilation;
//! 4. `TieOrder::Random` with a seed is also deterministic across two runs;
//! 5. (metamorphic) the same model with an unused local of a varying type at
//!    the start of every block and every other statement wrapped in
//!    `if true { }` behaves identically (same output, events, end, error
//!    message, time and process, globals), which catches miscompiles that
//!    depend on frame layout or block structure. Runs that hit the `fn`
//!    call-depth limit are exempt: bigger frames reach it sooner, by design;
//! 6. a run with a later horizon continues the run: its output starts with the
//!    shorter run's output (and it has at least as many events), and a run
//!    that ended by `stop` or an error is the same run.
//!
//! A failure prints the model as proptest shrank it, then a further
//! statement-level minimization that keeps the failure's `[category]`.
//!
//! `PROPTEST_CASES` sets the number of models (default 48),
//! `PROPTEST_RNG_SEED` fixes proptest's seed, `PIPELINE_FUZZ_DEPTH` how deep
//! statements nest (default 2), and `PIPELINE_FUZZ_SHOW=1` prints every
//! generated model to stderr.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use support::{cases, category, describe_failure, guard, run_config};

use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use usim_compiler::{compile_source, lower_source};
use usim_runtime::{run, RunConfig, RunOutcome, SharedBuffer, TieOrder};

// ---------------------------------------------------------------------------
// The model AST
// ---------------------------------------------------------------------------

/// The value types a model uses: `Pt` is `struct Pt { x: int, y: float, v:
/// [int; 4] }`; `IArr` is `[int; 4]`, `FArr` `[float; 3]`, `PArr` `[Pt; 2]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int,
    Float,
    Bool,
    Pt,
    IArr,
    FArr,
    PArr,
}

const ALL_TYS: [Ty; 7] = [Ty::Int, Ty::Float, Ty::Bool, Ty::Pt, Ty::IArr, Ty::FArr, Ty::PArr];

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Float => "float",
            Ty::Bool => "bool",
            Ty::Pt => "Pt",
            Ty::IArr => "[int; 4]",
            Ty::FArr => "[float; 3]",
            Ty::PArr => "[Pt; 2]",
        }
    }

    fn index(self) -> usize {
        ALL_TYS.iter().position(|&t| t == self).unwrap()
    }

    /// The element type and length of an array type.
    fn elem(self) -> Option<(Ty, usize)> {
        match self {
            Ty::IArr => Some((Ty::Int, 4)),
            Ty::FArr => Some((Ty::Float, 3)),
            Ty::PArr => Some((Ty::Pt, 2)),
            _ => None,
        }
    }

    /// The mutable global of this type (what a shadowing `let` hides).
    fn global(self) -> &'static str {
        match self {
            Ty::Int => "g_i",
            Ty::Float => "g_f",
            Ty::Bool => "g_b",
            Ty::Pt => "g_p",
            Ty::IArr => "g_a",
            Ty::FArr => "g_fa",
            Ty::PArr => "g_ps",
        }
    }
}

/// An array index. Which array it indexes (and so its length) is known only
/// when the reference is resolved.
#[derive(Clone, Debug)]
enum Idx {
    /// `k % len`: in bounds.
    Lit(u8),
    /// `randint(0, len - 1)`: in bounds.
    Rand,
    /// `randint(0, len)`: out of bounds now and then.
    MaybeOob,
    /// `(e) % len`: out of bounds when `e` is negative.
    Wild(Box<Expr>),
}

/// Whether the checker can compute `e` (literals and arithmetic on them).
fn is_constant(e: &Expr) -> bool {
    match e {
        Expr::Int(_) | Expr::Float(_) | Expr::Bool(_) => true,
        Expr::Neg(a) | Expr::Not(a) => is_constant(a),
        Expr::Bin(_, a, b) | Expr::Rel(_, a, b) => is_constant(a) && is_constant(b),
        _ => false,
    }
}

#[derive(Clone, Debug)]
enum Expr {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A readable place of this type in scope, chosen by number: a variable, a
    /// field, an array element.
    Ref(Ty, u8, Idx),
    Now,
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
    /// `&&`, `||` and comparisons too.
    Rel(&'static str, Box<Expr>, Box<Expr>),
    /// A built-in function.
    Call(&'static str, Vec<Expr>),
    /// A user `fn`, by index.
    Fn(usize, Vec<Expr>),
    /// `.x`, `.y` or `.v` of a struct value.
    Field(Box<Expr>, &'static str),
    /// `(array)[idx]` with the array's length.
    Elem(Box<Expr>, Idx, usize),
    Len(Box<Expr>),
    LenN,
    StructLit(Box<Expr>, Box<Expr>, Box<Expr>),
    ArrLit(Vec<Expr>),
    Repeat(Box<Expr>, usize),
}

/// A duration (for `delay`, `at(now + d)` and `every`).
#[derive(Clone, Debug)]
enum Dur {
    Lit(f64),
    IntLit(u8),
    Zero,
    Neg(f64),
    Uniform,
    Exponential,
    Abs(Expr),
    Raw(Expr),
}

/// A bound of `for i in a..b`, always small.
#[derive(Clone, Debug)]
enum Bound {
    Lit(i8),
    N,
    K,
    Len,
    LenN,
    /// `min(max(e, -2), 5)`
    Clamp(Expr),
}

#[derive(Clone, Debug)]
enum Piece {
    Text(&'static str),
    Val(Expr),
    /// `{e:.N}` of a float.
    Fmt(Expr, u8),
}

#[derive(Clone, Debug)]
enum LetName {
    Fresh,
    /// Reuse the name of a visible local, parameter, loop variable or handle
    /// (a new local hides it).
    Shadow(u8),
    /// The name of the global of the same type (warning W0001).
    Global,
}

#[derive(Clone, Debug)]
enum AwaitHow {
    Stmt,
    Let,
    /// `place = await h` / `place += await h`.
    Assign(u8),
}

#[derive(Clone, Debug)]
enum ForSrc {
    /// An array expression of the given array type.
    Arr(Ty, Expr),
    /// `g_n`, whose length is the param `N`.
    GN,
}

#[derive(Clone, Debug)]
enum Stmt {
    Let { name: LetName, annotate: bool, ty: Ty, init: Expr },
    Assign { ty: Ty, k: u8, idx: Idx, op: &'static str, value: Expr },
    If { arms: Vec<(Expr, Vec<Stmt>)>, els: Option<Vec<Stmt>> },
    While { bound: u8, extra: Option<Expr>, body: Vec<Stmt> },
    For { lo: Bound, hi: Bound, body: Vec<Stmt> },
    ForIn { src: ForSrc, body: Vec<Stmt> },
    Loop { bound: u8, body: Vec<Stmt> },
    Every { period: Dur, bound: u8, body: Vec<Stmt> },
    Scope(Vec<Stmt>),
    Break,
    Continue,
    Spawn { proc: usize, args: Vec<Expr>, bind: bool },
    AwaitSpawn { proc: usize, args: Vec<Expr>, bind: bool },
    Await { h: u8, how: AwaitHow },
    Cancel { h: u8 },
    Delay(Dur),
    At(Dur),
    Instant,
    Print(Vec<Piece>),
    Fail(Vec<Piece>),
    Stop,
    Return { value: Option<Expr>, via: Option<u8> },
    CallFn { f: usize, args: Vec<Expr> },
}

impl Stmt {
    fn blocks(&self) -> Vec<&Vec<Stmt>> {
        match self {
            Stmt::If { arms, els } => arms.iter().map(|(_, b)| b).chain(els.iter()).collect(),
            Stmt::While { body, .. }
            | Stmt::For { body, .. }
            | Stmt::ForIn { body, .. }
            | Stmt::Loop { body, .. }
            | Stmt::Every { body, .. }
            | Stmt::Scope(body) => vec![body],
            _ => vec![],
        }
    }

    fn blocks_mut(&mut self) -> Vec<&mut Vec<Stmt>> {
        match self {
            Stmt::If { arms, els } => arms.iter_mut().map(|(_, b)| b).chain(els.iter_mut()).collect(),
            Stmt::While { body, .. }
            | Stmt::For { body, .. }
            | Stmt::ForIn { body, .. }
            | Stmt::Loop { body, .. }
            | Stmt::Every { body, .. }
            | Stmt::Scope(body) => vec![body],
            _ => vec![],
        }
    }
}

/// The signature of a `fn` or process. A recursive `fn` takes its depth as
/// the first (int) parameter and returns an int or a float.
#[derive(Clone, Debug)]
struct Sig {
    params: Vec<Ty>,
    ret: Option<Ty>,
    recursive: bool,
}

#[derive(Clone, Debug)]
struct Shape {
    fns: Vec<Sig>,
    /// `procs[0]` is `main`.
    procs: Vec<Sig>,
    /// The one `fn` allowed to spawn the last process; the last process may
    /// only call the `fn`s before it (so spawning never recurses).
    spawning_fn: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Fn(usize),
    Proc(usize),
}

impl Shape {
    fn sig(&self, item: Item) -> &Sig {
        match item {
            Item::Fn(i) => &self.fns[i],
            Item::Proc(i) => &self.procs[i],
        }
    }

    fn callable_fns(&self, item: Item) -> Vec<usize> {
        match item {
            Item::Fn(i) => (0..i).collect(),
            Item::Proc(p) if p > 0 && p == self.procs.len() - 1 => {
                (0..self.spawning_fn.unwrap_or(self.fns.len())).collect()
            }
            Item::Proc(_) => (0..self.fns.len()).collect(),
        }
    }

    fn spawnable(&self, item: Item) -> Vec<usize> {
        match item {
            Item::Proc(p) => (p + 1..self.procs.len()).collect(),
            Item::Fn(i) if self.spawning_fn == Some(i) => vec![self.procs.len() - 1],
            Item::Fn(_) => vec![],
        }
    }
}

#[derive(Clone, Debug)]
struct ItemDef {
    body: Vec<Stmt>,
    /// The final `return` value of an item with a result type.
    ret: Option<Expr>,
    /// A recursive fn: `if depth <= 0 { return base }` first, and
    /// `return f(depth - 1, args) <op> extra` last.
    rec: Option<(Expr, Vec<Expr>, Expr)>,
}

#[derive(Clone, Debug)]
struct Globals {
    n: i64,
    rate: f64,
    flag: bool,
    gi: i64,
    gf: f64,
    ga: Vec<i64>,
    gfa: Vec<i64>,
    gp: (i64, f64),
    int_fa: bool,
}

#[derive(Clone, Debug)]
struct Model {
    shape: Arc<Shape>,
    globals: Globals,
    fns: Vec<ItemDef>,
    procs: Vec<ItemDef>,
    /// The horizon: a literal or `RATE * 4.0`.
    horizon: Option<f64>,
    /// Extra roots after `main()`: a process and constant arguments.
    roots: Vec<(usize, Vec<Expr>)>,
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

fn int_lit(v: i64) -> String {
    if v == i64::MIN {
        "(-9223372036854775807 - 1)".into()
    } else if v < 0 {
        format!("({v})")
    } else {
        v.to_string()
    }
}

fn float_lit(v: f64) -> String {
    let s = format!("{:?}", v.abs());
    if v.is_sign_negative() {
        format!("(-{s})")
    } else {
        s
    }
}

#[derive(Clone, Copy, Debug)]
enum Len {
    Fixed(usize),
    N,
}

struct Cand {
    /// With `#` where the index goes, when `len` is set.
    text: String,
    len: Option<Len>,
}

#[derive(Clone, Debug)]
enum Kind {
    Val(Ty),
    Handle(usize),
}

#[derive(Clone, Debug)]
struct Local {
    name: String,
    kind: Kind,
    mutable: bool,
}

const GLOBALS: [(&str, Ty, bool); 11] = [
    ("g_i", Ty::Int, true),
    ("g_f", Ty::Float, true),
    ("g_b", Ty::Bool, true),
    ("g_a", Ty::IArr, true),
    ("g_fa", Ty::FArr, true),
    ("g_p", Ty::Pt, true),
    ("g_ps", Ty::PArr, true),
    ("N", Ty::Int, false),
    ("K", Ty::Int, false),
    ("RATE", Ty::Float, false),
    ("FLAG", Ty::Bool, false),
];

struct Render<'m> {
    m: &'m Model,
    /// Put an unused local at the start of every block (a metamorphic
    /// variant: it changes the frame layout, never the behaviour).
    pad: bool,
    pads: usize,
    out: String,
    indent: usize,
    scopes: Vec<Vec<Local>>,
    next: usize,
    item: Item,
}

impl<'m> Render<'m> {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn declare(&mut self, name: String, kind: Kind, mutable: bool) {
        self.scopes.last_mut().unwrap().push(Local { name, kind, mutable });
    }

    /// Locals in scope, innermost and latest first, hidden ones left out.
    fn visible(&self) -> Vec<Local> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for scope in self.scopes.iter().rev() {
            for l in scope.iter().rev() {
                if seen.insert(l.name.clone()) {
                    out.push(l.clone());
                }
            }
        }
        out
    }

    fn candidates(&self, want: Ty, mutable_only: bool) -> Vec<Cand> {
        let locals = self.visible();
        let hidden: HashSet<&str> = locals.iter().map(|l| l.name.as_str()).collect();
        let mut bases: Vec<(String, Ty, bool)> =
            GLOBALS.iter().filter(|(n, _, _)| !hidden.contains(n)).map(|&(n, t, m)| (n.to_string(), t, m)).collect();
        for l in &locals {
            if let Kind::Val(t) = l.kind {
                bases.push((l.name.clone(), t, l.mutable));
            }
        }
        let mut out = Vec::new();
        let mut push = |text: String, len: Option<Len>| out.push(Cand { text, len });
        if want == Ty::Int && !hidden.contains("g_n") {
            push("g_n[#]".into(), Some(Len::N));
        }
        for (name, t, m) in bases {
            if mutable_only && !m {
                continue;
            }
            if t == want {
                push(name.clone(), None);
            }
            let four = Some(Len::Fixed(4));
            match (t, want) {
                (Ty::Pt, Ty::Int) => {
                    push(format!("{name}.x"), None);
                    push(format!("{name}.v[#]"), four);
                }
                (Ty::Pt, Ty::Float) => push(format!("{name}.y"), None),
                (Ty::Pt, Ty::IArr) => push(format!("{name}.v"), None),
                (Ty::IArr, Ty::Int) => push(format!("{name}[#]"), four),
                (Ty::FArr, Ty::Float) => push(format!("{name}[#]"), Some(Len::Fixed(3))),
                (Ty::PArr, Ty::Pt) => push(format!("{name}[#]"), Some(Len::Fixed(2))),
                (Ty::PArr, Ty::Int) => push(format!("{name}[#].x"), Some(Len::Fixed(2))),
                (Ty::PArr, Ty::Float) => push(format!("{name}[#].y"), Some(Len::Fixed(2))),
                (Ty::PArr, Ty::IArr) => push(format!("{name}[#].v"), Some(Len::Fixed(2))),
                _ => {}
            }
        }
        out
    }

    fn resolve(&mut self, want: Ty, k: u8, idx: &Idx, mutable_only: bool) -> String {
        let cands = self.candidates(want, mutable_only);
        let c = &cands[k as usize % cands.len()];
        match c.len {
            None => c.text.clone(),
            Some(len) => {
                let text = c.text.clone();
                let i = self.index(idx, len);
                text.replace('#', &i)
            }
        }
    }

    fn index(&mut self, idx: &Idx, len: Len) -> String {
        let (n, upper) = match len {
            Len::Fixed(n) => (n as i64, n.to_string()),
            Len::N => (self.m.globals.n, "N".to_string()),
        };
        match idx {
            Idx::Lit(k) => (*k as i64 % n).to_string(),
            Idx::Rand => format!("randint(0, {upper} - 1)"),
            Idx::MaybeOob => format!("randint(0, {upper})"),
            // A constant index out of bounds is a compile error (E0228), so a
            // constant one gets a non-constant `+ g_i * 0` to stay a runtime check.
            Idx::Wild(e) if is_constant(e) => format!("{} % {upper} + g_i * 0", self.paren(e)),
            Idx::Wild(e) => format!("{} % {upper}", self.paren(e)),
        }
    }

    fn paren(&mut self, e: &Expr) -> String {
        let s = self.expr(e);
        match e {
            Expr::Bin(..) | Expr::Rel(..) | Expr::Neg(_) | Expr::Not(_) => format!("({s})"),
            _ => s,
        }
    }

    /// An expression followed by `.field`, `[i]` or `.len()`.
    fn postfix_base(&mut self, e: &Expr) -> String {
        let s = self.expr(e);
        match e {
            Expr::Ref(..) | Expr::Fn(..) | Expr::Call(..) | Expr::Field(..) | Expr::Elem(..) => s,
            _ => format!("({s})"),
        }
    }

    fn list(&mut self, es: &[Expr]) -> String {
        es.iter().map(|e| self.expr(e)).collect::<Vec<_>>().join(", ")
    }

    fn current_fn_name(&self) -> String {
        match self.item {
            Item::Fn(i) => format!("f{i}"),
            Item::Proc(_) => unreachable!("only a fn recurses"),
        }
    }

    fn expr(&mut self, e: &Expr) -> String {
        match e {
            Expr::Int(v) => int_lit(*v),
            Expr::Float(v) => float_lit(*v),
            Expr::Bool(b) => b.to_string(),
            Expr::Ref(t, k, idx) => self.resolve(*t, *k, idx, false),
            Expr::Now => "now".into(),
            Expr::Neg(a) => format!("-{}", self.paren(a)),
            Expr::Not(a) => format!("!{}", self.paren(a)),
            Expr::Bin(op, a, b) | Expr::Rel(op, a, b) => {
                let a = self.paren(a);
                let b = self.paren(b);
                format!("{a} {op} {b}")
            }
            Expr::Call(name, args) => format!("{name}({})", self.list(args)),
            Expr::Fn(j, args) => format!("f{j}({})", self.list(args)),
            Expr::Field(a, f) => format!("{}.{f}", self.postfix_base(a)),
            Expr::Elem(a, idx, len) => {
                let a = self.postfix_base(a);
                let i = self.index(idx, Len::Fixed(*len));
                format!("{a}[{i}]")
            }
            Expr::Len(a) => format!("{}.len()", self.postfix_base(a)),
            Expr::LenN => "g_n.len()".into(),
            Expr::StructLit(x, y, v) => {
                format!("Pt {{ x: {}, y: {}, v: {} }}", self.expr(x), self.expr(y), self.expr(v))
            }
            Expr::ArrLit(items) => format!("[{}]", self.list(items)),
            Expr::Repeat(a, n) => format!("[{}; {n}]", self.expr(a)),
        }
    }

    fn dur(&mut self, d: &Dur) -> String {
        match d {
            Dur::Lit(v) => float_lit(*v),
            Dur::IntLit(v) => v.to_string(),
            Dur::Zero => "0.0".into(),
            Dur::Neg(v) => float_lit(-v.abs()),
            Dur::Uniform => "uniform(0.0, 2.0)".into(),
            Dur::Exponential => "exponential(1.5)".into(),
            Dur::Abs(e) => format!("abs({})", self.expr(e)),
            Dur::Raw(e) => self.expr(e),
        }
    }

    fn bound(&mut self, b: &Bound) -> String {
        match b {
            Bound::Lit(v) => int_lit(*v as i64),
            Bound::N => "N".into(),
            Bound::K => "K".into(),
            Bound::Len => "g_a.len()".into(),
            Bound::LenN => "g_n.len()".into(),
            Bound::Clamp(e) => format!("min(max({}, -2), 5)", self.expr(e)),
        }
    }

    fn text(&mut self, pieces: &[Piece]) -> String {
        let mut s = String::new();
        for p in pieces {
            match p {
                Piece::Text(t) => s.push_str(t),
                Piece::Val(e) => {
                    let _ = write!(s, "{{{}}}", self.expr(e));
                }
                Piece::Fmt(e, n) => {
                    let _ = write!(s, "{{{}:.{n}}}", self.expr(e));
                }
            }
        }
        s
    }

    fn handles(&self) -> Vec<(String, usize)> {
        self.visible()
            .into_iter()
            .filter_map(|l| match l.kind {
                Kind::Handle(j) => Some((l.name, j)),
                Kind::Val(_) => None,
            })
            .collect()
    }

    fn block(&mut self, stmts: &[Stmt]) {
        self.open_block(stmts);
        self.scopes.pop();
    }

    /// Renders a block's statements in a new scope and leaves it open.
    fn open_block(&mut self, stmts: &[Stmt]) {
        self.scopes.push(Vec::new());
        if self.pad {
            self.pads += 1;
            let n = self.pads;
            let value = match n % 4 {
                0 => format!("{n}"),
                1 => format!("[{n}.5; 3]"),
                2 => format!("Pt {{ x: {n}, y: 0.25, v: [{n}; 4] }}"),
                _ => "true".to_string(),
            };
            self.line(&format!("let pad{n} = {value}"));
        }
        for s in stmts {
            self.stmt(s);
        }
    }

    fn open(&mut self, head: &str, body: &[Stmt]) {
        self.line(&format!("{head} {{"));
        self.indent += 1;
        self.block(body);
        self.indent -= 1;
        self.line("}");
    }

    /// `head { c += 1; if c > bound { break }; body }` after `let c = 0`.
    fn counted(&mut self, head: &str, bound: u8, body: &[Stmt]) {
        let c = self.fresh("c");
        self.line(&format!("let {c} = 0"));
        self.line(&format!("{head} {{"));
        self.indent += 1;
        self.line(&format!("{c} += 1"));
        self.line(&format!("if {c} > {bound} {{"));
        self.line("    break");
        self.line("}");
        self.block(body);
        self.indent -= 1;
        self.line("}");
    }

    fn spawn_text(&mut self, proc: usize, args: &[Expr]) -> String {
        let args = self.list(args);
        format!("spawn {}({args})", proc_name(proc))
    }

    fn stmt(&mut self, s: &Stmt) {
        // The padded variant also wraps every other statement that declares
        // nothing in `if true { }`.
        let declares = matches!(
            s,
            Stmt::Let { .. } | Stmt::Spawn { bind: true, .. } | Stmt::AwaitSpawn { .. } | Stmt::Await { .. }
        );
        if self.pad && !declares {
            self.pads += 1;
            if self.pads.is_multiple_of(2) {
                self.line("if true {");
                self.indent += 1;
                self.stmt_inner(s);
                self.indent -= 1;
                self.line("}");
                return;
            }
        }
        self.stmt_inner(s);
    }

    fn stmt_inner(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { name, annotate, ty, init } => {
                let init = self.expr(init);
                let name = match name {
                    LetName::Fresh => self.fresh("v"),
                    LetName::Global => ty.global().to_string(),
                    LetName::Shadow(k) => {
                        let lets: Vec<String> = self
                            .visible()
                            .into_iter()
                            .filter(|l| l.name != "depth" && !GLOBALS.iter().any(|(g, _, _)| *g == l.name))
                            .map(|l| l.name)
                            .collect();
                        if lets.is_empty() {
                            self.fresh("v")
                        } else {
                            lets[*k as usize % lets.len()].clone()
                        }
                    }
                };
                if *annotate {
                    self.line(&format!("let {name}: {} = {init}", ty.name()));
                } else {
                    self.line(&format!("let {name} = {init}"));
                }
                self.declare(name, Kind::Val(*ty), true);
            }
            Stmt::Assign { ty, k, idx, op, value } => {
                let place = self.resolve(*ty, *k, idx, true);
                let value = self.expr(value);
                self.line(&format!("{place} {op} {value}"));
            }
            Stmt::If { arms, els } => {
                for (i, (cond, body)) in arms.iter().enumerate() {
                    let cond = self.expr(cond);
                    if i == 0 {
                        self.line(&format!("if {cond} {{"));
                    } else {
                        self.indent -= 1;
                        self.line(&format!("}} else if {cond} {{"));
                    }
                    self.indent += 1;
                    self.block(body);
                }
                if let Some(body) = els {
                    self.indent -= 1;
                    self.line("} else {");
                    self.indent += 1;
                    self.block(body);
                }
                self.indent -= 1;
                self.line("}");
            }
            Stmt::While { bound, extra, body } => {
                let c = self.fresh("c");
                self.line(&format!("let {c} = 0"));
                let extra = extra.as_ref().map(|e| format!(" && {}", self.paren(e))).unwrap_or_default();
                self.line(&format!("while {c} < {bound}{extra} {{"));
                self.indent += 1;
                self.line(&format!("{c} += 1"));
                self.block(body);
                self.indent -= 1;
                self.line("}");
            }
            Stmt::For { lo, hi, body } => {
                let lo = self.bound(lo);
                let hi = self.bound(hi);
                let i = self.fresh("i");
                self.line(&format!("for {i} in {lo}..{hi} {{"));
                self.indent += 1;
                self.scopes.push(vec![Local { name: i, kind: Kind::Val(Ty::Int), mutable: false }]);
                self.block(body);
                self.scopes.pop();
                self.indent -= 1;
                self.line("}");
            }
            Stmt::ForIn { src, body } => {
                let (arr, elem) = match src {
                    ForSrc::Arr(t, e) => (self.expr(e), t.elem().unwrap().0),
                    ForSrc::GN => ("g_n".to_string(), Ty::Int),
                };
                let x = self.fresh("x");
                self.line(&format!("for {x} in {arr} {{"));
                self.indent += 1;
                self.scopes.push(vec![Local { name: x, kind: Kind::Val(elem), mutable: false }]);
                self.block(body);
                self.scopes.pop();
                self.indent -= 1;
                self.line("}");
            }
            Stmt::Loop { bound, body } => self.counted("loop", *bound, body),
            Stmt::Every { period, bound, body } => {
                let p = self.dur(period);
                self.counted(&format!("every {p}"), *bound, body);
            }
            Stmt::Scope(body) => self.open("scope", body),
            Stmt::Break => self.line("break"),
            Stmt::Continue => self.line("continue"),
            Stmt::Spawn { proc, args, bind } => {
                let text = self.spawn_text(*proc, args);
                if *bind {
                    let h = self.fresh("h");
                    self.line(&format!("let {h} = {text}"));
                    self.declare(h, Kind::Handle(*proc), true);
                } else {
                    self.line(&text);
                }
            }
            Stmt::AwaitSpawn { proc, args, bind } => {
                let text = self.spawn_text(*proc, args);
                match self.m.shape.procs[*proc].ret {
                    Some(t) if *bind => {
                        let r = self.fresh("r");
                        self.line(&format!("let {r} = await {text}"));
                        self.declare(r, Kind::Val(t), true);
                    }
                    _ => self.line(&format!("await {text}")),
                }
            }
            Stmt::Await { h, how } => {
                let hs = self.handles();
                if hs.is_empty() {
                    self.line("await instant");
                    return;
                }
                let (name, j) = hs[*h as usize % hs.len()].clone();
                match (self.m.shape.procs[j].ret, how) {
                    (Some(t), AwaitHow::Let) => {
                        let r = self.fresh("r");
                        self.line(&format!("let {r} = await {name}"));
                        self.declare(r, Kind::Val(t), true);
                    }
                    (Some(t), AwaitHow::Assign(k)) => {
                        let place = self.resolve(t, *k, &Idx::Lit(*k), true);
                        let op = if matches!(t, Ty::Int | Ty::Float) && k % 2 == 1 { "+=" } else { "=" };
                        self.line(&format!("{place} {op} await {name}"));
                    }
                    _ => self.line(&format!("await {name}")),
                }
            }
            Stmt::Cancel { h } => {
                let hs = self.handles();
                if !hs.is_empty() {
                    let name = hs[*h as usize % hs.len()].0.clone();
                    self.line(&format!("cancel {name}"));
                }
            }
            Stmt::Delay(d) => {
                let d = self.dur(d);
                self.line(&format!("await delay({d})"));
            }
            Stmt::At(d) => {
                let d = self.dur(d);
                self.line(&format!("await at(now + {d})"));
            }
            Stmt::Instant => self.line("await instant"),
            Stmt::Print(pieces) => {
                let t = self.text(pieces);
                self.line(&format!("print(\"{t}\")"));
            }
            Stmt::Fail(pieces) => {
                let t = self.text(pieces);
                self.line(&format!("fail(\"{t}\")"));
            }
            Stmt::Stop => self.line("stop"),
            Stmt::Return { value, via } => {
                let ret = self.m.shape.sig(self.item).ret;
                if let (Some(t), Some(k), Item::Proc(_)) = (ret, via, self.item) {
                    let hs: Vec<String> = self
                        .handles()
                        .into_iter()
                        .filter(|(_, j)| self.m.shape.procs[*j].ret == Some(t))
                        .map(|(n, _)| n)
                        .collect();
                    if !hs.is_empty() {
                        let name = hs[*k as usize % hs.len()].clone();
                        self.line(&format!("return await {name}"));
                        return;
                    }
                }
                match value {
                    Some(v) => {
                        let v = self.expr(v);
                        self.line(&format!("return {v}"));
                    }
                    None => self.line("return"),
                }
            }
            Stmt::CallFn { f, args } => {
                let args = self.list(args);
                self.line(&format!("f{f}({args})"));
            }
        }
    }

    fn item(&mut self, item: Item, def: &ItemDef) {
        self.item = item;
        self.next = 0;
        let sig = self.m.shape.sig(item).clone();
        let params: Vec<Local> = sig
            .params
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let name = if sig.recursive && i == 0 { "depth".to_string() } else { format!("a{i}") };
                Local { name, kind: Kind::Val(*t), mutable: false }
            })
            .collect();
        let decl = params
            .iter()
            .zip(&sig.params)
            .map(|(p, t)| format!("{}: {}", p.name, t.name()))
            .collect::<Vec<_>>()
            .join(", ");
        let ret = sig.ret.map(|t| format!(" -> {}", t.name())).unwrap_or_default();
        let head = match item {
            Item::Fn(i) => format!("fn f{i}({decl}){ret} {{"),
            Item::Proc(p) => format!("process {}({decl}){ret} {{", proc_name(p)),
        };
        self.line(&head);
        self.indent += 1;
        self.scopes = vec![params];
        if let Some((base, _, _)) = &def.rec {
            let base = self.expr(base);
            self.line("if depth <= 0 {");
            self.line(&format!("    return {base}"));
            self.line("}");
        }
        // The final `return` is in the body's scope: it sees the body's
        // top-level locals.
        self.open_block(&def.body);
        if let Some((_, args, extra)) = &def.rec {
            let name = self.current_fn_name();
            let mut all = vec!["depth - 1".to_string()];
            all.extend(args.iter().map(|a| self.expr(a)));
            let extra = self.paren(extra);
            let op = if sig.ret == Some(Ty::Int) { "+" } else { "* 0.5 +" };
            self.line(&format!("return {name}({}) {op} {extra}", all.join(", ")));
        } else if let Some(v) = &def.ret {
            let v = self.expr(v);
            self.line(&format!("return {v}"));
        }
        self.scopes.pop();
        self.indent -= 1;
        self.line("}");
        self.line("");
    }
}

fn proc_name(p: usize) -> String {
    if p == 0 {
        "main".into()
    } else {
        format!("p{p}")
    }
}

impl Model {
    fn render(&self) -> String {
        self.render_with(false)
    }

    fn render_with(&self, pad: bool) -> String {
        let g = &self.globals;
        let mut r = Render {
            m: self,
            pad,
            pads: 0,
            out: String::new(),
            indent: 0,
            scopes: vec![],
            next: 0,
            item: Item::Proc(0),
        };
        r.line(&format!("param N: int = {}", g.n));
        r.line(&format!("param RATE: float = {:?}", g.rate));
        r.line(&format!("param FLAG: bool = {}", g.flag));
        r.line("const K = N * 2 + 1");
        r.line("struct Pt { x: int, y: float, v: [int; 4] }");
        r.line(&format!("var g_i: int = {}", g.gi));
        r.line(&format!("var g_f: float = {:?}", g.gf));
        r.line("var g_b: bool = false");
        let ga: Vec<String> = g.ga.iter().map(|v| v.to_string()).collect();
        r.line(&format!("var g_a: [int; 4] = [{}]", ga.join(", ")));
        let gfa: Vec<String> =
            g.gfa.iter().map(|&v| if g.int_fa { v.to_string() } else { format!("{:?}", v as f64 / 2.0) }).collect();
        r.line(&format!("var g_fa: [float; 3] = [{}]", gfa.join(", ")));
        r.line("var g_n: [int; N] = [0; N]");
        r.line(&format!("var g_p: Pt = Pt {{ x: {}, y: {:?}, v: [0; 4] }}", g.gp.0, g.gp.1));
        r.line("var g_ps: [Pt; 2] = [Pt { x: 1, y: 0.5, v: [1, 2, 3, 4] }, Pt { v: [0; 4], y: -1.0, x: -2 }]");
        r.line("");
        for (i, def) in self.fns.iter().enumerate() {
            r.item(Item::Fn(i), def);
        }
        for (p, def) in self.procs.iter().enumerate() {
            r.item(Item::Proc(p), def);
        }
        r.item = Item::Proc(0);
        r.scopes = vec![vec![]];
        let mut roots = vec!["main()".to_string()];
        for (p, args) in &self.roots {
            let args = r.list(args);
            roots.push(format!("{}({args})", proc_name(*p)));
        }
        let horizon = match self.horizon {
            Some(h) => float_lit(h),
            None => "RATE * 4.0".into(),
        };
        r.line(&format!("run {} until {horizon}", roots.join(", ")));
        r.out
    }
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

const EXPR_DEPTH: usize = 2;

/// How deep statements nest (`PIPELINE_FUZZ_DEPTH`, default 2: a body's
/// statements hold blocks whose statements hold blocks of simple statements).
fn stmt_depth() -> usize {
    std::env::var("PIPELINE_FUZZ_DEPTH").ok().and_then(|s| s.parse().ok()).unwrap_or(2)
}

type Arms<T> = Vec<(u32, BoxedStrategy<T>)>;

fn union<T: std::fmt::Debug + Clone + 'static>(arms: Arms<T>) -> BoxedStrategy<T> {
    Union::new_weighted(arms).boxed()
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn call(name: &'static str, args: Vec<Expr>) -> Expr {
    Expr::Call(name, args)
}

fn int_literal() -> BoxedStrategy<Expr> {
    prop_oneof![
        8 => (-3i64..=12).prop_map(Expr::Int),
        1 => prop::sample::select(vec![0i64, 1, -1, 100, 1_000_000, i64::MAX, i64::MIN]).prop_map(Expr::Int),
    ]
    .boxed()
}

fn float_literal() -> BoxedStrategy<Expr> {
    prop::sample::select(vec![0.0, 0.5, 1.0, 1.5, 2.25, 3.0, 10.0, -1.0, -0.5, 0.001, 1e10, 0.1])
        .prop_map(Expr::Float)
        .boxed()
}

/// Random built-ins with literal arguments, mostly valid.
fn random_float_literal_args() -> BoxedStrategy<Expr> {
    let f = Expr::Float;
    prop_oneof![
        40 => prop::sample::select(vec![
            call("uniform", vec![f(0.0), f(2.0)]),
            call("uniform", vec![f(1.5), f(1.5)]),
            call("exponential", vec![f(1.0)]),
            call("normal", vec![f(5.0), f(1.0)]),
            call("normal", vec![f(5.0), f(0.0)]),
            call("lognormal", vec![f(2.0), f(0.5)]),
            call("triangular", vec![f(0.0), f(1.0), f(3.0)]),
        ]),
        1 => prop::sample::select(vec![
            call("uniform", vec![f(3.0), f(1.0)]),
            call("exponential", vec![f(-1.0)]),
            call("exponential", vec![f(0.0)]),
            call("normal", vec![f(0.0), f(-1.0)]),
            call("lognormal", vec![f(-2.0), f(0.5)]),
            call("triangular", vec![f(0.0), f(5.0), f(3.0)]),
        ]),
    ]
    .boxed()
}

/// A random built-in with computed arguments: made valid by construction
/// (`min`/`max`/`abs` around them) unless `raw`.
fn random_call(name: &'static str, a: Expr, b: Expr, c: Expr, raw: bool) -> Expr {
    let abs = |e: Expr| call("abs", vec![e]);
    let plus = |x: Expr, y: Expr| Expr::Bin("+", bx(x), bx(y));
    let args = match (name, raw) {
        ("exponential", true) => vec![a],
        (_, true) if name == "triangular" => vec![a, b, c],
        (_, true) => vec![a, b],
        ("uniform", false) => vec![call("min", vec![a.clone(), b.clone()]), call("max", vec![a, b])],
        ("exponential", false) => vec![plus(abs(a), Expr::Float(0.5))],
        ("normal", false) => vec![a, abs(b)],
        ("lognormal", false) => vec![plus(abs(a), Expr::Float(0.5)), abs(b)],
        _ => vec![a.clone(), plus(a.clone(), abs(b.clone())), plus(plus(a, abs(b)), abs(c))],
    };
    call(name, args)
}

fn dur(g: &Gen) -> BoxedStrategy<Dur> {
    let f = g.e(Ty::Float, 1);
    prop_oneof![
        30 => prop::sample::select(vec![0.25, 0.5, 1.0, 1.5, 2.0, 3.0]).prop_map(Dur::Lit),
        5 => (1u8..=3).prop_map(Dur::IntLit),
        8 => Just(Dur::Zero),
        6 => Just(Dur::Uniform),
        6 => Just(Dur::Exponential),
        1 => Just(Dur::Neg(1.0)),
        2 => f.clone().prop_map(Dur::Abs),
        1 => f.prop_map(Dur::Raw),
    ]
    .boxed()
}

fn period(g: &Gen) -> BoxedStrategy<Dur> {
    prop_oneof![
        30 => prop::sample::select(vec![0.25, 0.5, 1.0, 1.5, 2.0, 3.0]).prop_map(Dur::Lit),
        4 => (1u8..=3).prop_map(Dur::IntLit),
        4 => Just(Dur::Uniform),
        1 => Just(Dur::Zero),
        1 => Just(Dur::Neg(1.0)),
        1 => g.e(Ty::Float, 1).prop_map(Dur::Raw),
    ]
    .boxed()
}

/// The strategies for one item (a `fn` or a process): which `fn`s it may
/// call and which processes it may spawn depend on it, so they are built per
/// item, bottom up by depth.
struct Gen {
    shape: Arc<Shape>,
    item: Item,
    exprs: Vec<Vec<BoxedStrategy<Expr>>>,
    stmts: Vec<[BoxedStrategy<Stmt>; 2]>,
}

impl Gen {
    fn new(shape: Arc<Shape>, item: Item) -> Gen {
        let mut g = Gen { shape, item, exprs: vec![], stmts: vec![] };
        for d in 0..=EXPR_DEPTH {
            let row = ALL_TYS.iter().map(|&t| g.make_expr(t, d)).collect();
            g.exprs.push(row);
        }
        for d in 0..=stmt_depth() {
            let row = [g.make_stmt(false, d), g.make_stmt(true, d)];
            g.stmts.push(row);
        }
        g
    }

    fn is_fn(&self) -> bool {
        matches!(self.item, Item::Fn(_))
    }

    fn e(&self, t: Ty, d: usize) -> BoxedStrategy<Expr> {
        self.exprs[d][t.index()].clone()
    }

    /// A value for a float slot: a float, or an int converted implicitly.
    fn num(&self, d: usize) -> BoxedStrategy<Expr> {
        union(vec![(3, self.e(Ty::Float, d)), (1, self.e(Ty::Int, d))])
    }

    /// A value assignable to a slot of type `t`.
    fn value(&self, t: Ty, d: usize) -> BoxedStrategy<Expr> {
        if t == Ty::Float {
            self.num(d)
        } else {
            self.e(t, d)
        }
    }

    fn idx(&self, d: usize) -> BoxedStrategy<Idx> {
        let mut arms: Arms<Idx> = vec![
            (48, any::<u8>().prop_map(Idx::Lit).boxed()),
            (12, Just(Idx::Rand).boxed()),
            (1, Just(Idx::MaybeOob).boxed()),
        ];
        if d > 0 {
            arms.push((1, self.e(Ty::Int, d - 1).prop_map(|e| Idx::Wild(bx(e))).boxed()));
        }
        union(arms)
    }

    fn reference(&self, t: Ty, d: usize) -> BoxedStrategy<Expr> {
        (any::<u8>(), self.idx(d)).prop_map(move |(k, i)| Expr::Ref(t, k, i)).boxed()
    }

    fn args(&self, sig: &Sig, d: usize) -> BoxedStrategy<Vec<Expr>> {
        let mut parts: Vec<BoxedStrategy<Expr>> = sig.params.iter().map(|&t| self.value(t, d)).collect();
        if sig.recursive {
            let depth = self.e(Ty::Int, d).prop_map(|e| call("min", vec![e, Expr::Int(12)]));
            parts[0] = prop_oneof![30 => depth, 1 => Just(Expr::Int(100_000))].boxed();
        }
        parts.boxed()
    }

    /// Calls of the callable `fn`s returning `t`.
    fn fn_calls(&self, t: Ty, d: usize, weight: u32) -> Arms<Expr> {
        self.shape
            .callable_fns(self.item)
            .into_iter()
            .filter(|&j| self.shape.fns[j].ret == Some(t))
            .map(|j| (weight, self.args(&self.shape.fns[j].clone(), d).prop_map(move |a| Expr::Fn(j, a)).boxed()))
            .collect()
    }

    fn make_expr(&self, t: Ty, d: usize) -> BoxedStrategy<Expr> {
        let leaf = if d == 0 { 6 } else { 2 };
        let mut arms: Arms<Expr> = vec![(leaf, self.reference(t, d))];
        match t {
            Ty::Int => {
                arms.push((leaf, int_literal()));
                arms.push((
                    1,
                    (0i64..3, 0i64..6).prop_map(|(a, b)| call("randint", vec![Expr::Int(a), Expr::Int(a + b)])).boxed(),
                ));
                arms.push((
                    1,
                    prop::sample::select(vec![0.0, 0.5, 2.0, 4.0])
                        .prop_map(|m| call("poisson", vec![Expr::Float(m)]))
                        .boxed(),
                ));
                arms.push((1, Just(Expr::LenN).boxed()));
            }
            Ty::Float => {
                arms.push((leaf, float_literal()));
                arms.push((1, Just(Expr::Now).boxed()));
                arms.push((2, random_float_literal_args()));
            }
            Ty::Bool => {
                arms.push((2, any::<bool>().prop_map(Expr::Bool).boxed()));
                arms.push((
                    1,
                    prop::sample::select(vec![0.0, 0.3, 0.5, 0.5, 0.9, 1.0, 0.2, 0.7, 0.4])
                        .prop_map(|p| call("bernoulli", vec![Expr::Float(p)]))
                        .boxed(),
                ));
            }
            Ty::Pt => {
                arms.push((
                    1,
                    (-3i64..10, prop::sample::select(vec![0.0, 1.5, -2.0]), 0i64..5)
                        .prop_map(|(x, y, v)| {
                            Expr::StructLit(bx(Expr::Int(x)), bx(Expr::Float(y)), bx(Expr::Repeat(bx(Expr::Int(v)), 4)))
                        })
                        .boxed(),
                ));
            }
            Ty::IArr => {
                arms.push((1, prop::collection::vec(int_literal(), 4).prop_map(Expr::ArrLit).boxed()));
                arms.push((1, int_literal().prop_map(|e| Expr::Repeat(bx(e), 4)).boxed()));
            }
            Ty::FArr => {
                arms.push((1, prop::collection::vec(float_literal(), 3).prop_map(Expr::ArrLit).boxed()));
                arms.push((1, float_literal().prop_map(|e| Expr::Repeat(bx(e), 3)).boxed()));
            }
            Ty::PArr => {}
        }
        if d > 0 {
            let i = self.e(Ty::Int, d - 1);
            let f = self.e(Ty::Float, d - 1);
            let n = self.num(d - 1);
            let b = self.e(Ty::Bool, d - 1);
            let pt = self.e(Ty::Pt, d - 1);
            let ia = self.e(Ty::IArr, d - 1);
            let fa = self.e(Ty::FArr, d - 1);
            let pa = self.e(Ty::PArr, d - 1);
            let idx = self.idx(d - 1);
            arms.extend(self.fn_calls(t, d - 1, 2));
            match t {
                Ty::Int => {
                    let divisor = prop_oneof![
                        1 => i.clone(),
                        3 => i.clone().prop_map(|e| call("max", vec![Expr::Int(1), e])),
                    ];
                    arms.extend([
                        (
                            5,
                            (prop::sample::select(vec!["+", "-", "*"]), i.clone(), i.clone())
                                .prop_map(|(op, a, b)| Expr::Bin(op, bx(a), bx(b)))
                                .boxed(),
                        ),
                        (
                            2,
                            (prop::sample::select(vec!["/", "%"]), i.clone(), divisor)
                                .prop_map(|(op, a, b)| Expr::Bin(op, bx(a), bx(b)))
                                .boxed(),
                        ),
                        (1, i.clone().prop_map(|a| Expr::Neg(bx(a))).boxed()),
                        (1, i.clone().prop_map(|a| call("abs", vec![a])).boxed()),
                        (
                            2,
                            (prop::sample::select(vec!["min", "max"]), i.clone(), i.clone())
                                .prop_map(|(name, a, b)| call(name, vec![a, b]))
                                .boxed(),
                        ),
                        (
                            2,
                            (prop::sample::select(vec!["int", "round"]), f.clone())
                                .prop_map(|(name, a)| call(name, vec![a]))
                                .boxed(),
                        ),
                        (
                            2,
                            (i.clone(), i.clone(), prop::bool::weighted(0.03))
                                .prop_map(|(a, b, raw)| {
                                    if raw {
                                        call("randint", vec![a, b])
                                    } else {
                                        call(
                                            "randint",
                                            vec![call("min", vec![a.clone(), b.clone()]), call("max", vec![a, b])],
                                        )
                                    }
                                })
                                .boxed(),
                        ),
                        (
                            1,
                            (n.clone(), prop::bool::weighted(0.03))
                                .prop_map(|(a, raw)| call("poisson", vec![if raw { a } else { call("abs", vec![a]) }]))
                                .boxed(),
                        ),
                        (1, pt.clone().prop_map(|a| Expr::Field(bx(a), "x")).boxed()),
                        (1, (ia.clone(), idx.clone()).prop_map(|(a, k)| Expr::Elem(bx(a), k, 4)).boxed()),
                        (1, prop_oneof![ia.clone(), fa.clone(), pa.clone()].prop_map(|a| Expr::Len(bx(a))).boxed()),
                    ]);
                }
                Ty::Float => {
                    arms.extend([
                        (
                            5,
                            (prop::sample::select(vec!["+", "-", "*", "/", "%"]), f.clone(), n.clone(), any::<bool>())
                                .prop_map(
                                    |(op, a, b, swap)| {
                                        if swap {
                                            Expr::Bin(op, bx(b), bx(a))
                                        } else {
                                            Expr::Bin(op, bx(a), bx(b))
                                        }
                                    },
                                )
                                .boxed(),
                        ),
                        (1, f.clone().prop_map(|a| Expr::Neg(bx(a))).boxed()),
                        (
                            2,
                            (prop::sample::select(vec!["min", "max"]), f.clone(), n.clone())
                                .prop_map(|(name, a, b)| call(name, vec![a, b]))
                                .boxed(),
                        ),
                        (1, f.clone().prop_map(|a| call("abs", vec![a])).boxed()),
                        (
                            3,
                            (prop::sample::select(vec!["sqrt", "exp", "ln", "floor", "ceil"]), n.clone())
                                .prop_map(|(name, a)| call(name, vec![a]))
                                .boxed(),
                        ),
                        (1, (f.clone(), n.clone()).prop_map(|(a, b)| call("pow", vec![a, b])).boxed()),
                        (1, i.clone().prop_map(|a| call("float", vec![a])).boxed()),
                        (
                            2,
                            (
                                prop::sample::select(vec![
                                    "uniform",
                                    "exponential",
                                    "normal",
                                    "lognormal",
                                    "triangular",
                                ]),
                                n.clone(),
                                n.clone(),
                                n.clone(),
                                prop::bool::weighted(0.03),
                            )
                                .prop_map(|(name, a, b, c, raw)| random_call(name, a, b, c, raw))
                                .boxed(),
                        ),
                        (1, pt.clone().prop_map(|a| Expr::Field(bx(a), "y")).boxed()),
                        (1, (fa.clone(), idx.clone()).prop_map(|(a, k)| Expr::Elem(bx(a), k, 3)).boxed()),
                    ]);
                }
                Ty::Bool => {
                    arms.extend([
                        (
                            4,
                            (prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]), n.clone(), n.clone())
                                .prop_map(|(op, a, b)| Expr::Rel(op, bx(a), bx(b)))
                                .boxed(),
                        ),
                        (
                            1,
                            (prop::sample::select(vec!["==", "!="]), b.clone(), b.clone())
                                .prop_map(|(op, a, b)| Expr::Rel(op, bx(a), bx(b)))
                                .boxed(),
                        ),
                        (
                            2,
                            (prop::sample::select(vec!["&&", "||"]), b.clone(), b.clone())
                                .prop_map(|(op, a, b)| Expr::Rel(op, bx(a), bx(b)))
                                .boxed(),
                        ),
                        (1, b.clone().prop_map(|a| Expr::Not(bx(a))).boxed()),
                        (
                            1,
                            (n.clone(), prop::bool::weighted(0.03))
                                .prop_map(|(a, raw)| {
                                    let p =
                                        if raw { a } else { call("min", vec![call("abs", vec![a]), Expr::Float(1.0)]) };
                                    call("bernoulli", vec![p])
                                })
                                .boxed(),
                        ),
                    ]);
                }
                Ty::Pt => {
                    arms.extend([
                        (
                            2,
                            (i.clone(), n.clone(), ia.clone())
                                .prop_map(|(x, y, v)| Expr::StructLit(bx(x), bx(y), bx(v)))
                                .boxed(),
                        ),
                        (1, (pa.clone(), idx.clone()).prop_map(|(a, k)| Expr::Elem(bx(a), k, 2)).boxed()),
                    ]);
                }
                Ty::IArr => {
                    arms.extend([
                        (1, prop::collection::vec(i.clone(), 4).prop_map(Expr::ArrLit).boxed()),
                        (1, i.clone().prop_map(|e| Expr::Repeat(bx(e), 4)).boxed()),
                        (1, pt.clone().prop_map(|a| Expr::Field(bx(a), "v")).boxed()),
                    ]);
                }
                Ty::FArr => {
                    arms.extend([
                        (1, prop::collection::vec(f.clone(), 3).prop_map(Expr::ArrLit).boxed()),
                        (1, f.clone().prop_map(|e| Expr::Repeat(bx(e), 3)).boxed()),
                    ]);
                }
                Ty::PArr => {
                    arms.extend([
                        (1, prop::collection::vec(pt.clone(), 2).prop_map(Expr::ArrLit).boxed()),
                        (1, pt.clone().prop_map(|e| Expr::Repeat(bx(e), 2)).boxed()),
                    ]);
                }
            }
        }
        union(arms)
    }

    fn block(&self, in_loop: bool, d: usize, max: usize) -> BoxedStrategy<Vec<Stmt>> {
        prop::collection::vec(self.stmts[d][in_loop as usize].clone(), 0..=max).boxed()
    }

    fn pieces(&self) -> BoxedStrategy<Vec<Piece>> {
        let any_val = union(
            ALL_TYS.iter().map(|&t| (if t == Ty::Int || t == Ty::Float { 3 } else { 1 }, self.e(t, 1))).collect(),
        );
        let piece = prop_oneof![
            3 => prop::sample::select(vec![
                "t=", " ", " x ", "a\\tb", "\\\"q\\\"", "\\\\", "\\{lit\\}", ": ", "k", "|\\n|"
            ])
            .prop_map(Piece::Text),
            3 => any_val.prop_map(Piece::Val),
            1 => (self.e(Ty::Float, 1), 0u8..=4).prop_map(|(e, n)| Piece::Fmt(e, n)),
        ];
        prop::collection::vec(piece, 0..=4).boxed()
    }

    fn spawn_arms(&self, weight: u32) -> Arms<Stmt> {
        let mut arms = Vec::new();
        for j in self.shape.spawnable(self.item) {
            let args = self.args(&self.shape.procs[j].clone(), 1);
            arms.push((
                weight,
                (args, prop::bool::weighted(0.5))
                    .prop_map(move |(args, bind)| Stmt::Spawn { proc: j, args, bind })
                    .boxed(),
            ));
        }
        arms
    }

    fn make_stmt(&self, in_loop: bool, d: usize) -> BoxedStrategy<Stmt> {
        let sig = self.shape.sig(self.item).clone();
        let is_proc = !self.is_fn();
        let mut arms: Arms<Stmt> = Vec::new();
        // `let`
        let lets: Arms<Stmt> = ALL_TYS
            .iter()
            .map(|&t| {
                let w = match t {
                    Ty::Int => 4,
                    Ty::Float => 3,
                    _ => 1,
                };
                let name = prop_oneof![12 => Just(LetName::Fresh), 2 => any::<u8>().prop_map(LetName::Shadow), 1 => Just(LetName::Global)];
                let strat = if t == Ty::Float {
                    prop_oneof![
                        3 => (name.clone(), any::<bool>(), self.e(t, EXPR_DEPTH)),
                        1 => (name, Just(true), self.e(Ty::Int, EXPR_DEPTH)),
                    ]
                    .boxed()
                } else {
                    (name, any::<bool>(), self.e(t, EXPR_DEPTH)).boxed()
                };
                (w, strat.prop_map(move |(name, annotate, init)| Stmt::Let { name, annotate, ty: t, init }).boxed())
            })
            .collect();
        arms.push((if is_proc { 32 } else { 48 }, union(lets)));
        // assignment
        let assigns: Arms<Stmt> = ALL_TYS
            .iter()
            .map(|&t| {
                let (w, ops): (u32, Vec<&'static str>) = match t {
                    Ty::Int => (6, vec!["=", "=", "+=", "+=", "-=", "*=", "/="]),
                    Ty::Float => (4, vec!["=", "+=", "-=", "*=", "/="]),
                    _ => (1, vec!["="]),
                };
                let value = if t == Ty::Int {
                    prop_oneof![
                        3 => self.e(t, EXPR_DEPTH),
                        1 => self.e(t, 1).prop_map(|e| call("max", vec![Expr::Int(1), e])),
                    ]
                    .boxed()
                } else {
                    self.value(t, EXPR_DEPTH)
                };
                (
                    w,
                    (any::<u8>(), self.idx(1), prop::sample::select(ops), value)
                        .prop_map(move |(k, idx, op, value)| Stmt::Assign { ty: t, k, idx, op, value })
                        .boxed(),
                )
            })
            .collect();
        arms.push((if is_proc { 36 } else { 56 }, union(assigns)));
        arms.push((16, self.pieces().prop_map(Stmt::Print).boxed()));
        for j in self.shape.callable_fns(self.item) {
            let args = self.args(&self.shape.fns[j].clone(), 1);
            arms.push((8, args.prop_map(move |args| Stmt::CallFn { f: j, args }).boxed()));
        }
        arms.push((1, self.pieces().prop_map(Stmt::Fail).boxed()));
        arms.push((1, Just(Stmt::Stop).boxed()));
        if in_loop {
            arms.push((6, Just(Stmt::Break).boxed()));
            arms.push((4, Just(Stmt::Continue).boxed()));
        }
        let ret_value = match sig.ret {
            Some(t) => self.value(t, 1).prop_map(Some).boxed(),
            None => Just(None).boxed(),
        };
        arms.push((
            3,
            (ret_value, prop::option::weighted(0.5, any::<u8>()))
                .prop_map(|(value, via)| Stmt::Return { value, via })
                .boxed(),
        ));
        arms.extend(self.spawn_arms(if is_proc { 24 } else { 8 }));
        if !self.shape.spawnable(self.item).is_empty() || is_proc {
            arms.push((4, any::<u8>().prop_map(|h| Stmt::Cancel { h }).boxed()));
        }
        if is_proc {
            for j in self.shape.spawnable(self.item) {
                let args = self.args(&self.shape.procs[j].clone(), 1);
                arms.push((
                    6,
                    (args, any::<bool>())
                        .prop_map(move |(args, bind)| Stmt::AwaitSpawn { proc: j, args, bind })
                        .boxed(),
                ));
            }
            let how = prop_oneof![1 => Just(AwaitHow::Stmt), 3 => Just(AwaitHow::Let), 1 => any::<u8>().prop_map(AwaitHow::Assign)];
            arms.push((16, (any::<u8>(), how).prop_map(|(h, how)| Stmt::Await { h, how }).boxed()));
            arms.push((28, dur(self).prop_map(Stmt::Delay).boxed()));
            arms.push((6, dur(self).prop_map(Stmt::At).boxed()));
            arms.push((5, Just(Stmt::Instant).boxed()));
        }
        if d > 0 {
            let body = self.block(in_loop, d - 1, 4);
            let lbody = self.block(true, d - 1, 4);
            let b = self.e(Ty::Bool, EXPR_DEPTH);
            arms.push((
                20,
                (prop::collection::vec((b.clone(), body.clone()), 1..=3), prop::option::of(body.clone()))
                    .prop_map(|(arms, els)| Stmt::If { arms, els })
                    .boxed(),
            ));
            arms.push((
                8,
                (0u8..=3, prop::option::weighted(0.3, self.e(Ty::Bool, 1)), lbody.clone())
                    .prop_map(|(bound, extra, body)| Stmt::While { bound, extra, body })
                    .boxed(),
            ));
            let bound = prop_oneof![
                6 => (-2i8..=4).prop_map(Bound::Lit),
                1 => Just(Bound::N),
                1 => Just(Bound::K),
                1 => Just(Bound::Len),
                1 => Just(Bound::LenN),
                2 => self.e(Ty::Int, 1).prop_map(Bound::Clamp),
            ];
            arms.push((
                8,
                (bound.clone(), bound, lbody.clone()).prop_map(|(lo, hi, body)| Stmt::For { lo, hi, body }).boxed(),
            ));
            let src = prop_oneof![
                3 => prop::sample::select(vec![Ty::IArr, Ty::FArr, Ty::PArr])
                    .prop_flat_map({
                        let strats: Vec<BoxedStrategy<Expr>> = ALL_TYS.iter().map(|&t| self.e(t, 1)).collect();
                        move |t| strats[t.index()].clone().prop_map(move |e| ForSrc::Arr(t, e))
                    }),
                1 => Just(ForSrc::GN),
            ];
            arms.push((8, (src, lbody.clone()).prop_map(|(src, body)| Stmt::ForIn { src, body }).boxed()));
            arms.push((6, (0u8..=3, lbody.clone()).prop_map(|(bound, body)| Stmt::Loop { bound, body }).boxed()));
            if is_proc {
                arms.push((
                    12,
                    (period(self), 0u8..=4, lbody)
                        .prop_map(|(period, bound, body)| Stmt::Every { period, bound, body })
                        .boxed(),
                ));
                let mut inner = self.spawn_arms(3);
                inner.push((2, self.stmts[d - 1][in_loop as usize].clone()));
                arms.push((10, prop::collection::vec(union(inner), 1..=3).prop_map(Stmt::Scope).boxed()));
            }
        }
        union(arms)
    }

    fn item_def(&self) -> BoxedStrategy<ItemDef> {
        let sig = self.shape.sig(self.item).clone();
        let body = prop::collection::vec(self.stmts[stmt_depth()][0].clone(), 1..=8);
        // `main` starts with a few spawns, so that most models have several
        // processes running.
        let spawns = self.spawn_arms(1);
        let body = if self.item == Item::Proc(0) && !spawns.is_empty() {
            (prop::collection::vec(union(spawns), 1..=3), body)
                .prop_map(|(mut spawns, body)| {
                    spawns.extend(body);
                    spawns
                })
                .boxed()
        } else {
            body.boxed()
        };
        let ret = match sig.ret {
            Some(t) => self.value(t, 1).prop_map(Some).boxed(),
            None => Just(None).boxed(),
        };
        let rec = if sig.recursive {
            let t = sig.ret.unwrap();
            let rest = Sig { params: sig.params[1..].to_vec(), ret: None, recursive: false };
            (self.value(t, 0), self.args(&rest, 0), self.e(t, 1)).prop_map(Some).boxed()
        } else {
            Just(None).boxed()
        };
        (body, ret, rec).prop_map(|(body, ret, rec)| ItemDef { body, ret, rec }).boxed()
    }
}

fn sig_strategy(is_fn: bool) -> BoxedStrategy<Sig> {
    let param = prop_oneof![
        4 => Just(Ty::Int),
        3 => Just(Ty::Float),
        1 => Just(Ty::Bool),
        1 => Just(Ty::Pt),
        1 => Just(Ty::IArr),
    ];
    let ret = if is_fn {
        prop_oneof![
            1 => Just(None),
            3 => Just(Some(Ty::Int)),
            2 => Just(Some(Ty::Float)),
            1 => Just(Some(Ty::Bool)),
            1 => Just(Some(Ty::Pt)),
            1 => Just(Some(Ty::IArr)),
        ]
        .boxed()
    } else {
        prop_oneof![
            3 => Just(None),
            2 => Just(Some(Ty::Int)),
            1 => Just(Some(Ty::Float)),
            1 => Just(Some(Ty::Pt)),
            1 => Just(Some(Ty::IArr)),
            1 => Just(Some(Ty::FArr)),
        ]
        .boxed()
    };
    let recursive = if is_fn { prop::bool::weighted(0.35).boxed() } else { Just(false).boxed() };
    (prop::collection::vec(param, 0..=3), ret, recursive)
        .prop_map(|(mut params, mut ret, recursive)| {
            if recursive {
                if params.is_empty() {
                    params.push(Ty::Int);
                } else {
                    params[0] = Ty::Int;
                }
                if !matches!(ret, Some(Ty::Int | Ty::Float)) {
                    ret = Some(Ty::Int);
                }
            }
            Sig { params, ret, recursive }
        })
        .boxed()
}

fn shape_strategy() -> impl Strategy<Value = Shape> {
    (
        prop::collection::vec(sig_strategy(true), 0..=2),
        prop::collection::vec(sig_strategy(false), 0..=3),
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.5),
    )
        .prop_map(|(fns, others, ix, spawning)| {
            let mut procs = vec![Sig { params: vec![], ret: None, recursive: false }];
            procs.extend(others);
            let spawning_fn =
                if spawning && !fns.is_empty() && procs.len() >= 2 { Some(ix.index(fns.len())) } else { None };
            Shape { fns, procs, spawning_fn }
        })
}

fn globals_strategy() -> impl Strategy<Value = Globals> {
    (
        1i64..=4,
        prop::sample::select(vec![0.5, 1.5, 2.0, 3.0]),
        any::<bool>(),
        -3i64..10,
        prop::sample::select(vec![0.0, 1.5, -2.5, 100.0]),
        prop::collection::vec(-5i64..20, 4),
        prop::collection::vec(-4i64..8, 3),
        (-3i64..5, prop::sample::select(vec![0.0, 0.25, 7.5])),
        any::<bool>(),
    )
        .prop_map(|(n, rate, flag, gi, gf, ga, gfa, gp, int_fa)| Globals {
            n,
            rate,
            flag,
            gi,
            gf,
            ga,
            gfa,
            gp,
            int_fa,
        })
}

fn model_strategy() -> impl Strategy<Value = Model> {
    shape_strategy().prop_flat_map(|shape| {
        let shape = Arc::new(shape);
        let fns: Vec<BoxedStrategy<ItemDef>> =
            (0..shape.fns.len()).map(|i| Gen::new(shape.clone(), Item::Fn(i)).item_def()).collect();
        let procs: Vec<BoxedStrategy<ItemDef>> =
            (0..shape.procs.len()).map(|p| Gen::new(shape.clone(), Item::Proc(p)).item_def()).collect();
        // Extra roots: processes whose parameters take literal arguments.
        let rootable: Vec<usize> = (1..shape.procs.len())
            .filter(|&p| shape.procs[p].params.iter().all(|t| matches!(t, Ty::Int | Ty::Float | Ty::Bool)))
            .collect();
        let roots = if rootable.is_empty() {
            Just(vec![]).boxed()
        } else {
            let one = prop::sample::select(rootable).prop_flat_map({
                let shape = shape.clone();
                move |p| {
                    let args: Vec<BoxedStrategy<Expr>> = shape.procs[p]
                        .params
                        .iter()
                        .map(|t| match t {
                            Ty::Int => (0i64..5).prop_map(Expr::Int).boxed(),
                            Ty::Float => prop::sample::select(vec![0.5, 2.0]).prop_map(Expr::Float).boxed(),
                            _ => any::<bool>().prop_map(Expr::Bool).boxed(),
                        })
                        .collect();
                    args.prop_map(move |a| (p, a))
                }
            });
            prop::collection::vec(one, 0..=1).boxed()
        };
        let horizon = prop_oneof![
            6 => prop::sample::select(vec![0.0, 2.0, 5.0, 10.0, 30.0, 100.0]).prop_map(Some),
            1 => Just(None),
        ];
        (Just(shape), globals_strategy(), fns, procs, horizon, roots).prop_map(
            |(shape, globals, fns, procs, horizon, roots)| Model { shape, globals, fns, procs, horizon, roots },
        )
    })
}

// ---------------------------------------------------------------------------
// Compiling and running
// ---------------------------------------------------------------------------

/// One run: its outcome and everything it printed.
struct Ran {
    outcome: RunOutcome,
    output: Vec<u8>,
}

impl Ran {
    /// Everything that must be identical between two runs, bit for bit.
    fn fingerprint(&self) -> String {
        format!("{}\nerror_span={:?}", self.behaviour(), self.outcome.error.as_ref().map(|e| e.span))
    }

    /// The fingerprint without the error's source span, which moves when the
    /// source text changes.
    fn behaviour(&self) -> String {
        let o = &self.outcome;
        format!(
            "events={} end={:x} stopped={} error={:?} error_time={:x?} waiting={:?} globals={:?}\n{}",
            o.events,
            o.end_time.to_bits(),
            o.stopped,
            o.error.as_ref().map(|e| (&e.message, &e.process)),
            o.error.as_ref().map(|e| e.time.to_bits()),
            o.waiting,
            o.globals,
            String::from_utf8_lossy(&self.output)
        )
    }
}

/// What one model did, for the tally.
struct Summary {
    ending: String,
    events: u64,
    lines: usize,
}

fn run_once(program: &usim_runtime::Program, seed: u64, tie_order: TieOrder) -> Result<Ran, String> {
    run_until(program, seed, tie_order, program.horizon())
}

fn run_until(
    program: &usim_runtime::Program,
    seed: u64,
    tie_order: TieOrder,
    horizon: Option<f64>,
) -> Result<Ran, String> {
    let sink = SharedBuffer::default();
    let config = RunConfig { seed, horizon, tie_order, ..run_config(&sink) };
    let outcome = guard("run", || run(program, config))?;
    let output = sink.bytes();
    Ok(Ran { outcome, output })
}

/// The spec's promises about how any run ends.
fn check_ending(src: &str, horizon: f64, ran: &Ran) -> Result<(), String> {
    let o = &ran.outcome;
    if std::str::from_utf8(&ran.output).is_err() {
        return Err("[bad-output] the output is not UTF-8".into());
    }
    if o.events == 0 {
        return Err("[no-events] main never ran".into());
    }
    if let Some(e) = &o.error {
        if let Some((s, t)) = e.span {
            if s > t || t as usize > src.len() {
                return Err(format!("[bad-span] span {s}..{t} outside the source ({} bytes): {e}", src.len()));
            }
        }
        if e.message.contains("internal") {
            return Err(format!("[internal-runtime-error] {e}"));
        }
        if !(e.time >= 0.0 && e.time <= horizon) {
            return Err(format!("[bad-error-time] error at {} with horizon {horizon}: {e}", e.time));
        }
    } else if o.stopped {
        if !(o.end_time >= 0.0 && o.end_time <= horizon) {
            return Err(format!("[bad-stop-time] stopped at {} with horizon {horizon}", o.end_time));
        }
    } else if o.end_time != horizon {
        return Err(format!("[bad-end-time] a normal run ended at {} instead of the horizon {horizon}", o.end_time));
    }
    for w in &o.waiting {
        if w.since.partial_cmp(&o.end_time) == Some(std::cmp::Ordering::Greater) || w.since.is_nan() {
            return Err(format!("[bad-waiting] {w:?} waits since after the end {}", o.end_time));
        }
    }
    Ok(())
}

/// The whole pipeline for one model; `Err` starts with a `[category]`.
fn pipeline(src: &str, padded: Option<&str>, seed: u64) -> Result<Summary, String> {
    let ir = || guard("lower", || lower_source(src, &[]))?.map(|(m, _)| m.to_text()).map_err(describe_failure);
    let ir1 = ir()?;
    let ir2 = ir()?;
    if ir1 != ir2 {
        return Err("[nondeterministic-ir] two lowerings of the model gave different IR text".into());
    }
    let (compiled, _warnings) = guard("compile", || compile_source(src, &[], false))?.map_err(describe_failure)?;
    let program = compiled.program();
    let horizon = program.horizon().ok_or("[no-horizon] the model has `until` but the program has no horizon")?;
    let a = run_once(program, seed, TieOrder::Fifo)?;
    check_ending(src, horizon, &a)?;
    let b = run_once(program, seed, TieOrder::Fifo)?;
    // A later horizon continues the same run: what ran by the horizon (events
    // at exactly it included) runs the same way, so the output is a prefix;
    // a run that ended by `stop` or an error is the same run.
    let longer = horizon + 50.0;
    let l = run_until(program, seed, TieOrder::Fifo, Some(longer))?;
    check_ending(src, longer, &l)?;
    let prefix_ok = if a.outcome.error.is_some() || a.outcome.stopped {
        a.fingerprint() == l.fingerprint()
    } else {
        l.output.starts_with(&a.output) && l.outcome.events >= a.outcome.events
    };
    if !prefix_ok {
        return Err(format!(
            "[horizon-not-a-prefix] the run until {longer} does not continue the run until {horizon} (seed {seed}):\n--- until {horizon}\n{}\n--- until {longer}\n{}",
            a.fingerprint(),
            l.fingerprint()
        ));
    }
    if a.fingerprint() != b.fingerprint() {
        return Err(format!(
            "[nondeterministic-run] two FIFO runs with seed {seed} differ:\n--- first\n{}\n--- second\n{}",
            a.fingerprint(),
            b.fingerprint()
        ));
    }
    let r1 = run_once(program, seed, TieOrder::Random)?;
    check_ending(src, horizon, &r1)?;
    let r2 = run_once(program, seed, TieOrder::Random)?;
    if r1.fingerprint() != r2.fingerprint() {
        return Err(format!(
            "[nondeterministic-random-ties] two random-tie runs with seed {seed} differ:\n--- first\n{}\n--- second\n{}",
            r1.fingerprint(),
            r2.fingerprint()
        ));
    }
    let (again, _) = guard("compile", || compile_source(src, &[], false))?.map_err(describe_failure)?;
    let c = run_once(again.program(), seed, TieOrder::Fifo)?;
    if a.fingerprint() != c.fingerprint() {
        return Err(format!(
            "[nondeterministic-compile] a second compilation runs differently with seed {seed}:\n--- first\n{}\n--- second\n{}",
            a.fingerprint(),
            c.fingerprint()
        ));
    }
    if let Some(padded) = padded {
        let (p, _) = guard("compile", || compile_source(padded, &[], false))?
            .map_err(|f| format!("[padded-{}", describe_failure(f).trim_start_matches('[')))?;
        let d = run_once(p.program(), seed, TieOrder::Fifo)?;
        // Bigger `fn` frames reach the call-depth limit sooner, by design.
        let depth = |r: &Ran| r.outcome.error.as_ref().is_some_and(|e| e.message.contains("nested too deeply"));
        if a.behaviour() != d.behaviour() && !depth(&a) && !depth(&d) {
            return Err(format!(
                "[padding-changes-behaviour] unused locals change the run with seed {seed}:\n--- plain\n{}\n--- padded\n{}",
                a.behaviour(),
                d.behaviour()
            ));
        }
    }
    let o = &a.outcome;
    let ending = match (&o.error, o.stopped) {
        (Some(e), _) => {
            let m: String = e.message.chars().take(48).collect();
            format!("error: {m}")
        }
        (None, true) => "stop".into(),
        (None, false) => "horizon".into(),
    };
    Ok(Summary { ending, events: o.events, lines: a.output.iter().filter(|&&c| c == b'\n').count() })
}

/// Runs the pipeline on a thread with a 256 MiB stack (the runtime gives
/// `fn`s a 64 MiB budget), catching panics and giving up after a time limit.
fn check_source(src: &str, padded: Option<&str>, seed: u64) -> Result<Summary, String> {
    let owned = src.to_string();
    let padded = padded.map(str::to_string);
    support::isolated(move || pipeline(&owned, padded.as_deref(), seed))
}

// ---------------------------------------------------------------------------
// Minimizing a failure
// ---------------------------------------------------------------------------

/// Smaller versions of a block: one statement removed, a compound statement
/// replaced by one of its blocks, or a smaller version of a nested block.
fn block_variants(b: &[Stmt]) -> Vec<Vec<Stmt>> {
    let mut out = Vec::new();
    for i in 0..b.len() {
        let mut c = b.to_vec();
        c.remove(i);
        out.push(c);
    }
    for i in 0..b.len() {
        for inner in b[i].blocks() {
            let mut c = b.to_vec();
            c.splice(i..=i, inner.iter().cloned());
            out.push(c);
        }
        if let Stmt::If { arms, els } = &b[i] {
            if els.is_some() {
                let mut c = b.to_vec();
                c[i] = Stmt::If { arms: arms.clone(), els: None };
                out.push(c);
            }
            if arms.len() > 1 {
                let mut c = b.to_vec();
                c[i] = Stmt::If { arms: arms[..1].to_vec(), els: els.clone() };
                out.push(c);
            }
        }
        let n = b[i].blocks().len();
        for k in 0..n {
            for v in block_variants(b[i].blocks()[k]) {
                let mut c = b.to_vec();
                *c[i].blocks_mut()[k] = v;
                out.push(c);
            }
        }
    }
    out
}

fn model_variants(m: &Model) -> Vec<Model> {
    let mut out = Vec::new();
    if !m.roots.is_empty() {
        out.push(Model { roots: vec![], ..m.clone() });
    }
    for i in 0..m.fns.len() {
        for v in block_variants(&m.fns[i].body) {
            let mut c = m.clone();
            c.fns[i].body = v;
            out.push(c);
        }
    }
    for p in 0..m.procs.len() {
        for v in block_variants(&m.procs[p].body) {
            let mut c = m.clone();
            c.procs[p].body = v;
            out.push(c);
        }
    }
    out
}

/// Greedily removes statements while the model still fails the same way.
fn minimize(m: Model, seed: u64, cat: &str) -> (Model, String) {
    let check = |m: &Model| check_source(&m.render(), Some(&m.render_with(true)), seed);
    support::shrink(m, cat, model_variants, check)
}

// ---------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------

#[test]
fn generated_models_compile_run_and_are_deterministic() {
    let show = std::env::var("PIPELINE_FUZZ_SHOW").is_ok_and(|v| v == "1");
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let tally: Mutex<BTreeMap<String, u32>> = Mutex::default();
    let totals: Mutex<(u64, u64, u64, usize)> = Mutex::default();
    let started = Instant::now();
    let result = runner.run(&(model_strategy(), any::<u64>()), |(model, seed)| {
        let src = model.render();
        if show {
            eprintln!("----- seed {seed}\n{src}");
        }
        match check_source(&src, Some(&model.render_with(true)), seed) {
            Ok(s) => {
                *tally.lock().unwrap().entry(s.ending).or_default() += 1;
                let mut t = totals.lock().unwrap();
                t.0 += 1;
                t.1 += s.events;
                t.2 += s.lines as u64;
                t.3 += src.len();
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    let (n, events, lines, bytes) = *totals.lock().unwrap();
    eprintln!(
        "pipeline_fuzz: {n} passing models in {:.1?} ({} source bytes, {events} events, {lines} printed lines in all)",
        started.elapsed(),
        bytes
    );
    for (ending, count) in tally.lock().unwrap().iter() {
        eprintln!("  {count:5}  {ending}");
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, (model, seed))) => {
            let reason = reason.to_string();
            let cat = category(&reason).to_string();
            eprintln!("pipeline_fuzz: failing model (shrunk by proptest), seed {seed}:\n{}", model.render());
            let (small, message) = minimize(model, seed, &cat);
            panic!("model failed the pipeline property; minimized (seed {seed}):\n{}\n{message}", small.render());
        }
        Err(e) => panic!("{e}"),
    }
}
