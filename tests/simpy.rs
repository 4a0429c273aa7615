//! Cross-checks against SimPy: runs every LCG twin in `tests/simpy/` through
//! the built `usimc` and compares its `print` output with what the SimPy 4
//! program of the same system printed, recorded in `NAME_lcg.expected`.
//!
//! No Python runs here: the `.expected` files were made with SimPy and are
//! committed. `tests/simpy/README.md` says how to regenerate them, and why
//! the twins are built so that no two events that matter share a time.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The twins that must be there, one per model in `examples/` that uses the
/// shared objects (`tandem` is the twin of `examples/tandem_line.usim`;
/// `movie_tickets` has none yet); a missing file is a failure, not a skipped
/// check.
const TWINS: [&str; 7] = ["bank", "carwash", "machine_shop", "gas_station", "producer_consumer", "alarm", "tandem"];

fn simpy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("simpy")
}

/// The twin models in `tests/simpy/`, sorted by name.
fn twins_on_disk() -> Vec<PathBuf> {
    let entries = std::fs::read_dir(simpy_dir()).expect("cannot read tests/simpy");
    let mut twins: Vec<PathBuf> = entries
        .map(|entry| entry.expect("cannot read a tests/simpy entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "usim"))
        .collect();
    twins.sort();
    twins
}

/// Runs `usimc run tests/simpy/NAME_lcg.usim --out /dev/null` from the crate
/// root, so that stdout holds only the model's `print` lines, and returns
/// that stdout; the run must succeed.
fn print_output(twin: &Path) -> String {
    let relative = twin.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(twin);
    let output = Command::new(env!("CARGO_BIN_EXE_usimc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .arg(relative)
        .args(["--out", "/dev/null"])
        .output()
        .expect("cannot start usimc");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "`usimc run {}` failed; stderr:\n{stderr}", relative.display());
    String::from_utf8(output.stdout).expect("the output is not UTF-8")
}

#[test]
fn every_twin_is_there_with_its_simpy_program_and_output() {
    let mut missing = Vec::new();
    for name in TWINS {
        for extension in ["usim", "py", "expected"] {
            let path = simpy_dir().join(format!("{name}_lcg.{extension}"));
            if !path.is_file() {
                missing.push(path.display().to_string());
            }
        }
    }
    for twin in twins_on_disk() {
        for extension in ["py", "expected"] {
            let path = twin.with_extension(extension);
            if !path.is_file() {
                missing.push(path.display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "missing in tests/simpy:\n{}", missing.join("\n"));
}

#[test]
fn every_twin_prints_what_simpy_printed() {
    let twins = twins_on_disk();
    assert!(twins.len() >= TWINS.len(), "expected at least {} twins, found {twins:?}", TWINS.len());
    let mut failures = Vec::new();
    for twin in twins {
        let expected_path = twin.with_extension("expected");
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("{}: cannot read {}", twin.display(), expected_path.display()));
            continue;
        };
        assert!(!expected.is_empty(), "{} is empty", expected_path.display());
        let actual = print_output(&twin);
        if actual != expected {
            failures.push(format!(
                "{}: usimc and SimPy differ\n--- SimPy ({})\n{expected}--- usimc\n{actual}",
                twin.display(),
                expected_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
