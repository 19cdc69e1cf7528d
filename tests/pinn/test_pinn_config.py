"""A by-hand PINN run config: the CLI fills it from the workflow's schema and names a missing or unknown key."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from snakemake.utils import validate

from nnphys import cli
from nnphys.configcheck import SCHEMAS, ConfigError, check, schema
from nnphys.pinn import config as pinn_config

MINIMAL = {"model": {"width": 8, "depth": 2},
           "training": {"sampling": {"n_pde": 32, "n_initial": 8, "n_boundary": 4},
                        "phases": [{"optimizer": "adam", "steps": 2, "lr": 0.01}]}}


def workflow_section(repo, preset=None) -> dict:
    """The pinn section as the workflow sees it: config.yaml (+ a preset), schema defaults filled."""
    cfg = yaml.safe_load((repo / "config.yaml").read_text())["pinn"]
    if preset:
        over = yaml.safe_load((repo / "workflow" / "presets" / preset).read_text()).get("pinn", {})
        cfg = {**cfg, **over, "models": {**cfg["models"], **over.get("models", {})},
               "problems": {**cfg["problems"], **over.get("problems", {})}}
    validate(cfg, str(SCHEMAS / "pinn.schema.yaml"), set_default=True)
    return cfg


@pytest.mark.parametrize("preset", [None, "smoke.yaml", "paper.yaml", "uq.yaml", "optimizers.yaml"])
def test_the_workflows_run_configs_pass_the_cli_unchanged(repo, preset):
    """The CLI's defaults are the workflow's: resolving a workflow run config changes nothing."""
    section = workflow_section(repo, preset)
    for problem, run in pinn_config.runs(section):
        cfg = pinn_config.run_config(section, problem, run)
        assert pinn_config.resolve(json.loads(json.dumps(cfg)), problem) == cfg, run


def test_a_minimal_run_gets_the_schema_defaults():
    run = pinn_config.resolve(MINIMAL, "heat1d")
    assert run["model"] == {"width": 8, "depth": 2, "activation": "tanh", "dtype": "float32",
                            "periodic_embedding": False}
    assert run["training"]["weights"] == {"ic": 1.0, "bc": 1.0, "pde": 1.0, "data": 1.0}
    assert run["training"]["sampling"]["method"] == "lhs"
    assert run["training"]["phases"][0]["schedule"] == "constant"
    assert (run["training"]["log_every"], run["training"]["eval_every"], run["training"]["checkpoint_every"]) == (
        10, 100, 500)  # the pinn section's defaults
    assert (run["problem"], run["model_name"], run["seed"]) == ("heat1d", "mlp", 0)
    assert "weights" not in MINIMAL["training"]  # the caller's dict is left alone


@pytest.mark.parametrize("change, key", [
    (lambda r: r["model"].pop("depth"), "model.depth': required key missing"),
    (lambda r: r.pop("model"), "'model': required key missing"),
    (lambda r: r["training"].update(phses=[]), "training.phses': unknown key, did you mean 'phases'?"),
    (lambda r: r["training"].update(log_every=0), "training.log_every'"),
    (lambda r: r["training"]["phases"][0].update(optimizer="adamw"), "training.phases[0].optimizer'"),
    (lambda r: r.update(problem="nls"), "'problem': 'nls', but the command trains 'heat1d'"),
])
def test_resolve_names_the_bad_key(change, key):
    run = json.loads(json.dumps(MINIMAL))
    change(run)
    with pytest.raises(ConfigError, match=re.escape(key)):
        pinn_config.resolve(run, "heat1d")


def test_cli_trains_from_a_minimal_run_config(tmp_path, heat_file):
    """What the README's by-hand command does: train, then evaluate, with only the keys that have no default."""
    out = tmp_path / "run"
    assert cli.main(["pinn-train", "heat1d", "--config", json.dumps(MINIMAL), "--reference", str(heat_file),
                     "--out-dir", str(out), "--device", "cpu", "--threads", "1"]) == 0
    assert cli.main(["pinn-evaluate", "heat1d", "--model", str(out / "model.pt"), "--reference", str(heat_file),
                     "--out-dir", str(out), "--device", "cpu", "--threads", "1"]) == 0
    assert json.loads((out / "metrics.json").read_text())["run"] == "mlp-s0"


