"""The optimizer comparison's numbers: per run, what trained it (optimizer, learning rate, schedule), its
training curves, and its final numbers (``optimizers.csv``, ``optimizers.md``).

A run folder holds history.nc and metrics.json (the training stages' contract). The curves, on common axes:

    operator  per epoch: training loss (MSE in normalized units, epoch mean) and validation rel. L2 error
    pinn      per logged step (full batch, so a step is an epoch): total loss, and the rel. L2 error against the
              reference where it was evaluated

against the epoch (PINN: the step) and the training wall time. The table's test error is the problem's
headline metric (``report.headline``) on the test split (operator) or the reference grid (PINN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nnphys.evaluation.tables import fmt, headline_metric, markdown_table
from nnphys.evaluation.time_to_accuracy import seconds_to
from nnphys.io import STEP, dataset_params, read_dataset, read_json

# stage -> (loss variable, error variable) of its history.nc
CURVES = {"operator": ("loss_train", "val_rel_l2"), "pinn": ("loss_total", "rel_l2")}
AXES = {"operator": ("epoch", "training loss (normalized MSE)", "validation rel. L2 error"),
        "pinn": ("step (full batch)", "total loss", "rel. L2 error vs the reference")}
SCHEDULES = {"onecycle": "one-cycle lr", "cosine": "cosine lr"}


@dataclass(frozen=True)
class Run:
    """One compared run: its name, stage, what trained it, its curves and its metrics.json."""

    run: str
    stage: str
    optimizer: str
    epoch: np.ndarray
    wall: np.ndarray
    loss: np.ndarray
    error: np.ndarray
    updates: int
    result: dict
    complex_error: np.ndarray | None = None  # nls PINN: the error of h = u + i v beside that of |h|


def _sgd(momentum: float) -> str:
    return f"SGD, momentum {momentum:g}" if momentum else "SGD"


def describe_operator(tc: Mapping) -> str:
    """The optimizer and schedule of operator training settings, in words."""
    opt = _sgd(tc["momentum"]) if tc["optimizer"] == "sgd" else "AdamW"
    after = f"after epochs {', '.join(map(str, tc['milestones']))}"
    schedule = {"step": f"lr ÷{tc['factor']:g} {after}",
                "batch_growth": f"constant lr, batch ×{tc['factor']:g} {after}"}.get(tc["schedule"],
                                                                                     SCHEDULES.get(tc["schedule"]))
    return f"{opt}, lr {tc['lr']:g}, batch {tc['batch_size']}, {schedule}"


def describe_phase(p: Mapping) -> str:
    """One PINN optimizer phase in words."""
    name = {"adam": "Adam", "sgd": _sgd(p.get("momentum", 0.9)), "lbfgs": "L-BFGS", "lm": "Levenberg–Marquardt",
            "ssbfgs": "SSBFGS", "ssbroyden": "SSBroyden", "bfgs": "BFGS", "gn": "Gauss–Newton (CG)", "engd": "ENGD (CG)"}
    text = name[p["optimizer"]] + (f", lr {p['lr']:g}" if "lr" in p else "")
    if p.get("schedule", "constant") != "constant":
        text += f", {p['schedule']} lr to ×{p['final_factor']:g}"
    return f"{text} ({p['steps']} steps)"


def describe(stage: str, params: Mapping) -> str:
    """What trained a run (its history's recorded config), in words."""
    if stage == "operator":
        return describe_operator(params["training"])
    return " then ".join(describe_phase(p) for p in params["training"]["phases"])


def read_run(folder: str | Path) -> Run:
    """A compared run from its folder (history.nc, metrics.json)."""
    folder = Path(folder)
    result = read_json(folder / "metrics.json", required=("kind", "run", "problem", "metrics"))
    stage = result["kind"]
    loss, error = CURVES[stage]
    hist = read_dataset(folder / "history.nc", {loss: (STEP,), error: (STEP,), "wall_time": (STEP,)})
    updates = int(hist["updates"].values[-1]) if "updates" in hist else int(hist[STEP].values[-1])
    return Run(result["run"], stage, describe(stage, dataset_params(hist)), hist[STEP].values,
               hist["wall_time"].values, hist[loss].values, hist[error].values, updates, result,
               hist["rel_l2_complex"].values if "rel_l2_complex" in hist else None)


def reach_column(level: float) -> str:
    return f"s_to_{level:g}"


def table(groups: Mapping[str, Sequence[str | Path]], headline: Mapping[str, str],
          reach: Mapping[str, Sequence[float]] | None = None) -> pd.DataFrame:
    """One row per compared run: comparison, run, optimizer, epochs, updates, time, final loss, test error, and the
    seconds its error curve took to reach each level of ``reach[comparison]``."""
    rows = []
    for name, folders in groups.items():
        for r in map(read_run, folders):
            metric = headline_metric(r.result["problem"], r.result["metrics"], headline)
            rows.append({"comparison": name, "problem": r.result["problem"], "run": r.run, "optimizer": r.optimizer,
                         "epochs": int(r.epoch[-1]), "updates": r.updates,
                         "train_seconds": float(r.result.get("train_seconds") or np.nan),
                         "final_loss": float(r.loss[-1]), "metric": metric,
                         "test_error": float(r.result["metrics"][metric]) if metric else np.nan,
                         **{reach_column(float(v)): np.nan if t is None else t
                            for v, t in seconds_to(r.wall, r.error, (reach or {}).get(name, ())).items()}})
    return pd.DataFrame(rows)


def write_tables(groups: Mapping[str, Sequence[str | Path]], headline: Mapping[str, str], csv: str | Path,
                 md: str | Path, reach: Mapping[str, Sequence[float]] | None = None) -> pd.DataFrame:
    """``optimizers.csv`` and ``optimizers.md`` of the comparisons ``groups`` ({name: run folders}); ``reach``
    ({name: error levels}) adds the seconds each run took to reach each level ("never" in the Markdown)."""
    df = table(groups, headline, reach)
    for path in (csv, md):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(csv, index=False, float_format="%.6g")
    text = ["# Training comparisons (optimizers, schedules, architectures)", "",
            "epochs: operator epochs, PINN steps (full batch); updates: optimizer steps; test_error: the headline "
            "metric on the test split (operator) or the reference grid (PINN); s_to_<level>: training seconds until "
            "the validation (PINN: reference) error first reached that level.", ""]
    for name, sub in df.groupby("comparison", sort=False):
        levels = [reach_column(v) for v in (reach or {}).get(name, ())]
        cols = ["run", "optimizer", "epochs", "updates", "train_seconds", "final_loss", "metric", "test_error"]
        cells = [[fmt(r[c]) if isinstance(r[c], float) else str(r[c]) for c in cols]
                 + [fmt(r[c]) if r[c] == r[c] else "never" for c in levels] for _, r in sub.iterrows()]
        text += [f"## {name} ({sub['problem'].iloc[0]})", "", markdown_table(cells, cols + levels), ""]
    Path(md).write_text("\n".join(text))
    return df
