# Shared helpers: config validation, source fingerprints, paths.
import json

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from nnphys.configcheck import ConfigError, check_colormaps, explain
from nnphys.io import source_fingerprint
from nnphys.training import operator_config, pinn_config

SECTIONS = ("reference", "pinn", "operator", "report")


def _validate(cfg, schema, prefix):
    try:
        validate(cfg, schema, set_default=True)
    except WorkflowError:
        raise WorkflowError(explain(cfg, workflow.source_path(schema), prefix)) from None


def _check_across_sections():
    """What a schema cannot say: runs name defined models, each model fits its task's lattice, colormaps exist."""
    try:
        pinn_config.runs(config["pinn"])
        operator_config.check(config)
        check_colormaps(config["report"], ("cmap", "diverging_cmap", "error_cmap"), "report")
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


def as_json(obj):
    """A config value as a compact JSON string, passed to the CLI through params (quoted with :q)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


STYLE_KEYS = ("dpi", "font_size", "cmap", "diverging_cmap", "error_cmap")


def style_json():
    """The report's plotting options (config key report): every figure rule, quick-looks included, reads them."""
    return as_json({k: config["report"][k] for k in STYLE_KEYS})


def fingerprint(*parts):
    """Fingerprint of the package sources a rule runs; editing them reruns the rule."""
    return source_fingerprint(*parts)
