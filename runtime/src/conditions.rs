//! Awaited conditions (docs/primitives/condition.md) and the write barrier on watched
//! vars. A condition is a native predicate plus the vars it reads; a waiting
//! process is listed under each of those vars, and a write to one of them
//! (`usim_var_written`, which generated code calls after storing to a var
//! that some condition reads) re-evaluates that var's watchers only, in the
//! order they began to wait. The write that makes a condition true releases
//! its waiter, which does not check it again.
//!
//! The barrier is the one place where writes to watched vars are seen, so
//! time-weighted statistics of vars can hook onto it later.

use crate::abi::{HOST_CONTINUE, HOST_ERROR, STEP_ERROR};
use crate::process::{RegOn, Waiter};
use crate::Runtime;

/// What evaluating a predicate gave.
enum Truth {
    Holds,
    Fails,
    Error,
}

impl Runtime {
    /// Evaluates condition `cond` over the frame of the process in `slot`.
    fn evaluate(&mut self, cond: u32, slot: u32) -> Truth {
        let predicate = self.conditions[cond as usize].predicate;
        let frame = self.procs.get(slot).frame.as_mut_ptr();
        let globals = self.globals.as_mut_ptr();
        let rt: *mut Runtime = self;
        // SAFETY: the predicate was compiled for the process kind that waits
        // on it (`Program::new`'s contract) and only reads that frame, the
        // globals and the runtime header; the frame is not moved or freed
        // while it runs, and no reference to the runtime is live across the
        // call (host calls inside it reborrow `rt`).
        let result = unsafe { predicate(frame, globals, rt) };
        // A predicate that calls a `fn` writing a var may end the running
        // process (`STEP_CANCELLED`); the caller sees that afterwards.
        if result == STEP_ERROR || self.header.error != 0 {
            Truth::Error
        } else if result == 1 {
            Truth::Holds
        } else {
            Truth::Fails
        }
    }

    /// `await cond`: continues if it holds now, else waits under each var it reads.
    pub(crate) fn await_condition(&mut self, cond: u32) -> u32 {
        let Some(slot) = self.running("a condition was awaited") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        if cond as usize >= self.conditions.len() {
            self.internal_error(&format!("condition {cond} does not exist"));
            return HOST_ERROR;
        }
        match self.evaluate(cond, slot) {
            Truth::Error => return HOST_ERROR,
            Truth::Holds => return self.ready_now(slot),
            Truth::Fails => {}
        }
        let (reg, code) = self.register(slot, RegOn::Condition { cond });
        let waiter = Waiter { slot, token: reg.token };
        for index in 0..self.conditions[cond as usize].vars.len() {
            let var = self.conditions[cond as usize].vars[index] as usize;
            self.watchers[var].push(waiter);
            if Self::time_to_compact(self.watchers[var].len()) {
                let mut list = std::mem::take(&mut self.watchers[var]);
                self.compact(&mut list, |w| *w);
                self.watchers[var] = list;
            }
        }
        code
    }

    /// The write barrier: var `var` was just written. Re-evaluates its
    /// watchers in the order they began to wait and releases those whose
    /// condition now holds.
    pub(crate) fn var_written(&mut self, var: u32) -> u32 {
        let Some(list) = self.watchers.get_mut(var as usize) else {
            self.internal_error(&format!("var {var} does not exist"));
            return HOST_ERROR;
        };
        if list.is_empty() {
            return HOST_CONTINUE;
        }
        // Taken out while predicates run: a predicate that calls a `fn`
        // writing this var must not walk the list a second time.
        let mut watchers = std::mem::take(list);
        let mut kept = 0;
        let mut failed = false;
        for index in 0..watchers.len() {
            let waiter = watchers[index];
            let Some(reg) = self.live_reg(waiter) else { continue };
            let RegOn::Condition { cond } = reg.on else { continue };
            if failed {
                watchers[kept] = waiter;
                kept += 1;
                continue;
            }
            match self.evaluate(cond, waiter.slot) {
                Truth::Holds => self.fire(waiter, reg),
                Truth::Fails => {
                    watchers[kept] = waiter;
                    kept += 1;
                }
                Truth::Error => failed = true,
            }
        }
        watchers.truncate(kept);
        let list = &mut self.watchers[var as usize];
        watchers.append(list);
        *list = watchers;
        if failed {
            HOST_ERROR
        } else {
            HOST_CONTINUE
        }
    }
}
