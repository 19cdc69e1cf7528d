# Receptive-field study: test error of CNN operators against depth and receptive field (studies.receptive_field).
# `snakemake receptive_field --cores 2 --configfile workflow/presets/receptive-field.yaml`
# The runs are ordinary operator runs (operator.runs, trained and evaluated by operator.smk, cached like any
# other); the study job only reads their metrics.json and model.pt.

from nnphys.evaluation.studies import receptive_field as rf_study

try:
    RF_RUNS = rf_study.runs(config)
except ConfigError as exc:
    raise WorkflowError(f"invalid configuration: {exc}") from None

RF_DIR = f"{RESULTS}/studies/receptive_field"


def receptive_field_inputs(name):
    """Input function: file ``name`` of every run the study compares. Evaluated only when the study is asked
    for, so the default config (no models) loads, and asking for the study there names the key to set."""

    def files(wildcards):
        if not RF_RUNS:
            raise WorkflowError(
                "config key 'studies.receptive_field.models' is empty: nothing to compare; run "
                "`snakemake receptive_field --configfile workflow/presets/receptive-field.yaml` or set it"
            )
        return [run_file("operator", rf_study.TASK, run, name) for run in RF_RUNS]

    return files


rule receptive_field:
    # Target: the study's table and figure (not part of rule all).
    input:
        f"{RF_DIR}/receptive_field.csv",
        f"{RF_DIR}/receptive_field.md",
        f"{RF_DIR}/receptive_field.png",
        f"{RF_DIR}/receptive_field.pdf",


rule receptive_field_study:
    input:
        metrics=receptive_field_inputs("metrics.json"),
        checkpoints=receptive_field_inputs("model.pt"),
    output:
        csv=report(f"{RF_DIR}/receptive_field.csv", caption="../report/receptive_field_table.rst",
                   category="Studies"),
        md=f"{RF_DIR}/receptive_field.md",
        png=report(f"{RF_DIR}/receptive_field.png", caption="../report/receptive_field.rst", category="Studies"),
        pdf=f"{RF_DIR}/receptive_field.pdf",
    params:
        style=style_json(),
        out_dir=RF_DIR,
        code=fingerprint("studies"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/studies/receptive_field.log",
    benchmark:
        f"{BENCH}/studies/receptive_field.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys study receptive-field --metrics {input.metrics:q} --checkpoints {input.checkpoints:q} "
        "--style {params.style:q} --csv {output.csv:q} --md {output.md:q} --out-dir {params.out_dir:q} "
        "> {log:q} 2>&1"
