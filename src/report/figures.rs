//! The figures of one run as plain data: what the report of that run shows,
//! what a shard's part file carries (exactly, so that a merge rebuilds them
//! bit for bit), and what replications are aggregated from.

use usim_compiler::ir::{Const, Scalar};
use usim_compiler::Compiled;
use usim_runtime::{EndedBy, Histogram, RunOutcome, TimeWeighted, WaitSummary};

/// One figure's value. Counts and int figures are `Int`; a queue without a
/// bound has a `Null` capacity.
#[derive(Clone, Debug)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Value {
    /// The same value, floats compared by their bits (NaN equals NaN).
    #[cfg(test)]
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Null, Value::Null) => true,
            _ => false,
        }
    }

    /// As a number: ints and floats as they are, a bool as 1 or 0, null as NaN.
    pub fn as_f64(&self) -> f64 {
        match *self {
            Value::Int(v) => v as f64,
            Value::Float(v) => v,
            Value::Bool(v) => f64::from(u8::from(v)),
            Value::Null => f64::NAN,
        }
    }

    pub fn from_const(value: &Const) -> Value {
        match *value {
            Const::Int(v) => Value::Int(v),
            Const::Float(v) => Value::Float(v),
            Const::Bool(v) => Value::Bool(v),
        }
    }
}

/// A count as an int figure (counts never reach 2^63 in practice; one that
/// did would read as the largest int).
pub fn count(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A figure that holds whole numbers (the most requests waiting at once, an
/// int var's extremes), handed over as a float: an int when it is one.
pub fn whole(v: f64) -> Value {
    // i64::MAX as f64 is 2^63, the first float past the range.
    if v.is_finite() && v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
        Value::Int(v as i64)
    } else {
        Value::Float(v)
    }
}

/// The kinds of things a report has figures for, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Tally,
    Var,
    Lock,
    Queue,
    Resource,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Tally, Kind::Var, Kind::Lock, Kind::Queue, Kind::Resource];

    /// The key of its section in the JSON report: `tallies`, `vars`, ...
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Tally => "tallies",
            Kind::Var => "vars",
            Kind::Lock => "locks",
            Kind::Queue => "queues",
            Kind::Resource => "resources",
        }
    }

    /// Its name in the table and the CSV: `tally`, `var`, ...
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Tally => "tally",
            Kind::Var => "var",
            Kind::Lock => "lock",
            Kind::Queue => "queue",
            Kind::Resource => "resource",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The figures of one tally, var, lock, queue or resource, in report order.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub figures: Vec<(String, Value)>,
}

impl Entry {
    #[cfg(test)]
    pub fn same(&self, other: &Entry) -> bool {
        self.name == other.name
            && self.figures.len() == other.figures.len()
            && self.figures.iter().zip(&other.figures).all(|((a, x), (b, y))| a == b && x.same(y))
    }
}

/// A process still waiting at the end of a run.
#[derive(Clone, Debug)]
pub struct Waiter {
    pub process: String,
    pub on: String,
    pub since: f64,
}

/// Everything the report says about one run.
#[derive(Clone, Debug)]
pub struct RunFigures {
    /// Every param of the model with the value this run's compilation used.
    pub params: Vec<(String, Value)>,
    pub end_time: f64,
    pub events: u64,
    pub ended_by: EndedBy,
    /// Indexed by [`Kind::index`].
    pub entries: [Vec<Entry>; 5],
    /// The histogram of each tally, in the order of its entries (`None`:
    /// no finite samples).
    pub histograms: Vec<Option<Histogram>>,
    pub waiting: Vec<Waiter>,
}

impl RunFigures {
    pub fn entries(&self, kind: Kind) -> &[Entry] {
        &self.entries[kind.index()]
    }

    /// Equal figure for figure, floats by their bits.
    #[cfg(test)]
    pub fn same(&self, other: &RunFigures) -> bool {
        let params = self.params.len() == other.params.len()
            && self.params.iter().zip(&other.params).all(|((a, x), (b, y))| a == b && x.same(y));
        let entries = self
            .entries
            .iter()
            .zip(&other.entries)
            .all(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)));
        let waiting = self.waiting.len() == other.waiting.len()
            && self.waiting.iter().zip(&other.waiting).all(|(a, b)| {
                a.process == b.process && a.on == b.on && Value::Float(a.since).same(&Value::Float(b.since))
            });
        params
            && entries
            && waiting
            && self.histograms == other.histograms
            && Value::Float(self.end_time).same(&Value::Float(other.end_time))
            && self.events == other.events
            && self.ended_by == other.ended_by
    }
}

