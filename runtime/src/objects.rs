//! The shared objects of a model and their operations: locks (with
//! priorities and preemption), queues, channels and resources
//! (docs/primitives/). Each operation either completes at once, or registers
//! the running process (see `wait.rs`); whatever an operation makes possible for
//! a waiting process is handed over at that moment, in the order the
//! language defines, and the receiver is woken behind everything already due.

use std::collections::VecDeque;

use crate::abi::{HOST_CONTINUE, HOST_ERROR};
use crate::process::{Cause, Process, Record, RegOn, RunState, Waiter, NO_DEST};
use crate::program::{ObjectKindSpec, ObjectSpec};
use crate::Runtime;

/// A current holder of a lock unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Holder {
    pub slot: u32,
    /// Names the holder's lock record; serials grow with every acquisition,
    /// so the largest is the latest.
    pub serial: u64,
    pub priority: i64,
}

/// A request waiting for a lock unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockWaiter {
    pub waiter: Waiter,
    pub priority: i64,
}

#[derive(Debug)]
pub(crate) struct LockState {
    pub capacity: u64,
    pub preemptive: bool,
    pub holders: Vec<Holder>,
    /// By priority (smallest number first), FIFO among equals. May hold
    /// stale entries, skipped when they come up.
    pub waiters: VecDeque<LockWaiter>,
    pub acquired: u64,
}

#[derive(Debug)]
pub(crate) struct QueueState {
    pub capacity: Option<u64>,
    pub width: usize,
    /// Buffered items, `width` slots each, oldest first.
    pub items: VecDeque<u64>,
    /// When each buffered item entered, oldest first.
    pub stamps: VecDeque<f64>,
    /// How many items are buffered (`items` is empty for zero-width items).
    pub len: u64,
    pub getters: VecDeque<Waiter>,
    /// Putters waiting for room, and their items (`width` slots each, in
    /// the same order).
    pub putters: VecDeque<Waiter>,
    pub pending_items: VecDeque<u64>,
    pub put: u64,
    pub got: u64,
}

#[derive(Debug)]
pub(crate) struct ChannelState {
    pub width: usize,
    pub receivers: Vec<Waiter>,
    pub sent: u64,
}

#[derive(Debug)]
pub(crate) struct ResourceState {
    pub capacity: f64,
    pub level: f64,
    /// Taken by `with tank(a)` blocks and not yet given back; it still
    /// counts against the capacity.
    pub borrowed: f64,
    pub getters: VecDeque<Waiter>,
    pub putters: VecDeque<Waiter>,
}

#[derive(Debug)]
pub(crate) enum ObjectState {
    Lock(LockState),
    Queue(QueueState),
    Channel(ChannelState),
    Resource(ResourceState),
}

impl ObjectState {
    pub fn new(spec: &ObjectSpec) -> ObjectState {
        match spec.kind {
            ObjectKindSpec::Lock { capacity, preemptive } => ObjectState::Lock(LockState {
                capacity,
                preemptive,
                holders: Vec::new(),
                waiters: VecDeque::new(),
                acquired: 0,
            }),
            ObjectKindSpec::Queue { capacity, item_slots } => ObjectState::Queue(QueueState {
                capacity,
                width: item_slots as usize,
                items: VecDeque::new(),
                stamps: VecDeque::new(),
                len: 0,
                getters: VecDeque::new(),
                putters: VecDeque::new(),
                pending_items: VecDeque::new(),
                put: 0,
                got: 0,
            }),
            ObjectKindSpec::Channel { item_slots } => {
                ObjectState::Channel(ChannelState { width: item_slots as usize, receivers: Vec::new(), sent: 0 })
            }
            ObjectKindSpec::Resource { capacity, level } => ObjectState::Resource(ResourceState {
                capacity,
                level,
                borrowed: 0.0,
                getters: VecDeque::new(),
                putters: VecDeque::new(),
            }),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            ObjectState::Lock(_) => Kind::Lock,
            ObjectState::Queue(_) => Kind::Queue,
            ObjectState::Channel(_) => Kind::Channel,
            ObjectState::Resource(_) => Kind::Resource,
        }
    }
}

