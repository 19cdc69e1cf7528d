"""The inverse problem's data and its Cramér–Rao bound: the bound is the spread of the best estimator."""

import dataclasses

import numpy as np
import pytest
from scipy.optimize import least_squares

from nnphys.physics import heat1d
from nnphys.pinn.inverse import cramer_rao_std, noisy_samples


def grid_values(p, n=101):
    t, x = np.linspace(0, p.t_end, n), np.linspace(0, p.length, n)
    return t, x, heat1d.exact(p, x[None, :], t[:, None])[..., None]


def test_noise_has_the_stated_standard_deviation():
    t, x, u = grid_values(heat1d.Params())
    points, data, sigma = noisy_samples(t, x, u, 2000, 0.01, seed=3)
    clean = heat1d.exact(heat1d.Params(), points[:, 1], points[:, 0])
    assert sigma[0] == pytest.approx(0.01 * clean.std())
    assert np.std(data[:, 0] - clean) == pytest.approx(sigma[0], rel=0.05)


@pytest.mark.parametrize("params", [heat1d.Params(), heat1d.Params(k=0.1, modes=((1, 1.0), (3, 0.5)))],
                         ids=["k0.4-one-mode", "k0.1-two-modes"])
def test_cramer_rao_bound_is_the_spread_of_least_squares_estimates(params):
    """Fitting k to the noisy data through the closed form is efficient for this well-posed one-parameter
    problem: over many noise draws its estimates scatter with the Cramér–Rao standard deviation."""
    t, x, u = grid_values(params)
    points, _, sigma = noisy_samples(t, x, u, 200, 0.01, seed=0)
    bound = cramer_rao_std(heat1d, params, "k", points, float(sigma[0]))
    clean = heat1d.exact(params, points[:, 1], points[:, 0])
    rng = np.random.default_rng(1)
    estimates = []
    for _ in range(400):
        data = clean + sigma[0] * rng.standard_normal(clean.shape)
        fit = least_squares(lambda k: heat1d.exact(dataclasses.replace(params, k=k[0]), points[:, 1], points[:, 0])
                            - data, x0=[2 * params.k])
        estimates.append(fit.x[0])
    assert np.std(estimates) == pytest.approx(bound, rel=0.15)
    assert abs(np.mean(estimates) - params.k) < 4 * bound / np.sqrt(len(estimates))
    assert 1e-4 < bound / params.k < 1e-2  # 200 samples at 1 % noise: k known to a few tenths of a per cent


def test_data_that_say_nothing_about_k_give_an_infinite_bound():
    p = heat1d.Params()
    at_start = np.stack([np.zeros(5), np.linspace(0.1, 0.9, 5)], axis=1)  # u(0, x) = u0(x) for every k
    assert cramer_rao_std(heat1d, p, "k", at_start, 0.01) == np.inf
    assert cramer_rao_std(heat1d, p, "k", at_start + [[0.5, 0.0]], 0.0) == 0.0  # no noise: no floor
