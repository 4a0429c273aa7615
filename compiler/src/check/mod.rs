//! Name resolution and type checking. Collects every problem it finds and
//! turns the parsed module into a [`Program`]: names resolved, constants
//! folded, bodies typed with implicit conversions made explicit.

mod body;
pub mod consteval;
mod names;
mod python;
mod shown;

use std::collections::HashMap;

use crate::ast::{Callable, Expr, ExprKind, ItemKind, Module, ObjOption, TypeExpr, TypeExprKind};
use crate::diagnostic::Diagnostic;
use crate::index::{NameIndex, Reference, SymbolKind, Target};
use crate::program::{CallableDef, GlobalDef, ObjectDef, ParamDef, Program, RootCall, StructDef, Value, UNKNOWN_LEN};
use crate::span::Span;
use crate::types::{ObjectKind, StructId, Type, TypeDisplay};
use consteval::ConstEnv;

/// What a top-level name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GlobalName {
    Param(u32),
    Const(u32),
    Var(u32),
    Struct(u32),
    Object(u32),
    Callable(u32),
}

/// A `--set NAME=VALUE` that does not fit the model: a command-line error.
#[derive(Clone, Debug, PartialEq)]
pub struct OverrideError(pub String);

/// The outcome of checking: a program when there was no error, and every
/// diagnostic (warnings included).
pub struct Checked {
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
    pub override_error: Option<OverrideError>,
}

/// The state of one `const` during lazy evaluation.
#[derive(Clone)]
enum ConstState {
    Pending,
    InProgress,
    Done(Value),
    Failed,
}

/// The signature of a `fn` or `process`.
#[derive(Clone, Debug)]
struct Signature {
    name: String,
    is_process: bool,
    params: Vec<(String, Type)>,
    ret: Type,
}

struct Checker<'m> {
    module: &'m Module<()>,
    diagnostics: Vec<Diagnostic>,
    names: HashMap<String, (GlobalName, Span)>,
    program: Program,
    consts: Vec<(String, &'m Expr<()>, ConstState)>,
    /// Struct name -> its declared fields, before their types are resolved.
    struct_decls: Vec<(String, Vec<String>)>,
    signatures: Vec<Signature>,
    /// Values the global `var`s hold so far.
    global_values: u64,
    /// Whether bodies are being checked: a name a constant expression there
    /// does not know may be a local, so it is "not a constant", not unknown.
    in_body: bool,
    /// Per callable, whether it is a `fn` whose call may end the run (it, or
    /// a `fn` it calls, has a `stop` or `fail`).
    ends_run: Vec<bool>,
    /// What the name index is made of, when one was asked for.
    index: Option<IndexNotes>,
}

/// The uses of names and the locals met so far, for the name index.
#[derive(Default)]
struct IndexNotes {
    references: Vec<Reference>,
    /// Per local declared: its callable, its id, its kind and where it is visible.
    locals: Vec<(u32, u32, SymbolKind, Span)>,
}

impl GlobalName {
    fn target(self) -> Target {
        match self {
            GlobalName::Param(i) => Target::Param(i),
            GlobalName::Const(i) => Target::Const(i),
            GlobalName::Var(i) => Target::Var(i),
            GlobalName::Struct(i) => Target::Struct(i),
            GlobalName::Object(i) => Target::Object(i),
            GlobalName::Callable(i) => Target::Callable(i),
        }
    }
}

/// Checks a parsed module. `overrides` are the `--set` pairs, applied to params.
pub fn check(module: &Module<()>, overrides: &[(String, String)]) -> Checked {
    check_with(module, overrides, false).0
}

/// Checks a parsed module as [`check`] does, and makes its name index.
pub fn check_indexed(module: &Module<()>, overrides: &[(String, String)]) -> (Checked, NameIndex) {
    let (checked, index) = check_with(module, overrides, true);
    (checked, index.unwrap_or_default())
}

fn check_with(module: &Module<()>, overrides: &[(String, String)], index: bool) -> (Checked, Option<NameIndex>) {
    let mut checker = Checker {
        module,
        diagnostics: Vec::new(),
        names: HashMap::new(),
        program: Program::default(),
        consts: Vec::new(),
        struct_decls: Vec::new(),
        signatures: Vec::new(),
        global_values: 0,
        in_body: false,
        ends_run: Vec::new(),
        index: index.then(IndexNotes::default),
    };
    checker.collect_names();
    checker.resolve_structs();
    let override_error = checker.params(overrides);
    checker.consts();
    checker.vars_and_objects();
    checker.signatures();
    checker.run_item();
    checker.bodies();
    let index = checker.index.take().map(|notes| checker.name_index(notes));
    let has_errors = checker.diagnostics.iter().any(Diagnostic::is_error);
    checker.diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let checked = Checked {
        program: (!has_errors && override_error.is_none()).then_some(checker.program),
        diagnostics: checker.diagnostics,
        override_error,
    };
    (checked, index)
}

/// Names longer than this many characters get no suggestion.
const SUGGEST_MAX_LEN: usize = 64;

