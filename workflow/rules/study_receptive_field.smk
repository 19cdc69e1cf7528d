# Receptive-field study: test error of CNN operators against depth and receptive field (studies.receptive_field).
# `snakemake receptive_field --cores 2 --configfile workflow/presets/receptive-field.yaml`
# The runs are ordinary operator runs (operator.runs, trained and evaluated by operator.smk, cached like any
# other); the study job only reads their metrics.json, model.pt and prediction.nc, and the reference.

include: "study_receptive_field_inputs.smk"


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
        predictions=receptive_field_inputs("prediction.nc"),
        reference=f"{RESULTS}/reference/{RF_TASK}.nc",
    output:
        csv=report(f"{RF_DIR}/receptive_field.csv", caption="../report/receptive_field_table.rst",
                   category="Studies"),
        md=f"{RF_DIR}/receptive_field.md",
        png=report(f"{RF_DIR}/receptive_field.png", caption="../report/receptive_field.rst", category="Studies"),
        pdf=f"{RF_DIR}/receptive_field.pdf",
    params:
        runs=lambda w, input: [os.path.dirname(m) for m in input.metrics],
        style=style_json(),
        out_dir=lambda w, output: os.path.dirname(output.png),
        code=fingerprint("studies"),
    threads: SINGLE_THREAD
    log:
        f"{LOGS}/studies/receptive_field.log",
    benchmark:
        f"{BENCH}/studies/receptive_field.tsv"
    conda:
        "../../envs/nnphys.yaml"
    shell:
        "python -m nnphys study receptive-field --runs {params.runs:q} --reference {input.reference:q} "
        "--style {params.style:q} --csv {output.csv:q} --md {output.md:q} --out-dir {params.out_dir:q} "
        "> {log:q} 2>&1"
