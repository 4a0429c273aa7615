//! The part file of one shard (`usimc run --shard K/N`): what `usimc merge`
//! needs to rebuild every run's figures exactly and to check that the parts
//! belong together. Floats are written by serde_json's shortest round-trip
//! form and read back with full precision, NaN and infinities as strings,
//! so every figure comes back bit for bit.

use serde_json::{json, Map, Value as Json};
use usim_runtime::{EndedBy, Histogram};

use crate::experiment::aggregate::aggregate;
use crate::report::figures::{Entry, Kind, RunFigures, Value, Waiter};
use crate::report::json;

/// What `"format"` says, and the version of the layout below.
pub const FORMAT: &str = "usimc part";
/// Version 2 added the tallies' histograms.
pub const VERSION: u64 = 2;

/// The flags that change what the runs compute.
#[derive(Clone, Debug, PartialEq)]
pub struct Flags {
    pub until: Option<f64>,
    pub warmup: Option<f64>,
    pub tie_order: String,
    pub max_processes: u64,
    /// Each `--set` as `NAME=V1,V2` (values trimmed), in command-line order.
    pub set: Vec<String>,
}

/// Everything in a part file but the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub version: u64,
    /// The model's file name.
    pub model: String,
    /// SHA-256 of the model's source, in hex.
    pub model_sha256: String,
    pub seed: u64,
    pub replications: u64,
    pub flags: Flags,
    /// `K/N`.
    pub shard: (u64, u64),
    pub combinations: u64,
    /// The number of runs of the whole grid.
    pub runs: u64,
    /// The runs this shard ran: `[start, end)`.
    pub slice: (u64, u64),
}

#[derive(Clone, Debug)]
pub struct Part {
    pub header: Header,
    /// `(g, figures)` for every run of the slice, in grid order.
    pub runs: Vec<(u64, RunFigures)>,
}

fn optional(v: Option<f64>) -> Json {
    v.map_or(Json::Null, json::number)
}

/// One run as a JSON object: exactly a run of a one-replication report, after its index.
fn run_json(g: u64, figures: &RunFigures) -> Json {
    let report = aggregate("", 0, 1, std::slice::from_ref(figures));
    let mut object = Map::new();
    object.insert("run".into(), json!(g));
    if let Some(c) = report.combinations.first() {
        object.extend(json::combination(c, 1));
    }
    // The count as it is: a report's int figures stop at 2^63 - 1, a part's do not.
    object.insert("events".into(), json!(figures.events));
    Json::Object(object)
}

pub fn to_json(part: &Part) -> String {
    let h = &part.header;
    let runs: Vec<Json> = part.runs.iter().map(|(g, figures)| run_json(*g, figures)).collect();
    json::text(&json!({
        "format": FORMAT,
        "version": h.version,
        "model": h.model,
        "model_sha256": h.model_sha256,
        "seed": h.seed,
        "replications": h.replications,
        "flags": {
            "until": optional(h.flags.until),
            "warmup": optional(h.flags.warmup),
            "tie_order": h.flags.tie_order,
            "max_processes": h.flags.max_processes,
            "set": h.flags.set,
        },
        "shard": format!("{}/{}", h.shard.0, h.shard.1),
        "combinations": h.combinations,
        "grid_runs": h.runs,
        "slice": [h.slice.0, h.slice.1],
        "runs": runs,
    }))
}

/// Reading a part: each failure says where in the file it is.
struct Reader;

type Read<T> = Result<T, String>;

