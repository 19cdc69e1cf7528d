# nnphys: reference solutions -> PINNs and neural operators -> evaluation -> report.
# Run `snakemake --cores 8`; presets: `--configfile workflow/presets/<name>.yaml`.

configfile: "config.yaml"
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/pinn.smk"
include: "workflow/rules/operator.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        reference_outputs(),
        pinn_outputs(),
        operator_outputs(),
        report_outputs(),
