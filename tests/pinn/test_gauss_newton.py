"""Matrix-free Gauss–Newton and ENGD: J v by forward mode through the jet pass, JᵀJ v against the explicit
Jacobian, the randomized Nyström preconditioner, and the phases decreasing a PINN loss."""

from __future__ import annotations

import pytest
import torch

from nnphys.pinn.gauss_newton import conjugate_gradient, nystrom, nystrom_preconditioner, products
from nnphys.pinn.levenberg_marquardt import residuals_and_jacobian
from nnphys.pinn.optimizers import build
from nnphys.pinn.problems import spec
from nnphys.pinn.train import Losses, build_model, collocation


def tiny_losses(problem: str, hard: bool = False):
    s = spec(problem, {})
    inverse = {"samples": 5, "noise": 0.0, "initial": {"k": 1.0}} if problem == "heat1d_inverse" else None
    torch.manual_seed(0)
    training = {"inverse": inverse, "hard_constraints": ["initial", "boundary"] if hard else None}
    model = build_model({"model": {"width": 6, "depth": 2, "dtype": "float64", "periodic_embedding": True},
                         "training": training}, s)
    batch = collocation(s, {"n_pde": 9, "n_initial": 3, "n_boundary": 2}, 0, 0, next(model.parameters()))
    data = (torch.rand(4, 2, dtype=torch.float64), torch.rand(4, 1, dtype=torch.float64)) if inverse else None
    return Losses(s, {"ic": 1.0, "bc": 2.0, "pde": 1.0, "data": 1.0}, model, data), batch


@pytest.mark.parametrize("problem, hard", [("heat1d", False), ("heat1d", True), ("nls", False),
                                           ("heat1d_inverse", False)])
def test_matrix_free_products_match_the_explicit_jacobian(problem, hard, elementwise):
    """Jᵀ r and JᵀJ v without J equal LM's explicit Jacobian's (itself checked row by row against autograd)."""
    losses, batch = tiny_losses(problem, hard)
    params = list(losses.model.parameters())
    r_lm, jac = residuals_and_jacobian(losses, batch, params)
    r, jt, jv = products(losses, batch, params)
    assert float(r @ r) == pytest.approx(float(r_lm @ r_lm), rel=1e-12)
    assert torch.allclose(jt(r), jac.T @ r_lm, atol=1e-12)
    v = torch.randn(jac.shape[1], dtype=torch.float64)
    assert torch.allclose(jt(jv(v)), jac.T @ (jac @ v), rtol=1e-10, atol=1e-12)


def test_conjugate_gradient_solves_a_spd_system_in_at_most_n_iterations():
    torch.manual_seed(0)
    a = torch.randn(8, 8, dtype=torch.float64)
    a = a @ a.T + torch.eye(8, dtype=torch.float64)
    b = torch.randn(8, dtype=torch.float64)
    x, done = conjugate_gradient(lambda v: a @ v, b, 50, 1e-12)
    assert done <= 10 and torch.allclose(a @ x, b, atol=1e-9)


def pinn_like_spectrum(n: int = 200, top: int = 30) -> torch.Tensor:
    """A symmetric positive semidefinite matrix with the spectrum of a PINN's Gauss–Newton matrix: ``top``
    eigenvalues falling geometrically from 1 to 1e-8, the rest a bulk in [1e-9, 1e-8]."""
    torch.manual_seed(0)
    q = torch.linalg.qr(torch.randn(n, n, dtype=torch.float64)).Q
    lam = torch.cat([torch.logspace(0, -8, top, dtype=torch.float64),
                     torch.linspace(1e-9, 1e-8, n - top, dtype=torch.float64)])
    return q @ torch.diag(lam) @ q.T


def test_nystrom_is_exact_for_a_matrix_of_lower_rank():
    torch.manual_seed(1)
    g = torch.randn(50, 7, dtype=torch.float64)
    a = g @ g.T
    u, lam = nystrom(lambda v: a @ v, 50, 10, torch.Generator().manual_seed(0), g)
    assert torch.allclose(u @ torch.diag(lam) @ u.T, a, atol=1e-10)
    assert torch.allclose(lam[:7], torch.linalg.eigvalsh(a).flip(0)[:7], rtol=1e-10)
    assert torch.all(lam[:-1] >= lam[1:]) and torch.allclose(u.T @ u, torch.eye(10, dtype=torch.float64))


def test_nystrom_preconditioning_cuts_cg_iterations_on_a_decaying_spectrum():
    """Damped by μ = 1e-8, the system's condition number is ~5e7: plain CG does not reach a residual of 1e-6
    in 100 iterations; preconditioned by a rank-40 Nyström approximation (which captures the 30 large
    eigenvalues) it does in a handful, and its solution is the exact one."""
    a, mu = pinn_like_spectrum(), 1e-8
    b = torch.randn(a.shape[0], dtype=torch.float64)
    matvec = lambda v: a @ v + mu * v  # noqa: E731
    _, plain = conjugate_gradient(matvec, b, 100, 1e-6)
    u, lam = nystrom(lambda v: a @ v, a.shape[0], 40, torch.Generator().manual_seed(0), b)
    x, pre = conjugate_gradient(matvec, b, 100, 1e-6, nystrom_preconditioner(u, lam, mu))
    exact = torch.linalg.solve(a + mu * torch.eye(a.shape[0], dtype=torch.float64), b)
    assert plain == 100 and pre <= 20, (plain, pre)
    assert torch.linalg.norm(x - exact) <= 1e-5 * torch.linalg.norm(exact)


@pytest.mark.parametrize("optimizer, options", [("gn", {}), ("engd", {}), ("gn", {"nystrom_rank": 20}),
                                                ("engd", {"nystrom_rank": 20})])
def test_phase_decreases_a_pinn_loss_every_step(optimizer, options):
    losses, batch = tiny_losses("heat1d")
    phase = build({"optimizer": optimizer, "steps": 10, **options}, list(losses.model.parameters()), 0)
    before = losses(batch)[0].item()
    done, stop, terms = phase.advance(losses, batch, 10, 0)
    assert stop is None and done == 10
    assert float(terms["total"]) < 0.05 * before   # Gauss–Newton on 60 parameters: fast


def test_a_preconditioned_phase_resumes_bit_for_bit():
    """Each step's sketch is drawn from a seed the phase's state carries: 3 steps, a save and 3 more give the
    weights 6 uninterrupted steps give."""
    spec = {"optimizer": "gn", "steps": 6, "nystrom_rank": 15}
    losses, batch = tiny_losses("heat1d")
    phase = build(spec, list(losses.model.parameters()), 0)
    phase.advance(losses, batch, 6, 0)
    straight = [p.detach().clone() for p in losses.model.parameters()]

    losses, batch = tiny_losses("heat1d")
    phase = build(spec, list(losses.model.parameters()), 0)
    phase.advance(losses, batch, 3, 0)
    state = phase.state_dict()
    weights = {k: v.clone() for k, v in losses.model.state_dict().items()}
    losses, batch = tiny_losses("heat1d")
    losses.model.load_state_dict(weights)
    resumed = build(spec, list(losses.model.parameters()), 0)
    resumed.load_state_dict(state)
    resumed.advance(losses, batch, 3, 3)
    assert all(torch.equal(a, b) for a, b in zip(straight, losses.model.parameters()))
