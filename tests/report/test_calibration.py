"""Calibration arithmetic on synthetic Gaussians: the truth drawn from N(m, s²) is covered as a Gaussian says,
a σ too small (over-confident) covers less, too large (under-confident) more."""

from __future__ import annotations

import numpy as np
import pytest

from nnphys.evaluation import calibration as cal

N = 200_000
TOL = 4 * np.sqrt(0.25 / N)  # four binomial standard deviations of a fraction, at most 0.0045


@pytest.fixture(scope="module")
def gaussian():
    """Truth y ~ N(m, s²) with a different m and s at every point."""
    rng = np.random.default_rng(0)
    m = rng.normal(size=N)
    s = rng.uniform(0.1, 2.0, size=N)
    return m + s * rng.standard_normal(N), m, s


@pytest.mark.parametrize("k, expected", [(1, 0.6827), (2, 0.9545), (3, 0.9973)])
def test_a_calibrated_gaussian_is_covered_as_erf_says(gaussian, k, expected):
    assert cal.gaussian_coverage(k) == pytest.approx(expected, abs=1e-4)
    assert cal.coverage(*gaussian, k) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("scale, side", [(0.5, -1), (2.0, 1)])
def test_over_and_under_confident_sigma_cover_less_and_more(gaussian, scale, side):
    """σ half the true spread covers P(|Z| <= k/2), twice the spread P(|Z| <= 2k)."""
    y, m, s = gaussian
    for k in (1, 2):
        got = cal.coverage(y, m, scale * s, k)
        assert got == pytest.approx(cal.gaussian_coverage(k * scale), abs=TOL)
        assert np.sign(got - cal.gaussian_coverage(k)) == side
    assert cal.sigma_over_rmse(y, m, scale * s) == pytest.approx(scale, rel=0.01)


def test_reliability_is_the_diagonal_for_a_calibrated_gaussian(gaussian):
    levels = np.array(cal.LEVELS)
    np.testing.assert_allclose(cal.reliability(*gaussian, levels), levels, atol=TOL)
    y, m, s = gaussian
    assert np.all(cal.reliability(y, m, 0.5 * s, levels) < levels)  # over-confident: below the diagonal


def test_sigma_tracks_the_error_only_when_it_should(gaussian):
    y, m, s = gaussian
    assert cal.sigma_error_corr(y, m, s) > 0.5  # |e| ~ s |Z|: E|e| grows with s
    shuffled = np.random.default_rng(1).permutation(s)
    assert abs(cal.sigma_error_corr(y, m, shuffled)) < 0.02  # a σ that knows nothing of where the error is
    sig, err = cal.binned_error(y, m, s)
    np.testing.assert_allclose(err, np.sqrt(2 / np.pi) * sig, rtol=0.03)


def test_the_exchangeable_bar_of_a_small_ensemble_matches_a_simulation():
    """Truth = one more draw of the members' distribution: (y - mean)/std is sqrt(1 + 1/n) t_{n-1}."""
    rng = np.random.default_rng(2)
    n = 5
    draws = rng.standard_normal((n + 1, N))
    m, s = draws[:n].mean(axis=0), draws[:n].std(axis=0, ddof=1)
    for k in (1, 2):
        assert cal.coverage(draws[n], m, s, k) == pytest.approx(cal.exchangeable_coverage(k, n), abs=TOL)
    assert cal.exchangeable_coverage(2, 5) == pytest.approx(0.858, abs=1e-3)
    assert cal.exchangeable_coverage(2, 10**6) == pytest.approx(cal.gaussian_coverage(2), abs=1e-5)


def test_points_with_zero_sigma_are_left_out_and_counted():
    y, m, s = np.array([0.0, 1.0, 1.0, 1.0]), np.array([0.0, 1.5, 1.5, 3.0]), np.array([0.0, 1.0, 1.0, 1.0])
    assert cal.coverage(y, m, s, 1) == pytest.approx(2 / 3)
    assert cal.certain_fraction(s) == 0.25
    with pytest.raises(ValueError, match="every standard deviation is 0"):
        cal.coverage(y, m, np.zeros(4), 1)
    with pytest.raises(ValueError, match="differ in size"):
        cal.coverage(y, m[:3], s, 1)
