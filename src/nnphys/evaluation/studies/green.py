"""Green's function study, report side: from each Poisson run's ``green.nc`` and ``green.json``
(:mod:`nnphys.neural_operator.green`) a table over the runs and figures (config studies.green; README, Studies).

- ``green.csv``, ``green.md``: per run, rel. L2 of the point-charge response and of the scaled saliency
  against the lattice Green's function G, over the lattice, near the source and in the far field.
- ``<run>`` (PNG, PDF): one row per source position: G, the learned response, response - G, the saliency
  d phi(r0)/d rho / h^2, saliency - G.
- ``profile``: |response - G| and |saliency - G| averaged over rings of equal distance from the source (in
  cells, minimum image when periodic), relative to max |G|, mean over positions; one colour per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from nnphys.evaluation import style as st
from nnphys.evaluation.tables import fmt, markdown_table
from nnphys.io import X, Y, DataError, read_dataset, read_json

REGIONS = ("all", "near", "far")
COLUMNS = [f"{kind}_rel_l2_{r}" for kind in ("response", "saliency") for r in REGIONS]


def load(green: str | Path, metrics: str | Path):
    ds = read_dataset(green, {v: ("position", X, Y) for v in ("G", "response", "saliency", "distance")}, finite=True)
    return ds, read_json(metrics, required=("run", "metrics"))


def table(results: Sequence[dict]) -> pd.DataFrame:
    rows = []
    for r in results:
        missing = [c for c in COLUMNS if c not in r["metrics"]]
        if missing:
            raise DataError(f"run {r['run']}: green.json lacks {missing}")
        rows.append({"run": r["run"], **{c: r["metrics"][c] for c in COLUMNS}})
    return pd.DataFrame(rows, columns=["run", *COLUMNS])


def markdown(df: pd.DataFrame, near: float) -> str:
    header = ["run", *(f"{k} {r}" for k in ("response", "saliency") for r in ("(all)", "(near)", "(far)"))]
    rows = [[r.run, *(fmt(getattr(r, c)) for c in COLUMNS)] for r in df.itertuples()]
    return ("# Green's function study\n\nRel. L2 error against the lattice Green's function G of the response to a "
            "unit point charge and of the saliency map d phi(r0)/d rho / h^2, mean over the source positions; "
            f"near: within {near:g} cells of the source, far: beyond.\n\n" + markdown_table(rows, header))


def ring_profile(err: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance, mean of ``err`` over the ring) for integer rings round(distance) = 0, 1, ..."""
    ring = np.rint(dist).astype(int).ravel()
    count = np.bincount(ring)
    mean = np.bincount(ring, err.ravel()) / np.maximum(count, 1)
    keep = count > 0
    return np.arange(len(count))[keep], mean[keep]


def run_figure(ds, run: str, style: st.Style, out_dir: Path) -> None:
    m = ds.sizes["position"]
    titles = ["exact G", "learned response", "saliency / h²", "response − G", "saliency − G"]
    extent = (float(ds[X][0]), float(ds[X][-1]), float(ds[Y][0]), float(ds[Y][-1]))
    with st.figure(style, st.TEXT_IN, 1.45 * m + 0.5, nrows=m, ncols=len(titles), squeeze=False,
                   sharex=True, sharey=True) as (fig, axes):
        for k, row in enumerate(axes):
            g, resp, sal = ds.G[k].values, ds.response[k].values, ds.saliency[k].values
            panels = [g, resp, sal, resp - g, sal - g]
            lim = float(np.abs(g).max())
            err_lim = float(np.abs(np.stack(panels[3:])).max()) or 1.0
            for col, (ax, field) in enumerate(zip(row, panels)):
                m_ = lim if col < 3 else err_lim
                im = ax.imshow(field.T, origin="lower", extent=extent, cmap=style.diverging_cmap,
                               vmin=-m_, vmax=m_, interpolation="nearest")
                ax.plot(float(ds[X][int(ds.i0[k])]), float(ds[Y][int(ds.j0[k])]), "k+", ms=5)
                if col in (2, 4):
                    fig.colorbar(im, ax=row[:3] if col == 2 else row[3:], shrink=0.85, format="%.2g")
            row[0].set_ylabel(st.label(ds[Y]))
        for ax, title in zip(axes[0], titles):
            ax.set_title(title, fontsize=style.font_size - 1)
        fig.supxlabel(st.label(ds[X]), fontsize=style.font_size)
        fig.suptitle(f"{run}: unit point charge and saliency against the lattice Green's function "
                     f"[{ds.G.attrs.get('units', '-')}]", fontsize=style.font_size)
        st.save(fig, out_dir / f"{run}.png", out_dir / f"{run}.pdf")


def profile_figure(datasets: Sequence, runs: Sequence[str], style: st.Style, out_dir: Path) -> None:
    with st.figure(style, st.TEXT_IN / 2 + 0.5, 2.6) as (fig, ax):
        for i, (ds, run) in enumerate(zip(datasets, runs)):
            for key, ls in (("response", "-"), ("saliency", "--")):
                curves = []
                for k in range(ds.sizes["position"]):
                    g = ds.G[k].values
                    d, e = ring_profile(np.abs(ds[key][k].values - g) / np.abs(g).max(), ds.distance[k].values)
                    curves.append((d, e))
                d = curves[0][0]
                e = np.mean([c[1][:len(d)] for c in curves if len(c[1]) >= len(d)], axis=0)
                ax.semilogy(d, e, color=f"C{i}", ls=ls, label=run if key == "response" else None)
        ax.plot([], [], color="k", ls="-", label="point-charge response")
        ax.plot([], [], color="k", ls="--", label="saliency")
        ax.set_xlabel("distance from the source [cells]")
        ax.set_ylabel("|error| / max |G| (ring mean) [-]")
        ax.legend(fontsize=style.font_size - 2)
        st.save(fig, out_dir / "profile.png", out_dir / "profile.pdf")


def write(greens: Sequence[str | Path], metrics: Sequence[str | Path], out_dir: str | Path, style: st.Style) -> None:
    """green.csv, green.md, a figure per run and the profile figure in ``out_dir``."""
    if len(greens) != len(metrics):
        raise DataError(f"{len(greens)} green.nc files for {len(metrics)} green.json files")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    loaded = [load(g, m) for g, m in zip(greens, metrics)]
    results = [r for _, r in loaded]
    df = table(results)
    df.to_csv(out_dir / "green.csv", index=False, float_format="%.6g")
    near = float(loaded[0][0].attrs.get("near_cells", np.nan)) if loaded else np.nan
    (out_dir / "green.md").write_text(markdown(df, near))
    for ds, r in loaded:
        run_figure(ds, r["run"], style, out_dir)
    profile_figure([ds for ds, _ in loaded], [r["run"] for r in results], style, out_dir)
