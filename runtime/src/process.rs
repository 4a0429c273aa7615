//! The process table: a slab of process records, each owning a frame that
//! never moves, reused per kind once its process ends; the handles that name
//! a process (its slot and which occupant of the slot it is); and the
//! per-handle tables that outlive a record (how a process ended, its return
//! value).
//!
//! A handle is `generation << 32 | slot`, where `generation` counts the
//! processes that have held `slot`, from 1. So finding a live process from its
//! handle is an array access and a compare, without a pid-keyed map, and the
//! table holds only as many records as processes were ever alive at once.
//! Handles are opaque to generated code (they can be kept, passed, awaited and
//! cancelled, but not printed or compared); processes are named by their pid.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use smallvec::SmallVec;

use crate::abi::StepFn;
use crate::frame::{Frame, FrameArena};

/// Where a live process stands with the run loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// Its step is running.
    Running,
    /// Blocked on its registrations (at least one that is not an `until`
    /// trigger).
    Suspended,
    /// Scheduled to resume now: its wake-up in the ready queue carries
    /// [`Process::resume`].
    Woken,
}

/// What one registration waits for. A registration is one thing a process
/// waits on: the wait of an `await`, one arm of a `select`, or the trigger
/// of an `until`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RegOn {
    /// A wake-up at `time` (`delay`, `at`, `instant`, `every`); `inf` is
    /// never scheduled.
    Timer { time: f64 },
    /// A unit of a lock; when handed over, a lock record continuing at
    /// `cont` is pushed for it. (The request's priority is in the lock's
    /// line, which orders by it: kept there only, a registration is 16
    /// bytes, not 24.)
    Lock { object: u32, cont: u32 },
    /// An amount borrowed from a resource by `with tank(a)`.
    Borrow { object: u32, amount: f64 },
    /// An item of a queue, written to the frame from slot `dest` on.
    Get { object: u32, dest: u32 },
    /// Room in a bounded queue; the item waits in the queue's putter list.
    Put { object: u32 },
    /// A message of a channel, written from slot `dest` on (none when
    /// `dest` is [`NO_DEST`], as for an `until` trigger).
    Recv { object: u32, dest: u32 },
    /// An amount taken from a resource.
    ResGet { object: u32, amount: f64 },
    /// Room for an amount in a resource.
    ResPut { object: u32, amount: f64 },
    /// An awaited condition, by index.
    Condition { cond: u32 },
    /// The end of the process `pid` in `slot`.
    Join { slot: u32, pid: u64 },
    /// The end of the children of the innermost scope.
    Scope,
}

impl RegOn {
    /// The object in whose line (lock requests, getters, putters) this
    /// registration waits.
    #[inline]
    pub fn line(&self) -> Option<u32> {
        match *self {
            RegOn::Lock { object, .. }
            | RegOn::Get { object, .. }
            | RegOn::Put { object }
            | RegOn::ResGet { object, .. }
            | RegOn::ResPut { object, .. }
            | RegOn::Borrow { object, .. } => Some(object),
            _ => None,
        }
    }
}

/// The `dest` of a receive that keeps no value.
pub(crate) const NO_DEST: u32 = u32::MAX;

/// One pending registration of a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reg {
    /// Unique for the slot over the whole run: entries that name it in event
    /// lists and object queues are stale once it is gone from
    /// [`Process::regs`].
    pub token: u64,
    /// The registrations of one wait (the arms of a `select`) share a group;
    /// when one completes, the others are withdrawn.
    pub group: u64,
    /// The arm of a `select` (0 for a plain wait), written to the resume
    /// reason slot on completion.
    pub arm: u32,
    /// The record index of the `until` block this registration triggers, or
    /// [`NOT_A_TRIGGER`].
    pub trigger: u32,
    pub on: RegOn,
}

pub(crate) const NOT_A_TRIGGER: u32 = u32::MAX;

