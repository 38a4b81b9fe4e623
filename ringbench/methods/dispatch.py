"""The one place that maps a rule id to its server rule (integer dispatch keeps the loop cacheable)."""

from .._jit import kernel
from . import ids
from .asgd import asgd_on_arrival
from .fedbuff import fedbuff_on_arrival
from .ia2sgd import ia2sgd_on_arrival
from .malenia import malenia_on_arrival
from .minibatch import minibatch_on_arrival
from .rennala import rennala_on_arrival
from .ringleader import ringleader_on_arrival
from .ringmaster import ringmaster_on_arrival


@kernel
def on_arrival(sim, worker):
    """Hand the arrival of ``worker``'s gradient to the method's server rule."""
    method = sim.rule.method
    if method == ids.ASGD:
        asgd_on_arrival(sim, worker)
    elif method == ids.RINGMASTER:
        ringmaster_on_arrival(sim, worker)
    elif method == ids.RENNALA:
        rennala_on_arrival(sim, worker)
    elif method == ids.MINIBATCH:
        minibatch_on_arrival(sim, worker)
    elif method == ids.RINGLEADER:
        ringleader_on_arrival(sim, worker)
    elif method == ids.MALENIA:
        malenia_on_arrival(sim, worker)
    elif method == ids.IA2SGD:
        ia2sgd_on_arrival(sim, worker)
    else:
        fedbuff_on_arrival(sim, worker)
