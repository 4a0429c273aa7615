//! A model that spawns without end must end with a runtime error (exit 3),
//! not grow until the allocator aborts: the limit on live processes
//! (`--max-processes`, one million by default) stops it, and where memory runs
//! out first, the process table's growth fails as a runtime error too.
//!
//! Each run gets an address-space limit (`prlimit --as`, or `ulimit -v`
//! through `sh` where `prlimit` is missing), so a regression ends in a failed
//! allocation rather than in swapping, and a timeout.

#![cfg(target_os = "linux")]

#[path = "hostile/run.rs"]
mod run;

use run::{usimc_limited, ADDRESS_SPACE};
use std::path::PathBuf;

/// Room for usimc's fixed reservations (about 1.75 GB) and about two
/// million processes; the default limit's million fit in [`ADDRESS_SPACE`].
const SMALL_ADDRESS_SPACE: u64 = 2_500_000_000;

/// Every process spawns two more and ends: one more live process per start.
const STORM: &str = "process b() {\n    spawn b()\n    spawn b()\n}\n\nrun b()\n";

/// The storm model in a file of its own per test: tests run in parallel, and
/// one writing the file while another reads it would make the reader flaky.
fn storm_file(test: &str) -> PathBuf {
    let path = run::scratch(&format!("spawn_storm_{test}.usim"));
    std::fs::write(&path, STORM).expect("cannot write the storm model");
    path
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