def test_cli_refuses_a_bad_run_config_in_one_line_before_reading_anything(tmp_path, capsys):
    bad = {**MINIMAL, "model": {"width": 8}}
    rc = cli.main(["pinn-train", "heat1d", "--config", json.dumps(bad), "--reference", str(tmp_path / "nope.nc"),
                   "--out-dir", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert "config key 'model.depth': required key missing" in err
    assert not (tmp_path / "run").exists()


def test_readme_by_hand_pinn_command_is_a_valid_run_config(repo):
    """The run JSON the README shows resolves as written."""
    text = (repo / "README.md").read_text()
    m = re.search(r"pinn-train heat1d --config '([^']+)'", text)
    assert m, "README shows no pinn-train --config JSON"
    pinn_config.resolve(json.loads(m[1]), "heat1d")


def test_a_problem_override_is_checked_like_the_section_default(repo):
    section = yaml.safe_load((repo / "config.yaml").read_text())["pinn"]
    section["problems"]["heat1d"]["eval_every"] = 0
    with pytest.raises(ConfigError, match=re.escape("'pinn.problems.heat1d.eval_every'")):
        check(section, schema("pinn"), "pinn")


def test_filling_defaults_leaves_a_problems_overrides_unset(repo):
    """Snakemake's validate fills defaults: a problem that sets no cadence must still follow the section's."""
    section = workflow_section(repo)
    section["eval_every"] = 7
    assert "eval_every" not in section["problems"]["nls"]
    assert pinn_config.run_config(section, "nls", "tanh-4x40-periodic-f64-s0")["training"]["eval_every"] == 7


def test_a_runs_own_phases_replace_its_problems_and_nothing_else(repo):
    """pinn.runs[].phases: runs of one problem trained with other optimizers (the optimizer preset)."""
    section = workflow_section(repo)
    sgd = [{"optimizer": "sgd", "momentum": 0.0, "steps": 5, "lr": 0.01}]
    section["models"]["sgd-3x20"] = section["models"]["tanh-3x20-f64"]
    section["runs"].append({"problem": "heat1d", "model": "sgd-3x20", "seeds": [0, 1], "phases": sgd})
    validate(section, str(SCHEMAS / "pinn.schema.yaml"), set_default=True)
    default = pinn_config.run_config(section, "heat1d", "tanh-3x20-f64-s0")["training"]
    own = pinn_config.run_config(section, "heat1d", "sgd-3x20-s1")["training"]
    assert own["phases"] == [{**sgd[0], "schedule": "constant", "final_factor": 1.0}]
    assert {k: v for k, v in own.items() if k != "phases"} == {k: v for k, v in default.items() if k != "phases"}
    assert default["phases"] == section["problems"]["heat1d"]["phases"]
    assert pinn_config.resolve(json.loads(json.dumps(pinn_config.run_config(section, "heat1d", "sgd-3x20-s1"))),
                               "heat1d")["training"]["phases"] == own["phases"]


@pytest.mark.parametrize("problem, settings, why", [
    ("nls", {"sampling": {"time_scale": "auto"}}, "'auto' needs the solution's decay time, which physics 'nls'"),
    ("heat1d_inverse", {"sampling": {"time_scale": "auto"}, "inverse": {"samples": 10}},
     "'auto' would take the decay time from the reference's true coefficients"),
])
def test_an_auto_time_scale_training_would_refuse_is_refused_with_the_runs(problem, settings, why):
    cfg = {"models": {"m": {}}, "problems": {problem: settings},
           "runs": [{"problem": problem, "model": "m", "seeds": [0]}]}
    with pytest.raises(ConfigError, match=re.escape(f"config key 'pinn.problems.{problem}.sampling.time_scale': {why}")):
        pinn_config.runs(cfg)
    settings["sampling"]["time_scale"] = 0.1
    assert pinn_config.runs(cfg) == [(problem, "m-s0")]
