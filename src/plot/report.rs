//! A JSON report (`usimc run --report json`, or `usimc merge --report json`)
//! as a picture: a figure of a sweep against the swept param (its mean and
//! 95% interval with replications), or the histogram of a tally.

use serde_json::{Map, Value as Json};

use super::draw::{Content, Line, Panel, Picture};
use super::{list, Input};

/// The sections of a report entry, by the kind `--figure` names.
const KINDS: [(&str, &str); 5] =
    [("tally", "tallies"), ("var", "vars"), ("lock", "locks"), ("queue", "queues"), ("resource", "resources")];

/// A report read from JSON.
pub struct Report {
    replications: u64,
    runs: Vec<Map<String, Json>>,
}

/// Reads a report, refusing a part file and anything else.
pub fn read(input: &Input, text: &str) -> Result<Report, String> {
    let path = &input.path;
    let json: Json = serde_json::from_str(text).map_err(|e| format!("error: {path} is not valid JSON: {e}"))?;
    if json.get("format").and_then(Json::as_str) == Some("usimc part") {
        return Err(format!(
            "error: {path} is the part file of a shard; merge the parts first: usimc merge PART.json... \
             --report json --out REPORT.json"
        ));
    }
    let runs = json.get("runs").and_then(Json::as_array);
    let replications = json.get("replications").and_then(Json::as_u64);
    let (Some(runs), Some(replications)) = (runs, replications) else {
        return Err(format!("error: {path} is not a report of usimc run --report json (it has no `runs`)"));
    };
    let runs = runs
        .iter()
        .enumerate()
        .map(|(i, run)| run.as_object().cloned().ok_or_else(|| format!("error: {path}: runs[{i}] is not an object")))
        .collect::<Result<Vec<_>, _>>()?;
    if runs.is_empty() {
        return Err(format!("error: {path} has no runs: nothing to draw"));
    }
    Ok(Report { replications, runs })
}

