"""One figure comparing every model on its problem: headline error and training time.

One column per problem, titled with the problem and its headline metric
(``report.headline``, else its first relative L2 error). Top row: that metric per
model; bottom row: training time in seconds. Each run is one dot in its model's
colour (the same model has the same colour in every panel); where a model has
several seeds, a short bar marks their mean (a legend says so). Each row shares
one log axis in whole decades, so problems compare at a glance: models differ by
orders of magnitude.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullFormatter, NullLocator

from nnphys.evaluation import style as st
from nnphys.evaluation.figures.common import finite_positive, outputs
from nnphys.evaluation.tables import headline_metric, metric_columns, per_run

HALF_WIDTH = 0.25  # half the width of a mean bar, in model slots
SPREAD = 0.12  # seeds of one model are spread over +-SPREAD slots so that they do not hide each other


def _wrap(text: str, width: float, measure: Callable[[str], float]) -> str:
    """``text`` broken between words into lines that ``measure`` finds at most ``width`` wide (a word too long
    keeps its own line); units (``[...]``) stay with the word before them."""
    words: list[str] = []
    for word in text.split(" "):
        if words and word.startswith("["):
            words[-1] += f" {word}"
        else:
            words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and measure(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def _values(sub: pd.DataFrame, column: str, model: str) -> np.ndarray:
    values = sub.loc[sub["model"] == model, column].to_numpy(dtype=float)
    return values[finite_positive(values)]


def _points(ax, sub: pd.DataFrame, column: str, models: list[str], colors: Mapping[str, str]) -> bool:
    """Per model: one dot per run and, with several runs, a bar at their mean. Whether any model had several."""
    several = False
    for i, model in enumerate(models):
        values = _values(sub, column, model)
        if not len(values):
            continue
        x = i + (np.linspace(-SPREAD, SPREAD, len(values)) if len(values) > 1 else np.zeros(1))
        ax.plot(x, values, "o", color=colors[model], ms=4.5, mec="white", mew=0.5, zorder=3)
        if len(values) > 1:
            several = True
            mean = values.mean()
            ax.plot([i - HALF_WIDTH, i + HALF_WIDTH], [mean, mean], "-", color=colors[model], lw=1.5, zorder=2)
    ax.set_xticks(range(len(models)), models, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.6, len(models) - 0.4)
    return several


def _decades(row, values: np.ndarray) -> None:
    """The shared log axis of a row of panels: the whole decades around ``values``, labelled and gridded at
    each power of ten; minor ticks only where it spans at most two decades (more would crowd the axis)."""
    ax = row[0]
    ax.set_yscale("log")
    lo, hi = 0, 1
    if len(values):
        lo, hi = np.floor(np.log10(values.min() / 1.5)), np.ceil(np.log10(values.max() * 1.5))
        hi = max(hi, lo + 1)
        ax.set_ylim(10**lo, 10**hi)
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=12))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if hi - lo > 2:
        ax.yaxis.set_minor_locator(NullLocator())
    for panel in row:
        panel.grid(axis="y", which="major", color="0.9", lw=0.5)
        panel.set_axisbelow(True)


def _row_values(df: pd.DataFrame, columns: Mapping[str, str | None]) -> np.ndarray:
    parts = [df.loc[df["problem"] == p, c].to_numpy(dtype=float) for p, c in columns.items() if c is not None]
    values = np.concatenate(parts) if parts else np.zeros(0)
    return values[finite_positive(values)]


def summary_figure(metrics_paths: Iterable[str | Path], headline: Mapping[str, str], out_dir: str | Path,
                   style: st.Style) -> None:
    """Write ``summary.png`` and ``summary.pdf`` into ``out_dir``."""
    df = per_run(metrics_paths)
    problems = list(dict.fromkeys(df["problem"]))
    models = list(dict.fromkeys(df["model"]))
    colors = {m: f"C{i % 10}" for i, m in enumerate(models)}
    metrics = {}
    for problem in problems:
        sub = df[df["problem"] == problem]
        metrics[problem] = headline_metric(problem, [c for c in metric_columns(sub) if sub[c].notna().any()],
                                           headline)
    n = max(len(problems), 1)
    width = max(st.TEXT_IN, 1.6 * n)
    titles = [[f"{problem} ({df.loc[df['problem'] == problem, 'kind'].iloc[0]})",
               st.metric_label(metrics[problem]) if metrics[problem] else "no error metric"] for problem in problems]
    with st.canvas(style, width, 4.8) as fig:
        renderer = fig.canvas.get_renderer()
        em_px = style.font_size / 72 * fig.dpi

        def measure(line: str, size: float = style.font_size) -> float:
            """Width of ``line`` in ems of the style's font size."""
            return renderer.get_text_width_height_descent(line, FontProperties(size=size), ismath=False)[0] / em_px

        # Room for what lies around the panels, measured (a few strings) rather than laid out. The model names
        # are rotated by 30 degrees, right end at their tick, under both rows: the longest sets the rows' gap; the
        # first column's first name runs left past its panel (the left margin); names of neighbouring columns are
        # parallel strips, apart if their ticks are more than two text heights apart (the column gap). The titles
        # are broken to the panel width: the most lines set the top. The y labels are on the first column only.
        tick = [0.9 * measure(m, style.font_size - 1) for m in models] or [0.0]
        first = 0.9 * measure(str(df.loc[df["problem"] == problems[0], "model"].iloc[0]), style.font_size - 1) \
            if problems else 0.0
        names = 0.5 * max(tick) + 0.87 * 1.2 + 1.0
        margins = st.Margins(left=max(5.5, 0.87 * first + 0.5), right=1.0, bottom=names + 2.2, top=1.0, wgap=2.6,
                             hgap=names + 0.5)
        panel = margins.panel_width(width, n, style)
        wrapped = ["\n".join(_wrap(line, panel, measure) for line in lines) for lines in titles]
        top = 1.25 * max((t.count("\n") + 1 for t in wrapped), default=1) + 0.6
        axes = st.panels(fig, 2, n, dataclasses.replace(margins, top=top), style)
        several = False
        for col, problem in enumerate(problems):
            sub = df[df["problem"] == problem]
            metric = metrics[problem]
            run_models = list(dict.fromkeys(sub["model"]))
            upper, lower = axes[0, col], axes[1, col]
            if col > 0:  # one y axis per row, labelled on the first column
                for row in (0, 1):
                    axes[row, col].sharey(axes[row, 0])
                    axes[row, col].tick_params(labelleft=False)
            lower.sharex(upper)
            if metric is not None:
                several |= _points(upper, sub, metric, run_models, colors)
            several |= _points(lower, sub, "train_seconds", run_models, colors)
            upper.set_title(wrapped[col])
        _decades(axes[0], _row_values(df, metrics))
        _decades(axes[1], _row_values(df, dict.fromkeys(problems, "train_seconds")))
        axes[0, 0].set_ylabel("headline error [-]")
        axes[1, 0].set_ylabel("training time [s]")
        handles = [Line2D([], [], ls="none", marker="o", color="0.3", ms=4.5, mec="white", mew=0.5,
                          label="one run (seed)")]
        if several:
            handles.append(Line2D([], [], color="0.3", lw=1.5, label="mean over seeds"))
        fig.legend(handles=handles, loc="lower center", ncols=len(handles))
        st.save(fig, *outputs(out_dir, "summary"))
