"""1D heat equation with homogeneous Dirichlet boundaries.

    u_t = k u_xx,   x in [0, L], t in [0, T],   u(0, t) = u(L, t) = 0,
    u(x, 0) = sum_n a_n sin(n pi x / L).

Units are nondimensional: x in units of L, t in units of the diffusion time
scale, k in L^2 / t. The closed form is
u = sum_n a_n exp(-k (n pi / L)^2 t) sin(n pi x / L).

Reference solver (:func:`march`): the 3-point Laplacian D_xx in x (second
order in dx) and TR-BDF2 in t (second order in dt): each step of length h is
a trapezoidal stage to t + gamma h, then a BDF2 stage through t, t + gamma h
and t + h, with gamma = 2 - sqrt 2 (Bank et al. 1985). It runs on a grid
``refine`` times finer in x than the written one and takes ``substeps`` steps
per written time interval.

Why not Crank–Nicolson: CN is A-stable but not L-stable. Its factor per step
for a mode of decay rate lambda is (1 - z/2) / (1 + z/2), z = lambda h, which
tends to -1 as z grows: a stiff mode flips sign each step instead of decaying
(one CN step of h = 1 on 21 points gave u(0.5, 1) = -0.327 for an exact
+0.0193). TR-BDF2 is L-stable: its factor
R(z) = (1 - (sqrt 2 - 1) z) / (1 + (1 - 1/sqrt 2) z)^2 tends to 0 as z grows,
so stiff modes are damped at every step; its error constant is half of CN's.
With this gamma both stages solve with the same matrix
I - (1 - 1/sqrt 2) h k D_xx, symmetric positive definite and tridiagonal: it
is factorized once (LAPACK ``pttrf``) and each stage is one ``pttrs``
back-substitution.

The check (:func:`check`, run by :func:`solve`): the initial state is a sum
of sine modes, so every run has a closed form. After solving, the written
field is compared with it at every written time: the error is the largest
max_x |u - exact| / max_x |exact| over the times at which the solution still
holds at least ``FLOOR`` (1e-6) of its initial maximum, and above
``tolerance`` the run is refused with a :class:`~nnphys.configcheck.ConfigError`
naming the key that limits it. Relative at each time, because a user compares
fields at each time (a single mode 5 with 10 steps per written interval loses
a third of its amplitude by t = 0.1: a small error measured against u(x, 0),
a large one against u(x, 0.1)); not below the floor, where a mode has decayed
to nothing and no scheme is accurate relative to itself, nor needs to be. The
error splits into a grid part (the closed form of the space-discretized
equations, :func:`semidiscrete`, against the exact one) and a time part (the
solver against :func:`semidiscrete`): a large time part asks for more
``substeps``, a large grid part for a larger ``refine``. Defaults (k = 0.4,
L = T = 1, u0 = sin(pi x), DeepXDE's problem): error 2e-5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.linalg.lapack import dpttrf, dpttrs

from nnphys.configcheck import ConfigError
from nnphys.io import T, X

GAMMA = 2.0 - math.sqrt(2.0)  # TR-BDF2 stage point; makes both stages' matrices equal
FLOOR = 1e-6  # times where max|u| has decayed below this fraction of max|u(x, 0)| are not checked


@dataclass(frozen=True)
class Params:
    k: float = 0.4
    length: float = 1.0
    t_end: float = 1.0
    nx: int = 201
    nt: int = 201
    substeps: int = 10        # TR-BDF2 steps per written time interval
    refine: int = 4           # solver grid is `refine` times finer in x than the written grid
    # Initial condition: (mode number n, amplitude a_n) pairs.
    modes: tuple[tuple[int, float], ...] = field(default_factory=lambda: ((1, 1.0),))
    tolerance: float = 1e-2   # largest accepted max|u - exact| / max|exact| at a written time (see check)

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


def initial_jet(p: Params, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """u(x, 0) and its first and second x-derivatives (for hard initial constraints); numpy in, numpy out."""
    x = np.asarray(x, dtype=float)
    w = [(n * np.pi / p.length, a) for n, a in p.modes]
    zero = np.zeros_like(x)
    return (sum((a * np.sin(c * x) for c, a in w), zero), sum((a * c * np.cos(c * x) for c, a in w), zero),
            sum((-a * c * c * np.sin(c * x) for c, a in w), zero))


def decay_time(p: Params) -> float:
    """The e-folding time L² / (k π² n²) of the slowest mode present (smallest n with a nonzero amplitude):
    the time over which the solution, and so most of its L2 norm over t, decays. Units of t."""
    n = min((n for n, a in p.modes if a != 0), default=min(n for n, _ in p.modes))
    return p.length ** 2 / (p.k * np.pi ** 2 * n ** 2)


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


def solver_dx(p: Params) -> float:
    """Spacing of the solver grid: (nx - 1) * refine intervals on [0, L]."""
    return p.length / ((p.nx - 1) * p.refine)


def semidiscrete(p: Params, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Closed form of u_t = k D_xx u on the solver grid (exact in t), broadcasting x against t.

    x must be solver grid points. Sampled sine modes are eigenvectors of the
    3-point Laplacian D_xx, so there mode n decays at the rate
    (4 k / dx^2) sin^2(n pi dx / (2 L)) instead of k (n pi / L)^2.
    """
    dx = solver_dx(p)
    return sum(a * np.exp(-4.0 * p.k / dx**2 * np.sin(n * np.pi * dx / (2 * p.length)) ** 2 * t)
               * np.sin(n * np.pi * x / p.length)
               for n, a in p.modes)


