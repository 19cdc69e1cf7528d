"""Invalid configs fail when Snakemake loads the workflow, with a message naming the key."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml

from nnphys import cli, physics
from nnphys.io import read_dataset
from nnphys.physics import poisson
from nnphys.configcheck import ConfigError, check_yaml

BAD = {
    "many errors at once": (
        "reference:\n"
        "  heat1d: {k: 0, colour: red, modes: [{n: 0, amplitude: 1.0}]}\n"
        "  nls: {nx: many, method: euler}\n"
        "  poisson: {n: 0}\n"
        "  heat2d: {dt: -1.0, n_samples: 2.5}\n"
        "  wave: {c: 1.0}\n",
        ["'reference.heat1d.colour': unknown key (allowed: ",
         "'reference.heat1d.k'", "'reference.heat1d.modes[0].n'", "'reference.nls.nx'", "'reference.nls.method'", "'reference.poisson.n'",
         "'reference.heat2d.dt'", "'reference.heat2d.n_samples'",
         "'reference.wave': unknown key (allowed: heat1d, heat2d, nls, poisson, poisson_dirichlet)"],
    ),
    "dirichlet with fft": (
        "reference:\n  poisson: {boundary: dirichlet, solver: fft}\n",
        ["'reference.poisson.solver': boundary 'dirichlet' needs solver 'dst'"],
    ),
    "periodic with dst": (
        "reference:\n  poisson: {boundary: periodic, solver: dst}\n",
        ["'reference.poisson.solver': boundary 'periodic' needs solver 'fft'"],
    ),
    "typos and bad values in a run's training overrides": (
        "operator:\n  runs:\n    - {task: poisson, models: [fno], seeds: [0]}\n"
        "    - {task: poisson, models: [unet], seeds: [0], training: {epoch: 3, lr: -1, batch_size: x}}\n",
        ["'operator.runs[1].training.epoch': unknown key, did you mean 'epochs'?",
         "'operator.runs[1].training.lr': -1 is less than or equal to the minimum of 0",
         "'operator.runs[1].training.batch_size': 'x' is not of type 'integer'"],
    ),
    "a problem's own cadence": (
        "pinn:\n  problems:\n    heat1d:\n      eval_every: 0\n",
        ["'pinn.problems.heat1d.eval_every': 0 is less than the minimum of 1"],
    ),
    "a decay time NLS does not have": (
        "pinn:\n  problems:\n    nls:\n      sampling: {time_scale: auto}\n",
        ["'pinn.problems.nls.sampling.time_scale': 'auto' needs the solution's decay time, which physics 'nls' "
         "does not provide"],
    ),
    "U-Net deeper than the lattice allows": (
        "operator:\n  models:\n    unet: {architecture: unet, width: 8, depth: 7, patch: 1}\n",
        ["'operator.models.unet.depth': depth 7 halves the grid 7 times, so the lattice side must be divisible by "
         "128; reference.poisson.n is 16"],  # the smoke preset's lattice
    ),
    "FNO modes above n/2": (
        "operator:\n  models:\n    fno: {architecture: fno, modes: 9}\n",
        ["'operator.models.fno.modes': 9 Fourier modes per sign need at least 18 grid points per side; "
         "reference.poisson.n is 16"],
    ),
    "unknown colormap": (
        "report: {error_cmap: magam}\n",
        ["'report.error_cmap': unknown matplotlib colormap 'magam' (did you mean 'magma'"],
    ),
    "an ensemble of one seed": (
        "uq:\n  ensembles: [{stage: operator, problem: poisson, model: fno}]\n",
        ["'uq.ensembles[0]': operator.runs trains 'fno' on 'poisson' with seeds [0]; an ensemble needs at least 2"],
    ),
    "Monte Carlo dropout without dropout": (
        "uq:\n  mc_dropout: [{problem: poisson, model: fno}]\n",
        ["'operator.models.fno.dropout': Monte Carlo dropout (uq.mc_dropout[0]) needs a model trained with "
         "dropout > 0"],
    ),
    "bad uq values": (
        "uq:\n  mc_samples: 1\n  ensembles: [{stage: gpu, problem: poisson, model: fno}]\n",
        ["'uq.mc_samples': 1 is less than the minimum of 2", "'uq.ensembles[0].stage': 'gpu' is not one of"],
    ),
    "a comparison of runs not trained": (
        "optimizers:\n  cmp: {stage: operator, problem: poisson, models: [fno, fno_sgd]}\n",
        ["'optimizers.cmp.models': operator.runs trains no ['fno_sgd-s0'] on 'poisson'"],
    ),
    "momentum without SGD": (
        "operator:\n  runs:\n    - {task: poisson, models: [fno], seeds: [0], training: {momentum: 0.9}}\n",
        ["'operator.runs[0].training.momentum': only optimizer sgd takes a momentum; optimizer is 'adamw'"],
    ),
    "dropout of one": (
        "operator:\n  models:\n    fno: {architecture: fno, dropout: 1.0}\n",
        ["'operator.models.fno.dropout': 1.0 is greater than or equal to the maximum of 1"],
    ),
}

UNSAFE_NAMES = ("m$(touch PWNED)", "a;b", "it's", "a b")


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_fails_at_load_naming_the_key(case, run_snakemake, tmp_path):
    text, messages = BAD[case]
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    result = run_snakemake(tmp_path, "-n", overrides=(bad,))
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "invalid configuration" in out
    for message in messages:
        assert f"config key {message}" in out, out[-3000:]
    assert not (tmp_path / "results").exists()  # nothing ran


@pytest.mark.parametrize("section, model", [("pinn", {"width": 4, "depth": 1}),
                                            ("operator", {"architecture": "fno"})])
def test_unsafe_model_names_are_refused_naming_each(section, model, run_snakemake, tmp_path):
    """Names become paths, wildcards and shell arguments: only letters, digits, '_', '.', '-' pass."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({section: {"models": {name: model for name in UNSAFE_NAMES}}}))
    result = run_snakemake(tmp_path, "-n", overrides=(bad,))
    out = result.stdout + result.stderr
    assert result.returncode != 0
    for name in UNSAFE_NAMES:
        assert f"config key '{section}.models[{name!r}]': a model name may hold only letters" in out, out[-3000:]
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "results").exists()


