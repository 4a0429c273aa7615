//! Code generation: the IR to native code with Cranelift's JIT.
//!
//! Every callable becomes `extern "C" fn(frame, globals, rt) -> status`.
//! A process's function starts by dispatching on the state stored in its
//! frame; a `fn`'s frame lives on its caller's stack. Every host function is
//! registered with the JIT builder by name before anything is compiled.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block as ClBlock, FuncRef, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    Type as ClType, Value,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Switch, Variable};
use cranelift_jit::{ArenaMemoryProvider, JITBuilder, JITModule};
use cranelift_module::{DataDescription, DataId, FuncId as ClFuncId, Linkage, Module as _};

use crate::ir::{self, Arg, Base, BinOp, Cmp, Const, Inst, Place, Ret, Scalar, Terminator, WaitOp};
use crate::span::Span;
use usim_runtime as rt;
use usim_stdlib as stdlib;

/// Codes for errors raised inline by generated code (`usim_error`); the
/// runtime owns the messages.
mod error_code {
    pub const OVERFLOW: i64 = usim_runtime::ERROR_INTEGER_OVERFLOW as i64;
    pub const DIVISION_BY_ZERO: i64 = usim_runtime::ERROR_DIVISION_BY_ZERO as i64;
    pub const REMAINDER_BY_ZERO: i64 = usim_runtime::ERROR_REMAINDER_BY_ZERO as i64;
    pub const EVERY_PERIOD: i64 = usim_runtime::ERROR_EVERY_PERIOD as i64;
    pub const RECURSION: i64 = usim_runtime::ERROR_CALL_DEPTH as i64;
}

/// Address space reserved (not committed) for one model's code and data.
const JIT_ARENA_BYTES: usize = 1 << 30;

/// A compiled model: the JIT module owning the machine code, and the program
/// description the runtime runs.
///
/// The step functions in `program` point into memory this value owns: they
/// are valid only while it lives, so lend the program out, never a copy.
pub struct Compiled {
    // Owns the code the program's step pointers point into; freed on drop.
    module: Option<JITModule>,
    program: rt::Program,
    /// The globals layout, to read `var`s back from the final globals block.
    pub globals: Vec<ir::SlotRange>,
    /// The params and the values this compilation used.
    pub params: Vec<(String, Const)>,
    /// Cranelift's text of each function, when asked for.
    pub clif: Vec<(String, String)>,
}

// SAFETY: `Compiled` is only moved between threads whole; the JIT memory and
// the strings it owns are immutable after finalization.
unsafe impl Send for Compiled {}
// SAFETY: after finalization nothing in `Compiled` is mutated; the runtime only
// reads the program and calls the finished code, which touches no shared state.
unsafe impl Sync for Compiled {}

impl Compiled {
    /// The program to hand to `usim_runtime::run`, valid while `self` lives.
    pub fn program(&self) -> &rt::Program {
        &self.program
    }
}

impl Drop for Compiled {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the only pointers into the module's memory are the step
            // functions of `self.program`, which is private and lent out only
            // by reference, so nothing can run or call this code any more.
            unsafe { module.free_memory() };
        }
    }
}

/// Errors of the code generator itself: always a bug in usimc, never in the model.
#[derive(Debug)]
pub struct CodegenError(pub String);

