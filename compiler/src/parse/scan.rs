//! The lexical layer the hand-written scanners share: which bytes of a
//! source are code, string text or comment, exactly as the grammar reads
//! them.
//!
//! [`Scan`] walks a source once and yields it as consecutive [`Segment`]s
//! that cover every byte. The grammar's rules (`grammar/usim.pest`):
//!
//! - `//` starts a comment that runs to the end of its line (the `\n` is not
//!   part of it); inside a `/* */` comment or a string it starts nothing.
//! - `/*` starts a comment that runs to its matching `*/`: block comments
//!   **nest**, and inside one only `/*` and `*/` mean anything (a `"` or a
//!   `//` there is comment text). One never closed runs to the end.
//! - `"` starts a string. Its text is plain text, escapes (`\` and any byte
//!   but a line end: `\"`, `\\`, `\{`), lone `}`s and interpolations. A
//!   string never spans a line: one still open at a `\n` or `\r` (or the
//!   end) stops there, unclosed.
//! - `{` in a string opens an interpolation: code again, with comments, line
//!   ends and braces of its own (a struct literal), up to the `}` that
//!   matches it. A `:` outside those inner braces starts its format spec,
//!   which is string text up to the `}`.
//!
//! Where the grammar fails there is no rule, and the scanner goes on as a
//! modeller most likely meant: a `"` inside an interpolation (expressions
//! hold no strings) closes the string, as after `print("{x")`; a spec or an
//! interpolation still open at a line end or a `"` ends with its string.

/// What a stretch of source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Code outside strings and comments.
    Code,
    /// Code inside an interpolation's braces (never its own `{` and `}`,
    /// nor its spec). It may span lines.
    Interp,
    /// The `"` that opens a string.
    Quote,
    /// A string's text: plain text, escapes, lone `}`s, and an
    /// interpolation's spec from its `:`. Never a line end.
    Text,
    /// The `{` that opens an interpolation.
    InterpOpen,
    /// The `}` that closes an interpolation.
    InterpClose,
    /// The `"` that closes a string (also when it ends an interpolation
    /// that was never closed).
    EndQuote,
    /// `//` and the rest of its line, without the line end.
    LineComment,
    /// `/*` to its matching `*/`, nested comments included; `closed` is
    /// false for a comment that runs to the end of the source.
    BlockComment { closed: bool },
}

/// A stretch `start..end` of the source, all of one [`Kind`]. Segments are
/// never empty, and each starts where the one before ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Segment {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Segment {
    /// Whether this is code, inside an interpolation or not.
    pub(super) fn is_code(&self) -> bool {
        matches!(self.kind, Kind::Code | Kind::Interp)
    }
}

/// Where the scanner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Code,
    /// In a string's text.
    Text,
    /// In an interpolation's code, `depth` braces deep inside it.
    Interp {
        depth: usize,
    },
    /// In an interpolation's spec.
    Spec,
}

/// The segments of a source, in order; see the module documentation.
pub(super) struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    state: State,
}

