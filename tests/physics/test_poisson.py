"""poisson: manufactured solutions, orders, linearity, translation equivariance, Gauss's law."""

import numpy as np
import pytest

from nnphys.configcheck import ConfigError
from nnphys.physics import lattice, poisson

BOUNDARIES = [("periodic", "fft"), ("dirichlet", "dst")]


def params(boundary="periodic", laplacian="spectral", **kw):
    return poisson.Params(boundary=boundary, solver=poisson.SOLVER_FOR[boundary], laplacian=laplacian, **kw)


def manufactured(p):
    """(rho, phi, Ex, Ey) of a smooth closed-form phi; rho = -eps0 lap(phi)."""
    x = lattice.coords(p.n, p.length, p.boundary)
    X, Y = np.meshgrid(x, x, indexing="ij")
    if p.boundary == "periodic":  # not band-limited: exp of a trigonometric polynomial
        a = 2 * np.pi / p.length
        f = np.exp(np.cos(a * X) + np.sin(a * Y))
        phi = f
        ex = a * np.sin(a * X) * f
        ey = -a * np.cos(a * Y) * f
        lap = f * (a**2 * np.sin(a * X) ** 2 - a**2 * np.cos(a * X) + a**2 * np.cos(a * Y) ** 2 - a**2 * np.sin(a * Y))
        phi = phi - phi.mean()  # the solver's gauge (computed at n = 64 the mean is exact to rounding)
    else:  # a sum of sine modes vanishing on the boundary
        a = np.pi / p.length
        phi = np.sin(a * X) * np.sin(2 * a * Y) + 0.3 * np.sin(3 * a * X) * np.sin(a * Y)
        ex = -(a * np.cos(a * X) * np.sin(2 * a * Y) + 0.9 * a * np.cos(3 * a * X) * np.sin(a * Y))
        ey = -(2 * a * np.sin(a * X) * np.cos(2 * a * Y) + 0.3 * a * np.sin(3 * a * X) * np.cos(a * Y))
        lap = -(a**2) * (5 * np.sin(a * X) * np.sin(2 * a * Y) + 3.0 * np.sin(3 * a * X) * np.sin(a * Y))
    return -p.eps0 * lap, phi, ex, ey


@pytest.mark.parametrize("boundary, _", BOUNDARIES)
def test_spectral_reproduces_manufactured_solution_to_rounding(boundary, _):
    p = params(boundary, "spectral", n=64, eps0=2.5)
    rho, phi, ex, ey = manufactured(p)
    got = poisson.solve_batch(rho, p)
    for value, want in zip(got, (phi, ex, ey)):
        assert np.abs(value - want).max() <= 1e-12 * np.abs(want).max()


@pytest.mark.parametrize("boundary, _", BOUNDARIES)
def test_five_point_stencil_is_second_order(boundary, _):
    ns = [16, 32, 64]
    errs = []
    for n in ns:
        p = params(boundary, "fd", n=n)
        rho, phi, ex, ey = manufactured(p)
        got = poisson.solve_batch(rho, p)
        errs.append([np.abs(g - w).max() for g, w in zip(got, (phi, ex, ey))])
    h = [lattice.spacing(n, 1.0, boundary) for n in ns]
    for column in np.array(errs).T:  # phi, Ex, Ey
        slope = np.polyfit(np.log(h), np.log(column), 1)[0]
        assert abs(slope - 2) < 0.2, column


@pytest.mark.parametrize("boundary, _", BOUNDARIES)
@pytest.mark.parametrize("laplacian", ["spectral", "fd"])
def test_linearity(boundary, _, laplacian):
    p = params(boundary, laplacian, n=32)
    rng = np.random.default_rng(1)
    r1, r2 = poisson.charge_density(rng, 2, p)
    left = poisson.solve_batch(2.0 * r1 - 3.5 * r2, p)
    right = [2.0 * a - 3.5 * b for a, b in zip(poisson.solve_batch(r1, p), poisson.solve_batch(r2, p))]
    for a, b in zip(left, right):
        assert np.abs(a - b).max() <= 1e-12 * np.abs(b).max()


@pytest.mark.parametrize("laplacian", ["spectral", "fd"])
def test_periodic_translation_equivariance(laplacian):
    p = params("periodic", laplacian, n=32, source="charges", charge_width=0.05)
    rho = poisson.charge_density(np.random.default_rng(2), 3, p)
    shift = (5, -11)
    shifted = poisson.solve_batch(np.roll(rho, shift, axis=(-2, -1)), p)
    for a, b in zip(shifted, poisson.solve_batch(rho, p)):
        b = np.roll(b, shift, axis=(-2, -1))
        assert np.abs(a - b).max() <= 1e-12 * np.abs(b).max()


