//! A series file (`usimc run --series`) as step-shaped lines: a panel per
//! series name, a line per run. The file is read twice, never held: once to
//! check every row and learn the names, runs and times, once to collect the
//! selected lines, each thinned to at most four points per pixel column
//! (the first, least, greatest and last there), which draws the same steps.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;

use super::draw::{Content, Line, Panel, Picture};
use super::{list, Input};

/// The most panels a picture has; with more names, `--name` chooses.
pub const MAX_PANELS: usize = 16;

/// Buckets of time per line when thinning (twice the picture's width).
const BUCKETS: f64 = 1600.0;

/// One row of a series file.
struct Row {
    run: u64,
    time: f64,
    name: String,
    value: f64,
}

/// A reader of the file's rows, each with its line number.
fn rows(input: &Input) -> Result<impl Iterator<Item = Result<Row, String>> + '_, String> {
    let file = File::open(&input.path).map_err(|e| format!("usimc: cannot read {}: {e}", input.path))?;
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 16, file));
    let path = input.path.clone();
    let mut records = reader.into_records();
    let header_line = records.next();
    match header_line {
        Some(Ok(header)) if header.iter().eq(["run", "time", "name", "value"]) => {}
        Some(Err(e)) => return Err(format!("error: {path}:1: {e}")),
        _ => {
            return Err(format!(
                "error: {path}:1: a series file begins with the line `run,time,name,value` \
                 (made by usimc run --series FILE.csv)"
            ))
        }
    }
    Ok(records.map(move |record| {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("error: {path}:{line}: {e}")
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let at = |message: String| format!("error: {path}:{line}: {message}");
        if record.len() != 4 {
            return Err(at(format!("{} fields, but a series row has 4: run,time,name,value", record.len())));
        }
        let run = record[0]
            .trim()
            .parse::<u64>()
            .map_err(|_| at(format!("the run `{}` is not a whole number", &record[0])))?;
        let time = record[1].trim().parse::<f64>().ok().filter(|t| !t.is_nan());
        let time = time.ok_or_else(|| at(format!("the time `{}` is not a number", &record[1])))?;
        let value =
            record[3].trim().parse::<f64>().map_err(|_| at(format!("the value `{}` is not a number", &record[3])))?;
        if record[2].is_empty() {
            return Err(at("the name is empty".into()));
        }
        Ok(Row { run, time, name: record[2].to_string(), value })
    }))
}

/// What the first reading learns.
struct Scan {
    /// In the order they first appear.
    names: Vec<String>,
    /// Per name: its runs.
    runs: BTreeMap<String, BTreeSet<u64>>,
    /// Per run: the latest finite time of any of its rows (where its lines end).
    ends: BTreeMap<u64, f64>,
}

fn scan(input: &Input) -> Result<Scan, String> {
    let mut scan = Scan { names: Vec::new(), runs: BTreeMap::new(), ends: BTreeMap::new() };
    for row in rows(input)? {
        let row = row?;
        match scan.runs.get_mut(&row.name) {
            Some(runs) => {
                runs.insert(row.run);
            }
            None => {
                scan.names.push(row.name.clone());
                scan.runs.insert(row.name, BTreeSet::from([row.run]));
            }
        }
        let end = scan.ends.entry(row.run).or_insert(0.0);
        if row.time.is_finite() {
            *end = end.max(row.time);
        }
    }
    if scan.names.is_empty() {
        return Err(format!("error: {} has no rows: nothing to draw", input.path));
    }
    Ok(scan)
}

/// A line being collected, thinned per bucket of time.
struct Collect {
    points: Vec<(f64, f64)>,
    bucket: i64,
    /// Where the current bucket's points begin.
    from: usize,
}

impl Collect {
    fn push(&mut self, bucket: i64, point: (f64, f64)) {
        if bucket != self.bucket || self.points.is_empty() {
            self.bucket = bucket;
            self.from = self.points.len();
            self.points.push(point);
            return;
        }
        self.points.push(point);
        let here = &self.points[self.from..];
        if here.len() <= 4 {
            return;
        }
        // Keep the first, the least, the greatest and the last, in order.
        let by_value = |a: &&(usize, &(f64, f64)), b: &&(usize, &(f64, f64))| a.1 .1.total_cmp(&b.1 .1);
        let indexed: Vec<(usize, &(f64, f64))> = here.iter().enumerate().collect();
        let low = indexed.iter().min_by(by_value).map_or(0, |p| p.0);
        let high = indexed.iter().max_by(by_value).map_or(0, |p| p.0);
        let mut keep: Vec<usize> = vec![0, low, high, here.len() - 1];
        keep.sort_unstable();
        keep.dedup();
        let kept: Vec<(f64, f64)> = keep.iter().map(|&i| here[i]).collect();
        self.points.truncate(self.from);
        self.points.extend(kept);
    }
}

