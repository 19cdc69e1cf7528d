"""Neural-operator benchmark: training time to the accuracy bars, inference vs reference-solver throughput.

Runs the default experiment's operator stage (config.yaml: reference data, models, training settings)
outside Snakemake, in a temporary folder: for each task and model it generates the reference data with
the physics module, trains, evaluates, and reports

* ``seconds_to_bar``: training wall time until the validation rel. L2 error (poisson: phi, E mean;
  heat2d: one step) first reaches the bar of the model's architecture (the operator accuracy issue's bars,
  ``BARS``: poisson FNO 1e-3, U-Net 5e-3, encoder-decoder 4e-2, DeepONet none; poisson_dirichlet: the best
  model, the sine-basis FNO, 5e-3; heat2d 2e-4), null if never;
* the test metrics (rel. L2, heat2d one-step and 50-step rollout errors) and whether the bars hold
  (heat2d also: rollout error at the last step <= 5e-3);
* ``infer_samples_per_s`` and ``reference_samples_per_s`` (the physics module's batched solver on the
  same test inputs, same process) and their ratio.

Timings depend on the machine and its load: compare on a quiet one.

    python -m nnphys.bench operator [--config config.yaml [preset.yaml ...]] [--threads 2] [--device auto]
                                    [--tasks poisson poisson_dirichlet heat2d] [--models fno unet] [--max-epochs N]
                                    [--out results/bench/operator.json]

Several ``--config`` files merge in order, as Snakemake's ``--configfile`` does (a preset over config.yaml).
``--max-epochs`` caps each run's epochs (its schedule then spans the capped count): a time-boxed look at a
preset made for longer runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import tempfile
import time
from pathlib import Path

import torch
import xarray as xr
import yaml

from nnphys import configcheck, physics
from nnphys.evaluation.time_to_accuracy import seconds_to
from nnphys.device import select
from nnphys.io import write_dataset, write_json
from nnphys.neural_operator.config import TASKS, run_config
from nnphys.run_names import run_name

REPO = Path(__file__).resolve().parents[3]
# architecture -> test rel. L2 bar (poisson: mean over the outputs; heat2d: one step, every architecture)
BARS = {"poisson": {"fno": 1e-3, "unet": 5e-3, "encoder_decoder": 4e-2}, "poisson_dirichlet": {"fno": 5e-3}}
HEAT2D_ONE_STEP_BAR, HEAT2D_ROLLOUT_BAR = 2e-4, 5e-3


def merged(base: dict, over: dict) -> dict:
    """``over`` merged into ``base`` key by key, recursively (lists and values replaced), as Snakemake merges configs."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def resolved_config(*paths: Path) -> dict:
    """The config files merged in order, with the schema defaults filled, as the workflow sees them."""
    config: dict = {}
    for path in paths:
        config = merged(config, yaml.safe_load(Path(path).read_text()) or {})
    for section in ("reference", "operator"):
        config[section] = configcheck.resolve(config.get(section, {}), configcheck.schema(section), section)
    return config


def seconds_to_bar(history: Path, bar: float) -> float | None:
    """Training seconds until the validation rel. L2 error first reaches ``bar`` (None if never)."""
    h = xr.load_dataset(history)
    return seconds_to(h["wall_time"].values, h["val_rel_l2"].values, [bar])[str(bar)]


def bench_run(config: dict, task: str, model: str, data: Path, work: Path, device, max_epochs: int = 0) -> dict:
    from nnphys.neural_operator.evaluate import evaluate
    from nnphys.neural_operator.train import train

    run = run_name(model, 0)
    cfg = run_config(config["operator"], task, run)
    if max_epochs:
        cfg["training"]["epochs"] = min(cfg["training"]["epochs"], max_epochs)
    out = work / task / run
    summary = train(cfg, data, out, device, show_progress=False)
    m = evaluate(out / "model.pt", data, out, device)["metrics"]
    arch = cfg["model"]["architecture"]
    heat = physics.problem(task) == "heat2d"
    bar = HEAT2D_ONE_STEP_BAR if heat else BARS.get(task, {}).get(arch)
    row = {"architecture": arch, "epochs": summary["epochs"],
           "train_seconds": summary["train_seconds"], "bar": bar,
           "seconds_to_bar": seconds_to_bar(out / "history.nc", bar) if bar else None,
           "infer_samples_per_s": m["infer_samples_per_s"], "reference_samples_per_s": m["reference_samples_per_s"],
           "reference_over_infer": m["reference_samples_per_s"] / m["infer_samples_per_s"],
           "test": {k: m[k] for k in ("rel_l2_mean", "rel_l2_p95", "equivariance_error", "zero_shot_rel_l2",
                                      "one_step_rel_l2", "rollout_rel_l2_final") if k in m}}
    if not heat:
        row["bar_met"] = None if bar is None else bool(m["rel_l2_mean"] <= bar)  # DeepONet: reported, no bar
    else:
        row["bar_met"] = bool(m["one_step_rel_l2"] <= HEAT2D_ONE_STEP_BAR
                              and m["rollout_rel_l2_final"] <= HEAT2D_ROLLOUT_BAR)
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m nnphys.bench operator", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, nargs="+", default=[REPO / "config.yaml"],
                        help="config files, merged in order (e.g. config.yaml workflow/presets/paper.yaml)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--models", nargs="+", default=None, help="default: each task's models in config runs")
    parser.add_argument("--max-epochs", type=int, default=0, help="cap each run's epochs (0: the config's)")
    parser.add_argument("--out", type=Path, default=Path("results/bench/operator.json"))
    args = parser.parse_args(argv)

    config = resolved_config(*args.config)
    device = select(args.device, args.threads)
    result = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                          "torch": torch.__version__, "threads": args.threads, "device": str(device),
                          "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None},
              "config": [str(c) for c in args.config], "max_epochs": args.max_epochs,
              "tasks": {}}
    with tempfile.TemporaryDirectory(prefix="nnphys-bench-operator-") as tmp:
        work = Path(tmp)
        for task in args.tasks:
            p = physics.params(task, config["reference"][task])
            t0 = time.perf_counter()
            data = write_dataset(physics.get(task).solve(p), work / f"{task}.nc", params=dataclasses.asdict(p),
                                 seed=p.seed)
            reference_seconds = time.perf_counter() - t0  # solve and write
            models = args.models or [m for r in config["operator"]["runs"] if r["task"] == task for m in r["models"]]
            rows = {}
            for model in dict.fromkeys(models):
                rows[model] = bench_run(config, task, model, data, work, device, args.max_epochs)
                print(f"{task} {model}: {rows[model]}", flush=True)
                result["tasks"][task] = {"reference_seconds": reference_seconds, "grid": p.n,
                                         "samples": p.n_samples, "models": rows}
                write_json(args.out, result)  # after each model: a long run cut short keeps what it finished
    write_json(args.out, result)
    print(f"wrote {args.out}")
    return result