/// Suggests the closest of `candidates` to a misspelt `name`: the one at the
/// smallest edit distance (a character inserted, deleted or replaced, or two
/// neighbours swapped), which must be at most 2 or a third of the name's
/// length, and less than the longer of the two lengths. Ties go to the
/// alphabetically first, so the order of `candidates` does not matter.
///
/// The work per candidate is bounded, so a lookup costs about as much as
/// listing the candidates: a candidate whose length differs by more than the
/// bound, or (for ASCII names) with more letters than the bound that the name
/// lacks, is skipped after a glance; the distance itself is computed in a band
/// of the bound's width and given up as soon as it exceeds the bound, which
/// tightens to the best distance found so far.
pub(crate) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted: Vec<char> = name.chars().take(SUGGEST_MAX_LEN + 1).collect();
    let n = wanted.len();
    if n == 0 || n > SUGGEST_MAX_LEN {
        return None;
    }
    let ascii = name.is_ascii();
    // For an ASCII name: which letters it has, and how many of each.
    let (mut letters, mut counts) = (0u128, [0i16; 128]);
    if ascii {
        for &b in name.as_bytes() {
            letters |= 1u128 << b;
            counts[usize::from(b)] += 1;
        }
    }
    let mut rows: [Vec<usize>; 3] = Default::default();
    let mut chars: Vec<char> = Vec::new();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let bound = best.map_or(2.max(n / 3), |(d, _)| d);
        let bytes = c.as_bytes();
        // A character is 1 to 4 bytes.
        if bytes.len() + bound < n || bytes.len() > 4 * (n + bound) {
            continue;
        }
        let d = match ascii.then(|| foreign_letters(letters, bytes, bound)).flatten() {
            Some(foreign) if foreign > bound => continue,
            Some(_) => {
                // The distance must also be below the longer length.
                let bound = bound.min(bytes.len().max(n) - 1);
                if bytes.len().abs_diff(n) > bound || unmatched_letters(&mut counts, n, bytes) > bound {
                    continue;
                }
                osa_within(name.as_bytes(), bytes, bound, &mut rows)
            }
            None => {
                chars.clear();
                chars.extend(c.chars());
                let bound = bound.min(chars.len().max(n) - 1);
                osa_within(&wanted, &chars, bound, &mut rows)
            }
        };
        if let Some(d) = d.filter(|&d| d > 0) {
            if best.is_none_or(|b| (d, c) < b) {
                best = Some((d, c));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// How many letters of an ASCII `candidate` are not letters of the name (the
/// set `letters`), counting up to `bound + 1`; `None` if the candidate is not
/// ASCII. Each needs an edit, so this is a lower bound of the distance.
fn foreign_letters(letters: u128, candidate: &[u8], bound: usize) -> Option<usize> {
    let mut foreign = 0;
    for &b in candidate {
        if b >= 128 {
            return None;
        }
        if letters & (1u128 << b) == 0 {
            foreign += 1;
            if foreign > bound {
                break;
            }
        }
    }
    Some(foreign)
}

/// Of two ASCII words, the name (of `n` letters, counted in `counts`) and
/// `candidate`: the larger of the number of the candidate's letters left over
/// when each is matched with an equal letter of the name, and the number of
/// the name's left over. An edit changes at most one letter on each side and a
/// swap none, so this is a lower bound of the distance. `counts` is restored.
fn unmatched_letters(counts: &mut [i16; 128], n: usize, candidate: &[u8]) -> usize {
    let mut extra = 0;
    for &b in candidate {
        let count = &mut counts[usize::from(b)];
        extra += usize::from(*count <= 0);
        *count -= 1;
    }
    for &b in candidate {
        counts[usize::from(b)] += 1;
    }
    extra.max(n - (candidate.len() - extra))
}

/// The edit distance of `a` and `b` with swaps of neighbours (optimal string
/// alignment) if it is at most `bound`, else `None`. Only cells within `bound`
/// of the diagonal are computed (the others exceed it), and the computation
/// stops at the first row whose cells all exceed `bound`: a row's minimum
/// never decreases. `rows` is scratch space.
fn osa_within<T: PartialEq>(a: &[T], b: &[T], bound: usize, rows: &mut [Vec<usize>; 3]) -> Option<usize> {
    if a.len().abs_diff(b.len()) > bound {
        return None;
    }
    let far = bound + 1;
    let width = b.len() + 1;
    let [before, prev, cur] = rows;
    for row in [&mut *before, &mut *prev, &mut *cur] {
        row.clear();
        row.resize(width, far);
    }
    for (j, cell) in prev.iter_mut().enumerate().take(far.min(width)) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let lo = i.saturating_sub(bound).max(1);
        let hi = (i + bound).min(b.len());
        cur[lo - 1] = if lo == 1 { i } else { far };
        if hi + 1 < width {
            cur[hi + 1] = far;
        }
        let mut row_min = cur[lo - 1];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            let d = d.min(far);
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > bound {
            return None;
        }
        std::mem::swap(before, prev);
        std::mem::swap(prev, cur);
    }
    let d = prev[b.len()];
    (d <= bound).then_some(d)
}

impl<'m> Checker<'m> {
    fn error(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn show(&self, ty: &Type) -> String {
        let names: Vec<String> = self.struct_decls.iter().map(|(n, _)| n.clone()).collect();
        TypeDisplay { ty, struct_names: &names }.to_string()
    }

    fn collect_names(&mut self) {
        let mut run_span: Option<Span> = None;
        let (mut params, mut consts, mut vars, mut structs, mut objects, mut callables) = (0, 0, 0, 0, 0, 0);
        for item in &self.module.items {
            let (ident, name) = match &item.kind {
                ItemKind::Param { name, .. } => (name, GlobalName::Param(bump(&mut params))),
                ItemKind::Const { name, value } => {
                    self.consts.push((name.name.clone(), value, ConstState::Pending));
                    (name, GlobalName::Const(bump(&mut consts)))
                }
                ItemKind::Var { name, .. } => (name, GlobalName::Var(bump(&mut vars))),
                ItemKind::Struct { name, fields } => {
                    self.struct_decls.push((name.name.clone(), fields.iter().map(|(f, _)| f.name.clone()).collect()));
                    (name, GlobalName::Struct(bump(&mut structs)))
                }
                ItemKind::Lock { name, .. }
                | ItemKind::Channel { name, .. }
                | ItemKind::Queue { name, .. }
                | ItemKind::Resource { name, .. } => (name, GlobalName::Object(bump(&mut objects))),
                ItemKind::Fn(c) | ItemKind::Process(c) => (&c.name, GlobalName::Callable(bump(&mut callables))),
                ItemKind::Run { .. } => {
                    if let Some(first) = run_span {
                        self.diagnostics.push(
                            Diagnostic::error("E0102", "a model has exactly one `run` item", item.span)
                                .with_label("second `run`")
                                .with_secondary(first, "first `run` here"),
                        );
                    } else {
                        run_span = Some(item.span);
                    }
                    continue;
                }
            };
            if matches!(ident.name.as_str(), "int" | "float" | "bool" | "proc") && matches!(name, GlobalName::Struct(_))
            {
                self.diagnostics.push(
                    Diagnostic::error("E0101", format!("`{}` is a built-in type name", ident.name), ident.span)
                        .with_label("choose another name"),
                );
            }
            if let Some((_, first)) = self.names.get(&ident.name) {
                let first = *first;
                self.diagnostics.push(
                    Diagnostic::error("E0101", format!("`{}` is defined more than once", ident.name), ident.span)
                        .with_label("defined again here")
                        .with_secondary(first, "first defined here")
                        .with_note("names are unique across the whole model file"),
                );
            } else {
                self.names.insert(ident.name.clone(), (name, ident.span));
            }
        }
        if run_span.is_none() {
            let end = self.module.items.last().map_or(0, |i| i.span.end);
            self.diagnostics.push(
                Diagnostic::error("E0103", "the model has no `run` item", Span { start: end, end })
                    .with_note("add a line such as `run main()` naming the processes to start"),
            );
        }
    }

    /// Resolves struct field types and rejects structs that contain themselves.
    fn resolve_structs(&mut self) {
        // Placeholders first, so a field may name a struct declared further down
        // (sizes of still-empty placeholders count as zero while resolving).
        for (name, _) in &self.struct_decls {
            self.program.structs.push(StructDef { name: name.clone(), fields: Vec::new(), span: Span::default() });
        }
        let mut index = 0;
        for item in &self.module.items {
            if let ItemKind::Struct { name, fields } = &item.kind {
                let mut resolved = Vec::new();
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for (field, ty) in fields {
                    if let Some(first) = seen.insert(&field.name, field.span) {
                        self.error(
                            Diagnostic::error("E0109", format!("field `{}` is declared twice", field.name), field.span)
                                .with_secondary(first, "first declared here"),
                        );
                    }
                    let ty = self.resolve_type(ty);
                    resolved.push((field.name.clone(), ty));
                }
                self.program.structs[index] = StructDef { name: name.name.clone(), fields: resolved, span: name.span };
                index += 1;
            }
        }
        // A struct that contains itself (directly or through others) has no finite size.
        let structs = self.program.structs.len();
        let edges: Vec<Vec<usize>> = (0..structs).map(|id| self.struct_edges(id)).collect();
        for cycle in structs_on_cycles(&edges) {
            // One error per group of structs that contain each other: at the
            // first declared of them.
            let def = &self.program.structs[cycle[0]];
            let d = Diagnostic::error("E0104", format!("struct `{}` contains itself", def.name), def.span)
                .with_label("a struct value cannot contain a value of its own type");
            self.error(d);
            // Break the cycles so later size computations terminate.
            for id in cycle {
                self.program.structs[id].fields.clear();
            }
        }
        self.struct_widths(&edges);
        self.check_struct_sizes();
    }

    /// The structs that the fields of struct `id` hold, through arrays too.
    fn struct_edges(&self, id: usize) -> Vec<usize> {
        self.program.structs[id]
            .fields
            .iter()
            .filter_map(|(_, ty)| {
                let mut ty = ty;
                while let Type::Array(elem, _) = ty {
                    ty = elem;
                }
                match ty {
                    Type::Struct(s) => Some(s.0 as usize),
                    _ => None,
                }
            })
            .collect()
    }

    /// Computes every struct's width once, fields before the structs that
    /// hold them (the cycles are broken already), without recursion: a long
    /// chain of structs nests as deep as it is long.
    fn struct_widths(&mut self, edges: &[Vec<usize>]) {
        let structs = self.program.structs.len();
        let mut widths: Vec<Option<u32>> = vec![None; structs];
        for root in 0..structs {
            let mut stack = vec![root];
            while let Some(&id) = stack.last() {
                if widths[id].is_some() {
                    stack.pop();
                    continue;
                }
                // Cleared structs (on a cycle) have no edges left to follow.
                let live = !self.program.structs[id].fields.is_empty();
                let pending: Vec<usize> =
                    edges[id].iter().copied().filter(|&s| live && widths[s].is_none() && s != id).collect();
                if pending.is_empty() {
                    let mut width = 0u32;
                    for (_, ty) in &self.program.structs[id].fields {
                        width = width.saturating_add(field_width(ty, &widths, &self.program));
                    }
                    widths[id] = Some(width);
                    stack.pop();
                } else {
                    stack.extend(pending);
                }
            }
        }
        self.program.struct_widths = widths.into_iter().map(|w| w.unwrap_or(0)).collect();
    }

    /// A struct holds at most as many values as an array may, nested structs
    /// and arrays counted in full; so does every array inside one.
    fn check_struct_sizes(&mut self) {
        let limit = consteval::MAX_ARRAY_LEN as u64;
        let mut index = 0;
        for item in &self.module.items {
            let ItemKind::Struct { name, fields } = &item.kind else { continue };
            let id = index;
            index += 1;
            let width = u64::from(self.program.struct_widths[id]);
            if width > limit {
                let d = Diagnostic::error(
                    "E0114",
                    format!("struct `{}` holds {width} values, more than {limit}", name.name),
                    name.span,
                )
                .with_label("too large")
                .with_note(
                    "a value of any type, nested structs and arrays counted in full, holds at most 1048576 values",
                );
                self.error(d);
                continue;
            }
            for ((_, written), (_, ty)) in fields.iter().zip(self.program.structs[id].fields.clone()) {
                if u64::from(self.program.width(&ty)) > limit {
                    let d = Diagnostic::error(
                        "E0114",
                        format!("this array is too large (at most {limit} values in all)"),
                        written.span,
                    )
                    .with_label("too large");
                    self.error(d);
                }
            }
        }
    }

    /// Adds a var's values to the globals block; reports, once, the var that
    /// takes it over its limit.
    fn count_global_values(&mut self, name: &str, ty: &Type, span: Span) {
        let before = self.global_values;
        self.global_values = before.saturating_add(u64::from(self.program.width(ty)));
        if self.global_values > consteval::MAX_GLOBAL_VALUES && before <= consteval::MAX_GLOBAL_VALUES {
            let d = Diagnostic::error(
                "E0115",
                format!("the global `var`s hold more than {} values", consteval::MAX_GLOBAL_VALUES),
                span,
            )
            .with_label(format!("`{name}` takes them to {}", self.global_values))
            .with_note(format!(
                "all global `var`s together hold at most {} values (128 MiB)",
                consteval::MAX_GLOBAL_VALUES
            ));
            self.error(d);
        }
    }

    /// Resolves a written type. Unknown names are reported and become `Type::Error`.
    fn resolve_type(&mut self, ty: &TypeExpr) -> Type {
        match &ty.kind {
            TypeExprKind::Named(name) => match name.as_str() {
                "int" => Type::Int,
                "float" => Type::Float,
                "bool" => Type::Bool,
                "proc" => Type::Proc(Box::new(Type::Unit)),
                _ => match self.names.get(name) {
                    Some((GlobalName::Struct(id), _)) => {
                        let id = *id;
                        self.note(ty.span, Target::Struct(id));
                        Type::Struct(StructId(id))
                    }
                    _ => {
                        let mut candidates: Vec<&str> = vec!["int", "float", "bool"];
                        candidates.extend(self.struct_decls.iter().map(|(n, _)| n.as_str()));
                        let mut d = Diagnostic::error("E0106", format!("unknown type `{name}`"), ty.span)
                            .with_label("not a type");
                        if let Some(note) = python::type_name(name) {
                            d = d.with_note(note);
                        } else if let Some(s) = closest(name, candidates.into_iter()) {
                            d = d.with_note(format!("did you mean `{s}`?"));
                        }
                        self.error(d);
                        Type::Error
                    }
                },
            },
            TypeExprKind::Array(elem, len) => {
                let elem = self.resolve_type(elem);
                self.note_const_expr(len);
                match consteval::array_len(len, self, "an array") {
                    Ok(n) if (self.program.width(&elem) as u64).saturating_mul(n) > consteval::MAX_ARRAY_LEN as u64 => {
                        self.error(
                            Diagnostic::error(
                                "E0114",
                                format!("this array is too large (at most {} values in all)", consteval::MAX_ARRAY_LEN),
                                ty.span,
                            )
                            .with_label("too large"),
                        );
                        Type::Error
                    }
                    Ok(n) => Type::Array(Box::new(elem), n),
                    Err(d) => {
                        if let Some(d) = d {
                            self.error(*d);
                        }
                        Type::Error
                    }
                }
            }
            TypeExprKind::Proc(ret) => Type::Proc(Box::new(ret.as_ref().map_or(Type::Unit, |t| self.resolve_type(t)))),
        }
    }

    fn params(&mut self, overrides: &[(String, String)]) -> Option<OverrideError> {
        for item in &self.module.items {
            let ItemKind::Param { name, ty, value } = &item.kind else { continue };
            let ty = self.resolve_type(ty);
            if !matches!(ty, Type::Int | Type::Float | Type::Bool | Type::Error) {
                let d = Diagnostic::error("E0112", "a `param` must be an int, a float or a bool", item.span)
                    .with_label(format!("`{}` has type {}", name.name, self.show(&ty)));
                self.error(d);
            }
            let literal = literal_value(value);
            let value = match (literal, &ty) {
                (Some(Value::Int(v)), Type::Float) => Value::Float(v as f64),
                (Some(v), _) if value_fits(&v, &ty) => v,
                (Some(v), _) => {
                    let d = Diagnostic::error(
                        "E0201",
                        format!("`{}` is declared {} but its value is {}", name.name, self.show(&ty), value_kind(&v)),
                        value.span,
                    )
                    .with_label(format!("expected {}", self.show(&ty)));
                    self.error(d);
                    Value::Int(0)
                }
                (None, _) => {
                    self.error(
                        Diagnostic::error("E0112", "a `param` value must be a literal", value.span)
                            .with_label("write a number or `true`/`false` here")
                            .with_note("use a `const` for a computed value"),
                    );
                    Value::Int(0)
                }
            };
            self.program.params.push(ParamDef { name: name.name.clone(), ty, value });
        }
        let mut seen: Vec<&str> = Vec::new();
        for (name, text) in overrides {
            if seen.contains(&name.as_str()) {
                return Some(OverrideError(format!("--set {name} is given twice; give each param once")));
            }
            seen.push(name);
            let Some(param) = self.program.params.iter_mut().find(|p| &p.name == name) else {
                let known: Vec<&str> = self.program.params.iter().map(|p| p.name.as_str()).collect();
                let list = if known.is_empty() {
                    "the model has no params".to_string()
                } else {
                    format!("its params are: {}", known.join(", "))
                };
                return Some(OverrideError(format!("--set {name}: the model has no param `{name}`; {list}")));
            };
            let text = text.trim();
            let parsed = match (param.ty.clone(), set_literal(text)) {
                (Type::Int, Some(Value::Int(v))) => Some(Value::Int(v)),
                (Type::Float, Some(Value::Int(v))) => Some(Value::Float(v as f64)),
                (Type::Float, Some(Value::Float(v))) => Some(Value::Float(v)),
                (Type::Bool, Some(Value::Bool(v))) => Some(Value::Bool(v)),
                _ => None,
            };
            match parsed {
                Some(v) => param.value = v,
                None => {
                    let (ty, like) = match param.ty {
                        Type::Int => ("an int", "like 10, -3 or 1_000"),
                        Type::Float => ("a float", "like 2.5, 1e-3 or 10; not inf or nan"),
                        _ => ("a bool", "true or false"),
                    };
                    return Some(OverrideError(format!(
                        "--set {name}={text}: `{name}` is {ty}; give a literal as a model would write it ({like})"
                    )));
                }
            }
        }
        None
    }

    fn consts(&mut self) {
        for index in 0..self.consts.len() {
            let _ = self.const_value(index);
        }
    }

    /// Evaluates a `const` on first use, so consts may refer to each other in any order.
    fn const_value(&mut self, index: usize) -> Result<Value, ()> {
        match &self.consts[index].2 {
            ConstState::Done(v) => return Ok(v.clone()),
            ConstState::Failed => return Err(()),
            ConstState::InProgress => {
                let (name, expr) = (self.consts[index].0.clone(), self.consts[index].1);
                self.error(
                    Diagnostic::error("E0113", format!("the value of `{name}` depends on itself"), expr.span)
                        .with_label("this refers back to the constant being defined"),
                );
                self.consts[index].2 = ConstState::Failed;
                return Err(());
            }
            ConstState::Pending => {}
        }
        self.consts[index].2 = ConstState::InProgress;
        let expr = self.consts[index].1;
        let result = consteval::eval(expr, self);
        let state = match result {
            Ok(Value::Struct(_) | Value::Array(_)) => {
                self.error(
                    Diagnostic::error("E0110", "a `const` must be an int, a float or a bool", expr.span)
                        .with_note("use a `var` for a struct or an array"),
                );
                ConstState::Failed
            }
            Ok(v) => ConstState::Done(v),
            Err(d) => {
                if let Some(d) = d {
                    self.error(*d);
                }
                ConstState::Failed
            }
        };
        // A cycle may have marked this const failed while it was in progress.
        if !matches!(self.consts[index].2, ConstState::Failed) {
            self.consts[index].2 = state;
        }
        match &self.consts[index].2 {
            ConstState::Done(v) => Ok(v.clone()),
            _ => Err(()),
        }
    }

    fn eval_const_expr(&mut self, expr: &Expr<()>) -> Option<Value> {
        match consteval::eval(expr, self) {
            Ok(v) => Some(v),
            Err(d) => {
                if let Some(d) = d {
                    self.error(*d);
                }
                None
            }
        }
    }

    /// W0003 when a constant int division becomes a float: `var r: float = 3 / 4`.
    fn warn_const_division(&mut self, expr: &Expr<()>, value: &Value, ty: &Type, how: &str) {
        if !matches!((value, ty), (Value::Int(_), Type::Float)) || !shown::has_int_division(expr) {
            return;
        }
        let shower = shown::Shower { special: &|_| None, callable: &|_| String::new() };
        let fix = shower.as_float(expr);
        let quotient = shower.show(expr).map(|q| format!("const Q = {q}"));
        self.error(int_division_warning(expr.span, how, fix, quotient));
    }

    fn vars_and_objects(&mut self) {
        for item in &self.module.items {
            match &item.kind {
                ItemKind::Var { name, ty, value } => {
                    let ty = self.resolve_type(ty);
                    if u64::from(self.program.width(&ty)) > consteval::MAX_ARRAY_LEN as u64 {
                        // Its struct type was reported as too large; building
                        // the initial value would take memory out of all
                        // proportion.
                        self.program.globals.push(GlobalDef {
                            name: name.name.clone(),
                            ty: Type::Error,
                            init: Value::Int(0),
                            span: name.span,
                        });
                        continue;
                    }
                    let evaluated = self.eval_const_expr(value);
                    if let Some(v) = &evaluated {
                        self.warn_const_division(value, v, &ty, "an int division, then held as a float");
                    }
                    let init = match evaluated {
                        Some(v) => match coerce_value(v, &ty, &self.program) {
                            Ok(v) => v,
                            Err(found) => {
                                let d = Diagnostic::error(
                                    "E0201",
                                    format!(
                                        "`{}` is declared {} but its initial value is {found}",
                                        name.name,
                                        self.show(&ty)
                                    ),
                                    value.span,
                                )
                                .with_label(format!("expected {}", self.show(&ty)));
                                self.error(d);
                                default_value(&ty, &self.program)
                            }
                        },
                        None => default_value(&ty, &self.program),
                    };
                    if matches!(ty, Type::Proc(_)) {
                        self.error(
                            Diagnostic::error("E0201", "a global `var` cannot hold a process handle", item.span)
                                .with_note("keep handles in locals"),
                        );
                    }
                    self.count_global_values(&name.name, &ty, name.span);
                    self.program.globals.push(GlobalDef { name: name.name.clone(), ty, init, span: name.span });
                }
                ItemKind::Lock { name, family, options } => {
                    let family = self.family(family);
                    let options = self.object_options(options, &["capacity", "preemptive"]);
                    self.push_object(name.name.clone(), ObjectKind::Lock, family, options, name.span);
                }
                ItemKind::Resource { name, family, options } => {
                    let family = self.family(family);
                    let options = self.object_options(options, &["capacity", "level"]);
                    let number = |name: &str| {
                        options.iter().find(|(n, _)| n == name).map(|(_, v)| match v {
                            Value::Int(n) => *n as f64,
                            Value::Float(f) => *f,
                            _ => 0.0,
                        })
                    };
                    if let (Some(capacity), Some(level)) = (number("capacity"), number("level")) {
                        if level > capacity {
                            let d = Diagnostic::error(
                                "E0116",
                                format!("the level {level} is above the capacity {capacity}"),
                                name.span,
                            )
                            .with_label("a resource starts at most full");
                            self.error(d);
                        }
                    }
                    self.push_object(name.name.clone(), ObjectKind::Resource, family, options, name.span);
                }
                ItemKind::Channel { name, family, ty } => {
                    let family = self.family(family);
                    let ty = self.resolve_type(ty);
                    self.push_object(
                        name.name.clone(),
                        ObjectKind::Channel(Box::new(ty)),
                        family,
                        Vec::new(),
                        name.span,
                    );
                }
                ItemKind::Queue { name, family, ty, options } => {
                    let family = self.family(family);
                    let ty = self.resolve_type(ty);
                    let options = self.object_options(options, &["capacity"]);
                    self.push_object(name.name.clone(), ObjectKind::Queue(Box::new(ty)), family, options, name.span);
                }
                _ => {}
            }
        }
    }

    fn push_object(
        &mut self,
        name: String,
        kind: ObjectKind,
        family: Option<u64>,
        options: Vec<(String, Value)>,
        span: Span,
    ) {
        self.program.objects.push(ObjectDef { name, kind, family, options, span });
    }

    fn family(&mut self, family: &Option<Expr<()>>) -> Option<u64> {
        let expr = family.as_ref()?;
        match consteval::array_len(expr, self, "a family") {
            Ok(n) => Some(n),
            Err(d) => {
                if let Some(d) = d {
                    self.error(*d);
                }
                // Still a family, so its uses raise no errors of their own.
                Some(UNKNOWN_LEN)
            }
        }
    }

    fn object_options(&mut self, options: &[ObjOption<()>], allowed: &[&str]) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for (k, option) in options.iter().enumerate() {
            if !allowed.contains(&option.name.name.as_str()) {
                let mut d =
                    Diagnostic::error("E0116", format!("unknown option `{}`", option.name.name), option.name.span)
                        .with_label("not an option here");
                d = match closest(&option.name.name, allowed.iter().copied()) {
                    Some(s) => d.with_note(format!("did you mean `{s}`?")),
                    None => d.with_note(format!("the options here are: {}", allowed.join(", "))),
                };
                self.error(d);
                continue;
            }
            if let Some(first) = options[..k].iter().find(|o| o.name.name == option.name.name) {
                let d = Diagnostic::error("E0116", format!("`{}` is given twice", option.name.name), option.name.span)
                    .with_label("given again here")
                    .with_secondary(first.name.span, "first given here")
                    .with_note("give each option once");
                self.error(d);
                continue;
            }
            let value = match &option.value {
                Some(expr) => match self.eval_const_expr(expr) {
                    Some(v) => v,
                    None => continue,
                },
                None if option.name.name == "preemptive" => Value::Bool(true),
                None => {
                    self.error(Diagnostic::error(
                        "E0116",
                        format!("option `{}` needs a value", option.name.name),
                        option.name.span,
                    ));
                    continue;
                }
            };
            let ok = match option.name.name.as_str() {
                "capacity" if allowed.contains(&"level") => {
                    matches!(value, Value::Int(n) if n > 0) || matches!(value, Value::Float(f) if f > 0.0)
                }
                "capacity" => matches!(value, Value::Int(n) if n > 0),
                "level" => matches!(value, Value::Int(n) if n >= 0) || matches!(value, Value::Float(f) if f >= 0.0),
                _ => matches!(value, Value::Bool(_)),
            };
            if !ok {
                let want = match option.name.name.as_str() {
                    "capacity" if allowed.contains(&"level") => "a positive number",
                    "capacity" => "a positive int",
                    "level" => "a number >= 0",
                    _ => "true or false",
                };
                let span = option.value.as_ref().map_or(option.name.span, |e| e.span);
                let got = match &value {
                    Value::Int(n) => n.to_string(),
                    Value::Float(f) => f.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => "this".to_string(),
                };
                let mut d = Diagnostic::error("E0116", format!("`{}` must be {want}", option.name.name), span)
                    .with_label(format!("got {got}"));
                if option.name.name == "capacity" && allowed == ["capacity"] {
                    d = d.with_note("a bounded queue holds at least one item; leave out `capacity` for no bound");
                }
                self.error(d);
                continue;
            }
            out.push((option.name.name.clone(), value));
        }
        out
    }

    fn signatures(&mut self) {
        for item in &self.module.items {
            let (callable, is_process): (&Callable<()>, bool) = match &item.kind {
                ItemKind::Fn(c) => (c, false),
                ItemKind::Process(c) => (c, true),
                _ => continue,
            };
            let mut params = Vec::new();
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for (name, ty) in &callable.params {
                if let Some(first) = seen.insert(&name.name, name.span) {
                    self.error(
                        Diagnostic::error("E0101", format!("parameter `{}` is declared twice", name.name), name.span)
                            .with_secondary(first, "first declared here"),
                    );
                }
                let ty = self.resolve_type(ty);
                params.push((name.name.clone(), ty));
            }
            let ret = callable.ret.as_ref().map_or(Type::Unit, |t| self.resolve_type(t));
            self.signatures.push(Signature { name: callable.name.name.clone(), is_process, params, ret });
        }
    }

    fn run_item(&mut self) {
        let Some((roots, until)) = self.module.items.iter().find_map(|i| match &i.kind {
            ItemKind::Run { roots, until } => Some((roots, until)),
            _ => None,
        }) else {
            return;
        };
        for root in roots {
            let ExprKind::Call { callee, args } = &root.kind else {
                self.error(
                    Diagnostic::error("E0225", "`run` lists process calls, such as `run source(), clock()`", root.span)
                        .with_label("not a process call"),
                );
                continue;
            };
            let index = match self.names.get(&callee.name) {
                Some((GlobalName::Callable(i), _)) if self.signatures[*i as usize].is_process => *i,
                Some((GlobalName::Callable(_), _)) => {
                    self.error(
                        Diagnostic::error(
                            "E0225",
                            format!("`{}` is a `fn`; `run` starts processes", callee.name),
                            callee.span,
                        )
                        .with_label("not a process"),
                    );
                    continue;
                }
                // A process whose name was taken twice is already reported (E0101).
                _ if self.signatures.iter().any(|s| s.name == callee.name) => continue,
                _ => {
                    let candidates: Vec<&str> =
                        self.signatures.iter().filter(|s| s.is_process).map(|s| s.name.as_str()).collect();
                    let mut d = Diagnostic::error("E0107", format!("unknown process `{}`", callee.name), callee.span)
                        .with_label("no process of this name");
                    if let Some(s) = closest(&callee.name, candidates.into_iter()) {
                        d = d.with_note(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                    continue;
                }
            };
            let sig = self.signatures[index as usize].clone();
            if args.len() != sig.params.len() {
                self.error(arity_error(&sig.name, sig.params.len(), args.len(), root.span));
                continue;
            }
            let mut values = Vec::new();
            for (arg, (pname, pty)) in args.iter().zip(&sig.params) {
                let Some(v) = self.eval_const_expr(arg) else { continue };
                self.warn_const_division(arg, &v, pty, "an int division, then passed as a float");
                match coerce_value(v, pty, &self.program) {
                    Ok(v) => values.push(v),
                    Err(found) => {
                        let d = Diagnostic::error(
                            "E0201",
                            format!("parameter `{pname}` is {} but this is {found}", self.show(pty)),
                            arg.span,
                        )
                        .with_label(format!("expected {}", self.show(pty)));
                        self.error(d);
                    }
                }
            }
            if values.len() == args.len() {
                self.program.roots.push(RootCall { callable: index, args: values, span: root.span });
            }
        }
        if let Some(until) = until {
            let horizon = self.eval_const_expr(until);
            if let Some(v) = &horizon {
                self.warn_const_division(until, v, &Type::Float, "an int division, then taken as the time");
            }
            match horizon {
                Some(Value::Int(v)) if v >= 0 => self.program.horizon = Some(v as f64),
                Some(Value::Float(v)) if v >= 0.0 => self.program.horizon = Some(v),
                Some(_) => self.error(
                    Diagnostic::error("E0226", "the horizon after `until` must be a number >= 0", until.span)
                        .with_label("not a time"),
                ),
                None => {}
            }
        }
    }

    fn bodies(&mut self) {
        self.ends_run = body::fns_that_end_the_run(self.module, &self.signatures);
        self.in_body = true;
        let mut index = 0;
        for item in &self.module.items {
            let callable = match &item.kind {
                ItemKind::Fn(c) | ItemKind::Process(c) => c,
                _ => continue,
            };
            let sig = self.signatures[index].clone();
            index += 1;
            let def: CallableDef = body::check_callable(self, callable, &sig.params, &sig.ret, sig.is_process);
            self.program.callables.push(def);
        }
    }
}

fn bump(counter: &mut u32) -> u32 {
    *counter += 1;
    *counter - 1
}

impl ConstEnv for Checker<'_> {
    fn lookup_const(&mut self, name: &str, _span: Span) -> Option<Result<Value, ()>> {
        match self.names.get(name)?.0 {
            GlobalName::Const(i) => Some(self.const_value(i as usize)),
            GlobalName::Param(i) => self.program.params.get(i as usize).map(|p| Ok(p.value.clone())),
            _ => None,
        }
    }

    fn struct_fields(&self, name: &str) -> Option<Vec<String>> {
        self.struct_decls.iter().find(|(n, _)| n == name).map(|(_, f)| f.clone())
    }

    fn unknown_name(&self, name: &str, span: Span) -> Option<Diagnostic> {
        if self.in_body || self.names.contains_key(name) {
            return None;
        }
        let candidates = self
            .names
            .iter()
            .filter(|(_, (g, _))| matches!(g, GlobalName::Const(_) | GlobalName::Param(_)))
            .map(|(n, _)| n.as_str());
        Some(unknown_name(name, span, candidates))
    }
}

/// W0003: an int division whose quotient becomes a float. `fix` is the
/// expression computed in floats, `quotient` how to name the truncated
/// quotient instead (`let q = a / b`).
fn int_division_warning(span: Span, how: &str, fix: Option<String>, quotient: Option<String>) -> Diagnostic {
    let mut d = Diagnostic::warning("W0003", "this int division drops its fraction before it becomes a float", span)
        .with_label(how.to_string());
    if let Some(fix) = fix {
        d = d.with_note(format!(
            "`/` of two ints truncates (`3 / 4` is 0); to divide as floats, convert an operand: `{fix}`"
        ));
    }
    if let Some(quotient) = quotient {
        d = d.with_note(format!("to mean the truncated quotient, name it first: `{quotient}`"));
    }
    d
}

/// E0105 for a name the model does not define: a Python habit's usim form
/// (`True` is `true`) comes before the closest spelling among `candidates`.
fn unknown_name<'a>(name: &str, span: Span, candidates: impl Iterator<Item = &'a str>) -> Diagnostic {
    let d = Diagnostic::error("E0105", format!("unknown name `{name}`"), span);
    if let Some(hint) = python::name(name) {
        return d.with_label(hint.label).with_note(hint.note);
    }
    let d = d.with_label("not defined");
    match closest(name, candidates) {
        Some(s) => d.with_note(format!("did you mean `{s}`?")),
        None => d,
    }
}

/// A `param` value: a literal, possibly negated.
/// The value of a `--set` text, which must be exactly a literal as a model
/// would write it: `12`, `1_000`, `-3`, `2.5`, `1e-3`, `true`. Not `inf`,
/// `nan`, `_1`, `.5`, or a float too large to be finite (`1e999`).
fn set_literal(text: &str) -> Option<Value> {
    match text {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    let digits =
        |s: &str| s.starts_with(|c: char| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let body = text.strip_prefix('-').unwrap_or(text);
    let plain = text.replace('_', "");
    if digits(body) {
        return plain.parse::<i64>().ok().map(Value::Int);
    }
    // digits ("." digit (digit | "_")* exponent? | exponent)
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            digits(whole) && fraction.starts_with(|c: char| c.is_ascii_digit()) && digits(fraction)
        }
        None => digits(mantissa) && exponent.is_some(),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    plain.parse::<f64>().ok().filter(|v| v.is_finite()).map(Value::Float)
}

fn literal_value(expr: &Expr<()>) -> Option<Value> {
    match &expr.kind {
        ExprKind::Int(v) => Some(Value::Int(*v)),
        ExprKind::Float(v) => Some(Value::Float(*v)),
        ExprKind::Bool(v) => Some(Value::Bool(*v)),
        ExprKind::Unary(crate::ast::UnOp::Neg, inner) => match literal_value(inner)? {
            Value::Int(v) => v.checked_neg().map(Value::Int),
            Value::Float(v) => Some(Value::Float(-v)),
            _ => None,
        },
        _ => None,
    }
}

fn value_fits(v: &Value, ty: &Type) -> bool {
    matches!(
        (v, ty),
        (Value::Int(_), Type::Int) | (Value::Float(_), Type::Float) | (Value::Bool(_), Type::Bool) | (_, Type::Error)
    )
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "an int",
        Value::Float(_) => "a float",
        Value::Bool(_) => "a bool",
        Value::Struct(_) => "a struct",
        Value::Array(_) => "an array",
    }
}

/// Converts a constant to a declared type, promoting ints to floats.
/// The error is a description of what the value is.
fn coerce_value(v: Value, ty: &Type, program: &Program) -> Result<Value, String> {
    match (v, ty) {
        (v, Type::Error) => Ok(v),
        (Value::Int(i), Type::Float) => Ok(Value::Float(i as f64)),
        (v @ Value::Int(_), Type::Int) | (v @ Value::Float(_), Type::Float) | (v @ Value::Bool(_), Type::Bool) => Ok(v),
        (Value::Array(items), Type::Array(elem, len)) if items.len() as u64 == *len => items
            .into_iter()
            .map(|item| coerce_value(item, elem, program))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (Value::Array(items), Type::Array(_, len)) => {
            Err(format!("an array of length {} (expected {len})", items.len()))
        }
        (Value::Struct(fields), Type::Struct(id)) => {
            let def = &program.structs[id.0 as usize];
            if fields.len() != def.fields.len() {
                return Err("a struct of another type".into());
            }
            fields
                .into_iter()
                .zip(def.fields.iter())
                .map(|(f, (_, t))| coerce_value(f, t, program))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Struct)
        }
        (v, _) => Err(value_kind(&v).to_string()),
    }
}

