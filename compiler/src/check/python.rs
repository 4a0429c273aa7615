//! Habits of modellers who come from Python and SimPy, and what usim writes
//! instead. An unknown name, type, function or method is looked up here
//! before the spelling-distance suggestion (`len(xs)` is `xs.len()`, not
//! `ln`): what a Python modeller most likely meant comes first.
//!
//! Every form a hint suggests is one the checker accepts in the place the
//! habit stood (tests/fixtures/err/python_*.usim and their fixed twins).

use crate::types::{ObjectKind, Type};

/// An argument of a call the hint rewrites: its text, its text where a float
/// is wanted (an int literal written `2.0`), and its type.
pub(crate) struct Arg {
    pub text: String,
    pub float: String,
    pub ty: Type,
    /// Whether the text stands as an operand without parentheses.
    pub tight: bool,
}

/// What a hint adds to a diagnostic: a label under the span, and a note.
pub(crate) struct Hint {
    pub label: String,
    pub note: String,
}

fn hint(label: impl Into<String>, note: impl Into<String>) -> Option<Hint> {
    Some(Hint { label: label.into(), note: note.into() })
}

pub(crate) const ENV: &str = "usim has no environment object: the time is `now`, `await delay(d)` waits, \
     `spawn p()` starts a process, and the item `run main() until T` runs the model";
const SELF: &str = "usim has no classes or `self`: a process keeps its state in its parameters and `let` \
     locals, shared state is a global `var`, and a `struct` groups values";
const MATH: &str = "usim has no modules: the math functions are built in and called by name: `abs`, `min`, \
     `max`, `sqrt`, `exp`, `ln`, `pow`, `floor`, `ceil`, `round`, `int`, `float`";
const RANDOM: &str = "usim has no modules: the random functions are built in and draw from the run's stream \
     (`usimc run --seed S`): `uniform(lo, hi)`, `exponential(mean)`, `normal(mean, sd)`, `lognormal(mean, sd)`, \
     `triangular(lo, mode, hi)`, `randint(lo, hi)`, `bernoulli(p)`, `poisson(mean)`";
const SIMPY: &str = "usim is a language of its own, not a Python library: declare the shared objects at the \
     top level (`lock teller(capacity: 1)`, `queue jobs: int`, `resource tank(capacity: 100.0)`, \
     `channel news: int`) and write each process as `process name() { ... }`";
const COLLECTIONS: &str = "usim has no lists, dicts or sets: an array has a fixed length (`[int; 10]`, \
     `[0.0; N]`), `for x in xs` visits its elements and `for i in 0..xs.len()` its indexes; a `queue` holds \
     a changing number of items";

/// A bare name (E0105).
pub(crate) fn name(name: &str) -> Option<Hint> {
    match name {
        "True" | "False" => {
            let usim = name.to_lowercase();
            hint(format!("write `{usim}`"), "usim writes the bools in lower case: `true` and `false`")
        }
        "None" => hint(
            "usim has no `None`",
            "every value has a type and there is no `None`: a `fn` or process without `-> T` returns with a \
             bare `return`; for a value that may be missing keep a bool beside it (`var has_job: bool = false`) \
             or a sentinel such as `-1`",
        ),
        "env" => hint("usim has no environment object", ENV),
        "self" => hint("usim has no `self`", SELF),
        "math" => hint("usim has no `math` module", MATH),
        "random" | "np" | "numpy" => hint(format!("usim has no `{name}` module"), RANDOM),
        "simpy" => hint("usim has no `simpy` module", SIMPY),
        "pass" => hint("not needed", "usim needs no `pass`: a block may be empty, `{ }`"),
        _ => None,
    }
}

/// A type name (E0106).
pub(crate) fn type_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "None" => "leave out `-> None`: a process or fn without `-> T` returns nothing",
        "str" | "string" => {
            "usim has no strings: text appears only in `print(\"...\")` and `fail(\"...\")`, with values \
             interpolated as `{x}`"
        }
        "list" | "List" | "tuple" | "Tuple" => "an array has a fixed length and one element type: `[int; 10]`",
        "dict" | "Dict" | "set" | "Set" => {
            "usim has no dicts or sets: index an array by an int (`[float; N]`), or group named values in a \
             `struct`"
        }
        "Environment" => "usim has no environment object: leave out the parameter; the time is `now`",
        "Resource" | "PriorityResource" | "PreemptiveResource" => {
            "a lock is declared once at the top level, `lock teller(capacity: 1)`, and used by name"
        }
        "Store" | "FilterStore" | "PriorityStore" => {
            "a queue is declared once at the top level, `queue jobs: int`, and used by name"
        }
        "Container" => {
            "a resource is declared once at the top level, `resource tank(capacity: 100.0)`, and used by name"
        }
        "Event" => "a channel is declared once at the top level, `channel news: int`, and used by name",
        "Process" => "a process handle is a `proc` (or `proc<int>` when the process returns an int)",
        _ => return None,
    })
}

