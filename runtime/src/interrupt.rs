//! Ctrl-C: one flag for the whole process, set from a signal handler and
//! read by every run. The event loop looks at it before each event, and
//! generated code at the head of every loop (`poll` in the IR), so a run
//! stuck in a loop at one instant stops too, at that loop.

use std::sync::atomic::{AtomicU32, Ordering};

/// Nonzero once an interrupt was asked for.
static INTERRUPT: AtomicU32 = AtomicU32::new(0);

/// Asks every run in this process to stop as soon as it can, with the
/// error "interrupted (Ctrl-C)". Safe to call from a signal handler (one
/// atomic store).
pub fn request_interrupt() {
    INTERRUPT.store(1, Ordering::Relaxed);
}

/// Withdraws an interrupt asked for, so that later runs in this process
/// go on (a host that embeds usim and caught the interrupt itself, or a
/// test's watchdog that stopped one runaway run).
pub fn clear_interrupt() {
    INTERRUPT.store(0, Ordering::Relaxed);
}

/// Whether [`request_interrupt`] was called.
pub fn interrupt_requested() -> bool {
    INTERRUPT.load(Ordering::Relaxed) != 0
}

/// The address of the flag (a `u32`, nonzero once set), which generated
/// code reads at the head of every loop.
pub fn interrupt_flag_address() -> *const u32 {
    INTERRUPT.as_ptr()
}
