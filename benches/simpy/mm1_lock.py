"""SimPy version of benches/models/mm1_lock.usim: an M/M/1 queue at 80% load
where every customer is its own process and the server is a simpy.Resource
of capacity 1.

Python's own random stream, so the figures differ from usimc's in the digits
but not in the work: 3 * CUSTOMERS + 1 events, plus one per customer who
found the server busy.
"""

import random
import sys

import simpy

CUSTOMERS = 1_000_000
ARRIVAL_MEAN = 1.25
SERVICE_MEAN = 1.0


def main(customers=CUSTOMERS):
    env = simpy.Environment()
    rng = random.Random(1)
    server = simpy.Resource(env, capacity=1)
    state = {"done": 0, "waited": 0, "total_wait": 0.0, "total_time": 0.0}

    def customer(env):
        arrive = env.now
        with server.request() as request:
            # A request for a free server is granted at once.
            if not request.triggered:
                state["waited"] += 1
            yield request
            state["total_wait"] += env.now - arrive
            yield env.timeout(rng.expovariate(1.0 / SERVICE_MEAN))
        state["done"] += 1
        state["total_time"] += env.now - arrive
        if state["done"] == customers:
            done = state["done"]
            print(f"done {done} mean wait {state['total_wait'] / done:.3f} mean time {state['total_time'] / done:.3f}")

    def source(env):
        for _ in range(customers):
            env.process(customer(env))
            yield env.timeout(rng.expovariate(1.0 / ARRIVAL_MEAN))

    env.process(source(env))
    env.run()
    # Process steps, counted as usimc counts them: the source's first step,
    # one per inter-arrival delay, two per customer, and one more (woken with
    # the server) per customer who had to wait.
    print(f"events {3 * customers + 1 + state['waited']}")
    print(f"end time {env.now}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else CUSTOMERS)
