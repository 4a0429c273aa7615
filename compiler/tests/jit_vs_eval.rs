//! Differential test: random int/float/bool expression trees are rendered to
//! usim source, JIT-compiled and run, and their printed value (or runtime
//! error) is compared with a plain-Rust reference evaluator that implements
//! LANGUAGE.md §3–§4:
//!
//! - `int` is i64; `+ - *`, unary `-`, `abs`, `i64::MIN / -1` overflowing is a
//!   runtime error; `/` truncates toward zero, `%` takes the sign of the
//!   dividend, `i64::MIN % -1 == 0`; `/` or `%` by an int zero is an error.
//! - mixed int/float arithmetic and comparisons promote the int to float;
//!   float arithmetic is IEEE, float `%` is Rust's `%`.
//! - `int(x)` of a float truncates toward zero, NaN or out of range is an error;
//!   `floor ceil sqrt` take a float (an int argument is promoted); `min`/`max`
//!   of two ints is an int, otherwise floats as Rust's `f64::min`/`f64::max`.
//! - `&&` and `||` short-circuit: an error on the right must not happen when
//!   the left side decides.
//! - `{x}` prints as Rust's `{}`.
//!
//! Every tree is checked in several renderings: fully parenthesized inline in a
//! `print`; with every leaf in a `let` local and every (non short-circuit)
//! operation in its own `fn`; the same with ints that would be promoted anyway
//! converted implicitly early (`let x: float = 3`, a `float` parameter given an
//! int, a `-> float` fn returning an int) and `+ - * /` done by compound
//! assignment; and as one `fn` taking all leaves as parameters. Literals are
//! written in several lexical forms (`1_000`, `2.5e0`, `1e300`, `0.1`).
//! A batched property puts several prints in one model (one compile) and checks
//! that the output before the first error is exactly the reference's.
//!
//! `PROPTEST_CASES` overrides the number of cases per property (default 64),
//! `JIT_VS_EVAL_DEPTH` the maximum tree depth (default 5), and
//! `JIT_VS_EVAL_SHOW=1` prints every generated model to stderr. A failure is
//! reported with proptest's shrunk case further minimized by hand (subtrees
//! replaced by children, literals by simpler ones).

mod support;

use std::fmt;
use std::sync::Mutex;
use std::time::Instant;
use support::run_config;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use usim_compiler::{compile_source, Failure};
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

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Float => "float",
            Ty::Bool => "bool",
        }
    }
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Abs,
    Min,
    Max,
    Int,
    Float,
    Floor,
    Ceil,
    Sqrt,
}

#[derive(Clone, Debug)]
enum Expr {
    Int(i64),
    Float(f64),
    Bool(bool),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// Numbers (promoted when mixed), or two bools for `==` / `!=`.
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `true` is `&&`, `false` is `||`.
    Logic(bool, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
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
            Func::Int => "int",
            Func::Float => "float",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Sqrt => "sqrt",
        }
    }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl Expr {
    fn ty(&self) -> Ty {
        match self {
            Expr::Int(_) => Ty::Int,
            Expr::Float(_) => Ty::Float,
            Expr::Bool(_) | Expr::Not(_) | Expr::Cmp(..) | Expr::Logic(..) => Ty::Bool,
            Expr::Neg(a) => a.ty(),
            Expr::Arith(_, a, b) => {
                if a.ty() == Ty::Int && b.ty() == Ty::Int {
                    Ty::Int
                } else {
                    Ty::Float
                }
            }
            Expr::Call(f, args) => match f {
                Func::Abs => args[0].ty(),
                Func::Min | Func::Max => {
                    if args.iter().all(|a| a.ty() == Ty::Int) {
                        Ty::Int
                    } else {
                        Ty::Float
                    }
                }
                Func::Int => Ty::Int,
                Func::Float | Func::Floor | Func::Ceil | Func::Sqrt => Ty::Float,
            },
        }
    }

    fn is_leaf(&self) -> bool {
        matches!(self, Expr::Int(_) | Expr::Float(_) | Expr::Bool(_))
    }

    fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Int(_) | Expr::Float(_) | Expr::Bool(_) => vec![],
            Expr::Neg(a) | Expr::Not(a) => vec![a],
            Expr::Arith(_, a, b) | Expr::Cmp(_, a, b) | Expr::Logic(_, a, b) => vec![a, b],
            Expr::Call(_, args) => args.iter().collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// Reference evaluator
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
        }
    }
}

impl Value {
    fn float(self) -> f64 {
        match self {
            Value::Int(v) => v as f64,
            Value::Float(v) => v,
            Value::Bool(_) => panic!("a bool is not a number"),
        }
    }
    fn bool(self) -> bool {
        match self {
            Value::Bool(v) => v,
            other => panic!("{other:?} is not a bool"),
        }
    }
}

/// A reference runtime error, or a case the language leaves unspecified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EvalError {
    Overflow,
    DivisionByZero,
    RemainderByZero,
    IntConversion,
    /// `min`/`max` of `0.0` and `-0.0`: Rust's `f64::min` leaves the sign of
    /// the zero unspecified, so such cases are skipped.
    Unspecified,
}

impl EvalError {
    /// What the runtime's message must mention.
    fn keyword(self) -> &'static str {
        match self {
            EvalError::Overflow => "overflow",
            EvalError::DivisionByZero => "division by zero",
            EvalError::RemainderByZero => "remainder by zero",
            EvalError::IntConversion => "int(",
            EvalError::Unspecified => "",
        }
    }
}

