"""Quick-look figures of reference datasets: one PNG per problem, to eyeball the data.

Space-time maps for the 1D problems (with a few profiles), the first samples
for the lattice problems. Labels and colorbars come from each variable's
``long_name`` and ``units``. matplotlib with the Agg backend (no display).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from nnphys.io import SAMPLE, T, X, Y  # noqa: E402


def label(da: xr.DataArray) -> str:
    """'long_name [units]' of a variable or coordinate."""
    return f"{da.attrs.get('long_name', da.name)} [{da.attrs.get('units', '?')}]"


def _map(ax, da: xr.DataArray, xdim: str, ydim: str, cmap: str = "viridis", symmetric: bool = False):
    """Colour map of a 2D variable with labelled axes and a labelled colorbar."""
    values = da.transpose(ydim, xdim).values
    vmax = float(np.abs(values).max()) if symmetric else None
    mesh = ax.pcolormesh(da[xdim].values, da[ydim].values, values, shading="auto", cmap=cmap,
                         vmin=-vmax if symmetric else None, vmax=vmax)
    ax.set_xlabel(label(da[xdim]))
    ax.set_ylabel(label(da[ydim]))
    ax.figure.colorbar(mesh, ax=ax, label=label(da))
    return mesh


def _profiles(ax, da: xr.DataArray, n: int = 4) -> None:
    """Profiles of da(t, x) at n times spread over the run."""
    for i in np.linspace(0, da.sizes[T] - 1, n).round().astype(int):
        t = float(da[T][i])
        ax.plot(da[X].values, da.isel({T: i}).values, label=f"t = {t:.3g}")
    ax.set_xlabel(label(da[X]))
    ax.set_ylabel(label(da))
    ax.legend(fontsize=7)


def _space_time(da: xr.DataArray, cmap: str, title: str) -> plt.Figure:
    """Map of da(t, x) beside its profiles at a few times."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    _map(axes[0], da, T, X, cmap=cmap)
    _profiles(axes[1], da)
    fig.suptitle(title)
    return fig


def heat1d(ds: xr.Dataset) -> plt.Figure:
    return _space_time(ds["u"], "inferno", "heat1d reference: u_t = k u_xx (Crank-Nicolson)")


def nls(ds: xr.Dataset) -> plt.Figure:
    return _space_time(ds["h_abs"], "YlGnBu", "nls reference: |h(t, x)| (split-step Fourier)")


def poisson(ds: xr.Dataset, n_samples: int = 2) -> plt.Figure:
    names = ("rho", "phi", "Ex", "Ey")
    n_samples = min(n_samples, ds.sizes[SAMPLE])
    fig, axes = plt.subplots(n_samples, len(names), figsize=(4 * len(names), 3.4 * n_samples),
                             constrained_layout=True, squeeze=False)
    for row in range(n_samples):
        sample = ds.isel({SAMPLE: row})
        for ax, name in zip(axes[row], names):
            _map(ax, sample[name], X, Y, cmap="RdBu_r", symmetric=True)
            ax.set_title(f"{name}, sample {row}")
            ax.set_aspect("equal")
    fig.suptitle("poisson reference: laplacian(phi) = -rho/eps0, E = -grad(phi)")
    return fig


def heat2d(ds: xr.Dataset, n_samples: int = 2, n_times: int = 4) -> plt.Figure:
    n_samples = min(n_samples, ds.sizes[SAMPLE])
    times = np.linspace(0, ds.sizes[T] - 1, n_times).round().astype(int)
    fig, axes = plt.subplots(n_samples, n_times, figsize=(3.6 * n_times, 3.2 * n_samples),
                             constrained_layout=True, squeeze=False)
    for row in range(n_samples):
        u = ds["u"].isel({SAMPLE: row})
        for ax, i in zip(axes[row], times):
            _map(ax, u.isel({T: i}), X, Y, cmap="RdBu_r", symmetric=True)
            ax.set_title(f"sample {row}, t = {float(u[T][i]):.3g}")
            ax.set_aspect("equal")
    fig.suptitle("heat2d reference: u_t = k lap(u), exact lattice evolution")
    return fig


PLOTS = {"heat1d": heat1d, "nls": nls, "poisson": poisson, "heat2d": heat2d}


def quicklook(problem: str, ds: xr.Dataset, out: str | Path) -> Path:
    """Draw the quick-look figure of ``problem``'s dataset and save it as PNG at ``out``."""
    if problem not in PLOTS:
        raise ValueError(f"no quick-look figure for problem {problem!r}; known: {', '.join(PLOTS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = PLOTS[problem](ds)
    try:
        fig.savefig(out, dpi=110)
    finally:
        plt.close(fig)
    return out
