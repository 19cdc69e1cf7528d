"""Hard initial and boundary conditions: exact for any weights, derivatives by the product rule, LM unchanged."""

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys.configcheck import ConfigError
from nnphys.pinn.derivatives import jet
from nnphys.pinn.levenberg_marquardt import residuals_and_jacobian
from nnphys.pinn.problems import T_COL, X_COL, spec
from nnphys.pinn.runs import train_run
from nnphys.pinn.train import Losses, build_model, collocation

from .conftest import heat_reference, tiny_run

CPU = torch.device("cpu")
TWO_MODES = {"k": 0.1, "modes": [{"n": 1, "amplitude": 1.0}, {"n": 3, "amplitude": 0.5}]}


def _model(s, kinds):
    torch.manual_seed(0)
    return build_model({"model": {"width": 6, "depth": 2, "dtype": "float64"},
                        "training": {"hard_constraints": kinds}}, s)


@pytest.mark.parametrize("physics", [{}, TWO_MODES])
def test_initial_and_boundary_values_hold_for_any_weights(physics):
    s = spec("heat1d", physics)
    model = _model(s, ["initial", "boundary"])
    hard, net = model["constraints"], model["net"]
    x = torch.linspace(0, s.params.length, 33, dtype=torch.float64)
    t = torch.linspace(0, s.params.t_end, 17, dtype=torch.float64)
    at_t0 = torch.stack([torch.zeros_like(x), x], 1)
    u0 = hard.value(at_t0, net(at_t0))[:, 0]
    torch.testing.assert_close(u0, torch.as_tensor(s.module.initial(s.params, x.numpy())), rtol=0, atol=1e-14)
    for end in (0.0, s.params.length):
        edge = torch.stack([t, torch.full_like(t, end)], 1)
        assert hard.value(edge, net(edge)).abs().max() < 1e-14


def test_the_transforms_derivatives_are_those_of_its_value():
    s = spec("heat1d", TWO_MODES)
    model = _model(s, ["initial", "boundary"])
    hard, net = model["constraints"], model["net"]
    pts = torch.rand(9, 2, dtype=torch.float64, requires_grad=True)
    u, du, d2u = hard.apply(pts, *jet(net, pts, (T_COL, X_COL), (X_COL,)))
    value = hard.value(pts, net(pts))[:, 0]
    (g,) = torch.autograd.grad(value.sum(), pts, create_graph=True)
    (gxx,) = torch.autograd.grad(g[:, X_COL].sum(), pts)
    torch.testing.assert_close(u[:, 0], value, rtol=0, atol=1e-14)
    torch.testing.assert_close(du[T_COL][:, 0], g[:, T_COL], rtol=0, atol=1e-12)
    # u0 enters as numpy values (autograd does not see it): its x-derivatives come from the physics module
    _, u0_x, u0_xx = (torch.as_tensor(v) for v in s.module.initial_jet(s.params, pts[:, X_COL].detach().numpy()))
    torch.testing.assert_close(du[X_COL][:, 0], g[:, X_COL] + u0_x, rtol=0, atol=1e-12)
    torch.testing.assert_close(d2u[X_COL][:, 0], gxx[:, X_COL] + u0_xx, rtol=0, atol=1e-11)


def test_the_initial_conditions_derivatives_are_those_of_the_sine_modes():
    s = spec("heat1d", TWO_MODES)
    x, h = np.linspace(0.1, 0.9, 7), 1e-4
    u0 = lambda y: s.module.initial_jet(s.params, y)[0]  # noqa: E731
    value, dx, dxx = s.module.initial_jet(s.params, x)
    np.testing.assert_allclose(value, s.module.initial(s.params, x), atol=1e-15)
    np.testing.assert_allclose(dx, (u0(x + h) - u0(x - h)) / (2 * h), atol=1e-6)
    np.testing.assert_allclose(dxx, (u0(x + h) - 2 * value + u0(x - h)) / h**2, atol=1e-5)


def test_exact_terms_leave_the_loss_and_levenberg_marquardt_sees_the_transform():
    s = spec("heat1d", {})
    model = _model(s, ["initial", "boundary"])
    losses = Losses(s, {"ic": 1.0, "bc": 1.0, "pde": 1.0}, model)
    assert set(losses.weights) == {"pde"}
    batch = collocation(s, {"n_pde": 7, "n_initial": 3, "n_boundary": 2}, 0, 0, next(model.parameters()))
    params = list(model.parameters())
    r, jac = residuals_and_jacobian(losses, batch, params)
    for i in range(len(r)):
        stacked = losses.residuals(batch)["pde"][0][:, 0] / len(r) ** 0.5
        grads = torch.autograd.grad(stacked[i], params)
        torch.testing.assert_close(jac[i], torch.cat([g.reshape(-1) for g in grads]), rtol=0, atol=1e-13)


@pytest.mark.parametrize("problem, kinds, message", [
    ("nls", ["boundary"], "'boundary' needs zero Dirichlet boundaries, nls is periodic"),
    ("nls", ["initial"], "'initial' needs the derivatives of u0"),
])
def test_a_constraint_the_problem_cannot_take_is_refused_naming_the_key(problem, kinds, message):
    with pytest.raises(ConfigError, match=f"config key 'hard_constraints': {message}"):
        _model(spec(problem, {}), kinds)


def test_exact_conditions_train_the_heat_equation_further_in_the_same_steps(tmp_path):
    """DeepXDE's heat example, Levenberg-Marquardt, 40 steps: 3.5e-4 with the condition losses, 4.0e-5 exact
    (150 steps on 2540 points: 5.5e-5 against 6.1e-6)."""
    final = {}
    for kinds in ([], ["initial", "boundary"]):
        run = tiny_run(phases=[{"optimizer": "lm", "steps": 40}], hard_constraints=kinds,
                       sampling={"method": "lhs", "n_pde": 400, "n_initial": 40, "n_boundary": 20})
        run["model"].update(width=20, depth=3)
        out = tmp_path / ("hard" if kinds else "soft")
        train_run("heat1d", run, heat_reference(nt=41, nx=41), out, CPU)
        rel = xr.load_dataset(out / "history.nc")["rel_l2"].values
        final[bool(kinds)] = float(rel[np.isfinite(rel)][-1])
    assert final[True] < 0.3 * final[False], final
