//! Registrations and the cleanup stack: how a process waits on one or more
//! things at once, how one of them completes and withdraws its siblings, and
//! how blocks are unwound when an `until` fires, a preemption hits or a
//! process is cancelled.
//!
//! Every registration has its own token (per slot, never reused). An entry
//! naming it in an event list or an object's queue is live only while the
//! process still holds the registration, so withdrawing is dropping it from
//! [`crate::process::Process::regs`]: a withdrawn `get` never takes an item,
//! a withdrawn lock request never acquires, a withdrawn `put` never inserts.
//!
//! What a registration means depends on the mode the running process is in
//! when it makes it ([`Mode`]): a plain wait, an arm of a `select`, or the
//! trigger of an `until`.

use crate::abi::{
    HOST_CONTINUE, HOST_REDISPATCH, HOST_REGISTERED, HOST_SUSPENDED, RESUME_INTERRUPTED, SLOT_RESUME_REASON, SLOT_STATE,
};
use crate::events::Wakeup;
use crate::process::{Cause, Record, Reg, RegOn, RunState, Waiter, NOT_A_TRIGGER};
use crate::Runtime;

/// How the running process's next registration is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A plain wait: registering suspends the process.
    Single,
    /// Inside a `select`: registrations are arms of `group`; `arms` counts
    /// those made so far, so the next one's arm index.
    Select { group: u64, arms: u32 },
    /// The trigger of the `until` whose record is `record`.
    Trigger { record: u32 },
}

impl Runtime {
    /// The slot of the running process; an internal error if none runs.
    pub(crate) fn running(&mut self, what: &str) -> Option<u32> {
        if self.current.is_none() {
            self.internal_error(&format!("{what} while no process was running"));
        }
        self.current
    }

    /// Registers `on` for the running process in the current mode, and
    /// returns the registration and the host result for it: suspended (a
    /// plain wait), registered (a `select` arm) or continue (an armed trigger).
    #[inline]
    pub(crate) fn register(&mut self, slot: u32, on: RegOn) -> (Reg, u32) {
        let now = self.queue.now();
        let mode = self.mode;
        let process = self.procs.get_mut(slot);
        let token = process.next_token();
        let (reg, code) = match mode {
            Mode::Single if process.state == RunState::Suspended => {
                self.internal_error("a process registered a second wait in one step");
                return (Reg { token, group: token, arm: 0, trigger: NOT_A_TRIGGER, on }, crate::abi::HOST_ERROR);
            }
            Mode::Single => {
                process.since = now;
                process.state = RunState::Suspended;
                (Reg { token, group: token, arm: 0, trigger: NOT_A_TRIGGER, on }, HOST_SUSPENDED)
            }
            Mode::Select { group, arms } => {
                if arms == 0 {
                    process.since = now;
                }
                self.mode = Mode::Select { group, arms: arms + 1 };
                (Reg { token, group, arm: arms, trigger: NOT_A_TRIGGER, on }, HOST_REGISTERED)
            }
            Mode::Trigger { record } => {
                if let Some(Record::Until { trigger, .. }) = process.records.get_mut(record as usize) {
                    *trigger = token;
                }
                self.mode = Mode::Single;
                (Reg { token, group: token, arm: 0, trigger: record, on }, HOST_CONTINUE)
            }
        };
        process.regs.push(reg);
        self.line_changed(on, true);
        (reg, code)
    }

    /// The running process's wait completed at once (an item was there, a
    /// unit free, the condition held), for an operation with no effect of
    /// its own to make: see [`Self::claim`].
    pub(crate) fn ready_now(&mut self, slot: u32) -> u32 {
        let code = self.claim(slot);
        self.settle();
        code
    }

    /// The running process's wait can complete at once: call this before
    /// the operation takes or gives anything, then [`Self::settle`] after.
    /// In a `select` this arm wins: the arms registered before it are
    /// withdrawn first, so the operation cannot hand anything over to them
    /// (they wait on the same objects, perhaps the other way), and the arms
    /// after it are never tried. As an `until` trigger, the block is ready on
    /// entry: its body is skipped.
    #[inline(always)]
    pub(crate) fn claim(&mut self, slot: u32) -> u32 {
        if self.mode == Mode::Single {
            return HOST_CONTINUE;
        }
        self.claim_in_mode(slot)
    }