def test_a_syntax_error_in_config_yaml_names_the_file_and_line(repo, tmp_path):
    (tmp_path / "config.yaml").write_text("results: results\npinn:\n  log_every: [1\n  x: 2\n")
    done = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "-n"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "config file config.yaml, line 4, column 4: not valid YAML" in done.stdout + done.stderr


@pytest.mark.parametrize("text, message", [
    ("a: [1\n", "x.yaml, line 2, column 1: not valid YAML"),
    ("- a\n- b\n", "x.yaml: expected keys at the top level (a YAML mapping), got a list"),
    ("", "x.yaml: expected keys at the top level (a YAML mapping), got an empty file"),
])
def test_check_yaml_names_the_file(tmp_path, text, message):
    (tmp_path / "x.yaml").write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_yaml(tmp_path / "x.yaml")


@pytest.mark.parametrize("preset", ["smoke.yaml", "paper.yaml"])
def test_presets_are_valid(preset, run_snakemake, repo, tmp_path):
    result = run_snakemake(tmp_path, "-n", preset=repo / "workflow" / "presets" / preset)
    assert result.returncode == 0, result.stderr[-3000:]


def test_cli_names_unknown_parameter(tmp_path, capsys):
    rc = cli.main(["reference", "heat1d", "--config", json.dumps({"kk": 1}), "--out", str(tmp_path / "x.nc")])
    assert rc == 2
    assert "reference.heat1d.kk" in capsys.readouterr().err
    assert not (tmp_path / "x.nc").exists()


