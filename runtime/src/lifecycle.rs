//! How processes start, wait for each other and end: spawn, `await` of a
//! handle, cancel, scopes, and the bookkeeping when a process ends (return
//! value, waking the processes awaiting it, its parent scope, its slot).

use std::cmp::Reverse;

use crate::abi::{FRAME_HEADER_SLOTS, HOST_CANCELLED_SELF, HOST_CONTINUE, HOST_ERROR, HOST_SUSPENDED};
use crate::events::Wakeup;
use crate::process::{Child, ScopeLink, Status, Wait, Waiter};
use crate::Runtime;

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    Returned,
    Cancelled,
}

impl Runtime {
    /// Creates a process of `kind` with these argument slots and schedules its
    /// start now, after everything already due now. A child of a process with
    /// an open scope belongs to the innermost one. Returns the slot and the
    /// handle.
    pub(crate) fn spawn(&mut self, kind: u32, args: &[u64]) -> Result<(u32, u64), String> {
        let Some(info) = self.kinds.get(kind as usize) else {
            return Err(format!("spawn of process kind {kind}, which does not exist"));
        };
        if args.len() != info.param_slots {
            return Err(format!(
                "spawn of `{}` with {} argument slots; it takes {}",
                info.name,
                args.len(),
                info.param_slots
            ));
        }
        let now = self.queue.now();
        let (slot, pid, handle) = self.procs.allocate(kind, info.step, info.frame_slots, now);
        let child = self.procs.get_mut(slot);
        for (index, &arg) in args.iter().enumerate() {
            child.frame.write(FRAME_HEADER_SLOTS as usize + index, arg);
        }
        child.wait = Wait::Woken;
        let start = Wakeup { slot, epoch: child.epoch };
        if let Some(parent_slot) = self.current {
            let parent = self.procs.get_mut(parent_slot);
            if parent.open_scopes > 0 && !parent.ended {
                let depth = parent.open_scopes - 1;
                let children = &mut parent.scopes[depth].children;
                let link = ScopeLink { slot: parent_slot, depth: depth as u32, index: children.len() as u32 };
                children.push(Child { pid, slot });
                self.procs.get_mut(slot).parent = Some(link);
            }
        }
        self.queue.schedule_now(start);
        Ok((slot, handle))
    }

    /// Registers the running process's one wait of this step; returns the
    /// wake-up to schedule for it, or `None` after recording an error.
    /// Always inlined: `wait` is then a constant where it is stored, rather
    /// than a 16-byte load of what the caller has just stored in pieces.
    #[inline(always)]
    pub(crate) fn register_wait(&mut self, wait: Wait) -> Option<Wakeup> {
        let Some(slot) = self.current else {
            self.internal_error("a wait was registered while no process was running");
            return None;
        };
        let now = self.queue.now();
        let process = self.procs.get_mut(slot);
        if process.wait != Wait::None && !process.ended {
            self.internal_error("a process registered a second wait in one step");
            return None;
        }
        process.wait = wait;
        process.since = now;
        Some(Wakeup { slot, epoch: process.epoch })
    }

    /// Schedules the blocked process in `slot` to resume now.
    fn wake(&mut self, slot: u32) {
        let process = self.procs.get_mut(slot);
        process.wait = Wait::Woken;
        let wakeup = Wakeup { slot, epoch: process.epoch };
        self.queue.schedule_now(wakeup);
    }

    /// `await h`: continue if `h` returned, error if it was cancelled,
    /// otherwise suspend until it ends (and be called again then).
    pub(crate) fn join(&mut self, handle: i64, span: i64) -> u32 {
        match self.procs.status(handle) {
            Status::Returned => HOST_CONTINUE,
            Status::Cancelled(ended) => {
                let name = self.name_of(ended.kind, ended.pid, ended.named_by_kind);
                self.raise(format!("awaiting a cancelled process ({name})"), span);
                HOST_ERROR
            }
            Status::Unknown => {
                self.raise(format!("awaiting an invalid process handle ({handle})"), span);
                HOST_ERROR
            }
            Status::Live(target) => {
                let pid = self.procs.get(target).pid;
                let Some(wakeup) = self.register_wait(Wait::Join { pid, slot: target }) else {
                    return HOST_ERROR;
                };
                self.procs.get_mut(target).joiners.push(Waiter { slot: wakeup.slot, epoch: wakeup.epoch });
                HOST_SUSPENDED
            }
        }
    }

    /// Slot `k` of the return value of the ended process `handle` (0 if it
    /// has none).
    pub(crate) fn result(&self, handle: i64, k: u32) -> u64 {
        self.procs.result(handle, k as usize).unwrap_or(0)
    }

    /// `cancel h`: ends a live process and everything in its open scopes;
    /// returns [`HOST_CANCELLED_SELF`] if that ended the running process.
    pub(crate) fn cancel(&mut self, handle: i64) -> u32 {
        if let Status::Live(slot) = self.procs.status(handle) {
            self.end_process(slot, Ending::Cancelled);
        }
        match self.current {
            Some(slot) if self.procs.get(slot).ended => HOST_CANCELLED_SELF,
            _ => HOST_CONTINUE,
        }
    }

    pub(crate) fn scope_enter(&mut self) {
        let Some(slot) = self.current else {
            self.internal_error("a scope was opened while no process was running");
            return;
        };
        let process = self.procs.get_mut(slot);
        if process.open_scopes == process.scopes.len() {
            process.scopes.push(Default::default());
        }
        process.open_scopes += 1;
    }

