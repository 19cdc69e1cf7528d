"""The study presets (workflow/presets/uq.yaml, optimizers.yaml, operator-study.yaml, pinn-study.yaml): they plan their study's jobs,
reuse the default runs they share with config.yaml, pass the lint, and the study rules run for real on the smoke
results. The Dirichlet preset trains config.yaml's Poisson operators on Dirichlet data, in a folder of its own."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
import xarray as xr
import yaml

from helpers import CONFIG, REPO, jobs
from nnphys import configcheck, predictive, studies
from nnphys.bench.operator import merged
from nnphys.neural_operator import config as operator_config
from nnphys.pinn import config as pinn_config

PRESETS = {"uq": ("uq_ensemble", "operator_mc_dropout", "uq_figures", "uq_tables"),
           "optimizers": ("optimizer_figures", "optimizer_tables"),
           "operator-study": ("optimizer_figures", "optimizer_tables"),
           "pinn-study": ("pinn_train", "optimizer_figures", "optimizer_tables")}


def resolved(*paths) -> dict:
    """The config files merged in order as Snakemake merges them, every section's schema defaults filled."""
    config: dict = {}
    for path in paths:
        config = merged(config, yaml.safe_load(path.read_text()) or {})
    sections = ("reference", "pinn", "operator", "report", "uq", "optimizers")
    return {s: configcheck.resolve(config.get(s, {}), configcheck.schema(s), s) for s in sections}


def train_configs(config: dict) -> dict:
    """(stage, problem, run) -> the JSON its training rule passes (what decides whether a run is reused)."""
    out = {("pinn", p, r): pinn_config.run_config(config["pinn"], p, r) for p, r in pinn_config.runs(config["pinn"])}
    out.update({("operator", t, r): operator_config.run_config(config["operator"], t, r)
                for t, r in operator_config.runs(config["operator"])})
    return {k: json.dumps(v, sort_keys=True) for k, v in out.items()}


@pytest.mark.parametrize("preset", PRESETS)
def test_a_preset_plans_its_study_and_passes_the_lint(run_snakemake, tmp_path, preset):
    path = REPO / "workflow" / "presets" / f"{preset}.yaml"
    result = run_snakemake(tmp_path, "-n", "--cores", "2", preset=path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    planned = {job.rule for job in jobs(result.stdout)}
    assert set(PRESETS[preset]) <= planned, planned
    lint = run_snakemake(tmp_path, "--lint", preset=path)
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]


@pytest.mark.parametrize("preset, shared", [
    ("uq", {("operator", "poisson", "fno-s0"), ("pinn", "heat1d", "tanh-3x20-f64-s0")}),
    ("optimizers", {("pinn", "heat1d", "tanh-3x20-f64-s0")}),
    ("operator-study", {("operator", t, f"{m}-s0") for t, models in
                        {"poisson": ("fno", "unet", "encoder_decoder", "deeponet"),
                         "heat2d": ("fno", "unet_shallow")}.items() for m in models}),
    ("pinn-study", {("pinn", "nls", "tanh-4x40-periodic-f64-s0"), ("pinn", "heat1d", "tanh-3x20-f64-s0")}
     | {("operator", t, r) for t, r in operator_config.runs(resolved(CONFIG)["operator"])}),
])
def test_a_preset_reuses_the_default_runs_it_shares(preset, shared):
    """The shared runs train with the same settings as config.yaml's, so their results are taken as they are;
    every other run of the preset has a name of its own (no default run is overwritten)."""
    default = train_configs(resolved(CONFIG))
    study = resolved(CONFIG, REPO / "workflow" / "presets" / f"{preset}.yaml")
    mine = train_configs(study)
    assert {k for k in mine if k in default} == shared
    assert all(mine[k] == default[k] for k in shared)
    studies.check(study)


def test_the_dirichlet_task_learns_the_periodic_tasks_problem_with_phi_zero_on_the_boundary():
    """The default run's two Poisson datasets differ only in their boundary, and its Dirichlet operators are
    trained as their periodic counterparts (fno_sine as the FNO)."""
    default = resolved(CONFIG)
    periodic, dirichlet = default["reference"]["poisson"], default["reference"]["poisson_dirichlet"]
    assert (dirichlet["boundary"], dirichlet["solver"]) == ("dirichlet", "dst")
    assert dirichlet | {"boundary": "periodic", "solver": "fft"} == periodic  # the same lattice and charges otherwise
    runs = {k: json.loads(v) for k, v in train_configs(default).items()}
    assert {("operator", "poisson_dirichlet", "fno_sine-s0"), ("operator", "poisson_dirichlet", "deeponet-s0")} <= set(runs)
    sine, fno = runs[("operator", "poisson_dirichlet", "fno_sine-s0")], runs[("operator", "poisson", "fno-s0")]
    assert sine["training"] == fno["training"]
    assert sine["model"] == {**fno["model"], "modes": 16, "spectral_basis": "sine"}
    assert runs[("operator", "poisson_dirichlet", "deeponet-s0")] == {**runs[("operator", "poisson", "deeponet-s0")],
                                                                       "task": "poisson_dirichlet"}


