"""SimPy twin of alarm_lcg.usim: the same alarm broadcast, the same LCG draws in
the same order, the same printed lines.  Run: python alarm_lcg.py > alarm_lcg.expected

SimPy has no broadcast channel; `Channel` below plays it with plain events,
so that the processes an alarm wakes resume in the order they began to wait,
as in usim. The worker's `until alarm` is an AnyOf of each task's timer and
one channel wait armed for the whole shift (see README.md)."""
import simpy

ALARMS = 5
GAP_MIN, GAP_MAX = 2.0, 18.0
TASK_MIN, TASK_MAX = 1.0, 4.0
BREAK = 5.0
QUIET = 10.0

s = 12345


def draw(lo, hi):
    """The next draw: a float in [lo, hi) on a grid of 100000 steps."""
    global s
    s = s * 48271 % 2147483647
    return lo + (hi - lo) * float(s % 100000) / 100000.0


def draw_level():
    """The next draw as an alarm level, 1 to 3."""
    global s
    s = s * 48271 % 2147483647
    return 1 + s % 3


class Channel:
    """usim's `channel`: send() hands the message to every process waiting now,
    in the order they began to wait, and never waits; with no one waiting the
    message is lost."""

    def __init__(self, env):
        self.env = env
        self.waiters = []               # events, in the order their processes began to wait

    def send(self, message):
        waiters, self.waiters = self.waiters, []
        for event in waiters:
            event.succeed(message)

    def wait(self):                     # usim: await alarm
        event = self.env.event()
        self.waiters.append(event)
        return event


env = simpy.Environment()
alarm = Channel(env)
heard = [0, 0]
tasks = 0


def siren():
    for _ in range(ALARMS):
        level = draw_level()
        yield env.timeout(draw(GAP_MIN, GAP_MAX))
        print(f"{env.now:.2f}  siren: alarm, level {level}")
        alarm.send(level)
    yield env.timeout(QUIET)
    print("")
    print(f"{ALARMS} alarms: guard 0 heard {heard[0]}, guard 1 heard {heard[1]}")
    print(f"the worker finished {tasks} tasks in the shifts that alarms ended")


def guard(g, check_max):
    while True:                         # usim: for level in alarm { ... }
        level = yield alarm.wait()
        heard[g] += 1
        check = draw(0.5, check_max)
        print(f"{env.now:.2f}  guard {g} hears level {level}, checks for {check:.2f}")
        yield env.timeout(check)
        print(f"{env.now:.2f}  guard {g} is back")


def manager():
    while True:
        level = yield alarm.wait()
        if level == 3:
            print(f"{env.now:.2f}  manager: level 3, evacuation drill")
            break


def worker():
    global tasks
    while True:
        start = env.now
        done = 0
        print(f"{env.now:.2f}  worker starts a shift")
        shift_over = alarm.wait()       # usim: until alarm { ... }, armed for the whole shift
        while True:
            task = env.timeout(draw(TASK_MIN, TASK_MAX))
            yield task | shift_over
            if shift_over.triggered:    # the task at hand is dropped
                break
            done += 1
        yield env.timeout(0)            # usim: await instant
        tasks += done
        print(f"{env.now:.2f}  worker interrupted after {env.now - start:.2f}, tasks finished: {done}")
        yield env.timeout(BREAK)


end = env.process(siren())              # usim: `stop` at the end of siren()
env.process(guard(0, 5.5))
env.process(guard(1, 23.5))
env.process(manager())
env.process(worker())
env.run(until=end)
