//! Executing one callable of the IR: what the native step function of
//! `compiler/src/codegen/function.rs` does, instruction by instruction, with
//! the same frame, the same globals block, the same runtime header and the
//! same host calls in the same order.
//!
//! Calls of `fn`s keep an explicit stack of activations (never Rust
//! recursion), so a model's deep recursion meets the runtime's stack
//! budget exactly as native code does and never the interpreter's own stack.

use std::cell::Cell;
use std::collections::HashMap;

use usim_compiler::ir::{
    self, Arg, Base, BinOp, Cmp, Const, HeldBlock, Inst, ObjectValueOp, Place, Ret, Scalar, Terminator, WaitOp,
};
use usim_compiler::span::Span;
use usim_runtime::{self as rt, HostFn, Runtime};
use usim_stdlib::InlineOp;

use super::host::{self, Bits};

/// What the interpreter knows of a module beyond its IR: the host
/// functions by symbol, the kind number of each process and the stack each
/// callable's native step would take.
pub struct Machine {
    pub module: ir::Module,
    hosts: HashMap<&'static str, HostFn>,
    kinds: HashMap<u32, u32>,
    stack_needs: Vec<i64>,
    /// Per callable, per block: whether it began to run (for tests that
    /// want to know which code a model exercises).
    covered: Vec<Vec<Cell<bool>>>,
}

/// One callable being executed.
struct Activation<'m> {
    /// The callable's index in the module, and the callable.
    index: usize,
    func: &'m ir::Function,
    /// Its frame: the process's (owned by the runtime) or, for a `fn`, `own`.
    frame: *mut u64,
    own: Vec<u64>,
    temps: Vec<Bits>,
    block: usize,
    inst: usize,
    /// Set while this activation waits for a `fn` it called: where the
    /// result goes and the stack budget to restore.
    call: Option<(Ret, i64)>,
}

/// How one instruction or terminator leaves the activation.
enum Flow<'m> {
    /// The next instruction.
    Next,
    /// The start of a block.
    Goto(usize),
    /// A `fn` call was pushed.
    Call(Activation<'m>),
    /// The step returns this status.
    Return(u32),
}

fn bool_bits(b: bool) -> Bits {
    u64::from(b)
}

fn float(bits: Bits) -> f64 {
    f64::from_bits(bits)
}

fn int(bits: Bits) -> i64 {
    bits as i64
}

impl Machine {
    pub fn new(module: ir::Module) -> Machine {
        let hosts = usim_compiler::codegen::host_functions().into_iter().map(|f| (f.name, f)).collect();
        let kinds = usim_compiler::codegen::process_kinds(&module);
        let stack_needs = module
            .functions
            .iter()
            .map(|f| usim_compiler::codegen::stack_need(f, usim_compiler::codegen::call_areas(&module, f)))
            .collect();
        let covered = module.functions.iter().map(|f| f.blocks.iter().map(|_| Cell::new(false)).collect()).collect();
        Machine { module, hosts, kinds, stack_needs, covered }
    }

    /// Whether block `block` of callable `function` began to run in any
    /// run so far.
    pub fn covered(&self, function: usize, block: usize) -> bool {
        self.covered.get(function).and_then(|f| f.get(block)).is_some_and(Cell::get)
    }

