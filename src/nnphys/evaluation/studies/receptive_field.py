"""Receptive-field study: the test error of CNN operators on Poisson against how far each output cell sees.

The Poisson solve φ = (−∇²)⁻¹ ρ/ε₀ is non-local: φ at a cell depends on ρ in every cell of the lattice.
A CNN's output cell reads only its receptive field (:mod:`nnphys.models.receptive_field`), so a network
whose receptive field is narrower than the lattice cannot represent the operator, however well it trains.

The study compares runs of the same task (``studies.receptive_field.models``, each an ``operator.runs`` entry
of task poisson) from their saved files only: ``metrics.json`` (test errors, training time) and ``model.pt``
(the hyperparameters it was built with, its weights, the lattice). One row per run::

    model, architecture, depth, receptive_field [cells], lattice_side [cells],
    receptive_field_fraction = receptive_field / lattice_side, parameters,
    rel_l2_mean, rel_l2_mean_<output channel> ..., train_seconds, epochs

sorted by receptive field, written as CSV and as a Markdown table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from nnphys.configcheck import ConfigError
from nnphys.evaluation.tables import fmt, markdown_table, read_metrics, run_label
from nnphys.io import DataError, load_checkpoint
from nnphys.models import defaults
from nnphys.models.receptive_field import CNN, receptive_field
from nnphys.run_names import run_name

KEY = "studies.receptive_field"
TASK = "poisson"
ERROR = "rel_l2_mean"  # the test error compared; its per-channel columns are rel_l2_mean_<channel>


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


def row(metrics_path: str | Path, checkpoint_path: str | Path) -> dict[str, Any]:
    """One run's row from its ``metrics.json`` and ``model.pt``; :class:`DataError` names the run and file."""
    metrics = read_metrics(metrics_path)
    ck = load_checkpoint(checkpoint_path, required=("model", "config", "meta"))
    label = run_label(metrics_path)
    hyper = dict(ck["config"]["model"])
    arch = hyper.pop("architecture")
    if ck["config"]["arch"] != metrics["model"] or metrics["problem"] != TASK:
        raise DataError(f"run {label}: {checkpoint_path} is a model of run {ck['config']['arch']!r}, "
                        f"{metrics_path} of {metrics['problem']}/{metrics['model']!r}: not one {TASK} run")
    rf = receptive_field(arch, hyper) if arch in CNN else None
    if rf is None:
        raise DataError(f"run {label}: a {arch} mixes the whole lattice in every layer; the study compares "
                        f"CNNs ({', '.join(CNN)})")
    side = min(ck["meta"]["grid"])
    errors = {k: v for k, v in metrics.items() if k.startswith(ERROR)}
    return {"model": metrics["model"], "architecture": arch, "depth": {**defaults(arch), **hyper}["depth"],
            "receptive_field": rf, "lattice_side": side, "receptive_field_fraction": rf / side,
            "parameters": sum(int(v.numel()) for v in ck["model"].values()), **errors,
            "train_seconds": metrics["train_seconds"], "epochs": metrics["epochs"]}


def table(metrics_paths: Sequence[str | Path], checkpoint_paths: Sequence[str | Path]) -> pd.DataFrame:
    """The study's table: one row per run (``metrics_paths[i]`` and ``checkpoint_paths[i]`` of the same run),
    sorted by receptive field, then depth."""
    if len(metrics_paths) != len(checkpoint_paths) or not metrics_paths:
        raise ValueError(f"receptive-field study: {len(metrics_paths)} metrics file(s) and "
                         f"{len(checkpoint_paths)} checkpoint(s); expected one of each per run, at least one run")
    df = pd.DataFrame([row(m, c) for m, c in zip(metrics_paths, checkpoint_paths)])
    return df.sort_values(["receptive_field", "depth"], kind="stable").reset_index(drop=True)


def markdown(df: pd.DataFrame) -> str:
    """The table as Markdown, with what its columns mean."""
    errors = [c for c in df.columns if c.startswith(ERROR)]
    header = ["model", "architecture", "depth", "receptive field [cells]", "fraction of the lattice side",
              "parameters", *(f"test {c}" for c in errors), "train time [s]"]
    rows = [[r["model"], r["architecture"], str(r["depth"]), str(r["receptive_field"]),
             f"{r['receptive_field_fraction']:.2f}", str(r["parameters"]), *(fmt(r[c]) for c in errors),
             f"{r['train_seconds']:.0f}"] for _, r in df.iterrows()]
    sides = ", ".join(str(s) for s in sorted(set(df["lattice_side"])))
    return "\n".join([
        "# Receptive-field study: Poisson ρ → φ, E", "",
        f"Receptive field: the side, in lattice cells, of the widest square of input cells one output cell depends "
        f"on (nnphys.models.receptive_field); lattice side {sides}. On a periodic lattice a receptive field at "
        f"least the side sees every cell; a narrower one cannot represent the non-local solve.", "",
        markdown_table(rows, header), ""])


def write_tables(metrics_paths: Sequence[str | Path], checkpoint_paths: Sequence[str | Path], csv: str | Path,
                 md: str | Path) -> pd.DataFrame:
    """Write the table as CSV and Markdown; return it."""
    df = table(metrics_paths, checkpoint_paths)
    for path in (csv, md):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(csv, index=False, float_format="%.6g")
    Path(md).write_text(markdown(df))
    return df