fn int_arith(op: Arith, a: i64, b: i64) -> Result<i64, EvalError> {
    match op {
        Arith::Add => a.checked_add(b).ok_or(EvalError::Overflow),
        Arith::Sub => a.checked_sub(b).ok_or(EvalError::Overflow),
        Arith::Mul => a.checked_mul(b).ok_or(EvalError::Overflow),
        Arith::Div if b == 0 => Err(EvalError::DivisionByZero),
        Arith::Div => a.checked_div(b).ok_or(EvalError::Overflow),
        Arith::Rem if b == 0 => Err(EvalError::RemainderByZero),
        // Only i64::MIN % -1 fails checked_rem; mathematically it is 0.
        Arith::Rem => Ok(a.checked_rem(b).unwrap_or(0)),
    }
}

fn float_arith(op: Arith, a: f64, b: f64) -> f64 {
    match op {
        Arith::Add => a + b,
        Arith::Sub => a - b,
        Arith::Mul => a * b,
        Arith::Div => a / b,
        Arith::Rem => a % b,
    }
}

fn compare<T: PartialOrd>(op: CmpOp, a: T, b: T) -> bool {
    match op {
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
    }
}

/// `int(x)` of a float: truncation toward zero; NaN or out of range fails.
fn float_to_int(x: f64) -> Result<i64, EvalError> {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    let t = x.trunc();
    if (-TWO_POW_63..TWO_POW_63).contains(&t) {
        Ok(t as i64)
    } else {
        Err(EvalError::IntConversion)
    }
}

/// Evaluates left to right, as the generated code does.
fn eval(e: &Expr) -> Result<Value, EvalError> {
    Ok(match e {
        Expr::Int(v) => Value::Int(*v),
        Expr::Float(v) => Value::Float(*v),
        Expr::Bool(v) => Value::Bool(*v),
        Expr::Neg(a) => match eval(a)? {
            Value::Int(v) => Value::Int(v.checked_neg().ok_or(EvalError::Overflow)?),
            Value::Float(v) => Value::Float(-v),
            Value::Bool(_) => unreachable!(),
        },
        Expr::Not(a) => Value::Bool(!eval(a)?.bool()),
        Expr::Arith(op, a, b) => {
            let (x, y) = (eval(a)?, eval(b)?);
            match (x, y) {
                (Value::Int(x), Value::Int(y)) => Value::Int(int_arith(*op, x, y)?),
                _ => Value::Float(float_arith(*op, x.float(), y.float())),
            }
        }
        Expr::Cmp(op, a, b) => {
            let (x, y) = (eval(a)?, eval(b)?);
            Value::Bool(match (x, y) {
                (Value::Int(x), Value::Int(y)) => compare(*op, x, y),
                (Value::Bool(x), Value::Bool(y)) => compare(*op, x, y),
                _ => compare(*op, x.float(), y.float()),
            })
        }
        Expr::Logic(and, a, b) => {
            let x = eval(a)?.bool();
            if x != *and {
                // `false && _` is false, `true || _` is true: b is not evaluated.
                Value::Bool(x)
            } else {
                Value::Bool(eval(b)?.bool())
            }
        }
        Expr::Call(f, args) => {
            let vals = args.iter().map(eval).collect::<Result<Vec<_>, _>>()?;
            match (f, vals.as_slice()) {
                (Func::Abs, [Value::Int(v)]) => Value::Int(v.checked_abs().ok_or(EvalError::Overflow)?),
                (Func::Abs, [v]) => Value::Float(v.float().abs()),
                (Func::Min | Func::Max, [Value::Int(a), Value::Int(b)]) => {
                    Value::Int(if *f == Func::Min { *a.min(b) } else { *a.max(b) })
                }
                (Func::Min | Func::Max, [a, b]) => {
                    let (a, b) = (a.float(), b.float());
                    if a == 0.0 && b == 0.0 && a.is_sign_negative() != b.is_sign_negative() {
                        return Err(EvalError::Unspecified);
                    }
                    Value::Float(if *f == Func::Min { a.min(b) } else { a.max(b) })
                }
                (Func::Int, [Value::Int(v)]) => Value::Int(*v),
                (Func::Int, [v]) => Value::Int(float_to_int(v.float())?),
                (Func::Float, [v]) => Value::Float(v.float()),
                (Func::Floor, [v]) => Value::Float(v.float().floor()),
                (Func::Ceil, [v]) => Value::Float(v.float().ceil()),
                (Func::Sqrt, [v]) => Value::Float(v.float().sqrt()),
                _ => unreachable!("bad call {f:?} {vals:?}"),
            }
        }
    })
}

// ---------------------------------------------------------------------------
// Rendering to usim source
// ---------------------------------------------------------------------------

