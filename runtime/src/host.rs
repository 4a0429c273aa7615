//! The host functions generated code calls, and [`host_functions`], the one
//! list the JIT registers them from and compiles calls to them against. Each is a thin `extern "C"` shim over a
//! `Runtime` method; return codes are `HOST_*` from [`crate::abi`].
//!
//! Every function here requires `rt` to be the pointer the runtime passed to
//! the running step function, and is called only during that step.

use crate::abi::HOST_ENDED;
use crate::error::inline_error_message;
use crate::host_abi::HostFn;
use crate::{host_fns, Runtime};

/// `code`, or [`HOST_ENDED`] if the call ended the running process.
fn unless_ended(rt: &Runtime, code: u32) -> u32 {
    if rt.running_ended() {
        HOST_ENDED
    } else {
        code
    }
}

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
/// not its pid), or 0 after recording an error: too many live processes,
/// out of memory, or (an internal error) a bad kind or argument count. The
/// error carries no source location; see [`usim_spawn_at`].
///
/// # Safety
/// As for every host function; `args` points to `nargs` readable slots (it
/// may be null when `nargs` is 0).
pub unsafe extern "C" fn usim_spawn(rt: *mut Runtime, kind: u32, args: *const u64, nargs: u32) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { usim_spawn_at(rt, kind, args, nargs, crate::abi::NO_SPAN) }
}

/// [`usim_spawn`] with the span of the `spawn`, which an error names; after
/// it, generated code checks the error flag.
///
/// # Safety
/// As for [`usim_spawn`].
pub unsafe extern "C" fn usim_spawn_at(rt: *mut Runtime, kind: u32, args: *const u64, nargs: u32, span: i64) -> i64 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    // SAFETY: the caller guarantees `args` points to `nargs` slots.
    let args = unsafe { slots(args, nargs as usize) };
    rt.spawn(kind, args, span).map_or(0, |(_, handle)| handle as i64)
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

/// Copies the `len` slots of the return value of the ended process
/// `handle` to `dst` (an aggregate result, in one call however long).
///
/// # Safety
/// As for every host function; `dst` points to `len` writable slots.
pub unsafe extern "C" fn usim_results(rt: *mut Runtime, handle: i64, dst: *mut u64, len: u32) {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    for k in 0..len {
        // SAFETY: `dst` has `len` slots (the caller's contract).
        unsafe { dst.add(k as usize).write(rt.result(handle, k)) };
    }
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

/// After a `select` arm on the handle `h` won: returns 0, or 2 after an error
/// (`h` was cancelled).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_join_check(rt: *mut Runtime, handle: i64, span: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.join_check(handle, span)
}

/// The start of a `select`: the following registrations are its arms, in
/// listed order. Returns 0, or 3 when a pending interrupt took effect.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_select_begin(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.select_begin()
}

/// After every arm of a `select` registered (none was ready): suspends
/// until one completes; its index is then the resume reason. Returns 1.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_select_wait(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.select_wait()
}

/// The entry to `until T { }`, continuing at state `cont` after the block:
/// pushes its record; the next registration is its trigger. Returns 0, or 3
/// when a pending interrupt took effect.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_until_enter(rt: *mut Runtime, cont: u32) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.until_enter(cont)
}

/// The end of an `until` block (normal, or `break`/`return` through it):
/// withdraws its trigger. Returns 0, or 2 on misuse.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_until_exit(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.until_exit()
}

/// `with lock priority p { }`, continuing at state `cont` if interrupted:
/// returns 0 once acquired (a `select` arm: it won), 1 when waiting, 2 on
/// error, 3 when a pending interrupt took effect, 4 when a preemption ended
/// the running process.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_lock_acquire(rt: *mut Runtime, object: i64, priority: i64, cont: u32) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let code = rt.lock_acquire(object, priority, cont);
    unless_ended(rt, code)
}

/// The end of a `with lock` block: releases its unit. Returns 0, or 2 on misuse.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_lock_release(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.lock_release()
}

/// `await q.put(item)`, the item's slots at `item`: 0 done, 1 waiting for
/// room, 2 error, 3 interrupted.
///
/// # Safety
/// As for every host function; `item` points to the queue's item width of
/// readable slots.
pub unsafe extern "C" fn usim_queue_put(rt: *mut Runtime, object: i64, item: *const u64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let width = rt.item_width(object);
    // SAFETY: the caller guarantees `item` points to `width` slots.
    let item = unsafe { slots(item, width) };
    rt.queue_put(object, item)
}

/// `await q.get()`, the item written from frame slot `dest` on: 0 done, 1
/// waiting, 2 error, 3 interrupted.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_queue_get(rt: *mut Runtime, object: i64, dest: u32) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.queue_get(object, dest)
}

/// `q.len()`.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_queue_len(rt: *mut Runtime, object: i64) -> i64 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.queue_len(object)
}

/// `ch.send(message)`: returns 0, 2 on misuse, or 4 when the broadcast
/// ended the running process.
///
/// # Safety
/// As for every host function; `message` points to the channel's item
/// width of readable slots.
pub unsafe extern "C" fn usim_channel_send(rt: *mut Runtime, object: i64, message: *const u64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let width = rt.item_width(object);
    // SAFETY: the caller guarantees `message` points to `width` slots.
    let message = unsafe { slots(message, width) };
    let code = rt.channel_send(object, message);
    unless_ended(rt, code)
}

/// `await ch`, the message written from frame slot `dest` on (`u32::MAX`:
/// nowhere): 1 waiting (0 as an armed trigger), 2 error, 3 interrupted.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_channel_recv(rt: *mut Runtime, object: i64, dest: u32) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.channel_recv(object, dest)
}

