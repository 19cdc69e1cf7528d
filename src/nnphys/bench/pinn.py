"""PINN speed benchmark: time to accuracy on DeepXDE's heat example and on the NLS problem, and seconds per NLS
Adam step.

Heat (DeepXDE's documented example): u_t = 0.4 u_xx on x, t ∈ [0, 1], u(x, 0) = sin πx, zero Dirichlet;
network 2-[20, 20, 20]-1 tanh; 2540 domain, 80 boundary (40 times × both ends), 160 initial points;
rel. L2 error on a 201 × 201 grid against the exact solution exp(-0.4 π² t) sin πx.
Reported: training seconds (evaluations excluded) until rel. L2 ≤ 1e-2, 1e-3, 1e-4 (null if never),
for nnphys with Levenberg–Marquardt in float64 on the example's soft losses, and seconds per Adam step.

NLS time to accuracy (Raissi et al.'s problem, reference by split-step Fourier on the 201 × 256 grid): training
seconds until rel. L2 of |h| ≤ 1e-2, 3e-3, 1e-3, for config.yaml's NLS run (our best setup: 4×40 float64, Adam
then self-scaled Broyden) and for DeepXDE's Schrödinger recipe (4×100, Adam then L-BFGS) on the same points
(N_f = 4000) within a budget of ``--nls-budget`` seconds (default 300, the default run's five minutes).

The same NLS run's Adam step (1 thread, as the default run trains it), with the C kernels of the jet pass and on
torch operations, timed in turn (median of five timings of 20 steps each), where the kernels are built.

NLS at Raissi et al.'s sizes: N_f = 20000, N_0 = N_b = 50, 4 hidden layers of 100 tanh, soft periodic
losses: seconds per Adam step (median of five timings of 5 steps each, alternating with DeepXDE's; DeepXDE's
step is the difference of a 10-step and a 5-step ``Model.train`` call, without the loss evaluations every call
makes on all points before and after its steps).

With deepxde importable (``pip install nnphys[deepxde]``), the same two measurements are made with
DeepXDE (PyTorch backend) and the ratios reported; otherwise the figures measured on a 2-core machine
(DEEPXDE_REFERENCE) are used. Timings depend on the machine and its load: compare on a quiet one.

    python -m nnphys.bench pinn [--threads N] [--out results/bench/pinn.json] [--no-deepxde]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

import yaml

from nnphys import configcheck
from nnphys.evaluation.time_to_accuracy import seconds_to
from nnphys.physics import heat1d, nls
from nnphys.pinn import config as pinn_config
from nnphys.pinn import jet_kernels
from nnphys.pinn.problems import spec
from nnphys.pinn.runs import load_reference, spec_from_reference
from nnphys.pinn.train import Losses, Reference, build_model, collocation, train
from nnphys.training.seeding import seed_everything

THRESHOLDS = (1e-2, 1e-3, 1e-4)
NLS_THRESHOLDS = (1e-2, 3e-3, 1e-3)
REPO = Path(__file__).resolve().parents[3]
# DeepXDE 1.15 + PyTorch on a 2-core machine (figures given with the task): seconds to rel. L2 1e-2 and 1e-3
# (1e-4 never reached: its L-BFGS stops after a few steps), seconds per heat and per NLS Adam step.
DEEPXDE_REFERENCE = {"seconds_to": {"0.01": 25.0, "0.001": 90.0, "0.0001": None},
                     "heat_adam_step_s": 0.009, "nls_adam_step_s": 0.65, "source": "figures quoted in the task"}

HEAT_RUN = {
    "problem": "heat1d", "model_name": "tanh-3x20-f64", "seed": 0,
    "model": {"width": 20, "depth": 3, "activation": "tanh", "dtype": "float64"},
    "training": {
        "sampling": {"method": "lhs", "n_pde": 2540, "n_initial": 160, "n_boundary": 40},
        "weights": {"ic": 1.0, "bc": 1.0, "pde": 1.0},
        "phases": [{"optimizer": "lm", "steps": 150}],
        "log_every": 5, "eval_every": 5, "checkpoint_every": 0,
    },
}


def heat_reference(n: int = 201) -> tuple[heat1d.Params, Reference]:
    p = heat1d.Params()
    t, x = np.linspace(0, p.t_end, n), np.linspace(0, p.length, n)
    return p, Reference(t, x, heat1d.exact(p, x[None, :], t[:, None])[..., None])


def nnphys_heat(workdir: Path) -> dict:
    p, ref = heat_reference()
    s = spec("heat1d", dataclasses.asdict(p))
    model, _, history = train(HEAT_RUN, s, ref, workdir, torch.device("cpu"))
    cols = {k: np.asarray(v) for k, v in history.columns.items()}
    return {"seconds_to": seconds_to(cols["wall_time"], cols["rel_l2"], THRESHOLDS),
            "final_rel_l2": float(cols["rel_l2"][-1]), "train_seconds": float(cols["wall_time"][-1]),
            "iterations": int(history.attrs["iterations"]), "stop": history.attrs.get("stop", ""),
            "optimizer": "Levenberg-Marquardt, float64", "heat_adam_step_s": heat_adam_step()}


def heat_adam_step(steps: int = 50) -> float:
    """Seconds per Adam step (float32) at the heat example's sizes, for comparison with DeepXDE's."""
    run = {"model": HEAT_RUN["model"] | {"dtype": "float32"}, "training": HEAT_RUN["training"]}
    return _adam_step_seconds(spec("heat1d", {}), run, HEAT_RUN["training"]["sampling"], steps)


def _adam_step_seconds(s, run: dict, sampling: dict, steps: int) -> float:
    seed_everything(0)
    model = build_model(run, s)
    batch = collocation(s, sampling, 0, 0, next(model.parameters()))
    losses = Losses(s, run["training"]["weights"], model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        losses(batch)[0].backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def nls_setup() -> tuple[dict, object, Reference]:
    """config.yaml's NLS run (its resolved training config), the problem and its reference solution."""
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    section = configcheck.resolve(cfg["pinn"], configcheck.schema("pinn"), "pinn")
    name = next(run for problem, run in pinn_config.runs(section) if problem == "nls")
    run = pinn_config.run_config(section, "nls", name)
    run["training"]["checkpoint_every"] = 0
    ds = nls.solve(nls.Params(**cfg["reference"]["nls"]))
    s = spec_from_reference("nls", ds)
    return run, s, load_reference(ds, s)


