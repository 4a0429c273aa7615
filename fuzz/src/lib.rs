//! What the fuzz targets share.

use codespan_reporting::term::termcolor::NoColor;
use usim_compiler::diagnostic::Diagnostic;

/// Renders diagnostics as `usimc` does on a failure (codespan-reporting,
/// against the source), into a buffer: rendering must not panic either.
pub fn render(source: &str, diagnostics: &[Diagnostic]) {
    let mut out = NoColor::new(Vec::new());
    usim_compiler::render::render_diagnostics(&mut out, "fuzz.usim", source, diagnostics)
        .expect("rendering into a Vec cannot fail");
}

/// The stack `usimc` gives the compiler (512 MiB, `src/main.rs`): a checker
/// or lowering that recurses as deep as the nesting limit allows needs it,
/// and on the fuzzer's own 8 MiB stack would overflow, a segmentation fault
/// that libFuzzer cannot even record.
pub const COMPILER_STACK_BYTES: usize = 512 << 20;

/// Runs `f` on a thread with the compiler's stack, as `usimc` does.
pub fn on_compiler_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("usim-fuzz-compiler".to_string())
            .stack_size(COMPILER_STACK_BYTES)
            .spawn_scoped(scope, f)
            .expect("spawn the compiler's thread")
            .join()
            .expect("a panic aborts under libFuzzer first")
    })
}

/// Keeps the input about to run in `fuzz/artifacts/TARGET/last-input`
/// (when that folder exists, as under `cargo fuzz run`). A fault that kills
/// the process before libFuzzer can write a crash artifact (a SIGSEGV
/// whose handler cannot run, as a stack overflow gives) leaves the input
/// there; `.ci/run` prints it when a target fails.
pub fn keep_last_input(target: &str, data: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts").join(target);
    if dir.is_dir() {
        let _ = std::fs::write(dir.join("last-input"), data);
    }
}
