"""Seeded collocation points: Latin hypercube, scrambled Sobol or uniform random (scipy.stats.qmc).

Points are a pure function of (bounds, n, method, seed), so a resumed run redraws exactly the set an
uninterrupted run used; resampling every N steps uses seed ``(seed, block)`` for block = step // N.

:func:`log_times` stretches drawn times towards the start, for solutions that decay: a uniformly drawn
time set puts few points in an early transient although the solution, and so its L2 norm, lives there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc

METHODS = ("lhs", "sobol", "uniform")


def sample(n: int, lower: Sequence[float], upper: Sequence[float], method: str = "lhs",
           seed: int | Sequence[int] = 0) -> np.ndarray:
    """``n`` points in the box [lower, upper] (one column per dimension), shape (n, d)."""
    rng = np.random.default_rng(seed)
    d = len(lower)
    if method == "lhs":
        unit = qmc.LatinHypercube(d, rng=rng).random(n)
    elif method == "sobol":
        # scrambled Sobol is balanced only for powers of two; other n still work, slightly less evenly
        engine = qmc.Sobol(d, scramble=True, rng=rng)
        m = int(np.ceil(np.log2(max(n, 1))))
        unit = engine.random_base2(m)[:n]
    elif method == "uniform":
        unit = rng.random((n, d))
    else:
        raise ValueError(f"unknown sampling method {method!r} (known: {', '.join(METHODS)})")
    return qmc.scale(unit, lower, upper) if d else unit


def log_times(t: np.ndarray, t0: float, t1: float, scale: float) -> np.ndarray:
    """Times drawn uniformly on [t0, t1] mapped to times uniform in log(1 + (t - t0) / scale):

        t -> t0 + scale (exp(u log(1 + (t1 - t0) / scale)) - 1),   u = (t - t0) / (t1 - t0),

    a density ∝ 1 / (scale + t - t0): about as many points in [t0, t0 + scale] as in each later stretch
    that is e times longer. ``scale`` ≫ t1 - t0 tends to uniform. Monotone, with t0 and t1 fixed, so a Latin
    hypercube stays one (in the stretched time)."""
    u = (np.asarray(t) - t0) / (t1 - t0)
    return t0 + scale * np.expm1(u * np.log1p((t1 - t0) / scale))