impl Reg {
    pub fn is_trigger(&self) -> bool {
        self.trigger != NOT_A_TRIGGER
    }
}

/// An entry in a waiter list (an object's queue, a var's watchers, a
/// process's joiners): stale unless the process in `slot` still has the
/// registration `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Waiter {
    pub slot: u32,
    pub token: u64,
}

/// A cleanup record: pushed on entry to a block that holds something or
/// must be undone, popped when the block ends in any way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Record {
    /// An open `scope`; its children are `Process::scopes[level]`.
    Scope { level: u32 },
    /// A held lock unit (`with lock`), known to the lock by `serial`;
    /// `taken` once a preemption took the unit. The block continues at
    /// state `cont` when interrupted.
    Lock { object: u32, serial: u64, cont: u32, taken: bool },
    /// An amount borrowed by `with tank(a)`.
    Borrow { object: u32, amount: f64 },
    /// An armed `until`: its trigger registration and the state after the block.
    Until { cont: u32, trigger: u64 },
}

/// What resumed a process, for `--trace`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cause {
    Start,
    /// A completed registration.
    Completed(RegOn),
    /// An `until` fired or a preemption hit.
    Interrupted,
}

/// A live child of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Child {
    pub pid: u64,
    pub slot: u32,
}

/// Where a child is listed: `slots[slot].scopes[level].children[index]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScopeLink {
    pub slot: u32,
    pub level: u32,
    pub index: u32,
}

/// An open scope: its children still alive, in no particular order.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub children: Vec<Child>,
}

// Registrations are copied on every wait and completion, and one lives in
// every process record (with the cause of its last resumption); keep them small.
const _: () = assert!(std::mem::size_of::<RegOn>() == 16);
const _: () = assert!(std::mem::size_of::<Cause>() == 16);
const _: () = assert!(std::mem::size_of::<Reg>() == 40);

/// The parts of a process record that few processes use: allocated on
/// first use and kept by the slot for its later occupants, so the record of
/// a process that is never awaited and opens no scope stays small.
#[derive(Debug, Default)]
pub(crate) struct Family {
    /// Processes awaiting this one, in the order they began to wait.
    pub joiners: Vec<Waiter>,
    /// Children lists of scopes; only the first `open_scopes` are open (the
    /// rest keep their allocation for reuse).
    pub scopes: Vec<Scope>,
}

/// A process's pending registrations: most processes wait on one thing at
/// a time, which is kept in the record itself.
pub(crate) type Regs = SmallVec<[Reg; 1]>;

pub(crate) struct Process {
    /// 0 while the slot is free.
    pub pid: u64,
    pub kind: u32,
    /// How many processes have held this slot: the current one's (or, while
    /// the slot is free, the last one's) handle generation.
    pub generation: u32,
    /// The step function of `kind` (a slot keeps its kind).
    pub step: StepFn,
    pub frame: Frame,
    /// The last token handed out for this slot. Tokens are never reused,
    /// not even by a later occupant of the slot, so entries that name an
    /// older token are stale.
    pub tokens: u64,
    pub state: RunState,
    /// The token of the scheduled resumption while [`RunState::Woken`].
    pub resume: u64,
    /// Pending registrations, in the order they were made.
    pub regs: Regs,
    /// The cleanup stack, outermost block first.
    pub records: Vec<Record>,
    /// The lowest record index with an interrupt that takes effect at the
    /// next suspension point.
    pub pending: Option<u32>,
    /// What resumed it last (for `--trace`).
    pub cause: Cause,
    /// When the current wait began.
    pub since: f64,
    /// A root whose kind no other root has: displayed by the kind name alone.
    pub named_by_kind: bool,
    /// Ended while its own step was running; the slot is freed after the step.
    pub ended: bool,
    /// Joiners and scopes, once it had either.
    pub family: Option<Box<Family>>,
    /// How many of `family`'s scopes are open.
    pub open_scopes: usize,
    /// The scope this process was spawned into, if any.
    pub parent: Option<ScopeLink>,
}

