//! Running `usimc` on a generated model with an address-space limit and a
//! time limit. Shared with `tests/limits.rs` (`#[path]`).
#![allow(dead_code)] // each test binary uses a different part

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USIMC: &str = env!("CARGO_BIN_EXE_usimc");
const SCRATCH: &str = env!("CARGO_TARGET_TMPDIR");

/// usimc reserves about 1.75 GB of address space up front (the compiler
/// thread's 512 MiB stack, the JIT's arena), committed only as used; 4 GB
/// leaves about 2.25 GB for the work itself (the largest case, 40k waits in
/// one body, peaks at about 0.7 GB resident).
pub const ADDRESS_SPACE: u64 = 4_000_000_000;
/// A hang guard, far above what any case takes in a debug build.
const TIMEOUT: Duration = Duration::from_secs(120);

pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The start of stderr, for failure messages.
    pub fn stderr_head(&self) -> &str {
        let end = self.stderr.char_indices().nth(2000).map_or(self.stderr.len(), |(i, _)| i);
        &self.stderr[..end]
    }
}

/// A path in the scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    PathBuf::from(SCRATCH).join(name)
}

/// Writes the model `NAME.usim` to the scratch directory and returns its path.
pub fn model(name: &str, text: &str) -> String {
    let path = scratch(&format!("{name}.usim"));
    std::fs::write(&path, text).expect("cannot write a generated model");
    path.to_str().expect("a UTF-8 scratch path").to_string()
}

fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `usimc ARGS` under [`ADDRESS_SPACE`], killing it after [`TIMEOUT`].
pub fn usimc(args: &[&str]) -> Outcome {
    usimc_limited(ADDRESS_SPACE, args)
}

/// Runs `usimc ARGS` with at most `bytes` of address space, killing it after [`TIMEOUT`].
pub fn usimc_limited(bytes: u64, args: &[&str]) -> Outcome {
    let mut command = if std::path::Path::new("/usr/bin/prlimit").exists() {
        let mut command = Command::new("/usr/bin/prlimit");
        command.arg(format!("--as={bytes}")).arg(USIMC).args(args);
        command
    } else {
        let mut command = Command::new("sh");
        let script = format!("ulimit -v {} && exec \"$0\" \"$@\"", bytes / 1024);
        command.arg("-c").arg(script).arg(USIMC).args(args);
        command
    };
    let mut child = command
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start usimc");
    let stdout = read_all(child.stdout.take().expect("stdout is piped"));
    let stderr = read_all(child.stderr.take().expect("stderr is piped"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for usimc") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("usimc {args:?} ran for more than {} s", TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Outcome {
        code: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}
