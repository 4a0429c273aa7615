//! How usim prints values: the text `{x}`, `{x:.N}` and the other format
//! specs of an interpolation produce (`{x:8.2}`, `{name:<12}`, `{x:*^8}`, ...).
//! The host functions write through these, and the compiler reads a spec with
//! [`parse_spec`], so a spec means the same at both ends.
//!
//! A spec is Rust's, without the argument references and types:
//! `[[fill]align][+][0][width][.decimals]`, and it prints what Rust's
//! `format!` prints for the same spec and value ([`write_int_spec`],
//! [`write_float_spec`], [`write_bool_spec`]). A struct or an array is padded
//! as a whole, as Rust pads a string ([`pad_since`]).

use std::fmt;
use std::fmt::Write as _;

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

/// The widest `{x:N}` may ask for. A wider field is almost surely a typo, and
/// a bound keeps every padded line small.
pub const MAX_WIDTH: u16 = 1000;

/// The accepted forms of a spec, as a diagnostic's note lists them.
pub const SPEC_FORMS: &str = "a format is `{value:[[fill]align][+][0][width][.decimals]}`, as in Rust: \
     `{x:.2}`, `{x:8}`, `{x:8.2}`, `{x:<12}`, `{x:>8}`, `{x:^8}`, `{x:*^8}`, `{x:08.2}`, `{x:+.2}`";

/// Where a value goes in a field wider than its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Align {
    /// Not given: numbers go right, bools, structs and arrays left (as Rust
    /// aligns numbers and strings).
    #[default]
    Auto,
    /// `<`
    Left,
    /// `>`
    Right,
    /// `^`: an odd padding puts the extra fill character on the right.
    Center,
}

/// An interpolation's format spec, `{x:SPEC}`: what Rust's
/// `[[fill]align][sign]['0'][width]['.' precision]` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// The fill character of the padding (a space unless given before an
    /// alignment).
    pub fill: char,
    pub align: Align,
    /// `+`: non-negative numbers show a `+` (not NaN, as in Rust).
    pub plus: bool,
    /// `0`: numbers are padded with zeros after their sign; the fill and
    /// the alignment are then ignored, as in Rust.
    pub zero: bool,
    /// The least number of characters the value takes, at most [`MAX_WIDTH`].
    pub width: Option<u16>,
    /// The decimals of a float.
    pub precision: Option<u32>,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec { fill: ' ', align: Align::Auto, plus: false, zero: false, width: None, precision: None }
    }
}

impl Spec {
    /// `{x:.N}` and nothing more.
    pub fn decimals(n: u32) -> Spec {
        Spec { precision: Some(n), ..Spec::default() }
    }

    /// Whether this is `{x}`, with nothing to change.
    pub fn is_plain(&self) -> bool {
        *self == Spec::default()
    }

    /// The spec in one `u64`, the way generated code hands it to the host
    /// functions: the fill in bits 0–20, the alignment in 21–22, `+` in 23,
    /// `0` in 24, whether there is a width in 25 and the width in 26–41,
    /// whether there are decimals in 42 and their number in 43–63 (saturated;
    /// the checker allows at most 1074).
    pub fn encode(&self) -> u64 {
        let align = match self.align {
            Align::Auto => 0u64,
            Align::Left => 1,
            Align::Right => 2,
            Align::Center => 3,
        };
        let mut bits = u64::from(u32::from(self.fill)) | align << 21;
        bits |= u64::from(self.plus) << 23 | u64::from(self.zero) << 24;
        if let Some(w) = self.width {
            bits |= 1 << 25 | u64::from(w) << 26;
        }
        if let Some(p) = self.precision {
            bits |= 1 << 42 | u64::from(p).min(PRECISION_MASK) << 43;
        }
        bits
    }

