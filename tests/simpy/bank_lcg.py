"""SimPy twin of bank_lcg.usim: the same bank, the same LCG draws in the same
order, the same printed lines.  Run: python bank_lcg.py > bank_lcg.expected"""
import simpy

CUSTOMERS = 12
ARRIVAL_MIN, ARRIVAL_MAX = 1.0, 11.0
SERVICE_MIN, SERVICE_MAX = 4.0, 16.0
MIN_PATIENCE, MAX_PATIENCE = 2.0, 12.0

s = 12345


def draw(lo, hi):
    """The next draw: a float in [lo, hi) on a grid of 100000 steps."""
    global s
    s = s * 48271 % 2147483647
    return lo + (hi - lo) * float(s % 100000) / 100000.0


env = simpy.Environment()
teller = simpy.Resource(env, capacity=1)
served = reneged = 0
total_wait = busy = 0.0


def customer(i):
    global served, reneged, total_wait, busy
    arrive = env.now
    patience = draw(MIN_PATIENCE, MAX_PATIENCE)
    print(f"{env.now:.2f}  customer {i} arrives, will wait up to {patience:.2f}")
    # usim: select { with teller => {...}  await delay(patience) => {...} }
    with teller.request() as req:
        got = yield req | env.timeout(patience)
        if req in got:
            wait = env.now - arrive
            service = draw(SERVICE_MIN, SERVICE_MAX)
            print(f"{env.now:.2f}  customer {i} reaches the teller after {wait:.2f}")
            yield env.timeout(service)
            served += 1
            total_wait += wait
            busy += service
            print(f"{env.now:.2f}  customer {i} leaves after {service:.2f} at the teller")
        else:
            reneged += 1
            print(f"{env.now:.2f}  customer {i} gives up after {patience:.2f}")


def bank():
    children = []                       # usim: scope { ... }
    for i in range(CUSTOMERS):
        yield env.timeout(draw(ARRIVAL_MIN, ARRIVAL_MAX))
        children.append(env.process(customer(i)))
    yield env.all_of(children)
    print("")
    print(f"{CUSTOMERS} customers in {env.now:.2f} min: {served} served, {reneged} gave up")
    if served > 0:
        print(f"mean wait of those served {total_wait / served:.2f} min")
    print(f"teller busy {100.0 * busy / env.now:.1f}% of the time")


env.run(until=env.process(bank()))
