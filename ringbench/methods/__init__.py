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
``ringleader``             :class:`Ringleader`                         Maranjyan & Richtarik
``malenia``                :class:`Malenia`                            Tyurin & Richtarik 2023
``ia2sgd``                 :class:`IA2SGD`                             Wang, Sun, Wai, Zhang 2024
``fedbuff``                :class:`FedBuff`                            Nguyen et al. 2022
``fedasync``               :class:`FedAsync`                           Xie, Koyejo, Gupta 2019
``random-asgd``            :class:`RandomASGD`                         Islamov et al. 2024 (AsGrad)
``shuffled-asgd``          :class:`ShuffledASGD`                       Islamov et al. 2024 (AsGrad)
=========================  ==========================================  ============================

The last four balance the gradients per worker or buffer them, for heterogeneous data
(each worker sampling its own f_i); every method runs on both kinds of problem.
"""

from dataclasses import fields

from .. import _validate, extensions
from .asgd import ASGD, DelayAdaptiveASGD
from .base import Configuration, Method
from .capped import CAPPABLE, Capped, check_cappable
from .fedasync import FedAsync
from .fedbuff import FedBuff
from .hero import Hero
from .ia2sgd import IA2SGD
from .malenia import Malenia
from .minibatch import Minibatch
from .naive_optimal import NaiveOptimalASGD
from .random_asgd import RandomASGD, ShuffledASGD
from .rennala import Rennala
from .ringleader import Ringleader
from .ringmaster import Ringmaster

METHODS = {cls.name: cls for cls in (Ringmaster, ASGD, DelayAdaptiveASGD, Rennala, Minibatch, Hero, NaiveOptimalASGD,
                                     Ringleader, Malenia, IA2SGD, FedBuff, FedAsync, RandomASGD, ShuffledASGD)}


def resolve(name):
    """The method class called ``name``: a built-in of :data:`METHODS`, or a plug-in's
    ``package.module:Class`` / ``path/to/file.py:Class`` (see :mod:`ringbench.extensions`).
    """
    if extensions.is_plugin_name(name):
        return extensions.load(name, base=Method, what="method")
    _validate.choice("method", name, tuple(METHODS))
    return METHODS[name]


def parameters_of(name):
    """Names of the parameters of the method called ``name``."""
    return [field.name for field in fields(resolve(name))]


def get(name, /, **parameters):
    """Build the method called ``name`` (see :func:`resolve`) with ``parameters``."""
    accepted = parameters_of(name)
    for parameter in parameters:
        if parameter not in accepted:
            raise ValueError(f"method {name!r} has no parameter {parameter!r}; its parameters are "
                             + ", ".join(accepted))
    return resolve(name)(**parameters)


__all__ = ["ASGD", "CAPPABLE", "IA2SGD", "METHODS", "Capped", "Configuration", "DelayAdaptiveASGD", "FedAsync",
           "FedBuff", "Hero", "Malenia", "Method", "Minibatch", "NaiveOptimalASGD", "RandomASGD", "Rennala",
           "Ringleader", "Ringmaster", "ShuffledASGD", "check_cappable", "get", "parameters_of", "resolve"]
