//! Arbitrary bytes as a model file: `source_from_bytes`, then the parser
//! (`parse_model`, `emit_ast`) and the rendering of its diagnostics. None may
//! panic, on any thread: the parser runs on a thread of its own and turns a
//! panic there into a diagnostic, but libFuzzer's panic hook aborts first, so
//! such a panic is still a crash (and the diagnostic is looked for as well).
#![no_main]

use libfuzzer_sys::fuzz_target;
use usim_compiler::parse;

fuzz_target!(|data: &[u8]| {
    usim_fuzz::keep_last_input("parse", data);
    let source = match usim_compiler::source_from_bytes(data.to_vec(), Some(data.len() as u64)) {
        Ok(source) => source,
        Err(bad) => {
            assert!(bad.diagnostic.is_error());
            usim_fuzz::render(&bad.text, std::slice::from_ref(&bad.diagnostic));
            return;
        }
    };
    // The tree is built, printed and dropped on the compiler's stack, as in `usimc`.
    usim_fuzz::on_compiler_stack(|| {
        let parsed = parse::parse_model(&source);
        for d in &parsed.diagnostics {
            assert!(!d.message.contains("the parser crashed"), "parser: {d:?}");
        }
        usim_fuzz::render(&source, &parsed.diagnostics);
        let has_errors = parsed.diagnostics.iter().any(|d| d.is_error());
        assert_eq!(usim_compiler::emit_ast(&source).is_ok(), !has_errors, "emit_ast disagrees with parse_model");
    });
});
