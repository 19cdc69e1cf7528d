"""Splits, normalization without leakage, and clear errors for bad or mismatched reference files."""

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys.io import DataError, write_dataset
from nnphys.neural_operator import data as od


def test_split_is_disjoint_complete_and_seeded():
    s = od.split(100, 0.1, 0.2, seed=7)
    assert [len(s[k]) for k in ("train", "val", "test")] == [70, 10, 20]
    assert np.array_equal(np.sort(np.concatenate(list(s.values()))), np.arange(100))
    assert all(np.array_equal(s[k], od.split(100, 0.1, 0.2, seed=7)[k]) for k in s)
    assert not np.array_equal(s["test"], od.split(100, 0.1, 0.2, seed=8)["test"])
    with pytest.raises(DataError, match="3 samples cannot be split"):
        od.split(3, 0.1, 0.1, seed=0)


def test_normalization_sees_only_the_training_split(poisson_file):
    fields = od.load("poisson", poisson_file)
    s = od.split(len(fields.x), 0.2, 0.2, seed=0)
    stats = od.normalization(fields, s["train"])
    fields.x[s["test"]] *= 1e3  # anything outside the training split must not move the statistics
    fields.y[s["val"]] += 5.0
    assert od.normalization(fields, s["train"]) == stats
    assert np.allclose(stats["in_std"], fields.x[s["train"]].double().std().item())
    assert len(stats["out_mean"]) == 3


def test_heat2d_normalizes_the_increment(heat2d_file):
    fields = od.load("heat2d", heat2d_file)
    stats = od.normalization(fields, np.arange(5))
    inc = torch.diff(fields.x[:5].double(), dim=1)
    assert np.isclose(stats["out_std"][0], inc.std().item())
    assert stats["out_std"][0] < 0.5 * stats["in_std"][0]


def test_missing_variable_names_file_and_variable(poisson_file, tmp_path):
    ds = xr.load_dataset(poisson_file).drop_vars("Ey")
    bad = write_dataset(ds, tmp_path / "bad.nc", params={})
    with pytest.raises(DataError, match=r"bad\.nc: missing variable 'Ey'"):
        od.load("poisson", bad)
    od.load("poisson", bad, outputs=["phi", "Ex"])  # not asked for: fine


def test_wrong_dims_and_too_short_trajectories(heat2d_file, tmp_path):
    ds = xr.load_dataset(heat2d_file)
    flat = write_dataset(ds.isel(t=0), tmp_path / "flat.nc", params={})
    with pytest.raises(DataError, match=r"flat\.nc: variable 'u' has dims \('sample', 'x', 'y'\), expected"):
        od.load("heat2d", flat)
    with pytest.raises(DataError, match="has 6 time steps, need at least 51"):
        od.load("heat2d", heat2d_file, min_steps=51)


def test_grid_mismatch_and_unknown_output_are_named(poisson_file):
    fields = od.load("poisson", poisson_file)
    with pytest.raises(DataError, match="grid 16x16 differs from the model's training grid 32x32"):
        od.check_grid(fields, (32, 32), poisson_file)
    with pytest.raises(DataError, match="subset of"):
        od.load("poisson", poisson_file, outputs=["Ez"])


def test_the_dirichlet_task_refuses_a_periodic_file_and_the_periodic_task_takes_either(poisson_file,
                                                                                       dirichlet_poisson_file):
    with pytest.raises(DataError, match=rf"{poisson_file}: task poisson_dirichlet learns from data with "
                                        r"boundary = 'dirichlet' .*this file has boundary = 'periodic'"):
        od.load("poisson_dirichlet", poisson_file)
    assert not od.load("poisson_dirichlet", dirichlet_poisson_file).periodic
    assert not od.load("poisson", dirichlet_poisson_file).periodic  # reference.poisson.boundary may be dirichlet
    assert od.load("poisson", poisson_file).periodic


def test_operator_wrapper_is_residual_in_physical_units():
    net = torch.nn.Conv2d(1, 1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    op = od.Operator(net, {"in_mean": [1.0], "in_std": [2.0], "out_mean": [0.5], "out_std": [3.0]}, residual=True)
    x = torch.randn(2, 1, 4, 4)
    torch.testing.assert_close(op(x), x + 0.5)
