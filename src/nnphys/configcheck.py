"""Readable config errors: turn a JSON-schema failure into one line naming the key.

Snakemake's ``validate`` fills the schema defaults; when it fails, the workflow
calls :func:`explain` to say which key is wrong, what value it has and why,
instead of a dump of the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key."""


def _key(prefix: str, path) -> str:
    out = prefix
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def explain(config: Mapping[str, Any], schema_path: str | Path, prefix: str = "") -> str:
    """One message per schema violation of ``config``, each naming the full config key."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        leaf = err
        if err.context:  # oneOf/anyOf: report the most specific reason
            leaf = jsonschema.exceptions.best_match(err.context)
        where = _key(prefix, leaf.absolute_path)
        reason = err.schema.get("errorMessage") or leaf.message
        messages.append(f"config key '{where}': {reason}")
    return "invalid configuration:\n  " + "\n  ".join(messages) if messages else ""


def check(config: dict, schema_path: str | Path, prefix: str = "") -> None:
    """Validate ``config`` against the schema, raising :class:`ConfigError` with :func:`explain`'s text."""
    text = explain(config, schema_path, prefix)
    if text:
        raise ConfigError(text)
