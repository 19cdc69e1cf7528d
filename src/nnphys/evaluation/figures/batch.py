"""Every figure of the report, drawn in one process by a pool of workers: the runs', the summary, the references'.

One job draws them all: a job per run paid ~1.5 s of imports (xarray, matplotlib, scipy) to draw for
~3 s, so a regeneration of the report's figures spent a third of its time importing. The workers are
forked after the imports and each draws whole runs (its three figures), the slowest first, then the
references' quick-looks and the summary.

A run folder is ``<results>/<stage>/<problem>/<run>/`` with ``prediction.nc``, ``history.nc`` and
``metrics.json`` (stage ``pinn`` or ``operator``); a PINN run also reads its problem's reference
dataset, ``references[problem]``. Figures go to ``<out_dir>/<stage>/<problem>/<run>/<name>.{png,pdf}``
and ``<out_dir>/summary.{png,pdf}``; each :class:`QuickLook` to its own PNG.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from nnphys.evaluation import style as st
from nnphys.evaluation.figures import operator, pinn
from nnphys.evaluation.figures.summary import summary_figure
from nnphys.evaluation.quicklook import quicklook
from nnphys.io import DataError, read_dataset

STAGES = ("pinn", "operator")
SUMMARY = "summary"


@dataclass(frozen=True)
class Options:
    """What the figures show beyond the style: PINN slices per problem, operator test samples, summary metrics."""

    slices: Mapping[str, pinn.Slices] = field(default_factory=dict)
    samples: int = 3
    headline: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QuickLook:
    """A reference dataset's quick-look: the physics problem it solves, the dataset file, the PNG to write."""

    problem: str
    dataset: Path
    out: Path


def stage_of(run_dir: Path) -> str:
    """The stage of a run folder ``.../<stage>/<problem>/<run>``; :class:`DataError` for another layout."""
    stage = run_dir.parts[-3] if len(run_dir.parts) >= 3 else ""
    if stage not in STAGES:
        raise DataError(f"{run_dir}: not a run folder <results>/<stage>/<problem>/<run> with stage one of {STAGES}")
    return stage


def draw(task: str | QuickLook, run_dirs: Sequence[Path], references: Mapping[str, Path], out_dir: Path,
         style: st.Style, options: Options) -> None:
    """Draw one task: a run folder's figures, a quick-look, or (``SUMMARY``) the summary of all runs."""
    if isinstance(task, QuickLook):
        quicklook(task.problem, read_dataset(task.dataset), task.out, style)
        return
    if task == SUMMARY:
        summary_figure([d / "metrics.json" for d in run_dirs], options.headline, out_dir, style)
        return
    run_dir = Path(task)
    stage, problem, name = stage_of(run_dir), run_dir.parts[-2], run_dir.parts[-1]
    figures = out_dir / stage / problem / name
    if stage == "operator":
        operator.operator_figures(f"{problem}/{name}", run_dir / "prediction.nc", run_dir / "history.nc",
                                  run_dir / "metrics.json", figures, style, options.samples)
    elif problem not in references:
        raise DataError(f"{run_dir}: no reference dataset given for PINN problem {problem!r} "
                        f"(given for: {sorted(references)})")
    else:
        pinn.pinn_figures(f"{problem}/{name}", run_dir / "prediction.nc", run_dir / "history.nc",
                          references[problem], figures, style, options.slices.get(problem, pinn.Slices()))


def draw_all(run_dirs: Sequence[str | Path], references: Mapping[str, str | Path], out_dir: str | Path,
             style: st.Style, options: Options, workers: int = 1, quicklooks: Sequence[QuickLook] = ()) -> None:
    """Every run's figures, the summary and the ``quicklooks``, ``workers`` processes at a time (1: in this process).

    The longest tasks go first, so that the workers finish together: the summary and the PINN runs (three
    figures of up to six panels each), then the operator runs, the quick-looks (one small figure each) last.
    The first failure is raised once the other tasks have finished.
    """
    run_dirs = [Path(d) for d in run_dirs]
    for d in run_dirs:
        stage_of(d)
    tasks: list[str | QuickLook] = [SUMMARY] if run_dirs else []
    tasks += [str(d) for d in sorted(run_dirs, key=lambda d: stage_of(d) != "pinn")] + [*quicklooks]
    job = partial(draw, run_dirs=run_dirs, references={p: Path(r) for p, r in references.items()},
                  out_dir=Path(out_dir), style=style, options=options)
    workers = max(1, min(workers, len(tasks)))
    if workers == 1:
        for task in tasks:
            job(task)
        return
    # fork: the workers inherit the imports (the point of one process); spawn would import again
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(job, task) for task in tasks]
    for future in futures:
        future.result()
