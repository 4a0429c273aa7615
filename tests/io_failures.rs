//! Output and input failures of the `usimc` binary: a full disk, a closed
//! stdout, a failing stderr, a model that is endless, huge, a directory,
//! missing or not UTF-8. Each must end with the exact exit code (2 for an IO
//! error, 1 for a model that cannot be compiled) and a message that names
//! the stream or the file, never with a panic or a hang. A pipe closed by
//! its reader is no failure: usimc ends quietly with exit code 0.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const USIMC: &str = env!("CARGO_BIN_EXE_usimc");
/// Longer than any case takes; a case past it failed (a hang, or a file read whole).
const TIMEOUT: Duration = Duration::from_secs(60);

const PRINTS: &str = "process main() {\n    print(\"hello\")\n}\nrun main()\n";
const SILENT: &str = "var n: int = 0\nprocess main() {\n    n += 1\n}\nrun main()\n";
const BAD: &str = "process main() {\n    let x = \n}\nrun main()\n";
const FAILS: &str = "process main() {\n    print(\"before\")\n    fail(\"boom\")\n}\nrun main()\n";

const FULL_DISK: &str = "No space left on device (os error 28)";

/// A file in the temp directory with a name no other test (or test run) uses.
fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("usimc-io-{}-{n}-{name}", std::process::id()))
}

/// Writes a model to a fresh temp file and returns its path.
fn model(name: &str, bytes: &[u8]) -> String {
    let path = temp_path(name);
    std::fs::write(&path, bytes).expect("write a temp model");
    path.to_string_lossy().into_owned()
}