def march(p: Params) -> np.ndarray:
    """u on the written grid, shape (nt, nx), from TR-BDF2 on the refined grid (not checked)."""
    nf = (p.nx - 1) * p.refine + 1
    xf = np.linspace(0.0, p.length, nf)
    h = p.t_end / ((p.nt - 1) * p.substeps)
    s = GAMMA / 2 * p.k * h / solver_dx(p) ** 2
    m = nf - 2  # interior unknowns; u = 0 on both boundaries
    # M = I - s D (D the unscaled 3-point stencil): diagonal 1 + 2s, off-diagonals -s; LDL^T once.
    d, e, _ = dpttrf(np.full(m, 1.0 + 2.0 * s), np.full(m - 1, -s))
    # BDF2 stage: M u_{n+1} = c1 u_gamma - c0 u_n, the 3-point BDF weights on t, t + gamma h, t + h.
    c1 = 1.0 / (GAMMA * (2.0 - GAMMA))
    c0 = (1.0 - GAMMA) ** 2 / (GAMMA * (2.0 - GAMMA))

    u = initial(p, xf)
    u[0] = u[-1] = 0.0
    out = np.empty((p.nt, p.nx))
    out[0] = u[:: p.refine]
    for i in range(1, p.nt):
        for _ in range(p.substeps):
            # Trapezoidal stage to t + gamma h: M u_gamma = (I + s D) u_n.
            u_gamma, _ = dpttrs(d, e, (1.0 - 2.0 * s) * u[1:-1] + s * (u[:-2] + u[2:]))
            u[1:-1], _ = dpttrs(d, e, c1 * u_gamma - c0 * u[1:-1])
        out[i] = u[:: p.refine]
    return out


def errors(p: Params, u: np.ndarray) -> dict[str, float]:
    """Errors of the written field ``u`` (nt, nx) against the closed forms, relative at each written time.

    Each part is the largest max_x |difference| / max_x |exact| over the written
    times at which max_x |exact| is at least ``FLOOR`` times its initial value.
    ``total``: u against :func:`exact`; ``space``: :func:`semidiscrete`
    against :func:`exact` (what a finer solver grid removes); ``time``: u
    against :func:`semidiscrete` (what more substeps remove). All are 0 when
    u(x, 0) vanishes on the written grid.
    """
    x, t = grid(p)
    ex = exact(p, x[None, :], t[:, None])
    semi = semidiscrete(p, x[None, :], t[:, None])
    scale = np.abs(ex).max(axis=1)
    live = scale >= FLOOR * scale[0]
    if scale[0] == 0.0:  # every mode vanishes on the written grid, and so do u, exact and their difference
        return {"total": 0.0, "space": 0.0, "time": 0.0}

    def worst(a: np.ndarray, b: np.ndarray) -> float:
        return float((np.abs(a - b).max(axis=1)[live] / scale[live]).max())

    return {"total": worst(u, ex), "space": worst(semi, ex), "time": worst(u, semi)}


def check(p: Params, u: np.ndarray) -> None:
    """Refuse ``u`` if it misses the closed form by more than ``p.tolerance``; the message names the key.

    The key named is the one of the larger part (time: ``substeps``, grid:
    ``refine``). Suggested values assume each part's second-order decay
    (halve the step, quarter the error) and aim at half the tolerance.
    """
    err = errors(p, u)
    if err["total"] <= p.tolerance:
        return
    fixes = {"time": ("substeps", p.substeps, "nt", "the time step is too long"),
             "space": ("refine", p.refine, "nx", "the solver grid is too coarse")}
    limiting = max(fixes, key=err.get)
    advice = [f"raise {key} (now {now}) to about {math.ceil(now * math.sqrt(2.0 * err[part] / p.tolerance))}, or {alt}"
              for part, (key, now, alt, _) in fixes.items() if part == limiting or err[part] > p.tolerance / 2]
    key, _, _, why = fixes[limiting]
    raise ConfigError(
        f"config key 'reference.heat1d.{key}': {why}: u misses the closed form by {err['total']:.2g} of "
        f"max|u| at some written time (time error {err['time']:.2g}, grid error {err['space']:.2g}), above "
        f"reference.heat1d.tolerance = {p.tolerance:g}; {'; '.join(advice)}")


def solve(p: Params) -> xr.Dataset:
    """Reference solution: variable ``u`` with dims (t, x), checked against the closed form."""
    x, t = grid(p)
    u = march(p)
    check(p, u)
    return xr.Dataset(
        {"u": ((T, X), u, {"units": "1", "long_name": "temperature u"})},
        coords={
            T: (T, t, {"units": "1", "long_name": "time (diffusion time units)"}),
            X: (X, x, {"units": "1", "long_name": "position x / L"}),
        },
        attrs={"equation": "u_t = k u_xx, u(0,t) = u(L,t) = 0",
               "scheme": "TR-BDF2 (L-stable), 3-point Laplacian, 2nd order in dx and dt"},
    )
