"""Operator training's optimizers and schedules: SGD and momentum reach torch, a step decay divides the rate at its
milestones, a growing batch takes the expected (fewer) steps at equal epochs and resumes like any run, and
settings that do not go together are refused naming the key."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys.configcheck import ConfigError
from nnphys.io import load_checkpoint
from nnphys.neural_operator import config as operator_config
from nnphys.neural_operator.train import train
from nnphys.training.schedules import growing_batches, updates

from helpers import killed_after_checkpoint

CPU = torch.device("cpu")
TRAIN_ITEMS = 24  # 40 Poisson samples, val and test 20 % each


def history(out):
    return xr.load_dataset(out / "history.nc")


def test_growing_batches_multiply_at_the_milestones_up_to_one_full_batch():
    assert growing_batches(4, 6, [1, 3], 2, 1000) == [4, 8, 8, 16, 16, 16]
    assert growing_batches(8, 4, [2], 5, 30) == [8, 8, 30, 30]  # capped at the training set
    assert updates([4, 8, 8, 16], 24) == 6 + 3 + 3 + 2


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_and_its_momentum_reach_the_torch_optimizer(poisson_file, tmp_path, run_config, momentum):
    cfg = run_config("poisson", "fno", epochs=1, optimizer="sgd", momentum=momentum, lr=0.01)
    train(cfg, poisson_file, tmp_path, CPU, show_progress=False)
    group = load_checkpoint(tmp_path / "model.pt")["optimizer"]["param_groups"][0]
    assert (group["momentum"], group["weight_decay"], group["nesterov"]) == (momentum, 1e-4, False)
    assert "betas" not in group  # not Adam's


def test_adamw_takes_its_beta2_from_the_training_settings(poisson_file, tmp_path, run_config):
    cfg = run_config("poisson", "fno", epochs=1, beta2=0.99)
    train(cfg, poisson_file, tmp_path, CPU, show_progress=False)
    group = load_checkpoint(tmp_path / "model.pt")["optimizer"]["param_groups"][0]
    assert group["betas"][1] == 0.99 and "momentum" not in group


def test_a_step_decay_divides_the_rate_after_each_milestone(poisson_file, tmp_path, run_config):
    cfg = run_config("poisson", "fno", epochs=4, batch_size=4, optimizer="sgd", momentum=0.9, lr=0.01,
                     schedule="step", milestones=[1, 3], factor=2)
    train(cfg, poisson_file, tmp_path, CPU, show_progress=False)
    h = history(tmp_path)
    np.testing.assert_allclose(h.lr, [0.01, 0.005, 0.005, 0.0025])
    np.testing.assert_array_equal(h.batch_size, [4] * 4)
    np.testing.assert_array_equal(h.updates, np.arange(1, 5) * TRAIN_ITEMS // 4)


def test_a_growing_batch_takes_fewer_steps_at_equal_epochs_and_a_constant_rate(poisson_file, tmp_path, run_config):
    """AdamW counts its own steps: the saved optimizer state says how many were taken."""
    cfg = run_config("poisson", "fno", epochs=4, batch_size=4, lr=0.003, schedule="batch_growth",
                     milestones=[1, 3], factor=2)
    train(cfg, poisson_file, tmp_path, CPU, show_progress=False)
    h = history(tmp_path)
    np.testing.assert_array_equal(h.batch_size, [4, 8, 8, 16])
    np.testing.assert_array_equal(h.updates, [6, 9, 12, 14])
    np.testing.assert_allclose(h.lr, [0.003] * 4)
    state = load_checkpoint(tmp_path / "model.pt")["optimizer"]["state"]
    assert {int(s["step"]) for s in state.values()} == {14}
    assert h.sizes["step"] == 4  # equal epochs: every epoch ran


def test_a_growing_batch_resumes_like_the_uninterrupted_run(poisson_file, tmp_path, run_config, monkeypatch):
    cfg = run_config("poisson", "fno", epochs=4, batch_size=4, schedule="batch_growth", milestones=[2], factor=3)
    train(cfg, poisson_file, tmp_path / "whole", CPU, show_progress=False)
    killed_after_checkpoint(monkeypatch, 2, train, cfg, poisson_file, tmp_path / "resumed", CPU, show_progress=False)
    train(cfg, poisson_file, tmp_path / "resumed", CPU, show_progress=False)
    a, b = (load_checkpoint(tmp_path / d / "model.pt")["model"] for d in ("whole", "resumed"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    np.testing.assert_array_equal(history(tmp_path / "whole").loss_train, history(tmp_path / "resumed").loss_train)


BAD = [
    ({"optimizer": "adamw", "momentum": 0.9}, "momentum", "only optimizer sgd takes a momentum"),
    ({"schedule": "step"}, "milestones", "schedule 'step' needs the epochs"),
    ({"schedule": "batch_growth"}, "milestones", "schedule 'batch_growth' needs the epochs"),
    ({"milestones": [2]}, "milestones", "only the schedules step and batch_growth take milestones"),
    ({"schedule": "step", "milestones": [2, 8], "epochs": 8}, "milestones", "[8] not before the last of 8 epochs"),
]


@pytest.mark.parametrize("override, key, why", BAD)
def test_settings_that_do_not_go_together_are_refused_by_hand(run_config, override, key, why):
    cfg = run_config("poisson", "fno")
    cfg["training"].update(override)
    with pytest.raises(ConfigError, match=re.escape(f"config key 'training.{key}': {why}")):
        operator_config.resolve(cfg)


@pytest.mark.parametrize("override, key, why", BAD)
def test_settings_that_do_not_go_together_are_refused_by_the_workflow_naming_where_they_are_set(
        repo, override, key, why):
    from test_operator_config import workflow_config

    cfg = workflow_config(repo)
    bad = copy.deepcopy(cfg)
    bad["operator"]["runs"][0]["training"].update(override)  # the Poisson FNO's own settings
    with pytest.raises(ConfigError, match=re.escape(f"config key 'operator.runs[0].training.{key}': {why}")
                       if key in override else re.escape(f"config key 'operator.tasks.poisson.training.{key}': {why}")):
        operator_config.check(bad)
    operator_config.check(cfg)
