"""Matrix-free Gauss–Newton for PINN losses that are sums of squares, and energy natural gradient.

The loss is L(θ) = ||r(θ)||², r the stacked weighted residuals (as in :mod:`nnphys.pinn.levenberg_marquardt`).
Both methods step along the solution of

    (JᵀJ + μ I) δ = -Jᵀ r,      J = ∂r/∂θ  (M × P),

found by conjugate gradients from products with JᵀJ alone, so J is never formed and the cost per CG
iteration is one forward-mode pass (J v: the jet pass's tangent, :meth:`JetPass.tangent`, through
``torch.autograd.forward_ad``) and one backward pass (Jᵀ u) instead of LM's O(M P) memory and O(M P²) work:

- gn: μ adapted as Levenberg–Marquardt's: the step is kept if L decreases (then μ ← μ / 3), else μ ← 4 μ
  and the system is solved again;
- engd: energy natural gradient (Müller & Zeinhofer 2023): for a least-squares loss the energy Gram
  matrix is JᵀJ, so the direction is the Gauss–Newton one (μ a small fixed regularization), and the
  step length η is the best of a grid η = 2⁰, 2⁻¹, …, 2⁻¹⁰ (a decrease is required).

CG runs ``cg_iterations`` at most, stopping when the residual of the linear system has fallen by
``cg_tolerance``. Plain CG converges slowly on the ill-conditioned JᵀJ of a PINN, whose spectrum falls
over many decades; ``nystrom_rank`` s > 0 preconditions it (NysNewton-CG, Rathore et al. 2024) with the
randomized Nyström approximation JᵀJ ≈ U Λ Uᵀ of rank s (Frangella, Tropp & Udell 2023), built each step
from s products with JᵀJ:

    P⁻¹ = (λ_s + μ) U (Λ + μ I)⁻¹ Uᵀ + (I - U Uᵀ),

which maps the s largest eigenvalues of JᵀJ + μ I near λ_s + μ, so CG sees the condition number of the
rest of the spectrum.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.autograd import forward_ad
from torch.func import functional_call

STEP_LENGTHS = tuple(2.0 ** -k for k in range(11))


def stacked_residuals(losses, batch) -> torch.Tensor:
    """r (M,): every term's residuals, each scaled by sqrt(w_term / n_term), so that L = r·r."""
    return torch.cat([math.sqrt(losses.weights[t] / r.shape[0]) * r.reshape(-1)
                      for t, (r, _, _) in losses.residuals(batch).items()])


class _Residuals(torch.nn.Module):
    """The residual vector as a module of the model's parameters (what ``functional_call`` swaps)."""

    def __init__(self, losses):
        super().__init__()
        self.losses, self.model = losses, losses.model

    def forward(self, batch):
        return stacked_residuals(self.losses, batch)


def _split(flat: torch.Tensor, params) -> list[torch.Tensor]:
    return [part.view_as(p) for part, p in zip(flat.split([p.numel() for p in params]), params)]


def products(losses, batch, params) -> tuple[torch.Tensor, Callable, Callable]:
    """(r, u ↦ Jᵀ u, v ↦ J v) at the current ``params`` (flat vectors in and out, in the order of
    ``params``): Jᵀ u by a backward pass through r's graph (kept), J v by a forward-mode pass."""
    module = _Residuals(losses)
    names = {id(p): name for name, p in module.named_parameters()}
    if any(id(p) not in names for p in params):
        raise ValueError("Gauss–Newton steps only parameters of the loss's model")
    r = module(batch)

    def jt(u: torch.Tensor) -> torch.Tensor:
        grads = torch.autograd.grad(r, params, u, retain_graph=True, allow_unused=True)
        return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)])

    def jv(v: torch.Tensor) -> torch.Tensor:
        with forward_ad.dual_level():
            duals = {names[id(p)]: forward_ad.make_dual(p.detach(), t) for p, t in zip(params, _split(v, params))}
            return forward_ad.unpack_dual(functional_call(module, duals, (batch,))).tangent

    return r.detach(), jt, jv


def conjugate_gradient(matvec: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, iterations: int,
                       tolerance: float, precondition: Callable[[torch.Tensor], torch.Tensor] | None = None
                       ) -> tuple[torch.Tensor, int]:
    """x with A x ≈ b for symmetric positive definite A given by ``matvec``, preconditioned by the symmetric
    positive definite ``precondition`` (v ↦ P⁻¹ v; None: none); (x, iterations done). It stops when
    ||b - A x|| ≤ ``tolerance`` ||b||."""
    x = torch.zeros_like(b)
    r = b.clone()
    z = precondition(r) if precondition else r
    p = z.clone()
    rz, stop = float(r @ z), tolerance ** 2 * float(b @ b)
    for i in range(1, iterations + 1):
        ap = matvec(p)
        alpha = rz / float(p @ ap)
        x.add_(p, alpha=alpha)
        r.sub_(ap, alpha=alpha)
        if float(r @ r) <= stop:
            return x, i
        z = precondition(r) if precondition else r
        rz_new = float(r @ z)
        p.mul_(rz_new / rz).add_(z)
        rz = rz_new
    return x, iterations


