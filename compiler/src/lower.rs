//! Lowering: the checked program to the state-machine IR. Lays out every
//! frame, splits each process body at its suspension points, and turns
//! structured control flow into blocks.

use std::collections::HashMap;

use crate::ast::{self, AssignOp, Block, Expr, ExprKind, ForIter, Stmt, StmtKind, StrLit, StrPart, UnOp};
use crate::diagnostic::Diagnostic;
use crate::ir::{
    self, Arg, Base, BinOp, BlockId, Cmp, Const, FuncId, Inst, Place, Ret, Scalar, SlotRange, StateId, Temp,
    Terminator, WaitOp,
};
use crate::program::{CallableDef, Program};
use crate::span::Span;
use crate::types::{StructId, Type, TypeDisplay};
use usim_runtime::FRAME_HEADER_SLOTS;
use usim_stdlib as stdlib;

/// Interns the string pieces of `print`/`fail`.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Strings {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// Lowers a checked program. Features whose runtime support has not landed yet
/// are reported as diagnostics rather than miscompiled.
pub fn lower(program: &Program) -> Result<ir::Module, Vec<Diagnostic>> {
    let mut strings = Strings::default();
    let mut globals = Vec::new();
    let mut globals_init = Vec::new();
    let mut global_slots = Vec::new();
    let struct_names = program.struct_names();
    for g in &program.globals {
        let start = globals_init.len() as u32;
        g.init.to_slots(&mut globals_init);
        global_slots.push(start);
        globals.push(SlotRange {
            name: g.name.clone(),
            start,
            width: program.width(&g.ty),
            ty: TypeDisplay { ty: &g.ty, struct_names: &struct_names }.to_string(),
            scalar: is_scalar(&g.ty).then(|| scalar_of(&g.ty)),
        });
    }
    let mut functions = Vec::new();
    let mut diagnostics = Vec::new();
    for callable in &program.callables {
        let mut lowerer = FnLowerer::new(program, callable, &mut strings, &global_slots);
        lowerer.lower_body(&callable.body);
        diagnostics.append(&mut lowerer.diagnostics);
        functions.push(lowerer.finish());
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let roots = program
        .roots
        .iter()
        .map(|r| {
            let mut args = Vec::new();
            for a in &r.args {
                a.to_slots(&mut args);
            }
            ir::Root { func: FuncId(r.callable), args }
        })
        .collect();
    let params = program
        .params
        .iter()
        .filter_map(|p| {
            let value = match p.value {
                crate::program::Value::Int(v) => Const::Int(v),
                crate::program::Value::Float(v) => Const::Float(v),
                crate::program::Value::Bool(v) => Const::Bool(v),
                _ => return None,
            };
            Some((p.name.clone(), value))
        })
        .collect();
    Ok(ir::Module { params, functions, globals, globals_init, strings: strings.list, roots, horizon: program.horizon })
}

/// Where `break` and `continue` of a loop go, and how many scopes were open at it.
struct LoopTarget {
    exit: BlockId,
    next: BlockId,
    scopes: usize,
}

/// What an `await` produced, available in the block after the resumption.
enum AwaitValue {
    None,
    Scalar(Temp),
    Slots(Place, u32),
}

struct FnLowerer<'a> {
    program: &'a Program,
    callable: &'a CallableDef,
    strings: &'a mut Strings,
    global_slots: &'a [u32],
    local_slots: Vec<u32>,
    slots: Vec<SlotRange>,
    frame_slots: u32,
    param_slots: u32,
    result_start: u32,
    result_slots: u32,
    temps: Vec<Scalar>,
    blocks: Vec<(Vec<Inst>, Option<Terminator>)>,
    states: Vec<BlockId>,
    current: BlockId,
    loops: Vec<LoopTarget>,
    open_scopes: usize,
    diagnostics: Vec<Diagnostic>,
}

fn scalar_of(ty: &Type) -> Scalar {
    match ty {
        Type::Float => Scalar::Float,
        Type::Bool => Scalar::Bool,
        _ => Scalar::Int,
    }
}

fn is_scalar(ty: &Type) -> bool {
    matches!(ty, Type::Int | Type::Float | Type::Bool | Type::Proc(_))
}

