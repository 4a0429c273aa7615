//! Process frames: arrays of `u64` slots at a fixed address, which generated
//! code reads and writes through a raw pointer while the runtime may grow the
//! process table around them.
//!
//! Frames live in per-kind arenas ([`FrameArena`]): a kind's frames all have
//! the same length, so they are carved out of large chunks instead of being
//! allocated one by one. That saves the allocator's header and rounding on
//! every process (a small frame is 3 or 4 slots) and puts the frames of a
//! kind side by side. A frame is never freed on its own: its slot in the
//! process table keeps it for the next process of the kind, and the arena
//! frees the chunks when the run ends.
//!
//! A frame is a raw pointer rather than a reference so that no
//! unique-ownership assumption covers memory that a running step writes to.

use std::ptr::NonNull;

/// Frames of up to this many slots are cleared by an unrolled loop.
const SMALL_FRAME: usize = 8;

/// The slots a chunk of an arena holds at most, unless one frame is larger
/// (256 KiB: large enough that a chunk's allocation is rare, small enough
/// that a kind with few processes wastes little).
const CHUNK_SLOTS: usize = 32 * 1024;

/// A process's frame: `len` slots within a chunk of a [`FrameArena`], valid
/// while the arena lives.
pub(crate) struct Frame {
    slots: NonNull<u64>,
    len: usize,
}

/// The frames of one kind, all `frame_len` slots long.
pub(crate) struct FrameArena {
    frame_len: usize,
    /// Every chunk handed out frames; the last one may have room left.
    chunks: Vec<NonNull<[u64]>>,
    /// Slots of the last chunk already handed out.
    used: usize,
}

impl FrameArena {
    pub fn new(frame_len: usize) -> Self {
        FrameArena { frame_len, chunks: Vec::new(), used: 0 }
    }

    /// A new zeroed frame, or `None` when memory runs out (a frame holds a
    /// process's arrays, so it may be large).
    pub fn try_zeroed(&mut self) -> Option<Frame> {
        let len = self.frame_len;
        let room = self.chunks.last().map_or(0, |chunk| chunk.len() - self.used);
        if room < len || self.chunks.is_empty() {
            // Chunks grow with the kind's population (doubling, up to
            // `CHUNK_SLOTS`), so a kind with one process takes one frame.
            let most = (CHUNK_SLOTS / len.max(1)).max(1);
            let frames = match self.chunks.last() {
                Some(chunk) => (chunk.len() / len.max(1) * 2).clamp(1, most),
                None => 1,
            };
            let size = frames.checked_mul(len)?;
            let mut slots: Vec<u64> = Vec::new();
            slots.try_reserve_exact(size).ok()?;
            slots.resize(size, 0);
            self.chunks.try_reserve(1).ok()?;
            self.chunks.push(NonNull::from(Box::leak(slots.into_boxed_slice())));
            self.used = 0;
        }
        let chunk = *self.chunks.last().expect("a chunk with room");
        // SAFETY: `used + len <= chunk.len()`, so the frame is within the
        // chunk, and no other frame overlaps it (`used` only grows).
        let slots = unsafe { NonNull::new_unchecked(chunk.as_ptr().cast::<u64>().add(self.used)) };
        self.used += len;
        Some(Frame { slots, len })
    }
}

impl Drop for FrameArena {
    fn drop(&mut self) {
        for chunk in self.chunks.drain(..) {
            // SAFETY: each chunk came from `Box::leak` in `try_zeroed` and is
            // freed only here, once; the arena outlives its frames' use (the
            // process table drops it after every step has run).
            drop(unsafe { Box::from_raw(chunk.as_ptr()) });
        }
    }
}

impl Frame {
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The address generated code gets; it never changes.
    #[inline]
    pub fn as_mut_ptr(&self) -> *mut u64 {
        self.slots.as_ptr()
    }

    #[inline]
    pub fn read(&self, index: usize) -> u64 {
        assert!(index < self.len(), "frame slot {index} of {}", self.len());
        // SAFETY: `index` is in bounds of the frame, within its arena's live
        // chunk; the runtime is single-threaded, so no step writes concurrently.
        unsafe { self.as_mut_ptr().add(index).read() }
    }

    #[inline]
    pub fn write(&mut self, index: usize, value: u64) {
        assert!(index < self.len(), "frame slot {index} of {}", self.len());
        // SAFETY: as in `read`; `&mut self` means no other Rust reference to
        // the slots exists, and the runtime never writes a running frame.
        unsafe { self.as_mut_ptr().add(index).write(value) }
    }

    #[inline]
    pub fn clear(&mut self) {
        let (slots, len) = (self.as_mut_ptr(), self.len());
        if len <= SMALL_FRAME {
            // Small frames (most processes') without a call to `memset`: a
            // constant trip count, so the loop is unrolled, not made a call.
            for index in 0..SMALL_FRAME {
                if index < len {
                    // SAFETY: `index < len`, within the frame; the frame is
                    // not in use by a running step (it is being reused).
                    unsafe { slots.add(index).write(0) }
                }
            }
        } else {
            // SAFETY: writes `len` zeroed u64s within the frame; as above,
            // no step is using it.
            unsafe { slots.write_bytes(0, len) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_clears() {
        let mut arena = FrameArena::new(4);
        let mut frame = arena.try_zeroed().expect("a small frame");
        assert_eq!(frame.len(), 4);
        frame.write(3, 42);
        assert_eq!(frame.read(3), 42);
        let address = frame.as_mut_ptr();
        frame.clear();
        assert_eq!(frame.read(3), 0);
        assert_eq!(frame.as_mut_ptr(), address);
    }

    #[test]
    fn frames_of_an_arena_are_apart_and_stay_put() {
        let mut arena = FrameArena::new(3);
        let mut frames: Vec<Frame> = (0..10_000).map(|_| arena.try_zeroed().expect("a frame")).collect();
        for (index, frame) in frames.iter_mut().enumerate() {
            frame.write(0, index as u64);
            frame.write(2, !(index as u64));
        }
        for (index, frame) in frames.iter().enumerate() {
            assert_eq!((frame.read(0), frame.read(1), frame.read(2)), (index as u64, 0, !(index as u64)));
        }
        assert!(arena.chunks.len() < 20, "chunks double: {}", arena.chunks.len());
    }

    #[test]
    fn empty_frames_are_fine() {
        let mut arena = FrameArena::new(0);
        let frame = arena.try_zeroed().expect("an empty frame");
        assert_eq!(frame.len(), 0);
    }

    #[test]
    fn a_frame_too_large_for_memory_is_none() {
        assert!(FrameArena::new(usize::MAX / 8).try_zeroed().is_none());
        assert!(FrameArena::new(usize::MAX).try_zeroed().is_none());
    }
}
