//! The `extern "C"` functions JIT-compiled models call: maths the code
//! generator does not inline, random variates, and the pieces of `print` and
//! `fail` text. Fallible ones take the runtime first and the call's span last,
//! record a failure with [`Runtime::raise`] and return 0, 0.0 or false, which
//! generated code discards after seeing the error flag. None of them panics.

use crate::{format, math, random};
use std::fmt::Write as _;
use usim_runtime::HostFn;
use usim_runtime::Runtime;

/// Turns a checked result into the value generated code receives, raising the
/// error in the runtime when there is one.
fn settle<T: Default>(rt: &mut Runtime, span: i64, result: Result<T, String>) -> T {
    match result {
        Ok(value) => value,
        Err(message) => {
            rt.raise(message, span);
            T::default()
        }
    }
}

// ---------------------------------------------------------------- maths

/// `exp(x)`.
pub extern "C" fn usim_exp(x: f64) -> f64 {
    x.exp()
}

/// `ln(x)`: IEEE, so `ln(0)` is `-inf` and `ln(-1)` is NaN.
pub extern "C" fn usim_ln(x: f64) -> f64 {
    x.ln()
}

/// `pow(x, y)`.
pub extern "C" fn usim_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// Float `%`: the remainder of truncated division, with the dividend's sign.
pub extern "C" fn usim_fmod(dividend: f64, divisor: f64) -> f64 {
    math::float_remainder(dividend, divisor)
}

/// `round(x)`: halves away from zero; NaN or out of the int range raises.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_round(rt: *mut Runtime, x: f64, span: i64) -> i64 {
    // SAFETY: the caller passes the runtime that is driving this step, which
    // no Rust code borrows while generated code runs.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0;
    };
    settle(rt, span, math::round_to_int(x))
}

/// `int(x)` of a float: truncates toward zero; NaN or out of range raises.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_int(rt: *mut Runtime, x: f64, span: i64) -> i64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0;
    };
    settle(rt, span, math::truncate_to_int(x))
}

// ---------------------------------------------------------------- random

/// `uniform(lo, hi)`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_uniform(rt: *mut Runtime, lo: f64, hi: f64, span: i64) -> f64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0.0;
    };
    let result = random::uniform(rt.rng(), lo, hi);
    settle(rt, span, result)
}

/// `exponential(mean)`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_exponential(rt: *mut Runtime, mean: f64, span: i64) -> f64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0.0;
    };
    let result = random::exponential(rt.rng(), mean);
    settle(rt, span, result)
}

/// `normal(mean, sd)`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_normal(rt: *mut Runtime, mean: f64, sd: f64, span: i64) -> f64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0.0;
    };
    let result = random::normal(rt.rng(), mean, sd);
    settle(rt, span, result)
}

/// `lognormal(mean, sd)`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_lognormal(rt: *mut Runtime, mean: f64, sd: f64, span: i64) -> f64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0.0;
    };
    let result = random::lognormal(rt.rng(), mean, sd);
    settle(rt, span, result)
}

/// `triangular(lo, mode, hi)`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_triangular(rt: *mut Runtime, lo: f64, mode: f64, hi: f64, span: i64) -> f64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0.0;
    };
    let result = random::triangular(rt.rng(), lo, mode, hi);
    settle(rt, span, result)
}

/// `randint(lo, hi)`, both ends included.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_randint(rt: *mut Runtime, lo: i64, hi: i64, span: i64) -> i64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0;
    };
    let result = random::randint(rt.rng(), lo, hi);
    settle(rt, span, result)
}

/// `bernoulli(p)`, as 1 (true) or 0 (false).
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_bernoulli(rt: *mut Runtime, p: f64, span: i64) -> u8 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0;
    };
    let result = random::bernoulli(rt.rng(), p);
    u8::from(settle(rt, span, result))
}

/// `poisson(mean)`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_poisson(rt: *mut Runtime, mean: f64, span: i64) -> i64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0;
    };
    let result = random::poisson(rt.rng(), mean);
    settle(rt, span, result)
}

// ---------------------------------------------------------------- text

