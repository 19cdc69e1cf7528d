"""Shared fixtures: run the real workflow through Snakemake in temporary directories.

Snakemake runs as a subprocess (so profiles and the CLI behave as for a user),
with the repository's Snakefile and the working directory set to a temporary
folder: outputs, logs and .snakemake locks stay there. The Snakefile's own
``configfile: "config.yaml"`` resolves against the working directory, so every
call passes the repository's config.yaml explicitly, followed by any preset.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
CONFIG = REPO / "config.yaml"
SMOKE = REPO / "workflow" / "presets" / "smoke.yaml"

# Test this checkout, whichever checkout pip installed: in-process imports (pyproject's pythonpath)
# and every subprocess (snakemake, the CLI, SLURM jobs inherit the environment) find src/ first.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))


def snakemake(workdir: Path, *args: str, preset: Path = SMOKE, overrides=(), timeout: float = 900
              ) -> subprocess.CompletedProcess:
    """``python -m snakemake -s <repo>/Snakefile --configfile config.yaml <preset> <overrides> <args>`` in ``workdir``.

    Later config files win key by key (nested sections merge), so an override file can change one setting.
    """
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE),
           "--configfile", str(CONFIG), str(preset), *map(str, overrides), *args]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def run_snakemake():
    """The :func:`snakemake` helper, for tests in any folder."""
    return snakemake


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """Run the whole workflow (rule ``all``) with the smoke preset once per session; return its directory."""
    workdir = tmp_path_factory.mktemp("smoke")
    result = snakemake(workdir, "--cores", "2")
    if result.returncode != 0:
        pytest.fail(f"smoke workflow failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return workdir