/// Groups decimal digits by three with `_` (`1_000_000`).
fn underscored(digits: &str) -> String {
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// An int literal; odd values of four or more digits are written with `_`
/// separators, so both forms of the lexer's int literal are exercised.
fn int_lit(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let digits = if digits.len() >= 4 && v % 2 != 0 { underscored(&digits) } else { digits };
    // The parser reads `-9223372036854775808` (i64::MIN) as one literal.
    if v < 0 {
        format!("(-{digits})")
    } else {
        digits
    }
}

/// A float literal: Rust's `{:?}` (shortest round-trip, always with a `.` or
/// an exponent: `1.0`, `0.1`, `1e300`) or, for about half the values, `{:e}`
/// (`1.5e0`, `2e10`, `5e-324`); both are usim float literals. Negative
/// values (and `-0.0`) get a unary minus.
fn float_lit(v: f64) -> String {
    assert!(v.is_finite());
    let a = v.abs();
    let s = if a.to_bits().count_ones() % 2 == 1 { format!("{a:e}") } else { format!("{a:?}") };
    if v.is_sign_negative() {
        format!("(-{s})")
    } else {
        s
    }
}

fn leaf_text(e: &Expr) -> String {
    match e {
        Expr::Int(v) => int_lit(*v),
        Expr::Float(v) => float_lit(*v),
        Expr::Bool(v) => v.to_string(),
        _ => unreachable!(),
    }
}

/// Combines rendered children into the text of one operation.
fn op_text(e: &Expr, kids: &[String]) -> String {
    match e {
        Expr::Neg(_) => format!("(-{})", kids[0]),
        Expr::Not(_) => format!("(!{})", kids[0]),
        Expr::Arith(op, ..) => format!("({} {} {})", kids[0], op.symbol(), kids[1]),
        Expr::Cmp(op, ..) => format!("({} {} {})", kids[0], op.symbol(), kids[1]),
        Expr::Logic(and, ..) => format!("({} {} {})", kids[0], if *and { "&&" } else { "||" }, kids[1]),
        Expr::Call(f, _) => format!("{}({})", f.name(), kids.join(", ")),
        _ => leaf_text(e),
    }
}

fn inline(e: &Expr) -> String {
    if e.is_leaf() {
        return leaf_text(e);
    }
    let kids: Vec<String> = e.children().into_iter().map(inline).collect();
    op_text(e, &kids)
}

fn model(body: &str, items: &str) -> String {
    format!("{items}process main() {{\n{body}}}\nrun main()\n")
}

/// Variant 1: the whole tree inline in one `print`.
fn render_inline(e: &Expr) -> String {
    model(&format!("    print(\"{{{}}}\")\n", inline(e)), "")
}

/// Variant 2: every leaf is a `let` local of `main`, and every operation but
/// `&&`/`||` (which must short-circuit) is a `fn` of its operands that stores
/// its result in a local before returning it.
fn render_frames(e: &Expr) -> String {
    struct St {
        lets: String,
        fns: String,
        nlocal: usize,
        nfn: usize,
    }
    fn go(e: &Expr, st: &mut St) -> String {
        if e.is_leaf() {
            let name = format!("v{}", st.nlocal);
            st.nlocal += 1;
            st.lets.push_str(&format!("    let {name}: {} = {}\n", e.ty().name(), leaf_text(e)));
            return name;
        }
        let kids: Vec<String> = e.children().into_iter().map(|c| go(c, st)).collect();
        if matches!(e, Expr::Logic(..)) {
            return op_text(e, &kids);
        }
        let name = format!("f{}", st.nfn);
        st.nfn += 1;
        let params: Vec<String> = (0..kids.len()).map(|i| format!("p{i}")).collect();
        let decl: Vec<String> =
            e.children().iter().zip(&params).map(|(c, p)| format!("{p}: {}", c.ty().name())).collect();
        st.fns.push_str(&format!(
            "fn {name}({}) -> {} {{\n    let r = {}\n    return r\n}}\n",
            decl.join(", "),
            e.ty().name(),
            op_text(e, &params)
        ));
        format!("{name}({})", kids.join(", "))
    }
    let mut st = St { lets: String::new(), fns: String::new(), nlocal: 0, nfn: 0 };
    let top = go(e, &mut st);
    let body = format!("{}    let result = {top}\n    print(\"{{result}}\")\n", st.lets);
    model(&body, &st.fns)
}

/// Whether child `k` of `e`, when it is an int, is promoted to float by `e`
/// anyway, so that converting it earlier (a float `let`, parameter or return
/// type) cannot change the result.
fn promotes(e: &Expr, k: usize) -> bool {
    let kids = e.children();
    if kids[k].ty() != Ty::Int {
        return false;
    }
    match e {
        Expr::Arith(..) => e.ty() == Ty::Float,
        Expr::Cmp(..) => kids[1 - k].ty() == Ty::Float,
        Expr::Call(Func::Min | Func::Max, _) => e.ty() == Ty::Float,
        Expr::Call(Func::Floor | Func::Ceil | Func::Sqrt | Func::Float, _) => true,
        _ => false,
    }
}

/// Variant 4: as [`render_frames`], but ints that the language promotes are
/// converted early, implicitly, at every kind of site: a `let x: float = 3`
/// local, a `float` parameter given an int argument, a `-> float` fn returning
/// an int; and `+ - * /` go through compound assignment (`r += p1`).
fn render_coerce(e: &Expr) -> String {
    struct St {
        lets: String,
        fns: String,
        nlocal: usize,
        nfn: usize,
    }
    fn go(e: &Expr, as_float: bool, st: &mut St) -> String {
        if e.is_leaf() {
            let name = format!("v{}", st.nlocal);
            // Every other promoted leaf converts in its `let`, the rest at the call.
            let ty = if as_float && st.nlocal.is_multiple_of(2) { Ty::Float } else { e.ty() };
            st.nlocal += 1;
            st.lets.push_str(&format!("    let {name}: {} = {}\n", ty.name(), leaf_text(e)));
            return name;
        }
        let children = e.children();
        let kids: Vec<String> = children.iter().enumerate().map(|(k, c)| go(c, promotes(e, k), st)).collect();
        if matches!(e, Expr::Logic(..)) {
            return op_text(e, &kids);
        }
        let name = format!("f{}", st.nfn);
        st.nfn += 1;
        let params: Vec<String> = (0..kids.len()).map(|i| format!("p{i}")).collect();
        let decl: Vec<String> = children
            .iter()
            .enumerate()
            .map(|(k, c)| format!("p{k}: {}", if promotes(e, k) { "float" } else { c.ty().name() }))
            .collect();
        let ret = if as_float { Ty::Float } else { e.ty() };
        let body = match e {
            Expr::Arith(op, ..) if *op != Arith::Rem => {
                format!("    let r: {} = p0\n    r {}= p1\n", e.ty().name(), op.symbol())
            }
            _ => format!("    let r = {}\n", op_text(e, &params)),
        };
        st.fns.push_str(&format!("fn {name}({}) -> {} {{\n{body}    return r\n}}\n", decl.join(", "), ret.name()));
        format!("{name}({})", kids.join(", "))
    }
    let mut st = St { lets: String::new(), fns: String::new(), nlocal: 0, nfn: 0 };
    let top = go(e, false, &mut st);
    let body = format!("{}    let result = {top}\n    print(\"{{result}}\")\n", st.lets);
    model(&body, &st.fns)
}

/// Variant 3: one `fn` computes the whole tree from its parameters (one per
/// leaf); `main` passes the literals and prints the returned local.
fn render_params(e: &Expr) -> String {
    fn go(e: &Expr, params: &mut Vec<(String, Ty)>, args: &mut Vec<String>) -> String {
        if e.is_leaf() {
            let name = format!("a{}", params.len());
            params.push((name.clone(), e.ty()));
            args.push(leaf_text(e));
            return name;
        }
        let kids: Vec<String> = e.children().into_iter().map(|c| go(c, params, args)).collect();
        op_text(e, &kids)
    }
    let (mut params, mut args) = (vec![], vec![]);
    let text = go(e, &mut params, &mut args);
    let decl: Vec<String> = params.iter().map(|(n, t)| format!("{n}: {}", t.name())).collect();
    let items = format!(
        "fn calc({}) -> {} {{\n    let r: {} = {text}\n    return r\n}}\n",
        decl.join(", "),
        e.ty().name(),
        e.ty().name()
    );
    let body = format!("    let x = calc({})\n    print(\"{{x}}\")\n", args.join(", "));
    model(&body, &items)
}

// ---------------------------------------------------------------------------
// Compiling and running
// ---------------------------------------------------------------------------

struct Ran {
    output: String,
    error: Option<String>,
}

fn compile_and_run(source: &str) -> Result<Ran, String> {
    let (compiled, _warnings) = compile_source(source, &[], false).map_err(|f| match f {
        Failure::Diagnostics(ds) => {
            format!("compile error(s): {}", ds.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join("; "))
        }
        Failure::BadOverride(s) => format!("bad override: {s}"),
        Failure::Internal(s) => format!("internal compiler error: {s}"),
    })?;
    let sink = SharedBuffer::default();
    let outcome = run(compiled.program(), run_config(&sink));
    let output = String::from_utf8(sink.bytes()).map_err(|e| e.to_string())?;
    Ok(Ran { output, error: outcome.error.map(|e| e.message) })
}

/// Runs `f` on a thread with a 64 MiB stack (deep parser / JIT recursion).
fn big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .expect("spawn a test thread")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Compares a run with the reference result of one or more prints, in order.
/// `None` when they agree, else a description of the mismatch.
fn mismatch(source: &str, expected: &[Result<Value, EvalError>]) -> Option<String> {
    let ran = match compile_and_run(source) {
        Ok(r) => r,
        Err(e) => return Some(format!("{e}\n--- source ---\n{source}")),
    };
    let mut want_out = String::new();
    let mut want_err = None;
    for r in expected {
        match r {
            Ok(v) => want_out.push_str(&format!("{v}\n")),
            Err(e) => {
                want_err = Some(*e);
                break;
            }
        }
    }
    let ok = ran.output == want_out
        && match (want_err, &ran.error) {
            (None, None) => true,
            (Some(k), Some(msg)) => msg.to_lowercase().contains(k.keyword()),
            _ => false,
        };
    if ok {
        return None;
    }
    Some(format!(
        "JIT disagrees with the reference\n--- source ---\n{source}--- expected ---\noutput: {want_out:?}\nerror: {}\n--- got ---\noutput: {:?}\nerror: {:?}",
        match want_err {
            Some(k) => format!("{k:?} (message mentioning {:?})", k.keyword()),
            None => "none".to_string(),
        },
        ran.output,
        ran.error
    ))
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

fn int_value() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => -10i64..=10,
        1 => Just(0i64),
        1 => prop_oneof![Just(1i64), Just(-1)],
        1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(i64::MAX - 1), Just(i64::MIN + 1)],
        // sqrt(i64::MAX) and powers of two: the edges of `*` overflowing.
        1 => prop_oneof![Just(3_037_000_499i64), Just(3_037_000_500), Just(1 << 32), Just(1 << 62), Just(-(1 << 62))],
        1 => -1_000_000i64..=1_000_000,
        1 => any::<i64>(),
    ]
    .boxed()
}

