"""Thin command-line entry points: ``python -m nnphys <stage> ...``.

Each subcommand parses its arguments, calls the package, and writes files
through :mod:`nnphys.io`. Snakemake rules call these; so can users.
Errors a user can fix (bad config, bad input file) exit with status 2 and a
one-line message naming the key or the file, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from nnphys.configcheck import ConfigError
from nnphys.io import DataError


def _json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc


def cmd_reference(args: argparse.Namespace) -> None:
    from nnphys import physics
    from nnphys.io import write_dataset

    problem = physics.get(args.problem)
    p = physics.params(args.problem, args.config)
    ds = problem.solve(p)
    write_dataset(ds, args.out, params=physics.asdict(p), seed=getattr(p, "seed", None),
                  fingerprint=args.fingerprint)


def cmd_quicklook(args: argparse.Namespace) -> None:
    from nnphys.evaluation.quicklook import quicklook
    from nnphys.io import read_dataset

    quicklook(args.problem, read_dataset(args.dataset), args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnphys", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reference", help="solve a problem with its classical solver, write netCDF")
    p.add_argument("problem")
    p.add_argument("--config", type=_json, default={}, help="the problem's config section as JSON")
    p.add_argument("--fingerprint", default="", help="source fingerprint recorded in the file")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("quicklook", help="quick-look figure of a reference dataset")
    p.add_argument("problem")
    p.add_argument("--dataset", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_quicklook)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ConfigError, DataError) as exc:
        print(f"nnphys {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0
