"""The receptive-field study's table and figure from synthetic runs (metrics.json, model.pt and the test split of
prediction.nc, no training) on a small real Poisson reference, and its config check naming the key."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys import cli
from nnphys.configcheck import ConfigError
from nnphys.evaluation.figures.receptive_field import receptive_field_figure
from nnphys.evaluation.studies.receptive_field import markdown, table, write_tables
from nnphys.evaluation.studies.receptive_field_config import runs
from nnphys.evaluation.style import Style
from nnphys.io import SAMPLE, DataError, save_checkpoint, write_dataset, write_json
from nnphys.physics import poisson

OUTPUTS = ("phi", "Ex", "Ey")
N, TEST = 16, np.arange(0, 40, 4)  # the lattice; the test split's samples


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "poisson.nc"
    write_dataset(poisson.solve(poisson.Params(n=N, n_samples=40, seed=2)), path, params={})
    return path


def fake_run(root, model, hyper, error, weights=10, problem="poisson"):
    """A run folder with the operator stage's metrics.json (per-channel errors ``error`` times 0.9, 1.0, 1.1), a
    model.pt of ``weights`` numbers, and a prediction.nc holding the test split's sample indices."""
    d = root / problem / f"{model}-s0"
    per_channel = {f"rel_l2_mean_{c}": error * f for c, f in zip(OUTPUTS, (0.9, 1.0, 1.1))}
    write_json(d / "metrics.json", {
        "kind": "operator", "problem": problem, "model": model, "seed": 0, "run": f"{model}-s0", "device": "cpu",
        "train_seconds": 60.0, "epochs": 12, "metrics": {"rel_l2_mean": error, "rel_l2_median": error, **per_channel}})
    save_checkpoint(d / "model.pt", {"model": {"a.weight": torch.zeros(weights - 2), "a.bias": torch.zeros(2)},
                                     "config": {"arch": model, "model": hyper},
                                     "meta": {"grid": [N, N], "outputs": list(OUTPUTS)}})
    write_dataset(xr.Dataset(coords={SAMPLE: (SAMPLE, TEST, {"units": "1", "long_name": "sample index"})}),
                  d / "prediction.nc", params={})
    return d


@pytest.fixture
def study(tmp_path):
    """Three encoder-decoders, given deepest first; the error falls as the receptive field grows."""
    return [fake_run(tmp_path, f"ed_d{d}", {"architecture": "encoder_decoder", "depth": d, "width": 4}, e, w)
            for d, e, w in ((3, 0.02, 300), (1, 0.5, 100), (2, 0.3, 200))]


def test_the_table_has_each_runs_receptive_field_parameters_errors_and_floor(study, reference):
    df = table(study, reference)
    assert list(df["model"]) == ["ed_d1", "ed_d2", "ed_d3"]  # by receptive field
    assert list(df["depth"]) == [1, 2, 3]
    assert list(df["receptive_field"]) == [13, 23, 43]
    assert list(df["receptive_field_fraction"]) == pytest.approx([13 / N, 23 / N, 43 / N])
    assert list(df["parameters"]) == [100, 200, 300]
    assert list(df["rel_l2_mean"]) == [0.5, 0.3, 0.02]
    assert list(df["rel_l2_mean_Ey"]) == pytest.approx([0.55, 0.33, 0.022])
    assert "rel_l2_median" not in df  # the compared error and its channels only
    # depth 1 reads 13 of 16 cells, which misses some of the solve; deeper ones read the whole lattice
    assert df["floor_rel_l2_mean"][0] > 1e-3 and df["floor_rel_l2_mean"][1:].max() < 1e-5
    assert df["floor_rel_l2_mean"][0] == pytest.approx(df[[f"floor_rel_l2_mean_{c}" for c in OUTPUTS]].iloc[0].mean())
    md = markdown(df)
    assert "| ed_d1 | encoder_decoder | 1 | 13 | 0.81 | 100 | 0.5 | 0.45 | 0.5 | 0.55 |" in md
    assert "lattice side 16" in md


