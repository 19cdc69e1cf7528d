"""Gaussian random fields on a lattice (random smooth initial states and charge densities).

A field is white noise filtered in the lattice's transform space
(:mod:`lattice`) by the square root of a squared-exponential spectrum

    S(k) = exp(-(|k| l)^2 / 2),

i.e. a Gaussian covariance of correlation length ``l`` (smooth, analytic
samples). Periodic lattices give stationary periodic fields; Dirichlet lattices
give sine series that vanish on the boundary. The amplitude is scaled so that
the lattice-averaged variance of a sample is 1 in expectation. Samples of one
call are independent; a ``numpy.random.Generator`` makes them reproducible.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

from nnphys.physics import lattice


def gaussian_random_field(rng: np.random.Generator, n_samples: int, n: int, length: float, boundary: str,
                          length_scale: float) -> np.ndarray:
    """``n_samples`` independent fields, shape (n_samples, n, n), float64, unit mean variance."""
    kx, ky = lattice.wavenumbers(n, length, boundary)
    amplitude = np.sqrt(np.exp(-0.5 * (kx**2 + ky**2) * length_scale**2))
    if boundary == "periodic":  # variance is the mean of S over the full (not half) spectrum
        k_full = 2 * np.pi * fft.fftfreq(n, d=lattice.spacing(n, length, boundary))
        mean_s = np.mean(np.exp(-0.5 * (k_full[:, None] ** 2 + k_full[None, :] ** 2) * length_scale**2))
    else:
        mean_s = np.mean(amplitude**2)
    noise = rng.standard_normal((n_samples, n, n))
    return lattice.inverse(lattice.forward(noise, boundary) * (amplitude / np.sqrt(mean_s)), n, boundary)
