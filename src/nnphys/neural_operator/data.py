"""Operator-learning data: reference files to tensors, splits, normalization.

Tasks (the solution operators learned):

* ``poisson``: ``rho -> (phi, Ex, Ey)``, any subset of the outputs, one sample each.
* ``heat2d``: ``u(t) -> u(t + dt)`` on trajectories ``u`` (sample, t, x, y). The network
  predicts the increment ``u(t + dt) - u(t)``: one step changes ``u`` by a small
  amount, and learning it keeps the one-step error relative to the change, not to ``u``.

Splits are by sample (a heat2d trajectory is never split between train and test).
Normalization is a mean and standard deviation per channel, from the training split
only, saved with the model: scalars per channel, so they apply at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from torch import nn

from nnphys.configcheck import fixed
from nnphys.io import SAMPLE, T, X, Y, DataError, dataset_identity, dataset_params, read_dataset
from nnphys.models import symmetry
from nnphys.neural_operator.config import TASKS
from nnphys.physics import problem

POISSON_OUTPUTS = ("phi", "Ex", "Ey")


@dataclass
class Fields:
    """One task's samples as float32 tensors.

    ``task``: the task's name (that of its reference dataset); :attr:`problem`: the physics it learns.
    ``x``: poisson ``(N, 1, H, W)`` charge density; heat2d ``(N, T, H, W)`` trajectories.
    ``y``: poisson ``(N, C, H, W)`` outputs named ``outputs``; heat2d ``None``.
    ``identity``: which file they came from (:func:`nnphys.io.dataset_identity`, part of the checkpoint key).
    ``coords``: the file's coordinates along the lattice (x, y) and, for heat2d, time (t).
    """

    task: str
    x: torch.Tensor
    y: torch.Tensor | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    periodic: bool
    params: dict
    units: dict[str, str]
    identity: dict
    coords: dict[str, xr.DataArray]

    @property
    def problem(self) -> str:
        return problem(self.task)

    @property
    def grid(self) -> tuple[int, int]:
        return tuple(self.x.shape[-2:])


def load(task: str, path: str | Path, outputs=POISSON_OUTPUTS, min_steps: int = 2) -> Fields:
    """Read the reference file of ``task``; :class:`DataError` names the file and what is wrong."""
    if task not in TASKS:
        raise DataError(f"unknown operator task {task!r}; known: {', '.join(TASKS)}")
    if problem(task) == "poisson":
        bad = [o for o in outputs if o not in POISSON_OUTPUTS]
        if bad or not outputs:
            raise DataError(f"poisson outputs must be a non-empty subset of {POISSON_OUTPUTS}, got {list(outputs)}")
        names = ("rho", *outputs)
        ds = read_dataset(path, {v: (SAMPLE, X, Y) for v in names}, finite=True)
        x = torch.from_numpy(ds["rho"].values.astype(np.float32)[:, None])
        y = torch.from_numpy(np.stack([ds[o].values.astype(np.float32) for o in outputs], axis=1))
        inputs, outputs = ("rho",), tuple(outputs)
    else:
        ds = read_dataset(path, {"u": (SAMPLE, T, X, Y)}, finite=True)
        if ds.sizes[T] < min_steps:
            raise DataError(f"{path}: variable 'u' has {ds.sizes[T]} time steps, need at least {min_steps} "
                            "(raise reference.heat2d.nt or lower the rollout)")
        x, y = torch.from_numpy(ds["u"].values.astype(np.float32)), None
        inputs = outputs = ("u",)
    if ds.sizes[X] != ds.sizes[Y]:
        raise DataError(f"{path}: grid {ds.sizes[X]}x{ds.sizes[Y]} is not square")
    params = dataset_params(ds)
    for key, value in fixed("reference", task).items():
        if params.get(key) != value:
            raise DataError(f"{path}: task {task} learns from data with {key} = {value!r} (reference.{task}); "
                            f"this file has {key} = {params.get(key)!r}")
    units = {v: ds[v].attrs.get("units", "1") for v in (*inputs, *outputs)}
    coords = {c: ds[c] for c in (T, X, Y) if c in ds.coords}
    return Fields(task, x, y, inputs, outputs, params.get("boundary", "periodic") == "periodic", params, units,
                  dataset_identity(ds), coords)


def check_grid(fields: Fields, grid: tuple[int, int], path: str | Path) -> None:
    """A model trained on ``grid`` must be evaluated on the same grid."""
    if tuple(fields.grid) != tuple(grid):
        raise DataError(f"{path}: grid {fields.grid[0]}x{fields.grid[1]} differs from the model's training grid "
                        f"{grid[0]}x{grid[1]}")


def split(n: int, val_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Disjoint sorted sample indices ``train``, ``val``, ``test`` from a seeded permutation."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test, n_val = int(round(test_fraction * n)), int(round(val_fraction * n))
    if n - n_test - n_val < 1 or n_val < 1 or n_test < 1:
        raise DataError(f"{n} samples cannot be split into train/val/test with fractions "
                        f"val={val_fraction}, test={test_fraction}: each part needs at least one sample")
    return {"test": np.sort(perm[:n_test]), "val": np.sort(perm[n_test:n_test + n_val]),
            "train": np.sort(perm[n_test + n_val:])}


def channel_stats(a: torch.Tensor, dims=(0, 2, 3)) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation per channel (axis 1), in float64, std floored at tiny."""
    a = a.double()
    mean = a.mean(dim=dims)
    std = a.std(dim=dims).clamp_min(1e-12)
    return mean, std