/// A call of a function usim does not have (E0107).
pub(crate) fn call(name: &str, args: &[Arg]) -> Option<Hint> {
    let a = |i: usize| args.get(i).map_or("x", |a| a.text.as_str());
    let f = |i: usize| args.get(i).map_or("x", |a| a.float.as_str());
    match (name, args.len()) {
        ("len", 1) => match &args[0].ty {
            Type::Array(..) | Type::Object(ObjectKind::Queue(_)) => {
                hint(format!("write `{}.len()`", a(0)), format!("usim writes the length as a method: `{}.len()`", a(0)))
            }
            _ => hint("usim has no `len`", "an array or a queue has its length as a method: `xs.len()`"),
        },
        ("len", _) => hint("usim has no `len`", "an array or a queue has its length as a method: `xs.len()`"),
        ("range", 1 | 2) => {
            let range = if args.len() == 1 { format!("0..{}", a(0)) } else { format!("{}..{}", a(0), a(1)) };
            hint(
                format!("write `{range}`"),
                format!("a range is written `{range}` (from the first up to, not including, the last) and stands in a `for`: `for i in {range} {{ ... }}`"),
            )
        }
        ("range", _) => hint(
            "usim has no `range`",
            "a range is written `a..b` in a `for` and has no step: count with `for k in 0..n` and compute \
             `let i = a + k * step`",
        ),
        ("str" | "repr" | "format", _) => hint(
            "usim has no strings",
            format!("a value is interpolated where it is printed: `print(\"{{{}}}\")`", a(0)),
        ),
        ("sum", 1) => {
            let zero = match &args[0].ty {
                Type::Array(elem, _) if **elem == Type::Float => "0.0",
                _ => "0",
            };
            hint(
                "usim has no `sum`",
                format!("add the elements in a loop: `let total = {zero}`, then `for x in {} {{ total += x }}`", a(0)),
            )
        }
        ("timeout" | "hold" | "sleep", 1) => {
            hint("write `delay(...)`", format!("SimPy's `timeout` is `delay` in usim: `await delay({})`", f(0)))
        }
        ("timeout" | "hold" | "sleep", _) => {
            hint("write `delay(...)`", "SimPy's `timeout` is `delay` in usim: `await delay(1.0)`")
        }
        ("print", _) => None,
        ("bool", 1) => hint("usim has no `bool(...)`", format!("compare instead: `{} != 0`", a(0))),
        ("exit" | "quit", _) => {
            hint("usim has no `exit`", "`stop` ends the simulation; `fail(\"why\")` ends it with an error")
        }
        ("list" | "dict" | "set" | "tuple" | "sorted" | "enumerate" | "zip" | "map" | "filter" | "reversed", _) => {
            hint(format!("usim has no `{name}`"), COLLECTIONS)
        }
        ("Environment" | "env", _) => hint("usim has no environment object", ENV),
        ("Resource" | "PriorityResource" | "PreemptiveResource", _) => hint(
            "declare a lock instead",
            "a lock is declared once at the top level, `lock teller(capacity: 1)` (add `preemptive` for a \
             PreemptiveResource), and held with `with teller { ... }`",
        ),
        ("Store" | "FilterStore" | "PriorityStore", _) => hint(
            "declare a queue instead",
            "a queue is declared once at the top level, `queue jobs: int` (or `queue jobs: int(capacity: 10)`), \
             and used with `await jobs.put(x)` and `let x = await jobs.get()`",
        ),
        ("Container", _) => hint(
            "declare a resource instead",
            "a resource is declared once at the top level, `resource tank(capacity: 100.0, level: 50.0)`, and \
             used with `await tank.get(amount)` and `await tank.put(amount)`",
        ),
        ("Event", _) => hint(
            "declare a channel instead",
            "a channel is declared once at the top level, `channel news: int`; `news.send(x)` broadcasts and \
             `let m = await news` receives",
        ),
        ("Process", _) => hint("write `spawn`", "a process is started with `spawn p()`, which gives its handle"),
        _ => module_function(Module::Bare, name, Some(args)),
    }
}

