"""SimPy twin of gas_station_lcg.usim: the same station, the same LCG draws in
the same order, the same printed lines.  Run: python gas_station_lcg.py > gas_station_lcg.expected

SimPy has no awaitable conditions over variables; `set_fuel` plays usim's
`fuel = ...` write, which releases the controller's `await fuel < LOW` when
it makes the condition true (the controller does not check it again)."""
import simpy

CARS = 15
ARRIVAL_MIN, ARRIVAL_MAX = 0.5, 5.5
LITRES_MIN, LITRES_MAX = 20.0, 50.0
TRUCK_TIME = 15.0
PUMP_RATE = 10.0
CAPACITY = 300.0
START = 200.0
LOW = 100.0
LOAD = 200.0

s = 12345


def draw(lo, hi):
    """The next draw: a float in [lo, hi) on a grid of 100000 steps."""
    global s
    s = s * 48271 % 2147483647
    return lo + (hi - lo) * float(s % 100000) / 100000.0


env = simpy.Environment()
pumps = simpy.Resource(env, capacity=2)
tank = simpy.Container(env, capacity=CAPACITY, init=START)
fuel = START
fuel_low = None                         # the controller's pending `await fuel < LOW`
sold = total_wait = 0.0
calls = 0


def set_fuel(value):
    global fuel, fuel_low
    fuel = value
    if fuel_low is not None and fuel < LOW:
        fuel_low, waiter = None, fuel_low
        waiter.succeed()


def car(i):
    global sold, total_wait
    arrive = env.now
    litres = draw(LITRES_MIN, LITRES_MAX)
    print(f"{env.now:.2f}  car {i} arrives for {litres:.1f} L")
    with pumps.request() as req:
        yield req
        yield tank.get(litres)
        set_fuel(tank.level)
        wait = env.now - arrive
        total_wait += wait
        yield env.timeout(litres / PUMP_RATE)
        sold += litres
        print(f"{env.now:.2f}  car {i} leaves after waiting {wait:.2f}")


def controller():
    global calls, fuel_low
    while True:
        if not fuel < LOW:              # usim: await fuel < LOW
            fuel_low = env.event()
            yield fuel_low
        calls += 1
        print(f"{env.now:.2f}  tank at {tank.level:.1f} L: controller calls the truck")
        yield env.process(truck())


def truck():
    yield env.timeout(TRUCK_TIME)
    yield tank.put(LOAD)
    set_fuel(tank.level)
    print(f"{env.now:.2f}  truck delivers {LOAD:.0f} L, tank at {fuel:.1f} L")


def station():
    env.process(controller())
    children = []                       # usim: scope { ... }
    for i in range(CARS):
        yield env.timeout(draw(ARRIVAL_MIN, ARRIVAL_MAX))
        children.append(env.process(car(i)))
    yield env.all_of(children)
    print("")
    print(f"{CARS} cars bought {sold:.1f} L in {env.now:.2f} min; {calls} truck calls")
    print(f"mean wait {total_wait / CARS:.2f} min, tank at {tank.level:.1f} L")


env.run(until=env.process(station()))   # usim: `stop` at the end of station()
