# Operator stage, input functions: the configured runs and the resolved config of each.

OPERATOR_TASKS = ("poisson", "heat2d")


def operator_runs():
    """(task, run name) of every configured run (a run listed twice: the first wins)."""
    return operator_config.runs(config["operator"])


def operator_outputs():
    return [f"{RESULTS}/operator/{t}/{run}/metrics.json" for t, run in operator_runs()]


def operator_run_config(w):
    """Everything that changes a run's result, as the JSON the trainer reads."""
    model, seed = w.run.rsplit("-s", 1)
    return as_json(operator_config.run_config(config["operator"], w.task, model, int(seed)))
