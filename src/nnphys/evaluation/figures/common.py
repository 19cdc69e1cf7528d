"""What every figure of a run needs: its saved files read with errors that name the run and the file, output
paths, colour limits."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from nnphys.evaluation.style import Style
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


def color_limits(field: xr.DataArray, style: Style) -> dict:
    """Colormap and limits: diverging and symmetric about 0 for a field of both signs."""
    lo, hi = float(field.min()), float(field.max())
    if lo < 0 < hi:
        m = max(-lo, hi)
        return {"cmap": style.diverging_cmap, "vmin": -m, "vmax": m}
    return {"cmap": style.cmap, "vmin": lo, "vmax": hi}