/// The kind of an object, as operations expect it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Lock,
    Queue,
    Channel,
    Resource,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Lock => "lock",
            Kind::Queue => "queue",
            Kind::Channel => "channel",
            Kind::Resource => "resource",
        }
    }
}

fn queue_getters(rt: &mut Runtime, index: usize) -> &mut VecDeque<Waiter> {
    &mut rt.queue_state(index).getters
}

fn resource_getters(rt: &mut Runtime, index: usize) -> &mut VecDeque<Waiter> {
    &mut rt.resource(index).getters
}

fn resource_putters(rt: &mut Runtime, index: usize) -> &mut VecDeque<Waiter> {
    &mut rt.resource(index).putters
}

/// Copies `width` slots from `src` into the frame of `process` at `dest`.
fn deliver(process: &mut Process, dest: u32, src: impl Iterator<Item = u64>) {
    if dest == NO_DEST {
        return;
    }
    for (offset, value) in src.enumerate() {
        process.frame.write(dest as usize + offset, value);
    }
}

/// Whether a resource amount may be asked for.
fn valid_amount(amount: f64, capacity: f64) -> bool {
    amount >= 0.0 && amount <= capacity
}

impl Runtime {
    /// The object `object` as a lock (or another kind, as named).
    #[inline]
    fn object_index(&mut self, object: i64, kind: Kind) -> Option<usize> {
        let index = usize::try_from(object).ok().filter(|&index| index < self.objects.len());
        match index {
            Some(index) if self.objects[index].kind() == kind => Some(index),
            _ => {
                self.internal_error(&format!("object {object} is not a {}", kind.name()));
                None
            }
        }
    }

    fn lock(&mut self, index: usize) -> &mut LockState {
        match &mut self.objects[index] {
            ObjectState::Lock(lock) => lock,
            _ => unreachable!("object_index checked the kind"),
        }
    }

    fn queue_state(&mut self, index: usize) -> &mut QueueState {
        match &mut self.objects[index] {
            ObjectState::Queue(queue) => queue,
            _ => unreachable!("object_index checked the kind"),
        }
    }

    fn channel(&mut self, index: usize) -> &mut ChannelState {
        match &mut self.objects[index] {
            ObjectState::Channel(channel) => channel,
            _ => unreachable!("object_index checked the kind"),
        }
    }

    fn resource(&mut self, index: usize) -> &mut ResourceState {
        match &mut self.objects[index] {
            ObjectState::Resource(resource) => resource,
            _ => unreachable!("object_index checked the kind"),
        }
    }

    /// Drops the stale entries of a waiter line of object `index` when it
    /// is time to (see `Runtime::time_to_compact`).
    fn compact_line(&mut self, index: usize, line: fn(&mut Runtime, usize) -> &mut VecDeque<Waiter>) {
        if !Self::time_to_compact(line(self, index).len()) {
            return;
        }
        let mut list: Vec<Waiter> = std::mem::take(line(self, index)).into();
        self.compact(&mut list, |w| *w);
        *line(self, index) = list.into();
    }

    /// The item width of a queue or channel (0 for anything else).
    pub(crate) fn item_width(&self, object: i64) -> usize {
        match usize::try_from(object).ok().and_then(|index| self.objects.get(index)) {
            Some(ObjectState::Queue(queue)) => queue.width,
            Some(ObjectState::Channel(channel)) => channel.width,
            _ => 0,
        }
    }

    // ------------------------------------------------------------- locks

