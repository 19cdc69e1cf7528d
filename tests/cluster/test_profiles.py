"""The profiles load, and the slurm profile's per-rule resources reach the jobs they are meant for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from helpers import jobs

PROFILES = Path(__file__).resolve().parents[2] / "workflow" / "profiles"


@pytest.mark.skipif(shutil.which("sinfo") is None, reason="SLURM client tools not installed")
def test_slurm_profile_gives_gpu_rules_their_resources(run_snakemake, tmp_path):
    """Every rule that declares a GPU has set-resources in the profile, and every entry names a real rule."""
    profile = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text())
    run = run_snakemake(tmp_path, "-n", "--profile", str(PROFILES / "slurm"))
    assert run.returncode == 0, run.stderr[-3000:]
    planned = jobs(run.stdout + run.stderr)
    rules = set(run_snakemake(tmp_path, "--list-rules").stdout.split())
    assert set(profile["set-resources"]) <= rules, "set-resources names a rule the workflow does not have"
    gpu_rules = {job.rule for job in planned if int(job.resources.get("gpu", 0)) > 0}
    assert gpu_rules, "the smoke preset should run rules that declare resources gpu=1"
    assert gpu_rules <= set(profile["set-resources"]), f"GPU rules without set-resources: {gpu_rules - set(profile['set-resources'])}"
    for job in planned:
        wanted = {**profile["default-resources"], **profile["set-resources"].get(job.rule, {})}
        for key, value in wanted.items():
            assert job.resources.get(key) == str(value), (job.rule, key, job.resources)


def test_local_profile_loads(run_snakemake, tmp_path):
    """Snakemake accepts every key of the local profile (a wrong key or value stops it)."""
    run = run_snakemake(tmp_path, "-n", "--profile", str(PROFILES / "local"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"Using profile {PROFILES / 'local'}" in run.stdout + run.stderr