    /// Runs callable `index` as its step function would be run.
    ///
    /// # Safety
    /// The pointers must be those the runtime passes a step: the frame of a
    /// process of this callable's layout (for a predicate, of its process),
    /// the globals block of the module's length, and the running runtime.
    pub unsafe fn step(&self, index: usize, frame: *mut u64, globals: *mut u64, rt: *mut Runtime) -> u32 {
        let func = &self.module.functions[index];
        let mut ctx = Ctx { machine: self, globals, rt };
        let mut stack: Vec<Activation<'_>> = Vec::new();
        let mut first = Activation::new(index, func, frame, Vec::new());
        if func.is_process {
            // SAFETY: the frame has the process's slots, state first.
            let state = unsafe { *frame };
            match func.states.get(state as usize) {
                Some(block) => first.block = block.0 as usize,
                None => return rt::STEP_ERROR,
            }
        }
        stack.push(first);
        loop {
            let top = stack.last_mut().expect("an activation runs");
            if top.inst == 0 {
                self.covered[top.index][top.block].set(true);
            }
            // SAFETY: the activation's frame and the globals are live for the step.
            let flow = unsafe { ctx.advance(top) };
            match flow {
                Flow::Next => top.inst += 1,
                Flow::Goto(block) => {
                    top.block = block;
                    top.inst = 0;
                }
                Flow::Call(callee) => {
                    top.inst += 1;
                    stack.push(callee);
                }
                Flow::Return(status) => {
                    let done = stack.pop().expect("the activation that returned");
                    let Some(caller) = stack.last_mut() else { return status };
                    let (ret, left) = caller.call.take().expect("a caller waits for its callee");
                    // SAFETY: the header is the runtime's.
                    unsafe { ctx.set_stack_left(left) };
                    if status != rt::STEP_DONE {
                        // An error or `stop` ends the step at every level; each
                        // level restores its caller's budget on the way out.
                        while let Some(level) = stack.pop() {
                            if let Some((_, left)) = level.call {
                                // SAFETY: as above.
                                unsafe { ctx.set_stack_left(left) };
                            }
                        }
                        return status;
                    }
                    // SAFETY: the caller's frame and the globals are live.
                    unsafe { ctx.take_result(caller, &done, ret) };
                }
            }
        }
    }
}

impl<'m> Activation<'m> {
    fn new(index: usize, func: &'m ir::Function, frame: *mut u64, own: Vec<u64>) -> Activation<'m> {
        Activation { index, func, frame, own, temps: vec![0; func.temps.len()], block: 0, inst: 0, call: None }
    }
}

/// The machine and the pointers of the running step.
struct Ctx<'m> {
    machine: &'m Machine,
    globals: *mut u64,
    rt: *mut Runtime,
}

impl<'m> Ctx<'m> {
    /// Calls host `symbol` with `args`.
    unsafe fn host(&self, symbol: &str, args: &[Bits]) -> Bits {
        let f = self.machine.hosts.get(symbol).unwrap_or_else(|| panic!("host function `{symbol}` is not registered"));
        // SAFETY: generated code calls this function with these arguments.
        unsafe { host::call(f, args) }
    }

    fn rt_bits(&self) -> Bits {
        self.rt as u64
    }

    unsafe fn header<T: Copy>(&self, offset: i32) -> T {
        // SAFETY: the runtime starts with its header; the offsets are its fields.
        unsafe { (self.rt as *const u8).add(offset as usize).cast::<T>().read() }
    }

    unsafe fn set_stack_left(&self, left: i64) {
        // SAFETY: as in `header`.
        unsafe { (self.rt as *mut u8).add(rt::OFFSET_STACK_LEFT as usize).cast::<i64>().write(left) }
    }

    fn error_flag(&self) -> bool {
        // SAFETY: as in `header`.
        unsafe { self.header::<u32>(rt::OFFSET_ERROR) != 0 }
    }

    /// The address of a place's first slot.
    fn address(&self, a: &Activation<'_>, place: Place) -> *mut u64 {
        let base = match place.base {
            Base::Frame => a.frame,
            Base::Globals => self.globals,
        };
        let dynamic = place.dynamic.map_or(0, |t| a.temps[t.0 as usize]);
        // As generated code: base + (dynamic << 3) + offset * 8, wrapping.
        let bytes = dynamic.wrapping_shl(3).wrapping_add(u64::from(place.offset) * 8);
        (base as u64).wrapping_add(bytes) as *mut u64
    }

    unsafe fn load(&self, a: &Activation<'_>, place: Place, scalar: Scalar) -> Bits {
        // SAFETY: the IR checked every dynamic index before building the place.
        let raw = unsafe { self.address(a, place).read() };
        match scalar {
            Scalar::Bool => raw & 0xff,
            _ => raw,
        }
    }

    unsafe fn store(&self, a: &Activation<'_>, place: Place, value: Bits) {
        // SAFETY: as in `load`.
        unsafe { self.address(a, place).write(value) }
    }

