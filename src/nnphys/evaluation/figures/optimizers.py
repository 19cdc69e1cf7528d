"""The figure of one optimizer comparison (:mod:`nnphys.evaluation.optimizers`).

- ``training``: the training loss (a, b) and the validation or reference error (c, d) of every compared run,
  against the epoch (PINN: full-batch step) on the left and the training wall time on the right, one line per
  run, labelled with its optimizer and schedule and its final test error; NLS runs add the error of the complex
  field h (dashed) to that of |h| (solid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from nnphys.evaluation import style as st
from nnphys.evaluation.figures.common import finite_positive, naming, outputs
from nnphys.evaluation.optimizers import AXES, read_run
from nnphys.evaluation.tables import headline_metric
from nnphys.io import DataError


def optimizer_figures(name: str, folders: Sequence[str | Path], headline: Mapping[str, str], out_dir: str | Path,
                      style: st.Style) -> None:
    """Write the training figure (PNG and PDF) of the comparison ``name`` of the runs in ``folders``."""
    with naming(name):
        runs = [read_run(f) for f in folders]
        stages = {r.stage for r in runs}
        if len(stages) != 1:
            raise DataError(f"compares runs of different stages {sorted(stages)}: {[str(f) for f in folders]}")
        epoch_label, loss_label, error_label = AXES[stages.pop()]
        with st.figure(style, st.TEXT_IN, 5.2, nrows=2, ncols=2, sharex="col", sharey="row") as (fig, axes):
            for i, r in enumerate(runs):
                metric = headline_metric(r.result["problem"], r.result["metrics"], headline)
                final = f"; test {r.result['metrics'][metric]:.2g}" if metric else ""
                for col, x in enumerate((r.epoch, r.wall)):
                    for row, y in enumerate((r.loss, r.error)):
                        ok = finite_positive(y)
                        axes[row, col].plot(x[ok], y[ok], color=f"C{i}", marker="." if ok.sum() < 40 else None,
                                            ms=3, label=f"{r.run}: {r.optimizer}{final}")
                    if r.complex_error is not None:
                        ok = finite_positive(r.complex_error)
                        axes[1, col].plot(x[ok], r.complex_error[ok], color=f"C{i}", ls="--", lw=0.8)
            for row, label in enumerate((loss_label, error_label)):
                axes[row, 0].set_ylabel(f"{label} [-]")
                for ax in axes[row]:
                    ax.set_yscale("log")
            axes[1, 0].set_xlabel(f"{epoch_label} [-]")
            axes[1, 1].set_xlabel("training wall time [s]")
            fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=1)
            fig.suptitle(f"{name}: {runs[0].result['problem']}", fontsize=style.font_size)
            st.panel_letters(axes)
            st.save(fig, *outputs(out_dir, "training"))
