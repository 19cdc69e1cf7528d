"""Where torch work runs: ``auto`` picks CUDA, then MPS, then CPU."""

from __future__ import annotations

from nnphys.configcheck import ConfigError


def select(name: str = "auto", threads: int | None = None):
    """A ``torch.device`` for config value ``device``; sets torch's CPU threads when given.

    Asking for ``cuda`` or ``mps`` where none is available is a config error, not
    a silent fallback: a run that should be on a GPU must not quietly take hours on a CPU.
    """
    import torch

    if threads:
        torch.set_num_threads(int(threads))
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
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
    return torch.device(name)
