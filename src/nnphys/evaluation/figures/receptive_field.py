"""The receptive-field study's figure: test error against receptive field (a) and against depth (b).

Input is the study's table (:func:`nnphys.evaluation.studies.receptive_field.table`). Each panel shows the
mean test rel. L2 error over the output channels (thick) and each channel's own (thin), one line style per
architecture, on a log error axis, and the floor of each receptive field (grey crosses: the best operator that
reads the same cells). A floor below a thousandth of the lowest network error (a field that covers the
lattice: zero up to rounding) is a triangle on the bottom edge. Panel (a) has a log₂ axis of receptive field
in cells, a dashed line at the lattice side and the narrower fields shaded: left of the line an output cell
cannot see the whole periodic lattice. Panel (b) labels each point with its receptive field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import ScalarFormatter

from nnphys.evaluation import style as st
from nnphys.evaluation.figures.common import outputs
from nnphys.evaluation.studies.receptive_field import ERROR, FLOOR

LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("s", "^", "v", "D", "P")  # per output channel; the mean: circles
SHOWN_BELOW = 0.2  # the error axis starts this factor below the lowest error or floor shown
NEGLIGIBLE = 1e-3  # floors below this fraction of the lowest network error are not drawn to scale


def _series(ax, df: pd.DataFrame, x: str, errors: list[str], bottom: float) -> None:
    """One line per error column and architecture, points in order of ``x``, and the floors; legend labels
    name the architecture where there are several."""
    archs = list(dict.fromkeys(df["architecture"]))
    for arch, style in zip(archs, LINESTYLES):
        sub = df[df["architecture"] == arch].sort_values(x)
        prefix = f"{arch}: " if len(archs) > 1 else ""
        for i, column in enumerate(errors):
            mean = column == ERROR
            name = "mean" if mean else column.removeprefix(f"{ERROR}_")
            ax.plot(sub[x], sub[column], style, marker="o" if mean else MARKERS[(i - 1) % len(MARKERS)],
                    color="0.1" if mean else f"C{i - 1}", lw=1.6 if mean else 0.8, ms=4.5 if mean else 3,
                    alpha=1 if mean else 0.8, label=f"{prefix}{name}")
        floor = sub[FLOOR].to_numpy()
        ax.plot(sub[x], np.where(floor >= bottom, floor, np.nan), style, marker="x", color="0.55", lw=0.8, ms=5,
                label=f"{prefix}floor of the receptive field (mean)")
        if (floor < bottom).any():
            ax.plot(sub[x][floor < bottom], np.full((floor < bottom).sum(), bottom), "v", color="0.55", ms=5,
                    clip_on=False, label=f"{prefix}floor ≈ 0 (below the axis)")


def receptive_field_figure(df: pd.DataFrame, out_dir: str | Path, style: st.Style) -> None:
    """Write ``receptive_field.png`` and ``receptive_field.pdf`` into ``out_dir``."""
    errors = [ERROR] + [c for c in df.columns if c.startswith(f"{ERROR}_")]
    lowest = df[errors].to_numpy().min()
    floors = df[FLOOR].to_numpy()
    bottom = SHOWN_BELOW * min(lowest, *floors[floors >= NEGLIGIBLE * lowest])
    with st.figure(style, st.TEXT_IN, 3.4, ncols=2, sharey=True) as (fig, (by_rf, by_depth)):
        _series(by_rf, df, "receptive_field", errors, bottom)
        sides = sorted(set(df["lattice_side"]))
        lo = min(df["receptive_field"].min(), sides[0]) / 1.3
        hi = max(df["receptive_field"].max(), sides[-1]) * 1.3
        for side in sides:
            by_rf.axvspan(lo, side, color="0.93", lw=0, zorder=0)
            by_rf.axvline(side, color="0.4", ls="--", lw=0.8)
            by_rf.annotate(f"lattice side {side}", (side, 1), xycoords=("data", "axes fraction"), xytext=(3, -3),
                           textcoords="offset points", ha="left", va="top", color="0.3")
        by_rf.set_xscale("log", base=2)
        by_rf.set_xlim(lo, hi)
        by_rf.xaxis.set_major_formatter(ScalarFormatter())
        by_rf.set_xlabel("receptive field [cells]")
        by_rf.set_ylabel(st.metric_label(ERROR))
        by_rf.set_yscale("log")
        by_rf.set_ylim(bottom=bottom)

        _series(by_depth, df, "depth", errors, bottom)
        for _, r in df.iterrows():
            by_depth.annotate(f"{r['receptive_field']}", (r["depth"], r[ERROR]), xytext=(4, 3),
                              textcoords="offset points", fontsize=style.font_size - 1, color="0.1")
        by_depth.set_xticks(sorted(set(df["depth"])))
        by_depth.set_xlabel("depth (halvings of the grid) [-]")
        by_depth.set_title("labels: receptive field [cells]", loc="right", fontsize=style.font_size - 1)
        for ax in (by_rf, by_depth):
            ax.grid(axis="y", which="major", color="0.9", lw=0.5)
            ax.set_axisbelow(True)
        handles, labels = by_rf.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3)
        st.panel_letters((by_rf, by_depth))
        st.save(fig, *outputs(out_dir, "receptive_field"))
