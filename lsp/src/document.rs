//! An open document: its text, and the compiler's analysis of it.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent, TextEdit};
use usim_compiler::span::Span;
use usim_compiler::{analyze, Analysis};

use crate::line_index::LineIndex;

pub struct Document {
    pub text: String,
    pub version: i32,
    pub lines: LineIndex,
    pub analysis: Analysis,
    /// While the text has syntax errors, the last version that had none (its
    /// text and analysis), for completion: an item with a syntax error is
    /// left out of the tree, and with it the names it declares.
    pub last_good: Option<Box<(String, Analysis)>>,
}

impl Document {
    pub fn new(text: String, version: i32) -> Document {
        let lines = LineIndex::new(&text);
        let analysis = analyze(&text);
        Document { text, version, lines, analysis, last_good: None }
    }

    /// Applies the changes of a `didChange`, in order (a change without a
    /// range replaces the whole text), and analyzes the new text.
    pub fn change(&mut self, changes: Vec<TextDocumentContentChangeEvent>, version: i32) {
        let mut text = self.text.clone();
        for change in changes {
            match change.range {
                Some(range) => {
                    let lines = LineIndex::new(&text);
                    let start = lines.offset(&text, range.start);
                    let end = lines.offset(&text, range.end).max(start);
                    text.replace_range(start..end, &change.text);
                }
                None => text = change.text,
            }
        }
        let analysis = analyze(&text);
        let old_text = std::mem::replace(&mut self.text, text);
        let old = std::mem::replace(&mut self.analysis, analysis);
        if !self.analysis.syntax_errors {
            self.last_good = None;
        } else if !old.syntax_errors {
            self.last_good = Some(Box::new((old_text, old)));
        }
        self.lines = LineIndex::new(&self.text);
        self.version = version;
    }

    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }

    pub fn offset(&self, position: Position) -> usize {
        self.lines.offset(&self.text, position)
    }

    pub fn range(&self, span: Span) -> Range {
        Range { start: self.position(span.start as usize), end: self.position(span.end as usize) }
    }

    /// The edit that replaces the whole text with `new_text`, or `None` when
    /// they are the same: the answer to `textDocument/formatting`.
    pub fn replace_all(&self, new_text: String) -> Option<Vec<TextEdit>> {
        (new_text != self.text).then(|| vec![TextEdit { range: self.range(Span::new(0, self.text.len())), new_text }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(range: Option<((u32, u32), (u32, u32))>, text: &str) -> TextDocumentContentChangeEvent {
        let pos = |(line, character)| Position { line, character };
        TextDocumentContentChangeEvent {
            range: range.map(|(a, b)| Range { start: pos(a), end: pos(b) }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn changes_apply_whole_or_by_range_and_keep_the_last_good_analysis() {
        let good = "var n: int = 0\nprocess main() {\n    /* é */ n += 1\n}\nrun main()\n";
        let mut d = Document::new(good.to_string(), 1);
        assert!(d.analysis.diagnostics.is_empty(), "{:?}", d.analysis.diagnostics);
        // `n += 1` becomes `n += 1 +`: the line's UTF-16 column 18 is byte 19.
        d.change(vec![change(Some(((2, 18), (2, 18))), " +")], 2);
        assert_eq!(d.text, good.replace("n += 1", "n += 1 +"));
        assert!(d.analysis.syntax_errors);
        assert_eq!(d.last_good.as_ref().map(|g| g.0.as_str()), Some(good));
        d.change(vec![change(Some(((2, 18), (2, 20))), "")], 3);
        assert_eq!(d.text, good);
        assert!(d.last_good.is_none() && !d.analysis.syntax_errors);
        d.change(vec![change(None, "run")], 4);
        assert_eq!((d.text.as_str(), d.version), ("run", 4));
    }

    #[test]
    fn replacing_all_covers_the_whole_text() {
        let d = Document::new("a\r\nbé\n".to_string(), 1);
        assert_eq!(d.replace_all(d.text.clone()), None);
        let edits = d.replace_all("x".to_string()).unwrap();
        assert_eq!(edits[0].range.end, Position { line: 2, character: 0 });
    }
}
