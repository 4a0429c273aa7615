//! Expressions written back as usim source, for hints that show the fix
//! (`float(busy) / total`, `xs.len()`). The checker has the tree, not the
//! text, so the text is rebuilt from it with the parentheses precedence needs.
//! A hint is text, so the rebuilt expression is bounded: a deep or long one
//! gives `None`, and the hint falls back to a general form.

use crate::ast::{BinOp, Expr, ExprKind, ObjectOp, UnOp};

/// The most operators deep an expression shown in a hint may be.
const MAX_DEPTH: u32 = 40;
/// The most characters an expression shown in a hint may take.
const MAX_LEN: usize = 160;

const UNARY: u8 = 6;
const ATOM: u8 = 7;
const LOOSE: u8 = 0;

/// Writes expressions; `special` names what only the checker knows (a local
/// by its id, a folded `const` by the name it was written with) and returns
/// `None` for everything else.
pub(crate) struct Shower<'a, T> {
    pub special: &'a dyn Fn(&Expr<T>) -> Option<String>,
    /// The name of a callable, by its index (for `CallFn`).
    pub callable: &'a dyn Fn(u32) -> String,
}

impl<T> Shower<'_, T> {
    /// The expression as source text, or `None` when it is too deep or long
    /// to show, or holds something that cannot be written.
    pub fn show(&self, e: &Expr<T>) -> Option<String> {
        self.show_operand(e).map(|(text, _)| text)
    }

    /// The text, and whether it can stand as an operand of any operator
    /// without parentheses (a name, literal, call, or unary expression).
    pub fn show_operand(&self, e: &Expr<T>) -> Option<(String, bool)> {
        let (text, p) = self.write(e, 0)?;
        (text.len() <= MAX_LEN).then_some((text, p >= UNARY))
    }

    /// The text of `e` and how tightly it binds.
    fn write(&self, e: &Expr<T>, depth: u32) -> Option<(String, u8)> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(text) = (self.special)(e) {
            return Some((text, ATOM));
        }
        let d = depth + 1;
        let list = |items: &[Expr<T>]| -> Option<String> {
            let shown: Option<Vec<String>> = items.iter().map(|a| self.write(a, d).map(|(t, _)| t)).collect();
            Some(shown?.join(", "))
        };
        Some(match &e.kind {
            ExprKind::Int(v) => (v.to_string(), if *v < 0 { UNARY } else { ATOM }),
            ExprKind::Float(v) => float_literal(*v),
            ExprKind::Bool(b) => (b.to_string(), ATOM),
            ExprKind::Name(n) => (n.clone(), ATOM),
            ExprKind::Now => ("now".into(), ATOM),
            ExprKind::Instant => ("instant".into(), ATOM),
            ExprKind::ArrayLit(items) => (format!("[{}]", list(items)?), ATOM),
            ExprKind::ArrayRepeat(item, len) => {
                (format!("[{}; {}]", self.write(item, d)?.0, self.write(len, d)?.0), ATOM)
            }
            ExprKind::StructLit { name, fields } => {
                let shown: Option<Vec<String>> =
                    fields.iter().map(|(f, v)| self.write(v, d).map(|(t, _)| format!("{}: {t}", f.name))).collect();
                (format!("{} {{ {} }}", name.name, shown?.join(", ")), ATOM)
            }
            ExprKind::Unary(op, inner) => {
                let sym = if *op == UnOp::Neg { "-" } else { "!" };
                (format!("{sym}{}", self.operand(inner, UNARY, d)?), UNARY)
            }
            ExprKind::Binary(op, a, b) => {
                let p = op.precedence();
                // Comparisons do not chain, so a comparison beside one is
                // parenthesized on either side; the others associate left.
                let left = if p == 3 { p + 1 } else { p };
                (format!("{} {} {}", self.operand(a, left, d)?, op.symbol(), self.operand(b, p + 1, d)?), p)
            }
            ExprKind::Call { callee, args } => (format!("{}({})", callee.name, list(args)?), ATOM),
            ExprKind::CallBuiltin { name, args, .. } => (format!("{name}({})", list(args)?), ATOM),
            ExprKind::CallFn { callable, args } => (format!("{}({})", (self.callable)(*callable), list(args)?), ATOM),
            ExprKind::Method { receiver, name, args } => {
                (format!("{}.{}({})", self.operand(receiver, ATOM, d)?, name.name, list(args)?), ATOM)
            }
            ExprKind::Field(inner, field) => (format!("{}.{}", self.operand(inner, ATOM, d)?, field.name), ATOM),
            ExprKind::Index(inner, index) => {
                (format!("{}[{}]", self.operand(inner, ATOM, d)?, self.write(index, d)?.0), ATOM)
            }
            ExprKind::Paren(inner) => (format!("({})", self.write(inner, d)?.0), ATOM),
            ExprKind::Await(inner) => (format!("await {}", self.write(inner, d)?.0), LOOSE),
            ExprKind::Spawn(inner) => (format!("spawn {}", self.write(inner, d)?.0), LOOSE),
            // An implicit conversion is not written.
            ExprKind::ToFloat(inner) | ExprKind::Condition(inner) => self.write(inner, d)?,
            ExprKind::Delay(inner) => (format!("delay({})", self.write(inner, d)?.0), ATOM),
            ExprKind::At(inner) => (format!("at({})", self.write(inner, d)?.0), ATOM),
            ExprKind::ObjectOp { op, object, args } => {
                let object = self.operand(object, ATOM, d)?;
                let method = match op {
                    ObjectOp::ChannelRecv => return Some((object, ATOM)),
                    ObjectOp::QueuePut | ObjectOp::ResourcePut => "put",
                    ObjectOp::QueueGet | ObjectOp::ResourceGet => "get",
                    ObjectOp::QueueLen => "len",
                    ObjectOp::ChannelSend => "send",
                    ObjectOp::ResourceLevel => "level",
                };
                (format!("{object}.{method}({})", list(args)?), ATOM)
            }
            // Resolved names are the `special` closure's to write.
            ExprKind::Local(_) | ExprKind::Global(_) | ExprKind::Object(_) => return None,
        })
    }

    /// An operand that must bind at least as tightly as `min`.
    fn operand(&self, e: &Expr<T>, min: u8, depth: u32) -> Option<String> {
        let (text, p) = self.write(e, depth)?;
        Some(if p < min { format!("({text})") } else { text })
    }
}

