"""Optimisation problems: objective, stochastic gradient oracle, exact constants."""

from .base import Problem
from .logistic import Logistic
from .quadratic import Quadratic

__all__ = ["Logistic", "Problem", "Quadratic"]
