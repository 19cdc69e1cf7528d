# Report stage, input functions: which runs there are and which files the report makes of them.
#
# The report jobs read predictions, histories, metrics and references, never a model.pt, so
# changing a `report` option (dpi, colormaps, slice times, ...) reruns only these jobs, and
# `snakemake figures` after a full run executes no training or reference job.
# The runs are those each training stage lists (pinn_runs(), operator_runs(): the package reads them
# from the config), so the report follows whatever runs the config defines.
import os

from nnphys.evaluation.figures import FORMATS, OPERATOR, PINN


def stage_runs():
    """Training stage -> its (problem, run) pairs, in config order."""
    return {"pinn": pinn_runs(), "operator": operator_runs()}


def all_metrics():
    return [run_file(stage, p, r, "metrics.json") for stage, runs in stage_runs().items() for p, r in runs]


def figure_inputs():
    """What the figures of every run read: its prediction, history and metrics."""
    return [run_file(stage, p, r, name) for stage, runs in stage_runs().items() for p, r in runs
            for name in ("prediction.nc", "history.nc", "metrics.json")]


def figure_references():
    """PINN problem -> the reference dataset its figures compare against, for the configured PINN runs."""
    return {p: f"{RESULTS}/reference/{PINN_PHYSICS[p]}.nc" for p, _ in pinn_runs()}


def report_figure_files():
    """Every run's figures (PNG in the HTML report, captioned; PDF) and the summary's, when there are runs."""
    names = {"pinn": PINN, "operator": OPERATOR}
    out = []
    for stage, runs in stage_runs().items():
        for p, r in runs:
            files = figure_files(f"{FIGURES}/{stage}/{p}/{r}", names[stage], stage, {"run": r},
                                 category="PINNs" if stage == "pinn" else "Neural operators", subcategory=p)
            out += files.values()
    if all_metrics():
        out += [report(f"{FIGURES}/summary.png", caption="../report/summary_figure.rst", category="Summary"),
                f"{FIGURES}/summary.pdf"]
    return out


def report_figures():
    """The paths of :func:`report_figure_files`."""
    return [str(f) for f in report_figure_files()]


def report_outputs():
    tables = [f"{REPORT}/errors.csv", f"{REPORT}/errors_summary.csv", f"{REPORT}/errors.md"] if all_metrics() else []
    return (tables + report_figures() + quicklook_outputs() + study_outputs()
            + [f"{REPORT}/summary.html", f"{REPORT}/summary.md"])


def study_outputs():
    """The studies' tables and figures (uq.smk, optimizers.smk): none unless the config asks for a study."""
    return uq_outputs() + optimizer_outputs()
