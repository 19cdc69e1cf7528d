"""What a PINN needs to know about each problem: inputs, outputs, domain, initial and boundary conditions.

Inputs are always the columns (t, x), matching the reference files' dims (t, x). The PDE itself is the
physics module's ``residual(fields, derivs, p)``: the loss and the tests share one definition.

    heat1d: output u;     Dirichlet u(t, 0) = u(t, L) = 0;        u(0, x) = Σ a_n sin(nπx/L)
    nls:    outputs u, v (h = u + i v); periodic in x on [x_min, x_max);  h(0, x) = A sech x
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnphys import physics
from nnphys.configcheck import ConfigError

INPUTS = ("t", "x")
T_COL, X_COL = 0, 1

# PINN problem name -> physics module it solves, whose reference file it reads (the inverse problem
# estimates k of heat1d)
PHYSICS = {"heat1d": "heat1d", "nls": "nls", "heat1d_inverse": "heat1d"}
PROBLEMS = tuple(PHYSICS)


@dataclass(frozen=True)
class Spec:
    name: str                     # PINN problem name (e.g. heat1d_inverse)
    physics: str                  # physics module name (e.g. heat1d)
    params: Any                   # the physics module's Params
    outputs: tuple[str, ...]      # network output columns, as the residual names them
    lower: tuple[float, float]    # (t_min, x_min)
    upper: tuple[float, float]    # (t_max, x_max)
    boundary: str                 # "dirichlet" (zero) or "periodic"

    @property
    def module(self):
        return physics.get(self.physics)

    @property
    def period(self) -> float:
        return self.upper[X_COL] - self.lower[X_COL]

    def initial(self, x: np.ndarray) -> np.ndarray:
        """Initial values of the outputs at positions x (N,): shape (N, n_outputs)."""
        h0 = self.module.initial(self.params, x)
        if self.physics == "nls":
            return np.stack([h0.real, h0.imag], axis=-1)
        return np.asarray(h0)[:, None]

    def residual(self, fields, derivs, params=None):
        return self.module.residual(fields, derivs, self.params if params is None else params)


def spec(name: str, physics_config: dict) -> Spec:
    """The PINN view of problem ``name`` with physics parameters from ``physics_config``."""
    if name not in PHYSICS:
        raise ConfigError(f"config key 'pinn.runs': unknown PINN problem {name!r} (known: {', '.join(PROBLEMS)})")
    phys = PHYSICS[name]
    p = physics.params(phys, physics_config)
    if phys == "heat1d":
        return Spec(name, phys, p, ("u",), (0.0, 0.0), (p.t_end, p.length), "dirichlet")
    return Spec(name, phys, p, ("u", "v"), (0.0, p.x_min), (p.t_end, p.x_max), "periodic")


def auto_time_scale_refusal(name: str, inverse: bool) -> str | None:
    """Why ``sampling.time_scale: auto`` cannot be resolved for PINN problem ``name`` (None if it can): the
    physics must provide ``decay_time(params)``, and an inverse problem must not read the coefficients it
    estimates from the reference."""
    if inverse:
        return ("'auto' would take the decay time from the reference's true coefficients, which the inverse "
                "problem is to estimate; give a number (in units of t) or leave the key out")
    if not hasattr(physics.get(PHYSICS[name]), "decay_time"):
        return (f"'auto' needs the solution's decay time, which physics {PHYSICS[name]!r} does not provide "
                "(decay_time); give a number (in units of t) or leave the key out")
    return None


def physics_config(reference_params: dict, name: str) -> dict:
    """The physics parameters recorded in a reference file, restricted to the problem's Params fields."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(physics.get(PHYSICS[name]).Params)}
    return {k: v for k, v in reference_params.items() if k in fields}
