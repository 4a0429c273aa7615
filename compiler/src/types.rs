//! The types of the language.

use std::fmt;

/// A struct type, by index into the module's struct table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StructId(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Int,
    Float,
    Bool,
    /// The type of statements and of processes that return nothing.
    Unit,
    Struct(StructId),
    Array(Box<Type>, u64),
    /// `proc<T>`; `proc` is `Proc(Unit)`.
    Proc(Box<Type>),
    /// A shared object, which is a name and never a value.
    Object(ObjectKind),
    /// The type of an expression that already has an error; it unifies with everything.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Lock,
    Channel(Box<Type>),
    Queue(Box<Type>),
    Resource,
}

impl Type {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float | Type::Error)
    }
}

/// Displays a type with struct names looked up in a table.
pub struct TypeDisplay<'a> {
    pub ty: &'a Type,
    pub struct_names: &'a [String],
}

impl fmt::Display for TypeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_type(f, self.ty, self.struct_names)
    }
}

fn write_type(f: &mut fmt::Formatter<'_>, ty: &Type, names: &[String]) -> fmt::Result {
    match ty {
        Type::Int => write!(f, "int"),
        Type::Float => write!(f, "float"),
        Type::Bool => write!(f, "bool"),
        Type::Unit => write!(f, "nothing"),
        Type::Struct(id) => write!(f, "{}", names.get(id.0 as usize).map_or("?", |s| s.as_str())),
        Type::Array(elem, len) => {
            write!(f, "[")?;
            write_type(f, elem, names)?;
            write!(f, "; {len}]")
        }
        Type::Proc(ret) if **ret == Type::Unit => write!(f, "proc"),
        Type::Proc(ret) => {
            write!(f, "proc<")?;
            write_type(f, ret, names)?;
            write!(f, ">")
        }
        Type::Object(ObjectKind::Lock) => write!(f, "lock"),
        Type::Object(ObjectKind::Resource) => write!(f, "resource"),
        Type::Object(ObjectKind::Channel(t)) => {
            write!(f, "channel of ")?;
            write_type(f, t, names)
        }
        Type::Object(ObjectKind::Queue(t)) => {
            write!(f, "queue of ")?;
            write_type(f, t, names)
        }
        Type::Error => write!(f, "?"),
    }
}