/// A param's or figure's value as a number: a JSON number, or one of the
/// strings a report writes for NaN and the infinities; a bool as 0 or 1.
fn number(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::Bool(b) => Some(f64::from(u8::from(*b))),
        Json::String(s) if s == "NaN" => Some(f64::NAN),
        Json::String(s) if s == "Infinity" => Some(f64::INFINITY),
        Json::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A figure's mean (or value) and the half-width of its 95% interval (NaN
/// without replications).
fn figure_value(v: &Json) -> Option<(f64, f64)> {
    match v {
        Json::Object(across) => Some((number(across.get("mean")?)?, number(across.get("ci95")?)?)),
        plain => number(plain).map(|n| (n, f64::NAN)),
    }
}

/// The param values of a run, in order.
fn params(run: &Map<String, Json>) -> Vec<(String, Json)> {
    run.get("params")
        .and_then(Json::as_object)
        .map_or(Vec::new(), |p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// `N=2, RATE=0.5`.
fn label(params: &[(String, Json)]) -> String {
    params.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join(", ")
}

impl Report {
    /// The params whose values differ between the runs, in report order.
    fn swept(&self) -> Vec<String> {
        let first = params(&self.runs[0]);
        first
            .iter()
            .filter(|(name, value)| {
                self.runs.iter().any(|run| run.get("params").and_then(|p| p.get(name)) != Some(value))
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The swept param that varies fastest from one run to the next: the
    /// one of the last `--set` with several values (the report lists params
    /// in the model's order, the runs are in the sweep's).
    fn fastest<'a>(&self, swept: &'a [String]) -> Option<&'a String> {
        let changes = |name: &String| {
            let value = |run: &Map<String, Json>| run.get("params").and_then(|p| p.get(name)).cloned();
            self.runs.windows(2).filter(|pair| value(&pair[0]) != value(&pair[1])).count()
        };
        swept.iter().max_by_key(|name| changes(name))
    }

    /// Every figure `--figure` can name, grouped: `run: end_time, events`, `tally wait: count, mean, ...`.
    fn figure_choices(&self) -> Vec<String> {
        let run = &self.runs[0];
        let mut lines = vec!["run: end_time, events".to_string()];
        for (kind, section) in KINDS {
            let Some(entries) = run.get(section).and_then(Json::as_object) else { continue };
            for (name, figures) in entries {
                let Some(figures) = figures.as_object() else { continue };
                let statistics: Vec<&str> = figures
                    .iter()
                    .filter(|(_, v)| figure_value(v).is_some() || v.is_null())
                    .map(|(s, _)| s.as_str())
                    .collect();
                lines.push(format!("{kind} {name}: {}", statistics.join(", ")));
            }
        }
        lines
    }

    /// The picture of `--figure WORDS`: its value at each combination against
    /// the swept param that varies fastest (the last swept `--set`), a line
    /// per combination of the values of the other swept params.
    pub fn figure(&self, input: &Input, words: &[String]) -> Result<Picture, String> {
        let path = &input.path;
        let words: Vec<&str> = words.iter().flat_map(|w| w.split_whitespace()).collect();
        let refuse_unknown = |what: &str| {
            format!(
                "error: {path} has no figure `{what}`; --figure names one as KIND NAME STATISTIC \
                 (or run STATISTIC), one of:\n  {}",
                self.figure_choices().join("\n  ")
            )
        };
        let (kind, name, statistic) = match words.as_slice() {
            ["run", statistic] => ("run", None, *statistic),
            [kind, name, statistic] => (*kind, Some(*name), *statistic),
            _ => return Err(refuse_unknown(&words.join(" "))),
        };
        let what = words.join(" ");
        let value_of = |run: &Map<String, Json>| -> Option<Json> {
            match name {
                None => run.get(statistic).cloned(),
                Some(name) => {
                    let section = KINDS.iter().find(|(k, _)| *k == kind)?.1;
                    run.get(section)?.get(name)?.get(statistic).cloned()
                }
            }
        };
        let values: Vec<Json> = match self.runs.iter().map(value_of).collect::<Option<Vec<Json>>>() {
            Some(values) => values,
            None => return Err(refuse_unknown(&what)),
        };
        let swept = self.swept();
        let Some(x_param) = self.fastest(&swept) else {
            return Err(format!(
                "error: --figure draws a figure against a swept param, and every run of {path} has the same \
                 params; sweep one with usimc run --set NAME=V1,V2,... --report json"
            ));
        };
        // A line per combination of the other swept params, in report order.
        let mut lines: Vec<(String, Line)> = Vec::new();
        for (run, value) in self.runs.iter().zip(&values) {
            let ps = params(run);
            let others: Vec<(String, Json)> =
                ps.iter().filter(|(n, _)| swept.contains(n) && n != x_param).cloned().collect();
            let x = ps.iter().find(|(n, _)| n == x_param).and_then(|(_, v)| number(v)).unwrap_or(f64::NAN);
            let Some((y, half)) = figure_value(value) else {
                return Err(format!("error: {path}: `{what}` is not a number (it is {value})"));
            };
            let key = label(&others);
            let at = match lines.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    lines.push((key.clone(), Line { label: key, ..Line::default() }));
                    lines.len() - 1
                }
            };
            lines[at].1.points.push((x, y));
            lines[at].1.intervals.push(half);
        }
        let statistic_label = match name {
            None => statistic.to_string(),
            Some(name) => format!("{name} {statistic}"),
        };
        let over = if self.replications > 1 {
            format!(" (mean, 95% interval, {} replications)", self.replications)
        } else {
            String::new()
        };
        let title = format!("{statistic_label} against {x_param}{over}");
        // Each line in the order of its x values (a --set may list them in any order).
        let lines = lines.into_iter().map(|(_, mut line)| {
            let mut pairs: Vec<((f64, f64), f64)> = line.points.into_iter().zip(line.intervals).collect();
            pairs.sort_by(|a, b| a.0 .0.total_cmp(&b.0 .0));
            (line.points, line.intervals) = pairs.into_iter().unzip();
            line
        });
        let content = Content::Points(lines.collect());
        Ok(Picture { panels: vec![Panel { title, x_label: x_param.clone(), y_label: statistic_label, content }] })
    }

    /// The picture of the histogram of tally `name` (the only tally when
    /// `None`): of run `run` of the report, or a panel per run.
    pub fn histogram(&self, input: &Input, name: Option<&str>, run: Option<u64>) -> Result<Picture, String> {
        let path = &input.path;
        let tallies: Vec<String> =
            self.runs[0].get("tallies").and_then(Json::as_object).map_or(Vec::new(), |t| t.keys().cloned().collect());
        let name = match (name, tallies.as_slice()) {
            (_, []) => {
                return Err(format!(
                    "error: {path} has no tallies, so no histogram to draw (a model's `record NAME = ...` \
                     makes one); for a figure of a sweep use --figure"
                ))
            }
            (Some(name), _) if tallies.iter().any(|t| t == name) => name.to_string(),
            (Some(name), _) => {
                return Err(format!("error: {path} has no tally `{name}`; it has {}", list(&tallies)));
            }
            (None, [only]) => only.clone(),
            (None, _) => {
                return Err(format!(
                    "error: {path} has several tallies: choose one with --name ({}), or a figure with --figure",
                    list(&tallies)
                ))
            }
        };
        let chosen: Vec<(usize, &Map<String, Json>)> = match run {
            Some(index) => match self.runs.get(index as usize) {
                Some(one) => vec![(index as usize, one)],
                None => {
                    return Err(format!(
                        "error: {path} has no run {index}; its runs are numbered 0 to {}",
                        self.runs.len() - 1
                    ))
                }
            },
            None if self.runs.len() > super::series::MAX_PANELS => {
                return Err(format!(
                    "error: {path} has {} runs, too many for one picture: choose one with --run N",
                    self.runs.len()
                ))
            }
            None => self.runs.iter().enumerate().collect(),
        };
        let swept = self.swept();
        let mut panels = Vec::new();
        for (index, entry) in chosen {
            let histogram = entry.get("tallies").and_then(|t| t.get(&name)).and_then(|t| t.get("histogram"));
            let bars = match histogram {
                Some(Json::Null) => None,
                Some(h) => Some(
                    bars(h)
                        .ok_or_else(|| format!("error: {path}: runs[{index}]: the histogram of `{name}` is damaged"))?,
                ),
                None => {
                    return Err(format!(
                        "error: {path} has no histogram of `{name}` (a report of an older usimc?); run it again"
                    ))
                }
            };
            let ps: Vec<(String, Json)> = params(entry).into_iter().filter(|(n, _)| swept.contains(n)).collect();
            let with = if ps.is_empty() { String::new() } else { format!(" with {}", label(&ps)) };
            let (content, count) = match bars {
                Some((start, width, counts)) => {
                    let total: u64 = counts.iter().sum();
                    (Content::Bars { start, width, counts }, total)
                }
                None => (Content::Bars { start: 0.0, width: 1.0, counts: Vec::new() }, 0),
            };
            let samples = if count == 1 { "1 sample".to_string() } else { format!("{count} samples") };
            let pooled =
                if self.replications > 1 { format!(" of {} replications", self.replications) } else { String::new() };
            panels.push(Panel {
                title: format!("histogram of {name}{with} ({samples}{pooled})"),
                x_label: name.clone(),
                y_label: "samples".into(),
                content,
            });
        }
        Ok(Picture { panels })
    }
}

/// A report's histogram: its start, width and counts.
fn bars(h: &Json) -> Option<(f64, f64, Vec<u64>)> {
    let start = number(h.get("start")?)?;
    let width = number(h.get("width")?)?;
    let counts = h.get("counts")?.as_array()?.iter().map(Json::as_u64).collect::<Option<Vec<u64>>>()?;
    (start.is_finite() && width.is_finite() && width > 0.0).then_some((start, width, counts))
}