    /// [`Self::claim`] in a `select` or as an `until` trigger.
    fn claim_in_mode(&mut self, slot: u32) -> u32 {
        match self.mode {
            Mode::Single => HOST_CONTINUE,
            Mode::Select { group, arms } => {
                self.mode = Mode::Single;
                self.withdraw_deferred(slot, |reg| reg.group == group);
                let process = self.procs.get_mut(slot);
                process.frame.write(SLOT_RESUME_REASON as usize, u64::from(arms));
                HOST_CONTINUE
            }
            Mode::Trigger { record } => {
                self.mode = Mode::Single;
                let cont = self.continuation(slot, record);
                self.unwind(slot, record as usize);
                let process = self.procs.get_mut(slot);
                process.frame.write(SLOT_STATE as usize, u64::from(cont));
                process.frame.write(SLOT_RESUME_REASON as usize, RESUME_INTERRUPTED);
                HOST_REDISPATCH
            }
        }
    }

    /// Serves the resource lines whose waiters [`Self::claim`] withdrew.
    #[inline]
    pub(crate) fn settle(&mut self) {
        while let Some(object) = self.deferred_serve.pop() {
            self.serve_resource(object as usize);
        }
    }

    /// At a suspension point of the running process: an interrupt that is
    /// pending takes effect here. Unwinds to the interrupted block, stores
    /// its continuation and returns [`HOST_REDISPATCH`]; `None` otherwise.
    #[inline(always)]
    pub(crate) fn take_pending(&mut self, slot: u32) -> Option<u32> {
        // Checked by every operation, taken by almost none: the check inline,
        // the work out of line.
        let record = self.procs.get(slot).pending?;
        Some(self.take_pending_at(slot, record))
    }

    #[cold]
    #[inline(never)]
    fn take_pending_at(&mut self, slot: u32, record: u32) -> u32 {
        self.mode = Mode::Single;
        // Arms a `select` registered before this point are inside the block too.
        self.withdraw(slot, |reg| !reg.is_trigger());
        let cont = self.continuation(slot, record);
        self.unwind(slot, record as usize);
        let process = self.procs.get_mut(slot);
        process.pending = None;
        process.frame.write(SLOT_STATE as usize, u64::from(cont));
        process.frame.write(SLOT_RESUME_REASON as usize, RESUME_INTERRUPTED);
        HOST_REDISPATCH
    }

    /// The state a process continues at when the block of `record` is interrupted.
    fn continuation(&self, slot: u32, record: u32) -> u32 {
        match self.procs.get(slot).records.get(record as usize) {
            Some(Record::Until { cont, .. } | Record::Lock { cont, .. }) => *cont,
            _ => 0,
        }
    }

    /// Withdraws the registrations of `slot` that `which` selects. A
    /// withdrawn getter or putter at the head of a resource's line lets the
    /// ones behind it be served now (the lines are strictly in order).
    pub(crate) fn withdraw(&mut self, slot: u32, which: impl Fn(&Reg) -> bool) {
        self.withdraw_deferred(slot, which);
        self.settle();
    }

    /// [`Self::withdraw`], leaving the resource lines to serve in
    /// `deferred_serve` for [`Self::settle`].
    fn withdraw_deferred(&mut self, slot: u32, which: impl Fn(&Reg) -> bool) {
        let process = self.procs.get_mut(slot);
        if !process.regs.iter().any(|reg| which(reg) && reg.on.line().is_some()) {
            process.regs.retain(|reg| !which(reg));
            return;
        }
        // Registrations in objects' lines leave them: the lines' statistics
        // change, and a resource's line may move on.
        let mut left = std::mem::take(&mut self.withdrawn_lines);
        process.regs.retain(|reg| {
            if !which(reg) {
                return true;
            }
            if reg.on.line().is_some() {
                left.push(reg.on);
            }
            false
        });
        for &on in &left {
            self.line_changed(on, false);
            if let RegOn::ResGet { object, .. } | RegOn::ResPut { object, .. } | RegOn::Borrow { object, .. } = on {
                if !self.deferred_serve.contains(&object) {
                    self.deferred_serve.push(object);
                }
            }
        }
        left.clear();
        self.withdrawn_lines = left;
    }

