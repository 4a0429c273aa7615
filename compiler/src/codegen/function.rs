//! One callable's IR to Cranelift IR: state dispatch, instructions, waits.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block as ClBlock, FuncRef, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, Type as ClType, Value,
};
use cranelift_frontend::{FunctionBuilder, Switch, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{DataId, FuncId as ClFuncId, Linkage, Module as _};

use super::error_code;
use super::host::{abi_type, scalar_type, F64, I32, I64, I8};
use super::CodegenError;
use crate::ir::{
    self, Arg, Base, BinOp, Cmp, Const, HeldBlock, Inst, ObjectValueOp, Place, Ret, Scalar, Terminator, WaitOp,
};
use crate::span::Span;
use usim_runtime as rt;
use usim_stdlib as stdlib;

pub(super) struct FnGen<'a, 'b> {
    pub(super) module: &'a ir::Module,
    pub(super) strings: &'a [(DataId, usize)],
    pub(super) jit: &'a mut JITModule,
    pub(super) imports: &'a mut HashMap<&'static str, ClFuncId>,
    pub(super) registered: &'a HashMap<&'static str, rt::HostFn>,
    pub(super) ids: &'a [ClFuncId],
    pub(super) kinds: &'a HashMap<u32, u32>,
    pub(super) stack_needs: &'a [i64],
    pub(super) func: &'a ir::Function,
    pub(super) builder: FunctionBuilder<'b>,
    /// Where each IR temporary lives while code is generated.
    pub(super) temps: Vec<TempHome>,
    /// The value of each int temporary defined once, by a constant: a
    /// divisor known not to be 0 or -1 needs no check.
    pub(super) known: Vec<Option<i64>>,
    pub(super) blocks: Vec<ClBlock>,
    pub(super) frame: Value,
    pub(super) globals: Value,
    pub(super) rt: Value,
    /// The error exits to fill once the body is generated.
    pub(super) error_exits: Vec<ClBlock>,
    /// The exit the next error check goes to, and how many use it.
    pub(super) error_exit: Option<(ClBlock, u32)>,
    /// The blocks that raise an error, by the error: each takes the values
    /// that differ between checks (the span, an index) and serves the next
    /// few checks of its error (`RAISER_CHECKS`).
    pub(super) raisers: HashMap<Raise, (ClBlock, u32)>,
    /// Every raiser made, with its error, to fill once the body is generated.
    pub(super) raisers_made: Vec<(ClBlock, Raise)>,
    /// A process's block that dispatches on the state in its frame: the entry,
    /// and where a wait goes when the runtime redirected the process.
    pub(super) dispatch: Option<ClBlock>,
    pub(super) func_refs: HashMap<&'static str, FuncRef>,
    /// In a `fn` (which never suspends), the frame slots of scalar locals
    /// live in Cranelift variables instead of memory, keyed by slot.
    pub(super) registers: HashMap<u32, Variable>,
    /// The slots of the largest callee frame and spawn argument list, and
    /// the shared stack areas sized for them.
    pub(super) areas: (u32, u32),
    pub(super) call_slot: Option<cranelift_codegen::ir::StackSlot>,
    pub(super) spawn_slot: Option<cranelift_codegen::ir::StackSlot>,
    /// Memory flags for frame, globals and runtime accesses: aligned, never trapping.
    pub(super) flags: MemFlagsData,
    pub(super) plain_flags: MemFlagsData,
}

/// An error raised by generated code through a shared block (a raiser).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Raise {
    /// `usim_error` with this code; the raiser takes the span.
    Inline(i64),
    /// An index out of bounds of an array of this length; the raiser takes the index and the span.
    Index(u64),
    /// An index out of bounds of the object family of this length and first
    /// member; the raiser takes the index and the span.
    Member(u64, u32),
}

/// Where an IR temporary lives during code generation.
#[derive(Clone, Copy)]
pub(super) enum TempHome {
    /// Defined once, before every use in generation order: its Cranelift
    /// value itself (a definition on every path to each use, which the IR
    /// guarantees, then dominates the uses).
    Value(Option<Value>),
    /// Defined more than once (the result of `&&`, say): a Cranelift variable,
    Var(Variable),
    /// or, in a body too long for variables, a stack slot.
    Slot(cranelift_codegen::ir::StackSlot),
}

/// How many checks share one block that raises their error, or one error
/// exit. Sharing saves each check a call (about a third of the machine
/// instructions of `x += 1`, and as much of the register allocator's
/// memory); a block shared by all the checks of a long body would have as
/// many predecessors as it has checks, and the register allocator's
/// dominators take time that grows with the square of that.
const RAISER_CHECKS: u32 = 32;

/// Whether `count` Cranelift variables in a function of about `blocks`
/// blocks stay within a fixed memory budget: the SSA builder's maps take
/// about 4 bytes per variable and block (a few per IR block), so beyond it
/// memory would grow with the square of the body's length.
fn within_variable_budget(count: usize, blocks: usize) -> bool {
    const BUDGET: usize = 1 << 22;
    count.saturating_mul(blocks.saturating_mul(4)) <= BUDGET
}

/// Which temporaries of `func` can be direct values. Cranelift's SSA
/// builder keeps, per variable, a map over blocks up to the last block that
/// defines it, so a variable per temporary makes memory grow with the square
/// of a body's length; direct values leave few variables.
fn temp_homes(func: &ir::Function) -> Vec<bool> {
    #[derive(Clone, Copy)]
    struct Seen {
        defs: u32,
        /// (block, position) of the definition; uses must come after it.
        at: (usize, usize),
        direct: bool,
    }
    let mut seen = vec![Seen { defs: 0, at: (0, 0), direct: true }; func.temps.len()];
    for (b, block) in func.blocks.iter().enumerate() {
        let note_uses = |uses: Vec<ir::Temp>, pos: usize, seen: &mut Vec<Seen>| {
            for u in uses {
                let s = &mut seen[u.0 as usize];
                if s.defs == 0 || (b, pos) <= s.at {
                    s.direct = false;
                }
            }
        };
        for (i, inst) in block.insts.iter().enumerate() {
            let (uses, def) = crate::verify::inst_temps(inst);
            note_uses(uses, i, &mut seen);
            if let Some(d) = def {
                let s = &mut seen[d.0 as usize];
                s.defs += 1;
                s.at = (b, i);
            }
        }
        note_uses(crate::verify::term_uses(&block.term), block.insts.len(), &mut seen);
    }
    seen.iter().map(|s| s.defs == 1 && s.direct).collect()
}