impl<'a> FnLowerer<'a> {
    fn new(program: &'a Program, callable: &'a CallableDef, strings: &'a mut Strings, global_slots: &'a [u32]) -> Self {
        let struct_names = program.struct_names();
        let mut lowerer = FnLowerer {
            program,
            callable,
            strings,
            global_slots,
            local_slots: vec![0; callable.locals.len()],
            slots: Vec::new(),
            frame_slots: FRAME_HEADER_SLOTS,
            param_slots: 0,
            result_start: 0,
            result_slots: 0,
            temps: Vec::new(),
            blocks: Vec::new(),
            states: Vec::new(),
            current: BlockId(0),
            loops: Vec::new(),
            open_scopes: 0,
            diagnostics: Vec::new(),
        };
        let show = |ty: &Type| TypeDisplay { ty, struct_names: &struct_names }.to_string();
        // Parameters first, right after the header, then the result, then the other locals.
        for id in &callable.params {
            let local = &callable.locals[id.0 as usize];
            let start = lowerer.alloc(&local.name, program.width(&local.ty), show(&local.ty));
            lowerer.local_slots[id.0 as usize] = start;
        }
        lowerer.param_slots = lowerer.frame_slots - FRAME_HEADER_SLOTS;
        lowerer.result_slots = program.width(&callable.ret);
        lowerer.result_start = lowerer.frame_slots;
        if lowerer.result_slots > 0 {
            lowerer.alloc("(result)", lowerer.result_slots, show(&callable.ret));
        }
        for (i, local) in callable.locals.iter().enumerate() {
            if callable.params.iter().any(|p| p.0 as usize == i) {
                continue;
            }
            let start = lowerer.alloc(&local.name, program.width(&local.ty), show(&local.ty));
            lowerer.local_slots[i] = start;
        }
        let entry = lowerer.new_block();
        lowerer.states.push(entry);
        lowerer.current = entry;
        lowerer
    }

    fn alloc(&mut self, name: &str, width: u32, ty: String) -> u32 {
        let start = self.frame_slots;
        self.frame_slots += width;
        self.slots.push(SlotRange { name: name.to_string(), start, width, ty, scalar: None });
        start
    }

    /// A frame slot range for a value the generated code keeps across blocks.
    fn hidden(&mut self, what: &str, width: u32) -> Place {
        let start = self.alloc(&format!("({what})"), width, String::from("-"));
        Place::frame(start)
    }

    fn finish(mut self) -> ir::Function {
        if self.blocks[self.current.0 as usize].1.is_none() {
            self.terminate(Terminator::Return);
        }
        ir::Function {
            name: self.callable.name.clone(),
            is_process: self.callable.is_process,
            frame_slots: self.frame_slots,
            param_slots: self.param_slots,
            result_start: self.result_start,
            result_slots: self.result_slots,
            slots: self.slots,
            temps: self.temps,
            states: self.states,
            blocks: self
                .blocks
                .into_iter()
                .map(|(insts, term)| ir::Block { insts, term: term.unwrap_or(Terminator::Return) })
                .collect(),
        }
    }

    fn unsupported(&mut self, what: &str, span: Span) {
        self.diagnostics.push(
            Diagnostic::error("E0901", format!("{what} is not supported by this version of usimc yet"), span)
                .with_label("not yet implemented")
                .with_note("locks, queues, channels, resources, conditions, select, until and record arrive in the next release"),
        );
    }

    // Blocks and temporaries.

    fn new_block(&mut self) -> BlockId {
        self.blocks.push((Vec::new(), None));
        BlockId(self.blocks.len() as u32 - 1)
    }

    fn new_state(&mut self, block: BlockId) -> StateId {
        self.states.push(block);
        StateId(self.states.len() as u32 - 1)
    }

    fn temp(&mut self, scalar: Scalar) -> Temp {
        self.temps.push(scalar);
        Temp(self.temps.len() as u32 - 1)
    }

    fn emit(&mut self, inst: Inst) {
        // Code after a terminator (after `return`, `break`, ...) is unreachable;
        // it still gets a block so that lowering stays simple.
        if self.blocks[self.current.0 as usize].1.is_some() {
            self.current = self.new_block();
        }
        self.blocks[self.current.0 as usize].0.push(inst);
    }

    fn terminate(&mut self, term: Terminator) {
        if self.blocks[self.current.0 as usize].1.is_some() {
            self.current = self.new_block();
        }
        self.blocks[self.current.0 as usize].1 = Some(term);
    }

    fn switch_to(&mut self, block: BlockId) {
        self.current = block;
    }

    fn constant(&mut self, value: Const) -> Temp {
        let scalar = match value {
            Const::Int(_) => Scalar::Int,
            Const::Float(_) => Scalar::Float,
            Const::Bool(_) => Scalar::Bool,
        };
        let dst = self.temp(scalar);
        self.emit(Inst::Const { dst, value });
        dst
    }

    fn load(&mut self, place: Place, scalar: Scalar) -> Temp {
        let dst = self.temp(scalar);
        self.emit(Inst::Load { dst, place });
        dst
    }

    fn binary(&mut self, op: BinOp, a: Temp, b: Temp, scalar: Scalar, span: Span) -> Temp {
        let dst = self.temp(scalar);
        self.emit(Inst::Binary { dst, op, a, b, span });
        dst
    }

    /// Ends the current block with a wait that resumes in a new block, and continues there.
    fn wait(&mut self, op: WaitOp) {
        let after = self.new_block();
        let state = self.new_state(after);
        self.terminate(Terminator::Wait { op, next: after, resume: state });
        self.switch_to(after);
    }

