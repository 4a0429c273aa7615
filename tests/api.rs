//! `usimc::api` in-process is `usimc run` and `usimc check`: the same
//! report text, output and messages as the built binary prints, and its
//! failures as values holding what the binary writes on stderr.

use std::process::Command;

use usim_compiler::diagnostic::Severity;
use usimc::api::{self, ApiError, Options};

struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn usimc(args: &[&str]) -> Ended {
    let output = Command::new(env!("CARGO_BIN_EXE_usimc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("usimc runs");
    Ended {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn source(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("a model")
}

fn set(name: &str, values: &[&str]) -> (String, Vec<String>) {
    (name.to_string(), values.iter().map(|v| v.to_string()).collect())
}

#[test]
fn the_json_and_the_output_are_the_binarys() {
    let model = "examples/mm1.usim";
    let cases: Vec<(Options, Vec<&str>)> = vec![
        (Options::default(), vec![]),
        (
            Options {
                reps: 3,
                jobs: Some(2),
                set: vec![set("LAMBDA", &["0.5", "0.9"]), set("CUSTOMERS", &["200"])],
                ..Options::default()
            },
            vec!["--reps", "3", "--jobs", "2", "--set", "LAMBDA=0.5,0.9", "--set", "CUSTOMERS=200"],
        ),
        (
            Options { seed: 9, until: Some(300.0), warmup: Some(50.0), ..Options::default() },
            vec!["--seed", "9", "--until", "300", "--warmup", "50"],
        ),
    ];
    for (options, flags) in cases {
        let mut args = vec!["run", model, "--report", "json"];
        args.extend(&flags);
        let ended = usimc(&args);
        assert_eq!(ended.code, Some(0), "{}", ended.stderr);
        let outcome = api::run_experiment(&source(model), model, &options).expect("the model runs");
        assert_eq!(format!("{}{}", outcome.output(), outcome.json), ended.stdout, "{flags:?}");
        assert_eq!(outcome.outputs.len(), outcome.runs.len());
        let runs: serde_json::Value = serde_json::from_str(&outcome.runs_json()).expect("JSON");
        assert_eq!(runs.as_array().map(Vec::len), Some(outcome.runs.len()));
        assert_eq!(runs[0]["replication"], 0);
    }
}

#[test]
fn a_compile_error_has_every_diagnostic_and_the_checks_text() {
    let model = "tests/fixtures/experiments/capacity_from_a_param.usim";
    assert!(api::check(&source(model), model).is_ok());
    let options = Options { set: vec![set("N", &["1", "0"])], ..Options::default() };
    let Err(ApiError::Compile(e)) = api::run_experiment(&source(model), model, &options) else {
        panic!("N=0 does not compile")
    };
    let ended = usimc(&["run", model, "--set", "N=1,0"]);
    assert_eq!(ended.code, Some(1));
    assert_eq!(e.rendered, ended.stderr);
    assert_eq!(e.combination.as_deref(), Some("N=0"));
    assert!(e.diagnostics.iter().any(|d| d.severity == Severity::Error && d.line == 3));

    let broken = "process p() {\n    print(\"{nope}\")\n}\nrun p()\n";
    let Err(ApiError::Compile(e)) = api::check(broken, "b.usim") else { panic!("it does not compile") };
    assert_eq!(e.diagnostics.len(), 1);
    let d = &e.diagnostics[0];
    assert_eq!((d.code.as_str(), d.line, d.column, d.end_line, d.end_column), ("E0105", 2, 13, 2, 17));
    assert!(e.rendered.ends_with("b.usim: 1 error found\n"), "{}", e.rendered);
}

#[test]
fn a_runtime_error_says_where_when_and_in_which_run() {
    let model = "tests/fixtures/experiments/fails_at_two.usim";
    let options = Options { set: vec![set("N", &["1", "2", "3"])], jobs: Some(3), ..Options::default() };
    let Err(ApiError::Runtime(e)) = api::run_experiment(&source(model), model, &options) else { panic!("N=2 fails") };
    let ended = usimc(&["run", model, "--set", "N=1,2,3", "--jobs", "3"]);
    assert_eq!(ended.code, Some(3));
    assert_eq!(e.rendered, ended.stderr);
    assert_eq!(e.output, ended.stdout);
    assert_eq!((e.message.as_str(), e.line, e.time, e.process.as_str()), ("N is two", Some(8), 1.0, "p"));
    assert_eq!((e.run, e.combination, e.replication), (1, 1, 0));
    assert_eq!(e.name.as_deref(), Some("the run with N=2"));
}

#[test]
fn options_the_command_line_refuses_are_usage_errors() {
    let model = "examples/mm1.usim";
    let refused = |options: Options| match api::run_experiment(&source(model), model, &options) {
        Err(ApiError::Usage(message)) => message,
        other => panic!("not refused: {other:?}"),
    };
    assert_eq!(refused(Options { reps: 0, ..Options::default() }), "the number of replications must be at least 1");
    assert_eq!(
        refused(Options { set: vec![set("NOPE", &["1"])], ..Options::default() }),
        "--set NOPE: the model has no param `NOPE`; its params are: LAMBDA, MU, CUSTOMERS"
    );
    assert_eq!(
        refused(Options { until: Some(f64::INFINITY), ..Options::default() }),
        "a time must be a finite number >= 0"
    );
}
