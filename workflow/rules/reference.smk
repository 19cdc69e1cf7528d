# Reference stage: classical solvers -> {RESULTS}/reference/<dataset>.nc (a dataset: a physics problem, or a
# named variant of one such as poisson_dirichlet). Each dataset's quick-look figure is drawn with the report's
# figures (report.smk: one job draws them all).
#
# benchmark: rather than cache: (Snakemake forbids both on one rule). The between-workflow
# cache only acts with --cache and SNAKEMAKE_OUTPUT_CACHE set, and these datasets take seconds
# to recompute, while the benchmark files record what each solve costs on the machine it ran on.

from nnphys.physics import DATASETS as REFERENCE_DATASETS

# Every reference dataset (rule all); a lambda keeps `snakemake --lint` clean.
reference_outputs = lambda: [f"{RESULTS}/reference/{p}.nc" for p in REFERENCE_DATASETS]
quicklook_outputs = lambda: [f"{RESULTS}/reference/figures/{p}.png" for p in REFERENCE_DATASETS]


rule reference:
    wildcard_constraints:
        problem="|".join(REFERENCE_DATASETS),
    output:
        f"{RESULTS}/reference/{{problem}}.nc",
    params:
        cfg=lambda w: as_json(config["reference"][w.problem]),
        code=fingerprint("reference"),
    threads: SINGLE_THREAD
    priority: PRIORITY_REFERENCE
    log:
        f"{LOGS}/reference/{{problem}}.log",
    benchmark:
        f"{BENCH}/reference/{{problem}}.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys reference {wildcards.problem:q} --config {params.cfg:q} "
        "--fingerprint {params.code:q} --out {output:q} > {log:q} 2>&1"
