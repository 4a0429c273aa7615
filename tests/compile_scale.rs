//! Compile cost that stays linear in a body's length, without timing
//! anything (speed and memory are measured by `benches/compile.sh`):
//!
//! - the Cranelift code of a body of N statements grows by the same amount
//!   for every statement added (`emit clif`), and by a bounded amount: a
//!   checked `x += 1` gets no call of its own;
//! - the checks that share a block raising their error still name their own
//!   statement, in short bodies and in bodies long enough to be compiled
//!   without Cranelift's optimizer;
//! - every example and fixture behaves the same when each callable is
//!   compiled the way a long body is (`codegen::compile_with`, size 0).

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use usim_compiler::codegen::{self, LARGE_FUNCTION_INSTS};
use usim_runtime::{RunConfig, TieOrder};

const USIMC: &str = env!("CARGO_BIN_EXE_usimc");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SCRATCH: &str = env!("CARGO_TARGET_TMPDIR");

/// Writes `text` to a scratch model file and returns its path.
fn model(name: &str, text: &str) -> String {
    let path = Path::new(SCRATCH).join(format!("compile_scale_{name}.usim"));
    std::fs::write(&path, text).expect("scratch file is writable");
    path.to_string_lossy().into_owned()
}

/// `usimc ARGS`: exit code, stdout, stderr.
fn usimc(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(USIMC).args(args).env("RUST_BACKTRACE", "0").output().expect("usimc runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8 output");
    (out.status.code(), text(out.stdout), text(out.stderr))
}

/// A process whose body is `n` copies of `unit` (a few statement lines).
fn long_process(n: usize, unit: &str) -> String {
    let body: String = (0..n).map(|_| unit).collect();
    format!(
        "var total: float = 0.0\n\nprocess p() {{\n    let x = 0\n    let f = 0.5\n{body}    print(\"{{x}} {{f}} {{total}}\")\n}}\n\nrun p()\n"
    )
}

/// Lines of `usimc emit clif` for `text`.
fn clif_lines(name: &str, text: &str) -> usize {
    let (code, stdout, stderr) = usimc(&["emit", "clif", &model(name, text)]);
    assert_eq!(code, Some(0), "emit clif failed:\n{stderr}");
    stdout.lines().count()
}

#[test]
fn the_code_of_a_body_grows_by_the_same_amount_for_every_statement() {
    // Multiples of the checks that share one error block (32), so that every
    // step adds the same number of shared blocks.
    let units = [
        ("int", "    x += 1\n"),
        ("mixed", "    x += 3\n    f = f * 0.5 + 1.0\n    total += f\n    if x % 7 == 0 {\n        x -= 1\n    }\n"),
        ("waits", "    x += 1\n    await delay(1.0)\n"),
    ];
    for (name, unit) in units {
        let sizes = [64, 128, 256];
        let lines: Vec<usize> =
            sizes.iter().map(|&n| clif_lines(&format!("{name}_{n}"), &long_process(n, unit))).collect();
        let (step1, step2) = (lines[1] - lines[0], lines[2] - lines[1]);
        assert_eq!(step2, 2 * step1, "{name}: clif lines {lines:?} for {sizes:?} statements' units is not linear");
        if name == "int" {
            // `x += 1`: the constant, load, add, branch, the next block's
            // label and store, a cold block handing the span to a shared
            // raiser (its label, the span's constant, the jump), two blank
            // lines, and the raisers' share: 11.2 lines. A call of its own
            // (the arguments, the call, an exit block) made it 17.
            let per_statement = step1 as f64 / 64.0;
            assert!(per_statement <= 11.5, "`x += 1` takes {per_statement} lines of clif, expected at most 11.5");
        }
    }
}

