"""heat2d: exact lattice evolution, checked mode by mode and against a sparse matrix exponential."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply

from nnphys.physics import heat2d, lattice


@pytest.mark.parametrize("boundary", ["periodic", "dirichlet"])
@pytest.mark.parametrize("laplacian", ["fd", "spectral"])
def test_single_mode_decays_as_exact_discrete_solution(boundary, laplacian):
    p = heat2d.Params(n=24, k=0.7, boundary=boundary, laplacian=laplacian)
    x = lattice.coords(p.n, p.length, boundary)
    h = lattice.spacing(p.n, p.length, boundary)
    X, Y = np.meshgrid(x, x, indexing="ij")
    if boundary == "periodic":
        (m, n), wave = (3, 2), 2 * np.pi / p.length
        u0 = np.cos(m * wave * X + n * wave * Y)
    else:
        (m, n), wave = (3, 5), np.pi / p.length
        u0 = np.sin(m * wave * X) * np.sin(n * wave * Y)
    lam = lattice.symbol(m * wave, h, laplacian) + lattice.symbol(n * wave, h, laplacian)
    t = np.linspace(0.0, 0.05, 11)
    u = heat2d.evolve(u0, t, p)
    expected = np.exp(p.k * lam * t)[:, None, None] * u0
    rel = np.abs(u - expected).max(axis=(1, 2)) / np.abs(expected).max(axis=(1, 2))
    assert rel.max() <= 1e-6
    assert expected[-1].max() < 0.5 * u0.max()  # the mode really decays over the window


def five_point_matrix(n: int, h: float, boundary: str) -> sp.csr_matrix:
    e = np.ones(n)
    d2 = sp.diags([e[:-1], -2 * e, e[:-1]], [-1, 0, 1], format="lil")
    if boundary == "periodic":
        d2[0, -1] = d2[-1, 0] = 1.0
    d2 = sp.csr_matrix(d2) / h**2
    eye = sp.identity(n)
    return sp.kron(d2, eye) + sp.kron(eye, d2)


@pytest.mark.parametrize("boundary", ["periodic", "dirichlet"])
def test_matches_matrix_exponential_of_five_point_laplacian(boundary):
    p = heat2d.Params(n=12, n_samples=2, boundary=boundary, laplacian="fd", length_scale=0.15)
    u0 = heat2d.initial(p)
    t = p.dt * np.arange(5)
    A = p.k * five_point_matrix(p.n, lattice.spacing(p.n, p.length, boundary), boundary)
    ref = expm_multiply(A, u0.reshape(2, -1).T, start=t[0], stop=t[-1], num=len(t), endpoint=True)
    ref = np.moveaxis(ref, -1, 0).reshape(2, len(t), p.n, p.n)
    assert np.abs(heat2d.evolve(u0, t, p) - ref).max() <= 1e-10 * np.abs(ref).max()


def test_dataset_face_and_seed():
    p = heat2d.Params(n=16, n_samples=3, nt=51)
    ds = heat2d.solve(p)
    assert ds["u"].dims == ("sample", "t", "x", "y") and ds["u"].shape == (3, 51, 16, 16)
    assert ds["t"].values[1] == pytest.approx(p.dt)
    for name in (*ds.data_vars, *ds.coords):
        assert {"units", "long_name"} <= set(ds[name].attrs)
    assert ds.identical(heat2d.solve(p))
    assert not np.array_equal(ds["u"].values, heat2d.solve(heat2d.Params(n=16, n_samples=3, seed=1))["u"].values)
    # The default step changes the field visibly but 50 steps do not wipe it out.
    u = heat2d.solve(heat2d.Params(n_samples=16))["u"].values.astype(float)
    fluct = u - u.mean(axis=(2, 3), keepdims=True)
    rms = np.sqrt((fluct**2).mean(axis=(0, 2, 3)))
    assert 0.8 < rms[1] / rms[0] < 0.97 and 0.05 < rms[50] / rms[0] < 0.5
