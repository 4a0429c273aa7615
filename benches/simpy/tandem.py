"""SimPy version of benches/models/tandem.usim: a tandem line of STATIONS
single-machine stations. Each station's machine is a simpy.Resource of
capacity 1 and its buffer a simpy.Store of capacity CAPACITY; a source puts
JOBS jobs into buffer 0 at exponential intervals, and one worker per station
takes a job, holds the machine through an exponential service and puts the
job into the next buffer (blocking while it is full), or at the last station
counts it done.

Python's own random stream, so the figures differ from usimc's in the digits
but not in the work. The events line counts process steps as usimc counts
them: the 1 + STATIONS first steps, one per delay, and one per get or put
that had to wait. (SimPy admits a blocked putter when the get that made room
is processed, a little later than usim, which does it at the get; so its
count of waits is close to usimc's, not equal in law.)
"""

import random
import sys

import simpy

STATIONS = 10
JOBS = 1_000_000
ARRIVAL_MEAN = 1.0
CAPACITY = 10


def main(jobs=JOBS):
    env = simpy.Environment()
    rng = random.Random(1)
    machines = [simpy.Resource(env, capacity=1) for _ in range(STATIONS)]
    buffers = [simpy.Store(env, capacity=CAPACITY) for _ in range(STATIONS)]
    state = {"done": 0, "sum": 0.0, "waits": 0}

    def worker(env, k, mean):
        rate = 1.0 / mean
        here = buffers[k]
        machine = machines[k]
        after = buffers[k + 1] if k + 1 < STATIONS else None
        while True:
            get = here.get()
            if not get.triggered:
                state["waits"] += 1
            job_id, arrive = yield get
            with machine.request() as request:
                # The worker is its machine's only user: granted at once.
                yield request
                yield env.timeout(rng.expovariate(rate))
            if after is not None:
                put = after.put((job_id, arrive))
                if not put.triggered:
                    state["waits"] += 1
                yield put
            else:
                if job_id != state["done"]:
                    raise RuntimeError(f"job {job_id} left as number {state['done']}")
                state["done"] += 1
                state["sum"] += env.now - arrive
                if state["done"] == jobs:
                    done = state["done"]
                    print(f"done {done} mean time in system {state['sum'] / done:.3f}")

    def source(env):
        for k in range(STATIONS):
            env.process(worker(env, k, 0.5 + 0.4 * k / STATIONS))
        rate = 1.0 / ARRIVAL_MEAN
        for i in range(jobs):
            put = buffers[0].put((i, env.now))
            if not put.triggered:
                state["waits"] += 1
            yield put
            yield env.timeout(rng.expovariate(rate))

    env.process(source(env))
    env.run()
    print(f"events {1 + STATIONS + jobs * (1 + STATIONS) + state['waits']}")
    print(f"end time {env.now}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else JOBS)