def nnphys_nls(workdir: Path) -> dict:
    """config.yaml's NLS PINN trained once: seconds to each |h| bar, final errors of |h| and of h."""
    run, s, ref = nls_setup()
    _, _, history = train(run, s, ref, workdir, torch.device("cpu"))
    cols = {k: np.asarray(v) for k, v in history.columns.items()}
    return {"seconds_to": seconds_to(cols["wall_time"], cols["rel_l2"], NLS_THRESHOLDS),
            "final_rel_l2": float(cols["rel_l2"][-1]), "final_rel_l2_complex": float(cols["rel_l2_complex"][-1]),
            "train_seconds": float(cols["wall_time"][-1]), "iterations": int(history.attrs["iterations"]),
            "setup": f"config.yaml's {run['model_name']}-s{run['seed']}: {run['model']}, phases "
                     f"{run['training']['phases']}, N_f = {run['training']['sampling']['n_pde']}"}


def nls_kernel_steps(repeats: int = 5, steps: int = 20) -> dict | None:
    """Seconds per Adam step of config.yaml's NLS run with the jet pass's C kernels and on torch operations,
    timed in turn (median of ``repeats``); None where the kernels are not built."""
    if not jet_kernels.available:
        return None
    run, s, _ = nls_setup()
    sampling = run["training"]["sampling"]
    fused, plain = [], []
    for _ in range(repeats):
        fused.append(_adam_step_seconds(s, run, sampling, steps))
        with jet_kernels.torch_operations():
            plain.append(_adam_step_seconds(s, run, sampling, steps))
    return {"c_kernels": float(np.median(fused)), "torch_operations": float(np.median(plain))}


def deepxde_nls(dde, budget_s: float) -> dict:
    """DeepXDE's NLS recipe on our default's points, within ``budget_s`` seconds of training."""
    from nnphys.bench._deepxde import nls_accuracy

    run, _, ref = nls_setup()
    res = nls_accuracy(dde, ref, NLS_THRESHOLDS, int(run["training"]["sampling"]["n_pde"]), budget_s)
    torch.set_default_dtype(torch.float32)
    return res


