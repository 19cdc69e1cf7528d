"""Shared fixtures: the repository, and the real workflow run through Snakemake (see helpers.py).

The default run covers everything CI relies on, the smoke workflow end to end and the SLURM test among
it; tests marked ``slow`` (``pytest -m slow``) repeat work the default run already checks in a cheaper way.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import REPO, snakemake

# Test this checkout, whichever checkout pip installed: in-process imports (pyproject's pythonpath)
# and every subprocess (snakemake, the CLI, SLURM jobs inherit the environment) find src/ first.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def run_snakemake():
    """:func:`helpers.snakemake`, for tests in any folder."""
    return snakemake


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """Run the whole workflow (rule ``all``) with the smoke preset once per session; return its directory."""
    workdir = tmp_path_factory.mktemp("smoke")
    result = snakemake(workdir, "--cores", "2")
    if result.returncode != 0:
        pytest.fail(f"smoke workflow failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return workdir
