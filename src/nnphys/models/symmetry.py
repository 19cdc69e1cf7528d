"""The point group D4 of the square lattice acting on fields, and networks made exactly D4-equivariant.

Fields are channels-first tensors ``(..., C, H, W)`` on a square lattice, H = W, axes (x, y).
The group has 8 elements g = R^k M^f (k = 0..3, f = 0/1): M reflects x -> -x, R rotates by
+90 degrees, (x, y) -> (-y, x), both about the centre of the lattice, which they map onto itself
(for a periodic lattice any centre would do: the models commute with shifts).

A scalar channel s transforms as (g s)(r) = s(g^-1 r); a vector field v = (v_x, v_y), stored as two
channels, as (g v)(r) = R_g v(g^-1 r): its components are permuted and change sign. Which channels
pair into vectors is the caller's knowledge (``vectors``: (x channel, y channel) index pairs); every
other channel is a scalar.

:class:`Symmetrized` averages a network over the group, f_G(x) = (1/8) sum_g g^-1 f(g x), which is
exactly equivariant, f_G(g x) = g f_G(x), for any f, at 8 forward passes (batched into one).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

Vectors = Sequence[tuple[int, int]]

ELEMENTS = tuple((k, f) for f in (0, 1) for k in range(4))  # (rotations k, reflection f): g = R^k M^f


def _mix(x: torch.Tensor, vectors: Vectors, matrix: tuple[int, int, int, int]) -> torch.Tensor:
    """Each vector pair (v_x, v_y) -> A (v_x, v_y), A = [[a, b], [c, d]] a signed permutation; scalars kept."""
    if not vectors:
        return x
    a, b, c, d = matrix
    channels = list(x.unbind(dim=-3))
    for i, j in vectors:
        vx, vy = channels[i], channels[j]
        channels[i], channels[j] = a * vx + b * vy, c * vx + d * vy
    return torch.stack(channels, dim=-3)


def _reflect(x: torch.Tensor, vectors: Vectors) -> torch.Tensor:
    """M: s(x, y) -> s(-x, y); vector components (v_x, v_y) -> (-v_x, v_y)."""
    return _mix(torch.flip(x, dims=(-2,)), vectors, (-1, 0, 0, 1))


def _rotate(x: torch.Tensor, vectors: Vectors, k: int) -> torch.Tensor:
    """R^k: s(r) -> s(R^-k r); components (v_x, v_y) -> R^k (v_x, v_y), R = [[0, -1], [1, 0]]."""
    k %= 4
    out = torch.rot90(x, k, dims=(-2, -1))  # k = 1: out[i, j] = x[j, n - 1 - i], i.e. s(R^-1 r)
    return _mix(out, vectors, ((1, 0, 0, 1), (0, -1, 1, 0), (-1, 0, 0, -1), (0, 1, -1, 0))[k])


def act(g: tuple[int, int], x: torch.Tensor, vectors: Vectors = ()) -> torch.Tensor:
    """g x for g = (k, f) = R^k M^f."""
    k, f = g
    return _rotate(_reflect(x, vectors) if f else x, vectors, k)


def act_inverse(g: tuple[int, int], x: torch.Tensor, vectors: Vectors = ()) -> torch.Tensor:
    """g^-1 x = M^f R^-k x."""
    k, f = g
    out = _rotate(x, vectors, -k)
    return _reflect(out, vectors) if f else out


def act_each(elements: torch.Tensor, x: torch.Tensor, vectors: Vectors = ()) -> torch.Tensor:
    """Sample i of ``x`` (N, C, H, W) transformed by ELEMENTS[elements[i]] (data augmentation)."""
    out = torch.empty_like(x)
    for e, g in enumerate(ELEMENTS):
        mask = elements == e
        if mask.any():
            out[mask] = act(g, x[mask], vectors)
    return out


def equivariance_error(f, x: torch.Tensor, in_vectors: Vectors = (), out_vectors: Vectors = ()) -> float:
    """Mean over the 7 non-identity g and the samples of ||f(g x) - g f(x)|| / ||f(x)||."""
    fx = f(x)
    errs = []
    for g in ELEMENTS[1:]:
        diff = f(act(g, x, in_vectors)) - act(g, fx, out_vectors)
        errs.append(diff.flatten(1).norm(dim=1) / fx.flatten(1).norm(dim=1))
    return float(torch.stack(errs).mean())


def average(f, x: torch.Tensor, in_vectors: Vectors = (), out_vectors: Vectors = ()) -> torch.Tensor:
    """f_G(x) = (1/8) sum_g g^-1 f(g x), the 8 transformed inputs in one batch of f."""
    n = x.shape[0]
    y = f(torch.cat([act(g, x, in_vectors) for g in ELEMENTS]))
    return torch.stack([act_inverse(g, y[i * n:(i + 1) * n], out_vectors) for i, g in enumerate(ELEMENTS)]).mean(0)


class Symmetrized(nn.Module):
    """``f`` made exactly D4-equivariant by :func:`average`; (N, C_in, H, W) -> (N, C_out, H, W)."""

    def __init__(self, f: nn.Module, in_vectors: Vectors = (), out_vectors: Vectors = ()):
        super().__init__()
        self.f, self.in_vectors, self.out_vectors = f, tuple(in_vectors), tuple(out_vectors)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return average(self.f, x, self.in_vectors, self.out_vectors)
