//! Code generation: the IR to native code with Cranelift's JIT.
//!
//! Every callable becomes `extern "C" fn(frame, globals, rt) -> status`.
//! A process's function starts by dispatching on the state stored in its
//! frame; a `fn`'s frame lives on its caller's stack. Every host function is
//! registered with the JIT builder by name before anything is compiled.

mod function;
mod host;

use std::collections::HashMap;

use cranelift_codegen::ir::{AbiParam, MemFlagsData, Signature, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{ArenaMemoryProvider, JITBuilder, JITModule};
use cranelift_module::{DataDescription, FuncId as ClFuncId, Linkage, Module as _, ModuleReloc};

use crate::ir::{self, Const, Inst};
use function::FnGen;
pub use host::host_functions;
use host::{rounding_libcalls, I32, I64};
use usim_runtime as rt;

/// Codes for errors raised inline by generated code (`usim_error`); the
/// runtime owns the messages.
mod error_code {
    pub const OVERFLOW: i64 = usim_runtime::ERROR_INTEGER_OVERFLOW as i64;
    pub const DIVISION_BY_ZERO: i64 = usim_runtime::ERROR_DIVISION_BY_ZERO as i64;
    pub const REMAINDER_BY_ZERO: i64 = usim_runtime::ERROR_REMAINDER_BY_ZERO as i64;
    pub const EVERY_PERIOD: i64 = usim_runtime::ERROR_EVERY_PERIOD as i64;
    pub const RECURSION: i64 = usim_runtime::ERROR_CALL_DEPTH as i64;
    pub const EVERY_STUCK: i64 = usim_runtime::ERROR_EVERY_STUCK as i64;
    pub const INTERRUPTED: i64 = usim_runtime::ERROR_INTERRUPTED as i64;
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
    // Lent out only as `&Program<'_>`, tied to `self`: it cannot outlive the code.
    program: rt::Program<'static>,
    /// The figures inside the globals, to read `var`s back from the final
    /// globals block.
    pub cells: Vec<ir::Cell>,
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
    /// The program to hand to `usim_runtime::run`, valid while `self` lives
    /// (a `Program` cannot be cloned, so no copy outlives the code either).
    pub fn program(&self) -> &rt::Program<'_> {
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
    compile_with(module, want_clif, LARGE_FUNCTION_INSTS)
}

/// The IR instructions from which a callable is compiled without
/// Cranelift's optimizer (`opt_level = "none"`): about 2,000 statements.
/// On a process of 20,000 statements the optimizer took about 40% of
/// Cranelift's time and 10% of the peak memory, and code that long is not
/// where a model spends its run; every example's callables are far smaller.
pub const LARGE_FUNCTION_INSTS: usize = 10_000;

/// The instruction set, for callables of up to [`LARGE_FUNCTION_INSTS`]
/// instructions (`optimize`) or for larger ones.
fn target_isa(optimize: bool) -> Result<cranelift_codegen::isa::OwnedTargetIsa, CodegenError> {
    let err = |e: &dyn std::fmt::Display| CodegenError(e.to_string());
    let mut flags = settings::builder();
    flags.set("opt_level", if optimize { "speed" } else { "none" }).map_err(|e| err(&e))?;
    // The IR verifier guards codegen bugs in debug builds; release builds skip its cost.
    flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).map_err(|e| err(&e))?;
    flags.set("use_colocated_libcalls", "false").map_err(|e| err(&e))?;
    flags.set("is_pic", "false").map_err(|e| err(&e))?;
    cranelift_native::builder().map_err(|e| err(&e))?.finish(settings::Flags::new(flags)).map_err(|e| err(&e))
}

/// [`compile`], with the size from which a callable is compiled without
/// optimization (the tests compile every callable both ways).
pub fn compile_with(module: &ir::Module, want_clif: bool, large: usize) -> Result<Compiled, CodegenError> {
    let err = |e: &dyn std::fmt::Display| CodegenError(e.to_string());
    let isa = target_isa(true)?;
    // Made only for a model that has a large callable.
    let mut large_isa = None;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    let functions = host_functions();
    let registered: HashMap<&'static str, rt::HostFn> = functions.iter().map(|f| (f.name, *f)).collect();
    for function in &functions {
        builder.symbol(function.name, function.address);
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
    // The host stack each callable's own frame needs: one area for the frame
    // of any `fn` it calls and one for the arguments of any process it
    // spawns (each sized for the largest), slots for shared temporaries, and
    // room for spills.
    let areas: Vec<(u32, u32)> = module.functions.iter().map(|f| call_areas(module, f)).collect();
    let stack_needs: Vec<i64> = module.functions.iter().zip(&areas).map(|(f, &a)| stack_need(f, a)).collect();
    let kinds = process_kinds(module);

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
            areas: areas[index],
            func,
            builder: FunctionBuilder::new(&mut ctx.func, &mut fbc),
            temps: Vec::new(),
            known: Vec::new(),
            call_slot: None,
            spawn_slot: None,
            blocks: Vec::new(),
            frame: Value::from_u32(0),
            globals: Value::from_u32(0),
            rt: Value::from_u32(0),
            error_exits: Vec::new(),
            error_exit: None,
            raisers: HashMap::new(),
            raisers_made: Vec::new(),
            dispatch: None,
            func_refs: HashMap::new(),
            registers: HashMap::new(),
            flags: MemFlagsData::trusted(),
            plain_flags: MemFlagsData::new(),
        };
        gen.generate()?;
        gen.builder.finalize(frontend_config);
        if want_clif {
            clif.push((func.name.clone(), ctx.func.display().to_string()));
        }
        let insts: usize = func.blocks.iter().map(|b| b.insts.len() + 1).sum();
        if insts < large {
            jit.define_function(ids[index], &mut ctx).map_err(|e| CodegenError(format!("{e:?}")))?;
        } else {
            if large_isa.is_none() {
                large_isa = Some(target_isa(false)?);
            }
            let large_isa = large_isa.as_deref().ok_or_else(|| CodegenError("no ISA for large callables".into()))?;
            define_unoptimized(&mut jit, large_isa, ids[index], &mut ctx)?;
        }
        jit.clear_context(&mut ctx);
    }
    jit.finalize_definitions().map_err(|e| err(&e))?;

    let steps: Vec<Option<rt::StepFn>> = ids
        .iter()
        .map(|&id| {
            let code = jit.get_finalized_function(id);
            // SAFETY: every callable was defined with the step signature
            // (frame, globals, rt) -> u32 under the platform's C calling convention.
            Some(unsafe { std::mem::transmute::<*const u8, rt::StepFn>(code) })
        })
        .collect();
    let parts = program_parts(module, &steps).map_err(CodegenError)?;
    // SAFETY: every step and predicate was just compiled into `jit`, which
    // the returned `Compiled` owns and frees only on drop, and the program is
    // lent out only by a reference tied to that `Compiled`. Generated code
    // follows the step ABI and touches only its frame (a predicate: the frame
    // of the process it was compiled for, whose layout it shares), the globals
    // block of `globals_init`'s length, and the runtime through host calls.
    let program = unsafe { rt::Program::new(parts) };
    Ok(Compiled { module: Some(jit), program, cells: module.cells.clone(), params: module.params.clone(), clif })
}

