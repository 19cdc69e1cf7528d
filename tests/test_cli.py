"""The CLI turns expected failures into one line on stderr and exit status 2, never a traceback."""

import types

import pytest
import xarray as xr

from nnphys import io
from nnphys.cli import main
from nnphys.physics import heat1d


def _reference(tmp_path, capsys):
    status = main(["reference", "heat1d", "--out", str(tmp_path / "heat1d.nc")])
    return status, capsys.readouterr().err


def test_full_disk_names_the_file(tmp_path, monkeypatch, capsys):
    def fails_on_full_disk(ds, target, *args, **kwargs):
        target.write_bytes(b"\x89HDF" + bytes(60))
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", fails_on_full_disk)
    monkeypatch.setattr(io.shutil, "disk_usage", lambda folder: types.SimpleNamespace(free=0))
    assert _reference(tmp_path, capsys) == (2, (
        f"nnphys reference: error: {tmp_path / 'heat1d.nc'}: disk full, not written "
        "(RuntimeError: NetCDF: HDF error); free some space and rerun\n"))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("error", [ValueError("nt must be at least 2"), FloatingPointError("overflow in solve")])
def test_solver_refusal_is_one_line(tmp_path, monkeypatch, capsys, error):
    def refuses(p):
        raise error

    monkeypatch.setattr(heat1d, "solve", refuses)
    assert _reference(tmp_path, capsys) == (2, f"nnphys reference: error: {error}\n")


def test_unexpected_failure_keeps_its_traceback(tmp_path, monkeypatch):
    """A bug is not an expected failure: it propagates (the traceback is what finds it)."""
    def broken(p):
        raise KeyError("bug")

    monkeypatch.setattr(heat1d, "solve", broken)
    with pytest.raises(KeyError):
        main(["reference", "heat1d", "--out", str(tmp_path / "heat1d.nc")])


@pytest.mark.parametrize(("problem", "config", "key"), [
    ("nls", '{"nx": 0}', "reference.nls.nx"), ("heat2d", '{"n": 0}', "reference.heat2d.n"),
    ("poisson", '{"boundary": "open"}', "reference.poisson.boundary"), ("wave", "{}", "reference.wave"),
])
def test_reference_by_hand_is_checked_like_the_workflow(tmp_path, capsys, problem, config, key):
    out = tmp_path / "ref.nc"
    assert main(["reference", problem, "--config", config, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"config key '{key}'" in err and "Traceback" not in err, err
    assert not out.exists()