def trapezoid(f, h, axis=-1):
    """Trapezoid rule over the nodes of one axis."""
    return h * (f.sum(axis) - 0.5 * (f.take(0, axis) + f.take(-1, axis)))


def gauss_mismatch(rho, ex, ey, box, h, eps0):
    """Outward flux of E through the box of nodes i0..i1, j0..j1 minus enclosed charge / eps0 (trapezoid rules)."""
    i0, i1, j0, j1 = box
    flux = (trapezoid(ex[..., i1, j0:j1 + 1], h) - trapezoid(ex[..., i0, j0:j1 + 1], h)
            + trapezoid(ey[..., i0:i1 + 1, j1], h) - trapezoid(ey[..., i0:i1 + 1, j0], h))
    enclosed = trapezoid(trapezoid(rho[..., i0:i1 + 1, j0:j1 + 1], h), h)
    return flux - enclosed / eps0


@pytest.mark.parametrize("boundary, _", BOUNDARIES)
def test_gauss_law_exact_for_five_point_stencil(boundary, _):
    """With the 5-point Laplacian and central-difference E, Gauss's law holds exactly when both the
    flux and the enclosed charge use the trapezoid rule on the nodes (summation by parts)."""
    p = params(boundary, "fd", n=32, eps0=0.7)
    rho = poisson.charge_density(np.random.default_rng(3), 4, p)
    _, ex, ey = poisson.solve_batch(rho, p)
    h = lattice.spacing(p.n, p.length, boundary)
    for box in [(3, 20, 5, 9), (0, 31, 0, 31), (10, 11, 17, 30)]:
        assert np.abs(gauss_mismatch(rho, ex, ey, box, h, p.eps0)).max() <= 1e-12 * np.abs(rho).max()


def test_gauss_law_spectral_to_discretization_accuracy():
    """Spectral E through a box around a Gaussian charge: the mismatch is the quadrature error, O(h^2)."""
    errs = []
    for n in (32, 64, 128):
        p = params("dirichlet", "spectral", n=n)
        x = lattice.coords(n, 1.0, "dirichlet")
        X, Y = np.meshgrid(x, x, indexing="ij")
        rho = np.exp(-((X - 0.45) ** 2 + (Y - 0.55) ** 2) / (2 * 0.05**2)) / (2 * np.pi * 0.05**2)
        _, ex, ey = poisson.solve_batch(rho, p)
        i0, i1 = np.searchsorted(x, 0.25), np.searchsorted(x, 0.75)
        errs.append(abs(gauss_mismatch(rho, ex, ey, (i0, i1, i0, i1), lattice.spacing(n, 1.0, "dirichlet"), 1.0)))
    assert errs[-1] < 1e-4 and errs[-1] < errs[0] / 8, errs


def test_positive_charge_is_a_potential_maximum():
    p = params("dirichlet", "spectral", n=33, source="charges")
    x = lattice.coords(p.n, 1.0, "dirichlet")
    X, Y = np.meshgrid(x, x, indexing="ij")
    rho = np.exp(-((X - 0.5) ** 2 + (Y - 0.5) ** 2) / (2 * 0.05**2))
    phi, ex, ey = poisson.solve_batch(rho, p)
    assert np.unravel_index(phi.argmax(), phi.shape) == (16, 16) and phi.min() >= -1e-12
    assert ex[24, 16] > 0 and ex[8, 16] < 0 and ey[16, 24] > 0  # E points away from the charge


def test_periodic_refuses_net_charge():
    p = params("periodic", n=16)
    with pytest.raises(ValueError, match="zero net charge"):
        poisson.potential(np.ones((16, 16)), p)


@pytest.mark.parametrize("source", ["grf", "charges"])
def test_dataset_face_seed_and_neutrality(source):
    p = params("periodic", n=16, n_samples=poisson.CHUNK + 3, source=source, seed=4)
    ds = poisson.solve(p)
    for name in ("rho", "phi", "Ex", "Ey"):
        assert ds[name].dims == ("sample", "x", "y") and ds[name].shape == (p.n_samples, 16, 16)
    for name in (*ds.data_vars, *ds.coords):
        assert {"units", "long_name"} <= set(ds[name].attrs)
    assert np.abs(ds["rho"].mean(("x", "y"))).max() < 1e-5 * float(np.abs(ds["rho"]).max())
    assert ds.identical(poisson.solve(p))
    other = poisson.solve(params("periodic", n=16, n_samples=4, source=source, seed=5))
    assert not np.array_equal(ds["rho"].values[:4], other["rho"].values)


def test_mismatched_solver_names_key():
    with pytest.raises(ConfigError, match=r"reference\.poisson\.solver"):
        poisson.Params.from_dict({"boundary": "dirichlet", "solver": "fft"})
