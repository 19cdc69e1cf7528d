"""A trained PINN on a grid: values and PDE residual at every (t, x) node, in batches."""

from __future__ import annotations

import numpy as np
import torch

from nnphys.pinn.derivatives import jet, named
from nnphys.pinn.problems import INPUTS, T_COL, X_COL, Spec


def grid_points(t: np.ndarray, x: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """(nt * nx, 2) tensor of (t, x) pairs, t-major (matches arrays with dims (t, x))."""
    tt, xx = np.meshgrid(t, x, indexing="ij")
    return torch.as_tensor(np.stack([tt.ravel(), xx.ravel()], axis=1), dtype=like.dtype, device=like.device)


@torch.no_grad()
def on_grid(net, t: np.ndarray, x: np.ndarray, constraints=None, batch: int = 65536) -> np.ndarray:
    """Network outputs on the grid t × x: (nt, nx, n_outputs), through the hard ``constraints`` if given."""
    like = next(net.parameters())
    pts = grid_points(t, x, like)
    out = torch.cat([net(chunk) if constraints is None else constraints.value(chunk, net(chunk))
                     for chunk in pts.split(batch)])
    return out.cpu().numpy().reshape(len(t), len(x), -1)


def residual_on_grid(net, spec: Spec, t: np.ndarray, x: np.ndarray, params=None, batch: int = 16384,
                     constraints=None) -> np.ndarray:
    """Modulus of the PDE residual (sqrt of the sum of squared components) on the grid: (nt, nx)."""
    like = next(net.parameters())
    pts = grid_points(t, x, like)
    parts = []
    for chunk in pts.split(batch):
        u, du, d2u = jet(net, chunk, first=(T_COL,), second=(X_COL,))
        if constraints is not None:
            u, du, d2u = constraints.apply(chunk, u, du, d2u)
        fields, derivs = named(spec.outputs, INPUTS, u, du, d2u)
        res = spec.residual(fields, derivs, params)
        parts.append(torch.sqrt(sum(r.detach() ** 2 for r in res)))
    return torch.cat(parts).cpu().numpy().reshape(len(t), len(x))