impl<'a> Scan<'a> {
    pub(super) fn new(source: &'a str) -> Scan<'a> {
        Scan { bytes: source.as_bytes(), at: 0, state: State::Code }
    }

    fn segment(&mut self, kind: Kind, end: usize) -> Segment {
        let start = self.at;
        self.at = end;
        Segment { kind, start, end }
    }

    /// Whether a comment starts at `at`.
    fn starts_comment(&self, at: usize) -> bool {
        self.bytes[at] == b'/' && matches!(self.bytes.get(at + 1), Some(b'/' | b'*'))
    }

    /// A comment starting at `at`, if one does.
    fn comment(&self, at: usize) -> Option<(Kind, usize)> {
        match self.bytes.get(at..at + 2) {
            Some(b"//") => {
                let end = self.bytes[at..].iter().position(|&b| b == b'\n').map_or(self.bytes.len(), |k| at + k);
                Some((Kind::LineComment, end))
            }
            Some(b"/*") => {
                let (end, closed) = block_comment_end(self.bytes, at);
                Some((Kind::BlockComment { closed }, end))
            }
            _ => None,
        }
    }

    /// Code from `self.at` up to the next `"` or comment.
    fn code(&mut self) -> Segment {
        let mut i = self.at;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => break,
                _ if self.starts_comment(i) => break,
                _ => i += 1,
            }
        }
        if i > self.at {
            return self.segment(Kind::Code, i);
        }
        if let Some((kind, end)) = self.comment(i) {
            return self.segment(kind, end);
        }
        self.state = State::Text;
        self.segment(Kind::Quote, i + 1)
    }

    /// String text from `self.at` up to a `"`, a `{` or a line end; or
    /// what ends it.
    fn text(&mut self) -> Option<Segment> {
        let mut i = self.at;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' | b'{' | b'\n' | b'\r' => break,
                // An escape takes the next byte, unless that ends the line.
                b'\\' if !matches!(self.bytes.get(i + 1), None | Some(b'\n' | b'\r')) => i += 2,
                _ => i += 1,
            }
        }
        if i > self.at {
            return Some(self.segment(Kind::Text, i));
        }
        match self.bytes.get(i) {
            Some(b'"') => {
                self.state = State::Code;
                Some(self.segment(Kind::EndQuote, i + 1))
            }
            Some(b'{') => {
                self.state = State::Interp { depth: 0 };
                Some(self.segment(Kind::InterpOpen, i + 1))
            }
            // Unclosed at the line end: code again from the line end on.
            Some(_) => {
                self.state = State::Code;
                Some(self.code())
            }
            None => None,
        }
    }

    /// An interpolation's code up to its `}`, its spec, a `"` or a comment.
    fn interp(&mut self, mut depth: usize) -> Segment {
        let mut i = self.at;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => break,
                b'}' | b':' if depth == 0 => break,
                _ if self.starts_comment(i) => break,
                b'{' => depth += 1,
                b'}' => depth -= 1,
                _ => {}
            }
            i += 1;
        }
        if i > self.at {
            self.state = State::Interp { depth };
            return self.segment(Kind::Interp, i);
        }
        if let Some((kind, end)) = self.comment(i) {
            return self.segment(kind, end);
        }
        match self.bytes[i] {
            b'}' => {
                self.state = State::Text;
                self.segment(Kind::InterpClose, i + 1)
            }
            b':' => {
                self.state = State::Spec;
                self.spec()
            }
            _ => {
                self.state = State::Code;
                self.segment(Kind::EndQuote, i + 1)
            }
        }
    }

    /// An interpolation's spec, from its `:` up to the `}`, a `"` or a line
    /// end; or what ends it.
    fn spec(&mut self) -> Segment {
        let end = self.bytes[self.at..]
            .iter()
            .position(|&b| matches!(b, b'}' | b'"' | b'\n' | b'\r'))
            .map_or(self.bytes.len(), |k| self.at + k);
        if end > self.at {
            return self.segment(Kind::Text, end);
        }
        match self.bytes[end] {
            b'}' => {
                self.state = State::Text;
                self.segment(Kind::InterpClose, end + 1)
            }
            b'"' => {
                self.state = State::Code;
                self.segment(Kind::EndQuote, end + 1)
            }
            _ => {
                self.state = State::Code;
                self.code()
            }
        }
    }
}

impl Iterator for Scan<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        if self.at >= self.bytes.len() {
            return None;
        }
        match self.state {
            State::Code => Some(self.code()),
            State::Text => self.text(),
            State::Interp { depth } => Some(self.interp(depth)),
            State::Spec => Some(self.spec()),
        }
    }
}

/// A `/*` or `*/` of a block comment: where it is, and how many comments
/// are open after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Mark {
    pub(super) at: usize,
    pub(super) opens: bool,
    pub(super) depth: usize,
}

/// The `/*` and `*/` of the block comment that opens at `start`, in order,
/// up to the one that closes it (or to the end of `bytes`).
pub(super) fn comment_marks(bytes: &[u8], start: usize) -> impl Iterator<Item = Mark> + '_ {
    let mut i = start;
    let mut depth = 0usize;
    std::iter::from_fn(move || {
        if i > start && depth == 0 {
            return None;
        }
        while i + 1 < bytes.len() {
            let at = i;
            match &bytes[i..i + 2] {
                b"/*" => {
                    depth += 1;
                    i += 2;
                    return Some(Mark { at, opens: true, depth });
                }
                b"*/" => {
                    depth -= 1;
                    i += 2;
                    return Some(Mark { at, opens: false, depth });
                }
                _ => i += 1,
            }
        }
        i = bytes.len();
        None
    })
}