/// What one invocation did.
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Waits for `child` (its stdout and stderr piped, or not) under `limit`,
/// reading both pipes on threads; panics on a timeout.
fn finish(mut child: Child, limit: Duration) -> Ended {
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = read(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for usimc") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("usimc did not end within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ended {
        code: status.code(),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// `usimc ARGS` with the given stdout and stderr (stdin empty).
fn usimc_with(args: &[&str], stdout: Stdio, stderr: Stdio) -> Ended {
    let child = Command::new(USIMC)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("start usimc");
    finish(child, TIMEOUT)
}

/// `usimc ARGS` with stdout and stderr captured.
fn usimc(args: &[&str]) -> Ended {
    usimc_with(args, Stdio::piped(), Stdio::piped())
}

fn dev_full() -> Stdio {
    Stdio::from(File::options().write(true).open("/dev/full").expect("/dev/full exists"))
}

/// `usimc ARGS` through `sh`, with `redirect` (such as `>&-`) applied to it.
fn usimc_in_shell(args: &[&str], redirect: &str) -> Ended {
    let script = format!("exec \"$0\" \"$@\" {redirect}");
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(USIMC)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sh");
    finish(child, TIMEOUT)
}

fn assert_ends(ended: &Ended, code: i32, stderr: &str) {
    assert_eq!(ended.code, Some(code), "exit code; stderr:\n{}", ended.stderr);
    assert!(ended.stderr.contains(stderr), "stderr lacks {stderr:?}:\n{}", ended.stderr);
    assert!(!ended.stderr.contains("panicked"), "a panic:\n{}", ended.stderr);
    assert!(!ended.stderr.contains("R0001"), "an output failure shown as a runtime error:\n{}", ended.stderr);
}

// ------------------------------------------------------------ stdout fails

#[test]
fn model_output_to_a_full_disk() {
    let path = model("prints.usim", PRINTS.as_bytes());
    let ended = usimc_with(&["run", &path], dev_full(), Stdio::piped());
    assert_ends(&ended, 2, &format!("usimc: cannot write the model's output to stdout: {FULL_DISK}\n"));
}

#[test]
fn a_runtime_error_before_the_output_failed_is_shown_too() {
    // `before` waits in the buffer when `fail` stops the run; writing it fails after.
    let path = model("fails.usim", FAILS.as_bytes());
    let ended = usimc_with(&["run", &path], dev_full(), Stdio::piped());
    assert_eq!(ended.code, Some(2), "stderr:\n{}", ended.stderr);
    let error = ended.stderr.find("error[R0001]: boom").expect("the model's error");
    let failure = ended
        .stderr
        .find(&format!("usimc: cannot write the model's output to stdout: {FULL_DISK}\n"))
        .expect("the output's failure");
    assert!(error < failure, "{}", ended.stderr);
}

#[test]
fn report_to_a_full_disk() {
    let path = model("silent.usim", SILENT.as_bytes());
    let ended = usimc_with(&["run", &path], dev_full(), Stdio::piped());
    assert_ends(&ended, 2, &format!("usimc: cannot write the report to stdout: {FULL_DISK}\n"));
}

#[test]
fn emit_to_a_full_disk() {
    let path = model("prints.usim", PRINTS.as_bytes());
    for (stage, what) in [("ast", "the AST"), ("ir", "the IR"), ("clif", "the CLIF")] {
        let ended = usimc_with(&["emit", stage, &path], dev_full(), Stdio::piped());
        assert_ends(&ended, 2, &format!("usimc: cannot write {what} to stdout: {FULL_DISK}\n"));
    }
}

#[test]
fn help_to_a_full_disk() {
    let ended = usimc_with(&["--help"], dev_full(), Stdio::piped());
    assert_ends(&ended, 2, &format!("usimc: cannot write the help to stdout: {FULL_DISK}\n"));
}

#[test]
fn a_closed_stdout_loses_nothing_silently() {
    let prints = model("prints.usim", PRINTS.as_bytes());
    let ended = usimc_in_shell(&["run", &prints], ">&-");
    assert_ends(&ended, 2, "usimc: cannot write the model's output to stdout: it is closed\n");
    let silent = model("silent.usim", SILENT.as_bytes());
    let ended = usimc_in_shell(&["run", &silent], ">&-");
    assert_ends(&ended, 2, "usimc: cannot write the report to stdout: it is closed\n");
    let ended = usimc_in_shell(&["emit", "ir", &silent], ">&-");
    assert_ends(&ended, 2, "usimc: cannot write the IR to stdout: it is closed\n");
}

#[test]
fn a_closed_stdout_is_fine_when_nothing_goes_there() {
    let silent = model("silent.usim", SILENT.as_bytes());
    let ended = usimc_in_shell(&["run", &silent, "--out", "/dev/null"], ">&-");
    assert_eq!(ended.code, Some(0), "stderr:\n{}", ended.stderr);
    assert_eq!(ended.stderr, "");
    let ended = usimc_in_shell(&["check", &silent], ">&-");
    assert_eq!(ended.code, Some(0), "stderr:\n{}", ended.stderr);
}

/// A pipe whose reader has gone (`usimc run m.usim | head -1`): the reader
/// wanted no more, so usimc stops writing and ends quietly with success, as
/// other Unix tools do.
fn assert_quiet_success(ended: &Ended) {
    assert_eq!(ended.code, Some(0), "exit code; stderr:\n{}", ended.stderr);
    assert_eq!(ended.stderr, "", "a closed pipe is no error");
}

/// A pipe for stdout whose reader is gone before usimc starts.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

#[test]
fn model_output_into_a_pipe_closed_before_it_is_written() {
    let path = model("prints.usim", PRINTS.as_bytes());
    assert_quiet_success(&usimc_with(&["run", &path], closed_pipe(), Stdio::piped()));
    // The report alone, and the output of several runs, too.
    let silent = model("silent.usim", SILENT.as_bytes());
    assert_quiet_success(&usimc_with(&["run", &silent], closed_pipe(), Stdio::piped()));
    assert_quiet_success(&usimc_with(&["run", &path, "--reps", "3"], closed_pipe(), Stdio::piped()));
    for stage in ["ast", "ir", "clif"] {
        assert_quiet_success(&usimc_with(&["emit", stage, &path], closed_pipe(), Stdio::piped()));
    }
    assert_quiet_success(&usimc_with(&["--help"], closed_pipe(), Stdio::piped()));
}

#[test]
fn a_closed_pipe_keeps_the_runtime_error_that_came_first() {
    // `before` waits in the buffer when `fail` stops the run; writing it finds the pipe closed.
    let path = model("fails.usim", FAILS.as_bytes());
    let ended = usimc_with(&["run", &path], closed_pipe(), Stdio::piped());
    assert_eq!(ended.code, Some(3), "stderr:\n{}", ended.stderr);
    assert!(ended.stderr.starts_with("error[R0001]: boom\n"), "{}", ended.stderr);
    assert!(!ended.stderr.contains("cannot write"), "{}", ended.stderr);
    let ended = usimc_with(&["run", &path, "--reps", "2"], closed_pipe(), Stdio::piped());
    assert_eq!(ended.code, Some(3), "stderr:\n{}", ended.stderr);
    assert!(ended.stderr.starts_with("error[R0001]: boom\n"), "{}", ended.stderr);
    assert!(ended.stderr.ends_with("usimc: in replication 0\n"), "{}", ended.stderr);
}

#[test]
fn a_closed_pipe_does_not_cost_the_report_file() {
    // The output is dropped from the closed pipe on, and the runs go on to the report.
    let path = model("prints.usim", PRINTS.as_bytes());
    for reps in ["1", "3"] {
        let out = temp_path("report.txt");
        let out_arg = out.to_string_lossy().into_owned();
        let ended = usimc_with(&["run", &path, "--reps", reps, "--out", &out_arg], closed_pipe(), Stdio::piped());
        assert_quiet_success(&ended);
        let report = std::fs::read_to_string(&out).expect("the report was written");
        let expected = if reps == "1" { "end time  0\n" } else { "replications  3\n" };
        assert!(report.starts_with(expected), "{report}");
        let _ = std::fs::remove_file(&out);
    }
}

#[test]
fn emit_ir_into_a_pipe_closed_after_the_first_line() {
    // Far more IR than a pipe holds, so usimc is still writing when the reader goes.
    let mut source = String::from("process main() {\n");
    for i in 0..20_000 {
        source.push_str(&format!("    print(\"line {i}\")\n"));
    }
    source.push_str("}\nrun main()\n");
    let path = model("long.usim", source.as_bytes());
    for args in [&["emit", "ir", &path][..], &["run", &path]] {
        let mut child = Command::new(USIMC)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start usimc");
        let mut first = String::new();
        let mut lines = BufReader::new(child.stdout.take().expect("piped"));
        lines.read_line(&mut first).expect("the first line");
        assert!(!first.is_empty());
        drop(lines);
        assert_quiet_success(&finish(child, TIMEOUT));
    }
}

// ------------------------------------------------------------ stderr fails

#[test]
fn diagnostics_to_a_full_disk_exit_2() {
    let path = model("bad.usim", BAD.as_bytes());
    for command in ["check", "run"] {
        let ended = usimc_with(&[command, &path], Stdio::piped(), dev_full());
        assert_eq!(ended.code, Some(2), "usimc {command}");
        assert_eq!(ended.stdout, "");
    }
}

#[test]
fn messages_to_a_closed_stderr_exit_2() {
    let bad = model("bad.usim", BAD.as_bytes());
    let ended = usimc_in_shell(&["check", &bad], "2>&-");
    assert_eq!(ended.code, Some(2));
    let ended = usimc_in_shell(&["run", "/nonexistent/usimc/model.usim"], "2>&-");
    assert_eq!(ended.code, Some(2));
    let fails = model("fails.usim", FAILS.as_bytes());
    let ended = usimc_with(&["run", &fails], Stdio::piped(), dev_full());
    assert_eq!(ended.code, Some(2), "a runtime error that cannot be shown");
    assert_eq!(ended.stdout, "before\n");
}

#[test]
fn both_streams_full_exit_2() {
    let path = model("prints.usim", PRINTS.as_bytes());
    let ended = usimc_with(&["run", &path], dev_full(), dev_full());
    assert_eq!(ended.code, Some(2));
}

// ------------------------------------------------------------ --out

#[test]
fn a_bad_out_path_fails_before_the_run() {
    let path = model("prints.usim", PRINTS.as_bytes());
    let out = "/nonexistent/usimc/report.txt";
    let ended = usimc(&["run", &path, "--out", out]);
    assert_ends(
        &ended,
        2,
        &format!("usimc: cannot write the report to {out}: No such file or directory (os error 2)\n"),
    );
    assert_eq!(ended.stdout, "", "the model ran");
    let dir = std::env::temp_dir();
    let dir = dir.to_string_lossy();
    let ended = usimc(&["run", &path, "--out", &dir]);
    assert_ends(&ended, 2, &format!("usimc: cannot write the report to {dir}: Is a directory (os error 21)\n"));
    assert_eq!(ended.stdout, "");
}

#[test]
fn merge_opens_its_out_file_before_reading_the_parts() {
    // The part does not exist either: the report file is refused first.
    let out = "/nonexistent/usimc/report.txt";
    let ended = usimc(&["merge", "/nonexistent/usimc/part-1.json", "--out", out]);
    assert_eq!(ended.code, Some(2));
    assert_eq!(
        ended.stderr,
        format!("usimc: cannot write the report to {out}: No such file or directory (os error 2)\n")
    );
    // And a merge that fails leaves no new report file.
    let fresh = temp_path("merged.txt");
    let fresh_arg = fresh.to_string_lossy().into_owned();
    let ended = usimc(&["merge", "/nonexistent/usimc/part-1.json", "--out", &fresh_arg]);
    assert_eq!(ended.code, Some(2));
    assert!(
        ended.stderr.starts_with("usimc: cannot read the part /nonexistent/usimc/part-1.json: "),
        "{}",
        ended.stderr
    );
    assert!(!fresh.exists(), "a failed merge created its report file");
}

#[test]
fn a_report_file_on_a_full_disk() {
    let path = model("prints.usim", PRINTS.as_bytes());
    let ended = usimc(&["run", &path, "--out", "/dev/full"]);
    assert_ends(&ended, 2, &format!("usimc: cannot write the report to /dev/full: {FULL_DISK}\n"));
    assert_eq!(ended.stdout, "hello\n");
}

#[test]
fn a_failed_run_leaves_no_new_report_file_and_an_old_one_as_it_was() {
    let fails = model("fails.usim", FAILS.as_bytes());
    let out = temp_path("report.txt");
    let out_arg = out.to_string_lossy().into_owned();
    let ended = usimc(&["run", &fails, "--out", &out_arg]);
    assert_eq!(ended.code, Some(3), "stderr:\n{}", ended.stderr);
    assert!(!out.exists(), "a failed run created its report file");
    std::fs::write(&out, "old report\n").expect("write the old report");
    let ended = usimc(&["run", &fails, "--out", &out_arg]);
    assert_eq!(ended.code, Some(3));
    assert_eq!(std::fs::read_to_string(&out).expect("the old report"), "old report\n");
    let prints = model("prints.usim", PRINTS.as_bytes());
    let ended = usimc(&["run", &prints, "--out", &out_arg]);
    assert_eq!(ended.code, Some(0), "stderr:\n{}", ended.stderr);
    let report = std::fs::read_to_string(&out).expect("the new report");
    assert!(report.starts_with("end time  0\nevents    1\n"), "{report}");
    let _ = std::fs::remove_file(&out);
}

// ------------------------------------------------------------ reading the model

#[test]
fn dev_zero_is_too_large_and_read_only_to_the_limit() {
    let child = Command::new(USIMC)
        .args(["check", "/dev/zero"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start usimc");
    let ended = finish(child, Duration::from_secs(20));
    assert_ends(&ended, 1, "error[E0004]: the model is too large: more than 8388608 bytes, the limit is 8 MiB\n");
    assert!(ended.stderr.contains("/dev/zero: 1 error found\n"), "{}", ended.stderr);
}

#[test]
fn a_huge_sparse_file_is_refused_by_its_size() {
    let path = temp_path("huge.usim");
    let file = File::create(&path).expect("create a temp file");
    file.set_len(3_000_000_000).expect("a sparse file");
    drop(file);
    let arg = path.to_string_lossy().into_owned();
    let start = Instant::now();
    let ended = usimc(&["run", &arg]);
    let _ = std::fs::remove_file(&path);
    assert_ends(&ended, 1, "error[E0004]: the model is too large: 3000000000 bytes, the limit is 8 MiB\n");
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}

#[test]
fn a_directory_as_the_model() {
    let dir = std::env::temp_dir();
    let dir = dir.to_string_lossy();
    for command in ["check", "run"] {
        let ended = usimc(&[command, &dir]);
        assert_ends(&ended, 2, &format!("usimc: cannot read the model {dir}: it is a directory\n"));
    }
    let ended = usimc(&["emit", "ir", &dir]);
    assert_ends(&ended, 2, "it is a directory\n");
}

#[test]
fn a_missing_model() {
    let path = "/nonexistent/usimc/model.usim";
    let ended = usimc(&["run", path]);
    assert_ends(&ended, 2, &format!("usimc: cannot read the model {path}: No such file or directory (os error 2)\n"));
}

#[test]
fn an_unreadable_model() {
    use std::os::unix::fs::PermissionsExt;
    let path = model("locked.usim", PRINTS.as_bytes());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if File::open(&path).is_ok() {
        // Running as root: permissions do not stop a read.
        return;
    }
    let ended = usimc(&["check", &path]);
    assert_ends(&ended, 2, &format!("usimc: cannot read the model {path}: Permission denied (os error 13)\n"));
}

#[test]
fn invalid_utf8_is_located_by_line_and_column() {
    // Line 3, after `    print("h` (12 characters): column 13.
    let path =
        model("latin1.usim", b"// caf\xc3\xa9 is fine\nprocess main() {\n    print(\"h\xffi\")\n}\nrun main()\n");
    for command in ["check", "run"] {
        let ended = usimc(&[command, &path]);
        assert_ends(&ended, 1, "error[E0001]: the model is not valid UTF-8 text\n");
        assert!(ended.stderr.contains(&format!("┌─ {path}:3:13\n")), "{}", ended.stderr);
        assert!(ended.stderr.contains("the byte 0xFF is not UTF-8"), "{}", ended.stderr);
        assert!(ended.stderr.contains(&format!("{path}: 1 error found\n")), "{}", ended.stderr);
    }
    // Control characters are not echoed to the terminal; CRLF line ends count as line ends.
    let path = model("escape.usim", b"// one\r\n// two\r\nprocess main() { print(\"\x1b[2J\xe9\") }\r\nrun main()\r\n");
    let ended = usimc(&["check", &path]);
    assert_ends(&ended, 1, "the byte 0xE9 is not UTF-8");
    assert!(ended.stderr.contains(&format!("┌─ {path}:3:29\n")), "{}", ended.stderr);
    assert!(ended.stderr.contains("print(\"\u{fffd}[2J\u{fffd}\")"), "{}", ended.stderr);
    assert!(!ended.stderr.contains('\x1b') && !ended.stderr.contains('\r'), "{:?}", ended.stderr);
    // A character cut off by the end of the file: its bytes are shown.
    let path = model("cut.usim", b"process main() { }\nrun main()\n// \xe2\x82");
    let ended = usimc(&["check", &path]);
    assert_ends(&ended, 1, "the bytes 0xE2 0x82 are not UTF-8");
    assert!(ended.stderr.contains(&format!("┌─ {path}:3:4\n")), "{}", ended.stderr);
}

// ------------------------------------------------- the report on stdout

/// `--out /dev/stdout` with stdout redirected to a file: the report follows
/// the model's output in that file instead of overwriting it from the start
/// (it used to empty the file, which is stdout's own, before writing).
#[test]
fn a_report_to_dev_stdout_redirected_to_a_file_follows_the_output() {
    let source = model("prints.usim", PRINTS.as_bytes());
    let path = temp_path("stdout.txt");
    let file = File::create(&path).expect("a file for stdout");
    let ended = usimc_with(&["run", &source, "--out", "/dev/stdout"], Stdio::from(file), Stdio::piped());
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    let written = std::fs::read_to_string(&path).expect("read stdout's file");
    assert_eq!(written, "hello\nend time  0\nevents    1\nended by  no_events\n");
}
