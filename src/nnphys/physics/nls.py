"""Focusing nonlinear Schrödinger equation (Raissi, Perdikaris & Karniadakis 2019).

    i h_t + 1/2 h_xx + |h|^2 h = 0,   x in [-5, 5) periodic,   t in [0, pi/2],
    h(x, 0) = 2 sech(x).

With h = u + i v the equation splits into two real equations,

    real:  -v_t + 1/2 u_xx + (u^2 + v^2) u = 0
    imag:   u_t + 1/2 v_xx + (u^2 + v^2) v = 0.

Conserved: mass N = ∫|h|^2 dx and Hamiltonian H = ∫ (1/2 |h_x|^2 - 1/2 |h|^4) dx.
Nondimensional units throughout. The 1-soliton h = sech(x) e^{i t / 2} is exact.

Reference solver (:func:`solve`): split-step Fourier (``scipy.fft``). The
linear flow h_t = (i/2) h_xx is exact in Fourier space (multiply by
exp(-i k^2 tau / 2)); the nonlinear flow h_t = i |h|^2 h is exact in real
space (|h| is constant along it: multiply by exp(i |h|^2 tau)). Composition:
``strang`` (N/2 L N/2, order 2) or ``yoshida4`` (three Strang steps with
weights w1, w0, w1, w1 = 1/(2 - 2^(1/3)), w0 = 1 - 2 w1; order 4). Both are
symplectic and unitary, so the mass is conserved to rounding and the
Hamiltonian to O(dt^order). The solver takes ``substeps`` steps per written
time interval and writes on the computation grid (Raissi's: 256 points on
[-5, 5), 201 times on [0, pi/2]).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import fft

from nnphys.configcheck import ConfigError
from nnphys.io import T, X

METHODS = ("strang", "yoshida4")


@dataclass(frozen=True)
class Params:
    x_min: float = -5.0
    x_max: float = 5.0
    t_end: float = float(np.pi / 2)
    nx: int = 256             # written grid (Raissi: 256 points)
    nt: int = 201             # written times (Raissi: 201)
    substeps: int = 100       # split steps between written times
    method: str = "yoshida4"  # "strang" (order 2) or "yoshida4" (order 4)
    amplitude: float = 2.0    # h(x, 0) = amplitude * sech(x)

    @classmethod
    def from_dict(cls, d: Mapping) -> "Params":
        p = cls(**d)
        if p.method not in METHODS:
            raise ConfigError(f"config key 'reference.nls.method': {p.method!r} is not one of {', '.join(METHODS)}")
        if not p.x_max > p.x_min:
            raise ConfigError(f"config key 'reference.nls.x_max': must exceed x_min ({p.x_min}), got {p.x_max}")
        return p


def initial(p: Params, x: np.ndarray) -> np.ndarray:
    """h(x, 0) as a complex numpy array."""
    return (p.amplitude / np.cosh(x)).astype(complex)


def soliton(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Exact 1-soliton sech(x) exp(i t / 2), broadcasting x against t."""
    return np.exp(0.5j * t) / np.cosh(x)


def residual(fields: Mapping, derivs: Mapping, p: Params):
    """Real and imaginary parts of i h_t + 1/2 h_xx + |h|^2 h (numpy or torch).

    ``fields`` holds ``u`` and ``v`` (h = u + i v); ``derivs`` holds
    ``u_t, v_t, u_xx, v_xx``.
    """
    u, v = fields["u"], fields["v"]
    m = u * u + v * v
    return (-derivs["v_t"] + 0.5 * derivs["u_xx"] + m * u,
            derivs["u_t"] + 0.5 * derivs["v_xx"] + m * v)


def grid(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Written coordinates: x (nx points on [x_min, x_max), periodic) and t (nt points on [0, t_end])."""
    return np.linspace(p.x_min, p.x_max, p.nx, endpoint=False), np.linspace(0.0, p.t_end, p.nt)


def _stages(method: str) -> list[tuple[float, float]]:
    """(nonlinear fraction, linear fraction) pairs of one step; adjacent half nonlinear steps are merged."""
    if method == "strang":
        weights = [1.0]
    elif method == "yoshida4":
        w1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
        weights = [w1, 1.0 - 2.0 * w1, w1]
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    # Strang(w) = N(w/2) L(w) N(w/2); consecutive N halves combine.
    nonlinear = [0.5 * weights[0]] + [0.5 * (a + b) for a, b in zip(weights[:-1], weights[1:])]
    return list(zip(nonlinear, weights)) + [(0.5 * weights[-1], 0.0)]


def split_step(p: Params, h0: np.ndarray | None = None) -> np.ndarray:
    """Complex h on the written grid, shape (nt, nx); ``h0`` defaults to :func:`initial`."""
    x, _ = grid(p)
    dx = x[1] - x[0]
    dt = p.t_end / ((p.nt - 1) * p.substeps)
    k = 2 * np.pi * fft.fftfreq(p.nx, d=dx)
    stages = _stages(p.method)
    # Linear propagators, one per distinct fraction; the last stage has none.
    linear = [np.exp(-0.5j * k**2 * b * dt) if b else None for _, b in stages]
    h = initial(p, x) if h0 is None else np.asarray(h0, dtype=complex)
    out = np.empty((p.nt, p.nx), dtype=complex)
    out[0] = h
    for i in range(1, p.nt):
        for _ in range(p.substeps):
            for (a, _), lin in zip(stages, linear):
                h = h * np.exp(1j * a * dt * (h.real**2 + h.imag**2))
                if lin is not None:
                    h = fft.ifft(lin * fft.fft(h))
        out[i] = h
    return out


def mass(h: np.ndarray, dx: float) -> np.ndarray:
    """N = integral |h|^2 dx over the last axis (periodic rectangle rule, spectrally accurate)."""
    return dx * np.sum(np.abs(h) ** 2, axis=-1)


def hamiltonian(h: np.ndarray, dx: float) -> np.ndarray:
    """H = integral (1/2 |h_x|^2 - 1/2 |h|^4) dx over the last axis, h_x spectral."""
    k = 2 * np.pi * fft.fftfreq(h.shape[-1], d=dx)
    hx = fft.ifft(1j * k * fft.fft(h, axis=-1), axis=-1)
    return dx * np.sum(0.5 * np.abs(hx) ** 2 - 0.5 * np.abs(h) ** 4, axis=-1)


def solve(p: Params) -> xr.Dataset:
    """Reference solution: u = Re h, v = Im h, h_abs = |h|, each with dims (t, x)."""
    x, t = grid(p)
    h = split_step(p)
    dims = (T, X)
    return xr.Dataset(
        {"u": (dims, h.real, {"units": "1", "long_name": "real part of h"}),
         "v": (dims, h.imag, {"units": "1", "long_name": "imaginary part of h"}),
         "h_abs": (dims, np.abs(h), {"units": "1", "long_name": "modulus |h|"})},
        coords={T: (T, t, {"units": "1", "long_name": "time"}),
                X: (X, x, {"units": "1", "long_name": "position (periodic)"})},
        attrs={"equation": "i h_t + 1/2 h_xx + |h|^2 h = 0, periodic in x",
               "scheme": f"split-step Fourier, {p.method}"},
    )
