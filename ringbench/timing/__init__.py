"""Compute-time models of the workers: fixed, random per job, universal v_i(t), traces."""

from .models import PROFILES, TimingModel, fixed, outages, piecewise, power_law, profile, random, trace

__all__ = ["PROFILES", "TimingModel", "fixed", "outages", "piecewise", "power_law", "profile", "random", "trace"]
