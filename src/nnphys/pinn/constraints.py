"""Hard constraints: an output transform that satisfies the initial and/or Dirichlet boundary conditions exactly.

The network N stays a plain MLP (it knows no physics); the problem wraps its output as

    u(t, x) = A(t, x) + B(t, x) N(t, x)
    initial only:   A = u0(x),  B = τ(t)             τ = (t - t0) / (t1 - t0)
    boundary only:  A = 0,      B = β(x)             β = 4 (x - x0)(x1 - x) / (x1 - x0)²   (zero Dirichlet)
    both:           A = u0(x),  B = τ(t) β(x)        (u0 must vanish at both ends)

so u(t0, x) = u0(x) and/or u(t, x0) = u(t, x1) = 0 for every weight, and the matching loss term is dropped.
Derivatives follow by the product rule from N's jet (value, ∂_i N, ∂_i² N; :func:`nnphys.pinn.derivatives.jet`):

    ∂_i u = ∂_i A + ∂_i B N + B ∂_i N,    ∂_i² u = ∂_i² A + ∂_i² B N + 2 ∂_i B ∂_i N + B ∂_i² N

Each row depends on its own row of N's jet only, so Levenberg–Marquardt's per-row Jacobians pass through it.
u0 and its x-derivatives come from the physics module's ``initial_jet(params, x)`` (heat1d: sums of sines).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from nnphys.configcheck import ConfigError
from nnphys.pinn.problems import T_COL, X_COL, Spec

TERMS = {"initial": "ic", "boundary": "bc"}  # each constraint and the loss term it makes exact
KINDS = tuple(TERMS)


class HardConstraints(nn.Module):
    """The transform for ``spec`` enforcing ``kinds`` (a subset of ``KINDS``); no parameters, no buffers."""

    def __init__(self, spec: Spec, kinds: Iterable[str]):
        super().__init__()
        self.kinds = tuple(sorted(set(kinds)))
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ConfigError(f"config key 'hard_constraints': unknown {sorted(unknown)} (known: {', '.join(KINDS)})")
        if "boundary" in self.kinds and spec.boundary != "dirichlet":
            raise ConfigError(f"config key 'hard_constraints': 'boundary' needs zero Dirichlet boundaries, "
                              f"{spec.name} is {spec.boundary}")
        if "initial" in self.kinds and not hasattr(spec.module, "initial_jet"):
            raise ConfigError(f"config key 'hard_constraints': 'initial' needs the derivatives of u0, which "
                              f"physics {spec.physics!r} does not provide (initial_jet)")
        self.spec = spec
        (self.t0, self.x0), (self.t1, self.x1) = spec.lower, spec.upper
        if "initial" in self.kinds and "boundary" in self.kinds:
            ends = np.abs(spec.module.initial_jet(spec.params, np.array([self.x0, self.x1]))[0]).max()
            scale = np.abs(spec.module.initial_jet(spec.params, np.linspace(self.x0, self.x1, 257))[0]).max()
            if ends > 1e-9 * max(scale, 1e-300):
                raise ConfigError("config key 'hard_constraints': u0 does not vanish at the boundaries, "
                                  "so initial and boundary conditions cannot both hold exactly")

    @property
    def initial(self) -> bool:
        return "initial" in self.kinds

    @property
    def boundary(self) -> bool:
        return "boundary" in self.kinds

    def _factors(self, x: torch.Tensor):
        """A and B with their first and second derivatives along t and x: dicts {col: (f, f_i, f_ii)}-style."""
        t, xx = x[:, T_COL], x[:, X_COL]
        one, zero = torch.ones_like(t), torch.zeros_like(t)
        # B = τ(t) β(x): separable, so ∂_t B = τ' β, ∂_x B = τ β', ∂_t² B = 0, ∂_x² B = τ β''
        if self.initial:
            tau, dtau = (t - self.t0) / (self.t1 - self.t0), one / (self.t1 - self.t0)
        else:
            tau, dtau = one, zero
        if self.boundary:
            length2 = (self.x1 - self.x0) ** 2
            beta = 4 * (xx - self.x0) * (self.x1 - xx) / length2
            dbeta = 4 * (self.x0 + self.x1 - 2 * xx) / length2
            d2beta = torch.full_like(xx, -8 / length2)
        else:
            beta, dbeta, d2beta = one, zero, zero
        b = {T_COL: (tau * beta, dtau * beta, zero), X_COL: (tau * beta, tau * dbeta, tau * d2beta)}
        if self.initial:
            a0, ax, axx = (torch.as_tensor(v, dtype=x.dtype, device=x.device)
                           for v in self.spec.module.initial_jet(self.spec.params, xx.detach().cpu().numpy()))
            a = {T_COL: (a0, zero, zero), X_COL: (a0, ax, axx)}
        else:
            a = {T_COL: (zero, zero, zero), X_COL: (zero, zero, zero)}
        return a, b

    def apply(self, x: torch.Tensor, n, dn: dict, d2n: dict):
        """(u, du, d2u) of u = A + B N from N's (n, dn, d2n) at points x (N, 2); outputs (N, d_out)."""
        a, b = self._factors(x)
        col = lambda v: v[:, None]  # noqa: E731  (N,) -> (N, 1), broadcast over outputs
        u = col(a[T_COL][0]) + col(b[T_COL][0]) * n
        du = {i: col(a[i][1]) + col(b[i][1]) * n + col(b[i][0]) * d for i, d in dn.items()}
        d2u = {i: col(a[i][2]) + col(b[i][2]) * n + 2 * col(b[i][1]) * dn[i] + col(b[i][0]) * d
               for i, d in d2n.items()}
        return u, du, d2u

    def value(self, x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        a, b = self._factors(x)
        return a[T_COL][0][:, None] + b[T_COL][0][:, None] * n
