"""Matrix-free Gauss–Newton and ENGD: J v by forward mode through the jet pass, JᵀJ v against the explicit
Jacobian, and the phases decreasing a PINN loss."""

from __future__ import annotations

import pytest
import torch

from nnphys.pinn.gauss_newton import conjugate_gradient, products
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
def test_matrix_free_products_match_the_explicit_jacobian(problem, hard):
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


@pytest.mark.parametrize("optimizer", ["gn", "engd"])
def test_phase_decreases_a_pinn_loss_every_step(optimizer):
    losses, batch = tiny_losses("heat1d")
    phase = build({"optimizer": optimizer, "steps": 10}, list(losses.model.parameters()), 0)
    before = losses(batch)[0].item()
    done, stop, terms = phase.advance(losses, batch, 10, 0)
    assert stop is None and done == 10
    assert float(terms["total"]) < 0.05 * before   # Gauss–Newton on 60 parameters: fast
