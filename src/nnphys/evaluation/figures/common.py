"""Reading a run's saved files for a figure, with errors that name the run and the file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from nnphys.io import STEP, DataError, read_dataset


@contextlib.contextmanager
def naming(run: str) -> Iterator[None]:
    """Prefix any :class:`DataError` raised inside with ``run <run>:`` (the file is already named)."""
    try:
        yield
    except DataError as exc:
        raise DataError(f"run {run}: {exc}") from None


def read(path: str | Path, variables: Mapping[str, Iterable[str]] | Iterable[str] | None = None) -> xr.Dataset:
    return read_dataset(path, variables)


def read_history(path: str | Path, required: Iterable[str]) -> xr.Dataset:
    """A training history (dim ``step``) that has every name in ``required``."""
    ds = read_dataset(path, {name: (STEP,) for name in required})
    if ds.sizes.get(STEP, 0) == 0:
        raise DataError(f"{path}: history has no steps")
    return ds


def outputs(out_dir: str | Path, name: str) -> tuple[Path, Path]:
    """``(png, pdf)`` paths of figure ``name`` in ``out_dir``."""
    out_dir = Path(out_dir)
    return out_dir / f"{name}.png", out_dir / f"{name}.pdf"


def finite_positive(values: np.ndarray) -> np.ndarray:
    """Mask of entries a log axis can show."""
    return np.isfinite(values) & (values > 0)


def rel_l2(true: np.ndarray, pred: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Relative L2 error ||pred - true|| / ||true|| reduced over ``axes``."""
    num = np.sqrt(np.sum((pred - true) ** 2, axis=axes))
    den = np.sqrt(np.sum(true**2, axis=axes))
    return num / np.where(den > 0, den, 1.0)
