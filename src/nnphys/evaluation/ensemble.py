"""A deep ensemble (Lakshminarayanan, Pritzel & Blundell 2017) over seeds: the predictions of N runs that
differ only in their seed (initialization, batches, collocation points) make one predictive distribution.

    mean = 1/N Σ_i f_i,    std² = 1/(N - 1) Σ_i (f_i - mean)²        at every point

Members are read from their ``prediction.nc`` files (the runs' own evaluations, nothing is recomputed):
an operator's holds the truth ``v`` beside each prediction ``v_pred`` on the test split (the split's seed is not
the run's: every member has the same test samples); a PINN's holds the predicted fields on the reference grid,
and the truth is the reference's. Output: :mod:`nnphys.predictive`'s dataset, with each member's error
(:func:`nnphys.evaluation.uq.field_error`) and seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from nnphys import predictive
from nnphys.evaluation.uq import field_error
from nnphys.io import SAMPLE, DataError, T, X, read_dataset
from nnphys.predictive import MEMBER

PRED = "_pred"  # an operator's prediction.nc: the prediction of variable v is v_pred


Members = tuple[xr.Dataset, dict[str, np.ndarray], list[int]]


def operator_members(paths: Sequence[str | Path]) -> Members:
    """The truth (the first member's), per output ``v`` the members' predictions stacked (member, ...), and
    their seeds."""
    first = read_dataset(paths[0])
    outs = [v for v in first.data_vars if f"{v}{PRED}" in first.data_vars]
    if not outs:
        raise DataError(f"{paths[0]}: no predicted variable (v beside v{PRED}); has {list(first.data_vars)}")
    stacks: dict[str, list[np.ndarray]] = {v: [] for v in outs}
    seeds = []
    for path in paths:
        ds = read_dataset(path, {name: first[name].dims for v in outs for name in (v, f"{v}{PRED}")})
        seeds.append(int(ds.attrs["seed"]))
        same = ds.sizes[SAMPLE] == first.sizes[SAMPLE] and np.array_equal(ds[SAMPLE], first[SAMPLE]) and all(
            np.array_equal(ds[v].values, first[v].values) for v in outs)
        if not same:
            raise DataError(f"{path}: other test samples or truth than {paths[0]}: ensemble members must be runs "
                            "of one task with the same split and reference")
        for v in outs:
            stacks[v].append(ds[f"{v}{PRED}"].values)
    return first[outs], {v: np.stack(a) for v, a in stacks.items()}, seeds


def pinn_members(paths: Sequence[str | Path], reference: str | Path) -> Members:
    """The reference's (t, x) fields, per field the members' predictions of it stacked (member, t, x), and
    their seeds."""
    ref = read_dataset(reference, finite=True)
    names = [v for v in ref.data_vars if ref[v].dims == (T, X)]
    stacks: dict[str, list[np.ndarray]] = {v: [] for v in names}
    seeds = []
    for path in paths:
        ds = read_dataset(path, {v: (T, X) for v in names})
        seeds.append(int(ds.attrs["seed"]))
        if (ds.sizes[T], ds.sizes[X]) != (ref.sizes[T], ref.sizes[X]):
            raise DataError(f"{path}: grid {ds.sizes[T]}x{ds.sizes[X]} differs from the reference {reference}'s "
                            f"{ref.sizes[T]}x{ref.sizes[X]}")
        for v in names:
            stacks[v].append(ds[v].values)
    return ref[names], {v: np.stack(a) for v, a in stacks.items()}, seeds


def spread(stack: np.ndarray) -> np.ndarray:
    """Sample standard deviation over the members (axis 0), exactly 0 where every member agrees exactly (a hard
    constraint's values): the mean of equal floats may round, and their std come out ~1e-17 instead."""
    return np.where((stack == stack[0]).all(axis=0), 0.0, stack.std(axis=0, ddof=1))


def ensemble(paths: Sequence[str | Path], reference: str | Path | None, *, stage: str, problem: str,
             model: str) -> xr.Dataset:
    """The predictive dataset of the members ``paths`` (prediction.nc files); ``reference`` for PINN members."""
    if len(paths) < 2:
        raise DataError(f"an ensemble needs at least 2 members, got {len(paths)}: {list(map(str, paths))}")
    if stage == "pinn":
        if reference is None:
            raise DataError("a PINN ensemble needs the reference file (its truth)")
        truth, stacks, seeds = pinn_members(paths, reference)
    elif reference is not None:
        raise DataError(f"operator members hold their own truth on the test split; {reference} would go unread")
    else:
        truth, stacks, seeds = operator_members(paths)
    ds = predictive.dataset(truth, {v: a.mean(axis=0) for v, a in stacks.items()},
                            {v: spread(a) for v, a in stacks.items()},
                            method="ensemble", stage=stage, problem=problem, model=model, draws=len(paths))
    errors = [float(np.mean([field_error(truth[v], a[i]) for v, a in stacks.items()])) for i in range(len(paths))]
    return ds.assign(rel_l2_member=(MEMBER, errors, {"units": "1", "long_name": "rel. L2 error of the member"})
                     ).assign_coords({MEMBER: (MEMBER, seeds, {"units": "1", "long_name": "seed of the member"})})