/// The zero value of a type, used where an error left no value.
/// The width of a field's type while struct widths are being computed.
fn field_width(ty: &Type, widths: &[Option<u32>], program: &Program) -> u32 {
    match ty {
        Type::Struct(id) => widths[id.0 as usize].unwrap_or(0),
        Type::Array(elem, len) => field_width(elem, widths, program).saturating_mul(*len as u32),
        other => program.width(other),
    }
}

/// The groups of structs on cycles of `edges` (a struct holding itself
/// counts), each sorted, in the order of their first members: an iterative
/// Tarjan, so that a long chain cannot overflow the stack.
fn structs_on_cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut found = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, next edge to follow)
        let mut work = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if let Some(&w) = edges[v].get(*edge) {
                *edge += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || edges[v].contains(&v) {
                    component.sort_unstable();
                    found.push(component);
                }
            }
        }
    }
    found.sort_unstable();
    found
}

fn default_value(ty: &Type, program: &Program) -> Value {
    match ty {
        Type::Float => Value::Float(0.0),
        Type::Bool => Value::Bool(false),
        Type::Struct(id) => Value::Struct(
            program.structs[id.0 as usize].fields.iter().map(|(_, t)| default_value(t, program)).collect(),
        ),
        Type::Array(elem, len) => Value::Array(vec![default_value(elem, program); *len as usize]),
        _ => Value::Int(0),
    }
}

