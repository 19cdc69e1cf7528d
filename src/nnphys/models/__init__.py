"""Neural networks (torch.nn only, no physics).

Operator architectures are built by name through :func:`build`; all map a
channels-first field ``(N, C_in, H, W)`` to ``(N, C_out, H, W)``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from pathlib import Path
from typing import Any

# name -> (module, class): imported on demand so that ``models.mlp`` users do not pay for the rest.
OPERATORS = {
    "encoder_decoder": ("nnphys.models.encoder_decoder", "EncoderDecoder"),
    "unet": ("nnphys.models.unet", "UNet"),
    "fno": ("nnphys.models.fno", "FNO"),
    "deeponet": ("nnphys.models.deeponet", "DeepONet"),
}


def grid_bound(name: str) -> bool:
    """Whether architecture ``name`` is built for one grid (takes ``shape``) and so cannot run on another."""
    module, cls = OPERATORS[name]
    return "shape" in inspect.signature(getattr(importlib.import_module(module), cls)).parameters


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
    """The hyperparameters of architecture ``name`` that have defaults, and their values (what an unset key gets).

    Read from the class's ``__init__`` in the module's source, not by importing it: the Snakefile checks
    configs on every invocation, and importing torch would cost it seconds.
    """
    module, cls = OPERATORS[name]
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
    init = next(f for c in tree.body if isinstance(c, ast.ClassDef) and c.name == cls
                for f in c.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    args = init.args.args + init.args.kwonlyargs
    values = [None] * (len(init.args.args) - len(init.args.defaults)) + init.args.defaults + init.args.kw_defaults
    return {a.arg: ast.literal_eval(v) for a, v in zip(args, values) if v is not None and a.arg != "shape"}
