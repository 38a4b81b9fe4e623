"""The bands figure's panels: the same order as ``ringbench compare``'s plot."""

from types import SimpleNamespace

import numpy as np

from ringbench.sweep import bands


def test_panels_put_grad_norm2_first_then_f_gap():
    time = np.linspace(0.0, 1.0, 5)
    runs = [SimpleNamespace(time=time, f_gap=np.full(5, 2.0 + seed), grad_norm2=np.full(5, 1.0 + seed))
            for seed in range(3)]
    labels = [axes.get_ylabel() for axes in bands.figure({"m": runs}).axes]
    assert labels == [bands._LABELS["grad_norm2"], bands._LABELS["f_gap"]]
