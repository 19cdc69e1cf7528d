"""Calibration of a predictive distribution against the truth: numpy arithmetic, no torch.

Every function takes arrays of one shape, flattened: the truth ``y``, the predictive mean ``m`` and standard
deviation ``s``. The error is e = m - y and the standardized error z = e / s. Points where s = 0 make no
uncertainty statement (every ensemble member agrees exactly, e.g. a PINN's hard-constrained boundary and
initial values) and are left out of every measure here; :func:`certain_fraction` says how many there were.

    coverage(k)        fraction of points with |y - m| <= k s. For a calibrated Gaussian prediction
                       (y ~ N(m, s²)) it is erf(k / √2): 0.683 for k = 1, 0.954 for k = 2
                       (:func:`gaussian_coverage`).
    exchangeable(k, n) what coverage(k) is for an ensemble of n draws whose truth is one more draw of the same
                       distribution and s is the sample standard deviation (ddof = 1): (y - m) / s is then
                       √(1 + 1/n) times Student's t with n - 1 degrees of freedom, so the coverage is
                       P(|t_{n-1}| <= k / √(1 + 1/n)); 0.59 and 0.86 for n = 5 (k = 1, 2), the bar a
                       5-member ensemble can reach, not 0.954.
    reliability(p)     the observed fraction inside the central interval of nominal probability p,
                       m ± Φ⁻¹((1 + p)/2) s, for each p; on the diagonal for a calibrated Gaussian.
    sigma_error_corr   Pearson correlation of s and |e| over the points: does the network know where it errs?
    sigma_over_rmse    sqrt(mean s²) / sqrt(mean e²): 1 if the spread matches the error on average, < 1 over-
                       confident, > 1 under-confident.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special, stats

LEVELS = tuple(np.round(np.linspace(0.05, 0.95, 19), 2)) + (0.99,)  # nominal probabilities of the reliability curve


def _uncertain(y: np.ndarray, m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(e, s) flattened at the points with s > 0; ``ValueError`` if shapes differ, s < 0 or there is no such point."""
    y, m, s = (np.asarray(a, dtype=float).ravel() for a in (y, m, s))
    if not y.shape == m.shape == s.shape:
        raise ValueError(f"truth, mean and std differ in size: {y.size}, {m.size}, {s.size}")
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError("a standard deviation must be finite and >= 0")
    keep = s > 0
    if not keep.any():
        raise ValueError("every standard deviation is 0: no uncertainty to calibrate")
    return (m - y)[keep], s[keep]


def certain_fraction(s: np.ndarray) -> float:
    """Fraction of points with s = 0 (left out of the other measures)."""
    return float(np.mean(np.asarray(s) == 0))


def coverage(y: np.ndarray, m: np.ndarray, s: np.ndarray, k: float) -> float:
    """Fraction of points with |y - m| <= k s."""
    e, s = _uncertain(y, m, s)
    return float(np.mean(np.abs(e) <= k * s))


def gaussian_coverage(k: float) -> float:
    """P(|Z| <= k) for a standard normal Z: erf(k / √2)."""
    return float(special.erf(k / np.sqrt(2)))


def exchangeable_coverage(k: float, n: int) -> float:
    """coverage(k) expected of an ``n``-member ensemble (sample std) whose truth is one more member."""
    if n < 2:
        raise ValueError(f"a sample standard deviation needs at least 2 draws, got {n}")
    return float(1 - 2 * stats.t.sf(k / np.sqrt(1 + 1 / n), df=n - 1))


def reliability(y: np.ndarray, m: np.ndarray, s: np.ndarray, levels: Sequence[float] = LEVELS) -> np.ndarray:
    """Observed fraction of points inside the central Gaussian interval of each nominal probability in ``levels``."""
    e, s = _uncertain(y, m, s)
    z = np.abs(e) / s
    half_widths = stats.norm.ppf((1 + np.asarray(levels, dtype=float)) / 2)
    return np.mean(z[:, None] <= half_widths[None, :], axis=0)


def sigma_error_corr(y: np.ndarray, m: np.ndarray, s: np.ndarray) -> float:
    """Pearson correlation between s and |y - m| (nan if either is constant)."""
    e, s = _uncertain(y, m, s)
    a, b = s - s.mean(), np.abs(e) - np.abs(e).mean()
    den = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / den) if den > 0 else float("nan")


def sigma_over_rmse(y: np.ndarray, m: np.ndarray, s: np.ndarray) -> float:
    """sqrt(mean s²) / sqrt(mean e²) over the uncertain points."""
    e, s = _uncertain(y, m, s)
    return float(np.sqrt(np.mean(s**2) / np.mean(e**2)))


def binned_error(y: np.ndarray, m: np.ndarray, s: np.ndarray, bins: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """(mean s, mean |e|) in ``bins`` bins of equal point count by s: for a calibrated Gaussian
    mean |e| = √(2/π) mean s in every bin."""
    e, s = _uncertain(y, m, s)
    order = np.argsort(s, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, s.size)) if g.size]
    return np.array([s[g].mean() for g in groups]), np.array([np.abs(e[g]).mean() for g in groups])
