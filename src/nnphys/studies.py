"""The studies a config asks for, and the trained runs each one reads (pure config logic, no torch: the
workflow reads it when it parses the rules).

    uq          predictive uncertainty: deep ensembles over the configured seeds of a model (section
                ``uq.ensembles``), Monte Carlo dropout of the runs of a model with dropout (``uq.mc_dropout``)
    optimizers  comparisons of runs of one problem that differ in their optimizer, schedule, epochs or
                architecture (section ``optimizers``, one figure each)

A study trains nothing of its own: its runs are ordinary runs of ``pinn.runs`` and ``operator.runs``
(``<model>-s<seed>``), so a run the default config already made is reused from its results folder. Each
function checks what the schemas cannot (that the runs exist, that a model has dropout) and raises
:class:`~nnphys.configcheck.ConfigError` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnphys.configcheck import ConfigError
from nnphys.neural_operator import config as operator_config
from nnphys.pinn import config as pinn_config
from nnphys.run_names import parse_run_name, run_name

STAGES = ("pinn", "operator")


@dataclass(frozen=True)
class Group:
    """Runs of one problem read together: an ensemble's members, or the runs an optimizer comparison shows."""

    name: str                 # the ensemble's model, or the comparison's name
    stage: str                # pinn | operator
    problem: str              # PINN problem or operator task
    runs: tuple[str, ...]     # run names, <model>-s<seed>


def configured(config: Mapping[str, Any], stage: str) -> list[tuple[str, str]]:
    """(problem, run) of every run ``stage`` trains."""
    return pinn_config.runs(config["pinn"]) if stage == "pinn" else operator_config.runs(config["operator"])


def _runs_of(config: Mapping[str, Any], stage: str, problem: str, model: str) -> tuple[str, ...]:
    return tuple(r for p, r in configured(config, stage) if p == problem and parse_run_name(r)[0] == model)


def ensembles(config: Mapping[str, Any]) -> list[Group]:
    """The ensembles of ``uq.ensembles``: every configured seed of the model on the problem is a member."""
    out = []
    for i, e in enumerate(config["uq"]["ensembles"]):
        runs = _runs_of(config, e["stage"], e["problem"], e["model"])
        if len(runs) < 2:
            seeds = [parse_run_name(r)[1] for r in runs]
            raise ConfigError(f"config key 'uq.ensembles[{i}]': {e['stage']}.runs trains {e['model']!r} on "
                              f"{e['problem']!r} with seeds {seeds}; an ensemble needs at least 2")
        out.append(Group(e["model"], e["stage"], e["problem"], runs))
    return out


def mc_dropout_runs(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(task, run) of every operator run ``uq.mc_dropout`` asks Monte Carlo passes of."""
    out = []
    for i, e in enumerate(config["uq"]["mc_dropout"]):
        runs = _runs_of(config, "operator", e["problem"], e["model"])
        if not runs:
            raise ConfigError(f"config key 'uq.mc_dropout[{i}]': operator.runs trains no {e['model']!r} on "
                              f"{e['problem']!r}")
        if not config["operator"]["models"][e["model"]].get("dropout", 0) > 0:
            raise ConfigError(f"config key 'operator.models.{e['model']}.dropout': Monte Carlo dropout "
                              f"(uq.mc_dropout[{i}]) needs a model trained with dropout > 0")
        out += [(e["problem"], r) for r in runs]
    return list(dict.fromkeys(out))


def comparisons(config: Mapping[str, Any]) -> list[Group]:
    """The optimizer comparisons of section ``optimizers``: the run of each model with the comparison's seed."""
    out = []
    for name, c in config["optimizers"].items():
        trained = set(configured(config, c["stage"]))
        runs = tuple(run_name(m, c["seed"]) for m in c["models"])
        missing = [r for r in runs if (c["problem"], r) not in trained]
        if missing:
            raise ConfigError(f"config key 'optimizers.{name}.models': {c['stage']}.runs trains no {missing} on "
                              f"{c['problem']!r}")
        out.append(Group(name, c["stage"], c["problem"], runs))
    return out


def check(config: Mapping[str, Any]) -> None:
    """Every study's runs are configured (and a Monte Carlo dropout model has dropout)."""
    ensembles(config)
    mc_dropout_runs(config)
    comparisons(config)
