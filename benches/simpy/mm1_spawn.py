"""SimPy version of benches/models/mm1_spawn.usim: an M/M/1 queue at 80% load
where every customer is its own process (Lindley's recursion, no Resource).

Python's own random stream, so the figures differ from usimc's in the digits
but not in the work: the event count is 3 * CUSTOMERS + 1 in both.
"""

import random
import sys

import simpy

CUSTOMERS = 500_000
ARRIVAL_MEAN = 1.25
SERVICE_MEAN = 1.0


def main(customers=CUSTOMERS):
    env = simpy.Environment()
    rng = random.Random(1)
    state = {"server_free_at": 0.0, "done": 0, "total_wait": 0.0, "total_time": 0.0}

    def customer(env):
        arrive = env.now
        wait = max(state["server_free_at"] - env.now, 0.0)
        service = rng.expovariate(1.0 / SERVICE_MEAN)
        state["server_free_at"] = env.now + wait + service
        yield env.timeout(wait + service)
        state["done"] += 1
        state["total_wait"] += wait
        state["total_time"] += env.now - arrive

    def source(env):
        for _ in range(customers):
            env.process(customer(env))
            yield env.timeout(rng.expovariate(1.0 / ARRIVAL_MEAN))

    env.process(source(env))
    env.run()
    # Process steps, counted as usimc counts them: the source's first step,
    # one per inter-arrival delay, two per customer.
    print(f"events {3 * customers + 1}")
    print(f"end time {env.now}")
    print(f"done {state['done']} mean wait {state['total_wait'] / state['done']:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else CUSTOMERS)