/// Where the block comment that opens at `start` ends (after its `*/`, or
/// the end of `bytes`), and whether it is closed.
fn block_comment_end(bytes: &[u8], start: usize) -> (usize, bool) {
    match comment_marks(bytes, start).find(|mark| mark.depth == 0) {
        Some(mark) => (mark.at + 2, true),
        None => (bytes.len(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source cut into its segments, each as its kind and text.
    fn pieces(source: &str) -> Vec<(Kind, &str)> {
        let segments: Vec<Segment> = Scan::new(source).collect();
        let mut at = 0;
        for s in &segments {
            assert_eq!(s.start, at, "segments are consecutive in {source:?}: {segments:?}");
            assert!(s.end > s.start, "segments are not empty in {source:?}: {segments:?}");
            at = s.end;
        }
        assert_eq!(at, source.len(), "segments cover {source:?}");
        segments.iter().map(|s| (s.kind, &source[s.start..s.end])).collect()
    }

    use Kind::*;
    const CLOSED: Kind = BlockComment { closed: true };
    const UNCLOSED: Kind = BlockComment { closed: false };

    #[test]
    fn code_and_an_empty_source() {
        assert_eq!(pieces(""), []);
        assert_eq!(pieces("let x = a / b * c"), [(Code, "let x = a / b * c")]);
        assert_eq!(pieces("x */ y"), [(Code, "x */ y")]);
    }

    #[test]
    fn strings_with_escapes() {
        assert_eq!(pieces(r#"a "b" c"#), [(Code, "a "), (Quote, "\""), (Text, "b"), (EndQuote, "\""), (Code, " c")]);
        assert_eq!(pieces(r#""""#), [(Quote, "\""), (EndQuote, "\"")]);
        // `\"` and `\\` do not end the string, `\{` opens no interpolation.
        assert_eq!(
            pieces(r#"print("a \" b \\" + 1)"#),
            [(Code, "print("), (Quote, "\""), (Text, r#"a \" b \\"#), (EndQuote, "\""), (Code, " + 1)")]
        );
        assert_eq!(pieces(r#""\{x\}""#), [(Quote, "\""), (Text, r"\{x\}"), (EndQuote, "\"")]);
        // A lone `}` is text.
        assert_eq!(pieces(r#""a } b""#), [(Quote, "\""), (Text, "a } b"), (EndQuote, "\"")]);
    }

    #[test]
    fn comment_openers_inside_a_string_are_text() {
        assert_eq!(
            pieces(r#"print("http://x /* y") // z"#),
            [
                (Code, "print("),
                (Quote, "\""),
                (Text, "http://x /* y"),
                (EndQuote, "\""),
                (Code, ") "),
                (LineComment, "// z"),
            ]
        );
    }

    #[test]
    fn a_string_stops_at_its_line_end() {
        assert_eq!(
            pieces("\"ab\nc \"d\""),
            [(Quote, "\""), (Text, "ab"), (Code, "\nc "), (Quote, "\""), (Text, "d"), (EndQuote, "\"")]
        );
        // An escape cannot take the line end (nor a `\r`).
        assert_eq!(pieces("\"a\\\nb"), [(Quote, "\""), (Text, "a\\"), (Code, "\nb")]);
        assert_eq!(pieces("\"a\\\r\nb"), [(Quote, "\""), (Text, "a\\"), (Code, "\r\nb")]);
        assert_eq!(pieces("\"a\\"), [(Quote, "\""), (Text, "a\\")]);
        assert_eq!(pieces("\""), [(Quote, "\"")]);
    }

    #[test]
    fn interpolations_are_code() {
        assert_eq!(
            pieces(r#""n = {n + 1}!""#),
            [
                (Quote, "\""),
                (Text, "n = "),
                (InterpOpen, "{"),
                (Interp, "n + 1"),
                (InterpClose, "}"),
                (Text, "!"),
                (EndQuote, "\"")
            ]
        );
        // A struct literal's braces are the interpolation's own; a spec is text.
        assert_eq!(
            pieces(r#""{f(P { x: 1 }):>8.2}""#),
            [
                (Quote, "\""),
                (InterpOpen, "{"),
                (Interp, "f(P { x: 1 })"),
                (Text, ":>8.2"),
                (InterpClose, "}"),
                (EndQuote, "\"")
            ]
        );
        assert_eq!(
            pieces(r#""{:8}""#),
            [(Quote, "\""), (InterpOpen, "{"), (Text, ":8"), (InterpClose, "}"), (EndQuote, "\"")]
        );
        // A spec's `{` or `/*` is text too.
        assert_eq!(
            pieces(r#""{x:{/*}""#),
            [(Quote, "\""), (InterpOpen, "{"), (Interp, "x"), (Text, ":{/*"), (InterpClose, "}"), (EndQuote, "\"")]
        );
        assert_eq!(pieces(r#""{}""#), [(Quote, "\""), (InterpOpen, "{"), (InterpClose, "}"), (EndQuote, "\"")]);
    }

    #[test]
    fn an_interpolation_holds_comments_and_line_ends() {
        assert_eq!(
            pieces("\"{a /* } \" */ +\n b // }\n}\""),
            [
                (Quote, "\""),
                (InterpOpen, "{"),
                (Interp, "a "),
                (CLOSED, "/* } \" */"),
                (Interp, " +\n b "),
                (LineComment, "// }"),
                (Interp, "\n"),
                (InterpClose, "}"),
                (EndQuote, "\"")
            ]
        );
    }

    #[test]
    fn a_quote_ends_an_unclosed_interpolation_and_its_string() {
        assert_eq!(
            pieces(r#"print("{x") + "y""#),
            [
                (Code, "print("),
                (Quote, "\""),
                (InterpOpen, "{"),
                (Interp, "x"),
                (EndQuote, "\""),
                (Code, ") + "),
                (Quote, "\""),
                (Text, "y"),
                (EndQuote, "\"")
            ]
        );
        assert_eq!(
            pieces(r#""{x:8" y"#),
            [(Quote, "\""), (InterpOpen, "{"), (Interp, "x"), (Text, ":8"), (EndQuote, "\""), (Code, " y")]
        );
        assert_eq!(pieces("\"{x:8\ny"), [(Quote, "\""), (InterpOpen, "{"), (Interp, "x"), (Text, ":8"), (Code, "\ny")]);
        assert_eq!(pieces("\"{x"), [(Quote, "\""), (InterpOpen, "{"), (Interp, "x")]);
    }

    #[test]
    fn line_comments() {
        assert_eq!(pieces("a // b \"c\nd"), [(Code, "a "), (LineComment, "// b \"c"), (Code, "\nd")]);
        assert_eq!(pieces("a // /* b\nc"), [(Code, "a "), (LineComment, "// /* b"), (Code, "\nc")]);
        // At the end of the file, with and without a line end.
        assert_eq!(pieces("a //"), [(Code, "a "), (LineComment, "//")]);
        assert_eq!(pieces("a // b\n"), [(Code, "a "), (LineComment, "// b"), (Code, "\n")]);
        assert_eq!(pieces("a // b\r\n"), [(Code, "a "), (LineComment, "// b\r"), (Code, "\n")]);
    }

    #[test]
    fn block_comments_nest() {
        assert_eq!(pieces("a /* b /* c */ d */ e"), [(Code, "a "), (CLOSED, "/* b /* c */ d */"), (Code, " e")]);
        // Only `/*` and `*/` mean anything inside.
        assert_eq!(pieces("/* \" // */x"), [(CLOSED, "/* \" // */"), (Code, "x")]);
        assert_eq!(pieces("/**/"), [(CLOSED, "/**/")]);
        assert_eq!(pieces("/*/ */"), [(CLOSED, "/*/ */")]);
        assert_eq!(pieces("/*/**/*/x"), [(CLOSED, "/*/**/*/"), (Code, "x")]);
    }

    #[test]
    fn an_unclosed_comment_runs_to_the_end() {
        assert_eq!(pieces("a /* b"), [(Code, "a "), (UNCLOSED, "/* b")]);
        assert_eq!(pieces("a /* b /* c */ d\ne"), [(Code, "a "), (UNCLOSED, "/* b /* c */ d\ne")]);
        assert_eq!(pieces("/*"), [(UNCLOSED, "/*")]);
        assert_eq!(pieces("/*/"), [(UNCLOSED, "/*/")]);
        assert_eq!(pieces("a /"), [(Code, "a /")]);
    }

    #[test]
    fn comment_marks_count_the_nesting() {
        let source = b"x /* a /* b */ /* c /* d */ */ */ y /* z";
        let marks: Vec<(usize, bool, usize)> = comment_marks(source, 2).map(|m| (m.at, m.opens, m.depth)).collect();
        assert_eq!(
            marks,
            [
                (2, true, 1),
                (7, true, 2),
                (12, false, 1),
                (15, true, 2),
                (20, true, 3),
                (25, false, 2),
                (28, false, 1),
                (31, false, 0)
            ]
        );
        let unclosed: Vec<usize> = comment_marks(source, 36).map(|m| m.depth).collect();
        assert_eq!(unclosed, [1]);
        assert_eq!(block_comment_end(source, 2), (33, true));
        assert_eq!(block_comment_end(source, 36), (source.len(), false));
    }

    #[test]
    fn multibyte_text_is_never_cut() {
        let source = "é \"ü{ß}ö\" /* ∞ */ // ✓";
        for segment in Scan::new(source) {
            assert!(source.is_char_boundary(segment.start) && source.is_char_boundary(segment.end));
        }
    }
}
