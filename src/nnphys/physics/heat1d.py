"""1D heat equation with homogeneous Dirichlet boundaries.

    u_t = k u_xx,   x in [0, L], t in [0, T],   u(0, t) = u(L, t) = 0,
    u(x, 0) = sum_n a_n sin(n pi x / L).

Units are nondimensional: x in units of L, t in units of the diffusion time
scale, k in L^2 / t. The closed form is
u = sum_n a_n exp(-k (n pi / L)^2 t) sin(n pi x / L).

Reference solver (:func:`solve`): Crank–Nicolson on the 3-point Laplacian,
second order in dx and dt. It runs on a grid ``refine`` times finer in x than
the written one and takes ``substeps`` steps per written time interval, so the
reference is far more accurate than the written grid suggests (defaults:
relative error ~1e-5 for the DeepXDE problem k=0.4, L=T=1, u0=sin(pi x)).
The matrix I - (k dt / 2) D_xx is symmetric positive definite and tridiagonal:
it is Cholesky-factorized once (``scipy.linalg.cholesky_banded``) and each
step is one banded back-substitution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.linalg import cho_solve_banded, cholesky_banded

from nnphys.io import T, X


@dataclass(frozen=True)
class Params:
    k: float = 0.4
    length: float = 1.0
    t_end: float = 1.0
    nx: int = 201
    nt: int = 201
    substeps: int = 10        # Crank–Nicolson steps per written time interval
    refine: int = 4           # solver grid is `refine` times finer in x than the written grid
    # Initial condition: (mode number n, amplitude a_n) pairs.
    modes: tuple[tuple[int, float], ...] = field(default_factory=lambda: ((1, 1.0),))

    @classmethod
    def from_dict(cls, d: Mapping) -> "Params":
        d = dict(d)
        if "modes" in d:
            d["modes"] = tuple((int(m["n"]), float(m["amplitude"])) if isinstance(m, Mapping) else tuple(m)
                               for m in d["modes"])
        return cls(**d)


def initial(p: Params, x: np.ndarray) -> np.ndarray:
    """u(x, 0); numpy in, numpy out."""
    return sum(a * np.sin(n * np.pi * x / p.length) for n, a in p.modes)


def exact(p: Params, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Closed-form u(x, t), broadcasting x against t."""
    return sum(a * np.exp(-p.k * (n * np.pi / p.length) ** 2 * t) * np.sin(n * np.pi * x / p.length)
               for n, a in p.modes)


def residual(fields: Mapping, derivs: Mapping, p: Params):
    """PDE residual u_t - k u_xx. Plain arithmetic: numpy arrays or torch tensors.

    ``derivs`` holds ``u_t`` and ``u_xx``; returns a tuple of residual components.
    """
    return (derivs["u_t"] - p.k * derivs["u_xx"],)


def grid(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Written coordinates: x (nx points on [0, L], boundaries included) and t (nt points on [0, T])."""
    return np.linspace(0.0, p.length, p.nx), np.linspace(0.0, p.t_end, p.nt)


def crank_nicolson(p: Params) -> np.ndarray:
    """u on the written grid, shape (nt, nx), from Crank–Nicolson on the refined grid."""
    nf = (p.nx - 1) * p.refine + 1
    xf = np.linspace(0.0, p.length, nf)
    dx = xf[1] - xf[0]
    dt = p.t_end / ((p.nt - 1) * p.substeps)
    r = p.k * dt / dx**2
    m = nf - 2  # interior unknowns; u = 0 on both boundaries
    upper = np.empty((2, m))
    upper[0] = -0.5 * r
    upper[1] = 1.0 + r
    factor = (cholesky_banded(upper, check_finite=False), False)

    u = initial(p, xf)
    u[0] = u[-1] = 0.0
    out = np.empty((p.nt, p.nx))
    out[0] = u[:: p.refine]
    for i in range(1, p.nt):
        for _ in range(p.substeps):
            rhs = (1.0 - r) * u[1:-1] + 0.5 * r * (u[:-2] + u[2:])
            u[1:-1] = cho_solve_banded(factor, rhs, check_finite=False)
        out[i] = u[:: p.refine]
    return out


def solve(p: Params) -> xr.Dataset:
    """Reference solution: variable ``u`` with dims (t, x)."""
    x, t = grid(p)
    return xr.Dataset(
        {"u": ((T, X), crank_nicolson(p), {"units": "1", "long_name": "temperature u"})},
        coords={
            T: (T, t, {"units": "1", "long_name": "time (diffusion time units)"}),
            X: (X, x, {"units": "1", "long_name": "position x / L"}),
        },
        attrs={"equation": "u_t = k u_xx, u(0,t) = u(L,t) = 0",
               "scheme": "Crank-Nicolson, 3-point Laplacian, 2nd order in dx and dt"},
    )
