"""SimPy version of benches/models/fib_compute.usim: one process calls a
naively recursive function REPS times, with a delay between calls."""

import simpy

FIB_N = 30
REPS = 10


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    env = simpy.Environment()
    state = {"total": 0}

    def proc(env):
        for _ in range(REPS):
            state["total"] += fib(FIB_N)
            yield env.timeout(1.0)

    env.process(proc(env))
    env.run()
    print(f"total {state['total']}")
    print(f"events {REPS + 1}")
    print(f"end time {env.now}")


if __name__ == "__main__":
    main()
