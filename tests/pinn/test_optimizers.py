"""A PINN phase's first-order optimizer is the one its spec names: plain SGD, SGD with momentum, Adam."""

from __future__ import annotations

import pytest
import torch

from nnphys.pinn.optimizers import build


def quadratic(p):
    """L = ½ |p - 1|²: gradient p - 1, so the steps can be followed by hand."""
    return lambda batch: ((0.5 * (p - 1) ** 2).sum(), {"quadratic": (0.5 * (p - 1) ** 2).sum()})


@pytest.mark.parametrize("spec, kind, after_two", [
    ({"optimizer": "sgd", "momentum": 0.0}, torch.optim.SGD, 0.19),   # 0.1, then 0.1 + 0.1 * 0.9
    ({"optimizer": "sgd", "momentum": 0.9}, torch.optim.SGD, 0.28),   # velocity 1, then 0.9 * 1 + 0.9
    ({"optimizer": "adam"}, torch.optim.Adam, 0.19959),               # Adam's first steps are ~lr each
])
def test_sgd_momentum_and_adam_take_their_own_steps(spec, kind, after_two):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    phase = build({"steps": 2, "lr": 0.1, **spec}, [p], 0)
    assert type(phase.optimizer) is kind and phase.optimizer.param_groups[0]["lr"] == 0.1
    if "momentum" in spec:
        assert phase.optimizer.param_groups[0]["momentum"] == spec["momentum"]
    assert phase.advance(quadratic(p), {}, 2, 0)[0] == 2
    assert p.item() == pytest.approx(after_two, abs=1e-5)
