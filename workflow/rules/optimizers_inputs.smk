# Optimizer comparisons, input functions: the comparisons the config asks for (nnphys.studies), the
# runs each reads and the files made of them.

from nnphys.evaluation.figures import FORMATS, OPTIMIZERS as OPTIMIZER_FIGURES

optimizer_groups = lambda: {g.name: g for g in studies.comparisons(config)}


def compared_runs(name):
    """The run folders of comparison ``name``."""
    g = optimizer_groups()[name]
    return [f"{RESULTS}/{g.stage}/{g.problem}/{run}" for run in g.runs]


def compared_files(names):
    """The files the comparisons ``names`` read: each run's history.nc and metrics.json."""
    return [f"{d}/{f}" for name in names for d in compared_runs(name) for f in ("history.nc", "metrics.json")]


def optimizer_outputs():
    figures = [f"{FIGURES}/optimizers/{name}/{fig}.{fmt}" for name in optimizer_groups()
               for fig in OPTIMIZER_FIGURES for fmt in FORMATS]
    return figures + ([f"{REPORT}/optimizers.csv", f"{REPORT}/optimizers.md"] if optimizer_groups() else [])