    /// `with lock priority p { }` (or a `with` arm of a `select`): acquires a
    /// unit, taking it from the worst holder of a preemptive lock if `p` is
    /// better, or waits for one. Once acquired, a lock record continuing at
    /// state `cont` is on the stack.
    pub(crate) fn lock_acquire(&mut self, object: i64, priority: i64, cont: u32) -> u32 {
        let Some(slot) = self.running("a lock was requested") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let Some(index) = self.object_index(object, Kind::Lock) else { return HOST_ERROR };
        let lock = self.lock(index);
        if (lock.holders.len() as u64) < lock.capacity {
            let code = self.claim(slot);
            self.waited(index, self.header.now);
            self.grant_lock(index, slot, priority, cont);
            self.settle();
            return code;
        }
        if lock.preemptive {
            let worst = lock
                .holders
                .iter()
                .enumerate()
                .max_by_key(|(_, holder)| (holder.priority, holder.serial))
                .map(|(position, holder)| (position, *holder));
            if let Some((position, holder)) = worst.filter(|(_, holder)| priority < holder.priority) {
                let code = self.claim(slot);
                self.lock(index).holders.swap_remove(position);
                let held = self.lock(index).holders.len();
                self.level_changed(index, held as f64);
                self.preempt(index as u32, holder);
                if self.running_ended() {
                    // Unwinding the preempted block cancelled this very
                    // process (it ran in a scope of that block): the unit
                    // it took goes to the next in line instead.
                    self.serve_lock(index);
                    self.settle();
                    return code;
                }
                self.waited(index, self.header.now);
                self.grant_lock(index, slot, priority, cont);
                self.settle();
                return code;
            }
        }
        let (reg, code) = self.register(slot, RegOn::Lock { object: index as u32, cont });
        let waiters = &mut self.lock(index).waiters;
        let entry = LockWaiter { waiter: Waiter { slot, token: reg.token }, priority };
        if waiters.back().is_none_or(|last| last.priority <= priority) {
            // The common case (equal priorities): the end of the line.
            waiters.push_back(entry);
        } else {
            let at = waiters.partition_point(|other| other.priority <= priority);
            waiters.insert(at, entry);
        }
        if Self::time_to_compact(waiters.len()) {
            let mut list: Vec<LockWaiter> = std::mem::take(&mut self.lock(index).waiters).into();
            self.compact(&mut list, |w| w.waiter);
            self.lock(index).waiters = list.into();
        }
        code
    }

    /// Gives a unit of lock `index` to the process in `slot`: a new holder
    /// and a lock record on its stack.
    fn grant_lock(&mut self, index: usize, slot: u32, priority: i64, cont: u32) {
        self.lock_serials += 1;
        let serial = self.lock_serials;
        let lock = self.lock(index);
        lock.holders.push(Holder { slot, serial, priority });
        lock.acquired += 1;
        let held = lock.holders.len();
        self.level_changed(index, held as f64);
        self.stats.objects[index].entered += 1;
        let record = Record::Lock { object: index as u32, serial, cont, taken: false };
        self.procs.get_mut(slot).records.push(record);
    }

    /// Takes `holder`'s unit of a preemptive lock (already removed from its
    /// holders): its `with` block is interrupted. A holder handed the unit
    /// that has not run since skips its body; one that runs, or was handed
    /// something else and has not resumed, is unwound at its next suspension
    /// point.
    fn preempt(&mut self, object: u32, holder: Holder) {
        let process = self.procs.get_mut(holder.slot);
        let Some(record) = process
            .records
            .iter()
            .position(|record| matches!(record, Record::Lock { serial, .. } if *serial == holder.serial))
        else {
            self.internal_error("a lock holder has no lock record");
            return;
        };
        if let Some(Record::Lock { taken, .. }) = process.records.get_mut(record) {
            *taken = true;
        }
        let handed_this_unit = process.state == RunState::Woken
            && matches!(process.cause, Cause::Completed(RegOn::Lock { object: o, .. }) if o == object)
            && record + 1 == process.records.len();
        if handed_this_unit {
            self.continue_after(holder.slot, record as u32);
            self.wake(holder.slot);
        } else {
            self.interrupt(holder.slot, record as u32, false);
        }
    }

    /// The unit of lock `object` held under `serial` is given back: it goes
    /// to the first live waiter, in priority and then arrival order.
    pub(crate) fn release_lock(&mut self, object: u32, serial: u64) {
        let index = object as usize;
        let lock = self.lock(index);
        if let Some(position) = lock.holders.iter().position(|holder| holder.serial == serial) {
            lock.holders.swap_remove(position);
            let held = lock.holders.len();
            self.level_changed(index, held as f64);
        }
        self.serve_lock(index);
    }

