"""SimPy version of benches/models/tickers.usim: TICKERS processes, each
looping forever on an exponential delay, cut off at time 1000."""

import random

import simpy

TICKERS = 1000
TICK_MEAN = 1.0
HORIZON = 1000.0


def main():
    env = simpy.Environment()
    rng = random.Random(1)
    state = {"ticks": 0}

    def ticker(env):
        while True:
            yield env.timeout(rng.expovariate(1.0 / TICK_MEAN))
            state["ticks"] += 1

    def start(env):
        for _ in range(TICKERS):
            env.process(ticker(env))
        return
        yield  # makes `start` a generator, which a SimPy process must be

    env.process(start(env))
    # SimPy's `until` stops before events at exactly the horizon; with
    # exponential delays no event falls there.
    env.run(until=HORIZON)
    # Process steps, counted as usimc counts them: the starter's step, each
    # ticker's first step, one per completed delay.
    print(f"events {1 + TICKERS + state['ticks']}")
    print(f"end time {env.now}")
    print(f"ticks {state['ticks']}")


if __name__ == "__main__":
    main()