    /// A wait the runtime re-checks on resumption (join, scope exit): the waiting block
    /// itself is the resume state. `setup` emits the loads the wait needs.
    fn recheck_wait(&mut self, setup: impl FnOnce(&mut Self) -> WaitOp) {
        let waiting = self.new_block();
        self.terminate(Terminator::Jump(waiting));
        self.switch_to(waiting);
        let state = self.new_state(waiting);
        let op = setup(self);
        let after = self.new_block();
        self.terminate(Terminator::Wait { op, next: after, resume: state });
        self.switch_to(after);
    }

    fn scope_exit(&mut self) {
        self.recheck_wait(|_| WaitOp::ScopeExit);
    }

    // Statements.

    fn lower_body(&mut self, body: &Block<Type>) {
        self.block(body);
    }

    fn block(&mut self, block: &Block<Type>) {
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt<Type>) {
        match &stmt.kind {
            StmtKind::Let { value, local, .. } => {
                let Some(local) = local else { return };
                let dst = Place::frame(self.local_slots[local.0 as usize]);
                self.assign_into(value, dst);
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value),
            StmtKind::If { cond, then, otherwise } => {
                let c = self.scalar(cond);
                let then_block = self.new_block();
                let else_block = self.new_block();
                let join = self.new_block();
                self.terminate(Terminator::Branch { cond: c, then: then_block, otherwise: else_block });
                self.switch_to(then_block);
                self.block(then);
                self.terminate(Terminator::Jump(join));
                self.switch_to(else_block);
                if let Some(otherwise) = otherwise {
                    self.block(otherwise);
                }
                self.terminate(Terminator::Jump(join));
                self.switch_to(join);
            }
            StmtKind::While { cond, body } => {
                let head = self.new_block();
                let body_block = self.new_block();
                let exit = self.new_block();
                self.terminate(Terminator::Jump(head));
                self.switch_to(head);
                let c = self.scalar(cond);
                self.terminate(Terminator::Branch { cond: c, then: body_block, otherwise: exit });
                self.switch_to(body_block);
                self.loop_body(body, exit, head);
                self.switch_to(exit);
            }
            StmtKind::Loop { body } => {
                let head = self.new_block();
                let exit = self.new_block();
                self.terminate(Terminator::Jump(head));
                self.switch_to(head);
                self.loop_body(body, exit, head);
                self.switch_to(exit);
            }
            StmtKind::For { iter, body, local, .. } => {
                let Some(local) = local else { return };
                self.for_loop(iter, body, *local, stmt.span);
            }
            StmtKind::Break | StmtKind::Continue => {
                let Some(target) = self.loops.last() else { return };
                let (dest, scopes) = if matches!(stmt.kind, StmtKind::Break) {
                    (target.exit, target.scopes)
                } else {
                    (target.next, target.scopes)
                };
                for _ in scopes..self.open_scopes {
                    self.scope_exit();
                }
                self.terminate(Terminator::Jump(dest));
            }
            StmtKind::Return(value) => {
                if let Some(value) = value {
                    let dst = Place::frame(self.result_start);
                    self.assign_into(value, dst);
                }
                for _ in 0..self.open_scopes {
                    self.scope_exit();
                }
                self.terminate(Terminator::Return);
            }
            StmtKind::Print(s) => {
                self.text(s);
                self.emit(Inst::PrintLine);
            }
            StmtKind::Fail(s) => {
                self.text(s);
                self.terminate(Terminator::Fail { span: s.span });
            }
            StmtKind::Stop => self.terminate(Terminator::Stop),
            StmtKind::Every { period, body } => self.every(period, body),
            StmtKind::Scope { body } => {
                self.emit(Inst::ScopeEnter);
                self.open_scopes += 1;
                self.block(body);
                self.open_scopes -= 1;
                self.scope_exit();
            }
            StmtKind::Cancel(handle) => {
                let handle = self.scalar(handle);
                self.emit(Inst::Cancel { handle });
            }
            StmtKind::Expr(e) => match &e.kind {
                ExprKind::Await(inner) => {
                    self.await_value(inner);
                }
                _ if is_scalar(&e.ty) => {
                    self.scalar(e);
                }
                _ if e.ty == Type::Unit => self.unit(e),
                _ => {
                    let width = self.program.width(&e.ty);
                    let dst = self.hidden("discarded", width);
                    self.into(e, dst);
                }
            },
            StmtKind::Record { .. } => self.unsupported("`record`", stmt.span),
            StmtKind::With { .. } => self.unsupported("`with`", stmt.span),
            StmtKind::Until { .. } => self.unsupported("`until`", stmt.span),
            StmtKind::Select { .. } => self.unsupported("`select`", stmt.span),
        }
    }

