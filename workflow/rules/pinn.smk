# PINN stage: train (model.pt, history.nc) then evaluate against the reference (prediction.nc, metrics.json).
# Runs are config pinn.runs: problem x model x seed -> {RESULTS}/pinn/{problem}/{model}-s{seed}/.
# Evaluation only reads model.pt and the reference: re-evaluating never retrains.

# PINN_PHYSICS: the physics problem each PINN problem solves, whose reference file it reads.
from nnphys.pinn.problems import PHYSICS as PINN_PHYSICS, PROBLEMS as PINN_PROBLEMS

# The configured runs, and every run's metrics.json (rule all); lambdas keep `snakemake --lint` clean,
# the logic is in the package.
pinn_runs = lambda: pinn_config.runs(config["pinn"])
pinn_outputs = lambda: [run_file("pinn", p, run, "metrics.json") for p, run in pinn_runs()]


rule pinn_train:
    wildcard_constraints:
        problem="|".join(PINN_PROBLEMS),
        run=RUN_NAME.pattern,
    input:
        reference=lambda w: f"{RESULTS}/reference/{PINN_PHYSICS[w.problem]}.nc",
    output:
        model=f"{RESULTS}/pinn/{{problem}}/{{run}}/model.pt",
        history=f"{RESULTS}/pinn/{{problem}}/{{run}}/history.nc",
    params:
        cfg=lambda w: as_json(pinn_config.run_config(config["pinn"], w.problem, w.run)),
        device=config["device"],
        code=fingerprint("pinn"),
        out=lambda w: f"{RESULTS}/pinn/{w.problem}/{w.run}",
    threads: TORCH_THREADS
    priority: PRIORITY_PINN_TRAIN
    resources:
        gpu=1,
        torch_threads=TORCH_RUNS,
    log:
        f"{LOGS}/pinn/{{problem}}/{{run}}/train.log",
    benchmark:
        f"{BENCH}/pinn/{{problem}}/{{run}}/train.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys pinn-train {wildcards.problem:q} --config {params.cfg:q} --reference {input.reference:q} "
        "--out-dir {params.out:q} --device {params.device:q} --threads {resources.torch_threads:q} --fingerprint {params.code:q} "
        "> {log:q} 2>&1"


rule pinn_evaluate:
    wildcard_constraints:
        problem="|".join(PINN_PROBLEMS),
        run=RUN_NAME.pattern,
    input:
        model=f"{RESULTS}/pinn/{{problem}}/{{run}}/model.pt",
        reference=lambda w: f"{RESULTS}/reference/{PINN_PHYSICS[w.problem]}.nc",
    output:
        prediction=f"{RESULTS}/pinn/{{problem}}/{{run}}/prediction.nc",
        metrics=f"{RESULTS}/pinn/{{problem}}/{{run}}/metrics.json",
    params:
        device=config["device"],
        code=fingerprint("pinn"),
        out=lambda w: f"{RESULTS}/pinn/{w.problem}/{w.run}",
    threads: TORCH_THREADS
    resources:
        gpu=1,
        torch_threads=TORCH_RUNS,
    log:
        f"{LOGS}/pinn/{{problem}}/{{run}}/evaluate.log",
    benchmark:
        f"{BENCH}/pinn/{{problem}}/{{run}}/evaluate.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys pinn-evaluate {wildcards.problem:q} --model {input.model:q} --reference {input.reference:q} "
        "--out-dir {params.out:q} --device {params.device:q} --threads {resources.torch_threads:q} --fingerprint {params.code:q} "
        "> {log:q} 2>&1"
