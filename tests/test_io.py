"""io: bad files raise DataError naming the file and the problem; good files round-trip with provenance."""

from __future__ import annotations

import errno
import types
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys import io
from nnphys.io import (DataError, DiskFull, dataset_params, load_checkpoint, read_dataset, read_json,
                       save_checkpoint, write_dataset, write_json)


def small_dataset() -> xr.Dataset:
    return xr.Dataset(
        {"u": (("t", "x"), np.arange(12.0).reshape(3, 4), {"units": "1", "long_name": "u"})},
        coords={"t": ("t", np.arange(3.0), {"units": "1", "long_name": "time"}),
                "x": ("x", np.linspace(0, 1, 4), {"units": "1", "long_name": "position"})},
    )


@pytest.fixture
def good(tmp_path):
    return write_dataset(small_dataset(), tmp_path / "good.nc", params={"k": 0.4}, seed=3, fingerprint="abc")


def test_round_trip_with_provenance(good):
    ds = read_dataset(good, {"u": ("t", "x")})
    assert ds["u"].equals(small_dataset()["u"])
    assert dataset_params(ds) == {"k": 0.4} and ds.attrs["seed"] == 3 and ds.attrs["source_fingerprint"] == "abc"


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.nc: file not found"):
        read_dataset(tmp_path / "nothere.nc")


def test_corrupt_file(tmp_path):
    bad = tmp_path / "corrupt.nc"
    bad.write_bytes(b"this is not netCDF" * 100)
    with pytest.raises(DataError, match=r"corrupt\.nc: cannot be read as netCDF"):
        read_dataset(bad)


def test_truncated_file(good, tmp_path):
    cut = tmp_path / "truncated.nc"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataError, match=r"truncated\.nc: cannot be read"):
        read_dataset(cut, {"u": ("t", "x")})


def test_missing_variable(good):
    with pytest.raises(DataError, match=r"good\.nc: missing variable 'phi'"):
        read_dataset(good, {"phi": ("x",)})


def test_wrong_dims(good):
    with pytest.raises(DataError, match=r"good\.nc: variable 'u' has dims \('t', 'x'\), expected \('x', 't'\)"):
        read_dataset(good, {"u": ("x", "t")})


def test_write_requires_units_and_long_name(tmp_path):
    ds = small_dataset()
    del ds["u"].attrs["units"]
    with pytest.raises(ValueError, match="'u'.*units"):
        write_dataset(ds, tmp_path / "x.nc", params={})
    assert not list(tmp_path.iterdir())


def test_json_errors(tmp_path):
    with pytest.raises(DataError, match=r"m\.json: file not found"):
        read_json(tmp_path / "m.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataError, match=r"bad\.json: malformed JSON"):
        read_json(tmp_path / "bad.json")
    write_json(tmp_path / "ok.json", {"a": 1})
    with pytest.raises(DataError, match=r"ok\.json: missing key\(s\) \['b'\]"):
        read_json(tmp_path / "ok.json", required=["b"])


def test_finite_read_names_file_and_variable(tmp_path):
    ds = small_dataset()
    ds["u"][1, 2] = np.nan
    path = write_dataset(ds, tmp_path / "ref.nc", params={})
    assert np.isnan(read_dataset(path, {"u": ("t", "x")})["u"]).sum() == 1  # only checked when asked
    with pytest.raises(DataError, match=r"ref\.nc: variable 'u' has 1 NaN or Inf value\(s\) of 12"):
        read_dataset(path, {"u": ("t", "x")}, finite=True)
    with pytest.raises(DataError, match=r"ref\.nc: variable 'u'"):
        read_dataset(path, finite=True)


def test_json_refuses_non_finite_naming_file_and_key(tmp_path):
    with pytest.raises(ValueError, match=r"m\.json: metrics\.rel_l2 is nan; a result must be finite"):
        write_json(tmp_path / "m.json", {"kind": "pinn", "metrics": {"max_abs": 0.1, "rel_l2": np.float64("nan")}})
    with pytest.raises(ValueError, match=r"m\.json: curve\[1\] is inf"):
        write_json(tmp_path / "m.json", {"curve": [1.0, float("inf")]})
    assert not list(tmp_path.iterdir())


def test_write_removes_stale_temps_of_its_target_only(tmp_path, good):
    stale = tmp_path / ".good.nc.ab_c1234.tmp"  # as left by a killed write of good.nc
    others = [tmp_path / ".good.nc.x.ab_c1234.tmp", tmp_path / ".other.nc.ab_c1234.tmp",
              tmp_path / ".good.nc.ab_c12345.tmp"]  # other targets' (good.nc.x, other.nc), not mkstemp's shape
    for f in (stale, *others):
        f.write_bytes(b"partial")
    write_dataset(small_dataset(), good, params={})
    assert not stale.exists() and all(f.exists() for f in others)
    write_json(tmp_path / "m.json", {})  # every atomic writer does it
    (tmp_path / ".m.json.zzzzzzzz.tmp").write_text("{")
    write_json(tmp_path / "m.json", {})
    assert not (tmp_path / ".m.json.zzzzzzzz.tmp").exists()


def _fail_like_a_full_disk(monkeypatch, writer):
    """Make ``writer`` fail as it does on a full disk; returns the call that writes."""
    def partial_then(exc):
        def fail(self_or_obj, target, *args, **kwargs):
            Path(target).write_bytes(b"x" * 64)
            raise exc
        return fail

    if writer == "checkpoint":  # torch says nothing of space; the folder has none left
        monkeypatch.setattr(torch, "save", partial_then(RuntimeError(
            "[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0")))
        monkeypatch.setattr(io.shutil, "disk_usage", lambda p: types.SimpleNamespace(free=0))
        return lambda path: save_checkpoint(path, {"model": {}})
    if writer == "netcdf":
        monkeypatch.setattr(xr.Dataset, "to_netcdf", partial_then(RuntimeError("NetCDF: HDF error")))
        monkeypatch.setattr(io.shutil, "disk_usage", lambda p: types.SimpleNamespace(free=4096))
        return lambda path: write_dataset(small_dataset(), path, params={})
    # a quota: the folder's file system has room, the errno says there is none for this user
    monkeypatch.setattr(Path, "write_text", lambda self, text: (_ for _ in ()).throw(
        OSError(errno.EDQUOT, "Disk quota exceeded")))
    return lambda path: write_json(path, {"a": 1})


@pytest.mark.parametrize("writer", ["checkpoint", "netcdf", "json"])
def test_full_disk_is_named_and_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch, writer):
    target = tmp_path / "out.file"
    target.write_text("old")
    write = _fail_like_a_full_disk(monkeypatch, writer)
    with pytest.raises(DiskFull, match=rf"{target}: disk full, not written \(.*\); free some space and rerun"):
        write(target)
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]


def test_failed_write_with_room_left_is_not_called_a_full_disk(tmp_path, monkeypatch):
    def fail(obj, target):
        raise RuntimeError("some other torch failure")

    monkeypatch.setattr(torch, "save", fail)
    with pytest.raises(RuntimeError, match="some other torch failure"):
        save_checkpoint(tmp_path / "model.pt", {"model": {}})
    assert not list(tmp_path.iterdir())


class _RunsCode:
    """Unpickling this touches a file: what a crafted model.pt could do instead."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_checkpoint_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    torch.save({"model": _RunsCode(marker)}, tmp_path / "model.pt")
    with pytest.raises(DataError, match=r"model\.pt: refused: not a checkpoint of tensors and plain data only"):
        load_checkpoint(tmp_path / "model.pt")
    assert not marker.exists()
