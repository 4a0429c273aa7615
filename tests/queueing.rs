//! Validation against queueing theory: the example models `mm1`, `mmc`,
//! `md1` and `mm1_queue` run through the built `usimc` with `--report json`,
//! and their statistics must reproduce the textbook figures: the mean wait
//! in queue of M/M/1, M/M/c (Erlang C) and M/D/1 (Pollaczek-Khinchine), the
//! server's utilization, and Little's law for a queue and for a lock.
//!
//! **How the comparisons are judged.** A replication's mean wait is a random
//! number; `--reps R` reports the mean of R of them and the half-width of
//! the 95% Student t interval around it (`ci95`). Such an interval holds the
//! true value for 95% of seeds, so a test that asks for "within ci95" fails
//! for one seed in twenty, and this file makes six such checks. The seed
//! is fixed up front (the default, 1), and every check asks for the theory
//! within [`BAND`] times ci95: with 20 replications that is 6.3 standard
//! errors, which a correct implementation misses for about one seed in
//! 200,000 per check (Student t, 19 degrees of freedom). The runs start
//! empty, which biases the mean wait downwards; at 50,000 customers that
//! bias was too small to see over 80 seeds (M/M/1 at 80% load: within one
//! standard error, 0.6% of Wq), against a ci95 of about 2% here.
//!
//! So that a wide band cannot hide a wrong figure, each check also asks for
//! the interval to be narrow (`ci95` under a stated fraction of the value).
//! With the intervals these runs give (ci95 about 2% of Wq and 0.3% of ρ for
//! M/M/1), a mean wait off by more than about 6%, or a utilization off by
//! more than 1%, fails: the M/M/1 run with μ = 0.99 instead of 1 puts the
//! utilization 4.4 half-widths from 0.8.
//!
//! Sizes: 50,000 customers and 20 replications per model (150,000 events a
//! replication). The whole file takes about a second in the release build
//! and a few seconds in the dev profile.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Replications of each theory check.
const REPS: &str = "20";
/// Customers per replication, passed with `--set CUSTOMERS=` (the examples
/// themselves default to 1,000, to stay quick to read and run).
const CUSTOMERS: u64 = 50_000;
/// How many `ci95` half-widths the theory may lie from the mean; see the module doc.
const BAND: f64 = 3.0;

/// Runs `usimc run examples/MODEL ARGS... --report json --out FILE` from the
/// crate root and returns the parsed report. `label` names the report file,
/// so tests running at once never share one.
fn report(label: &str, model: &str, args: &[&str]) -> Value {
    let text = report_text(label, model, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{label}: the report is not JSON ({e}):\n{text}"))
}

/// The report's text, as [`report`] runs it.
fn report_text(label: &str, model: &str, args: &[&str]) -> String {
    let out = report_path(label);
    let output = Command::new(env!("CARGO_BIN_EXE_usimc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .arg(Path::new("examples").join(model))
        .args(args)
        .args(["--report", "json", "--out"])
        .arg(&out)
        .output()
        .expect("cannot start usimc");
    assert_eq!(
        output.status.code(),
        Some(0),
        "`usimc run examples/{model} {}` failed; stderr:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{label}: cannot read {}: {e}", out.display()));
    // Best effort: a report left behind in the target directory does no harm.
    let _ = std::fs::remove_file(&out);
    text
}

fn report_path(label: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("queueing-{label}-{}.json", std::process::id()))
}

/// The only run of a report (no sweep here).
fn only_run(mut report: Value) -> Value {
    let runs = report["runs"].as_array_mut().expect("the report has no `runs` array");
    assert_eq!(runs.len(), 1, "expected one run (no sweep), got {}", runs.len());
    runs.pop().expect("one run")
}

/// A number of the report; the JSON writes a figure without a value as the string "NaN".
fn number(value: &Value, what: &str) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().expect("a JSON number is an f64"),
        Value::String(s) if s == "NaN" => f64::NAN,
        other => panic!("{what}: expected a number, found {other}"),
    }
}

/// The figure at `path` in a run of a report made with `--reps 1`: a plain number.
fn figure(run: &Value, path: &[&str]) -> f64 {
    let value = path.iter().fold(run, |v, key| &v[*key]);
    number(value, &path.join("."))
}