fn float_value() -> BoxedStrategy<f64> {
    use proptest::num::f64 as pf;
    prop_oneof![
        3 => (-80i32..=80).prop_map(|i| f64::from(i) / 8.0),
        2 => prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(-1.0), Just(0.1), Just(0.2), Just(0.5), Just(1.5), Just(2.5), Just(-2.5), Just(7.5)],
        1 => prop_oneof![
            Just(1e300), Just(-1e300), Just(f64::MAX), Just(f64::MIN_POSITIVE), Just(5e-324), Just(2.0e10),
            // 2^63 and the float just below it: the edge of `int(x)`.
            Just(9_223_372_036_854_775_808.0), Just(-9_223_372_036_854_775_808.0),
            Just(9_223_372_036_854_774_784.0), Just(-9_223_372_036_854_777_856.0),
            Just(4.5e15), Just(1e16),
        ],
        1 => -1e6f64..1e6,
        1 => pf::POSITIVE | pf::NEGATIVE | pf::NORMAL | pf::SUBNORMAL | pf::ZERO,
    ]
    .boxed()
}

struct Strats {
    int: BoxedStrategy<Expr>,
    float: BoxedStrategy<Expr>,
    bool: BoxedStrategy<Expr>,
}

fn arith_op() -> impl Strategy<Value = Arith> + Clone {
    prop_oneof![Just(Arith::Add), Just(Arith::Sub), Just(Arith::Mul), Just(Arith::Div), Just(Arith::Rem)]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> + Clone {
    prop_oneof![Just(CmpOp::Lt), Just(CmpOp::Le), Just(CmpOp::Gt), Just(CmpOp::Ge), Just(CmpOp::Eq), Just(CmpOp::Ne)]
}

fn leaves() -> Strats {
    Strats {
        int: int_value().prop_map(Expr::Int).boxed(),
        float: float_value().prop_map(Expr::Float).boxed(),
        bool: any::<bool>().prop_map(Expr::Bool).boxed(),
    }
}

/// One more level of operations over the trees of `p`.
fn level(p: &Strats) -> Strats {
    let l = leaves();
    let num = prop_oneof![p.int.clone(), p.float.clone()].boxed();
    let (i, f, b) = (p.int.clone(), p.float.clone(), p.bool.clone());
    let int = prop_oneof![
        3 => l.int,
        4 => (arith_op(), i.clone(), i.clone()).prop_map(|(op, a, b)| Expr::Arith(op, bx(a), bx(b))),
        1 => i.clone().prop_map(|a| Expr::Neg(bx(a))),
        1 => i.clone().prop_map(|a| Expr::Call(Func::Abs, vec![a])),
        1 => (any::<bool>(), i.clone(), i.clone())
            .prop_map(|(min, a, b)| Expr::Call(if min { Func::Min } else { Func::Max }, vec![a, b])),
        1 => prop_oneof![i.clone(), f.clone()].prop_map(|a| Expr::Call(Func::Int, vec![a])),
    ]
    .boxed();
    let float = prop_oneof![
        3 => l.float,
        2 => (arith_op(), f.clone(), num.clone()).prop_map(|(op, a, b)| Expr::Arith(op, bx(a), bx(b))),
        2 => (arith_op(), num.clone(), f.clone()).prop_map(|(op, a, b)| Expr::Arith(op, bx(a), bx(b))),
        1 => f.clone().prop_map(|a| Expr::Neg(bx(a))),
        1 => f.clone().prop_map(|a| Expr::Call(Func::Abs, vec![a])),
        1 => (any::<bool>(), any::<bool>(), f.clone(), num.clone()).prop_map(|(min, swap, a, b)| {
            let func = if min { Func::Min } else { Func::Max };
            Expr::Call(func, if swap { vec![b, a] } else { vec![a, b] })
        }),
        2 => (
            prop_oneof![Just(Func::Float), Just(Func::Floor), Just(Func::Ceil), Just(Func::Sqrt)],
            num.clone()
        )
            .prop_map(|(func, a)| Expr::Call(func, vec![a])),
    ]
    .boxed();
    let bool = prop_oneof![
        2 => l.bool,
        4 => (cmp_op(), num.clone(), num).prop_map(|(op, a, b)| Expr::Cmp(op, bx(a), bx(b))),
        1 => (any::<bool>(), b.clone(), b.clone())
            .prop_map(|(eq, x, y)| Expr::Cmp(if eq { CmpOp::Eq } else { CmpOp::Ne }, bx(x), bx(y))),
        3 => (any::<bool>(), b.clone(), b.clone()).prop_map(|(and, x, y)| Expr::Logic(and, bx(x), bx(y))),
        1 => b.prop_map(|x| Expr::Not(bx(x))),
    ]
    .boxed();
    Strats { int, float, bool }
}

/// Trees of depth at most 5 (a leaf is depth 1; `JIT_VS_EVAL_DEPTH` changes
/// it), of any of the three types.
fn expr() -> BoxedStrategy<Expr> {
    let depth: u32 = std::env::var("JIT_VS_EVAL_DEPTH").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut s = leaves();
    for _ in 1..depth.max(1) {
        s = level(&s);
    }
    prop_oneof![2 => s.int, 2 => s.float, 1 => s.bool].boxed()
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64)
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() })
}

