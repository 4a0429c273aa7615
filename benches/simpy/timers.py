"""SimPy version of benches/models/timers.usim: PROCS processes, each doing
DELAYS timeouts of uniform(1, 1000) in a row.

Python's own random stream, so the end time differs from usimc's in the
digits but not the work: 1 + PROCS * (1 + DELAYS) process steps in both.

    python3 benches/simpy/timers.py [PROCS [DELAYS]]
"""

import random
import sys

import simpy

PROCS = 1000
DELAYS = 5000


def main(procs=PROCS, delays=DELAYS):
    env = simpy.Environment()
    rng = random.Random(1)
    state = {"done": 0}

    def timer(env):
        for _ in range(delays):
            yield env.timeout(rng.uniform(1.0, 1000.0))
        state["done"] += 1
        if state["done"] == procs:
            print(f"done {state['done']} at {env.now}")

    def start(env):
        for _ in range(procs):
            env.process(timer(env))
        return
        yield  # makes `start` a generator, which a SimPy process must be

    env.process(start(env))
    env.run()
    # Process steps, counted as usimc counts them: main's step, each timer's
    # first step and one per timeout.
    print(f"events {1 + procs * (1 + delays)}")
    print(f"end time {env.now}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
