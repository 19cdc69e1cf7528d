# Neural-operator stage: train (model.pt, history.nc) then evaluate on the test split (prediction.nc, metrics.json).
# Runs are config operator.runs: task x model x seed -> {RESULTS}/operator/{task}/{model}-s{seed}/.
# Evaluation only reads model.pt and the reference: re-evaluating never retrains.
# Runs and their resolved configs: operator_inputs.smk.


include: "operator_inputs.smk"


rule operator_train:
    wildcard_constraints:
        task="|".join(OPERATOR_TASKS),
        run=RUN_NAME.pattern,
    input:
        reference=f"{RESULTS}/reference/{{task}}.nc",
    output:
        model=f"{RESULTS}/operator/{{task}}/{{run}}/model.pt",
        history=f"{RESULTS}/operator/{{task}}/{{run}}/history.nc",
    params:
        cfg=operator_run_config,
        device=config["device"],
        code=fingerprint("operator"),
        out=lambda w: f"{RESULTS}/operator/{w.task}/{w.run}",
    threads: TORCH_THREADS
    priority: PRIORITY_OPERATOR_TRAIN
    resources:
        gpu=1,
        torch_threads=TORCH_RUNS,
    log:
        f"{LOGS}/operator/{{task}}/{{run}}/train.log",
    benchmark:
        f"{BENCH}/operator/{{task}}/{{run}}/train.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys operator-train --config {params.cfg:q} --reference {input.reference:q} "
        "--out-dir {params.out:q} --device {params.device:q} --threads {resources.torch_threads:q} --fingerprint {params.code:q} "
        "> {log:q} 2>&1"


rule operator_evaluate:
    wildcard_constraints:
        task="|".join(OPERATOR_TASKS),
        run=RUN_NAME.pattern,
    input:
        model=f"{RESULTS}/operator/{{task}}/{{run}}/model.pt",
        reference=f"{RESULTS}/reference/{{task}}.nc",
    output:
        prediction=f"{RESULTS}/operator/{{task}}/{{run}}/prediction.nc",
        metrics=f"{RESULTS}/operator/{{task}}/{{run}}/metrics.json",
    params:
        device=config["device"],
        code=fingerprint("operator"),
        out=lambda w: f"{RESULTS}/operator/{w.task}/{w.run}",
    threads: TORCH_THREADS
    resources:
        gpu=1,
        torch_threads=TORCH_RUNS,
    log:
        f"{LOGS}/operator/{{task}}/{{run}}/evaluate.log",
    benchmark:
        f"{BENCH}/operator/{{task}}/{{run}}/evaluate.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys operator-evaluate --model {input.model:q} --reference {input.reference:q} "
        "--out-dir {params.out:q} --device {params.device:q} --threads {resources.torch_threads:q} --fingerprint {params.code:q} "
        "> {log:q} 2>&1"