    /// Whether a waiter list that just grew to `len` entries should drop its
    /// stale entries: at every power of two from 64 on, so a list that only
    /// grows pays O(1) per entry, and one that collects withdrawn entries
    /// (a `select` that keeps timing out) stays as long as its live ones.
    #[inline]
    pub(crate) fn time_to_compact(len: usize) -> bool {
        len >= 64 && len.is_power_of_two()
    }

    /// Drops the stale entries of a waiter list.
    pub(crate) fn compact<E>(&self, list: &mut Vec<E>, waiter: impl Fn(&E) -> Waiter) {
        list.retain(|entry| self.live_reg(waiter(entry)).is_some());
    }

    /// The live registration a waiter entry names, if any.
    #[inline]
    pub(crate) fn live_reg(&self, waiter: Waiter) -> Option<Reg> {
        let process = self.procs.get(waiter.slot);
        if process.pid == 0 || process.ended {
            return None;
        }
        let index = process.reg_index(waiter.token)?;
        Some(process.regs[index])
    }

    /// A registration completed during another process's step (a hand-over)
    /// or at a var write: an ordinary wait wakes its process, a trigger
    /// interrupts it. The registration must be live.
    #[inline]
    pub(crate) fn fire(&mut self, waiter: Waiter, reg: Reg) {
        if reg.is_trigger() {
            self.interrupt(waiter.slot, reg.trigger, false);
        } else {
            self.complete(waiter.slot, reg);
            self.wake(waiter.slot);
        }
    }

    /// Completes an ordinary registration of a suspended process: the other
    /// registrations of its wait are withdrawn now, and the resume reason is
    /// the arm that won. The caller schedules the process (or runs it, for a
    /// timer at its own event).
    #[inline]
    pub(crate) fn complete(&mut self, slot: u32, reg: Reg) {
        self.line_changed(reg.on, false);
        let process = self.procs.get_mut(slot);
        if process.regs.len() == 1 {
            // The common case: a plain wait, nothing else pending.
            process.regs.clear();
        } else {
            // The registration itself is done, not withdrawn: only its
            // siblings may let a resource's line move on.
            process.regs.retain(|other| other.token != reg.token);
            self.withdraw(slot, |other| other.group == reg.group);
        }
        let process = self.procs.get_mut(slot);
        process.frame.write(SLOT_RESUME_REASON as usize, u64::from(reg.arm));
        process.cause = Cause::Completed(reg.on);
    }

    /// Schedules the process in `slot` to resume now, after everything already due.
    #[inline]
    pub(crate) fn wake(&mut self, slot: u32) {
        let process = self.procs.get_mut(slot);
        process.state = RunState::Woken;
        let token = process.next_token();
        process.resume = token;
        self.queue.schedule_now(Wakeup { slot, token });
    }

    /// The block of `record` in the process in `slot` is interrupted (its
    /// `until` fired, or its lock unit was preempted). A suspended process
    /// is unwound to after the block at once, and woken, unless this is its
    /// own timer event (`at_own_event`), when the caller runs it. A process
    /// that runs, or was handed something and has not resumed yet, keeps
    /// the interrupt pending until its next suspension point: an interrupt
    /// never undoes a hand-over. Returns whether the caller must run it now.
    pub(crate) fn interrupt(&mut self, slot: u32, record: u32, at_own_event: bool) -> bool {
        let process = self.procs.get_mut(slot);
        if process.state != RunState::Suspended {
            process.pending = Some(process.pending.map_or(record, |pending| pending.min(record)));
            return false;
        }
        // The current wait lies inside the block: withdraw it first.
        self.withdraw(slot, |reg| !reg.is_trigger());
        self.continue_after(slot, record);
        if at_own_event {
            true
        } else {
            self.wake(slot);
            false
        }
    }

    /// Unwinds the blocks from `record` up and stores the state after that
    /// block as the one to resume at, with reason "interrupted".
    pub(crate) fn continue_after(&mut self, slot: u32, record: u32) {
        let cont = self.continuation(slot, record);
        self.unwind(slot, record as usize);
        let process = self.procs.get_mut(slot);
        process.frame.write(SLOT_STATE as usize, u64::from(cont));
        process.frame.write(SLOT_RESUME_REASON as usize, RESUME_INTERRUPTED);
        process.cause = Cause::Interrupted;
    }

