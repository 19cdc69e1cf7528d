"""Seeded collocation points: Latin hypercube, scrambled Sobol or uniform random (scipy.stats.qmc).

Points are a pure function of (bounds, n, method, seed), so a resumed run redraws exactly the set an
uninterrupted run used; resampling every N steps uses seed ``(seed, block)`` for block = step // N.
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