/// The blocks the code generator leaves out, each with its condition: a
/// block with nothing but a branch on a temporary that only this branch
/// uses, which every predecessor reaches by a jump right after defining the
/// temporary (`a && b` and `a || b`: `%t = ...; jump b3` and
/// `%t = const false; jump b3` before `b3: branch %t, ...`). Each
/// predecessor branches on its own definition instead, so the join and its
/// variable (a block parameter) disappear: a block and a branch fewer for
/// each `&&` and `||`.
fn threaded_joins(func: &ir::Function) -> Vec<Option<ir::Temp>> {
    let n = func.blocks.len();
    let mut uses = vec![0u32; func.temps.len()];
    // References to each block other than a plain jump, and its jumping predecessors.
    let mut other_refs = vec![0u32; n];
    let mut jumps_from: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (b, block) in func.blocks.iter().enumerate() {
        for inst in &block.insts {
            for u in crate::verify::inst_temps(inst).0 {
                uses[u.0 as usize] += 1;
            }
        }
        for u in crate::verify::term_uses(&block.term) {
            uses[u.0 as usize] += 1;
        }
        match &block.term {
            Terminator::Jump(to) => jumps_from[to.0 as usize].push(b),
            Terminator::Branch { then, otherwise, .. } => {
                other_refs[then.0 as usize] += 1;
                other_refs[otherwise.0 as usize] += 1;
            }
            Terminator::Wait { next, .. } => other_refs[next.0 as usize] += 1,
            Terminator::Select { arms, .. } => arms.iter().for_each(|(_, to)| other_refs[to.0 as usize] += 1),
            Terminator::ResumeArm { arms } => arms.iter().for_each(|to| other_refs[to.0 as usize] += 1),
            Terminator::Return | Terminator::Stop | Terminator::Fail { .. } | Terminator::ReturnBool { .. } => {}
        }
    }
    // The first block is where a `fn` or predicate starts; states are where a process resumes.
    if let Some(first) = other_refs.first_mut() {
        *first += 1;
    }
    for state in &func.states {
        other_refs[state.0 as usize] += 1;
    }
    let defines_last = |b: usize, t: ir::Temp| {
        func.blocks[b].insts.last().is_some_and(|inst| crate::verify::inst_temps(inst).1 == Some(t))
    };
    (0..n)
        .map(|b| {
            let block = &func.blocks[b];
            let Terminator::Branch { cond, then, otherwise } = block.term else { return None };
            let joins = block.insts.is_empty()
                && other_refs[b] == 0
                && uses[cond.0 as usize] == 1
                && then.0 as usize != b
                && otherwise.0 as usize != b
                && !jumps_from[b].is_empty()
                && jumps_from[b].iter().all(|&p| p != b && defines_last(p, cond));
            joins.then_some(cond)
        })
        .collect()
}

/// The value of every int temporary of `func` that only a constant defines
/// (once; the IR defines a temporary on every path to each of its uses).
fn known_ints(func: &ir::Function) -> Vec<Option<i64>> {
    let mut defs = vec![0u32; func.temps.len()];
    let mut known = vec![None; func.temps.len()];
    for inst in func.blocks.iter().flat_map(|b| &b.insts) {
        if let (_, Some(d)) = crate::verify::inst_temps(inst) {
            defs[d.0 as usize] += 1;
        }
        if let Inst::Const { dst, value: Const::Int(v) } = inst {
            known[dst.0 as usize] = Some(*v);
        }
    }
    known.iter().zip(defs).map(|(k, defs)| if defs == 1 { *k } else { None }).collect()
}

impl FnGen<'_, '_> {
    pub(super) fn generate(&mut self) -> Result<(), CodegenError> {
        let entry = self.builder.create_block();
        self.builder.append_block_params_for_function_params(entry);
        self.builder.switch_to_block(entry);
        let params = self.builder.block_params(entry).to_vec();
        self.frame = params[0];
        self.globals = params[1];
        self.rt = params[2];
        let mut direct = temp_homes(self.func);
        self.known = known_ints(self.func);
        let threaded = threaded_joins(self.func);
        // A threaded condition is used right after each of its definitions,
        // in the same block: its latest value is the one to branch on.
        for cond in threaded.iter().flatten() {
            direct[cond.0 as usize] = true;
        }
        let shared = direct.iter().filter(|d| !**d).count();
        let in_variables = within_variable_budget(shared, self.func.blocks.len());
        for (direct, t) in direct.into_iter().zip(&self.func.temps) {
            let home = if direct {
                TempHome::Value(None)
            } else if in_variables {
                TempHome::Var(self.builder.declare_var(scalar_type(*t)))
            } else {
                TempHome::Slot(self.stack_frame(1))
            };
            self.temps.push(home);
        }
        self.blocks = self.func.blocks.iter().map(|_| self.builder.create_block()).collect();
        if self.func.is_process {
            // Resume where the process left off.
            let dispatch = self.builder.create_block();
            self.builder.ins().jump(dispatch, &[]);
            self.builder.switch_to_block(dispatch);
            self.dispatch = Some(dispatch);
            let state = self.builder.ins().load(I64, self.flags, self.frame, 0);
            let mut switch = Switch::new();
            for (i, block) in self.func.states.iter().enumerate() {
                switch.set_entry(i as u128, self.blocks[block.0 as usize]);
            }
            let bad_state = self.builder.create_block();
            switch.emit(&mut self.builder, state, bad_state);
            self.builder.switch_to_block(bad_state);
            let code = self.builder.ins().iconst(I32, rt::STEP_ERROR as i64);
            self.builder.ins().return_(&[code]);
        } else {
            // A predicate reads its process's frame in memory; a `fn` owns its frame.
            if !self.func.is_predicate {
                self.registers_for_locals();
            }
            let first = self.blocks[0];
            self.builder.ins().jump(first, &[]);
        }
        for (i, block) in self.func.blocks.iter().enumerate() {
            if threaded[i].is_some() {
                // Never reached: each predecessor branched in its place.
                continue;
            }
            self.builder.switch_to_block(self.blocks[i]);
            for inst in &block.insts {
                self.inst(inst)?;
            }
            match block.term {
                Terminator::Jump(to) if threaded[to.0 as usize].is_some() => {
                    self.thread(&self.func.blocks[to.0 as usize].term, block.insts.last())?
                }
                _ => self.terminator(&block.term)?,
            }
        }
        for (raiser, raise) in std::mem::take(&mut self.raisers_made) {
            self.builder.switch_to_block(raiser);
            self.builder.set_cold_block(raiser);
            let params = self.builder.block_params(raiser).to_vec();
            let rt = self.rt;
            match raise {
                Raise::Inline(code) => {
                    let code = self.iconst(I32, code);
                    self.call_host("usim_error", &[rt, code, params[0]])?;
                }
                Raise::Index(len) => {
                    let len = self.iconst(I64, len as i64);
                    self.call_host("usim_index_error", &[rt, params[0], len, params[1]])?;
                }
                Raise::Member(len, base) => {
                    let len = self.iconst(I64, len as i64);
                    let base = self.iconst(I32, i64::from(base));
                    self.call_host("usim_member_error", &[rt, params[0], len, base, params[1]])?;
                }
            }
            self.return_error();
        }
        for exit in std::mem::take(&mut self.error_exits) {
            self.builder.switch_to_block(exit);
            self.builder.set_cold_block(exit);
            let code = self.iconst(I32, rt::STEP_ERROR as i64);
            self.builder.ins().return_(&[code]);
        }
        self.builder.seal_all_blocks();
        Ok(())
    }

