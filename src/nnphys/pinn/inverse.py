"""Inverse problems: unknown PDE coefficients as trainable parameters, fitted to sparse noisy data.

A coefficient c > 0 is parametrized as c = exp(θ), so gradient steps act on its scale and it stays
positive. The loss adds a data term MSE(u(t_i, x_i) - d_i) to the PDE (and any IC/BC) terms.
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
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` distinct grid nodes drawn with ``seed`` and their values plus Gaussian noise of standard
    deviation ``noise * std(values)`` (as Raissi et al. 2019). values: (nt, nx, n_out).
    Returns points (n, 2) as (t, x) and data (n, n_out)."""
    rng = np.random.default_rng(seed)
    nt, nx, n_out = values.shape
    if n > nt * nx:
        raise ValueError(f"asked for {n} samples from a grid of {nt * nx} nodes")
    idx = rng.choice(nt * nx, size=n, replace=False)
    it, ix = np.unravel_index(idx, (nt, nx))
    flat = values.reshape(nt * nx, n_out)[idx]
    data = flat + noise * flat.std(axis=0) * rng.standard_normal(flat.shape)
    return np.stack([t[it], x[ix]], axis=1), data