#[test]
fn an_overflow_in_a_long_body_names_its_own_statement() {
    // Short (optimized) and long (unoptimized) bodies; `x += 1` is four IR
    // instructions, so the long one is well past the threshold.
    for n in [100, LARGE_FUNCTION_INSTS / 2] {
        for bad in [1, n / 3, n - 1] {
            let body: String =
                (0..n)
                    .map(|i| {
                        if i == bad {
                            "    x += 9223372036854775807\n".to_string()
                        } else {
                            "    x += 1\n".to_string()
                        }
                    })
                    .collect();
            let text = format!("process p() {{\n    let x = 0\n{body}    print(\"{{x}}\")\n}}\n\nrun p()\n");
            let path = model(&format!("overflow_{n}_{bad}"), &text);
            let (code, stdout, stderr) = usimc(&["run", &path, "--out", "/dev/null"]);
            assert_eq!(code, Some(3), "n {n}, bad {bad}: stdout {stdout}\nstderr {stderr}");
            // The body starts on line 3 (after the process line and the let).
            let line = bad + 3;
            assert!(stderr.contains(&format!(":{line}:5")), "n {n}, bad {bad}: expected line {line} in:\n{stderr}");
            assert!(stderr.contains("overflow"), "n {n}, bad {bad}: no overflow in:\n{stderr}");
        }
    }
}

#[test]
fn checks_of_different_kinds_in_one_body_each_name_their_statement() {
    // Interleaved overflow and division checks share raisers by kind.
    let n = 300;
    for (bad, line_of, what) in
        [(100, "    x = x / zero\n", "division by zero"), (200, "    x = x % zero\n", "remainder")]
    {
        let body: String = (0..n)
            .map(|i| match i {
                _ if i == bad => line_of.to_string(),
                _ if i % 2 == 0 => "    x += 1\n".to_string(),
                _ => "    x = x / 1 + x % 1000 - x / 3 + 1\n".to_string(),
            })
            .collect();
        let text =
            format!("process p() {{\n    let x = 1\n    let zero = 0\n{body}    print(\"{{x}}\")\n}}\n\nrun p()\n");
        let path = model(&format!("kinds_{bad}"), &text);
        let (code, _, stderr) = usimc(&["run", &path, "--out", "/dev/null"]);
        assert_eq!(code, Some(3), "bad {bad}: {stderr}");
        let line = bad + 4;
        assert!(stderr.contains(&format!(":{line}:")), "bad {bad}: expected line {line} in:\n{stderr}");
        assert!(stderr.contains(what), "bad {bad}: expected {what:?} in:\n{stderr}");
    }
}

/// A `Write` the test can read back after the run.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The output (with trace lines) and the outcome of one run of `module`
/// compiled with every callable of `large` IR instructions or more unoptimized.
fn run_with(module: &usim_compiler::ir::Module, large: usize) -> String {
    let compiled = codegen::compile_with(module, false, large).expect("compiles");
    let output = Captured::default();
    let config = RunConfig {
        seed: 1,
        horizon: None,
        tie_order: TieOrder::Fifo,
        output: Box::new(output.clone()),
        trace: true,
        max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        stream: None,
        warmup: None,
        progress: None,
        series: None,
    };
    let outcome = usim_runtime::run(compiled.program(), config);
    let text = String::from_utf8_lossy(&output.0.lock().expect("not poisoned")).into_owned();
    format!("{text}\n{outcome:?}")
}

#[test]
fn every_model_behaves_the_same_compiled_as_a_long_body_is() {
    // The runtime gives a `fn` call chain a 64 MiB stack budget.
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(|| {
        let mut paths = Vec::new();
        for dir in ["examples", "tests/fixtures/ok", "tests/fixtures/runtime"] {
            for entry in std::fs::read_dir(Path::new(ROOT).join(dir)).expect("directory exists") {
                let path = entry.expect("readable").path();
                // mm1_fast runs 1.5 million events: too slow for a debug build twice.
                if path.extension().is_some_and(|e| e == "usim") && !path.ends_with("mm1_fast.usim") {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        let mut compared = 0;
        for path in &paths {
            let source = std::fs::read_to_string(path).expect("readable");
            // Models that need `--set` to compile are left out.
            let Ok((module, _)) = usim_compiler::lower_source(&source, &[]) else { continue };
            let optimized = run_with(&module, usize::MAX);
            let unoptimized = run_with(&module, 0);
            assert_eq!(optimized, unoptimized, "{} behaves differently unoptimized", path.display());
            compared += 1;
        }
        assert!(compared > 100, "only {compared} models compared");
    });
    worker.expect("thread starts").join().expect("no model behaves differently");
}
