"""nls: split-step Fourier against the exact soliton, orders of Strang and Yoshida, invariants."""

import numpy as np
import pytest

from nnphys.configcheck import ConfigError
from nnphys.physics import nls


def soliton_error(substeps: int, method: str) -> float:
    # Wide domain: sech(20) ~ 4e-9, so the periodic box does not perturb the soliton.
    p = nls.Params(x_min=-20, x_max=20, nx=256, nt=2, substeps=substeps, amplitude=1.0, method=method)
    x, t = nls.grid(p)
    return float(np.abs(nls.split_step(p) - nls.soliton(x[None, :], t[:, None])).max())


def test_soliton_reproduced():
    assert soliton_error(100, "yoshida4") <= 1e-6


@pytest.mark.parametrize("method, substeps, order", [("strang", [4, 8, 16, 32], 2),
                                                     ("yoshida4", [32, 64, 128], 4)])
def test_order_in_dt(method, substeps, order):
    errs = [soliton_error(s, method) for s in substeps]
    slope = np.polyfit(np.log(1.0 / np.array(substeps)), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.2, errs


@pytest.fixture(scope="module")
def raissi():
    """The 2 sech x run on Raissi's grid, at a coarser step than the default (cheaper, same checks)."""
    p = nls.Params(substeps=25)
    return p, nls.split_step(p)


def test_invariants_conserved(raissi):
    p, h = raissi
    x, _ = nls.grid(p)
    dx = x[1] - x[0]
    mass, ham = nls.mass(h, dx), nls.hamiltonian(h, dx)
    assert np.abs(mass / mass[0] - 1).max() <= 1e-8
    assert np.abs(ham / ham[0] - 1).max() <= 1e-8
    # The run is far from trivial: the pulse compresses to about twice its height.
    assert np.abs(h).max() > 3.5


def test_written_grid_converged_in_dt(raissi):
    p, h = raissi
    h_half = nls.split_step(nls.Params(substeps=2 * p.substeps))
    assert np.abs(h - h_half).max() <= 1e-7


def test_dataset_face():
    ds = nls.solve(nls.Params(nx=64, nt=5, substeps=4))
    assert set(ds.data_vars) == {"u", "v", "h_abs"}
    assert all(ds[v].dims == ("t", "x") for v in ds.data_vars)
    assert np.allclose(ds["h_abs"], np.hypot(ds["u"], ds["v"]))
    assert ds["x"].values[0] == -5.0 and ds["x"].values[-1] < 5.0
    for name in (*ds.data_vars, *ds.coords):
        assert {"units", "long_name"} <= set(ds[name].attrs)


def test_residual_of_soliton_vanishes():
    x, t = np.meshgrid(np.linspace(-3, 3, 13), np.linspace(0, 1.5, 7))
    h = nls.soliton(x, t)
    h_t = 0.5j * h
    h_xx = h * (1 - 2 / np.cosh(x) ** 2)  # (sech x)'' = sech x - 2 sech^3 x
    r = nls.residual({"u": h.real, "v": h.imag},
                     {"u_t": h_t.real, "v_t": h_t.imag, "u_xx": h_xx.real, "v_xx": h_xx.imag}, nls.Params())
    assert max(np.abs(c).max() for c in r) < 1e-12


def test_bad_domain_names_key():
    with pytest.raises(ConfigError, match=r"reference\.nls\.x_max"):
        nls.Params.from_dict({"x_min": 1.0, "x_max": -1.0})