    fn loop_body(&mut self, body: &Block<Type>, exit: BlockId, next: BlockId) {
        self.loops.push(LoopTarget { exit, next, scopes: self.open_scopes });
        self.block(body);
        self.loops.pop();
        self.terminate(Terminator::Jump(next));
    }

    fn for_loop(&mut self, iter: &ForIter<Type>, body: &Block<Type>, local: ast::LocalId, span: Span) {
        let var = Place::frame(self.local_slots[local.0 as usize]);
        let counter = self.hidden("for index", 1);
        // A range stores its end in the frame; an array loop knows its length and
        // reads elements from `source`, `width` slots each.
        enum Each {
            Range { end: Place },
            Array { source: Place, width: u32, len: u64, elem: Type },
        }
        let each = match iter {
            ForIter::Range(lo, hi) => {
                let lo = self.scalar(lo);
                let hi = self.scalar(hi);
                self.emit(Inst::Store { place: counter, src: lo });
                let end = self.hidden("for end", 1);
                self.emit(Inst::Store { place: end, src: hi });
                Each::Range { end }
            }
            ForIter::Each(array) => {
                let Type::Array(elem, len) = &array.ty else {
                    self.unsupported("looping over a channel or queue", span);
                    return;
                };
                let width = self.program.width(elem);
                // A place with a dynamic index cannot be kept across the body's awaits: copy it.
                let source = match self.place(array) {
                    Some(p) if p.dynamic.is_none() => p,
                    _ => {
                        let total = self.program.width(&array.ty);
                        let copy = self.hidden("for array", total);
                        self.into(array, copy);
                        copy
                    }
                };
                let zero = self.constant(Const::Int(0));
                self.emit(Inst::Store { place: counter, src: zero });
                Each::Array { source, width, len: *len, elem: (**elem).clone() }
            }
        };
        let head = self.new_block();
        let body_block = self.new_block();
        let latch = self.new_block();
        let exit = self.new_block();
        self.terminate(Terminator::Jump(head));
        self.switch_to(head);
        let i = self.load(counter, Scalar::Int);
        let limit = match &each {
            Each::Range { end } => self.load(*end, Scalar::Int),
            Each::Array { len, .. } => self.constant(Const::Int(*len as i64)),
        };
        let c = self.binary(BinOp::ICmp(Cmp::Lt), i, limit, Scalar::Bool, span);
        self.terminate(Terminator::Branch { cond: c, then: body_block, otherwise: exit });
        self.switch_to(body_block);
        let i = self.load(counter, Scalar::Int);
        match each {
            Each::Range { .. } => self.emit(Inst::Store { place: var, src: i }),
            Each::Array { source, width, elem, .. } => {
                let stride = self.constant(Const::Int(width as i64));
                let offset = self.binary(BinOp::IMulWrap, i, stride, Scalar::Int, span);
                let src = Place { dynamic: Some(offset), ..source };
                self.copy_or_store(var, src, width, &elem);
            }
        }
        self.loops.push(LoopTarget { exit, next: latch, scopes: self.open_scopes });
        self.block(body);
        self.loops.pop();
        self.terminate(Terminator::Jump(latch));
        self.switch_to(latch);
        let i = self.load(counter, Scalar::Int);
        let one = self.constant(Const::Int(1));
        // `i < end <= i64::MAX` before the increment, so it cannot overflow.
        let next = self.binary(BinOp::IAddWrap, i, one, Scalar::Int, span);
        self.emit(Inst::Store { place: counter, src: next });
        self.terminate(Terminator::Jump(head));
        self.switch_to(exit);
    }

    /// Copies a value of `ty` between places: a load and store for a scalar.
    fn copy_or_store(&mut self, dst: Place, src: Place, width: u32, ty: &Type) {
        if is_scalar(ty) {
            let t = self.load(src, scalar_of(ty));
            self.emit(Inst::Store { place: dst, src: t });
        } else if width > 0 {
            self.emit(Inst::Copy { dst, src, len: width });
        }
    }

