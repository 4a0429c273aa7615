//! Property test: what `print("{x:SPEC}")` prints, compiled and run, is what
//! Rust's `format!` prints for the same spec and value.
//!
//! A model is a list of random interpolations, each of a random value and a
//! random spec `[[fill]align][+][0][width][.decimals]`:
//!
//! - ints (edge values `0`, `-1`, `i64::MAX`, `i64::MIN`, …, and any), floats
//!   (`-0.0`, NaN, `±inf`, halfway values such as `0.125` and `2.5`, the
//!   extremes `5e-324` and `1.7976931348623157e308`, and any finite bits),
//!   each with any alignment, fill, `+`, `0`, width and decimals (floats);
//! - bools, structs and arrays, with any alignment, fill and width (the
//!   checker refuses `+`, `0` and decimals on them); Rust's reference is the
//!   value's text padded as a `&str`.
//!
//! The fill is one of a set of characters that includes multi-byte ones
//! (`·`, `é`, `🦀`) and the spec's own punctuation (`0`, `<`, `^`, `+`, `:`,
//! `.`). Rust's `format!` needs its spec at compile time, so the reference is
//! a `match` over every fill, alignment and flag with the width and the
//! decimals as runtime arguments (`{0:*^+01$.2$}`).
//!
//! `PROPTEST_CASES` sets the number of models (default 48); each prints 64
//! values.

mod support;

use std::fmt::Display;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::{cases, describe_failure, guard, isolated, run_config};
use usim_compiler::compile_source;
use usim_runtime::{run, SharedBuffer};

/// The fills a spec may have: ASCII, the spec's own characters and
/// characters of two and four bytes.
const FILLS: [char; 14] = [' ', '*', '0', '<', '^', '>', '+', '-', ':', '.', '#', '·', 'é', '🦀'];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Align {
    Auto,
    Left,
    Right,
    Center,
}

#[derive(Clone, Copy, Debug)]
struct Spec {
    fill: char,
    align: Align,
    plus: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
    /// Write a space fill out (`{x: >8}`) rather than leave it implied.
    explicit_space: bool,
}

impl Spec {
    /// The spec as usim source, after the colon.
    fn text(&self) -> String {
        let mut s = String::new();
        let align = match self.align {
            Align::Auto => None,
            Align::Left => Some('<'),
            Align::Right => Some('>'),
            Align::Center => Some('^'),
        };
        if let Some(a) = align {
            if self.fill != ' ' || self.explicit_space {
                s.push(self.fill);
            }
            s.push(a);
        }
        if self.plus {
            s.push('+');
        }
        if self.zero {
            s.push('0');
        }
        if let Some(w) = self.width {
            s.push_str(&w.to_string());
        }
        if let Some(p) = self.precision {
            s.push_str(&format!(".{p}"));
        }
        s
    }
}

/// One flag combination of Rust's spec, with `$pre` (fill and alignment) in
/// front: the width is argument 1 and the decimals argument 2.
macro_rules! by_flags {
    ($v:ident, $w:ident, $p:ident, $spec:ident, $pre:expr) => {
        match ($spec.plus, $spec.zero, $spec.precision.is_some()) {
            (false, false, false) => format!(concat!("{0:", $pre, "1$}"), $v, $w),
            (false, false, true) => format!(concat!("{0:", $pre, "1$.2$}"), $v, $w, $p),
            (true, false, false) => format!(concat!("{0:", $pre, "+1$}"), $v, $w),
            (true, false, true) => format!(concat!("{0:", $pre, "+1$.2$}"), $v, $w, $p),
            (false, true, false) => format!(concat!("{0:", $pre, "01$}"), $v, $w),
            (false, true, true) => format!(concat!("{0:", $pre, "01$.2$}"), $v, $w, $p),
            (true, true, false) => format!(concat!("{0:", $pre, "+01$}"), $v, $w),
            (true, true, true) => format!(concat!("{0:", $pre, "+01$.2$}"), $v, $w, $p),
        }
    };
}