/// The picture of a series file: the panels of `names` (every name when
/// none is given), the lines of run `run` (every run when none).
pub fn picture(input: &Input, names: &[String], run: Option<u64>) -> Result<Picture, String> {
    let scan = scan(input)?;
    let chosen: Vec<String> = if names.is_empty() {
        if scan.names.len() > MAX_PANELS {
            return Err(format!(
                "error: {} has {} series, too many for one picture: choose at most {MAX_PANELS} with --name \
                 (it has {})",
                input.path,
                scan.names.len(),
                list(&scan.names)
            ));
        }
        scan.names.clone()
    } else {
        for name in names {
            if !scan.runs.contains_key(name) {
                return Err(format!("error: {} has no series `{name}`; it has {}", input.path, list(&scan.names)));
            }
        }
        if names.len() > MAX_PANELS {
            return Err(format!("error: at most {MAX_PANELS} series fit in one picture; --name gave {}", names.len()));
        }
        let mut unique = Vec::new();
        for name in names {
            if !unique.contains(name) {
                unique.push(name.clone());
            }
        }
        unique
    };
    if let Some(run) = run {
        if !scan.ends.contains_key(&run) {
            let runs: Vec<String> = scan.ends.keys().map(u64::to_string).collect();
            return Err(format!("error: {} has no run {run}; it has run {}", input.path, list(&runs)));
        }
        if let Some(name) = chosen.iter().find(|name| !scan.runs[*name].contains(&run)) {
            return Err(format!("error: run {run} of {} has no series `{name}`", input.path));
        }
    }
    // Per chosen name, the time span of its panel (buckets are per panel).
    let span = |name: &String| -> f64 {
        let runs = scan.runs[name].iter().filter(|r| run.is_none_or(|only| only == **r));
        runs.map(|r| scan.ends[r]).fold(0.0, f64::max)
    };
    let spans: BTreeMap<&String, f64> = chosen.iter().map(|name| (name, span(name))).collect();
    let mut lines: BTreeMap<(&String, u64), Collect> = BTreeMap::new();
    for row in rows(input)? {
        let row = row?;
        if run.is_some_and(|only| only != row.run) {
            continue;
        }
        let Some((name, &span)) = spans.get_key_value(&row.name) else { continue };
        let bucket = if span > 0.0 && row.time.is_finite() { (row.time / span * BUCKETS).floor() as i64 } else { 0 };
        lines
            .entry((name, row.run))
            .or_insert(Collect { points: Vec::new(), bucket: 0, from: 0 })
            .push(bucket, (row.time, row.value));
    }
    let runs_in_file = scan.ends.len();
    let panels = chosen
        .iter()
        .map(|name| {
            let mine: Vec<Line> = lines
                .iter()
                .filter(|((n, _), _)| *n == name)
                .map(|((_, r), collect)| Line {
                    label: format!("run {r}"),
                    points: collect.points.clone(),
                    intervals: Vec::new(),
                    end: scan.ends[r],
                })
                .collect();
            let runs: Vec<u64> = lines.keys().filter(|(n, _)| *n == name).map(|(_, r)| *r).collect();
            let which = match runs.as_slice() {
                [one] if runs_in_file > 1 || run.is_some() => format!(", run {one}"),
                [_] => String::new(),
                many => format!(", {} runs", many.len()),
            };
            Panel {
                title: format!("{name} over time{which}"),
                x_label: "simulated time".into(),
                y_label: name.clone(),
                content: Content::Steps(mine),
            }
        })
        .collect();
    Ok(Picture { panels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_first_least_greatest_and_last_of_a_bucket() {
        let mut line = Collect { points: Vec::new(), bucket: 0, from: 0 };
        for (i, v) in [3.0, 9.0, 1.0, 5.0, 4.0, 6.0].into_iter().enumerate() {
            line.push(7, (i as f64, v));
        }
        line.push(8, (10.0, 2.0));
        assert_eq!(line.points, [(0.0, 3.0), (1.0, 9.0), (2.0, 1.0), (5.0, 6.0), (10.0, 2.0)]);
    }
}
