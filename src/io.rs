//! All terminal and file output of usimc, checked: stdout and stderr as usimc
//! writes them, what a failed write was, and the `--out` file. A failed write
//! ends usimc with exit code 2 and a message that names the stream (on
//! stderr, unless stderr is what failed); a pipe closed by its reader ends
//! it quietly with exit code 0.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};

use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};

use crate::{EXIT_OK, EXIT_USAGE};

/// stdout and stderr as usimc writes them.
///
/// The Rust runtime reopens a standard stream that is closed when a program
/// starts (`usimc run m.usim >&-`) on `/dev/null`, where every write
/// succeeds and the text vanishes. On Linux a probe that runs before the
/// runtime's start notes which streams were closed, and every write to those
/// fails here as "it is closed".
pub mod streams {
    use std::io::{self, Write};
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

    use super::Target;

    /// Bit 1 << fd for stdout (1) and stderr (2): closed when usimc started.
    static CLOSED_AT_START: AtomicU8 = AtomicU8::new(0);

    /// Whether a write to stdout found its pipe closed by the reader, and
    /// whether writes are to be dropped from then on (see [`keep_going_without_stdout`]).
    static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
    static DROP_WHEN_GONE: AtomicBool = AtomicBool::new(false);

    /// From now on a pipe on stdout closed by its reader does not end the
    /// command: what is written to stdout after that is dropped, so a run
    /// whose report goes to an `--out` file runs to its end and writes it.
    pub fn keep_going_without_stdout() {
        DROP_WHEN_GONE.store(true, Ordering::Relaxed);
    }

    /// Whether the reader of stdout's pipe has gone and writes are dropped.
    fn dropping() -> bool {
        STDOUT_GONE.load(Ordering::Relaxed) && DROP_WHEN_GONE.load(Ordering::Relaxed)
    }

    /// A stdout write's result: a closed pipe is noted, and is no error
    /// when writes are to be dropped then.
    fn noted<T>(result: io::Result<T>, dropped: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                STDOUT_GONE.store(true, Ordering::Relaxed);
                if DROP_WHEN_GONE.load(Ordering::Relaxed) {
                    Ok(dropped)
                } else {
                    Err(e)
                }
            }
            other => other,
        }
    }

    #[cfg(target_os = "linux")]
    mod probe {
        use super::{Ordering, CLOSED_AT_START};

        extern "C" {
            fn fcntl(fd: i32, command: i32, ...) -> i32;
        }

        const F_GETFD: i32 = 1;

        extern "C" fn probe() {
            let mut closed = 0;
            for fd in [1, 2] {
                // SAFETY: F_GETFD only reads the flags of a descriptor number,
                // takes no third argument, and fails with EBADF on a closed one.
                if unsafe { fcntl(fd, F_GETFD) } == -1 {
                    closed |= 1 << fd;
                }
            }
            CLOSED_AT_START.store(closed, Ordering::Relaxed);
        }

        /// The C runtime calls the functions of `.init_array` before `main`,
        /// so before the Rust runtime reopens closed standard streams.
        #[used]
        #[link_section = ".init_array"]
        static PROBE: extern "C" fn() = probe;
    }

    /// Whether `to` (stdout or stderr) was closed when usimc started.
    pub fn closed_at_start(to: &Target) -> bool {
        let bit = match to {
            Target::Stdout => 1 << 1,
            Target::Stderr => 1 << 2,
            Target::File(_) => return false,
        };
        CLOSED_AT_START.load(Ordering::Relaxed) & bit != 0
    }

    /// The error of a write to a stream closed at start.
    pub fn closed() -> io::Error {
        io::Error::other("it is closed")
    }

    /// Fails a write of `bytes` to a stream closed at start; writing nothing
    /// is no loss.
    fn check(to: &Target, bytes: &[u8]) -> io::Result<()> {
        if closed_at_start(to) && !bytes.is_empty() {
            Err(closed())
        } else {
            Ok(())
        }
    }

    /// stdout; writes go through the standard library's buffer, flushed by `flush`.
    pub struct Stdout;

    impl Write for Stdout {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            check(&Target::Stdout, bytes)?;
            if dropping() {
                return Ok(bytes.len());
            }
            noted(io::stdout().lock().write(bytes), bytes.len())
        }

        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            check(&Target::Stdout, bytes)?;
            if dropping() {
                return Ok(());
            }
            noted(io::stdout().lock().write_all(bytes), ())
        }

        /// Nothing written to a stream closed at start is pending.
        fn flush(&mut self) -> io::Result<()> {
            if dropping() {
                return Ok(());
            }
            noted(io::stdout().lock().flush(), ())
        }
    }

    /// stderr, unbuffered.
    pub struct Stderr;

    impl Write for Stderr {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            check(&Target::Stderr, bytes)?;
            io::stderr().lock().write(bytes)
        }

        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            check(&Target::Stderr, bytes)?;
            io::stderr().lock().write_all(bytes)
        }

        /// Nothing written to a stream closed at start is pending.
        fn flush(&mut self) -> io::Result<()> {
            io::stderr().lock().flush()
        }
    }
}

/// Where a write went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    Stderr,
    /// The `--out` file.
    File(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Stdout => f.write_str("stdout"),
            Target::Stderr => f.write_str("stderr"),
            Target::File(path) => f.write_str(path),
        }
    }
}

