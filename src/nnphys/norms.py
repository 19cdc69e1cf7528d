"""The relative error in the discrete L2 norm: one definition for every stage's metrics and figures.

    rel_l2(true, pred, axes) = ||pred - true||_2 / ||true||_2,  sums of squares over ``axes`` (all by default)

numpy only. A zero truth has no relative error: the result is inf (nan if the prediction is zero too),
which a metrics file refuses rather than record.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rel_l2(true: np.ndarray, pred: np.ndarray, axes: int | Sequence[int] | None = None) -> np.ndarray:
    """||pred - true|| / ||true|| reduced over ``axes`` (every axis if None: a 0-d result)."""
    true = np.asarray(true, dtype=float)
    err = np.asarray(pred, dtype=float) - true
    axes = tuple(axes) if isinstance(axes, Sequence) else axes
    return np.sqrt(np.sum(err**2, axis=axes)) / np.sqrt(np.sum(true**2, axis=axes))
