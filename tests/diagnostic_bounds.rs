//! The work and the output of diagnostics are bounded, whatever the model:
//! at most 20 diagnostics of one code are shown and the rest counted in one
//! line, long source lines are cut around the span with their true columns,
//! the "did you mean" search stays cheap among thousands of names, and a
//! `fail` message of several lines keeps the layout. The models are generated
//! into temporary files (they are too large to commit).
//!
//! No test here is timed: the output sizes are asserted, and a generous
//! timeout only guards against a hang.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test target.
const USIMC: &str = env!("CARGO_BIN_EXE_usimc");
/// Scratch space for the generated models.
const SCRATCH: &str = env!("CARGO_TARGET_TMPDIR");
/// Far longer than any case takes; a run past it is a hang, not slowness.
const HANG: Duration = Duration::from_secs(20);

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Writes `source` to a scratch file named `name` and runs `usimc COMMAND FILE`.
fn usimc(command: &str, name: &str, source: &str) -> Outcome {
    let path: PathBuf = [SCRATCH, name].iter().collect();
    std::fs::write(&path, source).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    let mut args = vec![command.to_string(), path.to_string_lossy().into_owned()];
    if command == "run" {
        args.extend(["--out".to_string(), "/dev/null".to_string()]);
    }
    let mut child = Command::new(USIMC)
        .args(&args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {USIMC}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout is piped")));
    let err = drain(Box::new(child.stderr.take().expect("stderr is piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for usimc") {
            break status;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("usimc {command} {name} did not finish in {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = std::fs::remove_file(&path);
    Outcome {
        code: status.code(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// `n` expression statements that do nothing (W0002 each), all on one line.
fn useless_statements(n: usize) -> String {
    (0..n).map(|i| format!("x + {}", 10_000 + i)).collect::<Vec<_>>().join("; ")
}

#[test]
fn many_warnings_on_one_long_line_end_in_one_count() {
    let statements = useless_statements(2_000);
    assert!(statements.len() > 20_000);
    let source = format!("process main() {{ let x = 1; {statements} }}\nrun main()\n");
    let out = usimc("check", "many_warnings.usim", &source);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr.matches("warning[W0002]").count(), 20);
    let tail: Vec<&str> = out.stderr.lines().rev().take(2).collect();
    assert_eq!(tail[1], "... and 1,980 more warnings W0002 like these");
    // `usimc check` closes with what it checked, every warning counted.
    assert!(tail[0].ends_with("many_warnings.usim: 2000 warnings, no errors (1 process, 0 fns)"), "{}", tail[0]);
    // 20 diagnostics with their source line cut to a few hundred columns.
    assert!(out.stderr.len() < 20_000, "{} bytes of stderr", out.stderr.len());
    // The cut line still says where each warning is.
    assert!(out.stderr.contains("many_warnings.usim:1:29\n"), "{}", out.stderr);
}

#[test]
fn errors_are_never_hidden_by_warnings_and_all_are_counted() {
    let unknown: Vec<String> = (0..25).map(|i| format!("    let y{i} = nope_{i}")).collect();
    let source = format!(
        "process main() {{\n    let x = 1; {}\n{}\n    let b: bool = 1\n}}\nrun main()\n",
        useless_statements(2_000),
        unknown.join("\n")
    );
    let out = usimc("check", "errors_and_warnings.usim", &source);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning[W0002]").count(), 20);
    assert_eq!(out.stderr.matches("error[E0105]").count(), 20);
    assert_eq!(out.stderr.matches("error[E0201]").count(), 1, "{}", out.stderr);
    // Errors first among the counts; the summary counts every error.
    let tail: Vec<&str> = out.stderr.lines().rev().take(3).collect();
    assert_eq!(tail[2], "... and 5 more errors E0105 like these", "{}", out.stderr);
    assert_eq!(tail[1], "... and 1,980 more warnings W0002 like these");
    assert!(tail[0].ends_with("errors_and_warnings.usim: 26 errors found"), "{}", tail[0]);
    assert!(out.stderr.len() < 40_000, "{} bytes of stderr", out.stderr.len());
}

#[test]
fn an_error_far_along_an_8_mb_line_shows_its_true_column_and_a_short_line() {
    let head = "process main() { let x = 1";
    let call = "; print(\"{";
    // `cuont` starts at column 5,000,000.
    let pad = " ".repeat(5_000_000 - 1 - head.len() - call.len());
    let mut source = format!("{head}{pad}{call}cuont}}\")");
    source.push_str(&" ".repeat(8_000_000 - source.len()));
    source.push_str(" }\nrun main()\n");
    let out = usimc("check", "long_line.usim", &source);
    assert_eq!(out.code, Some(1), "{}", &out.stderr[..out.stderr.len().min(2_000)]);
    assert!(out.stderr.len() < 2_000, "{} bytes of stderr", out.stderr.len());
    assert!(out.stderr.contains("error[E0105]: unknown name `cuont`"), "{}", out.stderr);
    assert!(out.stderr.contains("long_line.usim:1:5000000\n"), "{}", out.stderr);
    let line = out.stderr.lines().find(|l| l.contains("print(\"{cuont}\")")).expect("the source line");
    assert!(line.starts_with("1 │ …") && line.ends_with('…'), "{line}");
    assert!(out.stderr.ends_with("1 error found\n"), "{}", out.stderr);
}

#[test]
fn thousands_of_unknown_names_beside_thousands_of_locals_are_checked() {
    let mut source = String::from("process main() {\n");
    for i in 0..4_000 {
        source.push_str(&format!("    let local_{i} = {i}\n"));
    }
    for i in 0..4_000 {
        source.push_str(&format!("    let u{i} = unknown_{i} + 1\n"));
    }
    source.push_str("    let last = locla_7\n}\nrun main()\n");
    let out = usimc("check", "unknown_names.usim", &source);
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stderr.matches("error[E0105]").count(), 20);
    assert!(out.stderr.contains("\n... and 3,981 more errors E0105 like these\n"), "{}", out.stderr);
    assert!(out.stderr.ends_with("unknown_names.usim: 4001 errors found\n"), "{}", out.stderr);
    assert!(out.stderr.len() < 10_000, "{} bytes of stderr", out.stderr.len());
}

#[test]
fn a_misspelt_name_among_thousands_still_gets_its_suggestion() {
    let mut source = String::from("process main() {\n");
    for i in 0..4_000 {
        source.push_str(&format!("    let local_{i} = {i}\n"));
    }
    source.push_str("    let last = locla_7\n}\nrun main()\n");
    let out = usimc("check", "misspelt_name.usim", &source);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("= did you mean `local_7`?"), "{}", out.stderr);
}

#[test]
fn a_fail_message_of_several_lines_keeps_the_layout() {
    let source = "process main() {\n    fail(\"stock too low:\\n  item 3\")\n}\nrun main()\n";
    let out = usimc("run", "fail_lines.usim", source);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines[0], "error[R0001]: stock too low:");
    assert_eq!(lines[1], "                item 3");
    assert!(lines[2].starts_with("  ┌─ ") && lines[2].ends_with("fail_lines.usim:2:10"), "{}", out.stderr);
    // Under the source line the message takes one line.
    assert!(out.stderr.contains("^ stock too low:\\n  item 3\n"), "{}", out.stderr);
}
