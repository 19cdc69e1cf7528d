# Uncertainty study (config section uq): deep ensembles over seeds and Monte Carlo dropout, each a predictive
# distribution {RESULTS}/uq/<stage>/<problem>/<method>-<name>/predictive.nc, calibrated in the report
# (uq.csv, uq.md, figures/uq/). An ensemble reads its members' prediction.nc (never a model.pt): it reruns only
# when a member's evaluation changes. Monte Carlo dropout reads the run's model.pt: an operator-stage job.
# Which runs: nnphys.studies (the members are ordinary runs, so the default runs are reused).

include: "uq_inputs.smk"


rule uq_ensemble:
    wildcard_constraints:
        stage="pinn|operator",
        problem="|".join((*PINN_PROBLEMS, *OPERATOR_TASKS)),
        model=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    input:
        unpack(ensemble_inputs),
    output:
        f"{UQ}/{{stage}}/{{problem}}/ensemble-{{model}}/predictive.nc",
    params:
        reference=lambda w, input: ["--reference", input.reference] if "reference" in input.keys() else [],
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/uq/{{stage}}/{{problem}}/ensemble-{{model}}.log",
    benchmark:
        f"{BENCH}/uq/{{stage}}/{{problem}}/ensemble-{{model}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys ensemble --stage {wildcards.stage:q} --problem {wildcards.problem:q} "
        "--model {wildcards.model:q} --predictions {input.members:q} {params.reference:q} "
        "--fingerprint {params.code:q} --out {output:q} > {log:q} 2>&1"


rule operator_mc_dropout:
    wildcard_constraints:
        problem="|".join(OPERATOR_TASKS),
        run=RUN_NAME.pattern,
    input:
        model=run_file("operator", "{problem}", "{run}", "model.pt"),
        reference=f"{RESULTS}/reference/{{problem}}.nc",
    output:
        f"{UQ}/operator/{{problem}}/mc_dropout-{{run}}/predictive.nc",
    params:
        samples=config["uq"]["mc_samples"],
        device=config["device"],
        code=fingerprint("operator"),
        out=lambda w, output: os.path.dirname(output[0]),
    threads: TORCH_THREADS
    resources:
        gpu=1,
        torch_threads=TORCH_RUNS,
    log:
        f"{LOGS}/uq/operator/{{problem}}/mc_dropout-{{run}}.log",
    benchmark:
        f"{BENCH}/uq/operator/{{problem}}/mc_dropout-{{run}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys operator-mc-dropout --model {input.model:q} --reference {input.reference:q} "
        "--samples {params.samples:q} --out-dir {params.out:q} --device {params.device:q} "
        "--threads {resources.torch_threads:q} --fingerprint {params.code:q} > {log:q} 2>&1"


rule uq_figures:
    wildcard_constraints:
        stage="pinn|operator",
        problem="|".join((*PINN_PROBLEMS, *OPERATOR_TASKS)),
        method=METHOD_NAME,
        name=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    input:
        f"{UQ}/{{stage}}/{{problem}}/{{method}}-{{name}}/predictive.nc",
    output:
        **figure_files(f"{FIGURES}/uq/{{stage}}/{{problem}}/{{method}}-{{name}}", UQ_FIGURES, "uq",
                       {"run": "{method}-{name}"}, category="Uncertainty", subcategory="{problem}"),
    params:
        style=style_json(),
        out_dir=lambda w, output: os.path.dirname(output[0]),
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/report/uq/{{stage}}/{{problem}}/{{method}}-{{name}}.log",
    benchmark:
        f"{BENCH}/report/uq/{{stage}}/{{problem}}/{{method}}-{{name}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys figures uq --run {wildcards.problem:q}/{wildcards.method:q}-{wildcards.name:q} "
        "--predictive {input:q} --style {params.style:q} --out-dir {params.out_dir:q} > {log:q} 2>&1"


rule uq_tables:
    input:
        uq_predictives(),
    output:
        csv=report(f"{REPORT}/uq.csv", caption="../report/uq_table.rst", category="Tables"),
        md=f"{REPORT}/uq.md",
    params:
        code=fingerprint("report"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/report/uq_tables.log",
    benchmark:
        f"{BENCH}/report/uq_tables.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys uq-tables --predictive {input:q} --csv {output.csv:q} --md {output.md:q} > {log:q} 2>&1"