/// Whether an int expression has an int division at its top, among the
/// arithmetic that decides its value (`a / b`, `a / b * 100`, `-(a / b)`;
/// not `xs[a / b]` or `abs(a / b)`): converted to a float afterwards, that
/// division has already dropped its fraction.
pub(crate) fn has_int_division<T>(e: &Expr<T>) -> bool {
    match &e.kind {
        ExprKind::Binary(BinOp::Div, ..) => true,
        ExprKind::Binary(BinOp::Add | BinOp::Sub | BinOp::Mul, a, b) => has_int_division(a) || has_int_division(b),
        ExprKind::Unary(UnOp::Neg, a) | ExprKind::Paren(a) => has_int_division(a),
        _ => false,
    }
}

impl<T: Clone> Shower<'_, T> {
    /// An int expression written so that it computes in floats: the left
    /// operand of each int division at its top made a float
    /// (`float(busy) / total`, `7.0 / 2`), or the whole of it converted
    /// when it has none (`float(n)`).
    pub fn as_float(&self, e: &Expr<T>) -> Option<String> {
        let (rewritten, converted) = self.float_divisions(e, 0);
        if converted {
            self.show(&rewritten)
        } else {
            self.show(&self.to_float(e.clone()))
        }
    }

    /// `e` with the int divisions at its top made float divisions, and
    /// whether anything was converted (then the result is a float).
    fn float_divisions(&self, e: &Expr<T>, depth: u32) -> (Expr<T>, bool) {
        if depth > MAX_DEPTH {
            // Too deep to show anyway.
            return (e.clone(), false);
        }
        let d = depth + 1;
        let rebuild = |kind: ExprKind<T>| Expr { kind, span: e.span, ty: e.ty.clone() };
        match &e.kind {
            ExprKind::Binary(op @ (BinOp::Div | BinOp::Add | BinOp::Sub | BinOp::Mul), a, b) => {
                let (mut a, ca) = self.float_divisions(a, d);
                let (b, cb) = self.float_divisions(b, d);
                if *op == BinOp::Div && !ca && !cb {
                    a = self.to_float(a);
                }
                (rebuild(ExprKind::Binary(*op, Box::new(a), Box::new(b))), ca || cb || *op == BinOp::Div)
            }
            ExprKind::Unary(UnOp::Neg, a) => {
                let (a, c) = self.float_divisions(a, d);
                (rebuild(ExprKind::Unary(UnOp::Neg, Box::new(a))), c)
            }
            ExprKind::Paren(a) => {
                let (a, c) = self.float_divisions(a, d);
                (rebuild(ExprKind::Paren(Box::new(a))), c)
            }
            _ => (e.clone(), false),
        }
    }

    /// `float(x)`, or for an int literal the float literal (`7.0`).
    fn to_float(&self, x: Expr<T>) -> Expr<T> {
        match x.kind {
            ExprKind::Int(v) if (self.special)(&x).is_none() => Expr { kind: ExprKind::Float(v as f64), ..x },
            _ => {
                let (span, ty) = (x.span, x.ty.clone());
                let callee = crate::ast::Ident { name: "float".into(), span };
                Expr { kind: ExprKind::Call { callee, args: vec![x] }, span, ty }
            }
        }
    }
}