def nystrom(matvec: Callable[[torch.Tensor], torch.Tensor], n: int, rank: int, generator: torch.Generator,
            like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(U (n, rank), λ (rank,), descending): the randomized Nyström approximation A ≈ U diag(λ) Uᵀ of the
    symmetric positive semidefinite A (n × n) given by ``matvec``, from ``rank`` products with it (Frangella,
    Tropp & Udell 2023, Algorithm 2.1: a Gaussian test matrix, a shift ν of the order of rounding for
    stability). Exact when A has rank ≤ ``rank``."""
    omega = torch.randn(n, rank, generator=generator, dtype=torch.float64)
    omega = torch.linalg.qr(omega).Q.to(like)
    y = torch.stack([matvec(omega[:, j]) for j in range(rank)], 1)
    nu = math.sqrt(n) * torch.finfo(y.dtype).eps * torch.linalg.matrix_norm(y, ord=2)
    y_nu = y + nu * omega
    lower = torch.linalg.cholesky(omega.T @ y_nu)
    b = torch.linalg.solve_triangular(lower, y_nu.T, upper=False).T  # Y_ν L⁻ᵀ
    u, sigma, _ = torch.linalg.svd(b, full_matrices=False)
    return u, (sigma ** 2 - nu).clamp_min(0)


def nystrom_preconditioner(u: torch.Tensor, lam: torch.Tensor, mu: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """v ↦ P⁻¹ v for A + μ I with A ≈ U diag(λ) Uᵀ (the module docstring's P⁻¹)."""
    scale = (lam[-1] + mu) / (lam + mu)

    def apply(v: torch.Tensor) -> torch.Tensor:
        c = u.T @ v
        return v + u @ ((scale - 1) * c)

    return apply


class GaussNewton:
    """Matrix-free Gauss–Newton (``line_search`` False: LM-damped) or ENGD steps on ``params``."""

    def __init__(self, params, line_search: bool, mu: float, cg_iterations: int, cg_tolerance: float,
                 mu_max: float = 1e10, nystrom_rank: int = 0):
        self.params = list(params)
        self.line_search, self.mu, self.mu_max = line_search, float(mu), float(mu_max)
        self.cg_iterations, self.cg_tolerance = int(cg_iterations), float(cg_tolerance)
        self.rank = min(int(nystrom_rank), sum(p.numel() for p in self.params))
        self.sketches = 0  # Nyström sketches drawn so far: sketch i uses seed i, so a resumed run draws the same
        self.cg_done = 0  # CG iterations of the last step (for the log)

    def state_dict(self) -> dict:
        return {"mu": self.mu, "sketches": self.sketches}

    def load_state_dict(self, state: dict) -> None:
        self.mu = float(state["mu"])
        self.sketches = int(state.get("sketches", 0))

    def _assign(self, flat: torch.Tensor) -> None:
        with torch.no_grad():
            for p, v in zip(self.params, _split(flat, self.params)):
                p.copy_(v)

    def _loss(self, losses, batch) -> float:
        with torch.no_grad():
            r = stacked_residuals(losses, batch)
        return float(r @ r)

    def system(self, losses, batch) -> tuple[float, Callable[[float], torch.Tensor]]:
        """(L, solve) at the current parameters: solve(μ) is δ with (JᵀJ + μ I) δ = -Jᵀ r, by CG."""
        r, jt, jv = products(losses, batch, self.params)
        g = jt(r)
        sketch = None
        if self.rank:
            sketch = nystrom(lambda v: jt(jv(v)), g.numel(), self.rank,
                             torch.Generator().manual_seed(self.sketches), g)
            self.sketches += 1

        def solve(mu: float) -> torch.Tensor:
            precondition = nystrom_preconditioner(*sketch, mu) if sketch else None
            delta, self.cg_done = conjugate_gradient(lambda v: jt(jv(v)) + mu * v, -g, self.cg_iterations,
                                                     self.cg_tolerance, precondition)
            return delta

        return float(r @ r), solve

    def step(self, losses, batch) -> tuple[float, str | None]:
        """One accepted step; returns (loss before it, stop reason if no step decreases the loss)."""
        flat = torch.cat([p.detach().reshape(-1) for p in self.params])
        loss, solve = self.system(losses, batch)
        if self.line_search:
            delta = solve(self.mu)
            best, eta = loss, None
            for step_length in STEP_LENGTHS:
                self._assign(flat + step_length * delta)
                trial = self._loss(losses, batch)
                if trial < best:
                    best, eta = trial, step_length
            if eta is None:
                self._assign(flat)
                return loss, f"no step length in [{STEP_LENGTHS[-1]:g}, 1] decreases the loss"
            self._assign(flat + eta * delta)
            return loss, None
        while self.mu <= self.mu_max:
            delta = solve(self.mu)
            self._assign(flat + delta)
            if self._loss(losses, batch) < loss:
                self.mu = max(self.mu / 3, 1e-15)
                return loss, None
            self._assign(flat)
            self.mu *= 4
        return loss, f"damping μ exceeded {self.mu_max:g} without decreasing the loss"
