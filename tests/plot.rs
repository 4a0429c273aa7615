//! `usimc plot` through the built binary (docs/plots.md): every kind of
//! picture (a series file's step lines, a sweep's figure against its param,
//! a tally's histogram) drawn as PNG and as SVG. A PNG is decoded: its size,
//! and enough drawn pixels inside the plot area, which differ between two
//! different inputs. An SVG is parsed: its root, its lines or bars, its
//! title. And each refusal says what is wrong: the extension, the input,
//! a malformed row (with its line), an unknown name (with the choices).

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn usimc_in(dir: &Path, args: &[&str]) -> Ended {
    let output = Command::new(env!("CARGO_BIN_EXE_usimc")).current_dir(dir).args(args).output().expect("usimc runs");
    Ended {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A fresh folder of this test's own, with a copy of examples/ (the
/// commands run there, so files are named as a user names them).
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plot").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("examples")).expect("a scratch folder");
    for entry in std::fs::read_dir(Path::new(ROOT).join("examples")).expect("examples/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "usim") {
            std::fs::copy(&path, dir.join("examples").join(path.file_name().expect("a name"))).expect("a copy");
        }
    }
    dir
}

/// Runs `usimc ARGS` in `dir`, which must succeed silently.
fn ok(dir: &Path, args: &[&str]) {
    let ended = usimc_in(dir, args);
    assert_eq!(ended.code, Some(0), "usimc {args:?}: {}", ended.stderr);
    assert_eq!(ended.stderr, "", "usimc {args:?}");
}

/// Asserts that `usimc ARGS` exits 2 with exactly `stderr`, and writes no picture.
fn refused(dir: &Path, args: &[&str], stderr: &str) {
    let ended = usimc_in(dir, args);
    assert_eq!((ended.code, ended.stdout.as_str(), ended.stderr.as_str()), (Some(2), "", stderr), "usimc {args:?}");
    if let Some(out) = args.iter().position(|a| *a == "--out").map(|i| args[i + 1]) {
        assert!(!dir.join(out).exists(), "usimc {args:?} left {out} behind");
    }
}