/// A figure across replications (`--reps` above 1): `{"mean","ci95","min","max"}`.
#[derive(Debug, Clone, Copy)]
struct Across {
    mean: f64,
    ci95: f64,
    min: f64,
    max: f64,
}

fn across(run: &Value, path: &[&str]) -> Across {
    let name = path.join(".");
    let value = path.iter().fold(run, |v, key| &v[*key]);
    assert!(
        value.is_object(),
        "{name}: expected {{\"mean\",\"ci95\",\"min\",\"max\"}} across replications, found {value}"
    );
    let field = |key: &str| number(&value[key], &format!("{name}.{key}"));
    Across { mean: field("mean"), ci95: field("ci95"), min: field("min"), max: field("max") }
}

/// The mean across replications lies within [`BAND`] × ci95 of `theory`, and
/// the interval is narrower than `max_relative` of the theory's value (so
/// that the check can fail), yet not zero (the replications differ).
fn assert_matches_theory(what: &str, measured: Across, theory: f64, max_relative: f64) {
    assert!(
        measured.ci95 > 0.0 && measured.min < measured.max,
        "{what}: the replications all gave the same figure ({measured:?}); are they independent?"
    );
    assert!(
        measured.ci95 < max_relative * theory,
        "{what}: the 95% interval ±{} is too wide to test anything (more than {}% of the theory's {theory})",
        measured.ci95,
        100.0 * max_relative
    );
    assert!(
        (measured.mean - theory).abs() <= BAND * measured.ci95,
        "{what}: measured {} ± {} (95%, {REPS} replications), theory {theory}: {:.1} half-widths away",
        measured.mean,
        measured.ci95,
        (measured.mean - theory).abs() / measured.ci95
    );
}

/// `a` and `b` are the same figure computed along two paths (sums in another
/// order): equal to 1e-9 relative.
fn assert_same(what: &str, a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()), "{what}: {a} and {b} differ");
}

/// Erlang's C formula: the probability that an arrival to an M/M/c queue
/// with offered load `a` = λ/μ waits,
/// `(a^c / c!) / ((1 - ρ) Σ_{k<c} a^k / k! + a^c / c!)` with ρ = a / c.
fn erlang_c(a: f64, c: u32) -> f64 {
    let factorial = |n: u32| (1..=n).map(f64::from).product::<f64>();
    let last = a.powi(c as i32) / factorial(c);
    let below: f64 = (0..c).map(|k| a.powi(k as i32) / factorial(k)).sum();
    let rho = a / f64::from(c);
    last / ((1.0 - rho) * below + last)
}

#[test]
fn erlang_c_agrees_with_cases_worked_by_hand() {
    // One server: an arrival waits exactly when the server is busy, P = ρ.
    assert_same("c=1", erlang_c(0.8, 1), 0.8);
    // Two servers, a = 1: (1/2) / ((1/2)(1 + 1) + 1/2) = 1/3.
    assert_same("c=2, a=1", erlang_c(1.0, 2), 1.0 / 3.0);
    // Three servers, a = 2.4: a^3 / 3! = 2.304, and 1 + 2.4 + 2.88 below it,
    // so 2.304 / (0.2 × 6.28 + 2.304) = 0.647191...
    assert_same("c=3, a=2.4", erlang_c(2.4, 3), 2.304 / (0.2 * (1.0 + 2.4 + 2.88) + 2.304));
}

