"""Thin command-line entry points: ``python -m nnphys <stage> ...``.

Each subcommand parses its arguments, calls the package, and writes files
through :mod:`nnphys.io`. Snakemake rules call these; so can users.
Errors a user can fix (bad config, bad or non-finite input file, parameters a
solver refuses, a diverged training, a full disk) exit with status 2 and a
one-line message, naming the key or the file where there is one, instead of a
traceback. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nnphys.configcheck import ConfigError
from nnphys.io import DataError, DiskFull


def _json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc


def cmd_reference(args: argparse.Namespace) -> None:
    from nnphys import physics
    from nnphys.configcheck import resolve, schema
    from nnphys.io import write_dataset

    # the workflow's checks and defaults, by hand too (a dataset's defaults may differ from its problem's)
    config = resolve({args.problem: args.config}, schema("reference"), "reference")[args.problem]
    problem = physics.get(args.problem)
    p = physics.params(args.problem, config)
    ds = problem.solve(p)
    write_dataset(ds, args.out, params=physics.asdict(p), seed=getattr(p, "seed", None),
                  fingerprint=args.fingerprint)


def cmd_tables(args: argparse.Namespace) -> None:
    from nnphys.evaluation.tables import write_tables

    write_tables(args.metrics, args.csv, args.summary_csv, args.md, args.headline)


def cmd_figures(args: argparse.Namespace) -> None:
    from nnphys.evaluation.style import Style

    style = Style.from_config(args.style)
    if args.kind == "uq":
        from nnphys.evaluation.figures.uq import uq_figures

        uq_figures(args.run, args.predictive, args.out_dir, style)
    elif args.kind == "optimizers":
        from nnphys.evaluation.figures.optimizers import optimizer_figures

        optimizer_figures(args.run, args.runs, args.headline, args.out_dir, style)
    else:
        from nnphys.evaluation.figures.batch import Options, QuickLook, draw_all
        from nnphys.evaluation.figures.pinn import Slices

        slices = {p: Slices(s.get("variable"), tuple(s.get("times", ()))) for p, s in args.slices.items()}
        looks = [QuickLook(q["problem"], Path(q["dataset"]), Path(q["out"])) for q in args.quicklooks]
        draw_all(args.runs, args.references, args.out_dir, style, Options(slices, args.samples, args.headline),
                 workers=args.workers, quicklooks=looks)


def cmd_study_symmetry(args: argparse.Namespace) -> None:
    from nnphys.evaluation.studies import symmetry
    from nnphys.evaluation.style import Style

    symmetry.write(args.metrics, args.runs, args.out_dir, Style.from_config(args.style))


def cmd_ensemble(args: argparse.Namespace) -> None:
    from nnphys.evaluation.ensemble import ensemble
    from nnphys.io import write_dataset

    ds = ensemble(args.predictions, args.reference, stage=args.stage, problem=args.problem, model=args.model)
    write_dataset(ds, args.out, params={"members": args.predictions}, fingerprint=args.fingerprint)


def cmd_uq_tables(args: argparse.Namespace) -> None:
    from nnphys.evaluation.uq import write_tables

    write_tables(args.predictive, args.csv, args.md)


def cmd_optimizer_tables(args: argparse.Namespace) -> None:
    from nnphys.evaluation.optimizers import write_tables

    write_tables(args.groups, args.headline, args.csv, args.md, args.reach)


def cmd_summary(args: argparse.Namespace) -> None:
    from nnphys.evaluation.report import write_summary

    write_summary(args.metrics, args.bench, args.config, args.html, args.md)


def cmd_study_receptive_field(args: argparse.Namespace) -> None:
    from nnphys.evaluation.figures.receptive_field import receptive_field_figure
    from nnphys.evaluation.studies.receptive_field import write_tables
    from nnphys.evaluation.style import Style

    df = write_tables(args.runs, args.reference, args.csv, args.md)
    receptive_field_figure(df, args.out_dir, Style.from_config(args.style))


def cmd_pinn_train(args: argparse.Namespace) -> None:
    from nnphys.device import select
    from nnphys.io import read_dataset
    from nnphys.pinn.config import resolve
    from nnphys.pinn.runs import reference_vars, train_run

    run = resolve(args.config, args.problem)  # defaults and checks: the workflow's schema
    device = select(args.device, args.threads)
    reference = read_dataset(args.reference, reference_vars(args.problem))
    train_run(args.problem, run, reference, args.out_dir, device, args.fingerprint)


def cmd_pinn_evaluate(args: argparse.Namespace) -> None:
    from nnphys.device import select
    from nnphys.io import read_dataset
    from nnphys.pinn.runs import evaluate_run, reference_vars

    device = select(args.device, args.threads)
    reference = read_dataset(args.reference, reference_vars(args.problem))
    evaluate_run(args.model, reference, args.out_dir, device, args.fingerprint)


def cmd_operator_train(args: argparse.Namespace) -> None:
    from nnphys.device import select
    from nnphys.neural_operator.train import train
    from nnphys.neural_operator.config import resolve

    run = resolve(args.config)  # defaults and checks: the workflow's schema
    train(run, args.reference, args.out_dir, select(args.device, args.threads), fingerprint=args.fingerprint)


def cmd_operator_evaluate(args: argparse.Namespace) -> None:
    from nnphys.device import select
    from nnphys.neural_operator.evaluate import evaluate

    evaluate(args.model, args.reference, args.out_dir, select(args.device, args.threads), fingerprint=args.fingerprint)


def cmd_operator_green(args: argparse.Namespace) -> None:
    from nnphys.device import select
    from nnphys.neural_operator.green import run

    run(args.model, args.reference, args.out_dir, select(args.device, args.threads), args.study["positions"],
        args.study["near"], fingerprint=args.fingerprint)


def cmd_study_green(args: argparse.Namespace) -> None:
    from nnphys.evaluation.studies import green
    from nnphys.evaluation.style import Style

    green.write(args.green, args.metrics, args.out_dir, Style.from_config(args.style))


def cmd_operator_mc_dropout(args: argparse.Namespace) -> None:
    from nnphys.device import select
    from nnphys.neural_operator.mc_dropout import mc_dropout

    mc_dropout(args.model, args.reference, args.out_dir, args.samples, select(args.device, args.threads),
               fingerprint=args.fingerprint)


def _torch_job(sub, name: str, func, help: str, reference: str, *, problem: bool = False,
               model: str | None = None) -> argparse.ArgumentParser:
    """A training (``--config``) or evaluation (``--model``) command: the PINN problem if ``problem``, then
    the reference file, the output folder and the options every torch job has."""
    p = sub.add_parser(name, help=help)
    if problem:
        p.add_argument("problem", help="heat1d, nls or heat1d_inverse")
    if model:
        p.add_argument("--model", required=True, help=model)
    else:
        p.add_argument("--config", type=_json, required=True, help="the run's resolved config as JSON")
    p.add_argument("--reference", required=True, help=reference)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (Snakemake's threads)")
    p.add_argument("--fingerprint", default="", help="source fingerprint recorded in the outputs")
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnphys", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reference", help="solve a problem with its classical solver, write netCDF")
    p.add_argument("problem")
    p.add_argument("--config", type=_json, default={}, help="the problem's config section as JSON")
    p.add_argument("--fingerprint", default="", help="source fingerprint recorded in the file")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_reference)

    p = sub.add_parser("tables", help="error tables (CSV, Markdown) from the runs' metrics.json files")
    p.add_argument("--metrics", nargs="+", required=True, help="metrics.json of every run")
    p.add_argument("--headline", type=_json, default={}, help="JSON {problem: headline metric}")
    p.add_argument("--csv", required=True, help="per-run table")
    p.add_argument("--summary-csv", required=True, help="mean, std and n over seeds")
    p.add_argument("--md", required=True, help="both tables as Markdown")
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("figures", help="figures (PNG and PDF): the report's (runs, summary, reference quick-looks), "
                       "or a study's")
    p.add_argument("kind", choices=("report", "uq", "optimizers"))
    p.add_argument("--run", default="", help="the comparison (optimizers), named in error messages")
    p.add_argument("--runs", nargs="+", default=[], help="run folders <results>/<stage>/<problem>/<run> (report: "
                   "each with prediction.nc, history.nc, metrics.json; optimizers: history.nc, metrics.json)")
    p.add_argument("--references", type=_json, default={}, help="JSON {PINN problem: its reference dataset} (report)")
    p.add_argument("--quicklooks", type=_json, default=[], help="JSON [{problem, dataset, out}]: quick-look PNGs of "
                   "reference datasets, each drawn as the physics problem it solves (report)")
    p.add_argument("--style", type=_json, default={}, help="JSON: dpi, font_size, colormaps")
    p.add_argument("--slices", type=_json, default={}, help="JSON {problem: {variable, times}} (report: PINN slices)")
    p.add_argument("--samples", type=int, default=3, help="test samples shown per operator run (report)")
    p.add_argument("--headline", type=_json, default={}, help="JSON {problem: metric} (report, optimizers)")
    p.add_argument("--workers", type=int, default=1, help="processes drawing at once (report)")
    p.add_argument("--predictive", help="predictive.nc of an ensemble or Monte Carlo dropout (uq)")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("study-symmetry", help="symmetry study: table and figure from the study runs' metrics")
    p.add_argument("--metrics", nargs="+", required=True, help="metrics.json of every study run")
    p.add_argument("--runs", type=_json, required=True,
                   help="JSON list, per metrics file: {symmetry, train_samples} of its run")
    p.add_argument("--style", type=_json, default={}, help="the report's plotting options as JSON")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_study_symmetry)

    p = sub.add_parser("ensemble", help="a deep ensemble over seeds: predictive.nc from the members' prediction.nc")
    p.add_argument("--stage", required=True, choices=("pinn", "operator"))
    p.add_argument("--problem", required=True, help="PINN problem or operator task")
    p.add_argument("--model", required=True, help="the members' model")
    p.add_argument("--predictions", nargs="+", required=True, help="prediction.nc of every member")
    p.add_argument("--reference", help="reference netCDF: the truth of PINN members")
    p.add_argument("--fingerprint", default="", help="source fingerprint recorded in the file")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_ensemble)

    p = sub.add_parser("uq-tables", help="calibration table (CSV, Markdown) of predictive.nc files")
    p.add_argument("--predictive", nargs="+", required=True, help="predictive.nc of every ensemble and MC run")
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.set_defaults(func=cmd_uq_tables)

    p = sub.add_parser("optimizer-tables", help="final numbers (CSV, Markdown) of optimizer comparisons")
    p.add_argument("--groups", type=_json, required=True, help="JSON {comparison: [run folder, ...]}")
    p.add_argument("--headline", type=_json, default={}, help="JSON {problem: headline metric}")
    p.add_argument("--reach", type=_json, default={}, help="JSON {comparison: [error level, ...]}: seconds to each")
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.set_defaults(func=cmd_optimizer_tables)

    p = sub.add_parser("summary", help="what ran, where, with which versions, how long (HTML and Markdown)")
    p.add_argument("--metrics", nargs="*", default=[], help="metrics.json of every run")
    p.add_argument("--bench", required=True, help="folder of Snakemake benchmark TSV files")
    p.add_argument("--config", type=_json, default={}, help="the workflow config as JSON")
    p.add_argument("--html", required=True)
    p.add_argument("--md", required=True)
    p.set_defaults(func=cmd_summary)

    studies = sub.add_parser("study", help="a study of trained runs: a table and a figure").add_subparsers(
        dest="study", required=True)
    p = studies.add_parser("receptive-field", help="test error of CNN operators against their receptive field")
    p.add_argument("--runs", nargs="+", required=True,
                   help="folder of every run compared (metrics.json, model.pt, prediction.nc)")
    p.add_argument("--reference", required=True, help="the runs' reference file (poisson.nc)")
    p.add_argument("--style", type=_json, default={}, help="JSON: dpi, font_size, colormaps")
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--out-dir", required=True, help="folder of the figure (receptive_field.png, .pdf)")
    p.set_defaults(func=cmd_study_receptive_field)

    _torch_job(sub, "pinn-train", cmd_pinn_train,
               "train a PINN; writes model.pt and history.nc (resumes after a kill)",
               "reference netCDF (physics parameters, rel. L2, data)", problem=True)
    _torch_job(sub, "pinn-evaluate", cmd_pinn_evaluate,
               "evaluate a trained PINN; writes prediction.nc and metrics.json",
               "reference netCDF the predictions are compared with", problem=True,
               model="model.pt written by pinn-train")
    _torch_job(sub, "operator-train", cmd_operator_train,
               "train a neural operator; writes model.pt and history.nc (resumes)",
               "reference netCDF of the run's task")
    _torch_job(sub, "operator-evaluate", cmd_operator_evaluate,
               "evaluate a trained neural operator; writes prediction.nc, metrics.json",
               "reference netCDF of the run's task (its test split)", model="model.pt written by operator-train")
    p = _torch_job(sub, "operator-mc-dropout", cmd_operator_mc_dropout,
                   "Monte Carlo dropout of a trained operator on its test split; writes predictive.nc",
                   "reference netCDF of the run's task (its test split)", model="model.pt of a run with dropout")
    p.add_argument("--samples", type=int, required=True, help="stochastic forward passes (at least 2)")

    p = _torch_job(sub, "operator-green", cmd_operator_green,
                   "a Poisson model's response to unit point charges and its saliency maps; writes green.nc, "
                   "green.json", "the Poisson reference netCDF the model was trained on",
                   model="model.pt written by operator-train")
    p.add_argument("--study", type=_json, required=True, help="JSON {positions: [[x/L, y/L], ...], near: cells}")

    p = sub.add_parser("study-green", help="Green's function study: table and figures from the runs' green files")
    p.add_argument("--green", nargs="+", required=True, help="green.nc of every run")
    p.add_argument("--metrics", nargs="+", required=True, help="green.json of every run, in the same order")
    p.add_argument("--style", type=_json, default={}, help="the report's plotting options as JSON")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_study_green)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    # Expected failures, each a message naming what to fix: a bad config or input file, a full disk,
    # parameters a solver refuses (ValueError), a diverged training (NonFiniteLoss, a FloatingPointError:
    # caught by its base class, so commands that never train need not import torch).
    except (ConfigError, DataError, DiskFull, ValueError, FloatingPointError) as exc:
        print(f"nnphys {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0
