# Report stage: error tables, figures and the run summary, from saved files only.
#
# Every rule here reads predictions, histories, metrics and references, never a model.pt:
# changing a `report:` option (dpi, colormaps, slice times, ...) reruns only these jobs, and
# `snakemake figures` after a full run executes no training or reference job.
# The runs come from the files pinn_outputs() and operator_outputs() ask rule all for
# ({RESULTS}/<kind>/<problem>/<run>/...), so the report follows whatever runs the config defines.
import os
import re

from nnphys.evaluation.figures import FORMATS, OPERATOR, PINN

REPORT = f"{RESULTS}/report"
FIGURES = f"{REPORT}/figures"
STYLE_KEYS = ("dpi", "font_size", "cmap", "diverging_cmap", "error_cmap")
FIGURE_CODE = ("evaluation/style.py", "evaluation/figures/__init__.py", "evaluation/figures/common.py", "io.py")


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


def style_json():
    return as_json({k: config["report"][k] for k in STYLE_KEYS})


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


rule figures:
    # Target: every table and figure, regenerated from saved results (no training).
    input:
        report_outputs(),


rule report_tables:
    input:
        all_metrics(),
    output:
        csv=report(f"{REPORT}/errors.csv", caption="../report/errors.rst", category="Tables"),
        summary_csv=report(f"{REPORT}/errors_summary.csv", caption="../report/errors_summary.rst",
                           category="Tables"),
        md=f"{REPORT}/errors.md",
    params:
        headline=as_json(config["report"]["headline"]),
        code=fingerprint("evaluation/tables.py", "io.py"),
    log:
        f"{LOGS}/report/tables.log",
    benchmark:
        f"{BENCH}/report/tables.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys tables --metrics {input:q} --headline {params.headline:q} --csv {output.csv:q} "
        "--summary-csv {output.summary_csv:q} --md {output.md:q} > {log:q} 2>&1"


rule pinn_figures:
    wildcard_constraints:
        problem="[^/]+",
        run="[^/]+",
    input:
        prediction=run_file("pinn", "{problem}", "{run}", "prediction.nc"),
        history=run_file("pinn", "{problem}", "{run}", "history.nc"),
        reference=lambda w: f"{RESULTS}/reference/{PINN_PHYSICS[w.problem]}.nc",
    output:
        **figure_outputs("pinn", PINN),
    params:
        style=style_json(),
        slices=lambda w: as_json(config["report"]["slices"].get(w.problem, {})),
        out_dir=lambda w, output: os.path.dirname(output[0]),
        code=fingerprint("evaluation/figures/pinn.py", *FIGURE_CODE),
    log:
        f"{LOGS}/report/pinn/{{problem}}/{{run}}.log",
    benchmark:
        f"{BENCH}/report/pinn/{{problem}}/{{run}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys figures pinn --run {wildcards.problem}/{wildcards.run} --prediction {input.prediction:q} "
        "--history {input.history:q} --reference {input.reference:q} --style {params.style:q} "
        "--slices {params.slices:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule operator_figures:
    wildcard_constraints:
        problem="[^/]+",
        run="[^/]+",
    input:
        prediction=run_file("operator", "{problem}", "{run}", "prediction.nc"),
        history=run_file("operator", "{problem}", "{run}", "history.nc"),
        metrics=run_file("operator", "{problem}", "{run}", "metrics.json"),
    output:
        **figure_outputs("operator", OPERATOR),
    params:
        style=style_json(),
        samples=config["report"]["samples"],
        out_dir=lambda w, output: os.path.dirname(output[0]),
        code=fingerprint("evaluation/figures/operator.py", "evaluation/figures/pinn.py", *FIGURE_CODE),
    log:
        f"{LOGS}/report/operator/{{problem}}/{{run}}.log",
    benchmark:
        f"{BENCH}/report/operator/{{problem}}/{{run}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys figures operator --run {wildcards.problem}/{wildcards.run} "
        "--prediction {input.prediction:q} --history {input.history:q} --metrics {input.metrics:q} "
        "--style {params.style:q} --samples {params.samples} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule summary_figure:
    input:
        all_metrics(),
    output:
        png=report(f"{FIGURES}/summary.png", caption="../report/summary_figure.rst", category="Summary"),
        pdf=f"{FIGURES}/summary.pdf",
    params:
        style=style_json(),
        headline=as_json(config["report"]["headline"]),
        out_dir=FIGURES,
        code=fingerprint("evaluation/figures/summary.py", "evaluation/tables.py", *FIGURE_CODE),
    log:
        f"{LOGS}/report/summary_figure.log",
    benchmark:
        f"{BENCH}/report/summary_figure.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys figures summary --metrics {input:q} --headline {params.headline:q} "
        "--style {params.style:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule report_summary:
    # Runs last: after every other output exists, so every stage's benchmark file is there to read.
    input:
        metrics=all_metrics(),
        done=reference_outputs() + pinn_outputs() + operator_outputs() + report_figures(),
    output:
        html=report(f"{REPORT}/summary.html", caption="../report/summary.rst", category="Summary"),
        md=f"{REPORT}/summary.md",
    params:
        cfg=as_json(config),
        bench=BENCH,
        code=fingerprint("evaluation/report.py", "evaluation/tables.py", "io.py"),
    log:
        f"{LOGS}/report/summary.log",
    benchmark:
        f"{BENCH}/report/summary.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys summary --metrics {input.metrics:q} --bench {params.bench:q} --config {params.cfg:q} "
        "--html {output.html:q} --md {output.md:q} > {log:q} 2>&1"
