//! Buffered `print` output: lines collect in memory and go to the injected
//! writer in chunks of about 64 KiB, and once more at the end of the run.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// A writer that keeps everything written to it in memory, shared by all its
/// clones: give one clone to [`crate::RunConfig::output`] and read another
/// after the run (tests, embedding usim in another program).
#[derive(Clone, Debug, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// A copy of the bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The bytes written so far as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Flush to the writer once the buffer holds this much.
pub(crate) const FLUSH_THRESHOLD: usize = 64 * 1024;

/// The first failure of the writer, shared between the [`Output`] inside the
/// runtime and the run that reports it in [`crate::RunOutcome::output_error`].
#[derive(Clone, Debug, Default)]
pub(crate) struct FailureSlot(Arc<Mutex<Option<(io::ErrorKind, String)>>>);

impl FailureSlot {
    /// The writer's error kind and text, if it failed.
    pub fn take(&self) -> Option<(io::ErrorKind, String)> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }

    fn record(&self, error: &io::Error) {
        let mut slot = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            *slot = Some((error.kind(), error.to_string()));
        }
    }
}

/// Lines buffered on their way to the writer. The first failure of the
/// writer is returned once (the runtime makes it the run's error, which
/// stops the run) and recorded in the [`FailureSlot`]; from then on output is
/// dropped without another attempt to write it.
pub(crate) struct Output {
    buffer: Vec<u8>,
    sink: Box<dyn Write + Send>,
    failure: FailureSlot,
    failed: bool,
}

impl Output {
    pub fn new(sink: Box<dyn Write + Send>) -> Self {
        Output { buffer: Vec::with_capacity(FLUSH_THRESHOLD), sink, failure: FailureSlot::default(), failed: false }
    }

    /// Where the writer's first failure will be recorded.
    pub fn failure(&self) -> FailureSlot {
        self.failure.clone()
    }

    pub fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= FLUSH_THRESHOLD {
            self.write_buffer()?;
        }
        Ok(())
    }

    /// Writes everything buffered and flushes the writer.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        self.write_buffer()?;
        let flushed = self.sink.flush();
        flushed.map_err(|error| self.fail(error))
    }

    fn write_buffer(&mut self) -> io::Result<()> {
        let written = self.sink.write_all(&self.buffer);
        self.buffer.clear();
        written.map_err(|error| self.fail(error))
    }

    /// Records the writer's failure and gives up on the rest of the output.
    fn fail(&mut self, error: io::Error) -> io::Error {
        self.failed = true;
        self.buffer = Vec::new();
        self.failure.record(&error);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Chunks(Arc<Mutex<Vec<usize>>>);

    impl Write for Chunks {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().push(bytes.len());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_in_chunks_and_at_the_end() {
        let chunks = Chunks::default();
        let mut output = Output::new(Box::new(chunks.clone()));
        let line = [b'x'; 1000];
        for _ in 0..70 {
            output.push(&line).unwrap();
        }
        assert_eq!(*chunks.0.lock().unwrap(), vec![66_000]);
        output.finish().unwrap();
        assert_eq!(*chunks.0.lock().unwrap(), vec![66_000, 4_000]);
        assert_eq!(output.failure().take(), None);
    }

    /// Accepts `room` bytes, then fails as a full disk does.
    struct Full {
        room: usize,
        writes: Arc<Mutex<usize>>,
    }

    impl Write for Full {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            *self.writes.lock().unwrap() += 1;
            if self.room == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = bytes.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_first_failure_is_returned_once_and_recorded() {
        let writes = Arc::new(Mutex::new(0));
        let mut output = Output::new(Box::new(Full { room: 10, writes: writes.clone() }));
        let failure = output.failure();
        let line = [b'x'; 1000];
        let mut errors = 0;
        for _ in 0..200 {
            errors += usize::from(output.push(&line).is_err());
        }
        assert_eq!(errors, 1);
        assert!(output.finish().is_ok(), "the failure was reported already");
        // One write took 10 bytes, the next failed; nothing was tried after.
        assert_eq!(*writes.lock().unwrap(), 2);
        let (kind, _) = failure.take().expect("recorded");
        assert_eq!(kind, io::ErrorKind::StorageFull);
    }

    #[test]
    fn a_failing_flush_is_recorded() {
        struct NoFlush;
        impl Write for NoFlush {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
        }
        let mut output = Output::new(Box::new(NoFlush));
        let failure = output.failure();
        output.push(b"hello\n").unwrap();
        assert!(output.finish().is_err());
        assert_eq!(failure.take().map(|(kind, _)| kind), Some(io::ErrorKind::BrokenPipe));
    }
}
