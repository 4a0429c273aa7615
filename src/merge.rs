//! `usimc merge PART.json...`: the report of the whole grid from the part
//! files of its shards. Every part must come from the same model, seed,
//! replications and flags, and every shard 1..N must be there once; then
//! the runs' figures, in grid order, take the same path as an unsharded
//! run's (aggregate, render), so the report is the same byte for byte.

use std::collections::BTreeMap;
use std::fmt::Display;

use crate::cli::ReportFormat;
use crate::experiment::aggregate::aggregate;
use crate::experiment::plan::Grid;
use crate::experiment::write_report;
use crate::io::{refuse, ReportFile, Stop};
use crate::report::figures::RunFigures;
use crate::report::part::{self, Header, Part};
use crate::{EXIT_OK, EXIT_USAGE};

/// The most a part file may hold: far beyond any real one, so that a wrong
/// argument (a device, a huge file) is refused instead of read without end.
const PART_READ_LIMIT: u64 = 4 << 30;

fn read_part(path: &str) -> Result<Part, Stop> {
    use std::io::Read;
    let mut text = String::new();
    let read = std::fs::File::open(path).and_then(|file| file.take(PART_READ_LIMIT).read_to_string(&mut text));
    if let Err(e) = read {
        return refuse(EXIT_USAGE, format!("usimc: cannot read the part {path}: {e}"));
    }
    part::from_json(&text).or_else(|reason| refuse(EXIT_USAGE, format!("error: cannot merge {path}: {reason}")))
}

fn optional(v: Option<f64>) -> String {
    v.map_or("none".to_string(), usim_stdlib::format::format_float)
}

fn list(set: &[String]) -> String {
    if set.is_empty() {
        "none".to_string()
    } else {
        set.join(" ")
    }
}

/// What makes two parts' runs different experiments, in words; `None` when
/// they belong together.
fn difference(a: &Header, b: &Header) -> Option<String> {
    fn pair(what: &str, x: impl Display, y: impl Display) -> Option<String> {
        Some(format!("{what} ({x} and {y})"))
    }
    let (fa, fb) = (&a.flags, &b.flags);
    if a.model_sha256 != b.model_sha256 {
        Some("they come from different models (their sources differ)".to_string())
    } else if a.model != b.model {
        pair("they come from different model files", &a.model, &b.model)
    } else if a.seed != b.seed {
        pair("they were run with different seeds", a.seed, b.seed)
    } else if a.replications != b.replications {
        pair("they were run with different replication counts", a.replications, b.replications)
    } else if fa.until != fb.until {
        pair("they were run with different --until", optional(fa.until), optional(fb.until))
    } else if fa.warmup != fb.warmup {
        pair("they were run with different --warmup", optional(fa.warmup), optional(fb.warmup))
    } else if fa.tie_order != fb.tie_order {
        pair("they were run with different --tie-order", &fa.tie_order, &fb.tie_order)
    } else if fa.max_processes != fb.max_processes {
        pair("they were run with different --max-processes", fa.max_processes, fb.max_processes)
    } else if fa.set != fb.set {
        pair("they were run with different --set values", list(&fa.set), list(&fb.set))
    } else if a.shard.1 != b.shard.1 {
        let shard = |h: &Header| format!("{}/{}", h.shard.0, h.shard.1);
        pair("they are shards of different splits", shard(a), shard(b))
    } else if (a.combinations, a.runs) != (b.combinations, b.runs) {
        pair("they have different grids of runs", a.runs, b.runs)
    } else {
        None
    }
}

/// Whether a part is whole: its slice is its shard's, its grid adds up,
/// and it holds exactly the runs of its slice, in order.
fn damage(p: &Part) -> Option<String> {
    let h = &p.header;
    let grid = Grid { combinations: h.combinations, replications: h.replications };
    if h.replications == 0 || grid.runs() != h.runs {
        return Some(format!("its grid does not add up ({} x {} is not {})", h.combinations, h.replications, h.runs));
    }
    let expected = grid.slice(Some(crate::cli::Shard { index: h.shard.0, count: h.shard.1 }));
    if (expected.start, expected.end) != h.slice {
        return Some(format!("its slice {}..{} is not shard {}/{}'s", h.slice.0, h.slice.1, h.shard.0, h.shard.1));
    }
    let runs: Vec<u64> = p.runs.iter().map(|(g, _)| *g).collect();
    if runs != expected.collect::<Vec<u64>>() {
        return Some(format!("it does not hold exactly the runs {}..{} of its slice", h.slice.0, h.slice.1));
    }
    None
}

pub fn merge(paths: &[String], format: ReportFormat, out: Option<&str>) -> Result<u8, Stop> {
    if paths.is_empty() {
        return refuse(EXIT_USAGE, "error: usimc merge needs the part files of every shard: usimc merge PART.json...");
    }
    let report_file = match out {
        Some(path) => Some(ReportFile::open(path)?),
        None => None,
    };
    let mut parts: Vec<(&str, Part)> = Vec::with_capacity(paths.len());
    for path in paths {
        let part = read_part(path)?;
        if let Some(reason) = damage(&part) {
            return refuse(EXIT_USAGE, format!("error: cannot merge {path}: it is damaged: {reason}"));
        }
        if let Some((first_path, first)) = parts.first() {
            if let Some(reason) = difference(&first.header, &part.header) {
                return refuse(EXIT_USAGE, format!("error: cannot merge {first_path} and {path}: {reason}"));
            }
        }
        parts.push((path, part));
    }
    let count = parts[0].1.header.shard.1;
    let mut by_shard: BTreeMap<u64, (&str, Part)> = BTreeMap::new();
    for (path, part) in parts {
        let index = part.header.shard.0;
        if let Some((other, _)) = by_shard.get(&index) {
            return refuse(
                EXIT_USAGE,
                format!("error: cannot merge {other} and {path}: both are shard {index}/{count}"),
            );
        }
        by_shard.insert(index, (path, part));
    }
    // At most the first ten missing, however many shards there are.
    let missing: Vec<String> =
        (1..=count).filter(|k| !by_shard.contains_key(k)).take(10).map(|k| format!("{k}/{count}")).collect();
    match missing.as_slice() {
        [] => {}
        [one] => return refuse(EXIT_USAGE, format!("error: cannot merge: shard {one} is missing")),
        many => {
            let more = if missing.len() == 10 && by_shard.len() as u64 + 10 < count { ", ..." } else { "" };
            return refuse(EXIT_USAGE, format!("error: cannot merge: shards {}{more} are missing", many.join(", ")));
        }
    }
    let parts: Vec<Part> = by_shard.into_values().map(|(_, part)| part).collect();
    let header = parts[0].header.clone();
    let figures: Vec<RunFigures> = parts.into_iter().flat_map(|p| p.runs.into_iter().map(|(_, f)| f)).collect();
    let report = aggregate(&header.model, header.seed, header.replications, &figures);
    let text = match crate::report::render(format, &report) {
        Ok(text) => text,
        Err(message) => return refuse(EXIT_USAGE, format!("usimc: cannot make the report: {message}")),
    };
    write_report(report_file, &text)?;
    Ok(EXIT_OK)
}
