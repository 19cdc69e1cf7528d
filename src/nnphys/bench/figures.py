"""Benchmark: what the report's figures cost to draw, per figure and per format.

    python -m nnphys.bench figures [--results results] [--rc '{"pdf.fonttype": 3}']
                                   [--out results/bench/figures.json]

Draws every run's figures under ``--results`` (each PINN and operator run folder with a
``prediction.nc``; PINN slices at the default times) the way the report stage does, in one
process, into a temporary folder, and times each ``savefig``: the PNG and the PDF apart (the
layout is solved for the PNG; the PDF reuses it). ``--rc`` adds matplotlib settings on top of the
report's style, to time an alternative (Type 3 fonts, no constrained layout, ...). Also timed, in
a fresh interpreter: the imports every figure job pays before it draws. Wall-clock seconds, one
run, on whatever else the machine is doing.
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

from nnphys.io import write_json

IMPORTS = "import nnphys.cli, nnphys.evaluation.figures.operator, nnphys.evaluation.figures.pinn"


def import_seconds() -> float:
    """Wall time of a fresh interpreter importing what a figure job imports."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], check=True)
    return time.perf_counter() - t0


def predictions(results: Path) -> list[Path]:
    """Every PINN and operator run's prediction file under ``results``."""
    return sorted(p for stage in ("pinn", "operator") for p in results.glob(f"{stage}/*/*/prediction.nc"))


def draw_all(results: Path, out: Path, rc: dict) -> dict[str, dict[str, float]]:
    """Draw every run's figures; {run: {"<figure>.<png|pdf>": seconds}}."""
    import matplotlib.figure

    from nnphys.evaluation import style as st
    from nnphys.evaluation.figures import operator, pinn
    from nnphys.pinn.problems import PHYSICS

    style = st.Style()
    if rc:
        base = st.Style.rc
        st.Style.rc = lambda self: base(self) | rc
    times: dict[str, dict[str, float]] = defaultdict(dict)
    current = [""]
    savefig = matplotlib.figure.Figure.savefig

    def timed(fig, path, *args, **kwargs):
        t0 = time.perf_counter()
        savefig(fig, path, *args, **kwargs)
        times[current[0]][Path(path).name] = time.perf_counter() - t0

    matplotlib.figure.Figure.savefig = timed
    try:
        for prediction in predictions(results):
            folder = prediction.parent
            stage, problem, name = folder.parts[-3:]
            run = current[0] = f"{stage}/{problem}/{name}"
            if stage == "operator":
                operator.operator_figures(run, prediction, folder / "history.nc", folder / "metrics.json",
                                          out / run, style, 3)
            else:
                pinn.pinn_figures(run, prediction, folder / "history.nc",
                                  results / "reference" / f"{PHYSICS[problem]}.nc", out / run, style, pinn.Slices())
    finally:
        matplotlib.figure.Figure.savefig = savefig
        if rc:
            st.Style.rc = base
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
    if not predictions(args.results):
        raise SystemExit(f"error: no run with a prediction.nc under {args.results}/<stage>/<problem>/<run>/: "
                         "run the workflow first")
    imports = import_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        times = draw_all(args.results, Path(tmp), args.rc)
        total = time.perf_counter() - t0
    result = {"results": str(args.results), "rc": args.rc, "python": platform.python_version(),
              "import_seconds": imports, "draw_seconds": total, "save_seconds": summarize(times), "runs": times}
    write_json(args.out, result)
    saves = result["save_seconds"]
    print(f"wrote {args.out}: {len(times)} runs drawn in {total:.1f} s (savefig: PNG {saves.get('all.png', 0):.1f} s, "
          f"PDF {saves.get('all.pdf', 0):.1f} s); imports of a figure job {imports:.1f} s")


if __name__ == "__main__":
    main()