/// `await r.get(amount)`: 0 done, 1 waiting, 2 error, 3 interrupted.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_resource_get(rt: *mut Runtime, object: i64, amount: f64, span: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.resource_get(object, amount, false, span)
}

/// `await r.put(amount)`: 0 done, 1 waiting, 2 error, 3 interrupted.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_resource_put(rt: *mut Runtime, object: i64, amount: f64, span: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.resource_put(object, amount, span)
}

/// The start of `with r(amount) { }`: 0 borrowed, 1 waiting, 2 error, 3
/// interrupted.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_borrow(rt: *mut Runtime, object: i64, amount: f64, span: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.resource_get(object, amount, true, span)
}

/// The end of `with r(amount) { }`: gives the amount back. Returns 0, or 2
/// on misuse.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_borrow_end(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.borrow_end()
}

/// `r.level()`.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_resource_level(rt: *mut Runtime, object: i64) -> f64 {
    // SAFETY: the caller passes the step's runtime pointer.
    unsafe { runtime(rt) }.resource_level(object)
}

/// `await cond` for the condition with this index: 0 it holds, 1 waiting,
/// 2 error, 3 interrupted (as a trigger: 0 armed, 3 ready on entry).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_condition(rt: *mut Runtime, cond: u32) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let code = rt.await_condition(cond);
    unless_ended(rt, code)
}

/// The write barrier: var `var`, which some condition reads, was written.
/// Returns 0, 2 when evaluating a condition failed, or 4 when the write
/// ended the running process.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_var_written(rt: *mut Runtime, var: u32) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let code = rt.var_written(var);
    unless_ended(rt, code)
}

/// The write barrier for one element: element `index` of array var `var`
/// was written (the store checked the index). Returns as `usim_var_written`.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_element_written(rt: *mut Runtime, var: u32, index: i64) -> u32 {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let code = rt.element_written(var, index);
    unless_ended(rt, code)
}

/// `record`: adds `value` to tally `tally`. Fails (error flag set) only when
/// memory for the sample runs out.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_record(rt: *mut Runtime, tally: u32, value: f64) {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    rt.record(tally, value);
}

/// The write barrier of statistics: `count` global slots from `slot` on were
/// just stored. Fails (error flag set) only when memory runs out.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_globals_written(rt: *mut Runtime, slot: i64, count: i64) {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    rt.globals_written(slot.max(0) as usize, count.max(0) as usize);
}

/// Records the runtime error `code` (see [`crate::inline_error_message`]).
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_error(rt: *mut Runtime, code: u32, span: i64) {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    if code == crate::ERROR_INTERRUPTED && rt.error.is_none() {
        rt.interrupted = true;
    }
    rt.raise(inline_error_message(code), span)
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

/// Records an out-of-bounds index into the object family whose first
/// member is object `base`.
///
/// # Safety
/// As for every host function.
pub unsafe extern "C" fn usim_member_error(rt: *mut Runtime, index: i64, len: i64, base: u32, span: i64) {
    // SAFETY: the caller passes the step's runtime pointer.
    let rt = unsafe { runtime(rt) };
    let member = rt.object_names.get(base as usize).map_or("?", |name| name.as_str());
    let family = member.split('[').next().unwrap_or(member);
    let message = format!("index {index} is out of bounds for `{family}`, a family of {len}");
    rt.raise(message, span)
}

/// `len` slots at `ptr` (none when `len` is 0, whatever `ptr` is).
///
/// # Safety
/// `ptr` must point to `len` readable slots that stay unchanged for `'a`.
unsafe fn slots<'a>(ptr: *const u64, len: usize) -> &'a [u64] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Every host function of this crate, for registration with the JIT and
/// for the signatures calls to them are compiled against.
pub fn host_functions() -> Vec<HostFn> {
    host_fns![
        usim_spawn(4),
        usim_spawn_at(5),
        usim_delay(3),
        usim_at(3),
        usim_instant(1),
        usim_wait_until(2),
        usim_join(3),
        usim_join_check(3),
        usim_result(3),
        usim_results(4),
        usim_cancel(2),
        usim_scope_enter(1),
        usim_scope_exit(1),
        usim_select_begin(1),
        usim_select_wait(1),
        usim_until_enter(2),
        usim_until_exit(1),
        usim_lock_acquire(4),
        usim_lock_release(1),
        usim_queue_put(3),
        usim_queue_get(3),
        usim_queue_len(2),
        usim_channel_send(3),
        usim_channel_recv(3),
        usim_resource_get(4),
        usim_resource_put(4),
        usim_borrow(4),
        usim_borrow_end(1),
        usim_resource_level(2),
        usim_condition(2),
        usim_var_written(2),
        usim_element_written(3),
        usim_record(3),
        usim_globals_written(3),
        usim_error(3),
        usim_index_error(4),
        usim_member_error(5),
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
    fn host_functions_lists_every_host_function() {
        let declared = declared_host_functions();
        assert!(declared.len() >= 30, "the scan found only {declared:?}");
        let functions = host_functions();
        let listed: BTreeSet<String> = functions.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(listed.len(), functions.len(), "a function is listed twice");
        assert_eq!(listed, declared);
    }

    #[test]
    fn host_functions_have_distinct_addresses_and_take_the_runtime_first() {
        let functions = host_functions();
        let addresses: BTreeSet<usize> = functions.iter().map(|f| f.address as usize).collect();
        assert_eq!(addresses.len(), functions.len());
        assert!(functions.iter().all(|f| !f.address.is_null()));
        assert!(functions.iter().all(|f| f.params.first() == Some(&crate::host_abi::AbiType::I64)));
    }
}
