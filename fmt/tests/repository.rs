//! Every model the repository ships (examples, fixtures, benchmarks) that
//! parses is in the canonical layout: `usimc fmt` would change none of them.

use std::path::{Path, PathBuf};

use usim_fmt::{format_source, FormatError};

fn models_under(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        if entry.is_dir() {
            models_under(&entry, found);
        } else if entry.extension().is_some_and(|x| x == "usim") {
            found.push(entry);
        }
    }
}

#[test]
fn every_shipped_model_is_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut models = Vec::new();
    for dir in ["examples", "tests/fixtures", "benches"] {
        models_under(&root.join(dir), &mut models);
    }
    models.sort();
    let mut unformatted = Vec::new();
    let mut formatted = 0;
    for path in &models {
        let source = std::fs::read_to_string(path).unwrap();
        match format_source(&source) {
            Ok(text) if text == source => formatted += 1,
            Ok(_) => unformatted.push(path.strip_prefix(&root).unwrap().display().to_string()),
            Err(FormatError::Syntax(_)) => {}
            Err(FormatError::Internal(m)) => panic!("{}: {m}", path.display()),
        }
    }
    assert!(unformatted.is_empty(), "not formatted (run `usimc fmt` on them):\n{}", unformatted.join("\n"));
    assert!(formatted > 200, "only {formatted} models were checked");
}
