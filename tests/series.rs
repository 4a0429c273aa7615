//! `usimc run --series FILE.csv` through the built binary (docs/experiments.md,
//! "Series"): the file is the same bytes whatever `--jobs` is; it holds every
//! change, so that the time-weighted figures of the report (each var's mean,
//! min, max and final value, each lock's units held and line, each queue's
//! length, each resource's level and line) are computed again from it alone,
//! run by run, with and without `--warmup`; a failed run keeps its rows up
//! to the error; a file that cannot be written is refused. Also the tallies'
//! histograms in the JSON report. (The exact files of small models are the
//! `series@` snapshots of `tests/fixtures/series/`, run by tests/fixtures.rs.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use serde_json::Value as Json;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const COUNTER: &str = "tests/fixtures/experiments/counter.usim";
const COUNT_THEN_FAIL: &str = "tests/fixtures/experiments/count_then_fail.usim";

struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn usimc(args: &[&str]) -> Ended {
    let output = Command::new(env!("CARGO_BIN_EXE_usimc")).current_dir(ROOT).args(args).output().expect("usimc runs");
    Ended {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A fresh folder of this test's own.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("series").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `usimc run MODEL ARGS --series DIR/NAME.csv --out DIR/NAME.json`, which
/// must succeed: the series file and the report (or part file).
fn run(dir: &Path, name: &str, model: &str, args: &[&str]) -> (String, String) {
    let series = path_text(&dir.join(format!("{name}.csv")));
    let out = path_text(&dir.join(format!("{name}.json")));
    let mut all = vec!["run", model];
    all.extend_from_slice(args);
    all.extend(["--series", &series, "--out", &out]);
    let ended = usimc(&all);
    assert_eq!(ended.code, Some(0), "usimc {all:?}: {}", ended.stderr);
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    (read(&series), read(&out))
}

/// One row of a series file.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    run: u64,
    time: f64,
    name: String,
    value: f64,
}

fn rows(csv: &str) -> Vec<Row> {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("run,time,name,value"), "the header");
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 4, "{line}");
            Row {
                run: fields[0].parse().unwrap_or_else(|_| panic!("{line}")),
                time: fields[1].parse().unwrap_or_else(|_| panic!("{line}")),
                name: fields[2].to_string(),
                value: fields[3].parse().unwrap_or_else(|_| panic!("{line}")),
            }
        })
        .collect()
}

/// A report figure as a number (NaN and the infinities are strings).
fn number(v: &Json) -> f64 {
    match v {
        Json::Number(n) => n.as_f64().expect("a number"),
        Json::Bool(b) => f64::from(u8::from(*b)),
        Json::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        other => panic!("not a figure: {other}"),
    }
}

/// What a value does over `[start, end]`, from its changes alone.
#[derive(Debug)]
struct Held {
    final_value: f64,
    mean: f64,
    min: f64,
    max: f64,
}

/// Integrates the changes of one series (in the order they happened, the
/// first at time 0) from `start` to `end`, as the statistics do: the value
/// held at `start` (changes at `start` itself come after the restart) and
/// every value it takes from then on.
fn held(changes: &[(f64, f64)], start: f64, end: f64) -> Held {
    let before = changes.iter().take_while(|(t, _)| *t < start).count();
    let mut value = changes[..before.max(1)].last().map_or(f64::NAN, |c| c.1);
    let rest = &changes[before.max(1)..];
    let (mut min, mut max) = (value, value);
    let (mut since, mut area) = (start, 0.0);
    for &(t, v) in rest {
        area += value * (t - since);
        since = t;
        value = v;
        min = min.min(v);
        max = max.max(v);
    }
    area += value * (end - since);
    let mean = if end > start { area / (end - start) } else { value };
    Held { final_value: value, mean, min, max }
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || (a.is_nan() && b.is_nan())
}

