"""SimPy version of benches/models/mm1_record.usim: an M/M/1 queue at 80%
load, every customer its own process, the server a simpy.Resource of
capacity 1, and every customer's wait in queue and time in system kept (as
usim's `record` keeps every sample), with the figures usimc reports for them:
each tally's count, mean, std, min, max, p50, p95, p99 and MSER-5 warm-up
time, and the lock's acquisitions, utilization, mean and max queue length,
mean and max wait.

Python's own random stream, so the figures differ from usimc's in the digits
but not in the work: 3 * CUSTOMERS + 1 events, plus one per customer who
found the server busy.

    python3 benches/simpy/mm1_record.py [CUSTOMERS]
"""

import math
import random
import sys

import simpy

CUSTOMERS = 1_000_000
ARRIVAL_MEAN = 1.25
SERVICE_MEAN = 1.0
BATCH = 5


class Tally:
    """Every sample, and the time of the first sample of each batch of 5."""

    def __init__(self):
        self.samples = []
        self.batch_times = []

    def record(self, now, value):
        if len(self.samples) % BATCH == 0:
            self.batch_times.append(now)
        self.samples.append(value)

    def mser5(self):
        m = len(self.samples) // BATCH
        if m < 2:
            return math.nan
        s = self.samples
        z = [sum(s[i * BATCH : (i + 1) * BATCH]) / BATCH for i in range(m)]
        mean = m2 = 0.0
        scores = [0.0] * m
        for count, d in enumerate(range(m - 1, -1, -1)):
            delta = z[d] - mean
            mean += delta / (count + 1)
            m2 += delta * (z[d] - mean)
            kept = m - d
            scores[d] = m2 / (kept * kept)
        best = min(range(m // 2 + 1), key=lambda d: (scores[d], d))
        return self.batch_times[best] if best else 0.0

    def figures(self):
        s = self.samples
        n = len(s)
        mean = sum(s) / n
        std = math.sqrt(sum((x - mean) ** 2 for x in s) / (n - 1)) if n > 1 else 0.0
        ordered = sorted(s)

        def quantile(p):
            h = (n - 1) * p
            lo = math.floor(h)
            hi = min(lo + 1, n - 1)
            return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])

        return {
            "count": n,
            "mean": mean,
            "std": std,
            "min": ordered[0],
            "max": ordered[-1],
            "p50": quantile(0.5),
            "p95": quantile(0.95),
            "p99": quantile(0.99),
            "mser5_warmup": self.mser5(),
        }


class Level:
    """A value over time, integrated at each change."""

    def __init__(self):
        self.value = self.since = self.area = self.max = 0.0

    def set(self, now, value):
        self.area += self.value * (now - self.since)
        self.since = now
        self.value = value
        self.max = max(self.max, value)

    def mean(self, end):
        return (self.area + self.value * (end - self.since)) / end


def main(customers=CUSTOMERS):
    env = simpy.Environment()
    rng = random.Random(1)
    server = simpy.Resource(env, capacity=1)
    wait, time = Tally(), Tally()
    held, line = Level(), Level()
    state = {"waited": 0, "wait_sum": 0.0, "wait_max": 0.0}

    def customer(env):
        arrive = env.now
        with server.request() as request:
            # A request for a free server is granted at once.
            if not request.triggered:
                state["waited"] += 1
                line.set(env.now, len(server.queue))
            yield request
            w = env.now - arrive
            state["wait_sum"] += w
            state["wait_max"] = max(state["wait_max"], w)
            held.set(env.now, 1.0)
            line.set(env.now, len(server.queue))
            wait.record(env.now, w)
            yield env.timeout(rng.expovariate(1.0 / SERVICE_MEAN))
            held.set(env.now, 0.0)
        time.record(env.now, env.now - arrive)

    def source(env):
        for _ in range(customers):
            env.process(customer(env))
            yield env.timeout(rng.expovariate(1.0 / ARRIVAL_MEAN))

    env.process(source(env))
    env.run()
    end = env.now
    for name, tally in (("wait", wait), ("time", time)):
        f = tally.figures()
        print(f"tally {name} " + " ".join(f"{k} {v:.6g}" for k, v in f.items()))
    print(
        f"lock server acquired {customers} utilization {held.mean(end):.6g} mean_queue {line.mean(end):.6g}"
        f" max_queue {line.max:.0f} mean_wait {state['wait_sum'] / customers:.6g} max_wait {state['wait_max']:.6g}"
    )
    # Process steps, counted as usimc counts them: the source's first step,
    # one per inter-arrival delay, two per customer, and one more (woken with
    # the server) per customer who had to wait.
    print(f"events {3 * customers + 1 + state['waited']}")
    print(f"end time {end}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else CUSTOMERS)