impl Reader {
    fn field<'a>(object: &'a Json, key: &str) -> Read<&'a Json> {
        object.get(key).ok_or_else(|| format!("`{key}` is missing"))
    }

    fn object<'a>(v: &'a Json, what: &str) -> Read<&'a Map<String, Json>> {
        v.as_object().ok_or_else(|| format!("{what} is not an object"))
    }

    fn u64(object: &Json, key: &str) -> Read<u64> {
        Self::field(object, key)?.as_u64().ok_or_else(|| format!("`{key}` is not a whole number"))
    }

    fn string(object: &Json, key: &str) -> Read<String> {
        Self::field(object, key)?.as_str().map(String::from).ok_or_else(|| format!("`{key}` is not a string"))
    }

    /// A float figure: a number, or "NaN", "Infinity", "-Infinity".
    fn float(v: &Json, what: &str) -> Read<f64> {
        match v {
            Json::Number(n) => n.as_f64().ok_or_else(|| format!("{what} is not a number")),
            Json::String(s) if s == "NaN" => Ok(f64::NAN),
            Json::String(s) if s == "Infinity" => Ok(f64::INFINITY),
            Json::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(format!("{what} is not a number")),
        }
    }

    fn optional_float(object: &Json, key: &str) -> Read<Option<f64>> {
        match Self::field(object, key)? {
            Json::Null => Ok(None),
            v => Self::float(v, &format!("`{key}`")).map(Some),
        }
    }

    /// A figure's value, int or float as it was written.
    fn value(v: &Json, what: &str) -> Read<Value> {
        match v {
            Json::Null => Ok(Value::Null),
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::Number(n) if n.is_i64() => Ok(Value::Int(n.as_i64().unwrap_or(0))),
            Json::Number(n) if n.is_f64() => Ok(Value::Float(n.as_f64().unwrap_or(f64::NAN))),
            Json::String(_) => Self::float(v, what).map(Value::Float),
            _ => Err(format!("{what} is not a figure")),
        }
    }

    /// A tally's histogram as [`json::histogram`] writes it, or null.
    fn histogram(v: &Json) -> Read<Option<Histogram>> {
        if v.is_null() {
            return Ok(None);
        }
        let bad = || "its `histogram` is damaged".to_string();
        let float = |key: &str| Self::float(Self::field(v, key)?, &format!("`histogram.{key}`"));
        let counts = Self::field(v, "counts")?
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|c| c.as_u64().ok_or_else(bad))
            .collect::<Read<Vec<u64>>>()?;
        Histogram::from_parts(float("min")?, float("max")?, float("start")?, float("width")?, counts)
            .map(Some)
            .ok_or_else(bad)
    }

    fn ended_by(text: &str) -> Read<EndedBy> {
        [EndedBy::Horizon, EndedBy::Stop, EndedBy::NoEvents, EndedBy::Error]
            .into_iter()
            .find(|how| how.as_str() == text)
            .ok_or_else(|| format!("`ended_by` is `{text}`, not horizon, stop or no_events"))
    }

    fn run(v: &Json) -> Read<(u64, RunFigures)> {
        let g = Self::u64(v, "run")?;
        let inner = || -> Read<RunFigures> {
            let params = Self::object(Self::field(v, "params")?, "`params`")?
                .iter()
                .map(|(name, value)| Ok((name.clone(), Self::value(value, &format!("param `{name}`"))?)))
                .collect::<Read<Vec<_>>>()?;
            let mut entries: [Vec<Entry>; 5] = Default::default();
            let mut histograms = Vec::new();
            for kind in Kind::ALL {
                let section = Self::object(Self::field(v, kind.plural())?, &format!("`{}`", kind.plural()))?;
                for (name, figures) in section {
                    let figures = Self::object(figures, &format!("`{name}`"))?;
                    if kind == Kind::Tally {
                        let histogram = figures
                            .get("histogram")
                            .ok_or_else(|| format!("tally `{name}`: `histogram` is missing"))?;
                        histograms.push(Self::histogram(histogram).map_err(|e| format!("tally `{name}`: {e}"))?);
                    }
                    let figures = figures
                        .iter()
                        .filter(|(s, _)| kind != Kind::Tally || *s != "histogram")
                        .map(|(s, value)| Ok((s.clone(), Self::value(value, &format!("`{name}.{s}`"))?)))
                        .collect::<Read<Vec<_>>>()?;
                    entries[kind.index()].push(Entry { name: name.clone(), figures });
                }
            }
            let waiting = Self::field(v, "waiting")?
                .as_array()
                .ok_or("`waiting` is not a list")?
                .iter()
                .map(|w| {
                    Ok(Waiter {
                        process: Self::string(w, "process")?,
                        on: Self::string(w, "on")?,
                        since: Self::float(Self::field(w, "since")?, "`since`")?,
                    })
                })
                .collect::<Read<Vec<_>>>()?;
            Ok(RunFigures {
                params,
                end_time: Self::float(Self::field(v, "end_time")?, "`end_time`")?,
                events: Self::u64(v, "events")?,
                ended_by: Self::ended_by(&Self::string(v, "ended_by")?)?,
                entries,
                histograms,
                waiting,
            })
        };
        inner().map(|figures| (g, figures)).map_err(|e| format!("run {g}: {e}"))
    }

    fn part(v: &Json) -> Read<Part> {
        if Self::string(v, "format").ok().as_deref() != Some(FORMAT) {
            return Err("it is not a part file (made by `usimc run --shard K/N`)".into());
        }
        let version = Self::u64(v, "version")?;
        if version != VERSION {
            return Err(format!("it is a part file of version {version}; this usimc reads version {VERSION}"));
        }
        let flags = Self::field(v, "flags")?;
        let set = Self::field(flags, "set")?
            .as_array()
            .ok_or("`set` is not a list")?
            .iter()
            .map(|s| s.as_str().map(String::from).ok_or_else(|| "`set` holds something else than text".to_string()))
            .collect::<Read<Vec<_>>>()?;
        let shard = Self::string(v, "shard")?;
        let whole = |s: &str| s.parse::<u64>().ok();
        let shard = shard
            .split_once('/')
            .and_then(|(k, n)| Some((whole(k)?, whole(n)?)))
            .filter(|&(k, n)| k >= 1 && k <= n)
            .ok_or_else(|| format!("`shard` is `{shard}`, not K/N"))?;
        let slice =
            Self::field(v, "slice")?.as_array().filter(|s| s.len() == 2).ok_or("`slice` is not [start, end]")?;
        let bound = |b: &Json| b.as_u64().ok_or_else(|| "`slice` is not [start, end]".to_string());
        let header = Header {
            version,
            model: Self::string(v, "model")?,
            model_sha256: Self::string(v, "model_sha256")?,
            seed: Self::u64(v, "seed")?,
            replications: Self::u64(v, "replications")?,
            flags: Flags {
                until: Self::optional_float(flags, "until")?,
                warmup: Self::optional_float(flags, "warmup")?,
                tie_order: Self::string(flags, "tie_order")?,
                max_processes: Self::u64(flags, "max_processes")?,
                set,
            },
            shard,
            combinations: Self::u64(v, "combinations")?,
            runs: Self::u64(v, "grid_runs")?,
            slice: (bound(&slice[0])?, bound(&slice[1])?),
        };
        let runs = Self::field(v, "runs")?
            .as_array()
            .ok_or("`runs` is not a list")?
            .iter()
            .map(Self::run)
            .collect::<Read<Vec<_>>>()?;
        Ok(Part { header, runs })
    }
}