/// Checks every time-weighted figure of every run of a part file (the
/// figures of each run, with `--shard 1/1`) against the series; returns how
/// many figures it checked.
fn check_against_series(model: &str, csv: &str, part: &str, warmup: f64) -> usize {
    let part: Json = serde_json::from_str(part).expect("a part file");
    let mut series: BTreeMap<(u64, String), Vec<(f64, f64)>> = BTreeMap::new();
    for row in rows(csv) {
        series.entry((row.run, row.name)).or_default().push((row.time, row.value));
    }
    let mut checked = 0;
    for run in part["runs"].as_array().expect("runs") {
        let g = run["run"].as_u64().expect("a run number");
        let end = number(&run["end_time"]);
        if end < warmup {
            continue;
        }
        let start = warmup;
        let of = |name: &str| -> Held {
            let changes =
                series.get(&(g, name.to_string())).unwrap_or_else(|| panic!("{model}: run {g} has no series `{name}`"));
            assert_eq!(changes[0].0, 0.0, "{model}: `{name}` of run {g} begins at time 0");
            assert!(changes.windows(2).all(|w| w[0].0 <= w[1].0), "{model}: `{name}` of run {g} goes back in time");
            held(changes, start, end)
        };
        let mut expect = |what: String, from_series: f64, report: &Json| {
            let report = number(report);
            assert!(
                close(from_series, report),
                "{model}, run {g}: {what} is {report} in the report, {from_series} from the series"
            );
            checked += 1;
        };
        for (name, figures) in run["vars"].as_object().expect("vars") {
            let h = of(name);
            expect(format!("var {name} final"), h.final_value, &figures["final"]);
            expect(format!("var {name} mean"), h.mean, &figures["mean"]);
            expect(format!("var {name} min"), h.min, &figures["min"]);
            expect(format!("var {name} max"), h.max, &figures["max"]);
        }
        for (name, figures) in run["locks"].as_object().expect("locks") {
            let held_units = of(&format!("{name}.held"));
            let capacity = number(&figures["capacity"]);
            expect(format!("lock {name} utilization"), held_units.mean / capacity, &figures["utilization"]);
            let queue = of(&format!("{name}.queue"));
            expect(format!("lock {name} mean_queue"), queue.mean, &figures["mean_queue"]);
            expect(format!("lock {name} max_queue"), queue.max, &figures["max_queue"]);
        }
        for (name, figures) in run["queues"].as_object().expect("queues") {
            let length = of(&format!("{name}.length"));
            expect(format!("queue {name} mean_length"), length.mean, &figures["mean_length"]);
            expect(format!("queue {name} max_length"), length.max, &figures["max_length"]);
        }
        for (name, figures) in run["resources"].as_object().expect("resources") {
            let level = of(&format!("{name}.level"));
            expect(format!("resource {name} mean_level"), level.mean, &figures["mean_level"]);
            expect(format!("resource {name} min_level"), level.min, &figures["min_level"]);
            expect(format!("resource {name} max_level"), level.max, &figures["max_level"]);
            let queue = of(&format!("{name}.queue"));
            expect(format!("resource {name} mean_queue"), queue.mean, &figures["mean_queue"]);
            expect(format!("resource {name} max_queue"), queue.max, &figures["max_queue"]);
        }
    }
    checked
}

/// Every shipped example (mm1_fast made small) and the series fixtures
/// (with the flags of their `// run:` line, but `--reps`), with the flags to
/// run each with.
fn models() -> Vec<(String, Vec<String>)> {
    let mut models = Vec::new();
    for folder in ["examples", "tests/fixtures/series"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(folder))
            .expect("a folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "usim"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().expect("a name").to_string_lossy().into_owned();
            let source = std::fs::read_to_string(&path).expect("a model");
            let header = source.lines().next().and_then(|l| l.strip_prefix("// run:")).unwrap_or("");
            let mut flags: Vec<String> = header.split_whitespace().map(String::from).collect();
            if let Some(at) = flags.iter().position(|f| f == "--reps") {
                flags.drain(at..at + 2);
            }
            if name == "mm1_fast.usim" {
                flags.extend(["--set".into(), "CUSTOMERS=3000".into()]);
            }
            models.push((format!("{folder}/{name}"), flags));
        }
    }
    models.push((COUNTER.to_string(), vec!["--set".into(), "SERVERS=1,2".into()]));
    models
}

fn strs(flags: &[String]) -> Vec<&str> {
    flags.iter().map(String::as_str).collect()
}

#[test]
fn the_report_is_computed_again_from_the_series_alone() {
    let dir = scratch("report_again");
    let mut checked = 0;
    for (model, flags) in models() {
        let own = flags.iter().position(|f| f == "--warmup").map(|at| flags[at + 1].clone());
        let warmups = match &own {
            Some(own) => vec![Some(own.as_str())],
            None => vec![None, Some("1.5")],
        };
        for warmup in warmups {
            let mut args = strs(&flags);
            args.extend(["--reps", "2", "--shard", "1/1"]);
            if let (Some(warmup), None) = (warmup, &own) {
                args.extend(["--warmup", warmup]);
            }
            let (csv, part) = run(&dir, "m", &model, &args);
            checked += check_against_series(&model, &csv, &part, warmup.map_or(0.0, |w| w.parse().unwrap()));
        }
    }
    assert!(checked > 1000, "only {checked} figures checked");
}

