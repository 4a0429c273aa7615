//! Hostile models: each case of the hardening issue generated at the size
//! that used to crash, abort, eat gigabytes or hang, run through the built
//! `usimc` under an address-space limit and a time limit. Each must end the
//! way the docs say: a diagnostic at its place (exit 1), a runtime error at
//! its line, time and process (exit 3), a command-line error (exit 2), or a
//! normal run (exit 0), in bounded memory and time.
//!
//! The limits are bounds, not speed tests: a regression ends in a failed
//! allocation or a timeout instead of swapping the machine. The other
//! hostile cases have their own suites: output failures and the source
//! limit in `io_failures.rs`, diagnostics in `diagnostic_bounds.rs`, spawn
//! storms in `limits.rs`, nesting in the parser's tests, constant
//! expressions in `compiler/tests/const_vs_jit.rs`.

#![cfg(target_os = "linux")]

mod run;

use run::{model, usimc, Outcome};

/// Generates `count` lines from `line(i)`.
fn lines(count: usize, line: impl Fn(usize) -> String) -> String {
    (0..count).map(|i| line(i) + "\n").collect()
}

fn assert_error_at(outcome: &Outcome, exit: i32, code: &str, at: &str) {
    assert_eq!(outcome.code, Some(exit), "exit code; stderr:\n{}", outcome.stderr_head());
    assert!(outcome.stderr.contains(code), "expected {code}; stderr:\n{}", outcome.stderr_head());
    assert!(outcome.stderr.contains(at), "expected the place {at}; stderr:\n{}", outcome.stderr_head());
}

// ---------------------------------------------------------------- frames

#[test]
fn a_process_frame_over_the_limit_is_an_error_at_the_local_that_goes_over() {
    // 257 arrays of a million values: 2 GiB of frame, which crashed at `run`.
    let body = lines(257, |i| format!("    let a{i} = [{i}; 1048576]"));
    let path = model("frame_process", &format!("process p() {{\n{body}}}\n\nrun p()\n"));
    let outcome = usimc(&["run", &path]);
    // The fifth array takes the frame past 4,194,304 values.
    assert_error_at(&outcome, 1, "E0115", "frame_process.usim:6:9");
}

#[test]
fn a_struct_of_256_large_fields_is_too_large() {
    let fields = lines(256, |i| format!("    f{i}: [int; 1048576],"));
    let text = format!(
        "struct Big {{\n{fields}}}\n\nfn f() -> int {{\n    let b = Big {{ {} }}\n    return b.f0[0]\n}}\n\nprocess p() {{ print(\"{{f()}}\") }}\n\nrun p()\n",
        (0..256).map(|i| format!("f{i}: [0; 1048576]")).collect::<Vec<_>>().join(", ")
    );
    let path = model("struct_256_fields", &text);
    assert_error_at(&usimc(&["run", &path]), 1, "E0114", "struct_256_fields.usim:1:8");
}

#[test]
fn a_fn_frame_over_the_limit_is_an_error_not_a_stack_overflow() {
    // 64 arrays: a 512 MiB frame on the host stack, which crashed at 8 MB RSS.
    let body = lines(64, |i| format!("    let a{i} = [{i}; 1048576]"));
    let text =
        format!("fn f() -> int {{\n{body}    return a63[0]\n}}\n\nprocess p() {{ print(\"{{f()}}\") }}\n\nrun p()\n");
    let path = model("frame_fn", &text);
    // With the result's slot, the fourth array takes the frame over.
    assert_error_at(&usimc(&["run", &path]), 1, "E0115", "frame_fn.usim:5:9");
}

