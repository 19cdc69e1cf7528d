"""Error metrics of a neural operator's predictions (numpy in, numbers out).

Fields are arrays ``(sample, channel, x, y)``; ``true`` and ``pred`` in physical units.

* relative L2 per sample and channel, e = ||pred - true|| / ||true|| over the grid (:func:`per_field`);
  a sample's error is the mean over its channels (channels may have different units);
* ``nrmse``: RMSE over the test set / standard deviation of the truth, per channel, mean over channels;
* ``boundary_rmse``: RMSE on the outermost ring of nodes / RMS of the truth over the whole
  grid, mean over channels (a dimensionless look at edge artefacts of padding);
* Fourier bands: the error's energy by integer mode number |m| = |(mx, my)| of the full
  2D DFT, ``low`` |m| <= n/8, ``mid`` n/8 < |m| <= n/4, ``high`` above, each relative to the
  truth's total energy, so for one channel band_low^2 + band_mid^2 + band_high^2 = (its rel. L2
  over the whole set)^2 (Parseval); the reported bands are means over channels.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from nnphys.norms import rel_l2

BANDS = ("low", "mid", "high")
GRID = (-2, -1)  # the lattice axes (x, y) of every field


def per_field(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Relative L2 error of each field over its grid: shape of ``true`` without the trailing (x, y)."""
    return rel_l2(true, pred, GRID)


def summary(values: np.ndarray, prefix: str) -> dict[str, float]:
    """Mean, median and 95th percentile of per-sample values."""
    return {f"{prefix}_mean": float(np.mean(values)), f"{prefix}_median": float(np.median(values)),
            f"{prefix}_p95": float(np.percentile(values, 95))}


def nrmse(true: np.ndarray, pred: np.ndarray) -> float:
    axes = (0, 2, 3)
    rmse = np.sqrt(((pred - true) ** 2).mean(axis=axes))
    return float(np.mean(rmse / np.maximum(true.std(axis=axes), np.finfo(float).tiny)))


def boundary_rmse(true: np.ndarray, pred: np.ndarray) -> float:
    ring = np.zeros(true.shape[-2:], dtype=bool)
    ring[[0, -1], :] = ring[:, [0, -1]] = True
    err = (pred - true)[..., ring]  # (sample, channel, ring nodes)
    scale = np.sqrt((true**2).mean(axis=(0, 2, 3)))
    return float(np.mean(np.sqrt((err**2).mean(axis=(0, 2))) / np.maximum(scale, np.finfo(float).tiny)))


def band_errors(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """``band_<name>`` error fractions over the whole set, mean over channels."""
    nx, ny = true.shape[-2:]
    m = np.hypot(*np.meshgrid(scipy.fft.fftfreq(nx, 1 / nx), scipy.fft.fftfreq(ny, 1 / ny), indexing="ij"))
    n = min(nx, ny)
    masks = {"low": m <= n / 8, "mid": (m > n / 8) & (m <= n / 4), "high": m > n / 4}
    err_power = (np.abs(scipy.fft.fft2(pred - true, axes=(-2, -1))) ** 2).sum(axis=0)  # (channel, nx, ny)
    true_energy = (np.abs(scipy.fft.fft2(true, axes=(-2, -1))) ** 2).sum(axis=(0, 2, 3))
    return {f"band_{b}": float(np.mean(np.sqrt(err_power[:, mask].sum(axis=-1) / true_energy)))
            for b, mask in masks.items()}


def field_metrics(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """All metrics above for fields ``(sample, channel, x, y)``."""
    per_sample = per_field(true, pred).mean(axis=1)
    return {**summary(per_sample, "rel_l2"), "nrmse": nrmse(true, pred), "boundary_rmse": boundary_rmse(true, pred),
            **band_errors(true, pred)}