#[test]
fn the_series_file_is_the_same_whatever_the_jobs() {
    let dir = scratch("jobs");
    let cases: [(&str, &[&str]); 5] = [
        ("examples/bank.usim", &["--reps", "5"]),
        ("examples/carwash.usim", &["--reps", "3"]),
        ("examples/mm1.usim", &["--reps", "3", "--set", "CUSTOMERS=300,500"]),
        ("examples/tandem_line.usim", &["--reps", "2", "--set", "STATIONS=2,3"]),
        (COUNTER, &["--set", "SERVERS=1,2", "--set", "CUSTOMERS=3,5", "--reps", "2"]),
    ];
    for (model, flags) in cases {
        let with = |jobs: &str| run(&dir, jobs, model, &[flags, &["--jobs", jobs, "--report", "json"]].concat()).0;
        let first = with("1");
        for jobs in ["2", "3", "8"] {
            assert!(with(jobs) == first, "{model} {flags:?}: --jobs {jobs} wrote another series file");
        }
        // Every run, whole and in grid order.
        let runs: Vec<u64> = rows(&first).iter().map(|r| r.run).collect();
        assert!(runs.windows(2).all(|w| w[0] <= w[1]), "{model}: runs out of order");
        let count: u64 = usimc_grid(flags);
        assert_eq!(runs.last().copied(), Some(count - 1), "{model}: the last run");
    }
    // No temporary file is left behind.
    let left: Vec<String> = std::fs::read_dir(&dir)
        .expect("the folder")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The number of runs of a grid given by `--set` and `--reps` flags.
fn usimc_grid(flags: &[&str]) -> u64 {
    let mut runs = 1;
    for pair in flags.windows(2) {
        match pair {
            ["--reps", n] => runs *= n.parse::<u64>().expect("a count"),
            ["--set", setting] => runs *= setting.split(',').count() as u64,
            _ => {}
        }
    }
    runs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn any_jobs_give_the_bytes_of_one_job(seed in 0u64..1000, reps in 1u64..6, jobs in 2usize..6) {
        let dir = scratch(&format!("proptest-{seed}-{reps}-{jobs}"));
        let flags = ["--seed", &seed.to_string(), "--reps", &reps.to_string(), "--set", "SERVERS=1,2"].map(String::from);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let one = run(&dir, "one", COUNTER, &[&flags[..], &["--jobs", "1"]].concat());
        let many = run(&dir, "many", COUNTER, &[&flags[..], &["--jobs", &jobs.to_string()]].concat());
        prop_assert!(one == many);
    }
}

#[test]
fn a_failed_run_keeps_its_rows_up_to_the_error_and_no_later_run_has_any() {
    let dir = scratch("failed");
    for jobs in ["1", "3"] {
        let series = path_text(&dir.join(format!("s{jobs}.csv")));
        let ended = usimc(&["run", COUNT_THEN_FAIL, "--set", "N=1,2,3", "--jobs", jobs, "--series", &series]);
        assert_eq!(ended.code, Some(3), "{}", ended.stderr);
        assert!(ended.stderr.ends_with("usimc: in the run with N=2\n"), "{}", ended.stderr);
        assert_eq!(
            std::fs::read_to_string(&series).expect("the series"),
            "run,time,name,value\n0,0.0,count,0\n0,1.0,count,1\n1,0.0,count,0\n1,1.0,count,1\n",
            "--jobs {jobs}"
        );
    }
}

#[test]
fn a_series_file_that_cannot_be_written_is_refused_before_anything_runs() {
    let ended = usimc(&["run", COUNTER, "--series", "/nonexistent/usimc/s.csv"]);
    assert_eq!(ended.code, Some(2));
    assert_eq!(ended.stdout, "");
    assert_eq!(
        ended.stderr,
        "usimc: cannot write the series to /nonexistent/usimc/s.csv: No such file or directory (os error 2)\n"
    );
    let ended = usimc(&["run", COUNTER, "--series", "/dev/full", "--out", "/dev/null"]);
    assert_eq!(ended.code, Some(2));
    assert_eq!(ended.stderr, "usimc: cannot write the series to /dev/full: No space left on device (os error 28)\n");
    let ended = usimc(&["run", COUNTER, "--reps", "3", "--series", "/dev/full", "--out", "/dev/null"]);
    assert_eq!(ended.code, Some(2));
    assert_eq!(ended.stderr, "usimc: cannot write the series to /dev/full: No space left on device (os error 28)\n");
    let dir = scratch("same_file");
    let both = path_text(&dir.join("both"));
    let ended = usimc(&["run", COUNTER, "--series", &both, "--out", &both]);
    assert_eq!(
        (ended.code, ended.stderr),
        (Some(2), format!("error: --series and --out name the same file, {both}\n"))
    );
}

#[test]
fn a_model_that_does_not_compile_leaves_no_series_file_and_an_old_one_untouched() {
    let dir = scratch("no_compile");
    let model = dir.join("bad.usim");
    std::fs::write(&model, "var x: int = true\nprocess p() {}\nrun p()\n").expect("a model");
    let (model, new, old) = (path_text(&model), path_text(&dir.join("new.csv")), path_text(&dir.join("old.csv")));
    std::fs::write(&old, "keep me\n").expect("a file");
    assert_eq!(usimc(&["run", &model, "--series", &new]).code, Some(1));
    assert!(!Path::new(&new).exists(), "a series file was left behind");
    assert_eq!(usimc(&["run", &model, "--series", &old]).code, Some(1));
    assert_eq!(std::fs::read_to_string(&old).expect("the old file"), "keep me\n");
}

#[test]
fn the_series_of_the_bank_has_the_tellers_queue_length() {
    let dir = scratch("bank");
    let (csv, report) = run(&dir, "bank", "examples/bank.usim", &["--report", "json"]);
    let rows = rows(&csv);
    let names: Vec<&str> = rows.iter().filter(|r| r.time == 0.0).map(|r| r.name.as_str()).take(6).collect();
    assert_eq!(names, ["served", "reneged", "total_wait", "busy", "teller.held", "teller.queue"]);
    let report: Json = serde_json::from_str(&report).expect("a report");
    let most = rows.iter().filter(|r| r.name == "teller.queue").map(|r| r.value).fold(0.0, f64::max);
    assert_eq!(most, number(&report["runs"][0]["locks"]["teller"]["max_queue"]));
}

/// The counts of each histogram of a report section, summed.
fn histogram_total(histogram: &Json) -> u64 {
    histogram["counts"].as_array().expect("counts").iter().map(|c| c.as_u64().expect("a count")).sum()
}

#[test]
fn histogram_counts_sum_to_the_tallys_count_and_pool_over_replications() {
    let dir = scratch("histograms");
    let mut checked = 0;
    for (model, flags) in models() {
        let flags = strs(&flags);
        let (_, part) = run(&dir, "p", &model, &[&flags[..], &["--reps", "3", "--shard", "1/1"]].concat());
        let (_, report) = run(&dir, "r", &model, &[&flags[..], &["--reps", "3", "--report", "json"]].concat());
        let part: Json = serde_json::from_str(&part).expect("a part file");
        let report: Json = serde_json::from_str(&report).expect("a report");
        // Per run: the counts add up to the tally's count, within [min, max].
        let mut pooled: BTreeMap<(u64, String), u64> = BTreeMap::new();
        for run in part["runs"].as_array().expect("runs") {
            let combination = run["run"].as_u64().expect("g") / 3;
            for (name, tally) in run["tallies"].as_object().expect("tallies") {
                let count = tally["count"].as_u64().expect("a count");
                let histogram = &tally["histogram"];
                if count == 0 {
                    assert!(histogram.is_null(), "{model}: {name} has no samples but a histogram");
                    continue;
                }
                assert_eq!(histogram_total(histogram), count, "{model}: {name}");
                assert_eq!(number(&histogram["min"]), number(&tally["min"]), "{model}: {name}");
                assert_eq!(number(&histogram["max"]), number(&tally["max"]), "{model}: {name}");
                let bins = histogram["counts"].as_array().expect("counts").len() as f64;
                let (start, width) = (number(&histogram["start"]), number(&histogram["width"]));
                assert!(start <= number(&tally["min"]) && number(&tally["max"]) < start + bins * width, "{model}");
                *pooled.entry((combination, name.clone())).or_default() += count;
                checked += 1;
            }
        }
        // Per combination: the replications' samples pooled.
        for ((combination, name), count) in pooled {
            let histogram = &report["runs"][combination as usize]["tallies"][&name]["histogram"];
            assert_eq!(histogram_total(histogram), count, "{model}: {name} pooled");
            assert!(histogram["counts"].as_array().expect("counts").len() <= 32);
        }
    }
    assert!(checked >= 15, "only {checked} histograms checked");
}