impl Process {
    /// The open scopes, outermost first.
    pub fn open_scopes(&self) -> &[Scope] {
        match &self.family {
            Some(family) => &family.scopes[..self.open_scopes],
            None => &[],
        }
    }

    /// The processes awaiting this one.
    #[inline]
    pub fn joiners(&self) -> &[Waiter] {
        match &self.family {
            Some(family) => &family.joiners,
            None => &[],
        }
    }

    /// Its family, made on first use.
    pub fn family_mut(&mut self) -> &mut Family {
        self.family.get_or_insert_with(Default::default)
    }

    /// A fresh token.
    #[inline]
    pub fn next_token(&mut self) -> u64 {
        self.tokens += 1;
        self.tokens
    }

    /// The index of the registration `token`, if it is still pending.
    #[inline]
    pub fn reg_index(&self, token: u64) -> Option<usize> {
        self.regs.iter().position(|reg| reg.token == token)
    }
}

/// How a cancelled process is named, kept per handle for `await`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ended {
    pub pid: u64,
    pub kind: u32,
    pub named_by_kind: bool,
}

/// What a handle refers to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Live(u32),
    /// Ended by returning.
    Returned,
    Cancelled(Ended),
    /// Not a handle this run handed out.
    Unknown,
}

/// A hasher for handles: one widening multiply, folded, so that both the low
/// bits (the bucket) and the high bits (the tag) depend on the slot and the
/// generation.
#[derive(Default, Clone, Copy)]
pub(crate) struct HandleHasher(u64);

impl Hasher for HandleHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        let product = u128::from(value ^ self.0) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

pub(crate) type HandleMap<V> = HashMap<u64, V, BuildHasherDefault<HandleHasher>>;

/// The largest generation: handles stay positive. A slot whose occupant had
/// this generation is retired when it ends (never reused), so a handle never
/// names two processes.
const MAX_GENERATION: u32 = i32::MAX as u32;

/// The handle of the occupant `generation` of `slot`.
fn handle_of(slot: u32, generation: u32) -> u64 {
    u64::from(generation) << 32 | u64::from(slot)
}

/// Why [`ProcessTable::allocate`] made no process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AllocError {
    /// As many processes as the limit allows are live.
    Limit,
    /// The table or the new frame could not grow.
    OutOfMemory,
}

pub(crate) struct ProcessTable {
    slots: Vec<Process>,
    /// By slot: the address of its frame (which never changes), apart from
    /// the records so that [`Self::prefetch`] can find it without a miss.
    frames: Vec<*mut u64>,
    /// By kind: the frames, once the kind had a process.
    arenas: Vec<Option<FrameArena>>,
    /// Free slots per kind, so a reused frame already has the right size.
    free: Vec<Vec<u32>>,
    next_pid: u64,
    /// By handle: the cancelled processes.
    cancelled: HandleMap<Ended>,
    /// By handle: offsets into `result_values` of the return values of ended
    /// processes whose kind returns something.
    results: HandleMap<usize>,
    result_values: Vec<u64>,
    /// Processes allocated and not yet released.
    live: usize,
    /// The most processes that may be live at once ([`crate::RunConfig::max_processes`]).
    max_live: usize,
}

impl ProcessTable {
    /// A table for `kind_count` kinds that holds at most `max_live` live
    /// processes at once.
    pub fn new(kind_count: usize, max_live: usize) -> Self {
        ProcessTable {
            slots: Vec::new(),
            frames: Vec::new(),
            arenas: (0..kind_count).map(|_| None).collect(),
            free: vec![Vec::new(); kind_count],
            next_pid: 1,
            cancelled: HandleMap::default(),
            results: HandleMap::default(),
            result_values: Vec::new(),
            live: 0,
            max_live,
        }
    }