/// Tallies what a property's cases evaluated to, for the test's stderr.
#[derive(Default)]
struct Tally(Mutex<std::collections::BTreeMap<String, u32>>);

impl Tally {
    fn add(&self, r: &Result<Value, EvalError>) {
        let key = match r {
            Ok(Value::Int(_)) => "int".to_string(),
            Ok(Value::Float(_)) => "float".to_string(),
            Ok(Value::Bool(_)) => "bool".to_string(),
            Err(e) => format!("{e:?}"),
        };
        *self.0.lock().unwrap().entry(key).or_default() += 1;
    }
    fn summary(&self) -> String {
        self.0.lock().unwrap().iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    }
}

/// With `JIT_VS_EVAL_SHOW=1`, every generated model is printed to stderr.
fn show(source: &str) {
    if std::env::var_os("JIT_VS_EVAL_SHOW").is_some() {
        eprintln!("{source}");
    }
}

/// The mismatch of one tree in one rendering, if any (skipping trees whose
/// result the language leaves unspecified).
fn check_tree(e: &Expr, render: fn(&Expr) -> String) -> Option<String> {
    let expected = eval(e);
    if matches!(expected, Err(EvalError::Unspecified)) {
        return None;
    }
    let source = render(e);
    show(&source);
    mismatch(&source, &[expected])
}