    fn every(&mut self, period: &Expr<Type>, body: &Block<Type>) {
        let span = period.span;
        let p = self.scalar(period);
        self.emit(Inst::CheckPeriod { period: p, span });
        let period_slot = self.hidden("every period", 1);
        self.emit(Inst::Store { place: period_slot, src: p });
        let start_slot = self.hidden("every start", 1);
        let now = self.temp(Scalar::Float);
        self.emit(Inst::Now { dst: now });
        self.emit(Inst::Store { place: start_slot, src: now });
        let count_slot = self.hidden("every count", 1);
        let zero = self.constant(Const::Int(0));
        self.emit(Inst::Store { place: count_slot, src: zero });
        let head = self.new_block();
        let latch = self.new_block();
        let exit = self.new_block();
        self.terminate(Terminator::Jump(head));
        self.switch_to(head);
        // Iteration k starts at t0 + k * period, a product rather than a running
        // sum, so no rounding error accumulates.
        let t0 = self.load(start_slot, Scalar::Float);
        let k = self.load(count_slot, Scalar::Int);
        let kf = self.temp(Scalar::Float);
        self.emit(Inst::Unary { dst: kf, op: ir::UnOp::IntToFloat, a: k, span });
        let p = self.load(period_slot, Scalar::Float);
        let offset = self.binary(BinOp::FMul, kf, p, Scalar::Float, span);
        let due = self.binary(BinOp::FAdd, t0, offset, Scalar::Float, span);
        self.wait(WaitOp::Until { time: due });
        self.loops.push(LoopTarget { exit, next: latch, scopes: self.open_scopes });
        self.block(body);
        self.loops.pop();
        self.terminate(Terminator::Jump(latch));
        self.switch_to(latch);
        let k = self.load(count_slot, Scalar::Int);
        let one = self.constant(Const::Int(1));
        let next = self.binary(BinOp::IAdd, k, one, Scalar::Int, span);
        self.emit(Inst::Store { place: count_slot, src: next });
        self.terminate(Terminator::Jump(head));
        self.switch_to(exit);
    }

    fn assign(&mut self, target: &Expr<Type>, op: AssignOp, value: &Expr<Type>) {
        if op == AssignOp::Set {
            if let ExprKind::Await(inner) = &value.kind {
                // Await first: a place's dynamic index must not live across the suspension.
                let result = self.await_value(inner);
                let Some(dst) = self.place(target) else { return };
                match result {
                    AwaitValue::Scalar(t) => self.emit(Inst::Store { place: dst, src: t }),
                    AwaitValue::Slots(src, len) => self.emit(Inst::Copy { dst, src, len }),
                    AwaitValue::None => {}
                }
                return;
            }
            if is_scalar(&target.ty) {
                let v = self.scalar(value);
                let Some(dst) = self.place(target) else { return };
                self.emit(Inst::Store { place: dst, src: v });
            } else {
                // Build the new value aside first: the right side may read the target.
                let width = self.program.width(&target.ty);
                let tmp = self.hidden("assigned value", width);
                self.into(value, tmp);
                let Some(dst) = self.place(target) else { return };
                self.emit(Inst::Copy { dst, src: tmp, len: width });
            }
            return;
        }
        let v = match &value.kind {
            ExprKind::Await(inner) => match self.await_value(inner) {
                AwaitValue::Scalar(t) => t,
                _ => return,
            },
            _ => self.scalar(value),
        };
        let Some(dst) = self.place(target) else { return };
        let scalar = scalar_of(&target.ty);
        let old = self.load(dst, scalar);
        let op = match (op, scalar) {
            (AssignOp::Add, Scalar::Int) => BinOp::IAdd,
            (AssignOp::Sub, Scalar::Int) => BinOp::ISub,
            (AssignOp::Mul, Scalar::Int) => BinOp::IMul,
            (AssignOp::Div, Scalar::Int) => BinOp::IDiv,
            (AssignOp::Add, _) => BinOp::FAdd,
            (AssignOp::Sub, _) => BinOp::FSub,
            (AssignOp::Mul, _) => BinOp::FMul,
            (_, _) => BinOp::FDiv,
        };
        let new = self.binary(op, old, v, scalar, target.span.to(value.span));
        self.emit(Inst::Store { place: dst, src: new });
    }

    /// Writes a value (which may be an `await`) into a place.
    fn assign_into(&mut self, value: &Expr<Type>, dst: Place) {
        if let ExprKind::Await(inner) = &value.kind {
            match self.await_value(inner) {
                AwaitValue::Scalar(t) => self.emit(Inst::Store { place: dst, src: t }),
                AwaitValue::Slots(src, len) => self.emit(Inst::Copy { dst, src, len }),
                AwaitValue::None => {}
            }
        } else {
            self.into(value, dst);
        }
    }

    /// Lowers the operand of an `await`; afterwards the current block is the one after
    /// the resumption, where the result is available.
    fn await_value(&mut self, inner: &Expr<Type>) -> AwaitValue {
        match &inner.kind {
            ExprKind::Delay(d) => {
                let duration = self.scalar(d);
                self.wait(WaitOp::Delay { duration, span: inner.span });
                AwaitValue::None
            }
            ExprKind::At(t) => {
                let time = self.scalar(t);
                self.wait(WaitOp::At { time, span: inner.span });
                AwaitValue::None
            }
            ExprKind::Instant => {
                self.wait(WaitOp::Instant);
                AwaitValue::None
            }
            _ if matches!(inner.ty, Type::Proc(_)) => {
                let Type::Proc(ret) = &inner.ty else { return AwaitValue::None };
                let handle = self.scalar(inner);
                let slot = self.hidden("awaited handle", 1);
                self.emit(Inst::Store { place: slot, src: handle });
                let span = inner.span;
                self.recheck_wait(|l| {
                    let handle = l.load(slot, Scalar::Int);
                    WaitOp::Join { handle, span }
                });
                let width = self.program.width(ret);
                if width == 0 {
                    return AwaitValue::None;
                }
                let handle = self.load(slot, Scalar::Int);
                if is_scalar(ret) {
                    let dst = self.temp(scalar_of(ret));
                    self.emit(Inst::JoinResult { dst, handle, index: 0 });
                    return AwaitValue::Scalar(dst);
                }
                let dst = self.hidden("awaited result", width);
                let scalars = self.flat_scalars(ret);
                for (i, s) in scalars.into_iter().enumerate() {
                    let t = self.temp(s);
                    self.emit(Inst::JoinResult { dst: t, handle, index: i as u32 });
                    self.emit(Inst::Store { place: dst.plus(i as u32), src: t });
                }
                AwaitValue::Slots(dst, width)
            }
            _ => {
                self.unsupported("awaiting a queue, channel, resource or condition", inner.span);
                AwaitValue::None
            }
        }
    }

