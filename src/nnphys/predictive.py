"""A predictive distribution on a grid: the file (``predictive.nc``) both uncertainty methods write and the
calibration reads.

Per predicted variable ``v`` (e.g. ``phi``, or ``u`` of a PINN) it holds the truth ``v``, the predictive mean
``v_mean`` and the predictive standard deviation ``v_std``, all with the truth's dims: (sample, x, y) for a
Poisson operator, (sample, t, x, y) for a heat2d rollout, (t, x) for a PINN. Attributes say what made it:
``method`` (``ensemble``: mean and sample standard deviation over the predictions of N independently trained
runs, ddof = 1; ``mc_dropout``: over S stochastic passes of one run), ``stage``, ``problem``, ``model`` (the
ensemble's model, or the run of Monte Carlo dropout) and ``draws`` (N or S). An ensemble also stores each
member's error, ``rel_l2_member`` (dim ``member``, coordinate: the member's seed).

xarray only (no torch): the operator stage writes it after Monte Carlo passes, the report stage after an ensemble.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from nnphys.io import DataError

MEAN, STD = "_mean", "_std"
METHODS = ("ensemble", "mc_dropout")
MEMBER = "member"


def dataset(truth: xr.Dataset, mean: Mapping[str, np.ndarray], std: Mapping[str, np.ndarray], *, method: str,
            stage: str, problem: str, model: str, draws: int) -> xr.Dataset:
    """``truth`` (its variables with units and long_name, its coordinates) with ``<v>_mean`` and ``<v>_std``
    of every variable ``v`` in ``mean`` (arrays of the truth's shape)."""
    if method not in METHODS:
        raise ValueError(f"unknown predictive method {method!r} ({', '.join(METHODS)})")
    ds = truth[list(mean)].copy()
    for v in mean:
        t = truth[v]
        if np.shape(mean[v]) != t.shape or np.shape(std[v]) != t.shape:
            raise ValueError(f"{v}: mean {np.shape(mean[v])} and std {np.shape(std[v])} differ from the truth "
                             f"{t.shape}")
        name, dtype = t.attrs.get("long_name", v), np.result_type(t.dtype, np.float32)  # the truth's precision
        ds[f"{v}{MEAN}"] = (t.dims, np.asarray(mean[v], dtype=dtype),
                            {"units": t.attrs["units"], "long_name": f"predictive mean of {name}"})
        ds[f"{v}{STD}"] = (t.dims, np.asarray(std[v], dtype=dtype),
                           {"units": t.attrs["units"], "long_name": f"predictive standard deviation of {name}"})
    ds.attrs = {"method": method, "stage": stage, "problem": problem, "model": model, "draws": int(draws)}
    return ds


def variables(ds: xr.Dataset, source: str = "dataset") -> list[str]:
    """The variables ``v`` of a predictive dataset that have ``v_mean`` and ``v_std`` (in file order);
    :class:`DataError` naming ``source`` if there is none or the file lacks the attributes."""
    names = [v for v in ds.data_vars if f"{v}{MEAN}" in ds.data_vars and f"{v}{STD}" in ds.data_vars]
    missing = [a for a in ("method", "stage", "problem", "model", "draws") if a not in ds.attrs]
    if not names or missing:
        raise DataError(f"{source}: not a predictive distribution (needs variables v, v{MEAN}, v{STD} and the "
                        f"attributes method, stage, problem, model, draws; has {list(ds.data_vars)}, "
                        f"missing attributes {missing})")
    return names
