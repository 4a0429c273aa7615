//! The state-machine IR between lowering and codegen: plain data with a
//! stable text form (`usimc emit ir`).
//!
//! Every local lives in the frame (8-byte slots); temporaries (`%n`) live only
//! within one state and never across a suspension. A process body is a set of
//! blocks; a *state* names the block the process resumes at. Waits are block
//! terminators: they store the resume state, call the runtime, and either
//! continue at once, suspend, or fail.

use std::fmt::{self, Write};

use crate::span::Span;
pub use usim_stdlib::format::Spec;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Temp(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FuncId(pub u32);

/// The machine type of a temporary or a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Int,
    Float,
    Bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Frame,
    Globals,
}

/// A slot address: `base[offset + dynamic]`, all in 8-byte slots. The dynamic
/// part is already bounds-checked when a place is built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub base: Base,
    pub offset: u32,
    pub dynamic: Option<Temp>,
}

impl Place {
    pub fn frame(offset: u32) -> Place {
        Place { base: Base::Frame, offset, dynamic: None }
    }

    pub fn plus(self, delta: u32) -> Place {
        Place { offset: self.offset + delta, ..self }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Const {
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// Checked integer arithmetic: overflow and division by zero are runtime errors.
    IAdd,
    ISub,
    IMul,
    IDiv,
    IRem,
    FAdd,
    FSub,
    FMul,
    FDiv,
    FRem,
    ICmp(Cmp),
    FCmp(Cmp),
    BEq,
    BNe,
    /// Unchecked integer add/mul for address arithmetic on bounded values.
    IAddWrap,
    IMulWrap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// Checked negation.
    INeg,
    FNeg,
    Not,
    IntToFloat,
}

/// An argument to a call or spawn: one scalar, or a run of slots copied whole.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg {
    Scalar(Temp),
    Slots(Place, u32),
}

/// What a call gives back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ret {
    None,
    Scalar(Temp),
    /// Copy the callee's result slots to this place.
    Slots(Place, u32),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Inst {
    Const {
        dst: Temp,
        value: Const,
    },
    /// Assigns one temporary to another (the joins of `&&` and `||`).
    Move {
        dst: Temp,
        src: Temp,
    },
    Load {
        dst: Temp,
        place: Place,
    },
    Store {
        place: Place,
        src: Temp,
    },
    /// Copy `len` slots.
    Copy {
        dst: Place,
        src: Place,
        len: u32,
    },
    /// Fill `dst[w..w*count]` with `count - 1` copies of the `w` slots at `dst[0..w]`.
    Repeat {
        dst: Place,
        width: u32,
        count: u32,
    },
    Binary {
        dst: Temp,
        op: BinOp,
        a: Temp,
        b: Temp,
        span: Span,
    },
    Unary {
        dst: Temp,
        op: UnOp,
        a: Temp,
        span: Span,
    },
    /// An inline built-in (sqrt, floor, min, ...).
    Inline {
        dst: Temp,
        op: usim_stdlib::InlineOp,
        args: Vec<Temp>,
        span: Span,
    },
    /// A host built-in; `fallible` ones take the runtime and the span and may fail.
    Host {
        dst: Temp,
        symbol: &'static str,
        args: Vec<Temp>,
        fallible: bool,
        span: Span,
    },
    /// Fails unless `0 <= index < len`.
    CheckIndex {
        index: Temp,
        len: u64,
        span: Span,
    },
    /// Fails unless `0 <= index < len`, for a member of the object family
    /// whose first member is object `base` (the error names the family).
    CheckMember {
        index: Temp,
        len: u64,
        base: u32,
        span: Span,
    },
    /// Fails with an `every` period error unless `period > 0`.
    CheckPeriod {
        period: Temp,
        span: Span,
    },
    /// Fails with an `every` error unless `due > last`: the next start of
    /// an `every` must lie after its previous one.
    /// The head of a loop: stop with "interrupted (Ctrl-C)" at `span` if
    /// the user asked (a loop that never suspends keeps the event loop from
    /// seeing the request).
    Poll {
        span: Span,
    },
    CheckAdvance {
        due: Temp,
        last: Temp,
        span: Span,
    },
    Now {
        dst: Temp,
    },
    CallFn {
        func: FuncId,
        args: Vec<Arg>,
        ret: Ret,
        span: Span,
    },
    /// Spawns `func`; a spawn over the live-process limit (or out of
    /// memory) is a runtime error at `span`.
    Spawn {
        dst: Temp,
        func: FuncId,
        args: Vec<Arg>,
        span: Span,
    },
    /// Reads result slot `index` of an ended process into `dst`.
    JoinResult {
        dst: Temp,
        handle: Temp,
        index: u32,
    },
    /// Cancels a process; if it is the current one, the step ends.
    /// Copies all `len` slots of an ended process's aggregate return value
    /// to `dst`.
    JoinResults {
        dst: Place,
        handle: Temp,
        len: u32,
    },
    Cancel {
        handle: Temp,
    },
    ScopeEnter,
    /// Appends a string constant from the module's pool to the line being printed.
    Text {
        string: u32,
    },
    /// Appends a formatted scalar: `{x}`, or `{x:spec}` (`{x:>8.2}`).
    TextValue {
        src: Temp,
        scalar: Scalar,
        spec: Spec,
    },
    /// `dst` = where the line being printed ends now (in bytes): the start
    /// of a struct or array that `TextPad` pads.
    TextMark {
        dst: Temp,
    },
    /// Pads the text appended since `start` (a `TextMark`) to the spec's
    /// width: `{job:<30}`.
    TextPad {
        start: Temp,
        spec: Spec,
    },
    /// Ends a `print`: the line goes to the output.
    PrintLine,
    /// The normal end of a block that holds something (or a `break`,
    /// `continue` or `return` through it): releases the lock, gives the
    /// borrowed amount back, or disarms the `until` trigger.
    BlockEnd {
        block: HeldBlock,
    },
    /// The write barrier: a var that some condition reads was written
    /// (all of it, or a part that is not an element watched one by one).
    VarWritten {
        var: u32,
    },
    /// The write barrier for one element: element `index` (already checked)
    /// of an array var some condition reads element by element was written.
    ElementWritten {
        var: u32,
        index: Temp,
    },
    /// The write barrier of statistics: `len` slots of the globals from
    /// `place` on (a `Base::Globals` place) were stored, holding figures the
    /// report follows over time.
    GlobalsWritten {
        place: Place,
        len: u32,
    },
    /// `record name = value`: a sample (a float) of tally `tally`.
    Record {
        tally: u32,
        value: Temp,
    },
    /// `q.len()` or `r.level()` of the object whose index is in `object`.
    ObjectValue {
        dst: Temp,
        op: ObjectValueOp,
        object: Temp,
    },
    /// `ch.send(x)`, the message's slots at `src`.
    Send {
        object: Temp,
        src: Place,
    },
    /// After a `select` arm on a handle won: fails if it was cancelled.
    JoinCheck {
        handle: Temp,
        span: Span,
    },
}

/// A block that holds something until it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldBlock {
    Lock,
    Borrow,
    Until,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectValueOp {
    QueueLen,
    ResourceLevel,
}

/// The operation a wait performs; see [`Terminator::Wait`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WaitOp {
    Delay {
        duration: Temp,
        span: Span,
    },
    At {
        time: Temp,
        span: Span,
    },
    Instant,
    /// For `every`: continue at once when `time <= now`, else sleep until `time`.
    Until {
        time: Temp,
    },
    Join {
        handle: Temp,
        span: Span,
    },
    ScopeExit,
    /// `with lock priority p`: acquire a unit; the block continues at
    /// `cont` when interrupted.
    Lock {
        object: Temp,
        priority: Temp,
        cont: StateId,
    },
    /// The start of `with r(amount)`.
    Borrow {
        object: Temp,
        amount: Temp,
        span: Span,
    },
    /// `await q.get()`, the item written to the frame from slot `dest` on.
    Get {
        object: Temp,
        dest: u32,
    },
    /// `await q.put(x)`, the item's slots at `src`.
    Put {
        object: Temp,
        src: Place,
    },
    /// `await ch`, the message written from frame slot `dest` on (`None`:
    /// an `until` trigger keeps no message).
    Recv {
        object: Temp,
        dest: Option<u32>,
    },
    ResourceGet {
        object: Temp,
        amount: Temp,
        span: Span,
    },
    ResourcePut {
        object: Temp,
        amount: Temp,
        span: Span,
    },
    /// `await cond`, by index into [`Module::conditions`].
    Condition {
        cond: u32,
    },
    /// The entry to `until`, continuing at `cont` after the block; the next
    /// wait is its trigger, which never suspends (it answers continue, or
    /// redispatch when ready on entry).
    UntilEnter {
        cont: StateId,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Terminator {
    Jump(BlockId),
    Branch {
        cond: Temp,
        then: BlockId,
        otherwise: BlockId,
    },
    /// The callable ends normally; result slots are filled.
    Return,
    /// `stop`: end the simulation.
    Stop,
    /// `fail("...")`: the text built so far is the message.
    Fail {
        span: Span,
    },
    /// Store `resume` as the frame's state, perform `op`; if it completes at
    /// once continue at `next`, if it suspends return, if it fails stop, and
    /// if the runtime redirected the process (an interrupt took effect)
    /// dispatch on the state it stored.
    Wait {
        op: WaitOp,
        next: BlockId,
        resume: StateId,
    },
    /// `select`: register the arms in order; the first ready at once
    /// continues at its block, else suspend and resume at `resume`.
    Select {
        arms: Vec<(WaitOp, BlockId)>,
        resume: StateId,
    },
    /// Resumed after a `select`: continue at the block of the arm that won
    /// (the resume reason).
    ResumeArm {
        arms: Vec<BlockId>,
    },
    /// The end of a condition's predicate: its value.
    ReturnBool {
        value: Temp,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub insts: Vec<Inst>,
    pub term: Terminator,
}

/// One named slot range of a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotRange {
    pub name: String,
    pub start: u32,
    pub width: u32,
    pub ty: String,
    /// The machine type when the range holds one int, float or bool.
    pub scalar: Option<Scalar>,
}

/// One int, float or bool inside a global var, named as the report names
/// it: `served`, `tickets[2]`, `depot.stock`, `grid[1][0]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub name: String,
    /// Its slot in the globals block.
    pub slot: u32,
    pub scalar: Scalar,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    pub is_process: bool,
    /// The predicate of an awaited condition: it reads the frame of its
    /// process (whose layout it shares) and returns a bool.
    pub is_predicate: bool,
    /// Total slots, header included.
    pub frame_slots: u32,
    /// Slots of all parameters, starting right after the header.
    pub param_slots: u32,
    pub result_start: u32,
    pub result_slots: u32,
    /// Named slot ranges, for the text form and for debugging.
    pub slots: Vec<SlotRange>,
    pub temps: Vec<Scalar>,
    /// `states[i]` is the block the process resumes at in state `i`; state 0 is the entry.
    pub states: Vec<BlockId>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Root {
    pub func: FuncId,
    pub args: Vec<u64>,
}

/// An awaited condition: its predicate function and what it reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub predicate: FuncId,
    /// What it reads, whose writes re-evaluate it.
    pub watches: Vec<Watch>,
    pub span: Span,
    /// How reports name it (`condition at line 12`).
    pub label: String,
}

/// What a condition watches: a whole global var, or one element of an array
/// var that it reads by a constant index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Watch {
    pub var: u32,
    pub element: Option<u32>,
}