    /// Hands free units of lock `index` to waiting requests.
    fn serve_lock(&mut self, index: usize) {
        loop {
            let lock = self.lock(index);
            if lock.holders.len() as u64 >= lock.capacity {
                return;
            }
            let Some(next) = lock.waiters.pop_front() else { return };
            let Some(reg) = self.live_reg(next.waiter) else { continue };
            let RegOn::Lock { cont, .. } = reg.on else { continue };
            self.waited(index, self.procs.get(next.waiter.slot).since);
            self.grant_lock(index, next.waiter.slot, next.priority, cont);
            self.fire(next.waiter, reg);
        }
    }

    /// The end of a `with lock` block: releases its unit (unless preempted).
    pub(crate) fn lock_release(&mut self) -> u32 {
        if self.end_block("with lock") {
            HOST_CONTINUE
        } else {
            HOST_ERROR
        }
    }

    // ------------------------------------------------------------- queues

    /// `await q.put(item)`: hands the item to the first waiting getter, or
    /// buffers it, or (full) waits for room.
    pub(crate) fn queue_put(&mut self, object: i64, item: &[u64]) -> u32 {
        let Some(slot) = self.running("a put was made") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let Some(index) = self.object_index(object, Kind::Queue) else { return HOST_ERROR };
        if item.len() != self.queue_state(index).width {
            self.internal_error("a put of an item of the wrong width");
            return HOST_ERROR;
        }
        let queue = self.queue_state(index);
        if !queue.getters.is_empty() || queue.capacity.is_none_or(|capacity| queue.len < capacity) {
            // Ready: a getter waits (maybe only this select's own earlier
            // arm, withdrawn by `claim`), or there is room. Getters wait
            // only on an empty queue, so there is room if none is left.
            let code = self.claim(slot);
            if !self.hand_to_getter(index, item) {
                let now = self.header.now;
                let queue = self.queue_state(index);
                queue.items.extend(item.iter().copied());
                queue.stamps.push_back(now);
                queue.len += 1;
                queue.put += 1;
                let len = queue.len;
                self.level_changed(index, len as f64);
                self.stats.objects[index].entered += 1;
            }
            self.settle();
            return code;
        }
        let (reg, code) = self.register(slot, RegOn::Put { object: index as u32 });
        let queue = self.queue_state(index);
        queue.putters.push_back(Waiter { slot, token: reg.token });
        queue.pending_items.extend(item.iter().copied());
        code
    }

    /// Gives `item` straight to the first live getter of queue `index`, if any.
    fn hand_to_getter(&mut self, index: usize, item: &[u64]) -> bool {
        loop {
            let Some(getter) = self.queue_state(index).getters.pop_front() else { return false };
            let Some(reg) = self.live_reg(getter) else { continue };
            let RegOn::Get { dest, .. } = reg.on else { continue };
            deliver(self.procs.get_mut(getter.slot), dest, item.iter().copied());
            let queue = self.queue_state(index);
            queue.put += 1;
            queue.got += 1;
            let stats = &mut self.stats.objects[index];
            stats.entered += 1;
            stats.left += 1;
            stats.waits.add(0.0);
            self.fire(getter, reg);
            return true;
        }
    }

    /// `await q.get()`: takes the oldest item into the frame at `dest`, or
    /// waits for one. Taking one lets the first waiting putter's item in.
    pub(crate) fn queue_get(&mut self, object: i64, dest: u32) -> u32 {
        let Some(slot) = self.running("a get was made") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let Some(index) = self.object_index(object, Kind::Queue) else { return HOST_ERROR };
        if self.queue_state(index).len > 0 {
            let code = self.claim(slot);
            if let ObjectState::Queue(queue) = &mut self.objects[index] {
                // Straight from the buffer into the frame: nothing allocates.
                let process = self.procs.get_mut(slot);
                for offset in 0..queue.width {
                    let value = queue.items.pop_front().unwrap_or(0);
                    if dest != NO_DEST {
                        process.frame.write(dest as usize + offset, value);
                    }
                }
                queue.len -= 1;
                queue.got += 1;
                let (len, put_at) = (queue.len, queue.stamps.pop_front().unwrap_or(self.header.now));
                self.level_changed(index, len as f64);
                self.waited(index, put_at);
                self.stats.objects[index].left += 1;
            }
            self.admit_putter(index);
            self.settle();
            return code;
        }
        let (reg, code) = self.register(slot, RegOn::Get { object: index as u32, dest });
        self.queue_state(index).getters.push_back(Waiter { slot, token: reg.token });
        self.compact_line(index, queue_getters);
        code
    }

