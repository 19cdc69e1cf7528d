"""Periodic checkpoints and resume after a kill.

A checkpoint holds everything a training loop needs to continue as if it had
never stopped: model and optimizer (and scheduler) state, the step, the
training history so far, the config it was made with, and the RNG states.
Resuming from it reproduces the uninterrupted run bit for bit on CPU.

A checkpoint whose config differs from the current run's is ignored (with a
note in the log): changed settings start a fresh run rather than continuing
a different one.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nnphys.io import load_checkpoint, save_checkpoint


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    """Seed torch, numpy and random, and make torch pick deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


class Checkpointer:
    """Saves training state every ``every`` steps to ``path`` and restores it.

    ``objects`` maps names to things with ``state_dict``/``load_state_dict``
    (model, optimizer, scheduler, grad scaler).
    """

    def __init__(self, path: str | Path, every: int, config: dict[str, Any], objects: dict[str, Any]):
        self.path = Path(path)
        self.every = int(every)
        self.config_key = json.dumps(config, sort_keys=True, default=str)
        self.objects = objects

    def save(self, step: int, history: Any = None) -> None:
        state = {name: obj.state_dict() for name, obj in self.objects.items()}
        state.update(step=step, history=history, config=self.config_key, rng=rng_state())
        save_checkpoint(self.path, state)

    def maybe_save(self, step: int, history: Any = None) -> None:
        if self.every > 0 and step > 0 and step % self.every == 0:
            self.save(step, history)

    def resume(self) -> tuple[int, Any]:
        """Restore the latest checkpoint if it belongs to this config: returns (step, history), else (0, None)."""
        if not self.path.exists():
            return 0, None
        state = load_checkpoint(self.path, required=("step", "config", *self.objects))
        if state["config"] != self.config_key:
            print(f"checkpoint {self.path} was made with other settings; starting afresh", file=sys.stderr)
            return 0, None
        for name, obj in self.objects.items():
            obj.load_state_dict(state[name])
        set_rng_state(state["rng"])
        print(f"resumed from {self.path} at step {state['step']}", file=sys.stderr)
        return int(state["step"]), state["history"]

    def remove(self) -> None:
        """Drop the checkpoint once the final model is written."""
        self.path.unlink(missing_ok=True)