/// A shared object: one entry per lock, queue, channel or resource, and per
/// member of a family (`pumps[0]`, `pumps[1]`, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub name: String,
    pub kind: usim_runtime::ObjectKindSpec,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The model's params with the values this compilation used (after `--set`).
    pub params: Vec<(String, Const)>,
    pub objects: Vec<Object>,
    pub conditions: Vec<Condition>,
    /// Per global var: how many of its elements conditions watch one by one
    /// (its length when some condition reads one by a constant index, else 0).
    pub watched_elements: Vec<u32>,
    pub functions: Vec<Function>,
    pub globals: Vec<SlotRange>,
    /// Every int, float and bool inside the globals, in declaration order.
    pub cells: Vec<Cell>,
    /// The names of the `record` tallies, in order of first appearance;
    /// `record` names one by its index.
    pub tallies: Vec<String>,
    pub globals_init: Vec<u64>,
    pub strings: Vec<String>,
    pub roots: Vec<Root>,
    pub horizon: Option<f64>,
}

impl fmt::Display for Temp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", self.0)
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = match self.base {
            Base::Frame => "frame",
            Base::Globals => "global",
        };
        match self.dynamic {
            Some(t) => write!(f, "{base}[{}+{t}]", self.offset),
            None => write!(f, "{base}[{}]", self.offset),
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Scalar(t) => write!(f, "{t}"),
            Arg::Slots(p, n) => write!(f, "{p}x{n}"),
        }
    }
}

