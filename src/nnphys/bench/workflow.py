"""Whole-workflow benchmark: the README's run command, timed by stage, with every headline metric.

Runs ``snakemake --cores N`` on this checkout's Snakefile and config (default: ``config.yaml``)
in a fresh temporary folder, exactly as a user's first run, then

* a second run with nothing changed (it must do nothing, quickly),
* a change of one ``report:`` option (``dpi``) and ``snakemake figures``: figures and tables
  regenerate from the saved results, nothing retrains,

and writes as JSON: total wall time of each, the CPU count and ``--cores``, the summed wall
time of the jobs per stage (reference, pinn, operator, report; from Snakemake's benchmark
files) and of each job, every metric of every trained run, and for the default config which
of the default run's bars (``BARS``: times and accuracies) hold.

    python -m nnphys.bench workflow [--cores 8] [--configfile config.yaml ...]
                                    [--out results/bench/workflow-cores<N>.json]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from nnphys.cpus import usable_cpus
from nnphys.io import read_json, write_json
from nnphys.stages import STAGES

REPO = Path(__file__).resolve().parents[3]
# The default run's bars: wall seconds, and (run, metric) upper bounds of the runs config.yaml trains
# (heat1d 1e-6, NLS 3e-3 of |h| and 1e-2 of h, Poisson FNO 1e-3 and U-Net 5e-3, heat2d one step 2e-4 and rollout
# 5e-3: the PINN and operator accuracy issues', stricter than the default-run issue's).
TIME_BARS = {"run": 720.0, "rerun_nothing_changed": 10.0, "figures_after_report_change": 20.0}
METRIC_BARS = {
    ("pinn/heat1d/tanh-3x20-f64-s0", "rel_l2"): 1e-6,
    ("pinn/nls/tanh-4x40-periodic-f64-s0", "rel_l2"): 3e-3,
    ("pinn/nls/tanh-4x40-periodic-f64-s0", "rel_l2_complex"): 1e-2,
    ("pinn/heat1d_inverse/tanh-3x20-f64-s0", "k_rel_error"): 1e-2,
    ("operator/poisson/fno-s0", "rel_l2_mean"): 1e-3,
    ("operator/poisson/unet-s0", "rel_l2_mean"): 5e-3,
    ("operator/poisson/encoder_decoder-s0", "rel_l2_mean"): 4e-2,
    ("operator/poisson_dirichlet/fno_sine-s0", "rel_l2_mean"): 5e-3,
    ("operator/heat2d/fno-s0", "one_step_rel_l2"): 2e-4,
    ("operator/heat2d/fno-s0", "rollout_rel_l2_final"): 5e-3,
    ("operator/heat2d/unet_shallow-s0", "one_step_rel_l2"): 2e-4,
    ("operator/heat2d/unet_shallow-s0", "rollout_rel_l2_final"): 5e-3,
}


def snakemake(work: Path, cores: int, configfiles: list[Path], *targets: str) -> float:
    """Run Snakemake in ``work`` on this checkout's workflow; its wall time in seconds. Fails loudly."""
    cmd = [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(work), "--cores", str(cores), "--configfile", *map(str, configfiles),
           "--config", f"results={work}/results"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - t0
    with (work / "snakemake.log").open("a") as log:
        log.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit(f"snakemake {' '.join(targets)} failed (exit {proc.returncode}); log: {work}/snakemake.log")
    return seconds


def job_seconds(bench_dir: Path) -> dict[str, float]:
    """Wall seconds of every job, keyed by its benchmark file's path below ``bench_dir`` (without .tsv)."""
    out = {}
    for f in sorted(bench_dir.rglob("*.tsv")):
        with f.open() as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        out[str(f.relative_to(bench_dir).with_suffix(""))] = sum(float(r["s"]) for r in rows)
    return out


def run_metrics(results: Path) -> dict[str, dict[str, float]]:
    """``{kind/problem/run: {metric: value, train_seconds}}`` of every trained run."""
    out = {}
    for path in sorted(results.glob("*/*/*/metrics.json")):
        obj = read_json(path)
        out[str(path.parent.relative_to(results))] = obj["metrics"] | {"train_seconds": obj["train_seconds"]}
    return out


def bars(wall: dict[str, float], metrics: dict[str, dict[str, float]]) -> dict[str, dict]:
    """Each default-run bar: its value (None if that run is not in this config), the bar, and whether it holds."""
    out = {f"wall_seconds.{k}": (wall[k], bar) for k, bar in TIME_BARS.items()}
    out |= {f"{run}.{m}": (metrics.get(run, {}).get(m), bar) for (run, m), bar in METRIC_BARS.items()}
    return {k: {"value": v, "bar": bar, "met": v is not None and v <= bar} for k, (v, bar) in out.items()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m nnphys.bench workflow", description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=8, help="snakemake --cores (the README's command: 8)")
    parser.add_argument("--configfile", type=Path, nargs="+", default=[REPO / "config.yaml"])
    parser.add_argument("--out", type=Path, default=None, help="default: results/bench/workflow-cores<N>.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args(argv)
    configfiles = [p.resolve() for p in args.configfile]
    out_path = args.out or Path(f"results/bench/workflow-cores{args.cores}.json")

    work = Path(tempfile.mkdtemp(prefix="nnphys-bench-workflow-"))
    print(f"running the workflow in {work} (log: {work}/snakemake.log)", flush=True)
    run_s = snakemake(work, args.cores, configfiles)
    jobs = job_seconds(work / "results" / "benchmarks")
    rerun_s = snakemake(work, args.cores, configfiles)
    # A plotting change as a user makes it: one more config file with a new PNG resolution.
    report = {}
    for f in configfiles:
        report |= (yaml.safe_load(f.read_text()) or {}).get("report", {})
    plots = work / "plots.yaml"
    plots.write_text(yaml.safe_dump({"report": {"dpi": int(report.get("dpi", 150)) + 1}}))
    figures_s = snakemake(work, args.cores, [*configfiles, plots], "figures")
    result = {
        "command": f"snakemake --cores {args.cores}", "configfiles": [str(p) for p in configfiles],
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "usable_cpus": usable_cpus()},
        "cores": args.cores,
        "wall_seconds": {"run": run_s, "rerun_nothing_changed": rerun_s, "figures_after_report_change": figures_s},
        "stage_job_seconds": {s: sum(v for k, v in jobs.items() if k.split("/")[0] == s) for s in STAGES},
        "job_seconds": jobs,
        "metrics": run_metrics(work / "results"),
    }
    result["bars"] = bars(result["wall_seconds"], result["metrics"])
    result["all_bars_met"] = all(b["met"] for b in result["bars"].values())
    write_json(out_path, result)
    missed = [k for k, b in result["bars"].items() if not b["met"]]
    print(f"wrote {out_path}: run {run_s:.0f} s, rerun {rerun_s:.1f} s, figures {figures_s:.1f} s; "
          f"bars missed: {', '.join(missed) or 'none'}")
    if not args.keep:
        shutil.rmtree(work)
    return result