    /// Room was made in queue `index`: the first live putter's item enters.
    fn admit_putter(&mut self, index: usize) {
        let now = self.header.now;
        loop {
            let Some(putter) = self.queue_state(index).putters.pop_front() else { return };
            let live = self.live_reg(putter);
            let queue = self.queue_state(index);
            let width = queue.width;
            let Some(reg) = live else {
                queue.pending_items.drain(..width);
                continue;
            };
            for _ in 0..width {
                if let Some(value) = queue.pending_items.pop_front() {
                    queue.items.push_back(value);
                }
            }
            queue.len += 1;
            queue.put += 1;
            queue.stamps.push_back(now);
            let len = queue.len;
            self.level_changed(index, len as f64);
            self.stats.objects[index].entered += 1;
            self.fire(putter, reg);
            return;
        }
    }

    /// `q.len()`: the items buffered now.
    pub(crate) fn queue_len(&mut self, object: i64) -> i64 {
        let Some(index) = self.object_index(object, Kind::Queue) else { return 0 };
        self.queue_state(index).len as i64
    }

    // ------------------------------------------------------------- channels

    /// `ch.send(message)`: every process waiting on the channel now gets it,
    /// in the order they began to wait; with none, it is dropped.
    pub(crate) fn channel_send(&mut self, object: i64, message: &[u64]) -> u32 {
        let Some(index) = self.object_index(object, Kind::Channel) else { return HOST_ERROR };
        let channel = self.channel(index);
        channel.sent += 1;
        let receivers = std::mem::take(&mut channel.receivers);
        for &receiver in &receivers {
            let Some(reg) = self.live_reg(receiver) else { continue };
            if let RegOn::Recv { dest, .. } = reg.on {
                if !reg.is_trigger() {
                    deliver(self.procs.get_mut(receiver.slot), dest, message.iter().copied());
                }
            }
            self.fire(receiver, reg);
        }
        // Keep the list's allocation; nobody can have registered meanwhile.
        let mut receivers = receivers;
        receivers.clear();
        let channel = self.channel(index);
        if channel.receivers.is_empty() {
            channel.receivers = receivers;
        }
        HOST_CONTINUE
    }

    /// `await ch`: waits for the next broadcast, written to `dest`.
    pub(crate) fn channel_recv(&mut self, object: i64, dest: u32) -> u32 {
        let Some(slot) = self.running("a receive was made") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let Some(index) = self.object_index(object, Kind::Channel) else { return HOST_ERROR };
        let (reg, code) = self.register(slot, RegOn::Recv { object: index as u32, dest });
        self.channel(index).receivers.push(Waiter { slot, token: reg.token });
        if Self::time_to_compact(self.channel(index).receivers.len()) {
            let mut list = std::mem::take(&mut self.channel(index).receivers);
            self.compact(&mut list, |w| *w);
            self.channel(index).receivers = list;
        }
        code
    }

    // ------------------------------------------------------------- resources

    /// Checks the amount of a resource operation; raises the error if bad.
    fn check_amount(&mut self, index: usize, amount: f64, what: &str, span: i64) -> bool {
        let capacity = self.resource(index).capacity;
        if valid_amount(amount, capacity) {
            return true;
        }
        let name = self.object_names[index].clone();
        let message = if amount.is_nan() || amount < 0.0 {
            format!("`{name}.{what}` needs an amount >= 0, got {amount}")
        } else {
            format!(
                "`{name}.{what}({amount})` exceeds the capacity of `{name}` ({capacity}), so it could never complete"
            )
        };
        self.raise(message, span);
        false
    }