/// A write that failed.
#[derive(Debug)]
pub struct WriteError {
    /// What was being written: `the IR`, `the model's output`, `the report`.
    pub what: &'static str,
    pub to: Target,
    pub error: io::Error,
}

impl WriteError {
    pub fn stderr(error: io::Error) -> WriteError {
        WriteError { what: "a message", to: Target::Stderr, error }
    }

    /// Whether the write went into a pipe whose reader has gone
    /// (`usimc run m.usim | head -1`): the reader wanted no more.
    pub fn is_closed_pipe(&self) -> bool {
        self.to != Target::Stderr && self.error.kind() == io::ErrorKind::BrokenPipe
    }

    /// Says what failed, on stderr unless stderr is what failed (then there
    /// is nowhere to say it), and returns the exit code for an IO error.
    /// A pipe closed by its reader ends usimc quietly with success, as it
    /// does other Unix tools: nobody is left to read the rest.
    pub fn report(self) -> u8 {
        if self.is_closed_pipe() {
            return EXIT_OK;
        }
        if self.to != Target::Stderr {
            let _ = say(&format!("usimc: cannot write {} to {}: {}", self.what, self.to, self.error));
        }
        EXIT_USAGE
    }
}

/// Why a command ended before its end: an exit code whose message has been
/// written, or a write that failed.
#[derive(Debug)]
pub enum Stop {
    Code(u8),
    Write(WriteError),
}

impl From<WriteError> for Stop {
    fn from(e: WriteError) -> Stop {
        Stop::Write(e)
    }
}

/// Writes one line to stderr.
pub fn say(line: &str) -> Result<(), WriteError> {
    streams::Stderr.write_all(format!("{line}\n").as_bytes()).map_err(WriteError::stderr)
}

/// Writes `message` to stderr and ends the command with `code`.
pub fn refuse<T>(code: u8, message: impl fmt::Display) -> Result<T, Stop> {
    say(&message.to_string())?;
    Err(Stop::Code(code))
}

/// Writes all of `bytes` to stdout and flushes it.
pub fn write_stdout(what: &'static str, bytes: &[u8]) -> Result<(), WriteError> {
    let mut out = streams::Stdout;
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|error| WriteError { what, to: Target::Stdout, error })
}

/// stderr for diagnostics: in colour on a terminal, plain otherwise.
pub fn diagnostics_stream() -> Box<dyn WriteColor> {
    if io::stderr().is_terminal() {
        Box::new(StandardStream::stderr(ColorChoice::Auto))
    } else {
        Box::new(NoColor::new(streams::Stderr))
    }
}

/// The `--out` file, opened before the model is compiled so that a path that
/// cannot be written is refused before any work. A file that exists keeps
/// its contents until the report replaces them; one created here is removed
/// again unless the report is written into it.
pub struct ReportFile {
    path: String,
    /// What it holds, as messages name it: `the report`, `the picture`.
    what: &'static str,
    file: File,
    created: bool,
    written: bool,
    /// The path names the file stdout writes to (`--out /dev/stdout` with
    /// stdout redirected to a file): the report follows the output through
    /// stdout instead of overwriting it from the start of the file.
    is_stdout: bool,
}

/// Whether `file` is the very file (device and inode) that stdout writes to.
#[cfg(unix)]
fn is_stdout(file: &File) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    if streams::closed_at_start(&Target::Stdout) {
        return false;
    }
    let Ok(stdout) = io::stdout().as_fd().try_clone_to_owned() else { return false };
    match (File::from(stdout).metadata(), file.metadata()) {
        (Ok(out), Ok(ours)) => out.is_file() && out.dev() == ours.dev() && out.ino() == ours.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_stdout(_: &File) -> bool {
    false
}

impl ReportFile {
    pub fn open(path: &str) -> Result<ReportFile, Stop> {
        Self::open_for(path, "the report")
    }

    /// Opens the file that will hold `what` (`the report`, `the picture`).
    pub fn open_for(path: &str, what: &'static str) -> Result<ReportFile, Stop> {
        let opened = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(file) => Ok((file, true)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                OpenOptions::new().write(true).open(path).map(|file| (file, false))
            }
            Err(e) => Err(e),
        };
        match opened {
            Ok((file, created)) => {
                let is_stdout = is_stdout(&file);
                Ok(ReportFile { path: path.to_string(), what, file, created, written: false, is_stdout })
            }
            Err(e) => refuse(EXIT_USAGE, format!("usimc: cannot write {what} to {path}: {e}")),
        }
    }

    pub fn write(self, text: &str) -> Result<(), WriteError> {
        self.write_bytes(text.as_bytes())
    }

    pub fn write_bytes(mut self, bytes: &[u8]) -> Result<(), WriteError> {
        if self.is_stdout {
            write_stdout(self.what, bytes)?;
            self.written = true;
            return Ok(());
        }
        let mut write = || -> io::Result<()> {
            // A regular file is emptied first; a device (`/dev/null`) cannot be.
            if self.file.metadata()?.is_file() {
                self.file.set_len(0)?;
            }
            self.file.write_all(bytes)?;
            self.file.flush()
        };
        match write() {
            Ok(()) => {
                self.written = true;
                Ok(())
            }
            Err(error) => Err(WriteError { what: self.what, to: Target::File(self.path.clone()), error }),
        }
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        if self.created && !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
