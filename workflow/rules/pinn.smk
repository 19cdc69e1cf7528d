# PINN stage: train (model.pt, history.nc) then evaluate against the reference (prediction.nc, metrics.json).
# Runs are config pinn.runs: problem x model x seed -> {RESULTS}/pinn/{problem}/{model}-s{seed}/.
# Evaluation only reads model.pt and the reference: re-evaluating never retrains.

PINN_PROBLEMS = ("heat1d", "nls", "heat1d_inverse")
PINN_PHYSICS = {"heat1d": "heat1d", "nls": "nls", "heat1d_inverse": "heat1d"}
PINN_CODE = ("models/mlp.py", "training", "evaluation/pinn_metrics.py", "physics", "io.py", "device.py")


def pinn_runs():
    """(problem, run name) of every configured run, checked against the models and problems defined."""
    cfg = config["pinn"]
    out = []
    for i, r in enumerate(cfg["runs"]):
        if r["model"] not in cfg["models"]:
            raise WorkflowError(f"config key 'pinn.runs[{i}].model': no model {r['model']!r} in pinn.models")
        if r["problem"] not in cfg["problems"]:
            raise WorkflowError(f"config key 'pinn.runs[{i}].problem': no settings for {r['problem']!r} in pinn.problems")
        out += [(r["problem"], f"{r['model']}-s{s}") for s in r["seeds"]]
    return out


def pinn_outputs():
    return [f"{RESULTS}/pinn/{p}/{run}/metrics.json" for p, run in pinn_runs()]


def pinn_run_config(w):
    """Everything that changes a run's result, as the JSON the trainer reads."""
    model, seed = w.run.rsplit("-s", 1)
    cfg = config["pinn"]
    training = dict(cfg["problems"][w.problem])
    training.update({k: cfg[k] for k in ("log_every", "eval_every", "checkpoint_every")})
    return as_json({"problem": w.problem, "model_name": model, "model": cfg["models"][model],
                    "seed": int(seed), "training": training})


rule pinn_train:
    wildcard_constraints:
        problem="|".join(PINN_PROBLEMS),
        run=r"[^/]+-s\d+",
    input:
        reference=lambda w: f"{RESULTS}/reference/{PINN_PHYSICS[w.problem]}.nc",
    output:
        model=f"{RESULTS}/pinn/{{problem}}/{{run}}/model.pt",
        history=f"{RESULTS}/pinn/{{problem}}/{{run}}/history.nc",
    params:
        cfg=pinn_run_config,
        device=config["device"],
        code=fingerprint(*PINN_CODE),
        out=lambda w: f"{RESULTS}/pinn/{w.problem}/{w.run}",
    threads: config["threads"]
    resources:
        gpu=1,
    log:
        f"{LOGS}/pinn/{{problem}}/{{run}}/train.log",
    benchmark:
        f"{BENCH}/pinn/{{problem}}/{{run}}/train.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys pinn-train {wildcards.problem} --config {params.cfg:q} --reference {input.reference:q} "
        "--out-dir {params.out:q} --device {params.device} --threads {threads} --fingerprint {params.code} "
        "> {log:q} 2>&1"


rule pinn_evaluate:
    wildcard_constraints:
        problem="|".join(PINN_PROBLEMS),
        run=r"[^/]+-s\d+",
    input:
        model=f"{RESULTS}/pinn/{{problem}}/{{run}}/model.pt",
        reference=lambda w: f"{RESULTS}/reference/{PINN_PHYSICS[w.problem]}.nc",
    output:
        prediction=f"{RESULTS}/pinn/{{problem}}/{{run}}/prediction.nc",
        metrics=f"{RESULTS}/pinn/{{problem}}/{{run}}/metrics.json",
    params:
        device=config["device"],
        code=fingerprint(*PINN_CODE),
        out=lambda w: f"{RESULTS}/pinn/{w.problem}/{w.run}",
    threads: config["threads"]
    resources:
        gpu=1,
    log:
        f"{LOGS}/pinn/{{problem}}/{{run}}/evaluate.log",
    benchmark:
        f"{BENCH}/pinn/{{problem}}/{{run}}/evaluate.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys pinn-evaluate {wildcards.problem} --model {input.model:q} --reference {input.reference:q} "
        "--out-dir {params.out:q} --device {params.device} --threads {threads} --fingerprint {params.code} "
        "> {log:q} 2>&1"