    /// The scalar kinds of every slot of a type, in layout order.
    fn flat_scalars(&self, ty: &Type) -> Vec<Scalar> {
        let mut out = Vec::new();
        self.push_scalars(ty, &mut out);
        out
    }

    fn push_scalars(&self, ty: &Type, out: &mut Vec<Scalar>) {
        match ty {
            Type::Struct(id) => {
                for (_, t) in &self.program.structs[id.0 as usize].fields {
                    self.push_scalars(t, out);
                }
            }
            Type::Array(elem, len) => {
                for _ in 0..*len {
                    self.push_scalars(elem, out);
                }
            }
            Type::Unit | Type::Object(_) => {}
            other => out.push(scalar_of(other)),
        }
    }

    // Print.

    fn text(&mut self, s: &StrLit<Type>) {
        for part in &s.parts {
            match part {
                StrPart::Text(t) => self.text_piece(t),
                StrPart::Interp { expr, decimals } => {
                    if is_scalar(&expr.ty) {
                        let src = self.scalar(expr);
                        self.emit(Inst::TextValue { src, scalar: scalar_of(&expr.ty), decimals: *decimals });
                    } else {
                        let place = self.place_or_temp(expr);
                        self.text_place(place, &expr.ty);
                    }
                }
            }
        }
    }

    fn text_piece(&mut self, text: &str) {
        if !text.is_empty() {
            let string = self.strings.intern(text);
            self.emit(Inst::Text { string });
        }
    }

    /// Prints an aggregate stored at a place: `Job { id: 1, size: 2.5 }`, `[1, 2, 3]`.
    fn text_place(&mut self, place: Place, ty: &Type) {
        match ty {
            Type::Struct(id) => {
                let def = &self.program.structs[id.0 as usize];
                let mut offset = 0;
                for (i, (name, fty)) in def.fields.iter().enumerate() {
                    let prefix = if i == 0 { format!("{} {{ {name}: ", def.name) } else { format!(", {name}: ") };
                    self.text_piece(&prefix);
                    self.text_place(place.plus(offset), fty);
                    offset += self.program.width(fty);
                }
                self.text_piece(if def.fields.is_empty() { " {}" } else { " }" });
            }
            Type::Array(elem, len) => {
                let width = self.program.width(elem);
                self.text_piece("[");
                for i in 0..*len as u32 {
                    if i > 0 {
                        self.text_piece(", ");
                    }
                    self.text_place(place.plus(i * width), elem);
                }
                self.text_piece("]");
            }
            other => {
                let scalar = scalar_of(other);
                let src = self.load(place, scalar);
                self.emit(Inst::TextValue { src, scalar, decimals: None });
            }
        }
    }

    // Expressions.

    /// Lowers an expression whose type is unit (a call with no result).
    fn unit(&mut self, e: &Expr<Type>) {
        match &e.kind {
            ExprKind::CallFn { callable, args } => {
                let args = self.args(args);
                self.emit(Inst::CallFn { func: FuncId(*callable), args, ret: Ret::None, span: e.span });
            }
            ExprKind::Method { .. } => self.unsupported("queue, channel and resource operations", e.span),
            _ => {}
        }
    }

    fn args(&mut self, args: &[Expr<Type>]) -> Vec<Arg> {
        args.iter()
            .map(|a| {
                if is_scalar(&a.ty) {
                    Arg::Scalar(self.scalar(a))
                } else {
                    let width = self.program.width(&a.ty);
                    Arg::Slots(self.place_or_temp(a), width)
                }
            })
            .collect()
    }