/// A report of `--reps` [`REPS`] of `model` with [`CUSTOMERS`] customers
/// and these params; its only run.
fn replications(model: &str, params: &[(&str, f64)]) -> Value {
    let mut args = vec!["--reps".to_string(), REPS.to_string(), "--set".into(), format!("CUSTOMERS={CUSTOMERS}")];
    for (name, value) in params {
        args.extend(["--set".to_string(), format!("{name}={value}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = report(model, model, &args);
    assert_eq!(report["replications"].to_string(), REPS, "{model}: the report's replications");
    only_run(report)
}

#[test]
fn mm1_wait_and_utilization_match_theory() {
    let (lambda, mu) = (0.8, 1.0);
    let run = &replications("mm1.usim", &[("LAMBDA", lambda), ("MU", mu)]);
    let rho: f64 = lambda / mu;
    let wq = rho / (mu - lambda);

    // Every customer is granted the server once and records one wait.
    for path in [&["locks", "server", "acquired"][..], &["tallies", "wait", "count"], &["vars", "served", "final"]] {
        let count = across(run, path);
        assert_eq!((count.mean, count.ci95), (CUSTOMERS as f64, 0.0), "{}", path.join("."));
    }
    let wait = across(run, &["tallies", "wait", "mean"]);
    assert_matches_theory("M/M/1 mean wait in queue", wait, wq, 0.05);
    assert_matches_theory("M/M/1 utilization", across(run, &["locks", "server", "utilization"]), rho, 0.01);

    // The lock's own wait (request to grant) is the wait the customers record
    // (arrival to the grant), in every replication, so also across them.
    let lock_wait = across(run, &["locks", "server", "mean_wait"]);
    assert_same("mean of the lock's mean_wait", lock_wait.mean, wait.mean);
    assert_same("ci95 of the lock's mean_wait", lock_wait.ci95, wait.ci95);
    assert_same("smallest lock mean_wait", lock_wait.min, wait.min);
    assert_same("largest lock mean_wait", lock_wait.max, wait.max);
    assert_same(
        "the longest wait",
        across(run, &["locks", "server", "max_wait"]).mean,
        across(run, &["tallies", "wait", "max"]).mean,
    );
}

#[test]
fn mmc_wait_matches_erlang_c() {
    let (lambda, mu, c): (f64, f64, u32) = (2.4, 1.0, 3);
    let run = &replications("mmc.usim", &[("LAMBDA", lambda), ("MU", mu), ("C", f64::from(c))]);
    let wq = erlang_c(lambda / mu, c) / (f64::from(c) * mu - lambda);
    let rho = lambda / (f64::from(c) * mu);

    // A capacity is the same in every replication, so it stays a plain number.
    assert_eq!(number(&run["locks"]["servers"]["capacity"], "capacity"), 3.0);
    assert_matches_theory("M/M/3 mean wait in queue", across(run, &["tallies", "wait", "mean"]), wq, 0.08);
    assert_matches_theory("M/M/3 utilization", across(run, &["locks", "servers", "utilization"]), rho, 0.01);
    assert_same(
        "the lock's mean_wait is the recorded wait",
        across(run, &["locks", "servers", "mean_wait"]).mean,
        across(run, &["tallies", "wait", "mean"]).mean,
    );
}

#[test]
fn md1_wait_matches_pollaczek_khinchine() {
    let (lambda, mu) = (0.8, 1.0);
    let run = &replications("md1.usim", &[("LAMBDA", lambda), ("MU", mu)]);
    let rho: f64 = lambda / mu;
    // Pollaczek-Khinchine for a constant service time 1/μ: half the M/M/1 wait.
    let wq = rho / (2.0 * mu * (1.0 - rho));

    assert_matches_theory("M/D/1 mean wait in queue", across(run, &["tallies", "wait", "mean"]), wq, 0.05);
    assert_matches_theory("M/D/1 utilization", across(run, &["locks", "server", "utilization"]), rho, 0.01);
}

#[test]
fn littles_law_holds_for_a_queue() {
    // To completion: every job put is got, and the buffer is empty at both
    // ends, so the time-weighted length integrates exactly the jobs' waits:
    // mean_length × end = Σ waits = put × mean_wait, up to rounding.
    for seed in ["1", "2", "3"] {
        let run = &only_run(report(
            &format!("little-queue-{seed}"),
            "mm1_queue.usim",
            &["--set", "CUSTOMERS=20000", "--seed", seed],
        ));
        let end = figure(run, &["end_time"]);
        let put = figure(run, &["queues", "jobs", "put"]);
        assert_eq!(put, 20000.0);
        assert_eq!(figure(run, &["queues", "jobs", "got"]), put);
        let mean_wait = figure(run, &["queues", "jobs", "mean_wait"]);
        let mean_length = figure(run, &["queues", "jobs", "mean_length"]);
        assert!(mean_length > 1.0, "seed {seed}: a queue at 80% load holds more than {mean_length} jobs on average");
        assert_same(&format!("seed {seed}: L = λW for the queue"), mean_length, put / end * mean_wait);
        // The time a job spent buffered is the wait the server records.
        assert_same(
            &format!("seed {seed}: the queue's wait is the recorded wait"),
            mean_wait,
            figure(run, &["tallies", "wait", "mean"]),
        );
    }

    // Cut at a horizon: the jobs still buffered then count in the length for
    // the time they have waited so far, but in neither `got` nor `mean_wait`,
    // while `put` counts them. Both gaps are a few jobs (Lq = 3.2 on average;
    // the run at the horizon holds at most `max_length`) times a few mean
    // waits (Wq = 4), some tens of job-time units, against a length integral
    // of about 3.2 × 10,000 here: well under 1%, which is the tolerance.
    let run =
        &only_run(report("little-queue-horizon", "mm1_queue.usim", &["--set", "CUSTOMERS=20000", "--until", "10000"]));
    assert_eq!(run["ended_by"], "horizon");
    let end = figure(run, &["end_time"]);
    assert_eq!(end, 10000.0);
    let put = figure(run, &["queues", "jobs", "put"]);
    let got = figure(run, &["queues", "jobs", "got"]);
    assert!(put < 20000.0 && got <= put, "put {put}, got {got}");
    let mean_length = figure(run, &["queues", "jobs", "mean_length"]);
    let little = put / end * figure(run, &["queues", "jobs", "mean_wait"]);
    assert!(
        (mean_length - little).abs() <= 0.01 * mean_length,
        "L = λW at a horizon: mean_length {mean_length}, put rate × mean_wait {little}"
    );
}

#[test]
fn littles_law_holds_for_a_lock() {
    // The same for the line of a lock: the time-weighted number of requests
    // waiting is the grant rate times the mean wait from request to grant,
    // exactly when every request has been granted by the end.
    for seed in ["1", "2", "3"] {
        let run = &only_run(report(
            &format!("little-lock-{seed}"),
            "mm1.usim",
            &["--set", "CUSTOMERS=20000", "--seed", seed],
        ));
        let end = figure(run, &["end_time"]);
        let acquired = figure(run, &["locks", "server", "acquired"]);
        assert_eq!(acquired, 20000.0);
        let mean_queue = figure(run, &["locks", "server", "mean_queue"]);
        assert!(
            mean_queue > 1.0,
            "seed {seed}: a lock at 80% load has more than {mean_queue} requests waiting on average"
        );
        assert_same(
            &format!("seed {seed}: L = λW for the lock's line"),
            mean_queue,
            acquired / end * figure(run, &["locks", "server", "mean_wait"]),
        );
    }

    // At a horizon the requests still waiting then are the gap; the same
    // bound as for the queue above.
    let run = &only_run(report("little-lock-horizon", "mm1.usim", &["--set", "CUSTOMERS=20000", "--until", "10000"]));
    let end = figure(run, &["end_time"]);
    let mean_queue = figure(run, &["locks", "server", "mean_queue"]);
    let little = figure(run, &["locks", "server", "acquired"]) / end * figure(run, &["locks", "server", "mean_wait"]);
    assert!(
        (mean_queue - little).abs() <= 0.01 * mean_queue,
        "L = λW at a horizon: mean_queue {mean_queue}, grant rate × mean_wait {little}"
    );
}

#[test]
fn the_lock_model_and_the_queue_model_see_the_same_waits() {
    // mm1.usim and mm1_queue.usim draw their interarrival and service times
    // in the same order (an arrival's gap right after it arrives, a service
    // when it starts), so with one seed they are the same sample path: the
    // lock's waits and the queue's waits are the same numbers.
    let lock = only_run(report("same-path-lock", "mm1.usim", &["--set", "CUSTOMERS=20000"]));
    let queue = only_run(report("same-path-queue", "mm1_queue.usim", &["--set", "CUSTOMERS=20000"]));
    for figure_name in ["count", "mean", "std", "max", "p50", "p95", "p99"] {
        assert_eq!(
            lock["tallies"]["wait"][figure_name], queue["tallies"]["wait"][figure_name],
            "tallies.wait.{figure_name}"
        );
    }
    assert_same(
        "mean_wait",
        figure(&lock, &["locks", "server", "mean_wait"]),
        figure(&queue, &["queues", "jobs", "mean_wait"]),
    );
    assert_same(
        "max_wait",
        figure(&lock, &["locks", "server", "max_wait"]),
        figure(&queue, &["queues", "jobs", "max_wait"]),
    );
}

#[test]
fn warmup_discards_the_grants_before_it() {
    let full = only_run(report("warmup-none", "mm1.usim", &["--set", "CUSTOMERS=20000"]));
    let warm = only_run(report("warmup-10000", "mm1.usim", &["--set", "CUSTOMERS=20000", "--warmup", "10000"]));

    // The warm-up changes what is gathered, not the run.
    assert_eq!(full["end_time"], warm["end_time"]);
    assert_eq!(full["events"], warm["events"]);
    let end = figure(&full, &["end_time"]);
    assert!(end > 20000.0, "20,000 customers at rate 0.8 take about 25,000 time units, not {end}");

    assert_eq!(figure(&full, &["locks", "server", "acquired"]), 20000.0);
    let acquired = figure(&warm, &["locks", "server", "acquired"]);
    // Each grant after the warm-up records one sample, at the grant's time.
    assert_eq!(figure(&warm, &["tallies", "wait", "count"]), acquired);
    // `served` counts departures and never falls, so its minimum since the
    // warm-up is its value at 10000: the customers gone by then. Those
    // granted by then are they and, if the server was busy at 10000, the one
    // in service; every other customer was granted after.
    let gone_by_warmup = figure(&warm, &["vars", "served", "min"]);
    assert!(gone_by_warmup > 0.0, "customers left before time 10000");
    let after = 20000.0 - gone_by_warmup;
    assert!(
        acquired == after || acquired == after - 1.0,
        "{acquired} grants counted after the warm-up; {gone_by_warmup} customers had left by then"
    );
    // Arrivals are spread evenly over the run: about (end - 10000) / end of them.
    let expected = 20000.0 * (end - 10000.0) / end;
    assert!(
        (acquired - expected).abs() < 0.05 * expected,
        "{acquired} grants after 10000 of {end}; about {expected} expected"
    );
}

#[test]
fn another_seed_gives_another_report() {
    let args = |seed| ["--set", "CUSTOMERS=2000", "--seed", seed];
    let one = report_text("seed-1", "mm1.usim", &args("1"));
    assert_eq!(one, report_text("seed-1-again", "mm1.usim", &args("1")), "the same seed gave two different reports");
    let one: Value = serde_json::from_str(&one).expect("the report is not JSON");
    let two = report("seed-2", "mm1.usim", &args("2"));
    assert_eq!((&one["seed"], &two["seed"]), (&Value::from(1), &Value::from(2)));
    assert_ne!(one["runs"], two["runs"], "--seed 1 and --seed 2 gave the same runs");
    assert_ne!(one["runs"][0]["tallies"]["wait"], two["runs"][0]["tallies"]["wait"]);

    // Replications too: their streams follow from the seed.
    let reps = |seed| ["--set", "CUSTOMERS=2000", "--reps", "3", "--seed", seed];
    let one = report("reps-seed-1", "mm1.usim", &reps("1"));
    let two = report("reps-seed-2", "mm1.usim", &reps("2"));
    assert_ne!(one["runs"], two["runs"], "--reps 3 with --seed 1 and --seed 2 gave the same runs");
}

#[test]
fn the_report_does_not_depend_on_jobs() {
    let args = |jobs| ["--set", "CUSTOMERS=2000", "--reps", "4", "--jobs", jobs];
    assert_eq!(
        report_text("jobs-1", "mm1.usim", &args("1")),
        report_text("jobs-2", "mm1.usim", &args("2")),
        "--jobs 1 and --jobs 2 gave different reports"
    );
}
