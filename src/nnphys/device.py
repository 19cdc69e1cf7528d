"""Where torch work runs: ``auto`` picks CUDA, then MPS, then CPU.

On a workstation with several GPUs, concurrent jobs must not all land on GPU 0, and
Snakemake only counts GPUs (``--resources gpu=N``), it does not say which one a job
gets. So a process that resolves to CUDA with more than one visible GPU claims a
free GPU *slot*: an exclusive ``fcntl`` lock on one file per physical GPU, held until
the process exits (the kernel releases it even after a crash). Only visible GPUs are
candidates, so under SLURM a job stays on the GPUs Slurm gave it (Slurm sets
``CUDA_VISIBLE_DEVICES``; with one GPU per job there is nothing to choose or lock).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from pathlib import Path

from nnphys.configcheck import ConfigError

LOCK_DIR_ENV = "NNPHYS_GPU_LOCK_DIR"  # folder of the slot lock files (default: <tmp>/nnphys-gpu-locks)
WAIT_ENV = "NNPHYS_GPU_WAIT_S"  # how long to wait for a free slot before failing (default 30 s)
DEFAULT_WAIT_S = 30.0

_held: dict[tuple[str, ...], tuple[int, int]] = {}  # device ids -> (slot index, open lock fd)


def lock_dir() -> Path:
    """The folder of GPU slot locks; shared by every user of the machine, like the GPUs."""
    path = Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "nnphys-gpu-locks")
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        try:
            path.chmod(0o1777)
        except PermissionError:  # someone else's folder: their mode stands
            pass
    return path


def claim_gpu_slot(device_ids: list[str], wait_s: float | None = None) -> int:
    """Index into ``device_ids`` of a GPU no other process of this machine holds; held until exit.

    ``device_ids`` name the visible GPUs in torch's order (UUIDs where torch knows them,
    so two processes with different ``CUDA_VISIBLE_DEVICES`` still agree on which
    physical GPU a lock stands for). The same process asking again gets the same slot.
    When every GPU is taken it retries for ``wait_s`` seconds (a job ending just now
    frees its slot a moment after Snakemake starts the next one), then raises
    ``ConfigError``: more GPU jobs run than there are GPUs.
    """
    key = tuple(device_ids)
    if key in _held:
        return _held[key][0]
    if wait_s is None:
        wait_s = float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_S))
    folder = lock_dir()
    deadline = time.monotonic() + wait_s
    while True:
        for i, dev in enumerate(device_ids):
            path = folder / f"gpu-{dev.replace('/', '_')}.lock"
            # Read-only is enough for flock, and works on a lock file another user created.
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            _held[key] = (i, fd)
            return i
        if time.monotonic() >= deadline:
            raise ConfigError(
                f"all {len(device_ids)} GPUs are in use by other nnphys processes (locks in {folder}); "
                f"run at most that many GPU jobs at once: snakemake --resources gpu={len(device_ids)} "
                f"(the local profile's resources: gpu)")
        time.sleep(0.5)


def _cuda_device_ids(torch) -> list[str]:
    """Stable names of the visible CUDA devices: UUIDs, else the CUDA_VISIBLE_DEVICES entries, else indices."""
    n = torch.cuda.device_count()
    try:
        return [str(torch.cuda.get_device_properties(i).uuid) for i in range(n)]
    except (AttributeError, RuntimeError):
        visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
        return visible if len(visible) == n else [str(i) for i in range(n)]


def _cuda(torch):
    """This process's CUDA device: a claimed slot when several GPUs are visible."""
    if torch.cuda.device_count() < 2:
        return torch.device("cuda", 0)
    slot = claim_gpu_slot(_cuda_device_ids(torch))
    torch.cuda.set_device(slot)  # stray .cuda() calls in libraries land on the same GPU
    return torch.device("cuda", slot)


def select(name: str = "auto", threads: int | None = None):
    """A ``torch.device`` for config value ``device``; sets torch's CPU threads when given.

    Asking for ``cuda`` or ``mps`` where none is available is a config error, not
    a silent fallback: a run that should be on a GPU must not quietly take hours on a CPU.
    A CUDA device is a specific ``cuda:i``: see the module docstring for how it is chosen.
    """
    import torch

    if threads:
        torch.set_num_threads(int(threads))
    if name == "auto":
        if torch.cuda.is_available():
            return _cuda(torch)
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("config key 'device': 'cuda' requested but torch sees no CUDA device "
                          "(use device: auto or cpu)")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("config key 'device': 'mps' requested but MPS is not available (use device: auto or cpu)")
    if name not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"config key 'device': unknown device {name!r} (auto, cpu, cuda or mps)")
    return _cuda(torch) if name == "cuda" else torch.device(name)