def test_the_dirichlet_preset_trains_the_default_poisson_operators_on_dirichlet_data_elsewhere(run_snakemake,
                                                                                                  tmp_path):
    path = REPO / "workflow" / "presets" / "dirichlet.yaml"
    default, preset = resolved(CONFIG), resolved(CONFIG, path)
    assert preset["reference"] == default["reference"]
    mine, theirs = train_configs(preset), train_configs(default)
    periodic = {m: json.loads(theirs[("operator", "poisson", f"{m}-s0")])
                for m in ("fno", "unet", "encoder_decoder", "deeponet")}
    assert set(mine) == {("operator", "poisson_dirichlet", f"{m}-s0") for m in (*periodic, "fno_sine")}
    for m, cfg in periodic.items():  # trained as config.yaml trains them on the periodic lattice
        assert json.loads(mine[("operator", "poisson_dirichlet", f"{m}-s0")]) == {**cfg, "task": "poisson_dirichlet"}
    shared = set(mine) & set(theirs)  # the default run's Dirichlet runs, trained alike
    assert shared and all(mine[k] == theirs[k] for k in shared)
    result = run_snakemake(tmp_path, "-n", "--cores", "2", preset=path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    planned = {job.rule for job in jobs(result.stdout)}
    assert {"reference", "operator_train", "operator_evaluate", "report_summary"} <= planned
    assert "pinn_train" not in planned
    outputs = re.findall(r"^\s+output: (.*)$", result.stdout, flags=re.M)
    assert outputs and all(path.startswith("results/dirichlet/") for line in outputs for path in line.split(", "))


def test_the_uq_preset_asks_for_a_five_member_fno_ensemble():
    study = resolved(CONFIG, REPO / "workflow" / "presets" / "uq.yaml")
    groups = {(g.stage, g.problem, g.name): g.runs for g in studies.ensembles(study)}
    assert groups[("operator", "poisson", "fno")] == tuple(f"fno-s{s}" for s in range(5))
    assert studies.mc_dropout_runs(study) == [("poisson", "fno_dropout-s0")]


STUDY = """
operator:
  models:
    fno_dropout: {architecture: fno, width: 4, modes: 4, layers: 1, dropout: 0.1}
    fno_sgd: {architecture: fno, width: 4, modes: 4, layers: 1}
  runs:
    - {task: poisson, models: [fno], seeds: [0, 1]}
    - {task: poisson, models: [fno_dropout], seeds: [0]}
    - {task: poisson, models: [fno_sgd], seeds: [0],
       training: {epochs: 2, optimizer: sgd, momentum: 0.9, lr: 0.01, schedule: batch_growth, milestones: [1]}}
pinn:
  runs:
    - {problem: heat1d, model: tiny, seeds: [0, 1]}
    - {problem: heat1d, model: tiny-periodic, seeds: [0], phases: [{optimizer: sgd, momentum: 0.0, steps: 10}]}
uq:
  ensembles: [{stage: operator, problem: poisson, model: fno}, {stage: pinn, problem: heat1d, model: tiny}]
  mc_dropout: [{problem: poisson, model: fno_dropout}]
  mc_samples: 4
optimizers:
  poisson: {stage: operator, problem: poisson, models: [fno, fno_sgd]}
  heat1d: {stage: pinn, problem: heat1d, models: [tiny, tiny-periodic]}
"""


def test_the_study_rules_run_on_the_smoke_results(smoke_run, run_snakemake, tmp_path):
    """A copy of the smoke run, plus a tiny study: only the study's new runs train (seed 0 is the smoke run's),
    and the tables and figures come out."""
    work = tmp_path / "work"
    shutil.copytree(smoke_run, work, symlinks=True)
    override = tmp_path / "study.yaml"
    override.write_text(STUDY)
    report = "results/report"
    targets = [f"{report}/uq.csv", f"{report}/optimizers.csv", f"{report}/figures/optimizers/poisson/training.png",
               f"{report}/figures/uq/operator/poisson/mc_dropout-fno_dropout-s0/reliability.png",
               f"{report}/figures/uq/pinn/heat1d/ensemble-tiny/fields.png"]
    result = run_snakemake(work, "--cores", "2", *targets, overrides=(override,))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    trained = sorted(job.wildcards["run"] for job in jobs(result.stdout + result.stderr)
                     if job.rule in ("operator_train", "pinn_train"))
    assert trained == ["fno-s1", "fno_dropout-s0", "fno_sgd-s0", "tiny-periodic-s0", "tiny-s1"]
    uq = {(r.method, r.problem): r for r in pd.read_csv(work / report / "uq.csv").itertuples()}
    assert set(uq) == {("ensemble", "poisson"), ("ensemble", "heat1d"), ("mc_dropout", "poisson")}
    for r in uq.values():
        assert 0 <= r.coverage_1sigma <= r.coverage_2sigma <= 1 and r.rel_l2 > 0
    mc = xr.load_dataset(work / "results" / "uq" / "operator" / "poisson" / "mc_dropout-fno_dropout-s0" /
                         "predictive.nc")
    assert predictive.variables(mc) == ["phi", "Ex", "Ey"] and mc.attrs["draws"] == 4
    assert all((work / t).exists() for t in targets)
