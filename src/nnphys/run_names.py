"""How a trained run (PINN or neural operator) is named: ``<model>-s<seed>``.

The name is the run's folder (``<results>/<stage>/<problem>/<run>/``) and its ``run`` in metrics.json:
:func:`run_name` builds it, :func:`parse_run_name` reads it back, and :data:`RUN_NAME` is the pattern the
workflow's rules constrain the ``run`` wildcard with.
"""

from __future__ import annotations

import re

from nnphys.configcheck import ConfigError

RUN_NAME = re.compile(r"([^/]+)-s(\d+)")  # model names are path-safe (the schemas' $defs/name): no slash


def run_name(model: str, seed: int) -> str:
    """The name of the run of ``model`` with ``seed``."""
    return f"{model}-s{int(seed)}"


def parse_run_name(name: str) -> tuple[str, int]:
    """(model, seed) of a run name; :class:`ConfigError` if ``name`` is not ``<model>-s<seed>``."""
    m = RUN_NAME.fullmatch(name)
    if m is None:
        raise ConfigError(f"run {name!r}: expected '<model>-s<seed>'")
    return m[1], int(m[2])
