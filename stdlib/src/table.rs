//! The built-in function table: names, overloads, and how each overload is
//! implemented. The type checker resolves calls against it and the code
//! generator lowers them from it, so the two can never disagree.

/// A value type a built-in takes or returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Int,
    Float,
    Bool,
}

/// An operation the code generator emits inline instead of calling out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InlineOp {
    /// `sqrt` (IEEE: `sqrt(-1)` is NaN).
    Sqrt,
    /// `floor`, returning a float.
    Floor,
    /// `ceil`, returning a float.
    Ceil,
    /// `abs` of a float.
    FAbs,
    /// `abs` of an int; `abs(i64::MIN)` overflows, which is a runtime error
    /// the code generator must check.
    IAbs,
    /// `min` of floats, as Rust's `f64::min`: a NaN argument yields the other one.
    FMin,
    /// `max` of floats, as Rust's `f64::max`: a NaN argument yields the other one.
    FMax,
    /// `min` of ints.
    IMin,
    /// `max` of ints.
    IMax,
    /// `float(int)`: the nearest float.
    IntToFloat,
    /// `int(int)` and `float(float)`: the argument itself.
    Identity,
}

/// How one overload of a built-in is implemented.
#[derive(Clone, Copy, Debug)]
pub enum Impl {
    /// Compiled inline by the code generator (IAbs must be overflow-checked by codegen: abs(i64::MIN)).
    Inline(InlineOp),
    /// A call to `extern "C" fn(rt: *mut Runtime, args..., span: i64) -> ret` when `fallible`,
    /// or `extern "C" fn(args...) -> ret` (no rt, no span) when pure. Bool is passed/returned as u8.
    /// A fallible function that fails records the error in the runtime (its
    /// `header.error` becomes 1) and returns 0, 0.0 or false.
    Host { symbol: &'static str, fallible: bool },
}

/// One overload: parameter types, result type and implementation.
#[derive(Clone, Copy, Debug)]
pub struct Signature {
    pub params: &'static [Ty],
    pub ret: Ty,
    pub imp: Impl,
}

/// A built-in function and all its overloads, int overloads first.
#[derive(Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub signatures: &'static [Signature],
    /// Draws from the replication's random stream.
    pub random: bool,
    /// One line for modellers, used in hints and documentation.
    pub doc: &'static str,
}

impl Builtin {
    /// The overload a call with these argument types selects: the first whose
    /// parameters match exactly, else the first that matches when `int`
    /// arguments are promoted to `float`. `None` if no overload fits.
    pub fn resolve(&self, args: &[Ty]) -> Option<&'static Signature> {
        let fits = |signature: &&Signature, promote: bool| {
            signature.params.len() == args.len()
                && signature
                    .params
                    .iter()
                    .zip(args)
                    .all(|(&param, &arg)| param == arg || (promote && arg == Ty::Int && param == Ty::Float))
        };
        let signatures: &'static [Signature] = self.signatures;
        signatures
            .iter()
            .find(|signature| fits(signature, false))
            .or_else(|| signatures.iter().find(|signature| fits(signature, true)))
    }
}

/// Every built-in function, in the order of the language reference.
pub fn builtins() -> &'static [Builtin] {
    BUILTINS
}

/// The built-in function called `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|builtin| builtin.name == name)
}

/// A time built-in the checker reads itself, outside the table of
/// [`builtins`] (it takes no value and gives none: it is awaited), with its
/// signature as a modeller writes it and one line for modellers.
#[derive(Debug)]
pub struct TimeForm {
    pub name: &'static str,
    pub signature: &'static str,
    pub doc: &'static str,
}

/// The time built-ins `delay` and `at`: with [`builtins`], every function a
/// model can call without defining it.
pub fn time_forms() -> &'static [TimeForm] {
    TIME_FORMS
}

static TIME_FORMS: &[TimeForm] = &[
    TimeForm {
        name: "delay",
        signature: "await delay(d: float)",
        doc: "delay(d): resumes the process d time units later (only as `await delay(d)`; d < 0 is an error)",
    },
    TimeForm {
        name: "at",
        signature: "await at(t: float)",
        doc: "at(t): resumes the process at exactly time t (only as `await at(t)`; t < now is an error)",
    },
];