/// Every fill with every alignment, then the flags.
macro_rules! by_fill {
    ($v:ident, $w:ident, $p:ident, $spec:ident; $($fill:literal),*) => {
        match ($spec.fill, $spec.align) {
            (_, Align::Auto) => by_flags!($v, $w, $p, $spec, ""),
            $(
                ($fill, Align::Left) => by_flags!($v, $w, $p, $spec, concat!($fill, "<")),
                ($fill, Align::Right) => by_flags!($v, $w, $p, $spec, concat!($fill, ">")),
                ($fill, Align::Center) => by_flags!($v, $w, $p, $spec, concat!($fill, "^")),
            )*
            (fill, _) => panic!("no reference for the fill {fill:?}"),
        }
    };
}

/// What Rust's `format!` prints for `v` with this spec. A width of 0 is no
/// width, as in Rust.
fn rust_format<T: Display>(v: T, spec: &Spec) -> String {
    let w = spec.width.unwrap_or(0);
    let p = spec.precision.unwrap_or(0);
    by_fill!(v, w, p, spec; ' ', '*', '0', '<', '^', '>', '+', '-', ':', '.', '#', '·', 'é', '🦀')
}

#[derive(Clone, Debug)]
enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `P { a: int, b: float, c: bool }`
    Struct(i64, f64, bool),
    /// `[float; n]`
    Array(Vec<f64>),
}

fn int_lit(v: i64) -> String {
    // The parser reads `-9223372036854775808` (i64::MIN) as one literal.
    if v < 0 {
        format!("(-{})", v.unsigned_abs())
    } else {
        v.to_string()
    }
}

fn float_lit(v: f64) -> String {
    if v.is_nan() {
        return "(0.0 / 0.0)".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "(1.0 / 0.0)".into() } else { "(-1.0 / 0.0)".into() };
    }
    let s = format!("{:?}", v.abs());
    if v.is_sign_negative() {
        format!("(-{s})")
    } else {
        s
    }
}

impl Value {
    fn source(&self) -> String {
        match self {
            Value::Int(v) => int_lit(*v),
            Value::Float(v) => float_lit(*v),
            Value::Bool(b) => b.to_string(),
            Value::Struct(a, b, c) => format!("P {{ a: {}, b: {}, c: {c} }}", int_lit(*a), float_lit(*b)),
            Value::Array(xs) => format!("[{}]", xs.iter().map(|x| float_lit(*x)).collect::<Vec<_>>().join(", ")),
        }
    }

    /// What Rust prints for this value and spec; an aggregate is padded as
    /// its text (`{x}`), the way Rust pads a `&str`.
    fn expected(&self, spec: &Spec) -> String {
        match self {
            Value::Int(v) => rust_format(v, spec),
            Value::Float(v) => rust_format(v, spec),
            Value::Bool(b) => rust_format(b, spec),
            Value::Struct(a, b, c) => rust_format(format!("P {{ a: {a}, b: {b}, c: {c} }}").as_str(), spec),
            Value::Array(xs) => rust_format(
                format!("[{}]", xs.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")).as_str(),
                spec,
            ),
        }
    }
}

fn int_value() -> impl Strategy<Value = i64> {
    prop_oneof![
        prop::sample::select(vec![0, 1, -1, 7, -42, 999, 1000, -1000, i64::MAX, i64::MIN, i64::MIN + 1]),
        -100_000i64..100_000,
        any::<i64>(),
    ]
}

fn float_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.125,
            2.5,
            -3.5,
            0.1 + 0.2,
            1e-7,
            1e21,
            5e-324,
            f64::MAX,
            -f64::MAX,
            999.995,
            0.5,
        ]),
        (-1000i64..1000, 0u32..4).prop_map(|(m, e)| m as f64 / 10f64.powi(e as i32)),
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => int_value().prop_map(Value::Int),
        5 => float_value().prop_map(Value::Float),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => (int_value(), float_value(), any::<bool>()).prop_map(|(a, b, c)| Value::Struct(a, b, c)),
        1 => prop::collection::vec(float_value(), 1..4).prop_map(Value::Array),
    ]
}

fn align() -> impl Strategy<Value = Align> {
    prop::sample::select(vec![Align::Auto, Align::Left, Align::Right, Align::Center])
}