/// Where a member was looked up: a module the modeller imported, or none (a
/// name imported from one, `from random import expovariate`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Module {
    Bare,
    Math,
    Random,
}

/// `module.member(args)`, or `module.member` when `args` is `None`, where
/// `module` is not a name of the model (E0105).
pub(crate) fn member(module: &str, member: &str, args: Option<&[Arg]>) -> Option<Hint> {
    let f = |i: usize| args.and_then(|a| a.get(i)).map_or("x", |a| a.float.as_str());
    let n = args.map_or(0, <[Arg]>::len);
    match module {
        "math" => {
            module_function(Module::Math, member, args).or_else(|| hint(format!("usim has no `math.{member}`"), MATH))
        }
        "random" => module_function(Module::Random, member, args)
            .or_else(|| hint(format!("usim has no `random.{member}`"), RANDOM)),
        "np" | "numpy" => hint(format!("usim has no `{module}` module"), RANDOM),
        "env" => match (member, args) {
            ("timeout", Some(_)) => hint(
                "write `await delay(...)`",
                format!(
                    "usim has no environment object; SimPy's `env.timeout(d)` is `await delay(d)`: `await delay({})`",
                    if n == 0 { "0.0" } else { f(0) }
                ),
            ),
            ("event", Some(_)) => hint(
                "declare a channel instead",
                "usim has no environment object; a channel declared at the top level, `channel news: int`, \
                 broadcasts with `news.send(x)` and receives with `let m = await news`",
            ),
            ("all_of", Some(_)) => hint(
                "await each in turn",
                "usim has no environment object; to wait for all of several processes, await each handle in \
                 turn: `await h1` then `await h2`",
            ),
            ("any_of", Some(_)) => hint(
                "use `select`",
                "usim has no environment object; to wait for the first of several, use a `select` with an \
                 arm per wait: `select { await h1 => { } await h2 => { } }`",
            ),
            ("exit", Some(_)) => hint("write `return`", "usim has no environment object; a process ends with `return`"),
            _ => hint("usim has no environment object", ENV),
        },
        "self" => hint("usim has no `self`", SELF),
        "simpy" => hint("usim has no `simpy` module", SIMPY),
        "time" => match (member, args) {
            ("sleep", Some(_)) => {
                hint("write `await delay(...)`", format!("a process waits with `await delay({})`", f(0)))
            }
            ("time" | "monotonic" | "perf_counter", Some(_)) => hint("write `now`", "the simulated time is `now`"),
            _ => None,
        },
        "sys" => match (member, args) {
            ("exit", Some(_)) => {
                hint("write `stop`", "`stop` ends the simulation; `fail(\"why\")` ends it with an error")
            }
            _ => None,
        },
        _ => None,
    }
}

