//! `usimc`: the command line. Reads model files, runs the compiler and the
//! runtime, renders diagnostics and writes reports; all of it is in the
//! library (src/lib.rs), which the Python package's `usimc` command runs too.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(usimc::main_with_args(std::env::args_os()))
}
