"""Collocation samplers, the log-time stretch, and error metrics."""

import numpy as np
import pytest
import torch

from nnphys.configcheck import ConfigError
from nnphys.norms import rel_l2
from nnphys.pinn.metrics import metrics
from nnphys.pinn.problems import T_COL, spec
from nnphys.pinn.sampling import log_times, sample
from nnphys.pinn.train import collocation, time_scale


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


def test_log_times_are_uniform_in_log_time_and_keep_the_ends():
    t0, t1, scale = 0.5, 2.5, 0.01
    u = sample(400, [t0], [t1], "lhs", seed=0)[:, 0]
    t = log_times(u, t0, t1, scale)
    assert log_times(np.array([t0, t1]), t0, t1, scale) == pytest.approx([t0, t1], rel=1e-14)
    assert (np.argsort(t) == np.argsort(u)).all()
    # the Latin hypercube is one again in tau = log(1 + (t - t0) / scale): one point per stratum
    tau = np.log1p((t - t0) / scale) / np.log1p((t1 - t0) / scale)
    assert sorted(np.floor(tau * 400).astype(int)) == list(range(400))
    # as many points in [t0, t0 + scale] as in [t0 + (e - 1) scale, t0 + (e² - 1) scale]: log 2 / log 201 of them
    assert np.mean(t < t0 + scale) == pytest.approx(np.log(2) / np.log(201), abs=1 / 400)
    # a scale far beyond the interval is uniform
    assert np.abs(log_times(u, t0, t1, 1e6) - u).max() < 1e-5


def test_time_scale_auto_is_the_heat_decay_time_and_stretches_the_points():
    s = spec("heat1d", {"k": 0.5, "modes": [{"n": 2, "amplitude": 1.0}, {"n": 3, "amplitude": 0.3}]})
    sampling = {"n_pde": 256, "n_initial": 8, "n_boundary": 64}
    assert time_scale(s, sampling | {"time_scale": "auto"}) == pytest.approx(1 / (0.5 * np.pi ** 2 * 4))
    assert time_scale(s, sampling | {"time_scale": 0.2}) == 0.2 and time_scale(s, sampling) is None
    like = torch.zeros((), dtype=torch.float64)
    uniform = collocation(s, sampling, 0, 0, like)
    stretched = collocation(s, sampling | {"time_scale": "auto"}, 0, 0, like)
    early = lambda pts: (pts[:, T_COL] < 0.05).double().mean().item()  # noqa: E731
    assert early(stretched["pde"]) > 3 * early(uniform["pde"])
    assert early(stretched["bc"]) > 3 * early(uniform["bc"])
    assert torch.equal(stretched["pde"][:, 1], uniform["pde"][:, 1])  # positions as drawn
    assert torch.equal(stretched["ic"], uniform["ic"])


def test_time_scale_auto_without_a_decay_time_names_the_key():
    with pytest.raises(ConfigError, match=r"'sampling.time_scale' of pinn problem nls: 'auto' needs .*decay_time"):
        collocation(spec("nls", {}), {"n_pde": 8, "n_initial": 8, "n_boundary": 8, "time_scale": "auto"}, 0, 0,
                    torch.zeros(()))


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
