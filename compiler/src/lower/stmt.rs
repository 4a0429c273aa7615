//! Lowering statements: control flow, loops, `every`, assignments, waits, print.

use super::expr::ElementIndex;
use super::*;

impl FnLowerer<'_> {
    pub(super) fn lower_body(&mut self, body: &Block<Type>) {
        self.block(body);
    }

    pub(super) fn block(&mut self, block: &Block<Type>) {
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
    }

    pub(super) fn stmt(&mut self, stmt: &Stmt<Type>) {
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
                self.emit(Inst::Poll { span: loop_head(stmt.span, body) });
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
                self.emit(Inst::Poll { span: loop_head(stmt.span, body) });
                self.loop_body(body, exit, head);
                self.switch_to(exit);
            }
            StmtKind::For { iter, body, local, .. } => {
                let Some(local) = local else { return };
                self.for_loop(iter, body, *local, stmt.span);
            }
            StmtKind::Break | StmtKind::Continue => {
                let Some(target) = self.loops.last() else { return };
                let (dest, regions) = if matches!(stmt.kind, StmtKind::Break) {
                    (target.exit, target.regions)
                } else {
                    (target.next, target.regions)
                };
                self.exit_regions(regions);
                self.terminate(Terminator::Jump(dest));
            }
            StmtKind::Return(value) => {
                if let Some(value) = value {
                    let dst = Place::frame(self.result_start);
                    self.assign_into(value, dst);
                }
                self.exit_regions(0);
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
                self.regions.push(Region::Scope);
                self.block(body);
                self.regions.pop();
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
            StmtKind::Record { name, value } => {
                let value = self.scalar(value);
                let tally = self.interned.tallies.intern(&name.name);
                self.emit(Inst::Record { tally, value });
            }
            StmtKind::With { target, amount, priority, body } => {
                self.with_block(target, amount.as_ref(), priority.as_ref(), body)
            }
            StmtKind::Until { trigger, body } => self.until_block(trigger, body),
            StmtKind::Select { arms } => self.select(arms),
        }
    }

    pub(super) fn loop_body(&mut self, body: &Block<Type>, exit: BlockId, next: BlockId) {
        self.loops.push(LoopTarget { exit, next, regions: self.regions.len() });
        self.block(body);
        self.loops.pop();
        self.terminate(Terminator::Jump(next));
    }

    pub(super) fn for_loop(&mut self, iter: &ForIter<Type>, body: &Block<Type>, local: ast::LocalId, span: Span) {
        let var = Place::frame(self.local_slots[local.0 as usize]);
        let counter = self.hidden_scalar("for index", Scalar::Int);
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
                let end = self.hidden_scalar("for end", Scalar::Int);
                self.emit(Inst::Store { place: end, src: hi });
                Each::Range { end }
            }
            ForIter::Each(array) => {
                let Type::Array(elem, len) = &array.ty else {
                    self.receive_loop(array, body, var);
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
        self.emit(Inst::Poll { span: loop_head(span, body) });
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
        self.loop_body(body, exit, latch);
        self.switch_to(latch);
        // `i < end <= i64::MAX` before the increment, so it cannot overflow.
        self.increment(counter, BinOp::IAddWrap, span);
        self.terminate(Terminator::Jump(head));
        self.switch_to(exit);
    }

    /// Adds one to the int in a slot.
    fn increment(&mut self, slot: Place, add: BinOp, span: Span) {
        let value = self.load(slot, Scalar::Int);
        let one = self.constant(Const::Int(1));
        let next = self.binary(add, value, one, Scalar::Int, span);
        self.emit(Inst::Store { place: slot, src: next });
    }

    /// Copies a value of `ty` between places: a load and store for a scalar.
    pub(super) fn copy_or_store(&mut self, dst: Place, src: Place, width: u32, ty: &Type) {
        if is_scalar(ty) {
            let t = self.load(src, scalar_of(ty));
            self.emit(Inst::Store { place: dst, src: t });
        } else if width > 0 {
            self.emit(Inst::Copy { dst, src, len: width });
        }
    }

    pub(super) fn every(&mut self, period: &Expr<Type>, body: &Block<Type>) {
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
        // The start of the latest iteration, as computed.
        let last_slot = self.hidden("every last start", 1);
        self.emit(Inst::Store { place: last_slot, src: now });
        let head = self.new_block();
        let later = self.new_block();
        let body_block = self.new_block();
        let latch = self.new_block();
        let exit = self.new_block();
        self.terminate(Terminator::Jump(head));
        self.switch_to(head);
        // Iteration 0 starts at once (and `0 * inf` would be NaN).
        let k = self.load(count_slot, Scalar::Int);
        let zero = self.constant(Const::Int(0));
        let first = self.binary(BinOp::ICmp(Cmp::Eq), k, zero, Scalar::Bool, span);
        self.terminate(Terminator::Branch { cond: first, then: body_block, otherwise: later });
        self.switch_to(later);
        // Iteration k starts at t0 + k * period, a product rather than a running
        // sum, so no rounding error accumulates. A start equal to the last one
        // (a period below the resolution of time) could never let time advance.
        let t0 = self.load(start_slot, Scalar::Float);
        let k = self.load(count_slot, Scalar::Int);
        let kf = self.temp(Scalar::Float);
        self.emit(Inst::Unary { dst: kf, op: ir::UnOp::IntToFloat, a: k, span });
        let p = self.load(period_slot, Scalar::Float);
        let offset = self.binary(BinOp::FMul, kf, p, Scalar::Float, span);
        let due = self.binary(BinOp::FAdd, t0, offset, Scalar::Float, span);
        let last = self.load(last_slot, Scalar::Float);
        self.emit(Inst::CheckAdvance { due, last, span });
        self.emit(Inst::Store { place: last_slot, src: due });
        self.wait(WaitOp::Until { time: due });
        self.terminate(Terminator::Jump(body_block));
        self.switch_to(body_block);
        self.loop_body(body, exit, latch);
        self.switch_to(latch);
        self.increment(count_slot, BinOp::IAdd, span);
        self.terminate(Terminator::Jump(head));
        self.switch_to(exit);
    }

    pub(super) fn assign(&mut self, target: &Expr<Type>, op: AssignOp, value: &Expr<Type>) {
        let mut element = None;
        let Some(place) = self.assign_value(target, op, value, &mut element) else { return };
        // The write barrier: a store to a var some condition reads tells the
        // runtime, naming the element when conditions watch them one by one.
        let mut root = target;
        while let ExprKind::Field(inner, _) | ExprKind::Index(inner, _) = &root.kind {
            root = inner;
        }
        let ExprKind::Global(var) = root.kind else { return };
        // The statistics barrier: the report follows every int, float and
        // bool of the globals over time.
        if has_cells(self.program, &target.ty) {
            let len = self.program.width(&target.ty);
            self.emit(Inst::GlobalsWritten { place, len });
        }
        if !self.context.watched.vars.contains(&var) {
            return;
        }
        match element {
            Some(index) if self.context.watched.elements.contains_key(&var) => {
                let index = match index {
                    ElementIndex::Const(i) => self.constant(Const::Int(i)),
                    ElementIndex::Temp(t) => t,
                };
                self.emit(Inst::ElementWritten { var, index });
            }
            _ => self.emit(Inst::VarWritten { var }),
        }
    }

    /// Stores the value and returns where; `None` when there was nothing to
    /// store (an error already reported). `element` receives the written
    /// element's index.
    fn assign_value(
        &mut self,
        target: &Expr<Type>,
        op: AssignOp,
        value: &Expr<Type>,
        element: &mut Option<ElementIndex>,
    ) -> Option<Place> {
        if op == AssignOp::Set {
            if let ExprKind::Await(inner) = &value.kind {
                // Await first: a place's dynamic index must not live across the suspension.
                let result = self.await_value(inner);
                let dst = self.place_path(target, element)?;
                match result {
                    AwaitValue::Scalar(t) => self.emit(Inst::Store { place: dst, src: t }),
                    AwaitValue::Slots(src, len) => self.emit(Inst::Copy { dst, src, len }),
                    AwaitValue::None => {}
                }
                return Some(dst);
            }
            if is_scalar(&target.ty) {
                let v = self.scalar(value);
                let dst = self.place_path(target, element)?;
                self.emit(Inst::Store { place: dst, src: v });
                return Some(dst);
            } else {
                // Build the new value aside first: the right side may read the target.
                let width = self.program.width(&target.ty);
                let tmp = self.hidden("assigned value", width);
                self.into(value, tmp);
                let dst = self.place_path(target, element)?;
                self.emit(Inst::Copy { dst, src: tmp, len: width });
                return Some(dst);
            }
        }
        let v = match &value.kind {
            ExprKind::Await(inner) => match self.await_value(inner) {
                AwaitValue::Scalar(t) => t,
                _ => return None,
            },
            _ => self.scalar(value),
        };
        let dst = self.place_path(target, element)?;
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
        Some(dst)
    }

    /// Writes a value (which may be an `await`) into a place.
    pub(super) fn assign_into(&mut self, value: &Expr<Type>, dst: Place) {
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
    pub(super) fn await_value(&mut self, inner: &Expr<Type>) -> AwaitValue {
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
                // One copy, however long the value: no code per slot.
                let dst = self.hidden("awaited result", width);
                self.emit(Inst::JoinResults { dst, handle, len: width });
                AwaitValue::Slots(dst, width)
            }
            _ => self.await_interaction(inner),
        }
    }

    // Print.

    pub(super) fn text(&mut self, s: &StrLit<Type>) {
        for part in &s.parts {
            match part {
                StrPart::Text(t) => self.text_piece(t),
                StrPart::Interp { expr, format } => {
                    let spec = format.map(|f| f.spec).unwrap_or_default();
                    if is_scalar(&expr.ty) {
                        let src = self.scalar(expr);
                        self.emit(Inst::TextValue { src, scalar: scalar_of(&expr.ty), spec });
                    } else if spec.width.is_some() {
                        // A struct or an array is padded as a whole: its text
                        // is written, then padded from where it started.
                        let place = self.place_or_temp(expr);
                        let start = self.temp(Scalar::Int);
                        self.emit(Inst::TextMark { dst: start });
                        self.text_place(place, &expr.ty);
                        self.emit(Inst::TextPad { start, spec });
                    } else {
                        let place = self.place_or_temp(expr);
                        self.text_place(place, &expr.ty);
                    }
                }
            }
        }
    }

    pub(super) fn text_piece(&mut self, text: &str) {
        if !text.is_empty() {
            let string = self.interned.strings.intern(text);
            self.emit(Inst::Text { string });
        }
    }

    /// Prints an aggregate stored at a place: `Job { id: 1, size: 2.5 }`, `[1, 2, 3]`.
    /// Arrays longer than [`UNROLLED_PRINT`] are printed by a loop.
    pub(super) fn text_place(&mut self, place: Place, ty: &Type) {
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
            Type::Array(elem, len) if *len > UNROLLED_PRINT => {
                // A loop, not one piece of code per element: printing a long
                // array takes code of a fixed size.
                let width = self.program.width(elem);
                self.text_piece("[");
                self.text_place(place, elem);
                let counter = self.hidden_scalar("print index", Scalar::Int);
                let one = self.constant(Const::Int(1));
                self.emit(Inst::Store { place: counter, src: one });
                let (head, body, exit) = (self.new_block(), self.new_block(), self.new_block());
                self.terminate(Terminator::Jump(head));
                self.switch_to(head);
                let i = self.load(counter, Scalar::Int);
                let limit = self.constant(Const::Int(*len as i64));
                let more = self.binary(BinOp::ICmp(Cmp::Lt), i, limit, Scalar::Bool, Span::default());
                self.terminate(Terminator::Branch { cond: more, then: body, otherwise: exit });
                self.switch_to(body);
                self.text_piece(", ");
                let i = self.load(counter, Scalar::Int);
                let scaled = if width == 1 {
                    i
                } else {
                    let w = self.constant(Const::Int(i64::from(width)));
                    self.binary(BinOp::IMulWrap, i, w, Scalar::Int, Span::default())
                };
                let dynamic = match place.dynamic {
                    Some(d) => self.binary(BinOp::IAddWrap, d, scaled, Scalar::Int, Span::default()),
                    None => scaled,
                };
                self.text_place(Place { dynamic: Some(dynamic), ..place }, elem);
                let i = self.load(counter, Scalar::Int);
                // Defined here again: a temporary is used only below its definition.
                let one = self.constant(Const::Int(1));
                let next = self.binary(BinOp::IAddWrap, i, one, Scalar::Int, Span::default());
                self.emit(Inst::Store { place: counter, src: next });
                self.terminate(Terminator::Jump(head));
                self.switch_to(exit);
                self.text_piece("]");
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
                self.emit(Inst::TextValue { src, scalar, spec: crate::ir::Spec::default() });
            }
        }
    }
}

/// The longest array printed by straight-line code; longer ones loop.
const UNROLLED_PRINT: u64 = 16;

/// A loop statement's head, `while n < 3` or `loop`, without its body: where
/// an interrupt says the run was.
fn loop_head<T>(stmt: Span, body: &Block<T>) -> Span {
    let end = body.span.start.clamp(stmt.start, stmt.end);
    Span { start: stmt.start, end }
}
