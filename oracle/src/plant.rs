//! Planted miscompiles: small wrong changes to a module's IR that stand for
//! a code generator that compiled one instruction wrong. Handing the
//! planted module to the JIT and the original to the interpreter is how a
//! test shows that the differential oracle sees such a bug (a consistent
//! miscompile, which determinism and self-consistency checks never see).
//!
//! Every plant keeps the IR well formed (temporaries defined before use,
//! places in bounds), so the planted program is wrong but memory safe.

use usim_compiler::ir::{self, BinOp, Cmp, Const, Inst, Terminator, UnOp};

/// One kind of planted miscompile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plant {
    /// `a + b` computed as `a - b` (ints).
    IntAddAsSub,
    /// `a - b` computed as `a + b` (ints).
    IntSubAsAdd,
    /// `a * b` (floats) computed as `a + b`.
    FloatMulAsAdd,
    /// `a < b` (ints) computed as `a <= b`.
    IntLessAsLessEqual,
    /// `a < b` (floats) computed as `a <= b`.
    FloatLessAsLessEqual,
    /// A branch that goes the other way.
    BranchInverted,
    /// An int constant off by one.
    IntConstOffByOne,
    /// A float constant doubled.
    FloatConstDoubled,
    /// `!b` computed as `b`.
    NotDropped,
    /// A store left out.
    StoreDropped,
    /// A copy of several slots that stops one short.
    CopyOneShort,
    /// The write barrier of conditions left out (`await n >= 3` not woken).
    VarWrittenDropped,
    /// The statistics barrier left out (a var's time-weighted figures stale).
    GlobalsWrittenDropped,
    /// A `select` registering its arms in reverse order.
    SelectArmsReversed,
    /// A `record` left out.
    RecordDropped,
    /// A `print` whose line is never ended (its text joins the next line).
    PrintLineDropped,
}

impl Plant {
    pub const ALL: [Plant; 16] = [
        Plant::IntAddAsSub,
        Plant::IntSubAsAdd,
        Plant::FloatMulAsAdd,
        Plant::IntLessAsLessEqual,
        Plant::FloatLessAsLessEqual,
        Plant::BranchInverted,
        Plant::IntConstOffByOne,
        Plant::FloatConstDoubled,
        Plant::NotDropped,
        Plant::StoreDropped,
        Plant::CopyOneShort,
        Plant::VarWrittenDropped,
        Plant::GlobalsWrittenDropped,
        Plant::SelectArmsReversed,
        Plant::RecordDropped,
        Plant::PrintLineDropped,
    ];

    /// The planted form of `inst`, if this plant applies to it. `None`
    /// in the inner option: the instruction is dropped.
    fn inst(self, inst: &Inst) -> Option<Option<Inst>> {
        let mut out = inst.clone();
        match (self, &mut out) {
            (Plant::IntAddAsSub, Inst::Binary { op: op @ BinOp::IAdd, .. }) => *op = BinOp::ISub,
            (Plant::IntSubAsAdd, Inst::Binary { op: op @ BinOp::ISub, .. }) => *op = BinOp::IAdd,
            (Plant::FloatMulAsAdd, Inst::Binary { op: op @ BinOp::FMul, .. }) => *op = BinOp::FAdd,
            (Plant::IntLessAsLessEqual, Inst::Binary { op: op @ BinOp::ICmp(Cmp::Lt), .. }) => {
                *op = BinOp::ICmp(Cmp::Le)
            }
            (Plant::FloatLessAsLessEqual, Inst::Binary { op: op @ BinOp::FCmp(Cmp::Lt), .. }) => {
                *op = BinOp::FCmp(Cmp::Le)
            }
            (Plant::IntConstOffByOne, Inst::Const { value: Const::Int(v), .. }) => *v = v.wrapping_add(1),
            (Plant::FloatConstDoubled, Inst::Const { value: Const::Float(v), .. }) if *v != 0.0 => *v *= 2.0,
            (Plant::NotDropped, Inst::Unary { dst, op: UnOp::Not, a, .. }) => {
                return Some(Some(Inst::Move { dst: *dst, src: *a }));
            }
            (Plant::StoreDropped, Inst::Store { .. })
            | (Plant::VarWrittenDropped, Inst::VarWritten { .. } | Inst::ElementWritten { .. })
            | (Plant::GlobalsWrittenDropped, Inst::GlobalsWritten { .. })
            | (Plant::RecordDropped, Inst::Record { .. })
            | (Plant::PrintLineDropped, Inst::PrintLine) => return Some(None),
            (Plant::CopyOneShort, Inst::Copy { len, .. }) if *len > 1 => *len -= 1,
            _ => return None,
        }
        Some(Some(out))
    }

    fn terminator(self, term: &Terminator) -> Option<Terminator> {
        match (self, term) {
            (Plant::BranchInverted, Terminator::Branch { cond, then, otherwise }) => {
                Some(Terminator::Branch { cond: *cond, then: *otherwise, otherwise: *then })
            }
            (Plant::SelectArmsReversed, Terminator::Select { arms, resume }) if arms.len() > 1 => {
                Some(Terminator::Select { arms: arms.iter().rev().cloned().collect(), resume: *resume })
            }
            _ => None,
        }
    }

    /// Where in `module` this plant applies: (function, block, instruction
    /// index, or `None` for the block's terminator), in program order.
    pub fn sites(self, module: &ir::Module) -> Vec<Site> {
        let mut sites = Vec::new();
        for (f, func) in module.functions.iter().enumerate() {
            for (b, block) in func.blocks.iter().enumerate() {
                for (i, inst) in block.insts.iter().enumerate() {
                    if self.inst(inst).is_some() {
                        sites.push(Site { function: f, block: b, inst: Some(i) });
                    }
                }
                if self.terminator(&block.term).is_some() {
                    sites.push(Site { function: f, block: b, inst: None });
                }
            }
        }
        sites
    }

    /// `module` with this plant at `site`.
    pub fn apply(self, module: &ir::Module, site: Site) -> ir::Module {
        let mut planted = module.clone();
        let block = &mut planted.functions[site.function].blocks[site.block];
        match site.inst {
            Some(i) => match self.inst(&block.insts[i]) {
                Some(Some(inst)) => block.insts[i] = inst,
                Some(None) => {
                    block.insts.remove(i);
                }
                None => panic!("{self:?} does not apply at {site:?}"),
            },
            None => block.term = self.terminator(&block.term).unwrap_or_else(|| panic!("{self:?} at {site:?}")),
        }
        planted
    }
}

/// An instruction or terminator of a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub function: usize,
    pub block: usize,
    /// The instruction's index in its block; `None` for the terminator.
    pub inst: Option<usize>,
}
