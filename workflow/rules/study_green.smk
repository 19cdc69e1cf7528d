# Green's function study (config studies.green): each trained Poisson model's response to unit point charges and
# its saliency maps (autograd), against the lattice Green's function of the reference solver. Reads model.pt and
# the reference; trains nothing. Inputs: studies_inputs.smk.


rule green:
    # Target: the Green's function study's table and figures.
    input:
        f"{GREEN}/green.csv",


rule operator_green:
    wildcard_constraints:
        run=RUN_NAME.pattern,
    input:
        model=run_file("operator", "poisson", "{run}", "model.pt"),
        reference=f"{RESULTS}/reference/poisson.nc",
    output:
        green=f"{GREEN}/poisson/{{run}}/green.nc",
        metrics=f"{GREEN}/poisson/{{run}}/green.json",
    params:
        study=lambda w: as_json({k: config["studies"]["green"][k] for k in ("positions", "near")}),
        device=config["device"],
        code=fingerprint("operator"),
        out=lambda w, output: os.path.dirname(output.green),
    threads: TORCH_THREADS
    resources:
        gpu=1,
        torch_threads=TORCH_RUNS,
    log:
        f"{LOGS}/studies/green/{{run}}.log",
    benchmark:
        f"{BENCH}/studies/green/{{run}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys operator-green --model {input.model:q} --reference {input.reference:q} "
        "--study {params.study:q} --out-dir {params.out:q} --device {params.device:q} "
        "--threads {resources.torch_threads:q} --fingerprint {params.code:q} > {log:q} 2>&1"


rule study_green:
    input:
        green=lambda w: [f"{GREEN}/poisson/{r}/green.nc" for r in green_runs()],
        metrics=lambda w: [f"{GREEN}/poisson/{r}/green.json" for r in green_runs()],
    output:
        csv=f"{GREEN}/green.csv",
        md=f"{GREEN}/green.md",
        profile=report(f"{GREEN}/profile.png", caption="../report/study_green_profile.rst", category="Studies"),
        profile_pdf=f"{GREEN}/profile.pdf",
        runs=report(expand(f"{GREEN}/{{run}}.png", run=green_runs()), caption="../report/study_green.rst",
                    category="Studies"),
        runs_pdf=expand(f"{GREEN}/{{run}}.pdf", run=green_runs()),
    params:
        style=style_json(),
        out_dir=lambda w, output: os.path.dirname(output.csv),
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/studies/green.log",
    benchmark:
        f"{BENCH}/studies/green.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys study-green --green {input.green:q} --metrics {input.metrics:q} --style {params.style:q} "
        "--out-dir {params.out_dir:q} > {log:q} 2>&1"
