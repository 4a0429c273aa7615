//! A generator of random, well-typed usim models over the whole language,
//! for differential testing of the JIT against the interpreter
//! (`oracle/tests/differential.rs`).
//!
//! A model is drawn from a `u64` seed ([`Model::generate`]), so a seed is
//! all it takes to reproduce one; it is a small AST of this module's own,
//! rendered to source by [`Model::render`] against what is in scope at each
//! point, so that any statement can be deleted (or a compound statement
//! replaced by its body) and the model still renders well typed:
//! [`Model::variants`] lists those smaller models, for a greedy shrinker.
//! The approach is the one of `compiler/tests/pipeline_fuzz.rs` (structure,
//! rendering against scope, shrinking) and of the former
//! `compiler/tests/interaction_fuzz.rs` (interaction primitives with
//! in-model books, whose checks `oracle/tests/differential.rs` now runs on
//! these models), brought together and biased towards long runs.
//!
//! # The shape of a model
//!
//! Globals of every kind (`param`, `struct Job`, int/float/bool vars,
//! arrays, a struct var, an array of structs), 1–3 single locks
//! (capacities, `preemptive`) and a lock family `pumps[N]`, an unbounded
//! queue of structs `q0`, a bounded queue `q1`, a family of bounded queues
//! `bins[N]`, a channel `ch` and a channel family `alarms[2]`, a resource
//! `tank` and a resource family `cells[2]`; `fn`s (a bounded
//! recursive `fib`, one over a struct, one that writes a watched var, one
//! that picks a family member, one over an array, one that may `stop`).
//!
//! Processes: *workers* (joined by `main`) run hundreds of rounds, each round
//! a small random delay and then a random body under a deadline
//! (`until delay(D) { }`), so they cannot deadlock for good; *victims* do the
//! same but are cancelled at random times by `killer` processes; *helpers*
//! are spawned by workers and victims inside `scope`s (joined with `await`,
//! cancelled, or awaited as `select` arms and `until` triggers); a `ticker`
//! runs an `every` loop that feeds queues, sends and writes watched vars.
//! Bodies use every statement: `let`, assignments and compound assignments to
//! locals, globals, struct fields and array elements (indexed by runtime
//! values), `if`/`else`, `while`, `loop` + `break`, `for i in a..b`,
//! `for x in array`, `every`, `scope`, `spawn`/`await h`/`cancel h`,
//! `with` a lock (also `priority`, also a family member chosen at run time),
//! `with tank(a)`, queue and resource gets and puts, `for x in q`, `send`,
//! `await ch`, `for m in ch`, conditions, `select` with every kind of arm,
//! `until` with every kind of trigger, `record`, `print` with format specs,
//! `break`, `continue`, `return`; rarely a runtime error (division by zero,
//! an index out of bounds) or `stop` at some round.
//!
//! # Books kept inside the model
//!
//! Every completed queue and resource operation is counted in a global right
//! after its wait, with no suspension in between (`await q1.put(v); q1_put
//! += 1`), so an operation interrupted by an `until`, a lost `select` arm or
//! a preemption is either withdrawn (nothing happened, nothing counted) or
//! was handed over and is counted by the code after it. Only `cancel` could
//! drop a handed-over operation, so only workers and the ticker, which are
//! never cancelled, do counted operations. When `main` has joined every
//! worker and victim (and so every helper, which runs inside a `scope`) it
//! prints `AUDIT` lines: each queue's length with its counts, the levels
//! of the tank and of the cells with their counts, and whether every unit of every lock can be taken
//! at once. [`check_audit`] reads them: `len = put - got` exactly, the tank
//! at `level + put - got`, every lock free, and no `VIOLATION` line (a join
//! that returned another value than its process returns).

mod render;
mod shrink;

pub use render::check_audit;

/// A small deterministic generator (SplitMix64): a model is a function of
/// its seed alone.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn u8(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// An index chosen by weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

/// A duration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dly {
    /// A small integer (many ties).
    Int(u8),
    /// `uniform(0.0, k)`.
    Uniform(u8),
    /// `exponential(m)`.
    Exp(u8),
    /// A literal fraction.
    Frac(u8),
    /// `0`: still yields.
    Zero,
}

