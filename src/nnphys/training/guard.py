"""Stop training on a NaN or Inf loss, naming the step and the loss term."""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch


class NonFiniteLoss(FloatingPointError):
    """A loss term became NaN or Inf; the last good checkpoint is kept."""


def check_finite(terms: Mapping[str, torch.Tensor], step: int) -> None:
    """Raise :class:`NonFiniteLoss` if any loss term is not finite.

    One device sync for all terms: the stacked check is a single reduction.
    """
    values = torch.stack([t.detach().reshape(()) for t in terms.values()])
    if bool(torch.isfinite(values).all()):
        return
    bad = {name: v for name, v in zip(terms, values.tolist()) if not math.isfinite(v)}
    raise NonFiniteLoss(f"loss became non-finite at step {step}: term(s) {', '.join(bad)} = "
                        f"{', '.join(map(str, bad.values()))}; "
                        "the last good checkpoint is kept (lower the learning rate or use float64)")
