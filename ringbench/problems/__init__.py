"""Optimisation problems: objective, stochastic gradient oracle, exact constants."""

from .quadratic import Quadratic

__all__ = ["Quadratic"]
