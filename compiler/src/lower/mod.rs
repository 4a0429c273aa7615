//! Lowering: the checked program to the state-machine IR. Lays out every
//! frame, splits each process body at its suspension points, and turns
//! structured control flow into blocks.

mod conditions;
mod expr;
mod interaction;
mod stmt;

use std::collections::{BTreeSet, HashMap};

use crate::ast::{self, AssignOp, Block, Expr, ExprKind, ForIter, Stmt, StmtKind, StrLit, StrPart, UnOp};
use crate::diagnostic::Diagnostic;
use crate::ir::{
    self, Arg, Base, BinOp, BlockId, Cmp, Const, FuncId, HeldBlock, Inst, Place, Ret, Scalar, SlotRange, StateId, Temp,
    Terminator, WaitOp,
};
use crate::program::{CallableDef, Program};
use crate::span::Span;
use crate::types::{ObjectKind, StructId, Type, TypeDisplay};
use usim_runtime::FRAME_HEADER_SLOTS;
use usim_stdlib as stdlib;

/// Numbers names in order of first use.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

/// What all callables number together: the string pieces of `print`/`fail`,
/// and the tallies `record` names.
#[derive(Default)]
struct Interned {
    strings: Strings,
    tallies: Strings,
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

/// What lowering a callable needs from the whole program.
struct Context<'a> {
    program: &'a Program,
    global_slots: &'a [u32],
    /// Per object definition, the index of its first entry in the runtime's
    /// object table (a family's members follow it).
    object_bases: &'a [u32],
    /// The vars some condition reads: their stores get the write barrier.
    watched: &'a conditions::Watched,
    /// Per callable, the vars it reads (through the `fn`s it calls too).
    reads: &'a [BTreeSet<u32>],
}

/// Lowers a checked program. Features whose runtime support has not landed yet
/// are reported as diagnostics rather than miscompiled.
/// The most slots a frame may have once lowering has added its copies of
/// aggregates (128 MiB): the checker bounds the locals to a quarter of it.
pub const MAX_LOWERED_FRAME_SLOTS: u64 = 1 << 24;

pub fn lower(program: &Program) -> Result<ir::Module, Vec<Diagnostic>> {
    let mut interned = Interned::default();
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
    let mut cells = Vec::new();
    for (g, &start) in program.globals.iter().zip(&global_slots) {
        push_cells(program, &g.ty, g.name.clone(), start, &mut cells);
    }
    let (objects, object_bases) = objects(program);
    let reads = conditions::callable_reads(program);
    let watched = conditions::watched(program, &reads);
    let context =
        Context { program, global_slots: &global_slots, object_bases: &object_bases, watched: &watched, reads: &reads };
    let mut functions = Vec::new();
    let mut predicates = Vec::new();
    let mut diagnostics = Vec::new();
    for callable in &program.callables {
        let mut lowerer = FnLowerer::new(&context, callable, &mut interned, &mut predicates);
        lowerer.lower_body(&callable.body);
        if u64::from(lowerer.frame_slots) > MAX_LOWERED_FRAME_SLOTS {
            let kind = if callable.is_process { "process" } else { "fn" };
            lowerer.diagnostics.push(
                Diagnostic::error(
                    "E0115",
                    format!(
                        "the frame of {kind} `{}` needs {} values with the copies its statements make",
                        callable.name, lowerer.frame_slots
                    ),
                    callable.span,
                )
                .with_label(format!("at most {MAX_LOWERED_FRAME_SLOTS}"))
                .with_note("each assignment, print or call of a large array or struct keeps a copy in the frame; keep large data in a global `var`"),
            );
        }
        diagnostics.append(&mut lowerer.diagnostics);
        functions.push(lowerer.finish());
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let mut conditions = Vec::new();
    for (function, condition) in predicates {
        functions.push(function);
        conditions.push(condition);
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
    Ok(ir::Module {
        params,
        objects,
        conditions,
        watched_elements: (0..globals.len() as u32)
            .map(|var| watched.elements.get(&var).copied().unwrap_or(0))
            .collect(),
        functions,
        globals,
        cells,
        tallies: interned.tallies.list,
        globals_init,
        strings: interned.strings.list,
        roots,
        horizon: program.horizon,
    })
}

/// The runtime's object table: an entry per object, and per member of a
/// family (`pumps[0]`, ...); and each definition's first entry.
fn objects(program: &Program) -> (Vec<ir::Object>, Vec<u32>) {
    use usim_runtime::ObjectKindSpec as Spec;
    let mut objects = Vec::new();
    let mut bases = Vec::new();
    for def in &program.objects {
        let option = |name: &str| def.options.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let number = |name: &str| {
            option(name).map(|v| match v {
                crate::program::Value::Int(n) => n as f64,
                crate::program::Value::Float(f) => f,
                _ => 0.0,
            })
        };
        let int = |name: &str| match option(name) {
            Some(crate::program::Value::Int(n)) => Some(n.max(1) as u64),
            _ => None,
        };
        let kind = match &def.kind {
            ObjectKind::Lock => Spec::Lock {
                capacity: int("capacity").unwrap_or(1),
                preemptive: matches!(option("preemptive"), Some(crate::program::Value::Bool(true))),
            },
            ObjectKind::Channel(item) => Spec::Channel { item_slots: program.width(item) },
            ObjectKind::Queue(item) => Spec::Queue { capacity: int("capacity"), item_slots: program.width(item) },
            ObjectKind::Resource => {
                let capacity = number("capacity").unwrap_or(f64::INFINITY);
                Spec::Resource { capacity, level: number("level").unwrap_or(0.0).min(capacity) }
            }
        };
        bases.push(objects.len() as u32);
        match def.family {
            None => objects.push(ir::Object { name: def.name.clone(), kind }),
            Some(len) => {
                for member in 0..len {
                    objects.push(ir::Object { name: format!("{}[{member}]", def.name), kind: kind.clone() });
                }
            }
        }
    }
    (objects, bases)
}

/// A block the lowering is inside of that must be undone on every way out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Region {
    /// A `scope`: leaving it waits for its children.
    Scope,
    /// A held lock, a borrowed amount or an armed `until`.
    Held(HeldBlock),
}

/// Where `break` and `continue` of a loop go, and how many regions were open at it.
struct LoopTarget {
    exit: BlockId,
    next: BlockId,
    regions: usize,
}

/// What an `await` produced, available in the block after the resumption.
enum AwaitValue {
    None,
    Scalar(Temp),
    Slots(Place, u32),
}

struct FnLowerer<'a> {
    program: &'a Program,
    context: &'a Context<'a>,
    callable: &'a CallableDef,
    interned: &'a mut Interned,
    /// The predicates of the conditions lowered so far, and the conditions.
    predicates: &'a mut Vec<(ir::Function, ir::Condition)>,
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
    /// The blocks open at the current point, outermost first: the static
    /// twin of the runtime's cleanup stack.
    regions: Vec<Region>,
    /// Lowering a condition's predicate: it returns a bool and never waits.
    is_predicate: bool,
    diagnostics: Vec<Diagnostic>,
}

