"""Inverse problems: unknown PDE coefficients as trainable parameters, fitted to sparse noisy data.

A coefficient c > 0 is parametrized as c = exp(θ), so gradient steps act on its scale and it stays
positive. The loss adds a data term MSE(u(t_i, x_i) - d_i) to the PDE (and any IC/BC) terms.

How well c can be known from the data at all: with the initial and boundary values given, the solution
u(t, x; c) has c as its only free parameter, and n samples d_i = u(t_i, x_i; c) + ε_i, ε_i ~ N(0, σ²),
bound the variance of every unbiased estimate by the Cramér–Rao bound

    var ĉ ≥ σ² / Σ_i (∂u/∂c (t_i, x_i))²,

with ∂u/∂c from the physics module's closed form (:func:`cramer_rao_std`). An error far below that
standard deviation is luck in the noise draw, not accuracy.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from torch import nn


class Coefficients(nn.Module):
    """Positive scalar unknowns c_j = exp(θ_j); ``values()`` -> {name: tensor}."""

    def __init__(self, initial: dict[str, float]):
        super().__init__()
        self.log = nn.ParameterDict({k: nn.Parameter(torch.tensor(math.log(v))) for k, v in initial.items()})

    def values(self) -> dict[str, torch.Tensor]:
        return {k: torch.exp(v) for k, v in self.log.items()}


def with_coefficients(params, coefficients: Coefficients):
    """The physics Params with the unknowns replaced by their current (tensor) values."""
    return dataclasses.replace(params, **coefficients.values())


def noisy_samples(t: np.ndarray, x: np.ndarray, values: np.ndarray, n: int, noise: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` distinct grid nodes drawn with ``seed`` and their values plus Gaussian noise of standard
    deviation σ = ``noise * std(values)`` over the drawn nodes (as Raissi et al. 2019). values: (nt, nx, n_out).
    Returns points (n, 2) as (t, x), data (n, n_out) and σ (n_out,)."""
    rng = np.random.default_rng(seed)
    nt, nx, n_out = values.shape
    if n > nt * nx:
        raise ValueError(f"asked for {n} samples from a grid of {nt * nx} nodes")
    idx = rng.choice(nt * nx, size=n, replace=False)
    it, ix = np.unravel_index(idx, (nt, nx))
    flat = values.reshape(nt * nx, n_out)[idx]
    sigma = noise * flat.std(axis=0)
    data = flat + sigma * rng.standard_normal(flat.shape)
    return np.stack([t[it], x[ix]], axis=1), data, sigma


def cramer_rao_std(module, params, name: str, points: np.ndarray, sigma: float, rel_step: float = 1e-4) -> float:
    """Cramér–Rao lower bound on the standard deviation of an unbiased estimate of coefficient ``name``
    from data at ``points`` (n, 2) as (t, x), with noise of standard deviation ``sigma``: the closed form
    ``module.exact(params, x, t)`` differentiated in the coefficient by a central difference (error
    O(rel_step²), far below the bound's own meaning). Infinite where the data carry no information on it
    (every point at t = 0 or on the boundary)."""
    c = float(getattr(params, name))
    h = rel_step * abs(c)
    t, x = points[:, 0], points[:, 1]
    up, down = (module.exact(dataclasses.replace(params, **{name: c + s}), x, t) for s in (h, -h))
    information = np.sum(((up - down) / (2 * h)) ** 2)
    return float(sigma / np.sqrt(information)) if information > 0 else float("inf")