    unsafe fn copy(dst: *mut u64, src: *const u64, len: u32) {
        // Slot by slot, forwards, as the generated copy loop: overlapping
        // ranges behave as they do there.
        for i in 0..len as usize {
            // SAFETY: both ranges lie in a frame or the globals.
            unsafe { dst.add(i).write(src.add(i).read()) };
        }
    }

    fn temp(a: &Activation<'_>, t: ir::Temp) -> Bits {
        a.temps[t.0 as usize]
    }

    fn scalar(a: &Activation<'_>, t: ir::Temp) -> Scalar {
        a.func.temps[t.0 as usize]
    }

    /// Records the inline error `code` at `span`: the step fails.
    unsafe fn fail(&self, code: u32, span: Span) -> Flow<'m> {
        // SAFETY: the runtime pointer of this step.
        unsafe { self.host("usim_error", &[self.rt_bits(), u64::from(code), span.pack() as u64]) };
        Flow::Return(rt::STEP_ERROR)
    }

    /// After a host status that is not 0: `STEP_CANCELLED` for "ended",
    /// else the error the host recorded.
    fn ended_or_fail(status: Bits) -> Flow<'m> {
        if status as u32 == rt::HOST_ENDED {
            Flow::Return(rt::STEP_CANCELLED)
        } else {
            Flow::Return(rt::STEP_ERROR)
        }
    }

    /// After a wait's status that is neither 0 nor "suspended" (or
    /// "registered"): dispatch again on the stored state, or end.
    unsafe fn redispatch_or_fail(&self, a: &Activation<'_>, status: Bits) -> Flow<'m> {
        if a.func.is_process && status as u32 == rt::HOST_REDISPATCH {
            // SAFETY: a process's frame starts with its state.
            let state = unsafe { a.frame.read() };
            return match a.func.states.get(state as usize) {
                Some(block) => Flow::Goto(block.0 as usize),
                None => Flow::Return(rt::STEP_ERROR),
            };
        }
        Self::ended_or_fail(status)
    }

    /// Executes the activation's next instruction, or its block's terminator.
    unsafe fn advance(&mut self, a: &mut Activation<'m>) -> Flow<'m> {
        let func = a.func;
        let block = &func.blocks[a.block];
        // SAFETY: the caller vouches for the pointers.
        unsafe {
            match block.insts.get(a.inst) {
                Some(inst) => self.inst(a, inst),
                None => self.terminator(a, &block.term),
            }
        }
    }

    fn set(a: &mut Activation<'_>, t: ir::Temp, v: Bits) {
        a.temps[t.0 as usize] = v;
    }

    unsafe fn inst(&mut self, a: &mut Activation<'m>, inst: &Inst) -> Flow<'m> {
        let rtb = self.rt_bits();
        // SAFETY: (for the whole match) the pointers are the step's, and every
        // host call is the one generated code makes, with its arguments.
        unsafe {
            match inst {
                Inst::Const { dst, value } => {
                    let v = match value {
                        Const::Int(v) => *v as u64,
                        Const::Float(v) => v.to_bits(),
                        Const::Bool(v) => bool_bits(*v),
                    };
                    Self::set(a, *dst, v);
                }
                Inst::Move { dst, src } => {
                    let v = Self::temp(a, *src);
                    Self::set(a, *dst, v);
                }
                Inst::Load { dst, place } => {
                    let v = self.load(a, *place, Self::scalar(a, *dst));
                    Self::set(a, *dst, v);
                }
                Inst::Store { place, src } => self.store(a, *place, Self::temp(a, *src)),
                Inst::Copy { dst, src, len } => {
                    let (d, s) = (self.address(a, *dst), self.address(a, *src));
                    Self::copy(d, s, *len);
                }
                Inst::Repeat { dst, width, count } => {
                    let start = self.address(a, *dst);
                    let len = u64::from(*width) * (u64::from(*count).saturating_sub(1));
                    Self::copy(start.add(*width as usize), start, len as u32);
                }
                Inst::Binary { dst, op, a: x, b: y, span } => {
                    let (x, y) = (Self::temp(a, *x), Self::temp(a, *y));
                    match self.binary(*op, x, y, *span) {
                        Ok(v) => Self::set(a, *dst, v),
                        Err(flow) => return flow,
                    }
                }
                Inst::Unary { dst, op, a: x, span } => {
                    let x = Self::temp(a, *x);
                    let v = match op {
                        ir::UnOp::INeg => {
                            if int(x) == i64::MIN {
                                return self.fail(rt::ERROR_INTEGER_OVERFLOW, *span);
                            }
                            int(x).wrapping_neg() as u64
                        }
                        ir::UnOp::FNeg => (-float(x)).to_bits(),
                        ir::UnOp::Not => (x ^ 1) & 0xff,
                        ir::UnOp::IntToFloat => (int(x) as f64).to_bits(),
                    };
                    Self::set(a, *dst, v);
                }
                Inst::Inline { dst, op, args, span } => {
                    let xs: Vec<Bits> = args.iter().map(|t| Self::temp(a, *t)).collect();
                    match self.inline(*op, &xs, *span) {
                        Ok(v) => Self::set(a, *dst, v),
                        Err(flow) => return flow,
                    }
                }
                Inst::Host { dst, symbol, args, fallible, span } => {
                    let mut xs = Vec::with_capacity(args.len() + 2);
                    if *fallible {
                        xs.push(rtb);
                    }
                    xs.extend(args.iter().map(|t| Self::temp(a, *t)));
                    if *fallible {
                        xs.push(span.pack() as u64);
                    }
                    let v = self.host(symbol, &xs);
                    if *fallible && self.error_flag() {
                        return Flow::Return(rt::STEP_ERROR);
                    }
                    Self::set(a, *dst, v);
                }
                Inst::CheckIndex { index, len, span } => {
                    let i = Self::temp(a, *index);
                    if i >= *len {
                        self.host("usim_index_error", &[rtb, i, *len, span.pack() as u64]);
                        return Flow::Return(rt::STEP_ERROR);
                    }
                }
                Inst::CheckMember { index, len, base, span } => {
                    let i = Self::temp(a, *index);
                    if i >= *len {
                        self.host("usim_member_error", &[rtb, i, *len, u64::from(*base), span.pack() as u64]);
                        return Flow::Return(rt::STEP_ERROR);
                    }
                }
                Inst::CheckAdvance { due, last, span } => {
                    let (due, last) = (float(Self::temp(a, *due)), float(Self::temp(a, *last)));
                    // Unordered or less-or-equal: a NaN is stuck too.
                    if due.partial_cmp(&last) != Some(std::cmp::Ordering::Greater) {
                        return self.fail(rt::ERROR_EVERY_STUCK, *span);
                    }
                }
                Inst::Poll { span } => {
                    let address: *const u32 = self.header(rt::OFFSET_INTERRUPT);
                    if address.read_volatile() != 0 {
                        return self.fail(rt::ERROR_INTERRUPTED, *span);
                    }
                }
                Inst::CheckPeriod { period, span } => {
                    if float(Self::temp(a, *period)).partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                        return self.fail(rt::ERROR_EVERY_PERIOD, *span);
                    }
                }
                Inst::Now { dst } => {
                    let now: f64 = self.header(rt::OFFSET_NOW);
                    Self::set(a, *dst, now.to_bits());
                }
                Inst::CallFn { func, args, ret, span } => return self.call_fn(a, *func, args, *ret, *span),
                Inst::Spawn { dst, func, args, span } => {
                    let callee = &self.machine.module.functions[func.0 as usize];
                    let mut buffer = vec![0u64; callee.param_slots.max(1) as usize];
                    self.write_args(a, buffer.as_mut_ptr(), args);
                    let kind = self.machine.kinds.get(&func.0).copied().unwrap_or(0);
                    let handle = self.host(
                        "usim_spawn_at",
                        &[
                            rtb,
                            u64::from(kind),
                            buffer.as_ptr() as u64,
                            u64::from(callee.param_slots),
                            span.pack() as u64,
                        ],
                    );
                    if self.error_flag() {
                        return Flow::Return(rt::STEP_ERROR);
                    }
                    Self::set(a, *dst, handle);
                }
                Inst::JoinResult { dst, handle, index } => {
                    let raw = self.host("usim_result", &[rtb, Self::temp(a, *handle), u64::from(*index)]);
                    let v = match Self::scalar(a, *dst) {
                        Scalar::Bool => raw & 0xff,
                        _ => raw,
                    };
                    Self::set(a, *dst, v);
                }
                Inst::JoinResults { dst, handle, len } => {
                    let dst = self.address(a, *dst) as u64;
                    self.host("usim_results", &[rtb, Self::temp(a, *handle), dst, u64::from(*len)]);
                }
                Inst::Cancel { handle } => {
                    let r = self.host("usim_cancel", &[rtb, Self::temp(a, *handle)]);
                    if r != 0 {
                        return Flow::Return(rt::STEP_CANCELLED);
                    }
                }
                Inst::ScopeEnter => {
                    self.host("usim_scope_enter", &[rtb]);
                }
                Inst::Text { string } => {
                    let text = &self.machine.module.strings[*string as usize];
                    self.host("usim_text_str", &[rtb, text.as_ptr() as u64, text.len() as u64]);
                }
                Inst::TextValue { src, scalar, spec } => {
                    let v = Self::temp(a, *src);
                    let decimals_only = spec.precision.map(ir::Spec::decimals) == Some(*spec);
                    match (scalar, spec.is_plain(), decimals_only) {
                        (Scalar::Float, _, true) => {
                            self.host("usim_text_float_prec", &[rtb, v, u64::from(spec.precision.unwrap_or(0))]);
                        }
                        (Scalar::Float, true, _) => {
                            self.host("usim_text_float", &[rtb, v]);
                        }
                        (Scalar::Int, true, _) => {
                            self.host("usim_text_int", &[rtb, v]);
                        }
                        (Scalar::Bool, true, _) => {
                            self.host("usim_text_bool", &[rtb, v]);
                        }
                        (scalar, false, _) => {
                            let symbol = match scalar {
                                Scalar::Int => "usim_text_int_spec",
                                Scalar::Float => "usim_text_float_spec",
                                Scalar::Bool => "usim_text_bool_spec",
                            };
                            self.host(symbol, &[rtb, v, spec.encode()]);
                        }
                    }
                }
                Inst::TextMark { dst } => {
                    let len = self.host("usim_text_len", &[rtb]);
                    Self::set(a, *dst, len);
                }
                Inst::TextPad { start, spec } => {
                    self.host("usim_text_pad", &[rtb, Self::temp(a, *start), spec.encode()]);
                }
                Inst::PrintLine => {
                    self.host("usim_print_end", &[rtb]);
                }
                Inst::BlockEnd { block } => {
                    let symbol = match block {
                        HeldBlock::Lock => "usim_lock_release",
                        HeldBlock::Borrow => "usim_borrow_end",
                        HeldBlock::Until => "usim_until_exit",
                    };
                    if self.host(symbol, &[rtb]) != 0 {
                        return Flow::Return(rt::STEP_ERROR);
                    }
                }
                Inst::VarWritten { var } => {
                    let status = self.host("usim_var_written", &[rtb, u64::from(*var)]);
                    if status != 0 {
                        return Self::ended_or_fail(status);
                    }
                }
                Inst::ElementWritten { var, index } => {
                    let status = self.host("usim_element_written", &[rtb, u64::from(*var), Self::temp(a, *index)]);
                    if status != 0 {
                        return Self::ended_or_fail(status);
                    }
                }
                Inst::GlobalsWritten { place, len } => {
                    let slot = u64::from(place.offset).wrapping_add(place.dynamic.map_or(0, |t| Self::temp(a, t)));
                    self.host("usim_globals_written", &[rtb, slot, u64::from(*len)]);
                    if self.error_flag() {
                        return Flow::Return(rt::STEP_ERROR);
                    }
                }
                Inst::Record { tally, value } => {
                    self.host("usim_record", &[rtb, u64::from(*tally), Self::temp(a, *value)]);
                    if self.error_flag() {
                        return Flow::Return(rt::STEP_ERROR);
                    }
                }
                Inst::ObjectValue { dst, op, object } => {
                    let symbol = match op {
                        ObjectValueOp::QueueLen => "usim_queue_len",
                        ObjectValueOp::ResourceLevel => "usim_resource_level",
                    };
                    let v = self.host(symbol, &[rtb, Self::temp(a, *object)]);
                    if self.error_flag() {
                        return Flow::Return(rt::STEP_ERROR);
                    }
                    Self::set(a, *dst, v);
                }
                Inst::Send { object, src } => {
                    let src = self.address(a, *src) as u64;
                    let status = self.host("usim_channel_send", &[rtb, Self::temp(a, *object), src]);
                    if status != 0 {
                        return Self::ended_or_fail(status);
                    }
                }
                Inst::JoinCheck { handle, span } => {
                    if self.host("usim_join_check", &[rtb, Self::temp(a, *handle), span.pack() as u64]) != 0 {
                        return Flow::Return(rt::STEP_ERROR);
                    }
                }
            }
        }
        Flow::Next
    }

    /// Writes call or spawn arguments as consecutive slots from `base`.
    unsafe fn write_args(&self, a: &Activation<'_>, base: *mut u64, args: &[Arg]) {
        let mut slot = 0usize;
        for arg in args {
            match arg {
                Arg::Scalar(t) => {
                    // SAFETY: `base` has room for every argument slot.
                    unsafe { base.add(slot).write(Self::temp(a, *t)) };
                    slot += 1;
                }
                Arg::Slots(place, len) => {
                    // SAFETY: as above; the place lies in a frame or the globals.
                    unsafe { Self::copy(base.add(slot), self.address(a, *place), *len) };
                    slot += *len as usize;
                }
            }
        }
    }

    unsafe fn call_fn(
        &mut self,
        a: &mut Activation<'m>,
        func: ir::FuncId,
        args: &[Arg],
        ret: Ret,
        span: Span,
    ) -> Flow<'m> {
        let callee = &self.machine.module.functions[func.0 as usize];
        let mut own = vec![0u64; callee.frame_slots.max(1) as usize];
        // SAFETY: the frame has room for the header and the arguments.
        unsafe { self.write_args(a, own.as_mut_ptr().add(rt::FRAME_HEADER_SLOTS as usize), args) };
        let need = self.machine.stack_needs[func.0 as usize];
        // SAFETY: the header is the runtime's.
        let left: i64 = unsafe { self.header(rt::OFFSET_STACK_LEFT) };
        if left < need {
            // SAFETY: as above.
            return unsafe { self.fail(rt::ERROR_CALL_DEPTH, span) };
        }
        // SAFETY: as above.
        unsafe { self.set_stack_left(left - need) };
        a.call = Some((ret, left));
        let frame = own.as_mut_ptr();
        Flow::Call(Activation::new(func.0 as usize, callee, frame, own))
    }

    /// Copies a returned `fn`'s result into its caller.
    unsafe fn take_result(&self, caller: &mut Activation<'_>, done: &Activation<'_>, ret: Ret) {
        let result = done.func.result_start as usize;
        match ret {
            Ret::None => {}
            Ret::Scalar(t) => {
                let raw = done.own[result];
                let v = if Self::scalar(caller, t) == Scalar::Bool { raw & 0xff } else { raw };
                Self::set(caller, t, v);
            }
            Ret::Slots(place, len) => {
                let dst = self.address(caller, place);
                // SAFETY: the destination lies in the caller's frame or the globals.
                unsafe { Self::copy(dst, done.own[result..].as_ptr(), len) };
            }
        }
    }

    /// A binary operation, or the flow of its runtime error.
    unsafe fn binary(&self, op: BinOp, x: Bits, y: Bits, span: Span) -> Result<Bits, Flow<'m>> {
        let (i, j) = (int(x), int(y));
        let (f, g) = (float(x), float(y));
        // SAFETY: `fail` calls the host with this step's runtime.
        let fail = |code| Err(unsafe { self.fail(code, span) });
        Ok(match op {
            BinOp::IAdd | BinOp::ISub | BinOp::IMul => {
                let r = match op {
                    BinOp::IAdd => i.checked_add(j),
                    BinOp::ISub => i.checked_sub(j),
                    _ => i.checked_mul(j),
                };
                match r {
                    Some(v) => v as u64,
                    None => return fail(rt::ERROR_INTEGER_OVERFLOW),
                }
            }
            BinOp::IDiv => {
                if j == 0 {
                    return fail(rt::ERROR_DIVISION_BY_ZERO);
                }
                if i == i64::MIN && j == -1 {
                    return fail(rt::ERROR_INTEGER_OVERFLOW);
                }
                (i / j) as u64
            }
            BinOp::IRem => {
                if j == 0 {
                    return fail(rt::ERROR_REMAINDER_BY_ZERO);
                }
                let divisor = if j == -1 { 1 } else { j };
                (i % divisor) as u64
            }
            BinOp::FAdd => (f + g).to_bits(),
            BinOp::FSub => (f - g).to_bits(),
            BinOp::FMul => (f * g).to_bits(),
            BinOp::FDiv => (f / g).to_bits(),
            // SAFETY: `usim_fmod` takes two floats.
            BinOp::FRem => unsafe { self.host("usim_fmod", &[x, y]) },
            BinOp::ICmp(c) => bool_bits(match c {
                Cmp::Eq => i == j,
                Cmp::Ne => i != j,
                Cmp::Lt => i < j,
                Cmp::Le => i <= j,
                Cmp::Gt => i > j,
                Cmp::Ge => i >= j,
            }),
            BinOp::FCmp(c) => bool_bits(match c {
                Cmp::Eq => f == g,
                Cmp::Ne => f != g,
                Cmp::Lt => f < g,
                Cmp::Le => f <= g,
                Cmp::Gt => f > g,
                Cmp::Ge => f >= g,
            }),
            BinOp::BEq => bool_bits(x == y),
            BinOp::BNe => bool_bits(x != y),
            BinOp::IAddWrap => i.wrapping_add(j) as u64,
            BinOp::IMulWrap => i.wrapping_mul(j) as u64,
        })
    }

    unsafe fn inline(&self, op: InlineOp, xs: &[Bits], span: Span) -> Result<Bits, Flow<'m>> {
        let arg = |k: usize| xs[k];
        Ok(match op {
            InlineOp::Sqrt => float(arg(0)).sqrt().to_bits(),
            InlineOp::Floor => float(arg(0)).floor().to_bits(),
            InlineOp::Ceil => float(arg(0)).ceil().to_bits(),
            InlineOp::FAbs => float(arg(0)).abs().to_bits(),
            InlineOp::IAbs => {
                if int(arg(0)) == i64::MIN {
                    // SAFETY: this step's runtime.
                    return Err(unsafe { self.fail(rt::ERROR_INTEGER_OVERFLOW, span) });
                }
                int(arg(0)).unsigned_abs()
            }
            InlineOp::IMin => int(arg(0)).min(int(arg(1))) as u64,
            InlineOp::IMax => int(arg(0)).max(int(arg(1))) as u64,
            InlineOp::FMin | InlineOp::FMax => {
                // As generated code: b wins when it compares below (above) a;
                // a NaN `a` yields b.
                let (fa, fb) = (float(arg(0)), float(arg(1)));
                let b_wins = if op == InlineOp::FMin { fb < fa } else { fb > fa };
                if fa.is_nan() || b_wins {
                    arg(1)
                } else {
                    arg(0)
                }
            }
            InlineOp::IntToFloat => (int(arg(0)) as f64).to_bits(),
            InlineOp::Identity => arg(0),
        })
    }

    unsafe fn terminator(&mut self, a: &mut Activation<'m>, term: &Terminator) -> Flow<'m> {
        let rtb = self.rt_bits();
        // SAFETY: (for the whole match) as in `inst`.
        unsafe {
            match term {
                Terminator::Jump(b) => Flow::Goto(b.0 as usize),
                Terminator::Branch { cond, then, otherwise } => {
                    if Self::temp(a, *cond) & 0xff != 0 {
                        Flow::Goto(then.0 as usize)
                    } else {
                        Flow::Goto(otherwise.0 as usize)
                    }
                }
                Terminator::Return => Flow::Return(rt::STEP_DONE),
                Terminator::Stop => Flow::Return(rt::STEP_STOP),
                Terminator::Fail { span } => {
                    self.host("usim_fail_end", &[rtb, span.pack() as u64]);
                    Flow::Return(rt::STEP_ERROR)
                }
                Terminator::Wait { op, next, resume } => {
                    a.frame.write(u64::from(resume.0));
                    let status = self.wait_call(a, op);
                    match status as u32 {
                        0 => Flow::Goto(next.0 as usize),
                        s if s == rt::HOST_SUSPENDED => Flow::Return(rt::STEP_SUSPENDED),
                        _ => self.redispatch_or_fail(a, status),
                    }
                }
                Terminator::Select { arms, resume } => {
                    let begun = self.host("usim_select_begin", &[rtb]);
                    if begun as u32 != 0 {
                        return self.redispatch_or_fail(a, begun);
                    }
                    for (op, block) in arms {
                        let status = self.wait_call(a, op);
                        match status as u32 {
                            0 => return Flow::Goto(block.0 as usize),
                            s if s == rt::HOST_REGISTERED => {}
                            _ => return self.redispatch_or_fail(a, status),
                        }
                    }
                    a.frame.write(u64::from(resume.0));
                    let status = self.host("usim_select_wait", &[rtb]);
                    if status as u32 == rt::HOST_SUSPENDED {
                        Flow::Return(rt::STEP_SUSPENDED)
                    } else {
                        Flow::Return(rt::STEP_ERROR)
                    }
                }
                Terminator::ResumeArm { arms } => {
                    let reason = a.frame.add(rt::SLOT_RESUME_REASON as usize).read();
                    match usize::try_from(reason).ok().and_then(|r| arms.get(r)) {
                        Some(block) => Flow::Goto(block.0 as usize),
                        None => Flow::Return(rt::STEP_ERROR),
                    }
                }
                Terminator::ReturnBool { value } => Flow::Return((Self::temp(a, *value) & 0xff) as u32),
            }
        }
    }

    /// Calls the host function that performs a wait; returns its status.
    unsafe fn wait_call(&self, a: &Activation<'_>, op: &WaitOp) -> Bits {
        let rtb = self.rt_bits();
        let t = |x: &ir::Temp| Self::temp(a, *x);
        let span = |s: &Span| s.pack() as u64;
        // SAFETY: the host calls generated code makes for this wait.
        unsafe {
            match op {
                WaitOp::Delay { duration, span: s } => self.host("usim_delay", &[rtb, t(duration), span(s)]),
                WaitOp::At { time, span: s } => self.host("usim_at", &[rtb, t(time), span(s)]),
                WaitOp::Instant => self.host("usim_instant", &[rtb]),
                WaitOp::Until { time } => self.host("usim_wait_until", &[rtb, t(time)]),
                WaitOp::Join { handle, span: s } => self.host("usim_join", &[rtb, t(handle), span(s)]),
                WaitOp::ScopeExit => self.host("usim_scope_exit", &[rtb]),
                WaitOp::Lock { object, priority, cont } => {
                    self.host("usim_lock_acquire", &[rtb, t(object), t(priority), u64::from(cont.0)])
                }
                WaitOp::Borrow { object, amount, span: s } => {
                    self.host("usim_borrow", &[rtb, t(object), t(amount), span(s)])
                }
                WaitOp::Get { object, dest } => self.host("usim_queue_get", &[rtb, t(object), u64::from(*dest)]),
                WaitOp::Put { object, src } => {
                    let p = self.address(a, *src) as u64;
                    self.host("usim_queue_put", &[rtb, t(object), p])
                }
                WaitOp::Recv { object, dest } => {
                    self.host("usim_channel_recv", &[rtb, t(object), u64::from(dest.unwrap_or(u32::MAX))])
                }
                WaitOp::ResourceGet { object, amount, span: s } => {
                    self.host("usim_resource_get", &[rtb, t(object), t(amount), span(s)])
                }
                WaitOp::ResourcePut { object, amount, span: s } => {
                    self.host("usim_resource_put", &[rtb, t(object), t(amount), span(s)])
                }
                WaitOp::Condition { cond } => self.host("usim_condition", &[rtb, u64::from(*cond)]),
                WaitOp::UntilEnter { cont } => self.host("usim_until_enter", &[rtb, u64::from(cont.0)]),
            }
        }
    }
}