/// Compiles `ctx`'s function with `isa` (the module's own but for its
/// optimization level) and defines it as `id`, as `define_function` does
/// with the module's ISA.
fn define_unoptimized(
    jit: &mut JITModule,
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    id: ClFuncId,
    ctx: &mut cranelift_codegen::Context,
) -> Result<(), CodegenError> {
    let mut control = cranelift_codegen::control::ControlPlane::default();
    let alignment =
        ctx.compile(isa, &mut control).map_err(|e| CodegenError(format!("{:?}", e.inner)))?.buffer.alignment;
    let code = ctx.compiled_code().ok_or_else(|| CodegenError("no compiled code".into()))?;
    let relocs: Vec<ModuleReloc> =
        code.buffer.relocs().iter().map(|reloc| ModuleReloc::from_mach_reloc(reloc, &ctx.func, id)).collect();
    jit.define_function_bytes(id, u64::from(alignment), code.code_buffer(), &relocs)
        .map_err(|e| CodegenError(format!("{e:?}")))
}

/// The host stack a callable's step or call takes, in bytes, given its
/// [`call_areas`].
pub fn stack_need(f: &ir::Function, (call_area, spawn_area): (u32, u32)) -> i64 {
    (i64::from(call_area) + i64::from(spawn_area) + f.temps.len() as i64) * 8 + 4096
}

/// The slots of the largest `fn` frame `f` calls and of the largest
/// argument list of a process it spawns: calls never overlap, so each kind
/// of area is shared by every call site.
pub fn call_areas(module: &ir::Module, f: &ir::Function) -> (u32, u32) {
    let (mut call, mut spawn) = (0, 0);
    for inst in f.blocks.iter().flat_map(|b| &b.insts) {
        match inst {
            Inst::CallFn { func, .. } => call = call.max(module.functions[func.0 as usize].frame_slots.max(1)),
            Inst::Spawn { func, .. } => spawn = spawn.max(module.functions[func.0 as usize].param_slots.max(1)),
            _ => {}
        }
    }
    (call, spawn)
}

/// The runtime's kind number of every process, by its function index:
/// processes are numbered in the order the module lists them.
pub fn process_kinds(module: &ir::Module) -> HashMap<u32, u32> {
    module
        .functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_process)
        .enumerate()
        .map(|(kind, (index, _))| (index as u32, kind as u32))
        .collect()
}

/// The runtime's description of `module`, given the step function of each
/// callable by function index (`None` for a `fn`, which the runtime never
/// calls). Shared with the reference interpreter, whose steps differ and
/// whose program must otherwise be this one.
pub fn program_parts(module: &ir::Module, steps: &[Option<rt::StepFn>]) -> Result<rt::ProgramParts, String> {
    let step = |index: usize| {
        steps.get(index).copied().flatten().ok_or_else(|| format!("no step function for callable {index}"))
    };
    let kinds = process_kinds(module);
    let mut kinds_out = Vec::new();
    for (index, func) in module.functions.iter().enumerate() {
        if !func.is_process {
            continue;
        }
        kinds_out.push(rt::ProcessKind {
            name: func.name.clone(),
            step: step(index)?,
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
    let mut conditions = Vec::new();
    for condition in &module.conditions {
        let predicate = step(condition.predicate.0 as usize)?;
        let watches = condition.watches.iter().map(|w| rt::Watch { var: w.var, element: w.element }).collect();
        conditions.push(rt::ConditionSpec { predicate, watches, label: condition.label.clone() });
    }
    Ok(rt::ProgramParts {
        kinds: kinds_out,
        globals: module.globals_init.clone(),
        roots,
        horizon: module.horizon,
        objects: module.objects.iter().map(|o| rt::ObjectSpec { name: o.name.clone(), kind: o.kind.clone() }).collect(),
        conditions,
        watched_elements: module.watched_elements.clone(),
        tallies: module.tallies.clone(),
        cells: module
            .cells
            .iter()
            .map(|cell| rt::CellSpec {
                slot: cell.slot,
                kind: match cell.scalar {
                    ir::Scalar::Int => rt::CellKind::Int,
                    ir::Scalar::Float => rt::CellKind::Float,
                    ir::Scalar::Bool => rt::CellKind::Bool,
                },
            })
            .collect(),
    })
}
