"""SimPy version of benches/models/pingpong.usim: a pinger and a ponger pass
MESSAGES numbers back and forth through two unbounded simpy.Store queues,
with no time passing.

No random numbers, so the figures are usimc's exactly.
"""

import sys

import simpy

MESSAGES = 5_000_000


def main(messages=MESSAGES):
    env = simpy.Environment()
    ping = simpy.Store(env)
    pong = simpy.Store(env)
    state = {"total": 0}

    def pinger(env):
        for i in range(messages):
            yield ping.put(i)
            r = yield pong.get()
            state["total"] += r
        print(f"total {state['total']} at {env.now}")

    def ponger(env):
        while True:
            x = yield ping.get()
            yield pong.put(x + 1)

    env.process(pinger(env))
    env.process(ponger(env))
    env.run()
    # Process steps, counted as usimc counts them: the two first steps, one
    # wake-up of the pinger per reply and one of the ponger per message after
    # the first. (SimPy also resumes a process after each put, which usim does
    # not: a put on an unbounded queue completes without suspending.)
    print(f"events {2 * messages + 1}")
    print(f"end time {env.now}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else MESSAGES)
