//! Ctrl-C ends a run with where it was: the simulated time, the process
//! and the loop it was in when one was running, and exit code 130; a run
//! stuck in a loop at one instant stops too (generated code polls at every
//! loop head).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USIMC: &str = env!("CARGO_BIN_EXE_usimc");

/// A loop that never suspends, after time has reached 2.5.
const SPIN: &str =
    "var n: int = 0\nprocess main() {\n    await delay(2.5)\n    loop {\n        n += 1\n    }\n}\nrun main()\n";

/// Time advances for ever: the event loop is where Ctrl-C is seen.
const TICK: &str = "var n: int = 0\nprocess main() {\n    every 1.0 {\n        n += 1\n    }\n}\nrun main()\n";

struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs usimc on `source` with `args`, sends it SIGINT once it has had time
/// to start its run, and waits for it to end.
fn interrupted(name: &str, source: &str, args: &[&str]) -> Ended {
    let dir = std::env::temp_dir().join(format!("usimc-interrupt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    std::fs::write(dir.join(format!("{name}.usim")), source).expect("the model");
    let mut child = Command::new(USIMC)
        .current_dir(&dir)
        .arg("run")
        .arg(format!("{name}.usim"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start usimc");
    // Compiling these models takes milliseconds; give the run time to start.
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().expect("kill runs");
    assert!(sent.success(), "kill -INT failed");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for usimc") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("usimc did not stop within 30 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).expect("read stdout");
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    Ended { code: status.code(), stdout, stderr }
}

#[test]
fn ctrl_c_in_a_loop_that_never_suspends_names_the_loop() {
    let ended = interrupted("spin", SPIN, &[]);
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    assert!(ended.stderr.contains("error[R0001]: interrupted (Ctrl-C)\n  ┌─ spin.usim:4:5\n"), "{}", ended.stderr);
    assert!(ended.stderr.contains("= at simulated time 2.5 in process main"), "{}", ended.stderr);
    assert_eq!(ended.stdout, "", "no report after an interrupted run");
}

#[test]
fn ctrl_c_between_events_says_when() {
    let ended = interrupted("tick", TICK, &[]);
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    assert!(ended.stderr.starts_with("error[R0001]: interrupted (Ctrl-C)\n"), "{}", ended.stderr);
    assert!(ended.stderr.contains("= at simulated time "), "{}", ended.stderr);
}

#[test]
fn ctrl_c_stops_every_replication() {
    let ended = interrupted("spin_reps", SPIN, &["--reps", "4", "--jobs", "2"]);
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    assert!(ended.stderr.contains("interrupted (Ctrl-C)"), "{}", ended.stderr);
    assert!(ended.stderr.contains("usimc: in "), "names the run: {}", ended.stderr);
}
