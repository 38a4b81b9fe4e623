"""The engine's overhead per applied update on the MLP: ASGD's run time vs the bare gradient kernel in a loop.

Side by side in one process, CPU time: (1) ``simulate`` with vanilla ASGD on the E.2
problem (784-128-10, minibatch 4) for a fixed number of updates, two checkpoints; (2) the
problem's ``stochastic_gradient`` kernel called as many times in a jitted loop. The
overhead per update is (1) / updates - (2) / calls, reported as a fraction of (2).

    python benchmarks/report_mlp_overhead.py --updates 100000
"""

import argparse
import time

import numpy as np
from numba import njit

from ringbench import Recording, experiments, simulate
from ringbench import methods as m
from ringbench.engine import protocol
from ringbench.engine.rng import key_from_seed


@njit
def gradient_loop(problem, key, point, calls, out):
    for job in range(calls):
        protocol.stochastic_gradient(problem, key, point, job % 100, job, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.updates < 1 or args.repeats < 1:
        parser.error("--updates and --repeats must be >= 1")
    problem = experiments.ringleader_problem("mnist5k")
    timing = experiments.heterogeneous_timing()
    data, out, key = problem.data(), np.zeros(problem.d), key_from_seed(np.random.SeedSequence(0))
    gradient_loop(data, key, problem.x0, 10, out)  # compile
    simulate(problem, m.get("asgd", gamma=0.01), timing, max_updates=10, record=Recording(every=10**9))
    engine, bare = [], []
    for _ in range(args.repeats):
        started = time.process_time()
        result = simulate(problem, m.get("asgd", gamma=0.01), timing, max_updates=args.updates,
                          record=Recording(every=10**9))
        engine.append((time.process_time() - started) / result.counters["applied"])
        started = time.process_time()
        gradient_loop(data, key, problem.x0, args.updates, out)
        bare.append((time.process_time() - started) / args.updates)
    per_update, per_gradient = min(engine), min(bare)
    print(f"{problem!r}: ASGD {per_update * 1e6:.2f} us per applied update, bare gradient {per_gradient * 1e6:.2f} us; "
          f"engine overhead {(per_update - per_gradient) / per_gradient:.1%} of the gradient's cost "
          f"(best of {args.repeats}, {args.updates} updates; includes 2 checkpoints of "
          f"{problem.n_samples} samples)")


if __name__ == "__main__":
    main()