fn figures(list: &[(&str, Value)]) -> Vec<(String, Value)> {
    list.iter().map(|(name, value)| (name.to_string(), value.clone())).collect()
}

fn float(v: f64) -> Value {
    Value::Float(v)
}

fn waits(wait: &WaitSummary) -> [(&'static str, Value); 2] {
    [("mean_wait", float(wait.mean)), ("max_wait", float(wait.max))]
}

/// The figures of a finished run. The runtime's summaries are read where
/// they exist: a var without one reports its final value only.
pub fn from_outcome(compiled: &Compiled, outcome: &RunOutcome) -> RunFigures {
    let stats = &outcome.stats;
    let mut vars = Vec::new();
    for (index, cell) in compiled.cells.iter().enumerate() {
        let Some(raw) = outcome.globals.get(cell.slot as usize).copied() else { continue };
        let final_value = match cell.scalar {
            Scalar::Int => Value::Int(raw as i64),
            Scalar::Float => Value::Float(f64::from_bits(raw)),
            Scalar::Bool => Value::Bool(raw != 0),
        };
        let mut list = vec![("final", final_value)];
        if let Some(TimeWeighted { mean, min, max, .. }) = stats.cells.get(index).copied() {
            let extreme = |v: f64| if cell.scalar == Scalar::Float { float(v) } else { whole(v) };
            list.extend([("mean", float(mean)), ("min", extreme(min)), ("max", extreme(max))]);
        }
        vars.push(Entry { name: cell.name.clone(), figures: figures(&list) });
    }
    let tallies = stats
        .tallies
        .iter()
        .map(|t| Entry {
            name: t.name.clone(),
            figures: figures(&[
                ("count", count(t.count)),
                ("mean", float(t.mean)),
                ("std", float(t.std)),
                ("min", float(t.min)),
                ("max", float(t.max)),
                ("p50", float(t.p50)),
                ("p95", float(t.p95)),
                ("p99", float(t.p99)),
                ("mser5_warmup", float(t.mser5_warmup)),
            ]),
        })
        .collect();
    let locks = stats
        .locks
        .iter()
        .map(|l| {
            let mut list = vec![
                ("capacity", count(l.capacity)),
                ("acquired", count(l.acquired)),
                ("utilization", float(l.utilization)),
                ("mean_queue", float(l.queue.mean)),
                ("max_queue", whole(l.queue.max)),
            ];
            list.extend(waits(&l.wait));
            Entry { name: l.name.clone(), figures: figures(&list) }
        })
        .collect();
    let queues = stats
        .queues
        .iter()
        .map(|q| {
            let mut list = vec![
                ("capacity", q.capacity.map_or(Value::Null, count)),
                ("put", count(q.put)),
                ("got", count(q.got)),
                ("mean_length", float(q.length.mean)),
                ("max_length", whole(q.length.max)),
            ];
            list.extend(waits(&q.wait));
            Entry { name: q.name.clone(), figures: figures(&list) }
        })
        .collect();
    let resources = stats
        .resources
        .iter()
        .map(|r| {
            let mut list = vec![
                ("capacity", float(r.capacity)),
                ("mean_level", float(r.level.mean)),
                ("min_level", float(r.level.min)),
                ("max_level", float(r.level.max)),
                ("mean_queue", float(r.queue.mean)),
                ("max_queue", whole(r.queue.max)),
            ];
            list.extend(waits(&r.wait));
            Entry { name: r.name.clone(), figures: figures(&list) }
        })
        .collect();
    RunFigures {
        params: compiled.params.iter().map(|(name, value)| (name.clone(), Value::from_const(value))).collect(),
        end_time: outcome.end_time,
        events: outcome.events,
        ended_by: outcome.ended_by,
        entries: [tallies, vars, locks, queues, resources],
        histograms: stats.tallies.iter().map(|t| t.histogram.clone()).collect(),
        waiting: outcome
            .waiting
            .iter()
            .map(|w| Waiter { process: w.process.clone(), on: w.on.clone(), since: w.since })
            .collect(),
    }
}

/// Two runs with a figure of every kind, for the renderers' tests.
#[cfg(test)]
pub fn samples() -> [RunFigures; 2] {
    fn entry(name: &str, list: &[(&str, Value)]) -> Entry {
        Entry { name: name.into(), figures: figures(list) }
    }
    let run = |shift: f64, ended_by: EndedBy, waiting: Vec<Waiter>| RunFigures {
        params: vec![
            ("N".into(), Value::Int(2)),
            ("RATE".into(), Value::Float(0.5)),
            ("FAST".into(), Value::Bool(true)),
        ],
        end_time: 10.0 + shift,
        events: 42 + shift as u64,
        ended_by,
        entries: [
            vec![entry(
                "wait",
                &[
                    ("count", Value::Int(3)),
                    ("mean", float(1.5 + shift)),
                    ("std", float(0.5)),
                    ("min", float(1.0)),
                    ("max", float(2.0 + shift)),
                    ("p50", float(1.5)),
                    ("p95", float(1.95)),
                    ("p99", float(1.99)),
                    ("mser5_warmup", float(f64::NAN)),
                ],
            )],
            vec![
                entry(
                    "done",
                    &[
                        ("final", Value::Int(5)),
                        ("mean", float(2.5)),
                        ("min", Value::Int(0)),
                        ("max", Value::Int(5 + shift as i64)),
                    ],
                ),
                entry(
                    "open",
                    &[
                        ("final", Value::Bool(shift == 0.0)),
                        ("mean", float(0.75)),
                        ("min", Value::Int(0)),
                        ("max", Value::Int(1)),
                    ],
                ),
                entry(
                    "level",
                    &[("final", float(1.5)), ("mean", float(1.25)), ("min", float(0.0)), ("max", float(2.0))],
                ),
            ],
            vec![entry(
                "server",
                &[
                    ("capacity", Value::Int(1)),
                    ("acquired", Value::Int(3)),
                    ("utilization", float(0.5)),
                    ("mean_queue", float(0.25)),
                    ("max_queue", Value::Int(2)),
                    ("mean_wait", float(1.0)),
                    ("max_wait", float(2.0)),
                ],
            )],
            vec![entry(
                "jobs",
                &[
                    ("capacity", Value::Null),
                    ("put", Value::Int(4)),
                    ("got", Value::Int(3)),
                    ("mean_length", float(0.5)),
                    ("max_length", Value::Int(2)),
                    ("mean_wait", float(f64::NAN)),
                    ("max_wait", float(f64::NAN)),
                ],
            )],
            vec![entry(
                "tank",
                &[
                    ("capacity", float(200.0)),
                    ("mean_level", float(120.5)),
                    ("min_level", float(0.0)),
                    ("max_level", float(200.0)),
                    ("mean_queue", float(0.0)),
                    ("max_queue", Value::Int(0)),
                    ("mean_wait", float(f64::INFINITY)),
                    ("max_wait", float(3.0)),
                ],
            )],
        ],
        histograms: vec![Histogram::of(&[1.0, 1.5, 2.0 + shift])],
        waiting,
    };
    let late = Waiter { process: "late".into(), on: "channel news".into(), since: 3.0 };
    [run(0.0, EndedBy::Horizon, vec![late.clone()]), run(2.0, EndedBy::Stop, vec![late])]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_ints_and_the_rest_stay_floats() {
        assert!(whole(17.0).same(&Value::Int(17)));
        assert!(whole(-0.0).same(&Value::Int(0)));
        assert!(whole(2.5).same(&Value::Float(2.5)));
        assert!(whole(f64::NAN).same(&Value::Float(f64::NAN)));
        assert!(whole(f64::INFINITY).same(&Value::Float(f64::INFINITY)));
        assert!(whole(9.3e18).same(&Value::Float(9.3e18)));
        assert!(count(u64::MAX).same(&Value::Int(i64::MAX)));
    }
}
