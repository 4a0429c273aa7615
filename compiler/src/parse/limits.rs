//! The pre-scan: a quick pass over the brackets before the grammar runs.
//!
//! The grammar recurses once per bracket level, so nesting is measured here
//! first and deep input refused; the error reporter also asks it which
//! brackets are still open at an error.

use crate::span::Span;

use super::MAX_BRACKET_NESTING;

/// What a quick pass over the brackets found.
pub(super) struct BracketScan {
    /// The opener that first went over [`MAX_BRACKET_NESTING`].
    pub(super) too_deep: Option<Span>,
    /// Brackets still open at the end of the file: (opener, offset).
    pub(super) open_at_end: Vec<(u8, usize)>,
}

/// Measures bracket nesting without the grammar, skipping comments and string
/// text (but not the code inside `{...}` interpolations).
pub(super) fn scan_brackets(source: &str) -> BracketScan {
    let bytes = source.as_bytes();
    // `I` marks the brace of an interpolation, after which string text resumes.
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    let too_deep = |at: usize| BracketScan { too_deep: Some(Span::new(at, at + 1)), open_at_end: Vec::new() };
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                b'{' => {
                    stack.push((b'I', i));
                    in_string = false;
                    if stack.len() > MAX_BRACKET_NESTING {
                        return too_deep(i);
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        if stack.len() + depth > MAX_BRACKET_NESTING {
                            return too_deep(i);
                        }
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                stack.push((b, i));
                if stack.len() > MAX_BRACKET_NESTING {
                    return too_deep(i);
                }
            }
            b')' | b']' | b'}' => {
                let opener = match b {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                // Pop to the matching opener if there is one; a stray closer
                // is left for the grammar to report.
                if let Some(k) = stack.iter().rposition(|&(o, _)| o == opener || (b == b'}' && o == b'I')) {
                    let was_interp = stack[k].0 == b'I';
                    stack.truncate(k);
                    if was_interp {
                        in_string = true;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    BracketScan { too_deep: None, open_at_end: stack }
}
