//! Property test of the interaction machinery: random models whose processes
//! meet on locks (with capacity, `priority`, `preemptive`), a resource
//! (`with tank(a)`, `await tank.get/put`), an unbounded and a bounded queue
//! (`await q.put`, `await q.get()`, `for x in q` with `break`), a channel
//! (`send`, `await ch`, `for m in ch`), conditions over vars (`await n >= 3`,
//! `await !flag`, also written by a `fn`), `select` with every kind of arm
//! (with, borrow, get, put, resource get/put, channel, delay, condition,
//! process handle), `until` (delay, at, channel, condition and handle
//! triggers) around bodies that wait, `break`/`continue`/`return` out of
//! `with`/`until`/`scope`/`select` arms, `scope` with spawned children, and
//! `spawn` + `cancel` at random times (killer processes cancel handles after
//! drawn or `uniform` delays), with and without a horizon. Worker bodies
//! may run in rounds at a pace; `tick` processes send, write vars and put
//! at a period so that waits have something to wait for; `for i in 0..n {
//! select { arm; await delay(0) => {} } }` spins fill waiter lists with
//! withdrawn entries. Delays are small integers (many ties) or `uniform`
//! draws from the seeded stream.
//!
//! # How a model can be checked from the inside
//!
//! `main` spawns the top-level workers (some *stable*, joined with `await`,
//! some *killable*, handed to `killer` processes and joined with a
//! cancel-tolerant `until h { await never }`), runs a random body of its own,
//! joins everything and then prints `AUDIT` lines: each queue's length and
//! each resource's level with the model's own counts of completed puts and
//! gets, and whether every unit of every lock can be taken (a nested
//! `select` of ready `with` arms against `delay(0)`). Every other process is
//! spawned inside a `scope`, so once `main` has joined its tops, every
//! process has ended.
//!
//! Each counted operation is written as
//! `q0_sg += 1; lq0g += 1; let g = await q0.get(); q0_sg -= 1; lq0g -= 1; q0_got += 1`:
//! the completed count is bumped right after the wait with no suspension in
//! between, so an interrupted (`until`, preemption) operation is either
//! withdrawn (nothing happened, nothing counted) or was handed over and is
//! seen by the code after it (LANGUAGE.md §5.5). Only `cancel` may drop an
//! operation that was handed over: the global *slack* (`q0_sg`) keeps what
//! was in flight in processes that never came back, and the process-local
//! `lq0g` lets a process that was interrupted out of a wait take its slack
//! back (after every `until`, `with` and `select`, and before it returns).
//! A `for x in q` takes the slack before its head and gives it back at the
//! top of its body, so no slack stands while any body runs.
//! So at the audit `len = put - got + x - y` with `x <= sp`, `y <= sg`
//! (exact when no slack is left), and the same for the tank's level.
//!
//! Most processes run their body inside `until delay(D) { }`; a model whose
//! every body has such a deadline cannot deadlock, so without a horizon it
//! must reach its audit. Lock acquisitions nest in index order (a lock with
//! several units, or a preemptive one, may be taken again inside itself)
//! and borrows do not nest, which keeps the other models mostly
//! deadlock-free too.
//!
//! # Properties, per model
//! 1. it compiles without error and runs without panic, internal error or
//!    any runtime error (the generator avoids them all);
//! 2. `outcome.audit` is `None`;
//! 3. when the audit was printed: every lock is free, queue lengths and the
//!    tank's level match the counts (within the slack), no slack is negative,
//!    nothing is left waiting; without a horizon, a deadline-only model must
//!    print its audit and any other model that does not must list `main` as
//!    waiting; every join returns the value its process returns (a
//!    `VIOLATION` line otherwise); with a horizon, the run ends at it;
//! 4. two runs with the same seed agree byte for byte (output, events, end
//!    time, error, waiting, audit, globals), and so do two `TieOrder::Random`
//!    runs, which must also pass 1–3; a model with a horizon prints a prefix
//!    of what it prints without one;
//! 5. the statistics agree with the run (`check_stats`): time-weighted
//!    figures lie within their extremes, every grant has a wait, a queue
//!    holds `put - got`, an emptied queue's time-weighted length integrates
//!    to its items' total wait (Little's law, exactly), and once every
//!    process has ended no lock or resource line holds a request.
//!
//! `PROPTEST_CASES` sets the number of models (default 48),
//! `PROPTEST_RNG_SEED` proptest's seed, `INTERACTION_FUZZ_DEPTH` how deep
//! statements nest (default 3), `INTERACTION_FUZZ_SHOW=1` prints every
//! model, and `INTERACTION_FUZZ_SURVEY=1` runs every case instead of stopping at the
//! first failure, then lists each `[category]` of failure with its smallest
//! model. A failure prints the model as proptest shrank it, then a further
//! statement-level minimization that keeps the failure's `[category]`.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;
use support::{cases, category, describe_failure, guard, run_config};

use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use usim_compiler::compile_source;
use usim_runtime::{run, RunConfig, RunOutcome, SharedBuffer, TieOrder, TimeWeighted, WaitSummary};

// ---------------------------------------------------------------------------
// The model AST
// ---------------------------------------------------------------------------

/// A duration.
#[derive(Clone, Copy, Debug)]
enum Dly {
    /// An integer literal (many ties).
    Int(u8),
    /// `uniform(0.0, k)` from the seeded stream.
    Uniform(u8),
    /// `0`: still yields.
    Zero,
}

/// A condition over the vars `n` and `flag` (and the process's `id`).
#[derive(Clone, Copy, Debug)]
enum Cond {
    NGe(u8),
    NotFlag,
    Flag,
    /// `n > id + k` in a worker (`n > k` in `main`).
    NGtId(u8),
    NGeAndFlag(u8),
    /// `n % 3 == 0`
    NMod3,
}

/// A write to a watched var.
#[derive(Clone, Copy, Debug)]
enum VarW {
    Inc(u8),
    Dec,
    Toggle,
    Set(bool),
    /// `bump(k)`: a `fn` that writes `n`.
    Bump(u8),
}

/// A plain `if` condition.
#[derive(Clone, Copy, Debug)]
enum BoolE {
    Flag,
    NGt(u8),
    Bern,
    QNonEmpty(u8),
    TankGe(u8),
    NowGt(u8),
}

/// A counted queue or resource operation.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// `await q{q}.put(v)`
    QPut(u8, u8),
    /// `await q{q}.get()`
    QGet(u8),
    /// `await tank.put(a)`
    TPut(u8),
    /// `await tank.get(a)`
    TGet(u8),
}

/// Which handles an abstract handle reference may resolve to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Never cancelled: may be joined with `await`.
    Stable,
    /// May be cancelled: only `cancel` and `until h` use it.
    Killable,
}

#[derive(Clone, Debug)]
enum Trig {
    Delay(Dly),
    At(Dly),
    Chan,
    Cond(Cond),
    /// A handle in scope of either class (a delay when there is none).
    Handle(u8),
}

#[derive(Clone, Debug)]
enum Arm {
    With {
        lock: u8,
        prio: Option<i8>,
        body: Vec<Stmt>,
    },
    Borrow {
        amt: u8,
        body: Vec<Stmt>,
    },
    Op(Op, Vec<Stmt>),
    Recv(Vec<Stmt>),
    Delay(Dly, Vec<Stmt>),
    Cond(Cond, Vec<Stmt>),
    /// `let r = await h =>` on a stable handle (a delay arm when there is none).
    Join(u8, Vec<Stmt>),
}

impl Arm {
    fn body(&self) -> &Vec<Stmt> {
        match self {
            Arm::With { body, .. }
            | Arm::Borrow { body, .. }
            | Arm::Op(_, body)
            | Arm::Recv(body)
            | Arm::Delay(_, body)
            | Arm::Cond(_, body)
            | Arm::Join(_, body) => body,
        }
    }