def test_tables_and_figure_are_written(study, reference, tmp_path):
    df = write_tables(study, reference, tmp_path / "out" / "rf.csv", tmp_path / "out" / "rf.md")
    assert (tmp_path / "out" / "rf.csv").read_text().splitlines()[0].startswith(
        "model,architecture,depth,receptive_field,lattice_side,receptive_field_fraction,parameters,rel_l2_mean,"
        "rel_l2_mean_phi,rel_l2_mean_Ex,rel_l2_mean_Ey,floor_rel_l2_mean")
    receptive_field_figure(df, tmp_path / "fig", Style(dpi=40))
    for suffix in ("png", "pdf"):
        assert (tmp_path / "fig" / f"receptive_field.{suffix}").stat().st_size > 1000


def test_the_cli_writes_everything_and_names_a_run_it_refuses(study, reference, tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["study", "receptive-field", "--reference", str(reference), "--style", '{"dpi": 40}',
            "--csv", str(out / "rf.csv"), "--md", str(out / "rf.md"), "--out-dir", str(out)]
    assert cli.main([*args, "--runs", *map(str, study)]) == 0
    assert {p.name for p in out.iterdir()} == {"rf.csv", "rf.md", "receptive_field.png", "receptive_field.pdf"}
    fno = fake_run(tmp_path, "fno", {"architecture": "fno", "modes": 8}, 0.01)
    assert cli.main([*args, "--runs", str(fno)]) == 2
    assert "run poisson/fno-s0: a fno mixes the whole lattice in every layer" in capsys.readouterr().err


def test_files_of_different_runs_are_refused(study, reference, tmp_path):
    (study[1] / "model.pt").write_bytes((study[0] / "model.pt").read_bytes())
    with pytest.raises(DataError, match="run poisson/ed_d1-s0: model.pt is a model of 'ed_d3'"):
        table(study, reference)
    heat = fake_run(tmp_path, "ed_h", {"architecture": "encoder_decoder", "depth": 1}, 0.1, problem="heat2d")
    with pytest.raises(DataError, match="run heat2d/ed_h-s0: .*not one poisson run"):
        table([heat], reference)


CONFIG = {
    "operator": {"models": {"ed": {"architecture": "encoder_decoder", "depth": 1},
                            "fno": {"architecture": "fno"}, "unet": {"architecture": "unet"}},
                 "runs": [{"task": "poisson", "models": ["ed", "fno"], "seeds": [0, 1]},
                          {"task": "heat2d", "models": ["unet"], "seeds": [0]}]},
    "studies": {"receptive_field": {"models": ["ed"], "seed": 1}},
}


def with_study(models, seed=0):
    cfg = copy.deepcopy(CONFIG)
    cfg["studies"]["receptive_field"] = {"models": models, "seed": seed}
    return cfg


def test_the_config_gives_the_runs_of_the_seed():
    assert runs(with_study(["ed"], seed=1)) == ["ed-s1"]
    assert runs(with_study([])) == []


@pytest.mark.parametrize("models, seed, message", [
    (["ed", "edd"], 0, "'studies.receptive_field.models[1]': no model 'edd' in operator.models"),
    (["fno"], 0, "'studies.receptive_field.models[0]': model 'fno' is a fno, which mixes the whole lattice"),
    (["ed"], 2, "'studies.receptive_field.models[0]': no run 'ed-s2': operator.runs has no entry of task poisson "
                "with model 'ed' and seed 2 (studies.receptive_field.seed)"),
    (["unet"], 0, "'studies.receptive_field.models[0]': no run 'unet-s0'"),  # trained on heat2d only
])
def test_config_errors_name_the_key(models, seed, message):
    with pytest.raises(ConfigError) as err:
        runs(with_study(models, seed))
    assert f"config key {message}" in str(err.value)
