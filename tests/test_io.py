"""io: bad files raise DataError naming the file and the problem; good files round-trip with provenance."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from nnphys.io import DataError, dataset_params, read_dataset, read_json, write_dataset, write_json


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
