//! The documented codes are the codes: every diagnostic code the compiler
//! can give (a code literal such as `"E0201"`, `"W0001"` or `"R0001"` in the
//! compiler's sources, outside their unit tests) has its `### CODE` entry
//! in `docs/errors.md`, and every entry there is a code the compiler gives.
//! The test fails listing what is missing on either side.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The `.rs` files under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Whether `word` is a diagnostic code: `E`, `W` or `R` and four digits.
fn is_code(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() == 5 && matches!(bytes[0], b'E' | b'W' | b'R') && bytes[1..].iter().all(u8::is_ascii_digit)
}

/// The code that is not a unit test: the text before the first inline
/// `#[cfg(test)] mod NAME { ... }` (test modules stand at the end of a file),
/// and the names of the test modules that have files of their own
/// (`#[cfg(test)] mod tests;`).
fn split_tests(text: &str) -> (&str, Vec<String>) {
    let mut test_files = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = rest[at + "#[cfg(test)]".len()..].trim_start();
        if let Some(declared) = after.strip_prefix("mod ") {
            let name: String = declared.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if declared[name.len()..].trim_start().starts_with(';') {
                test_files.push(name);
            } else {
                return (&text[..offset + at], test_files);
            }
        }
        offset += at + 1;
        rest = &rest[at + 1..];
    }
    (text, test_files)
}

/// The code literals (`"E0201"`) of every file under `dir` that is not a
/// unit test, each with the first file that names it.
fn code_literals(root: &Path, dir: &Path) -> Vec<(String, String)> {
    let files = sources(dir);
    let mut texts = Vec::new();
    let mut test_files: Vec<PathBuf> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let (code, tests) = split_tests(&text);
        // `mod x;` in `a/mod.rs` (or `lib.rs`) is `a/x.rs`; in `a/b.rs` it is `a/b/x.rs`.
        let stem = file.file_stem().unwrap_or_default();
        let folder = file.parent().unwrap_or(dir);
        let folder = if stem == "mod" || stem == "lib" { folder.to_path_buf() } else { folder.join(stem) };
        for name in tests {
            test_files.push(folder.join(format!("{name}.rs")));
            test_files.push(folder.join(name).join("mod.rs"));
        }
        texts.push((file.clone(), code.to_string()));
    }
    let mut codes: Vec<(String, String)> = Vec::new();
    for (file, code) in texts {
        if test_files.contains(&file) {
            continue;
        }
        let shown = file.strip_prefix(root).unwrap_or(&file).display().to_string();
        for literal in code.split('"').skip(1).step_by(2).filter(|s| is_code(s)) {
            if !codes.iter().any(|(c, _)| c == literal) {
                codes.push((literal.to_string(), shown.clone()));
            }
        }
    }
    codes
}

/// The codes the compiler can give, each with the first file that names it.
fn emitted() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut codes = code_literals(root, &root.join("compiler/src"));
    codes.sort();
    codes
}

/// The codes `docs/errors.md` has an entry for: its `### E0123` headings.
fn documented() -> BTreeSet<String> {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md");
    let text = std::fs::read_to_string(&page).expect("docs/errors.md");
    text.lines()
        .filter_map(|line| line.strip_prefix("### "))
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        .filter(|word| is_code(word))
        .collect()
}

#[test]
fn every_code_the_compiler_gives_is_documented_and_every_documented_code_is_given() {
    let emitted = emitted();
    let documented = documented();
    assert!(emitted.len() >= 50, "only {} codes found in compiler/src: is the search broken?", emitted.len());
    let undocumented: Vec<String> = emitted
        .iter()
        .filter(|(code, _)| !documented.contains(code))
        .map(|(code, file)| format!("{code} (given in {file})"))
        .collect();
    let unknown: Vec<&String> = documented.iter().filter(|code| !emitted.iter().any(|(c, _)| c == *code)).collect();
    let mut problems = Vec::new();
    if !undocumented.is_empty() {
        problems.push(format!(
            "codes the compiler gives that docs/errors.md has no `### CODE` entry for:\n  {}",
            undocumented.join("\n  ")
        ));
    }
    if !unknown.is_empty() {
        problems.push(format!(
            "codes docs/errors.md documents that the compiler never gives:\n  {}",
            unknown.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("\n  ")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn unit_tests_are_left_out() {
    let text = "#[cfg(test)]\nmod tests;\nfn a() { \"E0001\" }\n#[cfg(test)]\nmod inline {\n    \"E0999\"\n}\n";
    let (code, files) = split_tests(text);
    assert_eq!(files, ["tests"]);
    assert!(code.contains("E0001") && !code.contains("E0999"), "{code}");
}

#[test]
fn a_code_is_recognised_only_in_its_exact_form() {
    assert!(is_code("E0201") && is_code("W0001") && is_code("R0001"));
    assert!(!is_code("E201") && !is_code("E02010") && !is_code("X0201") && !is_code("e0201"));
}
