//! Fixture tests: every model under `tests/fixtures/` goes through the built
//! `usimc` binary, and what it prints is compared with an insta snapshot in
//! `tests/snapshots/`. Adding a case is adding a file; see `tests/README.md`.
//!
//! - `ok/*.usim`: `usimc emit ir` (snapshot `ok_ir@NAME`) and `usimc run`
//!   (snapshot `ok_run@NAME`); both must exit 0.
//! - `err/*.usim`: `usimc check` (snapshot `err@NAME`); must exit 1.
//! - `runtime/*.usim`: `usimc run` (snapshot `runtime@NAME`); must exit 3.
//! - `series/*.usim`: `usimc run --series FILE` (snapshot `series@NAME`,
//!   with the series file); must exit 0.
//!
//! A first line `// run: FLAGS` passes extra flags to `usimc run`. Unless the
//! flags name their own `--out`, the report goes to `/dev/null`.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test target.
const USIMC: &str = env!("CARGO_BIN_EXE_usimc");
/// The repository root: the binary runs here, so fixture paths in its output
/// are relative (`tests/fixtures/err/x.usim:3:5`) on every machine.
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Scratch space for generated models (too large to commit).
const SCRATCH: &str = env!("CARGO_TARGET_TMPDIR");
/// Longer than any fixture takes; a run past it is reported as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What one invocation of `usimc` did.
struct Outcome {
    /// The exit code; `None` when it was killed by a signal or timed out.
    code: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

/// Runs `usimc ARGS` in the repository root, with a timeout, capturing both streams.
fn usimc(args: &[String]) -> Outcome {
    usimc_in(Path::new(ROOT), args)
}

/// Runs `usimc ARGS` in `dir`.
fn usimc_in(dir: &Path, args: &[String]) -> Outcome {
    let mut child = Command::new(USIMC)
        .args(args)
        .current_dir(dir)
        // A panic (a bug) then prints the same text on every machine.
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {USIMC}: {e}"));
    // Drain both pipes on their own threads so a chatty child cannot block on a full pipe.
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out_pipe.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err_pipe.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for usimc") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("waiting for the killed usimc");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Outcome {
        code: if timed_out { None } else { status.code() },
        stdout: text(out_reader.join().expect("stdout reader")),
        stderr: text(err_reader.join().expect("stderr reader")),
        timed_out,
    }
}

/// A fixture's path as the binary sees it: relative to the repository root.
fn relative(path: &Path) -> String {
    let rel = path.strip_prefix(ROOT).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}

