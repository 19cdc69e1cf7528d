"""Neural networks (torch.nn only, no physics).

Operator architectures are built by name through :func:`build`; all map a
channels-first field ``(N, C_in, H, W)`` to ``(N, C_out, H, W)``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

# name -> (module, class): imported on demand so that ``models.mlp`` users do not pay for the rest.
OPERATORS = {
    "encoder_decoder": ("nnphys.models.encoder_decoder", "EncoderDecoder"),
    "unet": ("nnphys.models.unet", "UNet"),
    "fno": ("nnphys.models.fno", "FNO"),
    "deeponet": ("nnphys.models.deeponet", "DeepONet"),
}


def build(name: str, in_channels: int, out_channels: int, shape: tuple[int, int] | None = None, **kwargs):
    """The operator architecture ``name`` with its hyperparameters ``kwargs``; ``shape`` (the grid, H x W)
    goes to the architectures that are built for one grid (DeepONet) and is ignored by the rest."""
    if name not in OPERATORS:
        raise ValueError(f"unknown operator architecture {name!r}; known: {', '.join(OPERATORS)}")
    module, cls = OPERATORS[name]
    cls = getattr(importlib.import_module(module), cls)
    if shape is not None and "shape" in inspect.signature(cls).parameters:
        kwargs["shape"] = tuple(shape)
    return cls(in_channels, out_channels, **kwargs)


def defaults(name: str) -> dict[str, Any]:
    """The hyperparameters of architecture ``name`` that have defaults, and their values (what an unset key gets)."""
    module, cls = OPERATORS[name]
    params = inspect.signature(getattr(importlib.import_module(module), cls)).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty and p.name != "shape"}
