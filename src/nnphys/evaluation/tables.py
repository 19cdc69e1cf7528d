"""Error tables: one row per trained run, and the mean ± standard deviation over seeds.

Input is the ``metrics.json`` of each PINN and operator run::

    {"kind": "pinn" | "operator", "problem", "model", "seed", "run", "device",
     "train_seconds", "steps" | "epochs", "metrics": {name: float}}

Outputs: ``errors.csv`` (per run, one column per metric, empty where a metric
does not apply), ``errors_summary.csv`` (per problem and model: ``<metric>_mean``,
``<metric>_std`` over seeds with the sample standard deviation, ddof = 1, and
``n``), and ``errors.md`` (a headline table, then per problem the per-run and
aggregated tables, numbers to 3 significant digits).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from numbers import Real
from pathlib import Path

import pandas as pd

from nnphys.io import DataError, read_json

KEYS = ("kind", "problem", "model", "seed", "run", "device", "train_seconds", "metrics")
ID_COLUMNS = ["kind", "problem", "model", "seed", "run", "device"]
COST_COLUMNS = ["train_seconds", "steps", "epochs"]
GROUP = ["kind", "problem", "model"]


def run_label(path: str | Path) -> str:
    """``problem/run`` of a file inside ``.../<problem>/<run>/``: how messages name a run."""
    path = Path(path)
    return f"{path.parent.parent.name}/{path.parent.name}"


def read_metrics(path: str | Path) -> dict:
    """One run's metrics as a flat row; :class:`DataError` names the run and the file when malformed."""
    try:
        obj = read_json(path, required=KEYS)
        metrics = obj["metrics"]
        if not isinstance(metrics, Mapping):
            raise DataError(f"{path}: 'metrics' is a {type(metrics).__name__}, expected an object")
        bad = {k: v for k, v in metrics.items() if v is not None and not (isinstance(v, Real) and not isinstance(v, bool))}
        if bad:
            raise DataError(f"{path}: metric(s) {sorted(bad)} are not numbers: {bad}")
    except DataError as exc:
        raise DataError(f"run {run_label(path)}: {exc}") from None
    row = {k: obj[k] for k in ID_COLUMNS}
    row.update({k: obj.get(k) for k in COST_COLUMNS})
    row.update({k: math.nan if v is None else float(v) for k, v in metrics.items()})
    return row


def per_run(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per run, in the order given, columns: ids, cost, then metrics in first-seen order."""
    rows = [read_metrics(p) for p in paths]
    if not rows:
        return pd.DataFrame(columns=ID_COLUMNS + COST_COLUMNS)
    df = pd.DataFrame(rows)
    return df.loc[:, df.notna().any()].astype({"seed": int})


def metric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c not in ID_COLUMNS]


def aggregate(df: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample standard deviation and count over seeds of every numeric column, per problem and model."""
    cols = metric_columns(df)
    grouped = df.groupby(GROUP, sort=False)[cols]
    mean = grouped.mean().add_suffix("_mean")
    std = grouped.std(ddof=1).add_suffix("_std")
    out = pd.concat([mean, std], axis=1)[[f"{c}_{s}" for c in cols for s in ("mean", "std")]]
    out.insert(0, "n", df.groupby(GROUP, sort=False).size())
    return out.reset_index()


def fmt(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def fmt_pm(mean: float, std: float, n: int) -> str:
    if math.isnan(mean):
        return ""
    return fmt(mean) if n < 2 or math.isnan(std) else f"{fmt(mean)} ± {std:.2g}"


def markdown_table(rows: list[list[str]], header: list[str]) -> str:
    """A Markdown (GitHub) table of text cells: a header row, then one row per entry of ``rows``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def headline_metric(problem: str, columns: Iterable[str], headline: Mapping[str, str]) -> str | None:
    """The metric that sums up a problem: configured, else the first metric named *rel_l2*."""
    columns = list(columns)
    if problem in headline and headline[problem] in columns:
        return headline[problem]
    return next((c for c in columns if "rel_l2" in c), None)


def markdown(df: pd.DataFrame, agg: pd.DataFrame, headline: Mapping[str, str]) -> str:
    """``errors.md``: headline table over every problem, then per problem its runs and seed aggregate."""
    out = ["# Errors against the reference solutions", ""]
    head_rows = []
    for _, a in agg.iterrows():
        present = [c for c in metric_columns(df) if not math.isnan(a.get(f"{c}_mean", math.nan))]
        metric = headline_metric(a["problem"], present, headline)
        head_rows.append([a["problem"], a["kind"], a["model"], str(a["n"]), metric or "",
                          fmt_pm(a[f"{metric}_mean"], a[f"{metric}_std"], a["n"]) if metric else "",
                          fmt_pm(a["train_seconds_mean"], a["train_seconds_std"], a["n"])])
    out += ["Mean ± standard deviation over seeds (n seeds).", "",
            markdown_table(head_rows, ["problem", "kind", "model", "n", "metric", "value", "train time [s]"]), ""]
    for problem, sub in df.groupby("problem", sort=False):
        cols = [c for c in metric_columns(sub) if sub[c].notna().any()]
        kind = sub["kind"].iloc[0]
        out += [f"## {problem} ({kind})", "", "Per run:", ""]
        out += [markdown_table([[r["model"], str(r["seed"]), r["device"], *(fmt(r[c]) for c in cols)]
                                for _, r in sub.iterrows()], ["model", "seed", "device", *cols]), ""]
        sub_agg = agg[agg["problem"] == problem]
        out += ["Over seeds (mean ± std):", ""]
        out += [markdown_table([[a["model"], str(a["n"]), *(fmt_pm(a[f"{c}_mean"], a[f"{c}_std"], a["n"])
                                                          for c in cols)]
                                for _, a in sub_agg.iterrows()], ["model", "n", *cols]), ""]
    return "\n".join(out)


def write_tables(metrics_paths: Iterable[str | Path], csv: str | Path, summary_csv: str | Path, md: str | Path,
                 headline: Mapping[str, str]) -> pd.DataFrame:
    """Read every run's metrics and write the three tables; returns the per-run table."""
    df = per_run(metrics_paths)
    agg = aggregate(df)
    for path in (csv, summary_csv, md):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(csv, index=False, float_format="%.6g")
    agg.to_csv(summary_csv, index=False, float_format="%.6g")
    Path(md).write_text(markdown(df, agg, headline) + "\n")
    return df
