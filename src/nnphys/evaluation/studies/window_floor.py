"""The lowest error a receptive field allows: the best linear operator that reads only those input cells.

A CNN's output cell ``x = (u, v)`` reads the input cells ``x + (a, b)`` for offsets ``a`` in ``[lo_i, hi_i]`` and
``b`` in ``[lo_j, hi_j]``, where ``i = u mod P``, ``j = v mod P`` and the spans come from
:func:`nnphys.models.receptive_field.spans` (period ``P``). On a periodic ``n x n`` lattice the offsets are taken
mod ``n`` (a span of ``n`` or more cells reads the whole axis). For each class ``(i, j)`` the least-squares weights

    ŷ(x) = Σ_{(a, b) ∈ W_ij} w_ab ρ(x + (a, b)),     A w = c,
    A[(a, b), (a', b')] = C_ρρ(a − a', b − b'),    c[(a, b)] = C_yρ(a, b)

use the stationary correlations ``C_ρρ(d) = ⟨ρ(x + d) ρ(x)⟩`` and ``C_yρ(d) = ⟨ρ(x + d) y(x)⟩``, averages over
every cell and every fitting sample, one output channel ``y`` a column of ``c``. That assumes what holds for the
Poisson data: a periodic lattice, a translation-invariant ρ distribution and a translation-equivariant solve
(only the network's windows depend on the position, not the truth). The weights are applied to the held-out samples, and the error is measured as the
operators' is: the relative L2 error of each sample and channel over the lattice, averaged over samples.

Why it is a floor: the Poisson charge densities are Gaussian random fields, so the best estimate of ``y(x)``
from any set of input cells, in mean square, is linear in them; no network with those receptive fields, linear
or not, has a lower mean-square error (up to the sampling error of the correlations and the metric's per-sample
normalization). A window that covers the lattice holds the exact solve, and its floor is zero up to rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg

from nnphys.norms import rel_l2

RIDGE = 1e-12


def correlations(rho: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``C_ρρ`` ``(n, n)`` and ``C_yρ`` ``(channels, n, n)`` indexed by offset mod n, from ``rho`` ``(samples, n, n)``
    and ``outputs`` ``(samples, channels, n, n)``: Σ_x f(x + d) g(x) = ifft2(F · conj G)(d)."""
    n2 = rho.shape[-1] * rho.shape[-2]
    r = np.fft.fft2(rho)
    c_rr = np.fft.ifft2((r * r.conj()).mean(axis=0)).real / n2
    c_yr = np.fft.ifft2((r[:, None] * np.fft.fft2(outputs).conj()).mean(axis=0)).real / n2
    return c_rr, c_yr


def _offsets(span: tuple[int, int], n: int) -> np.ndarray:
    """The distinct offsets mod n of a span ``(lo, hi)``: all n once it is n cells or wider."""
    lo, hi = span
    return np.arange(n) if hi - lo + 1 >= n else np.arange(lo, hi + 1) % n


def kernels(c_rr: np.ndarray, c_yr: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The least-squares weights of the window ``rows x cols`` (offsets mod n) for each output channel, as
    ``(channels, n, n)`` kernels that are zero outside the window."""
    n = c_rr.shape[-1]
    a, b = (g.ravel() for g in np.meshgrid(rows, cols, indexing="ij"))
    gram = c_rr[(a[:, None] - a[None, :]) % n, (b[:, None] - b[None, :]) % n]
    # A smooth field's Gram matrix is singular to rounding (its highest modes carry ~e^-50 of the variance): a
    # ridge of RIDGE times the variance makes it positive definite for Cholesky. Any ridge gives an estimate that
    # is measured on held-out samples, so an upper bound of the floor; 1e-12 is about the smallest that solves
    # without warnings (depth-2 encoder-decoder on the default data: 0.034 at 1e-10, 0.026 at 1e-12, 0.023 at
    # 1e-14; an SVD least squares: 0.034, 30x slower).
    gram[np.diag_indices_from(gram)] += RIDGE * c_rr[0, 0]
    weights = scipy.linalg.solve(gram, c_yr[:, a, b].T, assume_a="pos")  # (window, channels)
    out = np.zeros(c_yr.shape)
    out[:, a, b] = weights.T
    return out


def predict(rho: np.ndarray, spans: Sequence[tuple[int, int]], c_rr: np.ndarray, c_yr: np.ndarray) -> np.ndarray:
    """``(samples, channels, n, n)``: at each cell, the best linear estimate from the cells its class's window
    reads; classes with the same window share one fit."""
    n, p = rho.shape[-1], len(spans)
    r = np.fft.fft2(rho)[:, None]
    out = np.zeros((rho.shape[0], c_yr.shape[0], *rho.shape[-2:]))
    fitted: dict[tuple[bytes, bytes], np.ndarray] = {}
    for i, row_span in enumerate(spans):
        for j, col_span in enumerate(spans):
            rows, cols = _offsets(row_span, n), _offsets(col_span, n)
            key = (rows.tobytes(), cols.tobytes())
            if key not in fitted:  # ŷ(x) = Σ_d K(d) ρ(x + d) = ifft2(R · conj K̂)(x)
                k = np.fft.fft2(kernels(c_rr, c_yr, rows, cols))
                fitted[key] = np.fft.ifft2(r * k.conj()).real
            out[..., i::p, j::p] = fitted[key][..., i::p, j::p]
    return out


def window_floor(rho_fit: np.ndarray, outputs_fit: np.ndarray, rho_test: np.ndarray, outputs_test: np.ndarray,
                 spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Mean over the test samples of the relative L2 error of the best windowed linear estimate, per channel
    ``(channels,)``; fitted on ``rho_fit`` ``(samples, n, n)``, ``outputs_fit`` ``(samples, channels, n, n)``."""
    if rho_fit.shape[-1] % len(spans) or rho_fit.shape[-2] % len(spans):
        raise ValueError(f"a {rho_fit.shape[-2]}x{rho_fit.shape[-1]} lattice is not a whole number of periods "
                         f"of {len(spans)} cells")
    c_rr, c_yr = correlations(rho_fit.astype(float), outputs_fit.astype(float))
    pred = predict(rho_test.astype(float), spans, c_rr, c_yr)
    return rel_l2(outputs_test, pred, (-2, -1)).mean(axis=0)
