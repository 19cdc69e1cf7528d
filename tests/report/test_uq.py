"""The uncertainty study from saved files: an ensemble of prediction files is their mean and sample std, its
calibration is what the arithmetic says, and the table and figures are written (no model, no torch)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import fake
from nnphys import predictive
from nnphys.cli import main
from nnphys.evaluation import calibration as cal
from nnphys.evaluation.ensemble import ensemble
from nnphys.evaluation.figures import FORMATS, UQ
from nnphys.evaluation.figures.uq import uq_figures
from nnphys.evaluation.style import Style
from nnphys.evaluation.uq import field_error, summary, write_tables
from nnphys.io import DataError, write_dataset

MEMBERS = 5


def members(tmp_path, truth: xr.Dataset, var: str, spread: float, name: str = "op") -> list:
    """MEMBERS prediction files whose ``var_pred`` is truth + spread · N(0, 1) + a shared offset, seeds 0..4."""
    rng = np.random.default_rng(7)
    offset = spread * rng.standard_normal(truth[var].shape)  # the truth is one more draw around truth - offset
    paths = []
    for seed in range(MEMBERS):
        ds = truth.copy(deep=True)
        ds[f"{var}_pred"] = ds[var] + offset + spread * rng.standard_normal(ds[var].shape)
        ds[f"{var}_pred"].attrs = {"units": ds[var].attrs["units"], "long_name": f"predicted {var}"}
        paths.append(write_dataset(ds, tmp_path / name / f"m-s{seed}" / "prediction.nc", params={}, seed=seed))
    return paths


@pytest.fixture
def poisson_members(tmp_path):
    truth = fake.prediction_poisson(n_samples=64, n=16).drop_vars("phi_pred")
    return truth, members(tmp_path, truth, "phi", 0.01 * float(truth.phi.std()))


def test_an_ensemble_is_the_members_mean_and_sample_std(poisson_members):
    truth, paths = poisson_members
    ds = ensemble(paths, None, stage="operator", problem="poisson", model="m")
    preds = np.stack([xr.load_dataset(p).phi_pred.values for p in paths])
    assert predictive.variables(ds) == ["phi"]
    np.testing.assert_allclose(ds.phi_mean, preds.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(ds.phi_std, preds.std(axis=0, ddof=1), rtol=1e-5)
    np.testing.assert_array_equal(ds.phi, truth.phi)
    assert list(ds.member.values) == list(range(MEMBERS))
    np.testing.assert_allclose(ds.rel_l2_member, [field_error(truth.phi, p) for p in preds])
    assert ds.attrs == {"method": "ensemble", "stage": "operator", "problem": "poisson", "model": "m", "draws": 5}


def test_an_exchangeable_ensemble_covers_the_truth_as_the_t_distribution_says(poisson_members):
    """The truth is a draw of the members' distribution: ±kσ coverage is P(|t_4| <= k / sqrt(1.2)), not erf."""
    s = summary(ensemble(poisson_members[1], None, stage="operator", problem="poisson", model="m"))
    for k in (1, 2):
        assert s[f"coverage_{k}sigma"] == pytest.approx(cal.exchangeable_coverage(k, MEMBERS), abs=0.01)
        assert s[f"coverage_{k}sigma_exchangeable"] == cal.exchangeable_coverage(k, MEMBERS)
    assert s["rel_l2"] < s["rel_l2_member_mean"]  # averaging draws halves nothing of the shared offset, but helps
    assert s["rel_l2_member_min"] <= s["rel_l2_member_mean"] <= s["rel_l2_member_max"]
    assert s["certain_fraction"] == 0


