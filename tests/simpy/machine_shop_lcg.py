"""SimPy twin of machine_shop_lcg.usim: the same shop, the same LCG draws in the
same order, the same printed lines.  Run: python machine_shop_lcg.py > machine_shop_lcg.expected

usim's preempted `with` block carries on after the block; in SimPy the
preempted holder gets an Interrupt, which the odd job catches inside its
`with` and then carries on in the same way."""
import simpy

MACHINES = 3
HOURS = 100.0
UP_MIN, UP_MAX = 5.0, 55.0
REPAIR_MIN, REPAIR_MAX = 0.5, 3.5
JOB_HOURS = 10.0

s = 12345


def draw(lo, hi):
    """The next draw: a float in [lo, hi) on a grid of 100000 steps."""
    global s
    s = s * 48271 % 2147483647
    return lo + (hi - lo) * float(s % 100000) / 100000.0


env = simpy.Environment()
repairman = simpy.PreemptiveResource(env, capacity=1)
repairs = jobs_done = interruptions = 0
down = 0.0


def machine(m):
    global repairs, down
    while True:
        yield env.timeout(draw(UP_MIN, UP_MAX))
        broke = env.now
        print(f"{env.now:.2f}  machine {m} breaks down")
        with repairman.request(priority=1) as req:
            yield req
            yield env.timeout(draw(REPAIR_MIN, REPAIR_MAX))
        repairs += 1
        down += env.now - broke
        print(f"{env.now:.2f}  machine {m} repaired, down {env.now - broke:.2f} h")


def odd_jobs():
    global jobs_done, interruptions
    job = 1
    while True:
        left = JOB_HOURS
        done = False
        while not done:
            start = -1.0
            with repairman.request(priority=2) as req:
                try:
                    yield req
                    start = env.now
                    yield env.timeout(left)
                    done = True
                except simpy.Interrupt:     # preempted by a breakdown
                    pass
            if not done:
                if start >= 0.0:
                    left -= env.now - start
                interruptions += 1
                print(f"{env.now:.2f}  odd job {job} interrupted, {left:.2f} h left")
        jobs_done += 1
        print(f"{env.now:.2f}  odd job {job} done")
        job += 1


def shop():
    for m in range(MACHINES):
        env.process(machine(m))
    env.process(odd_jobs())
    yield env.timeout(HOURS)            # usim: await at(HOURS), from time 0
    print("")
    print(f"after {HOURS:.0f} h: {repairs} repairs, machines down {down:.2f} h in all")
    print(f"{jobs_done} odd jobs done, {interruptions} interruptions")


env.run(until=env.process(shop()))      # usim: `stop` at the end of shop()