def normalization(fields: Fields, train: np.ndarray) -> dict[str, list[float]]:
    """Statistics of the training samples: inputs and outputs (heat2d: ``u`` and its one-step increment)."""
    x = fields.x[train]
    if fields.problem == "poisson":
        (im, isd), (om, osd) = channel_stats(x), channel_stats(fields.y[train])
    else:
        u = x.reshape(-1, 1, *x.shape[-2:])
        (im, isd), (om, osd) = channel_stats(u), channel_stats(torch.diff(x, dim=1).reshape(-1, 1, *x.shape[-2:]))
    return {"in_mean": im.tolist(), "in_std": isd.tolist(), "out_mean": om.tolist(), "out_std": osd.tolist()}


def vector_pairs(outputs) -> list[tuple[int, int]]:
    """(Ex, Ey) channel indices among ``outputs``: the pair that transforms as a vector under rotations."""
    return [(outputs.index("Ex"), outputs.index("Ey"))] if {"Ex", "Ey"} <= set(outputs) else []


class Operator(nn.Module):
    """A network in physical units: ``y = (x if residual) + out_std * net((x - in_mean) / in_std) + out_mean``.

    Shapes ``(N, C_in, H, W) -> (N, C_out, H, W)``; the statistics are buffers of shape (1, C, 1, 1).
    ``symmetric``: the whole map averaged over the lattice's point group D4
    (:func:`nnphys.models.symmetry.average`; inputs are scalars, ``out_vectors`` pair output channels into
    vectors), so it is exactly equivariant whatever the per-channel statistics.
    """

    def __init__(self, net: nn.Module, stats: dict[str, list[float]], residual: bool, symmetric: bool = False,
                 out_vectors=()):
        super().__init__()
        self.net = net
        self.residual = residual
        self.symmetric, self.out_vectors = symmetric, tuple(out_vectors)
        for k, v in stats.items():
            self.register_buffer(k, torch.tensor(v, dtype=torch.float32).reshape(1, -1, 1, 1), persistent=False)

    def normalized(self, x: torch.Tensor) -> torch.Tensor:
        """The network's output in normalized units (what the loss compares)."""
        if self.symmetric:
            y = self(x)
            return ((y - x if self.residual else y) - self.out_mean) / self.out_std
        return self.net((x - self.in_mean) / self.in_std)

    def _physical(self, x: torch.Tensor) -> torch.Tensor:
        y = self.net((x - self.in_mean) / self.in_std).float() * self.out_std + self.out_mean
        return x + y if self.residual else y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.symmetric:
            return symmetry.average(self._physical, x, (), self.out_vectors)
        return self._physical(x)