/// A math or random function of Python's, called as `math.f(...)`,
/// `random.f(...)` or by its bare name; a constant such as `math.pi` when
/// `args` is `None`.
fn module_function(module: Module, name: &str, args: Option<&[Arg]>) -> Option<Hint> {
    use Module::{Bare, Math, Random};
    let a = |i: usize| args.and_then(|a| a.get(i)).map_or("x", |a| a.text.as_str());
    let f = |i: usize| args.and_then(|a| a.get(i)).map_or("x", |a| a.float.as_str());
    let built_in = |usim: String| match module {
        Bare => hint("not a usim function", format!("usim writes it `{usim}`")),
        Math => {
            hint("usim has no `math` module", format!("the math functions are built in and called by name: `{usim}`"))
        }
        Random => hint(
            "usim has no `random` module",
            format!("the random functions are built in and called by name: `{usim}`"),
        ),
    };
    let Some(args) = args else {
        // A constant: `math.pi`.
        let usim = match (module, name) {
            (Math, "pi") => "3.141592653589793",
            (Math, "e") => "exp(1.0)",
            (Math, "inf") => "1.0 / 0.0",
            (Math, "nan") => "0.0 / 0.0",
            _ => return None,
        };
        return hint("usim has no `math` module", format!("write the number itself: `{usim}`"));
    };
    let n = args.len();
    match (module, name, n) {
        (Math, "sqrt" | "exp" | "pow", _) => built_in(format!("{name}({})", join(args))),
        (Math, "floor" | "ceil", 1) => {
            let mut h = built_in(format!("{name}({})", a(0)))?;
            h.note.push_str(&format!("; it gives a float, and `int({name}({}))` an int", a(0)));
            Some(h)
        }
        (Math | Bare, "log", 1) => built_in(format!("ln({})", f(0))),
        (Math | Bare, "log", 2) => built_in(format!("ln({}) / ln({})", f(0), f(1))),
        (Math | Bare, "log10", 1) => built_in(format!("ln({}) / ln(10.0)", f(0))),
        (Math | Bare, "log2", 1) => built_in(format!("ln({}) / ln(2.0)", f(0))),
        (Math | Bare, "fabs", 1) => built_in(format!("abs({})", f(0))),
        (Math | Bare, "trunc", 1) => built_in(format!("int({})", f(0))),
        (Math | Bare, "isnan", 1) => built_in(format!("{} != {}", a(0), a(0))),
        (Random | Bare, "random", 0) => built_in("uniform(0.0, 1.0)".into()),
        (Random, "uniform", 2) => built_in(format!("uniform({}, {})", f(0), f(1))),
        (Random, "randint", 2) => built_in(format!("randint({}, {})", a(0), a(1))),
        (Random | Bare, "randrange", 1) => built_in(format!("randint(0, {} - 1)", a(0))),
        (Random | Bare, "randrange", 2) => built_in(format!("randint({}, {} - 1)", a(0), a(1))),
        (Random | Bare, "expovariate", 1) => {
            let mut h = built_in(format!("exponential(1.0 / {})", operand(Some(args), 0)))?;
            h.note.push_str(" (usim's `exponential` takes the mean, not the rate)");
            Some(h)
        }
        (Random | Bare, "gauss" | "normalvariate", 2) => built_in(format!("normal({}, {})", f(0), f(1))),
        (Random | Bare, "lognormvariate", 2) => {
            // Python's parameters are the mean and sd of the logarithm; usim's
            // are those of the value: mean = exp(mu + s²/2), sd = mean·sqrt(exp(s²) - 1).
            let (mu, s) = (operand(Some(args), 0), operand(Some(args), 1));
            let mean = format!("exp({mu} + {s} * {s} / 2.0)");
            let mut h = built_in(format!("lognormal({mean}, {mean} * sqrt(exp({s} * {s}) - 1.0))"))?;
            h.note.push_str(" (usim's `lognormal` takes the mean and sd of the value itself, not of its logarithm)");
            Some(h)
        }
        (Random, "triangular", 0) => built_in("triangular(0.0, 0.5, 1.0)".into()),
        (Random, "triangular", 2) => built_in(format!("triangular({}, ({} + {}) / 2.0, {})", f(0), f(0), f(1), f(1))),
        (Random, "triangular", 3) => {
            let mut h = built_in(format!("triangular({}, {}, {})", f(0), f(2), f(1)))?;
            h.note.push_str(" (usim's order is lo, mode, hi)");
            Some(h)
        }
        (Random | Bare, "choice", 1) => built_in(format!("{}[randint(0, {}.len() - 1)]", a(0), a(0))),
        (Random, "seed", _) => hint(
            "the seed is given on the command line",
            format!(
                "the run's random stream is seeded on the command line: `usimc run MODEL --seed {}`",
                if n == 1 { a(0) } else { "S" }
            ),
        ),
        (Bare, "expovariate" | "gauss" | "normalvariate" | "lognormvariate" | "randrange" | "choice", _) => {
            hint(format!("usim has no `{name}`"), RANDOM)
        }
        _ => None,
    }
}

fn join(args: &[Arg]) -> String {
    args.iter().map(|a| a.float.as_str()).collect::<Vec<_>>().join(", ")
}

/// An argument as an operand in a suggested form (`1.0 / (a + b)`), in its
/// float form.
fn operand(args: Option<&[Arg]>, i: usize) -> String {
    match args.and_then(|a| a.get(i)) {
        Some(a) if a.tight => a.float.clone(),
        Some(a) => format!("({})", a.float),
        None => "x".into(),
    }
}

