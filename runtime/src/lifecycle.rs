//! How processes start, wait for each other and end: spawn, `await` of a
//! handle, cancel, scopes, and the bookkeeping when a process ends (its
//! blocks unwound, its return value kept, the processes awaiting it woken,
//! its parent scope told, its slot freed).

use std::cmp::Reverse;

use crate::abi::NO_SPAN;
use crate::abi::{FRAME_HEADER_SLOTS, HOST_CANCELLED_SELF, HOST_CONTINUE, HOST_ERROR};
use crate::events::Wakeup;
use crate::process::{AllocError, Child, Record, RegOn, RunState, ScopeLink, Status, Waiter};
use crate::wait::Mode;
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
    /// handle, or `None` after recording an error at `span`: too many live
    /// processes ([`crate::RunConfig::max_processes`]), memory ran out, or
    /// (an internal error) a bad kind or argument count.
    pub(crate) fn spawn(&mut self, kind: u32, args: &[u64], span: i64) -> Option<(u32, u64)> {
        let Some(info) = self.kinds.get(kind as usize) else {
            self.internal_error(&format!("spawn of process kind {kind}, which does not exist"));
            return None;
        };
        if args.len() != info.param_slots {
            let message =
                format!("spawn of `{}` with {} argument slots; it takes {}", info.name, args.len(), info.param_slots);
            self.internal_error(&message);
            return None;
        }
        let now = self.queue.now();
        let (slot, pid, handle) = match self.procs.allocate(kind, info.step, info.frame_slots, now) {
            Ok(allocated) => allocated,
            Err(error) => {
                self.spawn_failed(error, span);
                return None;
            }
        };
        let child = self.procs.get_mut(slot);
        for (index, &arg) in args.iter().enumerate() {
            child.frame.write(FRAME_HEADER_SLOTS as usize + index, arg);
        }
        let token = child.next_token();
        child.resume = token;
        let start = Wakeup { slot, token };
        if let Some(parent_slot) = self.current {
            let parent = self.procs.get_mut(parent_slot);
            if parent.open_scopes > 0 && !parent.ended {
                let level = parent.open_scopes - 1;
                let children = &mut parent.family_mut().scopes[level].children;
                let link = ScopeLink { slot: parent_slot, level: level as u32, index: children.len() as u32 };
                children.push(Child { pid, slot });
                self.procs.get_mut(slot).parent = Some(link);
            }
        }
        // If the queue cannot hold the start, it halts: the run ends after this step.
        self.queue.schedule_now(start);
        Some((slot, handle))
    }

    /// Records why a spawn at `span` made no process.
    #[cold]
    fn spawn_failed(&mut self, error: AllocError, span: i64) {
        let message = match error {
            AllocError::Limit if self.current.is_none() => format!(
                "too many processes alive at once: the `run` item starts more than the limit of {} \
                 (`--max-processes` sets the limit)",
                self.procs.max_live()
            ),
            AllocError::Limit => format!(
                "too many processes alive at once: the limit is {} (does a process spawn without end? \
                 `--max-processes` sets the limit)",
                self.procs.max_live()
            ),
            AllocError::OutOfMemory => {
                format!("out of memory: no room for another process ({} are alive)", self.procs.live_count())
            }
        };
        self.raise(message, span);
    }

    /// `await h`: continue if `h` returned, error if it was cancelled,
    /// otherwise wait until it ends (and be called again then). As an `until`
    /// trigger, an ended process (returned or cancelled) is ready on entry.
    pub(crate) fn join(&mut self, handle: i64, span: i64) -> u32 {
        let Some(slot) = self.running("a process was awaited") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        match self.procs.status(handle) {
            Status::Returned => self.ready_now(slot),
            Status::Cancelled(_) if matches!(self.mode, Mode::Trigger { .. }) => self.ready_now(slot),
            Status::Cancelled(_) | Status::Unknown => self.join_check(handle, span),
            Status::Live(target) => {
                let pid = self.procs.get(target).pid;
                let (reg, code) = self.register(slot, RegOn::Join { slot: target, pid });
                let joiners = &self.procs.get_mut(target).family_mut().joiners;
                if joiners.len() == joiners.capacity() && !self.make_room_for_joiner(target) {
                    let name = self.display_name(target);
                    self.raise(format!("out of memory: no room for another process awaiting {name}"), span);
                    return HOST_ERROR;
                }
                self.procs.get_mut(target).family_mut().joiners.push(Waiter { slot, token: reg.token });
                code
            }
        }
    }

    /// Makes room in the full joiners list of the process in `target`: first
    /// drops the entries whose wait was withdrawn (a `select` arm on it that
    /// lost, in a loop, would otherwise add one per round for as long as
    /// the process lives), then, unless that freed half the list, grows it
    /// (doubling, so the sweeps cost O(1) per entry). False if memory ran out.
    #[cold]
    fn make_room_for_joiner(&mut self, target: u32) -> bool {
        let mut joiners = std::mem::take(&mut self.procs.get_mut(target).family_mut().joiners);
        joiners.retain(|&waiter| self.live_reg(waiter).is_some());
        let (len, capacity) = (joiners.len(), joiners.capacity());
        let room = (len < capacity && len * 2 <= capacity) || joiners.try_reserve(capacity - len + 1).is_ok();
        self.procs.get_mut(target).family_mut().joiners = joiners;
        room
    }

    /// After a `select` arm on `h` won: an error if `h` was cancelled.
    pub(crate) fn join_check(&mut self, handle: i64, span: i64) -> u32 {
        match self.procs.status(handle) {
            Status::Returned | Status::Live(_) => HOST_CONTINUE,
            Status::Cancelled(ended) => {
                let name = self.name_of(ended.kind, ended.pid, ended.named_by_kind);
                self.raise(format!("awaiting a cancelled process ({name})"), span);
                HOST_ERROR
            }
            Status::Unknown => {
                self.raise(format!("awaiting an invalid process handle ({handle})"), span);
                HOST_ERROR
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

    /// Entry to a `scope` block: a scope record and an empty children list.
    pub(crate) fn scope_enter(&mut self) {
        let Some(slot) = self.running("a scope was opened") else { return };
        let process = self.procs.get_mut(slot);
        let open = process.open_scopes;
        let scopes = &mut process.family_mut().scopes;
        if open == scopes.len() {
            scopes.push(Default::default());
        }
        process.records.push(Record::Scope { level: process.open_scopes as u32 });
        process.open_scopes += 1;
    }

    /// Closes the innermost scope once its children have ended; until then
    /// waits (and is called again on resumption).
    pub(crate) fn scope_exit(&mut self) -> u32 {
        let Some(slot) = self.running("a scope was closed") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let process = self.procs.get(slot);
        let Some(Record::Scope { level }) = process.records.last().copied() else {
            self.internal_error("a scope was closed that is not the innermost open block");
            return HOST_ERROR;
        };
        if process.open_scopes()[level as usize].children.is_empty() {
            let process = self.procs.get_mut(slot);
            process.records.pop();
            process.open_scopes = level as usize;
            return HOST_CONTINUE;
        }
        self.register(slot, RegOn::Scope).1
    }

    /// Ends the process in `slot`: first cancels every process in its open
    /// scopes (depth first, each process's children in spawn order, children
    /// before their parent), then ends it.
    #[inline]
    pub(crate) fn end_process(&mut self, slot: u32, ending: Ending) {
        if ending == Ending::Returned && self.ends_quietly(slot) {
            // All that `end_one` does for such a process: it has no block,
            // wait, scope, joiner or result to see to, and it is not running,
            // so its slot is free at once.
            self.procs.release(slot);
        } else {
            self.end_process_fully(slot, ending);
        }
    }

    /// Whether the process in `slot`, returning, has nothing to hand on: no
    /// open block, no parent scope, no joiner, no return value, and is not
    /// the running process. (The common case: a short spawned process.)
    #[inline]
    fn ends_quietly(&self, slot: u32) -> bool {
        let process = self.procs.get(slot);
        process.records.is_empty()
            && process.regs.is_empty()
            && process.parent.is_none()
            && process.joiners().is_empty()
            && self.kinds[process.kind as usize].result_slots == 0
            && self.current != Some(slot)
    }

    /// [`end_process`](Self::end_process) in general.
    fn end_process_fully(&mut self, slot: u32, ending: Ending) {
        if self.procs.get(slot).open_scopes != 0 {
            self.cancel_descendants(slot, 0);
        }
        self.end_one(slot, ending);
    }

    /// Cancels every process in the open scopes of `slot` from scope level
    /// `from` on, and their descendants, as
    /// [`end_process`](Self::end_process) describes.
    pub(crate) fn cancel_descendants(&mut self, slot: u32, from: usize) {
        let mut stack = std::mem::take(&mut self.cancel_stack);
        self.push_scope_children(slot, from, &mut stack);
        while let Some((child, expanded)) = stack.pop() {
            let process = self.procs.get(child.slot);
            if process.pid != child.pid || process.ended {
                continue;
            }
            if expanded {
                self.end_one(child.slot, Ending::Cancelled);
            } else {
                stack.push((child, true));
                self.push_scope_children(child.slot, 0, &mut stack);
            }
        }
        self.cancel_stack = stack;
    }

    /// Pushes the live children of the open scopes of `slot` from level
    /// `from` on so that they pop in spawn (pid) order.
    fn push_scope_children(&self, slot: u32, from: usize, stack: &mut Vec<(Child, bool)>) {
        let first = stack.len();
        for scope in self.procs.get(slot).open_scopes().iter().skip(from) {
            stack.extend(scope.children.iter().map(|&child| (child, false)));
        }
        stack[first..].sort_unstable_by_key(|(child, _)| Reverse(child.pid));
    }

    /// Ends one process whose scopes hold no live children: withdraws its
    /// waits, unwinds its blocks (releasing what they hold), keeps its return
    /// value or that it was cancelled, wakes the processes awaiting it, tells
    /// its parent scope, and frees its slot (after its step, if it is the
    /// one running).
    fn end_one(&mut self, slot: u32, ending: Ending) {
        self.withdraw(slot, |_| true);
        let process = self.procs.get_mut(slot);
        process.resume = 0;
        process.pending = None;
        if !process.records.is_empty() {
            self.unwind(slot, 0);
        }
        let process = self.procs.get_mut(slot);
        process.regs.clear();
        process.open_scopes = 0;
        // Neither woken nor suspended: any wake-up still queued for it is stale.
        process.state = RunState::Running;
        let parent = process.parent.take();
        let has_joiners = !process.joiners().is_empty();
        let kind = &self.kinds[process.kind as usize];
        let result = match ending {
            Ending::Returned => kind.result_start..kind.result_start + kind.result_slots,
            Ending::Cancelled => 0..0,
        };
        if self.procs.record_end(slot, ending == Ending::Cancelled, result).is_err() {
            self.raise("out of memory: no room to keep how another ended process ended".to_string(), NO_SPAN);
        }
        if self.current == Some(slot) {
            self.procs.get_mut(slot).ended = true;
        }
        if has_joiners {
            self.wake_joiners(slot);
        }
        if let Some(link) = parent {
            self.leave_scope(link);
        }
        if self.current != Some(slot) {
            self.procs.release(slot);
        }
    }

    /// Wakes the processes still awaiting the process in `slot`, which has
    /// ended, in the order they began to wait.
    #[cold]
    fn wake_joiners(&mut self, slot: u32) {
        let mut joiners = std::mem::take(&mut self.procs.get_mut(slot).family_mut().joiners);
        for waiter in joiners.drain(..) {
            if let Some(reg) = self.live_reg(waiter) {
                self.fire(waiter, reg);
            }
        }
        // Hand the emptied list back so its allocation is reused.
        self.procs.get_mut(slot).family_mut().joiners = joiners;
    }

    /// Removes an ended child from its parent's scope, waking the parent if
    /// it waits for that scope and this was the last child.
    fn leave_scope(&mut self, link: ScopeLink) {
        let parent = self.procs.get_mut(link.slot);
        let level = link.level as usize;
        let children = &mut parent.family_mut().scopes[level].children;
        children.swap_remove(link.index as usize);
        let moved = children.get(link.index as usize).copied();
        let now_empty = children.is_empty();
        let waiting = parent.open_scopes == level + 1 && parent.state == RunState::Suspended;
        let scope_reg = parent.regs.iter().find(|reg| reg.on == RegOn::Scope).copied();
        if let Some(moved) = moved {
            if let Some(moved_link) = self.procs.get_mut(moved.slot).parent.as_mut() {
                moved_link.index = link.index;
            }
        }
        if let (true, true, Some(reg)) = (now_empty, waiting, scope_reg) {
            self.fire(Waiter { slot: link.slot, token: reg.token }, reg);
        }
    }
}