fn span_text(span: Span) -> String {
    format!("@{}..{}", span.start, span.end)
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

impl Module {
    /// The stable text form printed by `usimc emit ir`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) -> fmt::Result {
        if !self.globals.is_empty() {
            writeln!(out, "globals ({} slots)", self.globals_init.len())?;
            for g in &self.globals {
                writeln!(out, "  [{}..{}] {}: {}", g.start, g.start + g.width, g.name, g.ty)?;
            }
            writeln!(out)?;
        }
        for (i, object) in self.objects.iter().enumerate() {
            writeln!(out, "object {i} {}: {:?}", object.name, object.kind)?;
        }
        if !self.objects.is_empty() {
            writeln!(out)?;
        }
        for (i, c) in self.conditions.iter().enumerate() {
            let vars: Vec<String> = c
                .watches
                .iter()
                .map(|w| {
                    let name = self.globals.get(w.var as usize).map_or("?", |g| g.name.as_str());
                    match w.element {
                        Some(element) => format!("{name}[{element}]"),
                        None => name.to_string(),
                    }
                })
                .collect();
            writeln!(
                out,
                "condition {i} = {} watching [{}] ({})",
                self.functions[c.predicate.0 as usize].name,
                vars.join(", "),
                c.label
            )?;
        }
        if !self.conditions.is_empty() {
            writeln!(out)?;
        }
        for (i, s) in self.strings.iter().enumerate() {
            writeln!(out, "string {i} = {s:?}")?;
        }
        if !self.strings.is_empty() {
            writeln!(out)?;
        }
        let names: Vec<&str> = self.functions.iter().map(|f| f.name.as_str()).collect();
        for func in &self.functions {
            func.write_text(out, &names)?;
            writeln!(out)?;
        }
        let roots: Vec<String> = self
            .roots
            .iter()
            .map(|r| format!("{}({})", self.functions[r.func.0 as usize].name, join(&r.args)))
            .collect();
        write!(out, "run {}", roots.join(", "))?;
        if let Some(h) = self.horizon {
            write!(out, " until {h}")?;
        }
        writeln!(out)
    }
}

