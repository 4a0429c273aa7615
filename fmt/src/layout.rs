//! Items, statements, blocks and comments, line by line.
//!
//! The walk is in source order. Before each item or statement the comments
//! that stand before it are printed on lines of their own; the comments
//! after it on its last line end that line; those before a block's `}`
//! close the block. A statement or item with a comment between its own
//! tokens is kept as written ([`lines::reindent`]), since no layout could
//! say where such a comment goes.

use pretty::RcDoc;
use usim_compiler::ast::*;
use usim_compiler::span::Span;

use crate::comments::Comments;
use crate::expr::{self, list, list_broken, name, text, type_expr, Doc};
use crate::lines::{reindent, Lines};
use crate::{INDENT, WIDTH};

/// Formats a parsed module; `comments` are the source's, in order.
pub(crate) fn format_module(source: &str, module: &Module<()>, comments: &[Span]) -> String {
    let crlf = source.split('\n').next().is_some_and(|first| first.ends_with('\r')) && source.contains('\n');
    let bom = source.starts_with('\u{FEFF}');
    let mut printer = Printer {
        src: source,
        all: comments,
        comments: Comments::new(source, comments),
        out: Lines::default(),
        depth: 0,
    };
    printer.module(module);
    let mut text = printer.out.finish();
    if crlf {
        text = text.replace('\n', "\r\n");
    }
    if bom {
        text.insert(0, '\u{FEFF}');
    }
    text
}

struct Printer<'s> {
    src: &'s str,
    /// Every comment of the source, in order.
    all: &'s [Span],
    comments: Comments<'s>,
    out: Lines,
    /// Block levels.
    depth: usize,
}

/// Whether a blank line goes before the next thing printed.
#[derive(Clone, Copy, PartialEq)]
enum Gap {
    /// Nothing before it in its block (or the file): no blank line.
    First,
    /// A blank line where the source had one.
    AsWritten,
    /// A blank line in any case.
    Always,
}

impl<'s> Printer<'s> {
    fn indent(&self) -> usize {
        self.depth * INDENT
    }

    fn render(&self, doc: Doc) -> String {
        let indent = self.indent();
        let doc = text(" ".repeat(indent)).append(doc.nest(indent as isize));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = doc.render_fmt(WIDTH, &mut out);
        out
    }

    /// Prints a line (or lines) laid out from `doc`.
    fn line(&mut self, doc: Doc) {
        let text = self.render(doc);
        self.out.push(&text);
    }

    /// A span without the blanks and comments at its end. A rule that ends
    /// in an optional part (`expr` in its operator tail) takes the comment
    /// after it on its line into its span; the layout needs the end of the
    /// last token.
    fn last_token(&self, span: Span) -> Span {
        let mut end = span.end as usize;
        loop {
            end = span.start as usize + self.src[span.start as usize..end].trim_end().len();
            // The comment the trimmed span ends in (a `//` comment holds
            // the blanks at the end of its line).
            let before = self.all.partition_point(|c| (c.start as usize) < end);
            match before.checked_sub(1).map(|i| self.all[i]) {
                Some(c) if c.start >= span.start && c.end as usize >= end => end = c.start as usize,
                _ => break,
            }
        }
        Span::new(span.start as usize, end)
    }

