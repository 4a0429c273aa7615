//! Differential property test: the compile-time evaluator of constant
//! expressions (`check/consteval.rs`) against the code the compiler
//! generates for the same expressions.
//!
//! A model is a list of random, well-typed `int`, `float` and `bool`
//! expressions: literals (with the edge values `0`, `-1`, `i64::MAX`,
//! `i64::MIN`, `i64::MIN + 1`, `0.0`, `-0.0`, `1e308`, `5e-324`, `2^63`, …),
//! NaN and infinity made by operations (`0.0 / 0.0`, `1e308 * 10.0`),
//! earlier consts, `+ - * / %`, unary `-` and `!`, the six comparisons,
//! `&&` and `||` (often with a deciding literal on the left and, on the
//! right, an operation that fails: `x / 0`, `i64::MAX + 1`, `round(NaN)`),
//! and every math built-in a const may use (`abs min max sqrt exp ln pow
//! floor ceil round int float`). Expression *k* is written three ways:
//!
//! - `const Ck = EXPR`, printed by `print("ck {Ck}")`;
//! - `let rk = EXPR` in the process, every literal read from a global `var`
//!   array (`LI[3]`, `LF[0]`, `LB[1]`) so nothing can be folded before the
//!   run, and a reference to `Cj` replaced by `rj`;
//! - `let sk = EXPR` in the process with the literals written in place (and
//!   `sj` for `Cj`), which Cranelift may constant-fold.
//!
//! The three printed texts must be identical (floats print the shortest
//! round-trip text, `-0` included, so equal text means equal bits up to the
//! sign of a NaN, which nothing in the language can observe). A const that
//! fails (E0111) must fail at run time in both process forms with the same
//! kind of error (overflow, division by zero, remainder by zero, or the very
//! same `round`/`int` message), and a runtime error must be an E0111 of the
//! const; both must point into the expression. Expressions that use a failed
//! one are left out in each form.
//!
//! A run ends at its first runtime error, so the process forms run in
//! rounds: after an error the model is compiled again without the failed
//! expression (and those using it).
//!
//! Also, the checker's folding of constant indexes (`consteval::int_value`,
//! behind E0228) must agree with the const: `A[EXPR]` of a 4-element array,
//! for each expression of literals, consts, `-` and `+ - * / %`, is E0228
//! exactly when the const's value is outside `0..4`.
//!
//! `PROPTEST_CASES` sets the number of models (default 48),
//! `PROPTEST_RNG_SEED` proptest's seed, `CONST_VS_JIT_DEPTH` the tree depth
//! (default 5: a leaf is depth 1) and `CONST_VS_JIT_SHOW=1` prints every
//! model to stderr. A failure prints the model proptest shrank, minimized
//! further by hand. With the defaults the test takes about 10 s in a debug
//! build and 2 s in release.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use support::{cases, category, describe_failure, guard, run_config};
use usim_compiler::{check_source, compile_source, Failure};
use usim_runtime::{run, SharedBuffer};

// ---------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int,
    Float,
    Bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// The math built-ins a const may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Abs,
    Min,
    Max,
    Sqrt,
    Exp,
    Ln,
    Pow,
    Floor,
    Ceil,
    Round,
    Int,
    Float,
}

#[derive(Clone, Debug)]
enum E {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An earlier const of this type, the `n % count`-th of them; a zero of
    /// the type when there is none (so deleting consts keeps models valid).
    Ref(Ty, usize),
    Neg(Box<E>),
    Not(Box<E>),
    Arith(Arith, Box<E>, Box<E>),
    /// Two numbers (promoted when mixed), or two bools for `==` / `!=`.
    Cmp(CmpOp, Box<E>, Box<E>),
    /// `true` is `&&`, `false` is `||`.
    Logic(bool, Box<E>, Box<E>),
    Call(Func, Vec<E>),
}

fn bx(e: E) -> Box<E> {
    Box::new(e)
}

impl Arith {
    fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Rem => "%",
        }
    }
}

impl CmpOp {
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

impl Func {
    fn name(self) -> &'static str {
        match self {
            Func::Abs => "abs",
            Func::Min => "min",
            Func::Max => "max",
            Func::Sqrt => "sqrt",
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Pow => "pow",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Round => "round",
            Func::Int => "int",
            Func::Float => "float",
        }
    }
}

impl E {
    fn ty(&self) -> Ty {
        match self {
            E::Int(_) => Ty::Int,
            E::Float(_) => Ty::Float,
            E::Bool(_) | E::Not(_) | E::Cmp(..) | E::Logic(..) => Ty::Bool,
            E::Ref(t, _) => *t,
            E::Neg(a) => a.ty(),
            E::Arith(_, a, b) => {
                if a.ty() == Ty::Int && b.ty() == Ty::Int {
                    Ty::Int
                } else {
                    Ty::Float
                }
            }
            E::Call(f, args) => match f {
                Func::Abs => args[0].ty(),
                Func::Min | Func::Max => {
                    if args.iter().all(|a| a.ty() == Ty::Int) {
                        Ty::Int
                    } else {
                        Ty::Float
                    }
                }
                Func::Round | Func::Int => Ty::Int,
                _ => Ty::Float,
            },
        }
    }

