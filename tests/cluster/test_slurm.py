"""The smoke preset submitted through the slurm profile to a real (throw-away, single-node) SLURM.

Checked against Slurm's own records, not only Snakemake's word: every job Snakemake ran
must be a batch job slurmctld recorded (its jobcomp file and ``scontrol show job``) under
this run's job name, completed with exit code 0, in partition ``main``, with a GPU
allocated exactly for the rules that declare ``gpu``; and the results must equal a local
run of the same preset.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from helpers import jobs
from nnphys.io import read_dataset

pytestmark = pytest.mark.slurm

PROFILE = Path(__file__).resolve().parents[2] / "workflow" / "profiles" / "slurm"


def jobcomp(path: Path) -> dict[str, dict[str, str]]:
    """slurmctld's completion record (JobCompType=jobcomp/filetxt): job id -> fields."""
    records = {}
    for line in path.read_text().splitlines():
        fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
        records[fields["JobId"]] = fields
    return records


def scontrol_job(job_id: str) -> dict[str, str]:
    out = subprocess.run(["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.split() if "=" in item)


def without_timings(obj):
    """A metrics JSON without wall-clock entries (``*seconds``, throughputs ``*_per_s``), which no two runs share."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if not re.search(r"(seconds|_per_s)$", k)}
    return obj


def test_smoke_preset_through_slurm_profile(slurm_cluster, smoke_run, run_snakemake, tmp_path, record_property,
                                           terminal_summary):
    start = time.monotonic()
    run = run_snakemake(tmp_path, "--profile", str(PROFILE), "--slurm-init-seconds-before-status-checks", "1",
                        timeout=1800)
    seconds = time.monotonic() - start
    log = run.stdout + run.stderr
    assert run.returncode == 0, f"snakemake through SLURM failed:\n{log[-6000:]}"

    run_uuid = re.search(r"SLURM run ID: (\S+)", log).group(1)
    submitted = {int(j): s for j, s in re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log)}
    ran = {job.jobid: job for job in jobs(log) if job.jobid is not None}
    remote = {j for j, job in ran.items() if not job.local}
    assert remote and set(submitted) == remote, f"jobs not submitted: {sorted(remote - set(submitted))}"

    # Slurm's records: exactly these batch jobs under this run's name, all completed cleanly.
    records = {i: r for i, r in jobcomp(slurm_cluster / "log" / "jobcomp.txt").items() if r["Name"] == run_uuid}
    assert set(records) == set(submitted.values())
    for slurm_id, rec in records.items():
        assert (rec["JobState"], rec["ExitCode"], rec["Partition"]) == ("COMPLETED", "0:0", "main"), rec
        assert Path(rec["WorkDir"]) == tmp_path
    gpu_jobs = 0
    for j, slurm_id in submitted.items():
        job, info = ran[j], scontrol_job(slurm_id)
        wants_gpu = int(job.resources.get("gpu", 0)) > 0
        assert info["Comment"].startswith(f"rule_{job.rule}"), (job, info["Comment"])
        assert ("gpu:1" in info.get("TresPerJob", "")) == wants_gpu, (job, info.get("TresPerJob"))
        gpu_jobs += wants_gpu
    assert gpu_jobs, "no job asked for a GPU: the training rules should declare resources gpu=1"

    # Same results as the local run of the preset.
    def results(root):
        return {p.relative_to(root) for p in (root / "results").rglob("*")
                if p.is_file() and not {"logs", "benchmarks"} & set(p.relative_to(root / "results").parts)}

    files = results(tmp_path)
    assert files == results(smoke_run)
    for rel in sorted(files):
        if rel.parts[1] == "reference" and rel.suffix == ".nc":
            assert read_dataset(tmp_path / rel).identical(read_dataset(smoke_run / rel)), rel
        elif rel.name == "metrics.json":
            assert without_timings(json.loads((tmp_path / rel).read_text())) == \
                without_timings(json.loads((smoke_run / rel).read_text())), rel

    line = (f"SLURM: {len(submitted)} jobs submitted through sbatch ({gpu_jobs} with a GPU), "
            f"all COMPLETED in Slurm's records; workflow took {seconds:.0f} s")
    print(line)
    record_property("slurm_jobs_submitted", len(submitted))
    terminal_summary.append(line)