    /// Takes a slot for a new process of `kind` with a zeroed frame of
    /// `frame_len` slots; returns the slot, the new pid and its handle. Fails,
    /// taking nothing, when `max_live` processes are live or memory runs out.
    #[inline]
    pub fn allocate(
        &mut self,
        kind: u32,
        step: StepFn,
        frame_len: usize,
        now: f64,
    ) -> Result<(u32, u64, u64), AllocError> {
        if self.live >= self.max_live {
            return Err(AllocError::Limit);
        }
        let pid = self.next_pid;
        let (slot, generation) = match self.free[kind as usize].pop() {
            Some(slot) => {
                let process = &mut self.slots[slot as usize];
                debug_assert_eq!(process.frame.len(), frame_len);
                debug_assert!(process.generation < MAX_GENERATION);
                process.frame.clear();
                process.pid = pid;
                process.generation += 1;
                process.state = RunState::Woken;
                process.since = now;
                process.named_by_kind = false;
                process.ended = false;
                process.open_scopes = 0;
                process.parent = None;
                process.pending = None;
                process.cause = Cause::Start;
                process.regs.clear();
                process.records.clear();
                (slot, process.generation)
            }
            None => (self.push_slot(pid, kind, step, frame_len, now)?, 1),
        };
        self.next_pid += 1;
        self.live += 1;
        Ok((slot, pid, handle_of(slot, generation)))
    }

    /// Adds a slot to the table for the first process of `kind` to use it.
    /// The table and the frame are the allocations that grow with every
    /// process alive at once, so both are fallible: the table grows (by
    /// doubling) only when full.
    #[cold]
    fn push_slot(&mut self, pid: u64, kind: u32, step: StepFn, frame_len: usize, now: f64) -> Result<u32, AllocError> {
        let slot = u32::try_from(self.slots.len()).map_err(|_| AllocError::OutOfMemory)?;
        if self.slots.len() == self.slots.capacity() {
            self.slots.try_reserve(1).map_err(|_| AllocError::OutOfMemory)?;
        }
        if self.frames.len() == self.frames.capacity() {
            self.frames.try_reserve(1).map_err(|_| AllocError::OutOfMemory)?;
        }
        let arena = self.arenas[kind as usize].get_or_insert_with(|| FrameArena::new(frame_len));
        let frame = arena.try_zeroed().ok_or(AllocError::OutOfMemory)?;
        debug_assert_eq!(frame.len(), frame_len);
        self.frames.push(frame.as_mut_ptr());
        self.slots.push(Process {
            pid,
            kind,
            generation: 1,
            step,
            frame,
            tokens: 0,
            state: RunState::Woken,
            resume: 0,
            regs: Regs::new(),
            records: Vec::new(),
            pending: None,
            cause: Cause::Start,
            since: now,
            named_by_kind: false,
            ended: false,
            family: None,
            open_scopes: 0,
            parent: None,
        });
        Ok(slot)
    }

    #[inline]
    pub fn get(&self, slot: u32) -> &Process {
        &self.slots[slot as usize]
    }

