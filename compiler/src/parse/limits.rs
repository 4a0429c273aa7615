//! The pre-scan: a quick pass over the brackets before the grammar runs.
//!
//! The grammar recurses once per bracket level, so nesting is measured here
//! first and deep input refused; the error reporter also asks it which
//! brackets are still open at an error, and whether a `/*` comment is never
//! closed.
//!
//! Every construct the grammar nests by recursion counts, on one stack and
//! against one limit ([`MAX_NESTING`]): `(`, `[`, `{` (blocks and struct
//! literals), the `{` of a string interpolation, the `<` of `proc<T>`, and
//! `/*` comments, which nest. Everything else the grammar repeats flatly
//! (operator chains, `else if` links, statements, arguments), so it costs
//! no recursion and is not counted here.

use crate::span::Span;

use super::scan::{comment_marks, Kind, Scan};
use super::MAX_NESTING;

/// What a quick pass over the brackets found.
pub(super) struct BracketScan {
    /// The opener that first went over [`MAX_NESTING`].
    pub(super) too_deep: Option<Span>,
    /// Brackets still open at the end of the file: (opener, offset). `I`
    /// stands for the brace of an interpolation, `<` for the one of `proc<`.
    pub(super) open_at_end: Vec<(u8, usize)>,
    /// Where the outermost `/*` that is never closed opens.
    pub(super) unclosed_comment: Option<usize>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// If the word `proc` starts at `i` and a `<` follows it (spaces and tabs
/// between), the offset of that `<`. `proc` is not reserved, so `proc < 3`
/// may also be a comparison; [`scan_brackets`] drops such a `<` again at the
/// first byte that cannot continue a type.
fn proc_angle(bytes: &[u8], i: usize) -> Option<usize> {
    if !bytes[i..].starts_with(b"proc") || (i > 0 && is_word_byte(bytes[i - 1])) {
        return None;
    }
    let mut j = i + 4;
    if bytes.get(j).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    while bytes.get(j).is_some_and(|&b| b == b' ' || b == b'\t') {
        j += 1;
    }
    (bytes.get(j) == Some(&b'<')).then_some(j)
}

/// Measures bracket nesting without the grammar, skipping comments and string
/// text (but not the code inside `{...}` interpolations).
pub(super) fn scan_brackets(source: &str) -> BracketScan {
    let bytes = source.as_bytes();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let too_deep = |at: usize| BracketScan {
        too_deep: Some(Span::new(at, at + 1)),
        open_at_end: Vec::new(),
        unclosed_comment: None,
    };
    // Where the brace of the interpolation the scan is in stands on the stack.
    let mut interp: Option<usize> = None;
    for segment in Scan::new(source) {
        // Leaving an interpolation (at its `}`, a `"`, or the line end after
        // its spec) closes what it left open.
        if let Some(k) = interp.filter(|_| matches!(segment.kind, Kind::InterpClose | Kind::EndQuote | Kind::Code)) {
            stack.truncate(k);
            interp = None;
        }
        match segment.kind {
            Kind::Code | Kind::Interp => {}
            Kind::InterpOpen => {
                interp = Some(stack.len());
                stack.push((b'I', segment.start));
                if stack.len() > MAX_NESTING {
                    return too_deep(segment.start);
                }
                continue;
            }
            Kind::BlockComment { closed } => {
                for mark in comment_marks(bytes, segment.start) {
                    if mark.opens && stack.len() + mark.depth > MAX_NESTING {
                        return too_deep(mark.at);
                    }
                }
                if !closed {
                    // The comment runs to the end of the file.
                    return BracketScan { too_deep: None, open_at_end: stack, unclosed_comment: Some(segment.start) };
                }
                continue;
            }
            // A string cannot be part of a type: a `proc<` before it was a
            // comparison.
            Kind::Quote => {
                while stack.last().is_some_and(|&(o, _)| o == b'<') {
                    stack.pop();
                }
                continue;
            }
            Kind::Text | Kind::LineComment | Kind::InterpClose | Kind::EndQuote => continue,
        }
        // Inside an interpolation, a closer never reaches past its brace.
        let floor = interp.map_or(0, |k| k + 1);
        let mut i = segment.start;
        while i < segment.end {
            let b = bytes[i];
            // Inside `proc<`, only a type may follow: a name, `proc<`, `[`
            // (an array type) or the closing `>`. Anything else shows the
            // `<` was a comparison after a name `proc` (or a syntax error),
            // so it is no bracket: drop it before it is counted any further.
            let type_byte = is_word_byte(b) || matches!(b, b' ' | b'\t' | b'<' | b'>' | b'[');
            if !type_byte {
                while stack.last().is_some_and(|&(o, _)| o == b'<') {
                    stack.pop();
                }
            }
            match b {
                b'p' => {
                    if let Some(at) = proc_angle(bytes, i) {
                        stack.push((b'<', at));
                        if stack.len() > MAX_NESTING {
                            return too_deep(at);
                        }
                        i = at + 1;
                        continue;
                    }
                    // Skip the rest of the word, so `xproc<` is not `proc<`.
                    while i < segment.end && is_word_byte(bytes[i]) {
                        i += 1;
                    }
                    continue;
                }
                b'>' if stack.last().is_some_and(|&(o, _)| o == b'<') => {
                    stack.pop();
                }
                b'(' | b'[' | b'{' => {
                    stack.push((b, i));
                    if stack.len() > MAX_NESTING {
                        return too_deep(i);
                    }
                }
                b')' | b']' | b'}' => {
                    let opener = match b {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    // Pop to the matching opener if there is one; a stray
                    // closer is left for the grammar to report. (The `}`
                    // that closes an interpolation is not code.)
                    if let Some(k) = stack[floor..].iter().rposition(|&(o, _)| o == opener) {
                        stack.truncate(floor + k);
                    }
                }
                _ if is_word_byte(b) => {
                    // A whole word at once, so a `proc` inside one is not a keyword.
                    while i < segment.end && is_word_byte(bytes[i]) {
                        i += 1;
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
    BracketScan { too_deep: None, open_at_end: stack, unclosed_comment: None }
}
