//! The formatted text as lines, each with its trailing comment kept apart
//! until the end, when the comments of consecutive lines are aligned.

/// One output line: its text (indentation included; empty for a blank
/// line) and the comment that ends it, if any.
struct Line {
    text: String,
    comment: Option<String>,
}

/// The lines printed so far.
#[derive(Default)]
pub(crate) struct Lines {
    lines: Vec<Line>,
}

impl Lines {
    /// A new line of text (which may hold line breaks: each part becomes
    /// a line).
    pub(crate) fn push(&mut self, text: &str) {
        for part in text.split('\n') {
            self.lines.push(Line { text: part.trim_end().to_string(), comment: None });
        }
    }

    /// A blank line, unless there is nothing yet or the last line is blank.
    pub(crate) fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.text.is_empty() || l.comment.is_some()) {
            self.lines.push(Line { text: String::new(), comment: None });
        }
    }

    /// Ends the last line with a comment (after any it already ends with).
    pub(crate) fn comment(&mut self, text: &str) {
        let Some(line) = self.lines.last_mut() else { return self.push(text) };
        match &mut line.comment {
            Some(c) => {
                c.push(' ');
                c.push_str(text);
            }
            None => line.comment = Some(text.to_string()),
        }
    }

    /// The text: trailing comments of consecutive lines aligned two
    /// columns after the longest of those lines; one `\n` at the end.
    pub(crate) fn finish(mut self) -> String {
        while self.lines.last().is_some_and(|l| l.text.is_empty() && l.comment.is_none()) {
            self.lines.pop();
        }
        let mut out = String::new();
        let mut i = 0;
        while i < self.lines.len() {
            // A run of lines that each end with a one-line comment.
            let aligned = |l: &Line| l.comment.as_ref().is_some_and(|c| !c.contains('\n')) && !l.text.is_empty();
            let mut j = i;
            while j < self.lines.len() && aligned(&self.lines[j]) {
                j += 1;
            }
            let column = self.lines[i..j].iter().map(|l| l.text.chars().count()).max().unwrap_or(0) + 2;
            for line in &self.lines[i..j.max(i + 1)] {
                out.push_str(&line.text);
                if let Some(comment) = &line.comment {
                    let width = line.text.chars().count();
                    let pad = if j > i {
                        column - width
                    } else if line.text.is_empty() {
                        0
                    } else {
                        2
                    };
                    out.push_str(&" ".repeat(pad));
                    out.push_str(comment);
                }
                out.push('\n');
            }
            i = j.max(i + 1);
        }
        out
    }
}

/// The text of a span kept as written, re-indented: its first line as it
/// is, each later line with the indentation of the span's first source
/// line replaced by `indent` spaces (a line indented less loses all of
/// its indentation). Trailing blanks go; `\r\n` becomes `\n`.
pub(crate) fn reindent(source: &str, start: usize, end: usize, indent: usize) -> String {
    let line_start = source[..start].rfind('\n').map_or(0, |k| k + 1);
    let old = width_of_indent(&source[line_start..start]);
    let mut out = String::new();
    for (n, line) in source[start..end].split('\n').enumerate() {
        let line = line.trim_end();
        if n > 0 {
            out.push('\n');
            if line.is_empty() {
                continue;
            }
            let own = width_of_indent(line);
            let rest = line.trim_start();
            out.push_str(&" ".repeat(indent + own.saturating_sub(old)));
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The width of a line's leading blanks, a tab counting four.
fn width_of_indent(text: &str) -> usize {
    text.chars().take_while(|c| matches!(c, ' ' | '\t')).map(|c| if c == '\t' { 4 } else { 1 }).sum()
}
