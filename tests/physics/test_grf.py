"""Gaussian random fields: reproducible, unit variance, smoother for longer correlation lengths."""

import numpy as np
import pytest

from nnphys.physics.grf import gaussian_random_field


@pytest.mark.parametrize("boundary", ["periodic", "dirichlet"])
def test_seeded_unit_variance(boundary):
    def draw(seed, length_scale=0.1):
        return gaussian_random_field(np.random.default_rng(seed), 200, 32, 1.0, boundary, length_scale)

    a = draw(0)
    assert a.shape == (200, 32, 32)
    assert np.array_equal(a, draw(0)) and not np.array_equal(a, draw(1))
    assert np.mean(a**2) == pytest.approx(1.0, rel=0.1)
    rough = np.mean(np.diff(a, axis=-1) ** 2)
    smooth = np.mean(np.diff(draw(0, 0.2), axis=-1) ** 2)
    assert smooth < 0.5 * rough
