# Uncertainty study, input functions: the ensembles and Monte Carlo dropout runs the config asks for
# (nnphys.studies) and the files made of them.

from nnphys.evaluation.figures import FORMATS, UQ as UQ_FIGURES

UQ = f"{RESULTS}/uq"
METHOD_NAME = "(ensemble|mc_dropout)"
uq_ensembles = lambda: studies.ensembles(config)


def uq_predictives():
    """Every predictive.nc the config asks for: ensembles, then Monte Carlo dropout runs."""
    return [f"{UQ}/{g.stage}/{g.problem}/ensemble-{g.name}/predictive.nc" for g in uq_ensembles()] + [
        f"{UQ}/operator/{task}/mc_dropout-{run}/predictive.nc" for task, run in studies.mc_dropout_runs(config)]


def uq_outputs():
    figures = [p.replace(f"{UQ}/", f"{FIGURES}/uq/").replace("predictive.nc", f"{name}.{fmt}")
               for p in uq_predictives() for name in UQ_FIGURES for fmt in FORMATS]
    return figures + ([f"{REPORT}/uq.csv", f"{REPORT}/uq.md"] if uq_predictives() else [])


def ensemble_inputs(w):
    """The members' predictions (and, for PINN members, the reference: their truth)."""
    group = next((g for g in uq_ensembles() if (g.stage, g.problem, g.name) == (w.stage, w.problem, w.model)), None)
    if group is None:
        raise WorkflowError(f"no ensemble of {w.stage} {w.model!r} on {w.problem!r} in config uq.ensembles")
    members = {"members": [run_file(w.stage, w.problem, r, "prediction.nc") for r in group.runs]}
    if w.stage == "pinn":
        members["reference"] = f"{RESULTS}/reference/{PINN_PHYSICS[w.problem]}.nc"
    return members