fn source_of(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The extra `run` flags of a fixture: its first line, if it is `// run: FLAGS`.
fn header_flags(source: &str) -> Vec<String> {
    let first = source.lines().next().unwrap_or("");
    match first.strip_prefix("// run:") {
        Some(flags) => flags.split_whitespace().map(str::to_string).collect(),
        None => Vec::new(),
    }
}

/// `usimc run PATH FLAGS`, with the report sent to /dev/null unless the flags say otherwise.
fn run_args(path: &Path) -> Vec<String> {
    let mut args = vec!["run".to_string(), relative(path)];
    let flags = header_flags(&source_of(path));
    if !flags.iter().any(|f| f == "--out" || f.starts_with("--out=")) {
        args.extend(["--out".to_string(), "/dev/null".to_string()]);
    }
    args.extend(flags);
    args
}

/// Appends one stream to a snapshot, marking an empty stream and a missing
/// final newline so that the snapshot shows the output byte for byte.
fn push_stream(text: &mut String, name: &str, stream: &str) {
    text.push_str(&format!("----- {name}\n"));
    if stream.is_empty() {
        text.push_str("(empty)\n");
    } else {
        text.push_str(stream);
        if !stream.ends_with('\n') {
            text.push_str("\n(no newline at end)\n");
        }
    }
}

/// The snapshot text of one invocation: the model source, the command, the exit
/// code and both streams.
fn describe(path: Option<&Path>, args: &[String], outcome: &Outcome) -> String {
    let mut text = String::new();
    if let Some(path) = path {
        push_stream(&mut text, "SOURCE", &source_of(path));
    }
    text.push_str(&format!("----- COMMAND: usimc {}\n", args.join(" ")));
    let exit = match (outcome.timed_out, outcome.code) {
        (true, _) => format!("TIMED OUT after {} s", TIMEOUT.as_secs()),
        (false, Some(code)) => code.to_string(),
        (false, None) => "killed by a signal (a crash)".to_string(),
    };
    text.push_str(&format!("----- EXIT: {exit}\n"));
    push_stream(&mut text, "STDOUT", &outcome.stdout);
    push_stream(&mut text, "STDERR", &outcome.stderr);
    text
}

thread_local! {
    /// Fixtures whose exit code was wrong. A glob stops at the first panic, so
    /// the checks record the problem here and the test fails after every
    /// fixture has been snapshotted.
    static EXIT_PROBLEMS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn expect_exit(args: &[String], outcome: &Outcome, want: i32) {
    if outcome.code != Some(want) {
        let got = outcome.code.map_or("no exit code (crash or hang)".to_string(), |c| c.to_string());
        let problem = format!("usimc {}: exit {got}, want {want}", args.join(" "));
        EXIT_PROBLEMS.with(|p| p.borrow_mut().push(problem));
    }
}

fn fail_on_exit_problems() {
    let problems = EXIT_PROBLEMS.with(|p| std::mem::take(&mut *p.borrow_mut()));
    assert!(problems.is_empty(), "wrong exit codes:\n  {}", problems.join("\n  "));
}

// ---------------------------------------------------------------- one helper per kind

/// `ok/`: the IR text of `usimc emit ir`, which must succeed.
fn check_ok_ir(path: &Path) -> String {
    let args = vec!["emit".to_string(), "ir".to_string(), relative(path)];
    let outcome = usimc(&args);
    expect_exit(&args, &outcome, 0);
    if outcome.code == Some(0) && outcome.stderr.is_empty() {
        outcome.stdout
    } else {
        describe(None, &args, &outcome)
    }
}

/// `ok/`: everything `usimc run` printed; it must succeed.
fn check_ok_run(path: &Path) -> String {
    let args = run_args(path);
    let outcome = usimc(&args);
    expect_exit(&args, &outcome, 0);
    describe(Some(path), &args, &outcome)
}

/// `err/`: the diagnostics of `usimc check`; it must exit 1.
fn check_err(path: &Path) -> String {
    let args = vec!["check".to_string(), relative(path)];
    let outcome = usimc(&args);
    expect_exit(&args, &outcome, 1);
    describe(Some(path), &args, &outcome)
}

/// `runtime/`: the output and error of `usimc run`; it must exit 3.
fn check_runtime(path: &Path) -> String {
    let args = run_args(path);
    let outcome = usimc(&args);
    expect_exit(&args, &outcome, 3);
    describe(Some(path), &args, &outcome)
}

/// `series/`: `usimc run --series FILE`, which must succeed; the snapshot
/// holds the series file after the streams.
fn check_series(path: &Path) -> String {
    let dir = Path::new(SCRATCH).join("series");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let name = path.file_stem().expect("a file name").to_string_lossy().into_owned();
    let file = dir.join(format!("{name}.csv"));
    let _ = std::fs::remove_file(&file);
    let mut args = run_args(path);
    args.extend(["--series".to_string(), file.to_string_lossy().into_owned()]);
    let outcome = usimc(&args);
    expect_exit(&args, &outcome, 0);
    let mut text = describe(Some(path), &args, &outcome);
    push_stream(&mut text, "SERIES", &std::fs::read_to_string(&file).unwrap_or_default());
    text
}

// ---------------------------------------------------------------- the tests

/// Runs the snapshot tests of this file one at a time. insta's `glob!` keeps
/// its failure count in a process-wide stack, so while one glob runs, a
/// snapshot failing in another test thread would be counted into that glob
/// instead of failing its own test.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Settings shared by every snapshot: short names, no machine-specific text.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    // Fixtures run with relative paths, so these only catch a path that slips through.
    settings.add_filter(&regex_escape(SCRATCH), "[SCRATCH]");
    settings.add_filter(&regex_escape(ROOT), "[ROOT]");
    // A panic message names the thread by its id, which differs from run to run.
    settings.add_filter(r"thread '([^']*)' \([0-9]+\)", "thread '$1' ([ID])");
    // Wall-clock figures go to stderr only on a terminal, but never let one in.
    settings.add_filter(r"compiled in [0-9.]+ ms; ran [0-9]+ events in [0-9.]+ ms \([0-9]+ events/s\)", "[TIMING]");
    settings
}

/// Escapes the regex metacharacters of a path, for an insta filter.
fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_punctuation() && c != '/' && c != '_' { format!("\\{c}") } else { c.to_string() })
        .collect()
}

