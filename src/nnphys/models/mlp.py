"""Fully connected network with scaled (or exactly periodic) inputs.

    u(x) = W_L σ(W_{L-1} σ( ... σ(W_1 z(x) + b_1) ... ) + b_{L-1}) + b_L

``z(x)`` maps each input column to [-1, 1] from its bounds, ``z_i = 2 (x_i - lo_i) / (hi_i - lo_i) - 1``,
or, for a column declared periodic with period P, to the two features
``cos(2π x_i / P), sin(2π x_i / P)``: every function of those is exactly P-periodic in x_i,
with all its derivatives.

Shapes: input (N, d_in), output (N, d_out). Weights are Xavier-normal, biases zero (Glorot & Bengio 2010,
as in Raissi et al. 2019). ``embed`` and ``layers`` are public so that derivatives can be propagated
through the network layer by layer (see :mod:`nnphys.pinn.derivatives`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

ACTIVATIONS = {"tanh": torch.tanh, "sin": torch.sin}


class MLP(nn.Module):
    def __init__(self, lower: Sequence[float], upper: Sequence[float], out_features: int, width: int = 20,
                 depth: int = 3, activation: str = "tanh", periodic: Mapping[int, float] | None = None):
        """``lower``/``upper``: bounds of each input column; ``depth`` hidden layers of ``width`` units;
        ``periodic``: {input column: period} for columns embedded as cos/sin."""
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r} (known: {', '.join(ACTIVATIONS)})")
        if len(lower) != len(upper) or any(h <= lo for lo, h in zip(lower, upper)):
            raise ValueError(f"input bounds must satisfy lower < upper, got {lower}, {upper}")
        periodic = dict(periodic or {})
        n_in = len(lower)
        self.activation = activation
        self.linear_cols = [i for i in range(n_in) if i not in periodic]
        self.periodic_cols = sorted(periodic)
        # float64 buffers: a later .to(float64) must not inherit float32 rounding of the bounds
        f64 = dict(dtype=torch.float64)
        self.register_buffer("lower", torch.tensor([lower[i] for i in self.linear_cols], **f64))
        self.register_buffer("scale", torch.tensor([2.0 / (upper[i] - lower[i]) for i in self.linear_cols], **f64))
        self.register_buffer("omega", torch.tensor([2 * math.pi / periodic[i] for i in self.periodic_cols], **f64))
        sizes = [len(self.linear_cols) + 2 * len(self.periodic_cols)] + [width] * depth + [out_features]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        for layer in self.layers:
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Input features z(x): (N, d_in) -> (N, n_linear + 2 n_periodic)."""
        z = ((x[:, self.linear_cols] - self.lower) * self.scale - 1).to(x.dtype)
        if not self.periodic_cols:
            return z
        angle = x[:, self.periodic_cols] * self.omega
        return torch.cat([z, torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)], dim=-1)

    def embed_jet(self, x: torch.Tensor, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """First and second derivatives of the features z(x) along input column ``i``, each (N, features)."""
        n, n_lin, n_per = x.shape[0], len(self.linear_cols), len(self.periodic_cols)
        dz = x.new_zeros(n, n_lin + 2 * n_per)
        d2z = x.new_zeros(n, n_lin + 2 * n_per)
        if i in self.linear_cols:
            k = self.linear_cols.index(i)
            dz[:, k] = self.scale[k]
        else:
            k = self.periodic_cols.index(i)
            w = self.omega[k]
            c, s = torch.cos(x[:, i] * w), torch.sin(x[:, i] * w)
            dz[:, n_lin + k], dz[:, n_lin + n_per + k] = -w * s, w * c
            d2z[:, n_lin + k], d2z[:, n_lin + n_per + k] = -w * w * c, -w * w * s
        return dz, d2z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = ACTIVATIONS[self.activation]
        h = self.embed(x)
        for layer in self.layers[:-1]:
            h = act(layer(h))
        return self.layers[-1](h)
