"""The profiles load, and the slurm profile's per-rule resources reach the jobs they are meant for."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

PROFILES = Path(__file__).resolve().parents[2] / "workflow" / "profiles"


def dry_run_jobs(out: str) -> dict[str, str]:
    """rule -> its resources line, for each rule a dry run lists."""
    found = {}
    for block in re.split(r"^(?=(?:local)?rule \w+:)", out, flags=re.M):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        resources = re.search(r"^\s+resources: (.*)$", block, re.M)
        if rule and resources:
            found[rule.group(1)] = resources.group(1)
    return found


@pytest.mark.skipif(shutil.which("sinfo") is None, reason="SLURM client tools not installed")
def test_slurm_profile_gives_gpu_rules_their_resources(run_snakemake, tmp_path):
    """Every rule that declares a GPU has set-resources in the profile, and every entry names a real rule."""
    profile = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text())
    run = run_snakemake(tmp_path, "-n", "--profile", str(PROFILES / "slurm"))
    assert run.returncode == 0, run.stderr[-3000:]
    jobs = dry_run_jobs(run.stdout + run.stderr)
    rules = set(run_snakemake(tmp_path, "--list-rules").stdout.split())
    assert set(profile["set-resources"]) <= rules, "set-resources names a rule the workflow does not have"
    gpu_rules = {rule for rule, res in jobs.items() if re.search(r"\bgpu=[1-9]", res)}
    assert gpu_rules, "the smoke preset should run rules that declare resources gpu=1"
    assert gpu_rules <= set(profile["set-resources"]), f"GPU rules without set-resources: {gpu_rules - set(profile['set-resources'])}"
    for rule, res in jobs.items():
        wanted = {**profile["default-resources"], **profile["set-resources"].get(rule, {})}
        for key, value in wanted.items():
            assert re.search(rf"\b{key}={value}\b", res), (rule, key, res)


def test_local_profile_loads(run_snakemake, tmp_path):
    """Snakemake accepts every key of the local profile (a wrong key or value stops it)."""
    run = run_snakemake(tmp_path, "-n", "--profile", str(PROFILES / "local"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"Using profile {PROFILES / 'local'}" in run.stdout + run.stderr