/// The ints, floats and bools of a value of type `ty` at slot `slot`, named
/// from `name` down (process handles are not figures, so they are left out).
fn push_cells(program: &Program, ty: &Type, name: String, slot: u32, out: &mut Vec<ir::Cell>) {
    match ty {
        Type::Int | Type::Float | Type::Bool => out.push(ir::Cell { name, slot, scalar: scalar_of(ty) }),
        Type::Array(elem, len) => {
            let width = program.width(elem);
            for i in 0..*len as u32 {
                push_cells(program, elem, format!("{name}[{i}]"), slot + i * width, out);
            }
        }
        Type::Struct(id) => {
            let mut offset = 0;
            for (field, field_ty) in &program.structs[id.0 as usize].fields {
                push_cells(program, field_ty, format!("{name}.{field}"), slot + offset, out);
                offset += program.width(field_ty);
            }
        }
        _ => {}
    }
}

/// Whether a value of type `ty` holds ints, floats or bools (figures the
/// report follows), not only process handles.
fn has_cells(program: &Program, ty: &Type) -> bool {
    match ty {
        Type::Int | Type::Float | Type::Bool => true,
        Type::Array(elem, len) => *len > 0 && has_cells(program, elem),
        Type::Struct(id) => program.structs[id.0 as usize].fields.iter().any(|(_, field)| has_cells(program, field)),
        _ => false,
    }
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
    fn new(
        context: &'a Context<'a>,
        callable: &'a CallableDef,
        interned: &'a mut Interned,
        predicates: &'a mut Vec<(ir::Function, ir::Condition)>,
    ) -> Self {
        let program = context.program;
        let struct_names = program.struct_names();
        let mut lowerer = FnLowerer {
            program,
            context,
            callable,
            interned,
            predicates,
            global_slots: context.global_slots,
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
            regions: Vec::new(),
            is_predicate: false,
            diagnostics: Vec::new(),
        };
        let show = |ty: &Type| TypeDisplay { ty, struct_names: &struct_names }.to_string();
        // Parameters first, right after the header, then the result, then the other locals.
        for id in &callable.params {
            let local = &callable.locals[id.0 as usize];
            let start = lowerer.alloc(&local.name, program.width(&local.ty), show(&local.ty));
            lowerer.mark_scalar(&local.ty);
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
            lowerer.mark_scalar(&local.ty);
            lowerer.local_slots[i] = start;
        }
        let entry = lowerer.new_block();
        lowerer.states.push(entry);
        lowerer.current = entry;
        lowerer
    }

    fn alloc(&mut self, name: &str, width: u32, ty: String) -> u32 {
        let start = self.frame_slots;
        // Saturates: a frame this large is refused after the body is lowered.
        self.frame_slots = self.frame_slots.saturating_add(width);
        self.slots.push(SlotRange { name: name.to_string(), start, width, ty, scalar: None });
        start
    }

    /// Records that the slot range just allocated holds one scalar of this type:
    /// codegen may keep such a slot in a register where nothing can suspend.
    fn mark_scalar(&mut self, ty: &Type) {
        if let Some(last) = self.slots.last_mut() {
            last.scalar = is_scalar(ty).then(|| scalar_of(ty));
        }
    }

    /// A hidden slot holding one scalar (a loop counter, a loop's end).
    fn hidden_scalar(&mut self, what: &str, scalar: Scalar) -> Place {
        let place = self.hidden(what, 1);
        if let Some(last) = self.slots.last_mut() {
            last.scalar = Some(scalar);
        }
        place
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
            is_predicate: false,
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
                .with_note("this construct is checked but cannot be compiled yet; please report the model"),
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

    /// Leaves the regions above the first `keep` (for `break`, `continue`,
    /// `return`), innermost first: scopes wait for their children, held
    /// blocks let go.
    fn exit_regions(&mut self, keep: usize) {
        for index in (keep..self.regions.len()).rev() {
            match self.regions[index] {
                Region::Scope => self.scope_exit(),
                Region::Held(block) => self.emit(Inst::BlockEnd { block }),
            }
        }
    }
}