    /// Asks the CPU to bring the record in `slot` into the cache: in a
    /// large population the records of the next processes to run are far
    /// apart, and each would otherwise be a cache miss when its turn comes.
    #[inline]
    pub fn prefetch(&self, slot: u32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(process) = self.slots.get(slot as usize) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let start = (process as *const Process).cast::<i8>();
            for offset in (0..std::mem::size_of::<Process>()).step_by(64) {
                // SAFETY: a prefetch is a hint that never faults; the
                // address is within the record.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) };
            }
            // The frame's first line: its state and, in most frames, all of it.
            // SAFETY: as above; `frames` has an entry for every slot.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(self.frames[slot as usize].cast::<i8>()) };
        }
    }

    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Process {
        &mut self.slots[slot as usize]
    }

    /// Slots ever created: the table's size, which slot reuse keeps small.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Processes allocated and not yet released (a process that ended
    /// during its own step counts until its slot is released after it).
    pub fn live_count(&self) -> usize {
        self.live
    }

    /// The most processes that may be live at once.
    pub fn max_live(&self) -> usize {
        self.max_live
    }

    /// Whether the process `pid`, which was given `slot`, has not ended.
    pub fn is_live(&self, slot: u32, pid: u64) -> bool {
        let process = &self.slots[slot as usize];
        process.pid == pid && !process.ended
    }

    pub fn status(&self, handle: i64) -> Status {
        // A negative handle has a generation above `MAX_GENERATION`.
        let handle = handle as u64;
        let (slot, generation) = (handle as u32, (handle >> 32) as u32);
        let Some(process) = self.slots.get(slot as usize) else {
            return Status::Unknown;
        };
        if generation == 0 || generation > process.generation {
            return Status::Unknown;
        }
        if generation == process.generation && process.pid != 0 && !process.ended {
            return Status::Live(slot);
        }
        match self.cancelled.get(&handle) {
            Some(&ended) => Status::Cancelled(ended),
            None => Status::Returned,
        }
    }

    /// Records that the process in `slot` ended, keeping `result` (its
    /// return value, empty if none) or, if it was cancelled, that it was.
    /// These records outlive the process and grow with every one that ends
    /// so, so they grow fallibly: `Err` when memory ran out (nothing kept).
    #[inline]
    pub fn record_end(&mut self, slot: u32, cancelled: bool, result: std::ops::Range<usize>) -> Result<(), AllocError> {
        if cancelled || !result.is_empty() {
            self.record_outcome(slot, cancelled, result)
        } else {
            Ok(())
        }
    }

    fn record_outcome(&mut self, slot: u32, cancelled: bool, result: std::ops::Range<usize>) -> Result<(), AllocError> {
        let process = &self.slots[slot as usize];
        let handle = handle_of(slot, process.generation);
        if cancelled {
            if self.cancelled.len() == self.cancelled.capacity() {
                self.cancelled.try_reserve(1).map_err(|_| AllocError::OutOfMemory)?;
            }
            let ended = Ended { pid: process.pid, kind: process.kind, named_by_kind: process.named_by_kind };
            self.cancelled.insert(handle, ended);
        } else {
            if self.results.len() == self.results.capacity() {
                self.results.try_reserve(1).map_err(|_| AllocError::OutOfMemory)?;
            }
            if self.result_values.capacity() - self.result_values.len() < result.len() {
                self.result_values.try_reserve(result.len()).map_err(|_| AllocError::OutOfMemory)?;
            }
            let offset = self.result_values.len();
            for index in result {
                self.result_values.push(process.frame.read(index));
            }
            self.results.insert(handle, offset);
        }
        Ok(())
    }

    /// Slot `k` of the return value of the ended process `handle`.
    pub fn result(&self, handle: i64, k: usize) -> Option<u64> {
        let offset = self.results.get(&(handle as u64))?;
        self.result_values.get(offset + k).copied()
    }

    /// Frees the slot of an ended process for reuse by its kind, unless its
    /// generations are used up.
    #[inline]
    pub fn release(&mut self, slot: u32) {
        debug_assert!(self.live > 0, "released more processes than were allocated");
        self.live -= 1;
        let process = &mut self.slots[slot as usize];
        process.pid = 0;
        process.regs.clear();
        process.records.clear();
        process.resume = 0;
        if let Some(family) = &mut process.family {
            family.joiners.clear();
        }
        if process.generation < MAX_GENERATION {
            self.free[process.kind as usize].push(slot);
        }
    }

    /// Live processes (not ended), in slot order.
    pub fn live(&self) -> impl Iterator<Item = &Process> {
        self.slots.iter().filter(|process| process.pid != 0 && !process.ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn idle(_: *mut u64, _: *mut u64, _: *mut crate::Runtime) -> u32 {
        crate::abi::STEP_DONE
    }

    #[test]
    fn pids_are_monotonic_and_slots_reused_per_kind() {
        let mut table = ProcessTable::new(2, usize::MAX);
        let (slot_a, pid_a, handle_a) = table.allocate(0, idle, 3, 0.0).unwrap();
        let (slot_b, pid_b, handle_b) = table.allocate(1, idle, 5, 0.0).unwrap();
        assert_eq!((pid_a, pid_b), (1, 2));
        table.get_mut(slot_a).frame.write(2, 9);
        table.record_end(slot_a, false, 2..3).unwrap();
        table.release(slot_a);
        // A kind-1 process cannot take kind 0's slot.
        let (slot_c, pid_c, _) = table.allocate(1, idle, 5, 1.0).unwrap();
        assert_ne!(slot_c, slot_a);
        let (slot_d, pid_d, handle_d) = table.allocate(0, idle, 3, 1.0).unwrap();
        assert_eq!((pid_c, pid_d), (3, 4));
        assert_eq!(slot_d, slot_a);
        assert_ne!(handle_d, handle_a, "a reused slot gets a new handle");
        assert_eq!(table.get(slot_d).frame.read(2), 0, "reused frames are zeroed");
        assert_eq!(table.result(handle_a as i64, 0), Some(9), "results outlive the slot");
        assert_eq!(table.result(handle_d as i64, 0), None);
        assert_eq!(table.status(handle_a as i64), Status::Returned);
        assert_eq!(table.status(handle_d as i64), Status::Live(slot_d));
        assert_eq!(table.slot_count(), 3);
        assert_eq!(table.status(handle_b as i64), Status::Live(slot_b));
        assert!(table.is_live(slot_d, pid_d) && !table.is_live(slot_a, pid_a));
    }

    #[test]
    fn status_tells_returned_cancelled_and_unknown_apart() {
        let mut table = ProcessTable::new(1, usize::MAX);
        let (first, _, first_handle) = table.allocate(0, idle, 2, 0.0).unwrap();
        let (second, _, second_handle) = table.allocate(0, idle, 2, 0.0).unwrap();
        table.get_mut(second).named_by_kind = true;
        table.record_end(first, false, 0..0).unwrap();
        table.release(first);
        table.record_end(second, true, 0..0).unwrap();
        table.release(second);
        assert_eq!(table.status(first_handle as i64), Status::Returned);
        assert_eq!(
            table.status(second_handle as i64),
            Status::Cancelled(Ended { pid: 2, kind: 0, named_by_kind: true })
        );
        assert_eq!(table.status(0), Status::Unknown);
        assert_eq!(table.status(1), Status::Unknown, "generation 0 is never handed out");
        assert_eq!(table.status(handle_of(first, 2) as i64), Status::Unknown, "not handed out yet");
        assert_eq!(table.status(handle_of(7, 1) as i64), Status::Unknown, "no such slot");
        assert_eq!(table.status(-5), Status::Unknown);
        assert_eq!(table.status(i64::MIN | first_handle as i64), Status::Unknown);
        assert_eq!(table.result(first_handle as i64, 0), None);
        assert_eq!(table.result(-1, 0), None);
    }

    #[test]
    fn a_process_ended_during_its_step_is_not_live() {
        let mut table = ProcessTable::new(1, usize::MAX);
        let (slot, pid, handle) = table.allocate(0, idle, 2, 0.0).unwrap();
        table.record_end(slot, false, 0..0).unwrap();
        table.get_mut(slot).ended = true;
        assert_eq!(table.status(handle as i64), Status::Returned);
        assert!(!table.is_live(slot, pid));
        assert_eq!(table.live().count(), 0);
    }

    #[test]
    fn a_slot_is_retired_when_its_generations_are_used_up() {
        let mut table = ProcessTable::new(1, usize::MAX);
        let (slot, _, _) = table.allocate(0, idle, 2, 0.0).unwrap();
        table.get_mut(slot).generation = MAX_GENERATION - 1;
        table.release(slot);
        let (again, _, last) = table.allocate(0, idle, 2, 0.0).unwrap();
        assert_eq!((again, last), (slot, handle_of(slot, MAX_GENERATION)));
        assert!((last as i64) > 0, "handles stay positive");
        assert_eq!(table.status(last as i64), Status::Live(slot));
        table.record_end(again, false, 0..0).unwrap();
        table.release(again);
        let (fresh, _, _) = table.allocate(0, idle, 2, 0.0).unwrap();
        assert_ne!(fresh, slot, "the used-up slot is not reused");
        assert_eq!(table.status(last as i64), Status::Returned);
    }

    #[test]
    fn tokens_are_not_reused_by_a_later_occupant_of_a_slot() {
        let mut table = ProcessTable::new(1, usize::MAX);
        let (slot, _, _) = table.allocate(0, idle, 2, 0.0).unwrap();
        let before = table.get_mut(slot).next_token();
        table.release(slot);
        let (again, _, _) = table.allocate(0, idle, 2, 0.0).unwrap();
        assert_eq!(again, slot);
        assert!(table.get_mut(again).next_token() > before);
    }

    #[test]
    fn a_full_table_refuses_a_process_until_one_is_released() {
        let mut table = ProcessTable::new(2, 2);
        let (first, _, _) = table.allocate(0, idle, 2, 0.0).unwrap();
        table.allocate(1, idle, 3, 0.0).unwrap();
        assert_eq!(table.allocate(0, idle, 2, 0.0).err(), Some(AllocError::Limit));
        assert_eq!(table.allocate(1, idle, 3, 0.0).err(), Some(AllocError::Limit));
        assert_eq!(table.live_count(), 2);
        table.release(first);
        let (again, pid, _) = table.allocate(0, idle, 2, 0.0).unwrap();
        assert_eq!((again, pid), (first, 3), "a refused process takes no pid");
    }

    #[test]
    fn a_frame_too_large_for_memory_is_an_error() {
        // Every process of a kind has the same frame length, so the small
        // one is of another kind.
        let mut table = ProcessTable::new(2, usize::MAX);
        assert_eq!(table.allocate(0, idle, usize::MAX / 8, 0.0).err(), Some(AllocError::OutOfMemory));
        assert_eq!((table.slot_count(), table.live_count()), (0, 0));
        let (slot, pid, _) = table.allocate(1, idle, 2, 0.0).unwrap();
        assert_eq!((slot, pid), (0, 1));
    }

    proptest::proptest! {
        /// Whatever the order of spawns and ends over two kinds, the table
        /// never holds more than `limit` live processes, and refuses a
        /// process exactly when it holds `limit`.
        #[test]
        fn live_processes_never_exceed_the_limit(
            limit in 1usize..8,
            ops in proptest::collection::vec((proptest::bool::ANY, 0u32..2, 0usize..8), 0..200),
        ) {
            let mut table = ProcessTable::new(2, limit);
            let mut live: Vec<u32> = Vec::new();
            for (spawn, kind, pick) in ops {
                if spawn || live.is_empty() {
                    let full = live.len() == limit;
                    match table.allocate(kind, idle, 2 + kind as usize, 0.0) {
                        Ok((slot, _, _)) => {
                            proptest::prop_assert!(!full, "allocated beyond the limit {}", limit);
                            live.push(slot);
                        }
                        Err(error) => {
                            proptest::prop_assert!(full, "refused below the limit: {:?}", error);
                            proptest::prop_assert_eq!(error, AllocError::Limit);
                        }
                    }
                } else {
                    let slot = live.swap_remove(pick % live.len());
                    table.record_end(slot, false, 0..0).unwrap();
                    table.release(slot);
                }
                proptest::prop_assert_eq!(table.live_count(), live.len());
                proptest::prop_assert!(table.live_count() <= limit);
                proptest::prop_assert_eq!(table.live().count(), live.len());
            }
        }
    }
}