/// The `.usim` files of one fixture folder, failing when there are none: an
/// empty or misnamed folder must not pass silently.
fn fixtures_in(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("tests/fixtures").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "usim"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}: the folder must hold at least one .usim file", dir.display());
    files
}

#[test]
fn ok_fixtures() {
    let _serial = serial();
    fixtures_in("ok");
    settings().bind(|| {
        insta::glob!("fixtures/ok/*.usim", |path| {
            insta::assert_snapshot!("ok_ir", check_ok_ir(path));
            insta::assert_snapshot!("ok_run", check_ok_run(path));
        });
    });
    fail_on_exit_problems();
}

#[test]
fn err_fixtures() {
    let _serial = serial();
    fixtures_in("err");
    settings().bind(|| {
        insta::glob!("fixtures/err/*.usim", |path| {
            insta::assert_snapshot!("err", check_err(path));
        });
    });
    fail_on_exit_problems();
}

#[test]
fn runtime_fixtures() {
    let _serial = serial();
    fixtures_in("runtime");
    settings().bind(|| {
        insta::glob!("fixtures/runtime/*.usim", |path| {
            insta::assert_snapshot!("runtime", check_runtime(path));
        });
    });
    fail_on_exit_problems();
}

#[test]
fn series_fixtures() {
    let _serial = serial();
    fixtures_in("series");
    settings().bind(|| {
        insta::glob!("fixtures/series/*.usim", |path| {
            insta::assert_snapshot!("series", check_series(path));
        });
    });
    fail_on_exit_problems();
}

/// Every fixture sits in one of the folders the tests read (`experiments/`
/// is read by tests/experiments.rs).
#[test]
fn every_fixture_is_in_a_known_folder() {
    let dir = Path::new(ROOT).join("tests/fixtures");
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/fixtures exists") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !(path.is_dir() && matches!(name.as_str(), "ok" | "err" | "runtime" | "series" | "experiments")) {
            strays.push(relative(&path));
        }
    }
    assert!(
        strays.is_empty(),
        "unexpected entries in tests/fixtures (use ok/, err/, runtime/, series/ or experiments/): {strays:?}"
    );
}

/// Every snapshot belongs to a fixture that still exists, so a deleted or
/// renamed fixture cannot leave a stale snapshot behind.
#[test]
fn every_snapshot_has_a_fixture() {
    let dir = Path::new(ROOT).join("tests/snapshots");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/snapshots exists") {
        let name = entry.expect("a directory entry").file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".snap") else { continue };
        let owner = match stem.split_once('@') {
            Some(("ok_ir" | "ok_run", file)) => Path::new(ROOT).join("tests/fixtures/ok").join(file).exists(),
            Some(("err", file)) => Path::new(ROOT).join("tests/fixtures/err").join(file).exists(),
            Some(("runtime", file)) => Path::new(ROOT).join("tests/fixtures/runtime").join(file).exists(),
            Some(("series", file)) => Path::new(ROOT).join("tests/fixtures/series").join(file).exists(),
            Some(("generated", model)) => generated::NAMES.contains(&model),
            Some(("bench", model)) => Path::new(ROOT).join("benches/models").join(format!("{model}.usim")).exists(),
            _ => false,
        };
        if !owner {
            orphans.push(name);
        }
    }
    orphans.sort();
    assert!(orphans.is_empty(), "snapshots without a fixture (delete them): {orphans:?}");
}

/// The ported public conformance cases print exactly their `.out` files, byte
/// for byte (insta ignores trailing newlines; this does not). The cases live in
/// `shared/` beside the repository, as on CI; without it the check is skipped.
#[test]
fn conformance_outputs_match_byte_for_byte() {
    let mut outs: Vec<PathBuf> = Vec::new();
    for folder in ["core", "interaction"] {
        let dir = Path::new(ROOT).join("../shared/conformance").join(folder);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("note: {} is not here; the byte-for-byte check is skipped", dir.display());
            return;
        };
        outs.extend(
            entries.map(|e| e.expect("a directory entry").path()).filter(|p| p.extension().is_some_and(|e| e == "out")),
        );
    }
    outs.sort();
    assert!(!outs.is_empty(), "no .out files in ../shared/conformance");
    let mut misses = Vec::new();
    for out in outs {
        let stem = out.file_stem().expect("a file name").to_string_lossy().into_owned();
        let fixture = Path::new(ROOT).join(format!("tests/fixtures/ok/{stem}.usim"));
        assert!(fixture.exists(), "conformance case {stem} has no fixture at {}", relative(&fixture));
        let expected = std::fs::read_to_string(&out).expect("a readable .out file");
        let got = usimc(&run_args(&fixture));
        if got.stdout != expected {
            misses.push(format!("{stem}: got\n{}\nwant\n{expected}", got.stdout));
        }
    }
    assert!(misses.is_empty(), "stdout differs from the conformance .out:\n{}", misses.join("\n"));
}

