"""SimPy twin of producer_consumer_lcg.usim: the same line, the same LCG draws
in the same order, the same printed lines.
Run: python producer_consumer_lcg.py > producer_consumer_lcg.expected"""
from dataclasses import dataclass

import simpy

ITEMS = 8
MAKE_MIN, MAKE_MAX = 0.5, 3.5
USE_MIN, USE_MAX = 2.0, 4.0
BUFFER = 5

s = 12345


def draw(lo, hi):
    """The next draw: a float in [lo, hi) on a grid of 100000 steps."""
    global s
    s = s * 48271 % 2147483647
    return lo + (hi - lo) * float(s % 100000) / 100000.0


@dataclass(frozen=True)
class Item:
    id: int
    producer: int
    made: float


env = simpy.Environment()
buffer = simpy.Store(env, capacity=BUFFER)
items_made = taken = 0
blocked = queued = 0.0


def producer(p):
    global items_made, blocked
    for _ in range(ITEMS):
        yield env.timeout(draw(MAKE_MIN, MAKE_MAX))
        items_made += 1
        item = Item(id=items_made, producer=p, made=env.now)
        yield buffer.put(item)
        if env.now > item.made:
            blocked += env.now - item.made
            print(f"{env.now:.2f}  producer {p} waited {env.now - item.made:.2f} to put item {item.id}")
        else:
            print(f"{env.now:.2f}  producer {p} puts item {item.id}, {len(buffer.items)} in the buffer")


def consumer():
    global taken, queued
    while True:                         # usim: for item in buffer { ... }
        item = yield buffer.get()
        queued += env.now - item.made
        print(f"{env.now:.2f}  consumer takes item {item.id} from producer {item.producer}")
        yield env.timeout(draw(USE_MIN, USE_MAX))
        taken += 1
        if taken == 2 * ITEMS:
            break
    print("")
    print(f"{taken} items in {env.now:.2f} min")
    print(f"producers waited {blocked:.2f} min for room in all")
    print(f"an item waited {queued / taken:.2f} min on average to be taken")


env.process(producer(0))
env.process(producer(1))
env.process(consumer())
env.run()
