"""Learning-rate schedules by name, over a known number of optimizer steps; both pipelines build theirs here.

    constant     the learning rate throughout (no scheduler)
    exponential  decays geometrically to ``lr * final_factor`` at the last step
    cosine       a half cosine down to ``lr * final_factor``
    onecycle     torch's OneCycleLR: up from lr/25 to ``lr`` over the first 20 % of the steps, then down

A pipeline's schema says which it offers (a PINN phase: constant, exponential, cosine; an operator run:
onecycle, cosine).
"""

from __future__ import annotations

import torch


def scheduler(opt: torch.optim.Optimizer, name: str, lr: float, steps: int, final_factor: float):
    """The scheduler ``name`` for ``opt`` over ``steps`` steps from ``lr``; None for a constant rate."""
    steps = max(int(steps), 1)
    if name == "constant":
        return None
    if name == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=final_factor ** (1.0 / steps))
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr * final_factor)
    if name == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    raise ValueError(f"unknown learning-rate schedule {name!r} (constant, exponential, cosine, onecycle)")