    /// The spec [`Spec::encode`] made; total, so any bits give some spec (an
    /// invalid fill becomes a space).
    pub fn decode(bits: u64) -> Spec {
        let fill = char::from_u32((bits & 0x1F_FFFF) as u32).unwrap_or(' ');
        let align = match bits >> 21 & 3 {
            0 => Align::Auto,
            1 => Align::Left,
            2 => Align::Right,
            _ => Align::Center,
        };
        Spec {
            fill,
            align,
            plus: bits >> 23 & 1 == 1,
            zero: bits >> 24 & 1 == 1,
            width: (bits >> 25 & 1 == 1).then_some((bits >> 26 & 0xFFFF) as u16),
            precision: (bits >> 42 & 1 == 1).then_some((bits >> 43 & PRECISION_MASK) as u32),
        }
    }
}

/// The bits of the decimals in [`Spec::encode`].
const PRECISION_MASK: u64 = (1 << 21) - 1;

/// The spec as Rust spells it, without the colon: `.2`, `>8`, `*^8.3`, `+08.2`.
impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let align = match self.align {
            Align::Auto => None,
            Align::Left => Some('<'),
            Align::Right => Some('>'),
            Align::Center => Some('^'),
        };
        if let Some(a) = align {
            if self.fill != ' ' {
                f.write_char(self.fill)?;
            }
            f.write_char(a)?;
        }
        if self.plus {
            f.write_char('+')?;
        }
        if self.zero {
            f.write_char('0')?;
        }
        if let Some(w) = self.width {
            write!(f, "{w}")?;
        }
        if let Some(p) = self.precision {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

/// What is wrong with a spec: the message, what to say at the bad part, and
/// where that part is, in bytes of the text given to [`parse_spec`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub message: String,
    pub label: String,
    pub at: std::ops::Range<usize>,
}

