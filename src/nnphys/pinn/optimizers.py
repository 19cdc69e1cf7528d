"""Optimizer phases run one after another, e.g. Adam with a decaying learning rate, then full-batch L-BFGS.

A phase is a config dict: ``{"optimizer": "adam" | "sgd" | "lbfgs", "steps": n, "lr": ..., ...}``.

- adam / sgd: one step per minibatch-free loss evaluation; ``schedule`` is ``constant``, ``exponential``
  (lr decays geometrically to ``lr * final_factor`` at the phase end) or ``cosine`` (to the same floor);
  sgd uses ``momentum`` (Nesterov off).
- lbfgs: torch.optim.LBFGS with strong-Wolfe line search; ``steps`` is its iteration budget;
  ``tolerance_grad``, ``tolerance_change``, ``history_size`` as in torch. It is driven in chunks of
  iterations (for logging and checkpoints); :func:`lbfgs_stop_reason` says why it stopped early.
- lm: Levenberg–Marquardt (:mod:`nnphys.pinn.levenberg_marquardt`), initial damping ``mu``; for small
  networks only (it builds the full Jacobian).

:class:`Phases` has ``state_dict``/``load_state_dict`` (phase index + optimizer + scheduler state),
so the lead's Checkpointer saves and restores it like any optimizer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch

from nnphys.pinn.levenberg_marquardt import LevenbergMarquardt

OPTIMIZERS = ("adam", "sgd", "lbfgs", "lm")


def _build(spec: dict, params: list[torch.nn.Parameter]):
    kind, steps = spec["optimizer"], int(spec["steps"])
    lr = float(spec.get("lr", 1.0 if kind == "lbfgs" else 1e-3))
    if kind == "lm":
        return LevenbergMarquardt(params, mu=float(spec.get("mu", 1e-3))), None
    if kind == "lbfgs":
        opt = torch.optim.LBFGS(params, lr=lr, max_iter=1, history_size=int(spec.get("history_size", 50)),
                                tolerance_grad=float(spec.get("tolerance_grad", 1e-9)),
                                tolerance_change=float(spec.get("tolerance_change", 1e-12)),
                                line_search_fn="strong_wolfe")
        return opt, None
    if kind == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    elif kind == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=float(spec.get("momentum", 0.9)))
    else:
        raise ValueError(f"unknown optimizer {kind!r} (known: {', '.join(OPTIMIZERS)})")
    schedule, floor = spec.get("schedule", "constant"), float(spec.get("final_factor", 1.0))
    if schedule == "constant":
        sched = None
    elif schedule == "exponential":
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=floor ** (1.0 / max(steps, 1)))
    elif schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1), eta_min=lr * floor)
    else:
        raise ValueError(f"unknown schedule {schedule!r} (constant, exponential, cosine)")
    return opt, sched


class Phases:
    """The optimizer phases of a run over global steps [0, total)."""

    def __init__(self, params: Iterable[torch.nn.Parameter], specs: Sequence[dict]):
        self.params = list(params)
        self.specs = [dict(s) for s in specs]
        self.ends = []
        end = 0
        for s in self.specs:
            end += int(s["steps"])
            self.ends.append(end)
        self.index = -1
        self.optimizer = self.scheduler = None
        self.enter(0)

    @property
    def total(self) -> int:
        return self.ends[-1] if self.ends else 0

    @property
    def kind(self) -> str:
        return self.specs[self.index]["optimizer"]

    @property
    def start(self) -> int:
        return self.ends[self.index - 1] if self.index > 0 else 0

    @property
    def end(self) -> int:
        return self.ends[self.index]

    def index_at(self, step: int) -> int:
        return next(i for i, e in enumerate(self.ends) if step < e)

    def enter(self, index: int) -> None:
        if index != self.index and self.specs:
            self.index = index
            self.optimizer, self.scheduler = _build(self.specs[index], self.params)

    def state_dict(self) -> dict:
        return {"index": self.index, "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler else None}

    def load_state_dict(self, state: dict) -> None:
        self.enter(int(state["index"]))
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])


def lbfgs_iterations(opt: torch.optim.LBFGS, closure: Callable[[], torch.Tensor], n: int) -> tuple[int, str | None]:
    """Run up to ``n`` L-BFGS iterations; returns (iterations done, stop reason or None if all n ran)."""
    group = opt.param_groups[0]
    # no evaluation cap per chunk: only the tolerances (or the phase's step budget) end the phase
    group["max_iter"], group["max_eval"] = n, 10**9
    state = opt.state[group["params"][0]]
    before = state.get("n_iter", 0)
    opt.step(closure)
    done = state.get("n_iter", 0) - before
    if done >= n:
        return done, None
    return done, lbfgs_stop_reason(opt)


def lbfgs_stop_reason(opt: torch.optim.LBFGS) -> str:
    """Why torch's L-BFGS returned before its iteration budget (the checks in its step(), in order)."""
    group = opt.param_groups[0]
    grads = [p.grad.abs().max() for p in group["params"] if p.grad is not None]
    gmax = float(torch.stack(grads).max()) if grads else 0.0
    if gmax <= group["tolerance_grad"]:
        return f"tolerance_grad: max |gradient| = {gmax:.3g} <= {group['tolerance_grad']:g}"
    return (f"tolerance_change: step or loss change below {group['tolerance_change']:g} "
            f"(max |gradient| = {gmax:.3g})")
