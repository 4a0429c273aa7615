//! Compile-time evaluation of constant expressions: `const` values, `param`
//! defaults, array lengths, `var` initial values, root arguments and the horizon.

use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::diagnostic::Diagnostic;
use crate::program::Value;
use crate::span::Span;

/// Looks up the value of a named constant (a `const` or a `param`).
pub trait ConstEnv {
    /// `None` when the name is not a constant; `Some(Err)` when it is one whose
    /// evaluation failed (already reported).
    fn lookup_const(&mut self, name: &str, span: Span) -> Option<Result<Value, ()>>;
    /// Resolves a struct name to its field names, for struct literals.
    fn struct_fields(&self, name: &str) -> Option<Vec<String>>;
    /// The error for a name the model does not define at all (`True`), when
    /// the environment can tell; `None` lets it be "not a constant".
    fn unknown_name(&self, _name: &str, _span: Span) -> Option<Diagnostic> {
        None
    }
}

/// An evaluation failure: a diagnostic to report, or `None` when the failure
/// was already reported where a named constant is defined.
pub type EvalError = Option<Box<Diagnostic>>;

fn fail(d: Diagnostic) -> EvalError {
    Some(Box::new(d))
}

fn not_constant(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error("E0110", format!("{what} is not a constant expression"), span)
        .with_label("must be computable before the simulation starts")
        .with_note("constant expressions may use literals, `const`s, `param`s, arithmetic and math built-ins")
}

fn eval_error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0111", message, span)
}

/// Evaluates a constant expression. A failed named constant yields `Err(None)`:
/// its own error is reported once, where it is defined.
///
/// The result is the one generated code computes for the same expression,
/// operator by operator: checked `int` arithmetic, IEEE `float` arithmetic,
/// and `&&` / `||` that do not evaluate their right side when the left one
/// decides (`false && 1 / 0 == 1` is `false`).
pub fn eval(expr: &Expr<()>, env: &mut dyn ConstEnv) -> Result<Value, EvalError> {
    eval_in(expr, env, Mode::Evaluate)
}

/// Whether a subexpression's value is wanted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Evaluate,
    /// The right side of a `&&` or `||` whose left side decided the result:
    /// generated code never evaluates it, so a value it cannot compute (an
    /// overflow, a division by zero, `round` of NaN) is no error. It must
    /// still be a constant expression of the right type, so it is walked for
    /// those errors, with such a failed operation standing for the int `0`
    /// (every operation that can fail on its values gives an int).
    Skipped,
}

/// Why an operator or built-in gave no value.
enum Fault {
    /// The operation cannot take these values (overflow, division by zero,
    /// `round(NaN)`): a runtime error in generated code.
    Value(String),
    /// The operands do not fit the operation at all, whatever their values.
    Shape(String),
}

/// The outcome of an operation in `mode`: a value fault in a skipped
/// subexpression stands for an int.
fn settle(result: Result<Value, Fault>, mode: Mode, span: Span) -> Result<Value, EvalError> {
    match result {
        Ok(v) => Ok(v),
        Err(Fault::Value(_)) if mode == Mode::Skipped => Ok(Value::Int(0)),
        Err(Fault::Value(m) | Fault::Shape(m)) => Err(fail(eval_error(span, m))),
    }
}

