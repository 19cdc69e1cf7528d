"""Operator run configs: per-run overrides checked like the task's settings, models checked against their
lattice before any job runs, and a by-hand run config filled from the workflow's schema."""

from __future__ import annotations

import copy
import json
import re

import pytest
import torch
import yaml
from snakemake.utils import validate

from nnphys import cli, models
from nnphys.bench.operator import merged
from nnphys.configcheck import SCHEMAS, ConfigError, check, schema
from nnphys.neural_operator import config as operator_config


def workflow_config(repo, **sections) -> dict:
    """config.yaml's operator and reference sections, replaced by ``sections``, schema defaults filled."""
    cfg = yaml.safe_load((repo / "config.yaml").read_text())
    cfg.update(copy.deepcopy(sections))
    for name in ("operator", "reference"):
        validate(cfg[name], str(SCHEMAS / f"{name}.schema.yaml"), set_default=True)
    return cfg


def test_a_runs_override_keeps_the_tasks_other_settings(repo):
    """Filling defaults must not fill an override: an unset key keeps the task's value, not the schema's."""
    cfg = workflow_config(repo)
    task = cfg["operator"]["tasks"]["poisson"]["training"]
    run = operator_config.run_config(cfg["operator"], "poisson", "encoder_decoder-s0")["training"]
    assert cfg["operator"]["runs"][2]["training"] == {"lr": 0.003, "epochs": 10}  # as written in config.yaml
    assert run == {**task, "lr": 0.003, "epochs": 10}
    assert task["epochs"] == 8 != schema("operator")["$defs"]["training"]["properties"]["epochs"]["default"]


def test_every_training_setting_has_one_definition_and_a_task_default():
    defs = schema("operator")["$defs"]
    settings, defaults = defs["training_settings"]["properties"], defs["training"]["properties"]
    assert set(defaults) == set(settings)
    assert all(set(d) == {"default"} for d in defaults.values())  # constraints live in training_settings only
    assert not any("default" in s for s in settings.values())


@pytest.mark.parametrize("override, key", [
    ({"epoch": 3}, "operator.runs[1].training.epoch': unknown key, did you mean 'epochs'?"),
    ({"lr": -1}, "operator.runs[1].training.lr'"),
    ({"batch_size": "x"}, "operator.runs[1].training.batch_size': 'x' is not of type 'integer'"),
])
def test_a_bad_override_is_refused_naming_its_key(repo, override, key):
    section = yaml.safe_load((repo / "config.yaml").read_text())["operator"]
    section["runs"][1]["training"] = override
    with pytest.raises(ConfigError, match=re.escape(key)):
        check(section, schema("operator"), "operator")


@pytest.mark.parametrize("reference, model, key", [
    ({"poisson": {"n": 48}}, {"architecture": "unet", "depth": 5}, "operator.models.m.depth"),
    ({"poisson": {"n": 48}}, {"architecture": "encoder_decoder", "depth": 5}, "operator.models.m.depth"),
    ({"poisson": {"n": 36}}, {"architecture": "unet"}, "operator.models.m.depth"),  # the default depth, 4
    ({"poisson": {"n": 48}}, {"architecture": "unet", "depth": 4, "patch": 2}, "operator.models.m.depth"),
    ({"poisson": {"n": 33}}, {"architecture": "unet", "depth": 1, "patch": 2}, "operator.models.m.patch"),
    ({"poisson": {"n": 32}}, {"architecture": "fno", "modes": 17}, "operator.models.m.modes"),
    ({"poisson": {"n": 20}}, {"architecture": "fno"}, "operator.models.m.modes"),  # the default, 12 modes
    ({"poisson": {"n": 32, "boundary": "dirichlet", "solver": "dst"}}, {"architecture": "fno", "modes": 21},
     "operator.models.m.modes"),  # zero-padded to 40: 20 modes fit
    ({"poisson": {"n": 32, "boundary": "dirichlet", "solver": "dst"}},
     {"architecture": "fno", "modes": 33, "spectral_basis": "sine"}, "operator.models.m.modes"),  # 32 sines
    ({"poisson": {"n": 32}}, {"architecture": "fno", "modes": 8, "spectral_basis": "sine"},
     "operator.models.m.spectral_basis"),  # a periodic lattice has no sine eigenbasis
])
def test_a_model_too_big_for_its_lattice_is_refused_naming_the_key(repo, reference, model, key):
    cfg = workflow_config(repo, reference=reference,
                          operator={"models": {"m": model}, "runs": [{"task": "poisson", "models": ["m"], "seeds": [0]}]})
    with pytest.raises(ConfigError, match=re.escape(f"'{key}'") + ".*reference.poisson.n is"):
        operator_config.check(cfg)


