//! Awaited conditions (docs/primitives/condition.md) and the write barrier on watched
//! vars. A condition is a native predicate plus what it reads: whole vars,
//! and elements of array vars read by a constant index. Each var has a
//! watch list for the whole var and, when some condition reads one of its
//! elements by a constant index, one per element. A waiting process is
//! listed under each of its condition's watches. A write to a whole var
//! (`usim_var_written`) re-evaluates every list of that var; a write to an
//! element (`usim_element_written`, with the index computed at run time)
//! re-evaluates that element's list and the whole var's. The watchers of one
//! write are evaluated in the order they began to wait, each once. The write
//! that makes a condition true releases its waiter, which does not check it
//! again.
//!
//! The barrier is the one place where writes to watched vars are seen, so
//! time-weighted statistics of vars can hook onto it later.

use crate::abi::{HOST_CONTINUE, HOST_ERROR, STEP_ERROR};
use crate::process::{RegOn, Waiter};
use crate::program::Watch;
use crate::Runtime;

/// An entry in a watch list: a waiter and the serial number of its wait, so
/// that a write that re-checks several lists does so in waiting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Watcher {
    pub waiter: Waiter,
    pub serial: u64,
}

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

    /// `await cond`: continues if it holds now, else waits under each of its watches.
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
        let watcher = Watcher { waiter: Waiter { slot, token: reg.token }, serial: self.watch_serial };
        self.watch_serial += 1;
        for index in 0..self.conditions[cond as usize].watches.len() {
            let key = self.watch_key(self.conditions[cond as usize].watches[index]) as usize;
            self.watchers[key].push(watcher);
            if Self::time_to_compact(self.watchers[key].len()) {
                let mut list = std::mem::take(&mut self.watchers[key]);
                self.compact(&mut list, |w| w.waiter);
                self.watchers[key] = list;
            }
        }
        code
    }

    /// The watch list of `watch`: a var's whole-var list comes first, then
    /// one per element watched one by one (`Program::validate` checked the
    /// watches against the vars).
    fn watch_key(&self, watch: Watch) -> u32 {
        let first = self.watch_keys[watch.var as usize];
        match watch.element {
            None => first,
            Some(element) => first + 1 + element,
        }
    }

    /// The write barrier: the whole of var `var` was just written.
    pub(crate) fn var_written(&mut self, var: u32) -> u32 {
        let Some(&[first, end]) = self.watch_keys.get(var as usize..var as usize + 2) else {
            self.internal_error(&format!("var {var} does not exist"));
            return HOST_ERROR;
        };
        self.recheck(first..end)
    }

    /// The write barrier: element `index` of array var `var` was just written.
    pub(crate) fn element_written(&mut self, var: u32, index: i64) -> u32 {
        let Some(&[first, end]) = self.watch_keys.get(var as usize..var as usize + 2) else {
            self.internal_error(&format!("var {var} does not exist"));
            return HOST_ERROR;
        };
        let elements = i64::from(end - first - 1);
        if elements == 0 {
            return self.recheck(first..first + 1);
        }
        if !(0..elements).contains(&index) {
            self.internal_error(&format!("element {index} of var {var} was written, but it has {elements}"));
            return HOST_ERROR;
        }
        let element = first + 1 + index as u32;
        self.recheck([first, element].into_iter())
    }

    /// Re-evaluates the watchers of the lists `keys` and releases those
    /// whose condition now holds.
    fn recheck(&mut self, keys: impl Iterator<Item = u32> + Clone) -> u32 {
        let mut busy = keys.clone().filter(|&key| !self.watchers[key as usize].is_empty());
        let Some(first) = busy.next() else { return HOST_CONTINUE };
        let failed = if busy.next().is_none() { self.recheck_list(first) } else { self.recheck_merged(keys) };
        if failed {
            HOST_ERROR
        } else {
            HOST_CONTINUE
        }
    }

    /// One list: its watchers in order; true when a predicate failed.
    fn recheck_list(&mut self, key: u32) -> bool {
        // Taken out while predicates run: a predicate that calls a `fn`
        // writing this var must not walk the list a second time.
        let mut watchers = std::mem::take(&mut self.watchers[key as usize]);
        let mut kept = 0;
        let mut failed = false;
        for index in 0..watchers.len() {
            let watcher = watchers[index];
            let Some(reg) = self.live_reg(watcher.waiter) else { continue };
            let RegOn::Condition { cond } = reg.on else { continue };
            if failed {
                watchers[kept] = watcher;
                kept += 1;
                continue;
            }
            match self.evaluate(cond, watcher.waiter.slot) {
                Truth::Holds => self.fire(watcher.waiter, reg),
                Truth::Fails => {
                    watchers[kept] = watcher;
                    kept += 1;
                }
                Truth::Error => failed = true,
            }
        }
        watchers.truncate(kept);
        self.put_back(key, watchers);
        failed
    }

    /// Several lists: their watchers merged in waiting order, each waiter
    /// once (a condition may watch several elements written together).
    fn recheck_merged(&mut self, keys: impl Iterator<Item = u32>) -> bool {
        let lists: Vec<(u32, Vec<Watcher>)> =
            keys.map(|key| (key, std::mem::take(&mut self.watchers[key as usize]))).collect();
        let mut order: Vec<Watcher> = lists.iter().flat_map(|(_, list)| list.iter().copied()).collect();
        order.sort_by_key(|w| w.serial);
        order.dedup_by_key(|w| w.serial);
        let mut fired = Vec::new();
        let mut failed = false;
        for watcher in order {
            let Some(reg) = self.live_reg(watcher.waiter) else { continue };
            let RegOn::Condition { cond } = reg.on else { continue };
            match self.evaluate(cond, watcher.waiter.slot) {
                Truth::Holds => {
                    self.fire(watcher.waiter, reg);
                    fired.push(watcher.serial);
                }
                Truth::Fails => {}
                Truth::Error => {
                    failed = true;
                    break;
                }
            }
        }
        for (key, mut list) in lists {
            // `fired` is in increasing order, as `order` was.
            list.retain(|w| fired.binary_search(&w.serial).is_err() && self.live_reg(w.waiter).is_some());
            self.put_back(key, list);
        }
        failed
    }

    /// Returns a list taken out for re-checking, followed by the watchers
    /// that began to wait meanwhile.
    fn put_back(&mut self, key: u32, mut list: Vec<Watcher>) {
        let slot = &mut self.watchers[key as usize];
        list.append(slot);
        *slot = list;
    }
}
