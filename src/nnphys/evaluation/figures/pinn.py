"""Figures of one PINN run: fields against the reference, time slices, training history.

- ``fields``: for every (t, x) variable the run predicts, reference, prediction
  and |prediction - reference| over (t, x), t horizontal as in Raissi et al. (2019).
- ``slices``: Raissi's NLS figure: the predicted field over (t, x) with the
  slice times marked, and reference against prediction at those times.
- ``history``: every loss term and the relative L2 error against the step and
  against wall-clock time; for an inverse run also each estimated coefficient
  (history variable ``<p>_hat``, e.g. ``k_hat``) with its true value, the
  reference's parameter ``<p>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from nnphys.evaluation import style as st
from nnphys.evaluation.figures.common import color_limits, finite_positive, naming, outputs, read, read_history
from nnphys.io import STEP, T, X, DataError, dataset_params, require_finite

HAT = "_hat"  # history variable <p>_hat: the estimate of coefficient p in an inverse run


@dataclass(frozen=True)
class Slices:
    """Which variable to slice and at which times (nearest written times are used)."""

    variable: str | None = None
    times: tuple[float, ...] = ()


def field_variables(ref: xr.Dataset, pred: xr.Dataset) -> list[str]:
    """Variables over (t, x) that both the reference and the prediction hold, in reference order."""
    return [v for v in ref.data_vars if ref[v].dims == (T, X) and v in pred.data_vars]


def load(prediction: str | Path, reference: str | Path) -> tuple[xr.Dataset, xr.Dataset, list[str]]:
    """Reference and prediction on the same (t, x) grid; :class:`DataError` names the file that disagrees."""
    ref = read(reference)
    pred = read(prediction)
    names = field_variables(ref, pred)
    if not names:
        raise DataError(f"{prediction}: no (t, x) variable in common with the reference {reference} "
                        f"(prediction has {list(pred.data_vars)}, reference {list(ref.data_vars)})")
    require_finite(ref, names)
    for name in names:
        if pred[name].dims != (T, X):
            raise DataError(f"{prediction}: variable {name!r} has dims {pred[name].dims}, expected {(T, X)}")
    for dim in (T, X):
        if pred.sizes[dim] != ref.sizes[dim] or not np.allclose(pred[dim], ref[dim], rtol=1e-6, atol=1e-9):
            raise DataError(f"{prediction}: coordinate {dim!r} differs from the reference grid of {reference}")
    return ref, pred.assign_coords({T: ref[T], X: ref[X]}), names


def plot_fields(ref: xr.Dataset, pred: xr.Dataset, names: Sequence[str], style: st.Style,
                out_dir: str | Path) -> None:
    n = len(names)
    # colorbars (with a label) right of the reference-and-prediction pair and of the error
    margins = st.Margins(left=5.5, right=9.0, bottom=4.0, top=1.6, wgap=(2.5, 8.5), hgap=1.8)
    with st.canvas(style, st.TEXT_IN, 1.9 * n + 0.3) as fig:
        axes = st.panels(fig, n, 3, margins, style)
        for row, name in zip(axes, names):
            r, p = ref[name], pred[name]
            err = np.abs(p - r)
            mesh = dict(shading="auto", rasterized=True)
            lim = color_limits(r, style)
            im = row[0].pcolormesh(ref[T], ref[X], r.T, **mesh, **lim)
            row[1].pcolormesh(ref[T], ref[X], p.T, **mesh, **lim)
            ime = row[2].pcolormesh(ref[T], ref[X], err.T, cmap=style.error_cmap, **mesh)
            st.colorbar(im, row[1], label=st.label(r))
            st.colorbar(ime, row[2], label=st.label(r, "|error|"), format="%.1e")
            row[0].set_ylabel(st.label(ref[X]))
            row[0].set_title(f"reference {r.attrs.get('long_name', name)}")
            row[1].set_title("PINN prediction")
            row[2].set_title(f"|error|, max {float(err.max()):.2g}")
        st.outer_ticks(axes)
        fig.supxlabel(st.label(ref[T]), fontsize=style.font_size)
        st.save(fig, *outputs(out_dir, "fields"))


def plot_slices(ref: xr.Dataset, pred: xr.Dataset, names: Sequence[str], slices: Slices, style: st.Style,
                out_dir: str | Path, prediction: Path) -> None:
    name = slices.variable or names[-1]
    if name not in names:
        raise DataError(f"{prediction}: slice variable {name!r} (report.slices) not predicted; has {list(names)}")
    t = ref[T].values
    times = slices.times or tuple(np.quantile(t, [0.25, 0.5, 0.75]))
    outside = [s for s in times if not t.min() <= s <= t.max()]
    if outside:
        raise DataError(f"{prediction}: slice time(s) {outside} (report.slices) outside [{t.min():g}, {t.max():g}]")
    idx = [int(np.abs(t - s).argmin()) for s in times]
    n = len(idx)
    r, p = ref[name], pred[name]
    with st.canvas(style, st.TEXT_IN, 4.2) as fig:
        # the map above (a colorbar with a label right of it), the profiles below (a legend under them)
        split = 0.5
        ax = {"map": st.panels(fig, 1, 1, st.Margins(left=5.5, right=8.0, bottom=3.4, top=1.6), style,
                               box=(0.0, split, 1.0, 1.0))[0, 0]}
        profiles = st.panels(fig, 1, n, st.Margins(left=5.5, right=1.0, bottom=5.4, top=1.6, wgap=1.5), style,
                             box=(0.0, 0.0, 1.0, split))[0]
        ax |= {f"s{k}": a for k, a in enumerate(profiles)}
        im = ax["map"].pcolormesh(ref[T], ref[X], p.T, shading="auto", cmap=style.cmap, rasterized=True)
        st.colorbar(im, ax["map"], label=st.label(r))
        for i in idx:
            ax["map"].axvline(t[i], color="w", lw=0.8, ls="--")
        ax["map"].set_xlabel(st.label(ref[T]))
        ax["map"].set_ylabel(st.label(ref[X]))
        ax["map"].set_title(f"PINN prediction of {r.attrs.get('long_name', name)}")
        lo, hi = float(r.min()), float(r.max())
        pad = 0.05 * (hi - lo or 1.0)
        for k, i in enumerate(idx):
            a = ax[f"s{k}"]
            a.plot(ref[X], r.isel({T: i}), color="C0", lw=2.0, label="reference")
            a.plot(ref[X], p.isel({T: i}), color="C3", ls="--", lw=1.4, label="prediction")
            a.set_ylim(lo - pad, hi + pad)
            a.set_title(f"t = {t[i]:.3g}")
            a.set_xlabel(st.label(ref[X]))
            if k == 0:
                a.set_ylabel(st.label(r))
            else:
                a.tick_params(labelleft=False)
        fig.legend(*ax["s0"].get_legend_handles_labels(), loc="lower center", ncols=2)
        st.save(fig, *outputs(out_dir, "slices"))


def _loss_names(hist: xr.Dataset) -> list[str]:
    names = [v for v in hist.data_vars if v.startswith("loss_")]
    return sorted(names, key=lambda v: (v != "loss_total", v))


def _plot_logy(ax, x: np.ndarray, y: np.ndarray, **kw) -> None:
    ok = finite_positive(y) & np.isfinite(x)
    ax.plot(x[ok], y[ok], **kw)
    ax.set_yscale("log")


def plot_history(hist: xr.Dataset, ref: xr.Dataset, style: st.Style, out_dir: str | Path, history: Path) -> None:
    estimated = [v for v in hist.data_vars if v.endswith(HAT)]
    truth = dataset_params(ref)
    missing = [v.removesuffix(HAT) for v in estimated if v.removesuffix(HAT) not in truth]
    if missing:
        raise DataError(f"{history}: inverse run estimates {missing}, but the reference has no such parameter")
    rows = 2 + len(estimated)
    step = hist[STEP].values
    wall = hist["wall_time"].values
    # the legend of the loss terms above the panels
    margins = st.Margins(left=7.0, right=1.5, bottom=3.4, top=3.2, wgap=8.0, hgap=1.6)
    with st.canvas(style, st.TEXT_IN, 1.8 * rows + 0.3) as fig:
        axes = st.panels(fig, rows, 2, margins, style)
        for col, x in enumerate((step, wall)):
            for a in axes[:-1, col]:
                a.sharex(axes[-1, col])
                a.tick_params(labelbottom=False)
            for name in _loss_names(hist):
                total = name == "loss_total"
                _plot_logy(axes[0, col], x, hist[name].values, color="k" if total else None,
                           lw=1.6 if total else 1.0, label=name.removeprefix("loss_"))
            if "rel_l2_complex" in hist:  # nls: the headline |h| and the complex field h
                _plot_logy(axes[1, col], x, hist["rel_l2"].values, color="C3", marker=".", ms=3, label="|h|")
                _plot_logy(axes[1, col], x, hist["rel_l2_complex"].values, color="C0", marker=".", ms=3,
                           label="h = u + i v")
                if col == 0:
                    axes[1, col].legend()
            else:
                _plot_logy(axes[1, col], x, hist["rel_l2"].values, color="C3", marker=".", ms=3)
            axes[0, col].set_ylabel("loss [-]")
            axes[1, col].set_ylabel("relative L2 error [-]")
            for row, name in enumerate(estimated, start=2):
                symbol = name.removesuffix(HAT)
                a = axes[row, col]
                a.plot(x, hist[name].values, color="C0", label=rf"estimate $\hat{{{symbol}}}$")
                a.axhline(truth[symbol], color="k", ls="--", lw=1.0, label=f"true {symbol} = {truth[symbol]:g}")
                a.set_ylabel(st.label(hist[name], rf"$\hat{{{symbol}}}$"))
                if col == 0:
                    a.legend()
            axes[-1, col].set_xlabel(st.label(hist[STEP], "step") if col == 0 else st.label(hist["wall_time"]))
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, [f"loss {name}" for name in labels], loc="upper center", ncols=len(labels))
        st.panel_letters(axes)
        st.save(fig, *outputs(out_dir, "history"))


def pinn_figures(run: str, prediction: str | Path, history: str | Path, reference: str | Path,
                 out_dir: str | Path, style: st.Style, slices: Slices) -> None:
    """Write fields, slices and history figures (PNG and PDF) of one PINN run into ``out_dir``."""
    with naming(run):
        ref, pred, names = load(prediction, reference)
        hist = read_history(history, ("loss_total", "rel_l2", "wall_time"))
        plot_fields(ref, pred, names, style, out_dir)
        plot_slices(ref, pred, names, slices, style, out_dir, Path(prediction))
        plot_history(hist, ref, style, out_dir, Path(history))
