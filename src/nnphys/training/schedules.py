"""Learning-rate schedules by name, over a known number of optimizer steps, and the growing batch size that
replaces a step decay; both pipelines build theirs here.

    constant      the learning rate throughout (no scheduler)
    exponential   decays geometrically to ``lr * final_factor`` at the last step
    cosine        a half cosine down to ``lr * final_factor``
    onecycle      torch's OneCycleLR: up from lr/25 to ``lr`` over the first 20 % of the steps, then down;
                  Adam's β1 cycles inversely (0.95 → 0.85 → 0.95, torch's default), an SGD momentum is left as
                  configured (torch would otherwise cycle it too, turning plain SGD into momentum SGD)
    step          ``lr / factor**k`` after the k-th of the ``milestones`` (steps)

"Don't decay the learning rate, increase the batch size" (Smith, Kindermans, Ying & Le 2017): SGD's noise
scale is about lr · N / B (N training items, batch size B), so multiplying B by ``factor`` where a step decay
would divide the lr by it lowers the noise alike, in fewer parameter updates (:func:`growing_batches`).

A pipeline's schema says which it offers (a PINN phase: constant, exponential, cosine; an operator run:
onecycle, cosine, step, and the growing batch at a constant rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def scheduler(opt: torch.optim.Optimizer, name: str, lr: float, steps: int, final_factor: float,
              milestones: Sequence[int] = (), factor: float = 1.0):
    """The scheduler ``name`` for ``opt`` over ``steps`` steps from ``lr``; None for a constant rate.
    ``milestones`` (in steps) and ``factor`` are the step decay's."""
    steps = max(int(steps), 1)
    if name == "constant":
        return None
    if name == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=final_factor ** (1.0 / steps))
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr * final_factor)
    if name == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2,
                                                   cycle_momentum="betas" in opt.defaults)
    if name == "step":
        return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[int(m) for m in milestones], gamma=1.0 / factor)
    raise ValueError(f"unknown learning-rate schedule {name!r} (constant, exponential, cosine, onecycle, step)")


def growing_batches(batch_size: int, epochs: int, milestones: Sequence[int], factor: float, items: int) -> list[int]:
    """Batch size of each epoch: ``batch_size * factor**k`` after the k-th of the ``milestones`` (in epochs: a
    milestone m changes the size from epoch m + 1 on, 1-based, as a step decay at m changes the lr), rounded,
    at most ``items`` (one full batch)."""
    return [min(items, round(batch_size * factor ** sum(m <= e for m in milestones))) for e in range(epochs)]


def updates(batch_sizes: Sequence[int], items: int) -> int:
    """Optimizer steps of epochs with these batch sizes over ``items`` training items (the last batch may be short)."""
    return sum(math.ceil(items / b) for b in batch_sizes)
