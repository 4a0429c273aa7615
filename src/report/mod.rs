//! Reports of an experiment. A report is a pure function of the model, seed,
//! params and flags: no wall-clock figures here. `figures` holds one run's
//! figures as data; `table`, `json` and `csv` render what
//! `experiment::aggregate` made of them; `part` is a shard's part file.

pub mod csv;
pub mod figures;
pub mod json;
pub mod part;
pub mod table;

use crate::cli::ReportFormat;
use crate::experiment::aggregate::Report;

/// The report in `format`.
pub fn render(format: ReportFormat, report: &Report) -> Result<String, String> {
    match format {
        ReportFormat::Table => Ok(table::render(report)),
        ReportFormat::Json => Ok(json::render(report)),
        ReportFormat::Csv => csv::render(report),
    }
}