/// Single-step simplifications of a tree, each of the same type: a node
/// replaced by one of its children, a literal by a simpler one, or the same
/// applied inside one child.
fn simplifications(e: &Expr) -> Vec<Expr> {
    let mut out: Vec<Expr> = e.children().into_iter().filter(|c| c.ty() == e.ty()).cloned().collect();
    match e {
        Expr::Int(v) => {
            out.extend([0, 1, -1, v / 2].into_iter().filter(|w| w.unsigned_abs() < v.unsigned_abs()).map(Expr::Int))
        }
        Expr::Float(v) => out.extend(
            [0.0, 1.0, v.trunc(), (v * 8.0).round() / 8.0]
                .into_iter()
                .filter(|w| w.is_finite() && w.to_string().len() < v.to_string().len())
                .map(Expr::Float),
        ),
        Expr::Bool(true) => out.push(Expr::Bool(false)),
        _ => {}
    }
    let with = |k: usize, c: Expr| -> Expr {
        let mut e = e.clone();
        match &mut e {
            Expr::Neg(a) | Expr::Not(a) => **a = c,
            Expr::Arith(_, a, b) | Expr::Cmp(_, a, b) | Expr::Logic(_, a, b) => *(if k == 0 { a } else { b }) = bx(c),
            Expr::Call(_, args) => args[k] = c,
            _ => unreachable!(),
        }
        e
    };
    for (k, child) in e.children().into_iter().enumerate() {
        for s in simplifications(child) {
            if s.ty() == child.ty() {
                out.push(with(k, s));
            }
        }
    }
    out
}

/// Greedily simplifies a failing tree while it still fails.
fn minimize(mut e: Expr, fails: impl Fn(&Expr) -> bool) -> Expr {
    'outer: loop {
        for s in simplifications(&e) {
            if fails(&s) {
                e = s;
                continue 'outer;
            }
        }
        return e;
    }
}

