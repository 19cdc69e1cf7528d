# Symmetry study (config studies.symmetry): plain, augmented and D4-equivariant operators against the number of
# training samples. The runs are ordinary operator runs (trained, evaluated and cached by operator.smk); this
# rule only tabulates and draws their metrics. Inputs: studies_inputs.smk.

rule symmetry:
    # Target: the symmetry study's table and figure.
    input:
        f"{SYMMETRY}/symmetry.csv",


rule study_symmetry:
    input:
        lambda w: [run_file("operator", config["studies"]["symmetry"]["task"], r, "metrics.json")
                   for r, _ in symmetry_runs()],
    output:
        csv=f"{SYMMETRY}/symmetry.csv",
        md=f"{SYMMETRY}/symmetry.md",
        png=report(f"{SYMMETRY}/symmetry.png", caption="../report/study_symmetry.rst", category="Studies"),
        pdf=f"{SYMMETRY}/symmetry.pdf",
    params:
        runs=lambda w: as_json([r for _, r in symmetry_runs()]),
        style=style_json(),
        out_dir=lambda w, output: os.path.dirname(output.csv),
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/studies/symmetry.log",
    benchmark:
        f"{BENCH}/studies/symmetry.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys study-symmetry --metrics {input:q} --runs {params.runs:q} --style {params.style:q} "
        "--out-dir {params.out_dir:q} > {log:q} 2>&1"
