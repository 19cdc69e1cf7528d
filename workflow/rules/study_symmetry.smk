# Symmetry study (config studies.symmetry): plain, augmented and D4-equivariant operators against the number of
# training samples. The runs are ordinary operator runs (trained, evaluated and cached by operator.smk); this
# rule only tabulates and draws their metrics.

SYMMETRY = f"{RESULTS}/studies/symmetry"


def symmetry_runs():
    """(run name, {symmetry, train_samples}) of each study model; ConfigError if operator.runs lacks one."""
    study, section = config["studies"]["symmetry"], config["operator"]
    listed = set(operator_runs())
    out = []
    for i, m in enumerate(study["models"]):
        run = f"{m}-s{study['seed']}"
        if (study["task"], run) not in listed:
            raise WorkflowError(f"invalid configuration: config key 'studies.symmetry.models[{i}]': run {run} of "
                                f"{study['task']} is not in operator.runs (add it there with its train_samples)")
        cfg = operator_config.run_config(section, study["task"], run)
        out.append((run, {"symmetry": cfg["model"].get("symmetry", "none"),
                          "train_samples": cfg["training"]["train_samples"]}))
    return out


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
        "--out-dir {SYMMETRY:q} > {log:q} 2>&1"
