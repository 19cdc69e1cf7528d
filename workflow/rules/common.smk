# Shared helpers: config validation, threads, run folders; the facts themselves (problems, run names,
# runs, source fingerprints) come from the package.
import json

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from nnphys.configcheck import ConfigError, check_colormaps, explain
from nnphys.cpus import job_threads, usable_cpus
from nnphys.neural_operator import config as operator_config
from nnphys.pinn import config as pinn_config
from nnphys import studies
from nnphys.run_names import RUN_NAME, run_name
from nnphys.stages import fingerprint

SECTIONS = ("reference", "pinn", "operator", "report", "studies", "uq", "optimizers")


def _validate(cfg, schema, prefix):
    try:
        validate(cfg, schema, set_default=True)
    except WorkflowError:
        raise WorkflowError(explain(cfg, workflow.source_path(schema), prefix)) from None


def _check_across_sections():
    """What a schema cannot say: runs name defined models, each model fits its task's lattice, colormaps exist,
    the studies' runs are configured."""
    try:
        pinn_config.runs(config["pinn"])
        operator_config.check(config)
        check_colormaps(config["report"], ("cmap", "diverging_cmap", "error_cmap"), "report")
        studies.check(config)
    except ConfigError as exc:
        raise WorkflowError(f"invalid configuration: {exc}") from None


# Top level first (unknown sections, device, threads), then each section against
# its own schema, so a message names the full key, e.g. reference.heat1d.k.
_validate(config, "../schemas/config.schema.yaml", "")
for _section in SECTIONS:
    _validate(config[_section], f"../schemas/{_section}.schema.yaml", _section)
_check_across_sections()

RESULTS = config["results"]
LOGS = f"{RESULTS}/logs"
BENCH = f"{RESULTS}/benchmarks"
REPORT = f"{RESULTS}/report"
FIGURES = f"{REPORT}/figures"


def _local_cores():
    """--cores of a run on this machine; None on a cluster (each job gets its own CPUs: not the
    submitting process, nor the job step inside an allocation, may scale them) or in a dry run."""
    if not (workflow.local_exec and workflow.is_main_process):
        return None
    try:
        return workflow.cores
    except WorkflowError:
        return None


# Jobs share the CPUs this run may really use (nnphys.cpus): a job running n threads declares
# n x cores / CPUs of --cores, so `snakemake --cores 8` on 2 CPUs runs one 2-thread training job
# (or two single-threaded jobs) at a time instead of four that fight for the same cores.
# torch_threads is a resource, not a param: the CPU count must never rerun a job.
_CORES, _CPUS = _local_cores(), usable_cpus()
TORCH_THREADS, TORCH_RUNS = job_threads(config["threads"], _CORES, _CPUS)
SINGLE_THREAD = job_threads(1, _CORES, _CPUS)[0]
# The report's figures: one job, a pool of up to 4 drawing processes (11 runs' figures share out well over 4), and
# no more than this machine's CPUs: on a cluster the job asks for them, and a node smaller than the request would
# never run it.
FIGURE_THREADS, FIGURE_WORKERS = job_threads(min(4, _CPUS), _CORES, _CPUS)

# Which ready job starts first. References (seconds each) unblock every other job. Then the longest
# jobs (longest-processing-time scheduling): a PINN training (full-batch quasi-Newton or Levenberg-Marquardt,
# minutes in one process; the NLS PINN is the longest job of the default run) before the operator
# trainings, and those before evaluations and figures. Started last, the longest job would run alone at
# the end while the other cores idle. Snakemake does not pass a priority on to a job's inputs.
PRIORITY_REFERENCE, PRIORITY_PINN_TRAIN, PRIORITY_OPERATOR_TRAIN = 3, 2, 1


def run_file(stage, problem, run, name):
    """File ``name`` of one trained run: {RESULTS}/<stage>/<problem>/<run>/<name>."""
    return f"{RESULTS}/{stage}/{problem}/{run}/{name}"


def as_json(obj):
    """A config value as a compact JSON string, passed to the CLI through params (quoted with :q)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


STYLE_KEYS = ("dpi", "font_size", "cmap", "diverging_cmap", "error_cmap")


def style_json():
    """The report's plotting options (config key report): every figure rule, quick-looks included, reads them."""
    return as_json({k: config["report"][k] for k in STYLE_KEYS})


def figure_files(folder, names, caption, labels, **report_kw):
    """PNG (in the HTML report, captioned ../report/<caption>_<name>.rst) and PDF of each figure ``name`` in
    ``folder``, as named outputs ``<name>_png``, ``<name>_pdf``."""
    out = {}
    for name in names:
        out[f"{name}_png"] = report(f"{folder}/{name}.png", caption=f"../report/{caption}_{name}.rst",
                                    labels={**labels, "figure": name}, **report_kw)
        out[f"{name}_pdf"] = f"{folder}/{name}.pdf"
    return out
