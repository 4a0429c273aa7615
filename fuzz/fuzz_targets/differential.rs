//! Bytes as UTF-8 source; a model that lowers runs on both back ends (the
//! JIT and the oracle's interpreter of the IR) and everything they show
//! must be the same (`usim_oracle::differential`). A mismatch, a panic of
//! either, an internal compiler error or a codegen failure is a crash.
//!
//! Runs are bounded three ways, none of which can make the two engines
//! differ: a horizon (the model's or [`HORIZON`], whichever is sooner), a
//! process limit that keeps all frames within [`FRAME_SLOT_BUDGET`], and a
//! watchdog that, after `USIM_FUZZ_RUN_MS` milliseconds of wall time
//! (default [`RUN_MS`]), requests the runtime's interrupt (the Ctrl-C flag,
//! read before each event and at every loop head): the run then ends at the
//! next such point with an "interrupted" error. Where it stops depends on
//! the wall clock, so an interrupted comparison is dropped, never judged.
#![no_main]

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use usim_oracle::{differential, Options};
use usim_runtime::TieOrder;

/// The latest simulated time a fuzzed run goes to.
const HORIZON: f64 = 1000.0;
/// Wall time per input (both engines together) before the watchdog
/// interrupts it.
const RUN_MS: u64 = 250;
/// At most this many frame slots (8 bytes each) of live processes: 256 MiB.
const FRAME_SLOT_BUDGET: u64 = 1 << 25;
/// At most this many live processes.
const MAX_PROCESSES: u64 = 10_000;
/// The stack `usimc` runs a model on (`src/main.rs`): generated code keeps
/// a `fn`'s frame on the native stack, within the runtime's 64 MiB budget.
const STACK_BYTES: usize = 512 << 20;

/// `USIM_FUZZ_VERBOSE=1` tells on stderr what became of each input (not
/// lowered, interrupted, compared), to see how much of a corpus is judged.
fn tell(what: &str) {
    if std::env::var_os("USIM_FUZZ_VERBOSE").is_some() {
        eprintln!("usim-fuzz: {what}");
    }
}

fn run_ms() -> u64 {
    std::env::var("USIM_FUZZ_RUN_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(RUN_MS)
}

/// Clears the runtime's interrupt flag after a run the watchdog stopped.
fn clear_interrupt() {
    usim_runtime::clear_interrupt();
}

/// At most the first 4000 bytes of `text` (an output or an outcome can be
/// megabytes; the first difference is named on its own).
fn head(text: &str) -> &str {
    let mut end = text.len().min(4000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fuzz_target!(|data: &[u8]| {
    usim_fuzz::keep_last_input("differential", data);
    let Ok(source) = std::str::from_utf8(data) else { return };
    let module = match usim_fuzz::on_compiler_stack(|| usim_oracle::lower(source)) {
        Ok(module) => module,
        Err(e) if e.starts_with("[internal-compiler-error]") => panic!("{e}"),
        Err(_) => return tell("not lowered"),
    };
    if module.functions.len() > usim_oracle::interp::MAX_CALLABLES {
        return tell("too many callables");
    }
    let largest_frame = module.functions.iter().filter(|f| f.is_process).map(|f| u64::from(f.frame_slots)).max();
    let max_processes = (FRAME_SLOT_BUDGET / largest_frame.unwrap_or(1).max(1)).clamp(1, MAX_PROCESSES);
    let options = Options {
        seed: 1,
        // Both tie orders, chosen by the input so that one input is one run.
        tie_order: if data.iter().fold(0u8, |a, &b| a ^ b) & 1 == 0 { TieOrder::Fifo } else { TieOrder::Random },
        trace: true,
        horizon: Some(module.horizon.map_or(HORIZON, |h| h.min(HORIZON))),
        max_processes: max_processes as usize,
        warmup: None,
    };

    let (done, finished) = mpsc::channel::<()>();
    let limit = Duration::from_millis(run_ms());
    let watchdog = std::thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
            usim_runtime::request_interrupt();
        }
    });
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("usim-fuzz-run".to_string())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || differential(&module, &options))
            .expect("spawn the run's thread")
            .join()
            .expect("a panic aborts under libFuzzer first")
    });
    let _ = done.send(());
    watchdog.join().expect("the watchdog does not panic");
    let interrupted = usim_runtime::interrupt_requested();
    clear_interrupt();
    if interrupted {
        return tell("interrupted");
    }
    match result {
        Ok(Ok(_)) => tell("compared"),
        Ok(Err(mismatch)) => panic!(
            "{mismatch}\n--- options: {options:?}\n--- JIT:\n{}\n{}\n--- interpreter:\n{}\n{}",
            head(&mismatch.jit.output),
            head(&format!("{:#?}", mismatch.jit.outcome)),
            head(&mismatch.interpreter.output),
            head(&format!("{:#?}", mismatch.interpreter.outcome)),
        ),
        Err(e) => panic!("a back end failed: {e}"),
    }
});