/// Appends a literal piece of `print`/`fail` text.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed;
/// `ptr` points to `len` readable bytes (any pointer when `len` is 0) that
/// stay valid for the call, normally a string constant of the compiled model.
pub unsafe extern "C" fn usim_text_str(rt: *mut Runtime, ptr: *const u8, len: u64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    // No real literal comes near `isize::MAX` bytes, the most a slice may span.
    let Some(len) = usize::try_from(len).ok().filter(|&len| len <= isize::MAX as usize) else {
        return;
    };
    if len == 0 || ptr.is_null() {
        return;
    }
    // SAFETY: the caller guarantees `ptr` is valid for `len` bytes; it is not
    // null, and a byte slice needs no alignment.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    // Literals come from a UTF-8 source file, so the lossy path (which
    // allocates) only runs if the compiler passes something it should not.
    rt.text().push_str(&String::from_utf8_lossy(bytes));
}

/// Appends an int as `{x}` shows it.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_int(rt: *mut Runtime, value: i64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    // Writing into a `String` cannot fail.
    let _ = write!(rt.text(), "{value}");
}

/// Appends a float as `{x}` shows it: the shortest round-trip digits.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_float(rt: *mut Runtime, value: f64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    // Writing into a `String` cannot fail.
    let _ = format::write_float(rt.text(), value);
}

/// Appends a float as `{x:.N}` shows it, with `decimals` digits after the point.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_float_prec(rt: *mut Runtime, value: f64, decimals: u32) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    // Writing into a `String` cannot fail.
    let _ = format::write_float_prec(rt.text(), value, decimals);
}

/// Appends a bool (0 is false, anything else true) as `true` or `false`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_bool(rt: *mut Runtime, value: u8) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    rt.text().push_str(if value != 0 { "true" } else { "false" });
}

/// Appends an int as `{x:SPEC}` shows it; `spec` is a [`format::Spec`]
/// in its [`format::Spec::encode`] form.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_int_spec(rt: *mut Runtime, value: i64, spec: u64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    format::write_int_spec(rt.text(), value, &format::Spec::decode(spec));
}

/// Appends a float as `{x:SPEC}` shows it; `spec` as in `usim_text_int_spec`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_float_spec(rt: *mut Runtime, value: f64, spec: u64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    format::write_float_spec(rt.text(), value, &format::Spec::decode(spec));
}

/// Appends a bool (0 is false, anything else true) as `{b:SPEC}` shows it;
/// `spec` as in `usim_text_int_spec`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_bool_spec(rt: *mut Runtime, value: u8, spec: u64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    format::write_bool_spec(rt.text(), value != 0, &format::Spec::decode(spec));
}

/// The length in bytes of the text built so far: where a struct or an array
/// printed with a width starts, for `usim_text_pad`.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_len(rt: *mut Runtime) -> u64 {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return 0;
    };
    rt.text().len() as u64
}

/// Pads the text appended since byte `start` (from `usim_text_len`) to the
/// width of `spec` (as in `usim_text_int_spec`), left-aligned unless the spec
/// says otherwise: how `{job:<30}` pads a struct or an array.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_text_pad(rt: *mut Runtime, start: u64, spec: u64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    format::pad_since(rt.text(), start, &format::Spec::decode(spec), format::Align::Left);
}

/// Ends a `print`: the text built so far becomes one output line.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_print_end(rt: *mut Runtime) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    rt.emit_line();
}

/// Ends a `fail`: the text built so far becomes the runtime error's message.
///
/// # Safety
/// `rt` is null or points to the live runtime, not otherwise borrowed.
pub unsafe extern "C" fn usim_fail_end(rt: *mut Runtime, span: i64) {
    // SAFETY: as in `usim_round`.
    let Some(rt) = (unsafe { rt.as_mut() }) else {
        return;
    };
    rt.raise_with_text(span);
}

/// Every host function of this crate with its symbol name (the Rust name).
pub(crate) fn functions() -> Vec<HostFn> {
    usim_runtime::host_fns![
        usim_exp(1),
        usim_ln(1),
        usim_pow(2),
        usim_fmod(2),
        usim_round(3),
        usim_int(3),
        usim_uniform(4),
        usim_exponential(3),
        usim_normal(4),
        usim_lognormal(4),
        usim_triangular(5),
        usim_randint(4),
        usim_bernoulli(3),
        usim_poisson(3),
        usim_text_str(3),
        usim_text_int(2),
        usim_text_float(2),
        usim_text_float_prec(3),
        usim_text_bool(2),
        usim_text_int_spec(3),
        usim_text_float_spec(3),
        usim_text_bool_spec(3),
        usim_text_len(1),
        usim_text_pad(3),
        usim_print_end(1),
        usim_fail_end(2),
    ]
}