#[test]
fn many_calls_of_a_fn_with_a_large_frame_share_one_stack_area() {
    // A frame of a million values called from 40 places: one stack area, not 40.
    let calls = lines(40, |i| format!("    let x{i} = f({i})"));
    let text = format!(
        "fn f(k: int) -> int {{\n    let a = [k; 1048576]\n    return a[1048575]\n}}\n\nprocess p() {{\n{calls}    print(\"{{x0}} {{x39}}\")\n}}\n\nrun p()\n"
    );
    let outcome = usimc(&["run", &model("shared_call_area", &text), "--out", "/dev/null"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    assert_eq!(outcome.stdout, "0 39\n");
}

// ---------------------------------------------------------------- blow-ups

#[test]
fn a_long_body_compiles_in_memory_linear_in_its_length() {
    // 40k lines of `s += 1` took 18.8 GB; each is an overflow check.
    let body = lines(40_000, |_| "    s += 1".into());
    let text = format!("var s: int = 0\n\nprocess p() {{\n{body}    print(\"{{s}}\")\n}}\n\nrun p()\n");
    let outcome = usimc(&["run", &model("long_body", &text), "--out", "/dev/null"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    assert_eq!(outcome.stdout, "40000\n");
}

#[test]
fn a_long_body_of_waits_compiles_in_bounded_memory() {
    // 40k lines of `await delay(1)` took 3.2 GB: 40k states.
    let body = lines(40_000, |_| "    await delay(1)".into());
    let text = format!("process p() {{\n{body}    print(\"{{now}}\")\n}}\n\nrun p()\n");
    let outcome = usimc(&["run", &model("long_waits", &text), "--out", "/dev/null"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    assert_eq!(outcome.stdout, "40000\n");
}

#[test]
fn printing_and_awaiting_a_large_array_is_a_loop_not_unrolled_code() {
    // 5.95 GB and 31 s for the print, 3.6 GB and 17 s for the await, before.
    let text =
        "process make() -> [int; 1048576] {\n    let xs = [3; 1048576]\n    xs[1048575] = 4\n    return xs\n}\n\n\
                process p() {\n    let xs = await spawn make()\n    print(\"{xs}\")\n}\n\nrun p()\n";
    let outcome = usimc(&["run", &model("big_print", text), "--out", "/dev/null"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    let printed = outcome.stdout.trim_end();
    assert!(printed.starts_with("[3, 3, 3, "), "{}", &printed[..40.min(printed.len())]);
    assert!(printed.ends_with(", 3, 4]"));
    assert_eq!(printed.matches(", ").count(), 1_048_575);
}

#[test]
fn values_are_counted_through_nested_structs() {
    // L8 holds 2^28 values; `check` took 10.5 GB, and L12 aborted.
    let mut text = String::from("struct L0 { xs: [int; 1048576] }\n");
    for i in 1..=12 {
        text += &format!("struct L{i} {{ a: L{}, b: L{} }}\n", i - 1, i - 1);
    }
    text += "var big: L8 = L8 { a: L7 { a: L6 { a: L5 { a: L4 { a: L3 { a: L2 { a: L1 { a: L0 { xs: [0; 1048576] } } } } } } } } }\n";
    text += "process p() { }\n\nrun p()\n";
    let outcome = usimc(&["check", &model("nested_structs", &text)]);
    assert_error_at(&outcome, 1, "E0114", "nested_structs.usim:2:8");
    assert!(outcome.stderr.contains("struct `L1` holds 2097152 values"));
}

#[test]
fn doubling_structs_are_checked_in_linear_time() {
    // 30 unused structs each holding the next twice: 51 s, doubling per line.
    let mut text = lines(30, |i| format!("struct S{i} {{ x: S{}, y: S{} }}", i + 1, i + 1));
    text += "struct S30 { v: int }\n\nprocess p() { }\n\nrun p()\n";
    let outcome = usimc(&["check", &model("doubling_structs", &text)]);
    // S9 and below hold more than a million values; S0 is reported first.
    assert_error_at(&outcome, 1, "E0114", "doubling_structs.usim:1:8");
}

#[test]
fn a_chain_of_100k_structs_is_checked_without_recursion() {
    // A 10k chain took 40 s, a 100k chain hung.
    let mut text = lines(100_000, |i| format!("struct C{i} {{ x: C{} }}", i + 1));
    text += "struct C100000 { v: int }\n\nvar c: C99990 = C99990 { x: C99991 { x: C99992 { x: C99993 { x: C99994 { x: C99995 { x: C99996 { x: C99997 { x: C99998 { x: C99999 { x: C100000 { v: 7 } } } } } } } } } } }\n\nprocess p() { print(\"{c.x.x.x.x.x.x.x.x.x.x.v}\") }\n\nrun p()\n";
    let outcome = usimc(&["run", &model("struct_chain", &text), "--out", "/dev/null"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    assert_eq!(outcome.stdout, "7\n");
}

#[test]
fn structs_that_contain_each_other_in_a_long_cycle_are_one_error() {
    let mut text = lines(50_000, |i| format!("struct R{i} {{ x: R{} }}", (i + 1) % 50_000));
    text += "\nprocess p() { }\n\nrun p()\n";
    let outcome = usimc(&["check", &model("struct_cycle", &text)]);
    assert_error_at(&outcome, 1, "E0104", "struct_cycle.usim:1:8");
    assert_eq!(outcome.stderr.matches("error[E0104]").count(), 1, "{}", outcome.stderr_head());
}

#[test]
fn a_sparse_file_of_3_gb_is_refused_without_reading_it() {
    let path = run::scratch("sparse_3gb.usim");
    let file = std::fs::File::create(&path).expect("create the sparse file");
    file.set_len(3_000_000_000).expect("size the sparse file");
    let outcome = usimc(&["check", path.to_str().expect("a UTF-8 path")]);
    let _ = std::fs::remove_file(&path);
    assert_error_at(&outcome, 1, "the model is too large", "3000000000 bytes");
}

// ---------------------------------------------------------------- time

#[test]
fn an_every_below_the_resolution_of_time_is_a_runtime_error() {
    let text = "process p() {\n    await at(1.0)\n    every 1e-300 { }\n}\n\nrun p()\n";
    let outcome = usimc(&["run", &model("every_tiny", text), "--out", "/dev/null"]);
    assert_error_at(&outcome, 3, "`every` cannot advance", "every_tiny.usim:3:11");
    assert!(outcome.stderr.contains("at simulated time 1 in process p"), "{}", outcome.stderr_head());
}

#[test]
fn an_every_whose_next_start_is_infinite_waits_forever() {
    let text = "process p() {\n    every 1e308 { print(\"{now}\") }\n}\n\nrun p()\n";
    let outcome = usimc(&["run", &model("every_huge", text), "--report", "json", "--out", "/dev/stdout"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    assert!(outcome.stdout.starts_with("0\n1"), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("\"on\": \"time inf\""), "{}", outcome.stdout);
}

#[test]
fn an_infinite_delay_waits_forever_and_an_infinite_period_runs_once() {
    let text = "process sleeper() {\n    await delay(1.0 / 0.0)\n    print(\"never\")\n}\n\n\
                process once() {\n    every 1.0 / 0.0 { print(\"{now} once\") }\n}\n\nrun sleeper(), once()\n";
    let outcome = usimc(&["run", &model("infinite_times", text), "--out", "/dev/stdout"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    assert!(outcome.stdout.starts_with("0 once\nend time  0\n"), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("sleeper waits on time inf since 0"), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("once waits on time inf since 0"), "{}", outcome.stdout);
}

// ---------------------------------------------------------------- command line

#[test]
fn set_takes_exactly_a_literal_and_each_param_once() {
    let path =
        model("params", "param N: int = 1\nparam R: float = 1.0\n\nprocess p() { print(\"{N} {R}\") }\n\nrun p()\n");
    for bad in ["R=inf", "R=nan", "R=1e999", "N=_1", "R=.5", "N=9223372036854775808"] {
        let outcome = usimc(&["run", &path, "--set", bad]);
        assert_eq!(outcome.code, Some(2), "--set {bad}: {}", outcome.stderr_head());
        assert!(outcome.stderr.contains("give a literal as a model would write it"), "{}", outcome.stderr_head());
    }
    let twice = usimc(&["run", &path, "--set", "N=5", "--set", "N=6"]);
    assert_eq!(twice.code, Some(2));
    assert!(twice.stderr.contains("--set N is given twice"), "{}", twice.stderr_head());
    let good = usimc(&["run", &path, "--set", "N=1_000", "--set", "R=-2.5e-1", "--out", "/dev/null"]);
    assert_eq!((good.code, good.stdout.as_str()), (Some(0), "1000 -0.25\n"), "{}", good.stderr_head());
}

#[test]
fn until_minus_zero_ends_at_zero() {
    let path = model("until_zero", "process p() { await delay(1) }\n\nrun p()\n");
    let outcome = usimc(&["run", &path, "--until", "-0", "--out", "/dev/stdout"]);
    assert_eq!(outcome.code, Some(0));
    assert!(outcome.stdout.starts_with("end time  0\n"), "{}", outcome.stdout);
}

// ---------------------------------------------------------------- text

#[test]
fn a_byte_order_mark_is_not_a_column() {
    let path = model("bom", "\u{FEFF}process p() { x }\n\nrun p()\n");
    assert_error_at(&usimc(&["check", &path]), 1, "E0105", "bom.usim:1:15");
}

#[test]
fn a_select_that_completes_at_once_leaves_no_timer_behind() {
    // Each round's timer arm used to stay in the event queue: a loop that
    // never lets time pass grew by about 0.5 GB/s.
    let text = "process w() { }\n\nprocess p() {\n    let h = spawn w()\n    await delay(1)\n    let n = 0\n    loop {\n        select {\n            await delay(5) => { }\n            await h => { n += 1 }\n        }\n        if n == 20000000 { break }\n    }\n    print(\"{now} {n}\")\n}\n\nrun p()\n";
    let outcome = usimc(&["run", &model("select_loop", text), "--out", "/dev/null"]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr_head());
    assert_eq!(outcome.stdout, "1 20000000\n");
}
