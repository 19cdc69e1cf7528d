"""Collocation samplers and error metrics."""

import numpy as np
import pytest

from nnphys.norms import rel_l2
from nnphys.pinn.metrics import metrics
from nnphys.pinn.sampling import sample


@pytest.mark.parametrize("method", ["lhs", "sobol", "uniform"])
def test_samples_are_in_the_box_seeded_and_seed_dependent(method):
    a = sample(64, [0.0, -5.0], [2.0, 5.0], method, seed=(3, 0))
    assert a.shape == (64, 2)
    assert (a[:, 0] >= 0).all() and (a[:, 0] <= 2).all() and (a[:, 1] >= -5).all() and (a[:, 1] <= 5).all()
    assert np.array_equal(a, sample(64, [0.0, -5.0], [2.0, 5.0], method, seed=(3, 0)))
    assert not np.array_equal(a, sample(64, [0.0, -5.0], [2.0, 5.0], method, seed=(3, 1)))


def test_latin_hypercube_has_one_point_per_stratum():
    a = sample(50, [0.0, 0.0], [1.0, 1.0], "lhs", seed=0)
    for col in a.T:
        assert sorted(np.floor(col * 50).astype(int)) == list(range(50))


def test_nls_metrics_separate_modulus_and_complex_errors():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(5, 7, 2))
    # a pure phase rotation keeps |h| exact but changes h
    theta = 0.1
    rot = np.stack([np.cos(theta) * ref[..., 0] - np.sin(theta) * ref[..., 1],
                    np.sin(theta) * ref[..., 0] + np.cos(theta) * ref[..., 1]], axis=-1)
    m = metrics(rot, ref, ("u", "v"), np.zeros((5, 7)))
    assert m["rel_l2_abs"] == pytest.approx(0.0, abs=1e-14) and m["rel_l2"] == m["rel_l2_abs"]
    assert m["rel_l2_complex"] == pytest.approx(abs(np.exp(1j * theta) - 1), rel=1e-12)


def test_rel_l2_of_a_scaled_field():
    ref = np.linspace(1, 2, 30).reshape(5, 6, 1)
    m = metrics(1.01 * ref, ref, ("u",), np.full((5, 6), -2.0))
    assert m["rel_l2"] == pytest.approx(0.01) and m["max_abs"] == pytest.approx(0.02)
    assert m["mean_abs_residual"] == 2.0 and rel_l2(ref, ref) == 0.0
