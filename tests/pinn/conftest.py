"""Small reference files from closed forms, and tiny PINN run configs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
import xarray as xr

from nnphys.io import write_dataset
from nnphys.physics import heat1d, nls
from nnphys.pinn import jet_kernels


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(params=["fused", "torch"])
def elementwise(request):
    """Runs a test on both implementations of the jet pass's elementwise work: the C kernels and torch's."""
    if request.param == "fused" and not jet_kernels.available:
        pytest.skip("the C kernels are not built (no C compiler at install)")
    if request.param == "torch":
        with jet_kernels.torch_operations():
            yield request.param
    else:
        yield request.param


def _coords(t, x):
    return {"t": ("t", t, {"units": "1", "long_name": "time"}), "x": ("x", x, {"units": "1", "long_name": "position"})}


def heat_reference(nt: int = 11, nx: int = 11, **params) -> xr.Dataset:
    p = heat1d.Params(nt=nt, nx=nx, **params)
    t, x = np.linspace(0, p.t_end, nt), np.linspace(0, p.length, nx)
    u = heat1d.exact(p, x[None, :], t[:, None])
    ds = xr.Dataset({"u": (("t", "x"), u, {"units": "1", "long_name": "temperature"})}, coords=_coords(t, x))
    ds.attrs["params"] = json.dumps(dataclasses.asdict(p))
    return ds


def soliton_reference(nt: int = 6, nx: int = 16) -> xr.Dataset:
    """h = sech(x) exp(i t / 2), the exact solution for amplitude 1."""
    p = nls.Params(nt=nt, nx=nx, amplitude=1.0)
    t, x = np.linspace(0, p.t_end, nt), np.linspace(p.x_min, p.x_max, nx, endpoint=False)
    h = nls.soliton(x[None, :], t[:, None])
    attrs = lambda name: {"units": "1", "long_name": name}  # noqa: E731
    ds = xr.Dataset({"u": (("t", "x"), h.real, attrs("Re h")), "v": (("t", "x"), h.imag, attrs("Im h")),
                     "h_abs": (("t", "x"), np.abs(h), attrs("|h|"))}, coords=_coords(t, x))
    ds.attrs["params"] = json.dumps(dataclasses.asdict(p))
    return ds


def tiny_run(problem="heat1d", seed=0, phases=None, dtype="float64", **training):
    cfg = {"problem": problem, "model_name": "tiny", "seed": seed,
           "model": {"width": 8, "depth": 2, "activation": "tanh", "dtype": dtype},
           "training": {"sampling": {"method": "lhs", "n_pde": 64, "n_initial": 16, "n_boundary": 8},
                        "weights": {"ic": 1.0, "bc": 1.0, "pde": 1.0},
                        "phases": phases or [{"optimizer": "adam", "steps": 20, "lr": 0.01},
                                             {"optimizer": "lbfgs", "steps": 10}],
                        "log_every": 5, "eval_every": 10, "checkpoint_every": 10}}
    cfg["training"].update(training)
    return cfg


@pytest.fixture
def heat_file(tmp_path):
    path = tmp_path / "heat1d.nc"
    ds = heat_reference()
    write_dataset(ds, path, params=json.loads(ds.attrs["params"]))
    return path
