//! Expressions, types and bracketed lists as documents of the `pretty`
//! crate: a group is laid out on one line if it fits, and broken (one
//! entry per line, or after each operator of a chain) if not.

use pretty::RcDoc;
use usim_compiler::ast::{BinOp, Expr, ExprKind, Ident, ObjOption, StrLit, TypeExpr, TypeExprKind, UnOp};
use usim_compiler::span::Span;

use crate::INDENT;

pub(crate) type Doc = RcDoc<'static, ()>;

pub(crate) fn text(s: impl Into<String>) -> Doc {
    RcDoc::text(s.into())
}

/// The source text of a span, as written.
pub(crate) fn written(src: &str, span: Span) -> Doc {
    text(&src[span.range()])
}

/// `open entries close`: on one line as `(a, b)` (`{ a, b }` when `spaced`),
/// or broken with one entry per line, each followed by a comma.
pub(crate) fn list(open: &str, entries: Vec<Doc>, close: &str, spaced: bool) -> Doc {
    if entries.is_empty() {
        return text(format!("{open}{close}"));
    }
    let edge = || if spaced { RcDoc::line() } else { RcDoc::line_() };
    let inner = RcDoc::intersperse(entries, text(",").append(RcDoc::line()));
    text(open)
        .append(edge().append(inner).append(text(",").flat_alt(RcDoc::nil())).nest(INDENT as isize))
        .append(edge())
        .append(text(close))
        .group()
}

/// `open entries close` with one entry per line, each followed by a comma.
pub(crate) fn list_broken(open: &str, entries: Vec<Doc>, close: &str) -> Doc {
    let inner = RcDoc::concat(entries.into_iter().map(|e| RcDoc::hardline().append(e).append(text(","))));
    text(open).append(inner.nest(INDENT as isize)).append(RcDoc::hardline()).append(text(close))
}

pub(crate) fn type_expr(src: &str, t: &TypeExpr) -> Doc {
    match &t.kind {
        TypeExprKind::Named(name) => text(name.clone()),
        TypeExprKind::Array(element, len) => {
            text("[").append(type_expr(src, element)).append(text("; ")).append(expr(src, len)).append(text("]"))
        }
        TypeExprKind::Proc(None) => text("proc"),
        TypeExprKind::Proc(Some(inner)) => text("proc<").append(type_expr(src, inner)).append(text(">")),
    }
}

/// An object's options, `(capacity: 2, preemptive)`, or nothing.
pub(crate) fn options(src: &str, options: &[ObjOption<()>]) -> Doc {
    if options.is_empty() {
        return RcDoc::nil();
    }
    let entries = options
        .iter()
        .map(|o| match &o.value {
            Some(v) => name(&o.name).append(text(": ")).append(expr(src, v)),
            None => name(&o.name),
        })
        .collect();
    list("(", entries, ")", false)
}

pub(crate) fn name(ident: &Ident) -> Doc {
    text(ident.name.clone())
}

/// A `print` or `fail` string, exactly as written.
pub(crate) fn string(src: &str, s: &StrLit<()>) -> Doc {
    written(src, s.span)
}

pub(crate) fn args(src: &str, args: &[Expr<()>]) -> Doc {
    list("(", args.iter().map(|a| expr(src, a)).collect(), ")", false)
}

pub(crate) fn expr(src: &str, e: &Expr<()>) -> Doc {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Now | ExprKind::Instant => {
            written(src, e.span)
        }
        ExprKind::Name(n) => text(n.clone()),
        // A table of numbers fills its lines; other elements go one per line.
        ExprKind::ArrayLit(items) if items.len() > 1 && items.iter().all(is_atom) => {
            let inner = RcDoc::intersperse(items.iter().map(|i| expr(src, i)), text(",").append(RcDoc::softline()));
            text("[")
                .append(RcDoc::line_().append(inner).append(text(",").flat_alt(RcDoc::nil())).nest(INDENT as isize))
                .append(RcDoc::line_())
                .append(text("]"))
                .group()
        }
        ExprKind::ArrayLit(items) => list("[", items.iter().map(|i| expr(src, i)).collect(), "]", false),
        ExprKind::ArrayRepeat(value, len) => {
            text("[").append(expr(src, value)).append(text("; ")).append(expr(src, len)).append(text("]"))
        }
        ExprKind::StructLit { name: n, fields } => {
            let entries: Vec<Doc> =
                fields.iter().map(|(f, v)| name(f).append(text(": ")).append(expr(src, v))).collect();
            // Written with a line break after `{`, it stays broken.
            let broken =
                fields.first().is_some_and(|(f, _)| src[n.span.end as usize..f.span.start as usize].contains('\n'));
            let fields = if broken { list_broken("{", entries, "}") } else { list("{", entries, "}", true) };
            name(n).append(text(" ")).append(fields)
        }
        ExprKind::Unary(op, operand) => text(match op {
            UnOp::Neg => "-",
            UnOp::Not => "!",
        })
        .append(expr(src, operand)),
        ExprKind::Binary(op, _, _) => chain(src, e, *op),
        ExprKind::Call { callee, args: a } => name(callee).append(args(src, a)),
        ExprKind::Method { receiver, name: n, args: a } => {
            expr(src, receiver).append(text(".")).append(name(n)).append(args(src, a))
        }
        ExprKind::Field(base, field) => expr(src, base).append(text(".")).append(name(field)),
        ExprKind::Index(base, at) => expr(src, base).append(text("[")).append(expr(src, at)).append(text("]")),
        ExprKind::Paren(inner) => text("(").append(expr(src, inner)).append(text(")")),
        ExprKind::Await(inner) => text("await ").append(expr(src, inner)),
        ExprKind::Spawn(inner) => text("spawn ").append(expr(src, inner)),
        // Only the checker makes these; a parsed tree has none. Should one
        // come, the source has it as written.
        ExprKind::Local(_)
        | ExprKind::Global(_)
        | ExprKind::Object(_)
        | ExprKind::ToFloat(_)
        | ExprKind::CallFn { .. }
        | ExprKind::CallBuiltin { .. }
        | ExprKind::Delay(_)
        | ExprKind::At(_)
        | ExprKind::ObjectOp { .. }
        | ExprKind::Condition(_) => written(src, e.span),
    }
}

/// A literal, a name or a negated one: what a table is made of.
fn is_atom(e: &Expr<()>) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Name(_) => true,
        ExprKind::Unary(UnOp::Neg, inner) => is_atom(inner),
        _ => false,
    }
}

/// A chain of binary operators of one precedence, `a + b - c`: one line,
/// or broken after each operator with the later operands indented (a line
/// may go on after a binary operator, at statement level too).
fn chain(src: &str, e: &Expr<()>, op: BinOp) -> Doc {
    let level = op.precedence();
    let mut rest = Vec::new();
    let mut first = e;
    while let ExprKind::Binary(op, lhs, rhs) = &first.kind {
        if op.precedence() != level {
            break;
        }
        rest.push((*op, &**rhs));
        first = lhs;
    }
    rest.reverse();
    let tail = RcDoc::concat(
        rest.into_iter()
            .map(|(op, rhs)| text(format!(" {}", op.symbol())).append(RcDoc::line()).append(expr(src, rhs))),
    );
    expr(src, first).append(tail.nest(INDENT as isize)).group()
}
