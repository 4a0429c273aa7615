"""SimPy twin of carwash_lcg.usim: the same car wash, the same LCG draws in the
same order, the same printed lines.  Run: python carwash_lcg.py > carwash_lcg.expected"""
import simpy

CARS = 12
ARRIVAL_MIN, ARRIVAL_MAX = 0.5, 4.5
WASH_MIN, WASH_MAX = 5.0, 10.0
MACHINES = 2

s = 12345


def draw(lo, hi):
    """The next draw: a float in [lo, hi) on a grid of 100000 steps."""
    global s
    s = s * 48271 % 2147483647
    return lo + (hi - lo) * float(s % 100000) / 100000.0


env = simpy.Environment()
machines = simpy.Resource(env, capacity=MACHINES)
washed = 0
total_wait = longest_wait = washing = 0.0


def car(i):
    global washed, total_wait, longest_wait, washing
    arrive = env.now
    print(f"{env.now:.2f}  car {i} arrives")
    with machines.request() as req:
        yield req
        wait = env.now - arrive
        total_wait += wait
        longest_wait = max(longest_wait, wait)
        print(f"{env.now:.2f}  car {i} enters a machine after waiting {wait:.2f}")
        wash = draw(WASH_MIN, WASH_MAX)
        yield env.timeout(wash)
        washing += wash
        washed += 1
        print(f"{env.now:.2f}  car {i} is clean")


def carwash():
    children = []                       # usim: scope { ... }
    for i in range(CARS):
        yield env.timeout(draw(ARRIVAL_MIN, ARRIVAL_MAX))
        children.append(env.process(car(i)))
    yield env.all_of(children)
    print("")
    print(f"{washed} cars washed in {env.now:.2f} min")
    print(f"mean wait {total_wait / washed:.2f} min, longest {longest_wait:.2f} min")
    print(f"machines busy {100.0 * washing / (MACHINES * env.now):.1f}% of the time")


env.run(until=env.process(carwash()))
