"""Figures of one neural-operator run on its test set.

The prediction file holds, per test sample, the inputs (e.g. ``rho``), each
output channel ``<name>`` and its prediction ``<name>_pred``, dims
(sample, x, y); a time-dependent task (heat2d) has (sample, t, x, y) and the
rollout error ``rollout_rel_l2`` over ``step``. The per-sample relative error
is e_s = ||pred_s - true_s||_2 / ||true_s||_2 over the grid (over t, x, y for a
rollout).

- ``samples``: input, truth, prediction and signed error of the first output
  channel for the best, median and worst test samples (by e_s); for a rollout
  the input is the state at the first time and the fields are at the last.
- ``errors``: histogram of e_s; shell spectra of truth and error, E(|k|) = sum
  over the shell |k| (integer mode numbers) of |FFT(f)/N|^2, mean over samples,
  both divided by the truth's total energy, with the error-by-band metrics; for a rollout also the error against
  the rollout step (stored curve and the 5-95 % range over samples).
- ``history``: training and validation loss (and the validation relative L2
  error where recorded) against epoch and wall-clock time; learning rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.fft
import xarray as xr
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from nnphys.evaluation import style as st
from nnphys.evaluation.figures.common import color_limits, finite_positive, naming, outputs, read, read_history
from nnphys.io import SAMPLE, STEP, T, X, Y, DataError, read_json
from nnphys.norms import rel_l2

PRED = "_pred"
BAND_ORDER = {"low": 0, "mid": 1, "high": 2}
# between map panels, in ems: room for nothing (the y tick labels are on the first column only) or for a
# colorbar and its tick labels ("%.3g": up to "-0.000125")
SAMPLE_GAP, SAMPLE_CBAR_GAP = 2.5, 7.0
LEGEND = {"loss_train": "training loss", "loss_val": "validation loss", "val_rel_l2": "validation rel. L2 error"}


def channels(pred: xr.Dataset, path: Path) -> tuple[list[str], list[str]]:
    """(inputs, outputs) of a prediction file: outputs have a ``<name>_pred`` twin; inputs are the other fields."""
    outs = [v for v in pred.data_vars if f"{v}{PRED}" in pred.data_vars]
    if not outs:
        raise DataError(f"{path}: no predicted channel (expected a variable '<name>' with a twin '<name>{PRED}'; "
                        f"has {list(pred.data_vars)})")
    for v in outs:
        if SAMPLE not in pred[v].dims or pred[v].dims[-2:] != (X, Y) or pred[f"{v}{PRED}"].dims != pred[v].dims:
            raise DataError(f"{path}: channel {v!r} has dims {pred[v].dims} and its prediction "
                            f"{pred[f'{v}{PRED}'].dims}; expected ({SAMPLE}, [{T},] {X}, {Y}) for both")
    ins = [v for v in pred.data_vars if v not in outs and not v.endswith(PRED) and pred[v].dims == (SAMPLE, X, Y)]
    return ins, outs


def sample_errors(true: xr.DataArray, pred: xr.DataArray) -> np.ndarray:
    """e_s of every sample over all non-sample dims."""
    axes = tuple(range(1, true.ndim))
    return rel_l2(true.values, pred.values, axes)


def radial_spectrum(fields: np.ndarray) -> np.ndarray:
    """Energy per integer shell |k| (mode numbers) of ``fields`` (..., nx, ny), averaged over the leading axes.

    E(|k|) = sum over the shell of |FFT(f)/N|^2, so sum_k E(k) = mean(f^2) (Parseval).
    """
    nx, ny = fields.shape[-2:]
    power = np.abs(scipy.fft.fft2(fields, axes=(-2, -1), norm="forward")) ** 2
    power = power.reshape(-1, nx, ny).mean(axis=0)
    kx = scipy.fft.fftfreq(nx, 1 / nx)
    ky = scipy.fft.fftfreq(ny, 1 / ny)
    shell = np.rint(np.hypot(kx[:, None], ky[None, :])).astype(int)
    return np.bincount(shell.ravel(), power.ravel())


def _at_last_time(da: xr.DataArray) -> xr.DataArray:
    return da.isel({T: -1}) if T in da.dims else da


def _title(text: str, var: xr.DataArray, t: float | None) -> str:
    """Short column title: the text, and the variable's units and the time on a second line."""
    at = f", t = {t:.3g}" if t is not None else ""
    return f"{text}\n[{var.attrs.get('units', '-')}]".replace("[1]", "[-]") + at


