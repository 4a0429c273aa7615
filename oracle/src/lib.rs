//! The test oracle of usim (never part of `usimc run`): a reference
//! interpreter of the state-machine IR ([`interp`]), and the one way tests
//! run a model through either back end and compare what they saw.
//!
//! Two back ends that agree on every model are evidence that neither
//! miscompiles: the JIT lowers each IR instruction to machine code, the
//! interpreter executes it directly, and both drive the same runtime with the
//! same host calls. Whatever they see is compared whole: every byte of
//! output (with `--trace` lines, so the order of every resumption counts),
//! the end time, the events, how the run ended, its error, the processes
//! left waiting, the final globals, the statistics and the audit.

pub mod gen;
pub mod interp;
pub mod plant;

use usim_compiler::ir;
use usim_runtime::{RunConfig, RunOutcome, SharedBuffer, TieOrder};

pub use interp::Interpreted;

/// Which back end runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Jit,
    Interpreter,
}

/// How a model is run (the flags of `usimc run` that matter to a test).
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    pub tie_order: TieOrder,
    /// `--trace`: one line per resumption, written between the model's lines.
    pub trace: bool,
    pub horizon: Option<f64>,
    pub max_processes: usize,
    pub warmup: Option<f64>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 1,
            tie_order: TieOrder::Fifo,
            trace: true,
            horizon: None,
            max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
            warmup: None,
        }
    }
}

/// Everything a run showed.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The output, trace lines included.
    pub output: String,
    pub outcome: RunOutcome,
}

/// The first difference between the JIT's run and the interpreter's.
#[derive(Clone, Debug)]
pub struct Mismatch {
    pub jit: Observed,
    pub interpreter: Observed,
    /// Where they part: the first differing output line, or the field.
    pub first_difference: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the JIT and the interpreter differ: {}", self.first_difference)
    }
}

/// Lowers a model's source to IR (no `--set`), or the compile failure as text.
pub fn lower(source: &str) -> Result<ir::Module, String> {
    lower_with(source, &[])
}

/// Lowers a model's source to IR with `--set` overrides.
pub fn lower_with(source: &str, overrides: &[(String, String)]) -> Result<ir::Module, String> {
    usim_compiler::lower_source(source, overrides).map(|(module, _)| module).map_err(|failure| match failure {
        usim_compiler::Failure::Diagnostics(ds) => {
            let errors: Vec<String> = ds.iter().filter(|d| d.is_error()).map(|d| format!("{d:?}")).collect();
            format!("[compile-error] {}", errors.join("; "))
        }
        usim_compiler::Failure::BadOverride(s) => format!("[bad-override] {s}"),
        usim_compiler::Failure::Internal(s) => format!("[internal-compiler-error] {s}"),
    })
}

fn config(options: &Options, sink: &SharedBuffer) -> RunConfig {
    RunConfig {
        seed: options.seed,
        horizon: options.horizon,
        tie_order: options.tie_order,
        output: Box::new(sink.clone()),
        trace: options.trace,
        max_processes: options.max_processes,
        stream: None,
        warmup: options.warmup,
        progress: None,
        series: None,
    }
}

/// Runs `module` once on `engine`.
pub fn run(module: &ir::Module, engine: Engine, options: &Options) -> Result<Observed, String> {
    let sink = SharedBuffer::default();
    let outcome = match engine {
        Engine::Jit => {
            let compiled = usim_compiler::codegen::compile(module, false).map_err(|e| format!("[codegen] {}", e.0))?;
            usim_runtime::run(compiled.program(), config(options, &sink))
        }
        Engine::Interpreter => Interpreted::new(module.clone())?.run(config(options, &sink)),
    };
    let output = String::from_utf8(sink.bytes()).map_err(|_| "[bad-output] the output is not UTF-8".to_string())?;
    Ok(Observed { output, outcome })
}

/// Runs `module` on the JIT once per entry of `runs`, compiling it once.
pub fn run_jit(module: &ir::Module, runs: &[Options]) -> Result<Vec<Observed>, String> {
    let compiled = usim_compiler::codegen::compile(module, false).map_err(|e| format!("[codegen] {}", e.0))?;
    runs.iter()
        .map(|options| {
            let sink = SharedBuffer::default();
            let outcome = usim_runtime::run(compiled.program(), config(options, &sink));
            let output =
                String::from_utf8(sink.bytes()).map_err(|_| "[bad-output] the output is not UTF-8".to_string())?;
            Ok(Observed { output, outcome })
        })
        .collect()
}

/// Runs `module` on the interpreter, and says which blocks ran:
/// `covered[f][b]` for block `b` of callable `f`.
pub fn run_covered(module: &ir::Module, options: &Options) -> Result<(Observed, Vec<Vec<bool>>), String> {
    let sink = SharedBuffer::default();
    let interpreted = Interpreted::new(module.clone())?;
    let outcome = interpreted.run(config(options, &sink));
    let output = String::from_utf8(sink.bytes()).map_err(|_| "[bad-output] the output is not UTF-8".to_string())?;
    let covered = module
        .functions
        .iter()
        .enumerate()
        .map(|(f, func)| (0..func.blocks.len()).map(|b| interpreted.covered(f, b)).collect())
        .collect();
    Ok((Observed { output, outcome }, covered))
}

/// Runs `module` on both back ends and compares everything they show;
/// the JIT's observation when they agree.
pub fn differential(module: &ir::Module, options: &Options) -> Result<Result<Observed, Mismatch>, String> {
    let jit = run(module, Engine::Jit, options)?;
    let interpreter = run(module, Engine::Interpreter, options)?;
    Ok(match first_difference(&jit, &interpreter) {
        None => Ok(jit),
        Some(first_difference) => Err(Mismatch { jit, interpreter, first_difference }),
    })
}

/// Where two observations part, if they do.
pub fn first_difference(a: &Observed, b: &Observed) -> Option<String> {
    if a.output != b.output {
        let (mut x, mut y) = (a.output.lines(), b.output.lines());
        for line in 1.. {
            match (x.next(), y.next()) {
                (Some(p), Some(q)) if p == q => continue,
                (p, q) => return Some(format!("output line {line}: JIT {p:?}, interpreter {q:?}")),
            }
        }
    }
    let (p, q) = (&a.outcome, &b.outcome);
    let fields: [(&str, String, String); 10] = [
        ("end_time", format!("{:?}", p.end_time.to_bits()), format!("{:?}", q.end_time.to_bits())),
        ("events", format!("{:?}", p.events), format!("{:?}", q.events)),
        ("stopped", format!("{:?}", p.stopped), format!("{:?}", q.stopped)),
        ("ended_by", format!("{:?}", p.ended_by), format!("{:?}", q.ended_by)),
        ("error", format!("{:?}", p.error), format!("{:?}", q.error)),
        ("output_error", format!("{:?}", p.output_error), format!("{:?}", q.output_error)),
        ("waiting", format!("{:?}", p.waiting), format!("{:?}", q.waiting)),
        ("globals", format!("{:?}", p.globals), format!("{:?}", q.globals)),
        ("stats", format!("{:?}", p.stats), format!("{:?}", q.stats)),
        ("audit", format!("{:?}", p.audit), format!("{:?}", q.audit)),
    ];
    fields.into_iter().find(|(_, x, y)| x != y).map(|(name, x, y)| format!("{name}: JIT {x}, interpreter {y}"))
}
