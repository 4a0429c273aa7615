"""SimPy twin of tandem_lcg.usim: the same flow line, the same LCG draws (one
stream per station and one for the arrivals), the same printed lines.
Run: python tandem_lcg.py > tandem_lcg.expected"""
from dataclasses import dataclass

import simpy

STATIONS = 4
BUFFER = 1
ARRIVAL_MIN, ARRIVAL_MAX = 0.4, 1.6
WORK_MIN, WORK_MAX = 0.1, 1.9
HORIZON = 60.0

IDLE, WORKING, BLOCKED = 0, 1, 2

s = [0] * (STATIONS + 1)                # generator states: per station, then arrivals


def draw(k, lo, hi):
    """The next draw of stream k: a float in [lo, hi) on a grid of 100000 steps."""
    s[k] = s[k] * 48271 % 2147483647
    return lo + (hi - lo) * float(s[k] % 100000) / 100000.0


@dataclass(frozen=True)
class Job:
    id: int
    arrived: float


env = simpy.Environment()
machines = [simpy.Resource(env, capacity=1) for _ in range(STATIONS)]
buffers = [simpy.Store(env, capacity=BUFFER) for _ in range(STATIONS)]
done = [0] * STATIONS
state = [IDLE] * STATIONS
since = [0.0] * STATIONS
busy = [0.0] * STATIONS
blocked = [0.0] * STATIONS
entered = finished = 0
held_back = flow_time = 0.0


def source():
    global entered, held_back
    i = 0
    while True:
        yield env.timeout(draw(STATIONS, ARRIVAL_MIN, ARRIVAL_MAX))
        i += 1
        job = Job(id=i, arrived=env.now)
        yield buffers[0].put(job)
        held_back += env.now - job.arrived
        entered += 1


def worker(k):
    global finished, flow_time
    while True:                         # usim: for job in buffers[k] { ... }
        job = yield buffers[k].get()
        with machines[k].request() as req:
            yield req
            state[k] = WORKING
            since[k] = env.now
            yield env.timeout(draw(k, WORK_MIN, WORK_MAX))
            busy[k] += env.now - since[k]
            if k + 1 < STATIONS:
                state[k] = BLOCKED
                since[k] = env.now
                yield buffers[k + 1].put(job)
                blocked[k] += env.now - since[k]
            else:
                finished += 1
                flow_time += env.now - job.arrived
                print(f"{env.now:.2f}  job {job.id} done after {env.now - job.arrived:.2f} min in the line")
            state[k] = IDLE
            done[k] += 1


def line():
    for k in range(STATIONS + 1):
        s[k] = 12345 + 1000 * k
    for k in range(STATIONS):
        env.process(worker(k))
    env.process(source())
    yield env.timeout(HORIZON)          # usim: await at(HORIZON), from time 0
    now = env.now
    print("")
    print(f"{STATIONS} stations, {HORIZON:.2f} min: {entered} jobs entered, {finished} finished")
    waiting = on_machines = 0
    for k in range(STATIONS):
        working = busy[k]
        stuck = blocked[k]
        if state[k] == WORKING:
            working += now - since[k]
        elif state[k] == BLOCKED:
            stuck += now - since[k]
        if state[k] != IDLE:
            on_machines += 1
        waiting += len(buffers[k].items)
        idle = now - working - stuck
        print(f"station {k}: {done[k]} jobs passed on; working {100.0 * working / now:.1f}%, "
              f"blocked {100.0 * stuck / now:.1f}%, idle {100.0 * idle / now:.1f}%; "
              f"{len(buffers[k].items)} in its buffer")
    print(f"{entered} entered = {finished} finished + {waiting} in buffers + {on_machines} on machines")
    if finished > 0:
        print(f"mean time in the line {flow_time / finished:.2f} min")
    print(f"arrivals waited {held_back:.2f} min at the entrance")


env.run(until=env.process(line()))      # usim: `stop` at the end of line()