    /// Whether the source has a blank line between `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        let gap = &self.src[from.min(to)..to];
        let mut lines = gap.split('\n');
        lines.next();
        let mut inner: Vec<&str> = lines.collect();
        inner.pop();
        inner.iter().any(|l| l.trim().is_empty())
    }

    /// Where the thing before `pos` ended: after its last non-blank.
    fn end_before(&self, pos: usize) -> usize {
        self.src[..pos].trim_end().len()
    }

    /// Prints the comments before `pos`, each on its own line, and the
    /// blank line before the first of them or before `pos` itself.
    fn leading(&mut self, pos: u32, gap: Gap) {
        let gap = self.leading_rest(pos, gap);
        self.gap_before(pos as usize, gap);
    }

    fn gap_before(&mut self, pos: usize, gap: Gap) {
        match gap {
            Gap::First => {}
            Gap::Always => self.out.blank(),
            Gap::AsWritten => {
                if self.blank_between(self.end_before(pos), pos) {
                    self.out.blank();
                }
            }
        }
    }

    /// Ends the last line with the comments on the source line after `end`.
    fn trailing(&mut self, end: u32) {
        for c in self.comments.take_trailing(end) {
            let text = reindent(self.src, c.start as usize, c.end as usize, self.indent());
            self.out.comment(&text);
        }
    }

    /// Prints `span` as written, re-indented, with the comments inside it.
    fn verbatim(&mut self, span: Span) {
        self.comments.take_before(span.end);
        let text = reindent(self.src, span.start as usize, span.end as usize, self.indent());
        self.out.push(&format!("{}{text}", " ".repeat(self.indent())));
    }

    // ------------------------------------------------------------ items

    fn module(&mut self, module: &Module<()>) {
        let mut gap = Gap::First;
        let mut previous_big = false;
        let mut items = module.items.iter().peekable();
        while let Some(item) = items.next() {
            // `// fmt: off` before an item keeps everything from it to the
            // next `// fmt: on` (or the end) as written.
            if let Some(off) = self.fmt_off_before(item.span.start) {
                self.leading(off.start, if gap != Gap::First && previous_big { Gap::Always } else { gap });
                let mut end = self.fmt_on_after(off.end).map_or(self.src.trim_end().len(), |on| on.end as usize);
                end = end.max(item.span.end as usize);
                while let Some(next) = items.peek() {
                    if (next.span.start as usize) >= end {
                        break;
                    }
                    end = end.max(next.span.end as usize);
                    items.next();
                }
                self.comments.take_before(end as u32);
                let kept = self.src[off.start as usize..end].replace("\r\n", "\n");
                self.out.push(kept.trim_end());
                gap = Gap::Always;
                previous_big = true;
                continue;
            }
            let big = matches!(item.kind, ItemKind::Struct { .. } | ItemKind::Fn(_) | ItemKind::Process(_));
            let this_gap = if gap != Gap::First && (big || previous_big) { Gap::Always } else { gap };
            self.leading(item.span.start, this_gap);
            let item = &Item { kind: item.kind.clone(), span: self.last_token(item.span) };
            self.item(item);
            self.trailing(item.span.end);
            gap = Gap::AsWritten;
            previous_big = big;
        }
        let end = self.src.len() as u32;
        self.leading_rest(end, gap);
    }

    /// The comments before `end`, each on its own line (at the end of a
    /// block or the file, or before what `leading` prints next); the gap
    /// for what follows them.
    fn leading_rest(&mut self, end: u32, gap: Gap) -> Gap {
        let mut gap = gap;
        for c in self.comments.take_before(end) {
            self.gap_before(c.start as usize, gap);
            let text = reindent(self.src, c.start as usize, c.end as usize, self.indent());
            self.out.push(&format!("{}{text}", " ".repeat(self.indent())));
            gap = Gap::AsWritten;
        }
        gap
    }

    /// A `// fmt: off` comment, on a line of its own, among the comments
    /// before `pos`.
    fn fmt_off_before(&self, pos: u32) -> Option<Span> {
        self.comments.pending().iter().take_while(|c| c.start < pos).copied().find(|c| self.directive(*c, "fmt: off"))
    }

    fn fmt_on_after(&self, pos: u32) -> Option<Span> {
        self.comments.pending().iter().copied().find(|c| c.start >= pos && self.directive(*c, "fmt: on"))
    }

    /// Whether a comment is `// word` on a line of its own.
    fn directive(&self, c: Span, word: &str) -> bool {
        let text = &self.src[c.range()];
        let line_start = self.src[..c.start as usize].rfind('\n').map_or(0, |k| k + 1);
        // `// fmt: off`, or `// fmt: off (why)`.
        text.strip_prefix("//").is_some_and(|t| t.trim() == word || t.trim().starts_with(&format!("{word} ")))
            && self.src[line_start..c.start as usize].trim().is_empty()
    }

    fn item(&mut self, item: &Item<()>) {
        let src = self.src;
        match &item.kind {
            ItemKind::Fn(c) | ItemKind::Process(c) => {
                let keyword = if matches!(item.kind, ItemKind::Fn(_)) { "fn " } else { "process " };
                if self.comments.any_before(c.body.span.start) {
                    return self.verbatim(item.span);
                }
                let params =
                    c.params.iter().map(|(n, t)| name(n).append(text(": ")).append(type_expr(src, t))).collect();
                let mut head = text(keyword).append(name(&c.name)).append(list("(", params, ")", false));
                if let Some(ret) = &c.ret {
                    head = head.append(text(" -> ")).append(type_expr(src, ret));
                }
                self.block(head, &c.body);
            }
            ItemKind::Struct { name: n, fields } => self.struct_item(item, n, fields),
            _ => {
                if self.comments.any_before(item.span.end) {
                    return self.verbatim(item.span);
                }
                let doc = match &item.kind {
                    ItemKind::Param { name: n, ty, value } => text("param ")
                        .append(name(n))
                        .append(text(": "))
                        .append(type_expr(src, ty))
                        .append(text(" = "))
                        .append(expr::expr(src, value)),
                    ItemKind::Const { name: n, value } => {
                        text("const ").append(name(n)).append(text(" = ")).append(expr::expr(src, value))
                    }
                    ItemKind::Var { name: n, ty, value } => text("var ")
                        .append(name(n))
                        .append(text(": "))
                        .append(type_expr(src, ty))
                        .append(text(" = "))
                        .append(expr::expr(src, value)),
                    ItemKind::Lock { name: n, family, options } => {
                        text("lock ").append(name(n)).append(self.family(family)).append(expr::options(src, options))
                    }
                    ItemKind::Channel { name: n, family, ty } => text("channel ")
                        .append(name(n))
                        .append(self.family(family))
                        .append(text(": "))
                        .append(type_expr(src, ty)),
                    ItemKind::Queue { name: n, family, ty, options } => text("queue ")
                        .append(name(n))
                        .append(self.family(family))
                        .append(text(": "))
                        .append(type_expr(src, ty))
                        .append(expr::options(src, options)),
                    ItemKind::Resource { name: n, family, options } => text("resource ")
                        .append(name(n))
                        .append(self.family(family))
                        .append(expr::options(src, options)),
                    ItemKind::Run { roots, until } => {
                        let roots = RcDoc::intersperse(
                            roots.iter().map(|r| expr::expr(src, r)),
                            text(",").append(RcDoc::line()),
                        );
                        let mut doc = text("run ").append(roots.nest(INDENT as isize).group());
                        if let Some(t) = until {
                            doc = doc.append(text(" until ")).append(expr::expr(src, t));
                        }
                        doc
                    }
                    ItemKind::Fn(_) | ItemKind::Process(_) | ItemKind::Struct { .. } => RcDoc::nil(),
                };
                self.line(doc);
            }
        }
    }

    fn family(&self, family: &Option<Expr<()>>) -> Doc {
        match family {
            Some(len) => text("[").append(expr::expr(self.src, len)).append(text("]")),
            None => RcDoc::nil(),
        }
    }

    /// `struct Name { a: int, b: float }` on one line if it fits and has no
    /// comments; otherwise a field per line, each with its comments.
    fn struct_item(&mut self, item: &Item<()>, n: &Ident, fields: &[(Ident, TypeExpr)]) {
        let src = self.src;
        let field = |(f, t): &(Ident, TypeExpr)| name(f).append(text(": ")).append(type_expr(src, t));
        let close = item.span.end - 1;
        // Written with a line break after `{`, it stays broken.
        let broken =
            fields.first().is_some_and(|(f, _)| src[n.span.end as usize..f.span.start as usize].contains('\n'));
        if !self.comments.any_before(close) {
            let entries = fields.iter().map(field).collect();
            let fields = if broken { list_broken("{", entries, "}") } else { list("{", entries, "}", true) };
            return self.line(text("struct ").append(name(n)).append(text(" ")).append(fields));
        }

        // Comments may stand between fields, not inside one nor before `{`.
        let brace =
            n.span.end + (src[n.span.end as usize..].len() - src[n.span.end as usize..].trim_start().len()) as u32;
        let inside_field =
            fields.iter().any(|(f, t)| self.comments.any_within(f.span.start, self.last_token(t.span).end));
        if src.as_bytes().get(brace as usize) != Some(&b'{') || inside_field {
            return self.verbatim(item.span);
        }
        self.line(text("struct ").append(name(n)).append(text(" {")));
        self.trailing(brace + 1);
        self.depth += 1;
        let mut gap = Gap::First;
        for f in fields {
            self.leading(f.0.span.start, gap);
            self.line(field(f).append(text(",")));
            self.trailing(self.last_token(f.1.span).end);
            gap = Gap::AsWritten;
        }
        self.leading_rest(close, gap);
        self.depth -= 1;
        self.close();
    }

    /// The `}` line of a block.
    fn close(&mut self) {
        self.out.push(&format!("{}}}", " ".repeat(self.indent())));
    }

    // ------------------------------------------------------------ blocks

    /// `head {`, the block's statements, `}`; `head {}` for an empty block.
    fn block(&mut self, head: Doc, block: &Block<()>) {
        if block.stmts.is_empty() && !self.comments.any_before(block.span.end - 1) {
            return self.line(head.append(text(" {}")));
        }
        self.open(head, block);
        self.close();
    }

    /// `head {` and the block's statements, without the `}`.
    fn open(&mut self, head: Doc, block: &Block<()>) {
        self.line(head.append(text(" {")));
        self.trailing(block.span.start + 1);
        self.body(block);
    }

    /// The statements of a block and the comments before its `}`, one level in.
    fn body(&mut self, block: &Block<()>) {
        self.depth += 1;
        let mut gap = Gap::First;
        for stmt in &block.stmts {
            self.leading(stmt.span.start, gap);
            let end = self.last_token(stmt.span);
            self.stmt(stmt, end);
            self.trailing(end.end);
            gap = Gap::AsWritten;
        }
        self.leading_rest(block.span.end - 1, gap);
        self.depth -= 1;
    }

    // ------------------------------------------------------------ statements

    /// A statement; `span` is its span up to its last token.
    fn stmt(&mut self, stmt: &Stmt<()>, span: Span) {
        let src = self.src;
        let e = |x: &Expr<()>| expr::expr(src, x);
        // The expression of a block's head: its continuation lines one
        // level further in than the block's statements.
        let h = |x: &Expr<()>| expr::expr(src, x).nest(INDENT as isize);
        // The head of a statement with a block: the comments before the
        // block's `{` must all be before the statement.
        let head_end = match &stmt.kind {
            StmtKind::If { then, .. } => Some(then.span.start),
            StmtKind::While { body, .. }
            | StmtKind::For { body, .. }
            | StmtKind::Loop { body }
            | StmtKind::Every { body, .. }
            | StmtKind::Scope { body }
            | StmtKind::With { body, .. }
            | StmtKind::Until { body, .. } => Some(body.span.start),
            StmtKind::Select { .. } => None,
            _ => {
                if self.comments.any_before(span.end) {
                    return self.verbatim(span);
                }
                None
            }
        };
        if head_end.is_some_and(|end| self.comments.any_before(end)) {
            return self.verbatim(span);
        }
        match &stmt.kind {
            StmtKind::Let { name: n, ty, value, .. } => {
                let mut doc = text("let ").append(name(n));
                if let Some(t) = ty {
                    doc = doc.append(text(": ")).append(type_expr(src, t));
                }
                self.line(doc.append(text(" = ")).append(e(value)));
            }
            StmtKind::Assign { target, op, value } => {
                let op = match op {
                    AssignOp::Set => " = ",
                    AssignOp::Add => " += ",
                    AssignOp::Sub => " -= ",
                    AssignOp::Mul => " *= ",
                    AssignOp::Div => " /= ",
                };
                self.line(e(target).append(text(op)).append(e(value)));
            }
            StmtKind::If { .. } => self.if_chain(stmt),
            StmtKind::While { cond, body } => self.block(text("while ").append(h(cond)), body),
            StmtKind::For { name: n, iter, body, .. } => {
                let iter = match iter {
                    ForIter::Range(lo, hi) => h(lo).append(text("..")).append(h(hi)),
                    ForIter::Each(xs) => h(xs),
                };
                self.block(text("for ").append(name(n)).append(text(" in ")).append(iter), body);
            }
            StmtKind::Loop { body } => self.block(text("loop"), body),
            StmtKind::Break => self.line(text("break")),
            StmtKind::Continue => self.line(text("continue")),
            StmtKind::Return(None) => self.line(text("return")),
            StmtKind::Return(Some(v)) => self.line(text("return ").append(e(v))),
            StmtKind::Print(s) => self.line(text("print(").append(expr::string(src, s)).append(text(")"))),
            StmtKind::Fail(s) => self.line(text("fail(").append(expr::string(src, s)).append(text(")"))),
            StmtKind::Stop => self.line(text("stop")),
            StmtKind::Record { name: n, value } => {
                self.line(text("record ").append(name(n)).append(text(" = ")).append(e(value)))
            }
            StmtKind::Every { period, body } => self.block(text("every ").append(h(period)), body),
            StmtKind::Scope { body } => self.block(text("scope"), body),
            StmtKind::With { target, amount, priority, body } => {
                let head = self.with_head(target, amount, priority);
                self.block(head, body);
            }
            StmtKind::Until { trigger, body } => self.block(text("until ").append(h(trigger)), body),
            StmtKind::Select { arms } => self.select(stmt, arms),
            StmtKind::Cancel(h) => self.line(text("cancel ").append(e(h))),
            StmtKind::Expr(x) => self.line(e(x)),
        }
    }

    fn with_head(&self, target: &Expr<()>, amount: &Option<Expr<()>>, priority: &Option<Expr<()>>) -> Doc {
        let e = |x: &Expr<()>| expr::expr(self.src, x).nest(INDENT as isize);
        let mut head = text("with ").append(e(target));
        if let Some(a) = amount {
            head = head.append(text("(")).append(e(a)).append(text(")"));
        }
        if let Some(p) = priority {
            head = head.append(text(" priority ")).append(e(p));
        }
        head
    }

    /// `if c { } else if d { } else { }`. An `else if` link is an `if`
    /// alone in a block with the same span; `else { if … }` as written
    /// stays so. Comments may stand inside the blocks; one between a `}`
    /// and its `{`, where no line of its own can go, keeps the whole
    /// statement as written.
    fn if_chain(&mut self, stmt: &Stmt<()>) {
        // The heads: `if c` and each `} else if d` and `} else` up to its `{`.
        let mut heads = Vec::new();
        let mut at = stmt;
        while let StmtKind::If { then, otherwise, .. } = &at.kind {
            heads.push((at.span.start, then.span.start));
            match otherwise {
                Some(other) => match else_if_link(other) {
                    Some(link) => {
                        heads.push((then.span.end, link.span.start));
                        at = link;
                    }
                    None => {
                        heads.push((then.span.end, other.span.start));
                        break;
                    }
                },
                None => break,
            }
        }
        if heads.iter().any(|&(from, to)| self.comments.any_within(from, to)) {
            return self.verbatim(stmt.span);
        }
        let mut head = text("if ");
        let mut at = stmt;
        while let StmtKind::If { cond, then, otherwise } = &at.kind {
            self.open(head.append(expr::expr(self.src, cond).nest(INDENT as isize)), then);
            match otherwise {
                None => break,
                Some(other) => match else_if_link(other) {
                    Some(link) => {
                        head = text("} else if ");
                        at = link;
                    }
                    None => {
                        if other.stmts.is_empty() && !self.comments.any_before(other.span.end - 1) {
                            return self.line(text("} else {}"));
                        }
                        self.open(text("} else"), other);
                        break;
                    }
                },
            }
        }
        self.close();
    }

    fn select(&mut self, stmt: &Stmt<()>, arms: &[SelectArm<()>]) {
        let after_keyword = stmt.span.start as usize + "select".len();
        let brace = after_keyword + (self.src[after_keyword..].len() - self.src[after_keyword..].trim_start().len());
        if self.src.as_bytes().get(brace) != Some(&b'{') {
            return self.verbatim(stmt.span);
        }
        self.line(text("select {"));
        self.trailing(brace as u32 + 1);
        self.depth += 1;
        let mut gap = Gap::First;
        for arm in arms {
            self.leading(arm.span.start, gap);
            if self.comments.any_before(arm.body.span.start) {
                self.verbatim(arm.span);
            } else {
                let src = self.src;
                let head = match &arm.head {
                    SelectHead::With { target, amount, priority } => self.with_head(target, amount, priority),
                    SelectHead::Let { name: n, value, .. } => {
                        text("let ").append(name(n)).append(text(" = await ")).append(expr::expr(src, value))
                    }
                    SelectHead::Await(x) => text("await ").append(expr::expr(src, x)),
                };
                self.block(head.append(text(" =>")), &arm.body);
            }
            self.trailing(arm.span.end);
            gap = Gap::AsWritten;
        }
        self.leading_rest(stmt.span.end - 1, gap);
        self.depth -= 1;
        self.out.push(&format!("{}}}", " ".repeat(self.indent())));
    }
}

/// The `if` of an `else if` link: alone in its block, with the same span.
fn else_if_link(block: &Block<()>) -> Option<&Stmt<()>> {
    match block.stmts.as_slice() {
        [link @ Stmt { kind: StmtKind::If { .. }, .. }] if link.span == block.span => Some(link),
        _ => None,
    }
}
