# nnphys: reference solutions -> PINNs and neural operators -> evaluation -> report.
# Run `snakemake --cores 8`; presets: `--configfile workflow/presets/<name>.yaml`.

import os

from nnphys.configcheck import check_yaml

# Snakemake's message for a YAML error names neither the file nor the line; this one does.
# (Files given with --configfile are read by Snakemake before this line runs.)
if os.path.exists("config.yaml"):
    check_yaml("config.yaml")


configfile: "config.yaml"
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/pinn.smk"
include: "workflow/rules/operator.smk"
include: "workflow/rules/uq.smk"
include: "workflow/rules/optimizers.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/studies.smk"


rule all:
    default_target: True
    input:
        reference_outputs(),
        pinn_outputs(),
        operator_outputs(),
        report_outputs(),