/// A float as a literal the grammar reads back as the same number (`2.0`,
/// `0.001`, `1e300`); infinities and NaN as the divisions that give them.
pub(crate) fn float_literal(v: f64) -> (String, u8) {
    if v.is_nan() {
        return ("0.0 / 0.0".into(), 5);
    }
    if v.is_infinite() {
        return (if v > 0.0 { "1.0 / 0.0" } else { "-1.0 / 0.0" }.into(), 5);
    }
    let text = format!("{v:?}");
    // Rust writes `1e300` and `1e-7`, which are usim literals too; a whole
    // number always gets its `.0`.
    let p = if v < 0.0 || (v == 0.0 && v.is_sign_negative()) { UNARY } else { ATOM };
    (text, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Ident;
    use crate::span::Span;

    fn e(kind: ExprKind<()>) -> Expr<()> {
        Expr { kind, span: Span::default(), ty: () }
    }
    fn name(n: &str) -> Expr<()> {
        e(ExprKind::Name(n.into()))
    }
    fn bin(op: BinOp, a: Expr<()>, b: Expr<()>) -> Expr<()> {
        e(ExprKind::Binary(op, Box::new(a), Box::new(b)))
    }
    fn show(x: &Expr<()>) -> Option<String> {
        Shower { special: &|_| None, callable: &|_| String::new() }.show(x)
    }

    #[test]
    fn parenthesizes_by_precedence() {
        let sum = bin(BinOp::Add, name("a"), name("b"));
        assert_eq!(show(&bin(BinOp::Div, sum.clone(), name("c"))).unwrap(), "(a + b) / c");
        assert_eq!(show(&bin(BinOp::Sub, name("c"), sum.clone())).unwrap(), "c - (a + b)");
        assert_eq!(show(&bin(BinOp::Add, sum.clone(), name("c"))).unwrap(), "a + b + c");
        let lt = bin(BinOp::Lt, name("a"), name("b"));
        assert_eq!(show(&bin(BinOp::Eq, lt.clone(), e(ExprKind::Bool(true)))).unwrap(), "(a < b) == true");
        let neg = e(ExprKind::Unary(UnOp::Neg, Box::new(sum)));
        assert_eq!(show(&neg).unwrap(), "-(a + b)");
        let call = e(ExprKind::Call { callee: Ident { name: "f".into(), span: Span::default() }, args: vec![lt] });
        assert_eq!(show(&call).unwrap(), "f(a < b)");
    }

    #[test]
    fn int_divisions_become_float_divisions() {
        let shower = Shower { special: &|_| None, callable: &|_| String::new() };
        let div = bin(BinOp::Div, name("busy"), name("total"));
        assert_eq!(shower.as_float(&div).unwrap(), "float(busy) / total");
        let pct = bin(BinOp::Mul, div.clone(), e(ExprKind::Int(100)));
        assert_eq!(shower.as_float(&pct).unwrap(), "float(busy) / total * 100");
        let chain = bin(BinOp::Div, div, name("c"));
        assert_eq!(shower.as_float(&chain).unwrap(), "float(busy) / total / c");
        let lit = bin(BinOp::Div, e(ExprKind::Int(7)), e(ExprKind::Int(2)));
        assert_eq!(shower.as_float(&lit).unwrap(), "7.0 / 2");
        let sum = bin(BinOp::Div, bin(BinOp::Add, name("a"), name("b")), name("n"));
        assert_eq!(shower.as_float(&sum).unwrap(), "float(a + b) / n");
        assert_eq!(shower.as_float(&name("n")).unwrap(), "float(n)");
    }

    #[test]
    fn floats_read_back_as_floats() {
        assert_eq!(float_literal(2.0).0, "2.0");
        assert_eq!(float_literal(0.1).0, "0.1");
        assert_eq!(float_literal(1e300).0, "1e300");
        assert_eq!(float_literal(1e-7).0, "1e-7");
    }

    #[test]
    fn deep_or_long_expressions_are_not_shown() {
        let mut deep = name("a");
        for _ in 0..100 {
            deep = bin(BinOp::Add, deep, name("b"));
        }
        assert_eq!(show(&deep), None);
    }
}