    fn body_mut(&mut self) -> &mut Vec<Stmt> {
        match self {
            Arm::With { body, .. }
            | Arm::Borrow { body, .. }
            | Arm::Op(_, body)
            | Arm::Recv(body)
            | Arm::Delay(_, body)
            | Arm::Cond(_, body)
            | Arm::Join(_, body) => body,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum LoopKind {
    For,
    While,
    Loop,
}

#[derive(Clone, Debug)]
enum Stmt {
    Delay(Dly),
    Instant,
    Print(u8),
    Write(VarW),
    /// `with l{lock} priority p { }`; the lock resolves among those above
    /// every lock already held here, else the body stands in `if true { }`.
    With {
        lock: u8,
        prio: Option<i8>,
        body: Vec<Stmt>,
    },
    /// `with tank(a) { }`; inside another borrow, `if true { }`.
    Borrow {
        amt: u8,
        body: Vec<Stmt>,
    },
    Op(Op),
    /// `for x in q { count; if c > k { break }; body }`
    ForQ {
        q: u8,
        k: u8,
        body: Vec<Stmt>,
    },
    Send(u8),
    Recv,
    ForCh {
        k: u8,
        body: Vec<Stmt>,
    },
    Await(Cond),
    Select(Vec<Arm>),
    Until {
        trig: Trig,
        body: Vec<Stmt>,
    },
    Scope(Vec<Stmt>),
    /// Only inside a `scope`: `spawn w(..)`, `let h = spawn w(..)` (a handle
    /// of the class) or, with `join`, `let r = await spawn w(..)`.
    Spawn {
        kind: u8,
        bind: Option<Class>,
        join: bool,
    },
    /// `let r = await h` on a stable handle.
    Join(u8),
    /// `cancel h` on a killable handle.
    Cancel(u8),
    Loop {
        kind: LoopKind,
        n: u8,
        body: Vec<Stmt>,
    },
    If {
        cond: BoolE,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    /// `for i in 0..n { select { arm; await delay(0) => { } } }`: many
    /// withdrawn waits, so waiter lists fill with stale entries.
    Spin {
        n: u8,
        arm: Arm,
    },
    Break,
    Continue,
    /// In a worker only.
    Return,
}

impl Stmt {
    fn blocks(&self) -> Vec<&Vec<Stmt>> {
        match self {
            Stmt::With { body, .. }
            | Stmt::Borrow { body, .. }
            | Stmt::ForQ { body, .. }
            | Stmt::ForCh { body, .. }
            | Stmt::Until { body, .. }
            | Stmt::Scope(body)
            | Stmt::Loop { body, .. } => vec![body],
            Stmt::If { then, els, .. } => vec![then, els],
            Stmt::Select(arms) => arms.iter().map(Arm::body).collect(),
            Stmt::Spin { arm, .. } => vec![arm.body()],
            _ => vec![],
        }
    }

    fn blocks_mut(&mut self) -> Vec<&mut Vec<Stmt>> {
        match self {
            Stmt::With { body, .. }
            | Stmt::Borrow { body, .. }
            | Stmt::ForQ { body, .. }
            | Stmt::ForCh { body, .. }
            | Stmt::Until { body, .. }
            | Stmt::Scope(body)
            | Stmt::Loop { body, .. } => vec![body],
            Stmt::If { then, els, .. } => vec![then, els],
            Stmt::Select(arms) => arms.iter_mut().map(Arm::body_mut).collect(),
            Stmt::Spin { arm, .. } => vec![arm.body_mut()],
            _ => vec![],
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct LockDef {
    cap: u8,
    preemptive: bool,
}

/// A worker kind `w{i}(id: int) -> int`; it may spawn kinds after it.
#[derive(Clone, Debug)]
struct Kind {
    deadline: Option<Dly>,
    /// The body runs in `for round in 0..rounds { }`, after `await
    /// delay(pace)` each time if there is a pace.
    rounds: u8,
    pace: Option<Dly>,
    body: Vec<Stmt>,
}

/// A process `tick{j}` that `main` spawns and joins: every `period` it runs
/// a body of simple statements (sends, var writes, puts), `count` times,
/// within a deadline. Tickers keep the channel, the conditions and the
/// queues busy.
#[derive(Clone, Debug)]
struct Ticker {
    count: u8,
    period: Dly,
    body: Vec<Stmt>,
}

/// A top-level worker spawned by `main`: stable ones are joined with
/// `await`, killable ones handed to a killer each for these delays.
#[derive(Clone, Debug)]
struct Top {
    kind: u8,
    stable: bool,
    killers: Vec<Dly>,
}

#[derive(Clone, Debug)]
struct Model {
    locks: Vec<LockDef>,
    tank_cap: u8,
    tank_level: u8,
    q1_cap: u8,
    kinds: Vec<Kind>,
    tops: Vec<Top>,
    tickers: Vec<Ticker>,
    main_deadline: Option<Dly>,
    main_body: Vec<Stmt>,
    /// Join killable tops with `until h { await delay(1.0 / 0.0) }` instead
    /// of `until h { await never }`.
    forever_by_delay: bool,
    horizon: Option<u8>,
}

impl Model {
    /// Every body runs under a deadline, so the run cannot deadlock.
    fn deadlock_free(&self) -> bool {
        self.main_deadline.is_some() && self.kinds.iter().all(|k| k.deadline.is_some())
    }
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/// The counted operations: (global slack, process-local slack, completed
/// count, float?), indexed by [`op_bit`].
const OPS: [(&str, &str, &str, bool); 6] = [
    ("q0_sp", "lq0p", "q0_put", false),
    ("q0_sg", "lq0g", "q0_got", false),
    ("q1_sp", "lq1p", "q1_put", false),
    ("q1_sg", "lq1g", "q1_got", false),
    ("t_sp", "ltp", "t_put", true),
    ("t_sg", "ltg", "t_got", true),
];

fn op_bit(op: Op) -> usize {
    match op {
        Op::QPut(q, _) => 2 * (q as usize % 2),
        Op::QGet(q) => 2 * (q as usize % 2) + 1,
        Op::TPut(_) => 4,
        Op::TGet(_) => 5,
    }
}

/// The amount an operation moves, as it is written in the model's counts.
fn op_amount(m: &Model, op: Op) -> String {
    match op {
        Op::QPut(..) | Op::QGet(_) => "1".into(),
        Op::TPut(a) | Op::TGet(a) => format!("{}.0", amount(m, a)),
    }
}

/// A resource amount within the tank's capacity (1 ..= capacity / 2).
fn amount(m: &Model, a: u8) -> u32 {
    1 + u32::from(a) % (u32::from(m.tank_cap) / 2).max(1)
}

/// The slack bits of the counted operations in a block, nested blocks included.
fn ops_mask(b: &[Stmt]) -> u8 {
    let mut mask = 0;
    for s in b {
        mask |= match s {
            Stmt::Op(op) => 1 << op_bit(*op),
            Stmt::ForQ { q, .. } => 1 << (2 * (*q as usize % 2) + 1),
            Stmt::Select(arms) => arms
                .iter()
                .map(|a| match a {
                    Arm::Op(op, _) => 1 << op_bit(*op),
                    _ => 0,
                })
                .fold(0, |x, y| x | y),
            Stmt::Spin { arm: Arm::Op(op, _), .. } => 1 << op_bit(*op),
            _ => 0,
        };
        for inner in s.blocks() {
            mask |= ops_mask(inner);
        }
    }
    mask
}

fn dly(d: Dly) -> String {
    match d {
        Dly::Int(k) => format!("{}", k % 5),
        Dly::Uniform(k) => format!("uniform(0.0, {}.0)", 1 + k % 4),
        Dly::Zero => "0".into(),
    }
}

/// Who is running: `main`, or worker kind `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Main,
    Worker(usize),
    Ticker(usize),
}

/// Rendering state for one process body.
struct Render<'m> {
    m: &'m Model,
    who: Who,
    out: String,
    indent: usize,
    fresh: usize,
    /// The highest lock index held here, lexically.
    held: Option<usize>,
    borrowing: bool,
    in_loop: bool,
    /// The get of the innermost loop when it is a `for x in q`: its slack is
    /// taken again before each `continue` and at the end of the body.
    forq: Option<Op>,
    in_scope: bool,
    /// Handles in scope: name, class, and the value its process returns.
    handles: Vec<(String, Class, String)>,
    /// The counted operations this process body uses.
    mask: u8,
}

impl<'m> Render<'m> {
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn cond(&self, c: Cond) -> String {
        match c {
            Cond::NGe(k) => format!("n >= {}", k % 6),
            Cond::NotFlag => "!flag".into(),
            Cond::Flag => "flag".into(),
            Cond::NGtId(k) => match self.who {
                Who::Main => format!("n > {}", k % 6),
                Who::Worker(_) | Who::Ticker(_) => format!("n > id + {}", k % 4),
            },
            Cond::NGeAndFlag(k) => format!("n >= {} && flag", k % 5),
            Cond::NMod3 => "n % 3 == 0".into(),
        }
    }

    fn bool_expr(&self, b: BoolE) -> String {
        match b {
            BoolE::Flag => "flag".into(),
            BoolE::NGt(k) => format!("n > {}", k % 5),
            BoolE::Bern => "bernoulli(0.5)".into(),
            BoolE::QNonEmpty(q) => format!("q{}.len() > 0", q % 2),
            BoolE::TankGe(k) => format!("tank.level() >= {}.0", k % 8),
            BoolE::NowGt(k) => format!("now > {}.0", k % 10),
        }
    }

    fn who_text(&self) -> String {
        match self.who {
            Who::Main => "main".into(),
            Who::Worker(i) => format!("w{i}/{{id}}"),
            Who::Ticker(j) => format!("tick{j}"),
        }
    }

    /// `slack += a; local += a` before an operation.
    fn pre(&self, op: Op) -> String {
        let (slack, local, _, _) = OPS[op_bit(op)];
        let a = op_amount(self.m, op);
        format!("{slack} += {a}; {local} += {a}")
    }

    /// `slack -= a; local -= a` once an operation is no longer in flight.
    fn undo(&self, op: Op) -> String {
        let (slack, local, _, _) = OPS[op_bit(op)];
        let a = op_amount(self.m, op);
        format!("{slack} -= {a}; {local} -= {a}")
    }

    fn count(&self, op: Op) -> String {
        let (_, _, count, _) = OPS[op_bit(op)];
        format!("{count} += {}", op_amount(self.m, op))
    }

    /// The wait of an operation, as a statement or an arm head.
    fn op_wait(&mut self, op: Op) -> String {
        match op {
            Op::QPut(q, v) => {
                let v = match self.who {
                    Who::Worker(_) | Who::Ticker(_) if v % 3 == 0 => "id".to_string(),
                    _ => format!("{}", v % 10),
                };
                format!("await q{}.put({v})", q % 2)
            }
            Op::QGet(q) => {
                let g = self.name("g");
                format!("let {g} = await q{}.get()", q % 2)
            }
            Op::TPut(a) => format!("await tank.put({}.0)", amount(self.m, a)),
            Op::TGet(a) => format!("await tank.get({}.0)", amount(self.m, a)),
        }
    }

    /// Gives back the slack of the operations in `mask` that an interrupt
    /// withdrew (nothing when none was in flight).
    fn cleanup(&mut self, mask: u8) {
        let mut parts = Vec::new();
        for (bit, (slack, local, _, float)) in OPS.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                parts.push(format!("{slack} -= {local}; {local} = {}", if *float { "0.0" } else { "0" }));
            }
        }
        if !parts.is_empty() {
            let s = parts.join("; ");
            self.line(&s);
        }
    }

    /// A handle in scope of the class (any if `None`) and what its process returns.
    fn handle(&self, k: u8, class: Option<Class>) -> Option<(String, String)> {
        let fitting: Vec<(String, String)> = self
            .handles
            .iter()
            .filter(|(_, c, _)| class.is_none_or(|class| *c == class))
            .map(|(h, _, r)| (h.clone(), r.clone()))
            .collect();
        if fitting.is_empty() {
            None
        } else {
            Some(fitting[k as usize % fitting.len()].clone())
        }
    }

    /// A line that reports a join that returned the wrong value.
    fn check_result(&self, r: &str, expected: &str) -> String {
        format!(
            "if {r} != {expected} {{ print(\"VIOLATION {} joined {{{r}}}, expected {{{expected}}}\") }}",
            self.who_text()
        )
    }

    fn spawnable(&self) -> Vec<usize> {
        match self.who {
            Who::Main => (0..self.m.kinds.len()).collect(),
            Who::Worker(i) => (i + 1..self.m.kinds.len()).collect(),
            Who::Ticker(_) => vec![],
        }
    }

    fn spawn_arg(&self) -> String {
        match self.who {
            Who::Main => format!("{}", self.fresh + 100),
            Who::Worker(_) | Who::Ticker(_) => format!("id * 10 + {}", self.fresh % 10),
        }
    }

    /// The lock a `with` takes: one after every lock held here, or the
    /// innermost held one again if it has several units or is preemptive
    /// (a better priority preempts the process's own outer block).
    fn lock_choice(&self, lock: u8) -> Option<usize> {
        let first = match self.held {
            None => 0,
            Some(h) if self.m.locks[h].cap > 1 || self.m.locks[h].preemptive => h,
            Some(h) => h + 1,
        };
        let n = self.m.locks.len();
        if first >= n {
            None
        } else {
            Some(first + lock as usize % (n - first))
        }
    }

    fn with_head(&self, lock: usize, prio: Option<i8>) -> String {
        match prio {
            Some(p) => format!("with l{lock} priority {}", p.rem_euclid(5) - 1),
            None => format!("with l{lock}"),
        }
    }

    /// A nested block, with its lexical state restored afterwards.
    fn block(&mut self, b: &[Stmt]) {
        let handles = self.handles.len();
        let state = (self.held, self.borrowing, self.in_loop, self.forq, self.in_scope);
        self.indent += 1;
        for s in b {
            self.stmt(s);
        }
        self.indent -= 1;
        self.handles.truncate(handles);
        (self.held, self.borrowing, self.in_loop, self.forq, self.in_scope) = state;
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Delay(d) => {
                let l = format!("await delay({})", dly(*d));
                self.line(&l);
            }
            Stmt::Instant => self.line("await instant"),
            Stmt::Print(k) => {
                let l = match k % 3 {
                    0 => format!("print(\"{{now}} {} p{k} n={{n}} flag={{flag}}\")", self.who_text()),
                    1 => format!(
                        "print(\"{{now}} {} p{k} q0={{q0.len()}} q1={{q1.len()}} tank={{tank.level()}}\")",
                        self.who_text()
                    ),
                    _ => format!("print(\"{{now}} {} p{k}\")", self.who_text()),
                };
                self.line(&l);
            }
            Stmt::Write(w) => {
                let l = match w {
                    VarW::Inc(k) => format!("n += {}", 1 + k % 2),
                    VarW::Dec => "n -= 1".into(),
                    VarW::Toggle => "flag = !flag".into(),
                    VarW::Set(b) => format!("flag = {b}"),
                    VarW::Bump(k) => format!("bump({})", 1 + k % 2),
                };
                self.line(&l);
            }
            Stmt::With { lock, prio, body } => match self.lock_choice(*lock) {
                Some(l) => {
                    let head = self.with_head(l, *prio);
                    self.line(&format!("{head} {{"));
                    let outer = self.held;
                    self.held = Some(l);
                    self.block(body);
                    self.held = outer;
                    self.line("}");
                    self.cleanup(ops_mask(body));
                }
                None => self.plain_block(body),
            },
            Stmt::Borrow { amt, body } => {
                if self.borrowing {
                    self.plain_block(body);
                } else {
                    self.line(&format!("with tank({}.0) {{", amount(self.m, *amt)));
                    self.borrowing = true;
                    self.block(body);
                    self.borrowing = false;
                    self.line("}");
                }
            }
            Stmt::Op(op) => {
                let l = format!("{}; {}; {}; {}", self.pre(*op), self.op_wait(*op), self.undo(*op), self.count(*op));
                self.line(&l);
            }
            Stmt::ForQ { q, k, body } => {
                let op = Op::QGet(*q);
                let c = self.name("c");
                let x = self.name("x");
                self.line(&format!("let {c} = 0"));
                // The get of each iteration is in flight only while the
                // loop waits at its head: slack before it, back at the top
                // of the body.
                let pre = self.pre(op);
                self.line(&pre);
                self.line(&format!("for {x} in q{} {{", q % 2));
                self.indent += 1;
                let got = format!("{}; {}", self.undo(op), self.count(op));
                self.line(&format!("{got}; {c} += 1"));
                self.line(&format!("if {c} > {} {{ break }}", 1 + k % 3));
                self.indent -= 1;
                self.loop_block(Some(op), body);
                self.indent += 1;
                self.line(&pre);
                self.indent -= 1;
                self.line("}");
            }
            Stmt::Send(v) => {
                let v = match self.who {
                    Who::Worker(_) | Who::Ticker(_) if v % 2 == 0 => "id".to_string(),
                    _ => format!("{}", v % 10),
                };
                self.line(&format!("ch.send({v})"));
            }
            Stmt::Recv => {
                let m = self.name("m");
                self.line(&format!("let {m} = await ch"));
            }
            Stmt::ForCh { k, body } => {
                let c = self.name("c");
                let m = self.name("m");
                self.line(&format!("let {c} = 0"));
                self.line(&format!("for {m} in ch {{"));
                self.indent += 1;
                self.line(&format!("{c} += 1"));
                self.line(&format!("if {c} > {} {{ break }}", 1 + k % 3));
                self.indent -= 1;
                self.loop_block(None, body);
                self.line("}");
            }
            Stmt::Await(c) => {
                let l = format!("await {}", self.cond(*c));
                self.line(&l);
            }
            Stmt::Select(arms) => self.select(arms),
            Stmt::Until { trig, body } => {
                let t = match trig {
                    Trig::Delay(d) => format!("delay({})", dly(*d)),
                    Trig::At(d) => format!("at(now + {})", dly(*d)),
                    Trig::Chan => "ch".into(),
                    Trig::Cond(c) => self.cond(*c),
                    Trig::Handle(k) => self.handle(*k, None).map_or_else(|| "delay(2)".into(), |(h, _)| h),
                };
                self.line(&format!("until {t} {{"));
                self.block(body);
                self.line("}");
                self.cleanup(ops_mask(body));
            }
            Stmt::Scope(body) => {
                self.line("scope {");
                let in_scope = self.in_scope;
                self.in_scope = true;
                self.block(body);
                self.in_scope = in_scope;
                self.line("}");
            }
            Stmt::Spawn { kind, bind, join } => {
                let kinds = self.spawnable();
                if !self.in_scope || kinds.is_empty() {
                    return;
                }
                let k = kinds[*kind as usize % kinds.len()];
                let arg = self.spawn_arg();
                if *join {
                    let r = self.name("r");
                    self.line(&format!("let {r} = await spawn w{k}({arg})"));
                    let check = self.check_result(&r, &arg);
                    self.line(&check);
                } else if let Some(class) = bind {
                    let h = self.name("h");
                    self.line(&format!("let {h} = spawn w{k}({arg})"));
                    self.handles.push((h, *class, arg));
                } else {
                    self.line(&format!("spawn w{k}({arg})"));
                }
            }
            Stmt::Join(k) => {
                if let Some((h, expected)) = self.handle(*k, Some(Class::Stable)) {
                    let r = self.name("r");
                    self.line(&format!("let {r} = await {h}"));
                    let check = self.check_result(&r, &expected);
                    self.line(&check);
                }
            }
            Stmt::Cancel(k) => {
                if let Some((h, _)) = self.handle(*k, Some(Class::Killable)) {
                    self.line(&format!("cancel {h}"));
                }
            }
            Stmt::Loop { kind, n, body } => {
                let n = 1 + n % 3;
                match kind {
                    LoopKind::For => {
                        let i = self.name("i");
                        self.line(&format!("for {i} in 0..{n} {{"));
                    }
                    LoopKind::While => {
                        let i = self.name("i");
                        self.line(&format!("let {i} = 0"));
                        self.line(&format!("while {i} < {n} {{"));
                        self.line(&format!("    {i} += 1"));
                    }
                    LoopKind::Loop => {
                        let i = self.name("i");
                        self.line(&format!("let {i} = 0"));
                        self.line("loop {");
                        self.line(&format!("    {i} += 1"));
                        self.line(&format!("    if {i} > {n} {{ break }}"));
                    }
                }
                self.loop_block(None, body);
                self.line("}");
            }
            Stmt::If { cond, then, els } => {
                let c = self.bool_expr(*cond);
                self.line(&format!("if {c} {{"));
                self.block(then);
                if els.is_empty() {
                    self.line("}");
                } else {
                    self.line("} else {");
                    self.block(els);
                    self.line("}");
                }
            }
            Stmt::Spin { n, arm } => {
                let i = self.name("i");
                self.line(&format!("for {i} in 0..{} {{", 40 + u32::from(*n) % 160));
                self.indent += 1;
                let outer = (self.in_loop, self.forq);
                (self.in_loop, self.forq) = (true, None);
                self.select(&[arm.clone(), Arm::Delay(Dly::Zero, vec![])]);
                (self.in_loop, self.forq) = outer;
                self.indent -= 1;
                self.line("}");
            }
            Stmt::Break => {
                if self.in_loop {
                    self.line("break");
                }
            }
            Stmt::Continue => {
                if self.in_loop {
                    if let Some(op) = self.forq {
                        let pre = self.pre(op);
                        self.line(&pre);
                    }
                    self.line("continue");
                }
            }
            Stmt::Return => {
                if let Who::Worker(_) | Who::Ticker(_) = self.who {
                    let mask = self.mask;
                    self.cleanup(mask);
                    self.line("return id");
                }
            }
        }
    }

    /// The body of a loop (`forq`: the get of a `for x in q`).
    fn loop_block(&mut self, forq: Option<Op>, body: &[Stmt]) {
        let outer = (self.in_loop, self.forq);
        (self.in_loop, self.forq) = (true, forq);
        self.block(body);
        (self.in_loop, self.forq) = outer;
    }

    /// A block that lost its `with`: the same statements in `if true { }`.
    fn plain_block(&mut self, body: &[Stmt]) {
        self.line("if true {");
        self.block(body);
        self.line("}");
    }

    fn select(&mut self, arms: &[Arm]) {
        // The slack of every operation arm is taken before the select and
        // given back by whichever arm wins.
        let ops: Vec<Op> = arms
            .iter()
            .filter_map(|a| match a {
                Arm::Op(op, _) => Some(*op),
                _ => None,
            })
            .collect();
        for op in &ops {
            let pre = self.pre(*op);
            self.line(&pre);
        }
        let undo_all: Vec<String> = ops.iter().map(|op| self.undo(*op)).collect();
        self.line("select {");
        self.indent += 1;
        let mut mask = 0u8;
        for arm in arms {
            let outer = (self.held, self.borrowing);
            let mut check = None;
            let (head, own) = match arm {
                Arm::With { lock, prio, .. } => match self.lock_choice(*lock) {
                    Some(l) => {
                        self.held = Some(l);
                        (self.with_head(l, *prio), None)
                    }
                    None => ("await delay(1)".to_string(), None),
                },
                Arm::Borrow { amt, .. } => {
                    if self.borrowing {
                        ("await delay(1)".to_string(), None)
                    } else {
                        self.borrowing = true;
                        (format!("with tank({}.0)", amount(self.m, *amt)), None)
                    }
                }
                Arm::Op(op, _) => {
                    mask |= 1 << op_bit(*op);
                    (self.op_wait(*op), Some(*op))
                }
                Arm::Recv(_) => {
                    let m = self.name("m");
                    (format!("let {m} = await ch"), None)
                }
                Arm::Delay(d, _) => (format!("await delay({})", dly(*d)), None),
                Arm::Cond(c, _) => (format!("await {}", self.cond(*c)), None),
                Arm::Join(k, _) => match self.handle(*k, Some(Class::Stable)) {
                    Some((h, expected)) => {
                        let r = self.name("r");
                        check = Some(self.check_result(&r, &expected));
                        (format!("let {r} = await {h}"), None)
                    }
                    None => ("await delay(3)".to_string(), None),
                },
            };
            self.line(&format!("{head} => {{"));
            self.indent += 1;
            let mut first: Vec<String> = undo_all.clone();
            if let Some(op) = own {
                first.push(self.count(op));
            }
            if !first.is_empty() {
                self.line(&first.join("; "));
            }
            if let Some(check) = check {
                self.line(&check);
            }
            self.indent -= 1;
            mask |= ops_mask(arm.body());
            self.block(arm.body());
            (self.held, self.borrowing) = outer;
            self.line("}");
        }
        self.indent -= 1;
        self.line("}");
        self.cleanup(mask);
    }
}

// Two runtime bugs this test found, both fixed and guarded by fixtures
// (`select_arms_on_the_same_object.usim`, `cancelled_by_its_own_act.usim`):
// a ready `select` arm on a queue or the tank completed an earlier arm of
// the same `select` that waited the other way on that object; and a process
// cancelled during its own step (its var write, `send` or preemption
// interrupted a block whose unwinding cancelled the scope it runs in) ran
// on. The generator makes both patterns: arms both ways on one object, and
// children spawned inside `until`s on channels and conditions and `with`s on
// preemptive locks.

fn lock_item(i: usize, l: &LockDef) -> String {
    let mut opts = Vec::new();
    if l.cap > 1 {
        opts.push(format!("capacity: {}", l.cap));
    }
    if l.preemptive {
        opts.push("preemptive".into());
    }
    if opts.is_empty() {
        format!("lock l{i}")
    } else {
        format!("lock l{i}({})", opts.join(", "))
    }
}

impl Model {
    fn renderer(&self, who: Who, mask: u8) -> Render<'_> {
        Render {
            m: self,
            who,
            out: String::new(),
            indent: 1,
            fresh: 0,
            held: None,
            borrowing: false,
            in_loop: false,
            forq: None,
            in_scope: false,
            handles: vec![],
            mask,
        }
    }

    fn render(&self) -> String {
        let mut s = String::new();
        for (i, l) in self.locks.iter().enumerate() {
            s.push_str(&lock_item(i, l));
            s.push('\n');
        }
        let _ = writeln!(s, "resource tank(capacity: {}.0, level: {}.0)", self.tank_cap, self.tank_level);
        s.push_str("queue q0: int\n");
        let _ = writeln!(s, "queue q1: int(capacity: {})", self.q1_cap);
        s.push_str("channel ch: int\n");
        s.push_str("var n: int = 0\nvar flag: bool = false\nvar never: bool = false\n");
        for (slack, _, count, float) in OPS {
            let (ty, zero) = if float { ("float", "0.0") } else { ("int", "0") };
            let _ = writeln!(s, "var {count}: {ty} = {zero}\nvar {slack}: {ty} = {zero}");
        }
        s.push_str("\nfn bump(k: int) {\n    n += k\n}\n\n");
        s.push_str("process killer(h: proc<int>, d: float) {\n    await delay(d)\n    cancel h\n}\n\n");
        for (i, k) in self.kinds.iter().enumerate() {
            let mask = ops_mask(&k.body);
            let mut r = self.renderer(Who::Worker(i), mask);
            r.locals();
            r.deadline_body(k.deadline, k.rounds, k.pace, &k.body);
            r.cleanup(mask);
            r.line("return id");
            let _ = write!(s, "process w{i}(id: int) -> int {{\n{}}}\n\n", r.out);
        }
        for (j, t) in self.tickers.iter().enumerate() {
            let mask = ops_mask(&t.body);
            let mut r = self.renderer(Who::Ticker(j), mask);
            r.locals();
            r.deadline_body(Some(Dly::Int(35)), 2 + t.count % 20, Some(t.period), &t.body);
            r.cleanup(mask);
            r.line("return id");
            let _ = write!(s, "process tick{j}(id: int) -> int {{\n{}}}\n\n", r.out);
        }
        s.push_str(&self.render_main());
        match self.horizon {
            Some(h) => {
                let _ = writeln!(s, "\nrun main() until {}.0", 2 + h % 30);
            }
            None => s.push_str("\nrun main()\n"),
        }
        s
    }

    fn render_main(&self) -> String {
        let mask = ops_mask(&self.main_body);
        let mut r = self.renderer(Who::Main, mask);
        r.locals();
        let mut joins = Vec::new();
        for (t, top) in self.tops.iter().enumerate() {
            let kind = top.kind as usize % self.kinds.len();
            r.line(&format!("let t{t} = spawn w{kind}({t})"));
            let class = if top.stable { Class::Stable } else { Class::Killable };
            r.handles.push((format!("t{t}"), class, format!("{t}")));
            if top.stable {
                joins.push(format!("let rt{t} = await t{t}"));
                joins.push(r.check_result(&format!("rt{t}"), &format!("{t}")));
                joins.push(format!("print(\"{{now}} main joined t{t}: {{rt{t}}}\")"));
            } else {
                let forever = if self.forever_by_delay { "await delay(1.0 / 0.0)" } else { "await never" };
                joins.push(format!("until t{t} {{ {forever} }}"));
                for (k, d) in top.killers.iter().enumerate() {
                    r.line(&format!("let k{t}_{k} = spawn killer(t{t}, {})", dly(*d)));
                    joins.push(format!("await k{t}_{k}"));
                }
            }
        }
        for j in 0..self.tickers.len() {
            r.line(&format!("let tk{j} = spawn tick{j}({j})"));
            joins.push(format!("let rk{j} = await tk{j}"));
        }
        r.deadline_body(self.main_deadline, 1, None, &self.main_body);
        r.cleanup(mask);
        for j in joins {
            r.line(&j);
        }
        for (q, _) in OPS.iter().enumerate().step_by(2).take(2) {
            let (sp, _, put, _) = OPS[q];
            let (sg, _, got, _) = OPS[q + 1];
            let name = format!("q{}", q / 2);
            r.line(&format!("print(\"AUDIT {name} {{{name}.len()}} {{{put}}} {{{got}}} {{{sp}}} {{{sg}}}\")"));
        }
        r.line("print(\"AUDIT tank {tank.level()} {t_put} {t_got} {t_sp} {t_sg}\")");
        for (i, l) in self.locks.iter().enumerate() {
            // Take every unit, each by a `with` arm that must be ready at once.
            let mut text = format!("print(\"AUDIT lock l{i} free\")");
            for u in (0..l.cap).rev() {
                text = format!(
                    "select {{ with l{i} priority 99 => {{ {text} }}; await delay(0) => {{ print(\"AUDIT lock l{i} busy {u}\") }} }}"
                );
            }
            r.line(&text);
        }
        r.line("print(\"AUDIT end\")");
        format!("process main() {{\n{}}}\n", r.out)
    }
}

impl Render<'_> {
    /// The process-local slack counters.
    fn locals(&mut self) {
        for (bit, (_, local, _, float)) in OPS.iter().enumerate() {
            if self.mask & (1 << bit) != 0 {
                let l = format!("let {local} = {}", if *float { "0.0" } else { "0" });
                self.line(&l);
            }
        }
    }

    /// A process body: in rounds (with a pace) if asked, under a deadline if any.
    fn deadline_body(&mut self, deadline: Option<Dly>, rounds: u8, pace: Option<Dly>, body: &[Stmt]) {
        if let Some(d) = deadline {
            let d = match d {
                Dly::Int(k) => format!("{}", 5 + k % 40),
                Dly::Uniform(k) => format!("uniform(5.0, {}.0)", 6 + k % 40),
                Dly::Zero => "0".into(),
            };
            self.line(&format!("until delay({d}) {{"));
            self.indent += 1;
        }
        if rounds > 1 || pace.is_some() {
            self.line(&format!("for round in 0..{rounds} {{"));
            if let Some(p) = pace {
                self.line(&format!("    await delay({})", dly(p)));
            }
            self.loop_block(None, body);
            self.line("}");
        } else {
            self.indent -= 1;
            self.block(body);
            self.indent += 1;
        }
        if deadline.is_some() {
            self.indent -= 1;
            self.line("}");
        }
    }
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/// How deep statements nest (`INTERACTION_FUZZ_DEPTH`, default 3).
fn stmt_depth() -> usize {
    std::env::var("INTERACTION_FUZZ_DEPTH").ok().and_then(|s| s.parse().ok()).unwrap_or(3)
}

type Arms<T> = Vec<(u32, BoxedStrategy<T>)>;

fn union<T: std::fmt::Debug + Clone + 'static>(arms: Arms<T>) -> BoxedStrategy<T> {
    Union::new_weighted(arms).boxed()
}

fn dly_s() -> BoxedStrategy<Dly> {
    prop_oneof![
        6 => any::<u8>().prop_map(Dly::Int),
        3 => any::<u8>().prop_map(Dly::Uniform),
        1 => Just(Dly::Zero),
    ]
    .boxed()
}

fn cond_s() -> BoxedStrategy<Cond> {
    prop_oneof![
        4 => any::<u8>().prop_map(Cond::NGe),
        2 => Just(Cond::NotFlag),
        2 => Just(Cond::Flag),
        2 => any::<u8>().prop_map(Cond::NGtId),
        1 => any::<u8>().prop_map(Cond::NGeAndFlag),
        1 => Just(Cond::NMod3),
    ]
    .boxed()
}

fn varw_s() -> BoxedStrategy<VarW> {
    prop_oneof![
        4 => any::<u8>().prop_map(VarW::Inc),
        1 => Just(VarW::Dec),
        2 => Just(VarW::Toggle),
        2 => any::<bool>().prop_map(VarW::Set),
        2 => any::<u8>().prop_map(VarW::Bump),
    ]
    .boxed()
}

fn bool_s() -> BoxedStrategy<BoolE> {
    prop_oneof![
        Just(BoolE::Flag),
        any::<u8>().prop_map(BoolE::NGt),
        Just(BoolE::Bern),
        any::<u8>().prop_map(BoolE::QNonEmpty),
        any::<u8>().prop_map(BoolE::TankGe),
        any::<u8>().prop_map(BoolE::NowGt),
    ]
    .boxed()
}

fn op_s() -> BoxedStrategy<Op> {
    prop_oneof![
        3 => (any::<u8>(), any::<u8>()).prop_map(|(q, v)| Op::QPut(q, v)),
        3 => any::<u8>().prop_map(Op::QGet),
        2 => any::<u8>().prop_map(Op::TPut),
        2 => any::<u8>().prop_map(Op::TGet),
    ]
    .boxed()
}

fn prio_s() -> BoxedStrategy<Option<i8>> {
    prop_oneof![1 => Just(None), 2 => any::<i8>().prop_map(Some)].boxed()
}

fn spawn_s() -> BoxedStrategy<Stmt> {
    (
        any::<u8>(),
        prop_oneof![2 => Just(None), 2 => Just(Some(Class::Stable)), 2 => Just(Some(Class::Killable))],
        prop::bool::weighted(0.15),
    )
        .prop_map(|(kind, bind, join)| Stmt::Spawn { kind, bind, join })
        .boxed()
}

fn leaf_s() -> BoxedStrategy<Stmt> {
    union(vec![
        (6, dly_s().prop_map(Stmt::Delay).boxed()),
        (1, Just(Stmt::Instant).boxed()),
        (3, any::<u8>().prop_map(Stmt::Print).boxed()),
        (5, varw_s().prop_map(Stmt::Write).boxed()),
        (9, op_s().prop_map(Stmt::Op).boxed()),
        (3, any::<u8>().prop_map(Stmt::Send).boxed()),
        (1, Just(Stmt::Recv).boxed()),
        (2, cond_s().prop_map(Stmt::Await).boxed()),
        (2, spawn_s()),
        (2, any::<u8>().prop_map(Stmt::Join).boxed()),
        (3, any::<u8>().prop_map(Stmt::Cancel).boxed()),
        (2, Just(Stmt::Break).boxed()),
        (1, Just(Stmt::Continue).boxed()),
        (1, Just(Stmt::Return).boxed()),
    ])
}

/// What a ticker does each period.
fn ticker_leaf_s() -> BoxedStrategy<Stmt> {
    union(vec![
        (4, any::<u8>().prop_map(Stmt::Send).boxed()),
        (4, varw_s().prop_map(Stmt::Write).boxed()),
        (
            3,
            prop_oneof![
                (any::<u8>(), any::<u8>()).prop_map(|(q, v)| Op::QPut(q, v)),
                any::<u8>().prop_map(Op::TPut),
                any::<u8>().prop_map(Op::TGet),
            ]
            .prop_map(Stmt::Op)
            .boxed(),
        ),
        (1, any::<u8>().prop_map(Stmt::Print).boxed()),
    ])
}

fn arm_s(block: BoxedStrategy<Vec<Stmt>>) -> BoxedStrategy<Arm> {
    let b = || block.clone();
    union(vec![
        (4, (any::<u8>(), prio_s(), b()).prop_map(|(lock, prio, body)| Arm::With { lock, prio, body }).boxed()),
        (2, (any::<u8>(), b()).prop_map(|(amt, body)| Arm::Borrow { amt, body }).boxed()),
        (5, (op_s(), b()).prop_map(|(op, body)| Arm::Op(op, body)).boxed()),
        (2, b().prop_map(Arm::Recv).boxed()),
        (4, (dly_s(), b()).prop_map(|(d, body)| Arm::Delay(d, body)).boxed()),
        (2, (cond_s(), b()).prop_map(|(c, body)| Arm::Cond(c, body)).boxed()),
        (2, (any::<u8>(), b()).prop_map(|(k, body)| Arm::Join(k, body)).boxed()),
    ])
}

fn trig_s() -> BoxedStrategy<Trig> {
    prop_oneof![
        4 => dly_s().prop_map(Trig::Delay),
        1 => dly_s().prop_map(Trig::At),
        2 => Just(Trig::Chan),
        3 => cond_s().prop_map(Trig::Cond),
        3 => any::<u8>().prop_map(Trig::Handle),
    ]
    .boxed()
}

/// Statements nesting up to `depth` levels of blocks.
fn stmt_s(depth: usize) -> BoxedStrategy<Stmt> {
    let leaf = leaf_s();
    if depth == 0 {
        return leaf;
    }
    let inner = stmt_s(depth - 1);
    let block = prop::collection::vec(inner.clone(), 0..4).boxed();
    let b = || block.clone();
    let scope_body = (prop::collection::vec(spawn_s(), 1..4), prop::collection::vec(inner, 0..4))
        .prop_map(|(mut spawns, rest)| {
            spawns.extend(rest);
            spawns
        })
        .boxed();
    union(vec![
        (14, leaf),
        (5, (any::<u8>(), prio_s(), b()).prop_map(|(lock, prio, body)| Stmt::With { lock, prio, body }).boxed()),
        (2, (any::<u8>(), b()).prop_map(|(amt, body)| Stmt::Borrow { amt, body }).boxed()),
        (2, (any::<u8>(), any::<u8>(), b()).prop_map(|(q, k, body)| Stmt::ForQ { q, k, body }).boxed()),
        (1, (any::<u8>(), b()).prop_map(|(k, body)| Stmt::ForCh { k, body }).boxed()),
        (4, prop::collection::vec(arm_s(b()), 1..4).prop_map(Stmt::Select).boxed()),
        (5, (trig_s(), b()).prop_map(|(trig, body)| Stmt::Until { trig, body }).boxed()),
        (4, scope_body.prop_map(Stmt::Scope).boxed()),
        (
            3,
            (prop_oneof![Just(LoopKind::For), Just(LoopKind::While), Just(LoopKind::Loop)], any::<u8>(), b())
                .prop_map(|(kind, n, body)| Stmt::Loop { kind, n, body })
                .boxed(),
        ),
        (2, (bool_s(), b(), b()).prop_map(|(cond, then, els)| Stmt::If { cond, then, els }).boxed()),
        (1, (any::<u8>(), arm_s(Just(vec![]).boxed())).prop_map(|(n, arm)| Stmt::Spin { n, arm }).boxed()),
    ])
}

fn body_s() -> BoxedStrategy<Vec<Stmt>> {
    prop::collection::vec(stmt_s(stmt_depth()), 1..6).boxed()
}

fn deadline_s() -> BoxedStrategy<Option<Dly>> {
    prop_oneof![
        1 => Just(None),
        4 => prop_oneof![any::<u8>().prop_map(Dly::Int), any::<u8>().prop_map(Dly::Uniform)].prop_map(Some),
    ]
    .boxed()
}

fn model_strategy() -> impl Strategy<Value = Model> {
    let locks = prop::collection::vec(
        (1u8..=3, prop::bool::weighted(0.4)).prop_map(|(cap, preemptive)| LockDef { cap, preemptive }),
        1..=3,
    );
    let kinds = prop::collection::vec(
        (deadline_s(), prop_oneof![2 => Just(1u8), 1 => 2u8..=4], prop::option::weighted(0.4, dly_s()), body_s())
            .prop_map(|(deadline, rounds, pace, body)| Kind { deadline, rounds, pace, body }),
        1..=4,
    );
    let tickers =
        prop::collection::vec(
            (any::<u8>(), dly_s(), prop::collection::vec(ticker_leaf_s(), 1..4))
                .prop_map(|(count, period, body)| Ticker { count, period, body }),
            1..=3,
        );
    let tops = prop::collection::vec(
        (any::<u8>(), prop::bool::weighted(0.5), prop::collection::vec(dly_s(), 1..=2))
            .prop_map(|(kind, stable, killers)| Top { kind, stable, killers }),
        1..=4,
    );
    (
        locks,
        (prop::sample::select(vec![4u8, 8, 12, 20]), any::<u8>(), 1u8..=3),
        kinds,
        (tops, tickers),
        (deadline_s(), body_s()),
        any::<bool>(),
        prop_oneof![3 => Just(None), 1 => any::<u8>().prop_map(Some)],
    )
        .prop_map(
            |(
                locks,
                (tank_cap, level, q1_cap),
                kinds,
                (tops, tickers),
                (main_deadline, main_body),
                forever_by_delay,
                horizon,
            )| {
                Model {
                    locks,
                    tank_cap,
                    tank_level: level % (tank_cap + 1),
                    q1_cap,
                    kinds,
                    tops,
                    tickers,
                    main_deadline,
                    main_body,
                    forever_by_delay,
                    horizon,
                }
            },
        )
}

// ---------------------------------------------------------------------------
// Compiling, running, checking
// ---------------------------------------------------------------------------

/// One run: its outcome and everything it printed.
struct Ran {
    outcome: RunOutcome,
    output: String,
}

impl Ran {
    /// Everything that must be identical between two runs, bit for bit.
    fn fingerprint(&self) -> String {
        let o = &self.outcome;
        format!(
            "events={} end={:x} stopped={} error={:?} waiting={:?} audit={:?} globals={:?}\nstats={:?}\n{}",
            o.events,
            o.end_time.to_bits(),
            o.stopped,
            o.error,
            o.waiting,
            o.audit,
            o.globals,
            o.stats,
            self.output
        )
    }
}

/// What one model did, for the tally.
struct Summary {
    ending: String,
    events: u64,
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
    let output = String::from_utf8(sink.bytes()).map_err(|_| "[bad-output] the output is not UTF-8".to_string())?;
    Ok(Ran { outcome, output })
}

/// The numbers of an `AUDIT` line after its name.
fn audit_numbers(output: &str, name: &str) -> Result<Vec<f64>, String> {
    let prefix = format!("AUDIT {name} ");
    let line = output
        .lines()
        .find(|l| l.starts_with(&prefix))
        .ok_or_else(|| format!("[audit-line-missing] no `{prefix}` line"))?;
    line[prefix.len()..]
        .split(' ')
        .map(|w| w.parse::<f64>().map_err(|_| format!("[audit-line-bad] `{line}`")))
        .collect()
}

/// Checks one run against properties 1–3.
fn check_run(m: &Model, ran: &Ran, what: &str) -> Result<(), String> {
    let o = &ran.outcome;
    if let Some(e) = &o.error {
        if e.message.starts_with("internal error") {
            return Err(format!("[internal-runtime-error] ({what}) {e}"));
        }
        return Err(format!("[runtime-error] ({what}) {e}"));
    }
    if let Some(a) = &o.audit {
        return Err(format!("[runtime-audit] ({what}) {a}"));
    }
    if let Some(line) = ran.output.lines().find(|l| l.starts_with("VIOLATION")) {
        return Err(format!("[wrong-result] ({what}) {line}"));
    }
    if let Some(w) = o.waiting.iter().find(|w| w.since.is_nan() || w.since > o.end_time) {
        return Err(format!("[bad-waiting] ({what}) {w:?} waits since after the end {}", o.end_time));
    }
    if o.stopped {
        return Err(format!("[stopped] ({what}) the model has no `stop`"));
    }
    if let Some(h) = m.horizon {
        let horizon = f64::from(2 + h % 30);
        if o.end_time != horizon {
            return Err(format!("[bad-end-time] ({what}) ended at {} instead of the horizon {horizon}", o.end_time));
        }
    }
    let audited = ran.output.lines().any(|l| l == "AUDIT end");
    check_stats(o, audited, what)?;
    if !audited {
        if m.horizon.is_none() {
            if m.deadlock_free() {
                return Err(format!(
                    "[no-audit] ({what}) every body has a deadline, yet main never reached its audit (end {}, waiting {:?})",
                    o.end_time, o.waiting
                ));
            }
            if !o.waiting.iter().any(|w| w.process == "main") {
                return Err(format!(
                    "[vanished] ({what}) main never reached its audit and no event is left, yet main is not listed as waiting (end {}, waiting {:?})",
                    o.end_time, o.waiting
                ));
            }
        }
        return Ok(());
    }
    if !o.waiting.is_empty() {
        return Err(format!("[waiting-after-audit] ({what}) everything was joined, yet waiting: {:?}", o.waiting));
    }
    for (name, cap, init) in [
        ("q0", None, 0.0),
        ("q1", Some(f64::from(m.q1_cap)), 0.0),
        ("tank", Some(f64::from(m.tank_cap)), f64::from(m.tank_level)),
    ] {
        let v = audit_numbers(&ran.output, name)?;
        let [len, put, got, sp, sg] = v[..] else {
            return Err(format!("[audit-line-bad] `{name}`: {v:?}"));
        };
        if sp < 0.0 || sg < 0.0 {
            return Err(format!("[negative-slack] ({what}) {name}: slack put {sp}, get {sg}"));
        }
        let net = init + put - got;
        if len < net - sg || len > net + sp {
            let exact = if sp == 0.0 && sg == 0.0 { "exactly " } else { "" };
            return Err(format!(
                "[conservation-{name}] ({what}) {name} holds {len}; expected {exact}{init} + {put} put - {got} got = {net} (slack: +{sp} put, -{sg} got)"
            ));
        }
        if len < 0.0 || cap.is_some_and(|c| len > c) {
            return Err(format!("[out-of-range-{name}] ({what}) {name} holds {len}, capacity {cap:?}"));
        }
    }
    for i in 0..m.locks.len() {
        let free = format!("AUDIT lock l{i} free");
        if !ran.output.lines().any(|l| l == free) {
            let line = ran.output.lines().find(|l| l.starts_with(&format!("AUDIT lock l{i} "))).unwrap_or("(none)");
            return Err(format!("[lock-not-free] ({what}) after every process ended: {line}"));
        }
    }
    Ok(())
}

/// The statistics the runtime gathered agree with each other and with the
/// run: every time-weighted figure lies between its extremes, a lock's
/// grants each have a wait, a queue holds what was put and not got, and
/// its time-weighted length integrates to the time its items spent
/// buffered once it is empty (Little's law, exactly). Once every process
/// has ended (`all_ended`), no line holds a request.
fn check_stats(o: &RunOutcome, all_ended: bool, what: &str) -> Result<(), String> {
    let s = &o.stats;
    let span = o.end_time - s.start;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let within = |tw: &TimeWeighted, name: &str| -> Result<(), String> {
        let ok = tw.min <= tw.final_value
            && tw.final_value <= tw.max
            && (tw.mean >= tw.min || close(tw.mean, tw.min))
            && (tw.mean <= tw.max || close(tw.mean, tw.max));
        if ok {
            Ok(())
        } else {
            Err(format!("[stats-out-of-range] ({what}) {name}: {tw:?}"))
        }
    };
    let waits = |w: &WaitSummary, count: u64, name: &str| -> Result<(), String> {
        let ok = w.count == count && (count == 0 || (w.mean >= 0.0 && (w.mean <= w.max || close(w.mean, w.max))));
        if ok {
            Ok(())
        } else {
            Err(format!("[stats-waits] ({what}) {name}: {w:?} for {count} completions"))
        }
    };
    for lock in &s.locks {
        within(&lock.queue, &format!("lock {} queue", lock.name))?;
        waits(&lock.wait, lock.acquired, &format!("lock {}", lock.name))?;
        if !(lock.utilization >= 0.0 && (lock.utilization <= 1.0 || close(lock.utilization, 1.0))) {
            return Err(format!("[stats-utilization] ({what}) lock {}: {}", lock.name, lock.utilization));
        }
        if all_ended && lock.queue.final_value != 0.0 {
            return Err(format!(
                "[stats-line-left] ({what}) lock {}: {:?} after every process ended",
                lock.name, lock.queue
            ));
        }
    }
    for queue in &s.queues {
        within(&queue.length, &format!("queue {}", queue.name))?;
        waits(&queue.wait, queue.got, &format!("queue {}", queue.name))?;
        if queue.length.final_value != (queue.put - queue.got) as f64 {
            return Err(format!("[stats-queue-books] ({what}) queue {}: {queue:?}", queue.name));
        }
        let buffered = queue.length.mean * span;
        let waited = if queue.got == 0 { 0.0 } else { queue.wait.mean * queue.got as f64 };
        if queue.length.final_value == 0.0 && !close(buffered, waited) {
            return Err(format!(
                "[stats-little] ({what}) queue {}: mean length x time = {buffered}, but its items waited {waited} in all",
                queue.name
            ));
        }
    }
    for resource in &s.resources {
        within(&resource.level, &format!("resource {}", resource.name))?;
        within(&resource.queue, &format!("resource {} queue", resource.name))?;
        if all_ended && resource.queue.final_value != 0.0 {
            return Err(format!(
                "[stats-line-left] ({what}) resource {}: {:?} after every process ended",
                resource.name, resource.queue
            ));
        }
    }
    for tw in &s.cells {
        within(tw, "a var")?;
    }
    Ok(())
}

/// The whole pipeline for one model; `Err` starts with a `[category]`.
fn pipeline(m: &Model, src: &str, seed: u64) -> Result<Summary, String> {
    let (compiled, _warnings) = guard("compile", || compile_source(src, &[], false))?.map_err(describe_failure)?;
    let program = compiled.program();
    let a = run_once(program, seed, TieOrder::Fifo)?;
    check_run(m, &a, "fifo")?;
    let b = run_once(program, seed, TieOrder::Fifo)?;
    if a.fingerprint() != b.fingerprint() {
        return Err(format!(
            "[nondeterministic-run] two FIFO runs with seed {seed} differ:\n--- first\n{}\n--- second\n{}",
            a.fingerprint(),
            b.fingerprint()
        ));
    }
    if m.horizon.is_some() {
        // Without the horizon the same run goes on: what ran by the horizon
        // (events at exactly it included) printed the same lines.
        let l = run_until(program, seed, TieOrder::Fifo, None)?;
        if !l.output.starts_with(&a.output) || l.outcome.events < a.outcome.events {
            return Err(format!(
                "[horizon-not-a-prefix] the run without a horizon does not continue the run until it (seed {seed}):\n--- with the horizon\n{}\n--- without\n{}",
                a.fingerprint(),
                l.fingerprint()
            ));
        }
    }
    let r1 = run_once(program, seed, TieOrder::Random)?;
    check_run(m, &r1, "random ties")?;
    let r2 = run_once(program, seed, TieOrder::Random)?;
    if r1.fingerprint() != r2.fingerprint() {
        return Err(format!(
            "[nondeterministic-random-ties] two random-tie runs with seed {seed} differ:\n--- first\n{}\n--- second\n{}",
            r1.fingerprint(),
            r2.fingerprint()
        ));
    }
    let o = &a.outcome;
    let audited = a.output.lines().any(|l| l == "AUDIT end");
    let slack = ["q0", "q1", "tank"]
        .iter()
        .any(|name| audit_numbers(&a.output, name).is_ok_and(|v| v.len() == 5 && (v[3] != 0.0 || v[4] != 0.0)));
    let ending = match (audited, m.horizon.is_some(), slack) {
        (true, false, false) => "audited exactly",
        (true, false, true) => "audited within slack",
        (true, true, _) => "audited before the horizon",
        (false, true, _) => "horizon",
        (false, false, _) => "deadlock (listed as waiting)",
    };
    let size = match o.events {
        0..10 => "< 10 events",
        10..100 => "10-99 events",
        100..1000 => "100-999 events",
        _ => ">= 1000 events",
    };
    Ok(Summary { ending: format!("{ending}, {size}"), events: o.events })
}

/// Runs the pipeline on a thread with a large stack, catching panics and
/// giving up after a time limit.
fn check_model(m: &Model, seed: u64) -> Result<Summary, String> {
    let model = m.clone();
    support::isolated(move || {
        let src = model.render();
        pipeline(&model, &src, seed)
    })
}

// ---------------------------------------------------------------------------
// Minimizing a failure
// ---------------------------------------------------------------------------

/// Smaller versions of a block: one statement removed, a compound statement
/// replaced by one of its blocks, a select arm removed, or a smaller version
/// of a nested block.
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
        if let Stmt::Select(arms) = &b[i] {
            for k in 0..arms.len() {
                if arms.len() > 1 {
                    let mut c = b.to_vec();
                    let mut fewer = arms.clone();
                    fewer.remove(k);
                    c[i] = Stmt::Select(fewer);
                    out.push(c);
                }
            }
        }
        if let Stmt::If { els, .. } = &b[i] {
            if !els.is_empty() {
                let mut c = b.to_vec();
                if let Stmt::If { els, .. } = &mut c[i] {
                    els.clear();
                }
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
    if m.horizon.is_some() {
        out.push(Model { horizon: None, ..m.clone() });
    }
    if m.main_deadline.is_some() {
        out.push(Model { main_deadline: None, ..m.clone() });
    }
    for t in 0..m.tops.len() {
        if m.tops.len() > 1 {
            let mut c = m.clone();
            c.tops.remove(t);
            out.push(c);
        }
        if m.tops[t].killers.len() > 1 {
            let mut c = m.clone();
            c.tops[t].killers.pop();
            out.push(c);
        }
        if !m.tops[t].stable {
            let mut c = m.clone();
            c.tops[t].stable = true;
            out.push(c);
        }
    }
    if m.locks.len() > 1 {
        let mut c = m.clone();
        c.locks.pop();
        out.push(c);
    }
    if m.kinds.len() > 1 {
        // Dropping the last kind: spawns and tops resolve among the rest.
        let mut c = m.clone();
        c.kinds.pop();
        out.push(c);
    }
    for j in 0..m.tickers.len() {
        let mut c = m.clone();
        c.tickers.remove(j);
        out.push(c);
        for v in block_variants(&m.tickers[j].body) {
            let mut c = m.clone();
            c.tickers[j].body = v;
            out.push(c);
        }
    }
    for k in 0..m.kinds.len() {
        if m.kinds[k].rounds > 1 || m.kinds[k].pace.is_some() {
            let mut c = m.clone();
            c.kinds[k].rounds = 1;
            c.kinds[k].pace = None;
            out.push(c);
        }
        if m.kinds[k].deadline.is_some() {
            let mut c = m.clone();
            c.kinds[k].deadline = None;
            out.push(c);
        }
        for v in block_variants(&m.kinds[k].body) {
            let mut c = m.clone();
            c.kinds[k].body = v;
            out.push(c);
        }
    }
    for v in block_variants(&m.main_body) {
        out.push(Model { main_body: v, ..m.clone() });
    }
    out
}

/// Greedily shrinks the model while it still fails the same way.
fn minimize(m: Model, seed: u64, cat: &str) -> (Model, String) {
    support::shrink(m, cat, model_variants, |m: &Model| check_model(m, seed))
}

// ---------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------

#[test]
fn interacting_models_keep_their_books_and_are_deterministic() {
    let show = std::env::var("INTERACTION_FUZZ_SHOW").is_ok_and(|v| v == "1");
    let survey = std::env::var("INTERACTION_FUZZ_SURVEY").is_ok_and(|v| v == "1");
    type Found = BTreeMap<String, (u32, usize, Option<(Model, u64)>)>;
    let failures: Mutex<Found> = Mutex::default();
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let tally: Mutex<BTreeMap<String, u32>> = Mutex::default();
    let totals: Mutex<(u64, u64, usize)> = Mutex::default();
    let started = Instant::now();
    let result = runner.run(&(model_strategy(), any::<u64>()), |(model, seed)| {
        if show {
            eprintln!("----- seed {seed}\n{}", model.render());
        }
        match check_model(&model, seed) {
            Ok(s) => {
                *tally.lock().unwrap().entry(s.ending).or_default() += 1;
                let mut t = totals.lock().unwrap();
                t.0 += 1;
                t.1 += s.events;
                t.2 += model.render().len();
                Ok(())
            }
            Err(e) if survey => {
                let size = model.render().len();
                let mut found = failures.lock().unwrap();
                let entry = found.entry(category(&e).to_string()).or_insert((0, usize::MAX, None));
                entry.0 += 1;
                if size < entry.1 {
                    entry.1 = size;
                    entry.2 = Some((model, seed));
                }
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    let found = std::mem::take(&mut *failures.lock().unwrap());
    let kinds = found.len();
    for (cat, (count, _, smallest)) in found {
        let Some((model, seed)) = smallest else { continue };
        let (small, message) = minimize(model, seed, &cat);
        eprintln!(
            "interaction_fuzz survey: {count} models failed with {cat}]; the smallest, minimized (seed {seed}):\n{}\n{message}\n",
            small.render()
        );
    }
    assert!(kinds == 0, "interaction_fuzz survey: {kinds} kinds of failure");
    let (n, events, bytes) = *totals.lock().unwrap();
    eprintln!(
        "interaction_fuzz: {n} passing models in {:.1?} ({bytes} source bytes, {events} events in all)",
        started.elapsed()
    );
    for (ending, count) in tally.lock().unwrap().iter() {
        eprintln!("  {count:5}  {ending}");
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, (model, seed))) => {
            let reason = reason.to_string();
            let cat = category(&reason).to_string();
            eprintln!(
                "interaction_fuzz: failing model (shrunk by proptest), seed {seed}:\n{}\n{reason}",
                model.render()
            );
            let (small, message) = minimize(model, seed, &cat);
            panic!("model failed the interaction property; minimized (seed {seed}):\n{}\n{message}", small.render());
        }
        Err(e) => panic!("{e}"),
    }
}