/// A spec the checker accepts for the value: `+`, `0` only on numbers and
/// decimals only on floats. A width of 0 only with `0` (`{x:00}`), since
/// `{x:0}` alone is the `0` flag without a width, as in Rust.
fn spec_for(v: &Value) -> impl Strategy<Value = Spec> {
    let number = matches!(v, Value::Int(_) | Value::Float(_));
    let float = matches!(v, Value::Float(_));
    let width = prop_oneof![
        2 => Just(None),
        6 => (1usize..=30).prop_map(Some),
        1 => (0usize..=1000).prop_map(Some),
    ];
    let precision = prop_oneof![
        3 => Just(None),
        5 => (0usize..=17).prop_map(Some),
        1 => (0usize..=400).prop_map(Some),
    ];
    (prop::sample::select(FILLS.to_vec()), align(), any::<bool>(), any::<bool>(), width, precision, any::<bool>())
        .prop_map(move |(fill, align, plus, zero, width, precision, explicit_space)| {
            let zero = zero && number;
            let width = match width {
                Some(0) if !zero => Some(1),
                w => w,
            };
            Spec {
                fill: if align == Align::Auto { ' ' } else { fill },
                align,
                plus: plus && number,
                zero,
                width,
                precision: precision.filter(|_| float),
                explicit_space,
            }
        })
}

fn case() -> impl Strategy<Value = (Value, Spec)> {
    value().prop_flat_map(|v| {
        let spec = spec_for(&v);
        (Just(v), spec)
    })
}

fn model(cases: &[(Value, Spec)]) -> String {
    let mut src = String::from("struct P { a: int, b: float, c: bool }\n\nprocess main() {\n");
    for (v, spec) in cases {
        src.push_str(&format!("    print(\"[{{{}:{}}}]\")\n", v.source(), spec.text()));
    }
    src.push_str("}\n\nrun main()\n");
    src
}

fn compile_and_run(src: String) -> Result<String, String> {
    isolated(move || {
        let (compiled, _warnings) = guard("compile", || compile_source(&src, &[], false))?.map_err(describe_failure)?;
        let sink = SharedBuffer::default();
        let config = run_config(&sink);
        let outcome = guard("run", || run(compiled.program(), config))?;
        if let Some(e) = outcome.error {
            return Err(format!("[runtime-error] {e:?}"));
        }
        String::from_utf8(sink.bytes()).map_err(|e| format!("[bad-output] {e}"))
    })
}

#[test]
fn printed_text_is_what_rust_format_prints() {
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let result = runner.run(&prop::collection::vec(case(), 64), |cases| {
        let src = model(&cases);
        let output = compile_and_run(src.clone()).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        let lines: Vec<&str> = output.lines().collect();
        prop_assert_eq!(lines.len(), cases.len(), "{}", src);
        for ((v, spec), line) in cases.iter().zip(&lines) {
            let want = format!("[{}]", v.expected(spec));
            prop_assert_eq!(*line, want.as_str(), "`{{{}:{}}}` with {:?}", v.source(), spec.text(), spec);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The edges the random cases may miss, each checked by hand against Rust.
#[test]
fn hand_picked_edges() {
    let cases = [
        ("{-0.0:+}", "-0"),
        ("{(0.0 / 0.0):+08.2}", "00000NaN"),
        ("{(1.0 / 0.0):*<06}", "000inf"),
        ("{-42:<06}", "-00042"),
        ("{42:0<6}", "420000"),
        ("{7:^4}", " 7  "),
        ("{3.5:🦀^6}", "🦀3.5🦀🦀"),
        ("{2.5:.0}", "2"),
        ("{true:^7}", " true  "),
        ("{[1, 2]:>8}", "  [1, 2]"),
        ("{1:00}", "1"),
        ("{1:0}", "1"),
        ("{1:<}", "1"),
        ("{1:}", "1"),
        ("{12345:3}", "12345"),
    ];
    let mut src = String::from("process main() {\n");
    for (interp, _) in cases {
        src.push_str(&format!("    print(\"[{interp}]\")\n"));
    }
    src.push_str("}\n\nrun main()\n");
    let output = compile_and_run(src).expect("the model runs");
    let want: String = cases.iter().map(|(_, text)| format!("[{text}]\n")).collect();
    assert_eq!(output, want);
}
