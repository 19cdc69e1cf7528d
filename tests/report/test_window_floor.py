"""The floor of a receptive field against operators whose best windowed estimate is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from nnphys.evaluation.studies.window_floor import correlations, predict, window_floor
from nnphys.physics import poisson

N = 16


def white(samples: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((samples, N, N))


def split(rho: np.ndarray, y: np.ndarray, n_test: int = 20):
    """(fit rho, fit y, test rho, test y) with one channel."""
    return rho[n_test:], y[n_test:, None], rho[:n_test], y[:n_test, None]


def test_a_window_holding_the_stencil_is_exact_and_one_missing_a_cell_has_the_known_error():
    """y(x) = ρ(x + e_u) − 2 ρ(x) of white noise: a 3x3 window reads both cells; the window of x alone can only
    give −2 ρ(x), leaving ρ(x + e_u): relative error 1/√5."""
    rho = white(400)
    y = np.roll(rho, -1, axis=1) - 2 * rho
    assert window_floor(*split(rho, y), [(-1, 1)]) == pytest.approx([0], abs=1e-6)
    assert window_floor(*split(rho, y), [(0, 0)]) == pytest.approx([1 / np.sqrt(5)], rel=0.03)


def test_each_position_class_reads_through_its_own_window():
    """y(x) = ρ(x + e_u): spans of period 2 that read offset +1 on even rows only estimate even rows exactly and
    odd rows not at all (white noise: nothing else informs them), half the energy: error 1/√2."""
    rho = white(200)
    y = np.roll(rho, -1, axis=1)
    c_rr, c_yr = correlations(rho, y[:, None])
    pred = predict(rho[:5], [(0, 1), (-1, 0)], c_rr, c_yr)[:, 0]
    np.testing.assert_allclose(pred[:, 0::2], y[:5, 0::2], atol=1e-6)
    np.testing.assert_allclose(pred[:, 1::2], 0, atol=0.1)
    assert window_floor(*split(rho, y), [(0, 1), (-1, 0)]) == pytest.approx([1 / np.sqrt(2)], rel=0.03)
    assert window_floor(*split(rho, y), [(0, 1), (0, 2)]) == pytest.approx([0], abs=1e-6)


def test_the_poisson_solve_is_local_to_no_window_but_the_whole_lattice():
    ds = poisson.solve(poisson.Params(n=N, n_samples=200, seed=1))
    rho, y = ds["rho"].to_numpy(), np.stack([ds[c].to_numpy() for c in ("phi", "Ex")], axis=1)
    fit, test = slice(40, None), slice(0, 40)
    whole = window_floor(rho[fit], y[fit], rho[test], y[test], [(-8, 7)])
    assert whole.shape == (2,) and whole.max() < 1e-5
    narrow = window_floor(rho[fit], y[fit], rho[test], y[test], [(-2, 2)])
    assert (narrow > 0.1).all()


def test_a_lattice_that_is_no_whole_number_of_periods_is_refused():
    rho = white(4)
    with pytest.raises(ValueError, match="a 16x16 lattice is not a whole number of periods of 3 cells"):
        window_floor(rho, rho[:, None], rho, rho[:, None], [(0, 0)] * 3)
