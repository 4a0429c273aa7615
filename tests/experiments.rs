//! Replications, sweeps, shards and merges through the built `usimc`
//! (docs/experiments.md): reports are byte-identical whatever `--jobs` is
//! and from one run to the next, sharded runs merge into exactly the
//! unsharded report in every format, and each refusal says what is wrong
//! with its exact message and exit code. The models are in
//! `tests/fixtures/experiments/`; usimc runs in the crate root with their
//! relative paths, so messages name them the same on every machine.

use std::path::{Path, PathBuf};
use std::process::Command;

const COUNTER: &str = "tests/fixtures/experiments/counter.usim";
const FAILS_AT_TWO: &str = "tests/fixtures/experiments/fails_at_two.usim";
const CAPACITY: &str = "tests/fixtures/experiments/capacity_from_a_param.usim";
const EXACT: &str = "tests/fixtures/experiments/exact.usim";

#[derive(Debug, PartialEq, Eq)]
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn usimc(args: &[&str]) -> Ended {
    let output = Command::new(env!("CARGO_BIN_EXE_usimc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("usimc runs");
    Ended {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A fresh folder of this test's own.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("experiments").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Runs `usimc run MODEL ARGS... --out FILE` and returns stdout (the
/// models' output) and the report.
fn run_with_report(dir: &Path, name: &str, model: &str, args: &[&str]) -> (String, String) {
    let out = dir.join(name);
    let out_arg = out.to_string_lossy().into_owned();
    let mut all = vec!["run", model];
    all.extend_from_slice(args);
    all.extend(["--out", &out_arg]);
    let ended = usimc(&all);
    assert_eq!(ended.code, Some(0), "usimc {all:?} failed:\n{}", ended.stderr);
    assert_eq!(ended.stderr, "", "usimc {all:?} said something on stderr");
    (ended.stdout, text(&out))
}

/// Asserts that usimc ended with `code`, printed nothing on stdout and
/// exactly `stderr` on stderr.
fn assert_refused(args: &[&str], code: i32, stderr: &str) {
    let ended = usimc(args);
    assert_eq!(ended, Ended { code: Some(code), stdout: String::new(), stderr: stderr.to_string() }, "usimc {args:?}");
}

#[test]
fn replications_give_the_same_output_and_report_whatever_the_jobs() {
    let dir = scratch("replications_jobs");
    for format in ["json", "table", "csv"] {
        let first = run_with_report(&dir, "first", COUNTER, &["--reps", "7", "--report", format, "--jobs", "1"]);
        for jobs in ["1", "2", "4"] {
            let again = run_with_report(&dir, jobs, COUNTER, &["--reps", "7", "--report", format, "--jobs", jobs]);
            assert_eq!(again, first, "--jobs {jobs} --report {format}");
        }
        assert_eq!(first.0.lines().count(), 7, "one line per replication:\n{}", first.0);
    }
}

#[test]
fn sweeps_give_the_same_output_and_report_whatever_the_jobs() {
    let dir = scratch("sweeps_jobs");
    let sweep = ["--set", "SERVERS=1,2", "--set", "CUSTOMERS=3,5,8", "--reps", "2"];
    for format in ["json", "table", "csv"] {
        let with = |jobs: &str| {
            let mut args = sweep.to_vec();
            args.extend(["--report", format, "--jobs", jobs]);
            run_with_report(&dir, jobs, COUNTER, &args)
        };
        let first = with("1");
        assert_eq!(with("2"), first, "--jobs 2 --report {format}");
        assert_eq!(with("4"), first, "--jobs 4 --report {format}");
        assert_eq!(with("4"), first, "a rerun of --jobs 4 --report {format}");
    }
    // The first --set varies slowest; every run's output comes whole, in run order.
    let (stdout, _) = run_with_report(&dir, "order", COUNTER, &[&sweep[..], &["--jobs", "3"]].concat());
    let servers: Vec<&str> = stdout.lines().map(|l| l.rsplit_once(' ').map_or("", |(_, s)| s)).collect();
    let customers: Vec<&str> = stdout.lines().map(|l| l.split(' ').nth(2).unwrap_or("")).collect();
    assert_eq!(servers, [["(SERVERS=1)"; 6], ["(SERVERS=2)"; 6]].concat(), "{stdout}");
    assert_eq!(customers, ["3", "3", "5", "5", "8", "8", "3", "3", "5", "5", "8", "8"], "{stdout}");
}

#[test]
fn replication_zero_is_the_plain_run() {
    let dir = scratch("replication_zero");
    let (plain, plain_report) = run_with_report(&dir, "plain", COUNTER, &["--report", "json"]);
    let (reps, _) = run_with_report(&dir, "reps", COUNTER, &["--reps", "3", "--report", "json"]);
    assert!(reps.starts_with(&plain), "{plain}\nis not where\n{reps}\nbegins");
    assert_ne!(reps.lines().nth(1), reps.lines().next(), "replications 0 and 1 drew the same numbers");
    // With one replication the report is the plain run's, by the same path.
    let (_, one) = run_with_report(&dir, "one", COUNTER, &["--reps", "1", "--report", "json"]);
    assert_eq!(one, plain_report);
}

#[test]
fn another_seed_gives_another_report() {
    let dir = scratch("another_seed");
    let (out1, report1) = run_with_report(&dir, "1", COUNTER, &["--reps", "3", "--report", "json"]);
    let (out2, report2) = run_with_report(&dir, "2", COUNTER, &["--reps", "3", "--report", "json", "--seed", "2"]);
    assert_ne!(out1, out2);
    assert_ne!(report1.replace("\"seed\": 1", ""), report2.replace("\"seed\": 2", ""));
    assert!(report2.contains("\n  \"seed\": 2,\n"), "{report2}");
}

#[test]
fn shards_merged_give_exactly_the_unsharded_report_in_every_format() {
    let dir = scratch("shards");
    // 2 x 2 combinations x 3 replications: 12 runs.
    let grid = ["--set", "SERVERS=1,2", "--set", "PATIENT=true,false", "--reps", "3", "--warmup", "0.5"];
    for count in [1u32, 2, 5, 12, 17] {
        let mut parts = Vec::new();
        let mut outputs = String::new();
        for index in 1..=count {
            let name = format!("part-{index}-of-{count}.json");
            let shard = format!("{index}/{count}");
            let (stdout, _) = run_with_report(&dir, &name, COUNTER, &[&grid[..], &["--shard", &shard]].concat());
            outputs.push_str(&stdout);
            parts.push(dir.join(name).to_string_lossy().into_owned());
        }
        for format in ["json", "table", "csv"] {
            let (stdout, unsharded) =
                run_with_report(&dir, "whole", COUNTER, &[&grid[..], &["--report", format]].concat());
            // The shards together printed what the unsharded run printed.
            assert_eq!(outputs, stdout, "{count} shards");
            let mut args = vec!["merge"];
            // In any order.
            args.extend(parts.iter().rev().map(String::as_str));
            args.extend(["--report", format]);
            let merged = usimc(&args);
            assert_eq!(merged.code, Some(0), "{}", merged.stderr);
            assert_eq!(merged.stdout, unsharded, "{count} shards merged as {format}");
            // --out too.
            let out = dir.join("merged").to_string_lossy().into_owned();
            args.extend(["--out", &out]);
            assert_eq!(usimc(&args).code, Some(0));
            assert_eq!(text(Path::new(&out)), unsharded);
        }
    }
}

#[test]
fn the_default_report_of_merge_is_the_table() {
    let dir = scratch("merge_default");
    run_with_report(&dir, "p1.json", EXACT, &["--shard", "1/2"]);
    run_with_report(&dir, "p2.json", EXACT, &["--shard", "2/2"]);
    let (_, table) = run_with_report(&dir, "whole", EXACT, &[]);
    let p1 = dir.join("p1.json").to_string_lossy().into_owned();
    let p2 = dir.join("p2.json").to_string_lossy().into_owned();
    let merged = usimc(&["merge", &p1, &p2]);
    assert_eq!(merged, Ended { code: Some(0), stdout: table, stderr: String::new() });
}

#[test]
fn the_figures_of_a_deterministic_model_are_exact() {
    let dir = scratch("exact");
    let (stdout, json) = run_with_report(&dir, "r.json", EXACT, &["--report", "json"]);
    assert_eq!(stdout, "done at 5\n");
    assert_eq!(
        json,
        r#"{
  "model": "exact.usim",
  "seed": 1,
  "replications": 1,
  "runs": [
    {
      "params": {},
      "end_time": 5.0,
      "events": 7,
      "tallies": {
        "hold": {
          "count": 2,
          "mean": 2.0,
          "std": 0.0,
          "min": 2.0,
          "max": 2.0,
          "p50": 2.0,
          "p95": 2.0,
          "p99": 2.0,
          "mser5_warmup": "NaN",
          "histogram": {
            "min": 2.0,
            "max": 2.0,
            "start": 2.0,
            "width": 2.0,
            "counts": [2]
          }
        }
      },
      "vars": {
        "level": {
          "final": 5,
          "mean": 2.8,
          "min": 0,
          "max": 5
        }
      },
      "locks": {
        "desk": {
          "capacity": 1,
          "acquired": 2,
          "utilization": 0.8,
          "mean_queue": 0.2,
          "max_queue": 1,
          "mean_wait": 0.5,
          "max_wait": 1.0
        }
      },
      "queues": {},
      "resources": {},
      "ended_by": "no_events",
      "waiting": []
    }
  ]
}
"#
    );
    let (_, table) = run_with_report(&dir, "r.txt", EXACT, &[]);
    assert_eq!(
        table,
        "\
end time  5
events    7
ended by  no_events

tally          count  mean  std  min  max  p50  p95  p99  mser5_warmup
hold           2      2     0    2    2    2    2    2    NaN

var            final  mean  min  max
level          5      2.8   0    5

lock           capacity  acquired  utilization  mean_queue  max_queue  mean_wait  max_wait
desk           1         2         0.8          0.2         1          0.5        1
"
    );
    let (_, csv) = run_with_report(&dir, "r.csv", EXACT, &["--report", "csv", "--reps", "2"]);
    assert_eq!(
        csv,
        "\
run,kind,name,statistic,mean,ci95,min,max
0,run,,end_time,5.0,0.0,5.0,5.0
0,run,,events,7.0,0.0,7,7
0,tally,hold,count,2.0,0.0,2,2
0,tally,hold,mean,2.0,0.0,2.0,2.0
0,tally,hold,std,0.0,0.0,0.0,0.0
0,tally,hold,min,2.0,0.0,2.0,2.0
0,tally,hold,max,2.0,0.0,2.0,2.0
0,tally,hold,p50,2.0,0.0,2.0,2.0
0,tally,hold,p95,2.0,0.0,2.0,2.0
0,tally,hold,p99,2.0,0.0,2.0,2.0
0,tally,hold,mser5_warmup,NaN,NaN,NaN,NaN
0,var,level,final,5.0,0.0,5,5
0,var,level,mean,2.8,0.0,2.8,2.8
0,var,level,min,0.0,0.0,0,0
0,var,level,max,5.0,0.0,5,5
0,lock,desk,capacity,1,0.0,1,1
0,lock,desk,acquired,2.0,0.0,2,2
0,lock,desk,utilization,0.8,0.0,0.8,0.8
0,lock,desk,mean_queue,0.2,0.0,0.2,0.2
0,lock,desk,max_queue,1.0,0.0,1,1
0,lock,desk,mean_wait,0.5,0.0,0.5,0.5
0,lock,desk,max_wait,1.0,0.0,1.0,1.0
"
    );
}

#[test]
fn a_sweep_csv_has_a_column_per_param_and_a_run_per_combination() {
    let dir = scratch("sweep_csv");
    let (_, csv) = run_with_report(&dir, "r.csv", COUNTER, &["--set", "SERVERS=1,3", "--report", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "run,CUSTOMERS,SERVERS,PATIENT,SERVICE,kind,name,statistic,value");
    assert!(lines[1].starts_with("0,6,1,true,1.5,run,,end_time,"), "{csv}");
    assert!(lines.contains(&"1,6,3,true,1.5,lock,tellers,capacity,3"), "{csv}");
    assert!(lines.contains(&"1,6,3,true,1.5,queue,door,capacity,"), "{csv}");
    assert_eq!(lines.iter().filter(|l| l.contains(",run,,events,")).count(), 2);
}

#[test]
fn replications_zero_is_refused() {
    assert_refused(
        &["run", COUNTER, "--reps", "0"],
        2,
        "error: invalid value '0' for '--reps <N>': the number of replications must be at least 1\n\n\
         For more information, try '--help'.\n",
    );
}

#[test]
fn shards_that_do_not_exist_are_refused() {
    for (shard, why) in [
        ("4/3", "shards are numbered from 1 to N, here from 1 to 3"),
        ("0/3", "shards are numbered from 1 to N, here from 1 to 3"),
        ("1/0", "the number of shards N must be at least 1"),
        ("x/2", "write K/N with whole numbers: the K-th of N shards, e.g. 3/8"),
    ] {
        assert_refused(
            &["run", COUNTER, "--shard", shard],
            2,
            &format!(
                "error: invalid value '{shard}' for '--shard <K/N>': {why}\n\nFor more information, try '--help'.\n"
            ),
        );
    }
}

#[test]
fn a_shard_writes_a_part_file_not_a_table() {
    assert_refused(
        &["run", COUNTER, "--shard", "1/2", "--report", "table"],
        2,
        "error: --report table needs every run, and --shard runs only some: a shard writes a JSON part file; \
         merge the parts with `usimc merge PART.json... --report table`\n",
    );
}

#[test]
fn sweep_values_of_the_wrong_type_or_empty_are_refused_before_anything_runs() {
    assert_refused(
        &["run", COUNTER, "--set", "SERVERS=1,two,3"],
        2,
        "error: --set SERVERS=two: `SERVERS` is an int; give a literal as a model would write it \
         (like 10, -3 or 1_000)\n",
    );
    assert_refused(
        &["run", COUNTER, "--set", "SERVICE=1.5,x"],
        2,
        "error: --set SERVICE=x: `SERVICE` is a float; give a literal as a model would write it \
         (like 2.5, 1e-3 or 10; not inf or nan)\n",
    );
    assert_refused(
        &["run", COUNTER, "--set", "SERVERS=1,,2"],
        2,
        "error: --set SERVERS=1,,2: value 2 of the 3 values of `SERVERS` is empty\n",
    );
    assert_refused(
        &["run", COUNTER, "--set", "SERVERS=1,2", "--set", "SERVERS=3"],
        2,
        "error: --set SERVERS is given twice; give each param once\n",
    );
}

#[test]
fn a_compile_error_at_one_point_says_which() {
    let ended = usimc(&["run", CAPACITY, "--set", "N=1,0,2"]);
    assert_eq!(ended.code, Some(1));
    assert_eq!(ended.stdout, "");
    assert_eq!(
        ended.stderr,
        "\
with N=0:
error[E0116]: `capacity` must be a positive int
  ┌─ tests/fixtures/experiments/capacity_from_a_param.usim:3:22
  │
3 │ lock desks(capacity: N)
  │                      ^ got 0
  │
  = this comes from `--set N=0`: without it the model has no such error

tests/fixtures/experiments/capacity_from_a_param.usim: 1 error found
"
    );
}

#[test]
fn a_runtime_error_in_the_middle_of_a_sweep_writes_the_runs_before_it() {
    for jobs in ["1", "2", "3"] {
        let ended = usimc(&["run", FAILS_AT_TWO, "--set", "N=1,2,3", "--jobs", jobs]);
        assert_eq!(ended.code, Some(3), "--jobs {jobs}");
        assert_eq!(ended.stdout, "N=1 starts\nN=1 ends\nN=2 starts\n", "--jobs {jobs}");
        assert_eq!(
            ended.stderr,
            "\
error[R0001]: N is two
  ┌─ tests/fixtures/experiments/fails_at_two.usim:8:14
  │
8 │         fail(\"N is two\")
  │              ^^^^^^^^^^ N is two
  │
  = at simulated time 1 in process p

usimc: in the run with N=2
",
            "--jobs {jobs}"
        );
    }
    let ended = usimc(&["run", FAILS_AT_TWO, "--set", "N=1,2", "--reps", "2"]);
    assert_eq!(ended.code, Some(3));
    assert_eq!(ended.stdout, "N=1 starts\nN=1 ends\nN=1 starts\nN=1 ends\nN=2 starts\n");
    assert!(ended.stderr.ends_with("\nusimc: in the run with N=2, replication 0\n"), "{}", ended.stderr);
}

#[test]
fn a_report_file_that_cannot_be_written_is_refused_before_the_runs() {
    assert_refused(
        &["run", COUNTER, "--reps", "3", "--out", "/nonexistent/usimc/report.json"],
        2,
        "usimc: cannot write the report to /nonexistent/usimc/report.json: No such file or directory (os error 2)\n",
    );
    let dir = scratch("merge_out");
    run_with_report(&dir, "p.json", EXACT, &["--shard", "1/1"]);
    let part = dir.join("p.json").to_string_lossy().into_owned();
    assert_refused(
        &["merge", &part, "--out", "/nonexistent/usimc/report.json"],
        2,
        "usimc: cannot write the report to /nonexistent/usimc/report.json: No such file or directory (os error 2)\n",
    );
}

#[test]
fn a_run_that_ends_before_the_warmup_says_so_once() {
    let ended = usimc(&["run", EXACT, "--warmup", "10", "--reps", "3", "--out", "/dev/null"]);
    assert_eq!(ended.code, Some(0));
    assert_eq!(
        ended.stderr,
        "usimc: warning: replication 0 ended at 5, before --warmup 10: no statistics were gathered \
         (and 2 more runs)\n"
    );
    let ended = usimc(&["run", EXACT, "--warmup", "10", "--out", "/dev/null"]);
    assert_eq!(ended.stderr, "usimc: warning: the run ended at 5, before --warmup 10: no statistics were gathered\n");
    let ended = usimc(&["run", EXACT, "--warmup", "5", "--out", "/dev/null"]);
    assert_eq!((ended.code, ended.stderr.as_str()), (Some(0), ""));
}

/// Part files of `args` for shards 1/2 and 2/2 of the exact model, in `dir`.
fn parts(dir: &Path, prefix: &str, model: &str, args: &[&str]) -> [String; 2] {
    ["1", "2"].map(|k| {
        let name = format!("{prefix}-{k}.json");
        run_with_report(dir, &name, model, &[args, &["--shard", &format!("{k}/2")]].concat());
        dir.join(name).to_string_lossy().into_owned()
    })
}

#[test]
fn merge_refuses_parts_that_do_not_belong_together() {
    let dir = scratch("merge_refusals");
    let [a1, a2] = parts(&dir, "a", COUNTER, &["--reps", "2"]);
    let [b1, _] = parts(&dir, "b", EXACT, &["--reps", "2"]);
    let [c1, _] = parts(&dir, "c", COUNTER, &["--reps", "2", "--seed", "2"]);
    let [d1, _] = parts(&dir, "d", COUNTER, &["--reps", "3"]);
    let [e1, _] = parts(&dir, "e", COUNTER, &["--reps", "2", "--set", "SERVERS=1,2"]);
    let [f1, _] = parts(&dir, "f", COUNTER, &["--reps", "2", "--until", "3"]);
    let cases = [
        (&a1, &b1, "they come from different models (their sources differ)"),
        (&a1, &c1, "they were run with different seeds (1 and 2)"),
        (&a1, &d1, "they were run with different replication counts (2 and 3)"),
        (&a1, &e1, "they were run with different --set values (none and SERVERS=1,2)"),
        (&a1, &f1, "they were run with different --until (none and 3)"),
    ];
    for (first, second, why) in cases {
        assert_refused(&["merge", first, second], 2, &format!("error: cannot merge {first} and {second}: {why}\n"));
    }
    assert_refused(&["merge", &a2], 2, "error: cannot merge: shard 1/2 is missing\n");
    assert_refused(&["merge", &a1, &a2, &a1], 2, &format!("error: cannot merge {a1} and {a1}: both are shard 1/2\n"));
    assert_refused(&["merge"], 2, "error: usimc merge needs the part files of every shard: usimc merge PART.json...\n");
    let not_a_part = dir.join("not-a-part.json");
    std::fs::write(&not_a_part, "{\"model\": \"m.usim\"}\n").expect("a file");
    let not_a_part = not_a_part.to_string_lossy().into_owned();
    assert_refused(
        &["merge", &not_a_part],
        2,
        &format!("error: cannot merge {not_a_part}: it is not a part file (made by `usimc run --shard K/N`)\n"),
    );
    let missing = dir.join("missing.json").to_string_lossy().into_owned();
    assert_refused(
        &["merge", &missing],
        2,
        &format!("usimc: cannot read the part {missing}: No such file or directory (os error 2)\n"),
    );
}

#[test]
fn a_part_file_holds_what_merge_needs() {
    let dir = scratch("part_file");
    let (_, part) = run_with_report(&dir, "p.json", EXACT, &["--shard", "2/3", "--reps", "4", "--until", "4.5"]);
    let head =
        "{\n  \"format\": \"usimc part\",\n  \"version\": 2,\n  \"model\": \"exact.usim\",\n  \"model_sha256\": \"";
    assert!(part.starts_with(head), "{part}");
    let tail = "\",
  \"seed\": 1,
  \"replications\": 4,
  \"flags\": {
    \"until\": 4.5,
    \"warmup\": null,
    \"tie_order\": \"fifo\",
    \"max_processes\": 1000000,
    \"set\": []
  },
  \"shard\": \"2/3\",
  \"combinations\": 1,
  \"grid_runs\": 4,
  \"slice\": [
    1,
    2
  ],
  \"runs\": [
    {
      \"run\": 1,
      \"params\": {},
      \"end_time\": 4.5,
";
    let after_hash = &part[head.len() + 64..];
    assert!(after_hash.starts_with(tail), "{part}");
}

/// Whether `actual` matches `expected`, where an expected line `...` stands
/// for any number of lines (none too).
fn lines_match(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..])),
        Some((line, rest)) => actual.first() == Some(line) && lines_match(rest, &actual[1..]),
    }
}

