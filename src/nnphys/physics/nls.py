"""Focusing nonlinear Schrödinger equation (Raissi, Perdikaris & Karniadakis 2019).

    i h_t + 1/2 h_xx + |h|^2 h = 0,   x in [-5, 5) periodic,   t in [0, pi/2],
    h(x, 0) = 2 sech(x).

With h = u + i v the equation splits into two real equations,

    real:  -v_t + 1/2 u_xx + (u^2 + v^2) u = 0
    imag:   u_t + 1/2 v_xx + (u^2 + v^2) v = 0.

Conserved: mass N = ∫|h|^2 dx and Hamiltonian H = ∫ (1/2 |h_x|^2 - 1/2 |h|^4) dx.
Nondimensional units throughout. The 1-soliton h = sech(x) e^{i t / 2} is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    x_min: float = -5.0
    x_max: float = 5.0
    t_end: float = float(np.pi / 2)
    nx: int = 256             # written grid (Raissi: 256 points)
    nt: int = 201             # written times (Raissi: 201)
    substeps: int = 100       # split steps between written times
    method: str = "yoshida4"  # "strang" (order 2) or "yoshida4" (order 4)
    amplitude: float = 2.0    # h(x, 0) = amplitude * sech(x)

    @classmethod
    def from_dict(cls, d: Mapping) -> "Params":
        return cls(**d)


def initial(p: Params, x: np.ndarray) -> np.ndarray:
    """h(x, 0) as a complex numpy array."""
    return (p.amplitude / np.cosh(x)).astype(complex)


def soliton(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Exact 1-soliton sech(x) exp(i t / 2), broadcasting x against t."""
    return np.exp(0.5j * t) / np.cosh(x)


def residual(fields: Mapping, derivs: Mapping, p: Params):
    """Real and imaginary parts of i h_t + 1/2 h_xx + |h|^2 h (numpy or torch).

    ``fields`` holds ``u`` and ``v`` (h = u + i v); ``derivs`` holds
    ``u_t, v_t, u_xx, v_xx``.
    """
    u, v = fields["u"], fields["v"]
    m = u * u + v * v
    return (-derivs["v_t"] + 0.5 * derivs["u_xx"] + m * u,
            derivs["u_t"] + 0.5 * derivs["v_xx"] + m * v)
