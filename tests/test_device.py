"""Device selection: each concurrent GPU job on a multi-GPU workstation gets its own GPU.

No GPU is needed: the child processes replace torch's CUDA queries with a fake list of
two GPUs, then call the real ``select``; the slot locks are real ``fcntl`` locks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from nnphys import device
from nnphys.configcheck import ConfigError

# A process with two fake GPUs: select() twice (same answer), print it, hold it until stdin closes.
CHILD = textwrap.dedent("""
    import sys, types, torch
    torch.cuda.is_available = lambda: True
    torch.cuda.device_count = lambda: 2
    torch.cuda.get_device_properties = lambda i: types.SimpleNamespace(uuid=("GPU-aaaa", "GPU-bbbb")[i])
    torch.cuda.set_device = lambda i: None
    from nnphys.configcheck import ConfigError
    from nnphys.device import select
    try:
        first, again = select("auto", 1), select("cuda", 1)
    except ConfigError as e:
        print("ConfigError:", e, flush=True)
        sys.exit(2)
    assert first == again, (first, again)
    print(first, flush=True)
    sys.stdin.read()
""")


def start(lock_dir, wait_s=0.0):
    """A child process holding a fake GPU; its first line of output is its device (or the error)."""
    env = {**os.environ, device.LOCK_DIR_ENV: str(lock_dir), device.WAIT_ENV: str(wait_s)}
    return subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def first_line(proc) -> str:
    return proc.stdout.readline().strip()


def release(proc) -> None:
    """Let the child exit (which drops its lock) and check it ended cleanly."""
    if proc.poll() is None:
        _, err = proc.communicate(input="", timeout=60)
        assert proc.returncode == 0, err


def test_concurrent_gpu_jobs_get_different_devices(tmp_path):
    """Two jobs on two GPUs: cuda:0 and cuda:1. A third fails clearly; one that waits gets the freed GPU."""
    a, b = start(tmp_path), start(tmp_path)
    waiting = None
    try:
        dev_a, dev_b = first_line(a), first_line(b)
        assert {dev_a, dev_b} == {"cuda:0", "cuda:1"}, (dev_a, dev_b, a.stderr.read() if not dev_a else "")

        third = start(tmp_path)
        out, err = third.communicate(timeout=60)
        assert third.returncode == 2, err
        assert "all 2 GPUs are in use" in out and "--resources gpu=2" in out, out

        waiting = start(tmp_path, wait_s=60)
        release(a)
        assert first_line(waiting) == dev_a
    finally:
        for proc in (a, b, waiting):
            if proc is not None:
                release(proc)


def test_lock_follows_the_physical_gpu(tmp_path, monkeypatch):
    """The lock names the GPU, not its index: GPU-b held as index 1 is busy for a process that sees it as index 0."""
    monkeypatch.setenv(device.LOCK_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(device, "_held", {})
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from nnphys.device import claim_gpu_slot as c; "
                               "print(c(['GPU-b'], 0), flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert first_line(holder) == "0"
        assert device.claim_gpu_slot(["GPU-b", "GPU-a"], wait_s=0) == 1
        with pytest.raises(ConfigError, match="all 1 GPUs are in use"):
            device.claim_gpu_slot(["GPU-b"], wait_s=0)
    finally:
        holder.communicate(input="", timeout=60)
        for _, fd in device._held.values():
            os.close(fd)


def test_one_visible_gpu_needs_no_lock(tmp_path, monkeypatch):
    """One visible GPU (a SLURM job with --gpus=1: Slurm set CUDA_VISIBLE_DEVICES) is simply cuda:0."""
    monkeypatch.setenv(device.LOCK_DIR_ENV, str(tmp_path / "locks"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert device.select("auto") == torch.device("cuda", 0)
    assert device.select("cuda") == torch.device("cuda", 0)
    assert not (tmp_path / "locks").exists()
