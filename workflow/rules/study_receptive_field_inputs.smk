# Receptive-field study, input functions: the runs it compares (checked against operator at load) and their files.

import os

from nnphys.evaluation.studies.receptive_field_config import TASK as RF_TASK, runs as receptive_field_runs

try:
    RF_RUNS = receptive_field_runs(config)
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
        return [run_file("operator", RF_TASK, run, name) for run in RF_RUNS]

    return files
