"""A throw-away single-node SLURM cluster (scripts/slurm-cluster) for the duration of a test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "slurm-cluster"
SUMMARY: list[str] = []  # lines for the end of the pytest run, shown in CI without -s


@pytest.fixture
def slurm_cluster(tmp_path_factory) -> Path:
    """Start the cluster, yield its folder (logs, jobcomp.txt), stop it even when the test fails."""
    path = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"  # where Debian puts the daemons
    missing = [tool for tool in ("slurmctld", "slurmd", "munged") if shutil.which(tool, path=path) is None]
    if missing:
        pytest.skip(f"SLURM is not installed ({', '.join(missing)} missing): apt-get install slurm-wlm munge")
    folder = tmp_path_factory.mktemp("slurm")
    up = subprocess.run([str(SCRIPT), "up", "--dir", str(folder)], capture_output=True, text=True, timeout=180)
    try:
        if up.returncode != 0:
            pytest.fail(f"slurm-cluster up failed (exit {up.returncode}):\n{up.stdout}\n{up.stderr}")
        yield folder
    finally:
        subprocess.run([str(SCRIPT), "down", "--dir", str(folder)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def terminal_summary() -> list[str]:
    """Lines to print at the end of the pytest run (visible in CI without -s)."""
    return SUMMARY


def pytest_terminal_summary(terminalreporter):
    for line in SUMMARY:
        terminalreporter.write_line(line)