/// Reads a spec from the text of an interpolation after its value: the colon
/// and what follows it up to the closing `}` (`:>8.2`). An empty spec (`:`)
/// is `{x}`, and an alignment without a width changes nothing, as in Rust.
pub fn parse_spec(text: &str) -> Result<Spec, SpecError> {
    let body = text.strip_prefix(':').unwrap_or(text);
    let base = text.len() - body.len();
    let error = |message: String, label: &str, at: std::ops::Range<usize>| SpecError {
        message,
        label: label.to_string(),
        at: base + at.start..base + at.end,
    };
    let align_of = |c: char| match c {
        '<' => Some(Align::Left),
        '>' => Some(Align::Right),
        '^' => Some(Align::Center),
        _ => None,
    };
    let mut spec = Spec::default();
    let mut rest = body;
    let at = |rest: &str| body.len() - rest.len();
    // [[fill]align]
    let mut chars = rest.chars();
    let first = chars.next();
    let second = chars.next();
    if let (Some(fill), Some(align)) = (first, second.and_then(align_of)) {
        if matches!(fill, '{' | '\\') {
            return Err(error(format!("`{fill}` cannot be a fill character"), "not a fill character", 0..1));
        }
        spec.fill = fill;
        spec.align = align;
        rest = &rest[fill.len_utf8() + 1..];
    } else if let Some(align) = first.and_then(align_of) {
        spec.align = align;
        rest = &rest[1..];
    }
    // [+]
    if let Some(r) = rest.strip_prefix('+') {
        spec.plus = true;
        rest = r;
    } else if rest.starts_with('-') {
        let i = at(rest);
        return Err(error(
            "`-` is not a format flag: a negative number shows its `-` anyway".to_string(),
            "write `<` to align left, or `+` to show the sign of every number",
            i..i + 1,
        ));
    }
    if rest.starts_with('#') {
        let i = at(rest);
        return Err(error("usim has no alternate forms (`#`)".to_string(), "not a format flag", i..i + 1));
    }
    // [0]
    if let Some(r) = rest.strip_prefix('0') {
        spec.zero = true;
        rest = r;
    }
    // [width]
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        let i = at(rest);
        let width = rest[..digits].parse::<u64>().ok().filter(|&w| w <= u64::from(MAX_WIDTH));
        let Some(width) = width else {
            return Err(error(
                format!("a width is at most {MAX_WIDTH} characters, not {}", &rest[..digits]),
                "too wide",
                i..i + digits,
            ));
        };
        spec.width = Some(width as u16);
        rest = &rest[digits..];
        if rest.starts_with('$') {
            return Err(error(
                "a width is a number, not an argument (`N$`)".to_string(),
                "not a width",
                i..i + digits + 1,
            ));
        }
    }
    // [.decimals]
    if let Some(r) = rest.strip_prefix('.') {
        let dot = at(rest);
        let digits = r.len() - r.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            let message = if r.starts_with('*') || r.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                "the number of decimals is a number, not an argument (`.*`, `.name$`)".to_string()
            } else {
                "expected the number of decimals after `.`".to_string()
            };
            return Err(error(message, "write the decimals here, e.g. `.2`", dot..dot + 1));
        }
        let Ok(n) = r[..digits].parse::<u32>() else {
            // The whole spec, colon and all.
            let message = format!("too many decimals: `{text}`");
            return Err(SpecError { message, label: "too many decimals".to_string(), at: 0..text.len() });
        };
        spec.precision = Some(n);
        rest = &r[digits..];
    }
    if let Some(c) = rest.chars().next() {
        let i = at(rest);
        let span = i..i + c.len_utf8();
        let (message, label) = match c {
            '?' => ("usim has no debug format (`?`): `{x}` prints any value".to_string(), "not a format"),
            'x' | 'X' | 'o' | 'b' | 'e' | 'E' if rest.len() == 1 => {
                (format!("usim prints numbers in decimal only: there is no `{c}` format"), "not a format")
            }
            c if i == 0 && (c.is_ascii_punctuation() || !c.is_ascii()) && !matches!(c, '$' | '{' | '\\') => (
                format!("`{c}` is not a format: a fill character goes before an alignment, as in `{{x:{c}^8}}`"),
                "not a format",
            ),
            '$' | '*' => ("a width is a number, not an argument (`N$`, `*`)".to_string(), "not a width"),
            c if c.is_alphabetic() || c == '_' => {
                ("a width is a number, not a name (`name$`)".to_string(), "not a width")
            }
            '<' | '>' | '^' => {
                ("an alignment goes first, before any sign, `0` or width".to_string(), "misplaced alignment")
            }
            '+' | '0' if i > 0 => (
                "the parts of a format go in the order fill and alignment, `+`, `0`, width, `.decimals`".to_string(),
                "out of order",
            ),
            ' ' => ("unexpected space in a format".to_string(), "not part of a format"),
            c => (format!("unexpected `{c}` in a format"), "not part of a format"),
        };
        return Err(error(message, label, span));
    }
    Ok(spec)
}

/// Appends `value` as Rust's `format!` prints an `i64` with this spec (whose
/// decimals, if any, Rust ignores for an int).
pub fn write_int_spec(out: &mut String, value: i64, spec: &Spec) {
    let width = spec.width.map_or(0, usize::from);
    // Writing into a `String` cannot fail.
    let _ = match (spec.zero, spec.plus) {
        (true, true) => write!(out, "{value:+0width$}"),
        (true, false) => write!(out, "{value:0width$}"),
        (false, plus) => {
            let start = out.len();
            let _ = if plus { write!(out, "{value:+}") } else { write!(out, "{value}") };
            pad_since(out, start, spec, Align::Right);
            Ok(())
        }
    };
}

