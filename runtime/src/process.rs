//! The process table: a slab of process records, each owning a frame that
//! never moves, reused per kind once its process ends; and the per-pid
//! tables that outlive a record (how a process ended, its return value).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::frame::Frame;

/// What a live process is blocked on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Wait {
    /// Running, or about to register a wait.
    None,
    /// A `delay`, `at`, `instant` or `every` wake-up is scheduled.
    Timer,
    /// Woken (or just spawned): a wake-up at the current time is scheduled.
    Woken,
    /// `await` of the process with this pid.
    Join { target: u64 },
    /// Its innermost scope waits for its children.
    Scope,
}

/// A process waiting for another to end; stale once `epoch` is outdated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Waiter {
    pub slot: u32,
    pub epoch: u64,
}

/// A live child of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Child {
    pub pid: u64,
    pub slot: u32,
}

/// Where a child is listed: `slots[slot].scopes[depth].children[index]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScopeLink {
    pub slot: u32,
    pub depth: u32,
    pub index: u32,
}

/// An open scope: its children still alive, in no particular order.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub children: Vec<Child>,
}

pub(crate) struct Process {
    /// 0 while the slot is free.
    pub pid: u64,
    pub kind: u32,
    pub frame: Frame,
    /// Bumped whenever the process resumes, ends, or its slot is freed, so
    /// that every wake-up or waiter entry registered before is stale.
    /// Never reset, so entries for a slot's previous occupants stay stale.
    pub epoch: u64,
    pub wait: Wait,
    /// When the current wait began.
    pub since: f64,
    /// A root whose kind no other root has: displayed by the kind name alone.
    pub named_by_kind: bool,
    /// Ended while its own step was running; the slot is freed after the step.
    pub ended: bool,
    /// Processes awaiting this one, in the order they began to wait.
    pub joiners: Vec<Waiter>,
    /// The scope stack; only the first `open_scopes` are open (the rest keep
    /// their allocation for reuse).
    pub scopes: Vec<Scope>,
    pub open_scopes: usize,
    /// The scope this process was spawned into, if any.
    pub parent: Option<ScopeLink>,
}

impl Process {
    /// The open scopes, outermost first.
    pub fn open_scopes(&self) -> &[Scope] {
        &self.scopes[..self.open_scopes]
    }
}

/// How an ended process ended, kept per pid for `await` and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ended {
    pub kind: u32,
    pub named_by_kind: bool,
}

/// What a pid refers to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Live(u32),
    /// Ended by returning.
    Returned,
    Cancelled(Ended),
    /// Not a pid this run handed out.
    Unknown,
}

/// A hasher for pids: one multiply, enough for sequential integer keys.
#[derive(Default, Clone, Copy)]
pub(crate) struct PidHasher(u64);