def test_cli_names_mismatched_solver(tmp_path, capsys):
    cfg = {"boundary": "dirichlet", "solver": "fft", "n": 8, "n_samples": 2}
    rc = cli.main(["reference", "poisson", "--config", json.dumps(cfg), "--out", str(tmp_path / "x.nc")])
    assert rc == 2 and "reference.poisson.solver" in capsys.readouterr().err


def test_schema_defaults_match_params_defaults():
    """config.yaml may omit any key: the schema default must be the solver's own default, except for the settings
    that make a dataset a variant of its problem (poisson_dirichlet: phi = 0 on the boundary)."""
    from nnphys.configcheck import resolve, schema

    defaults = resolve({}, schema("reference"), "reference")
    assert set(defaults) == set(physics.DATASETS)
    variant = {"poisson_dirichlet": {"boundary": "dirichlet", "solver": "dst"}}
    for dataset, section in defaults.items():
        params = dataclasses.replace(physics.get(dataset).Params(), **variant.get(dataset, {}))
        assert set(section) == {f.name for f in dataclasses.fields(params)}, dataset
        assert physics.params(dataset, section) == params, dataset


@pytest.mark.parametrize("cfg, key", [
    ({"boundary": "periodic"}, "reference.poisson_dirichlet.boundary"),
    ({"solver": "fft"}, "reference.poisson_dirichlet.solver"),
    ({"nn": 8}, "reference.poisson_dirichlet.nn"),
])
def test_the_dirichlet_dataset_refuses_what_would_make_it_another(cfg, key):
    from nnphys.configcheck import ConfigError, resolve, schema

    with pytest.raises(ConfigError, match=rf"'{key}'"):
        resolve({"poisson_dirichlet": cfg}, schema("reference"), "reference")


def test_the_reference_command_gives_a_dataset_its_own_defaults(tmp_path):
    """By hand, `python -m nnphys reference poisson_dirichlet` solves the Dirichlet problem without being told."""
    out = tmp_path / "d.nc"
    assert cli.main(["reference", "poisson_dirichlet", "--config", json.dumps({"n": 8, "n_samples": 2}),
                     "--out", str(out)]) == 0
    ds = read_dataset(out)
    assert json.loads(ds.attrs["params"])["boundary"] == "dirichlet"
    dirichlet = poisson.Params(n=8, n_samples=2, boundary="dirichlet", solver="dst")
    phi = poisson.solve_batch(ds["rho"].values.astype(np.float64), dirichlet)[0]
    np.testing.assert_allclose(ds["phi"].values, phi, atol=1e-6 * np.abs(phi).max())


def test_unknown_problem():
    with pytest.raises(ConfigError, match="unknown problem"):
        physics.get("wave")


@pytest.mark.parametrize("problem, cfg, key", [
    ("heat2d", {"boundary": "neumann"}, "reference.heat2d.boundary"),
    ("poisson", {"laplacian": "9-point"}, "reference.poisson.laplacian"),
    ("poisson", {"source": "dipoles"}, "reference.poisson.source"),
    ("nls", {"method": "euler"}, "reference.nls.method"),
])
def test_params_name_bad_choice(problem, cfg, key):
    """Direct CLI use (without the workflow's schema check) still names the key."""
    with pytest.raises(ConfigError, match=rf"'{key}'"):
        physics.params(problem, cfg)


def test_a_problems_own_history_cadence_overrides_the_pinn_default(repo):
    from nnphys.pinn.config import run_config

    cfg = yaml.safe_load((repo / "config.yaml").read_text())["pinn"]
    heat = run_config(cfg, "heat1d", "tanh-3x20-f64-s0")["training"]
    nls = run_config(cfg, "nls", "tanh-4x40-periodic-f64-s0")["training"]
    assert (heat["eval_every"], nls["eval_every"]) == (50, cfg["eval_every"])
    assert heat["log_every"] == nls["log_every"] == cfg["log_every"]