impl Function {
    fn write_text(&self, out: &mut String, names: &[&str]) -> fmt::Result {
        let kind = if self.is_process {
            "process"
        } else if self.is_predicate {
            "predicate"
        } else {
            "fn"
        };
        writeln!(
            out,
            "{kind} {} (frame {} slots, params {}, result [{}..{}])",
            self.name,
            self.frame_slots,
            self.param_slots,
            self.result_start,
            self.result_start + self.result_slots
        )?;
        for s in &self.slots {
            writeln!(out, "  slot [{}..{}] {}: {}", s.start, s.start + s.width, s.name, s.ty)?;
        }
        if self.is_process {
            let states: Vec<String> = self.states.iter().enumerate().map(|(i, b)| format!("{i}->{b}")).collect();
            writeln!(out, "  states {}", states.join(" "))?;
        }
        for (i, block) in self.blocks.iter().enumerate() {
            writeln!(out, "  b{i}:")?;
            for inst in &block.insts {
                writeln!(out, "    {}", self.inst_text(inst, names))?;
            }
            writeln!(out, "    {}", term_text(&block.term))?;
        }
        Ok(())
    }

    fn inst_text(&self, inst: &Inst, names: &[&str]) -> String {
        let name = |f: &FuncId| names.get(f.0 as usize).copied().unwrap_or("?");
        let ty = |t: &Temp| match self.temps.get(t.0 as usize) {
            Some(Scalar::Int) => "i",
            Some(Scalar::Float) => "f",
            Some(Scalar::Bool) => "b",
            None => "?",
        };
        match inst {
            Inst::Const { dst, value } => match value {
                Const::Int(v) => format!("{dst} = const.i {v}"),
                Const::Float(v) => format!("{dst} = const.f {v:?}"),
                Const::Bool(v) => format!("{dst} = const.b {v}"),
            },
            Inst::Move { dst, src } => format!("{dst} = {src}"),
            Inst::Load { dst, place } => format!("{dst} = load.{} {place}", ty(dst)),
            Inst::Store { place, src } => format!("store.{} {place}, {src}", ty(src)),
            Inst::Copy { dst, src, len } => format!("copy {dst}, {src}, {len}"),
            Inst::Repeat { dst, width, count } => format!("repeat {dst}, width {width}, count {count}"),
            Inst::Binary { dst, op, a, b, span } => {
                let name = match op {
                    BinOp::IAdd => "iadd.chk".to_string(),
                    BinOp::ISub => "isub.chk".into(),
                    BinOp::IMul => "imul.chk".into(),
                    BinOp::IDiv => "idiv.chk".into(),
                    BinOp::IRem => "irem.chk".into(),
                    BinOp::FAdd => "fadd".into(),
                    BinOp::FSub => "fsub".into(),
                    BinOp::FMul => "fmul".into(),
                    BinOp::FDiv => "fdiv".into(),
                    BinOp::FRem => "frem".into(),
                    BinOp::ICmp(c) => format!("icmp.{}", cmp_text(*c)),
                    BinOp::FCmp(c) => format!("fcmp.{}", cmp_text(*c)),
                    BinOp::BEq => "beq".into(),
                    BinOp::BNe => "bne".into(),
                    BinOp::IAddWrap => "iadd".into(),
                    BinOp::IMulWrap => "imul".into(),
                };
                let checked = matches!(op, BinOp::IAdd | BinOp::ISub | BinOp::IMul | BinOp::IDiv | BinOp::IRem);
                if checked {
                    format!("{dst} = {name} {a}, {b} {}", span_text(*span))
                } else {
                    format!("{dst} = {name} {a}, {b}")
                }
            }
            Inst::Unary { dst, op, a, span } => match op {
                UnOp::INeg => format!("{dst} = ineg.chk {a} {}", span_text(*span)),
                UnOp::FNeg => format!("{dst} = fneg {a}"),
                UnOp::Not => format!("{dst} = not {a}"),
                UnOp::IntToFloat => format!("{dst} = int_to_float {a}"),
            },
            Inst::Inline { dst, op, args, .. } => format!("{dst} = {op:?} {}", join(args)),
            Inst::Host { dst, symbol, args, fallible, span } => {
                if *fallible {
                    format!("{dst} = host {symbol}({}) {}", join(args), span_text(*span))
                } else {
                    format!("{dst} = host {symbol}({})", join(args))
                }
            }
            Inst::CheckIndex { index, len, span } => format!("check_index {index} < {len} {}", span_text(*span)),
            Inst::CheckMember { index, len, base, span } => {
                format!("check_member {index} < {len} of object {base} {}", span_text(*span))
            }
            Inst::CheckAdvance { due, last, span } => format!("check_advance {due} > {last} {}", span_text(*span)),
            Inst::Poll { span } => format!("poll {}", span_text(*span)),
            Inst::CheckPeriod { period, span } => format!("check_period {period} {}", span_text(*span)),
            Inst::Now { dst } => format!("{dst} = now"),
            Inst::CallFn { func, args, ret, span } => {
                let ret = match ret {
                    Ret::None => String::new(),
                    Ret::Scalar(t) => format!("{t} = "),
                    Ret::Slots(p, n) => format!("{p}x{n} = "),
                };
                format!("{ret}call {}({}) {}", name(func), join(args), span_text(*span))
            }
            Inst::Spawn { dst, func, args, .. } => format!("{dst} = spawn {}({})", name(func), join(args)),
            Inst::JoinResult { dst, handle, index } => format!("{dst} = join_result {handle}, {index}"),
            Inst::JoinResults { dst, handle, len } => format!("copy {dst}, {len} = join_results {handle}"),
            Inst::Cancel { handle } => format!("cancel {handle}"),
            Inst::ScopeEnter => "scope_enter".into(),
            Inst::Text { string } => format!("text s{string}"),
            Inst::TextValue { src, spec, .. } if spec.is_plain() => format!("text.{} {src}", ty(src)),
            Inst::TextValue { src, spec, .. } => format!("text.{} {src} :{spec}", ty(src)),
            Inst::TextMark { dst } => format!("{dst} = text_mark"),
            Inst::TextPad { start, spec } => format!("text_pad {start} :{spec}"),
            Inst::PrintLine => "print_line".into(),
            Inst::BlockEnd { block } => format!("block_end {}", held_text(*block)),
            Inst::VarWritten { var } => format!("var_written {var}"),
            Inst::GlobalsWritten { place, len } => format!("globals_written {place}, {len}"),
            Inst::Record { tally, value } => format!("record tally{tally}, {value}"),
            Inst::ElementWritten { var, index } => format!("element_written {var}[{index}]"),
            Inst::ObjectValue { dst, op, object } => match op {
                ObjectValueOp::QueueLen => format!("{dst} = queue_len {object}"),
                ObjectValueOp::ResourceLevel => format!("{dst} = resource_level {object}"),
            },
            Inst::Send { object, src } => format!("send {object}, {src}"),
            Inst::JoinCheck { handle, span } => format!("join_check {handle} {}", span_text(*span)),
        }
    }
}

