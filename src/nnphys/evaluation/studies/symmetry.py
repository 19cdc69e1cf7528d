"""Symmetry study: test error against the number of training samples for a plain, a data-augmented and an
exactly D4-equivariant model of one kind (config studies.symmetry; README, Studies).

Input: the study runs' ``metrics.json`` and, per run, its model's ``symmetry`` (none, augment, d4) and
``training.train_samples``. Output: ``symmetry.csv`` and ``symmetry.md`` (one row per run: test rel. L2 mean
and per channel, the D4 and translation equivariance errors, training seconds) and the figure ``symmetry``
(PNG, PDF): (a) test rel. L2 against training samples, (b) D4 equivariance error against training samples,
one line per variant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from nnphys.evaluation import style as st
from nnphys.evaluation.tables import fmt, markdown_table, read_metrics, run_label
from nnphys.io import DataError

VARIANTS = {"none": "plain", "augment": "augmented data", "d4": "D4-equivariant (group average)"}
COLUMNS = ["variant", "train_samples", "run", "rel_l2_mean", "rel_l2_mean_phi", "rel_l2_mean_Ex", "rel_l2_mean_Ey",
           "d4_equivariance_error", "equivariance_error", "train_seconds"]


def table(metrics: Sequence[str | Path], runs: Sequence[Mapping]) -> pd.DataFrame:
    """One row per run, sorted by variant then training samples; ``runs[i]``: symmetry and train_samples of
    ``metrics[i]``."""
    if len(metrics) != len(runs):
        raise DataError(f"{len(metrics)} metrics files for {len(runs)} study runs")
    rows = []
    for path, run in zip(metrics, runs):
        row = read_metrics(path)
        if "d4_equivariance_error" not in row:
            raise DataError(f"run {run_label(path)}: {path} has no d4_equivariance_error (evaluated by an older "
                            "nnphys: re-run its evaluation)")
        rows.append({**row, "variant": run["symmetry"], "train_samples": run["train_samples"]})
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    order = {v: i for i, v in enumerate(VARIANTS)}
    return df.sort_values(["variant", "train_samples"], key=lambda c: c.map(order) if c.name == "variant" else c)


def markdown(df: pd.DataFrame) -> str:
    header = ["variant", "training samples", "test rel. L2 (mean)", "phi", "Ex", "Ey", "D4 equivariance error",
              "shift equivariance error", "training [s]"]
    rows = [[VARIANTS[r.variant], str(r.train_samples), *(fmt(getattr(r, c)) for c in COLUMNS[3:9]),
             f"{r.train_seconds:.0f}"] for r in df.itertuples()]
    return ("# Symmetry study\n\nTest rel. L2 error (mean over the test split) and equivariance errors "
            "(||f(g x) - g f(x)|| / ||f(x)||, mean over the 7 rotations and reflections, resp. one lattice shift) "
            "of each run.\n\n" + markdown_table(rows, header))


def figure(df: pd.DataFrame, style: st.Style, out_dir: str | Path) -> None:
    with st.figure(style, st.TEXT_IN, 2.6, ncols=2) as (fig, axes):
        for i, (variant, label) in enumerate(VARIANTS.items()):
            part = df[df.variant == variant]
            if part.empty:
                continue
            kw = dict(color=f"C{i}", marker="o", ms=4, label=label)
            axes[0].loglog(part.train_samples, part.rel_l2_mean, **kw)
            eq = part.d4_equivariance_error.to_numpy(float)
            axes[1].semilogy(part.train_samples, np.maximum(eq, 1e-9), **kw)  # exact models sit at rounding
        for ax in axes:
            ax.set_xscale("log")
            ax.set_xlabel("training samples [-]")
        axes[0].set_ylabel(st.metric_label("rel_l2_mean"))
        axes[1].set_ylabel("D4 equivariance error [-]")
        axes[0].legend()
        st.panel_letters(axes)
        st.save(fig, *(Path(out_dir) / f"symmetry.{ext}" for ext in ("png", "pdf")))


def write(metrics: Sequence[str | Path], runs: Sequence[Mapping], out_dir: str | Path, style: st.Style) -> None:
    """symmetry.csv, symmetry.md and the figure in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    df = table(metrics, runs)
    df.to_csv(out_dir / "symmetry.csv", index=False, float_format="%.6g")
    (out_dir / "symmetry.md").write_text(markdown(df))
    figure(df, style, out_dir)
