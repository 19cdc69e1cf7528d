"""Self-scaled BFGS and Broyden: dense quasi-Newton steps for PINNs (Urbán, Stefanou & Pons 2025;
Kiyani et al. 2025), after the self-scaling Broyden family of Al-Baali (1998).

Each iteration steps along d = -H ∇L, with a strong-Wolfe line search (torch's, the one its L-BFGS uses)
for the step length α; then, with s = α d, y = ∇L₊ - ∇L, ρ = 1 / yᵀs, the inverse-Hessian approximation
H (P × P, kept in float64) is updated as

    H₊ = (H - H y yᵀ H / yᵀHy + φ yᵀHy v vᵀ) / τ + ρ s sᵀ,      v = ρ s - H y / yᵀHy,

φ = (1 - θ) / (1 + a θ). BFGS is θ = 0, τ = 1. The self-scaling factor τ rescales the old curvature
information before each update, which keeps H's eigenvalues in step with the Hessian's when the loss
spans many orders of magnitude (as a PINN's does, on its way down); with h = yᵀHy ρ, b = -α ρ sᵀ∇L and
a = b h - 1 (Al-Baali, Spedicato & Maggioni 2014):

    ssbfgs     θ = 0,  τ = h on the first update, then min(1, 1/b);
    ssbroyden  θ = max(θ⁻, min(θ⁺, (1 - b)/b)), θ⁻ = (ϱ⁻ - 1)/a, θ⁺ = 1/ϱ⁻, ϱ⁻ = min(1, h (1 - c)),
               c = √|a / (1 + a)|; τ = h / (1 + a θ) on the first update, then with σ = 1 + θ a and
               ϱ = min(1, 1/b): min(ϱ σ^(1/(1-P)), σ) if θ ≤ 0, else ϱ min(σ^(1/(1-P)), 1/θ).

Unlike L-BFGS's few stored pairs, H holds all the curvature seen so far; the price is O(P²) memory and
work per iteration (one product H ∇L₊ and one rank-2 update of H, written as a single matrix product), so it is
for networks up to ~10⁴ parameters (:data:`MAX_PARAMETERS`). Both are bound by memory (H is 200 MB at P ≈ 5000),
so H is kept as scale · h + Σ U_j C_j U_jᵀ: the 1/τ of an update goes into the scalar (MKL's update with a scale
on h, ``addmm_`` with beta ≠ 1, makes a second pass over it: 31 against 16 ms at P ≈ 5000, one thread), and the
rank-2 terms of :data:`PENDING` updates are added to h in one product (rank 12: 22 ms against 18 ms for rank 2).
The updates are skipped when yᵀs is not positive (the Wolfe search makes that rare), and H is reset to the
identity if -H∇L stops being a descent direction.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.optim.lbfgs import _strong_wolfe

MAX_PARAMETERS = 16_000  # H in float64: 2 GB at this size
SCALE_RANGE = (1e-100, 1e100)  # H's scalar factor is folded into its matrix outside this range
PENDING = 6  # rank-2 updates kept as factors before they are added to the matrix
VARIANTS = ("ssbfgs", "ssbroyden", "bfgs")


def scaling(variant: str, a: float, b: float, h: float, first: bool, n: int) -> tuple[float, float]:
    """(θ, τ) of the update, from a = b h - 1, b = -α ρ sᵀ∇L, h = ρ yᵀHy and the dimension n."""
    if variant == "bfgs":
        return 0.0, 1.0
    if variant == "ssbfgs":
        return 0.0, (h if first else min(1.0, 1.0 / b))
    c = math.sqrt(abs(a / (1 + a)))
    rho_minus = min(1.0, h * (1 - c))
    theta = max((rho_minus - 1) / a, min(1 / rho_minus, (1 - b) / b))
    if first:
        return theta, h / (1 + a * theta)
    sigma, rho = 1 + theta * a, min(1.0, 1.0 / b)
    root = abs(sigma) ** (1.0 / (1.0 - n))
    return theta, (min(rho * root, sigma) if theta <= 0 else rho * min(root, 1 / theta))


class SelfScaledBroyden:
    """Quasi-Newton iterations on ``params`` (dense inverse Hessian); ``state_dict`` holds H and the
    last point's loss and gradient, so a checkpointed run resumes where it stopped."""

    def __init__(self, params, variant: str = "ssbfgs", tolerance_grad: float = 1e-9,
                 tolerance_change: float = 1e-12):
        if variant not in VARIANTS:
            raise ValueError(f"unknown quasi-Newton variant {variant!r} (known: {', '.join(VARIANTS)})")
        self.params = list(params)
        self.n = sum(p.numel() for p in self.params)
        if self.n > MAX_PARAMETERS:
            raise ValueError(f"{variant} keeps a dense {self.n} × {self.n} inverse Hessian: more than "
                             f"{MAX_PARAMETERS} parameters; use lbfgs for this network")
        self.variant, self.tolerance_grad, self.tolerance_change = variant, tolerance_grad, tolerance_change
        like = self.params[0]
        self._h = torch.eye(self.n, dtype=torch.float64, device=like.device)
        self._scale, self._terms = 1.0, []  # H = scale · h + Σ U C Uᵀ over the (U (P × 2), C (2 × 2)) in terms
        self.updates = 0  # H updates so far (the first one uses its own τ)
        self.f: float | None = None  # the loss, its gradient and H times it at the current point
        self.g: torch.Tensor | None = None
        self.hg: torch.Tensor | None = None

    @property
    def H(self) -> torch.Tensor:
        """The inverse-Hessian approximation (P × P, float64); reading it folds scale and terms into h."""
        self._fold()
        return self._h

    def _fold(self) -> None:
        """h ← H: scale 1, no terms."""
        self._add_terms()
        if self._scale != 1.0:
            self._h.mul_(self._scale)
            self._scale = 1.0

    def _add_terms(self) -> None:
        """h += Σ U C Uᵀ / scale in one product, and no terms left."""
        if self._terms:
            u = torch.cat([u for u, _ in self._terms], 1)
            c = torch.block_diag(*(c for _, c in self._terms)) / self._scale
            self._h.addmm_(u, c @ u.T)
            self._terms = []

    def _reset(self) -> None:
        self._h = torch.eye(self.n, dtype=self._h.dtype, device=self._h.device)
        self._scale, self._terms, self.updates = 1.0, [], 0

    def _times_h(self, v: torch.Tensor) -> torch.Tensor:
        out = self._scale * (self._h @ v)
        for u, c in self._terms:
            out += u @ (c @ (u.T @ v))
        return out

    def state_dict(self) -> dict:
        return {"H": self.H, "updates": self.updates, "f": self.f, "g": self.g, "hg": self.hg}

    def load_state_dict(self, state: dict) -> None:
        self._h, self._scale, self._terms, self.updates = state["H"], 1.0, [], int(state["updates"])
        self.f, self.g, self.hg = state["f"], state["g"], state["hg"]

    def _flat(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.params])

    def _assign(self, flat: torch.Tensor) -> None:
        with torch.no_grad():
            offset = 0
            for p in self.params:
                p.copy_(flat[offset:offset + p.numel()].view_as(p))
                offset += p.numel()

    def _evaluate(self, closure: Callable[[], torch.Tensor]) -> tuple[float, torch.Tensor]:
        """The loss at the current parameters and its gradient (flat, float64)."""
        loss = float(closure().detach())
        return loss, torch.cat([p.grad.reshape(-1) if p.grad is not None else p.new_zeros(p.numel())
                                for p in self.params]).double()

    def step(self, closure: Callable[[], torch.Tensor]) -> str | None:
        """One iteration; ``closure`` zeroes the gradients, evaluates the loss and backpropagates.
        Returns why the iterations should stop (a tolerance met) or None."""
        if self.g is None:
            self.f, self.g = self._evaluate(closure)
            self.hg = self._times_h(self.g)
        f, g = self.f, self.g
        gmax = float(g.abs().max())
        if gmax <= self.tolerance_grad:
            return f"tolerance_grad: max |gradient| = {gmax:.3g} <= {self.tolerance_grad:g}"
        d = -self.hg
        gtd = float(g @ d)
        if not gtd < 0:  # H lost positive definiteness to rounding: start over from steepest descent
            self._reset()
            d = -g
            gtd = float(g @ d)
        t = min(1.0, 1.0 / float(g.abs().sum())) if self.updates == 0 else 1.0
        x = self._flat()

        def objective(x, t, d):
            self._assign(x + t * d)
            return self._evaluate(closure)

        f_new, g_new, t, _ = _strong_wolfe(objective, x.double(), t, d, f, g, gtd,
                                            tolerance_change=self.tolerance_change)
        self._assign(x + (t * d).to(x.dtype))
        s = t * d
        self._update(s, g_new, t, g, -d)
        self.f, self.g = float(f_new), g_new
        if float(s.abs().max()) <= self.tolerance_change:
            return f"tolerance_change: step below {self.tolerance_change:g} (max |gradient| = {gmax:.3g})"
        if abs(float(f_new) - f) < self.tolerance_change:
            return f"tolerance_change: loss change below {self.tolerance_change:g} (max |gradient| = {gmax:.3g})"
        return None

    def _update(self, s: torch.Tensor, g_new: torch.Tensor, alpha: float, g: torch.Tensor,
                hg: torch.Tensor) -> None:
        """H ← H₊ and ``self.hg`` ← H₊ g_new, in one product with H and one rank-2 update of it:
        H₊ = H / τ + U C Uᵀ with U = [s, Hy] (Hy = H g_new - H g), C from the formula above: with
        H = scale · h + Σ U_j C_j Uᵀ_j, scale ← scale / τ, C_j ← C_j / τ, and (U, C) joins the terms."""
        hg_new = self._times_h(g_new)
        self.hg = hg_new
        y = g_new - g
        ys = float(y @ s)
        if not ys > torch.finfo(torch.float64).eps:
            return
        rho, hy = 1.0 / ys, hg_new - hg
        yhy = float(y @ hy)
        h, b = yhy * rho, -alpha * rho * float(s @ g)
        theta, tau = scaling(self.variant, b * h - 1, b, h, self.updates == 0, self.n)
        phi = (1 - theta) / (1 + (b * h - 1) * theta)
        if not (math.isfinite(tau) and tau > 0 and math.isfinite(phi)):
            return
        u = torch.stack([s, hy], 1)
        c = u.new_tensor([[phi * yhy * rho ** 2 / tau + rho, -phi * rho / tau],
                          [-phi * rho / tau, (phi - 1) / (tau * yhy)]])
        self._scale /= tau
        self._terms = [(u_j, c_j / tau) for u_j, c_j in self._terms] + [(u, c)]
        if not SCALE_RANGE[0] < self._scale < SCALE_RANGE[1]:
            self._fold()
        elif len(self._terms) == PENDING:
            self._add_terms()
        self.hg = hg_new / tau + u @ (c @ (u.T @ g_new))
        self.updates += 1
