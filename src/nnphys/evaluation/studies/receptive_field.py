"""Receptive-field study: the test error of CNN operators on Poisson against how far each output cell sees.

The Poisson solve φ = (−∇²)⁻¹ ρ/ε₀ is non-local: φ at a cell depends on ρ in every cell of the lattice.
A CNN's output cell reads only its receptive field (:mod:`nnphys.models.receptive_field`), so a network
whose receptive field is narrower than the lattice cannot represent the operator exactly, however well it
trains; how close it can come is the floor below.

The study compares runs of the same task (``studies.receptive_field.models``, each an ``operator.runs`` entry
of task poisson) from their saved files only (a run folder: ``metrics.json`` for the test errors and training
time, ``model.pt`` for the hyperparameters it was built with, its weights and the lattice, ``prediction.nc`` for
its test samples) and the reference file. Next to each run's error it puts the floor of its receptive field:
the test error of the best linear operator that reads, at every output cell, only the cells the network reads
there (:mod:`.window_floor`; fitted on the reference samples outside the test split). One row per run::

    model, architecture, depth, receptive_field [cells], lattice_side [cells],
    receptive_field_fraction = receptive_field / lattice_side, parameters,
    rel_l2_mean, rel_l2_mean_<output channel> ..., floor_rel_l2_mean, floor_rel_l2_mean_<channel> ...,
    train_seconds, epochs

sorted by receptive field, written as CSV and as a Markdown table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nnphys.evaluation.studies.window_floor import window_floor
from nnphys.evaluation.tables import fmt, markdown_table, read_metrics, run_label
from nnphys.io import SAMPLE, DataError, load_checkpoint, read_dataset
from nnphys.models import defaults
from nnphys.models.receptive_field import CNN, receptive_field, spans
from nnphys.evaluation.studies.receptive_field_config import TASK

ERROR = "rel_l2_mean"  # the test error compared; its per-channel columns are rel_l2_mean_<channel>
FLOOR = f"floor_{ERROR}"  # the same error of the best operator with the run's receptive field


class Reference:
    """The reference file, read once for every run."""

    def __init__(self, path: str | Path):
        self.path, self.ds = path, read_dataset(path, ["rho"])

    def floor(self, test: np.ndarray, outputs: Sequence[str], spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Per output channel, the window floor on the samples ``test``, fitted on the others."""
        missing = [c for c in outputs if c not in self.ds]
        if missing:
            raise DataError(f"{self.path}: missing variable(s) {missing}")
        rho = self.ds["rho"].to_numpy()
        y = np.stack([self.ds[c].to_numpy() for c in outputs], axis=1)
        fit = np.setdiff1d(np.arange(len(rho)), test)
        return window_floor(rho[fit], y[fit], rho[test], y[test], spans)


def row(run_dir: str | Path, reference: Reference) -> dict[str, Any]:
    """One run's row from its folder; :class:`DataError` names the run and the file."""
    run_dir = Path(run_dir)
    metrics = read_metrics(run_dir / "metrics.json")
    label = run_label(run_dir / "metrics.json")
    ck = load_checkpoint(run_dir / "model.pt", required=("model", "config", "meta"))
    if ck["config"]["arch"] != metrics["model"] or metrics["problem"] != TASK:
        raise DataError(f"run {label}: model.pt is a model of {ck['config']['arch']!r}, metrics.json of "
                        f"{metrics['problem']}/{metrics['model']!r}: not one {TASK} run")
    hyper = dict(ck["config"]["model"])
    arch = hyper.pop("architecture")
    if arch not in CNN:
        raise DataError(f"run {label}: a {arch} mixes the whole lattice in every layer; the study compares "
                        f"CNNs ({', '.join(CNN)})")
    outputs = ck["meta"]["outputs"]
    test = read_dataset(run_dir / "prediction.nc", [SAMPLE])[SAMPLE].to_numpy()
    floor = reference.floor(test, outputs, spans(arch, hyper))
    rf, side = receptive_field(arch, hyper), min(ck["meta"]["grid"])
    return {"model": metrics["model"], "architecture": arch, "depth": {**defaults(arch), **hyper}["depth"],
            "receptive_field": rf, "lattice_side": side, "receptive_field_fraction": rf / side,
            "parameters": sum(int(v.numel()) for v in ck["model"].values()),
            ERROR: metrics[ERROR], **{f"{ERROR}_{c}": metrics[f"{ERROR}_{c}"] for c in outputs},
            FLOOR: float(floor.mean()), **{f"{FLOOR}_{c}": float(v) for c, v in zip(outputs, floor)},
            "train_seconds": metrics["train_seconds"], "epochs": metrics["epochs"]}


def table(run_dirs: Sequence[str | Path], reference: str | Path) -> pd.DataFrame:
    """The study's table: one row per run folder, sorted by receptive field, then depth."""
    if not run_dirs:
        raise ValueError("receptive-field study: no runs to compare")
    ref = Reference(reference)
    df = pd.DataFrame([row(d, ref) for d in run_dirs])
    return df.sort_values(["receptive_field", "depth"], kind="stable").reset_index(drop=True)


def markdown(df: pd.DataFrame) -> str:
    """The table as Markdown, with what its columns mean."""
    errors = [c for c in df.columns if c.startswith(ERROR)]
    header = ["model", "architecture", "depth", "receptive field [cells]", "fraction of the lattice side",
              "parameters", *(f"test {c}" for c in errors), "floor (rel_l2_mean)", "train time [s]"]
    rows = [[r["model"], r["architecture"], str(r["depth"]), str(r["receptive_field"]),
             f"{r['receptive_field_fraction']:.2f}", str(r["parameters"]), *(fmt(r[c]) for c in errors),
             fmt(r[FLOOR]), f"{r['train_seconds']:.0f}"] for _, r in df.iterrows()]
    sides = ", ".join(str(s) for s in sorted(set(df["lattice_side"])))
    return "\n".join([
        "# Receptive-field study: Poisson ρ → φ, E", "",
        f"Receptive field: the side, in lattice cells, of the widest square of input cells one output cell depends "
        f"on (nnphys.models.receptive_field); lattice side {sides}. On a periodic lattice a receptive field at "
        f"least the side sees every cell. Floor: the test error of the best linear operator that reads, at each "
        f"output cell, only the cells the network reads there (nnphys.evaluation.studies.window_floor); the "
        f"charge densities are Gaussian, so no operator with that receptive field does better in mean square.", "",
        markdown_table(rows, header), ""])


def write_tables(run_dirs: Sequence[str | Path], reference: str | Path, csv: str | Path,
                 md: str | Path) -> pd.DataFrame:
    """Write the table as CSV and Markdown; return it."""
    df = table(run_dirs, reference)
    for path in (csv, md):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(csv, index=False, float_format="%.6g")
    Path(md).write_text(markdown(df))
    return df
