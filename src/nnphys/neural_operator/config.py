"""The operator runs a config defines (operator.runs: task x models x seeds), each run's resolved settings,
and the checks that span config sections (a model against its task's lattice).

Pure config logic (no torch unless a model leaves a grid-bound hyperparameter to its default),
used by the Snakemake rules at parse time and by ``python -m nnphys operator-train``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnphys import configcheck
from nnphys.configcheck import ConfigError
from nnphys.physics import problem
from nnphys.run_names import parse_run_name, run_name

# Each task learns from the reference dataset of its name; what it learns follows from the dataset's problem
# (poisson: rho -> the outputs; heat2d: u(t) -> u(t + dt)).
TASKS = ("poisson", "poisson_dirichlet", "heat2d")


def runs(section: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(task, run name) of every configured run, in config order, each once (a run listed twice takes the
    first entry's settings); an unknown model names the key. The stage's outputs, and the report's inputs,
    are these runs' files."""
    out = []
    for i, r in enumerate(section["runs"]):
        for m in r["models"]:
            if m not in section["models"]:
                raise ConfigError(f"config key 'operator.runs[{i}].models': no model {m!r} in operator.models")
        out += [(r["task"], run_name(m, s)) for m in r["models"] for s in r["seeds"]]
    return list(dict.fromkeys(out))


