//! Small promises of the `usimc` command line, each with its exact output:
//! `usimc check` says what it checked, and an error that a `--set` value
//! causes says so. (Closed pipes and other output failures are in
//! `tests/io_failures.rs`.)

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, PartialEq, Eq)]
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A fresh folder of this test's own.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Writes `source` to `dir/name` and runs `usimc ARGS` in `dir`, so that
/// messages name the model by its bare file name.
fn usimc(dir: &Path, name: &str, source: &str, args: &[&str]) -> Ended {
    std::fs::write(dir.join(name), source).expect("a writable scratch file");
    let output = Command::new(env!("CARGO_BIN_EXE_usimc")).current_dir(dir).args(args).output().expect("usimc runs");
    Ended {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ended(code: i32, stdout: &str, stderr: &str) -> Ended {
    Ended { code: Some(code), stdout: stdout.to_string(), stderr: stderr.to_string() }
}

const SHOP: &str = "\
param N: int = 3
lock desk
fn service(i: int) -> float { return 1.0 + float(i) }
fn twice(x: float) -> float { return 2.0 * x }
process customer(i: int) { with desk { await delay(twice(service(i))) } }
process source() { for i in 0..N { spawn customer(i) } }
process clock() { await delay(1.0) }
run source(), clock()
";

#[test]
fn check_says_what_it_checked() {
    let dir = scratch("check_summary");
    assert_eq!(
        usimc(&dir, "shop.usim", SHOP, &["check", "shop.usim"]),
        ended(0, "", "shop.usim: no problems (3 processes, 2 fns)\n")
    );
    let one = "process main() { }\nrun main()\n";
    assert_eq!(
        usimc(&dir, "one.usim", one, &["check", "one.usim"]),
        ended(0, "", "one.usim: no problems (1 process, 0 fns)\n")
    );
}

#[test]
fn check_counts_the_warnings_it_shows() {
    let dir = scratch("check_warnings");
    let source = "var count: int = 0\nfn one() -> int { return 1 }\nprocess main() {\n    let count = one()\n    count + 1\n}\nrun main()\n";
    assert_eq!(
        usimc(&dir, "w.usim", source, &["check", "w.usim"]),
        ended(
            0,
            "",
            "\
warning[W0001]: `count` shadows a global of the same name
  ┌─ w.usim:4:9
  │
4 │     let count = one()
  │         ^^^^^ this local hides the global here

warning[W0002]: this expression does nothing
  ┌─ w.usim:5:5
  │
5 │     count + 1
  │     ^^^^^^^^^ its value is not used

w.usim: 2 warnings, no errors (1 process, 1 fn)
"
        )
    );
}

const FAMILY: &str = "\
param MACHINES: int = 2
lock machines[MACHINES]
process main() { with machines[0] { await delay(1.0) } }
run main()
";

#[test]
fn an_error_a_set_value_causes_says_so() {
    let dir = scratch("set_blamed");
    assert_eq!(
        usimc(&dir, "m.usim", FAMILY, &["run", "m.usim", "--set", "MACHINES=-1"]),
        ended(
            1,
            "",
            "\
error[E0114]: a family length must be between 0 and 1048576, got -1
  ┌─ m.usim:2:15
  │
2 │ lock machines[MACHINES]
  │               ^^^^^^^^ length out of range
  │
  = this comes from `--set MACHINES=-1`: without it the model has no such error

m.usim: 1 error found
"
        )
    );
    // With several `--set`, the note names them all.
    let two = format!("param SPARE: int = 0\n{FAMILY}");
    let run = usimc(&dir, "two.usim", &two, &["run", "two.usim", "--set", "SPARE=4", "--set", "MACHINES=0"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(
            "  = this comes from `--set SPARE=4 --set MACHINES=0`: without them the model has no such error\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_error_of_the_model_itself_is_not_blamed_on_set() {
    // The E0105 is there whatever MACHINES is; only the E0114 comes from --set.
    let dir = scratch("set_not_blamed");
    let source = FAMILY.replace("await delay(1.0)", "await delay(nope)");
    let run = usimc(&dir, "m.usim", &source, &["run", "m.usim", "--set", "MACHINES=-1"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr.matches("this comes from `--set MACHINES=-1`").count(), 1, "{}", run.stderr);
    let unknown = run.stderr.find("error[E0105]").expect("the model's own error");
    assert!(!run.stderr[unknown..].contains("--set"), "{}", run.stderr);
    // Without --set, no note.
    let check = usimc(&dir, "m.usim", &source, &["run", "m.usim"]);
    assert_eq!(check.code, Some(1));
    assert!(!check.stderr.contains("--set"), "{}", check.stderr);
}
