"""The workflow for real: the smoke preset end to end, reruns only what a change touches."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from helpers import jobs
from nnphys import cli, physics
from nnphys.io import read_dataset

EXPECTED = {
    "heat1d": {"u": ("t", "x")},
    "nls": {"u": ("t", "x"), "v": ("t", "x"), "h_abs": ("t", "x")},
    "poisson": {v: ("sample", "x", "y") for v in ("rho", "phi", "Ex", "Ey")},
    "poisson_dirichlet": {v: ("sample", "x", "y") for v in ("rho", "phi", "Ex", "Ey")},
    "heat2d": {"u": ("sample", "t", "x", "y")},
}


@pytest.mark.parametrize("problem", physics.DATASETS)
def test_reference_outputs_exist_and_read(smoke_run, problem):
    ds = read_dataset(smoke_run / "results" / "reference" / f"{problem}.nc", EXPECTED[problem])
    for name, var in ds.variables.items():
        assert {"units", "long_name"} <= set(var.attrs), name
        assert np.isfinite(var.values).all(), name
    assert ds.attrs["source_fingerprint"] and json.loads(ds.attrs["params"])
    png = smoke_run / "results" / "reference" / "figures" / f"{problem}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@pytest.mark.parametrize("problem", physics.DATASETS)
def test_reference_rule_is_deterministic(smoke_run, tmp_path, problem):
    """Rerunning the rule's command with the recorded settings gives an identical dataset, attributes included."""
    path = smoke_run / "results" / "reference" / f"{problem}.nc"
    first = read_dataset(path)
    out = tmp_path / f"{problem}.nc"
    cfg = json.loads(first.attrs["params"])
    if problem == "heat1d":  # the CLI takes the config form of modes
        cfg["modes"] = [{"n": n, "amplitude": a} for n, a in cfg["modes"]]
    assert physics.params(problem, cfg)  # the recorded settings are a valid config
    rc = cli.main(["reference", problem, "--config", json.dumps(cfg),
                   "--fingerprint", first.attrs["source_fingerprint"], "--out", str(out)])
    assert rc == 0
    assert read_dataset(out).identical(first)


def test_second_run_has_nothing_to_do(smoke_run, run_snakemake):
    result = run_snakemake(smoke_run, "-n")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr, result.stdout[-3000:]


def problem_jobs(output: str) -> list[tuple[str, str | None]]:
    """(rule, problem wildcard) of each job Snakemake lists."""
    return [(job.rule, job.wildcards.get("problem")) for job in jobs(output)]


def test_changing_one_problem_reruns_only_its_rules(smoke_run, run_snakemake, tmp_path):
    override = tmp_path / "override.yaml"
    override.write_text("reference:\n  heat1d: {nx: 23}\n")
    # Compare with a plain dry run made just before, so that the test only sees what the change adds.
    baseline = run_snakemake(smoke_run, "-n")
    result = run_snakemake(smoke_run, "-n", overrides=(override,))
    assert baseline.returncode == 0 and result.returncode == 0, result.stderr
    planned = problem_jobs(result.stdout + result.stderr)
    reference_jobs = {(rule, problem) for rule, problem in planned if rule.startswith("reference")}
    assert reference_jobs == {("reference", "heat1d")}, planned
    # Jobs of the other problems (wildcards such as nls or poisson_fno) are not added by the change.
    added = set(planned) - set(problem_jobs(baseline.stdout + baseline.stderr))
    others = tuple(p for p in physics.DATASETS if p != "heat1d")
    assert not [job for job in added if job[1] and job[1].startswith(others)], added


def test_references_then_the_longest_trainings_start_first(smoke_run, run_snakemake, tmp_path):
    """On one core the start order is the priorities': every reference, then every PINN training (the
    longest jobs), then the operator trainings; a reference is never held back behind a training."""
    run = shutil.copytree(smoke_run, tmp_path / "run", symlinks=True)
    result = run_snakemake(run, "--cores", "1", "--forcerun", "reference", "pinn_train", "operator_train",
                           "--until", "pinn_train", "operator_train")
    assert result.returncode == 0, result.stderr[-4000:]
    started = [job.rule for job in jobs(result.stdout + result.stderr)]
    order = {"reference": 0, "pinn_train": 1, "operator_train": 2}
    assert set(started) == set(order) and started.count("reference") == len(physics.DATASETS), started
    assert started == sorted(started, key=order.get), started


def test_lint_is_clean(run_snakemake, tmp_path):
    result = run_snakemake(tmp_path, "--lint")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def declared(dry_run_output: str) -> dict[str, set[tuple[int, int | None]]]:
    """rule -> {(threads, torch_threads)} over the jobs of a dry run."""
    out: dict[str, set] = {}
    for job in jobs(dry_run_output):
        torch_threads = job.resources.get("torch_threads")
        out.setdefault(job.rule, set()).add((job.threads, int(torch_threads) if torch_threads else None))
    return out


@pytest.mark.parametrize(("cpus", "cores", "threads", "training", "single"), [
    ("0", 8, 2, (8, 1), 8),      # one CPU, --cores 8: every job alone, torch on 1 thread
    ("0,1", 8, 1, (4, 1), 4),    # the README's command on a 2-core laptop: two 1-thread training jobs side by side
    ("0,1", 8, 2, (8, 2), 4),    # 2 threads a job: one training job at a time
    ("0,1", 2, 2, (2, 2), 1),    # --cores = CPUs: nothing scaled, jobs side by side
])
def test_jobs_never_hold_more_threads_than_cpus(repo, tmp_path, cpus, cores, threads, training, single):
    import os
    import subprocess
    import sys

    if len(os.sched_getaffinity(0)) < len(cpus.split(",")):
        pytest.skip("needs that many CPUs")
    cmd = ["taskset", "-c", cpus, sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"),
           "--configfile", str(repo / "config.yaml"), "--config", f"threads={threads}", "-n", "--cores", str(cores)]
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = declared(result.stdout)
    for rule in ("pinn_train", "operator_train"):
        assert found[rule] == {training}, (rule, found[rule])
    for rule in ("reference", "report_tables"):
        assert found[rule] == {(single, None)}, (rule, found[rule])
