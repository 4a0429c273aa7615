//! What the whole-pipeline property tests share: the configuration of a
//! run, running one model on a thread with a large stack under a time
//! limit, turning panics into failure messages, and the `[category]` at the
//! start of a message.
#![allow(dead_code)] // each test binary uses a different part

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use usim_runtime::{RunConfig, SharedBuffer, TieOrder};

/// How the tests run a model: seed 1 (replication 0 of its stream), FIFO
/// among equal times, to the model's own horizon, `print` output into
/// `sink`, no trace, warm-up or progress, and the default process limit.
/// A test that needs another seed, tie order or horizon says so with
/// `RunConfig { seed, ..run_config(&sink) }`.
pub fn run_config(sink: &SharedBuffer) -> RunConfig {
    RunConfig {
        seed: 1,
        horizon: None,
        tie_order: TieOrder::Fifo,
        output: Box::new(sink.clone()),
        trace: false,
        max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        stream: None,
        warmup: None,
        progress: None,
        series: None,
    }
}

/// A compile failure as a message that starts with its `[category]`; the
/// diagnostics' codes and texts are the errors only.
pub fn describe_failure(f: usim_compiler::Failure) -> String {
    use usim_compiler::Failure;
    match f {
        Failure::Diagnostics(ds) => {
            let errors: Vec<_> = ds.iter().filter(|d| d.is_error()).collect();
            format!(
                "[compile-error {}] {}",
                errors.iter().map(|d| d.code).collect::<Vec<_>>().join(","),
                errors.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join("; ")
            )
        }
        Failure::BadOverride(s) => format!("[bad-override] {s}"),
        Failure::Internal(s) => format!("[internal-compiler-error] {s}"),
    }
}

/// The message of a panic payload.
pub fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs `f`, turning a panic into a `[panic-STAGE]` failure.
pub fn guard<T>(stage: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| format!("[panic-{stage}] {}", panic_text(p)))
}

/// Runs `f` on a thread with a 256 MiB stack (the runtime gives `fn`s a
/// 64 MiB budget), catching panics and giving up after 120 s.
pub fn isolated<T: Send + 'static>(f: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a test thread");
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(result) => {
            let _ = catch_unwind(AssertUnwindSafe(|| handle.join()));
            result
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err("[timeout] compiling and running took over 120 s".into()),
        Err(mpsc::RecvTimeoutError::Disconnected) => match catch_unwind(AssertUnwindSafe(|| handle.join())) {
            Ok(Ok(())) => Err("[lost] the test thread ended without a result".into()),
            Ok(Err(p)) | Err(p) => Err(format!("[panic-thread] {}", panic_text(p))),
        },
    }
}

/// The `[category]` a failure message starts with.
pub fn category(message: &str) -> &str {
    message.split(']').next().unwrap_or(message)
}

/// How many models a property test generates: `PROPTEST_CASES`, default 48.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(48)
}

/// Greedily shrinks a failing model: takes the first of its `variants`
/// that still fails in the same `[category]`, until none does (or 300 s
/// have passed). Returns the smallest model and its failure.
pub fn shrink<M, T>(
    mut model: M,
    category_wanted: &str,
    variants: impl Fn(&M) -> Vec<M>,
    check: impl Fn(&M) -> Result<T, String>,
) -> (M, String) {
    let mut message = check(&model).err().unwrap_or_default();
    let started = std::time::Instant::now();
    'outer: while started.elapsed() < Duration::from_secs(300) {
        for variant in variants(&model) {
            if let Err(e) = check(&variant) {
                if category(&e) == category_wanted {
                    model = variant;
                    message = e;
                    continue 'outer;
                }
            }
        }
        break;
    }
    (model, message)
}