/// A decoded PNG: width, height, RGB pixels.
struct Image {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

fn decode(path: &Path) -> Image {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("the picture"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((frame.color_type, frame.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
    pixels.truncate(frame.buffer_size());
    Image { width: frame.width, height: frame.height, pixels }
}

impl Image {
    /// Pixels drawn in colour or dark inside the plot area of each panel
    /// (not the white background, nor the light grey grid).
    fn drawn(&self) -> usize {
        let mut count = 0;
        for y in 0..self.height {
            for x in 100..self.width - 20 {
                let at = (y * self.width + x) as usize * 3;
                let [r, g, b] = [self.pixels[at], self.pixels[at + 1], self.pixels[at + 2]];
                if r.min(g).min(b) < 200 {
                    count += 1;
                }
            }
        }
        count
    }
}

/// A parsed SVG picture: its size, its drawn elements and its texts.
struct Svg {
    size: (String, String),
    lines: usize,
    rects: usize,
    texts: Vec<String>,
}

fn parse_svg(path: &Path) -> Svg {
    let text = std::fs::read_to_string(path).expect("the picture");
    let document = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let size = (root.attribute("width").unwrap_or("").to_string(), root.attribute("height").unwrap_or("").to_string());
    let count = |name: &str| root.descendants().filter(|n| n.tag_name().name() == name).count();
    let texts = root
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    Svg { size, lines: count("polyline") + count("path") + count("line"), rects: count("rect"), texts }
}

/// The bank's series, run with `seed`.
fn bank_series(dir: &Path, seed: &str) -> String {
    let name = format!("bank-{seed}.csv");
    let ended = usimc_in(dir, &["run", "examples/bank.usim", "--seed", seed, "--series", &name]);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    name
}

#[test]
fn a_series_file_is_drawn_as_steps_a_panel_per_name() {
    let dir = scratch("series");
    let one = bank_series(&dir, "1");
    let two = bank_series(&dir, "2");
    ok(&dir, &["plot", &one, "--name", "teller.queue", "--out", "q1.png"]);
    ok(&dir, &["plot", &two, "--name", "teller.queue", "--out", "q2.png"]);
    let (a, b) = (decode(&dir.join("q1.png")), decode(&dir.join("q2.png")));
    assert_eq!((a.width, a.height), (800, 600));
    assert!(a.drawn() > 2000, "{} pixels drawn", a.drawn());
    assert_ne!(a.drawn(), b.drawn(), "two runs drew the same picture");
    ok(&dir, &["plot", &one, "--name", "teller.queue", "--out", "q1.svg"]);
    let svg = parse_svg(&dir.join("q1.svg"));
    assert_eq!(svg.size, ("800".to_string(), "600".to_string()));
    assert!(svg.lines >= 1, "no line in the SVG");
    assert!(svg.texts.iter().any(|t| t == "teller.queue over time"), "{:?}", svg.texts);
    assert!(svg.texts.iter().any(|t| t == "simulated time"), "{:?}", svg.texts);
    // Every series its own panel, one above the other.
    ok(&dir, &["plot", &one, "--out", "all.png"]);
    let all = decode(&dir.join("all.png"));
    assert_eq!((all.width, all.height), (800, 6 * 320));
    ok(&dir, &["plot", &one, "--name", "served", "--name", "teller.held", "--out", "two.svg"]);
    let svg = parse_svg(&dir.join("two.svg"));
    assert_eq!(svg.size, ("800".to_string(), "640".to_string()));
    assert!(
        svg.texts.iter().any(|t| t == "served over time") && svg.texts.iter().any(|t| t == "teller.held over time")
    );
}

#[test]
fn the_runs_of_a_series_file_are_lines_of_their_own_with_a_legend() {
    let dir = scratch("runs");
    ok(&dir, &["run", "examples/bank.usim", "--reps", "3", "--series", "s.csv"]);
    ok(&dir, &["plot", "s.csv", "--name", "teller.queue", "--out", "q.svg"]);
    let svg = parse_svg(&dir.join("q.svg"));
    assert!(svg.texts.iter().any(|t| t == "teller.queue over time, 3 runs"), "{:?}", svg.texts);
    for run in ["run 0", "run 1", "run 2"] {
        assert!(svg.texts.iter().any(|t| t == run), "no legend entry {run}: {:?}", svg.texts);
    }
    ok(&dir, &["plot", "s.csv", "--name", "teller.queue", "--run", "1", "--out", "q1.svg"]);
    let svg = parse_svg(&dir.join("q1.svg"));
    assert!(svg.texts.iter().any(|t| t == "teller.queue over time, run 1"), "{:?}", svg.texts);
    ok(&dir, &["plot", "s.csv", "--name", "teller.queue", "--out", "q.png"]);
    ok(&dir, &["plot", "s.csv", "--name", "teller.queue", "--run", "1", "--out", "q1.png"]);
    assert!(decode(&dir.join("q.png")).drawn() > decode(&dir.join("q1.png")).drawn(), "three runs drew less than one");
}

#[test]
fn a_sweeps_figure_is_drawn_against_the_swept_param_with_its_intervals() {
    let dir = scratch("sweep");
    let sweep = ["--set", "LAMBDA=0.5,0.7,0.9", "--set", "CUSTOMERS=200", "--reps", "4", "--report", "json"];
    ok(&dir, &[&["run", "examples/mm1.usim"][..], &sweep, &["--out", "r.json"]].concat());
    ok(&dir, &["plot", "r.json", "--figure", "tally", "wait", "mean", "--out", "w.png"]);
    let image = decode(&dir.join("w.png"));
    assert_eq!((image.width, image.height), (800, 600));
    assert!(image.drawn() > 1500, "{} pixels drawn", image.drawn());
    // The figure in one argument is the same figure.
    ok(&dir, &["plot", "r.json", "--figure", "tally wait mean", "--out", "w.svg"]);
    let svg = parse_svg(&dir.join("w.svg"));
    assert!(
        svg.texts.iter().any(|t| t == "wait mean against LAMBDA (mean, 95% interval, 4 replications)"),
        "{:?}",
        svg.texts
    );
    assert!(svg.texts.iter().any(|t| t == "LAMBDA"), "{:?}", svg.texts);
    // A line, its points and an interval (a line and two caps) per point.
    assert!(svg.lines >= 10, "{} lines", svg.lines);
    ok(&dir, &["plot", "r.json", "--figure", "lock", "server", "utilization", "--out", "u.png"]);
    assert_ne!(decode(&dir.join("u.png")).drawn(), image.drawn());
    ok(&dir, &["plot", "r.json", "--figure", "run", "end_time", "--out", "e.svg"]);
    // Two swept params: a line per value of the first, against the second.
    ok(
        &dir,
        &[
            "run",
            "examples/mm1.usim",
            "--set",
            "MU=1.0,1.2",
            "--set",
            "LAMBDA=0.5,0.7,0.9",
            "--set",
            "CUSTOMERS=100",
            "--report",
            "json",
            "--out",
            "two.json",
        ],
    );
    ok(&dir, &["plot", "two.json", "--figure", "var served mean", "--out", "two.svg"]);
    let svg = parse_svg(&dir.join("two.svg"));
    assert!(svg.texts.iter().any(|t| t == "MU=1.0") && svg.texts.iter().any(|t| t == "MU=1.2"), "{:?}", svg.texts);
    assert!(svg.texts.iter().any(|t| t == "served mean against LAMBDA"), "{:?}", svg.texts);
}

#[test]
fn a_tallys_histogram_is_drawn_as_bars() {
    let dir = scratch("histogram");
    ok(&dir, &["run", "examples/mm1.usim", "--report", "json", "--out", "r.json"]);
    ok(
        &dir,
        &["run", "examples/mm1.usim", "--seed", "5", "--set", "LAMBDA=0.5", "--report", "json", "--out", "s.json"],
    );
    ok(&dir, &["plot", "r.json", "--name", "wait", "--out", "h.png"]);
    ok(&dir, &["plot", "s.json", "--out", "s.png"]);
    let (a, b) = (decode(&dir.join("h.png")), decode(&dir.join("s.png")));
    assert_eq!((a.width, a.height), (800, 600));
    assert!(a.drawn() > 20_000, "{} pixels drawn", a.drawn());
    assert_ne!(a.drawn(), b.drawn());
    ok(&dir, &["plot", "r.json", "--name", "wait", "--out", "h.svg"]);
    let svg = parse_svg(&dir.join("h.svg"));
    assert!(svg.texts.iter().any(|t| t == "histogram of wait (1000 samples)"), "{:?}", svg.texts);
    assert!(svg.rects > 20, "{} bars", svg.rects);
    // A sweep: a panel per combination, or the one --run names.
    ok(
        &dir,
        &["run", "examples/mm1.usim", "--set", "LAMBDA=0.5,0.9", "--reps", "2", "--report", "json", "--out", "w.json"],
    );
    ok(&dir, &["plot", "w.json", "--out", "w.svg"]);
    let svg = parse_svg(&dir.join("w.svg"));
    assert_eq!(svg.size.1, "640");
    assert!(
        svg.texts.iter().any(|t| t == "histogram of wait with LAMBDA=0.9 (2000 samples of 2 replications)"),
        "{:?}",
        svg.texts
    );
    ok(&dir, &["plot", "w.json", "--run", "1", "--out", "w1.svg"]);
    assert_eq!(parse_svg(&dir.join("w1.svg")).size.1, "600");
}

#[test]
fn the_commands_of_the_plots_page_draw_their_pictures() {
    // Every `$ usimc ...` of docs/plots.md's console blocks, in order, in a
    // folder with a copy of examples/: each succeeds, and each plot writes
    // its picture.
    let dir = scratch("docs");
    let page = std::fs::read_to_string(Path::new(ROOT).join("docs/plots.md")).expect("docs/plots.md");
    let mut inside = false;
    let mut pictures = Vec::new();
    for line in page.lines() {
        if line.starts_with("```") {
            inside = line.trim() == "```console";
            continue;
        }
        let Some(command) = line.strip_prefix("$ usimc ").filter(|_| inside) else { continue };
        let args: Vec<&str> = command.split_whitespace().collect();
        let ended = usimc_in(&dir, &args);
        assert_eq!(ended.code, Some(0), "docs/plots.md: `{command}`: {}", ended.stderr);
        if args[0] == "plot" {
            let out = args[args.iter().position(|a| *a == "--out").expect("--out") + 1];
            pictures.push(out.to_string());
        }
    }
    assert_eq!(pictures, ["q.svg", "wait.png", "wait.svg"]);
    assert!(parse_svg(&dir.join("q.svg")).texts.iter().any(|t| t == "teller.queue over time"));
    assert!(decode(&dir.join("wait.png")).drawn() > 1000);
    let svg = parse_svg(&dir.join("wait.svg"));
    assert!(svg.texts.iter().any(|t| t == "histogram of wait (1000 samples)"), "{:?}", svg.texts);
}

#[test]
fn what_cannot_be_drawn_is_refused_saying_why() {
    let dir = scratch("refusals");
    let series = bank_series(&dir, "1");
    ok(&dir, &["run", "examples/mm1.usim", "--set", "CUSTOMERS=50", "--report", "json", "--out", "r.json"]);
    refused(
        &dir,
        &["plot", &series, "--out", "q.jpg"],
        "error: --out q.jpg: the picture's format comes from its extension, .svg or .png\n",
    );
    refused(
        &dir,
        &["plot", "missing.csv", "--out", "q.svg"],
        "usimc: cannot read missing.csv: No such file or directory (os error 2)\n",
    );
    refused(
        &dir,
        &["plot", &series, "--name", "teller", "--out", "q.svg"],
        "error: bank-1.csv has no series `teller`; it has `served`, `reneged`, `total_wait`, `busy`, `teller.held` \
         and `teller.queue`\n",
    );
    refused(
        &dir,
        &["plot", &series, "--run", "4", "--out", "q.svg"],
        "error: bank-1.csv has no run 4; it has run `0`\n",
    );
    refused(
        &dir,
        &["plot", &series, "--figure", "tally wait mean", "--out", "q.svg"],
        "error: --figure draws a figure of a sweep's JSON report, and bank-1.csv is a series file; choose series \
         with --name\n",
    );
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("a file");
    write("bad.csv", "run,time,name,value\n0,0.0,x,1\n0,1.0,x\n");
    refused(
        &dir,
        &["plot", "bad.csv", "--out", "q.svg"],
        "error: bad.csv:3: 3 fields, but a series row has 4: run,time,name,value\n",
    );
    write("bad.csv", "run,time,name,value\n0,0.0,x,1\n0,soon,x,2\n");
    refused(&dir, &["plot", "bad.csv", "--out", "q.svg"], "error: bad.csv:3: the time `soon` is not a number\n");
    write("bad.csv", "run,time,name,value\n-1,0.0,x,1\n");
    refused(&dir, &["plot", "bad.csv", "--out", "q.svg"], "error: bad.csv:2: the run `-1` is not a whole number\n");
    write("bad.csv", "time,value\n0,1\n");
    refused(
        &dir,
        &["plot", "bad.csv", "--out", "q.svg"],
        "error: bad.csv:1: a series file begins with the line `run,time,name,value` (made by usimc run --series \
         FILE.csv)\n",
    );
    write("empty.csv", "run,time,name,value\n");
    refused(&dir, &["plot", "empty.csv", "--out", "q.svg"], "error: empty.csv has no rows: nothing to draw\n");
    write("bad.json", "{\"runs\": [");
    let ended = usimc_in(&dir, &["plot", "bad.json", "--out", "q.svg"]);
    assert_eq!(ended.code, Some(2));
    assert!(ended.stderr.starts_with("error: bad.json is not valid JSON: EOF while parsing"), "{}", ended.stderr);
    refused(
        &dir,
        &["plot", "r.json", "--name", "hold", "--out", "q.svg"],
        "error: r.json has no tally `hold`; it has `wait`\n",
    );
    refused(
        &dir,
        &["plot", "r.json", "--figure", "tally wait mean", "--out", "q.svg"],
        "error: --figure draws a figure against a swept param, and every run of r.json has the same params; \
         sweep one with usimc run --set NAME=V1,V2,... --report json\n",
    );
    ok(
        &dir,
        &[
            "run",
            "examples/mm1.usim",
            "--set",
            "LAMBDA=0.5,0.6",
            "--set",
            "CUSTOMERS=50",
            "--report",
            "json",
            "--out",
            "w.json",
        ],
    );
    refused(
        &dir,
        &["plot", "w.json", "--figure", "tally", "wiat", "mean", "--out", "q.svg"],
        "error: w.json has no figure `tally wiat mean`; --figure names one as KIND NAME STATISTIC (or run \
         STATISTIC), one of:\n  run: end_time, events\n  \
         tally wait: count, mean, std, min, max, p50, p95, p99, mser5_warmup\n  \
         var served: final, mean, min, max\n  \
         lock server: capacity, acquired, utilization, mean_queue, max_queue, mean_wait, max_wait\n",
    );
    ok(&dir, &["run", "examples/mm1.usim", "--set", "CUSTOMERS=50", "--shard", "1/1", "--out", "p.json"]);
    refused(
        &dir,
        &["plot", "p.json", "--out", "q.svg"],
        "error: p.json is the part file of a shard; merge the parts first: usimc merge PART.json... --report json \
         --out REPORT.json\n",
    );
    ok(&dir, &["run", "examples/bank.usim", "--report", "json", "--out", "bank.json"]);
    refused(
        &dir,
        &["plot", "bank.json", "--out", "q.svg"],
        "error: bank.json has no tallies, so no histogram to draw (a model's `record NAME = ...` makes one); for a \
         figure of a sweep use --figure\n",
    );
}
