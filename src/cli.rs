//! The command-line grammar (README.md, "Command line"), as clap derives.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "usimc", version, about = "Compile and run usim discrete-event simulation models")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile a model to native code and run it.
    Run(Box<RunArgs>),
    /// Check a model and print its diagnostics; nothing runs.
    Check { model: String },
    /// Print the stable text of a compiler stage.
    Emit {
        #[arg(value_enum)]
        stage: EmitStage,
        model: String,
    },
    /// Format models in place (a directory: the .usim files under it; `-`: stdin to stdout).
    Fmt {
        models: Vec<String>,
        /// Change nothing: list the files that would change, and exit 1 if any would.
        #[arg(long)]
        check: bool,
    },
    /// Serve the Language Server Protocol over stdin and stdout, for editors (docs/editors.md).
    Lsp,
    /// Draw a series file or a JSON report as a picture (.svg or .png).
    Plot(PlotArgs),
    /// Combine the JSON reports of shards into one report.
    Merge {
        parts: Vec<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        report: ReportFormat,
        #[arg(long)]
        out: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EmitStage {
    Ast,
    Ir,
    Clif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TieOrderArg {
    Fifo,
    Random,
}

impl From<TieOrderArg> for usim_runtime::TieOrder {
    fn from(t: TieOrderArg) -> Self {
        match t {
            TieOrderArg::Fifo => usim_runtime::TieOrder::Fifo,
            TieOrderArg::Random => usim_runtime::TieOrder::Random,
        }
    }
}

/// The seed used when `--seed` is not given.
pub const DEFAULT_SEED: u64 = 1;

#[derive(Args, Debug)]
pub struct RunArgs {
    pub model: String,
    /// End the run at this simulated time (overrides the model's `until`).
    #[arg(long, value_parser = parse_time, allow_negative_numbers = true)]
    pub until: Option<f64>,
    /// Seed of the random streams.
    #[arg(long, default_value_t = DEFAULT_SEED, value_parser = parse_seed, allow_negative_numbers = true)]
    pub seed: u64,
    /// Override a param: NAME=VALUE (several values separated by commas make a sweep).
    #[arg(long = "set", value_name = "NAME=V[,V...]")]
    pub set: Vec<String>,
    /// Number of independent replications (each its own random stream).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_reps, allow_negative_numbers = true)]
    pub reps: u64,
    /// Worker threads for replications and sweeps (default: the number of CPUs).
    #[arg(long, value_name = "J", value_parser = parse_jobs, allow_negative_numbers = true)]
    pub jobs: Option<usize>,
    /// Discard the statistics gathered before this simulated time.
    #[arg(long, value_name = "T", value_parser = parse_warmup, allow_negative_numbers = true)]
    pub warmup: Option<f64>,
    /// The report format: table (default), json or csv; with --shard, a JSON part file.
    #[arg(long, value_enum)]
    pub report: Option<ReportFormat>,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    pub out: Option<String>,
    /// Write every change of every var, lock, queue and resource to this CSV file (run,time,name,value).
    #[arg(long, value_name = "FILE.csv")]
    pub series: Option<String>,
    /// Print a line per resumption (time, process, what woke it) among the model's output.
    #[arg(long)]
    pub trace: bool,
    /// Order of events due at the same time.
    #[arg(long, value_enum, default_value_t = TieOrderArg::Fifo)]
    pub tie_order: TieOrderArg,
    /// Run only the K-th of N slices of the (combination x replication) grid.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// The most processes alive at once, roots included; a `spawn` beyond it is a runtime error.
    #[arg(long, value_name = "N", default_value_t = usim_runtime::RunConfig::DEFAULT_MAX_PROCESSES,
          value_parser = parse_max_processes, allow_negative_numbers = true)]
    pub max_processes: usize,
}

fn parse_time(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        // `-0` is 0: a report never says the run ended at time -0.
        Ok(t) if t >= 0.0 && t.is_finite() => Ok(t + 0.0),
        Ok(t) if t.is_finite() => Err("a time must be a number >= 0".into()),
        Ok(_) => Err("a time must be a finite number (leave `--until` out for no horizon)".into()),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| format!("`{text}` is not a seed: use a whole number from 0 to {}", u64::MAX))
}

fn parse_max_processes(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{text}` is not a process count: use a whole number of at least 1")),
    }
}

fn parse_warmup(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if t >= 0.0 && t.is_finite() => Ok(t + 0.0),
        Ok(_) => Err("a warmup time must be a finite number >= 0".into()),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn parse_reps(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("the number of replications must be at least 1".into()),
        Err(_) => Err(format!("`{text}` is not a replication count: use a whole number of at least 1")),
    }
}

fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{text}` is not a number of worker threads: use a whole number of at least 1")),
    }
}

/// `--shard K/N`: the K-th (from 1) of N slices of the run grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    let whole = |part: &str| part.trim().parse::<u64>().ok();
    let Some((index, count)) = text.split_once('/').and_then(|(k, n)| Some((whole(k)?, whole(n)?))) else {
        return Err("write K/N with whole numbers: the K-th of N shards, e.g. 3/8".into());
    };
    if count == 0 {
        return Err("the number of shards N must be at least 1".into());
    }
    if index == 0 || index > count {
        return Err(format!("shards are numbered from 1 to N, here from 1 to {count}"));
    }
    Ok(Shard { index, count })
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A series file (usimc run --series) or a JSON report (usimc run --report json).
    pub input: String,
    /// The picture to write; its extension, .svg or .png, is its format.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub out: String,
    /// A series file: a series to draw, each in its own panel (repeat for more). A report: the tally whose histogram to draw.
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// A sweep's report: the figure to draw against the swept param, as KIND NAME STATISTIC (e.g. tally wait mean).
    #[arg(long, num_args = 1..=3, value_name = "KIND NAME STATISTIC")]
    pub figure: Option<Vec<String>>,
    /// A series file: only this run (its `run` column). A report: only this entry of its `runs`.
    #[arg(long, value_name = "N")]
    pub run: Option<u64>,
}
