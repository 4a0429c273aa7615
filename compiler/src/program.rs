//! The checked program: what the checker hands to lowering. Every name is
//! resolved, every constant folded, every body typed.

use crate::ast::{Block, LocalId};
use crate::span::Span;
use crate::types::{ObjectKind, Type};

/// A compile-time value: `const`s, `param`s, `var` initial values, root arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Struct(Vec<Value>),
    Array(Vec<Value>),
}

impl Value {
    /// The value as frame or globals slots, in layout order.
    pub fn to_slots(&self, out: &mut Vec<u64>) {
        match self {
            Value::Int(v) => out.push(*v as u64),
            Value::Float(v) => out.push(v.to_bits()),
            Value::Bool(v) => out.push(*v as u64),
            Value::Struct(items) | Value::Array(items) => {
                for item in items {
                    item.to_slots(out);
                }
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<(String, Type)>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ParamDef {
    pub name: String,
    pub ty: Type,
    pub value: Value,
}

/// A global `var`.
#[derive(Clone, Debug)]
pub struct GlobalDef {
    pub name: String,
    pub ty: Type,
    pub init: Value,
    pub span: Span,
}

/// A shared object (lock, channel, queue, resource), possibly an indexed family.
#[derive(Clone, Debug)]
pub struct ObjectDef {
    pub name: String,
    pub kind: ObjectKind,
    /// The length of a family; [`UNKNOWN_LEN`] when computing it failed
    /// (already reported), which only the checker sees.
    pub family: Option<u64>,
    /// Evaluated options: `capacity`, `level`, `preemptive`.
    pub options: Vec<(String, Value)>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct LocalDef {
    pub name: String,
    pub ty: Type,
    pub span: Span,
}

/// A `fn` or a `process` with its typed body.
#[derive(Clone, Debug)]
pub struct CallableDef {
    pub name: String,
    pub is_process: bool,
    /// The parameters are the first locals, in order.
    pub params: Vec<LocalId>,
    pub ret: Type,
    pub locals: Vec<LocalDef>,
    pub body: Block<Type>,
    pub span: Span,
}

/// One root process of the `run` item, with its constant arguments.
#[derive(Clone, Debug)]
pub struct RootCall {
    pub callable: u32,
    pub args: Vec<Value>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Program {
    pub structs: Vec<StructDef>,
    pub params: Vec<ParamDef>,
    pub globals: Vec<GlobalDef>,
    pub objects: Vec<ObjectDef>,
    pub callables: Vec<CallableDef>,
    pub roots: Vec<RootCall>,
    pub horizon: Option<f64>,
    /// Each struct's width, once the checker has computed them all (before
    /// that, widths are computed from the fields each time).
    pub struct_widths: Vec<u32>,
}

impl Program {
    /// The number of 8-byte slots a value of this type occupies (saturating).
    pub fn width(&self, ty: &Type) -> u32 {
        match ty {
            Type::Struct(id) => match self.struct_widths.get(id.0 as usize) {
                Some(&width) => width,
                None => self.structs[id.0 as usize]
                    .fields
                    .iter()
                    .fold(0u32, |sum, (_, t)| sum.saturating_add(self.width(t))),
            },
            Type::Array(elem, len) => self.width(elem).saturating_mul(*len as u32),
            Type::Unit | Type::Object(_) => 0,
            _ => 1,
        }
    }

    /// The slot offset of a struct field and its type.
    pub fn field(&self, id: crate::types::StructId, name: &str) -> Option<(u32, Type)> {
        let mut offset = 0;
        for (field, ty) in &self.structs[id.0 as usize].fields {
            if field == name {
                return Some((offset, ty.clone()));
            }
            offset += self.width(ty);
        }
        None
    }

    pub fn struct_names(&self) -> Vec<String> {
        self.structs.iter().map(|s| s.name.clone()).collect()
    }
}

/// The length of a family whose length expression had an error: its uses
/// are checked without bounds, so that one error is reported once.
pub const UNKNOWN_LEN: u64 = u64::MAX;
