"""Readable config errors: turn a JSON-schema failure into one line naming the key.

The config schemas (``workflow/schemas/<section>.schema.yaml``) are the one
definition of every key, its constraints and its default. The workflow
validates config.yaml against them with Snakemake's ``validate`` (which fills
the defaults); the CLI fills and checks a by-hand run config against the same
files with :func:`resolve`. When a check fails, :func:`explain` says which key
is wrong, what value it has and why, instead of a dump of the schema.

The package finds the schemas in the checkout it runs from (``src/`` sits next
to ``workflow/``): that is where ``pip install -e .`` (README, ``envs/nnphys.yaml``)
and ``PYTHONPATH=src`` put it, and Snakemake reads the same files, so the
workflow and the CLI can never disagree about a default.
"""

from __future__ import annotations

import copy
import difflib
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "workflow" / "schemas"


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key."""


@functools.cache
def _load(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"config schema {path} not found: nnphys reads its schemas from the checkout it is "
                          "installed from (pip install -e .)")
    return yaml.safe_load(path.read_text())


def schema(section: str, definition: str | None = None) -> dict:
    """The schema of config section ``section`` (a copy), or of its ``$defs`` entry ``definition``."""
    full = copy.deepcopy(_load(SCHEMAS / f"{section}.schema.yaml"))
    if definition is None:
        return full
    return {"$schema": full["$schema"], "$defs": full["$defs"], "$ref": f"#/$defs/{definition}"}


def fixed(section: str, key: str) -> dict[str, Any]:
    """The settings schema ``section`` fixes for entry ``key`` (its ``const`` properties): what makes a named
    variant, such as ``reference.poisson_dirichlet``, one."""
    props = _load(SCHEMAS / f"{section}.schema.yaml")["properties"].get(key, {}).get("properties", {})
    return {k: v["const"] for k, v in props.items() if "const" in v}


def _key(prefix: str, path) -> str:
    out = prefix
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _child(where: str, key) -> str:
    return str(key) if where == "<top level>" else f"{where}.{key}"


def _unknown_keys(err, where: str) -> list[tuple[str, str]]:
    """One (key, reason) per key that ``additionalProperties: false`` refused, with the allowed keys."""
    allowed = sorted(err.schema.get("properties", {}))
    out = []
    for extra in sorted(set(err.instance) - set(allowed)):
        close = difflib.get_close_matches(str(extra), allowed, n=1)
        hint = f", did you mean {close[0]!r}?" if close else ""
        out.append((_child(where, extra), f"unknown key{hint} (allowed: {', '.join(allowed)})"))
    return out


def _reasons(err, prefix: str) -> list[tuple[str, str]]:
    """(config key, why) for one schema violation, naming the offending key itself where there is one."""
    leaf = jsonschema.exceptions.best_match(err.context) if err.context else err  # oneOf/anyOf: most specific
    where = _key(prefix, leaf.absolute_path)
    own = err.schema.get("errorMessage")
    if leaf.validator == "additionalProperties" and leaf.validator_value is False:
        return _unknown_keys(leaf, where)
    if "propertyNames" in leaf.absolute_schema_path:  # a bad key: the key in brackets, quoted
        return [(f"{where}[{leaf.instance!r}]", own or leaf.message)]
    if leaf.validator == "required":
        return [(_child(where, k), own or "required key missing") for k in leaf.validator_value
                if k not in leaf.instance]
    return [(where, own or leaf.message)]


def explain(config: Mapping[str, Any], schema_or_path: Mapping | str | Path, prefix: str = "") -> str:
    """The schema violations of ``config``, each naming the full config key ("" if there are none).

    One violation is one line; several are listed below a header, one per line.
    """
    s = schema_or_path if isinstance(schema_or_path, Mapping) else yaml.safe_load(Path(schema_or_path).read_text())
    validator = jsonschema.Draft202012Validator(s)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    messages = list(dict.fromkeys(  # one line per key: each missing key is reported by every required error
        f"config key '{where}': {reason}" for err in errors for where, reason in _reasons(err, prefix)))
    if len(messages) == 1:
        return f"invalid configuration: {messages[0]}"
    return "invalid configuration:\n  " + "\n  ".join(messages) if messages else ""


def check(config: Any, schema_or_path: Mapping | str | Path, prefix: str = "") -> None:
    """Validate ``config`` against the schema, raising :class:`ConfigError` with :func:`explain`'s text."""
    text = explain(config, schema_or_path, prefix)
    if text:
        raise ConfigError(text)


def _with_defaults(cls):
    """``cls`` that also fills each missing property that has a ``default`` (as Snakemake's ``validate`` does)."""
    properties = cls.VALIDATORS["properties"]

    def fill(validator, props, instance, sch):
        if validator.is_type(instance, "object"):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from properties(validator, props, instance, sch)

    return jsonschema.validators.extend(cls, {"properties": fill})


_Filling = _with_defaults(jsonschema.Draft202012Validator)


def resolve(config: Any, definition: Mapping, prefix: str = "") -> dict:
    """A copy of ``config`` with the defaults of schema ``definition`` filled; :class:`ConfigError` names
    every bad key. The check runs on the config as given, so a message never blames a default."""
    check(config, definition, prefix)
    out = copy.deepcopy(config)
    _Filling(definition).validate(out)
    return out


def check_colormaps(section: Mapping[str, Any], keys: Iterable[str], prefix: str) -> None:
    """Each of ``keys`` in ``section`` names a colormap matplotlib knows.

    matplotlib is imported here, when a config is checked, not when this module is.
    """
    import matplotlib

    for k in keys:
        if section[k] not in matplotlib.colormaps:
            close = difflib.get_close_matches(section[k], list(matplotlib.colormaps), n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise ConfigError(f"config key '{prefix}.{k}': unknown matplotlib colormap {section[k]!r}{hint}")


def check_yaml(path: str | Path) -> None:
    """``path`` is a YAML mapping; a syntax error names the file and the line (Snakemake names neither)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"config file {path}{where}: not valid YAML: {what}") from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ConfigError(f"config file {path}: expected keys at the top level (a YAML mapping), got {got}")