#[test]
fn lines_match_with_elisions() {
    assert!(lines_match(&["a", "...", "d"], &["a", "b", "c", "d"]));
    assert!(lines_match(&["a", "...", "b"], &["a", "b"]));
    assert!(lines_match(&["..."], &[]));
    assert!(!lines_match(&["a", "...", "d"], &["a", "b", "c"]));
    assert!(!lines_match(&["a"], &["a", "b"]));
}

/// A folder with a copy of `examples/`, where the docs' commands run.
fn examples_copy(test: &str) -> PathBuf {
    let dir = scratch(test);
    std::fs::create_dir_all(dir.join("examples")).expect("a folder");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(&examples).expect("examples/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "usim") {
            std::fs::copy(&path, dir.join("examples").join(path.file_name().expect("a name"))).expect("a copy");
        }
    }
    dir
}

#[test]
fn the_transcripts_of_the_experiments_page_are_what_usimc_prints() {
    let page = text(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/experiments.md"));
    let dir = examples_copy("docs");
    let mut checked = 0;
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```console" {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
        let mut rest = block.as_slice();
        while let Some((command, after)) = rest.split_first() {
            let args = command.strip_prefix("$ usimc ").unwrap_or_else(|| panic!("not a command: {command}"));
            let end = after.iter().position(|l| l.starts_with("$ ")).unwrap_or(after.len());
            let (expected, next) = after.split_at(end);
            let output = Command::new(env!("CARGO_BIN_EXE_usimc"))
                .current_dir(&dir)
                .args(args.split_whitespace())
                .output()
                .expect("usimc runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert_eq!(output.status.code(), Some(0), "{command}: {}", String::from_utf8_lossy(&output.stderr));
            let actual: Vec<&str> = stdout.lines().collect();
            assert!(
                lines_match(expected, &actual),
                "docs/experiments.md: `{command}` prints\n{stdout}\nnot what the page shows:\n{}",
                expected.join("\n")
            );
            checked += 1;
            rest = next;
        }
    }
    assert!(checked >= 6, "only {checked} commands found in docs/experiments.md");
}

/// Writes an executable stand-in for a cluster tool into `bin`.
fn stand_in(bin: &Path, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = bin.join(name);
    std::fs::write(&path, script).expect("a stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("executable");
}

/// Runs `scripts/NAME` with `bin` first on the PATH; returns its report.
fn run_script(name: &str, dir: &Path, bin: &Path, report: &str, args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.join("out");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("bash")
        .arg(root.join("scripts").join(name))
        .args(args)
        .current_dir(root)
        .env("PATH", path)
        .env("USIMC", env!("CARGO_BIN_EXE_usimc"))
        .env("DIR", &out)
        .env("REPORT", report)
        .output()
        .expect("bash runs");
    assert_eq!(output.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&output.stderr));
    text(&out.join(format!("report.{report}")))
}

#[test]
fn the_slurm_script_submits_an_array_and_a_merge_that_gives_the_unsharded_report() {
    let dir = scratch("slurm");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("a folder");
    // Runs each --wrap at once, with sh as Slurm does: the array's once per
    // index, with SLURM_ARRAY_TASK_ID set; says a job id as --parsable does.
    stand_in(
        &bin,
        "sbatch",
        r#"#!/usr/bin/env bash
echo "$@" >> "$(dirname "$0")/sbatch.log"
array= wrap= out=
for a in "$@"; do
    case $a in
        --array=*) array=${a#--array=} ;;
        --wrap=*) wrap=${a#--wrap=} ;;
        --output=*) out=${a#--output=} ;;
    esac
done
if [ -n "$array" ]; then
    for k in $(seq "${array%-*}" "${array#*-}"); do
        SLURM_ARRAY_TASK_ID=$k sh -c "$wrap" > "${out//%a/$k}" 2>&1 || exit 1
    done
    echo "41;cluster"
else
    sh -c "$wrap" > "$out" 2>&1 || exit 1
    echo "42"
fi
"#,
    );
    let grid = ["--set", "SERVERS=1,2", "--reps", "3"];
    let report = run_script("slurm_sweep.sh", &dir, &bin, "csv", &[&["4", COUNTER][..], &grid].concat());
    let (_, unsharded) = run_with_report(&dir, "whole.csv", COUNTER, &[&grid[..], &["--report", "csv"]].concat());
    assert_eq!(report, unsharded);
    let log = text(&bin.join("sbatch.log"));
    let submissions: Vec<&str> = log.lines().collect();
    assert_eq!(submissions.len(), 2, "{log}");
    assert!(submissions[0].starts_with("--parsable --array=1-4 --job-name=usimc-shard "), "{log}");
    assert!(submissions[0].contains(" --shard $SLURM_ARRAY_TASK_ID/4 --out "), "{log}");
    assert!(submissions[1].starts_with("--parsable --dependency=afterok:41 --job-name=usimc-merge "), "{log}");
    // Each task's print output is in its log.
    let task_2 = text(&dir.join("out/shard-2.log"));
    assert_eq!(task_2.lines().count(), 2, "{task_2}");
}

#[test]
fn the_parallel_script_runs_every_shard_and_merges_them_into_the_unsharded_report() {
    let dir = scratch("parallel");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("a folder");
    // GNU parallel's -q: the command's arguments as they are, {} replaced
    // by each value after :::, here one at a time.
    stand_in(
        &bin,
        "parallel",
        r#"#!/usr/bin/env bash
echo "$@" >> "$(dirname "$0")/parallel.log"
while [ $# -gt 0 ]; do
    case $1 in
        -q) shift ;;
        --halt|--jobs|--sshlogin) shift 2 ;;
        *) break ;;
    esac
done
command=()
while [ "$1" != ":::" ]; do command+=("$1"); shift; done
shift
for value in "$@"; do
    run=()
    for word in "${command[@]}"; do run+=("${word//\{\}/$value}"); done
    "${run[@]}" || exit 1
done
"#,
    );
    let grid = ["--set", "CUSTOMERS=2,4,6", "--reps", "2", "--warmup", "0.5"];
    let report = run_script("parallel_sweep.sh", &dir, &bin, "json", &[&["5", COUNTER][..], &grid].concat());
    let (stdout, unsharded) =
        run_with_report(&dir, "whole.json", COUNTER, &[&grid[..], &["--report", "json"]].concat());
    assert_eq!(report, unsharded);
    // The shards' outputs, in shard order, are the unsharded run's.
    let outputs: String = (1..=5).map(|k| text(&dir.join(format!("out/shard-{k}.out")))).collect();
    assert_eq!(outputs, stdout);
    let log = text(&bin.join("parallel.log"));
    assert!(log.starts_with("-q --halt now,fail=1 sh -c "), "{log}");
    assert!(log.ends_with(" ::: 1 2 3 4 5\n"), "{log}");
}

#[test]
fn a_failed_write_of_the_output_of_several_runs_is_exit_2() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let output = Command::new(env!("CARGO_BIN_EXE_usimc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", COUNTER, "--reps", "3", "--jobs", "2", "--out", "/dev/null"])
        .stdout(full)
        .output()
        .expect("usimc runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "usimc: cannot write the model's output to stdout: No space left on device (os error 28)\n"
    );
}