impl Hasher for PidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (value ^ (value >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub(crate) type PidMap<V> = HashMap<u64, V, BuildHasherDefault<PidHasher>>;

pub(crate) struct ProcessTable {
    slots: Vec<Process>,
    /// Free slots per kind, so a reused frame already has the right size.
    free: Vec<Vec<u32>>,
    next_pid: u64,
    live: PidMap<u32>,
    cancelled: PidMap<Ended>,
    /// Offsets into `result_values` of the return values of ended processes
    /// whose kind returns something.
    results: PidMap<usize>,
    result_values: Vec<u64>,
}

impl ProcessTable {
    pub fn new(kind_count: usize) -> Self {
        ProcessTable {
            slots: Vec::new(),
            free: vec![Vec::new(); kind_count],
            next_pid: 1,
            live: PidMap::default(),
            cancelled: PidMap::default(),
            results: PidMap::default(),
            result_values: Vec::new(),
        }
    }

    /// Takes a slot for a new process of `kind` with a zeroed frame of
    /// `frame_len` slots; returns the slot and the new pid.
    pub fn allocate(&mut self, kind: u32, frame_len: usize, now: f64) -> (u32, u64) {
        let pid = self.next_pid;
        self.next_pid += 1;
        let slot = match self.free[kind as usize].pop() {
            Some(slot) => {
                let process = &mut self.slots[slot as usize];
                debug_assert_eq!(process.frame.len(), frame_len);
                process.frame.clear();
                process.pid = pid;
                process.wait = Wait::None;
                process.since = now;
                process.named_by_kind = false;
                process.ended = false;
                process.open_scopes = 0;
                process.parent = None;
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("more than 2^32 live processes");
                self.slots.push(Process {
                    pid,
                    kind,
                    frame: Frame::zeroed(frame_len),
                    epoch: 0,
                    wait: Wait::None,
                    since: now,
                    named_by_kind: false,
                    ended: false,
                    joiners: Vec::new(),
                    scopes: Vec::new(),
                    open_scopes: 0,
                    parent: None,
                });
                slot
            }
        };
        self.live.insert(pid, slot);
        (slot, pid)
    }

    pub fn get(&self, slot: u32) -> &Process {
        &self.slots[slot as usize]
    }

    pub fn get_mut(&mut self, slot: u32) -> &mut Process {
        &mut self.slots[slot as usize]
    }

    /// Slots ever created: the table's size, which slot reuse keeps small.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    pub fn status(&self, handle: i64) -> Status {
        let Ok(pid) = u64::try_from(handle) else {
            return Status::Unknown;
        };
        if pid == 0 || pid >= self.next_pid {
            return Status::Unknown;
        }
        if let Some(&slot) = self.live.get(&pid) {
            return Status::Live(slot);
        }
        match self.cancelled.get(&pid) {
            Some(&ended) => Status::Cancelled(ended),
            None => Status::Returned,
        }
    }

    /// Records that the process in `slot` ended, keeping `result` (its
    /// return value, empty if none) or, if it was cancelled, that it was.
    pub fn record_end(&mut self, slot: u32, cancelled: bool, result: std::ops::Range<usize>) {
        let process = &self.slots[slot as usize];
        let pid = process.pid;
        self.live.remove(&pid);
        if cancelled {
            let ended = Ended { kind: process.kind, named_by_kind: process.named_by_kind };
            self.cancelled.insert(pid, ended);
        } else if !result.is_empty() {
            let offset = self.result_values.len();
            for index in result {
                self.result_values.push(process.frame.read(index));
            }
            self.results.insert(pid, offset);
        }
    }

    /// Slot `k` of the return value of the ended process `handle`.
    pub fn result(&self, handle: i64, k: usize) -> Option<u64> {
        let pid = u64::try_from(handle).ok()?;
        let offset = self.results.get(&pid)?;
        self.result_values.get(offset + k).copied()
    }

    /// Frees the slot of an ended process for reuse by its kind.
    pub fn release(&mut self, slot: u32) {
        let process = &mut self.slots[slot as usize];
        process.pid = 0;
        process.epoch += 1;
        process.wait = Wait::None;
        process.joiners.clear();
        self.free[process.kind as usize].push(slot);
    }

    /// Live processes (not ended), in slot order.
    pub fn live(&self) -> impl Iterator<Item = &Process> {
        self.slots.iter().filter(|process| process.pid != 0 && !process.ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_are_monotonic_and_slots_reused_per_kind() {
        let mut table = ProcessTable::new(2);
        let (slot_a, pid_a) = table.allocate(0, 3, 0.0);
        let (slot_b, pid_b) = table.allocate(1, 5, 0.0);
        assert_eq!((pid_a, pid_b), (1, 2));
        table.get_mut(slot_a).frame.write(2, 9);
        table.record_end(slot_a, false, 2..3);
        table.release(slot_a);
        // A kind-1 process cannot take kind 0's slot.
        let (slot_c, pid_c) = table.allocate(1, 5, 1.0);
        assert_ne!(slot_c, slot_a);
        let (slot_d, pid_d) = table.allocate(0, 3, 1.0);
        assert_eq!((pid_c, pid_d), (3, 4));
        assert_eq!(slot_d, slot_a);
        assert_eq!(table.get(slot_d).frame.read(2), 0, "reused frames are zeroed");
        assert_eq!(table.result(1, 0), Some(9), "results outlive the slot");
        assert_eq!(table.slot_count(), 3);
        assert_eq!(table.status(pid_b as i64), Status::Live(slot_b));
    }

    #[test]
    fn status_tells_returned_cancelled_and_unknown_apart() {
        let mut table = ProcessTable::new(1);
        let (first, _) = table.allocate(0, 2, 0.0);
        let (second, _) = table.allocate(0, 2, 0.0);
        table.record_end(first, false, 0..0);
        table.release(first);
        table.record_end(second, true, 0..0);
        table.release(second);
        assert_eq!(table.status(1), Status::Returned);
        assert_eq!(table.status(2), Status::Cancelled(Ended { kind: 0, named_by_kind: false }));
        assert_eq!(table.status(0), Status::Unknown);
        assert_eq!(table.status(3), Status::Unknown);
        assert_eq!(table.status(-5), Status::Unknown);
        assert_eq!(table.result(1, 0), None);
    }

    #[test]
    fn releasing_a_slot_makes_its_old_wakeups_stale() {
        let mut table = ProcessTable::new(1);
        let (slot, _) = table.allocate(0, 2, 0.0);
        let before = table.get(slot).epoch;
        table.release(slot);
        let (again, _) = table.allocate(0, 2, 0.0);
        assert_eq!(again, slot);
        assert_ne!(table.get(again).epoch, before);
    }
}
