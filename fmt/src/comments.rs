//! The comments of a source, handed out in order as the layout reaches
//! the places they stand in.

use usim_compiler::span::Span;

/// The comments not yet printed. Every comment is taken exactly once, in
/// source order: the layout walks the tree in source order and asks for
/// the comments before each thing it prints.
pub(crate) struct Comments<'s> {
    source: &'s str,
    spans: Vec<Span>,
    next: usize,
}

impl<'s> Comments<'s> {
    pub(crate) fn new(source: &'s str, spans: &[Span]) -> Comments<'s> {
        Comments { source, spans: spans.to_vec(), next: 0 }
    }

    /// Whether a comment not yet taken starts before `pos`.
    pub(crate) fn any_before(&self, pos: u32) -> bool {
        self.spans.get(self.next).is_some_and(|c| c.start < pos)
    }

    /// The comments not yet taken, in order.
    pub(crate) fn pending(&self) -> &[Span] {
        &self.spans[self.next..]
    }

    /// Whether a comment not yet taken starts in `from..to`.
    pub(crate) fn any_within(&self, from: u32, to: u32) -> bool {
        self.pending().iter().take_while(|c| c.start < to).any(|c| c.start >= from)
    }

    /// Takes every comment that starts before `pos`.
    pub(crate) fn take_before(&mut self, pos: u32) -> Vec<Span> {
        let from = self.next;
        while self.any_before(pos) {
            self.next += 1;
        }
        self.spans[from..self.next].to_vec()
    }

    /// Takes the comments that end the line on which something ended at
    /// `end`: those after it on the same line with only blanks, `;` or
    /// `,` between.
    pub(crate) fn take_trailing(&mut self, end: u32) -> Vec<Span> {
        let mut taken = Vec::new();
        let mut after = end as usize;
        while let Some(c) = self.spans.get(self.next) {
            let gap = &self.source[after.min(c.start as usize)..c.start as usize];
            if c.start as usize >= after && gap.chars().all(|ch| matches!(ch, ' ' | '\t' | ';' | ',')) {
                taken.push(*c);
                after = c.end as usize;
                self.next += 1;
            } else {
                break;
            }
        }
        taken
    }
}

/// A comment's text as the formatter may change it: every line trimmed
/// (continuation lines of a block comment are re-indented), line ends as
/// `\n`.
pub(crate) fn normalized(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}
