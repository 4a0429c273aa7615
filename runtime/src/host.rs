//! The host functions generated code calls, and [`host_symbols`], the list the
//! JIT registers them from. Each is a thin `extern "C"` shim over a
//! `Runtime` method; return codes are `HOST_*` from [`crate::abi`].
//!
//! Every function here requires `rt` to be the pointer the runtime passed to
//! the running step function, and is called only during that step.

use crate::error::inline_error_message;
use crate::Runtime;

/// Reborrows the runtime for one host call.
///
/// # Safety
/// `rt` must be the pointer passed to the running step, with no other
/// reference to the runtime in use for the duration of the call.
unsafe fn runtime<'a>(rt: *mut Runtime) -> &'a mut Runtime {
    // SAFETY: guaranteed by the caller; the run loop holds no reference to
    // the runtime while a step runs, only the pointer it passed.
    unsafe { &mut *rt }
}

/// `spawn kind(args)`: returns the new process's handle (opaque, positive;
/// not its pid), or 0 after recording an internal error for a bad kind or
/// argument count.
///
/// # Safety
/// As for every host function; `args` points to `nargs` readable slots (it
/// may be null when `nargs` is 0).
pub unsafe extern "C" fn usim_spawn(rt: *mut Runtime, kind: u32, args: *const u64, nargs: u32) -> i64 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let args = if nargs == 0 {
        &[][..]
    } else {
        // SAFETY: the caller guarantees `args` points to `nargs` slots.
        unsafe { std::slice::from_raw_parts(args, nargs as usize) }
    };
    match rt.spawn(kind, args) {
        Ok((_, handle)) => handle as i64,
        Err(message) => {
            rt.internal_error(&message);
            0
        }
    }
}

/// `await delay(d)`: returns 1 (suspended), or 2 after an error for a
/// negative or NaN `d`.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_delay(rt: *mut Runtime, d: f64, span: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.delay(d, span)
}

/// `await at(t)`: returns 1 (suspended), or 2 after an error for a `t` in
/// the past or NaN.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_at(rt: *mut Runtime, t: f64, span: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.at(t, span)
}

/// `await instant`: returns 1 (suspended).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_instant(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.instant()
}

/// Before an `every` iteration due at `t`: returns 0 to run it now, 1 when
/// suspended until `t`, 2 after an error (`t` is NaN).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_wait_until(rt: *mut Runtime, t: f64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.wait_until(t)
}

/// `await h`: returns 0 when `h` has returned, 1 when suspended until it
/// ends (call again on resumption), 2 after an error (`h` was cancelled).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_join(rt: *mut Runtime, handle: i64, span: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.join(handle, span)
}

/// Slot `k` of the return value of the ended process `handle`.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_result(rt: *mut Runtime, handle: i64, k: u32) -> u64 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.result(handle, k)
}

/// `cancel h`: returns 0, or 1 when the running process itself was
/// cancelled (then the step returns `STEP_CANCELLED`).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_cancel(rt: *mut Runtime, handle: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.cancel(handle)
}

/// Entry to a `scope` block.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_scope_enter(rt: *mut Runtime) {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.scope_enter()
}

/// End of a `scope` block: returns 0 when its children have all ended, 1 when
/// suspended until they have (call again on resumption), 2 on misuse.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_scope_exit(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.scope_exit()
}

/// Records the runtime error `code` (see [`crate::inline_error_message`]).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_error(rt: *mut Runtime, code: u32, span: i64) {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.raise(inline_error_message(code), span)
}

/// Records an out-of-bounds array index.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_index_error(rt: *mut Runtime, index: i64, len: i64, span: i64) {
    let message = format!("index {index} is out of bounds for an array of length {len}");
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.raise(message, span)
}

/// Lists each function as `(stringify!(name), address)`, so a symbol's name
/// cannot drift from its function's.
macro_rules! symbols {
    ($($function:ident),* $(,)?) => {
        vec![$((stringify!($function), $function as *const u8)),*]
    };
}

/// Every host function of this crate, by symbol name (the Rust name) and
/// address, for registration with the JIT.
pub fn host_symbols() -> Vec<(&'static str, *const u8)> {
    symbols![
        usim_spawn,
        usim_delay,
        usim_at,
        usim_instant,
        usim_wait_until,
        usim_join,
        usim_result,
        usim_cancel,
        usim_scope_enter,
        usim_scope_exit,
        usim_error,
        usim_index_error,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Names of the functions this file declares `pub unsafe extern "C"`.
    fn declared_host_functions() -> BTreeSet<String> {
        let prefix = concat!("pub unsafe extern ", "\"C\" fn ");
        include_str!("host.rs")
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix(prefix))
            .map(|rest| rest.split('(').next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn host_symbols_lists_every_host_function() {
        let declared = declared_host_functions();
        assert!(declared.len() >= 12, "the scan found only {declared:?}");
        let symbols = host_symbols();
        let listed: BTreeSet<String> = symbols.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(listed.len(), symbols.len(), "a symbol is listed twice");
        assert_eq!(listed, declared);
    }

    #[test]
    fn host_symbols_have_distinct_addresses() {
        let symbols = host_symbols();
        let addresses: BTreeSet<usize> = symbols.iter().map(|&(_, address)| address as usize).collect();
        assert_eq!(addresses.len(), symbols.len());
        assert!(symbols.iter().all(|(_, address)| !address.is_null()));
    }
}
