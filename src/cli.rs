//! The command-line grammar of LANGUAGE.md §9, as clap derives.

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
    Run(RunArgs),
    /// Check a model and print its diagnostics; nothing runs.
    Check { model: String },
    /// Print the stable text of a compiler stage.
    Emit {
        #[arg(value_enum)]
        stage: EmitStage,
        model: String,
    },
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
    /// Number of independent replications.
    #[arg(long, default_value_t = 1)]
    pub reps: u32,
    /// Worker threads for replications and sweeps.
    #[arg(long)]
    pub jobs: Option<u32>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub report: ReportFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    pub out: Option<String>,
    /// Print a line per resumption (time, process, what woke it) among the model's output.
    #[arg(long)]
    pub trace: bool,
    /// Order of events due at the same time.
    #[arg(long, value_enum, default_value_t = TieOrderArg::Fifo)]
    pub tie_order: TieOrderArg,
    /// Run only the K-th of N slices of the (combination x replication) grid.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
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

impl RunArgs {
    /// Rejects the options whose features have not landed, with a clear message.
    pub fn validate(&self) -> Result<(), String> {
        if self.reps != 1 {
            return Err("--reps is not available in this version yet (replications arrive with statistics)".into());
        }
        if self.shard.is_some() {
            return Err("--shard is not available in this version yet (it arrives with sweeps)".into());
        }
        if self.report == ReportFormat::Csv {
            return Err("--report csv is not available in this version yet; use table or json".into());
        }
        Ok(())
    }

    /// The `--set` pairs. A sweep (several values) is not available yet.
    pub fn overrides(&self) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for item in &self.set {
            let Some((name, value)) = item.split_once('=') else {
                return Err(format!("--set {item}: expected NAME=VALUE"));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("--set {item}: the param name is missing"));
            }
            if value.contains(',') {
                return Err(format!("--set {item}: sweeps over several values are not available in this version yet"));
            }
            out.push((name.to_string(), value.to_string()));
        }
        Ok(out)
    }
}