/// Reads a part file's text.
pub fn from_json(text: &str) -> Result<Part, String> {
    let value: Json = serde_json::from_str(text).map_err(|e| format!("it is not JSON: {e}"))?;
    Reader::part(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Part {
        let figures = RunFigures {
            params: vec![("N".into(), Value::Int(3)), ("RATE".into(), Value::Float(0.5))],
            end_time: 10.0,
            events: 42,
            ended_by: EndedBy::Stop,
            entries: [
                vec![Entry {
                    name: "wait".into(),
                    figures: vec![("count".into(), Value::Int(0)), ("mean".into(), Value::Float(f64::NAN))],
                }],
                vec![Entry { name: "open".into(), figures: vec![("final".into(), Value::Bool(true))] }],
                vec![],
                vec![Entry {
                    name: "jobs".into(),
                    figures: vec![("capacity".into(), Value::Null), ("max_wait".into(), Value::Float(-0.0))],
                }],
                vec![],
            ],
            histograms: vec![None],
            waiting: vec![Waiter { process: "late".into(), on: "channel news".into(), since: f64::INFINITY }],
        };
        Part {
            header: Header {
                version: VERSION,
                model: "m.usim".into(),
                model_sha256: "ab".into(),
                seed: 3,
                replications: 2,
                flags: Flags {
                    until: Some(1e300),
                    warmup: None,
                    tie_order: "fifo".into(),
                    max_processes: 10,
                    set: vec!["N=1,3".into()],
                },
                shard: (2, 3),
                combinations: 2,
                runs: 4,
                slice: (1, 2),
            },
            runs: vec![(1, figures)],
        }
    }

    #[test]
    fn a_part_reads_back_as_it_was_written() {
        let mut part = sample();
        // Above what a report's int figures hold.
        part.runs[0].1.events = u64::MAX;
        let back = from_json(&to_json(&part)).expect("a part file");
        assert_eq!(back.header, part.header);
        assert_eq!(back.runs.len(), 1);
        assert_eq!(back.runs[0].0, 1);
        assert!(back.runs[0].1.same(&part.runs[0].1), "{:?}", back.runs[0].1);
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        assert_eq!(from_json("{}").err().as_deref(), Some("it is not a part file (made by `usimc run --shard K/N`)"));
        assert!(from_json("[1,").err().is_some_and(|e| e.starts_with("it is not JSON: ")));
    }

    mod round_trip {
        use super::*;
        use proptest::collection::{btree_map, vec};
        use proptest::option;
        use proptest::prelude::*;

        fn float() -> impl Strategy<Value = f64> {
            prop_oneof![
                any::<f64>(),
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
                Just(-0.0),
                Just(f64::MIN_POSITIVE / 3.0),
                Just(f64::MAX),
            ]
        }

        fn value() -> impl Strategy<Value = Value> {
            prop_oneof![
                any::<i64>().prop_map(Value::Int),
                float().prop_map(Value::Float),
                any::<bool>().prop_map(Value::Bool),
                Just(Value::Null),
            ]
        }

        /// Names are unique within a list, as a model's are.
        fn named<T: std::fmt::Debug + Clone>(
            item: impl Strategy<Value = T>,
        ) -> impl Strategy<Value = Vec<(String, T)>> {
            btree_map("\\PC{1,12}", item, 0..5).prop_map(|m| m.into_iter().collect())
        }

        fn entries() -> impl Strategy<Value = Vec<Entry>> {
            named(named(value()))
                .prop_map(|list| list.into_iter().map(|(name, figures)| Entry { name, figures }).collect())
        }

        fn figures() -> impl Strategy<Value = RunFigures> {
            let ended_by =
                prop_oneof![Just(EndedBy::Horizon), Just(EndedBy::Stop), Just(EndedBy::NoEvents), Just(EndedBy::Error)];
            let waiter =
                ("\\PC{0,10}", "\\PC{0,10}", float()).prop_map(|(process, on, since)| Waiter { process, on, since });
            (
                named(value()),
                float(),
                any::<u64>(),
                ended_by,
                [entries(), entries(), entries(), entries(), entries()],
                vec(waiter, 0..3),
                vec(option::of(vec(float(), 0..20)), 5),
            )
                .prop_map(|(params, end_time, events, ended_by, entries, waiting, samples)| RunFigures {
                    params,
                    end_time,
                    events,
                    ended_by,
                    // One per tally, as a run has them.
                    histograms: samples
                        .iter()
                        .cycle()
                        .take(entries[0].len())
                        .map(|s| s.as_ref().and_then(|s| Histogram::of(s)))
                        .collect(),
                    entries,
                    waiting,
                })
        }

        proptest! {
            #[test]
            fn random_figures_survive_the_part_file_exactly(runs in vec(figures(), 0..4), seed in any::<u64>()) {
                let mut part = sample();
                part.header.seed = seed;
                part.header.slice = (5, 5 + runs.len() as u64);
                part.runs = runs.into_iter().enumerate().map(|(k, f)| (5 + k as u64, f)).collect();
                let back = from_json(&to_json(&part)).expect("a part file");
                prop_assert_eq!(&back.header, &part.header);
                prop_assert_eq!(back.runs.len(), part.runs.len());
                for ((g, a), (h, b)) in back.runs.iter().zip(&part.runs) {
                    prop_assert_eq!(g, h);
                    prop_assert!(a.same(b), "{:?}\nread back as\n{:?}", b, a);
                }
            }
        }
    }
}