    /// `await r.get(a)` (or, with `borrow`, the start of `with r(a) { }`):
    /// takes `a` when no earlier getter waits and the level suffices, or
    /// waits in line.
    pub(crate) fn resource_get(&mut self, object: i64, amount: f64, borrow: bool, span: i64) -> u32 {
        let Some(slot) = self.running("a resource get was made") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let Some(index) = self.object_index(object, Kind::Resource) else { return HOST_ERROR };
        if !self.check_amount(index, amount, if borrow { "borrow" } else { "get" }, span) {
            return HOST_ERROR;
        }
        self.drop_stale_front(index);
        let resource = self.resource(index);
        if resource.getters.is_empty() && resource.level >= amount {
            let code = self.claim(slot);
            self.waited(index, self.header.now);
            self.take_amount(index, slot, amount, borrow);
            self.serve_resource(index);
            self.settle();
            return code;
        }
        let on = if borrow {
            RegOn::Borrow { object: index as u32, amount }
        } else {
            RegOn::ResGet { object: index as u32, amount }
        };
        let (reg, code) = self.register(slot, on);
        self.resource(index).getters.push_back(Waiter { slot, token: reg.token });
        self.compact_line(index, resource_getters);
        code
    }

    /// Drops stale entries at the front of a resource's lines, so that "no
    /// earlier getter waits" sees only live ones.
    fn drop_stale_front(&mut self, index: usize) {
        while let Some(&front) = self.resource(index).getters.front() {
            if self.live_reg(front).is_some() {
                break;
            }
            self.resource(index).getters.pop_front();
        }
        while let Some(&front) = self.resource(index).putters.front() {
            if self.live_reg(front).is_some() {
                break;
            }
            self.resource(index).putters.pop_front();
        }
    }

    fn take_amount(&mut self, index: usize, slot: u32, amount: f64, borrow: bool) {
        let resource = self.resource(index);
        resource.level -= amount;
        let level = resource.level;
        self.level_changed(index, level);
        let resource = self.resource(index);
        if borrow {
            resource.borrowed += amount;
            self.procs.get_mut(slot).records.push(Record::Borrow { object: index as u32, amount });
        }
    }

    /// `await r.put(a)`: adds `a` when no earlier putter waits and it fits
    /// (borrowed amounts count), or waits in line.
    pub(crate) fn resource_put(&mut self, object: i64, amount: f64, span: i64) -> u32 {
        let Some(slot) = self.running("a resource put was made") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let Some(index) = self.object_index(object, Kind::Resource) else { return HOST_ERROR };
        if !self.check_amount(index, amount, "put", span) {
            return HOST_ERROR;
        }
        self.drop_stale_front(index);
        let resource = self.resource(index);
        if resource.putters.is_empty() && resource.level + resource.borrowed + amount <= resource.capacity {
            let code = self.claim(slot);
            self.waited(index, self.header.now);
            self.resource(index).level += amount;
            let level = self.resource(index).level;
            self.level_changed(index, level);
            self.serve_resource(index);
            self.settle();
            return code;
        }
        let (reg, code) = self.register(slot, RegOn::ResPut { object: index as u32, amount });
        self.resource(index).putters.push_back(Waiter { slot, token: reg.token });
        self.compact_line(index, resource_putters);
        code
    }

    /// Gives a borrowed amount back (the end of `with r(a) { }`, or unwinding).
    pub(crate) fn give_back(&mut self, object: u32, amount: f64) {
        let resource = self.resource(object as usize);
        resource.borrowed -= amount;
        if resource.borrowed < 0.0 {
            // Rounding of a float sum; nothing is borrowed any more.
            resource.borrowed = 0.0;
        }
        resource.level += amount;
        let level = resource.level;
        self.level_changed(object as usize, level);
        self.serve_resource(object as usize);
    }