use InlineOp::*;
use Ty::{Bool as B, Float as F, Int as I};

const fn inline(params: &'static [Ty], ret: Ty, op: InlineOp) -> Signature {
    Signature { params, ret, imp: Impl::Inline(op) }
}

/// A host function that cannot fail and takes no runtime pointer.
const fn pure(params: &'static [Ty], ret: Ty, symbol: &'static str) -> Signature {
    Signature { params, ret, imp: Impl::Host { symbol, fallible: false } }
}

/// A host function that takes the runtime and a span and may raise an error.
const fn fallible(params: &'static [Ty], ret: Ty, symbol: &'static str) -> Signature {
    Signature { params, ret, imp: Impl::Host { symbol, fallible: true } }
}

static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "abs",
        signatures: &[inline(&[I], I, IAbs), inline(&[F], F, FAbs)],
        random: false,
        doc: "abs(x): the absolute value of an int or a float",
    },
    Builtin {
        name: "min",
        signatures: &[inline(&[I, I], I, IMin), inline(&[F, F], F, FMin)],
        random: false,
        doc: "min(a, b): the smaller of two ints or two floats",
    },
    Builtin {
        name: "max",
        signatures: &[inline(&[I, I], I, IMax), inline(&[F, F], F, FMax)],
        random: false,
        doc: "max(a, b): the larger of two ints or two floats",
    },
    Builtin {
        name: "sqrt",
        signatures: &[inline(&[F], F, Sqrt)],
        random: false,
        doc: "sqrt(x): the square root (NaN for x < 0)",
    },
    Builtin { name: "exp", signatures: &[pure(&[F], F, "usim_exp")], random: false, doc: "exp(x): e to the power x" },
    Builtin {
        name: "ln",
        signatures: &[pure(&[F], F, "usim_ln")],
        random: false,
        doc: "ln(x): the natural logarithm (-inf for 0, NaN for x < 0)",
    },
    Builtin {
        name: "pow",
        signatures: &[pure(&[F, F], F, "usim_pow")],
        random: false,
        doc: "pow(x, y): x to the power y, as a float",
    },
    Builtin {
        name: "floor",
        signatures: &[inline(&[F], F, Floor)],
        random: false,
        doc: "floor(x): the largest whole number <= x, as a float",
    },
    Builtin {
        name: "ceil",
        signatures: &[inline(&[F], F, Ceil)],
        random: false,
        doc: "ceil(x): the smallest whole number >= x, as a float",
    },
    Builtin {
        name: "round",
        signatures: &[fallible(&[F], I, "usim_round")],
        random: false,
        doc: "round(x): the nearest int, halves away from zero (an error for NaN or out of range)",
    },
    Builtin {
        name: "int",
        signatures: &[inline(&[I], I, Identity), fallible(&[F], I, "usim_int")],
        random: false,
        doc: "int(x): a float truncated toward zero (an error for NaN or out of range)",
    },
    Builtin {
        name: "float",
        signatures: &[inline(&[I], F, IntToFloat), inline(&[F], F, Identity)],
        random: false,
        doc: "float(x): an int as a float",
    },
    Builtin {
        name: "uniform",
        signatures: &[fallible(&[F, F], F, "usim_uniform")],
        random: true,
        doc: "uniform(lo, hi): a random float in [lo, hi)",
    },
    Builtin {
        name: "exponential",
        signatures: &[fallible(&[F], F, "usim_exponential")],
        random: true,
        doc: "exponential(mean): a random exponential float with this mean (not rate)",
    },
    Builtin {
        name: "normal",
        signatures: &[fallible(&[F, F], F, "usim_normal")],
        random: true,
        doc: "normal(mean, sd): a random normal float",
    },
    Builtin {
        name: "lognormal",
        signatures: &[fallible(&[F, F], F, "usim_lognormal")],
        random: true,
        doc: "lognormal(mean, sd): a random log-normal float with this mean and sd (of the value, not its log)",
    },
    Builtin {
        name: "triangular",
        signatures: &[fallible(&[F, F, F], F, "usim_triangular")],
        random: true,
        doc: "triangular(lo, mode, hi): a random triangular float in [lo, hi]",
    },
    Builtin {
        name: "randint",
        signatures: &[fallible(&[I, I], I, "usim_randint")],
        random: true,
        doc: "randint(lo, hi): a random int in [lo, hi], both ends included",
    },
    Builtin {
        name: "bernoulli",
        signatures: &[fallible(&[F], B, "usim_bernoulli")],
        random: true,
        doc: "bernoulli(p): true with probability p",
    },
    Builtin {
        name: "poisson",
        signatures: &[fallible(&[F], I, "usim_poisson")],
        random: true,
        doc: "poisson(mean): a random Poisson-distributed int with this mean",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(name: &str, args: &[Ty]) -> Option<(Vec<Ty>, Ty)> {
        let signature = lookup(name)?.resolve(args)?;
        Some((signature.params.to_vec(), signature.ret))
    }

    #[test]
    fn every_builtin_of_the_language_reference_is_listed_once() {
        let names: Vec<&str> = builtins().iter().map(|builtin| builtin.name).collect();
        let expected = [
            "abs",
            "min",
            "max",
            "sqrt",
            "exp",
            "ln",
            "pow",
            "floor",
            "ceil",
            "round",
            "int",
            "float",
            "uniform",
            "exponential",
            "normal",
            "lognormal",
            "triangular",
            "randint",
            "bernoulli",
            "poisson",
        ];
        assert_eq!(names, expected);
        for name in expected {
            assert_eq!(lookup(name).map(|builtin| builtin.name), Some(name));
        }
        assert!(lookup("delay").is_none());
        assert!(lookup("Exponential").is_none());
    }

    #[test]
    fn exact_matches_win_over_promotion() {
        assert_eq!(resolved("abs", &[I]), Some((vec![I], I)));
        assert_eq!(resolved("abs", &[F]), Some((vec![F], F)));
        assert_eq!(resolved("min", &[I, I]), Some((vec![I, I], I)));
        assert_eq!(resolved("max", &[I, F]), Some((vec![F, F], F)));
        assert_eq!(resolved("int", &[I]), Some((vec![I], I)));
        assert_eq!(resolved("int", &[F]), Some((vec![F], I)));
        assert_eq!(resolved("float", &[I]), Some((vec![I], F)));
        assert_eq!(resolved("round", &[I]), Some((vec![F], I)));
        assert_eq!(resolved("uniform", &[I, I]), Some((vec![F, F], F)));
        assert_eq!(resolved("poisson", &[I]), Some((vec![F], I)));
    }

    #[test]
    fn mismatches_do_not_resolve() {
        assert_eq!(resolved("randint", &[F, I]), None);
        assert_eq!(resolved("sqrt", &[B]), None);
        assert_eq!(resolved("sqrt", &[F, F]), None);
        assert_eq!(resolved("pow", &[F]), None);
        assert_eq!(resolved("int", &[B]), None);
    }

    #[test]
    fn random_builtins_are_fallible_host_calls() {
        for builtin in builtins() {
            for signature in builtin.signatures {
                if builtin.random {
                    assert!(matches!(signature.imp, Impl::Host { fallible: true, .. }), "{}", builtin.name);
                }
            }
            assert!(builtin.doc.starts_with(builtin.name), "{}", builtin.name);
        }
    }

    #[test]
    fn every_callable_builtin_has_one_line_of_doc() {
        let docs = builtins().iter().map(|b| (b.name, b.doc)).chain(time_forms().iter().map(|f| (f.name, f.doc)));
        for (name, doc) in docs {
            assert!(doc.starts_with(&format!("{name}(")), "{name}: {doc}");
            assert!(!doc.contains('\n') && doc.len() < 120, "{name}: {doc}");
        }
        let forms: Vec<&str> = time_forms().iter().map(|f| f.name).collect();
        assert_eq!(forms, ["delay", "at"]);
        assert!(forms.iter().all(|f| lookup(f).is_none()));
    }
}