    /// The place an expression denotes, if it is a variable or a field or element of one.
    fn place(&mut self, e: &Expr<Type>) -> Option<Place> {
        match &e.kind {
            ExprKind::Local(id) => Some(Place::frame(self.local_slots[id.0 as usize])),
            ExprKind::Global(i) => {
                Some(Place { base: Base::Globals, offset: self.global_slots[*i as usize], dynamic: None })
            }
            ExprKind::Field(inner, field) => {
                let base = self.place_or_temp(inner);
                let Type::Struct(id) = inner.ty else { return None };
                let (offset, _) = self.program.field(StructId(id.0), &field.name)?;
                Some(base.plus(offset))
            }
            ExprKind::Index(inner, index) => {
                let Type::Array(elem, len) = &inner.ty else {
                    self.unsupported("indexed object families", e.span);
                    return None;
                };
                let base = self.place_or_temp(inner);
                let width = self.program.width(elem);
                if let ExprKind::Int(i) = index.kind {
                    // The checker rejected constant indexes out of bounds.
                    return Some(base.plus(i as u32 * width));
                }
                let i = self.scalar(index);
                self.emit(Inst::CheckIndex { index: i, len: *len, span: index.span });
                let scaled = if width == 1 {
                    i
                } else {
                    let w = self.constant(Const::Int(width as i64));
                    self.binary(BinOp::IMulWrap, i, w, Scalar::Int, e.span)
                };
                let dynamic = match base.dynamic {
                    Some(d) => self.binary(BinOp::IAddWrap, d, scaled, Scalar::Int, e.span),
                    None => scaled,
                };
                Some(Place { dynamic: Some(dynamic), ..base })
            }
            _ => None,
        }
    }

    /// A place holding the value: the expression's own, or a fresh hidden one.
    fn place_or_temp(&mut self, e: &Expr<Type>) -> Place {
        if let Some(p) = self.place(e) {
            return p;
        }
        let width = self.program.width(&e.ty);
        let tmp = self.hidden("value", width);
        self.into(e, tmp);
        tmp
    }

    /// Writes the value of an expression of any type into a place.
    fn into(&mut self, e: &Expr<Type>, dst: Place) {
        if is_scalar(&e.ty) {
            let t = self.scalar(e);
            self.emit(Inst::Store { place: dst, src: t });
            return;
        }
        let width = self.program.width(&e.ty);
        match &e.kind {
            ExprKind::StructLit { fields, .. } => {
                let mut offset = 0;
                for (_, value) in fields {
                    self.into(value, dst.plus(offset));
                    offset += self.program.width(&value.ty);
                }
            }
            ExprKind::ArrayLit(items) => {
                let mut offset = 0;
                for item in items {
                    self.into(item, dst.plus(offset));
                    offset += self.program.width(&item.ty);
                }
            }
            ExprKind::ArrayRepeat(item, _) => {
                let Type::Array(_, count) = &e.ty else { return };
                if *count == 0 {
                    return;
                }
                self.into(item, dst);
                let w = self.program.width(&item.ty);
                if *count > 1 && w > 0 {
                    self.emit(Inst::Repeat { dst, width: w, count: *count as u32 });
                }
            }
            ExprKind::CallFn { callable, args } => {
                let args = self.args(args);
                self.emit(Inst::CallFn { func: FuncId(*callable), args, ret: Ret::Slots(dst, width), span: e.span });
            }
            _ => {
                if let Some(src) = self.place(e) {
                    if width > 0 {
                        self.emit(Inst::Copy { dst, src, len: width });
                    }
                }
            }
        }
    }

