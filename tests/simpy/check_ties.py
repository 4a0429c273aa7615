"""Checks that a SimPy twin does not depend on the places where SimPy's and
usim's ordering rules differ.  Two checks, and a third for information:

1. Ties: it reports every time at which two timer events that still matter
   (some process or condition waits on them) fire, and every pair of such
   times closer than 1e-9.  With none, every instant has one root event and
   the rest of that instant is its cascade.
2. Start order: SimPy starts a new process (and delivers an Interrupt) before
   the events already due now, usim after them.  The twin is run a second
   time with those urgent events scheduled as normal ones, in usim's way, and
   its output must not change.
3. Any order (information only): the twin is run 20 more times with the
   events due at the same time (after time 0) taken in a random order.  If
   the output never changes, it does not depend on how either simulator
   orders an instant's cascade (hand-over hops, wake-up order) at all; if it
   does, the model relies on an order that usim defines and the twin
   reproduces (alarm: listeners wake in the order they began to wait).

    python check_ties.py bank_lcg.py        (the twin's own output is compared, not shown)
"""
import contextlib
import heapq
import io
import random
import runpy
import sys

from simpy.core import Environment
from simpy.events import NORMAL, URGENT, Timeout

fired = {}          # time -> number of timers that mattered and fired then
_step = Environment.step
_schedule = Environment.schedule


def step(self):
    if self._queue:
        when, _prio, _eid, event = self._queue[0]
        if isinstance(event, Timeout) and event.callbacks and event._delay > 0:
            fired[when] = fired.get(when, 0) + 1
    return _step(self)


def schedule_like_usim(self, event, priority=NORMAL, delay=0):
    return _schedule(self, event, NORMAL if priority == URGENT else priority, delay)


def schedule_any_order(rng):
    def schedule(self, event, priority=NORMAL, delay=0):
        when = self._now + delay
        key = rng.random() if when > 0 else priority
        heapq.heappush(self._queue, (when, key, next(self._eid), event))
    return schedule


def run(path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
    return out.getvalue()


path = sys.argv[1]
Environment.step = step
first = run(path)
Environment.step = _step
Environment.schedule = schedule_like_usim
second = run(path)
orders = 0
for seed in range(20):
    Environment.schedule = schedule_any_order(random.Random(seed))
    orders += run(path) != first
Environment.schedule = _schedule

times = sorted(fired)
ties = [t for t in times if fired[t] > 1]
near = [(a, b) for a, b in zip(times, times[1:]) if b - a < 1e-9]
gap = min((b - a for a, b in zip(times, times[1:])), default=float("inf"))
same = "same output" if first == second else "OUTPUT CHANGES"
print(f"{path}: {len(times)} timer times, ties {ties}, near ties {near}, "
      f"smallest gap {gap:.6f}; with usim's start order: {same}; "
      f"in random same-time order: {orders} of 20 runs differ")
sys.exit(1 if ties or near or first != second else 0)
