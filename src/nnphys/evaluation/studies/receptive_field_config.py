"""Receptive-field study, its config: the runs it compares, checked against ``operator`` (light: the workflow
imports it to parse its rules, on every run)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnphys.configcheck import ConfigError
from nnphys.models.receptive_field import CNN
from nnphys.run_names import run_name

KEY = "studies.receptive_field"
TASK = "poisson"


def runs(config: Mapping[str, Any]) -> list[str]:
    """The study's run names (task poisson), checked against ``operator``: every model is a CNN of
    ``operator.models`` that an ``operator.runs`` entry trains on poisson with the study's seed.
    :class:`ConfigError` names the key; an empty list if ``studies.receptive_field.models`` is empty."""
    study, operator = config["studies"]["receptive_field"], config["operator"]
    seed = study["seed"]
    for i, model in enumerate(study["models"]):
        key = f"config key '{KEY}.models[{i}]'"
        if model not in operator["models"]:
            raise ConfigError(f"{key}: no model {model!r} in operator.models")
        arch = operator["models"][model]["architecture"]
        if arch not in CNN:
            raise ConfigError(f"{key}: model {model!r} is a {arch}, which mixes the whole lattice in every layer; "
                              f"the study compares CNNs ({', '.join(CNN)})")
        if not any(r["task"] == TASK and model in r["models"] and seed in r["seeds"] for r in operator["runs"]):
            raise ConfigError(f"{key}: no run {run_name(model, seed)!r}: operator.runs has no entry of task "
                              f"{TASK} with model {model!r} and seed {seed} ({KEY}.seed)")
    return [run_name(m, seed) for m in study["models"]]
