"""Levenberg–Marquardt for PINN losses that are sums of squares (small networks: ~10³ parameters).

The loss is L(θ) = ||r(θ)||², with r the stacked residuals sqrt(w_term / n_term) r_term (each loss term
is w · mean of squares). One step solves

    (JᵀJ + μ I) δ = -Jᵀ r,      J = ∂r/∂θ  (M × P)

and keeps θ + δ if L decreases (then μ ← μ / 3), else retries with μ ← 4 μ. Near a minimum this is
Gauss–Newton: far faster per iteration count and far more accurate than first-order methods or L-BFGS
on small PINNs, at O(M P² + P³) per step — hence only for small networks (P ≲ a few thousand).

J comes without M backward passes: each residual row depends on one network evaluation (or, for
periodic boundary pairs, two), so the backward pass of Σ_rows r[:, c] yields, at every layer, the
gradient G of each row w.r.t. that layer's pre-activations (:meth:`JetPass.backward` with ``per_row``);
the row's weight Jacobian is then Σ_k G_kᵀ ⊗ H_k over the jet slots k (H the layer input), and its bias
Jacobian G_0.
Scalar unknowns (inverse problems) get their column by a double-backward product.
"""

from __future__ import annotations

import math

import torch

MAX_JACOBIAN_ENTRIES = 60_000_000


def _rows_jacobian(out: torch.Tensor, r_c: torch.Tensor, tape: list, rows: torch.Tensor | None,
                   columns: dict, extra: list[torch.nn.Parameter]) -> None:
    """Write the Jacobian (n, P) of one residual component r_c (n,) into ``out``;
    ``columns`` maps each parameter to its column slice."""
    grads = torch.autograd.grad(r_c.sum(), [rec.out for rec in tape], retain_graph=True)
    for rec, g_out in zip(tape, grads):
        def write(l, r, h, g, layers=rec.layers):
            jw = torch.einsum("kmo,kmi->moi", g, h).reshape(g.shape[1], -1)
            cw, cb = columns[layers[l].weight], columns[layers[l].bias]
            if rows is None:
                out[r, cw], out[r, cb] = jw, g[0]
            else:
                out[:, cw].index_add_(0, rows[r], jw)
                out[:, cb].index_add_(0, rows[r], g[0])

        rec.jet_pass.backward(g_out, per_row=write)
    for p in extra:
        v = torch.zeros_like(r_c, requires_grad=True)
        (gp,) = torch.autograd.grad((r_c * v).sum(), p, create_graph=True, allow_unused=True)
        if gp is not None:
            out[:, columns[p]] = torch.autograd.grad(gp, v, retain_graph=True)[0][:, None]


def residuals_and_jacobian(losses, batch, params: list[torch.nn.Parameter]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stacked weighted residuals r (M,) and their Jacobian J (M, P) w.r.t. ``params``."""
    net_params = set(losses.model["net"].parameters())
    extra = [p for p in params if p not in net_params]
    columns, offset = {}, 0
    for p in params:
        columns[p] = slice(offset, offset + p.numel())
        offset += p.numel()
    res = losses.residuals(batch, record=True)
    m = sum(r.numel() for r, _, _ in res.values())
    if m * offset > MAX_JACOBIAN_ENTRIES:
        raise ValueError("Levenberg–Marquardt builds the full Jacobian: too many residuals × parameters "
                         f"({m} × {offset}); use adam/lbfgs for this network")
    like = next(iter(res.values()))[0]
    r_all, jac = like.new_empty(m), like.new_zeros(m, offset)
    row = 0
    for term, (r, tape, rows) in res.items():
        n, c = r.shape
        scale = math.sqrt(losses.weights[term] / n)
        for k in range(c):
            block = jac[row:row + n]
            _rows_jacobian(block, r[:, k], tape, rows, columns, extra)
            block.mul_(scale)
            r_all[row:row + n] = scale * r[:, k].detach()
            row += n
    return r_all, jac


def weighted_residuals(losses, batch) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([math.sqrt(losses.weights[t] / r.shape[0]) * r.reshape(-1)
                          for t, (r, _, _) in losses.residuals(batch).items()])


class LevenbergMarquardt:
    """Damped Gauss–Newton steps on ``params``; ``state_dict`` holds the damping μ (for checkpoints)."""

    def __init__(self, params, mu: float = 1e-3, mu_max: float = 1e10):
        self.params = list(params)
        self.mu, self.mu_max = float(mu), float(mu_max)

    def state_dict(self) -> dict:
        return {"mu": self.mu}

    def load_state_dict(self, state: dict) -> None:
        self.mu = float(state["mu"])

    def step(self, losses, batch) -> tuple[float, str | None]:
        """One accepted step; returns (loss before it, stop reason if no damping gives a decrease)."""
        r, jac = residuals_and_jacobian(losses, batch, self.params)
        loss = float(r @ r)
        g, a = jac.T @ r, jac.T @ jac
        eye = torch.eye(a.shape[0], dtype=a.dtype, device=a.device)
        flat = torch.cat([p.detach().reshape(-1) for p in self.params])
        while self.mu <= self.mu_max:
            chol, info = torch.linalg.cholesky_ex(a + self.mu * eye)
            if int(info) == 0:
                delta = torch.cholesky_solve(-g[:, None], chol)[:, 0]
                self._assign(flat + delta)
                new = weighted_residuals(losses, batch)
                if float(new @ new) < loss:
                    self.mu = max(self.mu / 3, 1e-15)
                    return loss, None
            self.mu *= 4
        self._assign(flat)
        return loss, f"damping μ exceeded {self.mu_max:g} without decreasing the loss (a minimum to rounding)"

    def _assign(self, flat: torch.Tensor) -> None:
        with torch.no_grad():
            offset = 0
            for p in self.params:
                p.copy_(flat[offset:offset + p.numel()].view_as(p))
                offset += p.numel()
