"""Errors of a PINN prediction against a reference solution (numpy arrays or xarray in, numbers out).

All norms are discrete over the reference grid (t, x):

    rel_l2         ||p - r||_2 / ||r||_2 of the headline field: heat1d u; nls |h| (as Raissi et al. 2019)
    max_abs        max |p - r| of the headline field
    rel_l2_abs     nls: on |h| = sqrt(u² + v²)
    rel_l2_complex nls: on h = u + i v, i.e. sqrt(Σ|h_p - h_r|²) / sqrt(Σ|h_r|²)
    mean_abs_residual  mean over the grid of the PDE residual's modulus (computed by the caller)
"""

from __future__ import annotations

import numpy as np

from nnphys.norms import rel_l2


def headline(values: np.ndarray, outputs: tuple[str, ...]) -> np.ndarray:
    """The field errors are headlined on: the single output, or |h| for (u, v)."""
    if outputs == ("u", "v"):
        return np.hypot(values[..., 0], values[..., 1])
    return values[..., 0]


def errors(pred: np.ndarray, ref: np.ndarray, outputs: tuple[str, ...]) -> dict[str, float]:
    """rel_l2 of the headline field, and for nls rel_l2_complex; both (nt, nx, n_outputs)."""
    out = {"rel_l2": float(rel_l2(headline(ref, outputs), headline(pred, outputs)))}
    if outputs == ("u", "v"):
        out["rel_l2_complex"] = float(rel_l2(ref, pred))  # over both components: |h_p - h_r|²
    return out


def metrics(pred: np.ndarray, ref: np.ndarray, outputs: tuple[str, ...], residual: np.ndarray) -> dict[str, float]:
    """Metrics of ``pred`` vs ``ref``, both (nt, nx, n_outputs); ``residual`` |f| on the same grid."""
    hp, hr = headline(pred, outputs), headline(ref, outputs)
    out = {**errors(pred, ref, outputs), "max_abs": float(np.max(np.abs(hp - hr))),
           "mean_abs_residual": float(np.mean(np.abs(residual)))}
    if outputs == ("u", "v"):
        out["rel_l2_abs"] = out["rel_l2"]
    return out
