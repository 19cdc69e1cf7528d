"""Square 2D lattices, their transforms and the spectra of their Laplacians.

Shared by :mod:`heat2d` and :mod:`poisson`. A lattice has ``n x n`` nodes on a
square of side ``length``:

* ``periodic``: nodes ``x_i = i h``, ``h = length / n``, ``i = 0 .. n-1``;
  the transform is the real FFT (``scipy.fft.rfft2``), modes ``k = 2 pi m / length``.
* ``dirichlet``: interior nodes ``x_i = (i + 1) h``, ``h = length / (n + 1)``;
  the boundary values (zero) are implied, not stored. The transform is the
  type-I discrete sine transform (``scipy.fft.dstn``), modes ``k = pi m / length``,
  ``m = 1 .. n``.

Both transforms diagonalize the 5-point Laplacian exactly, so a linear
constant-coefficient problem is solved by dividing (or multiplying) mode by mode.
Laplacian symbols, per axis and summed over the two axes:

* ``spectral``: ``-k^2`` (exact derivative of the trigonometric interpolant);
* ``fd``: ``-(4 / h^2) sin^2(k h / 2)`` (eigenvalues of the 5-point stencil,
  second order: ``-k^2 (1 - (k h)^2 / 12 + ...)``).

Transforms act on the last two axes, so any leading batch shape (samples, times)
is handled in one call. Orthonormal scaling: a unit-variance white field has
unit-variance modes.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

from nnphys.configcheck import ConfigError

BOUNDARIES = ("periodic", "dirichlet")
LAPLACIANS = ("spectral", "fd")
DTYPES = ("float32", "float64")


def spacing(n: int, length: float, boundary: str) -> float:
    """Node spacing h."""
    _check(boundary)
    return length / n if boundary == "periodic" else length / (n + 1)


def coords(n: int, length: float, boundary: str) -> np.ndarray:
    """Node coordinates along one axis, shape (n,)."""
    h = spacing(n, length, boundary)
    return h * np.arange(n) if boundary == "periodic" else h * np.arange(1, n + 1)


def distance(node, n: int, boundary: str) -> np.ndarray:
    """Distance of every node of an n x n lattice from ``node`` (i, j), in cells; minimum image when periodic."""
    d = np.abs(np.arange(n)[:, None] - np.asarray(node))  # (n, 2)
    if boundary == "periodic":
        d = np.minimum(d, n - d)
    return np.hypot(d[:, 0][:, None], d[:, 1][None, :])


def wavenumbers(n: int, length: float, boundary: str) -> tuple[np.ndarray, np.ndarray]:
    """Angular wavenumbers of the transform modes along axes (-2, -1), broadcastable.

    Periodic: the full FFT axis then the half (rfft) axis; Dirichlet: ``pi m / length``.
    """
    h = spacing(n, length, boundary)
    if boundary == "periodic":
        kx = 2 * np.pi * fft.fftfreq(n, d=h)
        ky = 2 * np.pi * fft.rfftfreq(n, d=h)
    else:
        kx = ky = np.pi * np.arange(1, n + 1) / length
    return kx[:, None], ky[None, :]


def symbol(k: np.ndarray, h: float, laplacian: str) -> np.ndarray:
    """1D second-derivative symbol of wavenumber(s) k (non-positive)."""
    if laplacian == "spectral":
        return -(k**2)
    if laplacian == "fd":
        return -(4.0 / h**2) * np.sin(0.5 * k * h) ** 2
    raise ValueError(f"laplacian must be one of {LAPLACIANS}, got {laplacian!r}")


def laplacian_eigenvalues(n: int, length: float, boundary: str, laplacian: str) -> np.ndarray:
    """Eigenvalues of the 2D Laplacian on the transform grid (shape of :func:`forward`'s output)."""
    h = spacing(n, length, boundary)
    kx, ky = wavenumbers(n, length, boundary)
    return symbol(kx, h, laplacian) + symbol(ky, h, laplacian)


def forward(u: np.ndarray, boundary: str) -> np.ndarray:
    """Orthonormal transform over the last two axes (rfft2 or DST-I)."""
    _check(boundary)
    if boundary == "periodic":
        return fft.rfft2(u, axes=(-2, -1), norm="ortho")
    return fft.dstn(u, type=1, axes=(-2, -1), norm="ortho")


def inverse(u_hat: np.ndarray, n: int, boundary: str) -> np.ndarray:
    """Inverse of :func:`forward` (real output, last two axes of length n)."""
    _check(boundary)
    if boundary == "periodic":
        return fft.irfft2(u_hat, s=(n, n), axes=(-2, -1), norm="ortho")
    return fft.idstn(u_hat, type=1, axes=(-2, -1), norm="ortho")


def check_choices(problem: str, p, choices: dict[str, tuple[str, ...]]) -> None:
    """Raise ConfigError naming ``reference.<problem>.<key>`` when a setting is not one of its choices."""
    for key, options in choices.items():
        if getattr(p, key) not in options:
            raise ConfigError(f"config key 'reference.{problem}.{key}': {getattr(p, key)!r} is not one of "
                              f"{', '.join(options)}")


def _check(boundary: str) -> None:
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
