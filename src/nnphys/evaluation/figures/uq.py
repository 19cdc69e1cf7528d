"""Figures of one predictive distribution (``predictive.nc``: an ensemble or Monte Carlo dropout) against its truth.

- ``reliability``: (a) the observed fraction of points inside the central interval m ± Φ⁻¹((1+p)/2) s against its
  nominal probability p, per variable and pooled, with the diagonal (a calibrated Gaussian) and the curve an
  exchangeable draw of this many members or passes would give; ±1σ and ±2σ marked. (b) The mean |error| against
  the mean σ in bins of equal point count by σ, per variable, with the calibrated line mean |e| = √(2/π) σ.
- ``fields``: for every variable, |error of the mean| next to the predicted σ on one colour scale: a PINN over
  (t, x); an operator for the test sample of median error (a rollout at its last time).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from scipy import stats

from nnphys import predictive
from nnphys.evaluation import calibration as cal
from nnphys.evaluation import style as st
from nnphys.evaluation.figures.common import naming, outputs, read
from nnphys.evaluation.uq import field_error, summary
from nnphys.io import SAMPLE, T, X, Y
from nnphys.predictive import MEAN, STD

METHOD = {"ensemble": "ensemble of {n}", "mc_dropout": "MC dropout, {n} passes"}


def title(ds: xr.Dataset) -> str:
    return f"{ds.attrs['problem']} {ds.attrs['model']}: {METHOD[ds.attrs['method']].format(n=ds.attrs['draws'])}"


def plot_reliability(ds: xr.Dataset, names: list[str], style: st.Style, out_dir: str | Path) -> None:
    levels = np.asarray(cal.LEVELS)
    n = int(ds.attrs["draws"])
    numbers = summary(ds)
    with st.figure(style, st.TEXT_IN, 2.8, ncols=2) as (fig, (rel, binned)):
        rel.plot([0, 1], [0, 1], color="0.6", lw=0.8, label="calibrated Gaussian")
        rel.plot(levels, [cal.exchangeable_coverage(h, n) for h in stats.norm.ppf((1 + levels) / 2)], color="0.6",
                 ls="--", lw=0.8, label=f"exchangeable draw (n = {n})")
        sigmas = []
        for i, v in enumerate(names):
            y, m, s = (ds[f"{v}{x}"].values for x in ("", MEAN, STD))
            rel.plot(levels, cal.reliability(y, m, s, levels), color=f"C{i}", marker=".", ms=3, label=v)
            sig, err = cal.binned_error(y, m, s)
            binned.loglog(sig, err, color=f"C{i}", marker="o", ms=3, label=v)
            sigmas += [sig.min(), sig.max()]
        rel.plot([cal.gaussian_coverage(k) for k in (1, 2)], [numbers[f"coverage_{k}sigma"] for k in (1, 2)], "k*",
                 ms=7, label="±1σ, ±2σ")
        rel.set_title(f"±1σ covers {numbers['coverage_1sigma']:.3f} (Gaussian 0.683)\n±2σ covers "
                      f"{numbers['coverage_2sigma']:.3f} (Gaussian 0.954)", fontsize=style.font_size - 1, loc="right")
        rel.set_xlim(0, 1)
        rel.set_ylim(0, 1)
        rel.set_aspect("equal")
        rel.set_xlabel("nominal probability of the central interval [-]")
        rel.set_ylabel("observed fraction of points inside [-]")
        rel.legend(loc="lower right")
        grid = np.geomspace(min(sigmas) / 1.5, max(sigmas) * 1.5, 10)
        binned.loglog(grid, np.sqrt(2 / np.pi) * grid, color="0.6", lw=0.8, label=r"calibrated: $\sqrt{2/\pi}\,\sigma$")
        binned.set_xlabel("predicted σ, bin mean")
        binned.set_ylabel("|error of the mean|, bin mean")
        binned.set_title(f"corr(σ, |error|) = {numbers['sigma_error_corr']:.2f}\n"
                         f"RMS σ / RMS error = {numbers['sigma_over_rmse']:.2f}", fontsize=style.font_size - 1,
                         loc="right")
        binned.legend(loc="upper left")
        fig.suptitle(f"{title(ds)}; rel. L2 of the mean {numbers['rel_l2']:.2g}", fontsize=style.font_size)
        st.panel_letters([rel, binned])
        st.save(fig, *outputs(out_dir, "reliability"))


def _shown(ds: xr.Dataset, names: list[str]) -> tuple[xr.Dataset, str]:
    """The part of ``ds`` shown as fields (2-D per variable) and what it is."""
    if SAMPLE not in ds.dims:
        return ds, ""
    v = names[0]
    errors = [field_error(ds[v].isel({SAMPLE: [i]}), ds[f"{v}{MEAN}"].values[i:i + 1]) for i in range(ds.sizes[SAMPLE])]
    pick = int(np.argsort(errors)[len(errors) // 2])
    shown = ds.isel({SAMPLE: pick})
    label = f"test sample {int(ds[SAMPLE][pick])} (median error of {v})"
    if T in shown.dims:
        shown = shown.isel({T: -1})
        label += f", t = {float(shown[T]):.3g}"
    return shown, label


def plot_fields(ds: xr.Dataset, names: list[str], style: st.Style, out_dir: str | Path) -> None:
    shown, where = _shown(ds, names)
    pinn = (T, X) == shown[names[0]].dims
    axes_of = (T, X) if pinn else (X, Y)
    with st.figure(style, st.TEXT_IN, 2.0 * len(names) + 0.4, nrows=len(names), ncols=2, squeeze=False,
                   sharex=True, sharey=True) as (fig, axes):
        for row, v in zip(axes, names):
            err = np.abs(shown[f"{v}{MEAN}"] - shown[v])
            sig = shown[f"{v}{STD}"]
            top = float(max(err.max(), sig.max())) or 1.0
            for ax, field, text in ((row[0], err, "|error of the mean|"), (row[1], sig, "predicted σ")):
                im = ax.pcolormesh(shown[axes_of[0]], shown[axes_of[1]], field.transpose(axes_of[1], axes_of[0]),
                                   shading="auto", cmap=style.error_cmap, vmin=0, vmax=top, rasterized=True)
                ax.set_title(f"{v}: {text}, max {float(field.max()):.2g}")
                ax.set_aspect("auto" if pinn else "equal")
            fig.colorbar(im, ax=row, label=st.label(shown[v], v), shrink=0.9, format="%.1e")
            row[0].set_ylabel(st.label(shown[axes_of[1]]))
        fig.supxlabel(st.label(shown[axes_of[0]]), fontsize=style.font_size)
        fig.suptitle(f"{title(ds)}{'; ' + where if where else ''}", fontsize=style.font_size)
        st.save(fig, *outputs(out_dir, "fields"))


def uq_figures(run: str, path: str | Path, out_dir: str | Path, style: st.Style) -> None:
    """Write the reliability and fields figures (PNG and PDF) of one predictive file into ``out_dir``."""
    with naming(run):
        ds = read(path)
        names = predictive.variables(ds, str(path))
        plot_reliability(ds, names, style, out_dir)
        plot_fields(ds, names, style, out_dir)
