"""Time models of the workers: compute (fixed, random per job, universal v_i(t), traces) and communication."""

from .communication import communicating
from .models import PROFILES, TimingModel, fixed, outages, piecewise, power_law, profile, random, trace

__all__ = ["PROFILES", "TimingModel", "communicating", "fixed", "outages", "piecewise", "power_law", "profile",
           "random", "trace"]
