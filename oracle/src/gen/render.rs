//! A [`Model`] as usim source, and the check of the `AUDIT` lines it prints.

use std::fmt::Write as _;

use super::{
    Arm, Chan, Class, Cond, Dly, FPlace, Fault, IPlace, Kind, LockRef, LoopKind, Model, Op, Piece, Stmt, Trig, BE, FE,
    IE,
};

/// Who is running a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Worker(usize),
    Victim(usize),
    Helper(usize),
    Ticker,
}

struct Render<'m> {
    m: &'m Model,
    who: Who,
    out: String,
    indent: usize,
    fresh: usize,
    /// The highest lock level held here, lexically (the singles are levels
    /// `0..locks.len()`, the family `pumps` the level after them).
    held: Option<usize>,
    borrowing: bool,
    in_loop: bool,
    in_scope: bool,
    /// Loop variables in scope, innermost last.
    loop_vars: Vec<String>,
    /// Handles in scope: name, class, and the value its process returns.
    handles: Vec<(String, Class, String)>,
    /// Inside a `print`'s `{ }`: no struct literals.
    in_text: bool,
}

fn int_lit(v: i64) -> String {
    if v < 0 {
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

fn dly(d: Dly) -> String {
    match d {
        Dly::Int(k) => format!("{}", k % 4),
        Dly::Uniform(k) => format!("uniform(0.0, {}.0)", 1 + k % 3),
        Dly::Exp(k) => format!("exponential({})", ["0.5", "1.0", "2.0"][k as usize % 3]),
        Dly::Frac(k) => ["0.25", "0.5", "1.5"][k as usize % 3].to_string(),
        Dly::Zero => "0".into(),
    }
}

/// A positive period for `every`.
fn period(d: Dly) -> String {
    match d {
        Dly::Int(k) => format!("{}", 1 + k % 3),
        Dly::Uniform(_) => "uniform(0.5, 2.0)".into(),
        Dly::Exp(_) => "exponential(1.0)".into(),
        Dly::Frac(k) => ["0.25", "0.5", "1.5"][k as usize % 3].to_string(),
        Dly::Zero => "0.75".into(),
    }
}

/// A resource amount within the tank's capacity (1 ..= capacity / 2).
fn amount(m: &Model, a: u8) -> u32 {
    1 + u32::from(a) % (u32::from(m.tank_cap) / 2).max(1)
}

impl Render<'_> {
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

    fn who_text(&self) -> String {
        match self.who {
            Who::Worker(i) => format!("w{i}/{{id}}"),
            Who::Victim(i) => format!("v{i}/{{id}}"),
            Who::Helper(i) => format!("h{i}/{{id}}"),
            Who::Ticker => "ticker".into(),
        }
    }

    fn p(&mut self, e: &IE) -> String {
        let s = self.ie(e);
        match e {
            IE::Bin(..) | IE::Div(..) => format!("({s})"),
            IE::Lit(v) if *v < 0 => s,
            _ => s,
        }
    }

    fn ie(&mut self, e: &IE) -> String {
        match e {
            IE::Lit(v) => int_lit(*v),
            IE::Id => "id".into(),
            IE::Round => "round".into(),
            IE::X => "x".into(),
            IE::N => "N".into(),
            IE::Loop => self.loop_vars.last().cloned().unwrap_or_else(|| "round".into()),
            IE::Served(i) => format!("served[pick({})]", self.ie(i)),
            IE::Hist(i) => format!("hist[abs({}) % 4]", self.ie(i)),
            IE::Arr(i) => format!("arr[abs({}) % arr.len()]", self.ie(i)),
            IE::LastId => "last.id".into(),
            IE::JId => "j.id".into(),
            IE::Fib(i) => format!("fib(abs({}) % 12)", self.ie(i)),
            IE::Pick(i) => format!("pick({})", self.ie(i)),
            IE::Total => "total()".into(),
            IE::Bin("*", a, b) => format!("{} % 1000 * ({} % 1000)", self.p(a), self.p(b)),
            IE::Bin(op, a, b) => format!("{} {op} {}", self.p(a), self.p(b)),
            IE::Div(op, a, b) => format!("{} {op} max(1, {})", self.p(a), self.ie(b)),
            IE::Abs(a) => format!("abs({})", self.ie(a)),
            IE::MinMax(f, a, b) => format!("{f}({}, {})", self.ie(a), self.ie(b)),
            IE::Randint(k) => format!("randint({}, {})", k % 3, k % 3 + k / 3 % 6),
            IE::Poisson(k) => format!("poisson({})", ["0.0", "0.5", "2.0", "4.0"][*k as usize % 4]),
            IE::QLen(k) => match k % 3 {
                0 => "q0.len()".into(),
                1 => "q1.len()".into(),
                _ => "bins[id % N].len()".into(),
            },
            IE::Trunc(f, a) => format!("{f}(min(max({}, -1000.0), 1000.0))", self.fe(a)),
            IE::ArrLen => "served.len()".into(),
            IE::JobsId(i) => format!("jobs[abs({}) % 3].id", self.ie(i)),
        }
    }

    fn fp(&mut self, e: &FE) -> String {
        let s = self.fe(e);
        match e {
            FE::Bin(..) | FE::SafeDiv(..) => format!("({s})"),
            _ => s,
        }
    }

    fn fe(&mut self, e: &FE) -> String {
        match e {
            FE::Lit(v) => float_lit(*v),
            FE::Y => "y".into(),
            FE::Acc => "acc".into(),
            FE::Now => "now".into(),
            FE::LastSize => "last.size".into(),
            FE::JSize => "j.size".into(),
            FE::Float(i) => format!("float({})", self.ie(i)),
            FE::Bin(op, a, b) => format!("{} {op} {}", self.fp(a), self.fp(b)),
            FE::SafeDiv(a, b) => format!("{} / (abs({}) + 1.0)", self.fp(a), self.fe(b)),
            FE::Math(f, a) => format!("{f}({})", self.fe(a)),
            FE::Uniform(k) => format!("uniform(0.0, {}.0)", 1 + k % 4),
            FE::Exp(k) => format!("exponential({})", ["0.5", "1.0", "3.0"][*k as usize % 3]),
            FE::Normal(k) => format!("normal({}.0, {})", k % 5, ["0.0", "0.5", "2.0"][*k as usize % 3]),
            FE::Triangular(k) => format!("triangular(0.0, {}.0, 3.0)", k % 4),
            FE::Level => "tank.level()".into(),
            FE::Score(i, f) => {
                if self.in_text {
                    format!("score(j, {})", self.fe(f))
                } else {
                    let i = self.ie(i);
                    format!("score(Job {{ id: {i}, size: {} }}, 2.0)", self.fe(f))
                }
            }
            FE::MinMax(f, a, b) => format!("{f}({}, {})", self.fe(a), self.fe(b)),
        }
    }

    fn bp(&mut self, e: &BE) -> String {
        let s = self.be(e);
        match e {
            BE::And(..) | BE::Or(..) | BE::CmpI(..) | BE::CmpF(..) => format!("({s})"),
            _ => s,
        }
    }

    fn be(&mut self, e: &BE) -> String {
        match e {
            BE::Lit(b) => b.to_string(),
            BE::Flag => "flag".into(),
            BE::CmpI(op, a, b) => format!("{} {op} {}", self.p(a), self.p(b)),
            BE::CmpF(op, a, b) => format!("{} {op} {}", self.fp(a), self.fp(b)),
            BE::And(a, b) => format!("{} && {}", self.bp(a), self.bp(b)),
            BE::Or(a, b) => format!("{} || {}", self.bp(a), self.bp(b)),
            BE::Not(a) => format!("!{}", self.bp(a)),
            BE::Bern(k) => format!("bernoulli(0.{})", k % 10),
        }
    }

    fn cond(&self, c: Cond) -> String {
        match c {
            Cond::NGe(k) => format!("n >= {}", k % 6),
            Cond::Flag => "flag".into(),
            Cond::NotFlag => "!flag".into(),
            Cond::NGtId(k) => format!("n > id % 4 + {}", k % 4),
            Cond::NGeAndFlag(k) => format!("n >= {} && flag", k % 5),
            Cond::Served0(k) => format!("served[0] >= {}", k % 8),
            Cond::HistPick(k) => format!("hist[pick(id)] > {}", k % 5),
            Cond::NMod3 => "n % 3 == 0".into(),
        }
    }

    fn chan(&mut self, c: &Chan) -> String {
        match c {
            Chan::Ch => "ch".into(),
            Chan::Alarm(e) => format!("alarms[abs({}) % 2]", self.ie(e)),
        }
    }

    fn levels(&self) -> usize {
        self.m.locks.len()
    }

    fn can_nest(&self, level: usize) -> bool {
        if level < self.levels() {
            let l = self.m.locks[level];
            l.cap > 1 || l.preemptive
        } else {
            self.m.pumps_preemptive
        }
    }

    /// The lock a `with` takes, and its level: one after every lock held
    /// here, or the innermost held one again if it has several units or is
    /// preemptive.
    fn lock_choice(&mut self, lock: &LockRef) -> Option<(String, usize)> {
        let first = match self.held {
            None => 0,
            Some(h) if self.can_nest(h) => h,
            Some(h) => h + 1,
        };
        let n = self.levels();
        match lock {
            LockRef::Single(k) if first < n => {
                let l = first + *k as usize % (n - first);
                Some((format!("l{l}"), l))
            }
            LockRef::Pump(e) if first <= n => Some((format!("pumps[pick({})]", self.ie(e)), n)),
            _ => None,
        }
    }

    fn with_head(&self, lock: &str, prio: Option<i8>) -> String {
        match prio {
            Some(p) => format!("with {lock} priority {}", p.rem_euclid(5) - 1),
            None => format!("with {lock}"),
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

    fn check_result(&self, r: &str, expected: &str) -> String {
        format!(
            "if {r} != {expected} {{ print(\"VIOLATION {} joined {{{r}}}, expected {{{expected}}}\") }}",
            self.who_text()
        )
    }

    /// A nested block, with its lexical state restored afterwards.
    fn block(&mut self, b: &[Stmt]) {
        let handles = self.handles.len();
        let loops = self.loop_vars.len();
        let state = (self.held, self.borrowing, self.in_loop, self.in_scope);
        self.indent += 1;
        for s in b {
            self.stmt(s);
        }
        self.indent -= 1;
        self.handles.truncate(handles);
        self.loop_vars.truncate(loops);
        (self.held, self.borrowing, self.in_loop, self.in_scope) = state;
    }

    fn loop_block(&mut self, var: Option<String>, body: &[Stmt]) {
        let outer = (self.in_loop, self.loop_vars.len());
        self.in_loop = true;
        if let Some(v) = var {
            self.loop_vars.push(v);
        }
        self.block(body);
        self.in_loop = outer.0;
        self.loop_vars.truncate(outer.1);
    }

    fn plain_block(&mut self, body: &[Stmt]) {
        self.line("if true {");
        self.block(body);
        self.line("}");
    }

    fn text(&mut self, pieces: &[Piece]) -> String {
        self.in_text = true;
        let mut s = String::new();
        for p in pieces {
            let (value, spec) = match p {
                Piece::Text("who") => {
                    s.push_str(&self.who_text());
                    continue;
                }
                Piece::Text(t) => {
                    s.push_str(t);
                    continue;
                }
                Piece::Int(e, spec) => (self.ie(e), *spec),
                Piece::Float(e, spec) => (self.fe(e), *spec),
                Piece::Bool(e, spec) => (self.be(e), *spec),
                Piece::Agg(k, spec) => {
                    (["j", "last", "hist", "served", "arr", "jobs"][*k as usize % 6].to_string(), *spec)
                }
            };
            if spec.is_empty() {
                let _ = write!(s, "{{{value}}}");
            } else {
                let _ = write!(s, "{{{value}:{spec}}}");
            }
        }
        self.in_text = false;
        s
    }

    /// The wait of a counted operation (a statement or an arm head) and the
    /// count that follows it.
    fn op(&mut self, op: &Op) -> (String, String) {
        match op {
            Op::Q0Put(i, f) => {
                let i = self.p(i);
                let f = self.fe(f);
                (format!("await q0.put(Job {{ id: {i} % 1000, size: {f} }})"), "q0_put += 1".into())
            }
            Op::Q0Get => {
                let g = self.name("g");
                (format!("let {g} = await q0.get()"), format!("q0_got += 1; x += {g}.id % 10"))
            }
            Op::Q1Put(i) => (format!("await q1.put({} % 1000)", self.p(i)), "q1_put += 1".into()),
            Op::Q1Get => {
                let g = self.name("g");
                (format!("let {g} = await q1.get()"), format!("q1_got += 1; x += {g} % 10"))
            }
            Op::BinPut(k, v) => {
                let k = self.ie(k);
                let v = self.p(v);
                (format!("await bins[pick({k})].put({v} % 1000)"), "bins_put += 1".into())
            }
            Op::BinGet(k) => {
                let g = self.name("g");
                (format!("let {g} = await bins[pick({})].get()", self.ie(k)), "bins_got += 1".into())
            }
            Op::TPut(a) => {
                let a = amount(self.m, *a);
                (format!("await tank.put({a}.0)"), format!("t_put += {a}.0"))
            }
            Op::TGet(a) => {
                let a = amount(self.m, *a);
                (format!("await tank.get({a}.0)"), format!("t_got += {a}.0"))
            }
            Op::CPut(i, a) => {
                let a = amount(self.m, *a);
                (format!("await cells[abs({}) % 2].put({a}.0)", self.ie(i)), format!("c_put += {a}.0"))
            }
            Op::CGet(i, a) => {
                let a = amount(self.m, *a);
                (format!("await cells[abs({}) % 2].get({a}.0)", self.ie(i)), format!("c_got += {a}.0"))
            }
        }
    }

    /// What `with` borrows: `tank(a)`, or a member of `cells`.
    fn borrowed(&self, a: u8) -> String {
        let amt = amount(self.m, a);
        if a >= 128 {
            format!("cells[abs(x) % 2]({amt}.0)")
        } else {
            format!("tank({amt}.0)")
        }
    }

    fn iplace(&mut self, p: &IPlace) -> String {
        match p {
            IPlace::X => "x".into(),
            IPlace::N => "n".into(),
            IPlace::Served(e) => format!("served[pick({})]", self.ie(e)),
            IPlace::Hist(e) => format!("hist[abs({}) % 4]", self.ie(e)),
            IPlace::Arr(e) => format!("arr[abs({}) % 3]", self.ie(e)),
            IPlace::LastId => "last.id".into(),
            IPlace::JId => "j.id".into(),
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Delay(d) => self.line(&format!("await delay({})", dly(*d))),
            Stmt::At(d) => self.line(&format!("await at(now + {})", dly(*d))),
            Stmt::Instant => self.line("await instant"),
            Stmt::Print(pieces) => {
                let t = self.text(pieces);
                self.line(&format!("print(\"{t}\")"));
            }
            Stmt::Record(k, e) => {
                let e = self.fe(e);
                self.line(&format!("record lat{} = {e}", k % 3));
            }
            Stmt::SetI(IPlace::N, op, e) => {
                let l = match *op {
                    "=" => format!("n = abs({}) % 7", self.ie(e)),
                    "-=" => "n -= 1".into(),
                    _ => "n += 1".into(),
                };
                self.line(&l);
            }
            Stmt::SetI(place, op, e) => {
                let place = self.iplace(place);
                let e = self.p(e);
                let m = if *op == "=" { 1000 } else { 100 };
                self.line(&format!("{place} {op} {e} % {m}"));
            }
            Stmt::SetF(place, op, e) => {
                let place = match place {
                    FPlace::Y => "y",
                    FPlace::Acc => "acc",
                    FPlace::LastSize => "last.size",
                    FPlace::JSize => "j.size",
                };
                let e = self.fe(e);
                self.line(&format!("{place} {op} {e}"));
            }
            Stmt::SetFlag(b) => {
                let b = self.be(b);
                self.line(&format!("flag = {b}"));
            }
            Stmt::Bump(k) => self.line(&format!("bump({})", 1 + k % 2)),
            Stmt::SetAgg(k, i, f) => {
                let i = self.p(i);
                let f = self.fe(f);
                let l = match k % 6 {
                    0 => format!("last = Job {{ id: {i} % 1000, size: {f} }}"),
                    1 => format!("j = Job {{ size: {f}, id: {i} % 1000 }}"),
                    2 => format!("arr = [x % 10, {i} % 1000, id]"),
                    3 => format!("hist = [1, 2, {i} % 1000, 4]"),
                    4 => "served = [0; N]".into(),
                    _ => format!("jobs[abs({i}) % 3] = Job {{ id: {i} % 1000, size: {f} }}"),
                };
                self.line(&l);
            }
            Stmt::Let(e) => {
                let v = self.name("v");
                let e = self.p(e);
                self.line(&format!("let {v} = {e} % 1000"));
                self.line(&format!("x += {v} % 7"));
            }
            Stmt::If(c, then, els) => {
                let c = self.be(c);
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
            Stmt::Loop(kind, n, body) => {
                let n = 1 + n % 3;
                let i = self.name("i");
                match kind {
                    LoopKind::Range => self.line(&format!("for {i} in round % 3..round % 3 + {n} {{")),
                    LoopKind::While => {
                        self.line(&format!("let {i} = 0"));
                        self.line(&format!("while {i} < {n} {{"));
                        self.line(&format!("    {i} += 1"));
                    }
                    LoopKind::Loop => {
                        self.line(&format!("let {i} = 0"));
                        self.line("loop {");
                        self.line(&format!("    {i} += 1"));
                        self.line(&format!("    if {i} > {n} {{ break }}"));
                    }
                    LoopKind::Array(k) => {
                        let src = ["hist", "served", "arr", "[1, x % 5, 3]"][*k as usize % 4];
                        self.line(&format!("for {i} in {src} {{"));
                    }
                }
                self.loop_block(Some(i), body);
                self.line("}");
            }
            Stmt::Every(p, k, body) => {
                let c = self.name("c");
                self.line(&format!("let {c} = 0"));
                self.line(&format!("every {} {{", period(*p)));
                self.line(&format!("    {c} += 1"));
                self.line(&format!("    if {c} > {} {{ break }}", 1 + k % 3));
                self.loop_block(None, body);
                self.line("}");
            }
            Stmt::With(lock, prio, body) => match self.lock_choice(lock) {
                Some((l, level)) => {
                    let head = self.with_head(&l, *prio);
                    self.line(&format!("{head} {{"));
                    let outer = self.held;
                    self.held = Some(level);
                    self.block(body);
                    self.held = outer;
                    self.line("}");
                }
                None => self.plain_block(body),
            },
            Stmt::Borrow(a, body) => {
                if self.borrowing {
                    self.plain_block(body);
                } else {
                    let r = self.borrowed(*a);
                    self.line(&format!("with {r} {{"));
                    self.borrowing = true;
                    self.block(body);
                    self.borrowing = false;
                    self.line("}");
                }
            }
            Stmt::Op(op) => {
                let (wait, count) = self.op(op);
                if self.who == Who::Ticker {
                    // The ticker never waits long: `main` waits for it to end.
                    self.line(&format!("select {{ {wait} => {{ {count} }}; await delay(1) => {{ }} }}"));
                } else {
                    self.line(&format!("{wait}; {count}"));
                }
            }
            Stmt::ForQ(q, k, body) => {
                let c = self.name("c");
                let g = self.name("g");
                self.line(&format!("let {c} = 0"));
                let (q, count) = if q % 2 == 0 {
                    ("q0", format!("q0_got += 1; acc += {g}.size"))
                } else {
                    ("q1", format!("q1_got += 1; x += {g} % 10"))
                };
                self.line(&format!("for {g} in {q} {{"));
                self.line(&format!("    {count}; {c} += 1"));
                self.line(&format!("    if {c} > {} {{ break }}", 1 + k % 3));
                self.loop_block(None, body);
                self.line("}");
            }
            Stmt::Send(c, e) => {
                let c = self.chan(c);
                let e = self.p(e);
                self.line(&format!("{c}.send({e} % 1000)"));
            }
            Stmt::Recv(c) => {
                let c = self.chan(c);
                let m = self.name("m");
                self.line(&format!("let {m} = await {c}"));
                self.line(&format!("x += {m} % 10"));
            }
            Stmt::ForCh(ch, k, body) => {
                let ch = self.chan(ch);
                let c = self.name("c");
                let m = self.name("m");
                self.line(&format!("let {c} = 0"));
                self.line(&format!("for {m} in {ch} {{"));
                self.line(&format!("    {c} += 1"));
                self.line(&format!("    if {c} > {} {{ break }}", 1 + k % 3));
                self.loop_block(Some(m), body);
                self.line("}");
            }
            Stmt::Await(c) => {
                let c = self.cond(*c);
                self.line(&format!("await {c}"));
            }
            Stmt::Select(arms) => self.select(arms),
            Stmt::Until(trig, body) => {
                let t = match trig {
                    Trig::Delay(d) => format!("delay({})", dly(*d)),
                    Trig::At(d) => format!("at(now + {})", dly(*d)),
                    Trig::Chan(c) => self.chan(c),
                    Trig::Cond(c) => self.cond(*c),
                    Trig::Handle(k) => self.handle(*k, None).map_or_else(|| "delay(2)".into(), |(h, _)| h),
                };
                self.line(&format!("until {t} {{"));
                self.block(body);
                self.line("}");
            }
            Stmt::Scope(body) => {
                self.line("scope {");
                let outer = self.in_scope;
                self.in_scope = true;
                self.block(body);
                self.in_scope = outer;
                self.line("}");
            }
            Stmt::Spawn { kind, bind, join } => {
                if !self.in_scope || self.m.helpers.is_empty() || matches!(self.who, Who::Helper(_) | Who::Ticker) {
                    return;
                }
                let k = *kind as usize % self.m.helpers.len();
                let arg = format!("id * 10 + {}", self.fresh % 10);
                if *join {
                    let r = self.name("r");
                    self.line(&format!("let {r} = await spawn h{k}({arg})"));
                    let check = self.check_result(&r, &arg);
                    self.line(&check);
                } else if let Some(class) = bind {
                    let h = self.name("h");
                    self.line(&format!("let {h} = spawn h{k}({arg})"));
                    self.handles.push((h, *class, arg));
                } else if *kind >= 128 {
                    // Spawned by a `fn`: still a child of the scope.
                    self.line(&format!("launch{k}({arg})"));
                } else {
                    self.line(&format!("spawn h{k}({arg})"));
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
            Stmt::Break => {
                if self.in_loop {
                    self.line("break");
                }
            }
            Stmt::Continue => {
                if self.in_loop {
                    self.line("continue");
                }
            }
            Stmt::Return(c) => {
                let c = self.be(c);
                self.line(&format!("if {c} {{ return id }}"));
            }
        }
    }

    fn select(&mut self, arms: &[Arm]) {
        self.line("select {");
        self.indent += 1;
        for arm in arms {
            let outer = (self.held, self.borrowing);
            let mut first = None;
            let head = match arm {
                Arm::With(lock, prio, _) => match self.lock_choice(lock) {
                    Some((l, level)) => {
                        self.held = Some(level);
                        self.with_head(&l, *prio)
                    }
                    None => "await delay(1)".to_string(),
                },
                Arm::Borrow(a, _) => {
                    if self.borrowing {
                        "await delay(1)".to_string()
                    } else {
                        self.borrowing = true;
                        format!("with {}", self.borrowed(*a))
                    }
                }
                Arm::Op(op, _) => {
                    let (wait, count) = self.op(op);
                    first = Some(count);
                    wait
                }
                Arm::Recv(c, _) => {
                    let c = self.chan(c);
                    let m = self.name("m");
                    first = Some(format!("x += {m} % 10"));
                    format!("let {m} = await {c}")
                }
                Arm::Delay(d, _) => format!("await delay({})", dly(*d)),
                Arm::Cond(c, _) => format!("await {}", self.cond(*c)),
                Arm::Join(k, _) => match self.handle(*k, Some(Class::Stable)) {
                    Some((h, expected)) => {
                        let r = self.name("r");
                        first = Some(self.check_result(&r, &expected));
                        format!("let {r} = await {h}")
                    }
                    None => "await delay(3)".to_string(),
                },
            };
            self.line(&format!("{head} => {{"));
            if let Some(first) = first {
                self.indent += 1;
                self.line(&first);
                self.indent -= 1;
            }
            self.block(arm.body());
            (self.held, self.borrowing) = outer;
            self.line("}");
        }
        self.indent -= 1;
        self.line("}");
    }

    /// The locals every process body may use.
    fn locals(&mut self) {
        self.line("let x: int = id");
        self.line("let y: float = 0.5");
        self.line("let j = Job { id: id, size: 1.0 }");
        self.line("let arr: [int; 3] = [id, 1, 2]");
    }

    /// `for round in 0..rounds { await delay(pace); until delay(D) { body } }`.
    fn rounds(&mut self, k: &Kind, fault: Option<Fault>) {
        self.locals();
        self.line(&format!("for round in 0..{} {{", k.rounds));
        self.indent += 1;
        if let Some(f) = fault {
            let l = match f {
                Fault::DivZero(r) => format!("if round == {r} {{ x = x / (round - {r}) }}"),
                Fault::OutOfBounds(r) => format!("if round == {r} {{ x = hist[round - {r} + 4] }}"),
                Fault::Stop(r) => format!("if round == {r} {{ print(\"{{now}} stop at round {r}\"); stop }}"),
                Fault::StopInFn(r) => format!("halt(round, {r})"),
            };
            self.line(&l);
        }
        self.line(&format!("await delay({})", dly(k.pace)));
        match k.deadline {
            Some(d) => {
                let d = if d % 3 == 0 { format!("uniform(2.0, {}.0)", 3 + d % 10) } else { format!("{}", 2 + d % 12) };
                self.line(&format!("until delay({d}) {{"));
                self.block(&k.body);
                self.line("}");
            }
            None => {
                self.indent -= 1;
                self.block(&k.body);
                self.indent += 1;
            }
        }
        self.indent -= 1;
        self.line("}");
        self.line("return id");
    }
}

const PRELUDE: &str = "\
struct Job { id: int, size: float }
var n: int = 0
var flag: bool = false
var never: bool = false
var done: bool = false
var tick_done: bool = false
var acc: float = 0.0
var served: [int; N] = [0; N]
var hist: [int; 4] = [1, 2, 3, 4]
var last: Job = Job { id: 0, size: 1.5 }
var jobs: [Job; 3] = [Job { id: 1, size: 0.5 }, Job { id: 2, size: 1.0 }, Job { size: 2.0, id: 3 }]
var q0_put: int = 0
var q0_got: int = 0
var q1_put: int = 0
var q1_got: int = 0
var bins_put: int = 0
var bins_got: int = 0
var t_put: float = 0.0
var t_got: float = 0.0
var c_put: float = 0.0
var c_got: float = 0.0

fn fib(d: int) -> int {
    if d <= 1 {
        return max(d, 0)
    }
    return fib(d - 1) + fib(d - 2)
}

fn score(job: Job, w: float) -> float {
    return job.size * w + float(job.id % 7)
}

fn bump(k: int) {
    n += k
    if n > 9 {
        n = 0
    }
}

fn pick(i: int) -> int {
    return abs(i) % N
}

fn total() -> int {
    let s = 0
    for v in hist {
        s += v % 100
    }
    return s
}

fn halt(r: int, k: int) {
    if r == k {
        print(\"{now} halt at round {r}\")
        stop
    }
}

process killer(h: proc<int>, d: float) {
    await delay(d)
    cancel h
}
";

impl Model {
    fn renderer(&self, who: Who) -> Render<'_> {
        Render {
            m: self,
            who,
            out: String::new(),
            indent: 1,
            fresh: 0,
            held: None,
            borrowing: false,
            in_loop: false,
            in_scope: false,
            loop_vars: vec![],
            handles: vec![],
            in_text: false,
        }
    }

    /// The model as usim source.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "// usim-oracle generated model, seed {}", self.seed);
        let _ = writeln!(s, "param N: int = {}", self.n);
        for (i, l) in self.locks.iter().enumerate() {
            let mut opts = Vec::new();
            if l.cap > 1 {
                opts.push(format!("capacity: {}", l.cap));
            }
            if l.preemptive {
                opts.push("preemptive".to_string());
            }
            if opts.is_empty() {
                let _ = writeln!(s, "lock l{i}");
            } else {
                let _ = writeln!(s, "lock l{i}({})", opts.join(", "));
            }
        }
        let _ = writeln!(s, "lock pumps[N]{}", if self.pumps_preemptive { "(preemptive)" } else { "" });
        s.push_str("queue q0: Job\n");
        let _ = writeln!(s, "queue q1: int(capacity: {})", self.q1_cap);
        s.push_str("queue bins[N]: int(capacity: 2)\n");
        s.push_str("channel ch: int\nchannel alarms[2]: int\n");
        let _ = writeln!(s, "resource tank(capacity: {}.0, level: {}.0)", self.tank_cap, self.tank_level);
        let _ = writeln!(s, "resource cells[2](capacity: {}.0, level: {}.0)", self.tank_cap, self.tank_level);
        s.push_str(PRELUDE);
        s.push('\n');
        for (i, k) in self.workers.iter().enumerate() {
            let mut r = self.renderer(Who::Worker(i));
            r.rounds(k, if i == 0 { self.fault } else { None });
            let _ = write!(s, "process w{i}(id: int) -> int {{\n{}}}\n\n", r.out);
        }
        for (i, (k, _)) in self.victims.iter().enumerate() {
            let mut r = self.renderer(Who::Victim(i));
            r.rounds(k, None);
            let _ = write!(s, "process v{i}(id: int) -> int {{\n{}}}\n\n", r.out);
        }
        for (i, k) in self.helpers.iter().enumerate() {
            let _ = write!(s, "fn launch{i}(a: int) {{\n    spawn h{i}(a)\n}}\n\n");
            let mut r = self.renderer(Who::Helper(i));
            r.rounds(k, None);
            let _ = write!(s, "process h{i}(id: int) -> int {{\n{}}}\n\n", r.out);
        }
        if let Some(t) = &self.ticker {
            let mut r = self.renderer(Who::Ticker);
            r.locals();
            r.line("let round = 0");
            r.line(&format!("every {} {{", period(t.period)));
            r.line("    round += 1");
            r.line(&format!("    if round > {} || done {{ break }}", t.count));
            r.block(&t.body);
            r.line("}");
            r.line("tick_done = true");
            r.line("return id");
            let _ = write!(s, "process ticker(id: int) -> int {{\n{}}}\n\n", r.out);
        }
        s.push_str(&self.render_main());
        let mut roots = vec!["main()".to_string()];
        if self.ticker.as_ref().is_some_and(|t| t.root) {
            roots.push("ticker(100)".into());
        }
        match self.horizon {
            Some(h) => {
                let _ = writeln!(s, "\nrun {} until {h}.0", roots.join(", "));
            }
            None => {
                let _ = writeln!(s, "\nrun {}", roots.join(", "));
            }
        }
        s
    }

    fn render_main(&self) -> String {
        let mut r = self.renderer(Who::Worker(usize::MAX));
        let mut joins = Vec::new();
        for i in 0..self.workers.len() {
            r.line(&format!("let t{i} = spawn w{i}({i})"));
            joins.push(format!("let rt{i} = await t{i}"));
            joins.push(format!("if rt{i} != {i} {{ print(\"VIOLATION main joined t{i}: {{rt{i}}}\") }}"));
            joins.push(format!("print(\"{{now}} main joined w{i}\")"));
        }
        for (i, (_, killers)) in self.victims.iter().enumerate() {
            r.line(&format!("let u{i} = spawn v{i}({})", 10 + i));
            let forever = if i % 2 == 0 { "await never" } else { "await delay(1.0 / 0.0)" };
            joins.push(format!("until u{i} {{ {forever} }}"));
            for (k, d) in killers.iter().enumerate() {
                let d = match d {
                    Dly::Int(k) => format!("{}", k % 120),
                    _ => "uniform(0.0, 120.0)".to_string(),
                };
                r.line(&format!("let k{i}_{k} = spawn killer(u{i}, {d})"));
                joins.push(format!("await k{i}_{k}"));
            }
        }
        if let Some(t) = &self.ticker {
            if !t.root {
                r.line("spawn ticker(100)");
            }
        }
        for j in joins {
            r.line(&j);
        }
        r.line("done = true");
        if self.ticker.is_some() {
            r.line("await tick_done");
        }
        r.line("print(\"AUDIT q0 {q0.len()} {q0_put} {q0_got}\")");
        r.line("print(\"AUDIT q1 {q1.len()} {q1_put} {q1_got}\")");
        r.line("let bl = 0");
        r.line("for b in 0..N {");
        r.line("    bl += bins[b].len()");
        r.line("}");
        r.line("print(\"AUDIT bins {bl} {bins_put} {bins_got}\")");
        r.line("print(\"AUDIT tank {tank.level()} {t_put} {t_got}\")");
        r.line("print(\"AUDIT cells {cells[0].level() + cells[1].level()} {c_put} {c_got}\")");
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
        r.line("for p in 0..N {");
        r.line("    select { with pumps[p] priority 99 => { print(\"AUDIT lock pumps[{p}] free\") }; await delay(0) => { print(\"AUDIT lock pumps[{p}] busy\") } }");
        r.line("}");
        r.line("print(\"AUDIT end\")");
        // A clock after the audit, so that a run with a horizon reaches it.
        r.line("let c = 0");
        r.line("every 4.0 {");
        r.line("    c += 1");
        r.line("    if c > 2000 { break }");
        r.line("    record clock = now");
        r.line("    bump(1)");
        r.line("}");
        format!("process main() {{\n{}}}\n", r.out)
    }
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

/// Checks the books a model kept, from what it printed: `Ok(true)` when it
/// reached its audit and every figure holds, `Ok(false)` when the run ended
/// before the audit (a horizon, `stop`, a runtime error) and no join went
/// wrong, `Err` with a `[category]` otherwise.
pub fn check_audit(m: &Model, output: &str) -> Result<bool, String> {
    if let Some(line) = output.lines().find(|l| l.starts_with("VIOLATION")) {
        return Err(format!("[wrong-result] {line}"));
    }
    if !output.lines().any(|l| l == "AUDIT end") {
        return Ok(false);
    }
    for (name, cap, init) in [
        ("q0", None, 0.0),
        ("q1", Some(f64::from(m.q1_cap)), 0.0),
        ("bins", Some(2.0 * f64::from(m.n)), 0.0),
        ("tank", Some(f64::from(m.tank_cap)), f64::from(m.tank_level)),
        ("cells", Some(2.0 * f64::from(m.tank_cap)), 2.0 * f64::from(m.tank_level)),
    ] {
        let v = audit_numbers(output, name)?;
        let [len, put, got] = v[..] else {
            return Err(format!("[audit-line-bad] `{name}`: {v:?}"));
        };
        if len != init + put - got {
            return Err(format!("[conservation-{name}] {name} holds {len}; expected {init} + {put} put - {got} got"));
        }
        if len < 0.0 || cap.is_some_and(|c| len > c) {
            return Err(format!("[out-of-range-{name}] {name} holds {len}, capacity {cap:?}"));
        }
    }
    if let Some(line) = output.lines().find(|l| l.starts_with("AUDIT lock") && l.contains("busy")) {
        return Err(format!("[lock-not-free] after every process ended: {line}"));
    }
    let free = output.lines().filter(|l| l.starts_with("AUDIT lock") && l.ends_with(" free")).count();
    if free != m.locks.len() + usize::from(m.n) {
        return Err(format!("[audit-line-missing] {free} locks free of {}", m.locks.len() + usize::from(m.n)));
    }
    Ok(true)
}
