//! Lowering expressions: places, aggregates, scalars, calls.

use super::*;

/// The index of the element of a global array var that a written place
/// lies in.
#[derive(Clone, Copy, Debug)]
pub(super) enum ElementIndex {
    Const(i64),
    Temp(Temp),
}

impl FnLowerer<'_> {
    /// Lowers an expression whose type is unit (a call with no result).
    pub(super) fn unit(&mut self, e: &Expr<Type>) {
        match &e.kind {
            ExprKind::CallFn { callable, args } => {
                let args = self.args(args);
                self.emit(Inst::CallFn { func: FuncId(*callable), args, ret: Ret::None, span: e.span });
            }
            ExprKind::ObjectOp { op: ast::ObjectOp::ChannelSend, object, args } => {
                if let Some(message) = args.first() {
                    self.send(object, message);
                }
            }
            _ => {}
        }
    }

    pub(super) fn args(&mut self, args: &[Expr<Type>]) -> Vec<Arg> {
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
    pub(super) fn place(&mut self, e: &Expr<Type>) -> Option<Place> {
        self.place_path(e, &mut None)
    }

    /// `place`, noting in `element` the index of the element of a global
    /// array var that the place lies in, if it lies in one (the write
    /// barrier needs it).
    pub(super) fn place_path(&mut self, e: &Expr<Type>, element: &mut Option<ElementIndex>) -> Option<Place> {
        match &e.kind {
            ExprKind::Local(id) => Some(Place::frame(self.local_slots[id.0 as usize])),
            ExprKind::Global(i) => {
                Some(Place { base: Base::Globals, offset: self.global_slots[*i as usize], dynamic: None })
            }
            ExprKind::Field(inner, field) => {
                let base = self.path_or_temp(inner, element);
                let Type::Struct(id) = inner.ty else { return None };
                let (offset, _) = self.program.field(StructId(id.0), &field.name)?;
                Some(base.plus(offset))
            }
            ExprKind::Index(inner, index) => {
                let Type::Array(elem, len) = &inner.ty else {
                    self.unsupported("indexed object families", e.span);
                    return None;
                };
                let base = self.path_or_temp(inner, element);
                let of_global = matches!(inner.kind, ExprKind::Global(_));
                let width = self.program.width(elem);
                if let Some(i) = crate::check::consteval::int_value(index) {
                    // The checker rejected constant indexes out of bounds
                    // (folded the same way), so this needs no check.
                    if of_global {
                        *element = Some(ElementIndex::Const(i));
                    }
                    return Some(base.plus(i as u32 * width));
                }
                let i = self.scalar(index);
                self.emit(Inst::CheckIndex { index: i, len: *len, span: index.span });
                if of_global {
                    *element = Some(ElementIndex::Temp(i));
                }
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
    pub(super) fn place_or_temp(&mut self, e: &Expr<Type>) -> Place {
        self.path_or_temp(e, &mut None)
    }

    fn path_or_temp(&mut self, e: &Expr<Type>, element: &mut Option<ElementIndex>) -> Place {
        if let Some(p) = self.place_path(e, element) {
            return p;
        }
        let width = self.program.width(&e.ty);
        let tmp = self.hidden("value", width);
        self.into(e, tmp);
        tmp
    }

    /// Writes the value of an expression of any type into a place.
    pub(super) fn into(&mut self, e: &Expr<Type>, dst: Place) {
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
    pub(super) fn scalar(&mut self, e: &Expr<Type>) -> Temp {
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
                self.emit(Inst::Spawn { dst, func: FuncId(*callable), args, span });
                dst
            }
            ExprKind::Local(_) | ExprKind::Global(_) | ExprKind::Field(..) | ExprKind::Index(..) => {
                let scalar = scalar_of(&e.ty);
                match self.place(e) {
                    Some(place) => self.load(place, scalar),
                    None => self.constant(Const::Int(0)),
                }
            }
            ExprKind::ObjectOp { op, object, .. } => self.object_value(*op, object),
            _ => {
                self.unsupported("this expression", span);
                self.constant(Const::Int(0))
            }
        }
    }

    pub(super) fn binary_expr(&mut self, op: ast::BinOp, a: &Expr<Type>, b: &Expr<Type>, span: Span) -> Temp {
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
