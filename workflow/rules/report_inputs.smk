# Report stage, input functions: which runs there are and which files the report makes of them.
#
# The report jobs read predictions, histories, metrics and references, never a model.pt, so
# changing a `report` option (dpi, colormaps, slice times, ...) reruns only these jobs, and
# `snakemake figures` after a full run executes no training or reference job.
# The runs come from the files pinn_outputs() and operator_outputs() ask rule all for
# ({RESULTS}/<kind>/<problem>/<run>/...), so the report follows whatever runs the config defines.
import os
import re

from nnphys.evaluation.figures import FORMATS, OPERATOR, PINN

REPORT = f"{RESULTS}/report"
FIGURES = f"{REPORT}/figures"


def stage_runs(kind, outputs):
    """(problem, run) pairs of a stage, in config order, from the paths its rule all targets."""
    pattern = re.compile(rf"^{re.escape(RESULTS)}/{kind}/([^/]+)/([^/]+)/")
    return list(dict.fromkeys(m.groups() for m in map(pattern.match, map(str, outputs)) if m))


def run_file(kind, problem, run, name):
    return f"{RESULTS}/{kind}/{problem}/{run}/{name}"


def all_metrics():
    return [run_file("pinn", p, r, "metrics.json") for p, r in stage_runs("pinn", pinn_outputs())] + [
        run_file("operator", p, r, "metrics.json") for p, r in stage_runs("operator", operator_outputs())
    ]


def figure_outputs(kind, names):
    """PNG (in the HTML report, captioned) and PDF of each figure of one run."""
    out = {}
    for name in names:
        stem = f"{FIGURES}/{kind}/{{problem}}/{{run}}/{name}"
        out[f"{name}_png"] = report(
            f"{stem}.png",
            caption=f"../report/{kind}_{name}.rst",
            category="PINNs" if kind == "pinn" else "Neural operators",
            subcategory="{problem}",
            labels={"run": "{run}", "figure": name},
        )
        out[f"{name}_pdf"] = f"{stem}.pdf"
    return out


def report_figures():
    pinn = [f"{FIGURES}/pinn/{p}/{r}/{n}.{f}" for p, r in stage_runs("pinn", pinn_outputs())
            for n in PINN for f in FORMATS]
    operator = [f"{FIGURES}/operator/{p}/{r}/{n}.{f}" for p, r in stage_runs("operator", operator_outputs())
                for n in OPERATOR for f in FORMATS]
    summary = [f"{FIGURES}/summary.{f}" for f in FORMATS] if all_metrics() else []
    return pinn + operator + summary


def report_outputs():
    tables = [f"{REPORT}/errors.csv", f"{REPORT}/errors_summary.csv", f"{REPORT}/errors.md"] if all_metrics() else []
    return tables + report_figures() + [f"{REPORT}/summary.html", f"{REPORT}/summary.md"]