    fn children(&self) -> Vec<&E> {
        match self {
            E::Int(_) | E::Float(_) | E::Bool(_) | E::Ref(..) => vec![],
            E::Neg(a) | E::Not(a) => vec![a],
            E::Arith(_, a, b) | E::Cmp(_, a, b) | E::Logic(_, a, b) => vec![a, b],
            E::Call(_, args) => args.iter().collect(),
        }
    }

    /// The same node with its children replaced, in order.
    fn with_children(&self, mut kids: Vec<E>) -> E {
        let mut next = || kids.remove(0);
        match self {
            E::Int(_) | E::Float(_) | E::Bool(_) | E::Ref(..) => self.clone(),
            E::Neg(_) => E::Neg(bx(next())),
            E::Not(_) => E::Not(bx(next())),
            E::Arith(op, ..) => {
                let a = next();
                E::Arith(*op, bx(a), bx(next()))
            }
            E::Cmp(op, ..) => {
                let a = next();
                E::Cmp(*op, bx(a), bx(next()))
            }
            E::Logic(and, ..) => {
                let a = next();
                E::Logic(*and, bx(a), bx(next()))
            }
            E::Call(f, args) => E::Call(*f, (0..args.len()).map(|_| next()).collect()),
        }
    }

    /// `&&` / `||` nodes whose left side is a literal that decides them.
    fn decided_logic(&self) -> usize {
        let here = matches!(self, E::Logic(and, a, _) if matches!(**a, E::Bool(v) if v != *and));
        usize::from(here) + self.children().iter().map(|c| c.decided_logic()).sum::<usize>()
    }
}