def plot_samples(pred: xr.Dataset, ins: list[str], outs: list[str], n: int, style: st.Style,
                 out_dir: str | Path) -> None:
    name = outs[0]
    true, guess = pred[name], pred[f"{name}{PRED}"]
    err = sample_errors(true, guess)
    order = np.argsort(err)
    picks = order[np.unique(np.rint(np.linspace(0, len(order) - 1, min(n, len(order)))).astype(int))]
    rollout = T in true.dims
    inp = true.isel({T: 0}) if rollout else (pred[ins[0]] if ins else None)
    cols = (["input"] if inp is not None else []) + ["true", "predicted", "error"]
    # a colorbar right of the input, of the true-and-predicted pair (one: they share limits) and of the error
    gaps = [SAMPLE_CBAR_GAP if col in ("input", "predicted") else SAMPLE_GAP for col in cols[:-1]]
    margins = st.Margins(left=9.0, right=SAMPLE_CBAR_GAP, bottom=4.0, top=2.8, wgap=tuple(gaps), hgap=0.8)
    x, y = pred[X].values, pred[Y].values
    aspect = float(np.ptp(y) / np.ptp(x)) if len(x) > 1 and len(y) > 1 and np.ptp(x) > 0 else 1.0
    with st.canvas(style, st.TEXT_IN) as fig:
        axes = st.panels(fig, len(picks), len(cols), margins, style, aspect=aspect)
        for row, s in zip(axes, picks):
            tr = _at_last_time(true.isel({SAMPLE: s}))
            pr = _at_last_time(guess.isel({SAMPLE: s}))
            e = pr - tr
            m = float(np.abs(e).max()) or 1.0
            lim = color_limits(tr, style)
            fields = ([inp.isel({SAMPLE: s})] if inp is not None else []) + [tr, pr, e]
            kws = ([color_limits(fields[0], style)] if inp is not None else []) + [
                lim, lim, {"cmap": style.diverging_cmap, "vmin": -m, "vmax": m}]
            images = [ax.pcolormesh(x, y, field.transpose(Y, X).values, shading="auto", rasterized=True, **kw)
                      for ax, field, kw in zip(row, fields, kws)]
            for ax in row:
                ax.set_aspect("equal")
            for col, ax, im in zip(cols, row, images):
                if col != "true":
                    st.colorbar(im, ax, format="%.3g")
            row[0].set_ylabel(f"sample {int(pred[SAMPLE][s])}\ne = {err[s]:.2g}")
        st.outer_ticks(axes)
        t_in, t_out = (float(true[T][0]), float(true[T][-1])) if rollout else (None, None)
        titles = {"true": _title(f"true {name}", true, t_out), "predicted": _title(f"predicted {name}", true, t_out),
                  "error": _title("predicted − true", true, None)}
        if inp is not None:
            titles["input"] = _title(f"input {inp.name}", inp, t_in)
        for ax, col in zip(axes[0], cols):
            ax.set_title(titles[col], fontsize=style.font_size - 1)
        fig.supxlabel(st.label(pred[X]), fontsize=style.font_size)
        fig.supylabel(st.label(pred[Y]), fontsize=style.font_size)
        st.save(fig, *outputs(out_dir, "samples"))


