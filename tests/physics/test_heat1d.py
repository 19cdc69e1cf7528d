"""heat1d: Crank–Nicolson against the closed form, convergence orders, maximum principle."""

import numpy as np
import pytest

from nnphys.physics import heat1d


def max_error(p: heat1d.Params) -> float:
    x, t = heat1d.grid(p)
    return float(np.abs(heat1d.crank_nicolson(p) - heat1d.exact(p, x[None, :], t[:, None])).max())


def slope(h, err) -> float:
    return float(np.polyfit(np.log(h), np.log(err), 1)[0])


def test_second_order_in_dx():
    # dt tiny (many substeps) so the spatial error dominates.
    nxs = [11, 21, 41, 81]
    errs = [max_error(heat1d.Params(nx=nx, nt=11, refine=1, substeps=200)) for nx in nxs]
    assert abs(slope([1 / (n - 1) for n in nxs], errs) - 2) < 0.2, errs


def test_second_order_in_dt():
    # Fine refined grid so the time error dominates.
    subs = [2, 4, 8, 16]
    errs = [max_error(heat1d.Params(nx=101, nt=5, refine=8, substeps=s)) for s in subs]
    assert abs(slope([1 / s for s in subs], errs) - 2) < 0.2, errs


def test_default_reference_is_accurate():
    p = heat1d.Params()  # the DeepXDE problem: k = 0.4, L = T = 1, u0 = sin(pi x)
    x, t = heat1d.grid(p)
    ex = heat1d.exact(p, x[None, :], t[:, None])
    err = np.abs(heat1d.crank_nicolson(p) - ex).max(axis=1) / np.abs(ex).max(axis=1)
    assert err.max() < 1e-5


@pytest.mark.parametrize("modes", [((1, 1.0), (3, 0.5), (8, -0.3)), ((2, 1.0), (5, 2.0))])
def test_maximum_principle(modes):
    p = heat1d.Params(modes=modes, nx=101, nt=51, substeps=4, refine=2)
    u = heat1d.crank_nicolson(p)
    assert np.all(u.max(axis=1) <= u[0].max() + 1e-12)
    assert np.all(u.min(axis=1) >= u[0].min() - 1e-12)
    # Without sources, sup |u| never grows.
    sup = np.abs(u).max(axis=1)
    assert np.all(np.diff(sup) <= 1e-12)
    assert np.all(u[:, 0] == 0) and np.all(u[:, -1] == 0)


def test_dataset_face():
    ds = heat1d.solve(heat1d.Params(nx=21, nt=11))
    assert ds["u"].dims == ("t", "x") and ds["u"].shape == (11, 21)
    assert ds["x"].values[[0, -1]].tolist() == [0.0, 1.0]
    for name in ("u", "t", "x"):
        assert {"units", "long_name"} <= set(ds[name].attrs)


def test_residual_of_exact_solution_vanishes():
    p = heat1d.Params(k=0.7, modes=((1, 1.0), (2, 0.5)))
    x, t = np.meshgrid(np.linspace(0, 1, 9), np.linspace(0, 1, 7))
    lam = [(n * np.pi) ** 2 for n, _ in p.modes]
    u_t = sum(-p.k * l * a * np.exp(-p.k * l * t) * np.sin(n * np.pi * x) for (n, a), l in zip(p.modes, lam))
    u_xx = sum(-l * a * np.exp(-p.k * l * t) * np.sin(n * np.pi * x) for (n, a), l in zip(p.modes, lam))
    (r,) = heat1d.residual({}, {"u_t": u_t, "u_xx": u_xx}, p)
    assert np.abs(r).max() < 1e-12