def nnphys_nls_step(steps: int = 5) -> float:
    """Seconds per Adam step at Raissi's NLS sizes (float32, soft periodic losses)."""
    run = {"model": {"width": 100, "depth": 4, "activation": "tanh", "dtype": "float32"},
           "training": {"weights": {"ic": 1.0, "bc": 1.0, "pde": 1.0}}}
    return _adam_step_seconds(spec("nls", {}), run, {"n_pde": 20000, "n_initial": 50, "n_boundary": 50}, steps)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m nnphys.bench pinn", description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="results/bench/pinn.json")
    ap.add_argument("--no-deepxde", action="store_true", help="compare with the quoted figures only")
    ap.add_argument("--deepxde-adam-steps", type=int, default=12000,
                    help="DeepXDE Adam steps before its L-BFGS (it needs ~10000 to reach 1e-3)")
    ap.add_argument("--nls-budget", type=float, default=300.0,
                    help="DeepXDE's training seconds on the NLS time-to-accuracy measurement")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    work = out.parent / "pinn_work"
    ours = nnphys_heat(work)
    print(f"nnphys: {json.dumps(ours)}", file=sys.stderr)
    dde = None if args.no_deepxde else _deepxde()
    theirs = None if dde is None else deepxde_heat(dde, args.deepxde_adam_steps)
    ours["nls_adam_step_s"], theirs_nls = nls_steps(dde)
    if theirs is not None:
        theirs["nls_adam_step_s"] = theirs_nls
    torch.set_num_threads(1)  # the NLS PINN as the default run trains it: one thread a job
    ours["nls"] = nnphys_nls(work / "nls")
    ours["nls"]["adam_step_s"] = nls_kernel_steps()
    print(f"nnphys NLS: {json.dumps(ours['nls'])}", file=sys.stderr)
    if dde is not None:
        theirs["nls"] = deepxde_nls(dde, args.nls_budget)
    torch.set_num_threads(args.threads)
    base = theirs or DEEPXDE_REFERENCE
    ratios = {"to_1e-3": _ratio(base["seconds_to"]["0.001"], ours["seconds_to"]["0.001"]),
              "to_1e-2": _ratio(base["seconds_to"]["0.01"], ours["seconds_to"]["0.01"]),
              "nls_adam_step": _ratio(base["nls_adam_step_s"], ours["nls_adam_step_s"]),
              "heat_adam_step": _ratio(base["heat_adam_step_s"], ours["heat_adam_step_s"])}
    result = {"nnphys": ours, "deepxde": base, "speedup": ratios,
              "bars": {"to_1e-3_at_least_5x": _beats(base["seconds_to"]["0.001"], ours["seconds_to"]["0.001"], 5),
                       "reaches_1e-4": ours["seconds_to"]["0.0001"] is not None,
                       "nls_step_at_least_3x": _beats(base["nls_adam_step_s"], ours["nls_adam_step_s"], 3),
                       "nls_3e-3_within_300s": _within(ours["nls"]["seconds_to"]["0.003"], 300.0)},
              "machine": {"threads": args.threads, "cpu_count": os.cpu_count(), "platform": platform.platform(),
                          "torch": torch.__version__, "load_average": list(os.getloadavg())},
              "note": "wall-clock timings; noisy on a shared machine"}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


def _within(seconds: float | None, limit: float) -> bool:
    return seconds is not None and seconds <= limit


def _ratio(theirs: float | None, ours: float | None) -> float | None:
    return None if theirs is None or ours is None else theirs / ours


def _beats(theirs: float | None, ours: float | None, factor: float) -> bool:
    """Ours is ``factor`` times faster, or reaches what theirs never reached (None: not within its run)."""
    return ours is not None and (theirs is None or theirs / ours >= factor)


def _deepxde():
    """The deepxde module on its PyTorch backend, or None if it is not installed."""
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    try:
        import deepxde
    except ImportError:
        return None
    return deepxde


def deepxde_heat(dde, adam_steps: int) -> dict:
    """DeepXDE 1.15 on the heat example: seconds to each accuracy, seconds per Adam step."""
    from nnphys.bench._deepxde import heat

    res = heat(dde, heat_reference(), THRESHOLDS, adam_steps=adam_steps)
    torch.set_default_dtype(torch.float32)
    res["source"] = f"deepxde {dde.__version__} measured here"
    return res


def nls_steps(dde, repeats: int = 5) -> tuple[float, float | None]:
    """Seconds per NLS Adam step, ours and (with ``dde``, the deepxde module) DeepXDE's, timed in turn and each
    the median of ``repeats``: the two-core machines this runs on drift by tens of per cent within minutes."""
    from nnphys.bench._deepxde import nls_step

    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(nnphys_nls_step())
        if dde is not None:
            theirs.append(nls_step(dde))
            torch.set_default_dtype(torch.float32)
    return float(np.median(ours)), (float(np.median(theirs)) if theirs else None)


if __name__ == "__main__":  # pragma: no cover
    main()

