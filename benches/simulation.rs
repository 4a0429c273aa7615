//! Criterion benchmarks of usimc on the models in `benches/models/`:
//!
//! - `compile/<model>`: source text to runnable native code (parse, check,
//!   lower, Cranelift JIT), as `usimc run` does before the first event.
//! - `frontend/<model>`: parse, check and lower to IR only; the difference
//!   from `compile/<model>` is Cranelift's share.
//! - `run/<model>`: one run with `--seed 1`, the model compiled once outside
//!   the timing loop; throughput is in events (step invocations), except for
//!   `fib_compute`, whose throughput is in calls of its `fn fib`.
//!
//! `cargo bench --bench simulation` takes about three minutes; add a filter
//! (`cargo bench --bench simulation -- run/`) to run a subset.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use usim_compiler::Compiled;
use usim_runtime::{RunConfig, RunOutcome, TieOrder};

/// The runtime gives a `fn` call chain a 64 MiB stack budget; run on a stack
/// that can hold it.
const STACK: usize = 256 << 20;

struct Model {
    name: &'static str,
    source: &'static str,
}

const MODELS: [Model; 5] = [
    Model { name: "mm1_spawn", source: include_str!("models/mm1_spawn.usim") },
    Model { name: "tickers", source: include_str!("models/tickers.usim") },
    Model { name: "fib_compute", source: include_str!("models/fib_compute.usim") },
    Model { name: "pingpong", source: include_str!("models/pingpong.usim") },
    Model { name: "mm1_lock", source: include_str!("models/mm1_lock.usim") },
];

fn compile(model: &Model) -> Compiled {
    match usim_compiler::compile_source(model.source, &[], false) {
        Ok((compiled, _warnings)) => compiled,
        Err(failure) => panic!("{} does not compile: {failure:?}", model.name),
    }
}

fn run(compiled: &Compiled) -> RunOutcome {
    let config = RunConfig {
        seed: 1,
        horizon: None,
        tie_order: TieOrder::Fifo,
        output: Box::new(std::io::sink()),
        trace: false,
        max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        stream: None,
        warmup: None,
        progress: None,
        series: None,
    };
    usim_runtime::run(compiled.program(), config)
}

/// `REPS` and `FIB_N` of `models/fib_compute.usim`.
const FIB_REPS: u64 = 10;
const FIB_N: u64 = 30;

/// Calls of `fib` made by `fib(n)`: `2 * fib(n + 1) - 1`.
fn fib_calls(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64); // fib(0), fib(1)
    for _ in 0..=n {
        (a, b) = (b, a + b);
    }
    2 * a - 1
}

fn bench_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for model in &MODELS {
        group.bench_with_input(BenchmarkId::from_parameter(model.name), model, |b, model| {
            // Each compile maps fresh JIT memory; dropping `Compiled` releases
            // the program but not the code pages, so few iterations are used.
            b.iter(|| compile(model));
        });
    }
    group.finish();
}

fn bench_frontend(c: &mut Criterion) {
    let mut group = c.benchmark_group("frontend");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for model in &MODELS {
        group.bench_with_input(BenchmarkId::from_parameter(model.name), model, |b, model| {
            b.iter(|| match usim_compiler::lower_source(model.source, &[]) {
                Ok((module, _warnings)) => module,
                Err(failure) => panic!("{} does not compile: {failure:?}", model.name),
            });
        });
    }
    group.finish();
}

fn bench_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
    for model in &MODELS {
        let compiled = compile(model);
        let outcome = run(&compiled);
        assert!(outcome.error.is_none(), "{}: {:?}", model.name, outcome.error);
        let elements = if model.name == "fib_compute" { FIB_REPS * fib_calls(FIB_N) } else { outcome.events };
        group.throughput(Throughput::Elements(elements));
        group.bench_with_input(BenchmarkId::from_parameter(model.name), &compiled, |b, compiled| {
            b.iter(|| run(compiled).events);
        });
    }
    group.finish();
}

fn main() {
    let worker = std::thread::Builder::new().stack_size(STACK).spawn(|| {
        let mut criterion = Criterion::default().configure_from_args();
        bench_compile(&mut criterion);
        bench_frontend(&mut criterion);
        bench_run(&mut criterion);
        criterion.final_summary();
    });
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(())) => {}
        Ok(Err(_)) => std::process::exit(101),
        Err(error) => panic!("cannot start the benchmark thread: {error}"),
    }
}
