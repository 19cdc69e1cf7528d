"""2D heat equation on a square lattice from random smooth initial states.

    u_t = k (u_xx + u_yy),   (x, y) in [0, L]^2,   periodic or Dirichlet (u = 0),
    u(x, y, 0) = Gaussian random field of correlation length ``length_scale``.

Semi-discretization: the Laplacian is the 5-point stencil (``laplacian: fd``)
or spectral (``laplacian: spectral``) on the lattice of :mod:`lattice`.
Time integration is exact: the transform (rfft2 periodic, DST-I Dirichlet)
diagonalizes the discrete Laplacian, so each mode evolves as

    u_hat(t) = u_hat(0) exp(k lambda t),

lambda the discrete eigenvalue. The written data are thus the exact solution
of the lattice ODE system at every written time (no time-stepping error; only
rounding). All samples and times are produced by broadcasting, in chunks of
samples to bound memory.

Data: ``u`` with dims (sample, t, x, y); ``nt`` written times 0, dt, ..., (nt-1) dt.
Nondimensional units (x in units of L, t in units of L^2 / k for k = 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from nnphys.io import SAMPLE, T, X, Y
from nnphys.physics import lattice
from nnphys.physics.grf import gaussian_random_field

# Samples evolved per broadcast: bounds the (chunk, nt, n, n) complex intermediate.
CHUNK = 64


@dataclass(frozen=True)
class Params:
    k: float = 1.0
    length: float = 1.0
    n: int = 32
    n_samples: int = 256
    nt: int = 51
    dt: float = 5e-4
    boundary: str = "periodic"
    laplacian: str = "fd"
    length_scale: float = 0.1
    seed: int = 0
    dtype: str = "float32"

    @classmethod
    def from_dict(cls, d: Mapping) -> "Params":
        p = cls(**d)
        lattice.check_choices("heat2d", p, {"boundary": lattice.BOUNDARIES, "laplacian": lattice.LAPLACIANS,
                                            "dtype": lattice.DTYPES})
        return p


def initial(p: Params) -> np.ndarray:
    """Initial states, shape (n_samples, n, n), from ``seed``."""
    rng = np.random.default_rng(p.seed)
    return gaussian_random_field(rng, p.n_samples, p.n, p.length, p.boundary, p.length_scale)


def evolve(u0: np.ndarray, times: np.ndarray, p: Params) -> np.ndarray:
    """Exact lattice evolution of u0 (..., n, n) to ``times``: shape (..., len(times), n, n), float64."""
    lam = lattice.laplacian_eigenvalues(p.n, p.length, p.boundary, p.laplacian)
    decay = np.exp(p.k * lam * np.asarray(times, dtype=float)[:, None, None])
    return lattice.inverse(lattice.forward(u0, p.boundary)[..., None, :, :] * decay, p.n, p.boundary)


def solve(p: Params) -> xr.Dataset:
    """Reference dataset: ``u`` (sample, t, x, y)."""
    u0 = initial(p)
    t = p.dt * np.arange(p.nt)
    u = np.empty((p.n_samples, p.nt, p.n, p.n), dtype=p.dtype)
    for start in range(0, p.n_samples, CHUNK):
        u[start:start + CHUNK] = evolve(u0[start:start + CHUNK], t, p)
    x = lattice.coords(p.n, p.length, p.boundary)
    return xr.Dataset(
        {"u": ((SAMPLE, T, X, Y), u, {"units": "1", "long_name": "temperature u"})},
        coords={SAMPLE: (SAMPLE, np.arange(p.n_samples), {"units": "1", "long_name": "sample index"}),
                T: (T, t, {"units": "1", "long_name": "time"}),
                X: (X, x, {"units": "1", "long_name": "position x / L"}),
                Y: (Y, x.copy(), {"units": "1", "long_name": "position y / L"})},
        attrs={"equation": "u_t = k (u_xx + u_yy)",
               "scheme": f"exact-in-time exponential integrator on the {p.laplacian} Laplacian, {p.boundary}"},
    )
