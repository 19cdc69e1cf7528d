# Studies, input functions: which runs each study reads, checked against the config.

SYMMETRY = f"{RESULTS}/studies/symmetry"
GREEN = f"{RESULTS}/studies/green"


def symmetry_runs():
    """(run name, {symmetry, train_samples}) of each study model; an error naming the key if operator.runs lacks one."""
    study, section = config["studies"]["symmetry"], config["operator"]
    listed = set(operator_runs())
    out = []
    for i, m in enumerate(study["models"]):
        run = run_name(m, study["seed"])
        if (study["task"], run) not in listed:
            raise WorkflowError(f"invalid configuration: config key 'studies.symmetry.models[{i}]': run {run} of "
                                f"{study['task']} is not in operator.runs (add it there with its train_samples)")
        cfg = operator_config.run_config(section, study["task"], run)
        out.append((run, {"symmetry": cfg["model"].get("symmetry", "none"),
                          "train_samples": cfg["training"]["train_samples"]}))
    return out


def green_runs():
    """Poisson runs of the Green's function study (studies.green.runs, default all); each must be configured."""
    configured = [r for t, r in operator_runs() if t == "poisson"]
    chosen = config["studies"]["green"]["runs"] or configured
    for i, r in enumerate(chosen):
        if r not in configured:
            raise WorkflowError(f"invalid configuration: config key 'studies.green.runs[{i}]': {r} is not a "
                                f"Poisson run of operator.runs (those are {configured})")
    return chosen
