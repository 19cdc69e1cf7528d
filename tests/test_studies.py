"""The study targets end to end on the smoke run: what they run, what they write, and their config errors."""

import shutil

import pandas as pd
import pytest

from helpers import jobs


@pytest.fixture
def smoke_copy(smoke_run, tmp_path):
    """A copy of the smoke run's folder: a study adds files, the session's run stays as it was."""
    return shutil.copytree(smoke_run, tmp_path / "run", symlinks=True)


def test_the_green_study_reads_the_trained_models_and_trains_nothing(smoke_copy, run_snakemake):
    result = run_snakemake(smoke_copy, "--cores", "2", "green")
    assert result.returncode == 0, result.stderr[-4000:]
    ran = [j.rule for j in jobs(result.stdout + result.stderr)]
    assert sorted(set(ran)) == ["green", "operator_green", "study_green"], ran
    assert ran.count("operator_green") == 4  # every Poisson run of the smoke preset
    table = pd.read_csv(smoke_copy / "results/studies/green/green.csv")
    assert sorted(table.run) == ["deeponet-s0", "encoder_decoder-s0", "fno-s0", "unet-s0"]
    assert (table.filter(like="rel_l2") > 0).all().all()
    assert (smoke_copy / "results/studies/green/fno-s0.pdf").stat().st_size > 0


def test_the_symmetry_study_trains_its_runs_and_the_d4_model_is_exact(smoke_copy, run_snakemake, tmp_path):
    override = tmp_path / "symmetry.yaml"
    override.write_text("""
operator:
  models:
    p: {architecture: unet, width: 4, depth: 1}
    a: {architecture: unet, width: 4, depth: 1, symmetry: augment}
    e: {architecture: unet, width: 4, depth: 1, symmetry: d4}
  runs:
    - {task: poisson, models: [p, a, e], seeds: [0], training: {train_samples: 8, epochs: 2}}
studies:
  symmetry: {models: [p, a, e]}
""")
    result = run_snakemake(smoke_copy, "--cores", "2", "symmetry", overrides=(override,))
    assert result.returncode == 0, result.stderr[-4000:]
    trained = sorted(j.wildcards["run"] for j in jobs(result.stdout + result.stderr) if j.rule == "operator_train")
    assert trained == ["a-s0", "e-s0", "p-s0"]  # the study's runs (seed 0) only, no default run
    table = pd.read_csv(smoke_copy / "results/studies/symmetry/symmetry.csv")
    assert list(table.variant) == ["none", "augment", "d4"] and set(table.train_samples) == {8}
    eq = dict(zip(table.variant, table.d4_equivariance_error))
    assert eq["d4"] < 1e-5 < eq["none"]


@pytest.mark.parametrize("yaml, key", [
    ("studies:\n  green: {runs: [nope-s0]}\n", "studies.green.runs[0]"),
    ("studies:\n  symmetry: {models: [fno]}\noperator:\n  runs: []\n", "studies.symmetry.models[0]"),
    ("studies:\n  green: {near: 0}\n", "studies.green.near"),
])
def test_a_bad_study_config_names_the_key(repo, run_snakemake, tmp_path, yaml, key):
    override = tmp_path / "bad.yaml"
    override.write_text(yaml)
    target = "green" if "green" in yaml else "symmetry"
    result = run_snakemake(tmp_path, "-n", target, overrides=(override,))
    assert result.returncode != 0
    assert key in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]