fn arity_error(name: &str, expected: usize, found: usize, span: Span) -> Diagnostic {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    Diagnostic::error(
        "E0202",
        format!(
            "`{name}` takes {expected} argument{}, but {found} {} given",
            plural(expected),
            if found == 1 { "was" } else { "were" }
        ),
        span,
    )
    .with_label(format!("{found} argument{}", plural(found)))
}

#[cfg(test)]
mod closest_tests {
    use super::closest;

    /// The rule of `closest`, computed plainly: every candidate's full distance.
    fn reference<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let n = name.chars().count();
        if n == 0 || n > super::SUGGEST_MAX_LEN {
            return None;
        }
        candidates
            .iter()
            .map(|&c| (strsim::osa_distance(name, c), c))
            .filter(|&(d, c)| d > 0 && d <= 2.max(n / 3) && d < c.chars().count().max(n))
            .min()
            .map(|(_, c)| c)
    }

    #[test]
    fn suggests_the_nearest_name() {
        let names = ["count", "counter", "amount", "mount"];
        assert_eq!(closest("cuont", names.into_iter()), Some("count"));
        assert_eq!(closest("counterr", names.into_iter()), Some("counter"));
        assert_eq!(closest("zzzzz", names.into_iter()), None);
        assert_eq!(closest("count", names.into_iter()), Some("mount"));
        assert_eq!(closest("a", ["b"].into_iter()), None);
        assert_eq!(closest("flaot", ["int", "float", "bool"].into_iter()), Some("float"));
        assert_eq!(closest("tmé", ["tém", "x"].into_iter()), Some("tém"));
    }

    #[test]
    fn ties_go_to_the_alphabetically_first_in_any_order() {
        assert_eq!(closest("ab", ["xb", "ay"].into_iter()), Some("ay"));
        assert_eq!(closest("ab", ["ay", "xb"].into_iter()), Some("ay"));
    }

    #[test]
    fn agrees_with_the_plain_computation() {
        // A small LCG over a small alphabet, so near misses are common.
        let mut state: u64 = 7;
        let mut next = |k: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % k
        };
        let alphabet = ['a', 'b', 'c', '_', 'é'];
        let word = |len: u64, next: &mut dyn FnMut(u64) -> u64| -> String {
            (0..len).map(|_| alphabet[next(5) as usize]).collect()
        };
        for _ in 0..3_000 {
            let len = 1 + next(12);
            let name = word(len, &mut next);
            let candidates: Vec<String> = (0..next(8))
                .map(|_| {
                    let len = next(14);
                    word(len, &mut next)
                })
                .collect();
            let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
            assert_eq!(
                closest(&name, candidates.iter().copied()),
                reference(&name, &candidates),
                "{name} {candidates:?}"
            );
        }
    }

    #[test]
    fn long_names_get_no_suggestion() {
        let long = "x".repeat(1_000_000);
        assert_eq!(closest(&long, [long.as_str(), "x"].into_iter()), None);
        assert_eq!(closest("x", [long.as_str()].into_iter()), None);
    }
}
