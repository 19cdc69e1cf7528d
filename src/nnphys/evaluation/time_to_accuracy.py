"""Time to accuracy: the measure the training benchmarks and the optimizer comparisons report."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def seconds_to(wall: np.ndarray, err: np.ndarray, bars: Iterable[float]) -> dict[str, float | None]:
    """Per bar (keyed ``str(bar)``): the first wall time at which the error ``err`` (aligned with ``wall``, as
    in a training history) is at most the bar; None if it never is."""
    wall, err = np.asarray(wall, dtype=float), np.asarray(err, dtype=float)
    out = {}
    for bar in bars:
        hit = np.nonzero(err <= bar)[0]
        out[str(bar)] = float(wall[hit[0]]) if len(hit) else None
    return out
