//! The benchmark models in `benches/models/` at small sizes, through the
//! built `usimc` (dev profile, so seconds, not the minutes of the real
//! sizes): each case's output (the model's `print` lines and the report
//! table) must be its snapshot in `tests/snapshots/benches__CASE.snap`
//! exactly, and its figures those of the hand-written Rust floor
//! (`benches/baseline.rs`, included here as a module) at the same params:
//! events, end time, printed lines, and every var, tally and lock figure the
//! floor computes, bit for bit. No timing is asserted; `benches/run` times
//! the real sizes.
//!
//! A new model in `benches/models/` needs a case in [`CASES`] and a model in
//! the baseline; `INSTA_UPDATE=always cargo test --test benches` writes a
//! new case's snapshot (read it before committing it).

use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

#[allow(dead_code)] // The floor's own `main`, timing table and text output.
#[path = "../benches/baseline.rs"]
mod baseline;

/// Each model with the `--set` params of its small run, and extra usimc flags.
const CASES: [(&str, &[&str]); 9] = [
    ("timers", &["PROCS=20", "DELAYS=50"]),
    ("pingpong", &["MESSAGES=1000"]),
    ("fanout", &["FANOUT=500"]),
    ("mm1_record", &["CUSTOMERS=2000"]),
    ("tandem", &["JOBS=2000"]),
    ("mm1_spawn", &["CUSTOMERS=1000"]),
    ("tickers", &["TICKERS=20"]),
    ("fib_compute", &["FIB_N=15", "REPS=3"]),
    ("mm1_lock", &["CUSTOMERS=2000"]),
];

/// `usimc run benches/models/MODEL.usim --set P ... EXTRA...` from the crate
/// root; its stdout, and the run must succeed.
fn usimc(model: &str, params: &[&str], extra: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_usimc"));
    command.current_dir(env!("CARGO_MANIFEST_DIR")).arg("run").arg(format!("benches/models/{model}.usim"));
    for param in params {
        command.args(["--set", param]);
    }
    let output = command.args(extra).output().expect("cannot start usimc");
    assert_eq!(
        output.status.code(),
        Some(0),
        "usimc run {model} {params:?} {extra:?} failed; stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the output is not UTF-8")
}

/// Whether two JSON numbers are the same float (both null: NaN or infinite).
fn same_number(a: &Json, b: &Json) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x == 0.0 && y == 0.0),
        _ => a.is_null() && b.is_null(),
    }
}

/// How usimc's run (its JSON report and its printed lines) differs from the
/// floor's figures, as one line per difference.
fn differences(report: &Json, printed: &str, floor: &Json) -> Vec<String> {
    let run = &report["runs"][0];
    let mut diffs = Vec::new();
    if run["events"] != floor["events"] {
        diffs.push(format!("events: usimc {}, floor {}", run["events"], floor["events"]));
    }
    if !same_number(&run["end_time"], &floor["end_time"]) {
        diffs.push(format!("end time: usimc {}, floor {}", run["end_time"], floor["end_time"]));
    }
    let lines: Vec<Json> = printed.lines().map(|line| Json::String(line.to_string())).collect();
    if Json::Array(lines.clone()) != floor["printed"] {
        diffs.push(format!("printed: usimc {lines:?}, floor {}", floor["printed"]));
    }
    for section in ["vars", "tallies", "locks"] {
        let Some(figures) = floor[section].as_object() else { continue };
        for (name, values) in figures {
            let theirs = &run[section][name];
            for (key, value) in values.as_object().into_iter().flatten() {
                if !same_number(&theirs[key], value) {
                    diffs.push(format!("{section} {name} {key}: usimc {}, floor {value}", theirs[key]));
                }
            }
        }
    }
    diffs
}

#[test]
fn every_bench_model_has_a_case_and_a_floor() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join("models");
    let mut models: Vec<String> = std::fs::read_dir(&dir)
        .expect("cannot read benches/models")
        .map(|entry| entry.expect("cannot read a benches/models entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "usim"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    models.sort();
    let mut cases: Vec<String> = CASES.iter().map(|(name, _)| name.to_string()).collect();
    cases.sort();
    assert_eq!(models, cases, "benches/models/ and CASES differ");
    for model in &models {
        assert!(baseline::model(model).is_some(), "benches/baseline.rs has no model {model}");
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/simpy").join(format!("{model}.py")).exists(),
            "benches/simpy/{model}.py is missing"
        );
    }
}

#[test]
fn bench_models_print_their_snapshots_and_match_the_floor() {
    let report = std::env::temp_dir().join(format!("usim-benches-{}.json", std::process::id()));
    let report_arg = report.to_str().expect("a temporary path that is not UTF-8");
    let mut failures = Vec::new();
    for (model, params) in CASES {
        // The table report, as a user sees it.
        let output = usimc(model, params, &[]);
        let run = format!("usimc run benches/models/{model}.usim --set {}\n\n{output}", params.join(" --set "));
        // Named `bench@MODEL`, beside the fixtures' snapshots, whose check of
        // orphans (tests/fixtures.rs) knows the prefix.
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(format!("bench@{model}"), run));
        // Every digit, against the floor.
        let printed = usimc(model, params, &["--report", "json", "--out", report_arg]);
        let text = std::fs::read_to_string(&report).expect("cannot read the JSON report");
        let json: Json = serde_json::from_str(&text).expect("the report is not JSON");
        let floor_model = baseline::model(model).expect("a model the floor has");
        let floor = floor_model(&baseline::Params::parse(params).expect("params"));
        let floor: Json = serde_json::from_str(&floor.json(model)).expect("the floor's figures are not JSON");
        for diff in differences(&json, &printed, &floor) {
            failures.push(format!("{model} {params:?}: {diff}"));
        }
    }
    let _ = std::fs::remove_file(&report);
    assert!(failures.is_empty(), "usimc and the floor differ:\n{}", failures.join("\n"));
}
