"""Optimisation problems: objective, stochastic gradient oracle, exact constants."""

from .base import Problem
from .logistic import Logistic
from .mlp import MLP
from .quadratic import Quadratic

__all__ = ["MLP", "Logistic", "Problem", "Quadratic"]
