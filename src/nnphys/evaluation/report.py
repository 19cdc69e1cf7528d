"""The report's front matter: what was run, on which device, with which versions, how long each stage took.

Read from saved files only: each run's ``metrics.json`` (model, seed, device,
training time) and Snakemake's benchmark TSV files (one per job, under
``<bench>/<stage>/...``, columns ``s``, ``max_rss`` [MB], ...). Written as
``summary.html`` (shown in Snakemake's HTML report) and ``summary.md``.
"""

from __future__ import annotations

import html
import json
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from nnphys.evaluation.tables import fmt, markdown_table, per_run
from nnphys.io import DataError

PACKAGES = ("nnphys", "torch", "numpy", "scipy", "xarray", "netCDF4", "matplotlib", "pandas", "snakemake")


def versions() -> dict[str, str]:
    """Python and the versions of the packages the pipeline runs on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def read_benchmarks(bench_dir: str | Path) -> pd.DataFrame:
    """One row per benchmarked job: stage (first folder below ``bench_dir``), job (rest of the path), s, max_rss."""
    bench_dir = Path(bench_dir)
    rows = []
    for path in sorted(bench_dir.rglob("*.tsv")):
        try:
            tsv = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a Snakemake benchmark table ({exc})") from None
        if "s" not in tsv.columns or tsv.empty:
            raise DataError(f"{path}: not a Snakemake benchmark table (no column 's')")
        rel = path.relative_to(bench_dir)
        stage = rel.parts[0] if len(rel.parts) > 1 else "other"
        rows.append({"stage": stage, "job": str(rel.with_suffix("")), "s": float(tsv["s"].iloc[-1]),
                     "max_rss": float(tsv["max_rss"].iloc[-1]) if "max_rss" in tsv else float("nan")})
    return pd.DataFrame(rows, columns=["stage", "job", "s", "max_rss"])


def stage_times(bench: pd.DataFrame) -> pd.DataFrame:
    """Per stage: jobs, total and longest job time [s], peak resident memory [MB]."""
    g = bench.groupby("stage", sort=True)
    return pd.DataFrame({"jobs": g.size(), "total_s": g["s"].sum(), "longest_s": g["s"].max(),
                         "peak_rss_mb": g["max_rss"].max()}).reset_index()


def summary_tables(metrics_paths: Iterable[str | Path], bench_dir: str | Path) -> dict[str, pd.DataFrame]:
    runs = per_run(metrics_paths)
    cols = [c for c in ("kind", "problem", "model", "seed", "device", "train_seconds", "steps", "epochs")
            if c in runs.columns]
    bench = read_benchmarks(bench_dir)
    return {"runs": runs[cols], "stages": stage_times(bench),
            "slowest": bench.sort_values("s", ascending=False).head(10).reset_index(drop=True)}


def _cells(df: pd.DataFrame) -> list[list[str]]:
    return [[fmt(v) if isinstance(v, float) else str(v) for v in row] for row in df.itertuples(index=False)]


def _md_table(df: pd.DataFrame) -> str:
    return markdown_table(_cells(df), [str(c) for c in df.columns])


def _align(cell: str) -> str:
    """Numbers align right (the default), text left."""
    try:
        float(cell)
        return ""
    except ValueError:
        return " class='text'" if cell else ""


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td{_align(c)}>{html.escape(c)}</td>" for c in r) + "</tr>" for r in _cells(df))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


SECTIONS = (("runs", "Runs"), ("stages", "Time per stage (Snakemake benchmarks)"), ("slowest", "Slowest jobs"))


def write_summary(metrics_paths: Iterable[str | Path], bench_dir: str | Path, config: Mapping[str, Any],
                  html_path: str | Path, md_path: str | Path) -> None:
    """Write the front-matter summary as HTML (for the report) and Markdown."""
    tables = summary_tables(metrics_paths, bench_dir)
    vers = pd.DataFrame(sorted(versions().items()), columns=["package", "version"])
    devices = ", ".join(sorted(set(tables["runs"]["device"]))) or "none"
    cfg = json.dumps(config, indent=2, sort_keys=True)
    intro = (f"{len(tables['runs'])} trained runs on device(s): {devices}; "
             f"{int(tables['stages']['jobs'].sum()) if len(tables['stages']) else 0} benchmarked jobs, "
             f"{fmt(float(tables['stages']['total_s'].sum()) if len(tables['stages']) else 0.0)} s of job time.")

    md = ["# nnphys run summary", "", intro, ""]
    for key, title in SECTIONS:
        md += [f"## {title}", "", _md_table(tables[key]), ""]
    md += ["## Versions", "", _md_table(vers), "", "## Configuration", "", "```json", cfg, "```", ""]
    Path(md_path).parent.mkdir(parents=True, exist_ok=True)
    Path(md_path).write_text("\n".join(md))

    parts = [f"<h1>nnphys run summary</h1><p>{html.escape(intro)}</p>"]
    for key, title in SECTIONS:
        parts.append(f"<h2>{html.escape(title)}</h2>{_html_table(tables[key])}")
    parts.append(f"<h2>Versions</h2>{_html_table(vers)}")
    parts.append(f"<h2>Configuration</h2><pre>{html.escape(cfg)}</pre>")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>nnphys run summary</title><style>"
            "body{font-family:sans-serif;margin:1.5em;max-width:60em}"
            "table{border-collapse:collapse;margin:0.5em 0}"
            "td,th{border:1px solid #ccc;padding:0.2em 0.6em;text-align:right}"
            "td.text{text-align:left}th{background:#f0f0f0}pre{background:#f8f8f8;padding:0.5em;font-size:85%}"
            "</style></head><body>" + "".join(parts) + "</body></html>\n")
    Path(html_path).write_text(page)