def plot_errors(pred: xr.Dataset, outs: list[str], metrics: Mapping[str, float], style: st.Style,
                out_dir: str | Path) -> None:
    rollout = T in pred[outs[0]].dims
    bands = {k.removeprefix("band_"): v for k, v in metrics.items() if k.startswith("band_") and v is not None}
    bands = dict(sorted(bands.items(), key=lambda kv: (BAND_ORDER.get(kv[0], len(BAND_ORDER)), kv[0])))
    ncols = 2 + rollout
    with st.canvas(style, st.TEXT_IN, 2.4) as fig:
        axes = st.panels(fig, 1, ncols, st.Margins(), style)[0]
        hist_ax, spec_ax = axes[0], axes[1]
        lowest, highest = np.inf, 0.0
        errs = {name: sample_errors(pred[name], pred[f"{name}{PRED}"]) for name in outs}
        shown = np.concatenate([e[finite_positive(e)] for e in errs.values()])
        lo, hi = (shown.min(), shown.max()) if len(shown) else (1e-3, 1.0)
        log = hi > 10 * lo  # a log axis only where the errors span a decade
        bins = np.geomspace(lo / 1.05, hi * 1.05, 25) if log else np.linspace(lo * 0.95, hi * 1.05, 25)
        if log:
            hist_ax.set_xscale("log")
        else:  # four round values at most: 0.0003, 0.0006, ... at the default density ran into each other
            hist_ax.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))
            hist_ax.xaxis.set_major_formatter(FormatStrFormatter("%.2g"))
        for i, name in enumerate(outs):
            true, guess = pred[name], pred[f"{name}{PRED}"]
            err = errs[name]
            hist_ax.hist(err[finite_positive(err)], bins=bins, histtype="step", color=f"C{i}", label=name)
            hist_ax.axvline(np.median(err), color=f"C{i}", ls="--", lw=0.8)
            # Both spectra relative to the truth's total energy: channels of different units compare,
            # and the error curve summed over a band squared is that band's error (band_* metrics).
            e_true = radial_spectrum(_at_last_time(true).values)
            e_err = radial_spectrum(_at_last_time(guess - true).values) / e_true.sum()
            e_true = e_true / e_true.sum()
            k = np.arange(len(e_true))
            for e, ls in ((e_true, "-"), (e_err, "--")):
                ok = (k > 0) & finite_positive(e)
                spec_ax.loglog(k[ok], e[ok], color=f"C{i}", ls=ls)
                lowest = min(lowest, e[ok].min(initial=np.inf))
            highest = max(highest, e_true[k > 0].max(initial=0.0))
        spec_ax.set_ylim(bottom=max(lowest, highest * 1e-12) / 3)
        style_keys = [Line2D([], [], color="k", ls="-", label="true"), Line2D([], [], color="k", ls="--", label="error")]
        channel_keys = [Line2D([], [], color=f"C{i}", label=name) for i, name in enumerate(outs)] if len(outs) > 1 else []
        spec_ax.legend(handles=style_keys + channel_keys, loc="lower left", ncols=1 + (len(outs) > 1))
        hist_ax.set_xlabel("rel. L2 error per test sample [-]")
        hist_ax.set_ylabel("test samples")
        hist_ax.set_title(f"n = {pred.sizes[SAMPLE]} (dashed: median)", loc="left", fontsize=style.font_size - 1)
        hist_ax.legend(loc="best")
        spec_ax.set_xlabel("wavenumber |k| (mode number) [-]")
        spec_ax.set_ylabel("energy per shell / true energy [-]")
        if bands:
            # inside the panel, top right (above the decayed spectra): a title would run into the next panel
            spec_ax.text(0.98, 0.97, "rel. error by band\n" + "\n".join(f"{b}: {v:.2g}" for b, v in bands.items()),
                         transform=spec_ax.transAxes, ha="right", va="top", fontsize=style.font_size - 1)
        if rollout:
            ax = axes[2]
            true, guess = pred[outs[0]], pred[f"{outs[0]}{PRED}"]
            # (sample, step) from step 1: the first state is the given input, not a prediction
            per_t = rel_l2(true.values, guess.values, (2, 3))[:, 1:]
            steps = np.arange(1, per_t.shape[1] + 1)
            lo, hi = np.percentile(per_t, [5, 95], axis=0)
            shown = finite_positive(lo)
            ax.fill_between(steps[shown], lo[shown], hi[shown], color="C0", alpha=0.25, lw=0, label="5–95 % of test samples")
            if "rollout_rel_l2" in pred.data_vars:
                curve = pred["rollout_rel_l2"]
                shown = finite_positive(curve.values)
                ax.plot(curve[STEP][shown], curve[shown], color="C0", marker=".", ms=3, label="test-set mean")
            ax.set_yscale("log")
            ax.set_xlabel("rollout step [-]")
            ax.set_ylabel("relative L2 error [-]")
            ax.legend(loc="lower right")
        st.panel_letters(axes)
        st.save(fig, *outputs(out_dir, "errors"))


def plot_history(hist: xr.Dataset, style: st.Style, out_dir: str | Path) -> None:
    epoch = hist[STEP].values
    with st.canvas(style, st.TEXT_IN, 2.2) as fig:
        axes = st.panels(fig, 1, 3, st.Margins(), style)[0]
        for ax, x, xl in ((axes[0], epoch, st.label(hist[STEP], "epoch")),
                          (axes[1], hist["wall_time"].values, st.label(hist["wall_time"]))):
            for name, color in (("loss_train", "C0"), ("loss_val", "C1"), ("val_rel_l2", "C2")):
                if name not in hist.data_vars:
                    continue
                y = hist[name].values
                ok = finite_positive(y)
                ax.plot(x[ok], y[ok], color=color, ls="--" if name == "val_rel_l2" else "-",
                        label=LEGEND[name])
            ax.set_yscale("log")
            ax.set_xlabel(xl)
            ax.set_ylabel("loss, error [-]")
        axes[0].legend()
        axes[2].plot(epoch, hist["lr"].values, color="k")
        axes[2].set_yscale("log")
        axes[2].set_xlabel(st.label(hist[STEP], "epoch"))
        axes[2].set_ylabel(st.label(hist["lr"], "learning rate"))
        st.panel_letters(axes)
        st.save(fig, *outputs(out_dir, "history"))


def operator_figures(run: str, prediction: str | Path, history: str | Path, metrics: str | Path,
                     out_dir: str | Path, style: st.Style, samples: int) -> None:
    """Write samples, errors and history figures (PNG and PDF) of one operator run into ``out_dir``."""
    with naming(run):
        pred = read(prediction)
        ins, outs = channels(pred, Path(prediction))
        hist = read_history(history, ("loss_train", "loss_val", "lr", "wall_time"))
        values = read_json(metrics, required=("metrics",))["metrics"]
        plot_samples(pred, ins, outs, samples, style, out_dir)
        plot_errors(pred, outs, values, style, out_dir)
        plot_history(hist, style, out_dir)
