"""A method of your own, in one file: asynchronous SGD with a polynomial staleness weight.

Every arriving gradient is applied at once, with the stepsize gamma / (1 + delay)^a:
fresh gradients get the full stepsize and stale ones less (the polynomial staleness
function of FedAsync, Xie et al. 2019, used here inside plain ASGD). None of the
built-in methods does this. The rule is compiled with numba into ringbench's event
loop, which is cached on disk for this file's contents.

Run it from this folder, with only ringbench installed::

    python custom_method.py
    ringbench run --method custom_method.py:PolynomialASGD --gamma 0.3 --param power=0.5 --n 100 --d 100

or name it in a sweep configuration: ``name = "custom_method.py:PolynomialASGD"``.
"""

from dataclasses import dataclass
from typing import NamedTuple

from ringbench import plugin


class PolynomialRule(NamedTuple):
    """What the compiled rule sees: the parameters, as plain scalars."""

    gamma: float  # stepsize for a fresh gradient
    power: float  # a: the weight of a gradient of delay tau is (1 + tau)^-a


@plugin.implements("on_arrival", PolynomialRule)
@plugin.kernel
def polynomial_on_arrival(rule, sim, problem, worker):
    """Apply the arriving gradient with stepsize gamma / (1 + delay)^a; restart its worker."""
    delay = plugin.delay_of(sim, worker)
    plugin.evaluate(sim, problem, worker)  # at the iterate the job started from
    plugin.use(sim, worker)
    plugin.step(sim, sim.gradient, rule.gamma / (1.0 + delay) ** rule.power)
    plugin.restart(sim, worker)


@dataclass(frozen=True, kw_only=True)
class PolynomialASGD(plugin.Method):
    """ASGD with the stepsize gamma / (1 + delay)^power.

    Parameters
    ----------
    gamma : float
        Stepsize of a fresh gradient (> 0).
    power : float, default 0.5
        a >= 0; 0 is vanilla ASGD.
    """

    name = "polynomial-asgd"
    power: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        if self.gamma is None:
            raise ValueError("polynomial-asgd has no theory mode: give gamma")
        if isinstance(self.power, bool) or not (isinstance(self.power, (int, float)) and self.power >= 0):
            raise ValueError(f"power must be a number >= 0, got {self.power!r}")

    def configure(self, problem, timing):
        active = plugin.all_workers(timing)
        rule = PolynomialRule(gamma=float(self.gamma), power=float(self.power))
        # Every busy worker can hold its own stale iterate.
        return plugin.Configuration(rule, active, active.size, {"gamma": self.gamma, "power": self.power})


if __name__ == "__main__":
    # The classes of the module, not of __main__: numba can cache only code whose types
    # it can find again by module name in the next process.
    from custom_method import PolynomialASGD

    import ringbench as rb

    problem = rb.problems.Quadratic.worst_case(d=200, noise_std=0.01)
    timing = rb.timing.profile("paper", n=200)
    for method in (rb.methods.ASGD(gamma=0.05), PolynomialASGD(gamma=0.3, power=0.5)):
        print(rb.simulate(problem, method, timing, t_max=500, seed=0).summary())
