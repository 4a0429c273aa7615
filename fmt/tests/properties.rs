//! Properties of the formatter over every model in the repository and over
//! generated ones: formatting is idempotent, never changes what
//! `usimc emit ast` prints (spans aside), keeps every comment, and gives one
//! layout whatever the spacing and indentation of its input.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use usim_compiler::{emit_ast, parse};
use usim_fmt::{format_source, FormatError};
use usim_oracle::gen::Model;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.usim` file under the folders that hold models.
fn models() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> =
        ["examples", "tests", "benches", "fmt/tests/fixtures"].iter().map(|d| repository().join(d)).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
            if entry.is_dir() {
                stack.push(entry);
            } else if entry.extension().is_some_and(|x| x == "usim") {
                found.push(entry);
            }
        }
    }
    found.sort();
    found
}

fn comment_texts(source: &str) -> Vec<String> {
    parse::comments(source)
        .iter()
        .map(|c| source[c.range()].lines().map(str::trim).collect::<Vec<_>>().join("\n"))
        .collect()
}

/// The properties for one source that parses; `Err` says which failed.
fn check(source: &str) -> Result<(), String> {
    let once = match format_source(source) {
        Ok(text) => text,
        Err(FormatError::Syntax(_)) => return Ok(()),
        Err(FormatError::Internal(m)) => return Err(m),
    };
    let twice = format_source(&once).map_err(|e| format!("the formatted text fails: {e:?}"))?;
    if twice != once {
        return Err(format!("not idempotent:\n--- once\n{once}\n--- twice\n{twice}"));
    }
    let ast = |text: &str| emit_ast(text).map(|(a, _)| a).map_err(|e| format!("{e:?}"));
    if ast(source)? != ast(&once)? {
        return Err(format!("emit ast changed:\n{once}"));
    }
    if comment_texts(source) != comment_texts(&once) {
        return Err(format!("comments changed:\n{once}"));
    }
    Ok(())
}

#[test]
fn every_model_in_the_repository() {
    let models = models();
    assert!(models.len() > 300, "found only {} models", models.len());
    let mut failures = Vec::new();
    for path in &models {
        let bytes = std::fs::read(path).unwrap();
        let Ok(source) = String::from_utf8(bytes) else { continue };
        if let Err(e) = check(&source) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The source with its layout shuffled where layout means nothing: every
/// line's indentation replaced, and blanks doubled between tokens outside
/// strings and comments.
fn shuffled(source: &str, seed: u64) -> String {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::new();
    for line in source.lines() {
        let body = line.trim_start();
        out.push_str(["", "  ", "\t", "         ", " \t "][(next() % 5) as usize]);
        let mut quotes = 0;
        for (at, c) in body.char_indices() {
            if c == '"' && !body[..at].ends_with('\\') {
                quotes += 1;
            }
            let in_code = quotes % 2 == 0 && !body[..at].contains("//") && !body[..at].contains("/*");
            out.push(c);
            if c == ' ' && in_code && next() % 3 == 0 {
                out.push_str(if next() % 2 == 0 { " " } else { "\t" });
            }
        }
        if next() % 4 == 0 {
            out.push_str("  ");
        }
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_models(seed in any::<u64>()) {
        let source = Model::generate(seed).render();
        prop_assert!(format_source(&source).is_ok(), "a generated model must format: {:?}", format_source(&source).err());
        if let Err(e) = check(&source) {
            return Err(TestCaseError::fail(format!("seed {seed}: {e}")));
        }
    }

    #[test]
    fn one_layout_whatever_the_spacing(seed in any::<u64>(), shuffle in any::<u64>()) {
        let formatted = format_source(&Model::generate(seed).render()).unwrap();
        let again = format_source(&shuffled(&formatted, shuffle));
        prop_assert_eq!(again.ok(), Some(formatted));
    }
}

#[test]
fn the_shipped_models_are_shuffled_and_formatted_back() {
    for path in models().iter().filter(|p| p.starts_with(repository().join("examples"))) {
        let source = std::fs::read_to_string(path).unwrap();
        let formatted = format_source(&source).unwrap();
        for shuffle in 1..4 {
            let again = format_source(&shuffled(&formatted, shuffle)).unwrap();
            assert_eq!(again, formatted, "{} shuffled with {shuffle}", path.display());
        }
    }
}
