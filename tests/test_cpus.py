"""Sharing CPUs among Snakemake jobs: never more running threads than usable CPUs."""

import itertools

import pytest

from nnphys.cpus import _cgroup_limit, job_threads, usable_cpus


@pytest.mark.parametrize("text, expected", [("max 100000", None), ("200000 100000", 2), ("150000 100000", 2),
                                            ("50000 100000", 1)])
def test_cgroup_quota(tmp_path, text, expected):
    f = tmp_path / "cpu.max"
    f.write_text(text + "\n")
    assert _cgroup_limit(f) == expected


def test_missing_cgroup_file_is_no_limit(tmp_path):
    assert _cgroup_limit(tmp_path / "absent") is None


def test_slurm_allocation_limits(tmp_path):
    absent = tmp_path / "absent"
    free = usable_cpus({}, absent)
    assert usable_cpus({"SLURM_CPUS_PER_TASK": "1"}, absent) == 1
    assert usable_cpus({"SLURM_CPUS_PER_TASK": str(free + 50)}, absent) == free


@pytest.mark.parametrize("cores, usable", itertools.product([1, 2, 3, 5, 8, 64], [1, 2, 4, 16]))
def test_running_threads_never_exceed_usable_cpus(cores, usable):
    """Fill the cores greedily with any mix of 1-, 2- and 4-thread jobs, as Snakemake's scheduler may."""
    kinds = [job_threads(t, cores, usable) for t in (1, 2, 4)]
    for declared, runs in kinds:
        assert 1 <= declared <= cores and 1 <= runs <= min(usable, cores)
    for mix in itertools.product(range(9), repeat=3):
        if sum(n * d for n, (d, _) in zip(mix, kinds)) <= cores:
            assert sum(n * r for n, (_, r) in zip(mix, kinds)) <= max(usable, 1)


def test_enough_cpus_leave_jobs_side_by_side():
    assert job_threads(2, 32, 32) == (2, 2)       # a workstation: 16 two-thread jobs at once
    assert job_threads(2, 8, 2) == (8, 2)         # --cores 8 on 2 CPUs: one training job at a time
    assert job_threads(1, 8, 2) == (4, 1)         # ... or two single-threaded ones
    assert job_threads(2, None, 2) == (2, 2)      # cluster executor or dry run: untouched
