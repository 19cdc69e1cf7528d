"""One figure comparing every model on its problem: headline error and training time.

Top row, one panel per problem: the problem's headline metric (``report.headline``,
else its first relative L2 error) per model: large marker = mean over seeds,
whisker = sample standard deviation, small dots = single seeds. Bottom row: training time
in seconds the same way. Both on log axes: models differ by orders of magnitude.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from nnphys.evaluation import style as st
from nnphys.evaluation.figures.common import finite_positive, outputs
from nnphys.evaluation.tables import headline_metric, metric_columns, per_run


def _points(ax, sub: pd.DataFrame, column: str, models: list[str]) -> None:
    """Per model: each seed (small dots) and mean ± standard deviation (large marker), on a log axis
    spanning whole decades so that its ticks read as powers of ten."""
    shown = []
    for i, model in enumerate(models):
        values = sub.loc[sub["model"] == model, column].to_numpy(dtype=float)
        values = values[finite_positive(values)]
        if not len(values):
            continue
        std = values.std(ddof=1) if len(values) > 1 else 0.0
        mean = values.mean()
        yerr = [[min(std, 0.9 * mean)], [std]] if std else None  # a log axis cannot show mean - std <= 0
        ax.errorbar(i, mean, yerr=yerr, fmt="o", color=f"C{i}", ms=6, capsize=3, zorder=3)
        ax.plot(np.full(len(values), i) + 0.15, values, ".", color="0.4", ms=3)
        shown.append(values)
    ax.set_xticks(range(len(models)), models, rotation=30, ha="right")
    ax.set_xlim(-0.6, len(models) - 0.4)
    ax.set_yscale("log")
    if shown:
        values = np.concatenate(shown)
        lo, hi = np.floor(np.log10(values.min() / 1.5)), np.ceil(np.log10(values.max() * 1.5))
        ax.set_ylim(10**lo, 10 ** max(hi, lo + 1))
        ax.yaxis.set_minor_formatter(NullFormatter())


def summary_figure(metrics_paths: Iterable[str | Path], headline: Mapping[str, str], out_dir: str | Path,
                   style: st.Style) -> None:
    """Write ``summary.png`` and ``summary.pdf`` into ``out_dir``."""
    df = per_run(metrics_paths)
    problems = list(dict.fromkeys(df["problem"]))
    n = max(len(problems), 1)
    with st.figure(style, max(st.TEXT_IN, 1.6 * n), 4.2, nrows=2, ncols=n, squeeze=False) as (fig, axes):
        for col, problem in enumerate(problems):
            sub = df[df["problem"] == problem]
            present = [c for c in metric_columns(sub) if sub[c].notna().any()]
            metric = headline_metric(problem, present, headline)
            models = list(dict.fromkeys(sub["model"]))
            axes[0, col].set_title(f"{problem} ({sub['kind'].iloc[0]})")
            if metric is not None:
                _points(axes[0, col], sub, metric, models)
                axes[0, col].set_ylabel(st.metric_label(metric))
            _points(axes[1, col], sub, "train_seconds", models)
            axes[1, col].set_ylabel("training time [s]")
        st.save(fig, *outputs(out_dir, "summary"))
