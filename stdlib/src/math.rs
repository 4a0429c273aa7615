//! The arithmetic built-ins that are host functions rather than inline code,
//! as pure Rust: float-to-int conversions that can fail, and the libm calls
//! Cranelift has no instruction for. Constant folding may call these directly.

use crate::format::format_float;

/// `2^63` as a float: the first float above `i64::MAX`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Converts a float that is already a whole number to `int`, or explains why
/// it cannot be one. `function` names the built-in for the message.
fn whole_to_int(function: &str, whole: f64, original: f64) -> Result<i64, String> {
    // Every float in [-2^63, 2^63) converts exactly; NaN fails both tests.
    if (-TWO_POW_63..TWO_POW_63).contains(&whole) {
        Ok(whole as i64)
    } else if original.is_nan() {
        Err(format!("{function}(x) of NaN has no int value"))
    } else {
        Err(format!("{function}(x) is out of the int range, got {function}({})", format_float(original)))
    }
}

/// `round(x)`: the nearest int, halves away from zero (`2.5` → 3, `-2.5` → -3).
/// NaN and results outside the `int` range are errors.
pub fn round_to_int(value: f64) -> Result<i64, String> {
    whole_to_int("round", value.round(), value)
}

/// `int(x)` for a float: truncates toward zero (`-2.7` → -2). NaN and results
/// outside the `int` range are errors.
pub fn truncate_to_int(value: f64) -> Result<i64, String> {
    whole_to_int("int", value.trunc(), value)
}

/// Float `%`: the IEEE remainder of truncated division, with the sign of the
/// dividend (Rust's and C's `fmod`); `x % 0.0` is NaN, not an error.
pub fn float_remainder(dividend: f64, divisor: f64) -> f64 {
    dividend % divisor
}

/// `min(a, b)` on floats, the rule generated code implements inline: `b` when
/// `b < a` or `a` is NaN, else `a` (so a tie keeps the first argument's zero sign).
pub fn min_float(a: f64, b: f64) -> f64 {
    if b < a || a.is_nan() {
        b
    } else {
        a
    }
}

/// `max(a, b)` on floats: `b` when `b > a` or `a` is NaN, else `a`.
pub fn max_float(a: f64, b: f64) -> f64 {
    if b > a || a.is_nan() {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_goes_half_away_from_zero() {
        assert_eq!(round_to_int(2.5), Ok(3));
        assert_eq!(round_to_int(-2.5), Ok(-3));
        assert_eq!(round_to_int(0.5), Ok(1));
        assert_eq!(round_to_int(-0.5), Ok(-1));
        assert_eq!(round_to_int(2.4999), Ok(2));
        assert_eq!(round_to_int(-0.0), Ok(0));
        assert_eq!(round_to_int(1e15 + 0.5), Ok(1_000_000_000_000_001));
    }

    #[test]
    fn int_truncates_toward_zero() {
        assert_eq!(truncate_to_int(2.7), Ok(2));
        assert_eq!(truncate_to_int(-2.7), Ok(-2));
        assert_eq!(truncate_to_int(-0.9), Ok(0));
        assert_eq!(truncate_to_int(42.0), Ok(42));
    }

    #[test]
    fn the_ends_of_the_int_range_convert_exactly() {
        assert_eq!(truncate_to_int(-TWO_POW_63), Ok(i64::MIN));
        assert_eq!(round_to_int(-TWO_POW_63), Ok(i64::MIN));
        // The largest float below 2^63.
        let below = 9_223_372_036_854_774_784.0;
        assert_eq!(truncate_to_int(below), Ok(9_223_372_036_854_774_784));
    }

    #[test]
    fn nan_and_out_of_range_are_errors() {
        assert_eq!(round_to_int(f64::NAN), Err("round(x) of NaN has no int value".to_string()));
        assert_eq!(truncate_to_int(f64::NAN), Err("int(x) of NaN has no int value".to_string()));
        assert_eq!(
            round_to_int(1e19),
            Err("round(x) is out of the int range, got round(10000000000000000000)".to_string())
        );
        assert_eq!(
            truncate_to_int(f64::NEG_INFINITY),
            Err("int(x) is out of the int range, got int(-inf)".to_string())
        );
        assert!(truncate_to_int(TWO_POW_63).is_err());
        assert!(round_to_int(f64::INFINITY).is_err());
    }

    #[test]
    fn float_remainder_takes_the_sign_of_the_dividend() {
        assert_eq!(float_remainder(7.5, 2.0), 1.5);
        assert_eq!(float_remainder(-7.5, 2.0), -1.5);
        assert_eq!(float_remainder(7.5, -2.0), 1.5);
        assert!(float_remainder(1.0, 0.0).is_nan());
    }
}
