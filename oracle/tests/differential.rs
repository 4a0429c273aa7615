//! Differential property: random models over the whole language
//! (`usim_oracle::gen`), each lowered once, run through the Cranelift JIT
//! and through the reference interpreter under `TieOrder::Fifo` and
//! `TieOrder::Random`, must agree on everything either shows (output with
//! `--trace` lines, end time, events, how the run ended, error, waiting
//! processes, globals, statistics, audit), must pass the runtime's own
//! end-of-run audit (`outcome.audit == None`), and must keep the books the
//! model keeps itself: items put = items got + items queued for every
//! queue, the tank's level = initial + put - got, every lock unit free once
//! every process has ended, every join returns what its process returned
//! (the `AUDIT` and `VIOLATION` lines, read by `gen::check_audit`).
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
use usim_oracle::{differential, lower, Options};
use usim_runtime::TieOrder;

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
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Lowers the model once and runs it through both back ends under both tie
/// orders; `Err` starts with a `[category]`.
fn check_source(m: &Model, src: &str) -> Result<Passed, String> {
    let module = lower(src)?;
    let mut first = None;
    for tie_order in [TieOrder::Fifo, TieOrder::Random] {
        let options = Options { seed: m.seed, tie_order, max_processes: 100_000, ..Options::default() };
        let observed = match differential(&module, &options) {
            Err(e) => return Err(format!("[back-end] ({tie_order:?}) {e}")),
            Ok(Err(mismatch)) => return Err(format!("[mismatch] ({tie_order:?}) {mismatch}")),
            Ok(Ok(observed)) => observed,
        };
        let o = &observed.outcome;
        if let Some(a) = &o.audit {
            return Err(format!("[runtime-audit] ({tie_order:?}) {a}"));
        }
        if let Some(e) = &o.error {
            if e.message.contains("internal") {
                return Err(format!("[internal-runtime-error] ({tie_order:?}) {e}"));
            }
        }
        let audited = check_audit(m, &observed.output).map_err(|e| format!("{e} ({tie_order:?})"))?;
        if first.is_none() {
            let ending = match (&o.error, o.stopped, audited) {
                (Some(e), _, _) => {
                    let msg: String = e.message.chars().take(40).collect();
                    format!("runtime error: {msg}")
                }
                (None, true, _) => "stop".to_string(),
                (None, false, true) => format!("audited, ended by {:?}", o.ended_by),
                (None, false, false) => format!("not audited, ended by {:?}", o.ended_by),
            };
            first = Some(Passed { events: o.events, ending });
        }
    }
    Ok(first.expect("two runs"))
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
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, seed)) => fail_with(Model::generate(seed), reason.to_string()),
        Err(e) => panic!("{e}"),
    }
}
