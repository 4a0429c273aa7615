//! How usim prints numbers: the text `{x}` and `{x:.N}` interpolation produce.
//! The host functions write through these, and the compiler's constant folding
//! calls them too, so a folded string reads exactly like a computed one.

use std::fmt;

/// Writes a float as `{x}` shows it: the shortest digits that read back as the
/// same number, in positional notation (`4.5`, `100`, `0.30000000000000004`,
/// `NaN`, `inf`, `-inf`, `-0`). This is Rust's `{}` for `f64`.
pub fn write_float<W: fmt::Write + ?Sized>(out: &mut W, value: f64) -> fmt::Result {
    write!(out, "{value}")
}

/// Writes a float as `{x:.N}` shows it: rounded to `decimals` digits after the
/// point, as Rust's `{:.N}` does (`2.00`, `0.333`, `NaN`, `inf`).
pub fn write_float_prec<W: fmt::Write + ?Sized>(out: &mut W, value: f64, decimals: u32) -> fmt::Result {
    // A `u32` always fits in a `usize` on the 32- and 64-bit targets Cranelift
    // supports; saturating keeps the conversion total anyway.
    let precision = usize::try_from(decimals).unwrap_or(usize::MAX);
    write!(out, "{value:.precision$}")
}

/// The text of `{x}` for a float; see [`write_float`].
pub fn format_float(value: f64) -> String {
    let mut text = String::new();
    // Writing into a `String` cannot fail.
    let _ = write_float(&mut text, value);
    text
}

/// The text of `{x:.N}` for a float; see [`write_float_prec`].
pub fn format_float_prec(value: f64, decimals: u32) -> String {
    let mut text = String::new();
    // Writing into a `String` cannot fail.
    let _ = write_float_prec(&mut text, value, decimals);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_round_trip_examples_from_the_language_reference() {
        assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_float(2.0 * 50.0), "100");
        assert_eq!(format_float(4.5), "4.5");
        assert_eq!(format_float(1_000_000.0), "1000000");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::INFINITY), "inf");
        assert_eq!(format_float(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn positional_notation_for_large_and_small_numbers() {
        assert_eq!(format_float(1e21), "1000000000000000000000");
        assert_eq!(format_float(1e-7), "0.0000001");
        assert_eq!(format_float(-0.0), "-0");
        assert_eq!(format_float(-2.5), "-2.5");
    }

    #[test]
    fn fixed_decimals_examples_from_the_language_reference() {
        assert_eq!(format_float_prec(1.0 / 3.0, 3), "0.333");
        assert_eq!(format_float_prec(2.0, 2), "2.00");
        assert_eq!(format_float_prec(2.0, 0), "2");
        assert_eq!(format_float_prec(0.999, 2), "1.00");
        assert_eq!(format_float_prec(-1.0 / 3.0, 4), "-0.3333");
        assert_eq!(format_float_prec(f64::NAN, 2), "NaN");
        assert_eq!(format_float_prec(f64::INFINITY, 2), "inf");
        assert_eq!(format_float_prec(f64::NEG_INFINITY, 2), "-inf");
    }

    #[test]
    fn writers_append_to_existing_text() {
        let mut text = String::from("x = ");
        write_float(&mut text, 1.5).unwrap();
        text.push_str(", y = ");
        write_float_prec(&mut text, 1.5, 3).unwrap();
        assert_eq!(text, "x = 1.5, y = 1.500");
    }
}
