//! `usimc run --series FILE.csv` (docs/experiments.md, "Series"): every change
//! of every var, lock line and units held, queue length and resource level
//! and line, as tidy CSV rows `run,time,name,value` under one header line.
//!
//! The runtime hands each change to a [`SeriesSink`] (here [`RowWriter`])
//! the moment its statistics see it. One run writes its rows straight into
//! the file as it goes; with several, each run writes a temporary file of
//! its own beside it, and the runs' files are appended to it in run order
//! (the order their `print` output is written in) and removed. So memory
//! stays bounded however long a run is, and the file is the same bytes
//! whatever `--jobs` is.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use usim_compiler::ir::Scalar;
use usim_compiler::Compiled;
use usim_runtime::{series_layout, SeriesOf, SeriesSink};

use super::plan::RunSpec;
use crate::io::{refuse, Stop, Target, WriteError};
use crate::EXIT_USAGE;

/// The header line of a series file.
pub const HEADER: &str = "run,time,name,value\n";

/// Write to the file once this much is buffered.
const CHUNK: usize = 64 * 1024;

/// One series of a compiled model: its name and whether it holds whole numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub whole: bool,
}

/// The series of `compiled`, in the order the runtime numbers them: every
/// int, float and bool of the vars by its report name (`served`,
/// `served[0]`, `depot.stock`); for each lock `NAME.held` (units held) and
/// `NAME.queue` (requests waiting); for each queue `NAME.length` (items
/// buffered); for each resource `NAME.level` and `NAME.queue` (gets and puts
/// waiting).
pub fn columns(compiled: &Compiled) -> Vec<Column> {
    let program = compiled.program();
    let object = |object: u32, what: &str| Column {
        name: format!("{}.{what}", program.objects()[object as usize].name),
        whole: true,
    };
    series_layout(program)
        .into_iter()
        .map(|of| match of {
            SeriesOf::Var { cell } => {
                let cell = &compiled.cells[cell as usize];
                Column { name: cell.name.clone(), whole: cell.scalar != Scalar::Float }
            }
            SeriesOf::LockHeld { object: o } => object(o, "held"),
            SeriesOf::LockQueue { object: o } | SeriesOf::ResourceQueue { object: o } => object(o, "queue"),
            SeriesOf::QueueLength { object: o } => object(o, "length"),
            SeriesOf::ResourceLevel { object: o } => Column { whole: false, ..object(o, "level") },
        })
        .collect()
}

/// A CSV field: as it is, or quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Appends a float as the CSV report writes it: the shortest digits that
/// read back as the same number (`2.0`, `0.1`), or `NaN`, `Infinity`, `-Infinity`.
fn push_float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        let _ = write!(out, "{v:?}");
    } else {
        out.extend_from_slice(crate::report::csv::number(v).as_bytes());
    }
}

/// Where a run's rows go: the series file itself, or the run's temporary file.
struct Destination {
    file: File,
    target: Target,
}

/// Writes the rows of one run, buffered. The first failed write is kept (see
/// [`SeriesFile::finish_run`]) and the rows after it are dropped: the run
/// goes on to its end, and usimc then says what failed.
pub struct RowWriter {
    /// `g,` of every row.
    run: Vec<u8>,
    /// `,NAME,` of each series.
    names: Vec<Vec<u8>>,
    whole: Vec<bool>,
    buffer: Vec<u8>,
    out: Option<Destination>,
    failure: Arc<Mutex<Option<WriteError>>>,
}

impl RowWriter {
    fn write_buffer(&mut self) {
        let Some(out) = &mut self.out else {
            self.buffer.clear();
            return;
        };
        if let Err(error) = out.file.write_all(&self.buffer) {
            let target = out.target.clone();
            self.out = None;
            let mut slot = lock(&self.failure);
            if slot.is_none() {
                *slot = Some(WriteError { what: "the series", to: target, error });
            }
        }
        self.buffer.clear();
    }
}

impl SeriesSink for RowWriter {
    fn change(&mut self, series: u32, time: f64, value: f64) {
        let index = series as usize;
        let Some(name) = self.names.get(index) else { return };
        self.buffer.extend_from_slice(&self.run);
        push_float(&mut self.buffer, time);
        self.buffer.extend_from_slice(name);
        // i64::MAX as f64 is 2^63, the first float past the range.
        if self.whole[index] && value.is_finite() && value >= i64::MIN as f64 && value < i64::MAX as f64 {
            let _ = write!(self.buffer, "{}", value as i64);
        } else {
            push_float(&mut self.buffer, value);
        }
        self.buffer.push(b'\n');
        if self.buffer.len() >= CHUNK {
            self.write_buffer();
        }
    }

