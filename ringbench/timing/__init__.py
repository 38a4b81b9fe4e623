"""Time models of the workers: compute (fixed, random per job, correlated, universal v_i(t), traces), communication,
availability.
"""

from .availability import availability, random_availability
from .communication import communicating
from .correlated import correlated
from .models import PROFILES, TimingModel, fixed, outages, piecewise, power_law, profile, random, trace

__all__ = ["PROFILES", "TimingModel", "availability", "communicating", "correlated", "fixed", "outages", "piecewise",
           "power_law", "profile", "random", "random_availability", "trace"]
