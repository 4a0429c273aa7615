//! Every model the project ships — the examples and the fixtures that run
//! — gives the same output, trace, report figures and end through the JIT
//! and through the reference interpreter, under both tie orders.

use std::path::{Path, PathBuf};

use usim_oracle::{differential, lower, Options};
use usim_runtime::TieOrder;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn models() -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in ["examples", "tests/fixtures/ok", "tests/fixtures/runtime", "tests/fixtures/experiments"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(dir))
            .unwrap_or_else(|e| panic!("read {dir}: {e}"))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "usim"))
            .collect();
        found.sort();
        all.extend(found);
    }
    all
}

#[test]
fn every_shipped_model_runs_the_same_on_both_back_ends() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in models() {
        let source = std::fs::read_to_string(&path).expect("read a model");
        // A fixture that fails to compile is a diagnostics fixture: nothing to run.
        let Ok(module) = lower(&source) else { continue };
        for tie_order in [TieOrder::Fifo, TieOrder::Random] {
            let options = Options { tie_order, ..Options::default() };
            match differential(&module, &options) {
                Ok(Ok(_)) => compared += 1,
                Ok(Err(mismatch)) => failures.push(format!("{} ({tie_order:?}): {mismatch}", path.display())),
                Err(e) => failures.push(format!("{} ({tie_order:?}): {e}", path.display())),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} runs differ:\n{}",
        failures.len(),
        compared + failures.len(),
        failures.join("\n")
    );
    assert!(compared >= 200, "only {compared} runs compared");
}
