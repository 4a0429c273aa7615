//! The plain-text report for people: how each combination's runs ended, then
//! one aligned section per kind (tallies, vars, locks, queues, resources),
//! then who was left waiting. With replications each figure is its mean ±
//! the 95% half-width and [min, max]; with a sweep one block per combination.

use usim_stdlib::format::format_float;

use crate::experiment::aggregate::{Combination, EntryReport, Report, Stat};
use crate::report::figures::{Kind, Value};

/// The narrowest the name column gets, so short reports line up alike.
const NAME_WIDTH: usize = 14;

/// Significant digits of a float in the table (the JSON and CSV reports
/// keep every digit).
const DIGITS: i32 = 6;

/// A float for people: [`DIGITS`] significant digits, trailing zeros
/// dropped (`0.824876`, `3.98888`, `1227.7`, `4`); very large or small
/// magnitudes, NaN and infinities as `print` writes them.
pub fn figure(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    if !f.is_finite() || !(1e-4..1e15).contains(&f.abs()) {
        return format_float(f);
    }
    let magnitude = f.abs().log10().floor() as i32;
    let decimals = (DIGITS - 1 - magnitude).max(0) as usize;
    let text = format!("{f:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => figure(*f),
        Value::Bool(b) => b.to_string(),
        Value::Null => "unbounded".to_string(),
    }
}

/// A figure on one line: the value, or `mean ± ci95  [min, max]`.
fn stat_text(s: &Stat) -> String {
    match s {
        Stat::Plain(v) => value_text(v),
        Stat::Across { mean, ci95, min, max } => {
            format!("{} ± {}  [{}, {}]", figure(*mean), figure(*ci95), value_text(min), value_text(max))
        }
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// Rows of cells as aligned lines: the first column padded to at least
/// `first_width` and followed by one space, the others by two.
fn aligned(rows: &[Vec<String>], first_width: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (column, cell) in row.iter().enumerate() {
            widths[column] = widths[column].max(width(cell));
        }
    }
    if let Some(first) = widths.first_mut() {
        *first = (*first).max(first_width);
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column == 1 {
                line.push(' ');
            } else if column > 1 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', widths[column] - width(cell)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The statistics of a section's entries, in the order they first appear.
fn columns(entries: &[EntryReport]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for entry in entries {
        for (statistic, _) in &entry.figures {
            if !out.contains(&statistic.as_str()) {
                out.push(statistic);
            }
        }
    }
    out
}

fn find<'a>(entry: &'a EntryReport, statistic: &str) -> Option<&'a Stat> {
    entry.figures.iter().find(|(s, _)| s == statistic).map(|(_, v)| v)
}

/// One row per entry, one column per statistic.
fn section(kind: Kind, entries: &[EntryReport]) -> String {
    let statistics = columns(entries);
    let mut rows = vec![std::iter::once(kind.singular()).chain(statistics.iter().copied()).map(String::from).collect()];
    for entry in entries {
        let mut row = vec![entry.name.clone()];
        row.extend(statistics.iter().map(|s| find(entry, s).map_or(String::new(), stat_text)));
        rows.push(row);
    }
    aligned(&rows, NAME_WIDTH)
}

/// One row per entry and statistic: mean, ± ci95, min, max in columns.
fn section_across(kind: Kind, entries: &[EntryReport]) -> String {
    let mut rows: Vec<Vec<String>> =
        vec![[kind.singular(), "statistic", "mean", "± ci95", "min", "max"].map(String::from).to_vec()];
    for entry in entries {
        for (index, (statistic, s)) in entry.figures.iter().enumerate() {
            let name = if index == 0 { entry.name.clone() } else { String::new() };
            let cells = match s {
                Stat::Plain(v) => vec![value_text(v)],
                Stat::Across { mean, ci95, min, max } => {
                    vec![figure(*mean), format!("± {}", figure(*ci95)), value_text(min), value_text(max)]
                }
            };
            let mut row = vec![name, statistic.clone()];
            row.extend(cells);
            rows.push(row);
        }
    }
    aligned(&rows, NAME_WIDTH)
}

fn block(out: &mut String, c: &Combination, across: bool) {
    let label = if across { 14 } else { 10 };
    let line = |out: &mut String, name: &str, text: &str| {
        out.push_str(&format!("{name:<label$}{text}\n"));
    };
    line(out, "end time", &stat_text(&c.end_time));
    line(out, "events", &stat_text(&c.events));
    let ended_by = match c.ended_by.as_slice() {
        [(how, _)] if !across => how.as_str().to_string(),
        counts => counts.iter().map(|(how, n)| format!("{}: {n}", how.as_str())).collect::<Vec<_>>().join(", "),
    };
    line(out, "ended by", &ended_by);
    for kind in Kind::ALL {
        let entries = c.entries(kind);
        if entries.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&if across { section_across(kind, entries) } else { section(kind, entries) });
    }
    if !c.waiting.is_empty() {
        out.push_str("\nstill waiting at the end:\n");
        for (k, w) in &c.waiting {
            let replication = if across { format!("replication {k}: ") } else { String::new() };
            out.push_str(&format!("  {replication}{} waits on {} since {}\n", w.process, w.on, figure(w.since)));
        }
    }
}

/// A combination's params as its heading says them: `N=2, RATE=0.5`.
pub fn params_text(c: &Combination) -> String {
    c.params.iter().map(|(name, v)| format!("{name}={}", value_text(v))).collect::<Vec<_>>().join(", ")
}

pub fn render(report: &Report) -> String {
    let across = report.replications > 1;
    let sweep = report.combinations.len() > 1;
    let mut out = String::new();
    if across {
        out.push_str(&format!("{:<14}{}\n", "replications", report.replications));
        if sweep {
            out.push('\n');
        }
    }
    for (index, c) in report.combinations.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        if sweep {
            out.push_str(&format!("with {}\n", params_text(c)));
        }
        block(&mut out, c, across);
    }
    out
}
