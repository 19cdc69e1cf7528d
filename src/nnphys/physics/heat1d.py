"""1D heat equation with homogeneous Dirichlet boundaries.

    u_t = k u_xx,   x in [0, L], t in [0, T],   u(0, t) = u(L, t) = 0,
    u(x, 0) = sum_n a_n sin(n pi x / L).

Units are nondimensional: x in units of L, t in units of the diffusion time
scale, k in L^2 / t. The closed form is
u = sum_n a_n exp(-k (n pi / L)^2 t) sin(n pi x / L).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Params:
    k: float = 0.4
    length: float = 1.0
    t_end: float = 1.0
    nx: int = 201
    nt: int = 201
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