@pytest.mark.parametrize("arch, key, n, periodic", [
    ("unet", "depth", 24, True), ("encoder_decoder", "depth", 24, True),
    ("fno", "modes", 12, True), ("fno", "modes", 12, False), ("fno", "modes", 13, False),
])
def test_the_lattice_check_accepts_exactly_what_the_model_runs_on(arch, key, n, periodic):
    """The check states the models' own constraint: every value it accepts runs, every one it refuses fails."""
    extra = {"layers": 1} if arch == "fno" else {}
    for value in range(1, 10 if arch == "fno" else 7):
        accepted = operator_config.grid_error({"architecture": arch, key: value}, n, periodic) is None
        net = models.build(arch, 1, 1, periodic=periodic, width=2, **{key: value}, **extra)
        try:
            net(torch.zeros(1, 1, n, n))
            runs = True
        except ValueError:
            runs = False
        assert accepted == runs, (arch, key, value, n, periodic)


def test_a_rollout_longer_than_the_reference_is_refused(repo):
    cfg = workflow_config(repo, reference={"heat2d": {"nt": 20}})
    with pytest.raises(ConfigError, match=re.escape("'operator.tasks.heat2d.evaluation.rollout'")):
        operator_config.check(cfg)


@pytest.mark.parametrize("preset", [None, "smoke.yaml", "paper.yaml", "receptive-field.yaml", "symmetry.yaml", "uq.yaml",
                                    "optimizers.yaml"])
def test_the_workflows_run_configs_pass_the_cli_unchanged(repo, preset):
    cfg = yaml.safe_load((repo / "config.yaml").read_text())
    if preset:
        over = yaml.safe_load((repo / "workflow" / "presets" / preset).read_text())
        cfg = merged(cfg, over)  # recursively, as Snakemake merges --configfile
    validate(cfg["operator"], str(SCHEMAS / "operator.schema.yaml"), set_default=True)
    for task, run in operator_config.runs(cfg["operator"]):
        rc = operator_config.run_config(cfg["operator"], task, run)
        assert operator_config.resolve(json.loads(json.dumps(rc))) == rc, run


def test_cli_trains_from_a_minimal_run_config(poisson_file, tmp_path):
    out = tmp_path / "run"
    cfg = {"task": "poisson", "model": {"architecture": "fno", "width": 4, "modes": 4, "layers": 1},
           "training": {"epochs": 1}, "split": {"val": 0.2, "test": 0.2}, "evaluation": {"zero_shot_samples": 0}}
    assert cli.main(["operator-train", "--config", json.dumps(cfg), "--reference", str(poisson_file),
                     "--out-dir", str(out), "--device", "cpu"]) == 0
    assert cli.main(["operator-evaluate", "--model", str(out / "model.pt"), "--reference", str(poisson_file),
                     "--out-dir", str(out), "--device", "cpu"]) == 0
    assert json.loads((out / "metrics.json").read_text())["model"] == "fno"  # arch: the architecture's name


def test_cli_refuses_a_bad_run_config_in_one_line(tmp_path, capsys):
    cfg = {"task": "poisson", "model": {"architecture": "fno"}, "training": {"epoch": 3}}
    rc = cli.main(["operator-train", "--config", json.dumps(cfg), "--reference", str(tmp_path / "nope.nc"),
                   "--out-dir", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert "config key 'training.epoch': unknown key, did you mean 'epochs'?" in err
    assert not (tmp_path / "run").exists()


def test_readme_by_hand_operator_command_is_a_valid_run_config(repo):
    m = re.search(r"operator-train --config '([^']+)'", (repo / "README.md").read_text())
    assert m, "README shows no operator-train --config JSON"
    assert operator_config.resolve(json.loads(m[1]))["training"]["epochs"] == 8


def test_the_lattice_check_accepts_exactly_the_patch_sizes_a_unet_runs_with():
    for patch in range(1, 8):
        accepted = operator_config.grid_error({"architecture": "unet", "depth": 1, "patch": patch}, 24, True) is None
        net = models.build("unet", 1, 1, width=2, depth=1, patch=patch)
        try:
            net(torch.zeros(1, 1, 24, 24))
            runs = True
        except (ValueError, RuntimeError):  # pixel_unshuffle refuses a side it does not divide with RuntimeError
            runs = False
        assert accepted == runs, patch


def test_a_symmetric_model_needs_both_field_components(repo):
    """A rotation turns Ex into Ey: D4 acts on (Ex, Ey) together or not at all."""
    models_ = {"m": {"architecture": "fno", "modes": 8, "symmetry": "augment"}}
    runs = [{"task": "poisson", "models": ["m"], "seeds": [0]}]
    for outputs, refused in ((["phi", "Ex"], True), (["Ey"], True), (["phi"], False), (["Ex", "Ey"], False)):
        cfg = workflow_config(repo, operator={"models": models_, "runs": runs,
                                              "tasks": {"poisson": {"outputs": outputs}}})
        if refused:
            with pytest.raises(ConfigError, match=re.escape("'operator.models.m.symmetry'") + ".*both or neither"):
                operator_config.check(cfg)
        else:
            operator_config.check(cfg)
