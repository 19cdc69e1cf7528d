"""The receptive-field study in the workflow: its preset resolves, plans only its own runs on top of the default
reference (never a default run, never the reference again), stays out of rule all, and a bad study config
stops the workflow at load naming the key."""

from __future__ import annotations

import pytest

from helpers import jobs

# Targets go after an option: the helper puts the arguments behind --configfile, which takes every word up to
# the next option as a config file.
PRESET = "workflow/presets/receptive-field.yaml"
STUDY_RUNS = {f"ed_d{d}-s0" for d in (1, 2, 3, 4)}


@pytest.fixture(scope="module")
def small_reference(tmp_path_factory):
    """A folder where the default config's Poisson reference was made (with fewer samples: the study only needs it
    to exist with the metadata Snakemake records), and the override file that shrinks it."""
    workdir = tmp_path_factory.mktemp("rf")
    small = workdir / "small.yaml"
    small.write_text("reference:\n  poisson: {n_samples: 16}\n")
    return workdir, small


def test_the_preset_plans_its_runs_and_the_study_only(small_reference, run_snakemake, repo):
    workdir, small = small_reference
    default = repo / "config.yaml"
    made = run_snakemake(workdir, "--cores", "1", "results/reference/poisson.nc", preset=default, overrides=(small,))
    assert made.returncode == 0, made.stderr[-3000:]
    plan = run_snakemake(workdir, "-n", "receptive_field", preset=repo / PRESET, overrides=(small,))
    assert plan.returncode == 0, plan.stderr[-3000:]
    planned = jobs(plan.stdout)
    assert sorted(j.rule for j in planned) == sorted(["operator_train"] * 4 + ["operator_evaluate"] * 4 +
                                                     ["receptive_field_study", "receptive_field"])
    assert {j.wildcards["run"] for j in planned if j.rule.startswith("operator")} == STUDY_RUNS
    assert {j.wildcards["task"] for j in planned if j.rule.startswith("operator")} == {"poisson"}


def test_rule_all_has_no_study_job(run_snakemake, tmp_path, repo):
    for preset in (repo / "config.yaml", repo / PRESET):
        plan = run_snakemake(tmp_path, "-n", preset=preset)
        assert plan.returncode == 0, plan.stderr[-3000:]
        assert not {"receptive_field_study", "receptive_field"} & {j.rule for j in jobs(plan.stdout)}


def test_the_study_without_models_names_the_key(run_snakemake, tmp_path, repo):
    result = run_snakemake(tmp_path, "-n", "receptive_field", preset=repo / "config.yaml")
    assert result.returncode != 0
    assert "config key 'studies.receptive_field.models' is empty" in result.stdout + result.stderr


def test_lint_is_clean_with_the_preset(run_snakemake, tmp_path, repo):
    result = run_snakemake(tmp_path, "--lint", preset=repo / PRESET)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.parametrize("text, message", [
    ("studies:\n  receptive_field: {models: [ed_d1, fno]}\n",
     "'studies.receptive_field.models[1]': model 'fno' is a fno, which mixes the whole lattice"),
    ("operator:\n  models:\n    ed_x: {architecture: encoder_decoder, depth: 1}\n",
     "'studies.receptive_field.models[4]': no run 'ed_x-s0': operator.runs has no entry"),
    ("studies:\n  receptive_field: {seed: -1}\n", "'studies.receptive_field.seed': -1 is less than the minimum of 0"),
    ("studies:\n  receptive_field: {model: [ed_d1]}\n",
     "'studies.receptive_field.model': unknown key, did you mean 'models'?"),
])
def test_a_bad_study_config_fails_at_load_naming_the_key(text, message, run_snakemake, tmp_path, repo):
    bad = tmp_path / "bad.yaml"
    # the second case adds a model to the preset's list: the list is replaced, so repeat the preset's four
    bad.write_text(text + ("studies:\n  receptive_field: {models: [ed_d1, ed_d2, ed_d3, ed_d4, ed_x]}\n"
                           if "ed_x" in text else ""))
    result = run_snakemake(tmp_path, "-n", preset=repo / PRESET, overrides=(bad,))
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "invalid configuration" in out and f"config key {message}" in out, out[-3000:]
    assert not (tmp_path / "results").exists()
