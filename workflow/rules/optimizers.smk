# Training comparisons (config section optimizers): runs of one problem trained with other optimizers, schedules
# or epochs, or of other architectures (the optimizers and operator-study presets), read from their history.nc
# and metrics.json (never a model.pt): one figure per comparison, figures/optimizers/<name>/training.png, and the
# table optimizers.csv, optimizers.md. The runs are ordinary
# runs of pinn.runs and operator.runs (nnphys.studies), so a default run compared is reused.

include: "optimizers_inputs.smk"


rule optimizer_figures:
    wildcard_constraints:
        name=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    input:
        lambda w: compared_files([w.name]),
    output:
        **figure_files(f"{FIGURES}/optimizers/{{name}}", OPTIMIZER_FIGURES, "optimizers", {"comparison": "{name}"},
                       category="Optimizers"),
    params:
        runs=lambda w: compared_runs(w.name),
        headline=as_json(config["report"]["headline"]),
        style=style_json(),
        out_dir=lambda w, output: os.path.dirname(output[0]),
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/report/optimizers/{{name}}.log",
    benchmark:
        f"{BENCH}/report/optimizers/{{name}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys figures optimizers --run {wildcards.name:q} --runs {params.runs:q} "
        "--headline {params.headline:q} --style {params.style:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule optimizer_tables:
    input:
        compared_files(optimizer_groups()),
    output:
        csv=report(f"{REPORT}/optimizers.csv", caption="../report/optimizers_table.rst", category="Tables"),
        md=f"{REPORT}/optimizers.md",
    params:
        groups=as_json({name: compared_runs(name) for name in optimizer_groups()}),
        headline=as_json(config["report"]["headline"]),
        reach=as_json({name: c["reach"] for name, c in config["optimizers"].items()}),
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/report/optimizer_tables.log",
    benchmark:
        f"{BENCH}/report/optimizer_tables.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys optimizer-tables --groups {params.groups:q} --headline {params.headline:q} "
        "--reach {params.reach:q} --csv {output.csv:q} --md {output.md:q} > {log:q} 2>&1"
