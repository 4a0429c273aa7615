//! The examples in `docs/` run as written: every code block that holds a
//! whole model (a line starting with `run `) and is followed by a `text`
//! block is run through the built `usimc` with the report sent to
//! `/dev/null`, and its stdout must equal the `text` block byte for byte.
//! (A `text` block that shows a diagnostic, starting with `error`, is
//! skipped: its file name is the reader's.)

use std::path::{Path, PathBuf};
use std::process::Command;

/// The markdown files under `docs/`, sorted.
fn pages() -> Vec<PathBuf> {
    let mut pages = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable docs folder") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// The fenced blocks of a page: (info string, body).
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let mut body = String::new();
        for inner in lines.by_ref() {
            if inner.starts_with("```") {
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        out.push((info.trim().to_string(), body));
    }
    out
}

#[test]
fn doc_examples_print_what_the_docs_say() {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc-examples");
    std::fs::create_dir_all(&scratch).expect("a scratch folder");
    let mut checked = 0;
    let mut misses = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("a readable page");
        let blocks = blocks(&text);
        for (index, pair) in blocks.windows(2).enumerate() {
            let [(info, model), (next, expected)] = pair else { continue };
            let is_model = info.is_empty() && model.lines().any(|l| l.starts_with("run "));
            if !is_model || next != "text" || expected.starts_with("error") {
                continue;
            }
            let stem = page.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            let file = scratch.join(format!("{stem}_{index}.usim"));
            std::fs::write(&file, model).expect("a writable scratch file");
            let output = Command::new(env!("CARGO_BIN_EXE_usimc"))
                .arg("run")
                .arg(&file)
                .args(["--out", "/dev/null"])
                .output()
                .expect("usimc runs");
            checked += 1;
            let stdout = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() || stdout != *expected {
                misses.push(format!(
                    "{} (block {index}): exit {:?}\n--- the docs say\n{expected}--- usimc printed\n{stdout}{}",
                    page.display(),
                    output.status.code(),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(checked >= 30, "only {checked} doc examples found");
    assert!(misses.is_empty(), "{} of {checked} doc examples differ:\n{}", misses.len(), misses.join("\n"));
}
