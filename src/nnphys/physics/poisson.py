"""Electrostatics on a square lattice: many charge densities, their potentials and fields.

Sign convention (SI-like, nondimensional):

    laplacian(phi) = -rho / eps0,     E = -grad(phi),     div E = rho / eps0.

(The tutorial's slide writes laplacian(phi) = rho / eps0, dropping the minus; with
that sign a positive charge would sit in a potential well. Here a positive
charge is a potential maximum and E points away from it.)

Lattice and transforms: :mod:`lattice` (``n x n`` nodes on ``[0, L]^2``).

* ``boundary: periodic`` -> ``solver: fft``. The periodic problem is solvable
  only for zero net charge; the generated rho has its mean subtracted (a
  uniform neutralizing background) and :func:`potential` refuses a charged rho.
  The gauge is fixed by mean(phi) = 0.
* ``boundary: dirichlet`` -> ``solver: dst`` (phi = 0 on the boundary of the
  square; the lattice holds interior nodes only).

``laplacian`` picks the discrete operator inverted, exactly in both cases
(division by its eigenvalues in transform space, no iteration):

* ``spectral``: the Fourier/sine-series Laplacian; E is the spectral gradient.
  A band-limited manufactured solution is reproduced to rounding.
* ``fd``: the 5-point stencil, second order; E is the central difference
  -(phi[i+1] - phi[i-1]) / 2h. Summation by parts makes Gauss's law exact on
  the lattice: for any box of nodes, the trapezoid-rule flux of E through its
  sides equals the trapezoid-rule integral of rho / eps0 over it, to rounding.
  (With ``spectral`` the same check holds to the quadrature error, O(h^2).)

Charge densities (``source``): Gaussian random fields (:mod:`grf`, correlation
length ``length_scale``) or sums of ``n_charges`` Gaussian point-like charges
of width ``charge_width``, standard-normal charges, uniform positions (periodic
images by minimum image). Samples are generated and solved in batches of
``CHUNK`` (fixed, so results do not depend on memory settings).

Data: ``rho``, ``phi``, ``Ex``, ``Ey`` with dims (sample, x, y). Units: lengths
in L, rho in charge/L^2, phi in charge/eps0, E in charge/(eps0 L).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import fft

from nnphys.configcheck import ConfigError
from nnphys.io import SAMPLE, X, Y
from nnphys.physics import lattice
from nnphys.physics.grf import gaussian_random_field

SOLVER_FOR = {"periodic": "fft", "dirichlet": "dst"}
SOURCES = ("grf", "charges")
CHUNK = 512


@dataclass(frozen=True)
class Params:
    n: int = 64
    length: float = 1.0
    n_samples: int = 2000
    boundary: str = "periodic"
    solver: str = "fft"
    laplacian: str = "spectral"
    eps0: float = 1.0
    source: str = "grf"
    length_scale: float = 0.1
    n_charges: int = 4
    charge_width: float = 0.03
    seed: int = 0
    dtype: str = "float32"

    @classmethod
    def from_dict(cls, d: Mapping) -> "Params":
        p = cls(**d)
        lattice.check_choices("poisson", p, {"boundary": lattice.BOUNDARIES, "laplacian": lattice.LAPLACIANS,
                                             "source": SOURCES, "dtype": lattice.DTYPES})
        if SOLVER_FOR[p.boundary] != p.solver:
            raise ConfigError(f"config key 'reference.poisson.solver': boundary {p.boundary!r} needs solver "
                              f"{SOLVER_FOR[p.boundary]!r}, got {p.solver!r}")
        return p


def charge_density(rng: np.random.Generator, n_samples: int, p: Params) -> np.ndarray:
    """Random rho, shape (n_samples, n, n); neutral (mean subtracted) when periodic."""
    if p.source == "grf":
        rho = gaussian_random_field(rng, n_samples, p.n, p.length, p.boundary, p.length_scale)
    elif p.source == "charges":
        rho = point_charges(rng, n_samples, p)
    else:
        raise ValueError(f"source must be one of {SOURCES}, got {p.source!r}")
    if p.boundary == "periodic":
        rho = rho - rho.mean(axis=(-2, -1), keepdims=True)
    return rho


def point_charges(rng: np.random.Generator, n_samples: int, p: Params) -> np.ndarray:
    """Sums of normalized Gaussian charges q exp(-r^2 / 2w^2) / (2 pi w^2), separable in x and y."""
    x = lattice.coords(p.n, p.length, p.boundary)
    centres = rng.uniform(0.0, p.length, size=(2, n_samples, p.n_charges, 1))
    q = rng.standard_normal((n_samples, p.n_charges))
    d = x - centres  # (2, samples, charges, n)
    if p.boundary == "periodic":
        d = (d + 0.5 * p.length) % p.length - 0.5 * p.length
    g = np.exp(-0.5 * (d / p.charge_width) ** 2)
    return np.einsum("sc,sci,scj->sij", q / (2 * np.pi * p.charge_width**2), g[0], g[1])


def unit_charges(nodes: np.ndarray, p: Params) -> np.ndarray:
    """Densities of a unit point charge at each lattice node (i, j) of ``nodes`` (m, 2): shape (m, n, n).

    rho = delta_{r, r'} / h^2 (lattice integral 1); periodic: minus the neutralizing background 1 / L^2.
    The potential of one is the lattice Green's function G(r - r') of the configured Laplacian.
    """
    h = lattice.spacing(p.n, p.length, p.boundary)
    rho = np.zeros((len(nodes), p.n, p.n))
    rho[np.arange(len(nodes)), nodes[:, 0], nodes[:, 1]] = 1.0 / h**2
    if p.boundary == "periodic":
        rho -= rho.mean(axis=(-2, -1), keepdims=True)
    return rho


def potential(rho: np.ndarray, p: Params) -> np.ndarray:
    """phi solving laplacian(phi) = -rho / eps0 for rho of shape (..., n, n); exact inversion."""
    rho = np.asarray(rho, dtype=float)
    lam = lattice.laplacian_eigenvalues(p.n, p.length, p.boundary, p.laplacian)
    rho_hat = lattice.forward(rho, p.boundary)
    if p.boundary == "periodic":
        mean = np.abs(rho.mean(axis=(-2, -1)))
        scale = np.sqrt(np.mean(rho**2, axis=(-2, -1))) + np.finfo(float).tiny
        if np.any(mean > 1e-10 * scale):
            raise ValueError("periodic Poisson problem needs zero net charge: subtract the mean of rho "
                             "(a neutralizing background); mean(rho)/rms(rho) up to "
                             f"{np.max(mean / scale):.3g}")
        lam = lam.copy()
        lam[0, 0] = 1.0  # the mean mode: rho_hat = 0 there, phi_hat = 0 fixes the gauge
    rho_hat *= -1.0 / (p.eps0 * lam)  # in place: rho_hat becomes phi_hat
    return lattice.inverse(rho_hat, p.n, p.boundary)


def field(phi: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """E = -grad(phi) at the nodes, consistent with ``laplacian`` (spectral gradient or central difference)."""
    phi = np.asarray(phi, dtype=float)
    h = lattice.spacing(p.n, p.length, p.boundary)
    if p.laplacian == "fd":
        padded = _pad(phi, p.boundary)
        ex = -(padded[..., 2:, 1:-1] - padded[..., :-2, 1:-1]) / (2 * h)
        ey = -(padded[..., 1:-1, 2:] - padded[..., 1:-1, :-2]) / (2 * h)
        return ex, ey
    if p.boundary == "periodic":
        kx, ky = lattice.wavenumbers(p.n, p.length, p.boundary)
        if p.n % 2 == 0:  # the Nyquist mode's derivative is not real: drop it
            kx = np.where(np.arange(p.n)[:, None] == p.n // 2, 0.0, kx)
            ky = np.where(np.arange(ky.shape[1])[None, :] == p.n // 2, 0.0, ky)
        phi_hat = lattice.forward(phi, p.boundary)
        return (-lattice.inverse(1j * kx * phi_hat, p.n, p.boundary),
                -lattice.inverse(1j * ky * phi_hat, p.n, p.boundary))
    return -_sine_derivative(phi, -2, p), -_sine_derivative(phi, -1, p)


def _sine_derivative(phi: np.ndarray, axis: int, p: Params) -> np.ndarray:
    """d/dx of the sine series of phi along ``axis`` at the interior nodes (a cosine series, via DCT-I)."""
    n = p.n
    k = np.pi * np.arange(1, n + 1) / p.length
    coef = fft.dst(phi, type=1, axis=axis, norm="ortho")
    shape = [1] * phi.ndim
    shape[axis] = n
    coef = coef * k.reshape(shape)
    pad = [(0, 0)] * phi.ndim
    pad[axis] = (1, 1)
    # DCT-I of length n+2 with zero end coefficients: y_j = 2 sum_m c_m cos(pi m j / (n+1)).
    y = fft.dct(np.pad(coef, pad), type=1, axis=axis)
    return np.sqrt(2.0 / (n + 1)) * 0.5 * np.take(y, np.arange(1, n + 1), axis=axis)


def _pad(phi: np.ndarray, boundary: str) -> np.ndarray:
    """phi with one ghost layer on each side of the last two axes (periodic images or the zero boundary)."""
    pad = [(0, 0)] * (phi.ndim - 2) + [(1, 1), (1, 1)]
    return np.pad(phi, pad, mode="wrap" if boundary == "periodic" else "constant")


def solve_batch(rho: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """phi, Ex, Ey for a batch of charge densities (..., n, n), float64."""
    phi = potential(rho, p)
    return (phi, *field(phi, p))


def solve(p: Params) -> xr.Dataset:
    """Reference dataset: ``rho``, ``phi``, ``Ex``, ``Ey`` with dims (sample, x, y)."""
    rng = np.random.default_rng(p.seed)
    names = ("rho", "phi", "Ex", "Ey")
    out = {name: np.empty((p.n_samples, p.n, p.n), dtype=p.dtype) for name in names}
    for start in range(0, p.n_samples, CHUNK):
        rho = charge_density(rng, min(CHUNK, p.n_samples - start), p)
        for name, value in zip(names, (rho, *solve_batch(rho, p))):
            out[name][start:start + len(rho)] = value
    x = lattice.coords(p.n, p.length, p.boundary)
    dims = (SAMPLE, X, Y)
    attrs = {
        "rho": {"units": "charge/L^2", "long_name": "charge density rho"},
        "phi": {"units": "charge/eps0", "long_name": "electric potential phi"},
        "Ex": {"units": "charge/(eps0 L)", "long_name": "electric field E_x = -dphi/dx"},
        "Ey": {"units": "charge/(eps0 L)", "long_name": "electric field E_y = -dphi/dy"},
    }
    return xr.Dataset(
        {name: (dims, out[name], attrs[name]) for name in names},
        coords={SAMPLE: (SAMPLE, np.arange(p.n_samples), {"units": "1", "long_name": "sample index"}),
                X: (X, x, {"units": "L", "long_name": "position x"}),
                Y: (Y, x.copy(), {"units": "L", "long_name": "position y"})},
        attrs={"equation": "laplacian(phi) = -rho/eps0, E = -grad(phi)",
               "scheme": f"exact inversion of the {p.laplacian} Laplacian by {p.solver}, {p.boundary}"},
    )
