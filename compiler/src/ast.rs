//! The syntax tree of a model: one tree, typed in place.
//!
//! The parser builds `Module<()>`; the checker rebuilds it as `Module<Type>`,
//! with every name resolved and every implicit int -> float conversion made
//! explicit, so later stages never guess.

use crate::span::Span;

/// An identifier with the span it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Module<T> {
    pub items: Vec<Item<T>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item<T> {
    pub kind: ItemKind<T>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind<T> {
    /// `param NAME: type = literal`
    Param { name: Ident, ty: TypeExpr, value: Expr<T> },
    /// `const NAME = expr`
    Const { name: Ident, value: Expr<T> },
    /// `var NAME: type = expr`
    Var { name: Ident, ty: TypeExpr, value: Expr<T> },
    /// `struct Name { field: type, ... }`
    Struct { name: Ident, fields: Vec<(Ident, TypeExpr)> },
    /// `lock NAME[len](capacity: 2, preemptive)`
    Lock { name: Ident, family: Option<Expr<T>>, options: Vec<ObjOption<T>> },
    /// `channel NAME[len]: type`
    Channel { name: Ident, family: Option<Expr<T>>, ty: TypeExpr },
    /// `queue NAME[len]: type(capacity: 10)`
    Queue { name: Ident, family: Option<Expr<T>>, ty: TypeExpr, options: Vec<ObjOption<T>> },
    /// `resource NAME[len](capacity: 200.0, level: 150.0)`
    Resource { name: Ident, family: Option<Expr<T>>, options: Vec<ObjOption<T>> },
    /// `fn name(params) -> type { body }`
    Fn(Callable<T>),
    /// `process name(params) -> type { body }`
    Process(Callable<T>),
    /// `run a(), b() until T`
    Run { roots: Vec<Expr<T>>, until: Option<Expr<T>> },
}

/// An option in an object declaration: `capacity: 2` or the flag `preemptive`.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjOption<T> {
    pub name: Ident,
    pub value: Option<Expr<T>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Callable<T> {
    pub name: Ident,
    pub params: Vec<(Ident, TypeExpr)>,
    pub ret: Option<TypeExpr>,
    pub body: Block<T>,
}

/// A type as written in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// `int`, `float`, `bool`, or a struct name.
    Named(String),
    /// `[T; len]`; the length is a constant expression.
    Array(Box<TypeExpr>, Box<Expr<()>>),
    /// `proc` or `proc<T>`.
    Proc(Option<Box<TypeExpr>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block<T> {
    pub stmts: Vec<Stmt<T>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt<T> {
    pub kind: StmtKind<T>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind<T> {
    /// `let name(: type)? = expr`; after checking, `local` is the slot it binds.
    Let {
        name: Ident,
        ty: Option<TypeExpr>,
        value: Expr<T>,
        local: Option<LocalId>,
    },
    /// `place op= expr`
    Assign {
        target: Expr<T>,
        op: AssignOp,
        value: Expr<T>,
    },
    If {
        cond: Expr<T>,
        then: Block<T>,
        otherwise: Option<Block<T>>,
    },
    While {
        cond: Expr<T>,
        body: Block<T>,
    },
    /// `for name in lo..hi { }` over ints, or `for name in xs { }` over an array,
    /// a channel or a queue.
    For {
        name: Ident,
        iter: ForIter<T>,
        body: Block<T>,
        local: Option<LocalId>,
    },
    Loop {
        body: Block<T>,
    },
    Break,
    Continue,
    Return(Option<Expr<T>>),
    Print(StrLit<T>),
    Fail(StrLit<T>),
    Stop,
    /// `record name = expr`
    Record {
        name: Ident,
        value: Expr<T>,
    },
    /// `every period { }`
    Every {
        period: Expr<T>,
        body: Block<T>,
    },
    /// `scope { }`
    Scope {
        body: Block<T>,
    },
    /// `with lock (priority p)? { }` or `with tank(amount) { }`. The target is
    /// a name or an indexed name (`pumps[i]`); `amount` is the parenthesized
    /// amount borrowed from a resource.
    With {
        target: Expr<T>,
        amount: Option<Expr<T>>,
        priority: Option<Expr<T>>,
        body: Block<T>,
    },
    /// `until trigger { }`
    Until {
        trigger: Expr<T>,
        body: Block<T>,
    },
    Select {
        arms: Vec<SelectArm<T>>,
    },
    /// `cancel handle`
    Cancel(Expr<T>),
    Expr(Expr<T>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ForIter<T> {
    Range(Expr<T>, Expr<T>),
    Each(Expr<T>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelectArm<T> {
    pub head: SelectHead<T>,
    pub body: Block<T>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SelectHead<T> {
    /// `with lock (priority p)?`, `with tank(amount)`
    With { target: Expr<T>, amount: Option<Expr<T>>, priority: Option<Expr<T>> },
    /// `let name = await e`
    Let { name: Ident, value: Expr<T>, local: Option<LocalId> },
    /// `await e`
    Await(Expr<T>),
}

/// A string literal of `print`/`fail`: text pieces and interpolations.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit<T> {
    pub parts: Vec<StrPart<T>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart<T> {
    /// Text with escapes already decoded.
    Text(String),
    /// `{expr}`, or `{expr:spec}` with a format (`{x:.2}`, `{name:<12}`).
    Interp { expr: Expr<T>, format: Option<Format> },
}

/// The format of an interpolation, `:>8.2` in `{x:>8.2}`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Format {
    pub spec: usim_stdlib::format::Spec,
    /// From the colon to before the `}`.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr<T> {
    pub kind: ExprKind<T>,
    pub span: Span,
    pub ty: T,
}

impl<T> Expr<T> {
    /// The expressions directly inside this one, in source order. The
    /// match is exhaustive, so a new kind of expression must say here what
    /// it contains, and every walk over expressions sees it.
    pub fn children(&self) -> Vec<&Expr<T>> {
        match &self.kind {
            ExprKind::ArrayLit(items)
            | ExprKind::Call { args: items, .. }
            | ExprKind::CallFn { args: items, .. }
            | ExprKind::CallBuiltin { args: items, .. } => items.iter().collect(),
            ExprKind::ArrayRepeat(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => vec![a, b],
            ExprKind::StructLit { fields, .. } => fields.iter().map(|(_, v)| v).collect(),
            ExprKind::Method { receiver, args, .. } | ExprKind::ObjectOp { object: receiver, args, .. } => {
                std::iter::once(&**receiver).chain(args).collect()
            }
            ExprKind::Unary(_, a)
            | ExprKind::Field(a, _)
            | ExprKind::Paren(a)
            | ExprKind::Await(a)
            | ExprKind::Spawn(a)
            | ExprKind::ToFloat(a)
            | ExprKind::Delay(a)
            | ExprKind::At(a)
            | ExprKind::Condition(a) => vec![a],
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Bool(_)
            | ExprKind::Name(_)
            | ExprKind::Now
            | ExprKind::Instant
            | ExprKind::Local(_)
            | ExprKind::Global(_)
            | ExprKind::Object(_) => Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    /// Binding strength, loosest first (`||` 1 … `*` 5), as the grammar
    /// reads them: what parsing, and the checker's hints that print an
    /// expression back, both go by.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 5,
        }
    }

    /// The operator as written in the source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

/// A function-local variable (parameter, `let`, loop variable), numbered per callable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind<T> {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A name as written; the checker replaces it with one of the resolved kinds below.
    Name(String),
    /// `now`
    Now,
    /// `instant` (only as `await instant`)
    Instant,
    /// `[a, b, c]`
    ArrayLit(Vec<Expr<T>>),
    /// `[value; len]`
    ArrayRepeat(Box<Expr<T>>, Box<Expr<T>>),
    /// `Name { field: expr, ... }`
    StructLit {
        name: Ident,
        fields: Vec<(Ident, Expr<T>)>,
    },
    Unary(UnOp, Box<Expr<T>>),
    Binary(BinOp, Box<Expr<T>>, Box<Expr<T>>),
    /// `callee(args)`: a built-in, `fn` or process; method calls are `Method`.
    Call {
        callee: Ident,
        args: Vec<Expr<T>>,
    },
    /// `receiver.name(args)`, e.g. `jobs.put(j)`, `xs.len()`.
    Method {
        receiver: Box<Expr<T>>,
        name: Ident,
        args: Vec<Expr<T>>,
    },
    Field(Box<Expr<T>>, Ident),
    Index(Box<Expr<T>>, Box<Expr<T>>),
    /// `(e)`: kept so that `a < b < c` can be told from `(a < b) < c`.
    Paren(Box<Expr<T>>),
    Await(Box<Expr<T>>),
    Spawn(Box<Expr<T>>),

    // Kinds that only the checker produces.
    /// A local variable or parameter.
    Local(LocalId),
    /// A global `var`, by index among the vars.
    Global(u32),
    /// A shared object (lock, channel, queue, resource), by index among them.
    Object(u32),
    /// An int -> float promotion.
    ToFloat(Box<Expr<T>>),
    /// A call of a `fn`, or of a process under `spawn`, by callable index.
    CallFn {
        callable: u32,
        args: Vec<Expr<T>>,
    },
    /// A call of a built-in from the stdlib table, with the chosen signature.
    CallBuiltin {
        name: &'static str,
        signature: usize,
        args: Vec<Expr<T>>,
    },
    /// `delay(d)` (only as `await delay(d)`).
    Delay(Box<Expr<T>>),
    /// `at(t)` (only as `await at(t)`).
    At(Box<Expr<T>>),
    /// A typed operation on a shared object; `object` is an `Object` or an
    /// `Index` of one (a member of a family).
    ObjectOp {
        op: ObjectOp,
        object: Box<Expr<T>>,
        args: Vec<Expr<T>>,
    },
    /// An awaited condition (under `await`, `until` or a `select` arm): a
    /// bool expression over global vars.
    Condition(Box<Expr<T>>),
}

/// What an [`ExprKind::ObjectOp`] does, resolved by the checker from the
/// object's kind and the method's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectOp {
    /// `await q.put(x)`
    QueuePut,
    /// `await q.get()`
    QueueGet,
    /// `q.len()`
    QueueLen,
    /// `ch.send(x)`
    ChannelSend,
    /// `await ch`
    ChannelRecv,
    /// `await r.get(a)`
    ResourceGet,
    /// `await r.put(a)`
    ResourcePut,
    /// `r.level()`
    ResourceLevel,
}

impl ObjectOp {
    /// Whether the operation may wait, and so must be awaited.
    pub fn waits(self) -> bool {
        matches!(
            self,
            ObjectOp::QueuePut
                | ObjectOp::QueueGet
                | ObjectOp::ChannelRecv
                | ObjectOp::ResourceGet
                | ObjectOp::ResourcePut
        )
    }

    /// Whether the operation hands the process an item or an amount, which
    /// an interrupting trigger could not keep.
    pub fn takes_or_gives(self) -> bool {
        matches!(self, ObjectOp::QueuePut | ObjectOp::QueueGet | ObjectOp::ResourceGet | ObjectOp::ResourcePut)
    }
}
