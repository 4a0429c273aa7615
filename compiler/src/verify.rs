//! Checks the invariants of the IR that code generation relies on, so a
//! lowering bug is a test failure instead of a silent miscompile:
//! - every block, state and temporary named exists, and every static frame
//!   slot lies inside the frame;
//! - only processes wait; a predicate ends with `return_bool`;
//! - **no temporary lives across a suspension**: every use of a temporary is
//!   preceded, on every path from every state's entry, by a definition in the
//!   same step (a resumption starts with no temporaries);
//! - every watch of a condition names a var, and an element only of a var
//!   whose elements are watched one by one; so does every `element_written`.

use crate::ir::{Arg, Base, BlockId, Function, Inst, Module, Place, Ret, Temp, Terminator, WaitOp};

/// Checks `module`; the error names the function and what is wrong.
pub fn verify(module: &Module) -> Result<(), String> {
    for function in &module.functions {
        verify_function(function).map_err(|e| format!("IR of `{}`: {e}", function.name))?;
    }
    verify_watches(module)
}

fn verify_watches(module: &Module) -> Result<(), String> {
    if module.watched_elements.len() != module.globals.len() {
        return Err(format!(
            "{} vars but {} entries of watched elements",
            module.globals.len(),
            module.watched_elements.len()
        ));
    }
    let elements = |var: u32| module.watched_elements.get(var as usize).copied();
    for (index, condition) in module.conditions.iter().enumerate() {
        for watch in &condition.watches {
            let fits = match (elements(watch.var), watch.element) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(n), Some(element)) => element < n,
            };
            if !fits {
                return Err(format!("condition {index} watches {watch:?}, which does not exist"));
            }
        }
    }
    for function in &module.functions {
        for block in &function.blocks {
            for inst in &block.insts {
                if let Inst::ElementWritten { var, .. } = inst {
                    if elements(*var).is_none_or(|n| n == 0) {
                        return Err(format!(
                            "IR of `{}`: element_written of var {var}, whose elements are not watched",
                            function.name
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn verify_function(f: &Function) -> Result<(), String> {
    let blocks = f.blocks.len();
    let block_ok = |b: BlockId| (b.0 as usize) < blocks;
    if f.states.iter().any(|&b| !block_ok(b)) {
        return Err("a state names a block that does not exist".into());
    }
    for (index, block) in f.blocks.iter().enumerate() {
        for inst in &block.insts {
            let mut places = Vec::new();
            inst_places(inst, &mut places);
            for place in places {
                check_place(f, place).map_err(|e| format!("b{index}: {e}"))?;
            }
        }
        let successors = successors(&block.term);
        if successors.iter().any(|&b| !block_ok(b)) {
            return Err(format!("b{index} jumps to a block that does not exist"));
        }
        for state in term_states(&block.term) {
            if state as usize >= f.states.len() {
                return Err(format!("b{index} names state {state}, which does not exist"));
            }
        }
        let waits =
            matches!(block.term, Terminator::Wait { .. } | Terminator::Select { .. } | Terminator::ResumeArm { .. });
        if waits && !f.is_process {
            return Err(format!("b{index} waits, but only a process may"));
        }
        if matches!(block.term, Terminator::ReturnBool { .. }) != f.is_predicate
            && matches!(block.term, Terminator::ReturnBool { .. } | Terminator::Return)
        {
            return Err(format!("b{index} returns in the wrong way for a {}", kind(f)));
        }
    }
    temporaries_never_cross_a_suspension(f)
}

fn kind(f: &Function) -> &'static str {
    if f.is_process {
        "process"
    } else if f.is_predicate {
        "predicate"
    } else {
        "fn"
    }
}

fn check_place(f: &Function, place: Place) -> Result<(), String> {
    if place.base == Base::Frame && place.dynamic.is_none() && !f.is_predicate && place.offset >= f.frame_slots {
        return Err(format!("frame slot {} is outside the frame of {} slots", place.offset, f.frame_slots));
    }
    Ok(())
}

/// The blocks a terminator continues at within the same step.
fn successors(term: &Terminator) -> Vec<BlockId> {
    match term {
        Terminator::Jump(b) => vec![*b],
        Terminator::Branch { then, otherwise, .. } => vec![*then, *otherwise],
        Terminator::Wait { next, .. } => vec![*next],
        Terminator::Select { arms, .. } => arms.iter().map(|(_, b)| *b).collect(),
        Terminator::ResumeArm { arms } => arms.clone(),
        Terminator::Return | Terminator::Stop | Terminator::Fail { .. } | Terminator::ReturnBool { .. } => vec![],
    }
}

/// The states a terminator names (to resume at, or to continue at when interrupted).
fn term_states(term: &Terminator) -> Vec<u32> {
    let mut states = Vec::new();
    let of_op = |op: &WaitOp, states: &mut Vec<u32>| match op {
        WaitOp::Lock { cont, .. } | WaitOp::UntilEnter { cont } => states.push(cont.0),
        _ => {}
    };
    match term {
        Terminator::Wait { op, resume, .. } => {
            states.push(resume.0);
            of_op(op, &mut states);
        }
        Terminator::Select { arms, resume } => {
            states.push(resume.0);
            for (op, _) in arms {
                of_op(op, &mut states);
            }
        }
        _ => {}
    }
    states
}

fn inst_places(inst: &Inst, out: &mut Vec<Place>) {
    match inst {
        Inst::Load { place, .. } | Inst::Store { place, .. } | Inst::Send { src: place, .. } => out.push(*place),
        Inst::Copy { dst, src, .. } => out.extend([*dst, *src]),
        Inst::Repeat { dst, .. } | Inst::JoinResults { dst, .. } => out.push(*dst),
        Inst::CallFn { args, ret, .. } => {
            out.extend(args.iter().filter_map(|a| match a {
                Arg::Slots(p, _) => Some(*p),
                Arg::Scalar(_) => None,
            }));
            if let Ret::Slots(p, _) = ret {
                out.push(*p);
            }
        }
        Inst::Spawn { args, .. } => out.extend(args.iter().filter_map(|a| match a {
            Arg::Slots(p, _) => Some(*p),
            Arg::Scalar(_) => None,
        })),
        _ => {}
    }
}

/// The temporaries an instruction reads and the one it defines.
pub(crate) fn inst_temps(inst: &Inst) -> (Vec<Temp>, Option<Temp>) {
    let place_uses = |p: &Place| p.dynamic.into_iter().collect::<Vec<_>>();
    let arg_uses = |args: &[Arg]| {
        args.iter()
            .flat_map(|a| match a {
                Arg::Scalar(t) => vec![*t],
                Arg::Slots(p, _) => p.dynamic.into_iter().collect(),
            })
            .collect::<Vec<_>>()
    };
    match inst {
        Inst::Const { dst, .. } | Inst::Now { dst } => (vec![], Some(*dst)),
        Inst::Move { dst, src } => (vec![*src], Some(*dst)),
        Inst::Load { dst, place } => (place_uses(place), Some(*dst)),
        Inst::Store { place, src } => ([place_uses(place), vec![*src]].concat(), None),
        Inst::Copy { dst, src, .. } => ([place_uses(dst), place_uses(src)].concat(), None),
        Inst::Repeat { dst, .. } => (place_uses(dst), None),
        Inst::Binary { dst, a, b, .. } => (vec![*a, *b], Some(*dst)),
        Inst::Unary { dst, a, .. } => (vec![*a], Some(*dst)),
        Inst::Inline { dst, args, .. } | Inst::Host { dst, args, .. } => (args.clone(), Some(*dst)),
        Inst::CheckIndex { index, .. } | Inst::CheckMember { index, .. } => (vec![*index], None),
        Inst::CheckPeriod { period, .. } => (vec![*period], None),
        Inst::CheckAdvance { due, last, .. } => (vec![*due, *last], None),
        Inst::Poll { .. } => (vec![], None),
        Inst::CallFn { args, ret, .. } => {
            let mut uses = arg_uses(args);
            let def = match ret {
                Ret::Scalar(t) => Some(*t),
                Ret::Slots(p, _) => {
                    uses.extend(p.dynamic);
                    None
                }
                Ret::None => None,
            };
            (uses, def)
        }
        Inst::Spawn { dst, args, .. } => (arg_uses(args), Some(*dst)),
        Inst::JoinResult { dst, handle, .. } => (vec![*handle], Some(*dst)),
        Inst::Cancel { handle } | Inst::JoinCheck { handle, .. } => (vec![*handle], None),
        Inst::JoinResults { dst, handle, .. } => ([place_uses(dst), vec![*handle]].concat(), None),
        Inst::TextValue { src, .. } => (vec![*src], None),
        Inst::TextMark { dst } => (vec![], Some(*dst)),
        Inst::TextPad { start, .. } => (vec![*start], None),
        Inst::ObjectValue { dst, object, .. } => (vec![*object], Some(*dst)),
        Inst::Send { object, src } => ([vec![*object], place_uses(src)].concat(), None),
        Inst::ElementWritten { index, .. } => (vec![*index], None),
        Inst::GlobalsWritten { place, .. } => (place_uses(place), None),
        Inst::Record { value, .. } => (vec![*value], None),
        Inst::ScopeEnter | Inst::Text { .. } | Inst::PrintLine | Inst::BlockEnd { .. } | Inst::VarWritten { .. } => {
            (vec![], None)
        }
    }
}

fn op_uses(op: &WaitOp) -> Vec<Temp> {
    match op {
        WaitOp::Delay { duration: t, .. }
        | WaitOp::At { time: t, .. }
        | WaitOp::Until { time: t }
        | WaitOp::Join { handle: t, .. }
        | WaitOp::Get { object: t, .. }
        | WaitOp::Recv { object: t, .. } => vec![*t],
        WaitOp::Lock { object, priority, .. } => vec![*object, *priority],
        WaitOp::Borrow { object, amount, .. }
        | WaitOp::ResourceGet { object, amount, .. }
        | WaitOp::ResourcePut { object, amount, .. } => vec![*object, *amount],
        WaitOp::Put { object, src } => [vec![*object], src.dynamic.into_iter().collect()].concat(),
        WaitOp::Instant | WaitOp::ScopeExit | WaitOp::Condition { .. } | WaitOp::UntilEnter { .. } => vec![],
    }
}

/// The temporaries a terminator reads (terminators define none).
pub(crate) fn term_uses(term: &Terminator) -> Vec<Temp> {
    match term {
        Terminator::Branch { cond, .. } => vec![*cond],
        Terminator::ReturnBool { value } => vec![*value],
        Terminator::Wait { op, .. } => op_uses(op),
        Terminator::Select { arms, .. } => arms.iter().flat_map(|(op, _)| op_uses(op)).collect(),
        _ => vec![],
    }
}

/// A forward "definitely defined" analysis over the blocks of one step: a
/// state's block starts with nothing defined; a block starts with what every
/// predecessor within the step defined.
fn temporaries_never_cross_a_suspension(f: &Function) -> Result<(), String> {
    let temps = f.temps.len();
    if f.blocks.is_empty() {
        return Ok(());
    }
    let entries: Vec<usize> = if f.is_process { f.states.iter().map(|b| b.0 as usize).collect() } else { vec![0] };
    let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); f.blocks.len()];
    for (index, block) in f.blocks.iter().enumerate() {
        for next in successors(&block.term) {
            predecessors[next.0 as usize].push(index);
        }
    }
    // `defined_out[b]`: temporaries defined on every path to the end of `b`;
    // `None` while `b` is not known to be reached.
    let mut defined_out: Vec<Option<Vec<bool>>> = vec![None; f.blocks.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (index, block) in f.blocks.iter().enumerate() {
            let Some(mut defined) = defined_in(index, &entries, &predecessors, &defined_out, temps) else { continue };
            for inst in &block.insts {
                if let (_, Some(def)) = inst_temps(inst) {
                    if let Some(slot) = defined.get_mut(def.0 as usize) {
                        *slot = true;
                    }
                }
            }
            if defined_out[index].as_ref() != Some(&defined) {
                defined_out[index] = Some(defined);
                changed = true;
            }
        }
    }
    for (index, block) in f.blocks.iter().enumerate() {
        let Some(mut defined) = defined_in(index, &entries, &predecessors, &defined_out, temps) else { continue };
        let check = |t: Temp, defined: &[bool]| {
            if !defined.get(t.0 as usize).copied().unwrap_or(false) {
                return Err(format!("b{index} uses {t}, which is not defined on every path since the step began"));
            }
            Ok(())
        };
        for inst in &block.insts {
            let (uses, def) = inst_temps(inst);
            for t in uses {
                check(t, &defined)?;
            }
            if let Some(def) = def {
                if let Some(slot) = defined.get_mut(def.0 as usize) {
                    *slot = true;
                }
            }
        }
        for t in term_uses(&block.term) {
            check(t, &defined)?;
        }
    }
    Ok(())
}

/// What is defined on entry to block `index`: nothing at a step's entry,
/// else the intersection over its reached predecessors.
fn defined_in(
    index: usize,
    entries: &[usize],
    predecessors: &[Vec<usize>],
    defined_out: &[Option<Vec<bool>>],
    temps: usize,
) -> Option<Vec<bool>> {
    if entries.contains(&index) {
        return Some(vec![false; temps]);
    }
    let mut result: Option<Vec<bool>> = None;
    for &p in &predecessors[index] {
        if let Some(out) = &defined_out[p] {
            result = Some(match result {
                None => out.clone(),
                Some(acc) => acc.iter().zip(out).map(|(a, b)| *a && *b).collect(),
            });
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Terminator;

    fn lowered(source: &str) -> Module {
        match crate::lower_source(source, &[]) {
            Ok((module, _)) => module,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn lowered_models_pass() {
        let module = lowered("queue q: int\nprocess p() {\n let x = 1\n await q.put(x)\n select {\n let y = await q.get() => { print(\"{y}\") }\n await delay(1) => {}\n }\n}\nrun p()\n");
        assert_eq!(verify(&module), Ok(()));
    }

    #[test]
    fn a_temporary_used_after_a_suspension_is_caught() {
        let mut module = lowered("process p() {\n let x = 1\n await delay(1)\n print(\"{x}\")\n}\nrun p()\n");
        let function = &mut module.functions[0];
        // Make the print read the temporary the first step computed `1` into.
        let Some(Inst::Const { dst: early, .. }) = function.blocks[0].insts.first().cloned() else {
            panic!("b0 starts with a constant")
        };
        let after = function.blocks.iter_mut().find(|b| b.insts.iter().any(|i| matches!(i, Inst::TextValue { .. })));
        let after = after.expect("the print's block");
        for inst in &mut after.insts {
            if let Inst::TextValue { src, .. } = inst {
                *src = early;
            }
        }
        let error = verify(&module).expect_err("the use crosses the delay");
        assert!(error.contains("not defined on every path since the step began"), "{error}");
    }

    #[test]
    fn a_wait_outside_a_process_is_caught() {
        let mut module = lowered("fn f() -> int { return 1 }\nprocess p() { let x = f() }\nrun p()\n");
        let function = module.functions.iter_mut().find(|f| !f.is_process).expect("the fn");
        let resume = crate::ir::StateId(0);
        function.blocks[0].term = Terminator::Wait { op: WaitOp::Instant, next: BlockId(0), resume };
        function.states.push(BlockId(0));
        let error = verify(&module).expect_err("a fn cannot wait");
        assert!(error.contains("only a process may"), "{error}");
    }
}