fn property(name: &'static str, render: fn(&Expr) -> String) {
    big_stack(move || {
        let start = Instant::now();
        let tally = Tally::default();
        let result = runner().run(&expr(), |e| {
            tally.add(&eval(&e));
            match check_tree(&e, render) {
                None => Ok(()),
                Some(m) => Err(TestCaseError::fail(m)),
            }
        });
        eprintln!(
            "{name}: {} cases in {:.2?} (trees run, incl. shrinking: {})",
            cases(),
            start.elapsed(),
            tally.summary()
        );
        match result {
            Ok(()) => {}
            Err(TestError::Fail(_, e)) => {
                let small = minimize(e.clone(), |x| check_tree(x, render).is_some());
                let m = check_tree(&small, render).unwrap_or_default();
                panic!("{name}: {m}\n--- minimized tree ---\n{small:?}\n--- as proptest shrank it ---\n{e:?}");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    });
}

#[test]
fn inline_expressions_match_the_reference() {
    property("inline", render_inline);
}

#[test]
fn expressions_through_locals_and_fn_frames_match_the_reference() {
    property("frames", render_frames);
}

#[test]
fn expressions_with_implicit_conversions_and_compound_assignment_match_the_reference() {
    property("coerce", render_coerce);
}

#[test]
fn expressions_over_fn_parameters_match_the_reference() {
    property("params", render_params);
}

/// Several prints in one model (one compile per case): the output before the
/// first error is the reference's, and the run ends with that error.
#[test]
fn batched_prints_match_the_reference() {
    /// The mismatch of a batch rendered as one model, if any.
    fn check_batch(es: &[Expr]) -> Option<String> {
        let expected: Vec<_> = es.iter().map(eval).collect();
        let end = expected.iter().position(|r| r.is_err()).map_or(expected.len(), |i| i + 1);
        if expected[..end].iter().any(|r| matches!(r, Err(EvalError::Unspecified))) {
            return None;
        }
        let body: String = es.iter().map(|e| format!("    print(\"{{{}}}\")\n", inline(e))).collect();
        let source = model(&body, "");
        show(&source);
        mismatch(&source, &expected)
    }
    big_stack(|| {
        let start = Instant::now();
        let strategy = prop::collection::vec(expr(), 1..10);
        let result = runner().run(&strategy, |es| match check_batch(&es) {
            None => Ok(()),
            Some(m) => Err(TestCaseError::fail(m)),
        });
        eprintln!("batched: {} cases in {:.2?}", cases(), start.elapsed());
        match result {
            Ok(()) => {}
            Err(TestError::Fail(_, mut es)) => {
                // Drop prints while the batch still fails, then simplify each tree.
                let mut k = 0;
                while k < es.len() {
                    let mut fewer = es.clone();
                    fewer.remove(k);
                    if !fewer.is_empty() && check_batch(&fewer).is_some() {
                        es = fewer;
                    } else {
                        k += 1;
                    }
                }
                for k in 0..es.len() {
                    let rest = es.clone();
                    es[k] = minimize(es[k].clone(), |x| {
                        let mut b = rest.clone();
                        b[k] = x.clone();
                        check_batch(&b).is_some()
                    });
                }
                panic!("batched: {}\n--- minimized trees ---\n{es:?}", check_batch(&es).unwrap_or_default());
            }
            Err(e) => panic!("batched: {e}"),
        }
    });
}

/// Literal forms the lexer must read: `_` separators, exponents with and
/// without a point or sign, `E`, and i64::MIN written with separators.
#[test]
fn literal_forms_print_their_values() {
    let source = model(
        concat!(
            "    print(\"{-9_223_372_036_854_775_808} {1_000} {9_223_372_036_854_775_807}\")\n",
            "    print(\"{2.0e10} {1e-3} {1E3} {2.5E+2} {1_0.2_5} {0.000_1} {5e-324} {1.7976931348623157e308}\")\n",
        ),
        "",
    );
    let ran = big_stack(move || compile_and_run(&source)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ran.error, None);
    assert_eq!(
        ran.output,
        format!(
            "-9223372036854775808 1000 9223372036854775807\n20000000000 0.001 1000 250 10.25 0.0001 {} {}\n",
            5e-324,
            f64::MAX
        )
    );
}

// ---------------------------------------------------------------------------
// Hand-written edge cases
// ---------------------------------------------------------------------------

/// Checks the tree in every rendering against the reference and against
/// `want` (the printed value, or the error keyword prefixed with `!`).
fn check(e: Expr, want: &str) {
    let expected = eval(&e);
    match expected {
        Ok(v) => assert_eq!(v.to_string(), want, "reference value of {e:?}"),
        Err(k) => assert_eq!(format!("!{}", k.keyword()), want, "reference error of {e:?}"),
    }
    big_stack(move || {
        for render in [render_inline, render_frames, render_coerce, render_params] {
            if let Some(m) = mismatch(&render(&e), &[expected]) {
                panic!("{m}");
            }
        }
    });
}

fn i(v: i64) -> Expr {
    Expr::Int(v)
}
fn f(v: f64) -> Expr {
    Expr::Float(v)
}
fn ar(op: Arith, a: Expr, b: Expr) -> Expr {
    Expr::Arith(op, bx(a), bx(b))
}
fn call(func: Func, args: Vec<Expr>) -> Expr {
    Expr::Call(func, args)
}

#[test]
fn int_overflow_is_a_runtime_error() {
    check(ar(Arith::Add, i(i64::MAX), i(1)), "!overflow");
    check(ar(Arith::Sub, i(i64::MIN), i(1)), "!overflow");
    check(ar(Arith::Mul, i(3_037_000_500), i(3_037_000_500)), "!overflow");
    check(ar(Arith::Mul, i(3_037_000_499), i(3_037_000_499)), "9223372030926249001");
    check(ar(Arith::Div, i(i64::MIN), i(-1)), "!overflow");
    check(Expr::Neg(bx(i(i64::MIN))), "!overflow");
    check(call(Func::Abs, vec![i(i64::MIN)]), "!overflow");
    check(call(Func::Abs, vec![i(i64::MIN + 1)]), "9223372036854775807");
    check(ar(Arith::Add, i(i64::MAX), i(0)), "9223372036854775807");
    check(i(i64::MIN), "-9223372036854775808");
}

#[test]
fn int_division_truncates_and_remainder_follows_the_dividend() {
    check(ar(Arith::Div, i(-7), i(2)), "-3");
    check(ar(Arith::Div, i(7), i(-2)), "-3");
    check(ar(Arith::Rem, i(-7), i(3)), "-1");
    check(ar(Arith::Rem, i(7), i(-3)), "1");
    check(ar(Arith::Rem, i(i64::MIN), i(-1)), "0");
    check(ar(Arith::Rem, i(i64::MAX), i(-1)), "0");
    check(ar(Arith::Div, i(1), i(0)), "!division by zero");
    check(ar(Arith::Rem, i(1), i(0)), "!remainder by zero");
    check(ar(Arith::Div, i(0), i(0)), "!division by zero");
}

#[test]
fn float_arithmetic_is_ieee() {
    check(ar(Arith::Rem, f(7.5), i(2)), "1.5");
    check(ar(Arith::Rem, f(-7.5), f(2.0)), "-1.5");
    check(ar(Arith::Add, f(0.1), f(0.2)), "0.30000000000000004");
    check(ar(Arith::Div, f(1.0), i(0)), "inf");
    check(ar(Arith::Div, i(-1), f(0.0)), "-inf");
    check(ar(Arith::Div, f(0.0), f(0.0)), "NaN");
    check(ar(Arith::Rem, f(1.0), f(0.0)), "NaN");
    check(ar(Arith::Mul, f(1e300), f(1e300)), "inf");
    check(ar(Arith::Mul, f(-0.0), i(1)), "-0");
    check(ar(Arith::Mul, i(100), f(1.0)), "100");
    check(ar(Arith::Add, i(i64::MAX), f(0.0)), "9223372036854776000");
    check(call(Func::Sqrt, vec![i(-1)]), "NaN");
    check(call(Func::Sqrt, vec![i(2)]), "1.4142135623730951");
    check(call(Func::Floor, vec![f(-0.5)]), "-1");
    check(call(Func::Floor, vec![f(-0.0)]), "-0");
    check(call(Func::Ceil, vec![f(-0.5)]), "-0");
    check(call(Func::Floor, vec![i(-3)]), "-3");
    check(call(Func::Float, vec![i(3)]), "3");
    check(Expr::Neg(bx(f(0.0))), "-0");
}

#[test]
fn min_and_max_follow_rusts_f64_min_and_max() {
    let nan = || ar(Arith::Div, f(0.0), f(0.0));
    check(call(Func::Min, vec![nan(), f(1.0)]), "1");
    check(call(Func::Min, vec![f(1.0), nan()]), "1");
    check(call(Func::Max, vec![nan(), f(-1.0)]), "-1");
    check(call(Func::Max, vec![f(-1.0), nan()]), "-1");
    check(call(Func::Min, vec![nan(), nan()]), "NaN");
    check(call(Func::Min, vec![i(1), f(2.5)]), "1");
    check(call(Func::Max, vec![i(1), f(2.5)]), "2.5");
    check(call(Func::Min, vec![i(i64::MIN), i(i64::MAX)]), "-9223372036854775808");
    check(call(Func::Max, vec![i(-3), i(-4)]), "-3");
}

#[test]
fn int_of_a_float_truncates_or_fails() {
    check(call(Func::Int, vec![f(2.7)]), "2");
    check(call(Func::Int, vec![f(-2.7)]), "-2");
    check(call(Func::Int, vec![f(-0.9)]), "0");
    check(call(Func::Int, vec![i(-5)]), "-5");
    check(call(Func::Int, vec![f(-9_223_372_036_854_775_808.0)]), "-9223372036854775808");
    check(call(Func::Int, vec![f(9_223_372_036_854_774_784.0)]), "9223372036854774784");
    check(call(Func::Int, vec![f(9_223_372_036_854_775_808.0)]), "!int(");
    check(call(Func::Int, vec![f(-9_223_372_036_854_777_856.0)]), "!int(");
    check(call(Func::Int, vec![ar(Arith::Div, f(0.0), f(0.0))]), "!int(");
    check(call(Func::Int, vec![ar(Arith::Div, f(1.0), f(0.0))]), "!int(");
}

#[test]
fn logic_short_circuits_past_errors() {
    let boom = || Expr::Cmp(CmpOp::Eq, bx(ar(Arith::Div, i(1), i(0))), bx(i(0)));
    check(Expr::Logic(true, bx(Expr::Bool(false)), bx(boom())), "false");
    check(Expr::Logic(false, bx(Expr::Bool(true)), bx(boom())), "true");
    check(Expr::Logic(true, bx(Expr::Bool(true)), bx(boom())), "!division by zero");
    check(Expr::Logic(false, bx(Expr::Bool(false)), bx(boom())), "!division by zero");
    // Left-to-right: the left operand's error comes first.
    check(ar(Arith::Add, ar(Arith::Rem, i(1), i(0)), ar(Arith::Div, i(1), i(0))), "!remainder by zero");
}

#[test]
fn comparisons_promote_and_treat_nan_as_unordered() {
    let nan = || ar(Arith::Div, f(0.0), f(0.0));
    check(Expr::Cmp(CmpOp::Eq, bx(i(i64::MAX)), bx(f(9_223_372_036_854_775_808.0))), "true");
    check(Expr::Cmp(CmpOp::Lt, bx(i(1)), bx(f(1.5))), "true");
    check(Expr::Cmp(CmpOp::Eq, bx(nan()), bx(nan())), "false");
    check(Expr::Cmp(CmpOp::Ne, bx(nan()), bx(nan())), "true");
    check(Expr::Cmp(CmpOp::Ge, bx(nan()), bx(f(1.0))), "false");
    check(Expr::Cmp(CmpOp::Eq, bx(f(0.0)), bx(f(-0.0))), "true");
    check(Expr::Cmp(CmpOp::Ne, bx(Expr::Bool(true)), bx(Expr::Bool(false))), "true");
    check(Expr::Not(bx(Expr::Cmp(CmpOp::Le, bx(i(i64::MIN)), bx(i(i64::MAX))))), "false");
}
