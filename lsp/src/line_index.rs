//! Byte offsets into a document and LSP positions, both ways.
//!
//! A position is a line and a character offset within it, counted in UTF-16
//! code units (LSP's default, and the only encoding this server speaks): `é`
//! is one unit and two bytes, `😀` two units and four bytes. Lines end at
//! `\n`, `\r\n` or a lone `\r`, as the protocol says.

use lsp_types::Position;

/// Where each line of a text starts.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// The byte offset of each line's first character; the first is 0.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        LineIndex { starts, len: text.len() }
    }

    /// The position of a byte offset of `text` (the text this index was made
    /// of). An offset past the end is the end; one inside a character, or
    /// between the `\r` and `\n` of a line break, is taken back to where
    /// that character or break starts.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n') {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let character = text[start..offset].chars().map(char::len_utf16).sum::<usize>();
        Position { line: line as u32, character: character as u32 }
    }

    /// The byte offset of a position. A line past the last is the end of the
    /// text; a character past the end of its line is the line's end (before
    /// its line break); one inside a character (half of a surrogate pair) is
    /// where that character starts.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else { return self.len };
        let end = self.line_end(text, position.line as usize);
        let mut units = 0usize;
        for (i, c) in text[start..end].char_indices() {
            units += c.len_utf16();
            if units > position.character as usize {
                return start + i;
            }
        }
        end
    }

    /// The byte offset where a line's text ends, before its line break.
    fn line_end(&self, text: &str, line: usize) -> usize {
        let Some(&next) = self.starts.get(line + 1) else { return self.len };
        // `next` is just after the break: `\n`, `\r\n` or a lone `\r`.
        let bytes = text.as_bytes();
        if bytes[next - 1] == b'\n' && next >= self.starts[line] + 2 && bytes[next - 2] == b'\r' {
            next - 2
        } else {
            next - 1
        }
    }

    /// How many lines the text has (a text ending in a line break has an
    /// empty last line).
    pub fn lines(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn counts_utf16_units_before_an_offset() {
        let text = "var x = 1\n// é😀 x\nprint(\"é\") ";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), pos(0, 0));
        assert_eq!(index.position(text, 9), pos(0, 9));
        assert_eq!(index.position(text, 10), pos(1, 0));
        let x = text.rfind(" x").unwrap() + 1;
        // `// ` is 3 units, `é` 1, `😀` 2, the space 1.
        assert_eq!(index.position(text, x), pos(1, 7));
        assert_eq!(index.offset(text, pos(1, 7)), x);
        let close = text.rfind(')').unwrap();
        assert_eq!(index.position(text, close), pos(2, 9));
        assert_eq!(index.position(text, text.len()), pos(2, 11));
        assert_eq!(index.lines(), 3);
    }

    #[test]
    fn offsets_inside_characters_and_breaks_round_down() {
        let text = "a😀b\r\nc";
        let index = LineIndex::new(text);
        // Inside the emoji's four bytes: where it starts.
        assert_eq!(index.position(text, 2), pos(0, 1));
        // Between `\r` and `\n`: the end of the line.
        assert_eq!(index.position(text, 6), pos(0, 4));
        assert_eq!(index.position(text, 7), pos(0, 4));
        assert_eq!(index.position(text, 8), pos(1, 0));
        // Half of the surrogate pair: the emoji's start.
        assert_eq!(index.offset(text, pos(0, 2)), 1);
        assert_eq!(index.offset(text, pos(0, 3)), 5);
        // Past the line's end: before its break; past the last line: the end.
        assert_eq!(index.offset(text, pos(0, 99)), 6);
        assert_eq!(index.offset(text, pos(5, 0)), text.len());
    }

    #[test]
    fn every_kind_of_line_break_ends_a_line() {
        let text = "a\nb\r\nc\rd";
        let index = LineIndex::new(text);
        assert_eq!(index.lines(), 4);
        for (line, letter) in ["a", "b", "c", "d"].iter().enumerate() {
            let at = text.find(letter).unwrap();
            assert_eq!(index.position(text, at), pos(line as u32, 0));
            assert_eq!(index.offset(text, pos(line as u32, 0)), at);
            assert_eq!(index.offset(text, pos(line as u32, 7)), at + 1, "line {line}");
        }
    }

    /// Arbitrary text over every kind of character that matters: ASCII,
    /// two-, three- and four-byte UTF-8, and every kind of line break.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a".to_string()),
            Just(" ".to_string()),
            Just("é".to_string()),
            Just("€".to_string()),
            Just("😀".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn offset_position_offset_round_trips(text in text()) {
            let index = LineIndex::new(&text);
            for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                let between_cr_lf = offset > 0 && text.as_bytes()[offset - 1] == b'\r'
                    && text.as_bytes().get(offset) == Some(&b'\n');
                if between_cr_lf {
                    continue;
                }
                let position = index.position(&text, offset);
                prop_assert_eq!(index.offset(&text, position), offset, "{:?} at {}", text, offset);
            }
        }

        #[test]
        fn positions_count_utf16_units_of_their_line(text in text()) {
            let index = LineIndex::new(&text);
            for (offset, _) in text.char_indices() {
                let position = index.position(&text, offset);
                let before = &text[..offset];
                let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
                let lines = before.matches('\n').count() + before.matches('\r').count()
                    - before.matches("\r\n").count();
                let between_cr_lf = before.ends_with('\r') && text[offset..].starts_with('\n');
                if between_cr_lf {
                    continue;
                }
                prop_assert_eq!(position.line as usize, lines);
                prop_assert_eq!(position.character as usize, text[line_start..offset].encode_utf16().count());
            }
        }

        #[test]
        fn any_position_gives_an_offset_on_a_character_boundary(text in text(), line in 0u32..50, character in 0u32..50) {
            let index = LineIndex::new(&text);
            let offset = index.offset(&text, Position { line, character });
            prop_assert!(text.is_char_boundary(offset));
            let back = index.position(&text, offset);
            prop_assert!(back.line <= line);
            prop_assert!(back.line < line || back.character <= character);
        }
    }
}