fn eval_in(expr: &Expr<()>, env: &mut dyn ConstEnv, mode: Mode) -> Result<Value, EvalError> {
    let span = expr.span;
    match &expr.kind {
        ExprKind::Int(v) => Ok(Value::Int(*v)),
        ExprKind::Float(v) => Ok(Value::Float(*v)),
        ExprKind::Bool(v) => Ok(Value::Bool(*v)),
        ExprKind::Paren(inner) => eval_in(inner, env, mode),
        ExprKind::Name(name) => match env.lookup_const(name, span) {
            Some(Ok(v)) => Ok(v),
            Some(Err(())) => Err(None),
            None => Err(fail(env.unknown_name(name, span).unwrap_or_else(|| not_constant(span, &format!("`{name}`"))))),
        },
        ExprKind::Unary(op, inner) => {
            let v = eval_in(inner, env, mode)?;
            let result = match (op, v) {
                (UnOp::Neg, Value::Int(i)) => i.checked_neg().map(Value::Int).ok_or_else(overflow),
                (UnOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
                (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                (op, _) => Err(Fault::Shape(format!(
                    "`{}` cannot be applied to this value",
                    if *op == UnOp::Neg { "-" } else { "!" }
                ))),
            };
            settle(result, mode, span)
        }
        ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
            // As generated code: the right side runs only when the left one
            // does not decide (`false && _`, `true || _`).
            let a = eval_in(a, env, mode)?;
            let decided = matches!(a, Value::Bool(left) if left == (*op == BinOp::Or));
            let right_mode = if decided || !matches!(a, Value::Bool(_)) { Mode::Skipped } else { mode };
            let b = eval_in(b, env, right_mode)?;
            match binary(*op, a.clone(), b) {
                Ok(_) if decided => Ok(a),
                result => settle(result, mode, span),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let a = eval_in(a, env, mode)?;
            let b = eval_in(b, env, mode)?;
            settle(binary(*op, a, b), mode, span)
        }
        ExprKind::Call { callee, args } => {
            let mut values = Vec::new();
            for arg in args {
                values.push(eval_in(arg, env, mode)?);
            }
            let result = call(&callee.name, &values)
                .unwrap_or_else(|| Err(Fault::Shape(format!("`{}(...)` cannot be used in a constant", callee.name))));
            settle(result, mode, span)
        }
        ExprKind::ArrayLit(items) => {
            let mut values = Vec::new();
            for item in items {
                values.push(eval_in(item, env, mode)?);
            }
            // Mixed int/float literals promote to float, as in typed code.
            if values.iter().any(|v| matches!(v, Value::Float(_))) {
                values = values.into_iter().map(promote).collect();
            }
            Ok(Value::Array(values))
        }
        ExprKind::ArrayRepeat(item, len) => {
            let value = eval_in(item, env, mode)?;
            let n = array_len(len, env, "an array")?;
            Ok(Value::Array(vec![value; n as usize]))
        }
        ExprKind::StructLit { name, fields } => {
            let Some(order) = env.struct_fields(&name.name) else {
                return Err(fail(not_constant(span, "this struct literal")));
            };
            let mut values = Vec::new();
            for field in &order {
                let Some((_, e)) = fields.iter().find(|(f, _)| &f.name == field) else {
                    return Err(fail(eval_error(span, format!("missing field `{field}`"))));
                };
                values.push(eval_in(e, env, mode)?);
            }
            Ok(Value::Struct(values))
        }
        _ => Err(fail(not_constant(span, "this expression"))),
    }
}

/// The largest array or family length accepted (and the most slots one array
/// may take): 1M keeps frames and the globals block reasonable.
pub const MAX_ARRAY_LEN: i64 = 1 << 20;

/// The most values the locals, parameters and result of one process or `fn`
/// may hold together (32 MiB): a process's frame is allocated per process,
/// and a `fn`'s frame lives on the host stack.
pub const MAX_FRAME_VALUES: u64 = 1 << 22;

/// The most values all global `var`s may hold together (128 MiB).
pub const MAX_GLOBAL_VALUES: u64 = 1 << 24;

/// Evaluates an array or family length: a constant int in `0..=MAX_ARRAY_LEN`.
/// `what` names it in messages: "an array" or "a family".
pub fn array_len(expr: &Expr<()>, env: &mut dyn ConstEnv, what: &str) -> Result<u64, EvalError> {
    match eval(expr, env)? {
        Value::Int(n) if (0..=MAX_ARRAY_LEN).contains(&n) => Ok(n as u64),
        Value::Int(n) => Err(fail(
            Diagnostic::error(
                "E0114",
                format!("{what} length must be between 0 and {MAX_ARRAY_LEN}, got {n}"),
                expr.span,
            )
            .with_label("length out of range"),
        )),
        _ => Err(fail(
            Diagnostic::error("E0114", format!("{what} length must be an int"), expr.span).with_label("not an int"),
        )),
    }
}

pub fn promote(v: Value) -> Value {
    match v {
        Value::Int(i) => Value::Float(i as f64),
        other => other,
    }
}

fn overflow() -> Fault {
    Fault::Value("integer overflow in constant".into())
}

fn binary(op: BinOp, a: Value, b: Value) -> Result<Value, Fault> {
    use Value::{Bool, Float, Int};
    let shape = |m: &str| Err(Fault::Shape(m.into()));
    Ok(match (op, a, b) {
        (BinOp::And, Bool(a), Bool(b)) => Bool(a && b),
        (BinOp::Or, Bool(a), Bool(b)) => Bool(a || b),
        (BinOp::Eq, Bool(a), Bool(b)) => Bool(a == b),
        (BinOp::Ne, Bool(a), Bool(b)) => Bool(a != b),
        (op, Int(a), Int(b)) => match op {
            BinOp::Add => Int(a.checked_add(b).ok_or_else(overflow)?),
            BinOp::Sub => Int(a.checked_sub(b).ok_or_else(overflow)?),
            BinOp::Mul => Int(a.checked_mul(b).ok_or_else(overflow)?),
            BinOp::Div if b == 0 => return Err(Fault::Value("division by zero in constant".into())),
            BinOp::Rem if b == 0 => return Err(Fault::Value("remainder by zero in constant".into())),
            // `i64::MIN / -1` overflows; `i64::MIN % -1` is 0.
            BinOp::Div => Int(a.checked_div(b).ok_or_else(overflow)?),
            BinOp::Rem => Int(a.checked_rem(b).unwrap_or(0)),
            BinOp::Eq => Bool(a == b),
            BinOp::Ne => Bool(a != b),
            BinOp::Lt => Bool(a < b),
            BinOp::Le => Bool(a <= b),
            BinOp::Gt => Bool(a > b),
            BinOp::Ge => Bool(a >= b),
            BinOp::And | BinOp::Or => return shape("`&&` and `||` need bools"),
        },
        (op, a @ (Int(_) | Float(_)), b @ (Int(_) | Float(_))) => {
            let (Float(a), Float(b)) = (promote(a), promote(b)) else {
                return shape("internal: promotion failed");
            };
            // IEEE, as generated code: NaN compares unequal to everything,
            // `!=` included.
            match op {
                BinOp::Add => Float(a + b),
                BinOp::Sub => Float(a - b),
                BinOp::Mul => Float(a * b),
                BinOp::Div => Float(a / b),
                BinOp::Rem => Float(usim_stdlib::math::float_remainder(a, b)),
                BinOp::Eq => Bool(a == b),
                BinOp::Ne => Bool(a != b),
                BinOp::Lt => Bool(a < b),
                BinOp::Le => Bool(a <= b),
                BinOp::Gt => Bool(a > b),
                BinOp::Ge => Bool(a >= b),
                BinOp::And | BinOp::Or => return shape("`&&` and `||` need bools"),
            }
        }
        _ => return shape("these operand types do not fit the operator"),
    })
}

fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Pure math built-ins in constants, each computed by the function (or the
/// IEEE operation) generated code uses for it. `None` when the name is not
/// one of them.
fn call(name: &str, args: &[Value]) -> Option<Result<Value, Fault>> {
    use usim_stdlib::math;
    use Value::{Float, Int};
    let f1 = || match args {
        [a] => as_float(a).ok_or_else(|| Fault::Shape(format!("`{name}` needs a number"))),
        _ => Err(Fault::Shape(format!("`{name}` takes 1 argument, got {}", args.len()))),
    };
    let f2 = || match args {
        [a, b] => match (as_float(a), as_float(b)) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(Fault::Shape(format!("`{name}` needs numbers"))),
        },
        _ => Err(Fault::Shape(format!("`{name}` takes 2 arguments, got {}", args.len()))),
    };
    Some(match name {
        "sqrt" => f1().map(|x| Float(x.sqrt())),
        "exp" => f1().map(|x| Float(x.exp())),
        "ln" => f1().map(|x| Float(x.ln())),
        "floor" => f1().map(|x| Float(x.floor())),
        "ceil" => f1().map(|x| Float(x.ceil())),
        "pow" => f2().map(|(a, b)| Float(a.powf(b))),
        "float" => f1().map(Float),
        "round" => f1().and_then(|x| math::round_to_int(x).map(Int).map_err(Fault::Value)),
        "int" => match args {
            [Int(i)] => Ok(Int(*i)),
            _ => f1().and_then(|x| math::truncate_to_int(x).map(Int).map_err(Fault::Value)),
        },
        "abs" => match args {
            [Int(i)] => i.checked_abs().map(Int).ok_or_else(overflow),
            _ => f1().map(|x| Float(x.abs())),
        },
        // A NaN argument gives the other one; a tie (`0.0` and `-0.0`) keeps
        // the first.
        "min" | "max" => match args {
            [Int(a), Int(b)] => Ok(Int(if name == "min" { *a.min(b) } else { *a.max(b) })),
            _ => f2().map(|(a, b)| Float(if name == "min" { math::min_float(a, b) } else { math::max_float(a, b) })),
        },
        _ => return None,
    })
}

/// The value of a checked int expression made of literals (the checker has
/// put the values of `const`s and `param`s in their place) and arithmetic,
/// as the generated code would compute it; `None` for anything else or an
/// overflow.
pub fn int_value<T>(e: &Expr<T>) -> Option<i64> {
    match &e.kind {
        ExprKind::Int(i) => Some(*i),
        ExprKind::Paren(inner) => int_value(inner),
        ExprKind::Unary(UnOp::Neg, inner) => int_value(inner)?.checked_neg(),
        ExprKind::Binary(op, a, b) => {
            let (a, b) = (int_value(a)?, int_value(b)?);
            match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => a.checked_div(b),
                // As `eval`: `i64::MIN % -1` is 0; `% 0` gives no value.
                BinOp::Rem if b == -1 => Some(0),
                BinOp::Rem => a.checked_rem(b),
                _ => None,
            }
        }
        _ => None,
    }
}