    /// Lowers a scalar-typed expression to a temporary.
    fn scalar(&mut self, e: &Expr<Type>) -> Temp {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => self.constant(Const::Int(*v)),
            ExprKind::Float(v) => self.constant(Const::Float(*v)),
            ExprKind::Bool(v) => self.constant(Const::Bool(*v)),
            ExprKind::Now => {
                let dst = self.temp(Scalar::Float);
                self.emit(Inst::Now { dst });
                dst
            }
            ExprKind::Paren(inner) => self.scalar(inner),
            ExprKind::ToFloat(inner) => {
                let a = self.scalar(inner);
                let dst = self.temp(Scalar::Float);
                self.emit(Inst::Unary { dst, op: ir::UnOp::IntToFloat, a, span });
                dst
            }
            ExprKind::Unary(op, inner) => {
                let a = self.scalar(inner);
                let (op, scalar) = match (op, &inner.ty) {
                    (UnOp::Neg, Type::Int) => (ir::UnOp::INeg, Scalar::Int),
                    (UnOp::Neg, _) => (ir::UnOp::FNeg, Scalar::Float),
                    (UnOp::Not, _) => (ir::UnOp::Not, Scalar::Bool),
                };
                let dst = self.temp(scalar);
                self.emit(Inst::Unary { dst, op, a, span });
                dst
            }
            ExprKind::Binary(op, a, b) => self.binary_expr(*op, a, b, span),
            ExprKind::CallBuiltin { name, signature, args } => {
                let Some(sig) = stdlib::lookup(name).and_then(|b| b.signatures.get(*signature)) else {
                    return self.constant(Const::Int(0));
                };
                let args: Vec<Temp> = args.iter().map(|a| self.scalar(a)).collect();
                let scalar = match sig.ret {
                    stdlib::Ty::Int => Scalar::Int,
                    stdlib::Ty::Float => Scalar::Float,
                    stdlib::Ty::Bool => Scalar::Bool,
                };
                let dst = self.temp(scalar);
                match sig.imp {
                    stdlib::Impl::Inline(op) => self.emit(Inst::Inline { dst, op, args, span }),
                    stdlib::Impl::Host { symbol, fallible } => {
                        self.emit(Inst::Host { dst, symbol, args, fallible, span })
                    }
                }
                dst
            }
            ExprKind::CallFn { callable, args } => {
                let args = self.args(args);
                let dst = self.temp(scalar_of(&e.ty));
                self.emit(Inst::CallFn { func: FuncId(*callable), args, ret: Ret::Scalar(dst), span });
                dst
            }
            ExprKind::Spawn(call) => {
                let ExprKind::CallFn { callable, args } = &call.kind else {
                    return self.constant(Const::Int(0));
                };
                let args = self.args(args);
                let dst = self.temp(Scalar::Int);
                self.emit(Inst::Spawn { dst, func: FuncId(*callable), args });
                dst
            }
            ExprKind::Local(_) | ExprKind::Global(_) | ExprKind::Field(..) | ExprKind::Index(..) => {
                let scalar = scalar_of(&e.ty);
                match self.place(e) {
                    Some(place) => self.load(place, scalar),
                    None => self.constant(Const::Int(0)),
                }
            }
            ExprKind::Method { .. } => {
                self.unsupported("queue, channel and resource operations", span);
                self.constant(Const::Int(0))
            }
            _ => {
                self.unsupported("this expression", span);
                self.constant(Const::Int(0))
            }
        }
    }

    fn binary_expr(&mut self, op: ast::BinOp, a: &Expr<Type>, b: &Expr<Type>, span: Span) -> Temp {
        use ast::BinOp as B;
        if matches!(op, B::And | B::Or) {
            // Short-circuit: the right side runs only when it decides the result.
            let result = self.temp(Scalar::Bool);
            let left = self.scalar(a);
            let right_block = self.new_block();
            let short_block = self.new_block();
            let join = self.new_block();
            let (then, otherwise) = if op == B::And { (right_block, short_block) } else { (short_block, right_block) };
            self.terminate(Terminator::Branch { cond: left, then, otherwise });
            self.switch_to(short_block);
            self.emit(Inst::Const { dst: result, value: Const::Bool(op == B::Or) });
            self.terminate(Terminator::Jump(join));
            self.switch_to(right_block);
            let right = self.scalar(b);
            self.emit(Inst::Move { dst: result, src: right });
            self.terminate(Terminator::Jump(join));
            self.switch_to(join);
            return result;
        }
        let x = self.scalar(a);
        let y = self.scalar(b);
        let operand = scalar_of(&a.ty);
        let cmp = |c: Cmp| match operand {
            Scalar::Int => BinOp::ICmp(c),
            Scalar::Float => BinOp::FCmp(c),
            Scalar::Bool => {
                if c == Cmp::Eq {
                    BinOp::BEq
                } else {
                    BinOp::BNe
                }
            }
        };
        let (ir_op, result) = match (op, operand) {
            (B::Add, Scalar::Int) => (BinOp::IAdd, Scalar::Int),
            (B::Sub, Scalar::Int) => (BinOp::ISub, Scalar::Int),
            (B::Mul, Scalar::Int) => (BinOp::IMul, Scalar::Int),
            (B::Div, Scalar::Int) => (BinOp::IDiv, Scalar::Int),
            (B::Rem, Scalar::Int) => (BinOp::IRem, Scalar::Int),
            (B::Add, _) => (BinOp::FAdd, Scalar::Float),
            (B::Sub, _) => (BinOp::FSub, Scalar::Float),
            (B::Mul, _) => (BinOp::FMul, Scalar::Float),
            (B::Div, _) => (BinOp::FDiv, Scalar::Float),
            (B::Rem, _) => (BinOp::FRem, Scalar::Float),
            (B::Eq, _) => (cmp(Cmp::Eq), Scalar::Bool),
            (B::Ne, _) => (cmp(Cmp::Ne), Scalar::Bool),
            (B::Lt, _) => (cmp(Cmp::Lt), Scalar::Bool),
            (B::Le, _) => (cmp(Cmp::Le), Scalar::Bool),
            (B::Gt, _) => (cmp(Cmp::Gt), Scalar::Bool),
            (B::Ge, _) => (cmp(Cmp::Ge), Scalar::Bool),
            (B::And | B::Or, _) => (BinOp::BEq, Scalar::Bool),
        };
        self.binary(ir_op, x, y, result, span)
    }
}
