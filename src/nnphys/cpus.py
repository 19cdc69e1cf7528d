"""How many CPUs this process may really use, and how to share them among Snakemake's jobs.

Snakemake schedules jobs so that their declared ``threads`` add up to at most ``--cores``.
It does not know how many CPUs the machine has: ``snakemake --cores 8`` on a 2-core laptop
runs four 2-thread training jobs at once, each 2-thread torch pool then fights for the same
two cores, and every job runs tens of times slower than its fair share.

The rule used here: a job that really runs ``n`` threads declares
``ceil(n * cores / usable)`` threads. The declared threads of the running jobs add up to at
most ``cores``, so the threads they really run add up to at most ``usable``. With
``--cores`` at or below the usable CPUs nothing changes, so a cluster node or a big
workstation still runs jobs side by side.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def _cgroup_limit(path: Path = CGROUP_CPU_MAX) -> int | None:
    """CPUs allowed by a cgroup v2 quota ("<quota> <period>", or "max <period>" for none)."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return max(1, math.ceil(int(quota) / int(period)))


def _slurm_limit(env: dict[str, str]) -> int | None:
    """CPUs SLURM gave this job step (``--cpus-per-task``), when it runs inside one."""
    for key in ("SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"):
        value = env.get(key, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def usable_cpus(env: dict[str, str] | None = None, cgroup: Path = CGROUP_CPU_MAX) -> int:
    """The fewest of: CPUs in this process's affinity mask, the cgroup quota, SLURM's allocation."""
    env = dict(os.environ) if env is None else env
    limits = [len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
              _cgroup_limit(cgroup), _slurm_limit(env)]
    return min(n for n in limits if n)


def job_threads(threads: int, cores: int | None, usable: int) -> tuple[int, int]:
    """(threads to declare to Snakemake, threads the job really runs) for a job that wants ``threads``.

    ``cores`` is Snakemake's ``--cores`` (None where it is unknown, as in a dry run or on a
    cluster executor, where each job gets its own CPUs: nothing is scaled then).
    """
    if cores is None:
        return threads, threads
    runs = max(1, min(threads, usable, cores))
    declared = min(cores, math.ceil(runs * cores / usable)) if cores > usable else runs
    return declared, runs
