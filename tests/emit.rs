//! `usimc emit ast|clif`: stable text, fit for snapshots (`emit ir` is
//! snapshotted for every ok fixture in `fixtures.rs`).

use std::process::Command;

fn emit(stage: &str, model: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_usimc"))
        .args(["emit", stage, model])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("usimc runs");
    assert!(out.status.success(), "emit {stage} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

const MODEL: &str = "tests/fixtures/ok/c04_join_cancel.usim";

#[test]
fn emit_ast_is_stable() {
    // A folder of its own: `fixtures.rs` owns every snapshot in `snapshots/`.
    insta::with_settings!({ snapshot_path => "snapshots/emit" }, {
        insta::assert_snapshot!(emit("ast", MODEL));
    });
}

#[test]
fn emit_clif_is_the_same_every_time_and_holds_no_machine_addresses() {
    let first = emit("clif", MODEL);
    assert_eq!(first, emit("clif", MODEL));
    for name in ["; square", "; sleeper", "; main"] {
        assert!(first.contains(name), "no function `{name}` in:\n{first}");
    }
    // A JIT address would differ between runs; strings are data symbols instead.
    assert!(!first.contains("0x7f"), "a machine address leaked into emit clif:\n{first}");
    assert!(first.contains("symbol_value"), "strings should be referenced as data symbols");
}
