//! The usim standard library: the table of built-in functions that the type
//! checker and the code generator share ([`builtins`], [`lookup`]), and the
//! host functions JIT-compiled models call ([`host`], [`host_functions`]).
//!
//! # Overloads
//!
//! A call takes the first signature whose parameters match its argument types
//! exactly, else the first that matches once `int` arguments are promoted to
//! `float` ([`Builtin::resolve`]). Int overloads are listed first, so
//! `abs(3)` is an int and `min(1, 2.5)` a float.
//!
//! # Maths
//!
//! `sqrt`, `exp`, `ln` and `pow` follow IEEE 754: `sqrt(-1)` and `ln(-1)` are
//! NaN and `ln(0)` is `-inf`, none of them an error. `round(x)` rounds halves
//! away from zero and `int(x)` truncates toward zero; both raise a runtime
//! error for NaN and for results outside the `int` range. Float `%` is the
//! remainder of truncated division (`usim_fmod`; `x % 0.0` is NaN).
//!
//! # Random variates
//!
//! Every random built-in draws from the replication's stream
//! (`Runtime::rng`), so a seed fixes every value. Arguments are checked before
//! drawing; a bad one is a runtime error whose message names the function and
//! the value, e.g. `exponential(mean) needs a mean > 0, got -1`. NaN is bad
//! everywhere, and so is an infinite argument. The rules at the edges:
//!
//! | call | needs | edge rule |
//! |---|---|---|
//! | `uniform(lo, hi)` | `lo <= hi`, `hi - lo` finite | `uniform(a, a)` is `a`; else in `[lo, hi)` |
//! | `exponential(mean)` | `mean > 0` | the mean, not the rate |
//! | `normal(mean, sd)` | `sd >= 0` | `sd = 0` gives `mean` |
//! | `lognormal(mean, sd)` | `mean > 0`, `sd >= 0` | `sd = 0` gives `mean`; mean and sd of the value itself |
//! | `triangular(lo, mode, hi)` | `lo <= mode <= hi`, `hi - lo` finite | `triangular(a, a, a)` is `a`; else in `[lo, hi]` |
//! | `randint(lo, hi)` | `lo <= hi` | both ends included; `randint(a, a)` is `a` |
//! | `bernoulli(p)` | `0 <= p <= 1` | `p = 0` is always false, `p = 1` always true |
//! | `poisson(mean)` | `0 <= mean <= 1.844e19` | `poisson(0)` is 0; a draw above the `int` range is an error |
//!
//! `lognormal(m, s)` draws `exp(mu + sigma * z)` with
//! `mu = ln(m² / sqrt(m² + s²))` and `sigma = sqrt(ln(1 + s²/m²))`.
//!
//! # Text
//!
//! `print("...")` and `fail("...")` compile to a sequence of `usim_text_*`
//! calls that append to the runtime's text buffer, ended by `usim_print_end`
//! or `usim_fail_end`. Numbers are written as [`format`](mod@format) describes.

pub mod format;
pub mod host;
pub mod math;
pub mod random;
mod table;

pub use table::{builtins, lookup, time_forms, Builtin, Impl, InlineOp, Signature, TimeForm, Ty};

/// Every `extern "C"` function of this crate, for registration with the JIT
/// and for the signatures calls to them are compiled against. It includes
/// `usim_fmod` and the text functions, which the built-in table does not name.
pub fn host_functions() -> Vec<usim_runtime::HostFn> {
    host::functions()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn host_functions_cover_the_table_and_the_text_functions_without_duplicates() {
        let functions = host_functions();
        let names: HashSet<&str> = functions.iter().map(|f| f.name).collect();
        assert_eq!(names.len(), functions.len(), "duplicate names");
        assert!(functions.iter().all(|f| !f.address.is_null()));

        for builtin in builtins() {
            for signature in builtin.signatures {
                if let Impl::Host { symbol, fallible } = signature.imp {
                    let Some(function) = functions.iter().find(|f| f.name == symbol) else {
                        panic!("{symbol} is not registered");
                    };
                    // The checker types calls by the table; the function's own type must agree.
                    let abi = |ty: Ty| match ty {
                        Ty::Int => usim_runtime::AbiType::I64,
                        Ty::Float => usim_runtime::AbiType::F64,
                        Ty::Bool => usim_runtime::AbiType::I8,
                    };
                    let mut params: Vec<usim_runtime::AbiType> = signature.params.iter().map(|&p| abi(p)).collect();
                    if fallible {
                        params.insert(0, usim_runtime::AbiType::I64);
                        params.push(usim_runtime::AbiType::I64);
                    }
                    assert_eq!(function.params, &params[..], "{symbol}: the table disagrees with the function");
                    assert_eq!(function.ret, Some(abi(signature.ret)), "{symbol}: the result type disagrees");
                }
            }
        }
        for symbol in [
            "usim_fmod",
            "usim_text_str",
            "usim_text_int",
            "usim_text_float",
            "usim_text_float_prec",
            "usim_text_bool",
            "usim_text_int_spec",
            "usim_text_float_spec",
            "usim_text_bool_spec",
            "usim_text_len",
            "usim_text_pad",
            "usim_print_end",
            "usim_fail_end",
        ] {
            assert!(names.contains(symbol), "{symbol} is not registered");
        }
    }
}