/// A method an array does not have (E0224); `xs` is how the array is written.
pub(crate) fn array_method(method: &str, xs: &str) -> String {
    match method {
        "append" | "extend" | "insert" | "add" | "push" => format!(
            "an array has a fixed length and cannot grow: keep a count beside it and write `{xs}[n] = x` then \
             `n += 1`, or put the items in a `queue`"
        ),
        "pop" | "remove" | "clear" | "discard" => {
            format!("an array has a fixed length and cannot shrink: keep a count of the elements of `{xs}` in use")
        }
        "size" | "length" | "count" => format!("an array's length is `{xs}.len()`"),
        "index" | "find" => format!("search with a loop: `for i in 0..{xs}.len() {{ if {xs}[i] == v {{ ... }} }}`"),
        "copy" => format!("arrays are values: `let ys = {xs}` copies"),
        _ => format!("an array has one method, `{xs}.len()`"),
    }
}

/// A field read that is a method or length in usim: `xs.len`, `tank.level`,
/// `store.items` (E0208).
pub(crate) fn field_on(ty: &Type, field: &str, shown: &str) -> Option<String> {
    match (ty, field) {
        (Type::Array(..), "len" | "length" | "size") => Some(format!("the length is a method: `{shown}.len()`")),
        (Type::Object(ObjectKind::Queue(_)), "items" | "len" | "length" | "size") => {
            Some(format!("the number of items buffered is `{shown}.len()`"))
        }
        (Type::Object(ObjectKind::Resource), "level") => Some(format!("the level is a method: `{shown}.level()`")),
        _ => None,
    }
}

/// A method a queue does not have that Python's queues or SimPy's stores do.
pub(crate) fn queue_method(method: &str, shown: &str) -> Option<String> {
    match method {
        "qsize" | "size" | "length" | "count" => Some(format!("the number of items buffered is `{shown}.len()`")),
        "empty" => Some(format!("test `{shown}.len() == 0`")),
        _ => None,
    }
}

