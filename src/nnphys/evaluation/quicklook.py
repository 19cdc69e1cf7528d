"""Quick-look figures of reference datasets: one PNG per problem, to eyeball the data.

Space-time maps for the 1D problems (with a few profiles), the first samples
for the lattice problems. Labels and colorbars come from each variable's
``long_name`` and ``units``; fonts, sizes and colour maps from the report's :class:`~style.Style`,
so the quick-looks match the report they join. matplotlib with the Agg backend (no display).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from nnphys.evaluation import style as st
from nnphys.io import SAMPLE, T, X, Y, dataset_params, require_finite


def _map(ax, da: xr.DataArray, xdim: str, ydim: str, cmap: str, symmetric: bool = False,
         colorbar_label: str | None = None):
    """Colour map of a 2D variable with a colorbar (labelled ``long_name [units]`` unless given)."""
    values = da.transpose(ydim, xdim).values
    vmax = float(np.abs(values).max()) if symmetric else None
    mesh = ax.pcolormesh(da[xdim].values, da[ydim].values, values, shading="auto", cmap=cmap,
                         vmin=-vmax if symmetric else None, vmax=vmax, rasterized=True)
    st.colorbar(mesh, ax, label=st.label(da) if colorbar_label is None else colorbar_label)
    return mesh


def _profiles(ax, da: xr.DataArray, n: int = 4) -> None:
    """Profiles of da(t, x) at n times spread over the run; dashed from the second on, since a
    periodic solution (the NLS breather) repeats its first profile."""
    for j, i in enumerate(np.linspace(0, da.sizes[T] - 1, n).round().astype(int)):
        ax.plot(da[X].values, da.isel({T: i}).values, ls="-" if j == 0 else (0, (4, 1 + j)),
                label=f"t = {float(da[T][i]):.3g}")
    ax.set_xlabel(st.label(da[X]))
    ax.set_ylabel(st.label(da))
    ax.legend()


def _space_time(da: xr.DataArray, style: st.Style, title: str, out: Path) -> None:
    """Map of da(t, x) beside its profiles at a few times."""
    with st.canvas(style, st.TEXT_IN, 2.6) as fig:
        # a colorbar with a label right of the map
        axes = st.panels(fig, 1, 2, st.Margins(top=2.6, wgap=12.5), style)[0]
        _map(axes[0], da, T, X, style.cmap)
        axes[0].set_xlabel(st.label(da[T]))
        axes[0].set_ylabel(st.label(da[X]))
        _profiles(axes[1], da)
        fig.suptitle(title)
        st.save(fig, out)


def _lattice(rows: list[tuple[str, list[tuple[str, xr.DataArray]]]], style: st.Style, title: str,
             out: Path) -> None:
    """A grid of maps over (x, y): rows of (row label, [(panel title, 2D field)]), labelled as the
    operator sample figures are (titles carry the units, axes labelled once)."""
    nrows, ncols = len(rows), len(rows[0][1])
    first = rows[0][1][0][1]
    x, y = first[X].values, first[Y].values
    aspect = float(np.ptp(y) / np.ptp(x)) if len(x) > 1 and len(y) > 1 and np.ptp(x) > 0 else 1.0
    # a colorbar right of every map; titles of two lines
    margins = st.Margins(left=7.5, right=6.5, bottom=4.0, top=4.6, wgap=6.5, hgap=2.8)
    with st.canvas(style, st.TEXT_IN) as fig:
        axes = st.panels(fig, nrows, ncols, margins, style, aspect=aspect)
        for ax_row, (row_label, panels) in zip(axes, rows):
            for ax, (name, da) in zip(ax_row, panels):
                _map(ax, da, X, Y, style.diverging_cmap, symmetric=True, colorbar_label="")
                ax.set_title(name)
                ax.set_aspect("equal")
            ax_row[0].set_ylabel(row_label)
        st.outer_ticks(axes)
        fig.supxlabel(st.label(first[X]), fontsize=style.font_size)
        fig.supylabel(st.label(first[Y]), fontsize=style.font_size)
        fig.suptitle(title, fontsize=style.font_size + 1)
        st.save(fig, out)


def heat1d(ds: xr.Dataset, style: st.Style, out: Path) -> None:
    _space_time(ds["u"], style, "heat1d reference: u_t = k u_xx (TR-BDF2)", out)


def nls(ds: xr.Dataset, style: st.Style, out: Path) -> None:
    _space_time(ds["h_abs"], style, "nls reference: |h(t, x)| (split-step Fourier)", out)


def poisson(ds: xr.Dataset, style: st.Style, out: Path, n_samples: int = 2) -> None:
    rows = [(f"sample {i}", [(st.label(ds[name], name), ds[name].isel({SAMPLE: i}))
                             for name in ("rho", "phi", "Ex", "Ey")])
            for i in range(min(n_samples, ds.sizes[SAMPLE]))]
    boundary = "φ = 0 on the boundary" if dataset_params(ds).get("boundary") == "dirichlet" else "periodic"
    _lattice(rows, style, f"poisson reference: ∇²φ = −ρ/ε₀, E = −∇φ, {boundary}", out)


def heat2d(ds: xr.Dataset, style: st.Style, out: Path, n_samples: int = 2, n_times: int = 4) -> None:
    times = np.linspace(0, ds.sizes[T] - 1, n_times).round().astype(int)
    rows = [(f"sample {i}", [(f"u, t = {float(ds[T][j]):.3g}", ds["u"].isel({SAMPLE: i, T: j})) for j in times])
            for i in range(min(n_samples, ds.sizes[SAMPLE]))]
    _lattice(rows, style, f"heat2d reference: u_t = k ∇²u, exact lattice evolution; {st.label(ds['u'])}", out)


PLOTS = {"heat1d": heat1d, "nls": nls, "poisson": poisson, "heat2d": heat2d}


def quicklook(problem: str, ds: xr.Dataset, out: str | Path, style: st.Style | None = None) -> Path:
    """Draw the quick-look figure of ``problem``'s dataset and save it as PNG at ``out``.

    A reference holding NaN or Inf raises :class:`~nnphys.io.DataError` (naming file and variable)
    rather than drawing a figure with holes: it is the first reader of every reference.
    """
    if problem not in PLOTS:
        raise ValueError(f"no quick-look figure for problem {problem!r}; known: {', '.join(PLOTS)}")
    require_finite(ds)
    out = Path(out)
    PLOTS[problem](ds, style or st.Style(), out)
    return out
