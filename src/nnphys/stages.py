"""The workflow's stages and the package sources each one runs.

Every rule passes the fingerprint of its stage's sources in ``params:`` (and its command records it in
the outputs), so editing the code a stage runs reruns that stage's jobs, and no other stage's. The
sources are subpackages and top-level modules, as :func:`source_fingerprint` takes them:
whatever a stage's commands import beyond the command line itself (``cli.py``, ``__main__.py`` and the
package's ``__init__.py`` parse arguments and hold the version; they compute nothing). PINN code is not
an operator source and operator code not a PINN source; what both pipelines share (``training``,
``models``, ``physics``) is a source of both. ``tests/test_stages.py`` checks each list against the
modules the stage's commands really import.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# the package's own folder (src/nnphys): this module imports nothing heavy, since Snakemake imports it to
# parse the rules, on every run
PACKAGE_ROOT = Path(__file__).resolve().parent

SOURCES = {
    "reference": ("physics", "configcheck.py", "io.py"),
    "pinn": ("pinn", "training", "models", "physics", "configcheck.py", "device.py", "io.py", "norms.py",
             "run_names.py"),
    "operator": ("neural_operator", "training", "models", "physics", "configcheck.py", "device.py", "io.py",
                 "norms.py", "predictive.py", "run_names.py"),
    # tables and figures, quick-looks of the references and the studies' ensembles included
    "report": ("evaluation", "io.py", "norms.py", "predictive.py"),
    # studies read trained runs (checkpoints included) and the architectures' arithmetic (receptive fields)
    "studies": ("evaluation", "models", "configcheck.py", "io.py", "norms.py", "run_names.py"),
}
STAGES = tuple(SOURCES)
# what a source is: Python modules, and the C of extensions that pip builds from them (pinn/_jet.c), never
# the built library, which differs from machine to machine
SOURCE_SUFFIXES = (".py", ".c", ".h")


def sources(stage: str) -> tuple[str, ...]:
    """The subpackages and modules (paths below ``src/nnphys``) that the jobs of ``stage`` run."""
    if stage not in SOURCES:
        raise ValueError(f"unknown stage {stage!r}; known: {', '.join(STAGES)}")
    return SOURCES[stage]


def fingerprint(stage: str) -> str:
    """The source fingerprint of ``stage``: what its rules pass in ``params:`` and its outputs record."""
    return source_fingerprint(*sources(stage))


def source_fingerprint(*parts: str) -> str:
    """SHA-256 (16 hex digits) of the package sources a stage depends on.

    ``parts`` are paths relative to ``src/nnphys`` (a module file such as
    ``"io.py"`` or a subpackage such as ``"physics"``, whose files with a ``SOURCE_SUFFIXES`` suffix count). Rules pass this through
    ``params:`` so that editing the code a stage runs makes Snakemake rerun it.
    """
    h = hashlib.sha256()
    for part in sorted(set(parts)):
        path = PACKAGE_ROOT / part
        if not path.exists():
            raise FileNotFoundError(f"source_fingerprint: no module or package {part!r} in {PACKAGE_ROOT}")
        files = sorted(f for f in path.rglob("*") if f.suffix in SOURCE_SUFFIXES) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(PACKAGE_ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]