def _task_settings(task: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A task's settings as a run reads them: ``outputs`` only for a Poisson task (heat2d learns u -> u)."""
    return {k: v for k, v in settings.items() if problem(task) == "poisson" or k != "outputs"}


def run_config(section: Mapping[str, Any], task: str, run: str) -> dict[str, Any]:
    """Run ``run`` of ``task``, resolved from the workflow's ``operator`` section (schema defaults filled):
    the task's settings, the first run entry's training overrides for its model, the model itself."""
    model, seed = parse_run_name(run)
    if model not in section["models"]:
        raise ConfigError(f"operator run {run!r}: no model {model!r} in operator.models")
    t = _task_settings(task, section["tasks"][task])
    for r in section["runs"]:
        if r["task"] == task and model in r["models"]:
            t["training"] = {**t["training"], **r.get("training", {})}
            break
    return {"task": task, "arch": model, "seed": seed, "model": section["models"][model], **t}


def resolve(run: Mapping[str, Any]) -> dict[str, Any]:
    """A run config as ``operator-train --config`` takes it: checked against the ``run`` definition of
    operator.schema.yaml (the workflow's definitions), unset keys filled with the schema's defaults."""
    out = configcheck.resolve(run, configcheck.schema("operator", "run"))
    bad = training_error(out["training"])
    if bad:
        raise ConfigError(f"config key 'training.{bad[0]}': {bad[1]}")
    out.setdefault("arch", out["model"]["architecture"])
    return _task_settings(out["task"], out)


def training_error(tc: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key, why) if resolved training settings ``tc`` pair keys that do not go together, else None: a
    momentum without SGD, milestones without (or missing for) a step decay or a growing batch, a milestone
    at or after the last epoch (it would change nothing)."""
    if tc["momentum"] and tc["optimizer"] != "sgd":
        return "momentum", f"only optimizer sgd takes a momentum; optimizer is {tc['optimizer']!r}"
    staged = tc["schedule"] in ("step", "batch_growth")
    if staged and not tc["milestones"]:
        return "milestones", f"schedule {tc['schedule']!r} needs the epochs after which it changes the lr or batch size"
    if tc["milestones"] and not staged:
        return "milestones", f"only the schedules step and batch_growth take milestones; schedule is {tc['schedule']!r}"
    late = sorted(m for m in tc["milestones"] if m >= tc["epochs"])
    if late:
        return "milestones", f"{late} not before the last of {tc['epochs']} epochs: would change nothing"
    return None


def _setting_key(section: Mapping[str, Any], task: str, model: str, key: str) -> str:
    """Where the training setting ``key`` of ``model`` on ``task`` is set: the first run entry's override, else
    the task's settings."""
    for i, r in enumerate(section["runs"]):
        if r["task"] == task and model in r["models"]:
            if key in r.get("training", {}):
                return f"operator.runs[{i}].training.{key}"
            break
    return f"operator.tasks.{task}.training.{key}"


def _hyper(model: Mapping[str, Any], key: str) -> int:
    """A model's hyperparameter, or the architecture's default (read without importing torch)."""
    if key in model:
        return model[key]
    from nnphys.models import defaults

    return defaults(model["architecture"])[key]


def grid_error(model: Mapping[str, Any], n: int, periodic: bool) -> tuple[str, str] | None:
    """(hyperparameter, why) if ``model`` cannot run on an ``n`` x ``n`` lattice, else None."""
    arch = model["architecture"]
    if arch in ("unet", "encoder_decoder"):
        depth = _hyper(model, "depth")
        patch = _hyper(model, "patch") if arch == "unet" else 1
        if n % patch:
            return "patch", f"patch {patch} must divide the lattice side"
        if (n // patch) % 2**depth:
            unshuffled = f" after the {patch}x{patch} unshuffle" if patch > 1 else ""
            return "depth", (f"depth {depth} halves the grid {depth} times{unshuffled}, so the lattice side must be "
                             f"divisible by {patch * 2**depth}")
    elif arch == "fno":
        modes = _hyper(model, "modes")
        if _hyper(model, "spectral_basis") == "sine":
            if periodic:
                return "spectral_basis", ("the sine basis is the eigenbasis of a lattice with zero boundary values "
                                          "(boundary: dirichlet); this lattice is periodic")
            if modes > n:
                return "modes", f"{modes} sine modes need at least {modes} interior nodes per side"
            return None
        side = n if periodic else n + n // 4  # non-periodic fields are zero-padded by a quarter (models/fno.py)
        if 2 * modes > side:
            padded = "" if periodic else f" (zero-padded to {side}: the boundary is not periodic)"
            return "modes", f"{modes} Fourier modes per sign need at least {2 * modes} grid points per side{padded}"
    return None


def check(config: Mapping[str, Any]) -> None:
    """Every run's training settings go together (:func:`training_error`), its model fits its task's lattice
    (``reference.<task>.n`` and ``.boundary``) and the heat2d rollout fits the reference's times, checked at
    ``snakemake -n`` rather than in a job after training; :class:`ConfigError` names the keys."""
    section = config["operator"]
    for task, run in runs(section):
        model = parse_run_name(run)[0]
        bad = training_error(run_config(section, task, run)["training"])
        if bad:
            raise ConfigError(f"config key '{_setting_key(section, task, model, bad[0])}': {bad[1]}")
    rollout, nt = section["tasks"]["heat2d"]["evaluation"]["rollout"], config["reference"]["heat2d"]["nt"]
    if rollout >= nt and any(r["task"] == "heat2d" for r in section["runs"]):
        raise ConfigError(f"config key 'operator.tasks.heat2d.evaluation.rollout': {rollout} steps from u(0) need "
                          f"{rollout + 1} reference times; reference.heat2d.nt is {nt}")
    for i, r in enumerate(section["runs"]):
        ref = config["reference"][r["task"]]
        for m in r["models"]:
            outputs = section["tasks"][r["task"]]["outputs"] if problem(r["task"]) == "poisson" else []
            if section["models"][m].get("symmetry", "none") != "none" and len(set(outputs) & {"Ex", "Ey"}) == 1:
                raise ConfigError(f"config key 'operator.models.{m}.symmetry': a rotation turns Ex into Ey, so a "
                                  f"model with a symmetry learns both or neither; operator.tasks.{r['task']}.outputs "
                                  f"is {outputs} (operator.runs[{i}])")
            bad = grid_error(section["models"][m], ref["n"], ref["boundary"] == "periodic")
            if bad:
                key, why = bad
                raise ConfigError(f"config key 'operator.models.{m}.{key}': {why}; reference.{r['task']}.n is "
                                  f"{ref['n']} (operator.runs[{i}] trains {m!r} on {r['task']})")