/// A built-in called as Python calls its namesake (E0201): `round(x, 2)`,
/// `min(xs)`.
pub(crate) fn builtin_misuse(name: &str, args: &[Arg]) -> Option<String> {
    match (name, args) {
        ("round", [x, digits]) if digits.ty == Type::Int => Some(format!(
            "`round(x)` gives the nearest int and takes no digits; to print a float with {0} decimals, \
             interpolate it as `{{{1}:.{0}}}`",
            digits.text, x.text
        )),
        ("min" | "max", [xs]) if matches!(xs.ty, Type::Array(..)) => Some(format!(
            "`{name}(a, b)` takes two numbers; for the {} element of an array, loop: `let m = {1}[0]`, then \
             `for x in {1} {{ m = {name}(m, x) }}`",
            if name == "min" { "smallest" } else { "largest" },
            xs.text
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Diagnostic;
    use crate::{check_source, Failure};

    /// Globals every case may use.
    const PRELUDE: &str = "param RATE: float = 0.5\nvar busy: int = 3\nvar slots: int = 4\nvar flag: bool = false\n\
                           lock teller\nqueue jobs: int\n";

    /// (a habit, a snippet its diagnostics must show, the habit fixed as the
    /// snippet says). Each is the body of `process main()`, or whole items
    /// when it starts with `#`.
    const CASES: &[(&str, &str, &str)] = &[
        ("#var on: bool = True", "`true`", "#var on: bool = true"),
        ("while True { await delay(1.0) }", "`true`", "while true { await delay(1.0) }"),
        ("flag = flag || False", "`false`", "flag = flag || false"),
        ("busy = None", "bare `return`", "return"),
        ("await timeout(1.0)", "`await delay(1.0)`", "await delay(1.0)"),
        ("env.timeout(1)", "`await delay(1.0)`", "await delay(1.0)"),
        ("let e = env()", "usim has no environment object", ""),
        ("let e = env", "usim has no environment object", ""),
        ("let n = env.now_or_never", "usim has no environment object", ""),
        ("let xs = [1, 2]\n let n = len(xs)", "`xs.len()`", "let xs = [1, 2]\n let n = xs.len()"),
        ("let n = len(jobs)", "`jobs.len()`", "let n = jobs.len()"),
        ("for i in range(busy) { }", "`for i in 0..busy", "for i in 0..busy { }"),
        ("for i in range(1, busy) { }", "`for i in 1..busy", "for i in 1..busy { }"),
        ("let s = str(busy)", "`print(\"{busy}\")`", "print(\"{busy}\")"),
        (
            "let xs = [1.5, 2.0]\n let t = sum(xs)",
            "`let total = 0.0`, then `for x in xs { total += x }`",
            "let xs = [1.5, 2.0]\n let total = 0.0\n for x in xs { total += x }",
        ),
        ("let r = math.sqrt(2.0)", "`sqrt(2.0)`", "let r = sqrt(2.0)"),
        ("let r = math.floor(2.5)", "`int(floor(2.5))`", "let r: int = int(floor(2.5))"),
        ("let r = math.log(8.0, 2)", "`ln(8.0) / ln(2.0)`", "let r = ln(8.0) / ln(2.0)"),
        ("let r = math.log10(busy)", "`ln(busy) / ln(10.0)`", "let r = ln(busy) / ln(10.0)"),
        ("let r = math.fabs(-2)", "`abs(-2)`", "let r = abs(-2)"),
        ("let r = math.pi * 2.0", "`3.141592653589793`", "let r = 3.141592653589793 * 2.0"),
        ("let r = math.e", "`exp(1.0)`", "let r = exp(1.0)"),
        ("let r = math.inf", "`1.0 / 0.0`", "let r = 1.0 / 0.0"),
        ("let r = log(2.0)", "`ln(2.0)`", "let r = ln(2.0)"),
        (
            "await delay(random.expovariate(RATE + 1))",
            "`exponential(1.0 / (RATE + 1))`",
            "await delay(exponential(1.0 / (RATE + 1)))",
        ),
        ("let u = expovariate(2)", "`exponential(1.0 / 2.0)`", "let u = exponential(1.0 / 2.0)"),
        ("let u = random.random()", "`uniform(0.0, 1.0)`", "let u = uniform(0.0, 1.0)"),
        ("let u = random()", "`uniform(0.0, 1.0)`", "let u = uniform(0.0, 1.0)"),
        ("let u = random.uniform(1, 3)", "`uniform(1.0, 3.0)`", "let u = uniform(1.0, 3.0)"),
        ("let k = random.randint(1, 6)", "`randint(1, 6)`", "let k = randint(1, 6)"),
        ("let k = random.randrange(busy)", "`randint(0, busy - 1)`", "let k = randint(0, busy - 1)"),
        ("let g = random.gauss(10, 2)", "`normal(10.0, 2.0)`", "let g = normal(10.0, 2.0)"),
        (
            "let g = random.lognormvariate(0.0, 0.5)",
            "`lognormal(exp(0.0 + 0.5 * 0.5 / 2.0), exp(0.0 + 0.5 * 0.5 / 2.0) * sqrt(exp(0.5 * 0.5) - 1.0))`",
            "let g = lognormal(exp(0.0 + 0.5 * 0.5 / 2.0), exp(0.0 + 0.5 * 0.5 / 2.0) * sqrt(exp(0.5 * 0.5) - 1.0))",
        ),
        ("let t = random.triangular(1, 5, 2)", "`triangular(1.0, 2.0, 5.0)`", "let t = triangular(1.0, 2.0, 5.0)"),
        (
            "let t = random.triangular(1.0, 5.0)",
            "`triangular(1.0, (1.0 + 5.0) / 2.0, 5.0)`",
            "let t = triangular(1.0, (1.0 + 5.0) / 2.0, 5.0)",
        ),
        (
            "let xs = [4, 5]\n let c = random.choice(xs)",
            "`xs[randint(0, xs.len() - 1)]`",
            "let xs = [4, 5]\n let c = xs[randint(0, xs.len() - 1)]",
        ),
        ("let ok = bool(busy)", "`busy != 0`", "let ok = busy != 0"),
        ("let nan = math.isnan(2.0)", "`2.0 != 2.0`", "let nan = 2.0 != 2.0"),
        (
            "let xs = [0; 3]\n xs.append(2)",
            "`xs[n] = x` then `n += 1`",
            "let xs = [0; 3]\n let n = 0\n let x = 2\n xs[n] = x\n n += 1",
        ),
        ("let xs = [1, 2]\n let n = xs.size()", "`xs.len()`", "let xs = [1, 2]\n let n = xs.len()"),
        ("let xs = [1, 2]\n let n = xs.len", "`xs.len()`", "let xs = [1, 2]\n let n = xs.len()"),
        ("let n = jobs.qsize()", "`jobs.len()`", "let n = jobs.len()"),
        ("let r = round(2.567, 2)", "`{2.567:.2}`", "print(\"{2.567:.2}\")"),
        (
            "let xs = [3, 1]\n let m = min(xs)",
            "`let m = xs[0]`, then `for x in xs { m = min(m, x) }`",
            "let xs = [3, 1]\n let m = xs[0]\n for x in xs { m = min(m, x) }",
        ),
        ("#process w() -> None { }", "leave out `-> None`", "#process w() { }"),
        ("pass", "`{ }`", ""),
        // Not Python's, but the same problem: the value to return decides the hint.
        ("#process w() { return 2 }", "`-> int`", "#process w() -> int { return 2 }"),
        (
            "#process w() { let h = spawn w2()\n return h }\nprocess w2() { }",
            "`-> proc`",
            "#process w() -> proc { let h = spawn w2()\n return h }\nprocess w2() { }",
        ),
        (
            "#process w() { let xs = [1.5]\n return xs }",
            "`-> [float; 1]`",
            "#process w() -> [float; 1] { let xs = [1.5]\n return xs }",
        ),
        (
            "#process w() { return await delay(1.0) }",
            "a statement of its own, then a bare `return`",
            "#process w() { await delay(1.0)\n return }",
        ),
        ("#process w() { return teller }", "a bare `return`", "#process w() { return }"),
        (
            "let r = await spawn w(1)\n}\nprocess w(n: int) {",
            "`process w(n: int) -> int`",
            "let r = await spawn w(1)\n}\nprocess w(n: int) -> int { return n",
        ),
        ("print(\"{busy / slots:.2}\")", "`{float(busy) / slots:.2}`", "print(\"{float(busy) / slots:.2}\")"),
        ("print(\"{busy:.1}\")", "`{float(busy):.1}`", "print(\"{float(busy):.1}\")"),
        ("print(\"{busy:>8.1}\")", "`{float(busy):>8.1}`", "print(\"{float(busy):>8.1}\")"),
        // W0003 and W0004: warnings, whose fixes leave no warning.
        ("let u = float(busy / slots)", "`float(busy) / slots`", "let u = float(busy) / slots"),
        (
            "let u: float = busy / slots * 100",
            "`float(busy) / slots * 100`",
            "let u: float = float(busy) / slots * 100",
        ),
        ("#var share: float = 1 / 4", "`1.0 / 4`", "#var share: float = 1.0 / 4"),
        ("loop { busy += 1 }", "`await delay(1.0)`", "loop { busy += 1\n await delay(1.0) }"),
        ("loop { busy += 1 }", "`every 1.0 { ... }`", "every 1.0 { busy += 1 }"),
        ("while true { busy += 1 }", "`break`", "while true { busy += 1\n if busy > 9 { break } }"),
    ];

    fn model(case: &str) -> String {
        match case.strip_prefix('#') {
            Some(items) => format!("{PRELUDE}{items}\nprocess main() {{ }}\nrun main()\n"),
            None => format!("{PRELUDE}process main() {{\n {case}\n}}\nrun main()\n"),
        }
    }

    fn diagnostics(source: &str) -> Vec<Diagnostic> {
        match check_source(source, &[]) {
            Ok((_, warnings)) => warnings,
            Err(Failure::Diagnostics(ds)) => ds,
            Err(_) => Vec::new(),
        }
    }

    fn text(d: &Diagnostic) -> String {
        format!("{} | {} | {}", d.message, d.label, d.notes.join(" | "))
    }

    #[test]
    fn every_suggested_form_compiles() {
        for (habit, snippet, fixed) in CASES {
            let shown = diagnostics(&model(habit));
            assert!(
                shown.iter().any(|d| text(d).contains(snippet)),
                "the diagnostics of `{habit}` should show {snippet}: {:#?}",
                shown.iter().map(text).collect::<Vec<_>>()
            );
            let after = diagnostics(&model(fixed));
            assert!(
                after.is_empty(),
                "the fix `{fixed}` of `{habit}` should compile without a warning: {:#?}",
                after.iter().map(text).collect::<Vec<_>>()
            );
        }
    }
}