    fn finish(&mut self) {
        self.write_buffer();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The `--series` file of a `usimc run`, opened before anything is compiled
/// (a path that cannot be written is refused at once, as `--out` is). An
/// existing file keeps its contents until the runs begin; one created here
/// is removed again if no run began.
#[derive(Debug)]
pub struct SeriesFile {
    path: String,
    file: File,
    created: bool,
    /// The header was written: the runs began.
    begun: bool,
    /// Where the runs' temporary files go, and how they begin.
    temp_dir: PathBuf,
    temp_prefix: String,
    /// Per combination (of those compiled): the series.
    columns: Vec<Option<Arc<Vec<Column>>>>,
    /// The temporary files made and not yet appended, by run.
    temps: Mutex<BTreeSet<u64>>,
    /// Per run of the slice in flight: the first failed write.
    failures: Mutex<BTreeMap<u64, Arc<Mutex<Option<WriteError>>>>>,
}

impl SeriesFile {
    pub fn open(path: &str) -> Result<SeriesFile, Stop> {
        let opened = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(file) => Ok((file, true)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                OpenOptions::new().write(true).open(path).map(|file| (file, false))
            }
            Err(e) => Err(e),
        };
        let (file, created) = match opened {
            Ok(opened) => opened,
            Err(e) => return refuse(EXIT_USAGE, format!("usimc: cannot write the series to {path}: {e}")),
        };
        // Temporary files sit beside a regular file (same disk, and the
        // series may be large); a device or pipe gets them in the temp folder.
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        let parent = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temp_dir = if regular { parent.to_path_buf() } else { std::env::temp_dir() };
        let base = Path::new(path).file_name().map_or("series".into(), |n| n.to_string_lossy().into_owned());
        Ok(SeriesFile {
            path: path.to_string(),
            file,
            created,
            begun: false,
            temp_dir,
            temp_prefix: format!(".{base}.usimc-{}", std::process::id()),
            columns: Vec::new(),
            temps: Mutex::new(BTreeSet::new()),
            failures: Mutex::new(BTreeMap::new()),
        })
    }

    /// Whether `other` (the `--out` file) is this very file.
    #[cfg(unix)]
    pub fn is_same_file(&self, other: &str) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.file.metadata(), std::fs::metadata(other)) {
            (Ok(a), Ok(b)) => a.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }

    #[cfg(not(unix))]
    pub fn is_same_file(&self, other: &str) -> bool {
        Path::new(&self.path) == Path::new(other)
    }

    fn error(&self, error: io::Error) -> WriteError {
        WriteError { what: "the series", to: Target::File(self.path.clone()), error }
    }

    /// The runs begin: the file is emptied and gets its header line; the
    /// series of every compiled combination are named.
    pub fn begin(&mut self, programs: &[Option<Compiled>]) -> Result<(), WriteError> {
        self.columns = programs.iter().map(|p| p.as_ref().map(|c| Arc::new(columns(c)))).collect();
        self.begun = true;
        let mut write = || -> io::Result<()> {
            if self.file.metadata()?.is_file() {
                self.file.set_len(0)?;
            }
            self.file.write_all(HEADER.as_bytes())
        };
        write().map_err(|e| self.error(e))
    }

    fn temp_path(&self, run: u64) -> PathBuf {
        self.temp_dir.join(format!("{}.{run}.tmp", self.temp_prefix))
    }

    /// The sink of run `spec`: straight into the file (`direct`, for a
    /// single run), or into a temporary file of its own.
    pub fn sink(&self, spec: &RunSpec, direct: bool) -> Box<dyn SeriesSink> {
        let failure = Arc::new(Mutex::new(None));
        lock(&self.failures).insert(spec.run, Arc::clone(&failure));
        let opened = if direct {
            let to = Target::File(self.path.clone());
            self.file.try_clone().map(|file| Destination { file, target: to.clone() }).map_err(|e| (to, e))
        } else {
            let path = self.temp_path(spec.run);
            lock(&self.temps).insert(spec.run);
            let to = Target::File(path.to_string_lossy().into_owned());
            File::create(&path).map(|file| Destination { file, target: to.clone() }).map_err(|e| (to, e))
        };
        let out = match opened {
            Ok(out) => Some(out),
            Err((to, error)) => {
                *lock(&failure) = Some(WriteError { what: "the series", to, error });
                None
            }
        };
        let columns = self.columns.get(spec.combination as usize).cloned().flatten().unwrap_or_default();
        Box::new(RowWriter {
            run: format!("{},", spec.run).into_bytes(),
            names: columns.iter().map(|c| format!(",{},", field(&c.name)).into_bytes()).collect(),
            whole: columns.iter().map(|c| c.whole).collect(),
            buffer: Vec::with_capacity(CHUNK + 256),
            out,
            failure,
        })
    }

    /// Run `spec` has ended and every run before it is in the file: its
    /// temporary file (if it had one) is appended and removed; a failed
    /// write of its rows is the error.
    pub fn finish_run(&self, spec: &RunSpec) -> Result<(), WriteError> {
        let failure = lock(&self.failures).remove(&spec.run);
        if let Some(error) = failure.and_then(|f| lock(&f).take()) {
            return Err(error);
        }
        if !lock(&self.temps).remove(&spec.run) {
            return Ok(());
        }
        let path = self.temp_path(spec.run);
        let appended = File::open(&path).and_then(|mut temp| {
            let mut file = &self.file;
            io::copy(&mut temp, &mut file).map(|_| ())
        });
        let _ = std::fs::remove_file(&path);
        appended.map_err(|e| self.error(e))
    }
}

impl Drop for SeriesFile {
    fn drop(&mut self) {
        for run in std::mem::take(&mut *lock(&self.temps)) {
            let _ = std::fs::remove_file(self.temp_path(run));
        }
        if self.created && !self.begun {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_tidy_csv_with_whole_numbers_as_ints() {
        let failure = Arc::new(Mutex::new(None));
        let mut writer = RowWriter {
            run: b"3,".to_vec(),
            names: vec![b",n,".to_vec(), b",tank.level,".to_vec()],
            whole: vec![true, false],
            buffer: Vec::new(),
            out: None,
            failure,
        };
        writer.change(0, 0.0, 4.0);
        writer.change(1, 2.5, 100.0);
        writer.change(1, 1e300, f64::NAN);
        writer.change(0, f64::INFINITY, 1e19);
        writer.change(7, 1.0, 1.0);
        assert_eq!(
            String::from_utf8(writer.buffer.clone()).unwrap(),
            "3,0.0,n,4\n3,2.5,tank.level,100.0\n3,1e300,tank.level,NaN\n3,Infinity,n,1e19\n"
        );
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("pumps[2].queue"), "pumps[2].queue");
    }
}
