# Operator stage, input functions: the configured runs and the resolved config of each.

from nnphys.neural_operator.config import TASKS as OPERATOR_TASKS


def operator_runs():
    """(task, run name) of every configured run, each once (a run listed twice: the first wins)."""
    return operator_config.runs(config["operator"])


def operator_outputs():
    return [run_file("operator", t, run, "metrics.json") for t, run in operator_runs()]


def operator_run_config(w):
    """Everything that changes a run's result, as the JSON the trainer reads."""
    return as_json(operator_config.run_config(config["operator"], w.task, w.run))
