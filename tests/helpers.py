"""What the tests share: running the real workflow through Snakemake, and reading the jobs it prints.

Snakemake runs as a subprocess (so profiles and the CLI behave as for a user), with the repository's
Snakefile and the working directory set to a temporary folder: outputs, logs and .snakemake locks stay
there. The Snakefile's own ``configfile: "config.yaml"`` resolves against the working directory, so every
call passes the repository's config.yaml explicitly, followed by any preset.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
CONFIG = REPO / "config.yaml"
SMOKE = REPO / "workflow" / "presets" / "smoke.yaml"


def snakemake(workdir: Path, *args: str, preset: Path = SMOKE, overrides=(), timeout: float = 900
              ) -> subprocess.CompletedProcess:
    """``python -m snakemake -s <repo>/Snakefile --configfile config.yaml <preset> <overrides> <args>`` in ``workdir``.

    Later config files win key by key (nested sections merge), so an override file can change one setting.
    """
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE),
           "--configfile", str(CONFIG), str(preset), *map(str, overrides), *args]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env)


@dataclass(frozen=True)
class Job:
    """One job as Snakemake prints it (dry run or log): ``[local]rule <name>:`` and its indented fields."""

    rule: str
    local: bool
    jobid: int | None
    wildcards: dict[str, str] = field(default_factory=dict)
    threads: int = 1  # Snakemake omits "threads: 1"
    resources: dict[str, str] = field(default_factory=dict)


def _pairs(line: str | None) -> dict[str, str]:
    """``a=1, b=x y, c=z`` as a dict (a value may hold spaces, e.g. ``mem=4 GB``)."""
    return dict(item.split("=", 1) for item in re.split(r", (?=\w+=)", line)) if line else {}


def jobs(output: str) -> list[Job]:
    """Every job block in Snakemake's output, in order."""
    found = []
    for block in re.split(r"^(?=(?:local)?rule \w+:)", output, flags=re.M):
        head = re.match(r"(local)?rule (\w+):", block)
        if not head:
            continue
        field_of = {m[1]: m[2] for m in re.finditer(r"^\s+(\w+): (.*)$", block, flags=re.M)}
        found.append(Job(rule=head[2], local=bool(head[1]),
                         jobid=int(field_of["jobid"]) if "jobid" in field_of else None,
                         wildcards=_pairs(field_of.get("wildcards")), threads=int(field_of.get("threads", 1)),
                         resources=_pairs(field_of.get("resources"))))
    return found


def killed_after_checkpoint(monkeypatch, at_step: int, train, *args, **kwargs) -> None:
    """Run ``train(*args, **kwargs)`` until it has saved its checkpoint of step ``at_step``, then stop it
    there, as a kill would: the checkpoint stays behind for the next run to resume (or refuse)."""
    from nnphys.training.checkpoint import Checkpointer

    save = Checkpointer.maybe_save

    def stopping(self, step, history=None):
        save(self, step, history)
        if step == at_step:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpointer, "maybe_save", stopping)
    try:
        with pytest.raises(KeyboardInterrupt):
            train(*args, **kwargs)
    finally:
        monkeypatch.setattr(Checkpointer, "maybe_save", save)
