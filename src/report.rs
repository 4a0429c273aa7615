//! Reports of a run: the table for people and the JSON of LANGUAGE.md §7.
//! A report is a pure function of the model, seed, params and flags: no
//! wall-clock figures here.

use serde_json::{json, Map, Value};
use usim_compiler::ir::{Const, Scalar};
use usim_compiler::Compiled;
use usim_runtime::RunOutcome;
use usim_stdlib::format::format_float;

/// The final value of every int, float and bool inside the global `var`s
/// (array elements and struct fields by their full names), read from the
/// final globals block.
fn final_vars(compiled: &Compiled, outcome: &RunOutcome) -> Vec<(String, Value, String)> {
    let mut out = Vec::new();
    for cell in &compiled.cells {
        let Some(raw) = outcome.globals.get(cell.slot as usize).copied() else { continue };
        let (value, text) = match cell.scalar {
            Scalar::Int => (json!(raw as i64), (raw as i64).to_string()),
            Scalar::Float => {
                let f = f64::from_bits(raw);
                (json!(f), format_float(f))
            }
            Scalar::Bool => (json!(raw != 0), (raw != 0).to_string()),
        };
        out.push((cell.name.clone(), value, text));
    }
    out
}

/// The plain-text report.
pub fn table(compiled: &Compiled, outcome: &RunOutcome) -> String {
    let mut out = String::new();
    out.push_str(&format!("end time  {}\n", format_float(outcome.end_time)));
    out.push_str(&format!("events    {}\n", outcome.events));
    if outcome.stopped {
        out.push_str("ended by  stop\n");
    }
    let vars = final_vars(compiled, outcome);
    if !vars.is_empty() {
        // Aligned on the longest name, however long.
        let width = vars.iter().map(|(name, _, _)| name.chars().count()).max().unwrap_or(0).max(14);
        out.push_str(&format!("\n{:<width$} final\n", "var"));
        for (name, _, text) in vars {
            out.push_str(&format!("{name:<width$} {text}\n"));
        }
    }
    if !outcome.waiting.is_empty() {
        out.push_str("\nstill waiting at the end:\n");
        for w in &outcome.waiting {
            out.push_str(&format!("  {} waits on {} since {}\n", w.process, w.on, format_float(w.since)));
        }
    }
    out
}

/// The JSON report, one run.
pub fn json(model: &str, seed: u64, compiled: &Compiled, outcome: &RunOutcome) -> String {
    let model_name =
        std::path::Path::new(model).file_name().map_or(model.to_string(), |n| n.to_string_lossy().into_owned());
    let mut vars = Map::new();
    for (name, value, _) in final_vars(compiled, outcome) {
        vars.insert(name, json!({ "final": value }));
    }
    let waiting: Vec<Value> =
        outcome.waiting.iter().map(|w| json!({ "process": w.process, "on": w.on, "since": w.since })).collect();
    let params: Map<String, Value> = compiled
        .params
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Const::Int(v) => json!(v),
                Const::Float(v) => json!(v),
                Const::Bool(v) => json!(v),
            };
            (name.clone(), value)
        })
        .collect();
    let report = json!({
        "model": model_name,
        "seed": seed,
        "replications": 1,
        "runs": [{
            "params": params,
            "end_time": outcome.end_time,
            "events": outcome.events,
            "tallies": {},
            "vars": vars,
            "locks": {},
            "queues": {},
            "resources": {},
            "waiting": waiting,
        }],
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