// ---------------------------------------------------------------- generated inputs

/// `check` and `run` on a generated model: both must refuse it with exit 1.
/// The model is written to scratch space and named by its bare file name, so
/// the output holds no machine-specific path.
fn check_generated(name: &str, bytes: &[u8]) -> String {
    let dir = Path::new(SCRATCH).join("generated");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let file = format!("{name}.usim");
    std::fs::write(dir.join(&file), bytes).expect("write a generated model");
    let mut text = String::new();
    let check = vec!["check".to_string(), file.clone()];
    let run = vec!["run".to_string(), file, "--out".to_string(), "/dev/null".to_string()];
    for args in [check, run] {
        let outcome = usimc_in(&dir, &args);
        let wrong_exit = outcome.code != Some(1);
        text.push_str(&describe(None, &args, &outcome));
        if wrong_exit {
            text.push_str("----- WRONG EXIT: want 1\n");
        }
    }
    shorten_lines(&text, 160)
}

/// Cuts each line to a readable length, so huge generated lines stay out of snapshots.
fn shorten_lines(text: &str, max: usize) -> String {
    text.lines()
        .map(|line| {
            let chars = line.chars().count();
            if chars > max {
                let kept: String = line.chars().take(max).collect();
                format!("{kept}… ({chars} characters in all)")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One test per generated model; each must be refused with exit 1 and a
/// diagnostic, quickly, without a crash or a hang.
macro_rules! generated {
    ($($name:ident => $model:expr;)*) => {
        /// The names of the generated models, for the orphan check.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];
        $(
        #[test]
        fn $name() {
            let _serial = serial();
            let text = check_generated(stringify!($name), &$model);
            settings().bind(|| insta::assert_snapshot!(concat!("generated@", stringify!($name)), text));
            assert!(!text.contains("----- WRONG EXIT"), "usimc did not exit 1:\n{text}");
        }
    )*};
}

/// A deterministic byte generator (xorshift), so the "random" input is the same on every run.
fn pseudo_random_bytes(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A process `main` whose body is `body`, as model bytes.
fn in_main(body: &str) -> Vec<u8> {
    format!("process main() {{\n{body}\n}}\nrun main()\n").into_bytes()
}

fn else_if_chain(links: usize) -> Vec<u8> {
    let mut body = String::from("    let x = 0\n    if x == 0 {\n        print(\"zero\")\n    }");
    for i in 1..links {
        body.push_str(&format!(" else if x == {i} {{\n        print(\"{i}\")\n    }}"));
    }
    in_main(&body)
}

mod generated {
    use super::*;

    generated! {
        random_bytes => pseudo_random_bytes(4096, 0x9E37_79B9_7F4A_7C15);
        empty_file => Vec::<u8>::new();
        parens_10k_deep => in_main(&format!("    let x = {}1{}\n    print(\"{{x}}\")", "(".repeat(10_000), ")".repeat(10_000)));
        sum_200k_terms => in_main(&format!("    let x = {}1\n    print(\"{{x}}\")", "1 + ".repeat(199_999)));
        if_5k_deep => in_main(&format!("{}print(\"deep\")\n{}", "if true {\n".repeat(5_000), "}\n".repeat(5_000)));
        block_comments_10k_deep => format!("{}\nrun main()\n", "/*".repeat(10_000)).into_bytes();
        array_literal_10k_deep => format!("var a: int = {}0{}\nrun main()\n", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
        negation_200k_deep => in_main(&format!("    let x = {}1\n    print(\"{{x}}\")", "-".repeat(200_000)));
        else_if_120k_long => else_if_chain(120_000);
    }
}
