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

pub(crate) struct Output {
    buffer: Vec<u8>,
    sink: Box<dyn Write + Send>,
}

impl Output {
    pub fn new(sink: Box<dyn Write + Send>) -> Self {
        Output { buffer: Vec::with_capacity(FLUSH_THRESHOLD), sink }
    }

    pub fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= FLUSH_THRESHOLD {
            self.write_buffer()?;
        }
        Ok(())
    }

    /// Writes everything buffered and flushes the writer.
    pub fn finish(&mut self) -> io::Result<()> {
        self.write_buffer()?;
        self.sink.flush()
    }

    fn write_buffer(&mut self) -> io::Result<()> {
        // The buffer is dropped even when writing fails, so a failing writer
        // is reported once rather than at every later line.
        let result = self.sink.write_all(&self.buffer);
        self.buffer.clear();
        result
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
    }
}