/// Appends `value` as Rust's `format!` prints an `f64` with this spec:
/// without decimals the shortest round-trip digits (as [`write_float`]).
pub fn write_float_spec(out: &mut String, value: f64, spec: &Spec) {
    let width = spec.width.map_or(0, usize::from);
    // A `u32` always fits in a `usize` on the targets Cranelift supports.
    let precision = spec.precision.map(|p| usize::try_from(p).unwrap_or(usize::MAX));
    // Writing into a `String` cannot fail.
    let _ = match (spec.zero, spec.plus, precision) {
        (true, true, Some(p)) => write!(out, "{value:+0width$.p$}"),
        (true, false, Some(p)) => write!(out, "{value:0width$.p$}"),
        (true, true, None) => write!(out, "{value:+0width$}"),
        (true, false, None) => write!(out, "{value:0width$}"),
        (false, plus, precision) => {
            let start = out.len();
            let _ = match (plus, precision) {
                (true, Some(p)) => write!(out, "{value:+.p$}"),
                (false, Some(p)) => write!(out, "{value:.p$}"),
                (true, None) => write!(out, "{value:+}"),
                (false, None) => write!(out, "{value}"),
            };
            pad_since(out, start, spec, Align::Right);
            Ok(())
        }
    };
}

/// Appends `true` or `false` as Rust's `format!` prints a `bool` with this
/// spec: padded as a string, left-aligned unless told otherwise. (The checker
/// refuses `+`, `0` and decimals on a bool; Rust would ignore the first two.)
pub fn write_bool_spec(out: &mut String, value: bool, spec: &Spec) {
    let start = out.len();
    out.push_str(if value { "true" } else { "false" });
    pad_since(out, start, spec, Align::Left);
}