    /// Declares a variable for every scalar local of a `fn`: parameters start
    /// with the argument the caller wrote into the frame, other locals with zero.
    fn registers_for_locals(&mut self) {
        let params_end = rt::FRAME_HEADER_SLOTS + self.func.param_slots;
        let scalars = self.func.slots.iter().filter(|slot| slot.scalar.is_some()).count();
        if !within_variable_budget(scalars, self.func.blocks.len()) {
            // A very long `fn` keeps its locals in its frame.
            return;
        }
        for slot in &self.func.slots {
            let Some(scalar) = slot.scalar else { continue };
            let ty = scalar_type(scalar);
            let var = self.builder.declare_var(ty);
            let initial = if slot.start < params_end {
                self.load_slot(Place::frame(slot.start), ty)
            } else if ty == F64 {
                self.builder.ins().f64const(0.0)
            } else {
                self.builder.ins().iconst(ty, 0)
            };
            self.builder.def_var(var, initial);
            self.registers.insert(slot.start, var);
        }
    }

    /// The variable holding a frame slot, when the slot lives in a register.
    fn register(&self, place: &Place) -> Option<Variable> {
        match (place.base, place.dynamic) {
            (Base::Frame, None) => self.registers.get(&place.offset).copied(),
            _ => None,
        }
    }

    fn get(&mut self, t: ir::Temp) -> Value {
        match self.temps[t.0 as usize] {
            TempHome::Value(Some(v)) => v,
            TempHome::Var(var) => self.builder.use_var(var),
            TempHome::Slot(slot) => {
                let ty = self.temp_type(t);
                self.builder.ins().stack_load(I64, ty, slot, 0)
            }
            // `temp_homes` makes a temporary direct only when its one
            // definition is generated before every use.
            TempHome::Value(None) => panic!("temporary {t} of `{}` used before its definition", self.func.name),
        }
    }

    fn set(&mut self, t: ir::Temp, v: Value) {
        match &mut self.temps[t.0 as usize] {
            TempHome::Value(home) => *home = Some(v),
            TempHome::Var(var) => {
                let var = *var;
                self.builder.def_var(var, v);
            }
            TempHome::Slot(slot) => {
                let slot = *slot;
                self.builder.ins().stack_store(I64, v, slot, 0);
            }
        }
    }

    fn temp_type(&self, t: ir::Temp) -> ClType {
        scalar_type(self.func.temps[t.0 as usize])
    }

    fn host(&mut self, symbol: &'static str) -> Result<FuncRef, CodegenError> {
        if let Some(r) = self.func_refs.get(symbol) {
            return Ok(*r);
        }
        let Some(function) = self.registered.get(symbol).copied() else {
            return Err(CodegenError(format!("host function `{symbol}` is not registered with the JIT")));
        };
        let id = match self.imports.get(symbol) {
            Some(id) => *id,
            None => {
                let mut sig = self.jit.make_signature();
                sig.params.extend(function.params.iter().map(|p| AbiParam::new(abi_type(*p))));
                sig.returns.extend(function.ret.map(|r| AbiParam::new(abi_type(r))));
                let id = self
                    .jit
                    .declare_function(symbol, Linkage::Import, &sig)
                    .map_err(|e| CodegenError(e.to_string()))?;
                self.imports.insert(symbol, id);
                id
            }
        };
        let r = self.jit.declare_func_in_func(id, self.builder.func);
        self.func_refs.insert(symbol, r);
        Ok(r)
    }

    fn call_host(&mut self, symbol: &'static str, args: &[Value]) -> Result<Option<Value>, CodegenError> {
        let f = self.host(symbol)?;
        let call = self.builder.ins().call(f, args);
        Ok(self.builder.inst_results(call).first().copied())
    }

    /// A host call that returns a value.
    fn call_value(&mut self, symbol: &'static str, args: &[Value]) -> Result<Value, CodegenError> {
        self.call_host(symbol, args)?.ok_or_else(|| CodegenError(format!("host `{symbol}` returns nothing")))
    }

    /// Stops with the error already recorded unless a host status is 0.
    fn error_unless_zero(&mut self, status: Value) {
        let exit = self.error_exit();
        let ok = self.builder.create_block();
        self.builder.ins().brif(status, exit, &[], ok, &[]);
        self.builder.switch_to_block(ok);
    }

    /// After a host call that may end the running process: 0 continues, 4
    /// (it was cancelled) returns `STEP_CANCELLED`, anything else is an error.
    fn continue_unless_ended_or_failed(&mut self, status: Value) {
        let ok = self.builder.create_block();
        let not_ok = self.builder.create_block();
        self.builder.ins().brif(status, not_ok, &[], ok, &[]);
        self.builder.switch_to_block(not_ok);
        self.builder.set_cold_block(not_ok);
        self.ended_or_fail(status);
        self.builder.switch_to_block(ok);
    }

    /// In a block for a host status that is not a success: return
    /// `STEP_CANCELLED` for 4 (the process was cancelled), else stop with
    /// the error recorded.
    fn ended_or_fail(&mut self, status: Value) {
        let ended = self.builder.ins().icmp_imm_s(IntCC::Equal, status, rt::HOST_ENDED as i64);
        let cancelled = self.builder.create_block();
        let exit = self.error_exit();
        self.builder.ins().brif(ended, cancelled, &[], exit, &[]);
        self.builder.switch_to_block(cancelled);
        self.builder.set_cold_block(cancelled);
        let code = self.iconst(I32, rt::STEP_CANCELLED as i64);
        self.builder.ins().return_(&[code]);
    }

