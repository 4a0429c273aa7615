//! `usimc fmt [--check] MODEL...`: formats models in place, or with
//! `--check` lists those it would change. A directory stands for the
//! `.usim` files under it; `-` formats standard input to standard output
//! (for editors).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use usim_compiler::Failure;
use usim_fmt::FormatError;

use crate::io::{refuse, say, write_stdout, Stop};
use crate::{read_model, report_failure, Model, EXIT_COMPILE, EXIT_OK, EXIT_USAGE};

pub fn fmt(paths: &[String], check: bool) -> Result<u8, Stop> {
    if paths.is_empty() {
        return refuse(EXIT_USAGE, "usimc fmt: name the models to format (or `-` for standard input)");
    }
    if paths.iter().any(|p| p == "-") {
        if paths.len() > 1 {
            return refuse(EXIT_USAGE, "usimc fmt: `-` (standard input) cannot be given with files");
        }
        return stdin(check);
    }
    let mut files = Vec::new();
    for path in paths {
        collect(Path::new(path), &mut files)?;
    }
    let mut changed = 0;
    let mut failed = false;
    for file in &files {
        let model = read_model(&file.display().to_string())?;
        match usim_fmt::format_source(&model.source) {
            Ok(formatted) if formatted == model.source => {}
            Ok(formatted) => {
                changed += 1;
                if check {
                    write_stdout("the list of files", format!("{}\n", model.name).as_bytes())?;
                } else {
                    write_in_place(file, &formatted)?;
                }
            }
            Err(e) => {
                failed = true;
                report(&model, e)?;
            }
        }
    }
    if check && changed > 0 {
        let of = if files.len() == 1 { "file" } else { "files" };
        say(&format!("usimc fmt: {changed} of {} {of} would be reformatted", files.len()))?;
    }
    Ok(if failed || (check && changed > 0) { EXIT_COMPILE } else { EXIT_OK })
}

/// `usimc fmt -`: the model on stdin, formatted, on stdout; with
/// `--check`, nothing written and exit 1 if it would change.
fn stdin(check: bool) -> Result<u8, Stop> {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().take(usim_compiler::SOURCE_READ_LIMIT).read_to_end(&mut bytes) {
        return refuse(EXIT_USAGE, format!("usimc: cannot read the model from standard input: {e}"));
    }
    let name = "<stdin>".to_string();
    let source = match usim_compiler::source_from_bytes(bytes, None) {
        Ok(source) => source,
        Err(bad) => {
            let model = Model { name, source: bad.text };
            return Ok(report_failure(&model, Failure::Diagnostics(vec![bad.diagnostic]))?);
        }
    };
    let model = Model { name, source };
    match usim_fmt::format_source(&model.source) {
        Ok(formatted) if check => Ok(if formatted == model.source { EXIT_OK } else { EXIT_COMPILE }),
        Ok(formatted) => {
            write_stdout("the formatted model", formatted.as_bytes())?;
            Ok(EXIT_OK)
        }
        Err(e) => report(&model, e),
    }
}

fn report(model: &Model, e: FormatError) -> Result<u8, Stop> {
    Ok(match e {
        FormatError::Syntax(diagnostics) => report_failure(model, Failure::Diagnostics(diagnostics))?,
        FormatError::Internal(message) => {
            say(&format!("usimc fmt: {}: left as it is: {message}", model.name))?;
            EXIT_COMPILE
        }
    })
}

/// A file as itself; a directory as the `.usim` files under it, in name
/// order.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), Stop> {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let entries = match fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => return refuse(EXIT_USAGE, format!("usimc: cannot read the directory {}: {e}", path.display())),
    };
    let mut inside: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    inside.sort();
    for entry in inside {
        if entry.is_dir() || entry.extension().is_some_and(|x| x == "usim") {
            collect(&entry, files)?;
        }
    }
    Ok(())
}

/// Replaces a file's text through a temporary file beside it, so that a
/// failed write never leaves half a model.
fn write_in_place(path: &Path, text: &str) -> Result<(), Stop> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".usimc-fmt");
    let temporary = PathBuf::from(temporary);
    let written = fs::write(&temporary, text)
        .and_then(|()| match fs::metadata(path) {
            Ok(m) => fs::set_permissions(&temporary, m.permissions()),
            Err(e) => Err(e),
        })
        .and_then(|()| fs::rename(&temporary, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temporary);
        return refuse(EXIT_USAGE, format!("usimc: cannot write the model {}: {e}", path.display()));
    }
    Ok(())
}
