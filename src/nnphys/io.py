"""The one owner of files: netCDF datasets, JSON metrics, checkpoints, provenance.

Every dataset nnphys writes is netCDF4 through xarray, zlib-compressed, with
``units`` and ``long_name`` on each variable and its provenance in attributes
(resolved parameters as JSON, seed, package and library versions, source
fingerprint). Nothing time-dependent is stored, so the same settings give a
byte-for-byte identical dataset.

Writes are atomic (temporary file, then rename): an interrupted job never
leaves a truncated output behind that a later stage could mistake for a result,
and the next write of the same file removes the temporary file a killed one left.
A write that fails for want of space raises :class:`DiskFull` naming the file.
Reads check the file against what the caller expects and raise
:class:`DataError` naming the file and what is wrong. Checkpoints are loaded
with ``weights_only=True``: a crafted ``model.pt`` cannot run code.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import pickle
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

# Dimension names shared by every dataset.
T = "t"
X = "x"
Y = "y"
SAMPLE = "sample"
STEP = "step"

PACKAGE_ROOT = Path(__file__).resolve().parent


class DataError(ValueError):
    """A file is missing, unreadable or not what the reading stage expects."""


class DiskFull(OSError):
    """A write failed because the file system (or the user's quota) has no space left."""


def package_version() -> str:
    try:
        return metadata.version("nnphys")
    except metadata.PackageNotFoundError:
        from nnphys import __version__

        return __version__


def provenance(params: Mapping[str, Any], seed: int | None, fingerprint: str) -> dict[str, str | int]:
    """Attributes that say how a dataset was made (no wall-clock time)."""
    attrs: dict[str, str | int] = {
        "nnphys_version": package_version(),
        "params": json.dumps(params, sort_keys=True, default=_json_default),
        "source_fingerprint": fingerprint,
        "numpy_version": np.__version__,
        "xarray_version": xr.__version__,
    }
    try:
        import scipy

        attrs["scipy_version"] = scipy.__version__
    except ImportError:  # pragma: no cover - scipy is a dependency
        pass
    if seed is not None:
        attrs["seed"] = int(seed)
    return attrs


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    if hasattr(o, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def dataset_identity(ds: xr.Dataset) -> dict[str, Any]:
    """The provenance that determines a dataset's content: resolved parameters, seed, source fingerprint.

    Two files with the same identity hold the same data (writes are deterministic), so a result
    computed from one (e.g. a training checkpoint) is valid for the other.
    """
    return {"params": dataset_params(ds), "seed": ds.attrs.get("seed"),
            "source_fingerprint": ds.attrs.get("source_fingerprint", "")}


def _remove_stale_temps(path: Path) -> None:
    """Delete temporary files of ``path`` left by a killed write. One job at a time writes a given
    target, so any such file is stale; those of other targets (perhaps being written now) stay:
    mkstemp puts exactly 8 characters of ``[a-z0-9_]`` between prefix and suffix, so a temporary
    file of another target (say ``model.pt.x``) never matches."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")
    for f in path.parent.iterdir():
        if pattern.fullmatch(f.name):
            f.unlink(missing_ok=True)


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); results are shared files, so honour the umask instead.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return Path(tmp)


# Below this many free bytes a failed write is taken for a full disk: torch and netCDF report
# one without an errno ("unexpected pos 64 vs 0", "NetCDF: HDF error").
NEARLY_FULL = 1 << 20


def _disk_full(exc: BaseException, folder: Path) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL
    except OSError:
        return False


@contextlib.contextmanager
def _atomic_write(path: Path) -> Iterator[Path]:
    """Yield a fresh temporary file next to ``path``; rename it to ``path`` when the block succeeds.

    The temporary file never outlives the block, and ``path`` is either the old file or the complete
    new one. A write that fails for want of space raises :class:`DiskFull` naming ``path``.
    """
    tmp = _atomic_target(path)
    try:
        try:
            yield tmp
        except (OSError, RuntimeError) as exc:
            # checked while the partial file still holds the space it took
            if _disk_full(exc, path.parent):
                raise DiskFull(f"{path}: disk full, not written ({type(exc).__name__}: {_first_line(exc)}); "
                               "free some space and rerun") from exc
            raise
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _first_line(exc: BaseException) -> str:
    return next(iter(str(exc).strip().splitlines()), "")


def write_dataset(
    ds: xr.Dataset,
    path: str | os.PathLike,
    *,
    params: Mapping[str, Any],
    seed: int | None = None,
    fingerprint: str = "",
) -> Path:
    """Write ``ds`` to ``path`` as compressed netCDF4 with provenance attributes.

    Every data variable and coordinate must carry ``units`` and ``long_name``;
    a missing one is a programming error and raises ``ValueError``.
    """
    path = Path(path)
    for name, var in {**ds.data_vars, **ds.coords}.items():
        missing = [a for a in ("units", "long_name") if a not in var.attrs]
        if missing:
            raise ValueError(f"variable {name!r} of {path.name} lacks attribute(s) {missing}")
    ds = ds.copy()
    ds.attrs.update(provenance(params, seed, fingerprint))
    encoding = {
        name: {"zlib": True, "complevel": 4}
        for name, var in ds.data_vars.items()
        if np.issubdtype(var.dtype, np.number)
    }
    with _atomic_write(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4", encoding=encoding)
    return path


def read_dataset(
    path: str | os.PathLike,
    variables: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
    *,
    finite: bool = False,
) -> xr.Dataset:
    """Load a netCDF dataset fully into memory and check it.

    ``variables`` maps each required variable to its expected dimension names
    (in order), or is a plain list of required names. Raises :class:`DataError`
    naming the file when it is missing, unreadable (corrupt or truncated),
    lacks a variable, or has other dimensions than expected; with ``finite``,
    also when a required variable (every data variable if none are named) holds
    NaN or Inf, as a reference solution must not.
    """
    path = _existing(path)
    try:
        ds = xr.load_dataset(path, engine="netcdf4")
    except Exception as exc:  # netCDF4 raises OSError, ValueError, RuntimeError ...
        raise DataError(f"{path}: cannot be read as netCDF ({type(exc).__name__}: {exc}); "
                        "it may be corrupt or truncated, delete it and rerun the stage that makes it") from exc
    if variables is None:
        if finite:
            require_finite(ds)
        return ds
    expected = dict(variables.items() if isinstance(variables, Mapping) else ((v, None) for v in variables))
    for name, dims in expected.items():
        if name not in ds.variables:
            raise DataError(f"{path}: missing variable {name!r} (has: {', '.join(map(str, ds.variables))})")
        if dims is not None and tuple(ds[name].dims) != tuple(dims):
            raise DataError(f"{path}: variable {name!r} has dims {tuple(ds[name].dims)}, expected {tuple(dims)}")
    if finite:
        require_finite(ds, expected)
    return ds


def require_finite(ds: xr.Dataset, variables: Iterable[str] | None = None) -> None:
    """Raise :class:`DataError` naming the file (``ds.encoding["source"]``) and the first variable of
    ``variables`` (default: every numeric data variable) that holds NaN or Inf.

    The check every reader of a reference solution makes: a non-finite reference would train and
    score against garbage instead of failing.
    """
    names = list(ds.data_vars) if variables is None else list(variables)
    for name in names:
        values = np.asarray(ds[name].values)
        if not np.issubdtype(values.dtype, np.number):
            continue
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            source = ds.encoding.get("source", "dataset")
            raise DataError(f"{source}: variable {name!r} has {bad} NaN or Inf value(s) of {values.size}; "
                            "recompute it (delete the file and rerun the stage that makes it)")


def dataset_params(ds: xr.Dataset) -> dict[str, Any]:
    """The resolved parameters a dataset was written with."""
    return json.loads(ds.attrs.get("params", "{}"))


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted JSON, atomically.

    NaN and Inf are refused (``ValueError`` naming the file and the key): JSON has no such numbers,
    and a metric that is not finite is a failed result, not one to tabulate.
    """
    path = Path(path)
    try:
        text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default, allow_nan=False) + "\n"
    except ValueError as exc:
        bad = next(_non_finite(obj), None)
        if bad is None:
            raise
        raise ValueError(f"{path}: {bad[0]} is {bad[1]}; a result must be finite, nothing written") from exc
    with _atomic_write(path) as tmp:
        tmp.write_text(text)
    return path


def _non_finite(obj: Any, key: str = "") -> Iterator[tuple[str, float]]:
    """(dotted key, value) of every NaN or Inf number in nested dicts and lists."""
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _non_finite(v, f"{key}.{k}" if key else str(k))
    elif isinstance(obj, (list, tuple, np.ndarray)):
        for i, v in enumerate(obj):
            yield from _non_finite(v, f"{key}[{i}]")
    elif isinstance(obj, (float, np.floating)) and not math.isfinite(obj):
        yield key or "the value", float(obj)


def read_json(path: str | os.PathLike, required: Iterable[str] = ()) -> dict[str, Any]:
    """Read a JSON object; :class:`DataError` names the file if it is missing, malformed or lacks a key."""
    path = _existing(path)
    try:
        obj = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: malformed JSON ({exc})") from exc
    return _with_keys(path, obj, required, "a JSON object")


def save_checkpoint(path: str | os.PathLike, state: Mapping[str, Any]) -> Path:
    """Save a checkpoint atomically: a plain dict (model and optimizer state, step, config, RNG) of
    tensors, numbers, strings, lists, tuples, dicts and None only, so it loads with ``weights_only``."""
    import torch

    path = Path(path)
    with _atomic_write(path) as tmp:
        torch.save(dict(state), tmp)
    return path


def load_checkpoint(path: str | os.PathLike, required: Iterable[str] = ("model",)) -> dict[str, Any]:
    """Load a checkpoint on CPU; :class:`DataError` names the file if it is missing or unreadable.

    ``weights_only=True``: only tensors and plain containers are unpickled, so a crafted file
    cannot run code (it is refused as unreadable).
    """
    import torch

    path = _existing(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's own message suggests weights_only=False, the very thing not to do with such a file
        raise DataError(f"{path}: refused: not a checkpoint of tensors and plain data only "
                        "(loading it could run code); delete it and rerun the stage that makes it") from exc
    except Exception as exc:
        raise DataError(f"{path}: cannot be read as a checkpoint ({type(exc).__name__}: {_first_line(exc)})") from exc
    return _with_keys(path, state, required, "a checkpoint (a dict)")


def _existing(path: str | os.PathLike) -> Path:
    """``path`` as a Path; :class:`DataError` if there is no such file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    return path


def _with_keys(path: Path, obj: Any, required: Iterable[str], what: str) -> dict[str, Any]:
    """``obj``, read from ``path``; :class:`DataError` naming the file unless it is a dict (``what`` the file
    should hold) with every key in ``required``."""
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected {what}, found {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise DataError(f"{path}: missing key(s) {missing}")
    return obj
