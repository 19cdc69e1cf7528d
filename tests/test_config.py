"""Invalid configs fail when Snakemake loads the workflow, with a message naming the key."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from nnphys import cli, physics
from nnphys.configcheck import ConfigError

BAD = {
    "many errors at once": (
        "reference:\n"
        "  heat1d: {k: 0, colour: red, modes: [{n: 0, amplitude: 1.0}]}\n"
        "  nls: {nx: many, method: euler}\n"
        "  poisson: {n: 0}\n"
        "  heat2d: {dt: -1.0, n_samples: 2.5}\n"
        "  wave: {c: 1.0}\n",
        ["'reference.heat1d': Additional properties are not allowed ('colour' was unexpected)",
         "'reference.heat1d.k'", "'reference.heat1d.modes[0].n'", "'reference.nls.nx'", "'reference.nls.method'", "'reference.poisson.n'",
         "'reference.heat2d.dt'", "'reference.heat2d.n_samples'",
         "'reference': Additional properties are not allowed ('wave' was unexpected)"],
    ),
    "dirichlet with fft": (
        "reference:\n  poisson: {boundary: dirichlet, solver: fft}\n",
        ["'reference.poisson.solver': boundary 'dirichlet' needs solver 'dst'"],
    ),
    "periodic with dst": (
        "reference:\n  poisson: {boundary: periodic, solver: dst}\n",
        ["'reference.poisson.solver': boundary 'periodic' needs solver 'fft'"],
    ),
}


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


def test_schema_defaults_match_params_defaults(repo):
    """config.yaml may omit any key: the schema default must be the solver's own default."""
    schema = yaml.safe_load((repo / "workflow" / "schemas" / "reference.schema.yaml").read_text())
    for problem, section in schema["properties"].items():
        params = physics.get(problem).Params()
        assert set(section["properties"]) == {f.name for f in dataclasses.fields(params)}, problem
        defaults = {k: v["default"] for k, v in section["properties"].items()}
        assert physics.params(problem, defaults) == params, problem


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
    from nnphys.training.pinn_config import run_config

    cfg = yaml.safe_load((repo / "config.yaml").read_text())["pinn"]
    heat = run_config(cfg, "heat1d", "tanh-3x20-f64-s0")["training"]
    nls = run_config(cfg, "nls", "tanh-4x64-periodic-s0")["training"]
    assert (heat["eval_every"], nls["eval_every"]) == (10, cfg["eval_every"])
    assert heat["log_every"] == nls["log_every"] == cfg["log_every"]
