"""The PINN runs a config defines (pinn.runs: problem x model x seed) and each run's resolved settings.

Pure config logic (no torch), used by the Snakemake rules at parse time and by ``python -m nnphys pinn-train``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnphys import configcheck
from nnphys.configcheck import ConfigError
from nnphys.pinn.problems import PHYSICS, auto_time_scale_refusal
from nnphys.run_names import parse_run_name, run_name

PER_RUN = ("log_every", "eval_every", "checkpoint_every")


def runs(cfg: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(problem, run name) of every configured run, in config order, each once; an unknown model or problem
    names the key. The stage's outputs, and the report's inputs, are these runs' files."""
    out = []
    for i, r in enumerate(cfg.get("runs", [])):
        if r["model"] not in cfg.get("models", {}):
            raise ConfigError(f"config key 'pinn.runs[{i}].model': no model {r['model']!r} in pinn.models")
        if r["problem"] not in cfg.get("problems", {}):
            raise ConfigError(f"config key 'pinn.runs[{i}].problem': no settings for {r['problem']!r} "
                              "in pinn.problems")
        _check_time_scale(r["problem"], cfg["problems"][r["problem"]])
        out += [(r["problem"], run_name(r["model"], s)) for s in r["seeds"]]
    return list(dict.fromkeys(out))


def _check_time_scale(problem: str, settings: Mapping[str, Any]) -> None:
    """A ``sampling.time_scale: auto`` that training would refuse, refused now (when the workflow loads)."""
    if settings.get("sampling", {}).get("time_scale") != "auto" or problem not in PHYSICS:
        return
    why = auto_time_scale_refusal(problem, bool(settings.get("inverse")))
    if why:
        raise ConfigError(f"config key 'pinn.problems.{problem}.sampling.time_scale': {why}")


def run_config(cfg: Mapping[str, Any], problem: str, run: str) -> dict[str, Any]:
    """Everything that changes the result of run ``run`` of ``problem``: what ``pinn-train --config`` reads.
    The problem's settings, with the phases of the first ``pinn.runs`` entry of this problem and model if it
    has its own."""
    model, seed = parse_run_name(run)
    if model not in cfg["models"]:
        raise ConfigError(f"PINN run {run!r}: no model {model!r} in pinn.models")
    training = {k: cfg[k] for k in PER_RUN} | cfg["problems"][problem]  # a problem's own setting wins
    entry = next((r for r in cfg.get("runs", []) if r["problem"] == problem and r["model"] == model), {})
    if "phases" in entry:
        training["phases"] = entry["phases"]
    return {"problem": problem, "model_name": model, "model": cfg["models"][model], "seed": seed,
            "training": training}


def resolve(run: Mapping[str, Any], problem: str) -> dict[str, Any]:
    """A run config as ``pinn-train <problem> --config`` takes it: checked against the ``run`` definition of
    pinn.schema.yaml (the workflow's definitions), unset keys filled with the schema's defaults, the cadence
    keys (log_every, eval_every, checkpoint_every) with the section's, as :func:`run_config` fills them."""
    out = configcheck.resolve(run, configcheck.schema("pinn", "run"))
    if out.setdefault("problem", problem) != problem:
        raise ConfigError(f"config key 'problem': {out['problem']!r}, but the command trains {problem!r}")
    section = configcheck.schema("pinn")["properties"]
    out["training"] = {k: section[k]["default"] for k in PER_RUN} | out["training"]
    return out
