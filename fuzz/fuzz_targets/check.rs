//! Bytes as UTF-8 source: `check_source` and `lower_source` (which in this
//! build, with debug assertions, verifies the IR's invariants), and the
//! rendering of their diagnostics. None may panic, and `Failure::Internal`
//! (a bug in usimc by definition) is a crash too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usim_compiler::Failure;

fn judge(stage: &str, source: &str, failure: &Failure) {
    match failure {
        Failure::Internal(message) => panic!("{stage}: internal compiler error: {message}"),
        Failure::Diagnostics(ds) => {
            assert!(ds.iter().any(|d| d.is_error()), "{stage} failed without an error: {ds:?}");
            usim_fuzz::render(source, ds);
        }
        Failure::BadOverride(message) => panic!("{stage}: a --set error without any --set: {message}"),
    }
}

fuzz_target!(|data: &[u8]| {
    usim_fuzz::keep_last_input("check", data);
    let Ok(source) = std::str::from_utf8(data) else { return };
    usim_fuzz::on_compiler_stack(|| {
        let checked = usim_compiler::check_source(source, &[]);
        if let Err(failure) = &checked {
            judge("check_source", source, failure);
        }
        match usim_compiler::lower_source(source, &[]) {
            Ok((_, warnings)) => {
                assert!(checked.is_ok(), "lower_source accepted what check_source refused");
                usim_fuzz::render(source, &warnings);
            }
            Err(failure) => judge("lower_source", source, &failure),
        }
    });
});
