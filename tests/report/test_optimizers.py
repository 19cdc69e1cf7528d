"""The optimizer comparison from saved files: each run described by the optimizer its history records, the
table's final numbers from its history and metrics, one figure per comparison."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from nnphys.cli import main
from nnphys.evaluation.optimizers import describe, read_run, write_tables
from nnphys.io import STEP, write_dataset, write_json

ND = {"units": "1"}
TRAINING = {"batch_size": 8, "lr": 0.005, "optimizer": "adamw", "momentum": 0.0, "schedule": "onecycle",
            "milestones": [], "factor": 5}


def operator_run(root, name, training, error, epochs=6):
    e = np.arange(1, epochs + 1)
    hist = xr.Dataset({"loss_train": (STEP, np.exp(-e / 3), {**ND, "long_name": "training loss"}),
                       "loss_val": (STEP, np.exp(-e / 3), {**ND, "long_name": "validation loss"}),
                       "val_rel_l2": (STEP, error * np.exp(-e / 3) / np.exp(-epochs / 3), {**ND, "long_name": "rel"}),
                       "lr": (STEP, np.full(epochs, 0.005), {**ND, "long_name": "lr"}),
                       "updates": (STEP, 10 * e, {**ND, "long_name": "updates"}),
                       "wall_time": (STEP, 2.0 * e, {"units": "s", "long_name": "wall time"})},
                      coords={STEP: (STEP, e, {**ND, "long_name": "epoch"})})
    d = root / "operator" / "poisson" / f"{name}-s0"
    write_dataset(hist, d / "history.nc", params={"training": {**TRAINING, **training}})
    write_json(d / "metrics.json", {"kind": "operator", "problem": "poisson", "model": name, "seed": 0,
                                    "run": f"{name}-s0", "device": "cpu", "train_seconds": 12.0,
                                    "metrics": {"rel_l2_mean": error}})
    return d


def pinn_run(root, name, phases, error):
    s = np.arange(10, 110, 10)
    rel = np.where(s % 50 == 0, error, np.nan)
    hist = xr.Dataset({"loss_total": (STEP, 1 / s, {**ND, "long_name": "loss"}),
                       "rel_l2": (STEP, rel, {**ND, "long_name": "rel"}),
                       "wall_time": (STEP, 0.1 * s, {"units": "s", "long_name": "wall time"})},
                      coords={STEP: (STEP, s, {**ND, "long_name": "step"})})
    d = root / "pinn" / "heat1d" / f"{name}-s0"
    write_dataset(hist, d / "history.nc", params={"training": {"phases": phases}})
    write_json(d / "metrics.json", {"kind": "pinn", "problem": "heat1d", "model": name, "seed": 0,
                                    "run": f"{name}-s0", "device": "cpu", "train_seconds": 10.0,
                                    "metrics": {"rel_l2": error}})
    return d


@pytest.fixture
def runs(tmp_path):
    return {"poisson_fno": [
        operator_run(tmp_path, "fno", {}, 0.006),
        operator_run(tmp_path, "fno_sgd", {"optimizer": "sgd", "lr": 0.1, "schedule": "step", "milestones": [3]}, 0.05),
        operator_run(tmp_path, "fno_batch", {"optimizer": "sgd", "momentum": 0.9, "schedule": "batch_growth",
                                             "milestones": [3, 5], "factor": 4}, 0.02)],
            "heat1d_mlp": [
        pinn_run(tmp_path, "lm", [{"optimizer": "lm", "steps": 100}], 6e-6),
        pinn_run(tmp_path, "adam", [{"optimizer": "adam", "steps": 100, "lr": 0.001, "schedule": "exponential",
                                     "final_factor": 0.1}], 1e-3)]}


def test_each_run_is_described_by_what_trained_it():
    assert describe("operator", {"training": {**TRAINING, "optimizer": "sgd", "momentum": 0.9, "lr": 0.05,
                                              "schedule": "batch_growth", "milestones": [6, 9]}}) == (
        "SGD, momentum 0.9, lr 0.05, batch 8, constant lr, batch ×5 after epochs 6, 9")
    assert describe("operator", {"training": {**TRAINING, "optimizer": "sgd", "schedule": "step",
                                              "milestones": [6]}}) == "SGD, lr 0.005, batch 8, lr ÷5 after epochs 6"
    assert describe("operator", {"training": TRAINING}) == "AdamW, lr 0.005, batch 8, one-cycle lr"
    assert describe("pinn", {"training": {"phases": [
        {"optimizer": "sgd", "momentum": 0.0, "steps": 10, "lr": 0.1, "schedule": "constant"},
        {"optimizer": "lbfgs", "steps": 5}]}}) == "SGD, lr 0.1 (10 steps) then L-BFGS (5 steps)"


def test_the_table_has_each_runs_final_numbers(runs, tmp_path):
    df = write_tables(runs, {"poisson": "rel_l2_mean"}, tmp_path / "o.csv", tmp_path / "o.md")
    assert list(df["run"]) == ["fno-s0", "fno_sgd-s0", "fno_batch-s0", "lm-s0", "adam-s0"]
    assert list(df["test_error"]) == [0.006, 0.05, 0.02, 6e-6, 1e-3]
    assert list(df["metric"]) == ["rel_l2_mean"] * 3 + ["rel_l2"] * 2
    assert list(df["updates"]) == [60, 60, 60, 100, 100] and list(df["epochs"]) == [6, 6, 6, 100, 100]
    md = (tmp_path / "o.md").read_text()
    assert "## poisson_fno (poisson)" in md and "## heat1d_mlp (heat1d)" in md
    assert read_run(runs["heat1d_mlp"][1]).error[4] == 1e-3  # NaN where the PINN did not evaluate


def test_the_table_gives_the_seconds_to_each_error_level(runs, tmp_path):
    df = write_tables(runs, {}, tmp_path / "o.csv", tmp_path / "o.md", reach={"heat1d_mlp": [1e-2, 1e-5, 1e-6]})
    pinn = df[df["comparison"] == "heat1d_mlp"]
    # the PINN evaluates every 50 steps at 0.1 s a step: both reach 1e-2 at step 50; only LM (6e-6) reaches 1e-5
    assert list(pinn["s_to_0.01"]) == [5.0, 5.0]
    assert pinn["s_to_1e-05"].iloc[0] == 5.0 and np.isnan(pinn["s_to_1e-05"].iloc[1])
    assert pinn["s_to_1e-06"].isna().all() and df.loc[df["comparison"] == "poisson_fno", "s_to_0.01"].isna().all()
    md = (tmp_path / "o.md").read_text()
    assert "| s_to_0.01 | s_to_1e-05 | s_to_1e-06 |" in md and "| 5 | 5 | never |" in md
    assert md.split("## heat1d_mlp")[0].count("s_to_") == 1  # the operator comparison asked for none (the legend)


@pytest.mark.parametrize("name", ["poisson_fno", "heat1d_mlp"])
def test_one_figure_per_comparison(runs, tmp_path, name):
    assert main(["figures", "optimizers", "--run", name, "--runs", *map(str, runs[name]), "--style", '{"dpi": 40}',
                 "--out-dir", str(tmp_path / name)]) == 0
    for fmt in ("png", "pdf"):
        assert (tmp_path / name / f"training.{fmt}").stat().st_size > 1000


def test_runs_of_two_stages_are_not_compared(runs, tmp_path, capsys):
    assert main(["figures", "optimizers", "--run", "mixed", "--runs", str(runs["poisson_fno"][0]),
                 str(runs["heat1d_mlp"][0]), "--out-dir", str(tmp_path)]) == 2
    assert "run mixed: compares runs of different stages ['operator', 'pinn']" in capsys.readouterr().err