fn zero(ty: Ty) -> E {
    match ty {
        Ty::Int => E::Int(0),
        Ty::Float => E::Float(0.0),
        Ty::Bool => E::Bool(false),
    }
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/// An int literal; a negative one is `(-digits)`, which the parser reads as
/// one literal even for `i64::MIN`.
fn int_lit(v: i64) -> String {
    if v < 0 {
        format!("(-{})", v.unsigned_abs())
    } else {
        v.to_string()
    }
}

/// A float literal: Rust's `{:?}` of the magnitude (`1.0`, `0.1`, `1e308`,
/// `5e-324`), with a unary minus for a negative value or `-0.0`.
fn float_lit(v: f64) -> String {
    assert!(v.is_finite(), "float literals are finite");
    if v.is_sign_negative() {
        format!("(-{:?})", v.abs())
    } else {
        format!("{v:?}")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Form {
    /// `const Ck = EXPR`.
    Const,
    /// `let rk = EXPR` with every literal read from a global array.
    Var,
    /// `let sk = EXPR` with the literals in place.
    Lit,
}

impl Form {
    fn tag(self) -> char {
        match self {
            Form::Const => 'c',
            Form::Var => 'r',
            Form::Lit => 's',
        }
    }
}

/// The global arrays the `Var` form reads its literals from.
#[derive(Default)]
struct Leaves {
    ints: Vec<i64>,
    floats: Vec<f64>,
    bools: Vec<bool>,
}

impl Leaves {
    fn decls(&self) -> String {
        fn decl(name: &str, ty: &str, items: Vec<String>) -> String {
            let items =
                if items.is_empty() { vec![if ty == "bool" { "false".into() } else { "0".into() }] } else { items };
            format!("var {name}: [{ty}; {}] = [{}]\n", items.len(), items.join(", "))
        }
        let mut s = decl("LI", "int", self.ints.iter().map(|&v| int_lit(v)).collect());
        s += &decl("LF", "float", self.floats.iter().map(|&v| float_lit(v)).collect());
        s += &decl("LB", "bool", self.bools.iter().map(|v| v.to_string()).collect());
        s
    }
}

/// Which earlier const a reference of expression `k` denotes, if any.
fn resolve(types: &[Ty], k: usize, ty: Ty, n: usize) -> Option<usize> {
    let candidates: Vec<usize> = (0..k).filter(|&j| types[j] == ty).collect();
    (!candidates.is_empty()).then(|| candidates[n % candidates.len()])
}

/// The text of expression `k` in `form`, fully parenthesized.
fn render(e: &E, form: Form, k: usize, types: &[Ty], leaves: &mut Leaves) -> String {
    let kids = |leaves: &mut Leaves| -> Vec<String> {
        e.children().into_iter().map(|c| render(c, form, k, types, leaves)).collect()
    };
    match e {
        E::Int(v) if form == Form::Var => {
            leaves.ints.push(*v);
            format!("LI[{}]", leaves.ints.len() - 1)
        }
        E::Float(v) if form == Form::Var => {
            leaves.floats.push(*v);
            format!("LF[{}]", leaves.floats.len() - 1)
        }
        E::Bool(v) if form == Form::Var => {
            leaves.bools.push(*v);
            format!("LB[{}]", leaves.bools.len() - 1)
        }
        E::Int(v) => int_lit(*v),
        E::Float(v) => float_lit(*v),
        E::Bool(v) => v.to_string(),
        E::Ref(ty, n) => match resolve(types, k, *ty, *n) {
            Some(j) => match form {
                Form::Const => format!("C{j}"),
                Form::Var => format!("r{j}"),
                Form::Lit => format!("s{j}"),
            },
            None => render(&zero(*ty), form, k, types, leaves),
        },
        E::Neg(_) => format!("(-{})", kids(leaves)[0]),
        E::Not(_) => format!("(!{})", kids(leaves)[0]),
        E::Arith(op, ..) => {
            let k = kids(leaves);
            format!("({} {} {})", k[0], op.symbol(), k[1])
        }
        E::Cmp(op, ..) => {
            let k = kids(leaves);
            format!("({} {} {})", k[0], op.symbol(), k[1])
        }
        E::Logic(and, ..) => {
            let k = kids(leaves);
            format!("({} {} {})", k[0], if *and { "&&" } else { "||" }, k[1])
        }
        E::Call(f, _) => format!("{}({})", f.name(), kids(leaves).join(", ")),
    }
}

/// The consts expression `k` refers to directly.
fn direct_refs(e: &E, k: usize, types: &[Ty], out: &mut BTreeSet<usize>) {
    if let E::Ref(ty, n) = e {
        out.extend(resolve(types, k, *ty, *n));
    }
    for c in e.children() {
        direct_refs(c, k, types, out);
    }
}

#[derive(Clone, Debug)]
struct Model {
    exprs: Vec<E>,
}

impl Model {
    fn types(&self) -> Vec<Ty> {
        self.exprs.iter().map(E::ty).collect()
    }

    /// For every expression, the earlier ones it uses, directly or not.
    fn uses(&self) -> Vec<BTreeSet<usize>> {
        let types = self.types();
        let mut uses: Vec<BTreeSet<usize>> = Vec::new();
        for (k, e) in self.exprs.iter().enumerate() {
            let mut direct = BTreeSet::new();
            direct_refs(e, k, &types, &mut direct);
            let mut all = direct.clone();
            for j in direct {
                all.extend(uses[j].iter().copied());
            }
            uses.push(all);
        }
        uses
    }

    /// The whole model for reading: every expression as a const.
    fn show(&self) -> String {
        self.source(&(0..self.exprs.len()).collect::<Vec<_>>(), &[]).text
    }

    /// A model declaring and printing the consts `consts` (closed under use)
    /// and computing and printing the process forms `items`, in order.
    fn source(&self, consts: &[usize], items: &[(Form, usize)]) -> Source {
        let types = self.types();
        let mut leaves = Leaves::default();
        let mut body = String::new();
        let mut item_lines = Vec::new();
        for &(form, k) in items {
            let text = render(&self.exprs[k], form, k, &types, &mut leaves);
            let tag = form.tag();
            let start = body.len();
            let _ = writeln!(body, "    let {tag}{k} = {text}");
            item_lines.push((start, body.len()));
            let _ = writeln!(body, "    print(\"{tag}{k} {{{tag}{k}}}\")");
        }
        let mut text = leaves.decls();
        let mut const_lines = HashMap::new();
        for &k in consts {
            let start = text.len();
            let _ = writeln!(text, "const C{k} = {}", render(&self.exprs[k], Form::Const, k, &types, &mut leaves));
            const_lines.insert(k, (start, text.len()));
        }
        text += "\nprocess main() {\n";
        for &k in consts {
            let _ = writeln!(text, "    print(\"c{k} {{C{k}}}\")");
        }
        let offset = text.len();
        text += &body;
        text += "}\n\nrun main()\n";
        let item_lines = item_lines.into_iter().map(|(s, e)| (s + offset, e + offset)).collect();
        Source { text, const_lines, item_lines }
    }
}

/// A model's text and where each const and each process form is written.
struct Source {
    text: String,
    const_lines: HashMap<usize, (usize, usize)>,
    /// Byte ranges of the `let` lines, in the order of the items.
    item_lines: Vec<(usize, usize)>,
}

// ---------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------

/// What an expression gave in one form.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// The printed text.
    Value(String),
    Overflow,
    DivisionByZero,
    RemainderByZero,
    /// A `round` or `int` conversion error: the message, which the constant
    /// evaluator and the runtime take from the same function.
    Conversion(String),
    /// It uses an expression that failed in this form.
    Unknown,
}

impl Outcome {
    fn is_error(&self) -> bool {
        !matches!(self, Outcome::Value(_) | Outcome::Unknown)
    }
}

fn const_error(message: &str) -> Result<Outcome, String> {
    Ok(match message {
        "integer overflow in constant" => Outcome::Overflow,
        "division by zero in constant" => Outcome::DivisionByZero,
        "remainder by zero in constant" => Outcome::RemainderByZero,
        m if m.starts_with("round(") || m.starts_with("int(") => Outcome::Conversion(m.to_string()),
        m => return Err(format!("[unexpected-const-error] {m}")),
    })
}

fn runtime_error(message: &str) -> Result<Outcome, String> {
    Ok(match message {
        m if m.starts_with("integer overflow") => Outcome::Overflow,
        m if m.starts_with("division by zero") => Outcome::DivisionByZero,
        m if m.starts_with("remainder by zero") => Outcome::RemainderByZero,
        m if m.starts_with("round(") || m.starts_with("int(") => Outcome::Conversion(m.to_string()),
        m => return Err(format!("[unexpected-runtime-error] {m}")),
    })
}

fn within(span: (usize, usize), line: (usize, usize)) -> bool {
    line.0 <= span.0 && span.0 <= span.1 && span.1 <= line.1
}

/// The const outcome of every expression: `None` for one that has a value,
/// which the first run of the process forms prints.
fn const_outcomes(model: &Model) -> Result<Vec<Option<Outcome>>, String> {
    let n = model.exprs.len();
    let all: Vec<usize> = (0..n).collect();
    let src = model.source(&all, &[]);
    let mut out = vec![None; n];
    match guard("check", || check_source(&src.text, &[]))? {
        Ok(_) => {}
        Err(Failure::Diagnostics(ds)) => {
            for d in ds.iter().filter(|d| d.is_error()) {
                let span = (d.span.start as usize, d.span.end as usize);
                let k = (0..n).find(|k| within(span, src.const_lines[k]));
                match (d.code, k) {
                    ("E0111", Some(k)) if out[k].is_none() => out[k] = Some(const_error(&d.message)?),
                    _ => return Err(describe_failure(Failure::Diagnostics(ds))),
                }
            }
        }
        Err(f) => return Err(describe_failure(f)),
    }
    let uses = model.uses();
    let failed: BTreeSet<usize> = (0..n).filter(|&k| out[k].is_some()).collect();
    for k in 0..n {
        if uses[k].iter().any(|j| failed.contains(j)) {
            out[k] = Some(Outcome::Unknown);
        }
    }
    Ok(out)
}

struct Ran {
    output: String,
    error: Option<usim_runtime::RuntimeError>,
}

fn compile_and_run(src: &str) -> Result<Ran, String> {
    let (compiled, _warnings) = guard("compile", || compile_source(src, &[], false))?.map_err(describe_failure)?;
    let sink = SharedBuffer::default();
    let config = run_config(&sink);
    let outcome = guard("run", || run(compiled.program(), config))?;
    let output = String::from_utf8(sink.bytes()).map_err(|e| format!("[bad-output] {e}"))?;
    Ok(Ran { output, error: outcome.error })
}

/// What every expression gave in every form.
type Results = BTreeMap<(Form, usize), Outcome>;

/// Every expression's outcome in every form, and how many models were compiled.
fn outcomes(model: &Model) -> Result<(Results, usize), String> {
    let n = model.exprs.len();
    let uses = model.uses();
    let mut results = BTreeMap::new();
    let consts = const_outcomes(model)?;
    let printed: Vec<usize> = (0..n).filter(|&k| consts[k].is_none()).collect();
    for (k, o) in consts.into_iter().enumerate() {
        if let Some(o) = o {
            results.insert((Form::Const, k), o);
        }
    }
    let mut live: Vec<(Form, usize)> = (0..n).flat_map(|k| [(Form::Var, k), (Form::Lit, k)]).collect();
    let mut rounds = 0;
    let mut first = true;
    while !live.is_empty() {
        rounds += 1;
        let src = model.source(if first { &printed } else { &[] }, &live);
        let ran = compile_and_run(&src.text)?;
        let mut lines: HashMap<(char, usize), String> = HashMap::new();
        for line in ran.output.lines() {
            let (tag, value) = line.split_once(' ').ok_or_else(|| format!("[bad-output] {line:?}"))?;
            let mut chars = tag.chars();
            let form = chars.next().unwrap_or(' ');
            let k: usize = chars.as_str().parse().map_err(|_| format!("[bad-output] {line:?}"))?;
            lines.insert((form, k), value.to_string());
        }
        if first {
            for &k in &printed {
                let value = lines.get(&('c', k)).ok_or_else(|| format!("[missing-output] c{k} was not printed"))?;
                results.insert((Form::Const, k), Outcome::Value(value.clone()));
            }
            first = false;
        }
        let missing = live.iter().position(|(f, k)| !lines.contains_key(&(f.tag(), *k)));
        for &(f, k) in &live[..missing.unwrap_or(live.len())] {
            let value = Outcome::Value(lines[&(f.tag(), k)].clone());
            if let Some(before) = results.insert((f, k), value.clone()) {
                if before != value {
                    return Err(format!("[unstable] {}{k} gave {before:?}, then {value:?} in a later round", f.tag()));
                }
            }
        }
        let (missing, error) = match (missing, ran.error) {
            (None, None) => break,
            (Some(i), Some(e)) => (i, e),
            (None, Some(e)) => return Err(format!("[late-error] every expression printed, then {e}")),
            (Some(i), None) => {
                return Err(format!(
                    "[missing-output] {}{} was not printed, without an error",
                    live[i].0.tag(),
                    live[i].1
                ))
            }
        };
        let (form, k) = live[missing];
        let span = error.span.map(|(s, e)| (s as usize, e as usize));
        if !span.is_some_and(|s| within(s, src.item_lines[missing])) {
            return Err(format!(
                "[runtime-error-span] the error of {}{k} ({}) is at {span:?}, not in its line {:?}",
                form.tag(),
                error.message,
                src.item_lines[missing]
            ));
        }
        results.insert((form, k), runtime_error(&error.message)?);
        // Drop it and what uses it; keep the rest (earlier ones run again).
        live.retain(|&(f, j)| !(f == form && (j == k || uses[j].contains(&k))));
        for (j, used) in uses.iter().enumerate() {
            if used.contains(&k) {
                results.insert((form, j), Outcome::Unknown);
            }
        }
    }
    Ok((results, rounds))
}

/// Whether an int expression is one whose value the checker folds to judge a
/// constant index (`consteval::int_value`): int literals, consts, unary `-`
/// and `+ - * / %`.
fn folds_as_index(e: &E) -> bool {
    match e {
        E::Int(_) | E::Ref(Ty::Int, _) => true,
        E::Neg(a) => folds_as_index(a),
        E::Arith(_, a, b) => a.ty() == Ty::Int && b.ty() == Ty::Int && folds_as_index(a) && folds_as_index(b),
        _ => false,
    }
}

/// The checker's folding of constant indexes agrees with the constant
/// evaluator: `A[EXPR]` of a 4-element array is E0228 exactly when EXPR has
/// a constant value outside 0..4; a value that fails is left to the run.
fn check_indexes(model: &Model, results: &Results) -> Result<usize, String> {
    let types = model.types();
    let n = model.exprs.len();
    let values: Vec<usize> =
        (0..n).filter(|k| matches!(results.get(&(Form::Const, *k)), Some(Outcome::Value(_)))).collect();
    let indexes: Vec<usize> = (0..n)
        .filter(|&k| {
            types[k] == Ty::Int
                && folds_as_index(&model.exprs[k])
                && results.get(&(Form::Const, k)).is_some_and(|o| *o != Outcome::Unknown)
        })
        .collect();
    if indexes.is_empty() {
        return Ok(0);
    }
    let mut text = String::from("var A: [int; 4] = [0, 0, 0, 0]\n");
    for &k in &values {
        let _ =
            writeln!(text, "const C{k} = {}", render(&model.exprs[k], Form::Const, k, &types, &mut Leaves::default()));
    }
    text += "\nprocess main() {\n";
    let mut lines = Vec::new();
    for &k in &indexes {
        let start = text.len();
        let _ = writeln!(
            text,
            "    let i{k} = A[{}]",
            render(&model.exprs[k], Form::Const, k, &types, &mut Leaves::default())
        );
        lines.push((k, (start, text.len())));
    }
    text += "}\n\nrun main()\n";
    let mut flagged = BTreeSet::new();
    match guard("check", || check_source(&text, &[]))? {
        Ok(_) => {}
        Err(Failure::Diagnostics(ds)) => {
            for d in ds.iter().filter(|d| d.is_error()) {
                let span = (d.span.start as usize, d.span.end as usize);
                match lines.iter().find(|(_, line)| within(span, *line)) {
                    Some((k, _)) if d.code == "E0228" => {
                        flagged.insert(*k);
                    }
                    _ => return Err(format!("{}\n{text}", describe_failure(Failure::Diagnostics(ds)))),
                }
            }
        }
        Err(f) => return Err(describe_failure(f)),
    }
    for &k in &indexes {
        let outcome = &results[&(Form::Const, k)];
        let out_of_bounds = match outcome {
            Outcome::Value(v) => !matches!(v.parse::<i64>(), Ok(0..=3)),
            _ => false,
        };
        if out_of_bounds != flagged.contains(&k) {
            return Err(format!(
                "[index-fold] `A[{}]` of a 4-element array: the const is {outcome:?}, but E0228 {}",
                render(&model.exprs[k], Form::Const, k, &types, &mut Leaves::default()),
                if flagged.contains(&k) { "was reported" } else { "was not reported" }
            ));
        }
    }
    Ok(indexes.len())
}

/// Compares the three forms of every expression.
fn check_model(model: &Model) -> Result<Stats, String> {
    let (results, rounds) = outcomes(model)?;
    let indexes = check_indexes(model, &results)?;
    let mut stats = Stats { rounds, indexes, ..Stats::default() };
    for k in 0..model.exprs.len() {
        let get = |f: Form| results.get(&(f, k)).cloned().unwrap_or(Outcome::Unknown);
        let forms = [(Form::Const, get(Form::Const)), (Form::Var, get(Form::Var)), (Form::Lit, get(Form::Lit))];
        let known: Vec<&(Form, Outcome)> = forms.iter().filter(|(_, o)| *o != Outcome::Unknown).collect();
        if known.windows(2).any(|w| w[0].1 != w[1].1) {
            let types = model.types();
            return Err(format!(
                "[mismatch] expression {k}, {}:\n  const:      {:?}\n  from vars:  {:?}\n  from literals: {:?}",
                render(&model.exprs[k], Form::Const, k, &types, &mut Leaves::default()),
                forms[0].1,
                forms[1].1,
                forms[2].1
            ));
        }
        let key = match known.first().map(|(_, o)| o) {
            None => "unknown (uses a failed one)".to_string(),
            Some(Outcome::Value(_)) => format!("{:?} value", model.exprs[k].ty()).to_lowercase(),
            Some(o) => match o {
                Outcome::Conversion(m) => format!("error: {}", &m[..m.find(')').map_or(m.len(), |i| i + 1)]),
                o => format!("error: {o:?}"),
            },
        };
        if known.len() < 3 {
            stats.partial += 1;
        }
        if known.iter().any(|(_, o)| o.is_error()) {
            stats.errors += 1;
        }
        *stats.kinds.entry(key).or_default() += 1;
        stats.decided_logic += model.exprs[k].decided_logic();
        stats.exprs += 1;
    }
    Ok(stats)
}

#[derive(Default)]
struct Stats {
    exprs: usize,
    errors: usize,
    partial: usize,
    decided_logic: usize,
    rounds: usize,
    indexes: usize,
    kinds: BTreeMap<String, usize>,
}

fn check_isolated(model: &Model) -> Result<Stats, String> {
    let model = model.clone();
    support::isolated(move || check_model(&model))
}

// ---------------------------------------------------------------------------
// Minimizing
// ---------------------------------------------------------------------------

/// Smaller trees of the same type: a child, a zero, and each child simplified.
fn expr_variants(e: &E) -> Vec<E> {
    let ty = e.ty();
    let mut out: Vec<E> = e.children().into_iter().filter(|c| c.ty() == ty).cloned().collect();
    match e {
        E::Int(0) | E::Bool(false) => {}
        E::Float(v) if *v == 0.0 && v.is_sign_positive() => {}
        E::Int(v) if *v != 1 => out.extend([zero(ty), E::Int(1)]),
        E::Float(v) if *v != 1.0 => out.extend([zero(ty), E::Float(1.0)]),
        _ => out.push(zero(ty)),
    }
    let kids: Vec<E> = e.children().into_iter().cloned().collect();
    for (i, kid) in kids.iter().enumerate() {
        for v in expr_variants(kid) {
            let mut next = kids.clone();
            next[i] = v;
            out.push(e.with_children(next));
        }
    }
    out
}

fn model_variants(m: &Model) -> Vec<Model> {
    let mut out = Vec::new();
    for k in 0..m.exprs.len() {
        let mut exprs = m.exprs.clone();
        exprs.remove(k);
        out.push(Model { exprs });
    }
    for k in 0..m.exprs.len() {
        for v in expr_variants(&m.exprs[k]) {
            let mut exprs = m.exprs.clone();
            exprs[k] = v;
            out.push(Model { exprs });
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

fn int_value() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => -10i64..=10,
        2 => prop_oneof![Just(0i64), Just(1), Just(-1), Just(2)],
        2 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(i64::MIN + 1), Just(i64::MAX - 1)],
        // sqrt(i64::MAX), powers of two, 2^53 + 1: where `*` overflows and
        // where ints stop being exact floats.
        1 => prop_oneof![
            Just(3_037_000_499i64), Just(3_037_000_500), Just(1 << 32), Just(1 << 62), Just(-(1 << 62)),
            Just((1 << 53) + 1),
        ],
        1 => -1_000_000i64..=1_000_000,
        1 => any::<i64>(),
    ]
    .boxed()
}

fn float_value() -> BoxedStrategy<f64> {
    use proptest::num::f64 as pf;
    prop_oneof![
        3 => (-40i32..=40).prop_map(|i| f64::from(i) / 4.0),
        3 => prop_oneof![
            Just(0.0), Just(-0.0), Just(1.0), Just(-1.0), Just(0.5), Just(-0.5), Just(2.5), Just(-2.5),
            Just(0.1), Just(0.2), Just(3.0),
        ],
        2 => prop_oneof![
            Just(1e308), Just(-1e308), Just(f64::MAX), Just(f64::MIN_POSITIVE), Just(5e-324), Just(-5e-324),
            // 2^63 and the float below it: the edge of `int` and `round`.
            Just(9_223_372_036_854_775_808.0), Just(-9_223_372_036_854_775_808.0), Just(9_223_372_036_854_774_784.0),
            // `exp` overflows above 709.78; 4.5e15 + 0.5 is a `round` tie.
            Just(710.0), Just(-745.5), Just(4.5e15), Just(4_503_599_627_370_497.0),
        ],
        1 => -1e6f64..1e6,
        1 => pf::POSITIVE | pf::NEGATIVE | pf::NORMAL | pf::SUBNORMAL | pf::ZERO,
    ]
    .boxed()
}

/// NaN, `inf` and `-inf`, which have no literal, made by operations.
fn special_float() -> BoxedStrategy<E> {
    prop_oneof![
        Just(E::Arith(Arith::Div, bx(E::Float(0.0)), bx(E::Float(0.0)))),
        Just(E::Arith(Arith::Mul, bx(E::Float(1e308)), bx(E::Float(10.0)))),
        Just(E::Arith(Arith::Mul, bx(E::Float(-1e308)), bx(E::Float(10.0)))),
        Just(E::Call(Func::Sqrt, vec![E::Float(-1.0)])),
    ]
    .boxed()
}

/// Int operations that fail, for the right side of a decided `&&` / `||`.
fn failing_int() -> BoxedStrategy<E> {
    let nan = E::Arith(Arith::Div, bx(E::Float(0.0)), bx(E::Float(0.0)));
    prop_oneof![
        int_value().prop_map(|v| E::Arith(Arith::Div, bx(E::Int(v)), bx(E::Int(0)))),
        int_value().prop_map(|v| E::Arith(Arith::Rem, bx(E::Int(v)), bx(E::Int(0)))),
        Just(E::Arith(Arith::Add, bx(E::Int(i64::MAX)), bx(E::Int(1)))),
        Just(E::Arith(Arith::Mul, bx(E::Int(i64::MIN)), bx(E::Int(-1)))),
        Just(E::Arith(Arith::Div, bx(E::Int(i64::MIN)), bx(E::Int(-1)))),
        Just(E::Neg(bx(E::Int(i64::MIN)))),
        Just(E::Call(Func::Abs, vec![E::Int(i64::MIN)])),
        Just(E::Call(Func::Round, vec![nan.clone()])),
        Just(E::Call(Func::Int, vec![E::Float(1e300)])),
    ]
    .boxed()
}

struct Strats {
    int: BoxedStrategy<E>,
    float: BoxedStrategy<E>,
    bool: BoxedStrategy<E>,
}

fn arith_op() -> impl Strategy<Value = Arith> + Clone {
    prop_oneof![Just(Arith::Add), Just(Arith::Sub), Just(Arith::Mul), Just(Arith::Div), Just(Arith::Rem)]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> + Clone {
    prop_oneof![Just(CmpOp::Lt), Just(CmpOp::Le), Just(CmpOp::Gt), Just(CmpOp::Ge), Just(CmpOp::Eq), Just(CmpOp::Ne)]
}

fn leaves() -> Strats {
    Strats {
        int: prop_oneof![6 => int_value().prop_map(E::Int), 1 => any::<usize>().prop_map(|n| E::Ref(Ty::Int, n))]
            .boxed(),
        float: prop_oneof![
            6 => float_value().prop_map(E::Float),
            1 => special_float(),
            1 => any::<usize>().prop_map(|n| E::Ref(Ty::Float, n)),
        ]
        .boxed(),
        bool: prop_oneof![3 => any::<bool>().prop_map(E::Bool), 1 => any::<usize>().prop_map(|n| E::Ref(Ty::Bool, n))]
            .boxed(),
    }
}

/// One more level of operations over the trees of `p`.
fn level(p: &Strats) -> Strats {
    let l = leaves();
    let num = prop_oneof![p.int.clone(), p.float.clone()].boxed();
    let (i, f, b) = (p.int.clone(), p.float.clone(), p.bool.clone());
    let func1 = prop_oneof![
        Just(Func::Sqrt),
        Just(Func::Exp),
        Just(Func::Ln),
        Just(Func::Floor),
        Just(Func::Ceil),
        Just(Func::Float),
        Just(Func::Abs),
    ];
    let int = prop_oneof![
        3 => l.int,
        4 => (arith_op(), i.clone(), i.clone()).prop_map(|(op, a, b)| E::Arith(op, bx(a), bx(b))),
        1 => i.clone().prop_map(|a| E::Neg(bx(a))),
        1 => i.clone().prop_map(|a| E::Call(Func::Abs, vec![a])),
        1 => (any::<bool>(), i.clone(), i.clone())
            .prop_map(|(min, a, b)| E::Call(if min { Func::Min } else { Func::Max }, vec![a, b])),
        2 => (any::<bool>(), num.clone())
            .prop_map(|(round, a)| E::Call(if round { Func::Round } else { Func::Int }, vec![a])),
        1 => failing_int(),
    ]
    .boxed();
    let float = prop_oneof![
        3 => l.float,
        2 => (arith_op(), f.clone(), num.clone()).prop_map(|(op, a, b)| E::Arith(op, bx(a), bx(b))),
        2 => (arith_op(), num.clone(), f.clone()).prop_map(|(op, a, b)| E::Arith(op, bx(a), bx(b))),
        1 => f.clone().prop_map(|a| E::Neg(bx(a))),
        2 => (any::<bool>(), any::<bool>(), f.clone(), num.clone()).prop_map(|(min, swap, a, b)| {
            let func = if min { Func::Min } else { Func::Max };
            E::Call(func, if swap { vec![b, a] } else { vec![a, b] })
        }),
        3 => (func1, num.clone()).prop_map(|(func, a)| {
            // `abs` of an int is an int; here it takes a float.
            let a = if func == Func::Abs && a.ty() == Ty::Int { E::Call(Func::Float, vec![a]) } else { a };
            E::Call(func, vec![a])
        }),
        1 => (num.clone(), num.clone()).prop_map(|(a, b)| E::Call(Func::Pow, vec![a, b])),
    ]
    .boxed();
    let decided = any::<bool>().prop_map(|and| (and, E::Bool(!and)));
    let bool = prop_oneof![
        2 => l.bool,
        4 => (cmp_op(), num.clone(), num).prop_map(|(op, a, b)| E::Cmp(op, bx(a), bx(b))),
        1 => (any::<bool>(), b.clone(), b.clone())
            .prop_map(|(eq, x, y)| E::Cmp(if eq { CmpOp::Eq } else { CmpOp::Ne }, bx(x), bx(y))),
        3 => (any::<bool>(), b.clone(), b.clone()).prop_map(|(and, x, y)| E::Logic(and, bx(x), bx(y))),
        // A left side that decides, a right side that would fail.
        3 => (decided, cmp_op(), failing_int(), i.clone())
            .prop_map(|((and, left), op, x, y)| E::Logic(and, bx(left), bx(E::Cmp(op, bx(x), bx(y))))),
        1 => b.prop_map(|x| E::Not(bx(x))),
    ]
    .boxed();
    Strats { int, float, bool }
}

fn model_strategy() -> BoxedStrategy<Model> {
    let depth: u32 = std::env::var("CONST_VS_JIT_DEPTH").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut s = leaves();
    for _ in 1..depth.max(1) {
        s = level(&s);
    }
    let expr = prop_oneof![2 => s.int, 2 => s.float, 2 => s.bool];
    proptest::collection::vec(expr, 4..=12).prop_map(|exprs| Model { exprs }).boxed()
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

#[test]
fn constants_evaluate_as_generated_code_does() {
    let show = std::env::var("CONST_VS_JIT_SHOW").is_ok_and(|v| v == "1");
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let totals: Mutex<Stats> = Mutex::default();
    let started = Instant::now();
    let result = runner.run(&model_strategy(), |model| {
        if show {
            eprintln!("-----\n{}", model.show());
        }
        let stats = check_isolated(&model).map_err(TestCaseError::fail)?;
        let mut t = totals.lock().unwrap();
        t.exprs += stats.exprs;
        t.errors += stats.errors;
        t.partial += stats.partial;
        t.decided_logic += stats.decided_logic;
        t.rounds += stats.rounds;
        t.indexes += stats.indexes;
        for (k, v) in stats.kinds {
            *t.kinds.entry(k).or_default() += v;
        }
        Ok(())
    });
    let t = totals.lock().unwrap();
    eprintln!(
        "const_vs_jit: {} expressions in {:.1?} ({} failing, {} with a form left out, {} decided `&&`/`||` with a literal left side, {} compilations, {} constant indexes)",
        t.exprs,
        started.elapsed(),
        t.errors,
        t.partial,
        t.decided_logic,
        t.rounds,
        t.indexes
    );
    for (kind, count) in &t.kinds {
        eprintln!("  {count:5}  {kind}");
    }
    drop(t);
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, model)) => {
            let reason = reason.to_string();
            let cat = category(&reason).to_string();
            eprintln!("const_vs_jit: failing model (shrunk by proptest):\n{}\n{reason}", model.show());
            let (small, message) = support::shrink(model, &cat, model_variants, check_isolated);
            panic!("constant and generated code disagree; minimized:\n{}\n{message}", small.show());
        }
        Err(e) => panic!("{e}"),
    }
}

/// The cases the hardening issue names, written out, so they run on every
/// `cargo test` whatever proptest draws.
#[test]
fn known_edges_agree() {
    let nan = || E::Arith(Arith::Div, bx(E::Float(0.0)), bx(E::Float(0.0)));
    let div0 = E::Cmp(CmpOp::Eq, bx(E::Arith(Arith::Div, bx(E::Int(1)), bx(E::Int(0)))), bx(E::Int(1)));
    let exprs = vec![
        // `false && 1 / 0 == 1` is false; `true || ...` is true.
        E::Logic(true, bx(E::Bool(false)), bx(div0.clone())),
        E::Logic(false, bx(E::Bool(true)), bx(div0.clone())),
        E::Logic(false, bx(E::Bool(false)), bx(div0)),
        E::Logic(
            true,
            bx(E::Ref(Ty::Bool, 0)),
            bx(E::Cmp(CmpOp::Lt, bx(E::Call(Func::Round, vec![nan()])), bx(E::Int(0)))),
        ),
        E::Arith(Arith::Rem, bx(E::Int(i64::MIN)), bx(E::Int(-1))),
        E::Arith(Arith::Div, bx(E::Int(i64::MIN)), bx(E::Int(-1))),
        // As an index of a 4-element array: 7, so E0228.
        E::Arith(Arith::Add, bx(E::Arith(Arith::Rem, bx(E::Int(i64::MIN)), bx(E::Int(-1)))), bx(E::Int(7))),
        E::Neg(bx(E::Int(i64::MIN))),
        E::Call(Func::Abs, vec![E::Int(i64::MIN)]),
        E::Call(Func::Min, vec![E::Float(0.0), E::Float(-0.0)]),
        E::Call(Func::Max, vec![E::Float(-0.0), E::Float(0.0)]),
        E::Call(Func::Min, vec![nan(), E::Float(1.0)]),
        E::Call(Func::Max, vec![E::Float(1.0), nan()]),
        E::Cmp(CmpOp::Ne, bx(nan()), bx(nan())),
        E::Call(Func::Round, vec![E::Float(-2.5)]),
        E::Call(Func::Round, vec![E::Int(i64::MAX)]),
        E::Call(Func::Int, vec![E::Float(-9_223_372_036_854_775_808.0)]),
        E::Call(Func::Ceil, vec![E::Float(-0.5)]),
        E::Call(Func::Sqrt, vec![E::Float(-0.0)]),
        E::Call(Func::Pow, vec![E::Float(-0.0), E::Int(-1)]),
        E::Call(Func::Ln, vec![E::Float(-1.0)]),
        E::Call(Func::Exp, vec![E::Float(710.0)]),
        E::Arith(Arith::Rem, bx(E::Float(-7.5)), bx(E::Float(2.0))),
        E::Arith(Arith::Div, bx(E::Float(1.0)), bx(E::Arith(Arith::Mul, bx(E::Float(0.0)), bx(E::Int(-1))))),
        E::Cmp(CmpOp::Eq, bx(E::Int((1 << 53) + 1)), bx(E::Float(9_007_199_254_740_992.0))),
    ];
    let model = Model { exprs };
    let stats = check_isolated(&model).unwrap_or_else(|e| panic!("{}\n{e}", model.show()));
    assert_eq!(stats.exprs, model.exprs.len());
}
