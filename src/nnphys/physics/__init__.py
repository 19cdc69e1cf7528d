"""Reference physics: one module per problem, numpy/scipy only (never torch).

Each problem module has the same face: a frozen ``Params`` dataclass with
``from_dict``, and ``solve(p) -> xr.Dataset``. The problems a PINN learns
(heat1d, nls) also have ``residual(fields, derivs, p)`` (plain arithmetic, works on
numpy and torch: the PINN loss and the tests share it); the lattice problems a
neural operator learns (poisson, heat2d) have batched solvers instead. Closed
forms where they exist.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from nnphys.configcheck import ConfigError

PROBLEMS = ("heat1d", "nls", "poisson", "heat2d")
# The reference datasets (results/reference/<name>.nc, config section reference.<name>) and the problem each
# solves: one per problem under its name, and named variants of a problem, whose section in
# reference.schema.yaml fixes the settings that make them one (poisson_dirichlet: phi = 0 on the boundary).
DATASETS = {**{p: p for p in PROBLEMS}, "poisson_dirichlet": "poisson"}


def problem(dataset: str) -> str:
    """The physics problem reference dataset ``dataset`` solves."""
    if dataset not in DATASETS:
        raise ConfigError(f"unknown problem {dataset!r}; known: {', '.join(DATASETS)}")
    return DATASETS[dataset]


def get(name: str) -> ModuleType:
    """The physics module of problem (or reference dataset) ``name``."""
    return importlib.import_module(f"nnphys.physics.{problem(name)}")


def params(name: str, config: Mapping[str, Any]):
    """Build the ``Params`` of problem (or reference dataset) ``name`` from its config section; unknown keys
    name the key."""
    module = get(name)
    known = {f.name for f in dataclasses.fields(module.Params)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ConfigError(f"config key 'reference.{name}.{unknown[0]}' is not a parameter of {problem(name)} "
                          f"(known: {', '.join(sorted(known))})")
    return module.Params.from_dict(config)


def asdict(p) -> dict[str, Any]:
    return dataclasses.asdict(p)