type HostSig = (&'static [ClType], Option<ClType>);

const I64: ClType = types::I64;
const F64: ClType = types::F64;
const I32: ClType = types::I32;
const I8: ClType = types::I8;

/// The signatures of the runtime's and the print host functions. Stdlib
/// built-ins get theirs from the stdlib table.
fn fixed_host_sig(symbol: &str) -> Option<HostSig> {
    Some(match symbol {
        "usim_spawn" => (&[I64, I32, I64, I32], Some(I64)),
        "usim_delay" | "usim_at" => (&[I64, F64, I64], Some(I32)),
        "usim_instant" | "usim_scope_exit" => (&[I64], Some(I32)),
        "usim_wait_until" => (&[I64, F64], Some(I32)),
        "usim_join" => (&[I64, I64, I64], Some(I32)),
        "usim_result" => (&[I64, I64, I32], Some(I64)),
        "usim_cancel" => (&[I64, I64], Some(I32)),
        "usim_scope_enter" | "usim_print_end" => (&[I64], None),
        "usim_error" => (&[I64, I32, I64], None),
        "usim_index_error" => (&[I64, I64, I64, I64], None),
        "usim_text_str" => (&[I64, I64, I64], None),
        "usim_text_int" => (&[I64, I64], None),
        "usim_text_float" => (&[I64, F64], None),
        "usim_text_float_prec" => (&[I64, F64, I32], None),
        "usim_text_bool" => (&[I64, I8], None),
        "usim_fail_end" => (&[I64, I64], None),
        "usim_fmod" => (&[F64, F64], Some(F64)),
        _ => return None,
    })
}

fn stdlib_type(t: stdlib::Ty) -> ClType {
    match t {
        stdlib::Ty::Int => I64,
        stdlib::Ty::Float => F64,
        stdlib::Ty::Bool => I8,
    }
}

fn scalar_type(s: Scalar) -> ClType {
    match s {
        Scalar::Int => I64,
        Scalar::Float => F64,
        Scalar::Bool => I8,
    }
}

/// Every host symbol, from the runtime and the stdlib.
pub fn host_symbols() -> Vec<(&'static str, *const u8)> {
    let mut all = rt::host_symbols();
    all.extend(stdlib::host_symbols());
    all
}

extern "C" fn libcall_floor(x: f64) -> f64 {
    x.floor()
}

extern "C" fn libcall_ceil(x: f64) -> f64 {
    x.ceil()
}

extern "C" fn libcall_trunc(x: f64) -> f64 {
    x.trunc()
}

extern "C" fn libcall_nearbyint(x: f64) -> f64 {
    x.round_ties_even()
}

/// The float rounding libcalls under the names `default_libcall_names` gives them.
fn rounding_libcalls() -> [(&'static str, *const u8); 4] {
    [
        ("floor", libcall_floor as *const u8),
        ("ceil", libcall_ceil as *const u8),
        ("trunc", libcall_trunc as *const u8),
        ("nearbyint", libcall_nearbyint as *const u8),
    ]
}

/// The signature of a stdlib host built-in by symbol.
fn stdlib_host_sig(symbol: &str) -> Option<(Vec<ClType>, ClType)> {
    for builtin in stdlib::builtins() {
        for sig in builtin.signatures {
            if let stdlib::Impl::Host { symbol: s, fallible } = sig.imp {
                if s == symbol {
                    let mut params = Vec::new();
                    if fallible {
                        params.push(I64);
                    }
                    params.extend(sig.params.iter().map(|p| stdlib_type(*p)));
                    if fallible {
                        params.push(I64);
                    }
                    return Some((params, stdlib_type(sig.ret)));
                }
            }
        }
    }
    None
}

fn step_signature(module: &JITModule) -> Signature {
    let mut sig = module.make_signature();
    for _ in 0..3 {
        sig.params.push(AbiParam::new(I64));
    }
    sig.returns.push(AbiParam::new(I32));
    sig
}

/// Compiles an IR module to native code.
pub fn compile(module: &ir::Module, want_clif: bool) -> Result<Compiled, CodegenError> {
    let err = |e: &dyn std::fmt::Display| CodegenError(e.to_string());
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").map_err(|e| err(&e))?;
    flags.set("use_colocated_libcalls", "false").map_err(|e| err(&e))?;
    flags.set("is_pic", "false").map_err(|e| err(&e))?;
    let isa =
        cranelift_native::builder().map_err(|e| err(&e))?.finish(settings::Flags::new(flags)).map_err(|e| err(&e))?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    let symbols = host_symbols();
    let registered: HashMap<&str, *const u8> = symbols.iter().copied().collect();
    for (name, ptr) in &symbols {
        builder.symbol(*name, *ptr);
    }
    // On a CPU without SSE4.1, Cranelift lowers float rounding to libcalls;
    // register them too, so no symbol is ever looked up with dlsym.
    for (name, ptr) in rounding_libcalls() {
        builder.symbol(name, ptr);
    }
    // One reserved arena keeps all code and data within ±2 GiB of each other,
    // as the PC-relative calls and string addresses between them need.
    let arena = ArenaMemoryProvider::new_with_size(JIT_ARENA_BYTES).map_err(|e| err(&e))?;
    builder.memory_provider(Box::new(arena));
    let mut jit = JITModule::new(builder);

    // Declare every callable first so that calls can refer to any of them.
    let step_sig = step_signature(&jit);
    let mut ids = Vec::new();
    for (i, f) in module.functions.iter().enumerate() {
        let id = jit
            .declare_function(
                &format!("{}_{i}_{}", if f.is_process { "process" } else { "fn" }, f.name),
                Linkage::Local,
                &step_sig,
            )
            .map_err(|e| err(&e))?;
        ids.push(id);
    }
    // The host stack each callable's own frame needs: the frames of the `fn`s it calls.
    let stack_needs: Vec<i64> = module
        .functions
        .iter()
        .map(|f| {
            let frames: i64 = f
                .blocks
                .iter()
                .flat_map(|b| &b.insts)
                .filter_map(|i| match i {
                    Inst::CallFn { func, .. } => Some(module.functions[func.0 as usize].frame_slots as i64 * 8),
                    _ => None,
                })
                .sum();
            frames + 1024
        })
        .collect();
    let kinds: HashMap<u32, u32> = module
        .functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_process)
        .enumerate()
        .map(|(kind, (index, _))| (index as u32, kind as u32))
        .collect();

    // String pieces live in data objects of the module, so the code refers to
    // them by symbol (and `emit clif` shows no machine addresses).
    let mut strings = Vec::new();
    for (i, text) in module.strings.iter().enumerate() {
        let id = jit.declare_data(&format!("string_{i}"), Linkage::Local, false, false).map_err(|e| err(&e))?;
        let mut data = DataDescription::new();
        data.define(text.as_bytes().to_vec().into_boxed_slice());
        jit.define_data(id, &data).map_err(|e| err(&e))?;
        strings.push((id, text.len()));
    }
    let mut imports: HashMap<&'static str, ClFuncId> = HashMap::new();
    let mut clif = Vec::new();
    let mut ctx = jit.make_context();
    let mut fbc = FunctionBuilderContext::new();
    let frontend_config = jit.isa().frontend_config();
    for (index, func) in module.functions.iter().enumerate() {
        ctx.func.signature = step_sig.clone();
        let mut gen = FnGen {
            module,
            strings: &strings,
            jit: &mut jit,
            imports: &mut imports,
            registered: &registered,
            ids: &ids,
            kinds: &kinds,
            stack_needs: &stack_needs,
            func,
            builder: FunctionBuilder::new(&mut ctx.func, &mut fbc),
            vars: Vec::new(),
            blocks: Vec::new(),
            frame: Value::from_u32(0),
            globals: Value::from_u32(0),
            rt: Value::from_u32(0),
            error_exit: None,
            func_refs: HashMap::new(),
            flags: MemFlagsData::trusted(),
            plain_flags: MemFlagsData::new(),
        };
        gen.generate()?;
        gen.builder.finalize(frontend_config);
        if want_clif {
            clif.push((func.name.clone(), ctx.func.display().to_string()));
        }
        jit.define_function(ids[index], &mut ctx).map_err(|e| CodegenError(format!("{e:?}")))?;
        jit.clear_context(&mut ctx);
    }
    jit.finalize_definitions().map_err(|e| err(&e))?;

    let mut kinds_out = Vec::new();
    for (index, func) in module.functions.iter().enumerate() {
        if !func.is_process {
            continue;
        }
        let code = jit.get_finalized_function(ids[index]);
        // SAFETY: the function was defined with the step signature
        // (frame, globals, rt) -> u32 under the platform's C calling convention.
        let step: rt::StepFn = unsafe { std::mem::transmute::<*const u8, rt::StepFn>(code) };
        kinds_out.push(rt::ProcessKind {
            name: func.name.clone(),
            step,
            frame_slots: func.frame_slots,
            param_slots: func.param_slots,
            result_start: func.result_start,
            result_slots: func.result_slots,
        });
    }
    let roots = module
        .roots
        .iter()
        .map(|r| rt::Root { kind: kinds.get(&r.func.0).copied().unwrap_or(0), args: r.args.clone() })
        .collect();
    let program =
        rt::Program { kinds: kinds_out, globals: module.globals_init.clone(), roots, horizon: module.horizon };
    Ok(Compiled { module: Some(jit), program, globals: module.globals.clone(), params: module.params.clone(), clif })
}

struct FnGen<'a, 'b> {
    module: &'a ir::Module,
    strings: &'a [(DataId, usize)],
    jit: &'a mut JITModule,
    imports: &'a mut HashMap<&'static str, ClFuncId>,
    registered: &'a HashMap<&'static str, *const u8>,
    ids: &'a [ClFuncId],
    kinds: &'a HashMap<u32, u32>,
    stack_needs: &'a [i64],
    func: &'a ir::Function,
    builder: FunctionBuilder<'b>,
    vars: Vec<Variable>,
    blocks: Vec<ClBlock>,
    frame: Value,
    globals: Value,
    rt: Value,
    error_exit: Option<ClBlock>,
    func_refs: HashMap<&'static str, FuncRef>,
    /// Memory flags for frame, globals and runtime accesses: aligned, never trapping.
    flags: MemFlagsData,
    plain_flags: MemFlagsData,
}

impl FnGen<'_, '_> {
    fn generate(&mut self) -> Result<(), CodegenError> {
        let entry = self.builder.create_block();
        self.builder.append_block_params_for_function_params(entry);
        self.builder.switch_to_block(entry);
        let params = self.builder.block_params(entry).to_vec();
        self.frame = params[0];
        self.globals = params[1];
        self.rt = params[2];
        for t in &self.func.temps {
            let var = self.builder.declare_var(scalar_type(*t));
            self.vars.push(var);
        }
        self.blocks = self.func.blocks.iter().map(|_| self.builder.create_block()).collect();
        if self.func.is_process {
            // Resume where the process left off.
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
            let first = self.blocks[0];
            self.builder.ins().jump(first, &[]);
        }
        let exit = self.builder.create_block();
        self.builder.switch_to_block(exit);
        self.builder.set_cold_block(exit);
        let code = self.iconst(I32, rt::STEP_ERROR as i64);
        self.builder.ins().return_(&[code]);
        self.error_exit = Some(exit);
        for (i, block) in self.func.blocks.iter().enumerate() {
            self.builder.switch_to_block(self.blocks[i]);
            for inst in &block.insts {
                self.inst(inst)?;
            }
            self.terminator(&block.term)?;
        }
        self.builder.seal_all_blocks();
        Ok(())
    }

    fn var(&self, t: ir::Temp) -> Variable {
        self.vars[t.0 as usize]
    }

    fn get(&mut self, t: ir::Temp) -> Value {
        let var = self.var(t);
        self.builder.use_var(var)
    }

    fn set(&mut self, t: ir::Temp, v: Value) {
        let var = self.var(t);
        self.builder.def_var(var, v);
    }

    fn temp_type(&self, t: ir::Temp) -> ClType {
        scalar_type(self.func.temps[t.0 as usize])
    }

    fn host(&mut self, symbol: &'static str) -> Result<FuncRef, CodegenError> {
        if let Some(r) = self.func_refs.get(symbol) {
            return Ok(*r);
        }
        if !self.registered.contains_key(symbol) {
            return Err(CodegenError(format!("host function `{symbol}` is not registered with the JIT")));
        }
        let id = match self.imports.get(symbol) {
            Some(id) => *id,
            None => {
                let mut sig = self.jit.make_signature();
                if let Some((params, ret)) = fixed_host_sig(symbol) {
                    sig.params.extend(params.iter().map(|p| AbiParam::new(*p)));
                    sig.returns.extend(ret.map(AbiParam::new));
                } else if let Some((params, ret)) = stdlib_host_sig(symbol) {
                    sig.params.extend(params.into_iter().map(AbiParam::new));
                    sig.returns.push(AbiParam::new(ret));
                } else {
                    return Err(CodegenError(format!("no signature known for host function `{symbol}`")));
                }
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

    fn iconst(&mut self, ty: ClType, v: i64) -> Value {
        self.builder.ins().iconst(ty, v)
    }

    fn span(&mut self, span: Span) -> Value {
        self.iconst(I64, span.pack())
    }

    /// The shared block that returns STEP_ERROR (filled in `generate`).
    fn error_exit(&mut self) -> ClBlock {
        self.error_exit.unwrap_or_else(|| self.builder.create_block())
    }

    /// Branches to a runtime error when `failed` is true, and continues otherwise.
    fn fail_if(&mut self, failed: Value, code: i64, span: Span) -> Result<(), CodegenError> {
        let fail = self.builder.create_block();
        let ok = self.builder.create_block();
        self.builder.ins().brif(failed, fail, &[], ok, &[]);
        self.builder.switch_to_block(fail);
        self.builder.set_cold_block(fail);
        let code = self.iconst(I32, code);
        let span = self.span(span);
        let rt = self.rt;
        self.call_host("usim_error", &[rt, code, span])?;
        let exit = self.error_exit();
        self.builder.ins().jump(exit, &[]);
        self.builder.switch_to_block(ok);
        Ok(())
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
                let ty = self.temp_type(*dst);
                let v = self.load_slot(*place, ty);
                self.set(*dst, v);
            }
            Inst::Store { place, src } => {
                let ty = self.temp_type(*src);
                let v = self.get(*src);
                self.store_slot(*place, v, ty);
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
                let v = self.binary(*op, x, y, *span)?;
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
            Inst::CheckIndex { index, len, span } => {
                let i = self.get(*index);
                let bad = self.builder.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, i, *len as i64);
                let fail = self.builder.create_block();
                let ok = self.builder.create_block();
                self.builder.ins().brif(bad, fail, &[], ok, &[]);
                self.builder.switch_to_block(fail);
                self.builder.set_cold_block(fail);
                let len = self.iconst(I64, *len as i64);
                let span = self.span(*span);
                let rt = self.rt;
                self.call_host("usim_index_error", &[rt, i, len, span])?;
                let exit = self.error_exit();
                self.builder.ins().jump(exit, &[]);
                self.builder.switch_to_block(ok);
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
            Inst::Spawn { dst, func, args } => {
                let callee = &self.module.functions[func.0 as usize];
                let buffer = self.stack_frame(callee.param_slots.max(1));
                let base = self.builder.ins().stack_addr(I64, buffer, 0);
                self.write_args(base, 0, args);
                let kind = self.kinds.get(&func.0).copied().unwrap_or(0);
                let kind = self.iconst(I32, kind as i64);
                let nargs = self.iconst(I32, callee.param_slots as i64);
                let rt = self.rt;
                let handle = self.call_host("usim_spawn", &[rt, kind, base, nargs])?;
                let handle = handle.ok_or_else(|| CodegenError("usim_spawn returns nothing".into()))?;
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
            Inst::TextValue { src, scalar, decimals } => {
                let v = self.get(*src);
                let rt = self.rt;
                match (scalar, decimals) {
                    (Scalar::Float, Some(n)) => {
                        let n = self.iconst(I32, *n as i64);
                        self.call_host("usim_text_float_prec", &[rt, v, n])?;
                    }
                    (Scalar::Float, None) => {
                        self.call_host("usim_text_float", &[rt, v])?;
                    }
                    (Scalar::Int, _) => {
                        self.call_host("usim_text_int", &[rt, v])?;
                    }
                    (Scalar::Bool, _) => {
                        self.call_host("usim_text_bool", &[rt, v])?;
                    }
                }
            }
            Inst::PrintLine => {
                let rt = self.rt;
                self.call_host("usim_print_end", &[rt])?;
            }
        }
        Ok(())
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
        let frame = self.stack_frame(callee.frame_slots.max(1));
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

    fn binary(&mut self, op: BinOp, x: Value, y: Value, span: Span) -> Result<Value, CodegenError> {
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
            BinOp::IDiv => {
                let zero = self.builder.ins().icmp_imm_s(IntCC::Equal, y, 0);
                self.fail_if(zero, error_code::DIVISION_BY_ZERO, span)?;
                let min = self.builder.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
                let minus_one = self.builder.ins().icmp_imm_s(IntCC::Equal, y, -1);
                let overflow = self.builder.ins().band(min, minus_one);
                self.fail_if(overflow, error_code::OVERFLOW, span)?;
                self.builder.ins().sdiv(x, y)
            }
            BinOp::IRem => {
                let zero = self.builder.ins().icmp_imm_s(IntCC::Equal, y, 0);
                self.fail_if(zero, error_code::REMAINDER_BY_ZERO, span)?;
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
                let rt = self.rt;
                let result = match op {
                    WaitOp::Delay { duration, span } => {
                        let d = self.get(*duration);
                        let s = self.span(*span);
                        self.call_host("usim_delay", &[rt, d, s])?
                    }
                    WaitOp::At { time, span } => {
                        let t = self.get(*time);
                        let s = self.span(*span);
                        self.call_host("usim_at", &[rt, t, s])?
                    }
                    WaitOp::Instant => self.call_host("usim_instant", &[rt])?,
                    WaitOp::Until { time } => {
                        let t = self.get(*time);
                        self.call_host("usim_wait_until", &[rt, t])?
                    }
                    WaitOp::Join { handle, span } => {
                        let h = self.get(*handle);
                        let s = self.span(*span);
                        self.call_host("usim_join", &[rt, h, s])?
                    }
                    WaitOp::ScopeExit => self.call_host("usim_scope_exit", &[rt])?,
                };
                let result = result.ok_or_else(|| CodegenError("a wait returns nothing".into()))?;
                // 0: completed at once; 1: suspended; anything else: an error.
                let next_block = self.blocks[next.0 as usize];
                let not_done = self.builder.create_block();
                let suspended = self.builder.create_block();
                self.builder.ins().brif(result, not_done, &[], next_block, &[]);
                self.builder.switch_to_block(not_done);
                let is_suspended = self.builder.ins().icmp_imm_s(IntCC::Equal, result, 1);
                let exit = self.error_exit();
                self.builder.ins().brif(is_suspended, suspended, &[], exit, &[]);
                self.builder.switch_to_block(suspended);
                let code = self.iconst(I32, rt::STEP_SUSPENDED as i64);
                self.builder.ins().return_(&[code]);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every registered host function has a signature codegen knows, and every
    /// host built-in of the stdlib table is registered: cranelift-jit would
    /// otherwise fall back to a dlsym lookup at link time.
    #[test]
    fn every_host_symbol_is_registered_with_a_signature() {
        let symbols = host_symbols();
        let names: Vec<&str> = symbols.iter().map(|(n, _)| *n).collect();
        for name in &names {
            assert!(
                fixed_host_sig(name).is_some() || stdlib_host_sig(name).is_some(),
                "host symbol `{name}` has no signature in codegen"
            );
        }
        for builtin in stdlib::builtins() {
            for sig in builtin.signatures {
                if let stdlib::Impl::Host { symbol, .. } = sig.imp {
                    assert!(names.contains(&symbol), "stdlib symbol `{symbol}` is not registered");
                }
            }
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a host symbol is registered twice");
    }
}
