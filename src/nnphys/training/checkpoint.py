"""Periodic checkpoints and resume after a kill.

A checkpoint holds everything a training loop needs to continue as if it had
never stopped: model and optimizer (and scheduler) state, the step, the
training history so far, the config it was made with, and the RNG states.
Resuming from it reproduces the uninterrupted run bit for bit on CPU.

A checkpoint is resumed only if its key (:func:`checkpoint_key`) matches the
current run's: the run config, the code fingerprint and the identity of the
reference data. Otherwise it is removed, with one log line naming what differed:
changed inputs start a fresh run rather than continuing a different one.
A checkpoint that cannot be read is removed the same way (it is only a cache).

Checkpoints hold tensors and plain data only (the numpy RNG state is converted),
so they load with ``weights_only=True``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nnphys.io import DataError, load_checkpoint, save_checkpoint
from nnphys.training.seeding import rng_state, set_rng_state


def checkpoint_key(config: Mapping[str, Any], code: str = "",
                   reference: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Everything a training result depends on, entry by entry, as comparable strings.

    ``config``: the run's resolved config; ``code``: the source fingerprint of the code that trains;
    ``reference``: the identity of the data trained on (:func:`nnphys.io.dataset_identity`: params,
    seed, source fingerprint). The entry names are what the log line says differed.
    """
    canonical = lambda v: json.dumps(v, sort_keys=True, default=str)  # noqa: E731
    key = {"run config": canonical(config), "code fingerprint": str(code)}
    key.update({f"reference {name}": canonical(value) for name, value in (reference or {}).items()})
    return key


class Checkpointer:
    """Saves training state every ``every`` steps to ``path`` and restores it.

    ``objects`` maps names to things with ``state_dict``/``load_state_dict``
    (model, optimizer, scheduler, grad scaler). ``config``, ``code`` and
    ``reference`` make the checkpoint's key (see :func:`checkpoint_key`).
    """

    def __init__(self, path: str | Path, every: int, config: Mapping[str, Any], objects: dict[str, Any], *,
                 code: str = "", reference: Mapping[str, Any] | None = None):
        self.path = Path(path)
        self.every = int(every)
        self.key = checkpoint_key(config, code, reference)
        self.objects = objects

    def save(self, step: int, history: Any = None) -> None:
        state = {name: obj.state_dict() for name, obj in self.objects.items()}
        state.update(step=step, history=history, key=self.key, rng=rng_state())
        save_checkpoint(self.path, state)

    def maybe_save(self, step: int, history: Any = None) -> None:
        if self.every > 0 and step > 0 and step % self.every == 0:
            self.save(step, history)

    def resume(self) -> tuple[int, Any]:
        """Restore the latest checkpoint if its key is this run's: returns (step, history), else (0, None)."""
        if not self.path.exists():
            return 0, None
        why = None
        try:
            state = load_checkpoint(self.path, required=("step", "key", "rng", *self.objects))
        except DataError as exc:
            why = f"unreadable or from an older nnphys: {exc}"
        else:
            old = state["key"]
            differ = sorted(name for name in self.key.keys() | old.keys() if old.get(name) != self.key.get(name))
            if differ:
                why = f"changed since it was saved: {', '.join(differ)}"
        if why:
            self.path.unlink()
            print(f"checkpoint {self.path} not resumed ({why}); removed it, starting afresh", file=sys.stderr)
            return 0, None
        for name, obj in self.objects.items():
            obj.load_state_dict(state[name])
        set_rng_state(state["rng"])
        print(f"resumed from {self.path} at step {state['step']}", file=sys.stderr)
        return int(state["step"]), state["history"]

    def remove(self) -> None:
        """Drop the checkpoint once the final model is written."""
        self.path.unlink(missing_ok=True)