    /// Pops the cleanup records of `slot` down to `keep` of them, innermost
    /// first, undoing each: the children of a scope are cancelled, a lock
    /// unit released, a borrowed amount given back, a trigger withdrawn.
    /// Each release hands over as usual.
    pub(crate) fn unwind(&mut self, slot: u32, keep: usize) {
        loop {
            let process = self.procs.get_mut(slot);
            if process.records.len() <= keep {
                break;
            }
            let Some(record) = process.records.pop() else { break };
            match record {
                Record::Scope { level } => {
                    self.cancel_descendants(slot, level as usize);
                    let process = self.procs.get_mut(slot);
                    process.open_scopes = process.open_scopes.min(level as usize);
                }
                Record::Lock { object, serial, taken, .. } => {
                    if !taken {
                        self.release_lock(object, serial);
                    }
                }
                Record::Borrow { object, amount } => self.give_back(object, amount),
                Record::Until { trigger, .. } => self.withdraw(slot, |reg| reg.token == trigger),
            }
        }
        let process = self.procs.get_mut(slot);
        if process.pending.is_some_and(|pending| pending as usize >= process.records.len()) {
            process.pending = None;
        }
    }

    /// Pops the innermost record of the running process at the normal end of
    /// its block (or a `break`/`return` through it) and undoes it; it must be
    /// of the kind `expected` names. False after an internal error.
    pub(crate) fn end_block(&mut self, expected: &str) -> bool {
        let Some(slot) = self.running("a block ended") else { return false };
        let process = self.procs.get(slot);
        let matches = match process.records.last() {
            Some(Record::Lock { .. }) => expected == "with lock",
            Some(Record::Borrow { .. }) => expected == "with resource",
            Some(Record::Until { .. }) => expected == "until",
            Some(Record::Scope { .. }) => expected == "scope",
            None => false,
        };
        if !matches {
            let found = match process.records.last() {
                Some(record) => format!("{record:?}"),
                None => "no open block".to_string(),
            };
            self.internal_error(&format!("the end of a `{expected}` block found {found}"));
            return false;
        }
        let keep = self.procs.get(slot).records.len() - 1;
        self.unwind(slot, keep);
        true
    }
}

impl Runtime {
    /// The start of a `select`: its arms register next, in listed order.
    pub(crate) fn select_begin(&mut self) -> u32 {
        let Some(slot) = self.running("a select began") else { return crate::abi::HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let group = self.procs.get_mut(slot).next_token();
        self.mode = Mode::Select { group, arms: 0 };
        HOST_CONTINUE
    }

    /// No arm of the `select` was ready: the process waits on all of them.
    pub(crate) fn select_wait(&mut self) -> u32 {
        let Some(slot) = self.running("a select waited") else { return crate::abi::HOST_ERROR };
        let group = match std::mem::replace(&mut self.mode, Mode::Single) {
            Mode::Select { group, .. } => Some(group),
            _ => None,
        };
        let process = self.procs.get_mut(slot);
        if !process.regs.iter().any(|reg| !reg.is_trigger()) {
            self.internal_error("a select waited without any arm");
            return crate::abi::HOST_ERROR;
        }
        process.state = RunState::Suspended;
        // Its timer arms, in arm order, now that it waits (see `sleep_until`).
        for index in 0..process.regs.len() {
            let reg = self.procs.get(slot).regs[index];
            if let (RegOn::Timer { time }, true) = (reg.on, Some(reg.group) == group && !reg.is_trigger()) {
                if time != f64::INFINITY {
                    self.queue.schedule_at(time, crate::events::Wakeup { slot, token: reg.token });
                }
            }
        }
        HOST_SUSPENDED
    }

    /// The entry to an `until` block continuing at state `cont`: pushes its
    /// record and makes the next registration its trigger.
    pub(crate) fn until_enter(&mut self, cont: u32) -> u32 {
        let Some(slot) = self.running("an until block began") else { return crate::abi::HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let process = self.procs.get_mut(slot);
        let record = process.records.len() as u32;
        process.records.push(Record::Until { cont, trigger: 0 });
        self.mode = Mode::Trigger { record };
        HOST_CONTINUE
    }

    /// The end of an `until` block: disarms its trigger.
    pub(crate) fn until_exit(&mut self) -> u32 {
        if self.end_block("until") {
            HOST_CONTINUE
        } else {
            crate::abi::HOST_ERROR
        }
    }
}
