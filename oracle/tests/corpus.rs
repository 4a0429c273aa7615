//! Every model the project ships — the examples and the fixtures that run
//! — gives the same output, trace, report figures and end through the JIT
//! and through the reference interpreter, under both tie orders.

mod shipped;

use usim_oracle::{differential, lower, Options};
use usim_runtime::TieOrder;

fn models() -> Vec<std::path::PathBuf> {
    shipped::models(&["examples", "tests/fixtures/ok", "tests/fixtures/runtime", "tests/fixtures/experiments"])
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
