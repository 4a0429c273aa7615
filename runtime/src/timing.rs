//! Waiting on simulated time: `delay`, `at`, `instant`, and the wait before
//! an `every` iteration.

use crate::abi::{HOST_ERROR, NO_SPAN};
use crate::events::Wakeup;
use crate::process::RegOn;
use crate::wait::Mode;
use crate::Runtime;

impl Runtime {
    /// `await delay(d)`: resume at `now + d`; a sum that rounds to `now`
    /// (and `delay(0)`) still yields, through the ready queue.
    pub(crate) fn delay(&mut self, duration: f64, span: i64) -> u32 {
        if duration.is_nan() {
            self.raise("`delay` needs a duration >= 0, got NaN".to_string(), span);
            return HOST_ERROR;
        }
        if duration < 0.0 {
            self.raise(format!("`delay` needs a duration >= 0, got {duration}"), span);
            return HOST_ERROR;
        }
        self.sleep_until(self.queue.now() + duration)
    }

    /// `await at(t)`: resume at exactly `t`.
    pub(crate) fn at(&mut self, time: f64, span: i64) -> u32 {
        let now = self.queue.now();
        if time.is_nan() {
            self.raise("`at` needs a time, got NaN".to_string(), span);
            return HOST_ERROR;
        }
        if time < now {
            self.raise(format!("`at({time})` is in the past: the time is already {now}"), span);
            return HOST_ERROR;
        }
        self.sleep_until(time)
    }

    /// `await instant`: resume now, after everything already due now.
    pub(crate) fn instant(&mut self) -> u32 {
        self.sleep_until(self.queue.now())
    }

    /// Before an `every` iteration due at `time`: continue at once if it is
    /// due, otherwise resume at exactly `time`.
    pub(crate) fn wait_until(&mut self, time: f64) -> u32 {
        if time <= self.queue.now() {
            let Some(slot) = self.running("an `every` iteration began") else { return HOST_ERROR };
            if let Some(code) = self.take_pending(slot) {
                return code;
            }
            return self.ready_now(slot);
        }
        if time.is_nan() {
            self.raise("`every` computed an invalid start time (NaN)".to_string(), NO_SPAN);
            return HOST_ERROR;
        }
        self.sleep_until(time)
    }

    /// Registers a timer for `time`, which is not before now; a time of
    /// `inf` is never scheduled (the process waits forever).
    fn sleep_until(&mut self, time: f64) -> u32 {
        let Some(slot) = self.running("a timer was set") else { return HOST_ERROR };
        if let Some(code) = self.take_pending(slot) {
            return code;
        }
        let in_select = matches!(self.mode, Mode::Select { .. });
        let (reg, code) = self.register(slot, RegOn::Timer { time });
        // A `select` arm's timer is scheduled only if the select suspends
        // (`select_wait`): a select that completes at once would leave a dead
        // event behind, and a loop of them, all at one instant, would fill
        // the queue without end.
        if time != f64::INFINITY && !in_select {
            self.queue.schedule_at(time, Wakeup { slot, token: reg.token });
        }
        code
    }
}
