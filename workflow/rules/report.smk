# Report stage: error tables, figures and the run summary, from saved files only (never a model.pt).
# Which runs and files: report_inputs.smk.


include: "report_inputs.smk"


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
        code=fingerprint("report"),
    threads: SINGLE_THREAD
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
        problem="|".join(PINN_PROBLEMS),
        run=RUN_NAME.pattern,
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
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/report/pinn/{{problem}}/{{run}}.log",
    benchmark:
        f"{BENCH}/report/pinn/{{problem}}/{{run}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys figures pinn --run {wildcards.problem:q}/{wildcards.run:q} --prediction {input.prediction:q} "
        "--history {input.history:q} --reference {input.reference:q} --style {params.style:q} "
        "--slices {params.slices:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule operator_figures:
    wildcard_constraints:
        problem="|".join(OPERATOR_TASKS),
        run=RUN_NAME.pattern,
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
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/report/operator/{{problem}}/{{run}}.log",
    benchmark:
        f"{BENCH}/report/operator/{{problem}}/{{run}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys figures operator --run {wildcards.problem:q}/{wildcards.run:q} "
        "--prediction {input.prediction:q} --history {input.history:q} --metrics {input.metrics:q} "
        "--style {params.style:q} --samples {params.samples:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule summary_figure:
    input:
        all_metrics(),
    output:
        png=report(f"{FIGURES}/summary.png", caption="../report/summary_figure.rst", category="Summary"),
        pdf=f"{FIGURES}/summary.pdf",
    params:
        style=style_json(),
        headline=as_json(config["report"]["headline"]),
        out_dir=lambda w, output: os.path.dirname(output.png),
        code=fingerprint("report"),
    threads: SINGLE_THREAD
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
        done=reference_outputs() + pinn_outputs() + operator_outputs() + report_figures() + study_outputs(),
    output:
        html=report(f"{REPORT}/summary.html", caption="../report/summary.rst", category="Summary"),
        md=f"{REPORT}/summary.md",
    params:
        cfg=as_json(config),
        bench=BENCH,
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/report/summary.log",
    benchmark:
        f"{BENCH}/report/summary.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys summary --metrics {input.metrics:q} --bench {params.bench:q} --config {params.cfg:q} "
        "--html {output.html:q} --md {output.md:q} > {log:q} 2>&1"