/// An int expression. `Loop` is the innermost loop variable in scope (or
/// `round` when there is none).
#[derive(Clone, Debug, PartialEq)]
pub enum IE {
    Lit(i64),
    Id,
    Round,
    X,
    N,
    Loop,
    Served(Box<IE>),
    Hist(Box<IE>),
    Arr(Box<IE>),
    LastId,
    JId,
    Fib(Box<IE>),
    Pick(Box<IE>),
    Total,
    Bin(&'static str, Box<IE>, Box<IE>),
    /// `/` or `%` by `max(1, b)`.
    Div(&'static str, Box<IE>, Box<IE>),
    Abs(Box<IE>),
    MinMax(&'static str, Box<IE>, Box<IE>),
    Randint(u8),
    Poisson(u8),
    QLen(u8),
    /// `int(f)` or `round(f)` of a bounded float.
    Trunc(&'static str, Box<FE>),
    ArrLen,
    /// `jobs[e].id` of the array of structs.
    JobsId(Box<IE>),
}

/// A float expression.
#[derive(Clone, Debug, PartialEq)]
pub enum FE {
    Lit(f64),
    Y,
    Acc,
    Now,
    LastSize,
    JSize,
    Float(Box<IE>),
    Bin(&'static str, Box<FE>, Box<FE>),
    /// `a / (abs(b) + 1.0)`
    SafeDiv(Box<FE>, Box<FE>),
    Math(&'static str, Box<FE>),
    Uniform(u8),
    Exp(u8),
    Normal(u8),
    Triangular(u8),
    Level,
    Score(Box<IE>, Box<FE>),
    MinMax(&'static str, Box<FE>, Box<FE>),
}

/// A bool expression.
#[derive(Clone, Debug, PartialEq)]
pub enum BE {
    Lit(bool),
    Flag,
    CmpI(&'static str, IE, IE),
    CmpF(&'static str, FE, FE),
    And(Box<BE>, Box<BE>),
    Or(Box<BE>, Box<BE>),
    Not(Box<BE>),
    Bern(u8),
}

/// A watched condition (`await COND`, a `select` arm, an `until` trigger).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cond {
    NGe(u8),
    Flag,
    NotFlag,
    /// `n > id % 4 + k`: reads a local too.
    NGtId(u8),
    NGeAndFlag(u8),
    /// `served[0] >= k`: an element watched on its own.
    Served0(u8),
    /// `hist[pick(id)] > k`: the whole array watched.
    HistPick(u8),
    /// `n % 3 == 0`
    NMod3,
}

/// A channel: `ch`, or `alarms[e]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Chan {
    Ch,
    Alarm(IE),
}

/// A lock: a single one (resolved at render time by the nesting rule), or a
/// member of the family `pumps`.
#[derive(Clone, Debug, PartialEq)]
pub enum LockRef {
    Single(u8),
    Pump(IE),
}

/// A counted queue or resource operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Q0Put(IE, FE),
    Q0Get,
    Q1Put(IE),
    Q1Get,
    BinPut(IE, IE),
    BinGet(IE),
    TPut(u8),
    TGet(u8),
    /// `await cells[e].put(a)`: a member of the resource family.
    CPut(IE, u8),
    CGet(IE, u8),
}

/// Which handles an abstract handle reference may resolve to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Never cancelled: may be joined with `await`.
    Stable,
    /// May be cancelled: only `cancel` and `until h` use it.
    Killable,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Trig {
    Delay(Dly),
    At(Dly),
    Chan(Chan),
    Cond(Cond),
    Handle(u8),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arm {
    With(LockRef, Option<i8>, Vec<Stmt>),
    Borrow(u8, Vec<Stmt>),
    Op(Op, Vec<Stmt>),
    Recv(Chan, Vec<Stmt>),
    Delay(Dly, Vec<Stmt>),
    Cond(Cond, Vec<Stmt>),
    Join(u8, Vec<Stmt>),
}

impl Arm {
    pub fn body(&self) -> &Vec<Stmt> {
        match self {
            Arm::With(_, _, b)
            | Arm::Borrow(_, b)
            | Arm::Op(_, b)
            | Arm::Recv(_, b)
            | Arm::Delay(_, b)
            | Arm::Cond(_, b)
            | Arm::Join(_, b) => b,
        }
    }

    pub fn body_mut(&mut self) -> &mut Vec<Stmt> {
        match self {
            Arm::With(_, _, b)
            | Arm::Borrow(_, b)
            | Arm::Op(_, b)
            | Arm::Recv(_, b)
            | Arm::Delay(_, b)
            | Arm::Cond(_, b)
            | Arm::Join(_, b) => b,
        }
    }
}

/// A part of a `print`.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(&'static str),
    Int(IE, &'static str),
    Float(FE, &'static str),
    Bool(BE, &'static str),
    /// `j`, `last`, `hist`, `served`, `arr` by number, with a spec.
    Agg(u8, &'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopKind {
    /// `for i in lo..lo+n`
    Range,
    While,
    Loop,
    /// `for x in hist` / `served` / `arr` / a literal
    Array(u8),
}

/// An int place: `x`, `n` (watched), `served[e]`, `hist[e]`, `arr[e]`,
/// `last.id`, `j.id`.
#[derive(Clone, Debug, PartialEq)]
pub enum IPlace {
    X,
    N,
    Served(IE),
    Hist(IE),
    Arr(IE),
    LastId,
    JId,
}

/// A float place: `y`, `acc`, `last.size`, `j.size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FPlace {
    Y,
    Acc,
    LastSize,
    JSize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    Delay(Dly),
    At(Dly),
    Instant,
    Print(Vec<Piece>),
    Record(u8, FE),
    /// `place = (e) % 1000`, or `place += e` / `-= e` with a small `e`.
    SetI(IPlace, &'static str, IE),
    SetF(FPlace, &'static str, FE),
    SetFlag(BE),
    Bump(u8),
    /// `last = Job { .. }` or `j = Job { .. }`, or a whole array assigned.
    SetAgg(u8, IE, FE),
    /// `let v = e` of a fresh local, then `x += v % 7`.
    Let(IE),
    If(BE, Vec<Stmt>, Vec<Stmt>),
    Loop(LoopKind, u8, Vec<Stmt>),
    Every(Dly, u8, Vec<Stmt>),
    With(LockRef, Option<i8>, Vec<Stmt>),
    Borrow(u8, Vec<Stmt>),
    Op(Op),
    /// `for g in q1` (`q = 1`) or `for g in q0` (`q = 0`), leaving after `k` items.
    ForQ(u8, u8, Vec<Stmt>),
    Send(Chan, IE),
    Recv(Chan),
    ForCh(Chan, u8, Vec<Stmt>),
    Await(Cond),
    Select(Vec<Arm>),
    Until(Trig, Vec<Stmt>),
    Scope(Vec<Stmt>),
    /// Only inside a `scope`: `spawn h(..)`, `let h = spawn h(..)` of a
    /// class, or `let r = await spawn h(..)`.
    Spawn {
        kind: u8,
        bind: Option<Class>,
        join: bool,
    },
    Join(u8),
    Cancel(u8),
    Break,
    Continue,
    /// `if COND { return id }`
    Return(BE),
}

impl Stmt {
    pub fn blocks(&self) -> Vec<&Vec<Stmt>> {
        match self {
            Stmt::If(_, a, b) => vec![a, b],
            Stmt::Loop(_, _, b)
            | Stmt::Every(_, _, b)
            | Stmt::With(_, _, b)
            | Stmt::Borrow(_, b)
            | Stmt::ForQ(_, _, b)
            | Stmt::ForCh(_, _, b)
            | Stmt::Until(_, b)
            | Stmt::Scope(b) => vec![b],
            Stmt::Select(arms) => arms.iter().map(Arm::body).collect(),
            _ => vec![],
        }
    }

    pub fn blocks_mut(&mut self) -> Vec<&mut Vec<Stmt>> {
        match self {
            Stmt::If(_, a, b) => vec![a, b],
            Stmt::Loop(_, _, b)
            | Stmt::Every(_, _, b)
            | Stmt::With(_, _, b)
            | Stmt::Borrow(_, b)
            | Stmt::ForQ(_, _, b)
            | Stmt::ForCh(_, _, b)
            | Stmt::Until(_, b)
            | Stmt::Scope(b) => vec![b],
            Stmt::Select(arms) => arms.iter_mut().map(Arm::body_mut).collect(),
            _ => vec![],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockDef {
    pub cap: u8,
    pub preemptive: bool,
}

/// A process kind that runs rounds: `for round in 0..rounds { await
/// delay(pace); until delay(deadline) { body } }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Kind {
    pub rounds: u16,
    pub pace: Dly,
    /// The deadline of each round (none: the body runs bare).
    pub deadline: Option<u8>,
    pub body: Vec<Stmt>,
}

/// The `every` process that keeps queues, the channels and the watched
/// vars busy.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticker {
    pub period: Dly,
    pub count: u16,
    pub body: Vec<Stmt>,
    /// A root of `run` beside `main`, instead of spawned by `main`.
    pub root: bool,
}

/// A runtime error or `stop` planted at a round of worker 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    DivZero(u16),
    OutOfBounds(u16),
    Stop(u16),
    /// `halt(round, k)`: a `fn` that stops.
    StopInFn(u16),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub seed: u64,
    /// The size of the families (`param N`).
    pub n: u8,
    pub locks: Vec<LockDef>,
    pub pumps_preemptive: bool,
    pub q1_cap: u8,
    pub tank_cap: u8,
    pub tank_level: u8,
    pub workers: Vec<Kind>,
    /// Each victim with the delays of its killers.
    pub victims: Vec<(Kind, Vec<Dly>)>,
    pub helpers: Vec<Kind>,
    pub ticker: Option<Ticker>,
    pub fault: Option<Fault>,
    pub horizon: Option<u32>,
}

/// What a body may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Counted operations and spawns.
    Worker,
    /// Spawns, no counted operations (it may be cancelled).
    Victim,
    /// Neither.
    Helper,
    /// Simple statements only, counted operations within a timeout.
    Ticker,
}

struct Gen<'r> {
    rng: &'r mut Rng,
    ctx: Ctx,
}

impl Gen<'_> {
    fn dly(&mut self) -> Dly {
        match self.rng.weighted(&[6, 3, 2, 2, 1]) {
            0 => Dly::Int(self.rng.u8()),
            1 => Dly::Uniform(self.rng.u8()),
            2 => Dly::Exp(self.rng.u8()),
            3 => Dly::Frac(self.rng.u8()),
            _ => Dly::Zero,
        }
    }

    fn ie(&mut self, d: u32) -> IE {
        let leaf = |g: &mut Gen| match g.rng.weighted(&[4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1]) {
            0 => IE::Lit(g.rng.range(0, 12) as i64 - 3),
            1 => IE::Id,
            2 => IE::Round,
            3 => IE::X,
            4 => IE::N,
            5 => IE::Loop,
            6 => IE::LastId,
            7 => IE::JId,
            8 => IE::Randint(g.rng.u8()),
            9 => IE::QLen(g.rng.u8()),
            10 => IE::Poisson(g.rng.u8()),
            11 => IE::Total,
            _ => IE::ArrLen,
        };
        if d == 0 {
            return leaf(self);
        }
        let b = |g: &mut Gen| Box::new(g.ie(d - 1));
        match self.rng.weighted(&[8, 5, 2, 2, 2, 2, 1, 2, 1, 1, 1, 1]) {
            0 => leaf(self),
            11 => IE::JobsId(b(self)),
            1 => {
                let op = self.rng.pick(&["+", "-", "*"]);
                IE::Bin(op, b(self), b(self))
            }
            2 => {
                let op = self.rng.pick(&["/", "%"]);
                IE::Div(op, b(self), b(self))
            }
            3 => IE::Served(b(self)),
            4 => IE::Hist(b(self)),
            5 => IE::Arr(b(self)),
            6 => IE::Fib(b(self)),
            7 => IE::Pick(b(self)),
            8 => IE::Abs(b(self)),
            9 => {
                let op = self.rng.pick(&["min", "max"]);
                IE::MinMax(op, b(self), b(self))
            }
            _ => {
                let op = self.rng.pick(&["int", "round"]);
                IE::Trunc(op, Box::new(self.fe(d - 1)))
            }
        }
    }

    fn fe(&mut self, d: u32) -> FE {
        let leaf = |g: &mut Gen| match g.rng.weighted(&[4, 3, 2, 3, 1, 1, 2, 1, 1, 1, 1, 1]) {
            0 => FE::Lit(g.rng.pick(&[0.0, 0.5, 1.0, 1.5, 2.25, 3.0, 10.0, -1.0, -0.5, 0.001, 0.1])),
            1 => FE::Y,
            2 => FE::Acc,
            3 => FE::Now,
            4 => FE::LastSize,
            5 => FE::JSize,
            6 => FE::Uniform(g.rng.u8()),
            7 => FE::Exp(g.rng.u8()),
            8 => FE::Normal(g.rng.u8()),
            9 => FE::Triangular(g.rng.u8()),
            10 => FE::Level,
            _ => FE::Float(Box::new(IE::Id)),
        };
        if d == 0 {
            return leaf(self);
        }
        let b = |g: &mut Gen| Box::new(g.fe(d - 1));
        match self.rng.weighted(&[8, 5, 2, 2, 2, 1, 1]) {
            0 => leaf(self),
            1 => {
                let op = self.rng.pick(&["+", "-", "*", "%"]);
                FE::Bin(op, b(self), b(self))
            }
            2 => FE::SafeDiv(b(self), b(self)),
            3 => {
                let f = self.rng.pick(&["sqrt", "exp", "ln", "floor", "ceil", "abs"]);
                FE::Math(f, b(self))
            }
            4 => FE::Float(Box::new(self.ie(d - 1))),
            5 => FE::Score(Box::new(self.ie(d - 1)), b(self)),
            _ => {
                let op = self.rng.pick(&["min", "max"]);
                FE::MinMax(op, b(self), b(self))
            }
        }
    }

    fn be(&mut self, d: u32) -> BE {
        match self.rng.weighted(&[1, 2, 4, 2, 1, 1, 1, 2]) {
            0 => BE::Lit(self.rng.chance(0.5)),
            1 => BE::Flag,
            2 => {
                let op = self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                BE::CmpI(op, self.ie(d), self.ie(d))
            }
            3 => {
                let op = self.rng.pick(&["<", "<=", ">", ">=", "!="]);
                BE::CmpF(op, self.fe(d), self.fe(d))
            }
            4 if d > 0 => BE::And(Box::new(self.be(d - 1)), Box::new(self.be(d - 1))),
            5 if d > 0 => BE::Or(Box::new(self.be(d - 1)), Box::new(self.be(d - 1))),
            6 if d > 0 => BE::Not(Box::new(self.be(d - 1))),
            _ => BE::Bern(self.rng.u8()),
        }
    }

    fn cond(&mut self) -> Cond {
        let k = self.rng.u8();
        match self.rng.weighted(&[4, 2, 2, 2, 1, 2, 1, 1]) {
            0 => Cond::NGe(k),
            1 => Cond::Flag,
            2 => Cond::NotFlag,
            3 => Cond::NGtId(k),
            4 => Cond::NGeAndFlag(k),
            5 => Cond::Served0(k),
            6 => Cond::HistPick(k),
            _ => Cond::NMod3,
        }
    }

    fn chan(&mut self) -> Chan {
        if self.rng.chance(0.5) {
            Chan::Ch
        } else {
            Chan::Alarm(self.ie(1))
        }
    }

    fn lock(&mut self) -> LockRef {
        if self.rng.chance(0.3) {
            LockRef::Pump(self.ie(1))
        } else {
            LockRef::Single(self.rng.u8())
        }
    }

    fn prio(&mut self) -> Option<i8> {
        if self.rng.chance(0.4) {
            Some(self.rng.u8() as i8)
        } else {
            None
        }
    }

    fn op(&mut self) -> Op {
        match self.rng.weighted(&[2, 2, 3, 3, 2, 2, 2, 2, 1, 1]) {
            0 => Op::Q0Put(self.ie(1), self.fe(1)),
            1 => Op::Q0Get,
            2 => Op::Q1Put(self.ie(1)),
            3 => Op::Q1Get,
            4 => Op::BinPut(self.ie(1), self.ie(1)),
            5 => Op::BinGet(self.ie(1)),
            6 => Op::TPut(self.rng.u8()),
            7 => Op::TGet(self.rng.u8()),
            8 => Op::CPut(self.ie(1), self.rng.u8()),
            _ => Op::CGet(self.ie(1), self.rng.u8()),
        }
    }

    fn piece(&mut self) -> Piece {
        match self.rng.weighted(&[3, 3, 1, 1]) {
            0 => Piece::Int(self.ie(2), self.rng.pick(&["", "", "6", "<5", "^7", "06", "+", "*>8", "+05"])),
            1 => Piece::Float(self.fe(2), self.rng.pick(&["", "", ".2", "8.3", "<10.1", "+.2", "08.2", "^12", ".0"])),
            2 => Piece::Bool(self.be(1), self.rng.pick(&["", "6", ">6", "^7"])),
            _ => Piece::Agg(self.rng.u8(), self.rng.pick(&["", "", "<30", ">40"])),
        }
    }

    fn print(&mut self) -> Stmt {
        let mut pieces = vec![Piece::Text("{now} "), Piece::Text("who")];
        for _ in 0..self.rng.range(0, 3) {
            pieces.push(Piece::Text(self.rng.pick(&[" v=", " \\t", " \\{x\\} ", " | ", " "])));
            pieces.push(self.piece());
        }
        Stmt::Print(pieces)
    }

    fn iplace(&mut self) -> IPlace {
        match self.rng.weighted(&[4, 3, 2, 2, 2, 1, 1]) {
            0 => IPlace::X,
            1 => IPlace::N,
            2 => IPlace::Served(self.ie(1)),
            3 => IPlace::Hist(self.ie(1)),
            4 => IPlace::Arr(self.ie(1)),
            5 => IPlace::LastId,
            _ => IPlace::JId,
        }
    }

    fn counted(&self) -> bool {
        matches!(self.ctx, Ctx::Worker | Ctx::Ticker)
    }

    fn spawns(&self) -> bool {
        matches!(self.ctx, Ctx::Worker | Ctx::Victim)
    }

    fn leaf(&mut self) -> Stmt {
        loop {
            let s = match self.rng.weighted(&[8, 1, 1, 3, 2, 4, 2, 2, 3, 1, 1, 10, 3, 2, 3, 2, 2, 1, 1, 1]) {
                0 => Stmt::Delay(self.dly()),
                1 => Stmt::At(self.dly()),
                2 => Stmt::Instant,
                3 => self.print(),
                4 => Stmt::Record(self.rng.u8(), self.fe(2)),
                5 => {
                    let op = self.rng.pick(&["=", "+=", "-=", "+="]);
                    Stmt::SetI(self.iplace(), op, self.ie(2))
                }
                6 => {
                    let op = self.rng.pick(&["=", "+=", "-=", "*=", "/="]);
                    let p = self.rng.pick(&[FPlace::Y, FPlace::Acc, FPlace::LastSize, FPlace::JSize]);
                    Stmt::SetF(p, op, self.fe(2))
                }
                7 => Stmt::SetFlag(self.be(1)),
                8 => Stmt::Bump(self.rng.u8()),
                9 => Stmt::SetAgg(self.rng.u8(), self.ie(1), self.fe(1)),
                10 => Stmt::Let(self.ie(2)),
                11 if self.counted() => Stmt::Op(self.op()),
                12 => Stmt::Send(self.chan(), self.ie(1)),
                13 => Stmt::Recv(self.chan()),
                14 => Stmt::Await(self.cond()),
                15 if self.spawns() => Stmt::Join(self.rng.u8()),
                16 if self.spawns() => Stmt::Cancel(self.rng.u8()),
                17 => Stmt::Break,
                18 => Stmt::Continue,
                19 => Stmt::Return(self.be(1)),
                _ => continue,
            };
            return s;
        }
    }

    fn block(&mut self, depth: u32, lo: u64, hi: u64) -> Vec<Stmt> {
        (0..self.rng.range(lo, hi)).map(|_| self.stmt(depth)).collect()
    }

    fn arm(&mut self, depth: u32) -> Arm {
        loop {
            let body = if self.rng.chance(0.6) { self.block(depth, 0, 2) } else { vec![] };
            return match self.rng.weighted(&[4, 2, 5, 2, 4, 2, 2]) {
                0 => Arm::With(self.lock(), self.prio(), body),
                1 => Arm::Borrow(self.rng.u8(), body),
                2 if self.counted() => Arm::Op(self.op(), body),
                3 => Arm::Recv(self.chan(), body),
                4 => Arm::Delay(self.dly(), body),
                5 => Arm::Cond(self.cond(), body),
                6 if self.spawns() => Arm::Join(self.rng.u8(), body),
                _ => continue,
            };
        }
    }

    fn trig(&mut self) -> Trig {
        match self.rng.weighted(&[4, 1, 2, 3, 3]) {
            0 => Trig::Delay(self.dly()),
            1 => Trig::At(self.dly()),
            2 => Trig::Chan(self.chan()),
            3 => Trig::Cond(self.cond()),
            _ => Trig::Handle(self.rng.u8()),
        }
    }

    fn spawn(&mut self) -> Stmt {
        let bind = match self.rng.below(3) {
            0 => None,
            1 => Some(Class::Stable),
            _ => Some(Class::Killable),
        };
        Stmt::Spawn { kind: self.rng.u8(), bind, join: self.rng.chance(0.15) }
    }

    /// What the ticker does each period: nothing that waits for long.
    fn ticker_leaf(&mut self) -> Stmt {
        match self.rng.weighted(&[4, 3, 3, 2, 6, 1, 1, 1]) {
            0 => Stmt::Send(self.chan(), self.ie(1)),
            1 => Stmt::Bump(self.rng.u8()),
            2 => Stmt::SetFlag(self.be(1)),
            3 => Stmt::SetI(self.iplace(), "+=", self.ie(1)),
            4 => Stmt::Op(self.op()),
            5 => self.print(),
            6 => Stmt::Record(self.rng.u8(), self.fe(1)),
            _ => Stmt::SetAgg(self.rng.u8(), self.ie(1), self.fe(1)),
        }
    }

    fn stmt(&mut self, depth: u32) -> Stmt {
        if self.ctx == Ctx::Ticker {
            return self.ticker_leaf();
        }
        if depth == 0 {
            return self.leaf();
        }
        let d = depth - 1;
        loop {
            return match self.rng.weighted(&[16, 3, 3, 1, 5, 2, 2, 1, 4, 4, 3, 1]) {
                0 => self.leaf(),
                1 => Stmt::If(
                    self.be(1),
                    self.block(d, 1, 3),
                    if self.rng.chance(0.5) { self.block(d, 1, 2) } else { vec![] },
                ),
                2 => {
                    let kind = match self.rng.below(4) {
                        0 => LoopKind::Range,
                        1 => LoopKind::While,
                        2 => LoopKind::Loop,
                        _ => LoopKind::Array(self.rng.u8()),
                    };
                    Stmt::Loop(kind, self.rng.u8(), self.block(d, 1, 3))
                }
                3 => Stmt::Every(self.dly(), self.rng.u8(), self.block(d, 1, 3)),
                4 => Stmt::With(self.lock(), self.prio(), self.block(d, 1, 3)),
                5 => Stmt::Borrow(self.rng.u8(), self.block(d, 1, 3)),
                6 if self.counted() => Stmt::ForQ(self.rng.u8(), self.rng.u8(), self.block(d, 0, 2)),
                7 => Stmt::ForCh(self.chan(), self.rng.u8(), self.block(d, 0, 2)),
                8 => Stmt::Select((0..self.rng.range(1, 3)).map(|_| self.arm(d)).collect()),
                9 => Stmt::Until(self.trig(), self.block(d, 1, 3)),
                10 if self.spawns() => {
                    let mut body: Vec<Stmt> = (0..self.rng.range(1, 3)).map(|_| self.spawn()).collect();
                    body.extend(self.block(d, 0, 3));
                    Stmt::Scope(body)
                }
                11 => Stmt::Print(vec![Piece::Text("{now} "), Piece::Text("who"), Piece::Text(" tick")]),
                _ => continue,
            };
        }
    }

    fn kind(&mut self, rounds: (u64, u64), depth: u32, len: (u64, u64)) -> Kind {
        let deadline = if self.ctx == Ctx::Helper && self.rng.chance(0.3) { None } else { Some(self.rng.u8()) };
        Kind {
            rounds: self.rng.range(rounds.0, rounds.1) as u16,
            pace: self.dly(),
            deadline,
            body: self.block(depth, len.0, len.1),
        }
    }
}

impl Model {
    /// Every worker and victim runs each round under a deadline, so the run
    /// cannot deadlock for good: without a horizon, `stop` or a runtime
    /// error, `main` must reach its audit. (Helpers need none: they run in
    /// `scope`s inside a worker's or victim's round, which the deadline
    /// ends, cancelling them; every loop is bounded, and the ticker's waits
    /// have timeouts.) Every generated model is; a shrunk one may not be.
    pub fn deadline_only(&self) -> bool {
        self.workers.iter().chain(self.victims.iter().map(|(k, _)| k)).all(|k| k.deadline.is_some())
    }

    /// The model of a seed.
    pub fn generate(seed: u64) -> Model {
        let mut rng = Rng::new(seed);
        let rng = &mut rng;
        let depth = 1 + rng.below(3) as u32;
        let locks = (0..rng.range(1, 3))
            .map(|_| LockDef { cap: rng.range(1, 3) as u8, preemptive: rng.chance(0.35) })
            .collect();
        let mut g = Gen { rng, ctx: Ctx::Worker };
        let workers = (0..g.rng.range(2, 5)).map(|_| g.kind((60, 300), depth, (2, 6))).collect();
        g.ctx = Ctx::Victim;
        let victims = (0..g.rng.weighted(&[2, 3, 2]))
            .map(|_| {
                let k = g.kind((5, 60), depth, (1, 4));
                let killers = (0..g.rng.range(1, 2))
                    .map(|_| if g.rng.chance(0.5) { Dly::Int(g.rng.u8()) } else { Dly::Uniform(g.rng.u8()) })
                    .collect();
                (k, killers)
            })
            .collect();
        g.ctx = Ctx::Helper;
        let helpers = (0..g.rng.range(1, 3)).map(|_| g.kind((1, 4), depth.min(2), (1, 4))).collect();
        g.ctx = Ctx::Ticker;
        let ticker = if g.rng.chance(0.85) {
            Some(Ticker {
                period: g.dly(),
                count: g.rng.range(20, 300) as u16,
                body: g.block(0, 1, 4),
                root: g.rng.chance(0.3),
            })
        } else {
            None
        };
        let rng = g.rng;
        let fault = match rng.weighted(&[40, 1, 1, 1, 1]) {
            0 => None,
            1 => Some(Fault::DivZero(rng.range(0, 150) as u16)),
            2 => Some(Fault::OutOfBounds(rng.range(0, 150) as u16)),
            3 => Some(Fault::Stop(rng.range(0, 150) as u16)),
            _ => Some(Fault::StopInFn(rng.range(0, 150) as u16)),
        };
        // Mostly a horizon after the workers' end (audited, then the run
        // reaches it), some in the middle of the run, some none.
        let horizon = match rng.weighted(&[9, 6, 5]) {
            0 => Some(rng.range(4000, 8000) as u32),
            1 => Some(rng.range(30, 600) as u32),
            _ => None,
        };
        let tank_cap = rng.pick(&[4u8, 8, 12, 20]);
        Model {
            seed,
            n: rng.range(2, 3) as u8,
            locks,
            pumps_preemptive: rng.chance(0.3),
            q1_cap: rng.range(1, 3) as u8,
            tank_cap,
            tank_level: rng.below(u64::from(tank_cap) + 1) as u8,
            workers,
            victims,
            helpers,
            ticker,
            fault,
            horizon,
        }
    }
}