    /// The end of a `with r(a)` block.
    pub(crate) fn borrow_end(&mut self) -> u32 {
        if self.end_block("with resource") {
            HOST_CONTINUE
        } else {
            HOST_ERROR
        }
    }

    /// Hands the level to waiting getters and room to waiting putters, each
    /// line strictly in order, stopping at the first entry that cannot be served.
    pub(crate) fn serve_resource(&mut self, index: usize) {
        loop {
            let mut progress = false;
            while let Some(&getter) = self.resource(index).getters.front() {
                let Some(reg) = self.live_reg(getter) else {
                    self.resource(index).getters.pop_front();
                    continue;
                };
                let (amount, borrow) = match reg.on {
                    RegOn::ResGet { amount, .. } => (amount, false),
                    RegOn::Borrow { amount, .. } => (amount, true),
                    _ => (0.0, false),
                };
                if self.resource(index).level < amount {
                    break;
                }
                self.resource(index).getters.pop_front();
                self.waited(index, self.procs.get(getter.slot).since);
                self.take_amount(index, getter.slot, amount, borrow);
                self.fire(getter, reg);
                progress = true;
            }
            while let Some(&putter) = self.resource(index).putters.front() {
                let Some(reg) = self.live_reg(putter) else {
                    self.resource(index).putters.pop_front();
                    continue;
                };
                let RegOn::ResPut { amount, .. } = reg.on else { break };
                let resource = self.resource(index);
                if resource.level + resource.borrowed + amount > resource.capacity {
                    break;
                }
                resource.level += amount;
                resource.putters.pop_front();
                let level = resource.level;
                self.level_changed(index, level);
                self.waited(index, self.procs.get(putter.slot).since);
                self.fire(putter, reg);
                progress = true;
            }
            if !progress {
                return;
            }
        }
    }

    /// `r.level()`.
    pub(crate) fn resource_level(&mut self, object: i64) -> f64 {
        match self.object_index(object, Kind::Resource) {
            Some(index) => self.resource(index).level,
            None => 0.0,
        }
    }

    /// Checks that every lock unit, borrowed amount and item is accounted
    /// for: units held = lock records of live processes, borrowed = borrow
    /// records, items put = items got + items buffered.
    pub(crate) fn audit(&self) -> Result<(), String> {
        for (index, object) in self.objects.iter().enumerate() {
            let name = &self.object_names[index];
            let records = self.procs.live().flat_map(|process| process.records.iter());
            match object {
                ObjectState::Lock(lock) => {
                    let held = records
                        .filter(|record| {
                            matches!(record, Record::Lock { object, taken: false, .. } if *object as usize == index)
                        })
                        .count();
                    if held != lock.holders.len() || lock.holders.len() as u64 > lock.capacity {
                        return Err(format!(
                            "lock `{name}`: {} units held by {held} blocks (capacity {})",
                            lock.holders.len(),
                            lock.capacity
                        ));
                    }
                }
                ObjectState::Queue(queue) => {
                    if queue.put != queue.got + queue.len || queue.items.len() as u64 != queue.len * queue.width as u64
                    {
                        return Err(format!(
                            "queue `{name}`: {} put, {} got, {} buffered",
                            queue.put, queue.got, queue.len
                        ));
                    }
                }
                ObjectState::Channel(_) => {}
                ObjectState::Resource(resource) => {
                    let borrowed: f64 = records
                        .filter_map(|record| match record {
                            Record::Borrow { object, amount } if *object as usize == index => Some(*amount),
                            _ => None,
                        })
                        // From +0: a float sum of nothing is -0, which would print as "-0".
                        .fold(0.0, |sum, amount| sum + amount);
                    let tolerance = 1e-9 * resource.capacity.max(1.0);
                    if (borrowed - resource.borrowed).abs() > tolerance
                        || resource.level < -tolerance
                        || resource.level + resource.borrowed > resource.capacity + tolerance
                    {
                        return Err(format!(
                            "resource `{name}`: level {}, {} borrowed by the runtime's count, {borrowed} by blocks",
                            resource.level, resource.borrowed
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
