//! Process frames: arrays of `u64` slots at a fixed address, which generated
//! code reads and writes through a raw pointer while the runtime may grow the
//! process table around them.
//!
//! A frame is a raw allocation rather than a `Box<[u64]>` field so that no
//! unique-ownership assumption covers memory that a running step writes to.

use std::ptr::NonNull;

/// Frames of up to this many slots are cleared by an unrolled loop.
const SMALL_FRAME: usize = 8;

pub(crate) struct Frame {
    slots: NonNull<[u64]>,
}

impl Frame {
    /// A frame of `len` zeroed slots, or `None` when memory runs out (a
    /// frame holds a process's arrays, so it may be large).
    pub fn try_zeroed(len: usize) -> Option<Frame> {
        let mut slots: Vec<u64> = Vec::new();
        slots.try_reserve_exact(len).ok()?;
        slots.resize(len, 0);
        Some(Frame { slots: NonNull::from(Box::leak(slots.into_boxed_slice())) })
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The address generated code gets; it never changes.
    #[inline]
    pub fn as_mut_ptr(&self) -> *mut u64 {
        self.slots.as_ptr().cast()
    }

    #[inline]
    pub fn read(&self, index: usize) -> u64 {
        assert!(index < self.len(), "frame slot {index} of {}", self.len());
        // SAFETY: `index` is in bounds of the live allocation this frame owns;
        // the runtime is single-threaded, so no step writes concurrently.
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
                    // SAFETY: `index < len`, within the allocation this frame
                    // owns; the frame is not in use by a running step (it is
                    // being reused).
                    unsafe { slots.add(index).write(0) }
                }
            }
        } else {
            // SAFETY: writes `len` zeroed u64s within the allocation this
            // frame owns; as above, no step is using it.
            unsafe { slots.write_bytes(0, len) }
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // SAFETY: `slots` came from `Box::leak` in `try_zeroed` and is freed only
        // here, once; no step is running when the process table is dropped.
        drop(unsafe { Box::from_raw(self.slots.as_ptr()) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_clears() {
        let mut frame = Frame::try_zeroed(4).expect("a small frame");
        assert_eq!(frame.len(), 4);
        frame.write(3, 42);
        assert_eq!(frame.read(3), 42);
        let address = frame.as_mut_ptr();
        frame.clear();
        assert_eq!(frame.read(3), 0);
        assert_eq!(frame.as_mut_ptr(), address);
    }

    #[test]
    fn empty_frames_are_fine() {
        let frame = Frame::try_zeroed(0).expect("an empty frame");
        assert_eq!(frame.len(), 0);
    }

    #[test]
    fn a_frame_too_large_for_memory_is_none() {
        assert!(Frame::try_zeroed(usize::MAX / 8).is_none());
        assert!(Frame::try_zeroed(usize::MAX).is_none());
    }
}
