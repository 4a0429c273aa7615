//! The CSV report: tidy, one row per combination, figure and statistic, for
//! pandas, polars or R. The value columns hold numbers only: bools as 1 or
//! 0, NaN as `NaN`, infinities as `Infinity` and `-Infinity`, a queue
//! without a bound has an empty capacity.

use crate::experiment::aggregate::{Combination, Report, Stat};
use crate::report::figures::{Kind, Value};

/// A float as the value columns write it: the shortest digits that read
/// back as the same number (`0.1`, `2.0`, `1e-7`), or its name.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{v:?}")
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => number(*f),
        Value::Bool(b) => if *b { "1" } else { "0" }.into(),
        Value::Null => String::new(),
    }
}

/// A param's column: its value as the model writes it (`true`, not 1).
fn param(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        other => value(other),
    }
}

/// The value columns of one figure: `value`, or `mean,ci95,min,max`. A
/// figure that is the same in every replication (a capacity) has that
/// value as mean, min and max, and a half-width of 0.
fn cells(s: &Stat, across: bool) -> Vec<String> {
    match s {
        Stat::Plain(v) if !across => vec![value(v)],
        Stat::Plain(Value::Null) => vec![String::new(); 4],
        Stat::Plain(v) => vec![value(v), number(0.0), value(v), value(v)],
        Stat::Across { mean, ci95, min, max } => vec![number(*mean), number(*ci95), value(min), value(max)],
    }
}

fn rows(index: usize, c: &Combination, across: bool, out: &mut Vec<Vec<String>>) {
    let mut lead = vec![index.to_string()];
    lead.extend(c.params.iter().map(|(_, v)| param(v)));
    let mut push = |kind: &str, name: &str, statistic: &str, s: &Stat| {
        let mut row = lead.clone();
        row.extend([kind.to_string(), name.to_string(), statistic.to_string()]);
        row.extend(cells(s, across));
        out.push(row);
    };
    push("run", "", "end_time", &c.end_time);
    push("run", "", "events", &c.events);
    for kind in Kind::ALL {
        for entry in c.entries(kind) {
            for (statistic, s) in &entry.figures {
                push(kind.singular(), &entry.name, statistic, s);
            }
        }
    }
}

pub fn render(report: &Report) -> Result<String, String> {
    let across = report.replications > 1;
    let mut header = vec!["run".to_string()];
    header.extend(report.param_names().into_iter().map(String::from));
    header.extend(["kind", "name", "statistic"].map(String::from));
    if across {
        header.extend(["mean", "ci95", "min", "max"].map(String::from));
    } else {
        header.push("value".into());
    }
    let mut all = vec![header];
    for (index, c) in report.combinations.iter().enumerate() {
        rows(index, c, across, &mut all);
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in &all {
        writer.write_record(row).map_err(|e| e.to_string())?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
