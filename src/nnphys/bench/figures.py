"""Benchmark: what the report's figures cost to draw, per figure and per format.

    python -m nnphys.bench figures [--results results] [--rc '{"pdf.fonttype": 3}']
                                   [--out results/bench/figures.json]

Draws every run's figures under ``--results`` (each PINN and operator run folder with a
``prediction.nc``; PINN slices at the default times) and the summary, as the report's figure job
does, into a temporary folder: first in one process, timing each ``savefig`` (the PNG and the PDF
apart; the layout is solved for the PNG, the PDF reuses it), then again with a worker per usable CPU,
timing the whole. ``--rc`` adds matplotlib settings on top of the report's style, to time an
alternative (Type 3 fonts, no constrained layout, ...). Also timed, in a fresh interpreter: the
imports the figure job pays before it draws. Wall-clock seconds, one run, on whatever else the
machine is doing.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from nnphys.cpus import usable_cpus
from nnphys.io import write_json

IMPORTS = "import nnphys.cli, nnphys.evaluation.figures.batch"


def import_seconds() -> float:
    """Wall time of a fresh interpreter importing what a figure job imports."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], check=True)
    return time.perf_counter() - t0


def run_dirs(results: Path) -> list[Path]:
    """Every PINN and operator run folder under ``results`` that has a ``prediction.nc``."""
    return sorted(p.parent for stage in ("pinn", "operator") for p in results.glob(f"{stage}/*/*/prediction.nc"))


def draw(results: Path, out: Path, rc: dict, workers: int) -> None:
    """Every run's figures and the summary, as the report's figure job draws them (default PINN slices)."""
    from nnphys.evaluation import style as st
    from nnphys.evaluation.figures.batch import Options, draw_all
    from nnphys.pinn.problems import PHYSICS

    references = {p: results / "reference" / f"{physics}.nc" for p, physics in PHYSICS.items()}
    base = st.Style.rc
    st.Style.rc = lambda self: base(self) | rc
    try:
        draw_all(run_dirs(results), references, out, st.Style(), Options(), workers)
    finally:
        st.Style.rc = base


def timed_saves(results: Path, out: Path, rc: dict) -> dict[str, dict[str, float]]:
    """Draw in this process, timing every ``savefig``: {"<stage>/<problem>/<run>" or "summary": {file: seconds}}."""
    import matplotlib.figure

    times: dict[str, dict[str, float]] = defaultdict(dict)
    savefig = matplotlib.figure.Figure.savefig

    def timed(fig, path, *args, **kwargs):
        t0 = time.perf_counter()
        savefig(fig, path, *args, **kwargs)
        run = str(Path(path).parent.relative_to(out)) if Path(path).parent != out else "summary"
        times[run][Path(path).name] = time.perf_counter() - t0

    matplotlib.figure.Figure.savefig = timed
    try:
        draw(results, out, rc, workers=1)
    finally:
        matplotlib.figure.Figure.savefig = savefig
    return dict(times)


def summarize(times: dict[str, dict[str, float]]) -> dict[str, float]:
    """Seconds summed by figure name and format (``samples.png``, ...), by format, and in all."""
    out: dict[str, float] = defaultdict(float)
    for saves in times.values():
        for name, seconds in saves.items():
            out[name] += seconds
            out[f"all.{name.rsplit('.', 1)[-1]}"] += seconds
            out["all"] += seconds
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m nnphys.bench figures", description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, default=Path("results"), help="a finished run's results folder")
    ap.add_argument("--rc", type=json.loads, default={}, help="matplotlib settings on top of the style, as JSON")
    ap.add_argument("--out", type=Path, default=Path("results/bench/figures.json"))
    args = ap.parse_args(argv)
    if not run_dirs(args.results):
        raise SystemExit(f"error: no run with a prediction.nc under {args.results}/<stage>/<problem>/<run>/: "
                         "run the workflow first")
    imports = import_seconds()
    workers = usable_cpus()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        times = timed_saves(args.results, Path(tmp) / "one", args.rc)
        total = time.perf_counter() - t0
        t0 = time.perf_counter()
        draw(args.results, Path(tmp) / "pool", args.rc, workers)
        parallel = time.perf_counter() - t0
    result = {"results": str(args.results), "rc": args.rc, "python": platform.python_version(),
              "import_seconds": imports, "draw_seconds": total, "workers": workers,
              "draw_seconds_workers": parallel, "save_seconds": summarize(times), "runs": times}
    write_json(args.out, result)
    saves = result["save_seconds"]
    print(f"wrote {args.out}: {len(times) - 1} runs and the summary drawn in {total:.1f} s in one process (savefig: "
          f"PNG {saves.get('all.png', 0):.1f} s, PDF {saves.get('all.pdf', 0):.1f} s), in {parallel:.1f} s by "
          f"{workers} workers; imports of the figure job {imports:.1f} s")


if __name__ == "__main__":
    main()