/// Pads the text appended to `out` since byte `start` to the spec's width, as
/// Rust pads a string: the width counts characters, `align` is the alignment
/// when the spec gives none, and the fill goes before, after or around the
/// text (the extra one after). A `start` that is not a character boundary of
/// `out` pads nothing.
pub fn pad_since(out: &mut String, start: usize, spec: &Spec, align: Align) {
    let Some(width) = spec.width.map(usize::from) else {
        return;
    };
    let Some(text) = out.get(start..) else {
        return;
    };
    let len = text.chars().count();
    if len >= width {
        return;
    }
    let padding = width - len;
    let align = if spec.align == Align::Auto { align } else { spec.align };
    let (before, after) = match align {
        Align::Left => (0, padding),
        Align::Center => (padding / 2, padding - padding / 2),
        Align::Right | Align::Auto => (padding, 0),
    };
    if before > 0 {
        let fill: String = std::iter::repeat_n(spec.fill, before).collect();
        out.insert_str(start, &fill);
    }
    out.extend(std::iter::repeat_n(spec.fill, after));
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

    fn spec(text: &str) -> Spec {
        parse_spec(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn int(value: i64, text: &str) -> String {
        let mut out = String::new();
        write_int_spec(&mut out, value, &spec(text));
        out
    }

    fn float(value: f64, text: &str) -> String {
        let mut out = String::new();
        write_float_spec(&mut out, value, &spec(text));
        out
    }

    #[test]
    fn specs_read_as_rust_reads_them() {
        assert_eq!(spec(":"), Spec::default());
        assert_eq!(spec(":.2"), Spec::decimals(2));
        let s = spec(":*^+08.3");
        assert_eq!(
            (s.fill, s.align, s.plus, s.zero, s.width, s.precision),
            ('*', Align::Center, true, true, Some(8), Some(3))
        );
        // A first character followed by an alignment is a fill, whatever it is.
        assert_eq!(spec(":0<5").fill, '0');
        assert!(!spec(":0<5").zero);
        assert_eq!(spec(":<<5").fill, '<');
        assert_eq!(spec(":+>5").fill, '+');
        assert_eq!(spec(":🦀^5").fill, '🦀');
        // `0` alone is the flag, not a width; `00` is the flag and width 0.
        assert_eq!((spec(":0").zero, spec(":0").width), (true, None));
        assert_eq!((spec(":00").zero, spec(":00").width), (true, Some(0)));
        assert_eq!(spec(":1000").width, Some(1000));
        for text in [":", ":.2", ":8", ":>8", ":*^8.3", ":+08.2", ":🦀<3", ":<<5", ":0", ":00", ":+"] {
            assert_eq!(format!(":{}", spec(text)), text, "the canonical text of {text}");
            assert_eq!(Spec::decode(spec(text).encode()), spec(text), "{text} in one word");
        }
    }

    #[test]
    fn malformed_specs_are_refused_at_their_bad_part() {
        let at = |text: &str| parse_spec(text).map(|_| ()).map_err(|e| (e.at, e.message));
        assert_eq!(at(":1001").unwrap_err().0, 1..5);
        assert_eq!(at(":99999999999999999999999").unwrap_err().0, 1..24);
        assert_eq!(at(":8.").unwrap_err().0, 2..3);
        assert_eq!(at(":.99999999999").unwrap_err(), (0..13, "too many decimals: `:.99999999999`".to_string()));
        assert_eq!(at(":.*").unwrap_err().0, 1..2);
        assert_eq!(at(":?").unwrap_err().0, 1..2);
        assert_eq!(at(":#?").unwrap_err().0, 1..2);
        assert_eq!(at(":x").unwrap_err().0, 1..2);
        assert_eq!(at(":8e").unwrap_err().0, 2..3);
        assert_eq!(at(":-5").unwrap_err().0, 1..2);
        assert_eq!(at(":w$").unwrap_err().0, 1..2);
        assert_eq!(at(":5$").unwrap_err().0, 1..3);
        assert_eq!(at(":*5").unwrap_err().0, 1..2);
        assert_eq!(at(":·5").unwrap_err().0, 1..3);
        assert_eq!(at(":{^5").unwrap_err().0, 1..2);
        assert_eq!(at(": 5").unwrap_err().0, 1..2);
        assert_eq!(at(":5 ").unwrap_err().0, 2..3);
        assert_eq!(at(":0+5").unwrap_err().0, 2..3);
        assert_eq!(at(":+0>5").unwrap_err().0, 3..4);
    }

    #[test]
    fn numbers_pad_as_rust_pads_them() {
        assert_eq!(int(42, ":6"), "    42");
        assert_eq!(int(42, ":<6"), "42    ");
        assert_eq!(int(42, ":^7"), "  42   ");
        assert_eq!(int(-42, ":06"), "-00042");
        assert_eq!(int(-42, ":*<06"), "-00042");
        assert_eq!(int(42, ":0<6"), "420000");
        assert_eq!(int(42, ":+"), "+42");
        assert_eq!(int(0, ":+"), "+0");
        assert_eq!(int(i64::MIN, ":+30"), format!("{:+30}", i64::MIN));
        assert_eq!(int(7, ":.3"), "7");
        assert_eq!(float(4.56789, ":8.2"), "    4.57");
        assert_eq!(float(4.56789, ":8"), " 4.56789");
        assert_eq!(float(-0.5, ":08.2"), "-0000.50");
        assert_eq!(float(f64::NAN, ":+08"), "00000NaN");
        assert_eq!(float(f64::INFINITY, ":+"), "+inf");
        assert_eq!(float(-0.0, ":+"), "-0");
        assert_eq!(float(3.5, ":é^8.1"), "éé3.5ééé");
    }

    #[test]
    fn bools_and_text_pad_as_rust_pads_strings() {
        let mut out = String::new();
        write_bool_spec(&mut out, true, &spec(":6"));
        assert_eq!(out, "true  ");
        out.clear();
        write_bool_spec(&mut out, false, &spec(":>7"));
        assert_eq!(out, "  false");
        let mut out = String::from("a=");
        out.push_str("[1, 2]");
        pad_since(&mut out, 2, &spec(":·^10"), Align::Left);
        assert_eq!(out, "a=··[1, 2]··");
        // Not a character boundary: nothing happens.
        let mut out = String::from("é");
        pad_since(&mut out, 1, &spec(":5"), Align::Left);
        assert_eq!(out, "é");
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
