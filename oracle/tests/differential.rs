//! Differential property: random models over the whole language
//! (`usim_oracle::gen`), each lowered once, run through the Cranelift JIT
//! and through the reference interpreter under `TieOrder::Fifo` and
//! `TieOrder::Random`, must agree on everything either shows (output with
//! `--trace` lines, end time, events, how the run ended, error, waiting
//! processes, globals, statistics, audit). Each run must also (`check_run`):
//! - pass the runtime's own end-of-run audit (`outcome.audit == None`);
//! - keep the books the model keeps itself: items put = items got + items
//!   queued for every queue, the tank's level = initial + put - got, every
//!   lock unit free once every process has ended, every join returns what
//!   its process returned (the `AUDIT` and `VIOLATION` lines, read by
//!   `gen::check_audit`);
//! - gather statistics that agree with the run (`check_stats`): every
//!   time-weighted figure within its extremes, a wait per lock grant and per
//!   item got, a lock's utilization in [0, 1], a queue's final length = put -
//!   got, Little's law exactly for a queue that ended empty (its mean length
//!   times the span = its items' total wait), and once every process but
//!   `main` has ended (the audit was printed) no request in a lock's or a
//!   resource's line;
//! - end where it should: at the horizon when it has one (unless `stop` or
//!   an error ended it), with no process waiting since after the end, none
//!   at all after the audit; without a horizon, a model whose every worker
//!   and victim runs under a deadline (`Model::deadline_only`) must reach its
//!   audit, and any other that does not must list `main` as waiting.
//!
//! A model with a horizon is also run on the JIT without it, under both tie
//! orders (`check_prefix`): that run must pass `check_run` too, and the run
//! with the horizon must have printed a prefix of what it prints (trace lines
//! included), cut just before its first resumption past the horizon (or the
//! same run, when `stop` or an error ended it first).
//!
//! Environment (see tests/README.md, "Differential testing (the oracle)"):
//! - `USIM_ORACLE_CASES` (or `PROPTEST_CASES`): the number of models,
//!   default 300; `PROPTEST_RNG_SEED` fixes the seeds drawn;
//! - `USIM_ORACLE_SEED=S`: run only the model of seed `S` (as a failure
//!   reports it), `USIM_ORACLE_SHOW=1`: print every model's source;
//! - `USIM_ORACLE_TIMEOUT`: seconds a model may take (default 60);
//! - `USIM_ORACLE_SHRINK_SECS`: how long shrinking may take (default 300).
//!
//! On failure the model is shrunk greedily (a statement, a block, an arm,
//! a process or a round at a time) while it fails in the same `[category]`,
//! and the panic message holds the smallest model's source and its failure.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use usim_oracle::gen::{check_audit, Model};
use usim_oracle::{differential, lower, run_jit, Observed, Options};
use usim_runtime::{RunOutcome, TieOrder, TimeWeighted, WaitSummary};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

fn cases() -> u32 {
    env_u64("USIM_ORACLE_CASES").or_else(|| env_u64("PROPTEST_CASES")).unwrap_or(300) as u32
}

fn timeout() -> Duration {
    Duration::from_secs(env_u64("USIM_ORACLE_TIMEOUT").unwrap_or(60))
}

/// What a passing model did.
struct Passed {
    /// Events of the FIFO run.
    events: u64,
    ending: String,
    checked: Checked,
}

/// How often the checks beyond agreement had something to check, summed
/// over runs (so that a summary shows none of them is vacuous).
#[derive(Clone, Copy, Default)]
struct Checked {
    /// Queues that ended empty, whose Little's law was checked.
    little: u64,
    /// Runs in which every process but `main` had ended, whose lock and
    /// resource lines had to be empty.
    lines_empty: u64,
    /// Runs without a horizon of deadline-only models, which reached their audit.
    deadline_audited: u64,
    /// Runs with a horizon that were a prefix of the run without it, and
    /// how many of them the horizon cut short.
    prefixes: u64,
    cut_short: u64,
}

