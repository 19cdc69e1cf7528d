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


rule draw_figures:
    # Every figure of the report in one job (runs, summary, reference quick-looks): one process's imports, a
    # pool of workers drawing.
    input:
        runs=figure_inputs(),
        references=reference_outputs(),
    output:
        report_figure_files(),
        [report(f, caption="../report/reference.rst", category="Reference") for f in quicklook_outputs()],
    params:
        runs=lambda w: [os.path.dirname(p) for p in all_metrics()],
        references=lambda w: as_json(figure_references()),
        quicklooks=as_json([{"problem": physics, "dataset": nc, "out": png} for physics, nc, png in
                            zip(REFERENCE_DATASETS.values(), reference_outputs(), quicklook_outputs())]),
        style=style_json(),
        slices=as_json(config["report"]["slices"]),
        samples=config["report"]["samples"],
        headline=as_json(config["report"]["headline"]),
        out_dir=lambda w: FIGURES,  # a callable: Snakemake's lint wants no hard-coded output prefix
        code=fingerprint("report"),
    threads: FIGURE_THREADS
    resources:
        # a resource, not a param: the CPU count must never rerun the job
        figure_workers=FIGURE_WORKERS,
    log:
        f"{LOGS}/report/figures.log",
    benchmark:
        f"{BENCH}/report/figures.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        # Each worker draws on one CPU. Snakemake sets the BLAS and OpenMP thread counts to the job's threads (8
        # under --cores 8 on two CPUs): every worker then ran 8 numpy threads, and the job took 21 s instead of 14.
        "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
        "python -m nnphys figures report --runs {params.runs:q} --references {params.references:q} "
        "--quicklooks {params.quicklooks:q} "
        "--style {params.style:q} --slices {params.slices:q} --samples {params.samples:q} "
        "--headline {params.headline:q} --workers {resources.figure_workers:q} --out-dir {params.out_dir:q} "
        "> {log:q} 2>&1"


rule report_summary:
    # Runs last: after every other output exists, so every stage's benchmark file is there to read.
    input:
        metrics=all_metrics(),
        done=reference_outputs() + pinn_outputs() + operator_outputs() + report_figures() + quicklook_outputs()
        + study_outputs(),
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
