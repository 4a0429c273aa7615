//! A model that spawns without end must end with a runtime error (exit 3),
//! not grow until the allocator aborts: the limit on live processes
//! (`--max-processes`, one million by default) stops it, and where memory runs
//! out first, the process table's growth fails as a runtime error too.
//!
//! Each run gets an address-space limit (`prlimit --as`, or `ulimit -v`
//! through `sh` where `prlimit` is missing), so a regression ends in a failed
//! allocation rather than in swapping, and a timeout.

#![cfg(target_os = "linux")]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USIMC: &str = env!("CARGO_BIN_EXE_usimc");
const SCRATCH: &str = env!("CARGO_TARGET_TMPDIR");
/// Generous: the default limit is reached in about half a second.
const TIMEOUT: Duration = Duration::from_secs(120);
/// 4 GB of address space: usimc's fixed reservations (the compiler's 512 MiB
/// stack, the JIT's arena: about 1.75 GB in all) plus a million processes
/// (about 0.3 GB), with room to spare.
const ADDRESS_SPACE: u64 = 4_000_000_000;
/// Room for the fixed reservations and about two million processes.
const SMALL_ADDRESS_SPACE: u64 = 2_500_000_000;

/// Every process spawns two more and ends: one more live process per start.
const STORM: &str = "process b() {\n    spawn b()\n    spawn b()\n}\n\nrun b()\n";

/// The storm model in a file of its own per test: tests run in parallel, and
/// one writing the file while another reads it would make the reader flaky.
fn storm_file(test: &str) -> PathBuf {
    let path = PathBuf::from(SCRATCH).join(format!("spawn_storm_{test}.usim"));
    std::fs::write(&path, STORM).expect("cannot write the storm model");
    path
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

/// Runs `usimc ARGS` with at most `bytes` of address space, killing it after [`TIMEOUT`].
fn usimc_limited(bytes: u64, args: &[&str]) -> Outcome {
    let mut command = if std::path::Path::new("/usr/bin/prlimit").exists() {
        let mut command = Command::new("/usr/bin/prlimit");
        command.arg(format!("--as={bytes}")).arg(USIMC).args(args);
        command
    } else {
        let mut command = Command::new("sh");
        let script = format!("ulimit -v {} && exec \"$0\" \"$@\"", bytes / 1024);
        command.arg("-c").arg(script).arg(USIMC).args(args);
        command
    };
    let mut child = command
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start usimc");
    let mut pipe = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for usimc") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("usimc {args:?} ran for more than {} s", TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Outcome { code: status.code(), stderr: reader.join().expect("stderr reader") }
}

#[test]
fn a_spawn_storm_stops_at_the_default_limit() {
    let model = storm_file("1");
    let outcome = usimc_limited(ADDRESS_SPACE, &["run", model.to_str().unwrap(), "--out", "/dev/null"]);
    assert_eq!(outcome.code, Some(3), "stderr:\n{}", outcome.stderr);
    assert!(
        outcome.stderr.starts_with("error[R0001]: too many processes alive at once: the limit is 1000000 "),
        "stderr:\n{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("at simulated time 0 in process b#"), "stderr:\n{}", outcome.stderr);
}

#[test]
fn a_spawn_storm_past_the_memory_limit_is_an_out_of_memory_error() {
    let model = storm_file("2");
    let args = ["run", model.to_str().unwrap(), "--out", "/dev/null", "--max-processes", "1000000000000"];
    let outcome = usimc_limited(SMALL_ADDRESS_SPACE, &args);
    assert_eq!(outcome.code, Some(3), "stderr:\n{}", outcome.stderr);
    assert!(outcome.stderr.starts_with("error[R0001]: out of memory: "), "stderr:\n{}", outcome.stderr);
}

#[test]
fn max_processes_must_be_a_positive_count() {
    let model = storm_file("3");
    for bad in ["0", "-1", "many"] {
        let outcome = usimc_limited(ADDRESS_SPACE, &["run", model.to_str().unwrap(), "--max-processes", bad]);
        assert_eq!(outcome.code, Some(2), "--max-processes {bad}: stderr:\n{}", outcome.stderr);
        assert!(outcome.stderr.contains("--max-processes"), "--max-processes {bad}: stderr:\n{}", outcome.stderr);
    }
}