def test_members_of_other_test_samples_are_refused_naming_the_file(poisson_members, tmp_path):
    truth, paths = poisson_members
    other = xr.load_dataset(paths[1])
    other = other.assign_coords(sample=("sample", np.arange(64) + 1, other.sample.attrs))
    write_dataset(other, tmp_path / "other.nc", params={}, seed=1)
    with pytest.raises(DataError, match=r"other\.nc: other test samples or truth than .*m-s0"):
        ensemble([paths[0], tmp_path / "other.nc"], None, stage="operator", problem="poisson", model="m")
    with pytest.raises(DataError, match="at least 2 members"):
        ensemble(paths[:1], None, stage="operator", problem="poisson", model="m")


def test_a_pinn_ensemble_takes_its_truth_from_the_reference_and_leaves_exact_points_out(tmp_path):
    ref = fake.reference_heat1d()
    write_dataset(ref, tmp_path / "heat1d.nc", params={"k": 0.4})
    rng = np.random.default_rng(0)
    paths = []
    for seed in range(3):
        pred = ref.copy(deep=True)
        pred["u"] = pred.u + 1e-3 * rng.standard_normal(pred.u.shape) * (pred.t > 0).values[:, None]  # exact at t = 0
        paths.append(write_dataset(pred, tmp_path / f"s{seed}" / "prediction.nc", params={}, seed=seed))
    assert main(["ensemble", "--stage", "pinn", "--problem", "heat1d", "--model", "mlp", "--predictions",
                 *map(str, paths), "--reference", str(tmp_path / "heat1d.nc"), "--out", str(tmp_path / "p.nc")]) == 0
    ds = xr.load_dataset(tmp_path / "p.nc")
    np.testing.assert_array_equal(ds.u, ref.u)
    s = summary(ds)
    assert s["certain_fraction"] == pytest.approx(ref.sizes["x"] / ref.u.size)
    assert 0 < s["coverage_1sigma"] < s["coverage_2sigma"] < 1


def test_the_table_and_the_figures_are_written(poisson_members, tmp_path):
    path = write_dataset(ensemble(poisson_members[1], None, stage="operator", problem="poisson", model="m"),
                         tmp_path / "e" / "predictive.nc", params={})
    df = write_tables([path], tmp_path / "uq.csv", tmp_path / "uq.md")
    assert list(df[["method", "problem", "model", "draws"]].iloc[0]) == ["ensemble", "poisson", "m", 5]
    assert "coverage_2sigma" in (tmp_path / "uq.md").read_text()
    uq_figures("poisson/ensemble-m", path, tmp_path / "fig", Style(dpi=40))
    for name in UQ:
        for fmt in FORMATS:
            assert (tmp_path / "fig" / f"{name}.{fmt}").stat().st_size > 1000


def test_rollout_and_pinn_predictive_files_have_figures_too(tmp_path):
    roll = fake.prediction_heat2d().drop_vars(["u_pred", "rollout_rel_l2", "step"])
    spread = 0.01 * np.ones(roll.u.shape) * (roll.t > 0).values[None, :, None, None]
    heat = predictive.dataset(roll, {"u": roll.u.values + spread}, {"u": spread}, method="mc_dropout",
                              stage="operator", problem="heat2d", model="fno-s0", draws=8)
    ref = fake.reference_nls()
    pinn = predictive.dataset(ref, {v: ref[v].values * 1.01 for v in ref.data_vars},
                              {v: 0.01 * np.abs(ref[v].values) + 1e-4 for v in ref.data_vars},
                              method="ensemble", stage="pinn", problem="nls", model="mlp", draws=3)
    for name, ds in (("heat", heat), ("nls", pinn)):
        path = write_dataset(ds, tmp_path / name / "predictive.nc", params={})
        uq_figures(name, path, tmp_path / name, Style(dpi=40))
        assert (tmp_path / name / "fields.png").stat().st_size > 1000


def test_a_file_that_is_no_predictive_distribution_is_named(tmp_path):
    path = write_dataset(fake.prediction_poisson(), tmp_path / "prediction.nc", params={})
    with pytest.raises(DataError, match=r"run x: .*prediction\.nc: not a predictive distribution"):
        uq_figures("x", path, tmp_path, Style(dpi=40))
