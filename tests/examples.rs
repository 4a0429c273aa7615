//! Runs every model in `examples/` through the built `usimc` and compares its
//! printed output with the `.out` file next to it, byte for byte.
//!
//! Adding an example is adding `examples/NAME.usim` and `examples/NAME.out`.
//! To write the `.out` files from the current compiler, run
//! `USIM_BLESS=1 cargo test --test examples`, then read every changed line
//! before committing it: the expected output is hand-checked, not generated.
//!
//! Each model also runs twice (the output must be identical) and, when it
//! draws random numbers, once with another seed (the output must change).
//!
//! A few models also run with extra flags (`--set`), each compared with its
//! own expected output, listed in [`WITH_FLAGS`]; those files are named
//! `NAME_SOMETHING.out`, which the loop over the `.usim` files never reads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The seed the `.out` files were made with is the default, 1; this is the other one.
const OTHER_SEED: &str = "2";

/// Models run again with extra flags: the model, the flags, and the file in
/// `examples/` holding the expected output of that run.
const WITH_FLAGS: [(&str, &[&str], &str); 1] = [
    // The line is sized by a param: its lock and queue families and its array vars follow it.
    ("tandem_line.usim", &["--set", "STATIONS=2"], "tandem_line_2.out"),
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The models in `examples/`, sorted by name.
fn models() -> Vec<PathBuf> {
    let entries = std::fs::read_dir(examples_dir()).expect("cannot read the examples directory");
    let mut models: Vec<PathBuf> = entries
        .map(|entry| entry.expect("cannot read an examples directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "usim"))
        .collect();
    models.sort();
    models
}

/// Runs `usimc run MODEL --out /dev/null [extra...]` from the crate root, so
/// that the report goes nowhere and stdout holds only the model's `print`s.
fn run(model: &Path, extra: &[&str]) -> Output {
    let relative = model.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(model);
    Command::new(env!("CARGO_BIN_EXE_usimc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .arg(relative)
        .args(["--out", "/dev/null"])
        .args(extra)
        .output()
        .expect("cannot start usimc")
}

/// The stdout of a run that must succeed.
fn stdout_of(model: &Path, extra: &[&str]) -> String {
    let output = run(model, extra);
    assert_eq!(
        output.status.code(),
        Some(0),
        "`usimc run {} {}` failed; stderr:\n{}",
        model.display(),
        extra.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the output is not UTF-8")
}

/// Whether a model calls one of the random built-ins, judged from its text.
fn draws_random_numbers(model: &Path) -> bool {
    let source = std::fs::read_to_string(model).expect("cannot read the model");
    usim_stdlib::builtins()
        .iter()
        .filter(|builtin| builtin.random)
        .any(|builtin| source.contains(&format!("{}(", builtin.name)))
}

#[test]
fn the_examples_directory_has_models() {
    let models = models();
    assert!(models.len() >= 4, "expected at least four models in examples/, found {models:?}");
}

#[test]
fn every_example_prints_its_expected_output() {
    let bless = std::env::var_os("USIM_BLESS").is_some();
    let mut failures = Vec::new();
    for model in models() {
        let expected_path = model.with_extension("out");
        let actual = stdout_of(&model, &[]);
        if bless {
            std::fs::write(&expected_path, &actual).expect("cannot write the .out file");
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!(
                "{}: no {} (run with USIM_BLESS=1 to write it)",
                model.display(),
                expected_path.display()
            ));
            continue;
        };
        if actual != expected {
            failures.push(format!(
                "{}: the output differs from {}\n--- expected\n{expected}--- got\n{actual}",
                model.display(),
                expected_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn examples_with_flags_print_their_expected_output() {
    let bless = std::env::var_os("USIM_BLESS").is_some();
    let mut failures = Vec::new();
    for (model, flags, expected_name) in WITH_FLAGS {
        let model = examples_dir().join(model);
        let expected_path = examples_dir().join(expected_name);
        let actual = stdout_of(&model, flags);
        if bless {
            std::fs::write(&expected_path, &actual).expect("cannot write the .out file");
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!(
                "{} {}: no {} (run with USIM_BLESS=1 to write it)",
                model.display(),
                flags.join(" "),
                expected_path.display()
            ));
            continue;
        };
        if actual != expected {
            failures.push(format!(
                "{} {}: the output differs from {}\n--- expected\n{expected}--- got\n{actual}",
                model.display(),
                flags.join(" "),
                expected_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_example_gives_the_same_output_twice() {
    for model in models() {
        let first = stdout_of(&model, &[]);
        let second = stdout_of(&model, &[]);
        assert_eq!(first, second, "{}: two runs with the same seed printed different output", model.display());
    }
}

#[test]
fn random_examples_change_with_the_seed() {
    let random: Vec<PathBuf> = models().into_iter().filter(|m| draws_random_numbers(m)).collect();
    assert!(!random.is_empty(), "expected some examples that draw random numbers");
    for model in random {
        let default_seed = stdout_of(&model, &[]);
        let other_seed = stdout_of(&model, &["--seed", OTHER_SEED]);
        assert_ne!(
            default_seed,
            other_seed,
            "{}: it draws random numbers, yet --seed {OTHER_SEED} printed the same output as the default seed",
            model.display()
        );
    }
}

#[test]
fn the_default_seed_is_1() {
    // The `.out` files are made without `--seed`; they must be the seed-1 outputs.
    for model in models().into_iter().filter(|m| draws_random_numbers(m)) {
        assert_eq!(stdout_of(&model, &[]), stdout_of(&model, &["--seed", "1"]), "{}", model.display());
    }
}