impl Checked {
    fn add(&mut self, o: Checked) {
        self.little += o.little;
        self.lines_empty += o.lines_empty;
        self.deadline_audited += o.deadline_audited;
        self.prefixes += o.prefixes;
        self.cut_short += o.cut_short;
    }
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// The statistics the runtime gathered agree with each other and with the
/// run: every time-weighted figure lies between its extremes, each lock
/// grant and each item got has a wait, a lock's utilization lies in [0, 1],
/// a queue holds what was put and not got, and a queue that ended empty
/// has a time-weighted length that integrates to the time its items spent
/// buffered (Little's law, exactly). Once every process but `main` has
/// ended (`all_ended`; `main` then holds and waits for nothing), no lock or
/// resource line holds a request. `Err` starts with a `[category]`.
fn check_stats(o: &RunOutcome, all_ended: bool, checked: &mut Checked) -> Result<(), String> {
    let s = &o.stats;
    let span = o.end_time - s.start;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let within = |tw: &TimeWeighted, name: &str| -> Result<(), String> {
        let ok = tw.min <= tw.final_value
            && tw.final_value <= tw.max
            && (tw.mean >= tw.min || close(tw.mean, tw.min))
            && (tw.mean <= tw.max || close(tw.mean, tw.max));
        if ok {
            Ok(())
        } else {
            Err(format!("[stats-out-of-range] {name}: {tw:?}"))
        }
    };
    let waits = |w: &WaitSummary, count: u64, name: &str| -> Result<(), String> {
        let ok = w.count == count && (count == 0 || (w.mean >= 0.0 && (w.mean <= w.max || close(w.mean, w.max))));
        if ok {
            Ok(())
        } else {
            Err(format!("[stats-waits] {name}: {w:?} for {count} completions"))
        }
    };
    for lock in &s.locks {
        within(&lock.queue, &format!("lock {} queue", lock.name))?;
        waits(&lock.wait, lock.acquired, &format!("lock {}", lock.name))?;
        if !(lock.utilization >= 0.0 && (lock.utilization <= 1.0 || close(lock.utilization, 1.0))) {
            return Err(format!("[stats-utilization] lock {}: {}", lock.name, lock.utilization));
        }
        if all_ended && lock.queue.final_value != 0.0 {
            return Err(format!("[stats-line-left] lock {}: {:?} after every process ended", lock.name, lock.queue));
        }
    }
    for queue in &s.queues {
        within(&queue.length, &format!("queue {}", queue.name))?;
        waits(&queue.wait, queue.got, &format!("queue {}", queue.name))?;
        if queue.length.final_value != (queue.put - queue.got) as f64 {
            return Err(format!("[stats-queue-books] queue {}: {queue:?}", queue.name));
        }
        if queue.length.final_value == 0.0 {
            let buffered = queue.length.mean * span;
            let waited = if queue.got == 0 { 0.0 } else { queue.wait.mean * queue.got as f64 };
            if !close(buffered, waited) {
                return Err(format!(
                    "[stats-little] queue {}: mean length x time = {buffered}, but its items waited {waited} in all",
                    queue.name
                ));
            }
            checked.little += 1;
        }
    }
    for resource in &s.resources {
        within(&resource.level, &format!("resource {}", resource.name))?;
        within(&resource.queue, &format!("resource {} queue", resource.name))?;
        if all_ended && resource.queue.final_value != 0.0 {
            return Err(format!(
                "[stats-line-left] resource {}: {:?} after every process ended",
                resource.name, resource.queue
            ));
        }
    }
    // A float var that held NaN has NaN figures (the generator's floats
    // reach NaN through `sqrt`, `ln` and `%`): nothing to compare.
    for tw in s.cells.iter().filter(|tw| ![tw.final_value, tw.mean, tw.min, tw.max].iter().any(|v| v.is_nan())) {
        within(tw, "a var")?;
    }
    if all_ended && !s.locks.is_empty() {
        checked.lines_empty += 1;
    }
    Ok(())
}

/// Checks one run (agreeing on both back ends, or the JIT's alone) beyond
/// agreement: the runtime's audit, the model's books, the statistics, and
/// where and how it ended. `horizon` is the one it ran to; `what` names the
/// run in a failure. `Ok(true)` when the model reached its audit.
fn check_run(
    m: &Model,
    observed: &Observed,
    horizon: Option<u32>,
    what: &str,
    checked: &mut Checked,
) -> Result<bool, String> {
    let o = &observed.outcome;
    if let Some(a) = &o.audit {
        return Err(format!("[runtime-audit] ({what}) {a}"));
    }
    if let Some(e) = &o.error {
        if e.message.contains("internal") {
            return Err(format!("[internal-runtime-error] ({what}) {e}"));
        }
    }
    let audited = check_audit(m, &observed.output).map_err(|e| format!("{e} ({what})"))?;
    check_stats(o, audited, checked).map_err(|e| format!("{e} ({what})"))?;
    if let Some(w) = o.waiting.iter().find(|w| w.since.is_nan() || w.since > o.end_time) {
        return Err(format!("[bad-waiting] ({what}) {w:?} waits since after the end {}", o.end_time));
    }
    // `stop` or a runtime error ended the run where it was.
    let cut = o.stopped || o.error.is_some();
    if cut {
        return Ok(audited);
    }
    if let Some(h) = horizon {
        if o.end_time != f64::from(h) {
            return Err(format!(
                "[bad-end-time] ({what}) ended at {} ({:?}) instead of the horizon {h}",
                o.end_time, o.ended_by
            ));
        }
    }
    if audited {
        if !o.waiting.is_empty() {
            return Err(format!("[waiting-after-audit] ({what}) everything was joined, yet waiting: {:?}", o.waiting));
        }
    } else if horizon.is_none() {
        if m.deadline_only() {
            return Err(format!(
                "[no-audit] ({what}) every worker and victim runs under a deadline, yet main never reached its audit (end {}, {:?}, waiting {:?})",
                o.end_time, o.ended_by, o.waiting
            ));
        }
        if !o.waiting.iter().any(|w| w.process == "main") {
            return Err(format!(
                "[vanished] ({what}) main never reached its audit and no event is left, yet main is not listed as waiting (end {}, waiting {:?})",
                o.end_time, o.waiting
            ));
        }
    }
    if audited && horizon.is_none() && m.deadline_only() {
        checked.deadline_audited += 1;
    }
    Ok(audited)
}

/// The time of a `--trace` line (`trace TIME PROCESS CAUSE`).
fn trace_time(line: &str) -> Option<f64> {
    line.strip_prefix("trace ")?.split(' ').next()?.parse().ok()
}

/// The run to a horizon (`cut`) is the start of the run without one
/// (`whole`): its output, trace lines included, is a prefix of the whole
/// run's, which goes on (if at all) with a resumption past the horizon;
/// when `stop` or an error ended the run before the horizon, the whole run
/// is the same run.
fn check_prefix(
    cut: &Observed,
    whole: &Observed,
    horizon: u32,
    what: &str,
    checked: &mut Checked,
) -> Result<(), String> {
    let (c, w) = (&cut.outcome, &whole.outcome);
    let Some(rest) = whole.output.strip_prefix(cut.output.as_str()) else {
        let (n, (a, b)) = cut
            .output
            .lines()
            .zip(whole.output.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((cut.output.lines().count().min(whole.output.lines().count()), ("(end)", "(end)")));
        return Err(format!(
            "[horizon-not-a-prefix] ({what}) the run until {horizon} is not a prefix of the run without it: line {} is `{a}` with the horizon, `{b}` without",
            n + 1
        ));
    };
    if c.stopped || c.error.is_some() {
        if !rest.is_empty() || w.events != c.events || w.ended_by != c.ended_by || w.error != c.error {
            return Err(format!(
                "[horizon-changed-the-run] ({what}) the run until {horizon} ended by {:?} after {} events, the run without it by {:?} after {} events ({} more bytes)",
                c.ended_by,
                c.events,
                w.ended_by,
                w.events,
                rest.len()
            ));
        }
    } else if let Some(next) = rest.lines().next() {
        if !trace_time(next).is_some_and(|t| t > f64::from(horizon)) {
            return Err(format!(
                "[horizon-cut-early] ({what}) the run until {horizon} ({:?} after {} events) stops before `{next}`",
                c.ended_by, c.events
            ));
        }
    }
    if w.events < c.events {
        return Err(format!(
            "[horizon-not-a-prefix] ({what}) {} events with the horizon, {} without",
            c.events, w.events
        ));
    }
    checked.prefixes += 1;
    if w.events > c.events {
        checked.cut_short += 1;
    }
    Ok(())
}

/// Lowers the model once and runs it through both back ends under both tie
/// orders, and on the JIT without its horizon if it has one; `Err` starts
/// with a `[category]`.
fn check_source(m: &Model, src: &str) -> Result<Passed, String> {
    let module = lower(src)?;
    let mut checked = Checked::default();
    let mut runs = Vec::new();
    for tie_order in [TieOrder::Fifo, TieOrder::Random] {
        let options = Options { seed: m.seed, tie_order, max_processes: 100_000, ..Options::default() };
        let observed = match differential(&module, &options) {
            Err(e) => return Err(format!("[back-end] ({tie_order:?}) {e}")),
            Ok(Err(mismatch)) => return Err(format!("[mismatch] ({tie_order:?}) {mismatch}")),
            Ok(Ok(observed)) => observed,
        };
        let audited = check_run(m, &observed, m.horizon, &format!("{tie_order:?}"), &mut checked)?;
        runs.push((options, observed, audited));
    }
    if let Some(h) = m.horizon {
        let mut whole = module;
        whole.horizon = None;
        let options: Vec<Options> = runs.iter().map(|(options, _, _)| options.clone()).collect();
        let wholes = run_jit(&whole, &options).map_err(|e| format!("[back-end] (without the horizon) {e}"))?;
        for ((options, cut, _), whole) in runs.iter().zip(&wholes) {
            let what = format!("{:?}, without the horizon", options.tie_order);
            check_run(m, whole, None, &what, &mut checked)?;
            check_prefix(cut, whole, h, &what, &mut checked)?;
        }
    }
    let (_, first, audited) = &runs[0];
    let o = &first.outcome;
    let ending = match (&o.error, o.stopped, audited) {
        (Some(e), _, _) => {
            let msg: String = e.message.chars().take(40).collect();
            format!("runtime error: {msg}")
        }
        (None, true, _) => "stop".to_string(),
        (None, false, true) => format!("audited, ended by {:?}", o.ended_by),
        (None, false, false) => format!("not audited, ended by {:?}", o.ended_by),
    };
    Ok(Passed { events: o.events, ending, checked })
}

/// Checks a model on a thread with a large stack under a time limit. A
/// model that runs past the limit is stopped through the runtime's
/// interrupt flag (process-wide: nothing runs after a timeout but the
/// report of it).
fn check(m: &Model) -> Result<Passed, String> {
    let model = m.clone();
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let src = model.render();
            let result = catch_unwind(AssertUnwindSafe(|| check_source(&model, &src)))
                .unwrap_or_else(|p| Err(format!("[panic] {}", panic_text(p))));
            let _ = tx.send(result);
        })
        .expect("spawn a test thread");
    match rx.recv_timeout(timeout()) {
        Ok(result) => {
            let _ = handle.join();
            result
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            usim_runtime::request_interrupt();
            Err(format!("[timeout] the model took over {:?} (stopped by the interrupt flag)", timeout()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("[lost] the test thread ended without a result".into()),
    }
}

fn category(message: &str) -> &str {
    message.split(']').next().unwrap_or(message)
}

/// Greedily shrinks a failing model: takes the first of its variants that
/// still fails in the same `[category]`, until none does or time is up.
fn shrink(mut model: Model, message: String) -> (Model, String, usize) {
    let wanted = category(&message).to_string();
    let mut message = message;
    let limit = Duration::from_secs(env_u64("USIM_ORACLE_SHRINK_SECS").unwrap_or(300));
    let started = Instant::now();
    let mut steps = 0;
    if wanted == "[timeout" {
        return (model, message, steps);
    }
    'outer: while started.elapsed() < limit {
        for variant in model.variants() {
            if started.elapsed() >= limit {
                break 'outer;
            }
            if let Err(e) = check(&variant) {
                if category(&e) == wanted {
                    model = variant;
                    message = e;
                    steps += 1;
                    continue 'outer;
                }
            }
        }
        break;
    }
    (model, message, steps)
}

fn fail_with(model: Model, message: String) -> ! {
    let seed = model.seed;
    eprintln!("differential: model of seed {seed} fails: {message}\n{}", model.render());
    let (small, message, steps) = shrink(model, message);
    panic!(
        "differential: the model of seed {seed} fails; shrunk in {steps} steps to ({} statements):\n{}\n{message}\n\
         (reproduce: USIM_ORACLE_SEED={seed} cargo test -p usim-oracle --test differential -- --nocapture)",
        small.size(),
        small.render()
    );
}

fn summary(events: &mut [u64]) -> String {
    if events.is_empty() {
        return "no models".into();
    }
    events.sort_unstable();
    let n = events.len();
    let median = if n % 2 == 1 { events[n / 2] as f64 } else { (events[n / 2 - 1] + events[n / 2]) as f64 / 2.0 };
    let mean = events.iter().sum::<u64>() as f64 / n as f64;
    format!("{n} models; events per model: min {}, median {median}, mean {mean:.1}, max {}", events[0], events[n - 1])
}

#[test]
fn generated_models_agree_on_both_back_ends_and_keep_their_books() {
    let show = std::env::var("USIM_ORACLE_SHOW").is_ok_and(|v| v == "1");
    if let Some(seed) = env_u64("USIM_ORACLE_SEED") {
        let model = Model::generate(seed);
        eprintln!("differential: the model of seed {seed}:\n{}", model.render());
        match check(&model) {
            Ok(p) => eprintln!("differential: seed {seed} passes ({} events, {})", p.events, p.ending),
            Err(e) => fail_with(model, e),
        }
        return;
    }
    let started = Instant::now();
    let events: Mutex<Vec<u64>> = Mutex::default();
    let checked: Mutex<Checked> = Mutex::default();
    let endings: Mutex<BTreeMap<String, u32>> = Mutex::default();
    let config = Config { cases: cases(), failure_persistence: None, max_shrink_iters: 0, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&any::<u64>(), |seed| {
        let model = Model::generate(seed);
        if show {
            eprintln!("----- seed {seed}\n{}", model.render());
        }
        match check(&model) {
            Ok(p) => {
                events.lock().unwrap().push(p.events);
                checked.lock().unwrap().add(p.checked);
                *endings.lock().unwrap().entry(p.ending).or_default() += 1;
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    let mut events = std::mem::take(&mut *events.lock().unwrap());
    eprintln!("differential: {} in {:.1?}", summary(&mut events), started.elapsed());
    for (ending, count) in endings.lock().unwrap().iter() {
        eprintln!("  {count:5}  {ending}");
    }
    let c = *checked.lock().unwrap();
    eprintln!(
        "  checked: Little's law on {} emptied queues, empty lines in {} runs after every process ended, \
         {} deadline-only runs without a horizon reached their audit, {} runs to a horizon were a prefix of the \
         run without it ({} cut short)",
        c.little, c.lines_empty, c.deadline_audited, c.prefixes, c.cut_short
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, seed)) => fail_with(Model::generate(seed), reason.to_string()),
        Err(e) => panic!("{e}"),
    }
}