fn cmp_text(c: Cmp) -> &'static str {
    match c {
        Cmp::Eq => "eq",
        Cmp::Ne => "ne",
        Cmp::Lt => "lt",
        Cmp::Le => "le",
        Cmp::Gt => "gt",
        Cmp::Ge => "ge",
    }
}

fn held_text(block: HeldBlock) -> &'static str {
    match block {
        HeldBlock::Lock => "lock",
        HeldBlock::Borrow => "borrow",
        HeldBlock::Until => "until",
    }
}

fn wait_text(op: &WaitOp) -> String {
    match op {
        WaitOp::Delay { duration, span } => format!("delay {duration} {}", span_text(*span)),
        WaitOp::At { time, span } => format!("at {time} {}", span_text(*span)),
        WaitOp::Instant => "instant".into(),
        WaitOp::Until { time } => format!("until {time}"),
        WaitOp::Join { handle, span } => format!("join {handle} {}", span_text(*span)),
        WaitOp::ScopeExit => "scope_exit".into(),
        WaitOp::Lock { object, priority, cont } => format!("lock {object} priority {priority} cont {}", cont.0),
        WaitOp::Borrow { object, amount, span } => format!("borrow {object}, {amount} {}", span_text(*span)),
        WaitOp::Get { object, dest } => format!("get {object} -> frame[{dest}]"),
        WaitOp::Put { object, src } => format!("put {object}, {src}"),
        WaitOp::Recv { object, dest: Some(dest) } => format!("recv {object} -> frame[{dest}]"),
        WaitOp::Recv { object, dest: None } => format!("recv {object}"),
        WaitOp::ResourceGet { object, amount, span } => format!("resource_get {object}, {amount} {}", span_text(*span)),
        WaitOp::ResourcePut { object, amount, span } => format!("resource_put {object}, {amount} {}", span_text(*span)),
        WaitOp::Condition { cond } => format!("condition {cond}"),
        WaitOp::UntilEnter { cont } => format!("until_enter cont {}", cont.0),
    }
}

fn term_text(term: &Terminator) -> String {
    match term {
        Terminator::Jump(b) => format!("jump {b}"),
        Terminator::Branch { cond, then, otherwise } => format!("branch {cond}, {then}, {otherwise}"),
        Terminator::Return => "return".into(),
        Terminator::Stop => "stop".into(),
        Terminator::Fail { span } => format!("fail {}", span_text(*span)),
        Terminator::Wait { op, next, resume } => {
            format!("wait {} -> next {next}, resume state {}", wait_text(op), resume.0)
        }
        Terminator::Select { arms, resume } => {
            let arms: Vec<String> = arms.iter().map(|(op, block)| format!("{} => {block}", wait_text(op))).collect();
            format!("select [{}], resume state {}", arms.join("; "), resume.0)
        }
        Terminator::ResumeArm { arms } => format!("resume_arm [{}]", join(arms)),
        Terminator::ReturnBool { value } => format!("return_bool {value}"),
    }
}
