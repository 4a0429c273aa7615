"""SimPy version of benches/models/fanout.usim: one process starts FANOUT
processes at time 0; each sleeps once, for uniform(0, 1000), and ends.

Python's own random stream, so the end time differs from usimc's in the
digits but not the work: 1 + 2 * FANOUT process steps in both.

    python3 benches/simpy/fanout.py [FANOUT]
"""

import random
import sys

import simpy

FANOUT = 1_000_000


def main(fanout=FANOUT):
    env = simpy.Environment()
    rng = random.Random(1)

    def sleeper(env):
        yield env.timeout(rng.uniform(0.0, 1000.0))

    def start(env):
        for _ in range(fanout):
            env.process(sleeper(env))
        return
        yield  # makes `start` a generator, which a SimPy process must be

    env.process(start(env))
    env.run()
    # Process steps, counted as usimc counts them: main's step, each
    # sleeper's first step and its wake-up.
    print(f"events {1 + 2 * fanout}")
    print(f"end time {env.now}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else FANOUT)
