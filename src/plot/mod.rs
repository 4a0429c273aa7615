//! `usimc plot INPUT --out FILE.svg|FILE.png` (docs/plots.md): a series file
//! as step-shaped lines over time (`series`), a sweep's JSON report as a
//! figure against the swept param, or a tally's histogram (`report`), drawn
//! by `draw`. The kind of input is told by its content: a JSON report
//! begins with `{`, a series file with its header line.

mod draw;
mod report;
mod series;

use std::io::Read;

use crate::cli::PlotArgs;
use crate::io::{refuse, ReportFile, Stop};
use crate::{EXIT_OK, EXIT_USAGE};

/// The most of a JSON report that is read: far beyond any real one.
const REPORT_READ_LIMIT: u64 = 4 << 30;

/// The input file, as the command line names it.
pub struct Input {
    pub path: String,
}

/// At most this many names in a list of a message, then how many more.
const LISTED: usize = 30;

/// `a, b and c`, or the first [`LISTED`] and how many more.
pub fn list(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(LISTED).map(|n| format!("`{n}`")).collect();
    match (shown.len(), names.len() - shown.len()) {
        (0, _) => "nothing".into(),
        (1, 0) => shown[0].clone(),
        (n, 0) => format!("{} and {}", shown[..n - 1].join(", "), shown[n - 1]),
        (_, more) => format!("{} and {more} more", shown.join(", ")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

fn format_of(out: &str) -> Option<Format> {
    let extension = std::path::Path::new(out).extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "svg" => Some(Format::Svg),
        "png" => Some(Format::Png),
        _ => None,
    }
}

/// What the input is, by its first byte that is not white space.
enum Kind {
    Report(String),
    Series,
}

fn kind_of(input: &Input) -> Result<Kind, String> {
    let cannot = |e: &dyn std::fmt::Display| format!("usimc: cannot read {}: {e}", input.path);
    let file = std::fs::File::open(&input.path).map_err(|e| cannot(&e))?;
    if file.metadata().map_err(|e| cannot(&e))?.is_dir() {
        return Err(cannot(&"it is a directory"));
    }
    let mut head = Vec::new();
    file.take(REPORT_READ_LIMIT).read_to_end(&mut head).map_err(|e| cannot(&e))?;
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {
            let text = String::from_utf8(head).map_err(|_| format!("error: {} is not UTF-8 text", input.path))?;
            Ok(Kind::Report(text))
        }
        _ => Ok(Kind::Series),
    }
}

fn picture(args: &PlotArgs, input: &Input) -> Result<draw::Picture, String> {
    let figure = args.figure.as_deref().filter(|words| !words.is_empty());
    match kind_of(input)? {
        Kind::Series => {
            if figure.is_some() {
                return Err(format!(
                    "error: --figure draws a figure of a sweep's JSON report, and {} is a series file; \
                     choose series with --name",
                    input.path
                ));
            }
            series::picture(input, &args.names, args.run)
        }
        Kind::Report(text) => {
            let report = report::read(input, &text)?;
            match figure {
                Some(words) => {
                    if !args.names.is_empty() || args.run.is_some() {
                        return Err(
                            "error: --figure draws one figure over every run of a sweep: give it without --name \
                             and --run"
                                .into(),
                        );
                    }
                    report.figure(input, words)
                }
                None => match args.names.as_slice() {
                    [] => report.histogram(input, None, args.run),
                    [name] => report.histogram(input, Some(name), args.run),
                    _ => Err("error: a report's picture is the histogram of one tally: give --name once".into()),
                },
            }
        }
    }
}

pub fn plot(args: PlotArgs) -> Result<u8, Stop> {
    let Some(format) = format_of(&args.out) else {
        return refuse(
            EXIT_USAGE,
            format!("error: --out {}: the picture's format comes from its extension, .svg or .png", args.out),
        );
    };
    let out = ReportFile::open_for(&args.out, "the picture")?;
    let input = Input { path: args.input.clone() };
    let picture = match picture(&args, &input) {
        Ok(picture) => picture,
        Err(message) => return refuse(EXIT_USAGE, message),
    };
    let bytes = match format {
        Format::Svg => draw::svg(&picture).map(String::into_bytes),
        Format::Png => draw::png(&picture),
    };
    match bytes {
        Ok(bytes) => {
            out.write_bytes(&bytes)?;
            Ok(EXIT_OK)
        }
        Err(message) => refuse(EXIT_USAGE, format!("usimc: cannot draw the picture: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_name_everything_or_say_how_many_more() {
        let names = |n: usize| (0..n).map(|i| format!("v{i}")).collect::<Vec<_>>();
        assert_eq!(list(&names(1)), "`v0`");
        assert_eq!(list(&names(3)), "`v0`, `v1` and `v2`");
        assert!(list(&names(40)).ends_with("`v29` and 10 more"));
    }

    #[test]
    fn the_format_is_the_extension() {
        assert_eq!(format_of("q.svg"), Some(Format::Svg));
        assert_eq!(format_of("dir.x/Q.PNG"), Some(Format::Png));
        assert_eq!(format_of("q.jpg"), None);
        assert_eq!(format_of("q"), None);
    }
}
