"""Dense self-scaled quasi-Newton (SSBFGS, SSBroyden, BFGS): the update, convergence, the size limit."""

from __future__ import annotations

import pytest
import torch

from nnphys.pinn.optimizers import build
from nnphys.pinn.quasi_newton import MAX_PARAMETERS, VARIANTS, SelfScaledBroyden, scaling


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def closure_of(p, f):
    def closure():
        p.grad = None
        loss = f(p)
        loss.backward()
        return loss
    return closure


@pytest.mark.parametrize("variant", VARIANTS)
def test_minimizes_rosenbrock_from_the_classic_start(variant):
    p = torch.nn.Parameter(torch.tensor([-1.2, 1.0], dtype=torch.float64))
    opt = SelfScaledBroyden([p], variant, tolerance_grad=1e-10, tolerance_change=0)
    for iteration in range(200):
        if opt.step(closure_of(p, rosenbrock)):
            break
    # Nocedal & Wright report ~35 BFGS iterations from this start; a first-order method needs thousands
    assert iteration < 100
    assert torch.allclose(p.detach(), torch.ones(2, dtype=torch.float64), atol=1e-7)


@pytest.mark.parametrize("variant", VARIANTS)
def test_update_keeps_the_secant_equation_and_positive_definiteness(variant):
    torch.manual_seed(0)
    n = 6
    a = torch.randn(n, n, dtype=torch.float64)
    a = a @ a.T + n * torch.eye(n, dtype=torch.float64)   # f = ½ xᵀ A x: ∇f = A x
    p = torch.nn.Parameter(torch.randn(n, dtype=torch.float64))
    opt = SelfScaledBroyden([p], variant, tolerance_grad=0, tolerance_change=0)
    f = lambda q: 0.5 * q @ a @ q  # noqa: E731
    for _ in range(3):
        x, g = p.detach().clone(), a @ p.detach()
        opt.step(closure_of(p, f))
        s, y = p.detach() - x, a @ p.detach() - g
        assert torch.allclose(opt.H @ y, s, rtol=1e-8, atol=1e-12)  # H₊ y = s, whatever θ and τ
        assert torch.linalg.eigvalsh(opt.H).min() > 0


@pytest.mark.parametrize("variant", VARIANTS)
def test_h_kept_as_scale_and_pending_terms_gives_the_iterations_of_h_itself(variant):
    # A keeps H as scale · h + pending rank-2 terms (added to h every PENDING updates); B folds them into h
    # after every step (reading B.H does): the same iterates and the same H, to rounding
    torch.manual_seed(1)
    n = 30
    q = torch.linalg.qr(torch.randn(n, n, dtype=torch.float64))[0]
    a = q @ torch.diag(torch.logspace(0, 4, n, dtype=torch.float64)) @ q.T  # condition number 1e4
    f = lambda x: 0.5 * x @ a @ x + x.sum()  # noqa: E731
    start = torch.randn(n, dtype=torch.float64)
    p, r = (torch.nn.Parameter(start.clone()) for _ in range(2))
    lazy, folded = (SelfScaledBroyden([x], variant, tolerance_grad=0, tolerance_change=0) for x in (p, r))
    for _ in range(20):
        lazy.step(closure_of(p, f))
        folded.step(closure_of(r, f))
        folded.H  # noqa: B018 (reading H folds it)
    assert lazy._terms and (lazy._scale != 1.0 or variant == "bfgs")  # the lazy form was in use
    p, r = p.detach(), r.detach()
    assert float((p - r).abs().max()) <= 1e-9 * float(r.abs().max())  # BFGS's unscaled H grows rounding to 3e-11
    assert float((lazy.H - folded.H).abs().max()) <= 1e-8 * float(folded.H.abs().max())


def test_self_scaling_factors():
    # SSBFGS: τ = h on the first update, then min(1, 1/b); BFGS never scales
    assert scaling("ssbfgs", a=1.0, b=2.0, h=1.0, first=True, n=10) == (0.0, 1.0)
    assert scaling("ssbfgs", a=1.0, b=2.0, h=1.0, first=False, n=10) == (0.0, 0.5)
    assert scaling("ssbfgs", a=-0.5, b=0.5, h=1.0, first=False, n=10) == (0.0, 1.0)
    assert scaling("bfgs", a=5.0, b=3.0, h=2.0, first=False, n=10) == (0.0, 1.0)
    # SSBroyden: θ between θ⁻ and θ⁺, so that 1 + a θ > 0 (positive definite update)
    theta, tau = scaling("ssbroyden", a=3.0, b=2.0, h=2.0, first=False, n=10)
    assert 1 + 3.0 * theta > 0 and tau > 0


def test_phase_refuses_networks_too_large_for_a_dense_hessian():
    big = torch.nn.Parameter(torch.zeros(MAX_PARAMETERS + 1))
    with pytest.raises(ValueError, match="dense .* inverse Hessian.*use lbfgs"):
        build({"optimizer": "ssbfgs", "steps": 1}, [big], 0)


def test_phase_stops_on_its_tolerance_and_says_why():
    p = torch.nn.Parameter(torch.tensor([-1.2, 1.0], dtype=torch.float64))
    phase = build({"optimizer": "ssbroyden", "steps": 500, "tolerance_grad": 1e-6}, [p], 0)
    done, stop, terms = phase.advance(lambda batch: (rosenbrock(p), {"rosenbrock": rosenbrock(p)}), {}, 500, 0)
    assert done < 500 and stop.startswith("tolerance_grad") and float(terms["total"]) < 1e-10
