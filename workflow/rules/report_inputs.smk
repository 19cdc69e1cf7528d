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


def figure_outputs(kind, names):
    """PNG (in the HTML report, captioned) and PDF of each figure of one run."""
    return figure_files(f"{FIGURES}/{kind}/{{problem}}/{{run}}", names, kind, {"run": "{run}"},
                        category="PINNs" if kind == "pinn" else "Neural operators", subcategory="{problem}")


def report_figures():
    names = {"pinn": PINN, "operator": OPERATOR}
    runs = [f"{FIGURES}/{stage}/{p}/{r}/{n}.{f}" for stage, pairs in stage_runs().items() for p, r in pairs
            for n in names[stage] for f in FORMATS]
    summary = [f"{FIGURES}/summary.{f}" for f in FORMATS] if all_metrics() else []
    return runs + summary


def report_outputs():
    tables = [f"{REPORT}/errors.csv", f"{REPORT}/errors_summary.csv", f"{REPORT}/errors.md"] if all_metrics() else []
    return tables + report_figures() + study_outputs() + [f"{REPORT}/summary.html", f"{REPORT}/summary.md"]


def study_outputs():
    """The studies' tables and figures (uq.smk, optimizers.smk): none unless the config asks for a study."""
    return uq_outputs() + optimizer_outputs()
