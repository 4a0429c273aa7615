//! The names of a model, for editors: every name it defines (with where,
//! and what it is) and every use of a name, with what that use resolves to.
//!
//! The checker makes it while it resolves names, only when asked
//! ([`crate::check::check_indexed`], [`crate::analyze`]): `check_source` and
//! everything the compiler does to run a model make none. It is plain data,
//! made from the model even when the model has errors: the items that
//! parsed are indexed, and a name that resolves to nothing is left out.

use std::collections::HashMap;

use crate::span::Span;
use crate::types::{Type, TypeDisplay};

/// What a name refers to. Indexes count items of one kind in source order
/// (the checker's own numbering: the third `var` is `Var(2)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Param(u32),
    Const(u32),
    Var(u32),
    Struct(u32),
    /// Field `field` (in declaration order) of struct `structure`.
    Field {
        structure: u32,
        field: u32,
    },
    /// A lock, channel, queue or resource (or a family of them).
    Object(u32),
    /// A `fn` or `process`.
    Callable(u32),
    /// Local `local` (parameters first) of callable `callable`.
    Local {
        callable: u32,
        local: u32,
    },
    /// A built-in function of the stdlib table, or `delay` / `at`.
    Builtin(&'static str),
}

/// What kind of thing a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Param,
    Const,
    Var,
    Struct,
    Field,
    Lock,
    Channel,
    Queue,
    Resource,
    Fn,
    Process,
    /// A parameter of a `fn` or process.
    Parameter,
    /// A `let` (in a body, or the head of a `select` arm).
    Let,
    /// The variable of a `for` loop.
    For,
}

/// A name the model defines.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    pub target: Target,
    pub kind: SymbolKind,
    pub name: String,
    /// The name where it is defined.
    pub span: Span,
    /// The whole definition: the item, the field (name and type), or for a
    /// local its name.
    pub extent: Span,
    /// The declaration as a hover shows it: `var inside: int = 0`,
    /// `const N: int = 5`, `process customer(id: int)`, `let wait: float`.
    pub detail: String,
    /// The type of its value: a var's, a local's, a field's, a const's; an
    /// object's (`Type::Object`); a callable's result. `Type::Error` when
    /// unknown.
    pub ty: Type,
    /// For a local, where it can be used: from after its declaration to the
    /// end of its block. Empty for the others, which are visible everywhere.
    pub scope: Span,
}

/// A use of a name (or its definition), and what it refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub span: Span,
    pub target: Target,
    /// Whether this is where the name is defined.
    pub definition: bool,
}

/// The names of a model: its symbols and every reference to them.
#[derive(Clone, Debug, Default)]
pub struct NameIndex {
    /// Items first (in source order, each struct followed by its fields),
    /// then the locals of each callable in the order they are declared.
    pub symbols: Vec<Symbol>,
    /// Sorted by span; spans do not overlap.
    pub references: Vec<Reference>,
    /// The struct names, by struct index, to show types with.
    pub struct_names: Vec<String>,
    by_target: HashMap<Target, usize>,
}

impl NameIndex {
    pub(crate) fn new(symbols: Vec<Symbol>, mut references: Vec<Reference>, struct_names: Vec<String>) -> NameIndex {
        references.extend(symbols.iter().map(|s| Reference { span: s.span, target: s.target, definition: true }));
        references.sort_by_key(|r| (r.span.start, r.span.end, !r.definition));
        references.dedup_by_key(|r| (r.span.start, r.span.end));
        let by_target = symbols.iter().enumerate().map(|(i, s)| (s.target, i)).collect();
        NameIndex { symbols, references, struct_names, by_target }
    }

    /// The symbol a target names; `None` for a built-in.
    pub fn symbol(&self, target: Target) -> Option<&Symbol> {
        self.by_target.get(&target).map(|&i| &self.symbols[i])
    }

    /// The reference at a byte offset: the one whose span holds it, or one
    /// that ends there (a cursor just after a name).
    pub fn reference_at(&self, offset: usize) -> Option<&Reference> {
        let offset = offset as u32;
        let after = self.references.partition_point(|r| r.span.start <= offset);
        let candidates = &self.references[..after];
        candidates.last().filter(|r| offset <= r.span.end)
    }

    /// Every use and the definition of a target, in source order.
    pub fn references_to(&self, target: Target) -> impl Iterator<Item = &Reference> {
        self.references.iter().filter(move |r| r.target == target)
    }

    /// The locals visible at a byte offset, innermost (latest declared) first.
    pub fn locals_at(&self, offset: usize) -> impl Iterator<Item = &Symbol> {
        let offset = offset as u32;
        self.symbols.iter().rev().filter(move |s| {
            matches!(s.target, Target::Local { .. }) && s.scope.start <= offset && offset <= s.scope.end
        })
    }

    /// A type as the model writes it, with struct names.
    pub fn show(&self, ty: &Type) -> String {
        TypeDisplay { ty, struct_names: &self.struct_names }.to_string()
    }

    /// The fields of a struct, in declaration order.
    pub fn fields(&self, structure: u32) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |s| matches!(s.target, Target::Field { structure: t, .. } if t == structure))
    }
}
