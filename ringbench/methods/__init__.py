"""The methods: each a short server rule plugged into the shared event loop.

=========================  ==========================================  ============================
name                       class                                       reference
=========================  ==========================================  ============================
``ringmaster``             :class:`Ringmaster`                         Maranjyan, Tyurin, Richtarik 2025
``asgd``                   :class:`ASGD`                               Ringmaster Alg. 1
``delay-adaptive-asgd``    :class:`DelayAdaptiveASGD`                  Mishchenko et al. 2022
``rennala``                :class:`Rennala`                            Tyurin & Richtarik 2023
``minibatch``              :class:`Minibatch`                          synchronous baseline
``hero``                   :class:`Hero`                               fastest worker only
``naive-optimal``          :class:`NaiveOptimalASGD`                   Ringmaster Alg. 3
=========================  ==========================================  ============================
"""

from dataclasses import fields

from .. import _validate
from .asgd import ASGD, DelayAdaptiveASGD
from .base import Configuration, Method
from .hero import Hero
from .minibatch import Minibatch
from .naive_optimal import NaiveOptimalASGD
from .rennala import Rennala
from .ringmaster import Ringmaster

METHODS = {cls.name: cls for cls in (Ringmaster, ASGD, DelayAdaptiveASGD, Rennala, Minibatch, Hero, NaiveOptimalASGD)}


def get(name, **parameters):
    """Build the method called ``name`` (see :data:`METHODS`) with ``parameters``."""
    _validate.choice("method", name, tuple(METHODS))
    accepted = [field.name for field in fields(METHODS[name])]
    for parameter in parameters:
        if parameter not in accepted:
            raise ValueError(f"method {name!r} has no parameter {parameter!r}; its parameters are "
                             + ", ".join(accepted))
    return METHODS[name](**parameters)


__all__ = ["ASGD", "METHODS", "Configuration", "DelayAdaptiveASGD", "Hero", "Method", "Minibatch",
           "NaiveOptimalASGD", "Rennala", "Ringmaster", "get"]
