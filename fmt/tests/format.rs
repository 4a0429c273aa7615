//! The formatter on its fixtures: each `fixtures/NAME.usim` formatted, as a
//! reviewed snapshot `snapshots/format__layout@NAME.usim.snap`.

use usim_fmt::{format_source, FormatError};

#[test]
fn layout() {
    insta::glob!("fixtures/*.usim", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let shown = match format_source(&source) {
            // Line ends and a BOM shown, so the snapshot says they are kept.
            Ok(text) => text.replace('\u{FEFF}', "<BOM>").replace('\r', "<CR>"),
            Err(FormatError::Syntax(d)) => format!("syntax error: {d:?}"),
            Err(FormatError::Internal(m)) => format!("internal error: {m}"),
        };
        insta::assert_snapshot!(shown);
    });
}

#[test]
fn a_model_that_does_not_parse_is_refused_with_the_parsers_diagnostics() {
    let Err(FormatError::Syntax(diagnostics)) = format_source("process main() {\n    let = 1\n}\nrun main()\n") else {
        panic!("a syntax error must be refused");
    };
    assert_eq!(diagnostics[0].code, "E0001");
}
