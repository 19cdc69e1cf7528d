"""The one owner of files: netCDF datasets, JSON metrics, checkpoints, provenance.

Every dataset nnphys writes is netCDF4 through xarray, zlib-compressed, with
``units`` and ``long_name`` on each variable and its provenance in attributes
(resolved parameters as JSON, seed, package and library versions, source
fingerprint). Nothing time-dependent is stored, so the same settings give a
byte-for-byte identical dataset.

Writes are atomic (temporary file, then rename): an interrupted job never
leaves a truncated output behind that a later stage could mistake for a result.
Reads check the file against what the caller expects and raise
:class:`DataError` naming the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
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
CHANNEL = "channel"
STEP = "step"

PACKAGE_ROOT = Path(__file__).resolve().parent


class DataError(ValueError):
    """A file is missing, unreadable or not what the reading stage expects."""


def package_version() -> str:
    try:
        return metadata.version("nnphys")
    except metadata.PackageNotFoundError:
        from nnphys import __version__

        return __version__


def source_fingerprint(*parts: str) -> str:
    """SHA-256 (16 hex digits) of the package sources a stage depends on.

    ``parts`` are paths relative to ``src/nnphys`` (a module file such as
    ``"io.py"`` or a subpackage such as ``"physics"``). Rules pass this through
    ``params:`` so that editing the code a stage runs makes Snakemake rerun it.
    """
    h = hashlib.sha256()
    for part in sorted(set(parts)):
        path = PACKAGE_ROOT / part
        if not path.exists():
            raise FileNotFoundError(f"source_fingerprint: no module or package {part!r} in {PACKAGE_ROOT}")
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(PACKAGE_ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


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


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); results are shared files, so honour the umask instead.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return Path(tmp)


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
    tmp = _atomic_target(path)
    try:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4", encoding=encoding)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_dataset(
    path: str | os.PathLike,
    variables: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
) -> xr.Dataset:
    """Load a netCDF dataset fully into memory and check it.

    ``variables`` maps each required variable to its expected dimension names
    (in order), or is a plain list of required names. Raises :class:`DataError`
    naming the file when it is missing, unreadable (corrupt or truncated),
    lacks a variable, or has other dimensions than expected.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        ds = xr.load_dataset(path, engine="netcdf4")
    except Exception as exc:  # netCDF4 raises OSError, ValueError, RuntimeError ...
        raise DataError(f"{path}: cannot be read as netCDF ({type(exc).__name__}: {exc}); "
                        "it may be corrupt or truncated, delete it and rerun the stage that makes it") from exc
    if variables is None:
        return ds
    expected = variables.items() if isinstance(variables, Mapping) else ((v, None) for v in variables)
    for name, dims in expected:
        if name not in ds.variables:
            raise DataError(f"{path}: missing variable {name!r} (has: {', '.join(map(str, ds.variables))})")
        if dims is not None and tuple(ds[name].dims) != tuple(dims):
            raise DataError(f"{path}: variable {name!r} has dims {tuple(ds[name].dims)}, expected {tuple(dims)}")
    return ds


def dataset_params(ds: xr.Dataset) -> dict[str, Any]:
    """The resolved parameters a dataset was written with."""
    return json.loads(ds.attrs.get("params", "{}"))


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted JSON, atomically."""
    path = Path(path)
    tmp = _atomic_target(path)
    try:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_json(path: str | os.PathLike, required: Iterable[str] = ()) -> dict[str, Any]:
    """Read a JSON object; :class:`DataError` names the file if it is missing, malformed or lacks a key."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        obj = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: malformed JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a JSON object, found {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise DataError(f"{path}: missing key(s) {missing}")
    return obj


def save_checkpoint(path: str | os.PathLike, state: Mapping[str, Any]) -> Path:
    """Save a checkpoint (a plain dict: model and optimizer state, step, config, RNG) atomically."""
    import torch

    path = Path(path)
    tmp = _atomic_target(path)
    try:
        torch.save(dict(state), tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | os.PathLike, required: Iterable[str] = ("model",)) -> dict[str, Any]:
    """Load a checkpoint on CPU; :class:`DataError` names the file if it is missing or unreadable."""
    import torch

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise DataError(f"{path}: cannot be read as a checkpoint ({type(exc).__name__}: {exc})") from exc
    missing = [k for k in required if k not in state]
    if missing:
        raise DataError(f"{path}: checkpoint lacks {missing}")
    return state
