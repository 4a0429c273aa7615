//! Lowering the interaction of processes: `with` blocks, `until`, `select`,
//! loops over channels and queues, object operations and awaited
//! conditions (whose predicates become functions of their own).
//!
//! Each block that holds something is a region: the static twin of the
//! runtime's cleanup record, so every way out of it (`break`, `continue`,
//! `return`) lets go of exactly what the runtime holds for it.

use super::*;
use crate::ast::{ObjectOp, SelectArm, SelectHead};

/// What a `select` arm's block does first, once the arm has won.
enum ArmStart {
    Nothing,
    /// A handle arm: fail if the process was cancelled, then (for `let`)
    /// copy its return value into the local.
    Join {
        handle: Place,
        ret: Type,
        into: Option<Place>,
    },
}

impl FnLowerer<'_> {
    /// The index of the object an expression names (a member of a family:
    /// its base plus the checked index), as an int temporary.
    pub(super) fn object_operand(&mut self, e: &Expr<Type>) -> Temp {
        match &e.kind {
            ExprKind::Object(i) => self.constant(Const::Int(i64::from(self.context.object_bases[*i as usize]))),
            ExprKind::Index(inner, index) => {
                let ExprKind::Object(i) = inner.kind else { return self.constant(Const::Int(0)) };
                let base = self.context.object_bases[i as usize];
                let len = self.program.objects[i as usize].family.unwrap_or(1);
                let member = self.scalar(index);
                if !matches!(index.kind, ExprKind::Int(_)) {
                    self.emit(Inst::CheckMember { index: member, len, base, span: index.span });
                }
                let base = self.constant(Const::Int(i64::from(base)));
                self.binary(BinOp::IAddWrap, base, member, Scalar::Int, e.span)
            }
            ExprKind::Paren(inner) => self.object_operand(inner),
            _ => self.constant(Const::Int(0)),
        }
    }

    /// The wait for an awaitable, its operands computed in the current
    /// block. An item or message goes to frame slot `dest` (when given).
    /// `None` for what is not a wait here (an error the checker reported).
    fn wait_for(&mut self, inner: &Expr<Type>, dest: Option<u32>) -> Option<WaitOp> {
        let span = inner.span;
        Some(match &inner.kind {
            ExprKind::Delay(d) => WaitOp::Delay { duration: self.scalar(d), span },
            ExprKind::At(t) => WaitOp::At { time: self.scalar(t), span },
            ExprKind::Instant => WaitOp::Instant,
            ExprKind::Condition(cond) => WaitOp::Condition { cond: self.condition(cond) },
            ExprKind::ObjectOp { op, object, args } => {
                let object = self.object_operand(object);
                match op {
                    ObjectOp::QueueGet => WaitOp::Get { object, dest: dest? },
                    ObjectOp::ChannelRecv => WaitOp::Recv { object, dest },
                    ObjectOp::QueuePut => WaitOp::Put { object, src: self.value_place(args.first()?) },
                    ObjectOp::ResourceGet => WaitOp::ResourceGet { object, amount: self.scalar(args.first()?), span },
                    ObjectOp::ResourcePut => WaitOp::ResourcePut { object, amount: self.scalar(args.first()?), span },
                    ObjectOp::QueueLen | ObjectOp::ChannelSend | ObjectOp::ResourceLevel => return None,
                }
            }
            _ if matches!(inner.ty, Type::Proc(_)) => WaitOp::Join { handle: self.scalar(inner), span },
            _ => return None,
        })
    }

    /// A place holding the value of `e` (a scalar is stored to a hidden slot).
    fn value_place(&mut self, e: &Expr<Type>) -> Place {
        if is_scalar(&e.ty) {
            let value = self.scalar(e);
            let place = self.hidden("sent value", 1);
            self.emit(Inst::Store { place, src: value });
            place
        } else {
            self.place_or_temp(e)
        }
    }

    /// The width in slots of what a wait gives (an item or a message).
    fn given_width(&self, inner: &Expr<Type>) -> u32 {
        match &inner.kind {
            ExprKind::ObjectOp { op: ObjectOp::QueueGet | ObjectOp::ChannelRecv, .. } => self.program.width(&inner.ty),
            _ => 0,
        }
    }

    /// `await` of an object operation or a condition; afterwards the current
    /// block is the one after the resumption.
    pub(super) fn await_interaction(&mut self, inner: &Expr<Type>) -> AwaitValue {
        let width = self.given_width(inner);
        let dest = (width > 0).then(|| self.hidden("received", width));
        let Some(op) = self.wait_for(inner, dest.map(|p| p.offset)) else { return AwaitValue::None };
        self.wait(op);
        match dest {
            Some(place) if is_scalar(&inner.ty) => AwaitValue::Scalar(self.load(place, scalar_of(&inner.ty))),
            Some(place) => AwaitValue::Slots(place, width),
            None => AwaitValue::None,
        }
    }

    /// The object operations that do not wait: `q.len()`, `r.level()`.
    pub(super) fn object_value(&mut self, op: ObjectOp, object: &Expr<Type>) -> Temp {
        let object = self.object_operand(object);
        let (op, scalar) = match op {
            ObjectOp::ResourceLevel => (ir::ObjectValueOp::ResourceLevel, Scalar::Float),
            _ => (ir::ObjectValueOp::QueueLen, Scalar::Int),
        };
        let dst = self.temp(scalar);
        self.emit(Inst::ObjectValue { dst, op, object });
        dst
    }

    /// `ch.send(x)`.
    pub(super) fn send(&mut self, object: &Expr<Type>, message: &Expr<Type>) {
        let object = self.object_operand(object);
        let src = self.value_place(message);
        self.emit(Inst::Send { object, src });
    }

    /// The body of a block that holds something, as a region.
    fn held(&mut self, block: HeldBlock, body: &Block<Type>) {
        self.regions.push(Region::Held(block));
        self.block(body);
        self.regions.pop();
        self.emit(Inst::BlockEnd { block });
    }

    /// `with lock priority p { }` and `with tank(amount) { }`.
    pub(super) fn with_block(
        &mut self,
        target: &Expr<Type>,
        amount: Option<&Expr<Type>>,
        priority: Option<&Expr<Type>>,
        body: &Block<Type>,
    ) {
        let object = self.object_operand(target);
        let after = self.new_block();
        match amount {
            None => {
                let priority = match priority {
                    Some(p) => self.scalar(p),
                    None => self.constant(Const::Int(0)),
                };
                let cont = self.new_state(after);
                self.wait(WaitOp::Lock { object, priority, cont });
                self.held(HeldBlock::Lock, body);
            }
            Some(amount) => {
                let span = amount.span;
                let amount = self.scalar(amount);
                self.wait(WaitOp::Borrow { object, amount, span });
                self.held(HeldBlock::Borrow, body);
            }
        }
        self.terminate(Terminator::Jump(after));
        self.switch_to(after);
    }

    /// `until trigger { body }`: the trigger is armed before the body; when
    /// it fires the runtime unwinds the body and continues after the block.
    pub(super) fn until_block(&mut self, trigger: &Expr<Type>, body: &Block<Type>) {
        let after = self.new_block();
        let cont = self.new_state(after);
        let arm = self.new_block();
        self.terminate(Terminator::Wait { op: WaitOp::UntilEnter { cont }, next: arm, resume: cont });
        self.switch_to(arm);
        let body_block = self.new_block();
        if let Some(op) = self.wait_for(trigger, None) {
            self.terminate(Terminator::Wait { op, next: body_block, resume: cont });
        } else {
            self.terminate(Terminator::Jump(body_block));
        }
        self.switch_to(body_block);
        self.held(HeldBlock::Until, body);
        self.terminate(Terminator::Jump(after));
        self.switch_to(after);
    }

    /// `select { arms }`: the arms register in listed order; the first ready
    /// at once runs, or the process waits and the arm that completes first runs.
    pub(super) fn select(&mut self, arms: &[SelectArm<Type>]) {
        let after = self.new_block();
        let cont = self.new_state(after);
        let mut lowered = Vec::new();
        for arm in arms {
            let mut start = ArmStart::Nothing;
            let mut hold = None;
            let op = match &arm.head {
                SelectHead::With { target, amount, priority } => {
                    let object = self.object_operand(target);
                    match amount {
                        None => {
                            let priority = match priority {
                                Some(p) => self.scalar(p),
                                None => self.constant(Const::Int(0)),
                            };
                            hold = Some(HeldBlock::Lock);
                            Some(WaitOp::Lock { object, priority, cont })
                        }
                        Some(amount) => {
                            let span = amount.span;
                            let amount = self.scalar(amount);
                            hold = Some(HeldBlock::Borrow);
                            Some(WaitOp::Borrow { object, amount, span })
                        }
                    }
                }
                SelectHead::Let { value, local, .. } => {
                    let inner = match &value.kind {
                        ExprKind::Await(inner) => inner.as_ref(),
                        _ => value,
                    };
                    let into = local.map(|id| Place::frame(self.local_slots[id.0 as usize]));
                    self.arm_wait(inner, into, &mut start)
                }
                SelectHead::Await(value) => self.arm_wait(value, None, &mut start),
            };
            // An arm without a wait was reported by the checker.
            if let Some(op) = op {
                lowered.push((arm, op, start, hold));
            }
        }
        let blocks: Vec<BlockId> = lowered.iter().map(|_| self.new_block()).collect();
        let resume_block = self.new_block();
        let resume = self.new_state(resume_block);
        let ops: Vec<(WaitOp, BlockId)> =
            lowered.iter().zip(&blocks).map(|((_, op, _, _), block)| (*op, *block)).collect();
        self.terminate(Terminator::Select { arms: ops, resume });
        self.switch_to(resume_block);
        self.terminate(Terminator::ResumeArm { arms: blocks.clone() });
        for ((arm, _, start, hold), block) in lowered.into_iter().zip(blocks) {
            self.switch_to(block);
            if let ArmStart::Join { handle, ret, into } = start {
                let h = self.load(handle, Scalar::Int);
                self.emit(Inst::JoinCheck { handle: h, span: arm.span });
                if let Some(into) = into {
                    self.join_result_into(handle, &ret, into);
                }
            }
            match hold {
                Some(block) => self.held(block, &arm.body),
                None => self.block(&arm.body),
            }
            self.terminate(Terminator::Jump(after));
        }
        self.switch_to(after);
    }

    /// The wait of a `select` arm `await inner` (or `let x = await inner`,
    /// with `into` the place of `x`).
    fn arm_wait(&mut self, inner: &Expr<Type>, into: Option<Place>, start: &mut ArmStart) -> Option<WaitOp> {
        if let Type::Proc(ret) = &inner.ty {
            let handle = self.scalar(inner);
            let slot = self.hidden("awaited handle", 1);
            self.emit(Inst::Store { place: slot, src: handle });
            *start = ArmStart::Join { handle: slot, ret: (**ret).clone(), into };
            return Some(WaitOp::Join { handle, span: inner.span });
        }
        let width = self.given_width(inner);
        let dest = match into {
            Some(place) => Some(place.offset),
            None if width > 0 => Some(self.hidden("received", width).offset),
            None => None,
        };
        self.wait_for(inner, dest)
    }

    /// Copies the return value of the ended process whose handle is at
    /// `handle` into `into`.
    pub(super) fn join_result_into(&mut self, handle: Place, ret: &Type, into: Place) {
        let h = self.load(handle, Scalar::Int);
        if is_scalar(ret) {
            let t = self.temp(scalar_of(ret));
            self.emit(Inst::JoinResult { dst: t, handle: h, index: 0 });
            self.emit(Inst::Store { place: into, src: t });
        } else {
            let len = self.program.width(ret);
            self.emit(Inst::JoinResults { dst: into, handle: h, len });
        }
    }

    /// `for m in ch { }` and `for x in q { }`: receive into the loop
    /// variable, run the body, repeat.
    pub(super) fn receive_loop(&mut self, source: &Expr<Type>, body: &Block<Type>, var: Place) {
        let head = self.new_block();
        let exit = self.new_block();
        self.terminate(Terminator::Jump(head));
        self.switch_to(head);
        let object = self.object_operand(source);
        let op = match &source.ty {
            Type::Object(ObjectKind::Channel(_)) => WaitOp::Recv { object, dest: Some(var.offset) },
            _ => WaitOp::Get { object, dest: var.offset },
        };
        self.wait(op);
        self.loop_body(body, exit, head);
        self.switch_to(exit);
    }

    /// Compiles an awaited condition to a predicate function over this
    /// process's frame and returns the condition's index.
    pub(super) fn condition(&mut self, cond: &Expr<Type>) -> u32 {
        let watches = conditions::condition_watches(cond, self.context.reads);
        if watches.is_empty() {
            let d =
                Diagnostic::error("E0219", "this condition reads no global `var`, so it could never change", cond.span)
                    .with_label("awaiting it would wait forever")
                    .with_note("an awaited condition is re-checked when a global `var` it reads is written");
            self.diagnostics.push(d);
        }
        let index = self.predicates.len() as u32;
        let predicate = FuncId(self.program.callables.len() as u32 + index);
        let mut none = Vec::new();
        let mut sub = FnLowerer::new(self.context, self.callable, self.interned, &mut none);
        // Its hidden slots come after this process's, so evaluating it never
        // overwrites anything the process keeps.
        sub.slots.clear();
        sub.frame_slots = self.frame_slots;
        sub.is_predicate = true;
        let value = sub.scalar(cond);
        sub.terminate(Terminator::ReturnBool { value });
        let frame_slots = sub.frame_slots;
        let hidden = std::mem::take(&mut sub.slots);
        self.diagnostics.append(&mut sub.diagnostics);
        let function = ir::Function {
            name: format!("{}.condition{index}", self.callable.name),
            is_process: false,
            is_predicate: true,
            frame_slots,
            param_slots: 0,
            result_start: 0,
            result_slots: 0,
            slots: Vec::new(),
            temps: sub.temps,
            states: sub.states,
            blocks: sub
                .blocks
                .into_iter()
                .map(|(insts, term)| ir::Block { insts, term: term.unwrap_or(Terminator::Return) })
                .collect(),
        };
        self.frame_slots = frame_slots;
        self.slots.extend(hidden);
        let label = format!("condition at {}..{}", cond.span.start, cond.span.end);
        let condition = ir::Condition { predicate, watches: watches.into_iter().collect(), span: cond.span, label };
        self.predicates.push((function, condition));
        index
    }
}
