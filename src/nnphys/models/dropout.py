"""Dropout layers of the operator architectures, and Monte Carlo dropout (Gal & Ghahramani 2016).

A network trained with dropout p keeps its dropout layers. In ``eval()`` mode they are the identity: the
deterministic prediction every evaluation makes (the "weight-scaling" approximation of the mean). Under
:func:`monte_carlo` only the dropout layers sample masks again, everything else stays in eval mode, so each
forward pass is one draw f(x; W ⊙ m) of the approximate posterior; over S passes

    mean(x) = 1/S Σ_s f_s(x),    std(x)² = 1/(S - 1) Σ_s (f_s(x) - mean(x))²

are the predictive mean and standard deviation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from torch import nn

DROPOUT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)


def dropout(p: float) -> nn.Module:
    """Element-wise dropout with probability ``p``; the identity for p = 0 (draws no random numbers, so a
    network without dropout trains exactly as before the option existed)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    return nn.Dropout(p) if p > 0 else nn.Identity()


def has_dropout(model: nn.Module) -> bool:
    """Whether ``model`` has a dropout layer with p > 0 (what Monte Carlo dropout needs)."""
    return any(isinstance(m, DROPOUT) and m.p > 0 for m in model.modules())


@contextlib.contextmanager
def monte_carlo(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode with only its dropout layers sampling; its previous modes are restored on exit."""
    if not has_dropout(model):
        raise ValueError("Monte Carlo dropout needs a model with dropout > 0")
    modes = {m: m.training for m in model.modules()}
    model.eval()
    for m in model.modules():
        if isinstance(m, DROPOUT):
            m.train()
    try:
        yield model
    finally:
        for m, training in modes.items():
            m.training = training
