"""The uncertainty study's numbers: calibration of each predictive distribution (``predictive.nc``, see
:mod:`nnphys.predictive`) against its truth, and the table of them (``uq.csv``, ``uq.md``).

Per file, pooled over its variables (the standardized error z = e / s is dimensionless) where a measure counts
points, averaged over the variables where it compares magnitudes:

    rel_l2              error of the predictive mean: rel. L2 over each sample's field (every dim but ``sample``),
                        mean over samples, mean over variables; a PINN field (no sample dim) over the whole grid.
                        For a Poisson operator this is metrics.json's rel_l2_mean, for heat1d its rel_l2.
    rel_l2_member_*     an ensemble's members, each measured the same way: mean, min, max
    coverage_1sigma,    fraction of points within ±1 s, ±2 s of the mean (0.683, 0.954 if calibrated Gaussian)
    coverage_2sigma
    *_exchangeable      what an exchangeable draw would give with this many members or passes
                        (:func:`~nnphys.evaluation.calibration.exchangeable_coverage`)
    sigma_error_corr    Pearson correlation of s and |e|, mean over variables
    sigma_over_rmse     RMS of s / RMS error, mean over variables
    certain_fraction    points with s = 0, left out of the measures above
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from nnphys import predictive
from nnphys.evaluation import calibration as cal
from nnphys.evaluation.tables import fmt, markdown_table
from nnphys.io import SAMPLE, read_dataset
from nnphys.norms import rel_l2
from nnphys.predictive import MEAN, MEMBER, STD

ID_COLUMNS = ["method", "stage", "problem", "model", "draws"]


def field_error(truth: xr.DataArray, pred: np.ndarray) -> float:
    """Rel. L2 of ``pred`` over each sample's field, mean over samples (over the whole field without a sample dim)."""
    if SAMPLE not in truth.dims:
        return float(rel_l2(truth.values, pred))
    axis = truth.dims.index(SAMPLE)
    values = np.moveaxis(truth.values, axis, 0)
    return float(np.mean(rel_l2(values, np.moveaxis(np.asarray(pred), axis, 0),
                                tuple(range(1, values.ndim)))))


def summary(ds: xr.Dataset, source: str = "dataset") -> dict[str, float]:
    """The calibration measures of one predictive dataset (module docstring)."""
    names = predictive.variables(ds, source)
    y, m, s = ({v: ds[f"{v}{suffix}"].values for v in names} for suffix in ("", MEAN, STD))
    pooled = [np.concatenate([a[v].ravel() for v in names]) for a in (y, m, s)]
    draws = int(ds.attrs["draws"])
    out = {"rel_l2": float(np.mean([field_error(ds[v], m[v]) for v in names]))}
    if "rel_l2_member" in ds:
        members = ds["rel_l2_member"].values
        out.update(rel_l2_member_mean=float(members.mean()), rel_l2_member_min=float(members.min()),
                   rel_l2_member_max=float(members.max()))
    for k in (1, 2):
        out[f"coverage_{k}sigma"] = cal.coverage(*pooled, k)
        out[f"coverage_{k}sigma_exchangeable"] = cal.exchangeable_coverage(k, draws)
    out["sigma_error_corr"] = float(np.mean([cal.sigma_error_corr(y[v], m[v], s[v]) for v in names]))
    out["sigma_over_rmse"] = float(np.mean([cal.sigma_over_rmse(y[v], m[v], s[v]) for v in names]))
    out["certain_fraction"] = cal.certain_fraction(pooled[2])
    return out


def table(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per predictive file: what made it (method, stage, problem, model, draws), then its measures."""
    rows = []
    for path in paths:
        ds = read_dataset(path)
        rows.append({**{k: ds.attrs[k] for k in ID_COLUMNS if k in ds.attrs}, **summary(ds, str(path))})
    return pd.DataFrame(rows)


def write_tables(paths: Iterable[str | Path], csv: str | Path, md: str | Path) -> pd.DataFrame:
    """``uq.csv`` and ``uq.md`` of the predictive files ``paths``."""
    df = table(paths)
    for path in (csv, md):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(csv, index=False, float_format="%.6g")
    cols = list(df.columns)
    cells = [[str(r[c]) if c in ID_COLUMNS else fmt(r[c]) for c in cols] for _, r in df.iterrows()]
    text = ["# Predictive uncertainty against the reference", "",
            "Coverage: fraction of points within ±1σ, ±2σ of the predictive mean (a calibrated Gaussian: 0.683, "
            "0.954; *_exchangeable: what one more draw from the same ensemble or passes would give). "
            "rel_l2: the predictive mean's error; rel_l2_member_*: the ensemble members'.", "",
            markdown_table(cells, cols), ""]
    Path(md).write_text("\n".join(text))
    return df
