//! The checker's part of the name index (`crate::index`): the uses it notes
//! while resolving names, and the symbols made from what it resolved.
//! Nothing here runs unless an index was asked for.

use super::{bump, Checker, ConstState, GlobalName, IndexNotes};
use crate::ast::{Expr, ExprKind, ItemKind};
use crate::index::{NameIndex, Reference, Symbol, SymbolKind, Target};
use crate::program::{Value, UNKNOWN_LEN};
use crate::span::Span;
use crate::types::{ObjectKind, StructId, Type};

impl Checker<'_> {
    /// Notes a use of a name, when an index is being made.
    pub(super) fn note(&mut self, span: Span, target: Target) {
        if let Some(notes) = &mut self.index {
            notes.references.push(Reference { span, target, definition: false });
        }
    }

    /// Notes a local as declared, visible in `scope`.
    pub(super) fn note_local(&mut self, callable: u32, local: u32, kind: SymbolKind, scope: Span) {
        if let Some(notes) = &mut self.index {
            notes.locals.push((callable, local, kind, scope));
        }
    }

    /// Notes the names a constant expression uses (a `const`'s value, a
    /// length, an option): the checker evaluates those without resolving
    /// their names one by one.
    pub(super) fn note_const_expr(&mut self, expr: &Expr<()>) {
        if self.index.is_none() {
            return;
        }
        let mut stack = vec![expr];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Name(name) => {
                    if let Some(&(global, _)) = self.names.get(name) {
                        self.note(e.span, global.target());
                    }
                }
                ExprKind::Call { callee, .. } => match self.names.get(&callee.name) {
                    Some(&(GlobalName::Callable(i), _)) => self.note(callee.span, Target::Callable(i)),
                    _ => {
                        if let Some(builtin) = usim_stdlib::lookup(&callee.name) {
                            self.note(callee.span, Target::Builtin(builtin.name));
                        }
                    }
                },
                ExprKind::StructLit { name, fields } => {
                    if let Some(&(GlobalName::Struct(id), _)) = self.names.get(&name.name) {
                        self.note(name.span, Target::Struct(id));
                        for (field, _) in fields {
                            self.note_field(StructId(id), &field.name, field.span);
                        }
                    }
                }
                _ => {}
            }
            stack.extend(e.children());
        }
    }

    /// Notes a use of a struct's field, if the struct has one of that name.
    pub(super) fn note_field(&mut self, id: StructId, name: &str, span: Span) {
        if self.index.is_none() {
            return;
        }
        let position =
            self.struct_decls.get(id.0 as usize).and_then(|(_, fields)| fields.iter().position(|f| f == name));
        if let Some(field) = position {
            self.note(span, Target::Field { structure: id.0, field: field as u32 });
        }
    }

    /// The index, once everything is checked: the symbols of the items and
    /// of the locals noted, and the uses in the items' constant expressions.
    pub(super) fn name_index(&mut self, notes: IndexNotes) -> NameIndex {
        self.index = Some(IndexNotes { references: notes.references, locals: Vec::new() });
        let module = self.module;
        for item in &module.items {
            match &item.kind {
                ItemKind::Const { value, .. } | ItemKind::Var { value, .. } => self.note_const_expr(value),
                ItemKind::Lock { family, options, .. } | ItemKind::Resource { family, options, .. } => {
                    family.iter().for_each(|f| self.note_const_expr(f));
                    options.iter().filter_map(|o| o.value.as_ref()).for_each(|v| self.note_const_expr(v));
                }
                ItemKind::Queue { family, options, .. } => {
                    family.iter().for_each(|f| self.note_const_expr(f));
                    options.iter().filter_map(|o| o.value.as_ref()).for_each(|v| self.note_const_expr(v));
                }
                ItemKind::Channel { family, .. } => family.iter().for_each(|f| self.note_const_expr(f)),
                ItemKind::Run { roots, until } => {
                    roots.iter().chain(until).for_each(|e| self.note_const_expr(e));
                }
                ItemKind::Param { .. } | ItemKind::Struct { .. } | ItemKind::Fn(_) | ItemKind::Process(_) => {}
            }
        }
        let references = self.index.take().map(|n| n.references).unwrap_or_default();
        let mut symbols = self.item_symbols();
        for (callable, local, kind, scope) in notes.locals {
            let Some(def) = self.program.callables.get(callable as usize) else { continue };
            let Some(l) = def.locals.get(local as usize) else { continue };
            let ty = self.show(&l.ty);
            let detail = match kind {
                SymbolKind::Parameter => {
                    let what = if def.is_process { "process" } else { "fn" };
                    format!("{}: {ty} (a parameter of {what} {})", l.name, def.name)
                }
                SymbolKind::For => format!("for {}: {ty}", l.name),
                _ => format!("let {}: {ty}", l.name),
            };
            symbols.push(Symbol {
                target: Target::Local { callable, local },
                kind,
                name: l.name.clone(),
                span: l.span,
                extent: l.span,
                detail,
                ty: l.ty.clone(),
                scope,
            });
        }
        NameIndex::new(symbols, references, self.program.struct_names())
    }

    /// A symbol per item that defines a name, each struct followed by its fields.
    fn item_symbols(&self) -> Vec<Symbol> {
        let mut symbols = Vec::new();
        let (mut params, mut consts, mut vars, mut structs, mut objects, mut callables) = (0, 0, 0, 0, 0, 0);
        for item in &self.module.items {
            let symbol = |target, kind, name: &crate::ast::Ident, detail: String, ty: Type| Symbol {
                target,
                kind,
                name: name.name.clone(),
                span: name.span,
                extent: item.span,
                detail,
                ty,
                scope: Span::default(),
            };
            match &item.kind {
                ItemKind::Param { name, .. } => {
                    let i = bump(&mut params);
                    let Some(p) = self.program.params.get(i as usize) else { continue };
                    let detail = format!("param {}: {} = {}", name.name, self.show(&p.ty), shown_value(&p.value));
                    symbols.push(symbol(Target::Param(i), SymbolKind::Param, name, detail, p.ty.clone()));
                }
                ItemKind::Const { name, .. } => {
                    let i = bump(&mut consts);
                    let (detail, ty) = match self.consts.get(i as usize).map(|c| &c.2) {
                        Some(ConstState::Done(v)) => {
                            let ty = value_type(v);
                            (format!("const {}: {} = {}", name.name, self.show(&ty), shown_value(v)), ty)
                        }
                        _ => (format!("const {}", name.name), Type::Error),
                    };
                    symbols.push(symbol(Target::Const(i), SymbolKind::Const, name, detail, ty));
                }
                ItemKind::Var { name, .. } => {
                    let i = bump(&mut vars);
                    let Some(g) = self.program.globals.get(i as usize) else { continue };
                    let mut detail = format!("var {}: {}", name.name, self.show(&g.ty));
                    if matches!(g.init, Value::Int(_) | Value::Float(_) | Value::Bool(_)) && g.ty != Type::Error {
                        detail = format!("{detail} = {}", shown_value(&g.init));
                    }
                    symbols.push(symbol(Target::Var(i), SymbolKind::Var, name, detail, g.ty.clone()));
                }
                ItemKind::Struct { name, fields } => {
                    let i = bump(&mut structs);
                    let resolved = self.program.structs.get(i as usize).map(|s| &s.fields[..]).unwrap_or(&[]);
                    let type_of = |k: usize| resolved.get(k).map_or(Type::Error, |(_, t)| t.clone());
                    let shown: Vec<String> = fields
                        .iter()
                        .enumerate()
                        .map(|(k, (f, _))| format!("{}: {}", f.name, self.show(&type_of(k))))
                        .collect();
                    let detail = format!("struct {} {{ {} }}", name.name, shown.join(", "));
                    symbols.push(symbol(
                        Target::Struct(i),
                        SymbolKind::Struct,
                        name,
                        detail,
                        Type::Struct(StructId(i)),
                    ));
                    for (k, (field, written)) in fields.iter().enumerate() {
                        let ty = type_of(k);
                        symbols.push(Symbol {
                            target: Target::Field { structure: i, field: k as u32 },
                            kind: SymbolKind::Field,
                            name: field.name.clone(),
                            span: field.span,
                            extent: field.span.to(written.span),
                            detail: format!("{}.{}: {}", name.name, field.name, self.show(&ty)),
                            ty,
                            scope: Span::default(),
                        });
                    }
                }
                ItemKind::Lock { name, .. }
                | ItemKind::Channel { name, .. }
                | ItemKind::Queue { name, .. }
                | ItemKind::Resource { name, .. } => {
                    let i = bump(&mut objects);
                    let Some(o) = self.program.objects.get(i as usize) else { continue };
                    let (word, kind) = match &o.kind {
                        ObjectKind::Lock => ("lock", SymbolKind::Lock),
                        ObjectKind::Channel(_) => ("channel", SymbolKind::Channel),
                        ObjectKind::Queue(_) => ("queue", SymbolKind::Queue),
                        ObjectKind::Resource => ("resource", SymbolKind::Resource),
                    };
                    let mut detail = format!("{word} {}", name.name);
                    match o.family {
                        Some(UNKNOWN_LEN) => detail.push_str("[?]"),
                        Some(n) => detail.push_str(&format!("[{n}]")),
                        None => {}
                    }
                    if let ObjectKind::Channel(t) | ObjectKind::Queue(t) = &o.kind {
                        detail.push_str(&format!(": {}", self.show(t)));
                    }
                    if !o.options.is_empty() {
                        let options: Vec<String> = o
                            .options
                            .iter()
                            .map(|(n, v)| match v {
                                Value::Bool(true) if n == "preemptive" => n.clone(),
                                v => format!("{n}: {}", shown_value(v)),
                            })
                            .collect();
                        detail.push_str(&format!("({})", options.join(", ")));
                    }
                    symbols.push(symbol(Target::Object(i), kind, name, detail, Type::Object(o.kind.clone())));
                }
                ItemKind::Fn(c) | ItemKind::Process(c) => {
                    let i = bump(&mut callables);
                    let Some(sig) = self.signatures.get(i as usize) else { continue };
                    let params: Vec<String> =
                        sig.params.iter().map(|(n, t)| format!("{n}: {}", self.show(t))).collect();
                    let (word, kind) =
                        if sig.is_process { ("process", SymbolKind::Process) } else { ("fn", SymbolKind::Fn) };
                    let mut detail = format!("{word} {}({})", c.name.name, params.join(", "));
                    if sig.ret != Type::Unit {
                        detail.push_str(&format!(" -> {}", self.show(&sig.ret)));
                    }
                    symbols.push(symbol(Target::Callable(i), kind, &c.name, detail, sig.ret.clone()));
                }
                ItemKind::Run { .. } => {}
            }
        }
        symbols
    }
}

/// The type of a constant's value.
fn value_type(v: &Value) -> Type {
    match v {
        Value::Int(_) => Type::Int,
        Value::Float(_) => Type::Float,
        Value::Bool(_) => Type::Bool,
        Value::Struct(_) | Value::Array(_) => Type::Error,
    }
}

/// A constant as a model writes it: `5`, `2.0`, `1e-7`, `true`.
fn shown_value(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => super::shown::float_literal(*f).0,
        Value::Bool(b) => b.to_string(),
        Value::Struct(_) => "{ ... }".to_string(),
        Value::Array(_) => "[...]".to_string(),
    }
}
