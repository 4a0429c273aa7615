//! The JSON report (docs/experiments.md has its shape). A NaN or infinite
//! figure is the string "NaN", "Infinity" or "-Infinity": JSON has no such
//! numbers, and the string says what the figure is.

use serde_json::{json, Map, Value as Json};
use usim_runtime::Histogram;

use crate::experiment::aggregate::{Combination, Report, Stat};
use crate::report::figures::{Kind, Value};

/// A float: a JSON number when finite, else its name as a string.
pub fn number(v: f64) -> Json {
    if v.is_finite() {
        json!(v)
    } else if v.is_nan() {
        json!("NaN")
    } else if v > 0.0 {
        json!("Infinity")
    } else {
        json!("-Infinity")
    }
}

pub fn value(v: &Value) -> Json {
    match *v {
        Value::Int(i) => json!(i),
        Value::Float(f) => number(f),
        Value::Bool(b) => json!(b),
        Value::Null => Json::Null,
    }
}

/// A tally's histogram: bin `i` of `counts` covers `[start + i width,
/// start + (i + 1) width)`; `min` and `max` are the extremes of the samples
/// binned (docs/experiments.md, "Histograms").
pub fn histogram(h: &Histogram) -> Json {
    json!({ "min": number(h.min), "max": number(h.max), "start": number(h.start()), "width": number(h.width()),
            "counts": h.counts })
}

fn stat(s: &Stat) -> Json {
    match s {
        Stat::Plain(v) => value(v),
        Stat::Across { mean, ci95, min, max } => {
            json!({ "mean": number(*mean), "ci95": number(*ci95), "min": value(min), "max": value(max) })
        }
    }
}

/// One entry of `runs`: a combination, with its replications aggregated
/// when there are several.
pub fn combination(c: &Combination, replications: u64) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("params".into(), Json::Object(c.params.iter().map(|(n, v)| (n.clone(), value(v))).collect()));
    out.insert("end_time".into(), stat(&c.end_time));
    out.insert("events".into(), stat(&c.events));
    for kind in Kind::ALL {
        let section: Map<String, Json> = c
            .entries(kind)
            .iter()
            .enumerate()
            .map(|(index, e)| {
                let mut figures: Map<String, Json> = e.figures.iter().map(|(s, v)| (s.clone(), stat(v))).collect();
                if kind == Kind::Tally {
                    let histogram = c.histograms.get(index).and_then(Option::as_ref);
                    figures.insert("histogram".into(), histogram.map_or(Json::Null, self::histogram));
                }
                (e.name.clone(), Json::Object(figures))
            })
            .collect();
        out.insert(kind.plural().into(), Json::Object(section));
    }
    let ended_by = match c.ended_by.as_slice() {
        [(how, _)] if replications == 1 => json!(how.as_str()),
        counts => Json::Object(counts.iter().map(|(how, n)| (how.as_str().to_string(), json!(n))).collect()),
    };
    out.insert("ended_by".into(), ended_by);
    let waiting: Vec<Json> = c
        .waiting
        .iter()
        .map(|(k, w)| {
            let mut entry = Map::new();
            if replications > 1 {
                entry.insert("replication".into(), json!(k));
            }
            entry.insert("process".into(), json!(w.process));
            entry.insert("on".into(), json!(w.on));
            entry.insert("since".into(), number(w.since));
            Json::Object(entry)
        })
        .collect();
    out.insert("waiting".into(), Json::Array(waiting));
    out
}

/// Pretty-printed, with a final newline; a histogram's counts on one line.
pub fn text(value: &Json) -> String {
    let mut text = one_line_counts(&serde_json::to_string_pretty(value).unwrap_or_default());
    text.push('\n');
    text
}

/// Puts every `"counts": [...]` list of numbers on one line, as
/// `"counts": [3, 0, 12]`, instead of one number per line. (Only numbers
/// and white space lie between its brackets; a line break within a JSON
/// string is written `\n`, so none can be mistaken for one.)
fn one_line_counts(pretty: &str) -> String {
    const KEY: &str = "\"counts\": [";
    let mut out = String::with_capacity(pretty.len());
    let mut rest = pretty;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        match after.find(']') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_digit() || c == ',' || c.is_whitespace()) => {
                let numbers: Vec<&str> = after[..end].split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
                out.push_str(&numbers.join(", "));
                rest = &after[end..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

pub fn render(report: &Report) -> String {
    let runs: Vec<Json> =
        report.combinations.iter().map(|c| Json::Object(combination(c, report.replications))).collect();
    text(&json!({
        "model": report.model,
        "seed": report.seed,
        "replications": report.replications,
        "runs": runs,
    }))
}
