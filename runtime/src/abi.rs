//! The binary contract between generated code and the runtime: the header at
//! the start of [`Runtime`], the step function signature, the codes a step
//! returns and host calls return, the frame header, and the span encoding.
//! The code generator relies on every number here; change none of them alone.

use crate::Runtime;

/// The first field of [`Runtime`]; generated code reads and writes these
/// fields at the fixed offsets [`OFFSET_ERROR`], [`OFFSET_NOW`] and
/// [`OFFSET_STACK_LEFT`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    /// Nonzero once a runtime error has been recorded.
    pub error: u32,
    /// Keeps `now` 8-byte aligned; always 0.
    pub _pad: u32,
    /// The current simulated time; the runtime sets it before every step.
    pub now: f64,
    /// Bytes of host stack that generated code may still use for the frames
    /// of `fn` calls. The runtime sets it to [`STACK_BUDGET`] before every
    /// step; generated code subtracts a callee's need before a call (raising
    /// [`crate::ERROR_CALL_DEPTH`] if it would go below 0) and restores it after.
    pub stack_left: i64,
    /// The process-wide Ctrl-C flag ([`crate::interrupt_flag_address`]),
    /// which generated code reads at every loop head through this pointer
    /// (code holds no absolute address, so its text is the same every run).
    pub interrupt: *const u32,
}

impl Default for Header {
    fn default() -> Header {
        Header { error: 0, _pad: 0, now: 0.0, stack_left: 0, interrupt: crate::interrupt_flag_address() }
    }
}

/// Byte offset of [`Header::error`] from the start of a [`Runtime`].
pub const OFFSET_ERROR: i32 = 0;
/// Byte offset of [`Header::now`] from the start of a [`Runtime`].
pub const OFFSET_NOW: i32 = 8;
/// Byte offset of [`Header::stack_left`] from the start of a [`Runtime`].
pub const OFFSET_STACK_LEFT: i32 = 16;
/// Byte offset of [`Header::interrupt`] from the start of a [`Runtime`].
pub const OFFSET_INTERRUPT: i32 = 24;

const _: () = assert!(std::mem::offset_of!(Header, error) == OFFSET_ERROR as usize);
const _: () = assert!(std::mem::offset_of!(Header, now) == OFFSET_NOW as usize);
const _: () = assert!(std::mem::offset_of!(Header, stack_left) == OFFSET_STACK_LEFT as usize);
const _: () = assert!(std::mem::offset_of!(Header, interrupt) == OFFSET_INTERRUPT as usize);
const _: () = assert!(std::mem::size_of::<Header>() == 32);

/// The value [`Header::stack_left`] holds when a step starts: 64 MiB. The
/// thread that calls [`crate::run`] needs a stack comfortably larger than this.
pub const STACK_BUDGET: i64 = 64 << 20;

/// The native function a `process` compiles to. It runs the process from the
/// state stored in its frame's slot 0 until it suspends or ends.
///
/// `frame` points to the process's own slots, `globals` to the globals block,
/// `rt` to the runtime, for host calls; all three stay valid for the call.
pub type StepFn = unsafe extern "C" fn(frame: *mut u64, globals: *mut u64, rt: *mut Runtime) -> u32;

/// The process registered a wait through a host call and returns.
pub const STEP_SUSPENDED: u32 = 0;
/// The process ended (returned); its result slots are filled.
pub const STEP_DONE: u32 = 1;
/// A runtime error was recorded through a host call (`header.error != 0`).
pub const STEP_ERROR: u32 = 2;
/// `stop`: end the whole simulation now, successfully.
pub const STEP_STOP: u32 = 3;
/// The process cancelled itself (a host call returned [`HOST_CANCELLED_SELF`]).
pub const STEP_CANCELLED: u32 = 4;

/// Frame slots before the parameters: [`SLOT_STATE`] and [`SLOT_RESUME_REASON`].
pub const FRAME_HEADER_SLOTS: u32 = 2;
/// Frame slot holding the state index to resume at (0 = start).
pub const SLOT_STATE: u32 = 0;
/// Frame slot holding the resume reason, set on every resumption: the arm
/// of a `select` that won (0 for a plain wait), or [`RESUME_INTERRUPTED`].
pub const SLOT_RESUME_REASON: u32 = 1;
/// The resume reason of a process that continues after a block whose `until`
/// fired or whose lock was preempted.
pub const RESUME_INTERRUPTED: u64 = u32::MAX as u64;

/// Host call result: carry on, nothing was registered.
pub const HOST_CONTINUE: u32 = 0;
/// Host call result: a wait was registered; the step must store its next state
/// and return [`STEP_SUSPENDED`].
pub const HOST_SUSPENDED: u32 = 1;
/// Host call result: a runtime error was recorded; return [`STEP_ERROR`].
pub const HOST_ERROR: u32 = 2;
/// A `select` arm registration result: the arm waits; go on to the next arm.
/// (The same number as [`HOST_SUSPENDED`]: in a `select`, nothing suspends
/// until `usim_select_wait`.)
pub const HOST_REGISTERED: u32 = 1;
/// Host call result: an interrupt took effect (or an `until` was ready on
/// entry): the runtime unwound the blocks and stored the state to continue
/// at in slot [`SLOT_STATE`]; dispatch on it again without suspending.
pub const HOST_REDISPATCH: u32 = 3;
/// Host call result: the running process was cancelled during the call (its
/// own act — a var write, a broadcast, a preemption — interrupted a block
/// of another process whose unwinding cancelled the scope it runs in); the
/// step must return [`STEP_CANCELLED`] at once.
pub const HOST_ENDED: u32 = 4;
/// `usim_cancel` result: the running process itself was cancelled (directly,
/// or as a child of a scope that was cancelled); return [`STEP_CANCELLED`].
pub const HOST_CANCELLED_SELF: u32 = 1;

/// The span value meaning "no source location".
pub const NO_SPAN: i64 = -1;

/// Packs a byte range of the source into the `span: i64` host calls take:
/// `(start << 32) | end`.
pub const fn encode_span(start: u32, end: u32) -> i64 {
    ((start as i64) << 32) | end as i64
}

/// Unpacks a span made by [`encode_span`]; [`NO_SPAN`] (any negative value)
/// gives `None`.
pub const fn decode_span(span: i64) -> Option<(u32, u32)> {
    if span < 0 {
        None
    } else {
        Some(((span >> 32) as u32, span as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_round_trip() {
        assert_eq!(decode_span(encode_span(12, 40)), Some((12, 40)));
        assert_eq!(decode_span(encode_span(0, 0)), Some((0, 0)));
        assert_eq!(decode_span(NO_SPAN), None);
        assert_eq!(encode_span(1, 2), (1 << 32) | 2);
    }

    #[test]
    fn header_sits_at_the_start_of_the_runtime() {
        assert_eq!(std::mem::offset_of!(Runtime, header), 0);
    }
}