    /// Closes the innermost scope once its children have ended; until then
    /// suspends (and is called again on resumption).
    pub(crate) fn scope_exit(&mut self) -> u32 {
        let Some(slot) = self.current else {
            self.internal_error("a scope was closed while no process was running");
            return HOST_ERROR;
        };
        let process = self.procs.get_mut(slot);
        let Some(innermost) = process.open_scopes.checked_sub(1) else {
            self.internal_error("a scope was closed that was never opened");
            return HOST_ERROR;
        };
        if process.scopes[innermost].children.is_empty() {
            process.open_scopes = innermost;
            return HOST_CONTINUE;
        }
        match self.register_wait(Wait::Scope) {
            Some(_) => HOST_SUSPENDED,
            None => HOST_ERROR,
        }
    }

    /// Ends the process in `slot`: first cancels every process in its open
    /// scopes (depth first, each process's children in spawn order, children
    /// before their parent), then ends it.
    #[inline]
    pub(crate) fn end_process(&mut self, slot: u32, ending: Ending) {
        if ending == Ending::Returned && self.ends_quietly(slot) {
            // All that `end_one` does for such a process: it has no scope,
            // joiner or result to see to, and it is not running, so its slot
            // is free at once.
            self.procs.get_mut(slot).epoch += 1;
            self.procs.release(slot);
        } else {
            self.end_process_fully(slot, ending);
        }
    }

    /// Whether the process in `slot`, returning, has nothing to hand on: no
    /// open scope, no parent scope, no joiner, no return value, and is not
    /// the running process. (The common case: a short spawned process.)
    #[inline]
    fn ends_quietly(&self, slot: u32) -> bool {
        let process = self.procs.get(slot);
        process.open_scopes == 0
            && process.parent.is_none()
            && process.joiners.is_empty()
            && self.kinds[process.kind as usize].result_slots == 0
            && self.current != Some(slot)
    }

    /// [`end_process`](Self::end_process) in general.
    fn end_process_fully(&mut self, slot: u32, ending: Ending) {
        if self.procs.get(slot).open_scopes != 0 {
            self.end_scope_children(slot);
        }
        self.end_one(slot, ending);
    }

    /// Cancels every process in the open scopes of `slot`, as
    /// [`end_process`](Self::end_process) describes.
    #[cold]
    fn end_scope_children(&mut self, slot: u32) {
        let mut stack = std::mem::take(&mut self.cancel_stack);
        self.push_scope_children(slot, &mut stack);
        while let Some((child, expanded)) = stack.pop() {
            let process = self.procs.get(child.slot);
            if process.pid != child.pid || process.ended {
                continue;
            }
            if expanded {
                self.end_one(child.slot, Ending::Cancelled);
            } else {
                stack.push((child, true));
                self.push_scope_children(child.slot, &mut stack);
            }
        }
        self.cancel_stack = stack;
    }

    /// Pushes the live children of the open scopes of `slot` so that they pop
    /// in spawn (pid) order.
    fn push_scope_children(&self, slot: u32, stack: &mut Vec<(Child, bool)>) {
        let first = stack.len();
        for scope in self.procs.get(slot).open_scopes() {
            stack.extend(scope.children.iter().map(|&child| (child, false)));
        }
        stack[first..].sort_unstable_by_key(|(child, _)| Reverse(child.pid));
    }

    /// Ends one process whose scopes hold no live children: withdraws its
    /// wait, keeps its return value or that it was cancelled, wakes the
    /// processes awaiting it, tells its parent scope, and frees its slot
    /// (after its step, if it is the one running).
    fn end_one(&mut self, slot: u32, ending: Ending) {
        let process = self.procs.get_mut(slot);
        process.epoch += 1;
        process.wait = Wait::None;
        process.open_scopes = 0;
        let pid = process.pid;
        let parent = process.parent.take();
        let has_joiners = !process.joiners.is_empty();
        let kind = &self.kinds[process.kind as usize];
        let result = match ending {
            Ending::Returned => kind.result_start..kind.result_start + kind.result_slots,
            Ending::Cancelled => 0..0,
        };
        self.procs.record_end(slot, ending == Ending::Cancelled, result);
        if has_joiners {
            self.wake_joiners(slot, pid);
        }
        if let Some(link) = parent {
            self.leave_scope(link);
        }
        if self.current == Some(slot) {
            self.procs.get_mut(slot).ended = true;
        } else {
            self.procs.release(slot);
        }
    }

    /// Wakes the processes still awaiting the process `pid` in `slot`, which
    /// has ended, in the order they began to wait.
    #[cold]
    fn wake_joiners(&mut self, slot: u32, pid: u64) {
        let mut joiners = std::mem::take(&mut self.procs.get_mut(slot).joiners);
        for waiter in joiners.drain(..) {
            let joiner = self.procs.get(waiter.slot);
            if joiner.epoch == waiter.epoch && joiner.wait == (Wait::Join { pid, slot }) {
                self.wake(waiter.slot);
            }
        }
        // Hand the emptied list back so its allocation is reused.
        self.procs.get_mut(slot).joiners = joiners;
    }

    /// Removes an ended child from its parent's scope, waking the parent if
    /// it waits for that scope and this was the last child.
    fn leave_scope(&mut self, link: ScopeLink) {
        let parent = self.procs.get_mut(link.slot);
        let depth = link.depth as usize;
        let children = &mut parent.scopes[depth].children;
        children.swap_remove(link.index as usize);
        let moved = children.get(link.index as usize).copied();
        let now_empty = children.is_empty();
        let parent_waits = parent.wait == Wait::Scope && parent.open_scopes == depth + 1;
        if let Some(moved) = moved {
            if let Some(moved_link) = self.procs.get_mut(moved.slot).parent.as_mut() {
                moved_link.index = link.index;
            }
        }
        if now_empty && parent_waits {
            self.wake(link.slot);
        }
    }
}