    /// Fails with an index error unless `0 <= index < len`; `family` names
    /// the first member of the object family indexed, if it is one.
    fn check_index(&mut self, index: ir::Temp, len: u64, family: Option<u32>, span: Span) -> Result<(), CodegenError> {
        let i = self.get(index);
        let bad = self.builder.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, i, len as i64);
        let fail = self.builder.create_block();
        let ok = self.builder.create_block();
        self.builder.ins().brif(bad, fail, &[], ok, &[]);
        self.builder.switch_to_block(fail);
        self.builder.set_cold_block(fail);
        let span = self.span(span);
        let raiser = self.raiser(match family {
            None => Raise::Index(len),
            Some(base) => Raise::Member(len, base),
        });
        self.builder.ins().jump(raiser, &[i.into(), span.into()]);
        self.builder.switch_to_block(ok);
        Ok(())
    }

    /// The address of a place, for a host call that reads its slots.
    fn pointer(&mut self, place: Place) -> Value {
        let (base, offset) = self.address(place);
        self.builder.ins().iadd_imm_s(base, i64::from(offset))
    }

    fn iconst(&mut self, ty: ClType, v: i64) -> Value {
        self.builder.ins().iconst(ty, v)
    }

    fn span(&mut self, span: Span) -> Value {
        self.iconst(I64, span.pack())
    }

    /// A cold block that returns STEP_ERROR (filled in `generate`), shared
    /// by a few places that can fail (`RAISER_CHECKS`; see there why not by all).
    fn error_exit(&mut self) -> ClBlock {
        match &mut self.error_exit {
            Some((exit, uses)) if *uses < RAISER_CHECKS => {
                *uses += 1;
                *exit
            }
            _ => {
                let exit = self.builder.create_block();
                self.error_exits.push(exit);
                self.error_exit = Some((exit, 1));
                exit
            }
        }
    }

    /// Branches to a runtime error when `failed` is true, and continues
    /// otherwise. The error is raised by a block shared with a few other
    /// checks of the same code (`RAISER_CHECKS`); this check's own cold
    /// block only hands it the span, so the span's constant is never
    /// computed on the path that continues.
    fn fail_if(&mut self, failed: Value, code: i64, span: Span) -> Result<(), CodegenError> {
        let fail = self.builder.create_block();
        let ok = self.builder.create_block();
        self.builder.ins().brif(failed, fail, &[], ok, &[]);
        self.builder.switch_to_block(fail);
        self.builder.set_cold_block(fail);
        let span = self.span(span);
        let raiser = self.raiser(Raise::Inline(code));
        self.builder.ins().jump(raiser, &[span.into()]);
        self.builder.switch_to_block(ok);
        Ok(())
    }

    /// The block that raises `raise` for the next check, given its span
    /// (an index out of bounds: the index, then the span).
    fn raiser(&mut self, raise: Raise) -> ClBlock {
        match self.raisers.get_mut(&raise) {
            Some((block, uses)) if *uses < RAISER_CHECKS => {
                *uses += 1;
                *block
            }
            _ => {
                let block = self.builder.create_block();
                if !matches!(raise, Raise::Inline(_)) {
                    self.builder.append_block_param(block, I64);
                }
                self.builder.append_block_param(block, I64);
                self.raisers.insert(raise, (block, 1));
                self.raisers_made.push((block, raise));
                block
            }
        }
    }

    /// Ends the current block, a cold one that raised an error, by returning
    /// `STEP_ERROR` itself: a jump to a separate exit would cost a block
    /// and an instruction more for every check in the body.
    fn return_error(&mut self) {
        let code = self.iconst(I32, rt::STEP_ERROR as i64);
        self.builder.ins().return_(&[code]);
    }

    /// After a fallible host call: stop if it recorded an error.
    fn check_error_flag(&mut self) {
        let flag = self.builder.ins().load(I32, self.flags, self.rt, rt::OFFSET_ERROR);
        let exit = self.error_exit();
        let ok = self.builder.create_block();
        self.builder.ins().brif(flag, exit, &[], ok, &[]);
        self.builder.switch_to_block(ok);
    }

    /// The base address and immediate byte offset of a place.
    fn address(&mut self, place: Place) -> (Value, i32) {
        let base = match place.base {
            Base::Frame => self.frame,
            Base::Globals => self.globals,
        };
        let offset = (place.offset as i32) * 8;
        match place.dynamic {
            None => (base, offset),
            Some(t) => {
                let index = self.get(t);
                let bytes = self.builder.ins().ishl_imm_s(index, 3);
                (self.builder.ins().iadd(base, bytes), offset)
            }
        }
    }

    fn load_slot(&mut self, place: Place, ty: ClType) -> Value {
        let (addr, offset) = self.address(place);
        match ty {
            I8 => {
                let v = self.builder.ins().load(I64, self.flags, addr, offset);
                self.builder.ins().ireduce(I8, v)
            }
            _ => self.builder.ins().load(ty, self.flags, addr, offset),
        }
    }

    fn store_slot(&mut self, place: Place, v: Value, ty: ClType) {
        let (addr, offset) = self.address(place);
        let v = if ty == I8 { self.builder.ins().uextend(I64, v) } else { v };
        self.builder.ins().store(self.flags, v, addr, offset);
    }

    /// Copies `len` slots; short copies are unrolled, long ones loop.
    fn copy_slots(&mut self, dst: (Value, i32), src: (Value, i32), len: u32) {
        if len <= 16 {
            for i in 0..len as i32 {
                let v = self.builder.ins().load(I64, self.flags, src.0, src.1 + i * 8);
                self.builder.ins().store(self.flags, v, dst.0, dst.1 + i * 8);
            }
            return;
        }
        let d = self.builder.ins().iadd_imm_s(dst.0, dst.1 as i64);
        let s = self.builder.ins().iadd_imm_s(src.0, src.1 as i64);
        self.copy_loop(d, s, len as i64 * 8);
    }

    /// A forward slot-by-slot copy loop of `bytes` bytes (also used for `Repeat`,
    /// where the source runs ahead of the destination by one element).
    fn copy_loop(&mut self, dst: Value, src: Value, bytes: i64) {
        let head = self.builder.create_block();
        let body = self.builder.create_block();
        let exit = self.builder.create_block();
        self.builder.append_block_param(head, I64);
        let zero = self.iconst(I64, 0);
        self.builder.ins().jump(head, &[zero.into()]);
        self.builder.switch_to_block(head);
        let i = self.builder.block_params(head)[0];
        let done = self.builder.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, i, bytes);
        self.builder.ins().brif(done, exit, &[], body, &[]);
        self.builder.switch_to_block(body);
        let s = self.builder.ins().iadd(src, i);
        let v = self.builder.ins().load(I64, self.flags, s, 0);
        let d = self.builder.ins().iadd(dst, i);
        self.builder.ins().store(self.flags, v, d, 0);
        let next = self.builder.ins().iadd_imm_s(i, 8);
        self.builder.ins().jump(head, &[next.into()]);
        self.builder.switch_to_block(exit);
    }

    fn inst(&mut self, inst: &Inst) -> Result<(), CodegenError> {
        match inst {
            Inst::Const { dst, value } => {
                let v = match value {
                    Const::Int(v) => self.iconst(I64, *v),
                    Const::Float(v) => self.builder.ins().f64const(*v),
                    Const::Bool(v) => self.iconst(I8, *v as i64),
                };
                self.set(*dst, v);
            }
            Inst::Move { dst, src } => {
                let v = self.get(*src);
                self.set(*dst, v);
            }
            Inst::Load { dst, place } => {
                let v = match self.register(place) {
                    Some(var) => self.builder.use_var(var),
                    None => {
                        let ty = self.temp_type(*dst);
                        self.load_slot(*place, ty)
                    }
                };
                self.set(*dst, v);
            }
            Inst::Store { place, src } => {
                let v = self.get(*src);
                match self.register(place) {
                    Some(var) => self.builder.def_var(var, v),
                    None => {
                        let ty = self.temp_type(*src);
                        self.store_slot(*place, v, ty);
                    }
                }
            }
            Inst::Copy { dst, src, len } => {
                let d = self.address(*dst);
                let s = self.address(*src);
                self.copy_slots(d, s, *len);
            }
            Inst::Repeat { dst, width, count } => {
                let (base, offset) = self.address(*dst);
                let start = self.builder.ins().iadd_imm_s(base, offset as i64);
                let ahead = self.builder.ins().iadd_imm_s(start, *width as i64 * 8);
                let bytes = (*width as i64) * (*count as i64 - 1) * 8;
                self.copy_loop(ahead, start, bytes);
            }
            Inst::Binary { dst, op, a, b, span } => {
                let x = self.get(*a);
                let y = self.get(*b);
                let divisor = self.known[b.0 as usize];
                let v = self.binary(*op, x, y, divisor, *span)?;
                self.set(*dst, v);
            }
            Inst::Unary { dst, op, a, span } => {
                let x = self.get(*a);
                let v = match op {
                    ir::UnOp::INeg => {
                        let min = self.builder.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                        self.fail_if(min, error_code::OVERFLOW, *span)?;
                        self.builder.ins().ineg(x)
                    }
                    ir::UnOp::FNeg => self.builder.ins().fneg(x),
                    ir::UnOp::Not => self.builder.ins().bxor_imm_s(x, 1),
                    ir::UnOp::IntToFloat => self.builder.ins().fcvt_from_sint(F64, x),
                };
                self.set(*dst, v);
            }
            Inst::Inline { dst, op, args, span } => {
                let xs: Vec<Value> = args.iter().map(|a| self.get(*a)).collect();
                let v = self.inline(*op, &xs, *span)?;
                self.set(*dst, v);
            }
            Inst::Host { dst, symbol, args, fallible, span } => {
                let mut xs = Vec::new();
                if *fallible {
                    xs.push(self.rt);
                }
                for a in args {
                    xs.push(self.get(*a));
                }
                if *fallible {
                    xs.push(self.span(*span));
                }
                let v = self.call_host(symbol, &xs)?;
                if *fallible {
                    self.check_error_flag();
                }
                let v = v.ok_or_else(|| CodegenError(format!("host `{symbol}` returns nothing")))?;
                self.set(*dst, v);
            }
            Inst::CheckIndex { index, len, span } => self.check_index(*index, *len, None, *span)?,
            Inst::CheckMember { index, len, base, span } => self.check_index(*index, *len, Some(*base), *span)?,
            Inst::CheckAdvance { due, last, span } => {
                let (due, last) = (self.get(*due), self.get(*last));
                let stuck = self.builder.ins().fcmp(FloatCC::UnorderedOrLessThanOrEqual, due, last);
                self.fail_if(stuck, error_code::EVERY_STUCK, *span)?;
            }
            Inst::Poll { span } => {
                // Through the header's pointer, so the code holds no address;
                // plain loads each time round (never hoisted: not readonly).
                let address = self.builder.ins().load(I64, self.flags, self.rt, rt::OFFSET_INTERRUPT);
                let flag = self.builder.ins().load(I32, self.flags, address, 0);
                self.fail_if(flag, error_code::INTERRUPTED, *span)?;
            }
            Inst::CheckPeriod { period, span } => {
                let p = self.get(*period);
                let zero = self.builder.ins().f64const(0.0);
                // `!(p > 0)` also catches NaN.
                let bad = self.builder.ins().fcmp(FloatCC::UnorderedOrLessThanOrEqual, p, zero);
                self.fail_if(bad, error_code::EVERY_PERIOD, *span)?;
            }
            Inst::Now { dst } => {
                let v = self.builder.ins().load(F64, self.flags, self.rt, rt::OFFSET_NOW);
                self.set(*dst, v);
            }
            Inst::CallFn { func, args, ret, span } => self.call_fn(*func, args, *ret, *span)?,
            Inst::Spawn { dst, func, args, span } => {
                let callee = &self.module.functions[func.0 as usize];
                let buffer = self.spawn_area();
                let base = self.builder.ins().stack_addr(I64, buffer, 0);
                self.write_args(base, 0, args);
                let kind = self.kinds.get(&func.0).copied().unwrap_or(0);
                let kind = self.iconst(I32, kind as i64);
                let nargs = self.iconst(I32, callee.param_slots as i64);
                let span = self.span(*span);
                let rt = self.rt;
                let handle = self.call_host("usim_spawn_at", &[rt, kind, base, nargs, span])?;
                let handle = handle.ok_or_else(|| CodegenError("usim_spawn_at returns nothing".into()))?;
                // Too many live processes, or out of memory: stop here.
                self.check_error_flag();
                self.set(*dst, handle);
            }
            Inst::JoinResult { dst, handle, index } => {
                let h = self.get(*handle);
                let k = self.iconst(I32, *index as i64);
                let rt = self.rt;
                let raw = self.call_host("usim_result", &[rt, h, k])?;
                let raw = raw.ok_or_else(|| CodegenError("usim_result returns nothing".into()))?;
                let v = match self.temp_type(*dst) {
                    F64 => self.builder.ins().bitcast(F64, self.plain_flags, raw),
                    I8 => self.builder.ins().ireduce(I8, raw),
                    _ => raw,
                };
                self.set(*dst, v);
            }
            Inst::JoinResults { dst, handle, len } => {
                let h = self.get(*handle);
                let dst = self.pointer(*dst);
                let len = self.iconst(I32, i64::from(*len));
                let rt = self.rt;
                self.call_host("usim_results", &[rt, h, dst, len])?;
            }
            Inst::Cancel { handle } => {
                let h = self.get(*handle);
                let rt = self.rt;
                let r = self.call_host("usim_cancel", &[rt, h])?;
                let r = r.ok_or_else(|| CodegenError("usim_cancel returns nothing".into()))?;
                let ended = self.builder.create_block();
                let go_on = self.builder.create_block();
                self.builder.ins().brif(r, ended, &[], go_on, &[]);
                self.builder.switch_to_block(ended);
                let code = self.iconst(I32, rt::STEP_CANCELLED as i64);
                self.builder.ins().return_(&[code]);
                self.builder.switch_to_block(go_on);
            }
            Inst::ScopeEnter => {
                let rt = self.rt;
                self.call_host("usim_scope_enter", &[rt])?;
            }
            Inst::Text { string } => {
                let (id, len) = self.strings[*string as usize];
                let global = self.jit.declare_data_in_func(id, self.builder.func);
                let ptr = self.builder.ins().symbol_value(I64, global);
                let len = self.iconst(I64, len as i64);
                let rt = self.rt;
                self.call_host("usim_text_str", &[rt, ptr, len])?;
            }
            Inst::TextValue { src, scalar, spec } => {
                let v = self.get(*src);
                let rt = self.rt;
                // `{x}` and `{x:.N}` keep their own host calls; any other
                // spec goes to the host in its one-word form.
                let decimals_only = spec.precision.map(crate::ir::Spec::decimals) == Some(*spec);
                match (scalar, spec.is_plain(), decimals_only) {
                    (Scalar::Float, _, true) => {
                        let n = self.iconst(I32, i64::from(spec.precision.unwrap_or(0)));
                        self.call_host("usim_text_float_prec", &[rt, v, n])?;
                    }
                    (Scalar::Float, true, _) => {
                        self.call_host("usim_text_float", &[rt, v])?;
                    }
                    (Scalar::Int, true, _) => {
                        self.call_host("usim_text_int", &[rt, v])?;
                    }
                    (Scalar::Bool, true, _) => {
                        self.call_host("usim_text_bool", &[rt, v])?;
                    }
                    (scalar, false, _) => {
                        let symbol = match scalar {
                            Scalar::Int => "usim_text_int_spec",
                            Scalar::Float => "usim_text_float_spec",
                            Scalar::Bool => "usim_text_bool_spec",
                        };
                        let bits = self.iconst(I64, spec.encode() as i64);
                        self.call_host(symbol, &[rt, v, bits])?;
                    }
                }
            }
            Inst::TextMark { dst } => {
                let rt = self.rt;
                let len = self.call_value("usim_text_len", &[rt])?;
                self.set(*dst, len);
            }
            Inst::TextPad { start, spec } => {
                let start = self.get(*start);
                let rt = self.rt;
                let bits = self.iconst(I64, spec.encode() as i64);
                self.call_host("usim_text_pad", &[rt, start, bits])?;
            }
            Inst::PrintLine => {
                let rt = self.rt;
                self.call_host("usim_print_end", &[rt])?;
            }
            Inst::BlockEnd { block } => {
                let symbol = match block {
                    HeldBlock::Lock => "usim_lock_release",
                    HeldBlock::Borrow => "usim_borrow_end",
                    HeldBlock::Until => "usim_until_exit",
                };
                let rt = self.rt;
                let status = self.call_value(symbol, &[rt])?;
                self.error_unless_zero(status);
            }
            Inst::VarWritten { var } => {
                let var = self.iconst(I32, i64::from(*var));
                let rt = self.rt;
                let status = self.call_value("usim_var_written", &[rt, var])?;
                self.continue_unless_ended_or_failed(status);
            }
            Inst::ElementWritten { var, index } => {
                let var = self.iconst(I32, i64::from(*var));
                let (rt, index) = (self.rt, self.get(*index));
                let status = self.call_value("usim_element_written", &[rt, var, index])?;
                self.continue_unless_ended_or_failed(status);
            }
            Inst::GlobalsWritten { place, len } => {
                let mut slot = self.iconst(I64, i64::from(place.offset));
                if let Some(dynamic) = place.dynamic {
                    let dynamic = self.get(dynamic);
                    slot = self.builder.ins().iadd(slot, dynamic);
                }
                let len = self.iconst(I64, i64::from(*len));
                let rt = self.rt;
                self.call_host("usim_globals_written", &[rt, slot, len])?;
                self.check_error_flag();
            }
            Inst::Record { tally, value } => {
                let tally = self.iconst(I32, i64::from(*tally));
                let (rt, value) = (self.rt, self.get(*value));
                self.call_host("usim_record", &[rt, tally, value])?;
                self.check_error_flag();
            }
            Inst::ObjectValue { dst, op, object } => {
                let symbol = match op {
                    ObjectValueOp::QueueLen => "usim_queue_len",
                    ObjectValueOp::ResourceLevel => "usim_resource_level",
                };
                let (rt, object) = (self.rt, self.get(*object));
                let value = self.call_value(symbol, &[rt, object])?;
                self.check_error_flag();
                self.set(*dst, value);
            }
            Inst::Send { object, src } => {
                let (rt, object) = (self.rt, self.get(*object));
                let src = self.pointer(*src);
                let status = self.call_value("usim_channel_send", &[rt, object, src])?;
                self.continue_unless_ended_or_failed(status);
            }
            Inst::JoinCheck { handle, span } => {
                let (rt, handle) = (self.rt, self.get(*handle));
                let span = self.span(*span);
                let status = self.call_value("usim_join_check", &[rt, handle, span])?;
                self.error_unless_zero(status);
            }
        }
        Ok(())
    }

    /// The stack area every call of a `fn` in this function uses for the
    /// callee's frame (calls never overlap, and a callee writes every slot
    /// before it reads it).
    fn call_area(&mut self) -> cranelift_codegen::ir::StackSlot {
        if let Some(slot) = self.call_slot {
            return slot;
        }
        let slot = self.stack_frame(self.areas.0);
        self.call_slot = Some(slot);
        slot
    }

    /// The stack area every `spawn` in this function writes its arguments to.
    fn spawn_area(&mut self) -> cranelift_codegen::ir::StackSlot {
        if let Some(slot) = self.spawn_slot {
            return slot;
        }
        let slot = self.stack_frame(self.areas.1);
        self.spawn_slot = Some(slot);
        slot
    }

    fn stack_frame(&mut self, slots: u32) -> cranelift_codegen::ir::StackSlot {
        self.builder.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, slots * 8, 3))
    }

    /// Writes call arguments as consecutive slots starting at `base + first_slot`.
    fn write_args(&mut self, base: Value, first_slot: u32, args: &[Arg]) {
        let mut slot = first_slot as i32;
        for arg in args {
            match arg {
                Arg::Scalar(t) => {
                    let ty = self.temp_type(*t);
                    let v = self.get(*t);
                    let v = if ty == I8 { self.builder.ins().uextend(I64, v) } else { v };
                    self.builder.ins().store(self.flags, v, base, slot * 8);
                    slot += 1;
                }
                Arg::Slots(place, len) => {
                    let src = self.address(*place);
                    self.copy_slots((base, slot * 8), src, *len);
                    slot += *len as i32;
                }
            }
        }
    }

    fn call_fn(&mut self, func: ir::FuncId, args: &[Arg], ret: Ret, span: Span) -> Result<(), CodegenError> {
        let callee = &self.module.functions[func.0 as usize];
        let frame = self.call_area();
        let base = self.builder.ins().stack_addr(I64, frame, 0);
        self.write_args(base, rt::FRAME_HEADER_SLOTS, args);
        // Refuse the call rather than overflow the host stack on runaway recursion.
        let need = self.stack_needs[func.0 as usize];
        let left = self.builder.ins().load(I64, self.flags, self.rt, rt::OFFSET_STACK_LEFT);
        let short = self.builder.ins().icmp_imm_s(IntCC::SignedLessThan, left, need);
        self.fail_if(short, error_code::RECURSION, span)?;
        let reduced = self.builder.ins().iadd_imm_s(left, -need);
        self.builder.ins().store(self.flags, reduced, self.rt, rt::OFFSET_STACK_LEFT);
        let id = self.ids[func.0 as usize];
        let f = self.jit.declare_func_in_func(id, self.builder.func);
        let (globals, rt) = (self.globals, self.rt);
        let call = self.builder.ins().call(f, &[base, globals, rt]);
        let status = self.builder.inst_results(call)[0];
        self.builder.ins().store(self.flags, left, self.rt, rt::OFFSET_STACK_LEFT);
        // Anything but a normal return (an error, `stop`) ends this step too.
        let abnormal = self.builder.ins().icmp_imm_s(IntCC::NotEqual, status, rt::STEP_DONE as i64);
        let pass_on = self.builder.create_block();
        let ok = self.builder.create_block();
        self.builder.ins().brif(abnormal, pass_on, &[], ok, &[]);
        self.builder.switch_to_block(pass_on);
        self.builder.set_cold_block(pass_on);
        self.builder.ins().return_(&[status]);
        self.builder.switch_to_block(ok);
        let result = callee.result_start as i32 * 8;
        match ret {
            Ret::None => {}
            Ret::Scalar(t) => {
                let ty = self.temp_type(t);
                let v = if ty == I8 {
                    let raw = self.builder.ins().load(I64, self.flags, base, result);
                    self.builder.ins().ireduce(I8, raw)
                } else {
                    self.builder.ins().load(ty, self.flags, base, result)
                };
                self.set(t, v);
            }
            Ret::Slots(place, len) => {
                let dst = self.address(place);
                self.copy_slots(dst, (base, result), len);
            }
        }
        Ok(())
    }

    /// `x op y`; `divisor` is the value of `y` when it is a known constant.
    fn binary(
        &mut self,
        op: BinOp,
        x: Value,
        y: Value,
        divisor: Option<i64>,
        span: Span,
    ) -> Result<Value, CodegenError> {
        Ok(match op {
            BinOp::IAdd | BinOp::ISub | BinOp::IMul => {
                let (v, overflow) = match op {
                    BinOp::IAdd => self.builder.ins().sadd_overflow(x, y),
                    BinOp::ISub => self.builder.ins().ssub_overflow(x, y),
                    _ => self.builder.ins().smul_overflow(x, y),
                };
                self.fail_if(overflow, error_code::OVERFLOW, span)?;
                v
            }
            // A constant divisor other than 0 and -1 can fail neither check.
            BinOp::IDiv => {
                if divisor.is_none_or(|d| d == 0) {
                    let zero = self.builder.ins().icmp_imm_s(IntCC::Equal, y, 0);
                    self.fail_if(zero, error_code::DIVISION_BY_ZERO, span)?;
                }
                if divisor.is_none_or(|d| d == -1) {
                    let min = self.builder.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                    let minus_one = self.builder.ins().icmp_imm_s(IntCC::Equal, y, -1);
                    let overflow = self.builder.ins().band(min, minus_one);
                    self.fail_if(overflow, error_code::OVERFLOW, span)?;
                }
                self.builder.ins().sdiv(x, y)
            }
            BinOp::IRem => {
                if divisor.is_none_or(|d| d == 0) {
                    let zero = self.builder.ins().icmp_imm_s(IntCC::Equal, y, 0);
                    self.fail_if(zero, error_code::REMAINDER_BY_ZERO, span)?;
                }
                if divisor.is_some_and(|d| d != 0 && d != -1) {
                    return Ok(self.builder.ins().srem(x, y));
                }
                // x % -1 is 0; dividing by 1 instead avoids the hardware's MIN / -1 trap.
                let minus_one = self.builder.ins().icmp_imm_s(IntCC::Equal, y, -1);
                let one = self.iconst(I64, 1);
                let divisor = self.builder.ins().select(minus_one, one, y);
                self.builder.ins().srem(x, divisor)
            }
            BinOp::FAdd => self.builder.ins().fadd(x, y),
            BinOp::FSub => self.builder.ins().fsub(x, y),
            BinOp::FMul => self.builder.ins().fmul(x, y),
            BinOp::FDiv => self.builder.ins().fdiv(x, y),
            BinOp::FRem => {
                self.call_host("usim_fmod", &[x, y])?.ok_or_else(|| CodegenError("usim_fmod returns nothing".into()))?
            }
            BinOp::ICmp(c) | BinOp::FCmp(c) if matches!(op, BinOp::ICmp(_)) => {
                let cc = match c {
                    Cmp::Eq => IntCC::Equal,
                    Cmp::Ne => IntCC::NotEqual,
                    Cmp::Lt => IntCC::SignedLessThan,
                    Cmp::Le => IntCC::SignedLessThanOrEqual,
                    Cmp::Gt => IntCC::SignedGreaterThan,
                    Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
                };
                self.builder.ins().icmp(cc, x, y)
            }
            BinOp::ICmp(c) | BinOp::FCmp(c) => {
                let cc = match c {
                    Cmp::Eq => FloatCC::Equal,
                    Cmp::Ne => FloatCC::NotEqual,
                    Cmp::Lt => FloatCC::LessThan,
                    Cmp::Le => FloatCC::LessThanOrEqual,
                    Cmp::Gt => FloatCC::GreaterThan,
                    Cmp::Ge => FloatCC::GreaterThanOrEqual,
                };
                self.builder.ins().fcmp(cc, x, y)
            }
            BinOp::BEq => self.builder.ins().icmp(IntCC::Equal, x, y),
            BinOp::BNe => self.builder.ins().icmp(IntCC::NotEqual, x, y),
            BinOp::IAddWrap => self.builder.ins().iadd(x, y),
            BinOp::IMulWrap => self.builder.ins().imul(x, y),
        })
    }

    fn inline(&mut self, op: stdlib::InlineOp, xs: &[Value], span: Span) -> Result<Value, CodegenError> {
        use stdlib::InlineOp as Op;
        let arg = |i: usize| xs.get(i).copied().ok_or_else(|| CodegenError(format!("{op:?} is missing an argument")));
        Ok(match op {
            Op::Sqrt => self.builder.ins().sqrt(arg(0)?),
            Op::Floor => self.builder.ins().floor(arg(0)?),
            Op::Ceil => self.builder.ins().ceil(arg(0)?),
            Op::FAbs => self.builder.ins().fabs(arg(0)?),
            Op::IAbs => {
                let x = arg(0)?;
                let min = self.builder.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                self.fail_if(min, error_code::OVERFLOW, span)?;
                self.builder.ins().iabs(x)
            }
            Op::IMin => self.builder.ins().smin(arg(0)?, arg(1)?),
            Op::IMax => self.builder.ins().smax(arg(0)?, arg(1)?),
            Op::FMin | Op::FMax => {
                // As Rust's f64::min/max: a NaN argument yields the other one.
                let (a, b) = (arg(0)?, arg(1)?);
                let cc = if op == Op::FMin { FloatCC::LessThan } else { FloatCC::GreaterThan };
                let b_wins = self.builder.ins().fcmp(cc, b, a);
                let pick = self.builder.ins().select(b_wins, b, a);
                let a_nan = self.builder.ins().fcmp(FloatCC::Unordered, a, a);
                self.builder.ins().select(a_nan, b, pick)
            }
            Op::IntToFloat => self.builder.ins().fcvt_from_sint(F64, arg(0)?),
            Op::Identity => arg(0)?,
        })
    }

    fn terminator(&mut self, term: &Terminator) -> Result<(), CodegenError> {
        match term {
            Terminator::Jump(b) => {
                let target = self.blocks[b.0 as usize];
                self.builder.ins().jump(target, &[]);
            }
            Terminator::Branch { cond, then, otherwise } => {
                let c = self.get(*cond);
                let (t, e) = (self.blocks[then.0 as usize], self.blocks[otherwise.0 as usize]);
                self.builder.ins().brif(c, t, &[], e, &[]);
            }
            Terminator::Return => {
                let code = self.iconst(I32, rt::STEP_DONE as i64);
                self.builder.ins().return_(&[code]);
            }
            Terminator::Stop => {
                let code = self.iconst(I32, rt::STEP_STOP as i64);
                self.builder.ins().return_(&[code]);
            }
            Terminator::Fail { span } => {
                let span = self.span(*span);
                let rt = self.rt;
                self.call_host("usim_fail_end", &[rt, span])?;
                let code = self.iconst(I32, rt::STEP_ERROR as i64);
                self.builder.ins().return_(&[code]);
            }
            Terminator::Wait { op, next, resume } => {
                let state = self.iconst(I64, resume.0 as i64);
                self.builder.ins().store(self.flags, state, self.frame, 0);
                let result = self.wait_call(op)?;
                // 0: completed at once; 1: suspended; 3: redirected; else an error.
                let next_block = self.blocks[next.0 as usize];
                let not_done = self.builder.create_block();
                let suspended = self.builder.create_block();
                self.builder.ins().brif(result, not_done, &[], next_block, &[]);
                self.builder.switch_to_block(not_done);
                let is_suspended = self.builder.ins().icmp_imm_s(IntCC::Equal, result, rt::HOST_SUSPENDED as i64);
                let other = self.builder.create_block();
                self.builder.ins().brif(is_suspended, suspended, &[], other, &[]);
                self.builder.switch_to_block(other);
                self.redispatch_or_fail(result);
                self.builder.switch_to_block(suspended);
                let code = self.iconst(I32, rt::STEP_SUSPENDED as i64);
                self.builder.ins().return_(&[code]);
            }
            Terminator::Select { arms, resume } => {
                let rt = self.rt;
                let begun = self.call_value("usim_select_begin", &[rt])?;
                let first = self.builder.create_block();
                let not_begun = self.builder.create_block();
                self.builder.ins().brif(begun, not_begun, &[], first, &[]);
                self.builder.switch_to_block(not_begun);
                self.redispatch_or_fail(begun);
                self.builder.switch_to_block(first);
                // Each arm in listed order: 0 it won at once, 1 it waits (try
                // the next), 3 redirected, anything else an error.
                for (op, block) in arms {
                    let result = self.wait_call(op)?;
                    let won = self.blocks[block.0 as usize];
                    let not_won = self.builder.create_block();
                    self.builder.ins().brif(result, not_won, &[], won, &[]);
                    self.builder.switch_to_block(not_won);
                    let waits = self.builder.ins().icmp_imm_s(IntCC::Equal, result, rt::HOST_REGISTERED as i64);
                    let next_arm = self.builder.create_block();
                    let other = self.builder.create_block();
                    self.builder.ins().brif(waits, next_arm, &[], other, &[]);
                    self.builder.switch_to_block(other);
                    self.redispatch_or_fail(result);
                    self.builder.switch_to_block(next_arm);
                }
                let state = self.iconst(I64, resume.0 as i64);
                self.builder.ins().store(self.flags, state, self.frame, 0);
                let rt = self.rt;
                let result = self.call_value("usim_select_wait", &[rt])?;
                let is_suspended = self.builder.ins().icmp_imm_s(IntCC::Equal, result, rt::HOST_SUSPENDED as i64);
                let suspended = self.builder.create_block();
                let exit = self.error_exit();
                self.builder.ins().brif(is_suspended, suspended, &[], exit, &[]);
                self.builder.switch_to_block(suspended);
                let code = self.iconst(I32, rt::STEP_SUSPENDED as i64);
                self.builder.ins().return_(&[code]);
            }
            Terminator::ResumeArm { arms } => {
                let reason = self.builder.ins().load(I64, self.flags, self.frame, rt::SLOT_RESUME_REASON as i32 * 8);
                let mut switch = Switch::new();
                for (arm, block) in arms.iter().enumerate() {
                    switch.set_entry(arm as u128, self.blocks[block.0 as usize]);
                }
                let exit = self.error_exit();
                switch.emit(&mut self.builder, reason, exit);
            }
            Terminator::ReturnBool { value } => {
                let value = self.get(*value);
                let code = self.builder.ins().uextend(I32, value);
                self.builder.ins().return_(&[code]);
            }
        }
        Ok(())
    }

    /// In place of a jump to a threaded join: its branch, on the condition
    /// the jumping block just defined (`last`, its last instruction); a
    /// constant condition jumps straight to its side.
    fn thread(&mut self, join: &Terminator, last: Option<&Inst>) -> Result<(), CodegenError> {
        let Terminator::Branch { cond, then, otherwise } = *join else {
            return Err(CodegenError("a threaded join that is not a branch".into()));
        };
        let (t, e) = (self.blocks[then.0 as usize], self.blocks[otherwise.0 as usize]);
        match last {
            Some(Inst::Const { value: Const::Bool(true), .. }) => {
                self.builder.ins().jump(t, &[]);
            }
            Some(Inst::Const { value: Const::Bool(false), .. }) => {
                self.builder.ins().jump(e, &[]);
            }
            _ => {
                let c = self.get(cond);
                self.builder.ins().brif(c, t, &[], e, &[]);
            }
        }
        Ok(())
    }

    /// After a host result that is neither "done" nor "suspended": dispatch
    /// again on the state the runtime stored (3), return `STEP_CANCELLED`
    /// (4, the process was cancelled during the call), or stop with the error.
    fn redispatch_or_fail(&mut self, result: Value) {
        match self.dispatch {
            Some(dispatch) => {
                let redirected = self.builder.ins().icmp_imm_s(IntCC::Equal, result, rt::HOST_REDISPATCH as i64);
                let other = self.builder.create_block();
                self.builder.ins().brif(redirected, dispatch, &[], other, &[]);
                self.builder.switch_to_block(other);
                self.ended_or_fail(result);
            }
            None => self.ended_or_fail(result),
        }
    }

    /// Calls the host function that performs a wait; returns its status.
    fn wait_call(&mut self, op: &WaitOp) -> Result<Value, CodegenError> {
        let rt = self.rt;
        match op {
            WaitOp::Delay { duration, span } => {
                let d = self.get(*duration);
                let s = self.span(*span);
                self.call_value("usim_delay", &[rt, d, s])
            }
            WaitOp::At { time, span } => {
                let t = self.get(*time);
                let s = self.span(*span);
                self.call_value("usim_at", &[rt, t, s])
            }
            WaitOp::Instant => self.call_value("usim_instant", &[rt]),
            WaitOp::Until { time } => {
                let t = self.get(*time);
                self.call_value("usim_wait_until", &[rt, t])
            }
            WaitOp::Join { handle, span } => {
                let h = self.get(*handle);
                let s = self.span(*span);
                self.call_value("usim_join", &[rt, h, s])
            }
            WaitOp::ScopeExit => self.call_value("usim_scope_exit", &[rt]),
            WaitOp::Lock { object, priority, cont } => {
                let (o, p) = (self.get(*object), self.get(*priority));
                let c = self.iconst(I32, i64::from(cont.0));
                self.call_value("usim_lock_acquire", &[rt, o, p, c])
            }
            WaitOp::Borrow { object, amount, span } => {
                let (o, a) = (self.get(*object), self.get(*amount));
                let s = self.span(*span);
                self.call_value("usim_borrow", &[rt, o, a, s])
            }
            WaitOp::Get { object, dest } => {
                let o = self.get(*object);
                let d = self.iconst(I32, i64::from(*dest));
                self.call_value("usim_queue_get", &[rt, o, d])
            }
            WaitOp::Put { object, src } => {
                let o = self.get(*object);
                let p = self.pointer(*src);
                self.call_value("usim_queue_put", &[rt, o, p])
            }
            WaitOp::Recv { object, dest } => {
                let o = self.get(*object);
                let d = self.iconst(I32, i64::from(dest.unwrap_or(u32::MAX)));
                self.call_value("usim_channel_recv", &[rt, o, d])
            }
            WaitOp::ResourceGet { object, amount, span } => {
                let (o, a) = (self.get(*object), self.get(*amount));
                let s = self.span(*span);
                self.call_value("usim_resource_get", &[rt, o, a, s])
            }
            WaitOp::ResourcePut { object, amount, span } => {
                let (o, a) = (self.get(*object), self.get(*amount));
                let s = self.span(*span);
                self.call_value("usim_resource_put", &[rt, o, a, s])
            }
            WaitOp::Condition { cond } => {
                let c = self.iconst(I32, i64::from(*cond));
                self.call_value("usim_condition", &[rt, c])
            }
            WaitOp::UntilEnter { cont } => {
                let c = self.iconst(I32, i64::from(cont.0));
                self.call_value("usim_until_enter", &[rt, c])
            }
        }
    }
}
